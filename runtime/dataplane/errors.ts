import type { ErrorBody } from '../../shared/protocol.js';

/**
 * A request that failed with a status the caller should see. Every data-plane
 * failure becomes one of these, so HTTP and socket.io answer the same way.
 */
export class RequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 413 | 499 | 500 | 503 | 504,
    message: string,
    readonly extra: { node?: string; path?: string; code?: string; retryAfterS?: number } = {},
  ) {
    super(message);
    this.name = 'RequestError';
  }
  body(requestId?: string): ErrorBody {
    const { node, path, code } = this.extra;
    return {
      error: this.message,
      ...(node !== undefined ? { node } : {}),
      ...(path !== undefined ? { path } : {}),
      ...(code !== undefined ? { code } : {}),
      ...(requestId !== undefined ? { requestId } : {}),
    };
  }
}

/**
 * The caller went away before the answer (HTTP connection closed, socket.io
 * disconnect): 499, as nginx logs it. Nobody reads it; it ends the request and
 * is what metrics count as a cancellation.
 */
export function clientGone(who: string): RequestError {
  return new RequestError(499, `${who} went away before the answer`, { code: 'client_closed' });
}

/** A request body that is not JSON: 400 at `$`. */
export function invalidJson(e: unknown): RequestError {
  return new RequestError(400, `request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, { path: '$', code: 'invalid_json' });
}

/** The replica died (exit, crash, out of memory, killed) while holding the call: safe to retry elsewhere. */
export class ReplicaLostError extends Error {
  constructor(
    readonly replica: string,
    reason: string,
  ) {
    super(`replica ${replica} was lost: ${reason}`);
    this.name = 'ReplicaLostError';
  }
}

/** What the node itself threw, carried back from the worker. */
export class NodeCallError extends Error {
  constructor(
    message: string,
    readonly inputPath?: string,
    readonly isInputError = false,
  ) {
    super(message);
    this.name = 'NodeCallError';
  }
}

export function toRequestError(e: unknown, node?: string): RequestError {
  if (e instanceof RequestError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new RequestError(500, node ? `node ${node} failed: ${message}` : message, { ...(node ? { node } : {}), code: 'node_failed' });
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { routePath } from '../../shared/route-prefix.js';
import { bodyTooLarge, findTooDeep, tooDeep } from '../security/limits.js';
import { Cancel } from './cancel.js';
import type { Completion } from './completion.js';
import { clientGone, invalidJson, type RequestError } from './errors.js';
import type { ExecResult } from './executor.js';
import type { RouteTable, ServedGraph } from './interface.js';
import { type InvokeOptions, invoke } from './invoke.js';
import { HOLD_MS, RefusalHold } from './refusal-hold.js';

export interface DataPlaneOptions {
  requestTimeoutMs: number;
  jsonDepth: number;
  bodyLimitBytes: number;
}

const JSON_TYPE = 'application/json';

/** JSON text of a graph's answer; a node may return what JSON cannot hold (a cycle, a BigInt). */
export function toJsonText(body: unknown): { ok: true; text: string } | { ok: false; error: string } {
  try {
    return { ok: true, text: JSON.stringify(body ?? null) };
  } catch (e) {
    return { ok: false, error: `the graph's output is not JSON: ${(e as Error).message}` };
  }
}

const ignore = (): void => {};

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = toJsonText(body);
  if (!json.ok) {
    status = 500;
    headers = {};
  }
  const text = json.ok ? json.text : JSON.stringify({ error: json.error, code: 'output_not_json' });
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** How long a refused connection stays half-open, not read, before it is destroyed. */
const LINGER_MS = 1000;

function destroySocket(sock: Socket): void {
  sock.destroy();
}

/**
 * After a 413 with `Connection: close` is flushed, Node sends FIN and would
 * destroy the socket at once; with the client still writing, that is a RST,
 * and a RST can discard the 413 before the client reads it. So: stop reading
 * (the client's writes fill the socket buffers and block), keep the socket
 * half-open for LINGER_MS so the answer can be read, then destroy it.
 */
function stopReading(this: ServerResponse): void {
  const sock = this.req.socket;
  sock.removeListener('finish', sock.destroy);
  (sock as Socket & { _handle?: { readStop?: () => number } })._handle?.readStop?.();
  setTimeout(destroySocket, LINGER_MS, sock).unref();
}

/**
 * 413 and stop reading, as the control plane does: `Connection: close`, so the
 * unread rest cannot be taken for the next request, and nothing more is read
 * (a client that declared 1 TB would otherwise be read for as long as it writes).
 */
function refuseBody(req: IncomingMessage, res: ServerResponse, limit: number): void {
  req.pause();
  res.once('finish', stopReading);
  send(res, 413, bodyTooLarge(limit).body(), { connection: 'close' });
}

function resumeSocket(sock: Socket): void {
  if (!sock.destroyed) sock.resume();
}

/**
 * After a 503 is flushed, its connection is not read again for HOLD_MS (its
 * Retry-After is at least that long) when RefusalHold says so (refusals
 * saturate the main thread, or the connection is straight back from a hold):
 * a client re-sending at once waits in its own socket buffer, not in the event
 * loop ahead of replica replies.
 */
function holdSocket(this: ServerResponse): void {
  const sock = this.req.socket;
  if (sock.destroyed || !sock.readable) return;
  sock.pause();
  setTimeout(resumeSocket, HOLD_MS, sock);
}

function sendError(res: ServerResponse, e: RequestError, requestId?: string, hold?: RefusalHold): void {
  if (e.status !== 503) {
    send(res, e.status, e.body(requestId));
    return;
  }
  if (hold?.refused(res.req.socket)) res.on('finish', holdSocket);
  send(res, 503, e.body(requestId), { 'retry-after': String(e.extra.retryAfterS ?? 1) });
}

/**
 * One data-plane request, from its body to its answer: a single object, read by
 * module-level listeners (a closure per listener per request cost more). It is
 * also the request's Cancel: a client that closes the connection before the
 * answer aborts it, and its queued and unsent node calls never run.
 */
class DataRequest extends Cancel implements Completion<ExecResult, RequestError> {
  private first: Buffer | undefined;
  private chunks: Buffer[] | undefined;
  private size = 0;
  private refused = false;
  private requestId: string | undefined;
  private gone = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly graph: ServedGraph,
    private readonly opts: DataPlaneOptions,
    private readonly traced: boolean,
    private readonly hold: RefusalHold,
  ) {
    super();
  }

  /** The response closed: before the answer was written, the client went away. */
  closed(): void {
    if (this.res.writableFinished) return;
    this.gone = true;
    this.abort(clientGone('the HTTP client'));
  }

  data(c: Buffer): void {
    if (this.refused) return;
    this.size += c.length;
    if (this.size > this.opts.bodyLimitBytes) {
      this.refused = true;
      this.first = undefined;
      this.chunks = undefined;
      refuseBody(this.req, this.res, this.opts.bodyLimitBytes);
      return;
    }
    if (this.first === undefined) this.first = c;
    else if (this.chunks) this.chunks.push(c);
    else this.chunks = [this.first, c];
  }

  end(): void {
    if (this.refused) return;
    const { res, opts } = this;
    const header = this.req.headers['x-request-id'];
    const requestId = typeof header === 'string' && header.length > 0 && header.length <= 200 ? header : undefined;
    this.requestId = requestId;
    let input: unknown;
    const text = this.chunks ? Buffer.concat(this.chunks).toString('utf8') : this.first ? this.first.toString('utf8') : '';
    try {
      input = text.trim() === '' ? {} : JSON.parse(text);
    } catch (e) {
      sendError(res, invalidJson(e), requestId);
      return;
    }
    if (typeof input === 'object' && input !== null) {
      const deep = findTooDeep(input, opts.jsonDepth);
      if (deep !== undefined) {
        sendError(res, tooDeep(deep, opts.jsonDepth), requestId);
        return;
      }
    }
    const options: InvokeOptions = { timeoutMs: opts.requestTimeoutMs, trace: this.traced, cancel: this, headers: this.req.headers };
    if (requestId) options.requestId = requestId;
    res.on('close', onClose);
    invoke(this.graph, input, options, this);
  }

  // Called from inside the executor (no promise in between): a throw here must not reach the replica's message handler.
  done(r: ExecResult): void {
    try {
      send(this.res, 200, this.traced ? { requestId: r.requestId, output: r.output, trace: r.trace } : r.output, { 'x-request-id': r.requestId });
    } catch {
      this.res.destroy();
    }
  }

  failed(e: RequestError): void {
    if (this.gone) return;
    try {
      sendError(this.res, e, this.requestId, this.hold);
    } catch {
      this.res.destroy();
    }
  }
}

const READING = Symbol('beamline.dataRequest');
type Pending = IncomingMessage & { [READING]: DataRequest };
function onData(this: IncomingMessage, c: Buffer): void {
  (this as Pending)[READING].data(c);
}
function onEnd(this: IncomingMessage): void {
  (this as Pending)[READING].end();
}
function onClose(this: ServerResponse): void {
  (this.req as Pending)[READING].closed();
}

/**
 * The data plane, POST <routePrefix>, on plain node:http rather than Hono: it
 * is the hot path, and building a web Request per call cost more than the
 * whole graph (see docs/runtime.md, overhead). Returns false for requests
 * that are not for a deployed graph, which then go to the Hono app.
 */
export function dataPlane(routes: RouteTable, opts: DataPlaneOptions) {
  const hold = new RefusalHold();
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '/';
    const graph = routes.lookup(routePath(url));
    if (!graph) return false;
    const q = url.indexOf('?');
    const traced = q >= 0 && /(?:^|&)trace=(?:1|true)(?:&|$)/.test(url.slice(q + 1));
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > opts.bodyLimitBytes) {
      refuseBody(req, res, opts.bodyLimitBytes);
      return true;
    }
    (req as Pending)[READING] = new DataRequest(req, res, graph, opts, traced, hold);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', ignore);
    return true;
  };
}

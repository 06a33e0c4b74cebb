import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { jsonPath } from '../../shared/errors.js';
import { invalidJson, RequestError } from '../dataplane/errors.js';

/** Largest request body (HTTP) or socket.io message accepted by default. */
export const DEFAULT_BODY_LIMIT_BYTES = 10 * 1024 * 1024;
/** Deepest nesting of objects and arrays accepted in a JSON body or socket.io payload. */
export const DEFAULT_JSON_DEPTH = 64;

export interface InputLimits {
  bodyLimitBytes: number;
  jsonDepth: number;
}

export const DEFAULT_LIMITS: InputLimits = { bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES, jsonDepth: DEFAULT_JSON_DEPTH };

/** "10mb", "512kb", "1048576" -> bytes; for --body-limit. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?\s*$/i.exec(text);
  if (!m) throw new Error(`"${text}" is not a size; write e.g. 10mb, 512kb or a number of bytes`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const n = Math.floor(Number(m[1]) * mult);
  if (n < 1) throw new Error(`body limit must be at least 1 byte, got "${text}"`);
  return n;
}

export function formatSize(bytes: number): string {
  if (bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

const isContainer = (v: unknown): boolean => typeof v === 'object' && v !== null;

/**
 * JSON path of the first value nested deeper than maxDepth, or undefined.
 * Iterative, so a hostile document cannot overflow the stack here (zod and the
 * executor recurse, which is why this runs before them).
 */
export function findTooDeep(value: unknown, maxDepth: number): string | undefined {
  if (!nestsDeeperThan(value, maxDepth)) return undefined;
  const stack: { v: unknown; depth: number; path: PropertyKey[] }[] = [{ v: value, depth: 0, path: [] }];
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > maxDepth) return jsonPath(path);
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) if (isContainer(v[i])) stack.push({ v: v[i], depth: depth + 1, path: [...path, i] });
    } else {
      for (const [k, child] of Object.entries(v)) if (isContainer(child)) stack.push({ v: child, depth: depth + 1, path: [...path, k] });
    }
  }
  return undefined;
}

/**
 * Whether anything is nested deeper than maxDepth: the per-request check, with
 * no path bookkeeping (findTooDeep names the path only when this says yes).
 * Iterative for the same reason as findTooDeep; the stack holds value, depth pairs.
 */
function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: unknown[] = [value, 1];
  while (stack.length > 0) {
    const depth = stack.pop() as number;
    const v = stack.pop() as Record<string, unknown>;
    if (depth > maxDepth) return true;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const c = v[i];
        if (typeof c === 'object' && c !== null) stack.push(c, depth + 1);
      }
    } else {
      for (const k in v) {
        const c = v[k];
        if (typeof c === 'object' && c !== null) stack.push(c, depth + 1);
      }
    }
  }
  return false;
}

/** The 413 for a body (or socket.io message) over the limit; the one place it is worded. */
export function bodyTooLarge(limitBytes: number): RequestError {
  return new RequestError(413, `request body is larger than the ${formatSize(limitBytes)} limit`, { path: '$', code: 'body_too_large' });
}

/** The 400 for JSON nested deeper than maxDepth, at the path findTooDeep() names; the one place it is worded. */
export function tooDeep(path: string, maxDepth: number): RequestError {
  return new RequestError(400, `JSON nested deeper than ${maxDepth} levels at ${path}`, { path, code: 'too_deep' });
}

/** 413 with a JSON body naming the limit, for HTTP requests over bodyLimitBytes. */
export function bodyLimitMiddleware(maxBytes: number = DEFAULT_BODY_LIMIT_BYTES): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    // Connection: close, so the unread rest of the body cannot be mistaken for the next request on a reused socket.
    onError: (c) => c.json(bodyTooLarge(maxBytes).body(), 413, { connection: 'close' }),
  });
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Parses JSON bodies once, before any route: malformed JSON is a 400 at `$`,
 * over-deep JSON a 400 naming the path. Routes then read the same text through
 * c.req.json() (Hono caches the body).
 */
export function jsonGuardMiddleware(maxDepth: number = DEFAULT_JSON_DEPTH): MiddlewareHandler {
  return async (c, next) => {
    if (!BODY_METHODS.has(c.req.method)) return next();
    const type = c.req.header('content-type') ?? '';
    if (!/\bjson\b/i.test(type)) return next();
    const text = await c.req.text();
    if (text.trim() === '') return next();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return c.json(invalidJson(e).body(), 400);
    }
    const deep = findTooDeep(value, maxDepth);
    if (deep !== undefined) return c.json(tooDeep(deep, maxDepth).body(), 400);
    return next();
  };
}

/** Both HTTP input bounds, in the order they must run. */
export function inputLimitMiddleware(limits: InputLimits = DEFAULT_LIMITS): MiddlewareHandler[] {
  return [bodyLimitMiddleware(limits.bodyLimitBytes), jsonGuardMiddleware(limits.jsonDepth)];
}

/** Most nodes and bytes (of JSON) in one deployed graph: compiling and storing it blocks the event loop. */
export const DEFAULT_MAX_GRAPH_NODES = 2000;
export const DEFAULT_MAX_GRAPH_BYTES = 5 * 1024 * 1024;

export interface GraphBounds {
  maxGraphNodes: number;
  maxGraphBytes: number;
}

export const DEFAULT_GRAPH_BOUNDS: GraphBounds = { maxGraphNodes: DEFAULT_MAX_GRAPH_NODES, maxGraphBytes: DEFAULT_MAX_GRAPH_BYTES };

/**
 * 413 naming `$.nodes` or `$` when a graph document is over the server's bounds;
 * checked before the compiler sees it. A value JSON cannot hold is left to the
 * compiler, which names the problem.
 */
export function graphTooLarge(source: unknown, bounds: GraphBounds): { status: 413; error: string; path: string } | undefined {
  const nodes = (source as { nodes?: unknown } | null)?.nodes;
  if (Array.isArray(nodes) && nodes.length > bounds.maxGraphNodes) {
    return { status: 413, path: '$.nodes', error: `the graph has ${nodes.length} nodes; this server deploys graphs of up to ${bounds.maxGraphNodes} (--max-graph-nodes)` };
  }
  let text: string | undefined;
  try {
    text = typeof source === 'string' ? source : JSON.stringify(source);
  } catch {
    return undefined;
  }
  const bytes = text === undefined ? 0 : Buffer.byteLength(text);
  if (bytes > bounds.maxGraphBytes) {
    return { status: 413, path: '$', error: `the graph is ${bytes} bytes of JSON; this server deploys graphs of up to ${formatSize(bounds.maxGraphBytes)} (--max-graph-size)` };
  }
  return undefined;
}

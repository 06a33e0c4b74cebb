import { Hono } from 'hono';
import type { Controller } from '../controller.js';
import { RequestError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { findTooDeep } from '../security/limits.js';
import { invokeGraph } from './invoke.js';

export interface DataPlaneOptions {
  requestTimeoutMs: number;
  jsonDepth: number;
}

function errorResponse(e: RequestError, requestId?: string): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (e.status === 503) headers['retry-after'] = String(e.extra.retryAfterS ?? 1);
  return new Response(JSON.stringify(e.body(requestId)), { status: e.status, headers });
}

/** POST <routePrefix>: the graph's input JSON in, its output JSON out (`?trace=1` adds the per-node trace). */
export function dataRoutes(ctl: Controller, metrics: () => Metrics, opts: DataPlaneOptions): Hono {
  const app = new Hono();
  app.post('*', async (c) => {
    const path = c.req.path;
    const dep = ctl.byRoute(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
    if (!dep) return errorResponse(new RequestError(404, `no graph is served at POST ${path}`, { code: 'unknown_graph' }));
    let input: unknown;
    const text = await c.req.text();
    try {
      input = text.trim() === '' ? {} : JSON.parse(text);
    } catch (e) {
      return errorResponse(new RequestError(400, `request body is not valid JSON: ${(e as Error).message}`, { path: '$', code: 'invalid_json' }));
    }
    const deep = findTooDeep(input, opts.jsonDepth);
    if (deep !== undefined) return errorResponse(new RequestError(400, `JSON nested deeper than ${opts.jsonDepth} levels at ${deep}`, { path: deep, code: 'too_deep' }));
    const requestId = c.req.header('x-request-id') || undefined;
    try {
      const r = await invokeGraph(dep, metrics(), input, { timeoutMs: opts.requestTimeoutMs, ...(requestId ? { requestId } : {}) });
      const traced = c.req.query('trace');
      const body = traced === '1' || traced === 'true' ? { requestId: r.requestId, output: r.output, trace: r.trace } : r.output;
      return new Response(JSON.stringify(body ?? null), { headers: { 'content-type': 'application/json', 'x-request-id': r.requestId } });
    } catch (e) {
      return errorResponse(e as RequestError, requestId);
    }
  });
  return app;
}

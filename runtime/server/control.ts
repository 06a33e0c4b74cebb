import { zValidator } from '@hono/zod-validator';
import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { Catalog } from '../../shared/catalog/index.js';
import type { CompileErrorResponse, DeployResponse } from '../../shared/protocol.js';
import type { ClusterLedger } from '../controlplane/cluster.js';
import type { Controller } from '../controlplane/controller.js';
import { catalogJson } from './catalog-json.js';
import { openApiDocument } from './openapi.js';
import { invalidRequest, NameParam } from './validation.js';
import type { PersistedControl } from './versions.js';

/** Only the outer shape is checked here; the compiler reports everything inside with JSON paths. */
const GraphBody = z.record(z.string(), z.unknown());

/** An empty or blank body is no graph: 400 at `$` here (the JSON validator would throw, a 500). */
const requireBody: MiddlewareHandler = async (c, next) => {
  if ((await c.req.text()).trim() !== '') return next();
  const message = 'the request body is empty: send the graph document as a JSON object';
  return c.json({ error: message, errors: [{ code: 'invalid_json', path: '$', message }] } satisfies CompileErrorResponse, 400);
};

/** POST /api/graphs, /api/graphs/:name, /api/catalog, /api/cluster, /api/openapi.json: thin handlers over the controller. */
export function controlRoutes(ctl: Controller, catalog: Catalog, customKinds: ReadonlySet<string>, ledger: ClusterLedger, persisted?: PersistedControl): Hono {
  const app = new Hono();
  app.post('/api/graphs', requireBody, zValidator('json', GraphBody, invalidRequest('graph (the body must be a JSON object)')), async (c) => {
    const r = persisted ? await persisted.deploy(c, c.req.valid('json')) : await ctl.deploy(c.req.valid('json'));
    if (!r.ok) return c.json({ error: r.error, errors: r.errors } satisfies CompileErrorResponse, r.status);
    const status = r.deployment.status();
    return c.json({ name: status.name, version: status.version, status, ...(r.release ? { release: r.release } : {}) } satisfies DeployResponse, r.deployment.version === 1 ? 201 : 200);
  });
  // GET /api/graphs is runtime/server/deployments.ts: it also lists deploys in progress.
  app.get('/api/graphs/:name', zValidator('param', NameParam, invalidRequest('graph name')), (c) => {
    const { name } = c.req.valid('param');
    const dep = ctl.get(name);
    if (!dep) return c.json({ error: `no graph named "${name}" is deployed` }, 404);
    return c.json({ ...dep.status(), graph: dep.plan.graph });
  });
  app.delete('/api/graphs/:name', zValidator('param', NameParam, invalidRequest('graph name')), async (c) => {
    const { name } = c.req.valid('param');
    const r = persisted ? await persisted.remove(name) : { ok: true as const, removed: await ctl.remove(name) };
    if (!r.ok) return c.json({ error: r.error, errors: r.errors } satisfies CompileErrorResponse, r.status);
    if (!r.removed) return c.json({ error: `no graph named "${name}" is deployed` }, 404);
    return c.json({ deleted: name });
  });
  app.get('/api/catalog', (c) => c.json(catalogJson(catalog, customKinds)));
  app.get('/api/cluster', (c) => c.json(ledger.status()));
  app.get('/api/openapi.json', (c) => c.json(openApiDocument()));
  return app;
}

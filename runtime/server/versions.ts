import { zValidator } from '@hono/zod-validator';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { DeployResult } from '../controlplane/controller.js';
import { invalidJson } from '../dataplane/errors.js';
import type { PersistedSettings, PersistentDeployer, RemoveResult } from '../controlplane/persistence.js';
import { releaseQuery } from './releases.js';
import { invalidRequest, NameParam } from './validation.js';

/**
 * Versions of a graph name: list them, read one (the editor opens it), roll back.
 * Also how a deploy request's query string becomes its persisted settings.
 */

const VersionParam = NameParam.extend({ version: z.coerce.number().int().min(1) });
const RollbackBody = z.object({ version: z.number().int().min(1).optional().describe('Version to go back to; default: the one before the active version.') }).strict();

/**
 * `?dataPlane=open|token&tokenEnv=NAME` on POST /api/graphs: how the graph's route is
 * protected. Only a choice made here is stored (marked explicit); without one the
 * graph follows the server's token at run time, also after a restart with a token.
 */
export function deploySettings(c: Context): { ok: true; settings: PersistedSettings } | { ok: false; error: string; path: string } {
  const auth = c.req.query('dataPlane');
  const tokenEnv = c.req.query('tokenEnv');
  if (auth !== undefined && auth !== 'open' && auth !== 'token') return { ok: false, error: `dataPlane must be "open" or "token", not ${JSON.stringify(auth)}`, path: '?dataPlane' };
  if (tokenEnv !== undefined && !/^[A-Z_][A-Z0-9_]{0,127}$/.test(tokenEnv)) return { ok: false, error: 'tokenEnv names an environment variable: upper-case letters, digits and _', path: '?tokenEnv' };
  if (auth === undefined && tokenEnv === undefined) return { ok: true, settings: {} };
  return { ok: true, settings: { dataPlane: { auth: auth ?? 'token', ...(tokenEnv ? { tokenEnv } : {}), explicit: true } } };
}

/** What control.ts calls for POST /api/graphs and DELETE /api/graphs/:name, so deploys are recorded. */
export interface PersistedControl {
  deploy(c: Context, graph: unknown): Promise<DeployResult>;
  remove(name: string): Promise<RemoveResult>;
}

export function persistedControl(deployer: PersistentDeployer): PersistedControl {
  return {
    async deploy(c, graph) {
      const s = deploySettings(c);
      if (!s.ok) return { ok: false, status: 400, error: s.error, errors: [{ code: 'invalid_document', path: s.path, message: s.error }] };
      // ?canary=N / ?shadow=N: the new version is released beside the serving one (docs/releases.md).
      const rel = releaseQuery(c);
      if (!rel.ok) return { ok: false, status: 400, error: rel.error, errors: [{ code: 'invalid_document', path: rel.path, message: rel.error }] };
      return deployer.deploy(graph, s.settings, undefined, rel.release);
    },
    remove: (name) => deployer.remove(name),
  };
}

export function versionRoutes(deployer: PersistentDeployer): Hono {
  const app = new Hono();
  app.get('/api/graphs/:name/versions', zValidator('param', NameParam, invalidRequest('graph name')), (c) => {
    const { name } = c.req.valid('param');
    const deploying = deployer.deployingVersion(name);
    const versions = deployer.store.versions(name).map((v) => (v.version === deploying && v.status === 'never-activated' ? { ...v, status: 'deploying' as const } : v));
    if (versions.length === 0) return c.json({ error: `graph ${name} has never been deployed` }, 404);
    return c.json({ name, active: deployer.store.activeVersion(name) ?? null, versions });
  });
  app.get('/api/graphs/:name/versions/:version', zValidator('param', VersionParam, invalidRequest('graph version')), (c) => {
    const { name, version } = c.req.valid('param');
    const v = deployer.store.get(name, version);
    if (!v) return c.json({ error: `graph ${name} has no version ${version}` }, 404);
    return c.json({ name, version, createdAt: v.createdAt, active: deployer.store.activeVersion(name) === version, graph: v.graph, ...(v.rolledBackFrom ? { rolledBackFrom: v.rolledBackFrom } : {}) });
  });
  app.post('/api/graphs/:name/rollback', zValidator('param', NameParam, invalidRequest('graph name')), async (c) => {
    const { name } = c.req.valid('param');
    let body: unknown = {};
    const text = await c.req.text();
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch (e) {
        return c.json(invalidJson(e).body(), 400);
      }
    }
    const parsed = RollbackBody.safeParse(body);
    if (!parsed.success) return invalidRequest('rollback')(parsed, c);
    const r = await deployer.rollback(name, parsed.data.version);
    if (!r.ok) return c.json({ error: r.error, errors: r.errors }, r.status);
    const status = r.deployment.status();
    return c.json({ name, version: status.version, rolledBackFrom: r.from, status });
  });
  return app;
}

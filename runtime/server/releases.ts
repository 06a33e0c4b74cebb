import { zValidator } from '@hono/zod-validator';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { CanaryPolicySchema, ShadowPolicySchema } from '../../shared/release.js';
import type { Controller } from '../controlplane/controller.js';
import type { ReleaseRequest } from '../controlplane/release/release.js';
import { invalidRequest, NameParam } from './validation.js';

/**
 * Releases over HTTP: the query string of POST /api/graphs?canary=N or ?shadow=N, and
 * GET /api/graphs/:name/release, POST /api/graphs/:name/release/promote|rollback|abort.
 * The logic is runtime/controlplane/release/; docs/releases.md describes it.
 */

const ActionParam = NameParam.extend({ action: z.enum(['promote', 'rollback', 'abort']) });

type Parsed = { ok: true; release?: ReleaseRequest } | { ok: false; error: string; path: string };

/** A query value as a number, or why not (naming the parameter). */
function num(c: Context, key: string): number | undefined | { error: string; path: string } {
  const raw = c.req.query(key);
  if (raw === undefined) return undefined;
  const n = raw.trim() === '' ? Number.NaN : Number(raw);
  return Number.isFinite(n) ? n : { error: `?${key} must be a number, not ${JSON.stringify(raw)}`, path: `?${key}` };
}

const isError = (v: unknown): v is { error: string; path: string } => typeof v === 'object' && v !== null;

/** Maps a policy field the schema refused to the query parameter that set it. */
const PARAM: Record<string, string> = { steps: 'steps', windowRequests: 'windowRequests', windowMs: 'windowMs', maxErrorRateIncrease: 'maxErrorRateIncrease', maxP99Ratio: 'maxP99Ratio', check: 'checkPath', share: 'shadow', tolerance: 'tolerance' };

function zodError(e: z.ZodError, fallback: string): { ok: false; error: string; path: string } {
  const issue = e.issues[0];
  const field = String(issue?.path[0] ?? '');
  const path = `?${PARAM[field] ?? fallback}`;
  return { ok: false, error: `${path}: ${issue?.message ?? 'invalid'}`, path };
}

/** `?canary=10[&steps=10,50,100&windowRequests=&windowMs=&maxErrorRateIncrease=&maxP99Ratio=&checkPath=&checkEquals=]` or `?shadow=100[&tolerance=]`. */
export function releaseQuery(c: Context): Parsed {
  const canary = num(c, 'canary');
  const shadow = num(c, 'shadow');
  for (const v of [canary, shadow]) if (isError(v)) return { ok: false, ...v };
  if (canary !== undefined && shadow !== undefined) return { ok: false, error: '?canary and ?shadow cannot both be given: release one way at a time', path: '?shadow' };
  if (typeof shadow === 'number') {
    if (!(shadow > 0 && shadow <= 100)) return { ok: false, error: `?shadow is the percent of requests mirrored: above 0 and at most 100, not ${shadow}`, path: '?shadow' };
    const tolerance = num(c, 'tolerance');
    if (isError(tolerance)) return { ok: false, ...tolerance };
    const r = ShadowPolicySchema.safeParse({ share: shadow, ...(tolerance !== undefined ? { tolerance } : {}) });
    return r.success ? { ok: true, release: { mode: 'shadow', shadow: r.data } } : zodError(r.error, 'shadow');
  }
  if (typeof canary !== 'number') return { ok: true };
  if (!(canary > 0 && canary <= 100)) return { ok: false, error: `?canary is the percent of requests the new version takes first: above 0 and at most 100, not ${canary}`, path: '?canary' };
  let steps: number[] = canary >= 50 ? [canary, 100] : [canary, 50, 100];
  const rawSteps = c.req.query('steps');
  if (rawSteps !== undefined) {
    steps = rawSteps.split(',').map((s) => (s.trim() === '' ? Number.NaN : Number(s)));
    if (steps.some((s) => !Number.isFinite(s))) return { ok: false, error: `?steps is a comma-separated list of percents, e.g. 10,50,100, not ${JSON.stringify(rawSteps)}`, path: '?steps' };
    if (steps[0] !== canary) return { ok: false, error: `?steps starts at the canary share (${canary}), not ${steps[0]}`, path: '?steps' };
    if (steps.some((s, i) => i > 0 && s <= steps[i - 1])) return { ok: false, error: `?steps must go up: ${rawSteps}`, path: '?steps' };
    if (steps.at(-1) !== 100) return { ok: false, error: `?steps ends at 100 (the new version takes every request), not ${steps.at(-1)}`, path: '?steps' };
  }
  const policy: Record<string, unknown> = { steps };
  for (const key of ['windowRequests', 'windowMs', 'maxErrorRateIncrease', 'maxP99Ratio']) {
    const v = num(c, key);
    if (isError(v)) return { ok: false, ...v };
    if (v !== undefined) policy[key] = v;
  }
  const checkPath = c.req.query('checkPath');
  const checkEquals = c.req.query('checkEquals');
  if (checkEquals !== undefined && checkPath === undefined) return { ok: false, error: '?checkEquals needs ?checkPath (the output field it applies to)', path: '?checkEquals' };
  if (checkPath !== undefined) {
    if (checkPath.trim() === '') return { ok: false, error: '?checkPath names an output field, e.g. label or scores.0', path: '?checkPath' };
    // A value that reads as JSON (a number, true/false, a quoted string) is taken as such; anything else is a string.
    let equals: unknown = checkEquals;
    if (checkEquals !== undefined) {
      try {
        equals = JSON.parse(checkEquals);
      } catch {}
      if (typeof equals === 'object') equals = checkEquals;
    }
    policy.check = { path: checkPath, ...(equals !== undefined ? { equals } : {}) };
  }
  const r = CanaryPolicySchema.safeParse(policy);
  return r.success ? { ok: true, release: { mode: 'canary', canary: r.data } } : zodError(r.error, 'canary');
}

/** GET the release of a graph (running, else the last one that ended); a person's promote, rollback or abort. */
export function releaseRoutes(ctl: Controller): Hono {
  const app = new Hono();
  app.get('/api/graphs/:name/release', zValidator('param', NameParam, invalidRequest('graph name')), (c) => {
    const { name } = c.req.valid('param');
    const rel = ctl.release(name);
    if (!rel) return c.json({ error: `graph ${name} has no release (deploy with ?canary=N or ?shadow=N to start one)` }, 404);
    return c.json(rel.status());
  });
  app.post('/api/graphs/:name/release/:action', zValidator('param', ActionParam, invalidRequest('release action (promote, rollback or abort)')), (c) => {
    const { name, action } = c.req.valid('param');
    const rel = ctl.release(name);
    if (!rel) return c.json({ error: `graph ${name} has no release to ${action}` }, 404);
    const refused = rel.act(action);
    if (refused) return c.json({ error: refused, release: rel.status() }, 409);
    return c.json(rel.status());
  });
  return app;
}

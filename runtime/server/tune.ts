import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import type { Catalog } from '../../shared/catalog/index.js';
import { compile } from '../../shared/compile.js';
import type { Cluster } from '../../shared/placement.js';
import type { PortType } from '../../shared/ports.js';
import type { CompileErrorResponse } from '../../shared/protocol.js';
import type { ProfileStatus, TuneProfileConflict, TuneResponse } from '../../shared/tune-api.js';
import type { TuneResources } from '../../shared/tuning.js';
import { checkInputFields, type InputLimits } from '../dataplane/inline/input-fields.js';
import { applySettings } from '../tune/apply.js';
import { TuneError } from '../tune/errors.js';
import type { ProfileJobs } from '../tune/jobs.js';
import { serverProfilePath } from '../tune/jobs.js';
import { thisMachine } from '../tune/machine.js';
import { checkProfile, readProfile } from '../tune/profile-file.js';
import { tune } from '../tune/search.js';
import { invalidRequest } from './validation.js';

const Document = z.record(z.string(), z.unknown());
const ProfileBody = z
  .object({
    graph: Document.describe('The graph document to profile.'),
    inputs: z.array(z.record(z.string(), z.unknown())).min(1).max(10_000).optional().describe("Sample requests for the input node (its fields); generated from the fields' types when absent."),
  })
  .strict();
const TuneBody = z
  .object({
    graph: Document.describe('The graph document to tune.'),
    qps: z.number().positive().max(1_000_000).describe('Target rate, requests per second.'),
    p99Ms: z.number().positive().max(3_600_000).describe('End-to-end p99 bound, milliseconds.'),
    cpus: z.number().positive().max(100_000).optional().describe("CPUs to tune for (default: the server's cluster)."),
    gpus: z.number().int().min(0).max(10_000).optional().describe("GPUs to tune for (default: the server's cluster)."),
  })
  .strict();
const StatusBody = z.object({ graph: Document.describe('The graph document whose profile is asked for.') }).strict();
const IdParam = z.object({ id: z.string().uuid('a profile job id is a UUID') });

type Profile = ReturnType<typeof readProfile>;

/** The server's profile of this plan, or why there is none fit to tune with (no file, another machine, another version). */
function storedProfile(dataDir: string, plan: Parameters<typeof serverProfilePath>[1]): { ok: true; profile: Profile } | { ok: false; conflict: TuneProfileConflict } {
  let profile: Profile;
  try {
    profile = readProfile(serverProfilePath(dataDir, plan));
  } catch {
    return {
      ok: false,
      conflict: {
        error: `no profile of graph ${plan.name} as it is now on this server`,
        code: 'no_profile',
        fix: 'profile it first: POST /api/profile with the graph (the editor: Profile in Placement → Tune for a target)',
      },
    };
  }
  const stale = checkProfile(profile, plan, thisMachine());
  if (stale) return { ok: false, conflict: { error: stale, code: 'stale_profile', fix: 'profile the graph again: POST /api/profile' } };
  return { ok: true, profile };
}

export interface TuneRouteOptions {
  catalog: Catalog;
  jobs: ProfileJobs;
  dataDir: string;
  /** The cluster the server places against (a tune without cpus/gpus is for it). */
  cluster(): Cluster;
}

/** POST /api/profile (a job), GET /api/profile/:id, POST /api/tune: thin handlers over runtime/tune/. */
export function tuneRoutes(o: TuneRouteOptions): Hono {
  const app = new Hono();
  const compiled = (doc: unknown) => compile(doc, o.catalog);
  const compileError = (errors: CompileErrorResponse['errors']): CompileErrorResponse => ({ error: `graph has ${errors.length} error${errors.length > 1 ? 's' : ''}`, errors });

  app.post('/api/profile', zValidator('json', ProfileBody, invalidRequest('profile request')), (c) => {
    const body = c.req.valid('json');
    const r = compiled(body.graph);
    if (!r.ok) return c.json(compileError(r.errors), 400);
    // Inputs are checked as requests would be: one that does not match the input node is refused before anything runs.
    const input = r.plan.nodes[r.plan.inputNode].config as unknown as { fields: Record<string, PortType> } & InputLimits;
    for (const [i, sample] of (body.inputs ?? []).entries()) {
      const problem = checkInputFields(sample, input.fields, input);
      if (problem) {
        const path = `$.inputs[${i}]${problem.path.slice(1)}`;
        return c.json({ error: `inputs[${i}] does not match input node ${r.plan.inputNode}: ${problem.message}`, path, code: 'bad_request' }, 400);
      }
    }
    const started = o.jobs.start(r.plan, body.inputs);
    if (!started.ok) return c.json({ error: `the server is profiling graph ${started.busy.graph} (job ${started.busy.id}); one profile runs at a time, try again when it ends`, code: 'profile_running', job: started.busy }, 409);
    return c.json(started.job, started.existing ? 200 : 202);
  });

  app.post('/api/profile/status', zValidator('json', StatusBody, invalidRequest('profile status request')), (c) => {
    const r = compiled(c.req.valid('json').graph);
    if (!r.ok) return c.json(compileError(r.errors), 400);
    const stored = storedProfile(o.dataDir, r.plan);
    return c.json((stored.ok ? { fresh: true } : { fresh: false, ...stored.conflict }) satisfies ProfileStatus);
  });

  app.get('/api/profile/:id', zValidator('param', IdParam, invalidRequest('profile job id')), (c) => {
    const { id } = c.req.valid('param');
    const job = o.jobs.get(id);
    return job ? c.json(job) : c.json({ error: `no profile job ${id}`, code: 'unknown_job' }, 404);
  });

  app.post('/api/tune', zValidator('json', TuneBody, invalidRequest('tune request')), (c) => {
    const body = c.req.valid('json');
    const r = compiled(body.graph);
    if (!r.ok) return c.json(compileError(r.errors), 400);
    const plan = r.plan;
    const stored = storedProfile(o.dataDir, plan);
    if (!stored.ok) return c.json(stored.conflict, 409);
    const profile = stored.profile;
    const cluster = o.cluster();
    const resources: TuneResources =
      body.cpus !== undefined || body.gpus !== undefined
        ? { cpus: body.cpus ?? cluster.machines.reduce((s, m) => s + m.cpus, 0), gpus: body.gpus ?? cluster.machines.reduce((s, m) => s + m.gpus.length, 0) }
        : { cluster };
    try {
      const result = tune(plan, profile, { qps: body.qps, p99Ms: body.p99Ms }, resources);
      const answer: TuneResponse = result.ok ? { ...result, graph: applySettings(plan.graph, result.settings) } : result;
      return c.json(answer);
    } catch (e) {
      if (e instanceof TuneError) return c.json({ error: e.message, code: 'tune_failed', ...(e.fix ? { fix: e.fix } : {}), ...(e.node ? { node: e.node } : {}) }, 422);
      throw e;
    }
  });
  return app;
}

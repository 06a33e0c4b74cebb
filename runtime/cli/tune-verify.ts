// `beamline tune … --verify`: the tuned graph deployed (on --server, or on a server started here
// with the tune's resources) and measured under open-loop load at --qps (runtime/tune/verify.ts).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Graph } from '../../shared/graph.js';
import type { Plan } from '../../shared/plan.js';
import type { Cluster } from '../../shared/placement.js';
import type { Prediction, Profile } from '../../shared/tuning.js';
import { printJson } from './print.js';
import type { ServerCliOptions } from './server-client.js';
import { tuneErrorText } from './tune-common.js';

export interface VerifyCliContext {
  plan: Plan;
  profile: Profile;
  prediction: Prediction;
  tuned: Graph;
  /** The graph file's folder (retriever docs resolve against it) and the custom kind modules. */
  dir: string;
  modules: string[];
  qps: number;
  /** The cluster the tune was for: a server started here gets its CPUs, memory and GPUs. */
  cluster: Cluster;
  /** A running server to deploy on instead (--server given). */
  server?: ServerCliOptions;
  requests?: number;
  /** Print JSON: this document (the TuneResult) with the report added as `verify`, or the failure as `verifyError`. */
  json?: Record<string, unknown>;
}

/** Prints measured vs predicted; 0 when the load ran, 1 when the graph could not be deployed or loaded (the message names why). */
export async function verifyCommand(c: VerifyCliContext): Promise<number> {
  const { parseSamples, generateSamples } = await import('../tune/inputs.js');
  const { verify, formatVerify } = await import('../tune/verify.js');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    // The inputs the profile was measured with, so the load is what was profiled.
    const bodies = c.profile.inputs.file ? parseSamples(readFileSync(resolve(c.dir, c.profile.inputs.file), 'utf8'), c.profile.inputs.file, c.plan) : generateSamples(c.plan, Math.max(8, c.profile.inputs.count));
    const server = c.server ?? { start: () => startHere(c) };
    const report = await verify({
      graph: c.tuned,
      prediction: c.prediction,
      qps: c.qps,
      bodies,
      server,
      log,
      ...(c.requests !== undefined ? { requests: c.requests } : {}),
      ...(c.profile.loadAverage !== undefined ? { profiledLoadAverage: c.profile.loadAverage } : {}),
    });
    if (c.json) printJson({ ...c.json, verify: report });
    else process.stdout.write(`${formatVerify(report).join('\n')}\n`);
    return 0;
  } catch (e) {
    if (c.json) printJson({ ...c.json, verifyError: (e as Error).message });
    process.stderr.write(`${tuneErrorText(e)}\n`);
    return 1;
  }
}

/** A server on a free loopback port with the tune's resources, closed when the load ends. */
async function startHere(c: VerifyCliContext) {
  if (c.cluster.machines.length !== 1) {
    const { TuneError } = await import('../tune/errors.js');
    throw new TuneError(`verify: the tune was for ${c.cluster.machines.length} machines; a server started here is one`, 'verify against a server that has them: --server <url>');
  }
  const m = c.cluster.machines[0];
  const { createServer } = await import('../server/index.js');
  const s = await createServer({
    port: 0,
    host: '127.0.0.1',
    cpus: m.cpus,
    memoryMb: m.memoryMb,
    // Declared GPUs are declared again; real ones are detected by the server as `serve` would.
    ...(m.gpus.some((g) => g.virtual) ? { gpus: m.gpus.length, gpuMemoryMb: m.gpus[0].memoryMb } : {}),
    nodes: c.modules,
    log: () => {},
  });
  return {
    url: s.url,
    close: () => s.close(),
    async deploy(graph: unknown) {
      const r = await s.deploy(graph, c.dir);
      return r.ok ? { ok: true as const } : { ok: false as const, error: r.error, errors: r.errors };
    },
  };
}

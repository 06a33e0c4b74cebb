// Synthetic plans and profiles with known service times, for the model and search tests.
import { BUILTIN_KINDS, Catalog } from '../../shared/catalog/index.js';
import { compile } from '../../shared/compile.js';
import type { Plan } from '../../shared/plan.js';
import { PROFILE_FORMAT, PROFILE_VERSION, type NodeProfile, type Profile, type ProfilePoint } from '../../shared/tuning.js';
import { thisMachine } from '../../runtime/tune/index.js';
import { graph } from '../runtime/helpers.js';
import { broken, echo, service } from '../fixtures/nodes/testkit.js';

export const catalog = new Catalog([...BUILTIN_KINDS, echo, service, broken]);

type Spec = { id: string; kind: 'test-echo' | 'test-service' | 'output'; deployment?: Record<string, unknown> };

/** A compiled plan of input -> nodes -> output with the given edges. */
export function planOf(nodes: Spec[], edges: [string, string][], multipleOutputs = false): Plan {
  const r = compile(graph('syn', nodes, edges, multipleOutputs ? { multipleOutputs } : {}), catalog);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.plan;
}

/** Service stats of a nearly constant time (spread ±5 %). */
export function stats(ms: number) {
  return { p50: ms, p90: ms * 1.03, p99: ms * 1.05, mean: ms, std: ms * 0.02, min: ms * 0.97 };
}

export function point(batch: number, concurrency: number, ms: number): ProfilePoint {
  return { batch, concurrency, serviceMs: stats(ms), samples: 30, throughput: (concurrency * 1000) / ms };
}

/**
 * A node whose call of b items takes fixedMs + perItemMs x b at concurrency 1; at concurrency k
 * a call takes `ms x k / speedup(k)` (speedup 1: CPU-bound, k: perfectly parallel).
 */
export function nodeProfile(kind: string, o: { fixedMs: number; perItemMs?: number; batches?: number[]; speedup?: (k: number) => number; cpus?: number; gpus?: number; reach?: number }): NodeProfile {
  const per = o.perItemMs ?? 0;
  const batches = o.batches ?? [1];
  const at = (b: number) => o.fixedMs + per * b;
  const points = batches.map((b) => point(b, 1, at(b)));
  for (const k of [2, 4]) points.push(point(1, k, (at(1) * k) / (o.speedup ?? (() => 1))(k)));
  return { kind, batchable: batches.length > 1, runsIn: 'replica', measuredWith: { cpus: o.cpus ?? 1, gpus: o.gpus ?? 0 }, points, reach: o.reach ?? 1 };
}

export function profileOf(plan: Plan, nodes: Record<string, NodeProfile>): Profile {
  return { format: PROFILE_FORMAT, version: PROFILE_VERSION, graph: { name: plan.name, hash: 'x' }, machine: thisMachine(), measuredAt: new Date(0).toISOString(), inputs: { source: 'generated', count: 1 }, durationS: 0, nodes };
}

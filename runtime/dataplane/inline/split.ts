import type { PlanNode } from '../../../shared/plan.js';
import type { NodeOutputs } from '../../nodes/types.js';
// Type only: executor.ts imports the inline nodes (through runtime/kinds.ts), so a value import would be a cycle.
import type { RequestHeaders } from '../executor.js';
import { branchSeed, fnv1a, rendezvous, weightedPick } from './split-hash.js';
import { readPath } from './switch-condition.js';

/** The split kind's config as its catalog schema (shared/catalog/split.ts) parsed it. */
export interface SplitConfig {
  branches: { port: string; weight: number }[];
  sticky?: { header: string } | { path: string };
}

/** A counter the control plane reads (a metrics series: `value` only grows). */
export interface SplitCounter {
  value: number;
}

/** What one split node needs per request, built once per PlanNode rather than per call. */
class SplitState {
  readonly ports: string[];
  readonly weights: Float64Array;
  readonly cumulative: Float64Array;
  readonly seeds: Uint32Array;
  /** Requests sent down each branch since these weights took effect (the live share). */
  readonly taken: Float64Array;
  /** Lower-case header name, or the body path, the sticky key is read from. */
  readonly header: string | undefined;
  readonly path: string | undefined;
  /** Per-branch metrics series (beamline_split_branch_total), set by the deployment. */
  counters: SplitCounter[] | undefined;

  constructor(config: SplitConfig) {
    const b = config.branches;
    this.ports = b.map((x) => x.port);
    this.weights = Float64Array.from(b, (x) => x.weight);
    this.cumulative = new Float64Array(b.length);
    let sum = 0;
    b.forEach((x, i) => {
      sum += x.weight;
      this.cumulative[i] = sum;
    });
    this.seeds = Uint32Array.from(b, (x) => branchSeed(x.port));
    this.taken = new Float64Array(b.length);
    const s = config.sticky;
    this.header = s && 'header' in s ? s.header.toLowerCase() : undefined;
    this.path = s && 'path' in s ? s.path : undefined;
  }

  /** The request's sticky key, or undefined (no stickiness, or the request lacks it: split at random). */
  key(body: unknown, headers: RequestHeaders | undefined): string | undefined {
    if (this.header !== undefined) {
      const v = headers?.[this.header];
      return (Array.isArray(v) ? v[0] : v) || undefined;
    }
    if (this.path === undefined) return undefined;
    const v = readPath(body, this.path);
    return stickyKey(v);
  }

  pick(body: unknown, headers: RequestHeaders | undefined): number {
    const key = this.key(body, headers);
    return key === undefined ? weightedPick(this.cumulative, Math.random()) : rendezvous(fnv1a(key), this.seeds, this.weights);
  }
}

/**
 * A body value as a key: strings as they are, integers and booleans as JSON writes them
 * (so Python reads the same key); anything else, an empty string included, is no key.
 */
export function stickyKey(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'boolean' || (typeof v === 'number' && Number.isSafeInteger(v))) return String(v);
  return undefined;
}

// Keyed by the PlanNode object: one per deployed version of the node, so a redeploy or a
// live weight change (a new PlanNode) starts with its own weights, and no graph without a
// split pays anything.
const states = new WeakMap<PlanNode, SplitState>();

function stateOf(node: PlanNode): SplitState {
  let s = states.get(node);
  if (!s) {
    s = new SplitState(node.config as unknown as SplitConfig);
    states.set(node, s);
  }
  return s;
}

export function splitNode(node: PlanNode, inputs: NodeOutputs, body: unknown, headers?: RequestHeaders): NodeOutputs {
  const s = stateOf(node);
  const i = s.pick(body, headers);
  s.taken[i]++;
  if (s.counters) s.counters[i].value++;
  return { [s.ports[i]]: inputs.in };
}

/** Count this node's branches into these series, one per branch in config order. */
export function countSplit(node: PlanNode, counters: SplitCounter[]): void {
  stateOf(node).counters = counters;
}

/** Each branch's weight and the requests it took since these weights took effect. */
export function splitBranches(node: PlanNode): { port: string; weight: number; taken: number }[] {
  const s = stateOf(node);
  return s.ports.map((port, i) => ({ port, weight: s.weights[i], taken: s.taken[i] }));
}

import type { Plan } from '../../shared/plan.js';
import type { AutoscaleBounds, Profile, Settings, TuneResources, TuneResult, TuneTarget } from '../../shared/tuning.js';

export interface TuneOptions {
  /** Most replicas tried per node (default: what the resources could hold, at most 64). */
  maxReplicas?: number;
  /** Seed of the model's Monte Carlo. */
  seed?: number;
  /** Settings kept as given for these nodes (not searched). */
  fixed?: Settings;
}

/** The configuration meeting the target with the fewest GPUs, then CPUs, that the planner places (pure). */
export function tune(_plan: Plan, _profile: Profile, _target: TuneTarget, _resources: TuneResources, _opts: TuneOptions = {}): TuneResult {
  throw new Error('tune: not yet');
}

/** Autoscaling bounds for a traffic range: min replicas tuned at minQps, max at maxQps, same latency target. */
export function autoscaleBounds(_plan: Plan, _profile: Profile, _range: { minQps: number; maxQps: number; p99Ms: number }, _resources: TuneResources, _opts: TuneOptions = {}): AutoscaleBounds {
  throw new Error('autoscaleBounds: not yet');
}

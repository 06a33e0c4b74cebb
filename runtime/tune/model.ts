import type { Plan } from '../../shared/plan.js';
import type { Prediction, Profile, Settings } from '../../shared/tuning.js';

export interface PredictOptions {
  /** Seed of the Monte Carlo over the DAG (same seed, same figures). */
  seed?: number;
  /** Requests sampled end to end (default 20000). */
  samples?: number;
}

/** Predicted per-node and end-to-end figures of `settings` at `qps` (pure). */
export function predict(_plan: Plan, _profile: Profile, _settings: Settings, _qps: number, _opts: PredictOptions = {}): Prediction {
  throw new Error('predict: not yet');
}

import type { Plan } from '../../shared/plan.js';
import type { Profile, ProfileProgress } from '../../shared/tuning.js';

export interface ProfileOptions {
  /** Sample requests for the input node (parsed JSONL lines, or run history); generated from its fields when absent. */
  samples?: Record<string, unknown>[];
  /** Where the samples came from (recorded in the profile). */
  inputsSource?: 'file' | 'history' | 'generated';
  inputsFile?: string;
  /** Requests generated when no samples are given (default 8). */
  generated?: number;
  /** Largest batch size measured for batchable kinds (default 16; also capped by the node's maxBatchSize cap of 4096). */
  maxBatch?: number;
  /** Largest concurrency per replica measured (default 4, at most the node's maxOngoingRequests). */
  maxConcurrency?: number;
  /** A point stops when the relative standard error of its mean is below this (default 0.05)... */
  relErr?: number;
  /** ...or when it has this many calls (default 60) or this long (default 3 s). */
  maxSamples?: number;
  maxPointMs?: number;
  /** Directory model paths resolve against (default models/), and the graph file's folder. */
  modelsDir?: string;
  graphDir?: string;
  /** Module adding custom kinds (serve --nodes). */
  nodesModule?: string;
  signal?: AbortSignal;
}

/** Runs every replica-backed node of the plan on this machine and measures its service time (see docs/tuning.md). */
export async function profileGraph(_plan: Plan, _opts: ProfileOptions = {}, _onProgress: (e: ProfileProgress) => void = () => {}): Promise<Profile> {
  throw new Error('profileGraph: not yet');
}

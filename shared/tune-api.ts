import type { Graph } from './graph.js';
import type { TuneResult } from './tuning.js';

/**
 * The tuning API's shapes (POST /api/profile, GET /api/profile/:id, POST /api/tune), shared by the
 * server and the editor's "Tune for a target". The tuning shapes themselves are in shared/tuning.ts.
 */

/** A profile job: one graph measured on the server's machine, one job at a time. */
export interface ProfileJob {
  id: string;
  graph: string;
  /** The graph hash the profile is kept under (runtime/tune/machine.ts graphHash). */
  hash: string;
  state: 'running' | 'done' | 'failed';
  startedAt: number;
  endedAt?: number;
  /** Estimated length from the start event (s). */
  estimateS?: number;
  /** Points measured of all, and the time left as the profiler estimates it. */
  progress: { done: number; total: number; elapsedS: number; remainingS: number | null; node?: string };
  /** What failed and how to fix it (the node that could not be profiled, when one). */
  error?: string;
  fix?: string;
  node?: string;
  /** Once done: when the profile was measured and how long it took. */
  profile?: { measuredAt: string; durationS: number; nodes: number };
}

/** POST /api/tune's answer: the TuneResult, and on success the graph with the settings written in (what Apply would make). */
export type TuneResponse = TuneResult & { graph?: Graph };

/** 409 from POST /api/tune when there is no profile to tune from, or it is stale. */
export interface TuneProfileConflict {
  error: string;
  code: 'no_profile' | 'stale_profile';
  fix: string;
}

/**
 * POST /api/profile/status: whether the server holds a fresh profile of this graph, asked
 * before a tune so a client (the editor) learns it needs one without a failed request.
 */
export type ProfileStatus = { fresh: true } | ({ fresh: false } & TuneProfileConflict);

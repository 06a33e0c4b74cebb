import { z } from 'zod';

/**
 * Releases: a new version of a graph served beside the stable one, either as a
 * canary (a share of the route's traffic, judged and promoted in steps or rolled
 * back on its own) or as a shadow (a mirror of live requests whose answers are
 * compared and discarded). The server (runtime/controlplane/release/), the API,
 * the CLI and the editor all read these shapes.
 */

export const RELEASE_MODES = ['canary', 'shadow'] as const;
export type ReleaseMode = (typeof RELEASE_MODES)[number];

/** How a canary is judged and promoted (query parameters of POST /api/graphs?canary=N, CLI flags, the deploy dialog). */
export const CanaryPolicySchema = z
  .object({
    /** Percent of the route's traffic at each step; the first is the starting share, the last is 100 (promotion). */
    steps: z.array(z.number().gt(0).max(100)).min(1).max(10).describe('Traffic percent at each step, ascending, ending at 100.'),
    /** Requests the canary must answer at a step before it is judged. */
    windowRequests: z.number().int().min(10).max(1_000_000).default(200).describe('Canary requests judged at each step.'),
    /** Longest a step waits for its window; judged on what it has then (at least 10 requests) or held. */
    windowMs: z.number().int().min(1000).max(86_400_000).default(60_000).describe('Longest one step waits for its window, in ms.'),
    /** Rolled back when the canary's error rate exceeds the stable's by more than this (absolute, 0.01 = one point). */
    maxErrorRateIncrease: z.number().min(0).max(1).default(0.01).describe('Allowed error-rate increase over stable (0.01 = 1 point).'),
    /** Rolled back when canary p99 > stable p99 × this. */
    maxP99Ratio: z.number().min(1).max(100).default(1.5).describe('Allowed canary p99 as a multiple of stable p99.'),
    /** Optional output check: a dotted path into the graph's output that must be present (and equal `equals` when given). */
    check: z
      .object({ path: z.string().max(200), equals: z.union([z.string(), z.number(), z.boolean()]).optional() })
      .strict()
      .optional()
      .describe('An output field every canary answer must have.'),
  })
  .strict();
export type CanaryPolicy = z.output<typeof CanaryPolicySchema>;

export const ShadowPolicySchema = z
  .object({
    /** Percent of live requests mirrored to the candidate. */
    share: z.number().gt(0).max(100).describe('Percent of live requests mirrored.'),
    /** Numbers (and vector elements) agree when |a-b| <= tolerance × max(1, |a|, |b|). 0: exact. */
    tolerance: z.number().min(0).max(1).default(0).describe('Relative tolerance for numbers and vectors (0 = exact).'),
  })
  .strict();
export type ShadowPolicy = z.output<typeof ShadowPolicySchema>;

/** One side's figures over the window a decision was taken on. */
export interface WindowFigures {
  requests: number;
  errors: number;
  errorRate: number;
  p50Ms: number;
  p99Ms: number;
  /** Canary answers that failed the output check. */
  checkFailures?: number;
}

export type ReleaseAction = 'start' | 'promote' | 'complete' | 'rollback' | 'abort' | 'hold';

export interface ReleaseDecision {
  at: number;
  action: ReleaseAction;
  /** Canary share before and after, percent (shadow: the mirrored share). */
  fromShare: number;
  toShare: number;
  /** Why, with the figures in words: "canary p99 412 ms > 1.5 × stable 180 ms". */
  reason: string;
  /** Set when the decision was taken on measurements. */
  stable?: WindowFigures;
  candidate?: WindowFigures;
  /** Who took it: the judge, or a person (API, CLI, editor). */
  by: 'auto' | 'user';
}

export interface ShadowDiff {
  requestId: string;
  at: number;
  input: unknown;
  stable: unknown;
  /** The candidate's answer, or its error message. */
  candidate: unknown;
  candidateError?: string;
  /** JSON path of the first difference, e.g. $.scores[3]. */
  where: string;
  stableMs: number;
  candidateMs: number;
}

export interface ShadowFigures {
  mirrored: number;
  /** Not mirrored because the candidate had no room (its queues were full): stable requests never wait for it. */
  skipped: number;
  agreed: number;
  differed: number;
  /** The candidate failed where stable answered. */
  failed: number;
  stable: { p50Ms: number; p99Ms: number };
  candidate: { p50Ms: number; p99Ms: number };
  /** Most recent differing requests, newest first (bounded). */
  recentDiffs: ShadowDiff[];
}

export type ReleaseState = 'running' | 'promoted' | 'rolled-back' | 'aborted';

/** GET /api/graphs/:name/release, and `release` on the graph's status push. */
export interface ReleaseStatus {
  graph: string;
  mode: ReleaseMode;
  stableVersion: number;
  candidateVersion: number;
  state: ReleaseState;
  /** Canary: percent of traffic on the candidate now. Shadow: percent mirrored. */
  share: number;
  startedAt: number;
  endedAt?: number;
  canary?: CanaryPolicy;
  shadow?: ShadowPolicy;
  decisions: ReleaseDecision[];
  /** Canary requests that failed on the candidate (5xx or output check) and were answered by the stable version instead. */
  replayed?: number;
  /** The current step's figures so far (canary), both sides. */
  window?: { stable: WindowFigures; candidate: WindowFigures };
  shadowFigures?: ShadowFigures;
}

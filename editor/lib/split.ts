import type { SplitBranchStatus } from '../../shared/protocol.js';

/** One branch of a split as its card shows it: the share its weight asks for and, when live, the share it took. */
export interface ShareRow {
  port: string;
  weight: number;
  /** weight / sum of the weights, 0..1. */
  configured: number;
  /** Requests taken / all requests since the running weights took effect, 0..1; null before any request or when not deployed. */
  observed: number | null;
  taken: number;
}

type Branch = { port: string; weight: number };

function branchesOf(config: Record<string, unknown>): Branch[] {
  const b = config.branches;
  return Array.isArray(b) ? b.filter((x): x is Branch => typeof x?.port === 'string' && typeof x?.weight === 'number') : [];
}

/** The canvas config's branches with their configured share, and the live share from the status push when there is one. */
export function splitShares(config: Record<string, unknown>, live?: readonly SplitBranchStatus[]): ShareRow[] {
  const branches = branchesOf(config);
  const sum = branches.reduce((s, b) => s + Math.max(0, b.weight), 0);
  const total = live?.reduce((s, b) => s + b.taken, 0) ?? 0;
  return branches.map((b) => {
    const taken = live?.find((x) => x.port === b.port)?.taken ?? 0;
    return { port: b.port, weight: b.weight, configured: sum > 0 ? Math.max(0, b.weight) / sum : 0, observed: live && total > 0 ? taken / total : null, taken };
  });
}

/** The PUT body's weights: every branch of the canvas config, port -> weight. */
export function weightsOf(config: Record<string, unknown>): Record<string, number> {
  return Object.fromEntries(branchesOf(config).map((b) => [b.port, b.weight]));
}

/** Whether the canvas weights differ from the running ones (the inspector offers to apply them). */
export function weightsDiffer(config: Record<string, unknown>, live: readonly SplitBranchStatus[]): boolean {
  const mine = branchesOf(config);
  return mine.length !== live.length || mine.some((b) => live.find((x) => x.port === b.port)?.weight !== b.weight);
}

export const percent = (x: number): string => `${Math.round(x * 1000) / 10}%`;

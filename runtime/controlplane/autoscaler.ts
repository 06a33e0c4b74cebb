import type { Autoscaling } from '../../shared/deployment.js';
import type { AutoscalingStatus, ReplicaState } from '../../shared/protocol.js';

/**
 * Replica autoscaling (Ray Serve's autoscaling_config). `decideScale` is the
 * whole policy as a pure function of the samples and the previous state;
 * `Autoscaler` is the shell that samples a pool on a timer and applies it.
 */

export interface ScaleSample {
  /** Wall-clock ms. */
  at: number;
  /** In flight plus queued, over all of the node's replicas. */
  ongoing: number;
}

export interface ScaleDecisionRecord {
  at: number;
  from: number;
  to: number;
  reason: string;
}

export interface ScaleState {
  /** Replica count the pool is asked to reach. */
  target: number;
  /** A change the metric has asked for continuously since `since` (wall clock). */
  wanting?: { direction: 'up' | 'down'; since: number };
  lastDecision?: ScaleDecisionRecord;
}

export interface PoolView {
  /** Replicas that cannot be placed (PENDING) and why. */
  pending: number;
  pendingReason?: string;
}

export interface ScaleOutcome {
  state: ScaleState;
  /** What the metric asks for now, within [min, max]. */
  desired: number;
  /** Mean ongoing requests over the look-back window (null without samples). */
  averageOngoing: number | null;
  /** Why the target is what it is after this step. */
  reason: string;
  changed: boolean;
}

const fmt = (x: number) => String(Math.round(x * 100) / 100);
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** Mean of the samples inside (now - lookBackPeriodMs, now]. */
export function averageOngoing(samples: readonly ScaleSample[], lookBackPeriodMs: number, now: number): number | null {
  let sum = 0;
  let n = 0;
  for (const s of samples) {
    if (s.at > now - lookBackPeriodMs && s.at <= now) {
      sum += s.ongoing;
      n++;
    }
  }
  return n === 0 ? null : sum / n;
}

/** Replicas for this load: ceil(ongoing / targetOngoingRequests), within [min, max]. */
export function desiredReplicas(cfg: Autoscaling, ongoing: number): number {
  // The epsilon keeps 4.0000000001 (float noise) from asking for a fifth replica.
  const raw = Math.ceil(ongoing / cfg.targetOngoingRequests - 1e-9);
  return clamp(raw, cfg.minReplicas, Math.max(cfg.minReplicas, cfg.maxReplicas));
}

/**
 * One step of the policy.
 *
 * A change is taken only once the metric has asked for it, in the same
 * direction, for upscaleDelayMs / downscaleDelayMs of wall-clock time. Ray
 * counted control-loop iterations instead, so the real delay grew with the
 * loop's own run time and users saw lag and thrash (ray-project/ray#18925,
 * ray-project/ray#62004); timestamps make the delay what the field says.
 *
 * Scale from zero skips the delay: a request is waiting and nothing can serve
 * it. Replicas that cannot be placed (PENDING) hold the target where it is:
 * asking for more would only add more PENDING replicas, so the step reports
 * them instead of looping on them.
 */
export function decideScale(cfg: Autoscaling, prev: ScaleState, samples: readonly ScaleSample[], now: number, pool: PoolView = { pending: 0 }): ScaleOutcome {
  const max = Math.max(cfg.minReplicas, cfg.maxReplicas);
  const take = (to: number, reason: string, desired: number, avg: number | null): ScaleOutcome => ({
    state: { target: to, lastDecision: { at: now, from: prev.target, to, reason } },
    desired,
    averageOngoing: avg,
    reason,
    changed: true,
  });
  const keep = (reason: string, desired: number, avg: number | null, wanting?: ScaleState['wanting']): ScaleOutcome => ({
    state: { target: prev.target, ...(wanting ? { wanting } : {}), ...(prev.lastDecision ? { lastDecision: prev.lastDecision } : {}) },
    desired,
    averageOngoing: avg,
    reason,
    changed: false,
  });

  // Bounds win over everything (a redeploy may have moved them).
  if (prev.target < cfg.minReplicas) return take(cfg.minReplicas, `raised to minReplicas ${cfg.minReplicas}`, cfg.minReplicas, null);
  if (prev.target > max) return take(max, `lowered to maxReplicas ${max}`, max, null);

  const avg = averageOngoing(samples, cfg.lookBackPeriodMs, now);
  const latest = samples.length > 0 ? samples[samples.length - 1].ongoing : 0;
  if (prev.target === 0 && latest > 0) {
    const to = Math.max(1, desiredReplicas(cfg, Math.max(avg ?? 0, latest)));
    return take(to, `scale from zero: ${fmt(latest)} request(s) waiting`, to, avg);
  }
  if (avg === null) return keep('no metrics yet', prev.target, null);

  const desired = desiredReplicas(cfg, avg);
  const load = `${fmt(avg)} ongoing over ${cfg.lookBackPeriodMs} ms, target ${fmt(cfg.targetOngoingRequests)} per replica`;
  if (desired === prev.target) return keep(`steady at ${desired}: ${load}`, desired, avg);

  const direction = desired > prev.target ? 'up' : 'down';
  if (direction === 'up' && pool.pending > 0) {
    const why = pool.pendingReason ? `: ${pool.pendingReason}` : '';
    return keep(`holding at ${prev.target} (wants ${desired}): ${pool.pending} replica(s) PENDING${why}`, desired, avg);
  }
  const since = prev.wanting?.direction === direction ? prev.wanting.since : now;
  const delay = direction === 'up' ? cfg.upscaleDelayMs : cfg.downscaleDelayMs;
  const held = now - since;
  if (held >= delay) {
    const verb = direction === 'up' ? 'scale up' : 'scale down';
    return take(desired, `${verb} ${prev.target} -> ${desired}: ${load}, held ${Math.round(held)} ms`, desired, avg);
  }
  return keep(`wants ${desired} (${direction}) for ${Math.round(held)} of ${delay} ms: ${load}`, desired, avg, { direction, since });
}

// ---------------------------------------------------------------- the shell

/** What the autoscaler needs from a node's replica pool and router. */
export interface ScalablePool {
  /** In flight plus queued for this node right now. */
  ongoing(): number;
  /** Replicas and their states, for PENDING detection and `current`. */
  replicaStates(): { state: ReplicaState; reason?: string }[];
  /** Move to n replicas; scale-down must drain, never drop requests. */
  scaleTo(n: number, reason: string): void | Promise<void>;
}

export interface AutoscalerOptions {
  config: Autoscaling;
  pool: ScalablePool;
  /** Target at start (the replicas already started). */
  initialTarget: number;
  /** Wall clock, injectable. */
  now?: () => number;
  onDecision?: (d: ScaleDecisionRecord) => void;
  onError?: (err: unknown) => void;
}

/** Replicas that count as current: everything not on its way out. */
const LIVE: ReadonlySet<ReplicaState> = new Set(['PENDING', 'STARTING', 'RUNNING', 'UNHEALTHY']);

export class Autoscaler {
  private state: ScaleState;
  private samples: ScaleSample[] = [];
  private desired: number;
  private average: number | null = null;
  private reason = 'started';
  private sampleTimer: ReturnType<typeof setInterval> | undefined;
  private decideTimer: ReturnType<typeof setInterval> | undefined;
  private readonly now: () => number;
  private readonly config: Autoscaling;

  constructor(private readonly opts: AutoscalerOptions) {
    this.config = opts.config;
    this.now = opts.now ?? Date.now;
    this.state = { target: opts.initialTarget };
    this.desired = opts.initialTarget;
  }

  start(): void {
    this.stop();
    this.sampleTimer = setInterval(() => this.sample(), this.config.metricsIntervalMs);
    // Decisions are cheap and wall-clock based, so they run more often than samples arrive.
    this.decideTimer = setInterval(() => this.step(), Math.min(this.config.metricsIntervalMs, 100));
    this.sampleTimer.unref?.();
    this.decideTimer.unref?.();
    this.sample();
  }

  stop(): void {
    if (this.sampleTimer) clearInterval(this.sampleTimer);
    if (this.decideTimer) clearInterval(this.decideTimer);
    this.sampleTimer = this.decideTimer = undefined;
  }

  /**
   * A request arrived at a node with no replicas: sample and decide now rather
   * than at the next tick, so the first request waits only for a replica start.
   */
  poke(): void {
    if (this.state.target > 0) return;
    this.sample();
  }

  get target(): number {
    return this.state.target;
  }

  status(): AutoscalingStatus {
    const current = this.opts.pool.replicaStates().filter((r) => r.state === 'RUNNING').length;
    return {
      current,
      desired: this.desired,
      target: this.state.target,
      reason: this.reason,
      averageOngoing: this.average === null ? null : Math.round(this.average * 100) / 100,
      ...(this.state.lastDecision ? { lastDecision: { ...this.state.lastDecision } } : {}),
    };
  }

  /** Why the target is what it is now (updates on every step, not only on changes). */
  get lastReason(): string {
    return this.reason;
  }

  private sample(): void {
    const at = this.now();
    this.samples.push({ at, ongoing: this.opts.pool.ongoing() });
    const horizon = at - this.config.lookBackPeriodMs;
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop].at <= horizon) drop++;
    if (drop > 0) this.samples.splice(0, drop);
    this.step();
  }

  private step(): void {
    const states = this.opts.pool.replicaStates().filter((r) => LIVE.has(r.state));
    const pending = states.filter((r) => r.state === 'PENDING');
    const out = decideScale(this.config, this.state, this.samples, this.now(), {
      pending: pending.length,
      ...(pending[0]?.reason ? { pendingReason: pending[0].reason } : {}),
    });
    this.state = out.state;
    this.desired = out.desired;
    this.average = out.averageOngoing;
    this.reason = out.reason;
    if (!out.changed || !out.state.lastDecision) return;
    this.opts.onDecision?.(out.state.lastDecision);
    try {
      const r = this.opts.pool.scaleTo(out.state.target, out.reason);
      if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch((e) => this.opts.onError?.(e));
    } catch (e) {
      this.opts.onError?.(e);
    }
  }
}

import { randomUUID } from 'node:crypto';
import type { CanaryPolicy, ReleaseAction, ReleaseDecision, ReleaseMode, ReleaseState, ReleaseStatus, ShadowDiff, ShadowPolicy, WindowFigures } from '../../../shared/release.js';
import { Cancel, type CancelListener } from '../../dataplane/cancel.js';
import type { Completion } from '../../dataplane/completion.js';
import type { RequestError } from '../../dataplane/errors.js';
import type { ExecResult } from '../../dataplane/executor.js';
import type { ReleaseRoute, ServedGraph } from '../../dataplane/interface.js';
import { type InvokeOptions, invokeVersion } from '../../dataplane/invoke.js';
import type { GraphDeployment } from '../deployment.js';
import { checkOutput, judge, MIN_JUDGED, WindowSide } from './judge.js';
import { compareOutputs } from './shadow-compare.js';

/**
 * A release: a candidate version beside the stable one on the stable one's route.
 * Canary: a share of requests (a counter, not a coin: exactly share % of them) runs on
 * the candidate; each step is judged (judge.ts) on both versions' figures over the same
 * period, then promoted to the next step or rolled back. A canary request that fails
 * (5xx, or its answer fails the output check) is replayed once on the stable version,
 * so its client gets the stable answer and the failure counts against the canary.
 * Shadow: a share of requests is also run on the candidate when it has room; the client
 * gets the stable answer as soon as it is ready and the two answers are compared after.
 */

export type ReleaseRequest = { mode: 'canary'; canary: CanaryPolicy } | { mode: 'shadow'; shadow: ShadowPolicy };

/** What the controller is given to start a release: the policy, and persistence's hooks. */
export interface ReleaseStart {
  request: ReleaseRequest;
  /** Record the candidate as the active version, right before it takes the route; why not, when it cannot. */
  commit?(): string | undefined;
  /** The release changed (a decision): record it in the version history. */
  recorded?(status: ReleaseStatus): void;
}

export type ShadowOutcome = 'agreed' | 'differed' | 'failed' | 'skipped';

export interface ReleaseHooks {
  /**
   * End the release: 'promote' makes the candidate the stable version (recorded, then the
   * route moves), 'discard' retires it. A promotion refused (the store cannot record it)
   * returns why; the release then rolls back.
   */
  finish(outcome: 'promote' | 'discard'): string | undefined;
  /** A decision was taken (recorded in the version history and /metrics). */
  decided(d: ReleaseDecision, status: ReleaseStatus): void;
  /** A mirrored request's outcome (/metrics). */
  shadow?(outcome: ShadowOutcome): void;
}

/** Recent differing requests kept for the status, newest first. */
export const RECENT_DIFFS = 20;
/** A value of a kept diff larger than this (bytes of JSON) is replaced by its size. */
const KEEP_BYTES = 16_384;
/**
 * Mirrors start in batches this long after the first stable answer of the batch: each
 * message to a worker has a fixed cost on the main thread (postMessage was the largest
 * share of a mirror's cost there, bench/release), and mirrors started together go to
 * each candidate replica as one message instead of one per request.
 */
export const MIRROR_BATCH_MS = 2;

function keep(v: unknown): unknown {
  try {
    const text = JSON.stringify(v);
    return text === undefined || text.length <= KEEP_BYTES ? v : `(${text.length} bytes of JSON, not kept)`;
  } catch {
    return '(not JSON)';
  }
}

export class Release implements ReleaseRoute {
  readonly mode: ReleaseMode;
  readonly startedAt = Date.now();
  readonly stableVersion: number;
  readonly candidateVersion: number;
  state: ReleaseState = 'running';
  endedAt: number | undefined;
  /** Canary: percent of requests on the candidate. Shadow: percent mirrored. */
  share: number;
  readonly decisions: ReleaseDecision[] = [];
  /** Canary requests that failed on the candidate and were answered by the stable version. */
  replayed = 0;

  private acc = 0;
  private step = 0;
  private stableSide = new WindowSide();
  private canarySide = new WindowSide();
  private judging = false;
  private timer: NodeJS.Timeout | undefined;

  // Shadow figures.
  private mirrored = 0;
  private skipped = 0;
  private agreed = 0;
  private differed = 0;
  private failed = 0;
  private readonly stableLat = new WindowSide();
  private readonly candidateLat = new WindowSide();
  private readonly diffs: ShadowDiff[] = [];
  /** The candidate as shadow requests see it: its requests are not counted as the graph's. */
  private readonly quiet: ServedGraph;
  /** Stable answers out, mirrors not started yet (MIRROR_BATCH_MS). */
  private pending: ShadowPair[] = [];
  private batchTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly stable: GraphDeployment,
    readonly candidate: GraphDeployment,
    readonly request: ReleaseRequest,
    private readonly hooks: ReleaseHooks,
  ) {
    this.mode = request.mode;
    this.stableVersion = stable.version;
    this.candidateVersion = candidate.version;
    this.share = request.mode === 'canary' ? request.canary.steps[0] : request.shadow.share;
    this.quiet = quietView(candidate);
  }

  get graph(): string {
    return this.stable.name;
  }

  start(): void {
    const what = this.mode === 'canary' ? `takes ${this.share}% of requests` : `gets a mirror of ${this.share}% of requests`;
    this.decide('start', 0, this.share, `version ${this.candidateVersion} ${what} beside version ${this.stableVersion}`, 'auto');
    if (this.mode === 'canary') this.armTimer();
  }

  invoke(input: unknown, opts: InvokeOptions, c: Completion<ExecResult, RequestError>): void {
    if (this.state !== 'running') {
      invokeVersion(this.state === 'promoted' ? this.candidate : this.stable, input, opts, c);
      return;
    }
    this.acc += this.share;
    const chosen = this.acc >= 100;
    if (chosen) this.acc -= 100;
    if (this.mode === 'canary') {
      if (chosen) {
        const call = new CanaryCall(this, this.step, input, opts, c);
        invokeVersion(this.candidate, input, call.opts, call);
      } else invokeVersion(this.stable, input, opts, new StableCall(this, this.step, c));
      return;
    }
    if (!chosen) {
      invokeVersion(this.stable, input, opts, c);
      return;
    }
    // The candidate starts once the stable answer has been sent (ShadowStable), so a stable
    // request never waits for its own mirror, nor for its main-thread work.
    const requestId = opts.requestId ?? randomUUID();
    const pair = new ShadowPair(this, input, requestId, opts);
    invokeVersion(this.stable, input, { ...opts, requestId }, new ShadowStable(pair, c));
  }

  /** The stable answer of a request chosen for mirroring is out: its mirror starts with the next batch. */
  queueMirror(pair: ShadowPair): void {
    if (this.state !== 'running') return;
    this.pending.push(pair);
    if (this.batchTimer === undefined) {
      this.batchTimer = setTimeout(this.startBatch, MIRROR_BATCH_MS);
      this.batchTimer.unref();
    }
  }

  private readonly startBatch = (): void => {
    this.batchTimer = undefined;
    const batch = this.pending;
    this.pending = [];
    for (const pair of batch) this.mirror(pair);
  };

  /** Run a mirror on the candidate if it has room now. */
  private mirror(pair: ShadowPair): void {
    if (this.state !== 'running') return;
    if (!hasRoom(this.candidate)) {
      // Never queue behind the candidate: a busy candidate is skipped, and counted.
      this.skipped++;
      this.hooks.shadow?.('skipped');
      return;
    }
    this.mirrored++;
    const shadowOpts: InvokeOptions = { requestId: pair.requestId, timeoutMs: pair.opts.timeoutMs, trace: false };
    if (pair.opts.headers) shadowOpts.headers = pair.opts.headers;
    pair.candidateT0 = performance.now();
    invokeVersion(this.quiet, pair.input, shadowOpts, new ShadowCandidate(pair));
  }

  // --- canary ---------------------------------------------------------------

  /** A stable answer during step `step` (ok: not a 5xx). */
  stableResult(step: number, ms: number, ok: boolean): void {
    if (step === this.step && this.state === 'running') this.stableSide.add(ms, ok);
  }

  /** A canary answer during step `step`; a result of an earlier step is not judged with this one. */
  canaryResult(step: number, ms: number, ok: boolean, checkFailed = false): void {
    if (step !== this.step || this.state !== 'running') return;
    this.canarySide.add(ms, ok, checkFailed);
    if (!this.judging && this.request.mode === 'canary' && this.canarySide.requests >= this.request.canary.windowRequests) {
      // Judged off the request path: the answer that completed the window is sent first.
      this.judging = true;
      setImmediate(() => this.judgeStep());
    }
  }

  get policy(): CanaryPolicy | undefined {
    return this.request.mode === 'canary' ? this.request.canary : undefined;
  }

  private armTimer(): void {
    clearTimeout(this.timer);
    const policy = this.policy!;
    this.timer = setTimeout(() => {
      if (this.state !== 'running') return;
      if (this.canarySide.requests >= MIN_JUDGED) this.judgeStep();
      else {
        const last = this.decisions.at(-1);
        if (last?.action !== 'hold') {
          this.decide('hold', this.share, this.share, `only ${this.canarySide.requests} canary requests in ${policy.windowMs} ms (judged at ${MIN_JUDGED}): holding at ${this.share}%`, 'auto', this.figures());
        }
        this.armTimer();
      }
    }, policy.windowMs);
    this.timer.unref();
  }

  private figures(): { stable: WindowFigures; candidate: WindowFigures } {
    return { stable: this.stableSide.figures(), candidate: this.canarySide.figures(this.policy?.check !== undefined) };
  }

  private judgeStep(): void {
    this.judging = false;
    const policy = this.policy;
    if (this.state !== 'running' || !policy) return;
    const figures = this.figures();
    const verdict = judge(policy, figures.stable, figures.candidate);
    if (verdict.action === 'rollback') {
      this.end('rolled-back', 'rollback', verdict.reason, 'auto', figures);
      return;
    }
    const next = policy.steps[this.step + 1] ?? 100;
    if (next >= 100) {
      this.end('promoted', 'complete', `${verdict.reason}; version ${this.candidateVersion} takes all requests`, 'auto', figures);
      return;
    }
    const from = this.share;
    this.step++;
    this.share = next;
    this.acc = 0;
    this.stableSide = new WindowSide();
    this.canarySide = new WindowSide();
    this.decide('promote', from, next, verdict.reason, 'auto', figures);
    this.armTimer();
  }

  // --- shadow ---------------------------------------------------------------

  /** Both answers of a mirrored request are in. */
  compared(pair: ShadowPair): void {
    if (this.state !== 'running') return;
    this.stableLat.add(pair.stableMs, true);
    if (pair.candidateError === undefined) this.candidateLat.add(pair.candidateMs, true);
    const tolerance = this.request.mode === 'shadow' ? this.request.shadow.tolerance : 0;
    const c = pair.candidateError === undefined ? compareOutputs(pair.stableOutput, pair.candidateOutput, tolerance) : { equal: false as const, where: '$' };
    if (c.equal) {
      this.agreed++;
      this.hooks.shadow?.('agreed');
      return;
    }
    if (pair.candidateError !== undefined) this.failed++;
    else this.differed++;
    this.hooks.shadow?.(pair.candidateError !== undefined ? 'failed' : 'differed');
    this.diffs.unshift({
      requestId: pair.requestId,
      at: Date.now(),
      input: keep(pair.input),
      stable: keep(pair.stableOutput),
      candidate: pair.candidateError !== undefined ? pair.candidateError : keep(pair.candidateOutput),
      ...(pair.candidateError !== undefined ? { candidateError: pair.candidateError } : {}),
      where: c.where,
      stableMs: round(pair.stableMs),
      candidateMs: round(pair.candidateMs),
    });
    if (this.diffs.length > RECENT_DIFFS) this.diffs.length = RECENT_DIFFS;
  }

  /** The server stops: no timer outlives it (the release stays recorded as running; the next start marks it aborted). */
  dispose(): void {
    clearTimeout(this.timer);
    clearTimeout(this.batchTimer);
  }

  // --- ending ---------------------------------------------------------------

  /** A person's promote (the candidate becomes stable now), rollback or abort. Undefined when done; why not otherwise. */
  act(action: 'promote' | 'rollback' | 'abort', reason?: string): string | undefined {
    if (this.state !== 'running') return `the release of ${this.graph} has ended (${this.state})`;
    if (action === 'promote') this.end('promoted', 'complete', reason ?? `promoted by a person at ${this.share}%`, 'user', this.mode === 'canary' ? this.figures() : undefined);
    else if (action === 'rollback') this.end('rolled-back', 'rollback', reason ?? `rolled back by a person at ${this.share}%`, 'user', this.mode === 'canary' ? this.figures() : undefined);
    else this.end('aborted', 'abort', reason ?? 'aborted by a person', 'user', this.mode === 'canary' ? this.figures() : undefined);
    return undefined;
  }

  private end(state: ReleaseState, action: ReleaseAction, reason: string, by: 'auto' | 'user', figures?: { stable: WindowFigures; candidate: WindowFigures }): void {
    if (this.state !== 'running') return;
    clearTimeout(this.timer);
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    this.pending = [];
    const from = this.share;
    if (state === 'promoted') {
      const refused = this.hooks.finish('promote');
      if (refused) {
        state = 'rolled-back';
        action = 'rollback';
        reason = `promotion refused: ${refused}`;
        this.hooks.finish('discard');
      }
    } else this.hooks.finish('discard');
    this.state = state;
    this.endedAt = Date.now();
    if (this.mode === 'canary') this.share = state === 'promoted' ? 100 : 0;
    this.decide(action, from, this.mode === 'canary' ? this.share : 0, reason, by, figures);
  }

  private decide(action: ReleaseAction, fromShare: number, toShare: number, reason: string, by: 'auto' | 'user', figures?: { stable: WindowFigures; candidate: WindowFigures }): void {
    const d: ReleaseDecision = { at: Date.now(), action, fromShare, toShare, reason, by, ...(figures ? { stable: figures.stable, candidate: figures.candidate } : {}) };
    this.decisions.push(d);
    this.hooks.decided(d, this.status());
  }

  status(): ReleaseStatus {
    return {
      graph: this.graph,
      mode: this.mode,
      stableVersion: this.stableVersion,
      candidateVersion: this.candidateVersion,
      state: this.state,
      share: this.share,
      startedAt: this.startedAt,
      ...(this.endedAt !== undefined ? { endedAt: this.endedAt } : {}),
      ...(this.request.mode === 'canary' ? { canary: this.request.canary } : { shadow: this.request.shadow }),
      decisions: this.decisions.slice(),
      ...(this.mode === 'canary' && this.state === 'running' ? { window: this.figures() } : {}),
      ...(this.mode === 'canary' ? { replayed: this.replayed } : {}),
      ...(this.mode === 'shadow'
        ? {
            shadowFigures: {
              mirrored: this.mirrored,
              skipped: this.skipped,
              agreed: this.agreed,
              differed: this.differed,
              failed: this.failed,
              stable: pick(this.stableLat.figures()),
              candidate: pick(this.candidateLat.figures()),
              recentDiffs: this.diffs.slice(),
            },
          }
        : {}),
    };
  }
}

const round = (x: number) => Math.round(x * 100) / 100;
const pick = (f: WindowFigures) => ({ p50Ms: f.p50Ms, p99Ms: f.p99Ms });

/** Room on every replica node of the candidate now: nothing queued and a replica below maxOngoingRequests. */
function hasRoom(dep: GraphDeployment): boolean {
  for (const router of dep.routers.values()) {
    if (router.queued > 0) return false;
    const limit = router.replicas.node.deployment.maxOngoingRequests;
    let free = false;
    for (const r of router.replicas.running()) {
      if (r.inFlight < limit) {
        free = true;
        break;
      }
    }
    if (!free) return false;
  }
  return true;
}

/** A version whose node calls are counted but whose requests are not (mirrors are not the graph's requests). */
function quietView(dep: GraphDeployment): ServedGraph {
  return {
    name: dep.name,
    plan: dep.plan,
    deployedAt: dep.deployedAt,
    routers: dep.routers,
    observe: (node, ms, ok, batchSize) => dep.observe(node, ms, ok, batchSize),
    observeCancel: (node, started) => dep.observeCancel(node, started),
    observeRequest: () => {},
  };
}

/** A stable answer during a canary: counted in the step's stable figures. */
class StableCall implements Completion<ExecResult, RequestError> {
  private readonly t0 = performance.now();
  constructor(
    private readonly rel: Release,
    private readonly step: number,
    private readonly c: Completion<ExecResult, RequestError>,
  ) {}
  done(r: ExecResult): void {
    this.rel.stableResult(this.step, performance.now() - this.t0, true);
    this.c.done(r);
  }
  failed(e: RequestError): void {
    if (e.status >= 500) this.rel.stableResult(this.step, performance.now() - this.t0, false);
    this.c.failed(e);
  }
}

/** A Cancel that follows the client's: a failed run aborts its own Cancel, and the client's must stay usable for the replay. */
class FollowCancel extends Cancel implements CancelListener {
  cancelled(reason: Error): void {
    this.abort(reason);
  }
}

/** A canary request: a 5xx or a failed output check counts against the canary and is replayed once on stable. */
class CanaryCall implements Completion<ExecResult, RequestError> {
  private readonly t0 = performance.now();
  /** The options the candidate runs with: the client's, with a Cancel of its own. */
  readonly opts: InvokeOptions;
  private readonly follow: FollowCancel | undefined;
  constructor(
    private readonly rel: Release,
    private readonly step: number,
    private readonly input: unknown,
    private readonly client: InvokeOptions,
    private readonly c: Completion<ExecResult, RequestError>,
  ) {
    const parent = client.cancel;
    if (parent) {
      this.follow = new FollowCancel();
      parent.on(this.follow);
      this.opts = { ...client, cancel: this.follow };
    } else this.opts = client;
  }
  done(r: ExecResult): void {
    if (this.follow) this.client.cancel!.off(this.follow);
    const ms = performance.now() - this.t0;
    const check = this.rel.policy?.check;
    if (check && !checkOutput(r.output, check)) {
      this.rel.canaryResult(this.step, ms, true, true);
      this.replay();
      return;
    }
    this.rel.canaryResult(this.step, ms, true);
    this.c.done(r);
  }
  failed(e: RequestError): void {
    if (this.follow) this.client.cancel!.off(this.follow);
    // 4xx (the input's fault) and 499 (the client left) are the client's answer as they are.
    if (e.status < 500) {
      this.c.failed(e);
      return;
    }
    this.rel.canaryResult(this.step, performance.now() - this.t0, false);
    this.replay();
  }
  private replay(): void {
    this.rel.replayed++;
    invokeVersion(this.rel.stable, this.input, this.client, this.c);
  }
}

/** One request chosen for mirroring: the stable answer, then the candidate's, compared once both are in. */
class ShadowPair {
  stableOutput: unknown;
  stableMs = 0;
  candidateOutput: unknown;
  candidateError: string | undefined;
  candidateMs = 0;
  readonly t0 = performance.now();
  candidateT0 = 0;
  constructor(
    readonly rel: Release,
    readonly input: unknown,
    readonly requestId: string,
    readonly opts: InvokeOptions,
  ) {}
}

/** The stable side of a mirrored request: the client's answer goes out first; the candidate starts after (a stable failure is not mirrored). */
class ShadowStable implements Completion<ExecResult, RequestError> {
  constructor(
    private readonly pair: ShadowPair,
    private readonly c: Completion<ExecResult, RequestError>,
  ) {}
  done(r: ExecResult): void {
    this.pair.stableMs = performance.now() - this.pair.t0;
    this.c.done(r);
    this.pair.stableOutput = r.output;
    // Started with the next batch, well after this answer has been written.
    this.pair.rel.queueMirror(this.pair);
  }
  failed(e: RequestError): void {
    this.c.failed(e);
  }
}

class ShadowCandidate implements Completion<ExecResult, RequestError> {
  constructor(private readonly pair: ShadowPair) {}
  done(r: ExecResult): void {
    this.pair.candidateMs = performance.now() - this.pair.candidateT0;
    this.pair.candidateOutput = r.output;
    this.pair.rel.compared(this.pair);
  }
  failed(e: RequestError): void {
    this.pair.candidateMs = performance.now() - this.pair.candidateT0;
    this.pair.candidateError = `${e.status} ${e.message}`;
    this.pair.rel.compared(this.pair);
  }
}

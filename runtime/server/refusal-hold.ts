import { performance } from 'node:perf_hooks';

/** How often the decision is revisited (on a refusal; no timer runs). */
const WINDOW_MS = 100;
/** Event-loop utilisation over a window from which the main thread counts as saturated. */
const BUSY = 0.9;
/** Refusals per second from which they are a load of their own (at ~50 µs each, 5% of a core). */
const ENTER_PER_S = 1000;
/** Below this, while holding, the storm is over. */
const LEAVE_PER_S = 100;

/**
 * Whether a refused (503) keep-alive connection should be left unread for a
 * while. Only when the main thread is saturated and refusals are a large part
 * of its work: then a client re-sending at once was read and refused again
 * within the same turn, replica replies waited behind those turns, and
 * admitted throughput fell to a tenth at 50x overload (bench/overload). At
 * moderate overload nothing is held, so a refusal stays the fastest answer
 * and a pooled client's next request on that connection is not delayed.
 *
 * Decided per window of refusals: no timer, one clock read per refusal.
 */
export class RefusalHold {
  private windowStart: number;
  private refusals = 0;
  holding = false;

  constructor(
    /** The clock (ms) and the main thread's busy fraction since the last call; tests pass their own. */
    private readonly now: () => number = () => performance.now(),
    private readonly busySinceLast: () => number = eventLoopBusy(),
  ) {
    this.windowStart = now();
  }

  /** A 503 is being answered: whether to hold its connection. */
  refused(): boolean {
    this.refusals++;
    const now = this.now();
    const elapsed = now - this.windowStart;
    if (elapsed >= WINDOW_MS) {
      const busy = this.busySinceLast();
      const perS = (this.refusals * 1000) / elapsed;
      this.holding = this.holding ? perS >= LEAVE_PER_S : busy >= BUSY && perS >= ENTER_PER_S;
      this.windowStart = now;
      this.refusals = 0;
    }
    return this.holding;
  }
}

/** Event-loop utilisation since the previous call (performance.eventLoopUtilization deltas). */
function eventLoopBusy(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const u = performance.eventLoopUtilization(last).utilization;
    last = performance.eventLoopUtilization();
    return u;
  };
}

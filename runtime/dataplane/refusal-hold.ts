import { performance } from 'node:perf_hooks';

/** How long a refused connection is left unread: the shortest Retry-After a 503 carries. */
export const HOLD_MS = 1000;
/** How often the saturation check is revisited (on a refusal; no timer runs). */
const WINDOW_MS = 100;
/** Event-loop utilisation over a window from which the main thread counts as saturated. */
const BUSY = 0.9;
/** Refusals per second from which they are a load of their own (at ~50 µs each, 5% of a core). */
const STORM_PER_S = 1000;
/** A connection refused again this soon after its hold ended is still hammering: held again. */
const REPEAT_MS = 5000;

const HELD_UNTIL = Symbol('beamline.heldUntil');
type Conn = object & { [HELD_UNTIL]?: number };

/**
 * Whether a refused (503) keep-alive connection should be left unread for
 * HOLD_MS. At 50x overload the main thread read and refused each connection's
 * next request within the same turn, replica replies waited behind those
 * turns, and admitted throughput fell to a tenth (bench/overload). So:
 * - while refusals saturate the main thread (event-loop utilisation >= 0.9 and
 *   >= 1000 refusals/s over the last window), every refused connection is held;
 * - a connection refused again within 5 s of its last hold is held again, so
 *   the storm does not come back each time the holds end.
 * At moderate overload nothing is held: a refusal stays the fastest answer, and
 * a pooled client's next request on that connection is not delayed.
 */
export class RefusalHold {
  private windowStart: number;
  private refusals = 0;
  /** Refusals saturated the main thread over the last window. */
  storm = false;

  constructor(
    /** The clock (ms) and the main thread's busy fraction since the last call; tests pass their own. */
    private readonly now: () => number = () => performance.now(),
    private readonly busySinceLast: () => number = eventLoopBusy(),
  ) {
    this.windowStart = now();
  }

  /** A 503 is being answered on `conn` (its socket): whether to hold it. */
  refused(conn: object): boolean {
    this.refusals++;
    const now = this.now();
    const elapsed = now - this.windowStart;
    if (elapsed >= WINDOW_MS) {
      this.storm = this.busySinceLast() >= BUSY && (this.refusals * 1000) / elapsed >= STORM_PER_S;
      this.windowStart = now;
      this.refusals = 0;
    }
    const c = conn as Conn;
    const until = c[HELD_UNTIL];
    if (!this.storm && (until === undefined || now - until > REPEAT_MS)) return false;
    c[HELD_UNTIL] = now + HOLD_MS;
    return true;
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

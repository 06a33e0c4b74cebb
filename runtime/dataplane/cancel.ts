/** Told once when the request it listens to is cancelled. */
export interface CancelListener {
  cancelled(reason: Error): void;
}

/**
 * A request's cancellation, without EventTarget or closures: the executor makes
 * one per request and every node call listens to it, and AbortController /
 * AbortSignal.any were the largest cost of the data plane's hot path (see
 * docs/runtime.md, overhead).
 */
export class Cancel {
  aborted = false;
  reason: Error | undefined;
  private listeners: CancelListener[] | undefined;

  /** Listen (told at once if already aborted). */
  on(l: CancelListener): void {
    if (this.aborted) {
      l.cancelled(this.reason!);
      return;
    }
    if (!this.listeners) this.listeners = [];
    this.listeners.push(l);
  }

  off(l: CancelListener): void {
    const ls = this.listeners;
    if (!ls) return;
    const i = ls.indexOf(l);
    if (i >= 0) ls.splice(i, 1);
  }

  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const ls = this.listeners;
    this.listeners = undefined;
    if (ls) for (const l of ls) l.cancelled(reason);
  }

  /** A Cancel that follows an AbortSignal (callers outside the hot path pass signals). */
  static from(signal: AbortSignal): Cancel {
    const c = new Cancel();
    const reason = () => (signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) c.abort(reason());
    else signal.addEventListener('abort', () => c.abort(reason()), { once: true });
    return c;
  }
}

/**
 * A request's cancellation, without EventTarget: the executor and router make
 * one per request and per call, and AbortController/AbortSignal.any were the
 * largest cost of the data plane's hot path (see docs/runtime.md, overhead).
 */
export class Cancel {
  aborted = false;
  reason: Error | undefined;
  private listeners: ((reason: Error) => void)[] | undefined;

  /** Run f on abort (at once if already aborted); returns the way to stop listening. */
  on(f: (reason: Error) => void): () => void {
    if (this.aborted) {
      f(this.reason!);
      return noop;
    }
    if (!this.listeners) this.listeners = [];
    this.listeners.push(f);
    return () => {
      const l = this.listeners;
      if (!l) return;
      const i = l.indexOf(f);
      if (i >= 0) l.splice(i, 1);
    };
  }

  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const l = this.listeners;
    this.listeners = undefined;
    if (l) for (const f of l) f(reason);
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

function noop() {}

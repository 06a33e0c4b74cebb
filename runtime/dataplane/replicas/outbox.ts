/**
 * Messages between a replica and its worker thread, batched: those sent in one
 * turn of the event loop go as one postMessage (postMessage has a fixed cost per
 * message), and at most `flushAt` at a time, so a turn that reads many requests
 * does not hold the other side idle until it is done with all of them (every
 * request then moved in one convoy). Both sides use it: replica.ts and worker.ts.
 */
export class Outbox<M> {
  private items: M[] = [];
  private scheduled = false;

  constructor(
    /** Sends what was batched (never empty). */
    private readonly post: (items: M[]) => void,
    private readonly flushAt = Number.POSITIVE_INFINITY,
  ) {}

  push(m: M): void {
    this.items.push(m);
    if (this.items.length >= this.flushAt) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushLater);
    }
  }

  /** Take back a message not sent yet (a call cancelled in the turn it was made); true when found. */
  take(match: (m: M) => boolean): boolean {
    const items = this.items;
    for (let i = items.length - 1; i >= 0; i--) {
      if (match(items[i])) {
        items.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  /** Send what is waiting now. */
  flush(): void {
    const out = this.items;
    if (out.length === 0) return;
    this.items = [];
    this.post(out);
  }

  private readonly flushLater = (): void => {
    this.scheduled = false;
    this.flush();
  };
}

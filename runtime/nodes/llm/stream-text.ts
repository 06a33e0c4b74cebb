/**
 * Turns the growing decoded text of a generation into token emissions: holds back
 * a tail that may be the start of a stop string or an incomplete UTF-8 character,
 * and cuts the text at the first stop string.
 */
export class StreamText {
  private emitted = 0;
  text = '';
  stopped = false;

  constructor(
    private readonly stops: string[],
    private readonly emit: (token: string) => void,
  ) {}

  /** The whole text so far; emits what is safe to show. */
  update(full: string): void {
    if (this.stopped) return;
    for (const s of this.stops) {
      const at = s ? full.indexOf(s) : -1;
      if (at >= 0) {
        this.flush(full.slice(0, at));
        this.stopped = true;
        return;
      }
    }
    this.text = full;
    let safe = full.length;
    if (full.endsWith('\uFFFD')) safe = full.length - 1;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, full.length); k > 0; k--) {
        if (full.endsWith(s.slice(0, k))) {
          safe = Math.min(safe, full.length - k);
          break;
        }
      }
    }
    if (safe > this.emitted) {
      this.emit(full.slice(this.emitted, safe));
      this.emitted = safe;
    }
  }

  /** Emits what was held back; the final text. */
  finish(): string {
    if (!this.stopped) this.flush(this.text.replace(/\uFFFD$/, ''));
    return this.text;
  }

  private flush(final: string): void {
    this.text = final;
    if (final.length > this.emitted) this.emit(final.slice(this.emitted));
    this.emitted = final.length;
  }
}

/**
 * When a toolbar message has outlived what it says. A message may name its cause:
 * - `edit`: it is about the graph as it was (a refused connection): the next edit ends it;
 * - `errors`: it reports the graph's errors (a refused deploy): it stays until there are none.
 * Messages without a cause go after a few seconds.
 */
export type NoticeCause = 'edit' | 'errors';

export interface NoticeFacts {
  /** The document changed since the message was shown (selection and measurements do not count). */
  edited: boolean;
  /** The graph's errors now, the compiler's and the server's. */
  errors: number;
}

export function noticeStale(cause: NoticeCause | undefined, now: NoticeFacts): boolean {
  if (cause === 'edit') return now.edited;
  if (cause === 'errors') return now.errors === 0;
  return false;
}

/** Milliseconds a message stays when nothing ends it sooner; null: until its cause is gone (or it is dismissed). */
export function noticeLifetime(tone: 'info' | 'error' | 'ok', cause?: NoticeCause): number | null {
  if (cause === 'errors') return null;
  return tone === 'error' ? 8000 : 4000;
}

import autocannon from 'autocannon';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
}

/**
 * Closed-loop HTTP load with autocannon: `connections` clients, each sending
 * its next POST when the last one answers, for `seconds`. `body(i)` makes the
 * i-th body, so requests can differ (no cache can answer them all).
 */
export async function postLoad(url: string, opts: { connections: number; seconds: number; body: (i: number) => unknown }): Promise<LoadResult> {
  let i = 0;
  const u = new URL(url);
  const r = await autocannon({
    url: u.origin,
    connections: opts.connections,
    duration: opts.seconds,
    requests: [
      {
        method: 'POST',
        path: u.pathname,
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: JSON.stringify(opts.body(i++)) }),
      },
    ],
  });
  const failed = r.errors + r.timeouts + r.non2xx;
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, ok: r['2xx'], failed };
}

/** Distinct sentences from the RAG docs, numbered so no two requests are the same text. */
export function sentences(docs: string[], minLength = 30, maxLength = 240): (i: number) => string {
  const base = docs
    .flatMap((d) => d.replace(/[#*`>|-]/g, ' ').split(/(?<=[.!?])\s+/))
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length >= minLength && s.length <= maxLength);
  if (base.length === 0) throw new Error('no sentences in the docs');
  return (i) => `${base[i % base.length]} (${i})`;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

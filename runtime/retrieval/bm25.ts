/**
 * Okapi BM25 over the index's chunk texts, built in memory at load time (the
 * index files stay the agreed three). Dense word vectors know no rare product
 * names (GloVe has no "Kubernetes"); the lexical score finds them.
 */

const K1 = 1.2;
const B = 0.75;

export function terms(text: string): string[] {
  return text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
}

export class Bm25 {
  private readonly postings = new Map<string, { docs: Int32Array; tf: Uint16Array }>();
  private readonly docLen: Float32Array;
  private readonly avgLen: number;
  readonly count: number;

  constructor(texts: readonly string[]) {
    this.count = texts.length;
    this.docLen = new Float32Array(texts.length);
    const lists = new Map<string, { docs: number[]; tf: number[] }>();
    texts.forEach((text, doc) => {
      const words = terms(text);
      this.docLen[doc] = words.length;
      const tf = new Map<string, number>();
      for (const w of words) tf.set(w, (tf.get(w) ?? 0) + 1);
      for (const [w, n] of tf) {
        let l = lists.get(w);
        if (!l) {
          l = { docs: [], tf: [] };
          lists.set(w, l);
        }
        l.docs.push(doc);
        l.tf.push(Math.min(n, 65_535));
      }
    });
    let total = 0;
    for (const n of this.docLen) total += n;
    this.avgLen = texts.length ? total / texts.length || 1 : 1;
    for (const [w, l] of lists) this.postings.set(w, { docs: Int32Array.from(l.docs), tf: Uint16Array.from(l.tf) });
  }

  /** BM25 of the query against every chunk, divided by the best one so scores lie in [0, 1]. */
  scores(query: string, out = new Float32Array(this.count)): Float32Array {
    out.fill(0);
    for (const w of new Set(terms(query))) {
      const p = this.postings.get(w);
      if (!p) continue;
      const idf = Math.log(1 + (this.count - p.docs.length + 0.5) / (p.docs.length + 0.5));
      for (let i = 0; i < p.docs.length; i++) {
        const d = p.docs[i];
        const tf = p.tf[i];
        out[d] += (idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * this.docLen[d]) / this.avgLen));
      }
    }
    let max = 0;
    for (const s of out) if (s > max) max = s;
    if (max > 0) for (let i = 0; i < out.length; i++) out[i] /= max;
    return out;
  }
}

/**
 * Splits text into chunks of at most `size` characters on sentence or paragraph
 * boundaries, repeating up to `overlap` characters of whole units between
 * neighbours. Chunks are slices of the input, so their offsets point back into it.
 */

export type ChunkMode = 'none' | 'sentence' | 'paragraph';

export interface ChunkOptions {
  mode: ChunkMode;
  size: number;
  overlap: number;
}

export interface Span {
  start: number;
  end: number;
}

export interface Chunk extends Span {
  text: string;
}

// Abbreviations whose period does not end a sentence.
const ABBREVIATIONS = new Set(['e.g', 'i.e', 'etc', 'vs', 'mr', 'mrs', 'ms', 'dr', 'prof', 'inc', 'ltd', 'no', 'fig', 'approx', 'cf']);

/** Paragraphs: runs of text separated by blank lines. */
export function paragraphSpans(text: string): Span[] {
  const spans: Span[] = [];
  const re = /\S(?:[^\n]|\n(?![ \t]*\n))*/g;
  for (let m = re.exec(text); m; m = re.exec(text)) spans.push(trimSpan(text, { start: m.index, end: m.index + m[0].length }));
  return spans.filter((s) => s.end > s.start);
}

/** Sentences within each paragraph; a single newline ends a sentence too (headings, list items). */
export function sentenceSpans(text: string): Span[] {
  const spans: Span[] = [];
  for (const para of paragraphSpans(text)) {
    let start = para.start;
    const body = text.slice(para.start, para.end);
    const re = /([.!?]+["')\]]*)(\s+)|\n\s*/g;
    for (let m = re.exec(body); m; m = re.exec(body)) {
      const end = para.start + m.index + (m[1]?.length ?? 0);
      if (m[1] && isAbbreviation(text, start, end)) continue;
      if (end > start) spans.push(trimSpan(text, { start, end }));
      start = para.start + m.index + m[0].length;
    }
    if (para.end > start) spans.push(trimSpan(text, { start, end: para.end }));
  }
  return spans.filter((s) => s.end > s.start);
}

function isAbbreviation(text: string, start: number, end: number): boolean {
  if (text[end - 1] !== '.') return false;
  const word = /([A-Za-z.]+)\.$/.exec(text.slice(start, end));
  return word ? ABBREVIATIONS.has(word[1].toLowerCase()) : false;
}

function trimSpan(text: string, s: Span): Span {
  let { start, end } = s;
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return { start, end };
}

/** Cuts one oversized unit into windows of `size` with `overlap`, preferring whitespace cut points. */
function splitLong(text: string, unit: Span, size: number, overlap: number): Span[] {
  const out: Span[] = [];
  let start = unit.start;
  while (start < unit.end) {
    let end = Math.min(unit.end, start + size);
    if (end < unit.end) {
      const space = text.lastIndexOf(' ', end);
      if (space > start + size / 2) end = space;
    }
    out.push(trimSpan(text, { start, end }));
    if (end >= unit.end) break;
    let next = Math.max(end - overlap, start + 1);
    // Start the overlap on a word boundary when one is near.
    const space = text.indexOf(' ', next);
    if (overlap > 0 && space !== -1 && space < end) next = space + 1;
    start = next;
  }
  return out.filter((s) => s.end > s.start);
}

export function chunkSpans(text: string, opts: ChunkOptions): Span[] {
  if (opts.size < 1) throw new RangeError(`chunk size must be at least 1, got ${opts.size}`);
  if (opts.overlap < 0 || opts.overlap >= opts.size) {
    throw new RangeError(`chunk overlap must be at least 0 and below the chunk size (${opts.size}), got ${opts.overlap}`);
  }
  const whole = trimSpan(text, { start: 0, end: text.length });
  if (whole.end === whole.start) return [];
  if (opts.mode === 'none') return [whole];
  const units = (opts.mode === 'sentence' ? sentenceSpans(text) : paragraphSpans(text)).flatMap((u) =>
    u.end - u.start > opts.size ? splitLong(text, u, opts.size, opts.overlap) : [u],
  );
  const chunks: Span[] = [];
  let first = 0;
  while (first < units.length) {
    // Take units while the slice from the first unit's start stays within size.
    let last = first;
    while (last + 1 < units.length && units[last + 1].end - units[first].start <= opts.size) last++;
    chunks.push({ start: units[first].start, end: units[last].end });
    if (last + 1 >= units.length) break;
    // The next chunk repeats the trailing units that fit in `overlap`, but always moves forward.
    let next = last + 1;
    while (
      next - 1 > first &&
      units[last].end - units[next - 1].start <= opts.overlap &&
      units[last + 1].end - units[next - 1].start <= opts.size
    )
      next--;
    first = next;
  }
  return chunks;
}

export function chunkText(text: string, opts: ChunkOptions): Chunk[] {
  return chunkSpans(text, opts).map((s) => ({ ...s, text: text.slice(s.start, s.end) }));
}

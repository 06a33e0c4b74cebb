/**
 * What a node's output holds, for the output viewer: retrieved documents (text with
 * source and score), images (data: URLs), and the whole value as JSON.
 */

export interface DocumentView {
  text: string;
  source?: string;
  score?: number;
  chunk?: number;
  id?: string;
}
export interface Found<T> {
  /** JSON path of the value in the output, e.g. `$.documents`. */
  path: string;
  value: T;
}

const MAX_DEPTH = 8;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const step = (path: string, k: string | number) => (typeof k === 'number' ? `${path}[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`);

function walk(v: unknown, path: string, depth: number, visit: (v: unknown, path: string) => boolean): void {
  if (depth > MAX_DEPTH || visit(v, path)) return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) walk(v[i], step(path, i), depth + 1, visit);
  }
  else if (isObject(v)) for (const [k, x] of Object.entries(v)) walk(x, step(path, k), depth + 1, visit);
}

const asDocument = (d: unknown): DocumentView | undefined => {
  if (!isObject(d) || typeof d.text !== 'string') return undefined;
  return {
    text: d.text,
    ...(typeof d.source === 'string' ? { source: d.source } : {}),
    ...(typeof d.score === 'number' ? { score: d.score } : {}),
    ...(typeof d.chunk === 'number' ? { chunk: d.chunk } : {}),
    ...(typeof d.id === 'string' ? { id: d.id } : {}),
  };
};

/** Lists of documents: arrays whose items all carry `text` and at least one carries a source or score. */
export function documentsIn(value: unknown): Found<DocumentView[]>[] {
  const out: Found<DocumentView[]>[] = [];
  walk(value, '$', 0, (v, path) => {
    if (!Array.isArray(v) || v.length === 0) return false;
    const docs = v.map(asDocument);
    if (docs.some((d) => !d) || !docs.some((d) => d!.source !== undefined || d!.score !== undefined)) return false;
    out.push({ path, value: docs as DocumentView[] });
    return true;
  });
  return out;
}

const IMAGE = /^data:image\/(png|jpe?g|gif|webp|bmp|svg\+xml);base64,[A-Za-z0-9+/=\s]+$/i;

/** Images as data: URLs (what `image` ports carry). */
export function imagesIn(value: unknown): Found<string>[] {
  const out: Found<string>[] = [];
  walk(value, '$', 0, (v, path) => {
    if (typeof v === 'string' && IMAGE.test(v.slice(0, 64)) && IMAGE.test(v)) {
      out.push({ path, value: v });
      return true;
    }
    return false;
  });
  return out;
}

/** One line for a collapsed JSON value: `{3 keys}`, `[12 items]`, or the value itself cut short. */
export function summarise(v: unknown, max = 80): string {
  if (Array.isArray(v)) return `[${v.length} item${v.length === 1 ? '' : 's'}]`;
  if (isObject(v)) {
    const n = Object.keys(v).length;
    return `{${n} key${n === 1 ? '' : 's'}}`;
  }
  const s = JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

export const prettyJson = (v: unknown): string => JSON.stringify(v, null, 2) ?? String(v);

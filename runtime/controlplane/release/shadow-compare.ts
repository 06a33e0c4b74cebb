/**
 * Do two answers agree? Exact for strings, booleans and shapes; numbers (and so
 * vector elements) within a relative tolerance: |a-b| <= tolerance × max(1, |a|, |b|).
 * Returns the JSON path of the first difference. Pure: tested directly.
 */
export type Comparison = { equal: true } | { equal: false; where: string };

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const key = (path: string, k: string) => (IDENT.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`);

const list = (v: unknown): unknown => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v);

export function compareOutputs(x: unknown, y: unknown, tolerance = 0, path = '$'): Comparison {
  // A vector may arrive as a typed array (structured clone from a worker): compared as a list.
  const a = list(x);
  const b = list(y);
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return { equal: true };
    return Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b)) ? { equal: true } : { equal: false, where: path };
  }
  if (a === b) return { equal: true };
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return { equal: false, where: path };
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = compareOutputs(a[i], b[i], tolerance, `${path}[${i}]`);
      if (!c.equal) return c;
    }
    return a.length === b.length ? { equal: true } : { equal: false, where: `${path}[${n}]` };
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of [...keys].sort()) {
    if (!(k in ra) || !(k in rb)) return { equal: false, where: key(path, k) };
    const c = compareOutputs(ra[k], rb[k], tolerance, key(path, k));
    if (!c.equal) return c;
  }
  return { equal: true };
}

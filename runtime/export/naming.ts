/** Names in the exported app: deployment names are node ids; classes are PascalCase and unique. */

const PY_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);

/** The ingress deployment's name: "Ingress", or a variant no node id uses. */
export function ingressName(nodeIds: readonly string[]): string {
  const taken = new Set(nodeIds);
  let name = 'Ingress';
  for (let i = 2; taken.has(name); i++) name = `Ingress${i}`;
  return name;
}

/** A Python class name for each node id (preprocess -> Preprocess, embed-2 -> Embed_2), unique. */
export function classNames(nodeIds: readonly string[], reserved: readonly string[] = []): Map<string, string> {
  const taken = new Set(reserved);
  const out = new Map<string, string>();
  for (const id of nodeIds) {
    let base = id.replace(/[^A-Za-z0-9_]/g, '_').replace(/^_*/, '');
    base = base ? base[0].toUpperCase() + base.slice(1) : 'Node';
    if (PY_KEYWORDS.has(base) || /^\d/.test(base)) base = `Node_${base}`;
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
    taken.add(name);
    out.set(id, name);
  }
  return out;
}

/** A Python identifier for a handle argument (node ids may hold '-'). */
export function argName(id: string): string {
  const a = id.replace(/[^A-Za-z0-9_]/g, '_');
  return PY_KEYWORDS.has(a) || /^\d/.test(a) ? `n_${a}` : a;
}

/** A Python string literal (JSON strings are valid Python strings). */
export const pyStr = (s: string) => JSON.stringify(s);

/** A JSON value as a Python literal. */
export function pyValue(v: unknown, indent = ''): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'None';
  if (typeof v === 'string') return pyStr(v);
  const inner = `${indent}    `;
  if (Array.isArray(v)) return v.length ? `[\n${v.map((x) => `${inner}${pyValue(x, inner)},`).join('\n')}\n${indent}]` : '[]';
  const entries = Object.entries(v as Record<string, unknown>);
  return entries.length ? `{\n${entries.map(([k, x]) => `${inner}${pyStr(k)}: ${pyValue(x, inner)},`).join('\n')}\n${indent}}` : '{}';
}

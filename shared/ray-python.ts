/**
 * Reads what a Ray Serve Python file says about composition, without running it:
 * which deployment each class is, @serve.batch settings, and the .bind() tree
 * (parent holds a handle to child). Beamline-exported apps also carry their exact
 * edges in an EDGES list. A reader of text, not a Python parser: it understands
 * the plain forms (`X.bind(...)`, `X.options(name=...).bind(...)`, `v = X.bind()`).
 */

export interface PythonComposition {
  /** Class name -> deployment name (from @serve.deployment(name=...), else the class name). */
  deployments: Map<string, string>;
  /** Deployment name -> the Beamline node class it wraps (`node_class = EmbedderNode` in an exported app). */
  nodeClasses: Map<string, string>;
  /** Deployment name -> batching declared with @serve.batch in its class. */
  batching: Map<string, { maxBatchSize: number; batchWaitTimeoutMs: number }>;
  /** parent deployment -> child deployment, from .bind() arguments. */
  calls: { parent: string; child: string }[];
  /** Deployment bound last at top level (the application's ingress), if any. */
  root?: string;
  /** Beamline-exported apps: (source, port, target, port). */
  edges?: { source: string; sourceHandle: string; target: string; targetHandle: string }[];
}

const STR = String.raw`"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'`;

function unquote(m: RegExpExecArray, i: number): string {
  return (m[i] ?? m[i + 1] ?? '').replace(/\\(.)/g, '$1');
}

interface BindNode {
  name: string;
  children: BindNode[];
}

export function readPythonComposition(text: string): PythonComposition {
  const deployments = new Map<string, string>();
  const batching = new Map<string, { maxBatchSize: number; batchWaitTimeoutMs: number }>();
  const nodeClasses = new Map<string, string>();
  // Decorated classes and the @serve.batch inside each. A decorator's arguments may span lines
  // (`@serve.deployment(\n    name="x",\n)`), with brackets nested two deep.
  const args = String.raw`\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)`;
  const classRe = new RegExp(String.raw`((?:^[ \t]*@[\w.]+[ \t]*(?:${args})?[ \t]*(?:#[^\n]*)?\n)*)^class\s+([A-Za-z_]\w*)\s*[(:]`, 'gm');
  const classes: { name: string; start: number; decorators: string }[] = [];
  for (let m = classRe.exec(text); m; m = classRe.exec(text)) classes.push({ name: m[2], start: m.index, decorators: m[1] });
  classes.forEach((c, i) => {
    if (!/@serve\.deployment\b|@deployment\b/.test(c.decorators)) return;
    const named = new RegExp(String.raw`name\s*=\s*(?:${STR})`).exec(c.decorators);
    const name = named ? unquote(named, 1) : c.name;
    deployments.set(c.name, name);
    const body = text.slice(c.start, classes[i + 1]?.start ?? text.length);
    const wraps = /^\s+node_class\s*=\s*([A-Za-z_]\w*)/m.exec(body);
    if (wraps) nodeClasses.set(name, wraps[1]);
    const batched = /@serve\.batch\b(?:\s*\(([^)]*)\))?/.exec(body);
    if (batched) {
      const args = batched[1] ?? '';
      const size = /max_batch_size\s*=\s*(\d+)/.exec(args);
      const wait = /batch_wait_timeout_s\s*=\s*([\d.eE+-]+)/.exec(args);
      // Ray's defaults: 10 and 0.01 s.
      batching.set(name, { maxBatchSize: size ? Number(size[1]) : 10, batchWaitTimeoutMs: Math.round((wait ? Number(wait[1]) : 0.01) * 1000 * 1e6) / 1e6 });
    }
  });

  // .bind() expressions, with variables assigned at top level.
  const vars = new Map<string, BindNode>();
  let last: BindNode | undefined;
  const parseAt = (pos: number): { node?: BindNode; end: number } => {
    const re = /^([A-Za-z_]\w*)\s*(?:\.options\s*\(([^()]*)\))?\s*\.bind\s*\(/;
    const m = re.exec(text.slice(pos));
    if (!m) return { end: pos };
    const named = m[2] ? new RegExp(String.raw`name\s*=\s*(?:${STR})`).exec(m[2]) : null;
    const node: BindNode = { name: named ? unquote(named, 1) : (deployments.get(m[1]) ?? m[1]), children: [] };
    let i = pos + m[0].length;
    let depth = 1;
    while (i < text.length && depth > 0) {
      const ch = text[i];
      if (ch === '(' || ch === '[' || ch === '{') depth++;
      else if (ch === ')' || ch === ']' || ch === '}') depth--;
      else if (ch === '"' || ch === "'") {
        const close = text.indexOf(ch, i + 1);
        i = close < 0 ? text.length : close;
      } else if (/[A-Za-z_]/.test(ch) && !/[\w.]/.test(text[i - 1] ?? '')) {
        const inner = parseAt(i);
        if (inner.node) {
          node.children.push(inner.node);
          i = inner.end;
          continue;
        }
        const word = /^[A-Za-z_]\w*/.exec(text.slice(i))![0];
        const v = vars.get(word);
        if (v && !/^\s*[.(]/.test(text.slice(i + word.length))) node.children.push(v);
        i += word.length;
        continue;
      }
      i++;
    }
    return { node, end: i };
  };
  const assignRe = /^([A-Za-z_]\w*)\s*=\s*(?=[A-Za-z_]\w*\s*(?:\.options\s*\([^()]*\))?\s*\.bind\s*\()/gm;
  for (let m = assignRe.exec(text); m; m = assignRe.exec(text)) {
    const { node, end } = parseAt(m.index + m[0].length);
    if (node) {
      vars.set(m[1], node);
      last = node;
      assignRe.lastIndex = end;
    }
  }
  const calls: { parent: string; child: string }[] = [];
  const seen = new Set<string>();
  const walk = (n: BindNode) => {
    for (const c of n.children) {
      const key = `${n.name}\0${c.name}`;
      if (!seen.has(key)) {
        seen.add(key);
        calls.push({ parent: n.name, child: c.name });
      }
      walk(c);
    }
  };
  for (const v of new Set(vars.values())) walk(v);

  const out: PythonComposition = { deployments, nodeClasses, batching, calls, ...(last ? { root: last.name } : {}) };
  const edgesBlock = /^EDGES\s*=\s*\[([\s\S]*?)^\]/m.exec(text);
  if (edgesBlock) {
    const tuple = new RegExp(String.raw`\(\s*(?:${STR})\s*,\s*(?:${STR})\s*,\s*(?:${STR})\s*,\s*(?:${STR})\s*,?\s*\)`, 'g');
    out.edges = [];
    for (let m = tuple.exec(edgesBlock[1]); m; m = tuple.exec(edgesBlock[1])) {
      out.edges.push({ source: unquote(m, 1), sourceHandle: unquote(m, 3), target: unquote(m, 5), targetHandle: unquote(m, 7) });
    }
  }
  return out;
}

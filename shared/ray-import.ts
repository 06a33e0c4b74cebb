import { load } from 'js-yaml';
import { builtinCatalog } from './catalog/index.js';
import type { DeploymentInput } from './deployment.js';
import type { GraphInput } from './graph.js';
import { readPythonComposition } from './ray-python.js';
import { fromRayDeployment, type RayDeployment, USER_CONFIG_KEY } from './ray-options.js';

/**
 * A Ray Serve config (or a KubeRay RayService holding one in serveConfigV2) ->
 * a Beamline graph. Pure, no Node APIs: the CLI's `beamline import` and the
 * editor's Open dialog both call it.
 *
 * Deployments exported by Beamline carry their node in user_config.beamline and
 * come back as the same nodes. Other deployments become `custom` nodes with
 * their deployment settings, and a warning says so. A Serve config holds no
 * composition: edges come from the Python file when one is given.
 */

export interface ImportOptions {
  /** Which application of a multi-application config (default: the first). */
  application?: string;
  /** Text of the application's Python file, read for .bind() calls and EDGES. */
  python?: string;
}

export interface ImportResult {
  graph: GraphInput;
  warnings: string[];
}

export class ServeImportError extends Error {
  constructor(
    message: string,
    readonly path = '$',
  ) {
    super(`${path}: ${message}`);
    this.name = 'ServeImportError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseYaml(text: string, what: string): unknown {
  try {
    return load(text);
  } catch (e) {
    throw new ServeImportError(`${what} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** The Serve config inside whatever was given, and the JSON path it was found at. */
function serveConfigOf(doc: unknown): { config: Obj; at: string } {
  if (!isObj(doc)) throw new ServeImportError('expected a Ray Serve config (with applications) or a KubeRay RayService');
  if (doc.kind === 'RayService') {
    const spec = isObj(doc.spec) ? doc.spec : {};
    if (typeof spec.serveConfigV2 !== 'string') throw new ServeImportError('the RayService has no spec.serveConfigV2 string', '$.spec.serveConfigV2');
    const inner = parseYaml(spec.serveConfigV2, 'spec.serveConfigV2');
    if (!isObj(inner)) throw new ServeImportError('serveConfigV2 is not a YAML mapping', '$.spec.serveConfigV2');
    return { config: inner, at: '$.spec.serveConfigV2' };
  }
  if (typeof doc.kind === 'string') throw new ServeImportError(`a ${doc.kind} holds no Serve config; give a Serve config file or a RayService`, '$.kind');
  if (Array.isArray(doc.applications)) return { config: doc, at: '$' };
  // The single-application form (import_path at top level).
  if (typeof doc.import_path === 'string') return { config: { applications: [doc] }, at: '$' };
  throw new ServeImportError('no applications list and no import_path: not a Ray Serve config', '$.applications');
}

function nodeId(name: string, taken: Set<string>): string {
  let id = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60);
  if (!/^[A-Za-z_]/.test(id)) id = `d_${id}`;
  let out = id;
  for (let i = 2; taken.has(out); i++) out = `${id}_${i}`;
  taken.add(out);
  return out;
}

function graphName(name: unknown): string {
  const n = String(name ?? 'imported')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 63);
  return n || 'imported';
}

export function importServeConfig(yamlText: string, opts: ImportOptions = {}): ImportResult {
  const warnings: string[] = [];
  const { config, at } = serveConfigOf(parseYaml(yamlText, 'the file'));
  const apps = (config.applications as unknown[]).filter(isObj);
  if (apps.length === 0) throw new ServeImportError('the config has no applications', `${at}.applications`);
  const index = opts.application === undefined ? 0 : apps.findIndex((a) => a.name === opts.application);
  if (index < 0) throw new ServeImportError(`no application named "${opts.application}" (have: ${apps.map((a) => String(a.name ?? 'default')).join(', ')})`, `${at}.applications`);
  if (apps.length > 1) {
    warnings.push(`the config has ${apps.length} applications (${apps.map((a) => String(a.name ?? 'default')).join(', ')}); imported "${String(apps[index].name ?? 'default')}" (choose another with the application option)`);
  }
  const app = apps[index];
  const appAt = `${at}.applications[${index}]`;
  const deps = (Array.isArray(app.deployments) ? app.deployments : []).filter(isObj) as RayDeployment[];
  const beamline = (d: RayDeployment) => (isObj(d.user_config) && isObj(d.user_config[USER_CONFIG_KEY]) ? (d.user_config[USER_CONFIG_KEY] as Obj) : undefined);
  const ingressIdx = deps.findIndex((d) => isObj(beamline(d)?.graph));
  const py = opts.python !== undefined ? readPythonComposition(opts.python) : undefined;
  return ingressIdx >= 0 ? fromBeamline(app, appAt, deps, ingressIdx, beamline, py, warnings) : fromForeign(app, appAt, deps, py, warnings);
}

/** An app written by `beamline export`: nodes, settings and labels come back as they were. */
function fromBeamline(
  app: Obj,
  appAt: string,
  deps: RayDeployment[],
  ingressIdx: number,
  beamline: (d: RayDeployment) => Obj | undefined,
  py: ReturnType<typeof readPythonComposition> | undefined,
  warnings: string[],
): ImportResult {
  const ingress = beamline(deps[ingressIdx])!;
  const g = ingress.graph as Obj;
  const calls = isObj(ingress.calls) ? (ingress.calls as Record<string, Obj>) : {};
  const nodes: GraphInput['nodes'] = [];
  for (const n of Array.isArray(ingress.nodes) ? ingress.nodes.filter(isObj) : []) {
    nodes.push({ id: String(n.id), kind: String(n.kind), ...(typeof n.label === 'string' ? { label: n.label } : {}), position: n.position as { x: number; y: number }, config: (n.config ?? {}) as Obj, deployment: {} });
  }
  deps.forEach((d, i) => {
    if (i === ingressIdx) return;
    const where = `${appAt}.deployments[${i}]`;
    const b = beamline(d);
    const { deployment, warnings: w } = fromRayDeployment(d, where);
    warnings.push(...w);
    const call = calls[d.name];
    const full: DeploymentInput = { ...deployment, ...(call && typeof call.timeoutMs === 'number' ? { timeoutMs: call.timeoutMs } : {}), ...(call && typeof call.retries === 'number' ? { retries: call.retries } : {}) };
    if (!b) {
      warnings.push(`${where}: deployment "${d.name}" has no user_config.beamline; imported as a custom node`);
      nodes.push({ id: d.name, kind: 'custom', config: { module: String(app.import_path ?? 'app').split(':')[0], exportName: 'default', options: {} }, deployment: full });
      return;
    }
    nodes.push({ id: d.name, kind: String(b.kind), ...(typeof b.label === 'string' ? { label: b.label } : {}), ...(isObj(b.position) ? { position: b.position as { x: number; y: number } } : {}), config: (b.config ?? {}) as Obj, deployment: full });
  });
  let edges: GraphInput['edges'] = [];
  if (py?.edges) edges = py.edges;
  else warnings.push('edges are not in a Serve config: they live in the app\'s Python code. Pass the exported app/beamline_app.py (--python) to recover them');
  const graph: GraphInput = {
    version: 1,
    name: graphName(g.name ?? app.name),
    ...(typeof g.description === 'string' ? { description: g.description } : {}),
    routePrefix: String(g.routePrefix ?? app.route_prefix ?? `/${graphName(app.name)}`),
    ...(g.multipleOutputs === true ? { multipleOutputs: true } : {}),
    nodes,
    edges,
  };
  return { graph, warnings };
}

/**
 * Any other Serve app: each deployment becomes a `custom` node (Beamline cannot
 * run its Python) with its settings; .bind() calls from --python become edges
 * in call direction (A -> B: A holds a handle to B), between an input and an output.
 */
function fromForeign(app: Obj, appAt: string, deps: RayDeployment[], py: ReturnType<typeof readPythonComposition> | undefined, warnings: string[]): ImportResult {
  const taken = new Set(['input', 'output']);
  const ids = new Map<string, string>();
  const module = String(app.import_path ?? 'app').split(':')[0];
  const nodes: GraphInput['nodes'] = [{ id: 'input', kind: 'input', label: 'Request', position: { x: 0, y: 0 }, config: { fields: {} }, deployment: {} }];
  // Deployments only declared in Python (no override in the config) are nodes too.
  const names = [...deps.map((d) => String(d.name)), ...(py ? [...py.deployments.values()].filter((n) => !deps.some((d) => d.name === n)) : [])];
  names.forEach((name, i) => {
    const d = deps.find((x) => x.name === name) ?? { name };
    const where = i < deps.length ? `${appAt}.deployments[${i}]` : `python ${name}`;
    const { deployment, warnings: w } = fromRayDeployment(d as RayDeployment, where);
    warnings.push(...w);
    const batch = py?.batching.get(name);
    if (batch) deployment.batching = batch;
    const cls = [...(py?.deployments ?? new Map<string, string>())].find(([, dep]) => dep === name)?.[0] ?? name;
    // An exported app whose user_config was dropped still names its node class: <Kind>Node.
    const kind = /^([A-Z][a-z]+)Node$/.exec(py?.nodeClasses.get(name) ?? '')?.[1].toLowerCase();
    if (kind && builtinCatalog.has(kind) && builtinCatalog.get(kind)!.runsIn === 'replica') {
      const id = nodeId(name, taken);
      ids.set(name, id);
      nodes.push({ id, kind, label: name, config: {}, deployment });
      warnings.push(`deployment "${name}": kind ${kind} recovered from its class (${py!.nodeClasses.get(name)}); its config was not in the Serve config, so it has the kind's defaults`);
      return;
    }
    const id = nodeId(name, taken);
    ids.set(name, id);
    nodes.push({
      id,
      kind: 'custom',
      label: name,
      config: { module, exportName: /^[A-Za-z_$][\w$]*$/.test(cls) ? cls : 'default', options: isObj(d.user_config) ? { user_config: d.user_config } : {} },
      deployment,
    });
    warnings.push(`deployment "${name}" (${module}) is not a Beamline kind: imported as a custom node, which Beamline cannot run until you replace it with a built-in kind or a JavaScript module`);
  });
  nodes.push({ id: 'output', kind: 'output', label: 'Response', position: { x: 0, y: 0 }, config: {}, deployment: {} });
  const edges: GraphInput['edges'] = [];
  if (py?.root && ids.has(py.root)) {
    const root = ids.get(py.root)!;
    edges.push({ source: 'input', sourceHandle: 'body', target: root, targetHandle: 'in' });
    edges.push({ source: root, sourceHandle: 'out', target: 'output', targetHandle: 'in' });
    for (const c of py.calls) {
      const a = ids.get(c.parent);
      const b = ids.get(c.child);
      if (a && b) edges.push({ source: a, sourceHandle: 'out', target: b, targetHandle: 'in' });
    }
    warnings.push('edges follow .bind() calls (A -> B: A holds a handle to B and calls it); what each call sends is in the Python code');
  } else {
    warnings.push(py ? 'the Python file has no top-level X.bind(...) assignment: edges not recovered' : 'a Serve config holds no composition: edges not recovered (pass the application\'s Python file with --python to read its .bind() calls)');
  }
  layout(nodes, edges);
  return { graph: { version: 1, name: graphName(app.name), routePrefix: typeof app.route_prefix === 'string' && app.route_prefix !== '/' ? app.route_prefix : `/${graphName(app.name)}`, nodes, edges }, warnings };
}

/** Columns by depth from the input, rows in order: a readable start for the canvas. */
function layout(nodes: GraphInput['nodes'], edges: GraphInput['edges']): void {
  const depth = new Map<string, number>([['input', 0]]);
  for (let pass = 0; pass < nodes.length; pass++) {
    for (const e of edges) if (depth.has(e.source)) depth.set(e.target, Math.max(depth.get(e.target) ?? 0, depth.get(e.source)! + 1));
  }
  const maxDepth = Math.max(0, ...[...depth.values()]);
  const rows = new Map<number, number>();
  for (const n of nodes) {
    const col = n.id === 'output' ? maxDepth + 1 : (depth.get(n.id) ?? 1);
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    n.position = { x: col * 260, y: row * 140 };
  }
}

import { load, loadAll } from 'js-yaml';
import { builtinCatalog } from './catalog/index.js';
import { mergeDeployment } from './compile.js';
import { type Deployment, DeploymentSchema, type DeploymentInput } from './deployment.js';
import type { RayExportSettings } from './export-section.js';
import { type GraphInput, ROUTE_PREFIX } from './graph.js';
import { readPythonComposition } from './ray-python.js';
import { DATA_DIR, DEFAULT_SERVE_TOP, fromRayDeployment, ingressOptions, MODELS_DIR, type RayDeployment, USER_CONFIG_KEY, withoutNulls } from './ray-options.js';
import { isApplicationField, isDeploymentField, isServeConfigField } from './ray-serve-fields.js';
import { normaliseRoutePrefix, routePrefixProblem } from './route-prefix.js';

/**
 * A Ray Serve config (or a KubeRay RayService holding one in serveConfigV2) ->
 * Beamline graphs, one per application. Pure, no Node APIs: the CLI's
 * `beamline import` and the editor's Open dialog both call it.
 *
 * Deployments exported by Beamline carry their node in user_config.beamline and
 * come back as the same nodes. Other deployments become `ray-deployment` nodes
 * holding their import path and Ray options, which `beamline export` writes back
 * with the node's edited settings. What the graph has no field for (the
 * RayService's cluster, runtime_env, http_options, ...) is kept in the graph's
 * `export.ray` section and written back too; anything Ray itself does not read
 * is named in a warning and left out. A Serve config holds no composition:
 * edges come from the Python file when one is given.
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

export interface ImportedApplication extends ImportResult {
  /** The application's name in the config. */
  application: string;
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
const omit = (o: Obj, keys: readonly string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
const deepEqual = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function yamlError(e: unknown, what: string): ServeImportError {
  return new ServeImportError(`${what} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
}

// ---- finding the Serve config ------------------------------------------------

interface Located {
  /** The Serve config (multi-application form, or the single-application form as written). */
  config: Obj;
  /** JSON path of the Serve config in the file. */
  at: string;
  rayService?: NonNullable<RayExportSettings['rayService']>;
  warnings: string[];
}

const docName = (d: unknown, i: number) => {
  if (!isObj(d)) return `document ${i + 1}`;
  const name = isObj(d.metadata) && typeof d.metadata.name === 'string' ? ` "${d.metadata.name}"` : '';
  return typeof d.kind === 'string' ? `${d.kind}${name}` : isServeConfig(d) ? 'a Serve config' : `document ${i + 1}`;
};

const isServeConfig = (d: Obj) => typeof d.kind !== 'string' && (Array.isArray(d.applications) || 'import_path' in d);

/** The RayService or Serve config among the file's YAML documents; the others are named in a warning. */
function locate(text: string): Located {
  let docs: unknown[];
  try {
    docs = loadAll(text).filter((d) => d !== null && d !== undefined);
  } catch (e) {
    throw yamlError(e, 'the file');
  }
  if (docs.length === 0) throw new ServeImportError('the file is empty: expected a Ray Serve config or a KubeRay RayService');
  const found = docs.findIndex((d) => isObj(d) && (d.kind === 'RayService' || isServeConfig(d)));
  if (found < 0) {
    const d = docs[0];
    if (isObj(d) && typeof d.kind === 'string' && docs.length === 1) throw new ServeImportError(`a ${d.kind} holds no Serve config; give a Serve config file or a RayService`, '$.kind');
    if (isObj(d) && Array.isArray(d.deployments)) {
      throw new ServeImportError(
        "a Ray 1.x deployment list (each deployment with its own import_path): Ray 2's Serve config has applications, each with one import_path and its deployments' options; write it as applications: [{name, import_path, deployments}]",
        '$.deployments',
      );
    }
    if (docs.length > 1) throw new ServeImportError(`none of the ${docs.length} YAML documents is a RayService or a Serve config (found: ${docs.map(docName).join(', ')})`);
    throw new ServeImportError(
      isObj(d) ? `no applications list and no import_path: not a Ray Serve config (it has ${Object.keys(d).slice(0, 8).join(', ') || 'no fields'})` : 'expected a Ray Serve config (with applications) or a KubeRay RayService',
      '$.applications',
    );
  }
  const warnings: string[] = [];
  const doc = docs[found] as Obj;
  const at = docs.length > 1 ? `$[${found}]` : '$';
  if (docs.length > 1) {
    warnings.push(`the file has ${docs.length} YAML documents; imported ${docName(doc, found)} (document ${found + 1}) and left out ${docs.flatMap((d, i) => (i === found ? [] : [`${docName(d, i)} (document ${i + 1})`])).join(', ')}`);
  }
  if (doc.kind !== 'RayService') return { config: doc, at, warnings };
  const spec = isObj(doc.spec) ? doc.spec : {};
  if (typeof spec.serveConfigV2 !== 'string') {
    if (spec.serveConfig !== undefined) throw new ServeImportError('spec.serveConfig is the old single-application form of KubeRay v1alpha1; move it to spec.serveConfigV2 (a Serve config as a YAML string)', `${at}.spec.serveConfig`);
    throw new ServeImportError('the RayService has no spec.serveConfigV2 string', `${at}.spec.serveConfigV2`);
  }
  let inner: unknown;
  try {
    inner = load(spec.serveConfigV2);
  } catch (e) {
    throw yamlError(e, 'spec.serveConfigV2');
  }
  if (!isObj(inner)) throw new ServeImportError('serveConfigV2 is not a YAML mapping', `${at}.spec.serveConfigV2`);
  if (doc.apiVersion !== 'ray.io/v1') warnings.push(`the RayService is ${String(doc.apiVersion)}; export writes it as ray.io/v1`);
  const meta = isObj(doc.metadata) ? doc.metadata : {};
  const metadata = Object.fromEntries(['name', 'namespace', 'labels', 'annotations'].filter((k) => meta[k] !== undefined).map((k) => [k, meta[k]]));
  return { config: inner, at: `${at}.spec.serveConfigV2`, rayService: { metadata, spec: omit(spec, ['serveConfigV2']) }, warnings };
}

// ---- the Serve config's applications ------------------------------------------

interface Applications {
  apps: { app: Obj; at: string }[];
  /** Top-level fields other than applications, for export. */
  top: Obj;
  warnings: string[];
}

/** Every application with its JSON path, checked as Ray checks them (names, route prefixes, import paths). */
function applicationsOf(config: Obj, at: string): Applications {
  const warnings: string[] = [];
  let apps: { app: Obj; at: string }[];
  let top: Obj;
  if (Array.isArray(config.applications)) {
    apps = config.applications.map((a, i) => {
      if (!isObj(a)) throw new ServeImportError('an application is a mapping with import_path', `${at}.applications[${i}]`);
      return { app: a, at: `${at}.applications[${i}]` };
    });
    top = omit(config, ['applications']);
  } else {
    // The single-application form: its host and port are http_options in the multi-application form.
    const { host, port, ...app } = config;
    top = {};
    for (const k of Object.keys(app)) if (!isApplicationField(k) && isServeConfigField(k)) top[k] = app[k];
    if (host !== undefined || port !== undefined) {
      top.http_options = { ...(host !== undefined ? { host } : {}), ...(port !== undefined ? { port } : {}) };
      warnings.push('the single-application form\'s host and port are http_options in the multi-application form export writes');
    }
    apps = [{ app: omit(app, Object.keys(top)), at }];
  }
  if (apps.length === 0) throw new ServeImportError('the config has no applications', `${at}.applications`);
  const dropped = Object.keys(top).filter((k) => !isServeConfigField(k));
  if (dropped.length) warnings.push(`${at}: ${dropped.join(', ')} ${dropped.length > 1 ? 'are' : 'is'} not a field of Ray's Serve config; left out`);
  top = withoutNulls(omit(top, dropped));
  const names = new Map<string, string>();
  const routes = new Map<string, string>();
  for (const { app, at: where } of apps) {
    if (typeof app.import_path !== 'string' || app.import_path.trim() === '') {
      throw new ServeImportError('an application needs an import_path (module:attribute or module.attribute)', `${where}.import_path`);
    }
    const ip = app.import_path;
    if (ip.split(':').length > 2 || /^[:.]|[:.]$/.test(ip) || !/[.:]/.test(ip)) {
      throw new ServeImportError(`import path "${ip}" is not module:attribute or module.attribute, as Ray requires`, `${where}.import_path`);
    }
    const name = typeof app.name === 'string' ? app.name : 'default';
    if (names.has(name)) throw new ServeImportError(`two applications are named "${name}" (also ${names.get(name)}); Ray refuses such a config`, `${where}.name`);
    names.set(name, where);
    const route = app.route_prefix === undefined ? '/' : app.route_prefix;
    if (typeof route === 'string') {
      if (routes.has(route)) throw new ServeImportError(`route_prefix ${route} is also ${routes.get(route)}'s; Ray refuses two applications on one route`, `${where}.route_prefix`);
      routes.set(route, `application "${name}"`);
    }
  }
  return { apps, top, warnings };
}

// ---- names ------------------------------------------------------------------

function nodeId(name: string, taken: Set<string>): string {
  let id = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60);
  if (!/^[A-Za-z_]/.test(id)) id = `d_${id}`;
  if (id === '__proto__') id = 'd_proto';
  let out = id;
  for (let i = 2; taken.has(out); i++) out = `${id}_${i}`;
  taken.add(out);
  return out;
}

function graphName(name: string, taken: Set<string>): string {
  const n =
    name
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '')
      .slice(0, 60) || 'imported';
  let out = n;
  for (let i = 2; taken.has(out); i++) out = `${n}-${i}`;
  taken.add(out);
  return out;
}

/** The graph's route: Ray's when Beamline can serve it, else /<name> with Ray's kept for export. */
function routeOf(app: Obj, name: string, where: string, warnings: string[]): { routePrefix: string; keep?: unknown } {
  const ray = app.route_prefix === undefined ? '/' : app.route_prefix;
  if (typeof ray === 'string' && ROUTE_PREFIX.test(ray)) {
    const r = normaliseRoutePrefix(ray);
    if (!routePrefixProblem(r)) return r === ray ? { routePrefix: r } : { routePrefix: r, keep: ray };
  }
  const why = ray === null ? 'no HTTP route (null)' : ray === '/' ? '/ (the editor, in beamline serve)' : `${JSON.stringify(ray)}, which beamline serve cannot route`;
  warnings.push(`${where}.route_prefix is ${why}: the graph serves at /${name} in Beamline, and export writes route_prefix ${JSON.stringify(ray)} back`);
  return { routePrefix: `/${name}`, keep: ray };
}

// ---- one application ---------------------------------------------------------

interface Shared {
  top: Obj;
  rayService?: NonNullable<RayExportSettings['rayService']>;
  python?: ReturnType<typeof readPythonComposition>;
  graphNames: Set<string>;
}

const beamlineOf = (d: Obj) => (isObj(d.user_config) && isObj(d.user_config[USER_CONFIG_KEY]) ? (d.user_config[USER_CONFIG_KEY] as Obj) : undefined);

function importApplication(app: Obj, at: string, shared: Shared): ImportResult {
  const warnings: string[] = [];
  const kept: string[] = [];
  const deps: RayDeployment[] = [];
  (Array.isArray(app.deployments) ? app.deployments : []).forEach((d, i) => {
    if (!isObj(d) || typeof d.name !== 'string' || d.name === '') throw new ServeImportError('a deployment is a mapping with a name', `${at}.deployments[${i}]`);
    deps.push(d as RayDeployment);
  });
  const seen = new Set<string>();
  deps.forEach((d, i) => {
    if (seen.has(d.name)) throw new ServeImportError(`deployment "${d.name}" is listed twice`, `${at}.deployments[${i}].name`);
    seen.add(d.name);
  });
  const ingressIdx = deps.findIndex((d) => isObj(beamlineOf(d)?.graph));
  const ray: RayExportSettings = {};
  // An app Beamline wrote comes back with Beamline's own top and cluster: kept (edits in them survive), not worth a note.
  const ours = ingressIdx >= 0;
  if (Object.keys(shared.top).length && !(ours && deepEqual(shared.top, DEFAULT_SERVE_TOP))) {
    ray.serveConfig = shared.top;
    if (!ours) kept.push(...Object.keys(shared.top));
  }
  if (shared.rayService) {
    ray.rayService = shared.rayService;
    if (!ours) kept.push(`the RayService (${Object.keys(shared.rayService.spec ?? {}).join(', ')})`);
  }
  const droppedApp = Object.keys(app).filter((k) => !isApplicationField(k));
  if (droppedApp.length) warnings.push(`${at}: ${droppedApp.join(', ')} ${droppedApp.length > 1 ? 'are' : 'is'} not a field of a Ray Serve application; left out`);
  const result = ingressIdx >= 0 ? fromBeamline(app, at, deps, ingressIdx, shared, ray, warnings, kept) : fromForeign(app, at, deps, shared, ray, warnings, kept);
  if (kept.length) warnings.push(`kept in the graph's export section and written back by beamline export (beamline serve does not use them): ${kept.join('; ')}`);
  if (Object.keys(ray).length) result.export = { ray };
  return { graph: result, warnings };
}

/** Ray options of a deployment that no Beamline setting covers, as written (nested ones under their parent). */
function unmappedOptions(dep: Obj, unmapped: string[]): Obj {
  const out: Obj = {};
  for (const path of unmapped) {
    const [head, sub] = path.split('.');
    if (sub === undefined) out[head] = dep[head];
    else out[head] = { ...((out[head] as Obj) ?? {}), [sub]: (dep[head] as Obj)[sub] };
  }
  return out;
}

/** An app written by `beamline export`: nodes, settings and labels come back as they were; edits made in the Serve config are kept. */
function fromBeamline(app: Obj, at: string, deps: RayDeployment[], ingressIdx: number, shared: Shared, ray: RayExportSettings, warnings: string[], kept: string[]): GraphInput {
  const ingress = beamlineOf(deps[ingressIdx])!;
  const g = ingress.graph as Obj;
  const calls = isObj(ingress.calls) ? (ingress.calls as Record<string, Obj>) : {};
  const nodes: GraphInput['nodes'] = [];
  for (const n of Array.isArray(ingress.nodes) ? ingress.nodes.filter(isObj) : []) {
    nodes.push({ id: String(n.id), kind: String(n.kind), ...(typeof n.label === 'string' ? { label: n.label } : {}), position: n.position as { x: number; y: number }, config: (n.config ?? {}) as Obj, deployment: {} });
  }
  const deployments: Record<string, Obj> = {};
  const resolved: Deployment[] = [];
  deps.forEach((d, i) => {
    if (i === ingressIdx) return;
    const where = `${at}.deployments[${i}]`;
    const b = beamlineOf(d);
    const { deployment, warnings: w, unmapped } = fromRayDeployment(d, where);
    warnings.push(...w);
    const call = calls[d.name];
    const full: DeploymentInput = { ...deployment, ...(call && typeof call.timeoutMs === 'number' ? { timeoutMs: call.timeoutMs } : {}), ...(call && typeof call.retries === 'number' ? { retries: call.retries } : {}) };
    const extra = unmappedOptions(d, unmapped.filter((k) => k !== 'user_config'));
    if (Object.keys(extra).length) {
      deployments[d.name] = extra;
      kept.push(`deployment ${d.name}: ${Object.keys(extra).join(', ')}`);
    }
    if (!b) {
      // Its Beamline node was removed from user_config: the deployment stays a Ray deployment of the app.
      warnings.push(`${where}: deployment "${d.name}" has no user_config.beamline; imported as a Ray deployment node`);
      nodes.push({ id: d.name, kind: 'ray-deployment', config: { importPath: String(app.import_path), deployment: d.name, options: withoutNulls(omit(d, ['name'])) }, deployment: full });
      return;
    }
    nodes.push({ id: d.name, kind: String(b.kind), ...(typeof b.label === 'string' ? { label: b.label } : {}), ...(isObj(b.position) ? { position: b.position as { x: number; y: number } } : {}), config: (b.config ?? {}) as Obj, deployment: full });
    const kind = builtinCatalog.get(String(b.kind));
    const parsed = DeploymentSchema.safeParse(mergeDeployment(kind?.deployment as Obj | undefined, full as Obj));
    if (parsed.success) resolved.push(parsed.data);
  });
  // The Ingress: what differs from what export generates for these nodes was edited in the Serve config.
  const ingressDep = deps[ingressIdx];
  const generated = ingressOptions(ingressDep.name, resolved) as Obj;
  const actual = withoutNulls(omit(ingressDep, ['user_config'])) as Obj;
  const edits: Obj = {};
  for (const k of new Set([...Object.keys(generated), ...Object.keys(actual)])) if (!deepEqual(generated[k], actual[k])) edits[k] = actual[k] ?? null;
  if (Object.keys(edits).length) {
    deployments[ingressDep.name] = { ...(deployments[ingressDep.name] ?? {}), ...edits };
    kept.push(`deployment ${ingressDep.name}: ${Object.keys(edits).join(', ')}`);
  }
  if (Object.keys(deployments).length) ray.deployments = deployments;

  const name = graphName(String(g.name ?? app.name ?? 'imported'), shared.graphNames);
  const routePrefix = String(g.routePrefix ?? app.route_prefix ?? `/${name}`);
  const application: Obj = {};
  if (app.name !== undefined && app.name !== name) application.name = app.name;
  const route = app.route_prefix === undefined ? '/' : app.route_prefix;
  if (route !== (routePrefix.replace(/\/+$/, '') || '/')) application.route_prefix = route;
  const runtime = isObj(app.runtime_env) ? { ...app.runtime_env } : {};
  // Beamline writes its own folders and packages; other variables and fields were added in the config.
  const env = isObj(runtime.env_vars) ? { ...runtime.env_vars } : {};
  if (env.BEAMLINE_MODELS_DIR === MODELS_DIR) delete env.BEAMLINE_MODELS_DIR;
  if (env.BEAMLINE_DATA_DIR === DATA_DIR) delete env.BEAMLINE_DATA_DIR;
  const ownRuntime = { ...omit(runtime, ['env_vars', 'pip']), ...(Object.keys(env).length ? { env_vars: env } : {}) };
  if (Object.keys(ownRuntime).length) application.runtime_env = ownRuntime;
  for (const [k, v] of Object.entries(app)) if (isApplicationField(k) && !['name', 'route_prefix', 'import_path', 'runtime_env', 'deployments'].includes(k) && v !== null) application[k] = v;
  if (Object.keys(application).length) {
    ray.application = application;
    kept.push(`application ${Object.keys(application).join(', ')}`);
  }
  let edges: GraphInput['edges'] = [];
  if (shared.python?.edges) edges = shared.python.edges;
  else warnings.push("edges are not in a Serve config: they live in the app's Python code. Pass the exported app/beamline_app.py (--python) to recover them");
  return {
    version: 1,
    name,
    ...(typeof g.description === 'string' ? { description: g.description } : {}),
    routePrefix,
    ...(g.multipleOutputs === true ? { multipleOutputs: true } : {}),
    nodes,
    edges,
  };
}

/**
 * Any other Serve app: each deployment becomes a `ray-deployment` node with its
 * import path and options; .bind() calls from --python become edges in call
 * direction (A -> B: A holds a handle to B), between an input and an output.
 */
function fromForeign(app: Obj, at: string, deps: RayDeployment[], shared: Shared, ray: RayExportSettings, warnings: string[], kept: string[]): GraphInput {
  const py = shared.python;
  const importPath = String(app.import_path);
  const args = isObj(app.args) ? app.args : undefined;
  const taken = new Set(['input', 'output']);
  const ids = new Map<string, string>();
  const nodes: GraphInput['nodes'] = [{ id: 'input', kind: 'input', label: 'Request', position: { x: 0, y: 0 }, config: { fields: {} }, deployment: {} }];
  // Deployments only declared in Python (no override in the config) are nodes too.
  const names = [...deps.map((d) => d.name), ...(py ? [...py.deployments.values()].filter((n) => !deps.some((d) => d.name === n)) : [])];
  names.forEach((name, i) => {
    const d = deps.find((x) => x.name === name) ?? { name };
    const where = i < deps.length ? `${at}.deployments[${i}]` : `python ${name}`;
    const dropped = Object.keys(d).filter((k) => !isDeploymentField(k));
    if (dropped.length) warnings.push(`${where}: ${dropped.join(', ')} ${dropped.length > 1 ? 'are' : 'is'} not an option of a Ray Serve deployment; left out`);
    const options = withoutNulls(omit(d, ['name', ...dropped]));
    const { deployment, warnings: w, unmapped } = fromRayDeployment({ name, ...options } as RayDeployment, where);
    warnings.push(...w);
    const batch = py?.batching.get(name);
    const id = nodeId(name, taken);
    ids.set(name, id);
    // An exported app whose user_config was dropped still names its node class: <Kind>Node.
    const kind = /^([A-Z][a-z]+)Node$/.exec(py?.nodeClasses.get(name) ?? '')?.[1].toLowerCase();
    if (kind && builtinCatalog.has(kind) && builtinCatalog.get(kind)!.runsIn === 'replica') {
      nodes.push({ id, kind, label: name, config: {}, deployment: { ...deployment, ...(batch ? { batching: batch } : {}) } });
      warnings.push(`deployment "${name}": kind ${kind} recovered from its class (${py!.nodeClasses.get(name)}); its config was not in the Serve config, so it has the kind's defaults`);
      return;
    }
    if (batch) warnings.push(`deployment "${name}" batches with @serve.batch(max_batch_size=${batch.maxBatchSize}, batch_wait_timeout_s=${batch.batchWaitTimeoutMs / 1000}) in its Python code`);
    if (unmapped.length) kept.push(`deployment ${name}: ${unmapped.join(', ')} (in the node's options)`);
    nodes.push({ id, kind: 'ray-deployment', label: name, config: { importPath, deployment: name, ...(args ? { args } : {}), options }, deployment });
  });
  let root: string | undefined;
  if (names.length === 0) {
    // No deployment is listed: the node stands for the application, as its import path builds it.
    const id = nodeId(importPath.split(/[.:]/).pop() || 'app', taken);
    nodes.push({ id, kind: 'ray-deployment', label: importPath, config: { importPath, ...(args ? { args } : {}), options: {} }, deployment: {} });
    root = id;
    warnings.push(`${at} lists no deployments: imported as one node standing for the application ${importPath}${args ? ' with its args' : ''}`);
  }
  nodes.push({ id: 'output', kind: 'output', label: 'Response', position: { x: 0, y: 0 }, config: {}, deployment: {} });
  const edges: GraphInput['edges'] = [];
  const call = (a: string, b: string) => edges.push({ source: a, sourceHandle: 'out', target: b, targetHandle: 'in' });
  if (py?.root && ids.has(py.root)) {
    root = ids.get(py.root)!;
    for (const c of py.calls) {
      const a = ids.get(c.parent);
      const b = ids.get(c.child);
      if (a && b && !edges.some((e) => e.source === a && e.target === b)) call(a, b);
    }
    warnings.push('edges follow .bind() calls (A -> B: A holds a handle to B and calls it); what each call sends is in the Python code');
  } else if (!root) {
    // `serve build` lists the ingress last; without the Python file that is the best guess at the shape.
    root = ids.get(names[names.length - 1])!;
    for (const n of names.slice(0, -1)) call(root, ids.get(n)!);
    if (names.length > 1) warnings.push(
      py
        ? `the Python file has no top-level X.bind(...) assignment: edges guessed, with the last deployment (${names[names.length - 1]}) as the ingress calling the others`
        : `a Serve config holds no composition: edges guessed, with the last deployment (${names[names.length - 1]}) as the ingress calling the others, as serve build lists them (pass the application's Python file with --python to read its .bind() calls)`,
    );
  }
  // Reached by nothing (a deployment only some other code calls): hung off the ingress, so the graph stays whole.
  for (const n of nodes) if (n.kind !== 'input' && n.kind !== 'output' && n.id !== root && !edges.some((e) => e.target === n.id)) call(root, n.id);
  edges.unshift({ source: 'input', sourceHandle: 'body', target: root, targetHandle: 'in' });
  edges.push({ source: root, sourceHandle: 'out', target: 'output', targetHandle: 'in' });
  layout(nodes, edges);

  const name = graphName(String(app.name ?? 'default'), shared.graphNames);
  const { routePrefix, keep } = routeOf(app, name, at, warnings);
  const application: Obj = {};
  if (app.name !== undefined && app.name !== name) application.name = app.name;
  if (keep !== undefined) application.route_prefix = keep;
  for (const [k, v] of Object.entries(app)) if (isApplicationField(k) && !['name', 'route_prefix', 'import_path', 'args', 'deployments'].includes(k) && v !== null) application[k] = v;
  const own = Object.keys(application).filter((k) => k !== 'name' && k !== 'route_prefix');
  if (own.length) kept.push(`application ${own.join(', ')}`);
  if (Object.keys(application).length) ray.application = application;
  return { version: 1, name, routePrefix, nodes, edges };
}

/** Columns by depth from the input, rows in order: a readable start for the canvas. */
function layout(nodes: GraphInput['nodes'], edges: GraphInput['edges']): void {
  const depth = new Map<string, number>([['input', 0]]);
  for (let pass = 0; pass < nodes.length; pass++) {
    for (const e of edges) if (depth.has(e.source) && e.target !== 'output') depth.set(e.target, Math.max(depth.get(e.target) ?? 0, Math.min(depth.get(e.source)! + 1, nodes.length)));
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

// ---- entry points -------------------------------------------------------------

function prepare(text: string, opts: ImportOptions) {
  const located = locate(text);
  const { apps, top, warnings } = applicationsOf(located.config, located.at);
  return { apps, top, warnings: [...located.warnings, ...warnings], rayService: located.rayService, python: opts.python !== undefined ? readPythonComposition(opts.python) : undefined };
}

const appName = (a: Obj) => (typeof a.name === 'string' ? a.name : 'default');

/** One application as a graph: `application` or the first; the others are named in a warning. */
export function importServeConfig(yamlText: string, opts: ImportOptions = {}): ImportResult {
  const p = prepare(yamlText, opts);
  const index = opts.application === undefined ? 0 : p.apps.findIndex((a) => appName(a.app) === opts.application);
  if (index < 0) throw new ServeImportError(`no application named "${opts.application}" (have: ${p.apps.map((a) => appName(a.app)).join(', ')})`, `${p.apps[0].at.replace(/\[0\]$/, '')}`);
  if (p.apps.length > 1) {
    p.warnings.push(`the config has ${p.apps.length} applications (${p.apps.map((a) => appName(a.app)).join(', ')}); imported "${appName(p.apps[index].app)}" (choose another with the application option, or import them all)`);
  }
  const { app, at } = p.apps[index];
  const r = importApplication(app, at, { top: p.top, rayService: p.rayService, python: p.python, graphNames: new Set() });
  return { graph: r.graph, warnings: [...p.warnings, ...r.warnings] };
}

/** Every application as a graph of its own; `export` writes them back into one config (and one RayService). */
export function importServeConfigAll(yamlText: string, opts: ImportOptions = {}): { applications: ImportedApplication[]; warnings: string[] } {
  const p = prepare(yamlText, opts);
  if (p.python && p.apps.length > 1) p.warnings.push('a Python file describes one application: it was read for none of the several here (import one with the application option to use it)');
  const graphNames = new Set<string>();
  const applications = p.apps.map(({ app, at }) => ({
    application: appName(app),
    ...importApplication(app, at, { top: p.top, rayService: p.rayService, python: p.apps.length === 1 ? p.python : undefined, graphNames }),
  }));
  return { applications, warnings: p.warnings };
}

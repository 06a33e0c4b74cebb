import { buildPlan, type CheckedNode } from './build-plan.js';
import { type Catalog, builtinCatalog, inputPorts, multiplexField, type NodeKind, outputPorts } from './catalog/index.js';
import { findCycles } from './cycles.js';
import { type Deployment, DeploymentSchema, type Multiplex } from './deployment.js';
import { type GraphError, jsonPath } from './errors.js';
import { GRAPH_VERSION, type Graph, GraphEdgeSchema, GraphNodeSchema, GraphSchema, ROUTE_PREFIX } from './graph.js';
import { type Plan, type PlanEdge, planEdge } from './plan.js';
import { type PortSpec, portsCompatible } from './ports.js';
import { normaliseRoutePrefix, routePrefixProblem } from './route-prefix.js';
import { suggest, unknownKeys, zodErrors } from './zod-errors.js';

export type CompileResult = { ok: true; plan: Plan; errors: [] } | { ok: false; errors: GraphError[] };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Kind defaults under the node's settings; nested objects merge one level, null removes. */
export function mergeDeployment(defaults: Record<string, unknown> | undefined, own: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(defaults ?? {}) };
  for (const [k, v] of Object.entries(own)) {
    if (v === null) delete out[k];
    else if (isRecord(v) && isRecord(out[k])) out[k] = { ...(out[k] as Record<string, unknown>), ...v };
    else out[k] = v;
  }
  return out;
}

/** Check a parsed JSON value as a graph document, collecting every error. */
function parseDocument(doc: unknown): {
  graph?: Graph;
  errors: GraphError[];
  nodeIndex: number[];
  edgeIndex: number[];
  /** Kinds as written, invalid nodes included; undefined when there is no node list. */
  kindsWritten?: Set<unknown>;
  idsWritten?: Set<unknown>;
  brokenEdges?: Graph['edges'];
} {
  const nodeIndex: number[] = [];
  const edgeIndex: number[] = [];
  if (!isRecord(doc)) {
    return { nodeIndex, edgeIndex, errors: [{ code: 'invalid_document', path: '$', message: 'a graph is a JSON object', fix: 'start from examples/rag/graph.json' }] };
  }
  const errors: GraphError[] = [];
  if (doc.version !== GRAPH_VERSION) {
    errors.push({
      code: 'wrong_version',
      path: '$.version',
      message: `${doc.version === undefined ? 'version is missing' : `version ${preview(doc.version)} is not supported`}; this build reads version ${GRAPH_VERSION}`,
      fix: `set "version": ${GRAPH_VERSION}`,
    });
  }
  // Nodes and edges are checked one by one so that one bad entry does not hide the others.
  const nodes = Array.isArray(doc.nodes) ? doc.nodes : [];
  const edges = Array.isArray(doc.edges) ? doc.edges : [];
  const okNodes: Graph['nodes'] = [];
  nodes.forEach((n, i) => {
    const r = GraphNodeSchema.safeParse(n);
    const id = isRecord(n) && typeof n.id === 'string' ? n.id : undefined;
    if (r.success) {
      okNodes.push(r.data);
      nodeIndex.push(i);
    }
    else errors.push(...zodErrors(r.error.issues, ['nodes', i], 'invalid_document', id, GraphNodeSchema));
  });
  const okEdges: Graph['edges'] = [];
  const brokenEdges: Graph['edges'] = [];
  edges.forEach((e, i) => {
    const r = GraphEdgeSchema.safeParse(e);
    if (r.success) {
      okEdges.push(r.data);
      edgeIndex.push(i);
    }
    else {
      errors.push(...zodErrors(r.error.issues, ['edges', i], 'invalid_document', undefined, GraphEdgeSchema));
      // What can be read of a broken edge still counts, so its target is not also "unconnected".
      const str = (v: unknown) => (typeof v === 'string' ? v : '');
      if (isRecord(e)) brokenEdges.push({ source: str(e.source), sourceHandle: str(e.sourceHandle), target: str(e.target), targetHandle: str(e.targetHandle) });
    }
  });
  const top = GraphSchema.safeParse({ ...doc, version: GRAPH_VERSION, nodes: [], edges: [] });
  if (!top.success) errors.push(...zodErrors(top.error.issues, [], 'invalid_document', undefined, GraphSchema));
  if (!Array.isArray(doc.nodes)) errors.push({ code: 'invalid_document', path: '$.nodes', message: 'nodes must be an array', fix: 'add "nodes": []' });
  if (!Array.isArray(doc.edges)) errors.push({ code: 'invalid_document', path: '$.edges', message: 'edges must be an array', fix: 'add "edges": []' });
  // Only valid entries go on; nodeIndex/edgeIndex keep their places in the document for paths.
  // A bad name or route still lets the nodes be checked, so every error is reported at once.
  const meta = top.success ? top.data : { version: GRAPH_VERSION, name: typeof doc.name === 'string' ? doc.name : '', routePrefix: typeof doc.routePrefix === 'string' ? doc.routePrefix : '', multipleOutputs: doc.multipleOutputs === true };
  // Kept as requests are matched (no trailing slash), so /echo/ and /echo are one route.
  if (typeof doc.routePrefix === 'string' && ROUTE_PREFIX.test(doc.routePrefix)) {
    meta.routePrefix = normaliseRoutePrefix(doc.routePrefix);
    const problem = routePrefixProblem(meta.routePrefix);
    if (problem) errors.push({ code: 'invalid_route_prefix', path: '$.routePrefix', ...problem });
  }
  const graph: Graph = { ...meta, nodes: okNodes, edges: okEdges } as Graph;
  // Kinds as written, invalid nodes included: a broken input node is not a missing one.
  // No node list: "nodes must be an array" already says it all, so nothing is reported missing.
  const kindsWritten = Array.isArray(doc.nodes) ? new Set(doc.nodes.map((n) => (isRecord(n) ? n.kind : undefined))) : undefined;
  const idsWritten = new Set(Array.isArray(doc.nodes) ? doc.nodes.map((n) => (isRecord(n) ? n.id : undefined)) : []);
  return { graph, errors, nodeIndex, edgeIndex, kindsWritten, idsWritten, brokenEdges };
}


/**
 * graph -> plan, or every error at once. Never throws on any input.
 * `source` may be JSON text or an already parsed value.
 */
export function compile(source: unknown, catalog: Catalog = builtinCatalog): CompileResult {
  try {
    if (typeof source !== 'string') return compileUnsafe(asJson(source), catalog);
    let doc: unknown;
    try {
      doc = JSON.parse(source);
    } catch (e) {
      return { ok: false, errors: [{ code: 'invalid_json', path: '$', message: `not valid JSON: ${(e as Error).message}`, fix: 'check the file is JSON' }] };
    }
    return compileUnsafe(doc, catalog);
  } catch (e) {
    if (e instanceof NotJson) return { ok: false, errors: [{ code: 'invalid_document', path: '$', message: `the graph is not plain JSON data: ${e.message}`, fix: 'pass the parsed JSON document' }] };
    // A bug here must still come back as a value: the server and editor call this on user input.
    return { ok: false, errors: [{ code: 'invalid_document', path: '$', message: `internal compiler error: ${(e as Error).message}` }] };
  }
}

class NotJson extends Error {}

/**
 * A graph is a JSON document, so a value is read as its JSON text would be: the
 * same answer either way, and nothing JSON cannot hold (null prototypes, Maps,
 * BigInt, cycles, getters) reaches the schemas, which are not built for it.
 */
function asJson(value: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new NotJson(e instanceof RangeError ? 'nested too deeply' : (e as Error).message);
  }
  return text === undefined ? undefined : JSON.parse(text);
}

function compileUnsafe(doc: unknown, catalog: Catalog): CompileResult {
  const { graph, errors, nodeIndex, edgeIndex, kindsWritten, idsWritten, brokenEdges } = parseDocument(doc);
  if (!graph) return { ok: false, errors };
  const indexOf = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    if (!indexOf.has(n.id)) indexOf.set(n.id, nodeIndex[i]);
  });
  const nodePath = (id: string) => jsonPath(['nodes', indexOf.get(id)!]);

  // ---- nodes: kinds, ids, config, deployment ----
  const checked = new Map<string, CheckedNode>();
  const seen = new Set<string>();
  graph.nodes.forEach((n, i) => {
    const index = nodeIndex[i];
    if (seen.has(n.id)) {
      errors.push({ code: 'duplicate_id', node: n.id, path: jsonPath(['nodes', index, 'id']), message: `node id "${n.id}" is used more than once`, fix: 'give each node its own id' });
      return;
    }
    seen.add(n.id);
    const kind = catalog.get(n.kind);
    if (!kind) {
      errors.push({
        code: 'unknown_kind',
        node: n.id,
        path: jsonPath(['nodes', index, 'kind']),
        message: `unknown node kind "${n.kind}"`,
        fix: unknownKindFix(n.kind, catalog),
      });
      return;
    }
    const cfg = kind.config.safeParse(n.config);
    let config: Record<string, unknown>;
    if (cfg.success) config = cfg.data as Record<string, unknown>;
    else {
      errors.push(...zodErrors(cfg.error.issues, ['nodes', index, 'config'], 'invalid_config', n.id, kind.config));
      const fallback = kind.config.safeParse({});
      if (!fallback.success) return; // ports unknown: skip edge checks for this node
      config = fallback.data as Record<string, unknown>;
    }
    let deployment: Deployment | undefined;
    const merged = mergeDeployment(kind.deployment as Record<string, unknown> | undefined, n.deployment);
    const dep = DeploymentSchema.safeParse(merged);
    // DeploymentSchema drops unknown options; a misspelt one must not be ignored silently.
    const unknown = unknownKeys(DeploymentSchema, n.deployment, ['nodes', index, 'deployment'], 'invalid_deployment', n.id);
    errors.push(...unknown);
    if (dep.success) {
      deployment = dep.data;
      errors.push(...deploymentRules(deployment, n.id, index));
      if (deployment.multiplex) errors.push(...multiplexRules(kind, config, deployment.multiplex, n.id, index));
    } else errors.push(...zodErrors(dep.error.issues, ['nodes', index, 'deployment'], 'invalid_deployment', n.id));
    checked.set(n.id, { index, id: n.id, kind, config, deployment, inputs: inputPorts(kind, config), outputs: outputPorts(kind, config) });
  });

  // ---- edges: endpoints, ports, types ----
  const incoming = new Map<string, PlanEdge[]>();
  const outgoing = new Map<string, PlanEdge[]>();
  const edgeKeys = new Set<string>();
  // Edges touching a node that failed its own checks: kept for reachability and fed inputs only.
  const unchecked: Graph['edges'] = [...(brokenEdges ?? [])];
  graph.edges.forEach((e, j) => {
    const i = edgeIndex[j];
    const at = (f: string) => jsonPath(['edges', i, f]);
    const src = checked.get(e.source);
    const dst = checked.get(e.target);
    // A node that is written but invalid has its own errors; its edges are not unknown, only unchecked.
    if (!seen.has(e.source) && !idsWritten?.has(e.source)) errors.push({ code: 'unknown_node', path: at('source'), message: `edge starts at unknown node "${e.source}"`, fix: 'connect an existing node' });
    if (!seen.has(e.target) && !idsWritten?.has(e.target)) errors.push({ code: 'unknown_node', path: at('target'), message: `edge ends at unknown node "${e.target}"`, fix: 'connect an existing node' });
    if (!src || !dst) {
      unchecked.push(e);
      return;
    }
    const out = src.outputs.find((p) => p.name === e.sourceHandle);
    const inp = dst.inputs.find((p) => p.name === e.targetHandle);
    if (!out) {
      errors.push({ code: 'unknown_port', node: e.source, path: at('sourceHandle'), message: `node ${e.source} (${src.kind.kind}) has no output "${e.sourceHandle}"`, fix: portList('outputs', src.outputs) });
    }
    if (!inp) {
      errors.push({ code: 'unknown_port', node: e.target, path: at('targetHandle'), message: `node ${e.target} (${dst.kind.kind}) has no input "${e.targetHandle}"`, fix: portList('inputs', dst.inputs) });
    }
    if (!out || !inp) return;
    if (!portsCompatible(out.type, inp.type)) {
      errors.push({
        code: 'port_type_mismatch',
        node: e.target,
        path: jsonPath(['edges', i]),
        message: `${e.source}.${out.name} gives ${out.type} but ${e.target}.${inp.name} takes ${inp.type}`,
        fix: `connect an output of type ${inp.type}`,
      });
      return;
    }
    const key = `${e.source}\0${e.sourceHandle}\0${e.target}\0${e.targetHandle}`;
    if (edgeKeys.has(key)) {
      errors.push({ code: 'duplicate_edge', node: e.target, path: jsonPath(['edges', i]), message: `edge ${e.source}.${e.sourceHandle} -> ${e.target}.${e.targetHandle} appears twice`, fix: 'remove the copy' });
      return;
    }
    edgeKeys.add(key);
    const into = incoming.get(e.target) ?? [];
    if (!inp.multiple && into.some((x) => x.targetHandle === e.targetHandle)) {
      errors.push({ code: 'port_taken', node: e.target, path: jsonPath(['edges', i]), message: `input ${e.target}.${e.targetHandle} takes one edge and already has one`, fix: 'remove one of the edges' });
      return;
    }
    into.push(planEdge(e));
    incoming.set(e.target, into);
    const from = outgoing.get(e.source) ?? [];
    from.push(planEdge(e));
    outgoing.set(e.source, from);
  });

  // ---- required inputs, inputs and outputs ----
  for (const n of checked.values()) {
    for (const p of n.inputs) {
      const fed = (incoming.get(n.id) ?? []).some((e) => e.targetHandle === p.name) || unchecked.some((e) => e.target === n.id && e.targetHandle === p.name);
      if (p.required && !fed) {
        errors.push({ code: 'input_unconnected', node: n.id, path: nodePath(n.id), message: `required input ${n.id}.${p.name} (${p.type}) is not connected`, fix: `connect an output of type ${p.type} to ${p.name}` });
      }
    }
  }
  // The graph's ends are the kinds the catalog gives the entry and exit roles (input and output).
  const byRole = (role: NodeKind['role']) => [...checked.values()].filter((n) => n.kind.role === role);
  const inputs = byRole('entry');
  const outputs = byRole('exit');
  const endKinds = (role: NodeKind['role']) => catalog.list().filter((k) => k.role === role).map((k) => k.kind);
  const [entryKinds, exitKinds] = [endKinds('entry'), endKinds('exit')];
  // An invalid input node has its own errors: written is not missing.
  const missing = (kinds: string[]) => kindsWritten !== undefined && !kinds.some((k) => kindsWritten.has(k));
  if (inputs.length === 0 && missing(entryKinds)) errors.push({ code: 'no_input', path: '$.nodes', message: `the graph has no ${entryKinds.join(' or ')} node`, fix: `add an ${entryKinds.join(' or ')} node` });
  if (inputs.length > 1) {
    for (const n of inputs.slice(1)) errors.push({ code: 'too_many_inputs', node: n.id, path: nodePath(n.id), message: `only one input node is allowed; ${inputs[0].id} is the first`, fix: 'remove this input or merge the two' });
  }
  if (outputs.length === 0 && missing(exitKinds)) errors.push({ code: 'no_output', path: '$.nodes', message: `the graph has no ${exitKinds.join(' or ')} node`, fix: `add an ${exitKinds.join(' or ')} node` });
  if (outputs.length > 1 && !graph.multipleOutputs) {
    for (const n of outputs.slice(1)) {
      errors.push({ code: 'too_many_outputs', node: n.id, path: nodePath(n.id), message: `more than one output node (${outputs.map((o) => o.id).join(', ')})`, fix: 'remove the extra outputs or set "multipleOutputs": true' });
    }
  }

  // ---- cycles and reachability ----
  const ids = [...checked.keys()];
  const succ = (id: string) => [...new Set((outgoing.get(id) ?? []).map((e) => e.target))];
  for (const cycle of findCycles(ids, succ)) {
    errors.push({ code: 'cycle', node: cycle[0], path: nodePath(cycle[0]), message: `cycle through ${[...cycle, cycle[0]].join(' -> ')}`, fix: 'remove one edge of the cycle' });
  }
  if (inputs.length > 0) {
    const reached = new Set<string>();
    const stack = inputs.map((n) => n.id);
    while (stack.length) {
      const id = stack.pop()!;
      if (reached.has(id)) continue;
      reached.add(id);
      stack.push(...succ(id));
      // Through invalid nodes too, so one bad node does not make everything after it "unreachable".
      for (const e of unchecked) if (e.source === id) stack.push(e.target);
    }
    for (const id of ids) {
      if (!reached.has(id)) errors.push({ code: 'unreachable', node: id, path: nodePath(id), message: `node ${id} cannot be reached from the input`, fix: 'connect it downstream of the input or delete it' });
    }
  }

  if (errors.length) return { ok: false, errors };
  return { ok: true, errors: [], plan: buildPlan(graph, checked, incoming, outgoing, inputs[0].id, outputs.map((o) => o.id)) };
}


/** A short, safe rendering of any value for a message: never throws, never huge. */
function preview(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (v === undefined) return 'missing';
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

function unknownKindFix(kind: string, catalog: Catalog): string {
  const kinds = catalog.list().map((k) => k.kind);
  const guess = suggest(kind, kinds);
  return guess ? `did you mean ${guess}?` : `use one of: ${kinds.join(', ')}`;
}

function portList(what: string, ports: PortSpec[]): string {
  return ports.length ? `${what}: ${ports.map((p) => `${p.name} (${p.type})`).join(', ')}` : `it has no ${what}`;
}

/** deployment.multiplex: only on a kind whose model is a model folder, and the folder a plain path inside the models directory. */
function multiplexRules(kind: NodeKind, config: Record<string, unknown>, m: Multiplex, node: string, index: number): GraphError[] {
  const at = (...p: PropertyKey[]) => jsonPath(['nodes', index, 'deployment', 'multiplex', ...p]);
  const field = multiplexField(kind, config);
  if ('refused' in field) {
    return [{ code: 'invalid_deployment', node, path: at(), message: field.refused, fix: 'multiplex a classifier, embedder or reranker, an onnx llm or ner, or remove deployment.multiplex' }];
  }
  if (m.modelsFolder.startsWith('builtin:') || m.modelsFolder.split(/[\\/]/).includes('..') || /^([\\/]|[A-Za-z]:)/.test(m.modelsFolder)) {
    return [{ code: 'invalid_deployment', node, path: at('modelsFolder'), message: `modelsFolder ${JSON.stringify(m.modelsFolder)} must be a relative folder inside the models directory`, fix: 'name a folder under the models directory that holds one model folder per model id' }];
  }
  return [];
}

function deploymentRules(d: Deployment, node: string, index: number): GraphError[] {
  const errors: GraphError[] = [];
  const at = (...p: PropertyKey[]) => jsonPath(['nodes', index, 'deployment', ...p]);
  if (d.resources.gpus > 1 && !Number.isInteger(d.resources.gpus)) {
    errors.push({ code: 'gpu_not_whole', node, path: at('resources', 'gpus'), message: `gpus ${d.resources.gpus} is above 1 but not whole`, fix: `use a fraction up to 1 or a whole number such as ${Math.ceil(d.resources.gpus)}` });
  }
  const a = d.autoscaling;
  if (a) {
    if (a.minReplicas > a.maxReplicas) {
      errors.push({ code: 'min_above_max', node, path: at('autoscaling', 'minReplicas'), message: `minReplicas ${a.minReplicas} is above maxReplicas ${a.maxReplicas}`, fix: 'lower minReplicas or raise maxReplicas' });
    }
    if (a.initialReplicas !== undefined && (a.initialReplicas < a.minReplicas || a.initialReplicas > a.maxReplicas)) {
      errors.push({ code: 'out_of_range', node, path: at('autoscaling', 'initialReplicas'), message: `initialReplicas ${a.initialReplicas} is outside minReplicas..maxReplicas (${a.minReplicas}..${a.maxReplicas})`, fix: 'pick a value between minReplicas and maxReplicas' });
    }
  }
  return errors;
}

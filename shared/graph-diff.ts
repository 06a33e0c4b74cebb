import { edgeId, type Graph, type GraphNode } from './graph.js';
import type { GraphDiff } from './protocol.js';

/**
 * What changes from graph `a` to graph `b`: nodes added and removed (by id), every changed leaf
 * of a kept node (`config.topK`, `deployment.resources.cpus`, `label`, `position`), edges added and
 * removed, and the graph's own fields. Pure; the deploy preview and the editor's version compare
 * both use it, so they cannot disagree.
 */
export function diffGraphs(a: Graph, b: Graph): GraphDiff {
  const before = new Map(a.nodes.map((n) => [n.id, n]));
  const after = new Map(b.nodes.map((n) => [n.id, n]));
  const added = b.nodes.filter((n) => !before.has(n.id)).map((n) => n.id);
  const removed = a.nodes.filter((n) => !after.has(n.id)).map((n) => n.id);

  const changed: GraphDiff['changed'] = [];
  for (const nb of b.nodes) {
    const na = before.get(nb.id);
    if (na) for (const c of diffNode(na, nb)) changed.push({ node: nb.id, ...c });
  }

  const edgesA = new Set(a.edges.map(edgeId));
  const edgesB = new Set(b.edges.map(edgeId));
  const edgesAdded = [...edgesB].filter((e) => !edgesA.has(e));
  const edgesRemoved = [...edgesA].filter((e) => !edgesB.has(e));

  const graphFields: GraphDiff['graphFields'] = [];
  for (const field of ['name', 'routePrefix', 'description', 'multipleOutputs', 'version'] as const) {
    if (!equal(a[field], b[field])) graphFields.push({ field, from: a[field], to: b[field] });
  }

  const serving = added.length + removed.length + edgesAdded.length + edgesRemoved.length + graphFields.length + changed.filter((c) => c.field !== 'position').length;
  // Notes and groups are unsaved edits, like positions, but never change serving.
  const annotations = !equal(a.notes ?? [], b.notes ?? []) || !equal(a.groups ?? [], b.groups ?? []);
  const same = serving === 0 && changed.length === 0 && !annotations;
  return { added, removed, changed, edgesAdded, edgesRemoved, graphFields, same, layoutOnly: !same && serving === 0 };
}

type Change = { field: string; from: unknown; to: unknown };

function diffNode(a: GraphNode, b: GraphNode): Change[] {
  const out: Change[] = [];
  if (a.kind !== b.kind) out.push({ field: 'kind', from: a.kind, to: b.kind });
  if (a.label !== b.label) out.push({ field: 'label', from: a.label, to: b.label });
  // A moved node is one change, not two (x and y): it never changes serving.
  if (!equal(a.position, b.position)) out.push({ field: 'position', from: a.position, to: b.position });
  leaves('config', a.config, b.config, out);
  leaves('deployment', a.deployment, b.deployment, out);
  return out;
}

/** Changed leaves under `path`; plain objects are walked, anything else (arrays included) is compared whole. */
function leaves(path: string, a: unknown, b: unknown, out: Change[]): void {
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) leaves(`${path}.${k}`, a[k], b[k], out);
    return;
  }
  if (!equal(a, b)) out.push({ field: path, from: a, to: b });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality of JSON values; key order does not matter. */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => equal(v, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => equal(a[k], b[k]));
}

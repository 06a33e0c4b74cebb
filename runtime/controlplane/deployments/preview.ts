/**
 * POST /api/graphs/preview: what a deploy would do, with nothing started. The
 * diff against the version serving now, the replicas the live cluster could not
 * place (the ledger minus what the serving version holds, since a redeploy
 * replaces it), the compiler's and the path checks' errors, and the missing indexes.
 */
import type { Catalog } from '../../../shared/catalog/index.js';
import { compile } from '../../../shared/compile.js';
import { type Graph, GraphSchema } from '../../../shared/graph.js';
import { diffGraphs } from '../../../shared/graph-diff.js';
import { demandsFromPlan, place } from '../../../shared/placement.js';
import type { DeployPreview } from '../../../shared/protocol.js';
import type { ClusterLedger } from '../cluster.js';
import type { Controller } from '../controller.js';
import { embedderMismatches, missingIndexes } from '../../indexes/deploy-check.js';
import type { PersistentDeployer } from '../persistence.js';

export interface PreviewSources {
  controller: Controller;
  deployer: PersistentDeployer;
  ledger: ClusterLedger;
  catalog: Catalog;
  dataDir: string;
  modelsDir: string;
}

export function previewDeploy(source: unknown, s: PreviewSources): DeployPreview {
  const compiled = compile(source, s.catalog);
  const checked = s.deployer.check(source);
  const parsed = GraphSchema.safeParse(source);
  const doc: Graph | undefined = compiled.ok ? compiled.plan.graph : parsed.success ? parsed.data : undefined;
  const name = doc?.name ?? (typeof (source as { name?: unknown })?.name === 'string' ? (source as { name: string }).name : '');
  const active = name ? s.controller.get(name) : undefined;
  const before: Graph | undefined = active?.plan.graph;
  const empty = (g: Graph): Graph => ({ ...g, nodes: [], edges: [] });
  const diff = doc ? diffGraphs(before ?? empty(doc), doc) : diffGraphs(before ?? emptyGraph(name), before ?? emptyGraph(name));
  const errors = checked.ok ? [] : [...checked.errors];
  if (!compiled.ok) {
    return { name, activeVersion: active?.version ?? null, diff, pending: [], errors, missingIndexes: [] };
  }
  const plan = compiled.plan;
  const r = place(demandsFromPlan(plan), s.ledger.cluster, s.ledger.heldExcept(plan.name));
  errors.push(...embedderMismatches(plan, { dataDir: s.dataDir, modelsDir: s.modelsDir }));
  return {
    name: plan.name,
    activeVersion: active?.version ?? null,
    diff,
    pending: r.unplaced.map((u) => ({ node: u.node, replica: u.replica, reason: u.reason })),
    errors,
    missingIndexes: missingIndexes(plan, s.dataDir),
  };
}

function emptyGraph(name: string): Graph {
  return { version: 1, name, routePrefix: '/', nodes: [], edges: [] } as Graph;
}

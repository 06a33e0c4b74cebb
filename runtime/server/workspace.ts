import { Hono } from 'hono';
import type { Server } from 'socket.io';
import type { Catalog } from '../../shared/catalog/index.js';
import { compile } from '../../shared/compile.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/protocol.js';
import type { ClusterLedger } from '../controlplane/cluster.js';
import type { Controller } from '../controlplane/controller.js';
import type { HookedDeployer } from '../controlplane/deployments/deployer.js';
import { RequestRates } from '../controlplane/deployments/summary.js';
import { DeployTracker } from '../controlplane/deployments/tracker.js';
import { prepareIndexes } from '../indexes/deploy-check.js';
import { IngestJobs } from '../indexes/jobs.js';
import type { Metrics } from '../controlplane/metrics.js';
import type { PersistedSettings } from '../controlplane/persistence.js';
import type { GraphStore } from '../controlplane/store.js';
import { deploymentRoutes } from './deployments.js';
import { faviconRoutes } from './favicon.js';
import { indexRoutes } from './indexes.js';
import { modelRoutes } from './models.js';
import { broadcastIngest } from './ingest-events.js';
import { readinessRoutes } from './readiness.js';

export interface WorkspaceSources {
  controller: Controller;
  deployer: HookedDeployer;
  store: GraphStore;
  ledger: ClusterLedger;
  catalog: Catalog;
  metrics: Metrics;
  dataDir: string;
  modelsDir: string;
  log: (m: string) => void;
  /** Graphs named at start (serve's command line): DEPLOYING until deployed, and /readyz waits for them. */
  awaitGraphs?: { name: string; routePrefix?: string }[];
}

/**
 * What the editor's live workspace needs from the server (issue 13): deploys
 * tracked from their start, deployments with live summaries, deploy previews,
 * indexes with upload and ingest jobs, readiness and the favicon.
 */
export interface Workspace {
  tracker: DeployTracker;
  jobs: IngestJobs;
  routes: Hono;
  /** Ingest progress to the token-checked sockets. */
  attachSockets(io: Server<ClientToServerEvents, ServerToClientEvents>, token: string | undefined): void;
  close(): void;
}

export function createWorkspace(s: WorkspaceSources): Workspace {
  const tracker = new DeployTracker((name) => s.controller.get(name) !== undefined);
  tracker.await(s.awaitGraphs ?? []);
  const jobs = new IngestJobs({ dataDir: s.dataDir, modelsDir: s.modelsDir, log: s.log });
  const rates = new RequestRates(s.metrics, () => s.controller.list());
  s.deployer.hooks = {
    plan: (source) => {
      const r = compile(source, s.catalog);
      return r.ok ? r.plan : undefined;
    },
    begin: (plan) => tracker.begin(plan),
    prepare: (plan, settings) => prepareIndexes(plan, { dataDir: s.dataDir, modelsDir: s.modelsDir, ...(settings.graphDir ? { graphDir: settings.graphDir } : {}) }, jobs, s.log),
  };
  const routes = new Hono();
  routes.route('/', readinessRoutes(tracker));
  routes.route('/', faviconRoutes());
  routes.route('/', deploymentRoutes({ ...s, tracker, rates }));
  const graphDirOf = (graph: string): string | undefined => {
    const active = s.store.activeVersion(graph);
    const settings = active === undefined ? undefined : (s.store.get(graph, active)?.settings as PersistedSettings | undefined);
    return settings?.graphDir;
  };
  routes.route('/', indexRoutes({ dataDir: s.dataDir, modelsDir: s.modelsDir, jobs, graphDirOf }));
  routes.route('/', modelRoutes({ modelsDir: s.modelsDir, catalog: s.catalog }));
  let off: (() => void) | undefined;
  return {
    tracker,
    jobs,
    routes,
    attachSockets(io, token) {
      off = broadcastIngest(io, token, jobs);
    },
    close() {
      rates.close();
      off?.();
    },
  };
}

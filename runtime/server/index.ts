import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createServer as createHttpServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Server as SocketIoServer } from 'socket.io';
import { BUILTIN_KINDS, Catalog } from '../../shared/catalog/index.js';
import { formatError } from '../../shared/errors.js';
import { ClusterLedger, describeCluster } from '../controlplane/cluster.js';
import { Controller, type DeployResult } from '../controlplane/controller.js';
import { definedNodesOf } from '../define-node.js';
import { Metrics, registerLiveMetrics } from '../controlplane/metrics.js';
import { ThreadCount } from '../dataplane/replicas/replica.js';
import { HookedDeployer } from '../controlplane/deployments/deployer.js';
import type { PersistentDeployer } from '../controlplane/persistence.js';
import { bodyLimitMiddleware, DEFAULT_GRAPH_BOUNDS, DEFAULT_LIMITS, inputLimitMiddleware } from '../security/limits.js';
import { knownSecrets, redactingLog } from '../security/redact.js';
import { secretPolicy } from '../security/secret-policy.js';
import { createServerGuard, type SecurityOptions, securitySettings } from '../security/server-guard.js';
import { GraphStore, StorageError } from '../controlplane/store.js';
import { controlRoutes } from './control.js';
import { dataPlane } from '../dataplane/http.js';
import { RequestError } from '../dataplane/errors.js';
import { graphChatInvoker } from '../dataplane/openai-invoker.js';
import { openaiRoutes } from '../dataplane/openai-routes.js';
import { attachSockets } from './socket.js';
import { holdWhileStarting } from './starting.js';
import { createWorkspace, type Workspace } from './workspace.js';
import { staticRoutes } from './static.js';
import { tuneRoutes } from './tune.js';
import { ProfileJobs } from '../tune/jobs.js';
import { releaseRoutes } from './releases.js';
import { persistedControl, versionRoutes } from './versions.js';
import { splitRoutes } from './split.js';

const REPO = resolve(new URL('../..', import.meta.url).pathname);

export interface ServerOptions extends SecurityOptions {
  /** 0 picks a free port (tests). Default 8000. */
  port?: number;
  host?: string;
  /** Graphs deployed at start: documents, with the folder they came from (retriever docs are relative to it). */
  graphs?: { graph: unknown; dir?: string }[];
  /** Graphs deployed after the server starts listening (serve's command line): DEPLOYING from the start, and /readyz waits for them. */
  awaitGraphs?: { name: string; routePrefix?: string }[];
  /** Declared virtual GPUs (skips nvidia-smi) and their memory. */
  gpus?: number;
  gpuMemoryMb?: number;
  /** Logical CPUs and memory to schedule against (default: this machine's). */
  cpus?: number;
  memoryMb?: number;
  /** Most replicas this server runs, every graph together (default 64). */
  maxReplicas?: number;
  dataDir?: string;
  modelsDir?: string;
  /** Modules exporting defineNode() kinds. */
  nodes?: string[];
  editorDir?: string;
  examplesDir?: string;
  /** Overall limit for one request through a graph. */
  requestTimeoutMs?: number;
  /** Longest POST /api/graphs waits for replicas to start. */
  deployWaitMs?: number;
  bodyLimitBytes?: number;
  jsonDepth?: number;
  /** Keep deploys in <dataDir>/beamline.db and redeploy them at start (`beamline serve` turns it on). */
  persist?: boolean;
  /** Versions kept per graph name (default 20; the active one is always kept). */
  keepVersions?: number;
  /** Largest graph a deploy accepts: node count (default 2000) and bytes of JSON (default 5 MB). */
  maxGraphNodes?: number;
  maxGraphBytes?: number;
  /** Directories `custom` nodes may load modules from (--allow-custom); none: custom code is refused at deploy. */
  moduleDirs?: string[];
  /** Env vars a graph may name as secrets besides BEAMLINE_SECRET_* (--allow-secret-env); default: $BEAMLINE_ALLOW_SECRET_ENV. */
  allowSecretEnv?: string[];
  /** The only base URLs secrets may be sent to (--secret-base-url); default: $BEAMLINE_SECRET_BASE_URLS, else any. */
  secretBaseUrls?: string[];
  log?: (line: string) => void;
}

export interface BeamlineServer {
  url: string;
  port: number;
  controller: Controller;
  ledger: ClusterLedger;
  catalog: Catalog;
  http: HttpServer;
  /** The socket.io server (rooms are status subscriptions). */
  io: SocketIoServer;
  /** Versions of every graph (in memory unless persist). */
  store: GraphStore;
  deployer: PersistentDeployer;
  /** Deploy tracking, ingest jobs and the workspace routes (runtime/server/workspace.ts). */
  workspace: Workspace;
  /** Deploy a graph document as POST /api/graphs would. */
  deploy(graph: unknown, dir?: string): Promise<DeployResult>;
  close(): Promise<void>;
}

async function loadCustomKinds(modules: readonly string[]): Promise<{ urls: string[]; kinds: ReturnType<typeof definedNodesOf> }> {
  const urls: string[] = [];
  const kinds: ReturnType<typeof definedNodesOf> = [];
  for (const m of modules) {
    const url = m.startsWith('file:') ? m : pathToFileURL(isAbsolute(m) ? m : resolve(m)).href;
    const found = definedNodesOf(await import(url));
    if (found.length === 0) throw new Error(`${m} exports no defineNode() kinds`);
    urls.push(url);
    kinds.push(...found);
  }
  return { urls, kinds };
}

/**
 * The whole server: control plane, data plane, socket.io, metrics and the editor's files on one port.
 * Each part is built from the parts it needs, passed in, so the order below is the order the
 * compiler checks: nothing reaches a part that is declared later.
 */
export async function createServer(options: ServerOptions = {}): Promise<BeamlineServer> {
  // No secret named by a deployed graph's config (apiKeyEnv) or the token ever reaches the log.
  const log = redactingLog(options.log ?? ((line: string) => console.log(line)), knownSecrets);
  const host = options.host ?? '127.0.0.1';
  // Refuses to start off loopback without a token, before anything is built or bound.
  const security = securitySettings(host, options);
  const custom = await loadCustomKinds(options.nodes ?? []);
  const catalog = new Catalog([...BUILTIN_KINDS, ...custom.kinds]);
  const customKinds = new Set(custom.kinds.map((k) => k.kind));
  const { cluster, gpuSource } = describeCluster({
    ...(options.gpus !== undefined ? { gpus: options.gpus } : {}),
    ...(options.gpuMemoryMb !== undefined ? { gpuMemoryMb: options.gpuMemoryMb } : {}),
    ...(options.cpus !== undefined ? { cpus: options.cpus } : {}),
    ...(options.memoryMb !== undefined ? { memoryMb: options.memoryMb } : {}),
    ...(options.maxReplicas !== undefined ? { maxReplicas: options.maxReplicas } : {}),
  });
  const ledger = new ClusterLedger(cluster, gpuSource);
  const limits = { bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_LIMITS.bodyLimitBytes, jsonDepth: options.jsonDepth ?? DEFAULT_LIMITS.jsonDepth };
  const requestTimeoutMs = options.requestTimeoutMs ?? 300_000;
  const dataDir = resolve(options.dataDir ?? '.beamline');
  const modelsDir = resolve(options.modelsDir ?? resolve(REPO, 'models'));
  // The series the data plane writes; the gauges that read the controller are added once it exists.
  const metrics = new Metrics();
  const controller = new Controller({
    catalog,
    ledger,
    metrics,
    modules: custom.urls,
    ...(options.moduleDirs ? { moduleDirs: options.moduleDirs.map((d) => resolve(d)) } : {}),
    // Throws on a bad flag value before anything is bound (serve exits 2).
    secrets: secretPolicy(options),
    dataDir,
    modelsDir,
    deployWaitMs: options.deployWaitMs ?? 120_000,
    threads: new ThreadCount(),
    log,
  });
  registerLiveMetrics(metrics.registry, controller);
  // Throws a StorageError naming the file when the database cannot be opened (serve exits 2).
  const store = new GraphStore(options.persist ? dataDir : ':memory:', options.keepVersions !== undefined ? { keepVersions: options.keepVersions } : {});
  const bounds = { maxGraphNodes: options.maxGraphNodes ?? DEFAULT_GRAPH_BOUNDS.maxGraphNodes, maxGraphBytes: options.maxGraphBytes ?? DEFAULT_GRAPH_BOUNDS.maxGraphBytes };
  const deployer = new HookedDeployer(controller, store, { modelsDir, dataDir, moduleDirs: options.moduleDirs ?? [] }, catalog, log, security.defaultDataPlane, bounds);
  const guard = createServerGuard(security, limits, { routes: controller, policies: deployer });
  const startGraphs = (options.graphs ?? []).flatMap((g) => {
    const d = g.graph as { name?: unknown; routePrefix?: unknown } | null;
    return typeof d?.name === 'string' ? [{ name: d.name, ...(typeof d.routePrefix === 'string' ? { routePrefix: d.routePrefix } : {}) }] : [];
  });
  const workspace = createWorkspace({ controller, deployer, store, ledger, catalog, metrics, dataDir, modelsDir, log, awaitGraphs: [...startGraphs, ...(options.awaitGraphs ?? [])] });

  const app = new Hono();
  app.onError((e, c) => {
    // A database that cannot be read answers 503 naming its file; a request Hono refused keeps its 4xx.
    if (e instanceof StorageError) return c.json({ error: e.message, code: 'storage' }, e.status);
    if (e instanceof HTTPException && e.status < 500) return c.json({ error: e.message, path: '$' }, e.status);
    return c.json({ error: `internal error: ${e.message}`, code: 'internal' }, 500);
  });
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.get('/healthz', (c) => c.json({ ok: true, graphs: controller.list().length }));
  app.get('/metrics', async (c) => c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));
  guard.installControl(app);
  app.use('/api/*', ...inputLimitMiddleware(limits));
  app.route('/', workspace.routes);
  app.route('/', versionRoutes(deployer));
  app.route('/', releaseRoutes(controller));
  app.route('/', splitRoutes(deployer));
  app.route('/', controlRoutes(controller, catalog, customKinds, ledger, persistedControl(deployer)));
  // Profiles measure on this machine, one at a time; tunes read them from the data directory.
  const profiles = new ProfileJobs({ dataDir, options: { modelsDir, dataDir, modules: custom.urls, ...(options.gpus !== undefined ? { gpus: options.gpus } : {}) }, log });
  app.route('/', tuneRoutes({ catalog, jobs: profiles, dataDir, cluster: () => ledger.cluster }));
  app.post('*', bodyLimitMiddleware(limits.bodyLimitBytes));
  guard.installData(app);
  app.route('/', openaiRoutes(graphChatInvoker(controller, { requestTimeoutMs })));
  // Deployed routes are answered by the data plane before Hono sees them; other POSTs end here.
  app.post('*', (c) => c.json(new RequestError(404, `no graph is served at POST ${c.req.path}`, { code: 'unknown_graph' }).body(), 404));
  app.route('/', staticRoutes(options.editorDir ?? resolve(REPO, 'dist/editor'), options.examplesDir ?? resolve(REPO, 'examples')));

  const data = dataPlane(controller, { requestTimeoutMs, jsonDepth: limits.jsonDepth, bodyLimitBytes: limits.bodyLimitBytes });
  const control = getRequestListener(app.fetch);
  const http = createHttpServer((req, res) => {
    if (guard.refuseNode(req, res)) return;
    if (!data(req, res)) void control(req, res);
  });
  const sockets = attachSockets(http, controller, ledger, { requestTimeoutMs, jsonDepth: limits.jsonDepth, maxMessageBytes: limits.bodyLimitBytes, serverOptions: guard.socketOptions() });
  guard.guardSockets(sockets.io);
  workspace.attachSockets(sockets.io, guard.token);
  for (const w of guard.warnings) log(w);
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      sockets.close();
      workspace.close();
      profiles.close();
      await new Promise<void>((r) => sockets.io.close(() => r()));
      await controller.shutdown();
      store.close();
      http.closeAllConnections?.();
      await new Promise<void>((r) => http.close(() => r()));
    })();
    return closing;
  };
  // Bind first, then restore: a busy port ends the start before any replica runs (serve exits 2
  // with the message). While restoring, every request but /healthz and /metrics gets 503
  // `starting` with Retry-After, so a client never sees a 404 for a graph that is coming back.
  const starting = holdWhileStarting(http);
  try {
    await new Promise<void>((ok, fail) => {
      http.once('error', fail);
      http.listen(options.port ?? 8000, host, () => {
        http.off('error', fail);
        ok();
      });
    });
  } catch (e) {
    await close();
    throw e;
  }
  const port = (http.address() as AddressInfo).port;
  guard.listening(port);
  try {
    if (options.persist) await deployer.restore();
  } catch (e) {
    await close();
    throw e;
  }
  starting.ready();
  const deploy = (graph: unknown, dir?: string) => deployer.deploy(graph, dir !== undefined ? { graphDir: dir } : {});
  for (const g of options.graphs ?? []) {
    const r = await deployer.deployIfChanged(g.graph, g.dir !== undefined ? { graphDir: g.dir } : {});
    // A startup graph that failed no longer holds /readyz back nor shows as DEPLOYING; the log says why.
    if (!r.ok) workspace.tracker.arrived(String((g.graph as { name?: unknown } | null)?.name));
    if (!r.ok) log(`not deployed: ${r.error}\n${r.errors.map((e) => `  ${formatError(e)}`).join('\n')}`);
  }
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    controller,
    ledger,
    catalog,
    http,
    io: sockets.io,
    store,
    deployer,
    workspace,
    deploy,
    close,
  };
}

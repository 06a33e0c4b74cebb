import { dump } from 'js-yaml';
import { activeFiles, type Catalog, builtinCatalog } from '../../shared/catalog/index.js';
import { compile } from '../../shared/compile.js';
import { formatError } from '../../shared/errors.js';
import type { RayExportSettings } from '../../shared/export-section.js';
import { gpuWarnings } from '../../shared/gpu-use.js';
import type { Plan } from '../../shared/plan.js';
import { checkImage, checkRayVersion, DEFAULT_RAY_VERSION } from './flags.js';
import { grafanaDashboard, podMonitor } from './monitoring.js';
import { classNames, ingressName } from './naming.js';
import { builtinParts } from '../kinds.js';
import { packageFiles } from './py-package.js';
import { pythonApp } from './python-app.js';
import { BEAMLINE_GROUPS, k8sName, rayService, storedImage, type UpgradeStrategy } from './rayservice.js';
import { exportReadme } from './readme.js';
import { distribution, requirementsOf } from './requirements.js';
import { beamlineApplication, DATA_DIR, MODELS_DIR, RAY_DEPLOYMENT_KIND, rayApplication, type ServeApplication, type ServeConfig, serveConfigOf } from './serve-config.js';
import type { ExportTemplate } from './templates.js';
import { type GroupSize, SizingError, sizeWorkerGroups, type WorkerShape } from './workers.js';

export type ExportTarget = 'rayservice' | 'serve-config';

export interface ExportOptions {
  target: ExportTarget;
  image?: string;
  rayVersion?: string;
  /** CPU pod shape; unset fields take an imported RayService's, then DEFAULT_CPU_WORKER's. */
  cpuWorker?: Partial<WorkerShape>;
  /** GPU pod shape; unset fields take an imported RayService's, then DEFAULT_GPU_WORKER's, and gpus what the largest replica needs. */
  gpuWorker?: Partial<WorkerShape>;
  head?: { cpus: number; memoryMb: number };
  upgradeStrategy?: UpgradeStrategy;
  catalog?: Catalog;
}

export interface ExportProblem {
  node?: string;
  path?: string;
  message: string;
}

/** The graph cannot be exported; every problem names its node. */
export class ExportError extends Error {
  constructor(readonly problems: ExportProblem[]) {
    super(problems.map((p) => (p.node ? `node ${p.node}: ${p.message}` : p.message)).join('\n'));
    this.name = 'ExportError';
  }
}

export interface ExportResult {
  /** Relative path -> file content. */
  files: Map<string, string>;
  warnings: string[];
  /** Model references and index names the app needs shipped (copied by writeExport). */
  models: string[];
  indexes: string[];
  /** The first graph's plan; `plans` has every graph's. */
  plan: Plan;
  plans: Plan[];
  groups: GroupSize[];
  serveConfig: Record<string, unknown>;
  rayService?: Record<string, unknown>;
}

export { checkImage, checkRayVersion, DEFAULT_RAY_VERSION };
export const DEFAULT_CPU_WORKER: WorkerShape = { cpus: 4, memoryMb: 16_384, gpus: 0, gpuMemoryMb: 0 };
export const DEFAULT_GPU_WORKER: WorkerShape = { cpus: 8, memoryMb: 32_768, gpus: 1, gpuMemoryMb: 24_576 };

const PY_VERSION = 'py311';

const defined = <T extends object>(o: T | undefined): Partial<T> => Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseDoc(source: unknown): unknown {
  if (typeof source !== 'string') return source;
  try {
    return JSON.parse(source);
  } catch {
    return undefined; // compile() reports it
  }
}

/** Kinds that cannot run in Python, refused by name before any other error hides them. */
function refusals(doc: unknown): ExportProblem[] {
  const nodes = (doc as { nodes?: unknown })?.nodes;
  if (!Array.isArray(nodes)) return [];
  const out: ExportProblem[] = [];
  nodes.forEach((n, i) => {
    if (typeof n !== 'object' || n === null || typeof n.kind !== 'string' || typeof n.id !== 'string') return;
    const how = builtinParts(n.kind)?.export;
    const config = typeof n.config === 'object' && n.config !== null ? (n.config as Record<string, unknown>) : {};
    const why = how ? ('refuse' in how ? how.refuse(config) : undefined) : `kind "${n.kind}" is a JavaScript node kind with no Ray Serve export (rewrite it as a Python deployment)`;
    if (why) out.push({ node: n.id, path: `$.nodes[${i}]`, message: `cannot be exported: ${why}` });
  });
  return out;
}

/** The template of a kind refusals() let through: a built-in kind with a Python module. */
function templateOf(kind: string): ExportTemplate {
  const how = builtinParts(kind)?.export;
  if (!how || !('template' in how)) throw new Error(`kind "${kind}" has no Ray Serve export template`);
  return how.template;
}

/** One graph on its way to being a Serve application. */
interface Graph {
  plan: Plan;
  /** A graph of imported Ray deployments, written back as the application it came from. */
  foreign: boolean;
  ray?: RayExportSettings;
}

/** Quantity strings ("4", "500m", "16Gi", "2G") as CPUs and MB. */
function cpusOf(q: unknown): number | undefined {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q.trim());
  return m ? Number(m[1]) / (m[2] ? 1000 : 1) : undefined;
}
function mbOf(q: unknown): number | undefined {
  if (typeof q === 'number') return Math.floor(q / 2 ** 20);
  if (typeof q !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(q.trim());
  if (!m) return undefined;
  const f: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 ** 2, K: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20, T: 1e12 / 2 ** 20 };
  return Math.floor(Number(m[1]) * (m[2] ? f[m[2]] : 1 / 2 ** 20));
}

/** The shape of an imported RayService's Beamline worker group, as its Ray container's limits say. */
function storedShape(ray: RayExportSettings['rayService'], group: string): Partial<WorkerShape> {
  const cluster = ray?.spec?.rayClusterConfig;
  const w = isObj(cluster) && Array.isArray(cluster.workerGroupSpecs) ? (cluster.workerGroupSpecs as Obj[]).find((x) => x.groupName === group) : undefined;
  const c = w && isObj(w.template) && isObj(w.template.spec) && Array.isArray(w.template.spec.containers) ? (w.template.spec.containers[0] as Obj) : undefined;
  const limits = c && isObj(c.resources) && isObj(c.resources.limits) ? c.resources.limits : undefined;
  if (!limits) return {};
  const gpus = cpusOf(limits['nvidia.com/gpu']);
  return defined({ cpus: cpusOf(limits.cpu), memoryMb: mbOf(limits.memory), gpus });
}

/** Graphs (JSON text or values) -> one Ray Serve config with an application per graph, the Beamline apps' Python, and for rayservice a KubeRay manifest. */
export function exportGraphs(sources: readonly unknown[], opts: ExportOptions): ExportResult {
  const catalog = opts.catalog ?? builtinCatalog;
  const flagProblems = [opts.rayVersion !== undefined ? checkRayVersion(opts.rayVersion) : undefined, opts.image !== undefined ? checkImage(opts.image) : undefined].filter((m): m is string => !!m);
  if (flagProblems.length) throw new ExportError(flagProblems.map((message) => ({ message })));
  if (sources.length === 0) throw new ExportError([{ message: 'no graph to export' }]);
  const many = sources.length > 1;
  const prefix = (plan: Plan, p: ExportProblem): ExportProblem => (many ? { ...p, ...(p.node ? { node: `${plan.name}/${p.node}` } : {}), message: p.node ? p.message : `graph ${plan.name}: ${p.message}` } : p);

  const graphs: Graph[] = [];
  for (const source of sources) {
    const doc = parseDoc(source);
    const early = refusals(doc);
    const compiled = compile(source, catalog);
    if (!compiled.ok || early.length) {
      const name = isObj(doc) && typeof doc.name === 'string' ? `${doc.name}/` : '';
      const errs = early.length ? early : compiled.ok ? [] : compiled.errors.map((e) => ({ node: e.node, path: e.path, message: formatError(e) }));
      throw new ExportError(many ? errs.map((e) => ({ ...e, ...(e.node ? { node: `${name}${e.node}` } : {}) })) : errs);
    }
    const plan = compiled.plan;
    // The graph's ends (input, output) come with every imported application too.
    const body = plan.order.filter((id) => catalog.get(plan.nodes[id].kind)?.role === undefined);
    const foreign = body.filter((id) => plan.nodes[id].kind === RAY_DEPLOYMENT_KIND);
    if (foreign.length && foreign.length < body.length) {
      const other = body.find((id) => plan.nodes[id].kind !== RAY_DEPLOYMENT_KIND)!;
      throw new ExportError([
        prefix(plan, {
          node: other,
          message: `a ${plan.nodes[other].kind} node cannot be in the Ray application of the imported deployments (${foreign.join(', ')}): one graph exports as one application, either Beamline's or yours; put it in a graph of its own and export both graphs together`,
        }),
      ]);
    }
    graphs.push({ plan, foreign: foreign.length > 0, ray: plan.graph.export?.ray });
  }

  const warnings = new Set<string>();
  const problems: ExportProblem[] = [];
  const beamline = graphs.filter((g) => !g.foreign);
  // One Beamline graph keeps the module name beamline_app; several get one module each.
  const moduleOf = (g: Graph) => (beamline.length > 1 ? `beamline_app_${g.plan.name.replace(/[^A-Za-z0-9_]/g, '_')}` : 'beamline_app');

  // The node kinds used, their notes, and the packages they need.
  const used = new Map<string, ExportTemplate>();
  for (const g of beamline) {
    const plan = g.plan;
    for (const id of plan.order) {
      const n = plan.nodes[id];
      const t = templateOf(n.kind);
      for (const note of t.notes?.(n.config) ?? []) warnings.add(note);
      const b = n.deployment.batching;
      if (b && n.deployment.maxOngoingRequests < b.maxBatchSize) {
        warnings.add(`${many ? `${plan.name}/` : ''}${id}: max_ongoing_requests ${n.deployment.maxOngoingRequests} is below maxBatchSize ${b.maxBatchSize}; Ray sends a replica at most max_ongoing_requests at once, so its batches stay that small`);
      }
      used.set(n.kind, t);
    }
  }
  for (const g of graphs) for (const w of gpuWarnings(g.plan, catalog)) warnings.add(`${many ? `${g.plan.name}/` : ''}${w.node}: ${w.message} (${w.fix})`);
  const needsGpu = beamline.some((g) => g.plan.order.some((id) => g.plan.nodes[id].deployment.resources.gpus > 0));
  const reqs = requirementsOf(used.values(), needsGpu);

  // Applications.
  const applications: ServeApplication[] = [];
  const pythons = new Map<string, string>();
  const dashboard: { application: string; deployments: string[] }[] = [];
  for (const g of graphs) {
    const plan = g.plan;
    let app: ServeApplication;
    if (g.foreign) {
      const r = rayApplication(plan);
      for (const p of r.problems) problems.push(prefix(plan, p));
      for (const n of r.notes) warnings.add(`${many ? `${plan.name}/` : ''}${n}`);
      app = r.app;
    } else {
      const names = { ingress: ingressName(plan.order), classes: new Map<string, string>() };
      const kinds = [...new Set(plan.order.map((id) => used.get(plan.nodes[id].kind)!))];
      names.classes = classNames(
        plan.order.filter((id) => plan.nodes[id].runsIn === 'replica'),
        [names.ingress, 'GraphIngress', 'GraphRun', 'NodeDeployment', ...kinds.map((t) => t.className)],
      );
      const module = moduleOf(g);
      const r = beamlineApplication(plan, {
        ingress: names.ingress,
        importPath: `${module}:app`,
        pip: opts.target === 'serve-config' ? reqs.requirements : undefined,
        catalog,
      });
      for (const p of r.problems) problems.push(prefix(plan, p));
      app = r.app;
      pythons.set(module, pythonApp(plan, used, names));
    }
    applications.push(app);
    dashboard.push({ application: app.name, deployments: (app.deployments ?? []).map((d) => String(d.name)) });
  }
  // Ray refuses two applications of one name or one route.
  const seenNames = new Map<string, string>();
  const seenRoutes = new Map<string, string>();
  graphs.forEach((g, i) => {
    const a = applications[i];
    if (seenNames.has(a.name)) problems.push({ message: `graphs ${seenNames.get(a.name)} and ${g.plan.name} are both the Serve application "${a.name}"; Ray refuses two applications of one name` });
    seenNames.set(a.name, g.plan.name);
    if (typeof a.route_prefix === 'string') {
      if (seenRoutes.has(a.route_prefix)) problems.push({ message: `graphs ${seenRoutes.get(a.route_prefix)} and ${g.plan.name} both route ${a.route_prefix}; Ray refuses two applications on one route (change one graph's routePrefix)` });
      seenRoutes.set(a.route_prefix, g.plan.name);
    }
  });
  if (problems.length) throw new ExportError(problems);

  // The top of the Serve config and the cluster come from the first graph that was imported with them.
  const topFrom = graphs.find((g) => g.ray?.serveConfig);
  const clusterFrom = graphs.find((g) => g.ray?.rayService);
  for (const g of graphs) {
    if (g.ray?.serveConfig && topFrom && JSON.stringify(g.ray.serveConfig) !== JSON.stringify(topFrom.ray!.serveConfig)) warnings.add(`graph ${g.plan.name}'s imported Serve config settings differ from ${topFrom.plan.name}'s; ${topFrom.plan.name}'s are written`);
    if (g.ray?.rayService && clusterFrom && JSON.stringify(g.ray.rayService) !== JSON.stringify(clusterFrom.ray!.rayService)) warnings.add(`graph ${g.plan.name} was imported from another RayService than ${clusterFrom.plan.name}; ${clusterFrom.plan.name}'s cluster is written`);
  }
  // Imported apps alone get back the top-level fields they had, none added (Ray's defaults stay Ray's).
  const config: ServeConfig = serveConfigOf(applications, topFrom?.ray?.serveConfig ?? (beamline.length ? undefined : {}));

  const models = new Set<string>();
  const indexes = new Set<string>();
  for (const g of beamline) {
    for (const id of g.plan.order) {
      const n = g.plan.nodes[id];
      const t = used.get(n.kind)!;
      const kind = catalog.get(n.kind);
      const declared = kind ? activeFiles(kind, n.config).filter((f) => f.root === 'models').map((f) => f.value) : [];
      // A multiplexed node ships its whole models folder (every model a request may name), not its config's model.
      if (n.deployment.multiplex) models.add(n.deployment.multiplex.modelsFolder);
      else for (const m of t.models?.(n.config) ?? declared) models.add(m);
      for (const i of t.indexes?.(n.config) ?? []) indexes.add(i);
    }
  }

  const files = new Map<string, string>();
  const title = graphs.map((g) => g.plan.name).join(', ');
  if (beamline.length) {
    for (const [module, text] of pythons) files.set(`app/${module}.py`, text);
    for (const [rel, text] of packageFiles(new Set([...used.values()].map((t) => t.module)))) files.set(`app/${rel}`, text);
    files.set('requirements.txt', reqs.requirements.map((r) => `${r}\n`).join(''));
    if (reqs.withoutDeps.length) files.set('requirements-nodeps.txt', reqs.withoutDeps.map((r) => `${r}\n`).join(''));
  }
  files.set('serve-config.yaml', `# Ray Serve config for ${graphs.length > 1 ? 'the Beamline graphs' : 'the Beamline graph'} ${graphs.map((g) => `"${g.plan.name}"`).join(', ')} (serve run / serve deploy).\n${dump(config, { lineWidth: -1, noRefs: true })}`);
  files.set('monitoring/grafana-dashboard.json', `${JSON.stringify(grafanaDashboard(`Ray Serve: ${title}`, dashboard), null, 2)}\n`);
  if (reqs.withoutDeps.length && opts.target === 'serve-config') {
    warnings.add(`${reqs.withoutDeps.join(', ')} must be installed with pip install --no-deps (requirements-nodeps.txt): Ray's runtime_env cannot say so, so install it on the cluster's image`);
  }

  let groups: GroupSize[] = [];
  let manifest: Record<string, unknown> | undefined;
  const stored = clusterFrom?.ray?.rayService;
  const storedCluster = isObj(stored?.spec?.rayClusterConfig) ? (stored!.spec!.rayClusterConfig as Obj) : undefined;
  const rayVersion = opts.rayVersion ?? (typeof storedCluster?.rayVersion === 'string' ? storedCluster.rayVersion : DEFAULT_RAY_VERSION);
  const defaultImage = beamline.length ? `beamline/${k8sName(graphs[0].plan.name)}:latest` : `rayproject/ray:${rayVersion}-${PY_VERSION}${needsGpu ? '-gpu' : ''}`;
  const image = opts.image ?? storedImage(stored) ?? defaultImage;
  if (opts.target === 'rayservice') {
    // Beamline sizes its own worker groups; an imported cluster's own groups stay as they were written.
    const storedGroups = Array.isArray(storedCluster?.workerGroupSpecs) ? (storedCluster!.workerGroupSpecs as Obj[]).map((w) => String(w.groupName)) : [];
    const ours = !storedCluster || storedGroups.some((n) => BEAMLINE_GROUPS.includes(n));
    try {
      const widest = Math.max(1, ...graphs.flatMap((g) => g.plan.order.map((id) => Math.ceil(g.plan.nodes[id].deployment.resources.gpus))));
      groups = sizeWorkerGroups(
        graphs.map((g) => ({ plan: g.plan, ingress: !g.foreign })),
        { ...DEFAULT_CPU_WORKER, ...storedShape(stored, 'cpu-workers'), ...defined(opts.cpuWorker) },
        { ...DEFAULT_GPU_WORKER, gpus: widest, ...storedShape(stored, 'gpu-workers'), ...defined(opts.gpuWorker) },
      );
    } catch (e) {
      if (e instanceof SizingError) throw new ExportError([{ node: e.node, message: e.message.replace(/^node \S+: /, '') }]);
      throw e;
    }
    if (!ours) {
      warnings.add(
        `the imported RayService's ${storedGroups.length ? `worker groups (${storedGroups.join(', ')}) are` : 'cluster (a head and no worker groups) is'} written as ${storedGroups.length ? 'they were' : 'it was'}; for these replicas the planner would use ${groups.map((g) => `${g.initial} ${g.name} pod${g.initial === 1 ? '' : 's'}`).join(' and ')} (README)`,
      );
      if ((opts.cpuWorker && Object.keys(defined(opts.cpuWorker)).length) || (opts.gpuWorker && Object.keys(defined(opts.gpuWorker)).length)) {
        warnings.add('the worker shape flags size Beamline\'s cpu-workers and gpu-workers groups; the imported RayService has none, so they changed nothing');
      }
    }
    const autoscaling = graphs.some((g) => g.plan.order.some((id) => g.plan.nodes[id].deployment.autoscaling));
    const u = opts.upgradeStrategy;
    if (u?.type === 'NewClusterWithIncrementalUpgrade') {
      const kept = isObj(stored?.spec?.upgradeStrategy) ? (stored!.spec!.upgradeStrategy as Obj).clusterUpgradeOptions : undefined;
      if (!u.gatewayClassName && !(isObj(kept) && kept.gatewayClassName)) throw new ExportError([{ message: 'the NewClusterWithIncrementalUpgrade upgrade strategy needs a Gateway API class (--gateway-class, e.g. istio): KubeRay shifts traffic between the clusters through it' }]);
    }
    manifest = rayService(config, groups, {
      name: graphs[0].plan.name,
      ...(opts.image !== undefined || !stored ? { image } : {}),
      rayVersion,
      ...(opts.rayVersion ? { rayVersionFlag: opts.rayVersion } : {}),
      autoscaling,
      head: opts.head ?? { cpus: 2, memoryMb: 8192 },
      ...(u ? { upgradeStrategy: u } : {}),
      ...(stored ? { stored } : {}),
      replaceGroups: ours,
    });
    files.set('rayservice.yaml', dump(manifest, { lineWidth: -1, noRefs: true }));
    files.set('monitoring/podmonitor.yaml', dump(podMonitor(k8sName(String((manifest.metadata as Obj).name))), { lineWidth: -1, noRefs: true }));
    if (beamline.length) {
      const base = `rayproject/ray:${rayVersion}-${PY_VERSION}${needsGpu ? '-gpu' : ''}`;
      files.set('Dockerfile', dockerfile(title, base, reqs.withoutDeps.length > 0));
      files.set('.dockerignore', 'README.md\nrayservice.yaml\nmonitoring/\n');
    }
  }
  for (const g of graphs.filter((x) => x.foreign)) {
    warnings.add(`${g.plan.name}: the deployments of ${String(g.plan.nodes[g.plan.order.find((id) => g.plan.nodes[id].kind === RAY_DEPLOYMENT_KIND)!].config.importPath)} are written back with their settings; their code is not Beamline's, so it must reach the cluster as before (its image or runtime_env)`);
  }
  const result = { files, warnings: [...warnings], models: [...models], indexes: [...indexes], plan: graphs[0].plan, plans: graphs.map((g) => g.plan), groups, serveConfig: config as unknown as Record<string, unknown>, ...(manifest ? { rayService: manifest } : {}) };
  files.set(
    'README.md',
    exportReadme({
      plans: result.plans,
      foreign: graphs.filter((g) => g.foreign).map((g) => g.plan.name),
      applications,
      target: opts.target,
      groups,
      image,
      rayVersion,
      models: result.models,
      indexes: result.indexes,
      warnings: result.warnings,
      gpu: needsGpu,
      nodeps: reqs.withoutDeps,
      onnxruntime: reqs.requirements.find((r) => distribution(r).startsWith('onnxruntime')),
      rayServiceName: manifest ? String((manifest.metadata as Obj).name) : k8sName(graphs[0].plan.name),
      upgrade: isObj((manifest?.spec as Obj | undefined)?.upgradeStrategy) ? String(((manifest!.spec as Obj).upgradeStrategy as Obj).type) : undefined,
    }),
  );
  return result;
}

/** Graph (JSON text or value) -> the files of a Ray Serve app, its Serve config and, for rayservice, a KubeRay manifest. */
export function exportGraph(source: unknown, opts: ExportOptions): ExportResult {
  return exportGraphs([source], opts);
}

function dockerfile(title: string, base: string, nodeps: boolean): string {
  return `# Image for the Beamline graph${title.includes(',') ? 's' : ''} ${title}: Ray, the node packages, the app, its models and indexes.
FROM ${base}
COPY requirements.txt ${nodeps ? 'requirements-nodeps.txt ' : ''}/home/ray/beamline/
${nodeps ? "# requirements-nodeps.txt: packages whose declared dependencies would bring a second onnxruntime or a GUI OpenCV; what they need is in requirements.txt.\n" : ''}RUN pip install --no-cache-dir -r /home/ray/beamline/requirements.txt${nodeps ? ' \\\n && pip install --no-cache-dir --no-deps -r /home/ray/beamline/requirements-nodeps.txt' : ''}
# Exactly one ONNX Runtime: onnxruntime and onnxruntime-gpu share one import name, and the last installed wins.
RUN python -c "import importlib.metadata as m; d = [n for n in ('onnxruntime', 'onnxruntime-gpu') if any(x.metadata['Name'].lower() == n for x in m.distributions())]; assert len(d) <= 1, 'two ONNX Runtime distributions: %s' % d"
COPY --chown=ray:users app/ /home/ray/beamline/app/
COPY --chown=ray:users models/ /home/ray/models/
COPY --chown=ray:users data/ /home/ray/data/
# Ray's controller and replicas inherit the container's environment, so import_path beamline_app:app resolves.
ENV PYTHONPATH=/home/ray/beamline/app \\
    BEAMLINE_MODELS_DIR=${MODELS_DIR} \\
    BEAMLINE_DATA_DIR=${DATA_DIR}
`;
}

import { dump } from 'js-yaml';
import { activeFiles, type Catalog, builtinCatalog } from '../../shared/catalog/index.js';
import type { ExportTemplate } from '../../shared/catalog/export-template.js';
import { EXPORT_TEMPLATES } from '../../shared/catalog/exports.js';
import { compile } from '../../shared/compile.js';
import { formatError } from '../../shared/errors.js';
import type { Plan } from '../../shared/plan.js';
import { classNames, ingressName } from './naming.js';
import { COMMON_PY } from './python/common.js';
import { RUNNER_PY } from './python/runner.js';
import { pythonApp } from './python-app.js';
import { rayService } from './rayservice.js';
import { exportReadme } from './readme.js';
import { serveConfig } from './serve-config.js';
import { sizeWorkerGroups, SizingError, type GroupSize, type WorkerShape } from './workers.js';

export type ExportTarget = 'rayservice' | 'serve-config';

export interface ExportOptions {
  target: ExportTarget;
  image?: string;
  rayVersion?: string;
  /** CPU pod shape; unset fields take DEFAULT_CPU_WORKER's. */
  cpuWorker?: Partial<WorkerShape>;
  /** GPU pod shape; unset fields take DEFAULT_GPU_WORKER's, and gpus what the largest replica needs. */
  gpuWorker?: Partial<WorkerShape>;
  head?: { cpus: number; memoryMb: number };
  catalog?: Catalog;
  templates?: ReadonlyMap<string, ExportTemplate>;
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
  plan: Plan;
  groups: GroupSize[];
  serveConfig: Record<string, unknown>;
  rayService?: Record<string, unknown>;
}

export const DEFAULT_RAY_VERSION = '2.52.0';
export const DEFAULT_CPU_WORKER: WorkerShape = { cpus: 4, memoryMb: 16_384, gpus: 0, gpuMemoryMb: 0 };
export const DEFAULT_GPU_WORKER: WorkerShape = { cpus: 8, memoryMb: 32_768, gpus: 1, gpuMemoryMb: 24_576 };

const PY_VERSION = 'py311';

const defined = <T extends object>(o: T | undefined): Partial<T> => Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;

function refusals(source: unknown, templates: ReadonlyMap<string, ExportTemplate>): ExportProblem[] {
  let doc = source;
  if (typeof source === 'string') {
    try {
      doc = JSON.parse(source);
    } catch {
      return []; // compile() reports it
    }
  }
  const nodes = (doc as { nodes?: unknown })?.nodes;
  if (!Array.isArray(nodes)) return [];
  const out: ExportProblem[] = [];
  nodes.forEach((n, i) => {
    if (typeof n !== 'object' || n === null || typeof n.kind !== 'string' || typeof n.id !== 'string') return;
    const t = templates.get(n.kind);
    const config = typeof n.config === 'object' && n.config !== null ? (n.config as Record<string, unknown>) : {};
    const why = t?.source ? t.refuse?.(config) : (t?.refuse?.(config) ?? `kind "${n.kind}" is a JavaScript node kind with no Ray Serve export template (add shared/catalog/${n.kind}.export.ts, or rewrite it as a Python deployment)`);
    if (why) out.push({ node: n.id, path: `$.nodes[${i}]`, message: `cannot be exported: ${why}` });
  });
  return out;
}

/** Graph (JSON text or value) -> the files of a Ray Serve app, its Serve config and, for rayservice, a KubeRay manifest. */
export function exportGraph(source: unknown, opts: ExportOptions): ExportResult {
  const catalog = opts.catalog ?? builtinCatalog;
  const templates = opts.templates ?? EXPORT_TEMPLATES;
  // Kinds that cannot run in Python are refused by name first, before any other error hides them.
  const early = refusals(source, templates);
  if (early.length) throw new ExportError(early);
  const compiled = compile(source, catalog);
  if (!compiled.ok) throw new ExportError(compiled.errors.map((e) => ({ node: e.node, path: e.path, message: formatError(e) })));
  const plan = compiled.plan;

  // refusals() has checked every kind has a template; collect them and their notes.
  const warnings = new Set<string>();
  const used = new Map<string, ExportTemplate>();
  for (const id of plan.order) {
    const n = plan.nodes[id];
    const t = templates.get(n.kind)!;
    for (const note of t.notes?.(n.config) ?? []) warnings.add(note);
    const b = n.deployment.batching;
    if (b && n.deployment.maxOngoingRequests < b.maxBatchSize) {
      warnings.add(`${id}: max_ongoing_requests ${n.deployment.maxOngoingRequests} is below maxBatchSize ${b.maxBatchSize}; Ray sends a replica at most max_ongoing_requests at once, so its batches stay that small`);
    }
    used.set(n.kind, t);
  }

  const names = { ingress: ingressName(plan.order), classes: new Map<string, string>() };
  names.classes = classNames(
    plan.order.filter((id) => plan.nodes[id].runsIn === 'replica'),
    [names.ingress, 'GraphIngress', 'GraphRun', 'NodeDeployment', ...[...used.values()].map((t) => t.className)],
  );
  const needsGpu = plan.order.some((id) => plan.nodes[id].deployment.resources.gpus > 0);
  const modules = new Map([...used.values()].map((t) => [t.module, t.source]));
  const requirements = [...new Set([...used.values()].flatMap((t) => t.requirements))].map((r) => (needsGpu && r === 'onnxruntime' ? 'onnxruntime-gpu' : r)).sort();

  const { config, problems: optionProblems } = serveConfig(plan, { ingress: names.ingress, pip: opts.target === 'serve-config' ? requirements : undefined });
  if (optionProblems.length) throw new ExportError(optionProblems);

  const models = new Set<string>();
  const indexes = new Set<string>();
  for (const id of plan.order) {
    const n = plan.nodes[id];
    const t = used.get(n.kind)!;
    const kind = catalog.get(n.kind);
    const declared = kind ? activeFiles(kind, n.config).filter((f) => f.root === 'models').map((f) => f.value) : [];
    for (const m of t.models?.(n.config) ?? declared) models.add(m);
    for (const i of t.indexes?.(n.config) ?? []) indexes.add(i);
  }

  const files = new Map<string, string>();
  files.set('app/beamline_app.py', pythonApp(plan, used as Map<string, ExportTemplate>, names));
  files.set('app/beamline_nodes/__init__.py', '"""Beamline node classes for Ray Serve. Written by beamline export."""\n');
  files.set('app/beamline_nodes/common.py', COMMON_PY);
  files.set('app/beamline_nodes/runner.py', RUNNER_PY);
  for (const [m, src] of modules) files.set(`app/beamline_nodes/${m}.py`, src);
  files.set('requirements.txt', requirements.map((r) => `${r}\n`).join(''));
  files.set('serve-config.yaml', `# Ray Serve config for the Beamline graph "${plan.name}" (serve run / serve deploy).\n${dump(config, { lineWidth: -1, noRefs: true })}`);

  let groups: GroupSize[] = [];
  let manifest: Record<string, unknown> | undefined;
  const image = opts.image ?? `beamline/${plan.name}:latest`;
  const rayVersion = opts.rayVersion ?? DEFAULT_RAY_VERSION;
  if (opts.target === 'rayservice') {
    try {
      // By default a GPU pod has as many GPUs as the largest replica needs, so every replica fits one pod.
      const widest = Math.max(1, ...plan.order.map((id) => Math.ceil(plan.nodes[id].deployment.resources.gpus)));
      groups = sizeWorkerGroups(plan, { ...DEFAULT_CPU_WORKER, ...defined(opts.cpuWorker) }, { ...DEFAULT_GPU_WORKER, gpus: widest, ...defined(opts.gpuWorker) });
    } catch (e) {
      if (e instanceof SizingError) throw new ExportError([{ node: e.node, message: e.message.replace(/^node \S+: /, '') }]);
      throw e;
    }
    const autoscaling = plan.order.some((id) => plan.nodes[id].deployment.autoscaling);
    manifest = rayService(config, groups, { name: plan.name, image, rayVersion, autoscaling, head: opts.head ?? { cpus: 2, memoryMb: 8192 } });
    files.set('rayservice.yaml', dump(manifest, { lineWidth: -1, noRefs: true }));
    const base = `rayproject/ray:${rayVersion}-${PY_VERSION}${needsGpu ? '-gpu' : ''}`;
    files.set(
      'Dockerfile',
      `# Image for the Beamline graph "${plan.name}": Ray, the node packages, the app, its models and indexes.
FROM ${base}
COPY requirements.txt /home/ray/beamline/requirements.txt
RUN pip install --no-cache-dir -r /home/ray/beamline/requirements.txt
COPY --chown=ray:users app/ /home/ray/beamline/app/
COPY --chown=ray:users models/ /home/ray/models/
COPY --chown=ray:users data/ /home/ray/data/
# Ray's controller and replicas inherit the container's environment, so import_path beamline_app:app resolves.
ENV PYTHONPATH=/home/ray/beamline/app \\
    BEAMLINE_MODELS_DIR=/home/ray/models \\
    BEAMLINE_DATA_DIR=/home/ray/data
`,
    );
    files.set('.dockerignore', 'README.md\nrayservice.yaml\n');
  }
  files.set('README.md', exportReadme({ plan, target: opts.target, groups, image, rayVersion, models: [...models], indexes: [...indexes], warnings: [...warnings], ingress: names.ingress }));
  return { files, warnings: [...warnings], models: [...models], indexes: [...indexes], plan, groups, serveConfig: config as unknown as Record<string, unknown>, ...(manifest ? { rayService: manifest } : {}) };
}

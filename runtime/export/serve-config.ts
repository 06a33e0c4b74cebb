import { builtinCatalog, type Catalog } from '../../shared/catalog/index.js';
import { rayDeployment } from '../../shared/catalog/ray-deployment.js';
import type { RayExportSettings } from '../../shared/export-section.js';
import type { Plan } from '../../shared/plan.js';
import { DATA_DIR, DEFAULT_SERVE_TOP, editedRayOptions, ingressOptions, MODELS_DIR, type RayDeployment, toRayDeployment } from '../../shared/ray-options.js';
import { ingressSettings, nodeSettings, userConfig } from './settings.js';

export { DATA_DIR, MODELS_DIR };

/** The node kind `beamline import` gives a deployment of someone's own Ray app. */
export const RAY_DEPLOYMENT_KIND = rayDeployment.kind;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ServeApplication {
  name: string;
  route_prefix?: string | null;
  import_path: string;
  runtime_env?: Record<string, unknown>;
  args?: Record<string, unknown>;
  deployments?: Obj[];
  [k: string]: unknown;
}

export interface ServeConfig {
  proxy_location?: string;
  http_options?: Obj;
  applications: ServeApplication[];
  [k: string]: unknown;
}

export interface Problem {
  node?: string;
  message: string;
}

export const DEFAULT_TOP: Obj = DEFAULT_SERVE_TOP;

/**
 * Kept Ray options over generated ones: nested mappings (ray_actor_options,
 * autoscaling_config, runtime_env) merge one level, null removes a field.
 */
export function overlay(base: Obj, over: Obj | undefined): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    if (v === null) delete out[k];
    else if (isObj(v) && isObj(out[k])) out[k] = { ...(out[k] as Obj), ...v };
    else out[k] = v;
  }
  return out;
}

/** Ray's route for the graph: the imported one when the graph could not hold it, else the graph's (Ray refuses a trailing '/'). */
function routeOf(plan: Plan, ray: RayExportSettings | undefined): string | null {
  const app = ray?.application;
  if (app && 'route_prefix' in app) return app.route_prefix as string | null;
  return plan.routePrefix.replace(/\/+$/, '') || '/';
}

/** metrics_interval_s is written only when the node (or its kind's defaults) sets it: Ray deprecates the field. */
function setsMetricsInterval(plan: Plan, id: string, catalog: Catalog): boolean {
  const doc = plan.graph.nodes.find((n) => n.id === id)?.deployment as Obj | undefined;
  const own = isObj(doc?.autoscaling) && (doc.autoscaling as Obj).metricsIntervalMs !== undefined;
  const kind = catalog.get(plan.nodes[id].kind)?.deployment?.autoscaling as Obj | undefined;
  return own || (isObj(kind) && kind.metricsIntervalMs !== undefined);
}

export interface BeamlineAppOptions {
  ingress: string;
  importPath: string;
  /** pip packages for runtime_env (serve-config target: no image carries them). */
  pip?: string[];
  /**
   * runtime_env.env_vars. Export sets none for the model and data folders: Ray's env_vars override the
   * environment, and that environment is what says where they are (the image's ENV, or the shell `serve run` starts in).
   */
  envVars?: Record<string, string>;
  catalog?: Catalog;
}

/** A graph of Beamline nodes as one Serve application: the Ingress plus one deployment per replica-backed node. */
export function beamlineApplication(plan: Plan, opts: BeamlineAppOptions): { app: ServeApplication; problems: Problem[] } {
  const catalog = opts.catalog ?? builtinCatalog;
  const ray = plan.graph.export?.ray;
  const kept = ray?.deployments ?? {};
  const problems: Problem[] = [];
  const replicaIds = plan.order.filter((id) => plan.nodes[id].runsIn === 'replica');
  const ingress = overlay({ ...ingressOptions(opts.ingress, replicaIds.map((id) => plan.nodes[id].deployment)), user_config: userConfig(ingressSettings(plan)) }, kept[opts.ingress]);
  const deployments: Obj[] = [ingress];
  for (const id of replicaIds) {
    const n = plan.nodes[id];
    const { options, problems: p } = toRayDeployment(id, n.deployment, { metricsInterval: setsMetricsInterval(plan, id, catalog) });
    for (const message of p) problems.push({ node: id, message });
    deployments.push(overlay({ ...options, user_config: userConfig(nodeSettings(plan, id)) }, kept[id]));
  }
  const own = (ray?.application ?? {}) as Obj;
  const ownRuntime = isObj(own.runtime_env) ? own.runtime_env : {};
  const envVars = { ...(opts.envVars ?? {}), ...(isObj(ownRuntime.env_vars) ? (ownRuntime.env_vars as Record<string, string>) : {}) };
  const runtime_env: Obj = {
    ...ownRuntime,
    ...(Object.keys(envVars).length ? { env_vars: envVars } : {}),
    // The nodes' packages follow the graph, whatever an imported config listed.
    ...(opts.pip?.length ? { pip: opts.pip } : {}),
  };
  if (!Object.keys(envVars).length) delete runtime_env.env_vars;
  const app: ServeApplication = {
    ...Object.fromEntries(Object.entries(own).filter(([k]) => !['runtime_env', 'import_path', 'deployments'].includes(k))),
    name: typeof own.name === 'string' ? own.name : plan.name,
    route_prefix: routeOf(plan, ray),
    import_path: opts.importPath,
    runtime_env,
    deployments,
  };
  return { app, problems };
}

/**
 * A graph of imported Ray deployments as the Serve application it came from:
 * its import path and args, each deployment's Ray options as imported with the
 * settings edited since written over them.
 */
export function rayApplication(plan: Plan): { app: ServeApplication; problems: Problem[]; notes: string[] } {
  const ray = plan.graph.export?.ray;
  const problems: Problem[] = [];
  const notes: string[] = [];
  const ids = plan.order.filter((id) => plan.nodes[id].kind === RAY_DEPLOYMENT_KIND);
  const first = plan.nodes[ids[0]].config;
  for (const id of ids.slice(1)) {
    const c = plan.nodes[id].config;
    if (c.importPath !== first.importPath) problems.push({ node: id, message: `import path "${c.importPath}" differs from node ${ids[0]}'s "${first.importPath}": the Ray deployments of one graph form one application, which has one import_path (put the others in a graph of their own)` });
    else if (JSON.stringify(c.args ?? null) !== JSON.stringify(first.args ?? null)) problems.push({ node: id, message: `args differ from node ${ids[0]}'s: one application has one set of args` });
  }
  const deployments: Obj[] = [];
  const names = new Map<string, string>();
  // Keep the order of the nodes in the document: it is the order of the config they came from.
  for (const doc of plan.graph.nodes) {
    if (doc.kind !== RAY_DEPLOYMENT_KIND) continue;
    const c = plan.nodes[doc.id].config;
    const name = c.deployment as string | undefined;
    if (name === undefined) {
      if (Object.keys(doc.deployment).length) notes.push(`${doc.id}: stands for the whole application ${String(c.importPath)} (no deployment name), so its deployment settings are not written; name the deployment to set them`);
      continue;
    }
    if (names.has(name)) problems.push({ node: doc.id, message: `deployment "${name}" is also node ${names.get(name)}'s; Ray refuses two deployments of one name` });
    names.set(name, doc.id);
    const { options, notes: n } = editedRayOptions((c.options ?? {}) as Obj, doc.deployment as Obj);
    for (const note of n) notes.push(`${doc.id}: ${note}`);
    deployments.push({ name, ...options });
  }
  const own = (ray?.application ?? {}) as Obj;
  const app: ServeApplication = {
    ...Object.fromEntries(Object.entries(own).filter(([k]) => !['import_path', 'args', 'deployments'].includes(k))),
    name: typeof own.name === 'string' ? own.name : plan.name,
    route_prefix: routeOf(plan, ray),
    import_path: String(first.importPath),
    ...(first.args !== undefined ? { args: first.args as Obj } : {}),
    ...(deployments.length ? { deployments } : {}),
  };
  return { app, problems, notes };
}

/** serveConfigV2: the imported top-level fields (or Beamline's defaults) and every application. */
export function serveConfigOf(applications: ServeApplication[], top: Obj | undefined): ServeConfig {
  return { ...(top ?? DEFAULT_TOP), applications } as ServeConfig;
}

export type { RayDeployment };

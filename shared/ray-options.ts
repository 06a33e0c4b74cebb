import type { Deployment, DeploymentInput } from './deployment.js';
import { AUTOSCALING_FIELDS, RAY_ACTOR_OPTIONS_FIELDS } from './ray-serve-fields.js';

/**
 * Beamline deployment settings <-> Ray Serve deployment options, both ways, so
 * export and import cannot drift apart. Beamline counts milliseconds and MB,
 * Ray seconds and bytes. Settings Ray's config has no field for (batching,
 * per-call timeout, retries, GPU memory) travel in user_config.beamline.
 */

export const MB = 1024 * 1024;

/** Key under user_config that holds a node's Beamline settings. */
export const USER_CONFIG_KEY = 'beamline';

/** Where an exported image keeps the models and data (Dockerfile), and what the nodes read when no variable says otherwise. */
export const MODELS_DIR = '/home/ray/models';
export const DATA_DIR = '/home/ray/data';

/** The top of the Serve config export writes when no imported config says otherwise. */
export const DEFAULT_SERVE_TOP: Record<string, unknown> = { proxy_location: 'EveryNode', http_options: { host: '0.0.0.0', port: 8000 } };

/** Ray Serve deployment options as they appear in a Serve config file. */
export interface RayDeployment {
  name: string;
  num_replicas?: number | 'auto' | null;
  autoscaling_config?: RayAutoscaling | null;
  max_ongoing_requests?: number;
  max_queued_requests?: number;
  ray_actor_options?: { num_cpus?: number | null; num_gpus?: number | null; memory?: number | null; [k: string]: unknown };
  health_check_period_s?: number;
  health_check_timeout_s?: number;
  graceful_shutdown_timeout_s?: number;
  user_config?: Record<string, unknown> | null;
  [k: string]: unknown;
}

export interface RayAutoscaling {
  min_replicas?: number;
  initial_replicas?: number | null;
  max_replicas?: number;
  target_ongoing_requests?: number | null;
  upscale_delay_s?: number;
  downscale_delay_s?: number;
  metrics_interval_s?: number;
  look_back_period_s?: number;
  [k: string]: unknown;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const s = (ms: number) => ms / 1000;

export interface ExportedOptions {
  /** metrics_interval_s is written only when the graph sets it: Ray deprecates it, and its default is Beamline's. */
  metricsInterval?: boolean;
}

/** Ray options for a node; `problems` lists settings Ray cannot express. */
export function toRayDeployment(name: string, d: Deployment, opts: ExportedOptions = {}): { options: RayDeployment; problems: string[] } {
  const problems: string[] = [];
  const options: RayDeployment = { name };
  const a = d.autoscaling;
  if (a) {
    options.autoscaling_config = {
      min_replicas: a.minReplicas,
      ...(a.initialReplicas !== undefined ? { initial_replicas: a.initialReplicas } : {}),
      max_replicas: a.maxReplicas,
      target_ongoing_requests: a.targetOngoingRequests,
      upscale_delay_s: s(a.upscaleDelayMs),
      downscale_delay_s: s(a.downscaleDelayMs),
      ...(opts.metricsInterval ? { metrics_interval_s: s(a.metricsIntervalMs) } : {}),
      look_back_period_s: s(a.lookBackPeriodMs),
    };
  } else {
    if (d.numReplicas < 1) problems.push('numReplicas 0 cannot be exported: Ray Serve needs at least 1 fixed replica (use autoscaling with minReplicas 0 to scale to zero)');
    options.num_replicas = Math.max(1, d.numReplicas);
  }
  options.max_ongoing_requests = d.maxOngoingRequests;
  // Ray takes -1 (no limit) or at least 1; Beamline's 0 (no waiting) is closest to 1.
  options.max_queued_requests = Math.max(1, d.maxQueuedRequests);
  const r = d.resources;
  options.ray_actor_options = { num_cpus: r.cpus, num_gpus: r.gpus, ...(r.memoryMb > 0 ? { memory: r.memoryMb * MB } : {}) };
  options.health_check_period_s = s(d.healthCheckPeriodMs);
  options.health_check_timeout_s = s(d.healthCheckTimeoutMs);
  options.graceful_shutdown_timeout_s = s(d.gracefulShutdownTimeoutMs);
  return { options, problems };
}

/** Settings that ride in user_config.beamline because Ray's options have no field for them. */
export function beamlineExtras(d: Deployment): Record<string, unknown> {
  return {
    ...(d.batching ? { batching: { maxBatchSize: d.batching.maxBatchSize, batchWaitTimeoutMs: d.batching.batchWaitTimeoutMs } } : {}),
    ...(d.resources.gpuMemoryMb !== undefined ? { gpuMemoryMb: d.resources.gpuMemoryMb } : {}),
    ...(d.multiplex ? { multiplex: { ...d.multiplex } } : {}),
  };
}

/**
 * The generated Ingress deployment's Ray options: it mostly awaits handles, so it
 * is cheap, and it autoscales up to the largest node when any node autoscales.
 */
export function ingressOptions(name: string, nodes: readonly Pick<Deployment, 'autoscaling' | 'numReplicas'>[]): RayDeployment {
  const autoscaled = nodes.some((d) => d.autoscaling);
  const most = Math.max(1, ...nodes.map((d) => (d.autoscaling ? d.autoscaling.maxReplicas : d.numReplicas)));
  return {
    name,
    ...(autoscaled ? { autoscaling_config: { min_replicas: 1, max_replicas: most, target_ongoing_requests: 50 } } : { num_replicas: 1 }),
    max_ongoing_requests: 200,
    ray_actor_options: { num_cpus: 0.25, num_gpus: 0 },
  };
}

// ---- Ray -> Beamline ---------------------------------------------------------

/** A Beamline field Ray's value lands in, with the range Beamline's schema takes (shared/deployment.ts). */
interface Field {
  path: string[];
  min: number;
  max: number;
  int: boolean;
  /** Ray's unit to Beamline's (seconds -> ms, bytes -> MB). */
  scale: number;
}
const field = (path: string, min: number, max: number, int = true, scale = 1): Field => ({ path: path.split('.'), min, max, int, scale });
const HOUR_MS = 3_600_000;

/** Ray option (dotted) -> the Beamline setting it maps to. */
const FIELDS: Record<string, Field> = {
  num_replicas: field('numReplicas', 0, 1000),
  max_ongoing_requests: field('maxOngoingRequests', 1, 100_000),
  max_queued_requests: field('maxQueuedRequests', 0, 1_000_000),
  health_check_period_s: field('healthCheckPeriodMs', 100, HOUR_MS, true, 1000),
  health_check_timeout_s: field('healthCheckTimeoutMs', 100, HOUR_MS, true, 1000),
  graceful_shutdown_timeout_s: field('gracefulShutdownTimeoutMs', 0, HOUR_MS, true, 1000),
  'autoscaling_config.min_replicas': field('autoscaling.minReplicas', 0, 1000),
  'autoscaling_config.initial_replicas': field('autoscaling.initialReplicas', 0, 1000),
  'autoscaling_config.max_replicas': field('autoscaling.maxReplicas', 1, 1000),
  'autoscaling_config.target_ongoing_requests': field('autoscaling.targetOngoingRequests', 1e-9, 10_000, false),
  'autoscaling_config.upscale_delay_s': field('autoscaling.upscaleDelayMs', 0, HOUR_MS, true, 1000),
  'autoscaling_config.downscale_delay_s': field('autoscaling.downscaleDelayMs', 0, HOUR_MS, true, 1000),
  'autoscaling_config.metrics_interval_s': field('autoscaling.metricsIntervalMs', 10, 600_000, true, 1000),
  'autoscaling_config.look_back_period_s': field('autoscaling.lookBackPeriodMs', 10, HOUR_MS, true, 1000),
  'ray_actor_options.num_cpus': field('resources.cpus', 0, 1024, false),
  'ray_actor_options.num_gpus': field('resources.gpus', 0, 64, false),
  'ray_actor_options.memory': field('resources.memoryMb', 0, 4_194_304, true, 1 / MB),
};

/** Ray's value in Beamline's unit and range, and why it changed when it did. */
function toBeamlineRange(ray: string, value: number, f: Field): { value: number; note?: string } {
  const unit = f.scale === 1000 ? ' ms' : f.scale === 1 ? '' : ' MB';
  // Float noise from the unit change (0.002 s * 1000) is not a change.
  let v = Math.round(value * f.scale * 1e6) / 1e6;
  let note: string | undefined;
  if (f.int && !Number.isInteger(v)) {
    note = `${value} is ${v}${unit}, and Beamline keeps whole${unit || ' numbers'}`;
    v = Math.round(v);
  }
  if (v < f.min) {
    note = `${value} is below the smallest ${f.path.join('.')} Beamline takes (${f.min}${unit})`;
    v = f.min;
  } else if (v > f.max) {
    note = `${value} is above the largest ${f.path.join('.')} Beamline takes (${f.max}${unit})`;
    v = f.max;
  }
  if (ray === 'ray_actor_options.num_gpus' && v > 1 && !Number.isInteger(v)) {
    note = `${value} GPUs is neither a fraction up to 1 nor a whole number, as Beamline takes them`;
    v = Math.ceil(v);
  }
  return { value: v, ...(note ? { note } : {}) };
}

function setPath(target: Obj, path: string[], value: unknown): void {
  let o = target;
  for (const k of path.slice(0, -1)) {
    if (!isObj(o[k])) o[k] = {};
    o = o[k] as Obj;
  }
  o[path[path.length - 1]] = value;
}

function getPath(source: unknown, path: readonly string[]): unknown {
  let o = source;
  for (const k of path) o = isObj(o) ? o[k] : undefined;
  return o;
}

/** Ray's defaults for num_replicas "auto" (AutoscalingConfig.default() in python/ray/serve/config.py). */
const AUTO_DEFAULTS = { min_replicas: 1, max_replicas: 100, target_ongoing_requests: 2 };

/** Options other than `name` whose value is null: Ray reads null as "unset". */
export function withoutNulls(o: Obj): Obj {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

export interface FromRay {
  /** Only the settings the options declare, so kind defaults still apply beneath them. */
  deployment: DeploymentInput;
  warnings: string[];
  /** Ray options with no Beamline setting, as dotted paths (kept for export by the caller, or named as left out). */
  unmapped: string[];
}

/**
 * A Serve deployment's options as Beamline settings. Values are fitted to
 * Beamline's units and ranges (0.0001 s of graceful shutdown is 0 ms); each
 * change is named in a warning.
 */
export function fromRayDeployment(dep: RayDeployment, where: string): FromRay {
  const warnings: string[] = [];
  const unmapped: string[] = [];
  const out: Obj = {};
  const auto = dep.num_replicas === 'auto';
  // num_replicas "auto": Ray's auto defaults, under the fields the config sets itself (handle_num_replicas_auto in Ray's _private/config.py).
  const autoscaling = isObj(dep.autoscaling_config) ? withoutNulls(dep.autoscaling_config) : undefined;
  const effective: Obj = { ...withoutNulls(dep) };
  if (auto) effective.autoscaling_config = { ...AUTO_DEFAULTS, ...(autoscaling ?? {}) };
  else if (autoscaling) effective.autoscaling_config = autoscaling;
  if (auto || autoscaling) delete effective.num_replicas;
  for (const [ray, f] of Object.entries(FIELDS)) {
    const value = getPath(effective, ray.split('.'));
    if (value === undefined) continue;
    if (!num(value)) {
      warnings.push(`${where}.${ray}: ${JSON.stringify(value)} is not a number; left out`);
      continue;
    }
    // -1 is Ray's "no limit".
    if (ray === 'max_queued_requests' && value < 0) {
      setPath(out, f.path, 1_000_000);
      warnings.push(`${where}.max_queued_requests: -1 (no limit) is 1000000 in Beamline, its largest queue; export writes -1 back`);
      continue;
    }
    const fitted = toBeamlineRange(ray, value, f);
    setPath(out, f.path, fitted.value);
    if (fitted.note) warnings.push(`${where}.${ray}: ${fitted.note}, so Beamline plans with ${fitted.value}${f.scale === 1000 ? ' ms' : ''}; export writes ${value} back`);
  }
  if (auto) {
    const a = effective.autoscaling_config as Obj;
    warnings.push(`${where}.num_replicas: "auto" is autoscaling from ${a.min_replicas} to ${a.max_replicas} replicas (Ray's defaults for "auto" under the autoscaling_config fields the config sets)`);
  }
  if (autoscaling) for (const k of Object.keys(autoscaling)) if (!(`autoscaling_config.${k}` in FIELDS)) unmapped.push(`autoscaling_config.${k}`);
  const actor = isObj(dep.ray_actor_options) ? withoutNulls(dep.ray_actor_options) : {};
  for (const k of Object.keys(actor)) {
    if (`ray_actor_options.${k}` in FIELDS) continue;
    if (isObj(actor[k]) && Object.keys(actor[k] as Obj).length === 0) continue;
    unmapped.push(`ray_actor_options.${k}`);
  }
  const b = isObj(dep.user_config) ? dep.user_config[USER_CONFIG_KEY] : undefined;
  if (isObj(b)) {
    if (isObj(b.batching)) out.batching = b.batching;
    if (isObj(b.multiplex)) out.multiplex = b.multiplex;
    if (num(b.gpuMemoryMb)) setPath(out, ['resources', 'gpuMemoryMb'], b.gpuMemoryMb);
  }
  const handled = new Set(['name', 'num_replicas', 'autoscaling_config', 'max_ongoing_requests', 'max_queued_requests', 'ray_actor_options', 'health_check_period_s', 'health_check_timeout_s', 'graceful_shutdown_timeout_s']);
  for (const k of Object.keys(withoutNulls(dep))) if (!handled.has(k) && !(k === 'user_config' && isObj(b))) unmapped.push(k);
  return { deployment: out as DeploymentInput, warnings, unmapped };
}

// ---- Beamline -> Ray, over options as imported -------------------------------

const deepEqual = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A Beamline value in Ray's unit. */
function toRay(ray: string, value: number): number {
  const f = FIELDS[ray];
  return Math.round((value / f.scale) * 1e9) / 1e9;
}

/**
 * The Ray options of an imported deployment after editing: `imported` as it was
 * read, with each Beamline setting the node changed since the import written
 * over it (a setting removed drops the Ray field, so Ray's default applies).
 * Unchanged settings keep Ray's exact value, sub-millisecond durations included.
 */
export function editedRayOptions(imported: Obj, now: DeploymentInput): { options: Obj; notes: string[] } {
  const options: Obj = JSON.parse(JSON.stringify(imported));
  const before = fromRayDeployment({ name: '', ...imported } as RayDeployment, '').deployment as Obj;
  const after = now as Obj;
  const notes: string[] = [];
  const autoBefore = isObj(before.autoscaling);
  const autoAfter = isObj(after.autoscaling);
  if (autoBefore && !autoAfter) {
    delete options.autoscaling_config;
    if (options.num_replicas === 'auto') delete options.num_replicas;
  }
  for (const [ray, f] of Object.entries(FIELDS)) {
    const was = getPath(before, f.path);
    const is = getPath(after, f.path);
    if (deepEqual(was, is)) continue;
    if (ray === 'num_replicas' && autoAfter) continue; // ignored while autoscaling, as in Beamline
    const path = ray.split('.');
    if (is === undefined) {
      const parent = getPath(options, path.slice(0, -1));
      if (isObj(parent)) delete parent[path[path.length - 1]];
      else if (path.length === 1) delete options[ray];
      continue;
    }
    if (!num(is)) continue;
    setPath(options, path, ray === 'max_queued_requests' && is >= 1_000_000 ? -1 : toRay(ray, is));
  }
  // Autoscaling replaces a fixed count ("auto" stays: it is autoscaling too).
  if (autoAfter && num(options.num_replicas)) delete options.num_replicas;
  if (isObj(options.ray_actor_options) && Object.keys(options.ray_actor_options).length === 0) delete options.ray_actor_options;
  for (const k of ['batching', 'timeoutMs', 'retries']) {
    if (!deepEqual(before[k], after[k]) && after[k] !== undefined) {
      notes.push(`${k} has no Ray Serve option for a deployment Beamline did not write (its batching is @serve.batch in its Python code); not exported`);
    }
  }
  return { options, notes };
}

/** Dotted names of Ray options a Beamline setting covers, for "kept for export" notes. */
export const MAPPED_RAY_OPTIONS = Object.keys(FIELDS);
export const KNOWN_AUTOSCALING = AUTOSCALING_FIELDS;
export const KNOWN_ACTOR_OPTIONS = RAY_ACTOR_OPTIONS_FIELDS;

import type { Deployment, DeploymentInput } from './deployment.js';

/**
 * Beamline deployment settings <-> Ray Serve deployment options, both ways, so
 * export and import cannot drift apart. Beamline counts milliseconds and MB,
 * Ray seconds and bytes. Settings Ray's config has no field for (batching,
 * per-call timeout, retries, GPU memory) travel in user_config.beamline.
 */

export const MB = 1024 * 1024;

/** Key under user_config that holds a node's Beamline settings. */
export const USER_CONFIG_KEY = 'beamline';

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

const s = (ms: number) => ms / 1000;
/** Seconds back to whole milliseconds, without float noise (0.002 -> 2). */
const ms = (sec: number) => Math.round(sec * 1000 * 1e6) / 1e6;

/** Ray options for a node; `problems` lists settings Ray cannot express. */
export function toRayDeployment(name: string, d: Deployment): { options: RayDeployment; problems: string[] } {
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
      metrics_interval_s: s(a.metricsIntervalMs),
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
  };
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * A Serve deployment's options as Beamline settings. Only fields the config
 * declares are set, so kind defaults still apply beneath them.
 */
export function fromRayDeployment(dep: RayDeployment, where: string): { deployment: DeploymentInput; warnings: string[] } {
  const warnings: string[] = [];
  const out: DeploymentInput = {};
  const a = dep.autoscaling_config;
  if (dep.num_replicas === 'auto') {
    // Ray's defaults for num_replicas "auto".
    out.autoscaling = { minReplicas: 1, maxReplicas: 100, targetOngoingRequests: 2 };
    warnings.push(`${where}.num_replicas: "auto" became autoscaling 1..100 replicas (Ray's defaults for auto)`);
  } else if (a && typeof a === 'object') {
    out.autoscaling = {
      ...(num(a.min_replicas) ? { minReplicas: a.min_replicas } : {}),
      ...(num(a.initial_replicas) ? { initialReplicas: a.initial_replicas } : {}),
      ...(num(a.max_replicas) ? { maxReplicas: a.max_replicas } : {}),
      ...(num(a.target_ongoing_requests) ? { targetOngoingRequests: a.target_ongoing_requests } : {}),
      ...(num(a.upscale_delay_s) ? { upscaleDelayMs: ms(a.upscale_delay_s) } : {}),
      ...(num(a.downscale_delay_s) ? { downscaleDelayMs: ms(a.downscale_delay_s) } : {}),
      ...(num(a.metrics_interval_s) ? { metricsIntervalMs: ms(a.metrics_interval_s) } : {}),
      ...(num(a.look_back_period_s) ? { lookBackPeriodMs: ms(a.look_back_period_s) } : {}),
    };
    const known = new Set(['min_replicas', 'initial_replicas', 'max_replicas', 'target_ongoing_requests', 'upscale_delay_s', 'downscale_delay_s', 'metrics_interval_s', 'look_back_period_s']);
    const dropped = Object.keys(a).filter((k) => !known.has(k) && a[k] !== null && a[k] !== undefined);
    if (dropped.length) warnings.push(`${where}.autoscaling_config: ${dropped.join(', ')} ha${dropped.length > 1 ? 've' : 's'} no Beamline setting and was left out`);
  } else if (num(dep.num_replicas)) out.numReplicas = dep.num_replicas;
  if (num(dep.max_ongoing_requests)) out.maxOngoingRequests = dep.max_ongoing_requests;
  if (num(dep.max_queued_requests)) {
    if (dep.max_queued_requests < 0) {
      out.maxQueuedRequests = 1_000_000;
      warnings.push(`${where}.max_queued_requests: -1 (no limit) became 1000000, Beamline's largest queue`);
    } else out.maxQueuedRequests = dep.max_queued_requests;
  }
  const r = dep.ray_actor_options;
  if (r && typeof r === 'object') {
    const resources: NonNullable<DeploymentInput['resources']> = {};
    if (num(r.num_cpus)) resources.cpus = r.num_cpus;
    if (num(r.num_gpus)) resources.gpus = r.num_gpus;
    if (num(r.memory)) resources.memoryMb = Math.round(r.memory / MB);
    if (Object.keys(resources).length) out.resources = resources;
    const other = Object.keys(r).filter((k) => !['num_cpus', 'num_gpus', 'memory', 'runtime_env'].includes(k) && r[k] !== null && r[k] !== undefined && !(typeof r[k] === 'object' && Object.keys(r[k] as object).length === 0));
    if (other.length) warnings.push(`${where}.ray_actor_options: ${other.join(', ')} ha${other.length > 1 ? 've' : 's'} no Beamline setting and was left out`);
  }
  if (num(dep.health_check_period_s)) out.healthCheckPeriodMs = ms(dep.health_check_period_s);
  if (num(dep.health_check_timeout_s)) out.healthCheckTimeoutMs = ms(dep.health_check_timeout_s);
  if (num(dep.graceful_shutdown_timeout_s)) out.gracefulShutdownTimeoutMs = ms(dep.graceful_shutdown_timeout_s);
  const b = dep.user_config && typeof dep.user_config === 'object' ? (dep.user_config as Record<string, unknown>)[USER_CONFIG_KEY] : undefined;
  if (b && typeof b === 'object') {
    const x = b as Record<string, unknown>;
    if (x.batching && typeof x.batching === 'object') out.batching = x.batching as DeploymentInput['batching'];
    if (num(x.gpuMemoryMb)) out.resources = { ...(out.resources ?? {}), gpuMemoryMb: x.gpuMemoryMb };
  }
  const handled = new Set(['name', 'num_replicas', 'autoscaling_config', 'max_ongoing_requests', 'max_queued_requests', 'ray_actor_options', 'health_check_period_s', 'health_check_timeout_s', 'graceful_shutdown_timeout_s', 'user_config']);
  const rest = Object.keys(dep).filter((k) => !handled.has(k));
  if (rest.length) warnings.push(`${where}: ${rest.join(', ')} ha${rest.length > 1 ? 've' : 's'} no Beamline setting and was left out`);
  return { deployment: out, warnings };
}

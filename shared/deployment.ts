import { z } from 'zod';
import { MULTIPLEX_HEADER } from './multiplex.js';

/**
 * Deployment options of a node, named after Ray Serve's deployment options in
 * camelCase (num_replicas -> numReplicas, ...). Times are in milliseconds where
 * Ray uses seconds; the Ray exporter converts them.
 */
export const AutoscalingSchema = z
  .object({
    minReplicas: z.number().int().min(0).max(1000).default(1).describe('Fewest replicas kept running (0 lets the node scale to zero).'),
    initialReplicas: z.number().int().min(0).max(1000).optional().describe('Replicas started at deploy time (defaults to minReplicas).'),
    maxReplicas: z.number().int().min(1).max(1000).default(1).describe('Most replicas the autoscaler may start.'),
    targetOngoingRequests: z.number().positive().max(10000).default(2).describe('Ongoing requests (in flight + queued) per replica the autoscaler aims for.'),
    upscaleDelayMs: z.number().int().min(0).max(3_600_000).default(30_000).describe('How long a higher replica count must be wanted before scaling up.'),
    downscaleDelayMs: z.number().int().min(0).max(3_600_000).default(600_000).describe('How long a lower replica count must be wanted before scaling down.'),
    metricsIntervalMs: z.number().int().min(10).max(600_000).default(10_000).describe('How often replicas report their ongoing requests.'),
    lookBackPeriodMs: z.number().int().min(10).max(3_600_000).default(30_000).describe('Window over which ongoing requests are averaged.'),
  })
  .describe('Scale between minReplicas and maxReplicas with load (replaces numReplicas).');

export const ResourcesSchema = z
  .object({
    cpus: z.number().min(0).max(1024).default(1).describe('Logical CPUs reserved per replica (fractions allowed).'),
    gpus: z.number().min(0).max(64).default(0).describe('GPUs per replica: a fraction up to 1 (e.g. 0.25 shares a GPU), or a whole number above 1.'),
    memoryMb: z.number().int().min(0).max(4_194_304).default(0).describe('Memory reserved per replica in MB (0 = not reserved); a replica growing past it is replaced.'),
    gpuMemoryMb: z.number().int().min(0).max(4_194_304).optional().describe('GPU memory per replica in MB (defaults to the GPU share of the card).'),
  })
  .describe('Resources reserved for each replica.');

export const BatchingSchema = z
  .object({
    maxBatchSize: z.number().int().min(1).max(4096).default(8).describe('Most requests handed to the node in one call.'),
    batchWaitTimeoutMs: z.number().min(0).max(60_000).default(10).describe('Longest the oldest request waits for the batch to fill.'),
  })
  .describe('Group concurrent requests into one model call (Ray Serve @serve.batch).');

export const MultiplexSchema = z
  .object({
    modelsFolder: z.string().min(1).max(500).describe('Folder inside the models directory holding one model folder per model id.'),
    maxModelsPerReplica: z.number().int().min(1).max(1000).default(3).describe('Models one replica keeps loaded; the least recently used is evicted beyond it.'),
    idField: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/)
      .optional()
      .describe(`Request body field naming the model when the ${MULTIPLEX_HEADER} header is absent.`),
  })
  .describe('Serve many models from one pool of replicas (Ray Serve @serve.multiplexed): the request names the model.');

export const DeploymentSchema = z
  .object({
    numReplicas: z.number().int().min(0).max(1000).default(1).describe('Fixed number of replicas (ignored when autoscaling is set).'),
    autoscaling: AutoscalingSchema.optional(),
    resources: ResourcesSchema.default({ cpus: 1, gpus: 0, memoryMb: 0 }),
    maxOngoingRequests: z.number().int().min(1).max(100_000).default(5).describe('Requests one replica works on at a time.'),
    maxQueuedRequests: z.number().int().min(0).max(1_000_000).default(100).describe('Requests waiting for a free replica before callers get 503.'),
    batching: BatchingSchema.optional(),
    multiplex: MultiplexSchema.optional(),
    timeoutMs: z.number().int().min(1).max(3_600_000).default(30_000).describe('Longest one call of this node may take before it fails with 504.'),
    retries: z.number().int().min(0).max(10).default(1).describe('Times a request is retried on another replica when its replica dies.'),
    healthCheckPeriodMs: z.number().int().min(100).max(3_600_000).default(10_000).describe('How often each replica is health-checked.'),
    healthCheckTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000).describe('How long a health check may take before it counts as failed.'),
    gracefulShutdownTimeoutMs: z.number().int().min(0).max(3_600_000).default(20_000).describe('How long a stopping replica may finish its work before it is killed.'),
  })
  .describe('How the node is deployed: replicas, resources, queues, batching and timeouts.');

export type Deployment = z.output<typeof DeploymentSchema>;
export type DeploymentInput = z.input<typeof DeploymentSchema>;
export type Autoscaling = z.output<typeof AutoscalingSchema>;
export type Resources = z.output<typeof ResourcesSchema>;
export type Batching = z.output<typeof BatchingSchema>;
export type Multiplex = z.output<typeof MultiplexSchema>;

/** Memory a replica is counted at when neither its deployment nor its kind says: a small node on a worker thread (measured 34-42 MB). */
export const DEFAULT_REPLICA_MEMORY_MB = 48;
/** The least any replica takes (thread, tsx, runtime): a smaller resources.memoryMb is counted as this. */
export const MIN_REPLICA_MEMORY_MB = 32;

/**
 * Memory placement reserves for one replica: resources.memoryMb when set, else the kind's
 * estimate. Never 0: every replica costs memory whatever its CPU share (cpus: 0 included).
 */
export function replicaMemoryMb(d: Deployment, kindEstimate: number | undefined): number {
  if (d.resources.memoryMb > 0) return Math.max(d.resources.memoryMb, MIN_REPLICA_MEMORY_MB);
  return kindEstimate ?? DEFAULT_REPLICA_MEMORY_MB;
}

/** Replicas a node starts with: numReplicas, or the autoscaler's initial count. */
export function initialReplicas(d: Deployment): number {
  if (!d.autoscaling) return d.numReplicas;
  return d.autoscaling.initialReplicas ?? d.autoscaling.minReplicas;
}

/** Most replicas a node can ever have. */
export function maxReplicas(d: Deployment): number {
  return d.autoscaling ? d.autoscaling.maxReplicas : d.numReplicas;
}

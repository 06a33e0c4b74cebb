import type { Assignment, Cluster, PlacementResult, Resource, Unplaced } from './placement.js';

/**
 * Tuning for a target (`beamline profile` / `beamline tune`, POST /api/tune, the editor's
 * "Tune for a target"): the shapes both the runtime and the editor use. Pure types and a
 * few constants; the work is in runtime/tune/ (profile, model, search).
 */

/**
 * Bumped when the profile document changes shape; an older profile is refused with a "profile again" fix.
 * Fields added since version 1 are optional (Profile.inGraph, NodeProfile.inGraph): a profile without
 * them is read, and the model then counts the request path as zero (an assumption it prints).
 */
export const PROFILE_VERSION = 1;
export const PROFILE_FORMAT = 'beamline-profile';

/** The machine a profile was measured on. A profile is refused on another machine (cpus, cpuModel, gpus, platform). */
export interface MachineInfo {
  /** Logical CPUs (os.availableParallelism()). */
  cpus: number;
  /** os.cpus()[0].model, trimmed. */
  cpuModel: string;
  /** GPUs detected with nvidia-smi (0 when none); declared GPUs are not measured hardware. */
  gpus: number;
  /** GPU model names when detected. */
  gpuModels?: string[];
  /** Total memory in MB. */
  memoryMb: number;
  /** process.platform + '-' + process.arch, e.g. linux-x64. */
  platform: string;
  /** Node.js version (process.version). */
  node: string;
}

/** Summary of service times of one measured point, in milliseconds. */
export interface ServiceStats {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  /** Fastest sample (the model's distribution starts here; estimated from p50 and p90 when absent). */
  min?: number;
  /** Slowest sample: the model's tail reaches at least this far (rare stalls a p99 of few samples misses). */
  max?: number;
  /** Standard deviation of the samples (drives the model's variability, SCV = (std/mean)^2). */
  std: number;
}

/**
 * One measured point of a node: `concurrency` calls in flight on ONE replica, each a batch of
 * `batch` items (1 for kinds that do not batch). `serviceMs` is the time of one call
 * (the whole batch) as seen by its caller, replica overhead included.
 */
export interface ProfilePoint {
  batch: number;
  concurrency: number;
  serviceMs: ServiceStats;
  /** Calls measured (after warm-up). */
  samples: number;
  /** Completed calls per second across the concurrent callers (items/s = throughput x batch). */
  throughput: number;
  /**
   * CPU time of the whole process per call while this point ran (process.cpuUsage(), every thread:
   * only the measured node had work), ms. A node waiting on I/O uses little of its service time.
   * Absent in older profiles: the model then takes the service time over the measured overlap.
   */
  cpuMs?: number;
}

export interface NodeProfile {
  kind: string;
  /** Whether the kind takes batches (PlanNode.batchable); only then are batch sizes above 1 measured. */
  batchable: boolean;
  /** Where it runs: inline nodes (input, output, switch ...) run in the executor and cost ~0. */
  runsIn: 'executor' | 'replica';
  /** The share each replica had while measured (the node's placed resources). */
  measuredWith: { cpus: number; gpus: number };
  points: ProfilePoint[];
  /** Resident memory per replica when known (MB); the tuner reserves at least this. */
  memoryMb?: number;
  /** Fraction of inputs that reached this node (switch branches); 1 when every sample did. */
  reach: number;
  /**
   * The node's time inside whole-graph requests at low load (executor to replica and back, the other
   * nodes running, the replica idle between requests), beside its back-to-back batch-1 time in
   * `points`. The model adds the difference per quantile to every batch size. Absent in older profiles.
   */
  inGraph?: ServiceStats;
}

/** Whole-graph requests through a real HTTP server at low load, measured after the points (docs/tuning.md, Profile step 5). */
export interface InGraphCalibration {
  /** Requests measured. */
  requests: number;
  /** Their end-to-end latency as the HTTP client saw it. */
  endToEndMs: ServiceStats;
  /**
   * Per request: end to end minus the slowest chain of node times (HTTP, JSON, executor, inline nodes,
   * the hops between them). The model draws one per request and adds it.
   */
  overheadMs: ServiceStats;
}

export type InputsSource = 'file' | 'history' | 'generated';

/** A versioned profile, stored beside the graph as <graph>.profile.json. */
export interface Profile {
  format: typeof PROFILE_FORMAT;
  version: typeof PROFILE_VERSION;
  graph: {
    name: string;
    /**
     * sha256 (hex) over what changes service time: nodes' kinds and configs, and the edges.
     * Deployment settings (replicas, batching, shares) are left out so a tuned graph keeps its profile.
     */
    hash: string;
  };
  machine: MachineInfo;
  /** ISO time the measuring finished. */
  measuredAt: string;
  inputs: { source: InputsSource; count: number; file?: string };
  /** How long profiling took, in seconds. */
  durationS: number;
  /** Per node id. */
  nodes: Record<string, NodeProfile>;
  /** 1-minute load average when measuring ended (os.loadavg()[0]): other processes' load is in every figure. */
  loadAverage?: number;
  /** The request path outside the nodes; absent in profiles measured before it was recorded. */
  inGraph?: InGraphCalibration;
  /**
   * Set when the graph's reservations did not fit this machine together: each replica's CPU
   * reservation was scaled by this factor while measuring (a reservation is not a speed; docs/tuning.md).
   */
  cpuScale?: number;
}

/** What the deployment must sustain. */
export interface TuneTarget {
  /** Arrival rate, requests per second (Poisson arrivals assumed). */
  qps: number;
  /** End-to-end 99th percentile latency bound, milliseconds. */
  p99Ms: number;
}

/** What the tuner may use: a cluster (file or editor preview) or one machine's counts. */
export type TuneResources = { cluster: Cluster } | { cpus: number; gpus: number; gpuMemoryMb?: number; memoryMb?: number };

/** Deployment settings the tuner chooses for one replica-backed node. */
export interface NodeSetting {
  numReplicas: number;
  /** 1 = no batching (batching: null in the graph). */
  maxBatchSize: number;
  /** Longest the oldest item waits for a batch to fill (batchWaitTimeoutMs); 0 without batching. */
  batchWaitMs: number;
  maxOngoingRequests: number;
  /** Per replica. */
  cpus: number;
  /** Per replica; a fraction up to 1 or a whole number. */
  gpus: number;
}

export type Settings = Record<string, NodeSetting>;

/** The model's figures for one node under its setting at the target rate. */
export interface NodePrediction {
  /** Arrival rate at this node (requests/s): qps x reach. */
  arrivalQps: number;
  /** Offered load over capacity, 0..; >= 1 means the node cannot keep up. */
  utilization: number;
  /** Most requests/s this node can take with its setting. */
  ceilingQps: number;
  /** Mean batch size at this rate (1 without batching). */
  meanBatch: number;
  /** Time at the node (queue + batch wait + service), ms. */
  p50Ms: number;
  p99Ms: number;
  /** Mean queueing delay, ms. */
  waitMs: number;
  /** CPU time per second one replica is busy at this rate (service time x calls / replicas), the floor of its CPU reservation. */
  busyCpus?: number;
}

export interface Prediction {
  qps: number;
  nodes: Record<string, NodePrediction>;
  /** End to end, by Monte Carlo over the DAG (joins wait for their slowest input). */
  p50Ms: number;
  p99Ms: number;
  /** Most requests/s the graph sustains with these settings: the lowest node ceiling over its reach, and the CPUs over the CPU time a request takes. */
  ceilingQps: number;
  /** The nodes most often on the slowest path (fraction of sampled requests). */
  criticalPath: { node: string; share: number }[];
  /** Assumptions the figures rest on that this graph triggers (e.g. "switch branches: all taken"). */
  assumptions: string[];
  /** Factor node times are stretched by for CPU contention: 1 / (1 - busy CPUs / the CPUs shared, at most 0.9). */
  cpuStretch?: number;
  /** Busy CPUs at this rate over the CPUs shared; >= 1 means the machine cannot keep up whatever the replicas. */
  cpuUtilization?: number;
}

/** What stops the configuration from being cheaper or faster. */
export interface Binding {
  node: string;
  /** 'latency': the node's p99 dominates; 'throughput': its ceiling; or a placement resource that ran out. */
  resource: 'latency' | 'throughput' | Resource;
  why: string;
}

export type TuneResult =
  | {
      ok: true;
      target: TuneTarget;
      settings: Settings;
      prediction: Prediction;
      /** Totals of the chosen configuration. */
      totals: { gpus: number; cpus: number; replicas: number };
      binds: Binding[];
      placement: PlacementResult;
      /** Configurations the search evaluated. */
      evaluated: number;
      durationMs: number;
    }
  | {
      ok: false;
      target: TuneTarget;
      reason: string;
      /** Best end-to-end p99 reachable at the target rate on these resources (Infinity when no setting keeps up). */
      bestP99Ms: number;
      /** Most requests/s any placeable configuration sustains. */
      ceilingQps: number;
      /** The closest configuration found and why it falls short. */
      best?: { settings: Settings; prediction: Prediction; binds: Binding[] };
      unplaced?: Unplaced[];
      evaluated: number;
      durationMs: number;
    };

/** Autoscaling bounds for a traffic range (`tune --autoscale`): min at the low rate, max at the high one. */
export interface AutoscaleBounds {
  minQps: number;
  maxQps: number;
  nodes: Record<string, { minReplicas: number; maxReplicas: number; targetOngoingRequests: number }>;
}

/** Progress of a profiling run, streamed to the CLI (one line each) and the API's profile job. */
export type ProfileProgress =
  | { type: 'start'; nodes: string[]; points: number; estimateS: number; inputs: { source: InputsSource; count: number } }
  | { type: 'inputs'; done: number; total: number }
  | { type: 'node'; node: string; index: number; of: number }
  | { type: 'point'; node: string; batch: number; concurrency: number; samples: number; meanMs: number; done: number; total: number; elapsedS: number; remainingS: number }
  | { type: 'done'; durationS: number; file?: string }
  | { type: 'error'; node?: string; message: string; fix?: string };

/** A placed configuration re-exported for callers that only need the assignments. */
export type TunedAssignment = Assignment;

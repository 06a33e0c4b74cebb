import type { GraphError } from './errors.js';
import type { GpuGrant, GpuUsage, MachineUsage } from './placement.js';
import type { ReleaseStatus } from './release.js';

/** HTTP bodies and socket.io events, typed once for the runtime and the editor. */

export const REPLICA_STATES = ['PENDING', 'STARTING', 'RUNNING', 'UNHEALTHY', 'STOPPING', 'STOPPED'] as const;
export type ReplicaState = (typeof REPLICA_STATES)[number];

export interface ReplicaStatus {
  id: string;
  node: string;
  state: ReplicaState;
  /** Why it is PENDING / UNHEALTHY / STOPPING (e.g. which resource is short). */
  reason?: string;
  placement?: { machine: string; gpus: GpuGrant[]; virtualGpus: boolean };
  inFlight: number;
  startedAt?: number;
  restarts: number;
  /** A multiplexed node's replica: the models it holds (loaded or loading), least recently used first. */
  models?: string[];
}

export interface AutoscalingStatus {
  current: number;
  desired: number;
  target: number;
  lastDecision?: { at: number; from: number; to: number; reason: string };
  /** Why the target is what it is right now (e.g. waiting out a delay, or held by a PENDING replica). */
  reason?: string;
  /** Ongoing requests (in flight + queued) averaged over lookBackPeriodMs; null before the first sample. */
  averageOngoing?: number | null;
}

export interface NodeMetricsSnapshot {
  requests: number;
  errors: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Mean batch size over the recent window, for batching nodes. */
  batchSize: number | null;
  /** Calls dropped before a replica started them because their request ended first (client gone, timeout, another node failed). */
  cancelled?: number;
  /** Calls a replica was running when their request ended: they finish, their results are discarded. */
  dropped?: number;
  /** Counts the node keeps itself (NodeContext.count), e.g. the embedder's `truncated`. */
  events?: Record<string, number>;
}

export interface NodeStatus {
  id: string;
  kind: string;
  label: string;
  runsIn: 'executor' | 'replica';
  replicas: ReplicaStatus[];
  inFlight: number;
  queued: number;
  maxQueued: number;
  autoscaling?: AutoscalingStatus;
  metrics: NodeMetricsSnapshot;
  /** A load error or other node-level failure. */
  error?: string;
  /** A multiplexed node (deployment.multiplex): its replicas' model loads, evictions, hits and misses since deploy. */
  multiplex?: MultiplexTotals;
  /** A split node: each branch's configured weight and the requests it took since those weights took effect (the live share). */
  split?: { branches: SplitBranchStatus[] };
}

export interface SplitBranchStatus {
  port: string;
  weight: number;
  taken: number;
}

export interface MultiplexTotals {
  loads: number;
  evictions: number;
  hits: number;
  misses: number;
}

export type GraphState = 'DEPLOYING' | 'RUNNING' | 'DEGRADED' | 'UNHEALTHY' | 'DELETING';

export interface GraphStatus {
  name: string;
  routePrefix: string;
  /** Deploy number of this graph name (1, 2, ...). */
  version: number;
  state: GraphState;
  deployedAt: number;
  nodes: Record<string, NodeStatus>;
  /** A deploy of this name is in progress (a first deploy is listed with state DEPLOYING and no replicas yet). */
  deploying?: DeployingInfo;
  /** A canary or shadow release running beside this version (shared/release.ts). */
  release?: ReleaseStatus;
  /** While a release runs: the candidate version's status, its node figures counted apart from this version's. */
  candidate?: GraphStatus;
}

/** Where a deploy in progress is: waiting its turn, building the retrievers' indexes, or starting replicas. */
export interface DeployingInfo {
  since: number;
  phase: 'queued' | 'indexes' | 'starting';
}

export interface ClusterStatus {
  machines: MachineUsage[];
  gpus: GpuUsage[];
  /** Where the GPUs came from: detected with nvidia-smi, declared with --gpus, or none. */
  gpuSource: 'detected' | 'declared' | 'none';
  /** What each deployed graph's nodes hold (placed replicas only), so a client can see who takes the machine. */
  holdings: GraphHolding[];
}

/** One node's placed replicas and the resources they reserve. */
export interface GraphHolding {
  graph: string;
  node: string;
  replicas: number;
  cpus: number;
  gpus: number;
  memoryMb: number;
}

// ---- control plane ----
export interface DeployResponse {
  name: string;
  version: number;
  status: GraphStatus;
  /** Deployed with ?canary or ?shadow: the release it started (the version above is the candidate). */
  release?: ReleaseStatus;
}
export interface CompileErrorResponse {
  error: string;
  errors: GraphError[];
}

// ---- data plane ----
export interface TraceSpan {
  node: string;
  kind: string;
  replica?: string;
  /** Milliseconds since the request started. */
  start: number;
  end: number;
  queueMs: number;
  status: 'ok' | 'error' | 'skipped';
  batchSize?: number;
}

export interface ErrorBody {
  error: string;
  /** Node the error belongs to, when there is one. */
  node?: string;
  /** JSON path in the request body for bad input. */
  path?: string;
  code?: string;
  requestId?: string;
}

// ---- socket.io ----
export interface InvokeRequest {
  graph: string;
  input: unknown;
  /** Optional id chosen by the client, so it can match events before the ack. */
  requestId?: string;
  /** Send each node's whole output with its node:end event (the editor's output viewer). */
  outputs?: boolean;
  /**
   * Request headers, as an HTTP client would send them (names any case): what a split's
   * stickiness or a multiplexed node's `serve_multiplexed_model_id` reads.
   */
  headers?: Record<string, string>;
}
export type InvokeAck =
  | { ok: true; requestId: string; output: unknown; trace: TraceSpan[] }
  | ({ ok: false; status: number; requestId?: string } & ErrorBody);

export interface NodeStartEvent {
  requestId: string;
  node: string;
  replica?: string;
  at: number;
}
export interface NodeEndEvent {
  requestId: string;
  node: string;
  replica?: string;
  at: number;
  ms: number;
  queueMs: number;
  /** A short, truncated preview of the node's output for the console. */
  preview: string;
  /** The node's whole output, when the invoke asked for `outputs` (left out above OUTPUT_EVENT_LIMIT bytes of JSON). */
  output?: unknown;
  /** Why `output` was left out (too large), when it was asked for. */
  outputOmitted?: string;
}

/** Largest node output (bytes of JSON) sent whole in a node:end event. */
export const OUTPUT_EVENT_LIMIT = 2 * 1024 * 1024;
export interface NodeErrorEvent {
  requestId: string;
  node: string;
  error: string;
}
export interface TokenEvent {
  requestId: string;
  node: string;
  token: string;
  index: number;
}
export interface StatusEvent {
  graph: string;
  status: GraphStatus;
  cluster: ClusterStatus;
  at: number;
}

export interface ServerToClientEvents {
  'node:start': (e: NodeStartEvent) => void;
  'node:end': (e: NodeEndEvent) => void;
  'node:error': (e: NodeErrorEvent) => void;
  token: (e: TokenEvent) => void;
  status: (e: StatusEvent) => void;
  /** Every progress step of every ingest job, to each socket that passed the control-plane token check. */
  ingest: (job: IngestJob) => void;
}
export interface ClientToServerEvents {
  invoke: (req: InvokeRequest, ack: (res: InvokeAck) => void) => void;
  subscribe: (req: { graph: string }, ack?: (res: SubscribeAck) => void) => void;
  unsubscribe: (req: { graph: string }) => void;
}

/** Smallest interval between two status pushes to one subscriber. */
export const STATUS_PUSH_INTERVAL_MS = 500;

// ---- versions (GET /api/graphs/:name/versions) ----
/**
 * Where a version stands: serving now, served before, or never served (its deploy
 * failed, or the server stopped while its replicas started); `deploying` while its
 * deploy is in progress.
 */
export type VersionStatus = 'active' | 'superseded' | 'never-activated' | 'deploying';

export interface VersionSummary {
  version: number;
  createdAt: number;
  active: boolean;
  status: VersionStatus;
  rolledBackFrom?: number;
  /** Node count and document size, so a version list is shown without loading any document. */
  nodes: number;
  bytes: number;
  /** This version was released as a canary or shadow: how it went, with every decision (shadow diffs are not kept). */
  release?: ReleaseStatus;
}

// ---- catalog and examples (GET /api/catalog, GET /examples) ----
export interface CatalogPort {
  name: string;
  type: string;
  description: string;
  required?: boolean;
  multiple?: boolean;
}
export interface CatalogKindInfo {
  kind: string;
  title: string;
  category: string;
  description: string;
  docs?: string;
  runsIn: 'executor' | 'replica';
  batchable: boolean;
  /** deployment.multiplex applies: the kind's model is a model folder (catalog `multiplex`). */
  multiplexable?: boolean;
  streams: boolean;
  singleton: boolean;
  /** Ports at the default config; `dynamicPorts` kinds compute theirs from the config (shared/catalog). */
  inputs: CatalogPort[];
  outputs: CatalogPort[];
  dynamicPorts: boolean;
  /** JSON Schema of the config (z.toJSONSchema, input side). */
  configSchema: unknown;
  /** The config with every default filled in. */
  defaults: Record<string, unknown>;
  /** Kind defaults layered under each node's deployment settings. */
  deployment: Record<string, unknown>;
  /** Registered at run time with defineNode (beamline serve --nodes). */
  custom: boolean;
}
export interface CatalogResponse {
  kinds: CatalogKindInfo[];
}
export interface ExampleInfo {
  /** Folder name under examples/. */
  id: string;
  name: string;
  description?: string;
  /** Where GET fetches the graph JSON. */
  url: string;
}
export interface GraphListResponse {
  graphs: GraphStatus[];
}
export interface SubscribeAck {
  ok: boolean;
  error?: string;
  /** The first snapshot, when the graph is deployed. */
  status?: StatusEvent;
}

// ---- deployments (GET /api/deployments) ----
/** One row of the Deployments view: a graph with a live summary over the last ~10 s. */
export interface GraphSummary {
  name: string;
  routePrefix: string;
  version: number;
  /** DEPLOYING from the moment a deploy starts. */
  state: GraphState;
  replicas: { running: number; desired: number; pending: number };
  requestsPerSec: number;
  p50Ms: number | null;
  p99Ms: number | null;
  errors: number;
  /** errors / requests over the window; 0 with no requests. */
  errorRate: number;
  /** Nodes whose replicas are RUNNING but failing requests, being replaced or unhealthy. */
  failing: { node: string; reason: string }[];
  /** PENDING replicas with the planner's reason ("needs 1 CPU; at most 0.25 free"). */
  pending: { node: string; replica: string; reason: string }[];
  /** A deploy of this name is in progress. */
  deploying?: DeployingInfo;
}
export interface DeploymentsResponse {
  deployments: GraphSummary[];
}

// ---- deploy preview (POST /api/graphs/preview) and version compare ----
/** What changes from graph a to graph b (shared/graph-diff.ts). Absent values are `undefined` (left out of JSON). */
export interface GraphDiff {
  /** Node ids in b and not in a. */
  added: string[];
  /** Node ids in a and not in b. */
  removed: string[];
  /** One entry per changed leaf: 'kind', 'label', 'position', 'config.topK', 'deployment.resources.cpus', ... */
  changed: { node: string; field: string; from: unknown; to: unknown }[];
  /** Edge ids (source.port->target.port). */
  edgesAdded: string[];
  edgesRemoved: string[];
  /** 'name', 'routePrefix', 'description', 'multipleOutputs', 'version'. */
  graphFields: { field: string; from: unknown; to: unknown }[];
  /** Nothing differs at all. */
  same: boolean;
  /** Something differs, but only node positions, notes or groups (nothing that changes serving). */
  layoutOnly: boolean;
}
export interface DeployPreview {
  name: string;
  /** The version serving now under that name, or null when the name is not deployed. */
  activeVersion: number | null;
  /** From the active version (or an empty graph) to the posted one. */
  diff: GraphDiff;
  /** Replicas that would stay PENDING against the live cluster (minus what the active version holds), with the reason. */
  pending: { node: string; replica: string; reason: string }[];
  /** Compiler errors; a graph with errors would be refused with 400. */
  errors: GraphError[];
  /** Retrievers whose index does not exist yet; deploy builds them from `docs` when set. */
  missingIndexes: { node: string; index: string; docs?: string }[];
}

// ---- indexes (GET /api/indexes, POST /api/indexes/:name/files, POST /api/indexes/:name/ingest) ----
export interface IndexInfo {
  name: string;
  chunks: number;
  /** Distinct source files. */
  documents: number;
  dim: number;
  /** The embedder model the index was built with (e.g. builtin:glove-100d). */
  model: string;
  bytes: number;
  createdAt: string;
  /** An ingest job for this index is running. */
  building: boolean;
}
export interface IndexListResponse {
  indexes: IndexInfo[];
}
export interface IndexUploadResponse {
  index: string;
  files: { name: string; bytes: number }[];
}
export interface IngestRequest {
  /** Embedder model string, e.g. "builtin:glove-100d". */
  embedder: string;
  /** Folder of .md/.txt/.jsonl files; default: the uploads folder of that index. */
  docs?: string;
  /** A deployed graph: `docs` may then be in its file's folder too, as its retriever's docs are resolved. */
  graph?: string;
  chunkSize?: number;
  chunkOverlap?: number;
}
export type IngestJobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
export interface IngestJob {
  id: string;
  index: string;
  state: IngestJobState;
  /** 'reading', 'embedding', 'writing', 'done', ... */
  phase: string;
  /** Chunks embedded so far, of total. */
  done: number;
  total: number;
  error?: string;
  startedAt: number;
  endedAt?: number;
}

// ---- readiness (GET /readyz) ----
export type ReadyResponse = { ready: true } | { ready: false; waiting: string[] };

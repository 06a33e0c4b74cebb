/**
 * What a node implementation looks like to the runtime. One file per kind in
 * runtime/nodes/<kind>.ts exports a NodeImplementation; the replica worker
 * loads it once (setup) and then calls it per request, or per batch.
 */
import type { SecretPolicy } from '../security/secret-policy.js';

export type Device =
  | { type: 'cpu' }
  /** share: the replica's GPU fraction; memoryLimitBytes: share x card memory, passed to onnxruntime's gpu_mem_limit. */
  | { type: 'cuda'; deviceId: number; share: number; memoryLimitBytes: number; virtual: boolean };

export interface NodeContext {
  graph: string;
  node: string;
  kind: string;
  replica: string;
  /** Data directory (indexes, uploaded files); paths a graph names must stay inside it or modelsDir. */
  dataDir: string;
  /** Where model folders named in configs are looked up. */
  modelsDir: string;
  /** Folder of the graph file, when it was loaded from one (retriever docs are relative to it). */
  graphDir?: string;
  /** Directories the operator allowed for `custom` node modules (`serve --allow-custom --nodes <dir>`); none means custom nodes are refused. */
  moduleDirs?: string[];
  /** Which secret env vars the node may read and where it may send them (serve --allow-secret-env, --secret-base-url); absent: BEAMLINE_SECRET_* only, anywhere. */
  secrets?: SecretPolicy;
  device: Device;
  log: (message: string) => void;
  /** Count an event in the node's metrics (`beamline_node_events_counter`, status `metrics.events`); absent outside a replica. */
  count?: (event: string, n?: number) => void;
}

export interface CallContext {
  requestId: string;
  /** Streaming nodes (LLM) send each token as it is produced. */
  emitToken: (token: string) => void;
  /** Aborted when the request times out or its caller goes away. */
  signal: AbortSignal;
}

export type NodeInputs = Record<string, unknown>;
export type NodeOutputs = Record<string, unknown>;

export interface NodeInstance {
  call(inputs: NodeInputs, ctx: CallContext): Promise<NodeOutputs>;
  /**
   * Several requests in one model call. Returns one result per item, in order;
   * an Error in a slot fails only that item's caller.
   */
  batch?(items: NodeInputs[], ctx: CallContext[]): Promise<(NodeOutputs | Error)[]>;
  /** Throws when the replica is unhealthy. */
  health?(): Promise<void> | void;
  close?(): Promise<void> | void;
}

export interface NodeImplementation<C = Record<string, unknown>> {
  kind: string;
  setup(config: C, ctx: NodeContext): Promise<NodeInstance>;
}

/** A user's input error (bad type or shape): the request fails with 400, not 500. */
export class NodeInputError extends Error {
  constructor(
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'NodeInputError';
  }
}

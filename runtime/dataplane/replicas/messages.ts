import type { Batching } from '../../../shared/deployment.js';
import type { NodeContext } from '../../nodes/types.js';

/** Messages between a replica's owner (main thread) and its worker thread. */

export interface InitMessage {
  t: 'init';
  kind: string;
  config: Record<string, unknown>;
  ctx: Omit<NodeContext, 'log' | 'count'>;
  /** Modules of custom kinds (file URLs), searched before runtime/nodes/<kind>.ts. */
  modules: string[];
  /** maxOngoingRequests rides along: a batch need not wait for calls the router will not send. */
  batching?: Batching & { maxOngoingRequests?: number; maxConcurrentBatches?: number };
  /** A multiplexed node: each model id is loaded from `folder`/<id> (under modelsDir) into config[field], at most maxModels at once. */
  multiplex?: { folder: string; field: string; maxModels: number };
}
export interface CallMessage {
  t: 'call';
  id: number;
  requestId: string;
  inputs: Record<string, unknown>;
  /** The model a multiplexed node's call names. */
  model?: string;
}
export type ToWorker = InitMessage | CallMessage | { t: 'cancel'; id: number } | { t: 'health'; id: number } | { t: 'close' } | { t: 'many'; items: ToWorker[] };

/** Calls and results sent in one tick travel as one message: postMessage has a fixed cost per message. */
export interface ManyFromWorker {
  t: 'many';
  items: FromWorker[];
}

/** What a multiplexed replica tells about its models: a call found its model loaded (hit) or not (miss), a model loaded or was evicted. */
export type MultiplexEvent = 'hit' | 'miss' | 'load' | 'evict';

export type FromWorker =
  | { t: 'ready' }
  | { t: 'loadError'; error: string }
  /** batchLead marks one item per batch, so a batch's size is counted once in metrics. */
  | { t: 'result'; id: number; outputs: Record<string, unknown>; batchSize?: number; batchLead?: boolean }
  | { t: 'error'; id: number; error: string; inputError?: boolean; path?: string }
  | { t: 'token'; id: number; token: string; index: number }
  | { t: 'health'; id: number; error?: string }
  | { t: 'log'; message: string }
  /** NodeContext.count: a node's own counter (metrics), sent with the next batch of messages. */
  | { t: 'count'; event: string; n: number }
  | { t: 'closed' }
  /** ms: a hit's or miss's call time, a load's time; held: the models loaded or loading, after any change ('held': only that). */
  | { t: 'mux'; ev: MultiplexEvent | 'held'; model: string; ms?: number; held?: string[] }
  | ManyFromWorker;

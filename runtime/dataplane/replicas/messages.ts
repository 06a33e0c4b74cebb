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
}
export interface CallMessage {
  t: 'call';
  id: number;
  requestId: string;
  inputs: Record<string, unknown>;
}
export type ToWorker = InitMessage | CallMessage | { t: 'cancel'; id: number } | { t: 'health'; id: number } | { t: 'close' } | { t: 'many'; items: ToWorker[] };

/** Calls and results sent in one tick travel as one message: postMessage has a fixed cost per message. */
export interface ManyFromWorker {
  t: 'many';
  items: FromWorker[];
}

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
  | ManyFromWorker;

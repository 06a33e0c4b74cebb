import type { NodeStatus, ReplicaState } from '../../shared/protocol.js';

/** Compact deployment summary for a node card: replicas (or min–max), CPU, GPU share, batch size. */
export function deploymentBadge(dep: Record<string, unknown>): string {
  const d = dep as {
    numReplicas?: number;
    autoscaling?: { minReplicas?: number; maxReplicas?: number };
    resources?: { cpus?: number; gpus?: number };
    batching?: { maxBatchSize?: number };
    multiplex?: { maxModelsPerReplica?: number };
  };
  const out: string[] = [];
  if (d.autoscaling) out.push(`${d.autoscaling.minReplicas ?? 1}–${d.autoscaling.maxReplicas ?? 1}×`);
  else out.push(`${d.numReplicas ?? 1}×`);
  out.push(`${d.resources?.cpus ?? 1} CPU`);
  if (d.resources?.gpus) out.push(`${d.resources.gpus} GPU`);
  if (d.batching) out.push(`batch ${d.batching.maxBatchSize ?? 8}`);
  if (d.multiplex) out.push(`multiplexed · ${d.multiplex.maxModelsPerReplica ?? 3} models`);
  return out.join(' · ');
}

/** Replicas counted by state, in lifecycle order. */
export function replicasByState(s: NodeStatus): [ReplicaState, number][] {
  const counts = new Map<ReplicaState, number>();
  for (const r of s.replicas) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  const order: ReplicaState[] = ['RUNNING', 'STARTING', 'PENDING', 'UNHEALTHY', 'STOPPING', 'STOPPED'];
  return order.filter((st) => counts.has(st)).map((st) => [st, counts.get(st)!]);
}

/** Under pressure: callers queue past half the queue limit, or every replica is busy and requests wait. */
export function underPressure(s: NodeStatus): boolean {
  if (s.runsIn !== 'replica') return false;
  return s.queued > s.maxQueued / 2 || (s.queued > 0 && s.inFlight >= s.replicas.filter((r) => r.state === 'RUNNING').length);
}

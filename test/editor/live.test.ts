import { describe, expect, it } from 'vitest';
import { deploymentBadge, replicasByState, underPressure } from '../../editor/lib/live.js';
import { mergeDeployment } from '../../shared/compile.js';
import type { NodeStatus, ReplicaState } from '../../shared/protocol.js';

const status = (states: ReplicaState[], queued: number, inFlight: number, maxQueued = 100): NodeStatus => ({
  id: 'embed',
  kind: 'embedder',
  label: 'embed',
  runsIn: 'replica',
  replicas: states.map((state, i) => ({ id: `embed#${i}`, node: 'embed', state, inFlight: 0, restarts: 0 })),
  inFlight,
  queued,
  maxQueued,
  metrics: { requests: 0, errors: 0, p50Ms: null, p99Ms: null, batchSize: null },
});

describe('node card figures', () => {
  it('summarises a deployment with the kind defaults under the node settings', () => {
    expect(deploymentBadge(mergeDeployment({ batching: { maxBatchSize: 32 } }, { numReplicas: 3, resources: { gpus: 0.5 } }))).toBe('3× · 1 CPU · 0.5 GPU · batch 32');
    expect(deploymentBadge({ autoscaling: { minReplicas: 0, maxReplicas: 4 }, resources: { cpus: 0.25 } })).toBe('0–4× · 0.25 CPU');
    expect(deploymentBadge({ numReplicas: 4, multiplex: { modelsFolder: 'sentiment', maxModelsPerReplica: 3 } })).toBe('4× · 1 CPU · multiplexed · 3 models');
    // null switches off a group the kind turns on.
    expect(deploymentBadge(mergeDeployment({ batching: { maxBatchSize: 32 } }, { batching: null }))).toBe('1× · 1 CPU');
  });

  it('counts replicas by state in lifecycle order', () => {
    expect(replicasByState(status(['PENDING', 'RUNNING', 'STARTING', 'RUNNING'], 0, 0))).toEqual([
      ['RUNNING', 2],
      ['STARTING', 1],
      ['PENDING', 1],
    ]);
  });

  it('marks pressure when the queue passes half its limit or every running replica is busy with callers waiting', () => {
    expect(underPressure(status(['RUNNING'], 0, 1))).toBe(false);
    expect(underPressure(status(['RUNNING', 'RUNNING'], 3, 1))).toBe(false);
    expect(underPressure(status(['RUNNING', 'RUNNING'], 3, 2))).toBe(true);
    expect(underPressure(status(['RUNNING', 'RUNNING', 'RUNNING'], 51, 0))).toBe(true);
    expect(underPressure({ ...status([], 60, 0), runsIn: 'executor' })).toBe(false);
  });
});

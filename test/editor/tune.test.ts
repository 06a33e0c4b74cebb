import { describe, expect, it } from 'vitest';
import type { TuneResponse } from '../../shared/tune-api.js';
import { checkTarget, ms, profileText, settingText, tunedDeployments } from '../../editor/lib/tune.js';

describe('editor lib/tune', () => {
  it('checkTarget names the field that is not a positive number', () => {
    expect(checkTarget('200', '250')).toEqual({ ok: true, qps: 200, p99Ms: 250 });
    expect(checkTarget('', '250')).toMatchObject({ ok: false, field: 'rate' });
    expect(checkTarget('0', '250')).toMatchObject({ ok: false, field: 'rate', message: expect.stringMatching(/^Rate:/) });
    expect(checkTarget('10', 'soon')).toMatchObject({ ok: false, field: 'p99', message: expect.stringMatching(/^p99:/) });
  });
  it('settingText and ms', () => {
    expect(settingText({ numReplicas: 2, maxBatchSize: 8, batchWaitMs: 5, maxOngoingRequests: 16, cpus: 1, gpus: 0.25 })).toBe('2× · 1 CPU · 0.25 GPU · batch 8 (wait 5 ms) · max 16 ongoing');
    expect(settingText({ numReplicas: 1, maxBatchSize: 1, batchWaitMs: 0, maxOngoingRequests: 5, cpus: 0.5, gpus: 0 })).toBe('1× · 0.5 CPU · no batching · max 5 ongoing');
    expect([ms(3.456), ms(123.4), ms(Number.POSITIVE_INFINITY), ms(null)]).toEqual(['3.46 ms', '123 ms', '∞', '∞']);
  });
  it('profileText: progress, the end, and a failure naming the node and the fix', () => {
    const base = { id: 'j', graph: 'g', hash: 'h', startedAt: 0, progress: { done: 4, total: 12, elapsedS: 3, remainingS: 8.2, node: 'b' } };
    expect(profileText({ ...base, state: 'running' })).toBe('Measuring b: 4 of 12 points, about 9 s left');
    expect(profileText({ ...base, state: 'failed', node: 'dead', error: 'model missing', fix: 'set config.model' })).toBe('Profiling failed at node dead: model missing (fix: set config.model)');
  });
  it('tunedDeployments takes the tuned nodes only, and nothing from a failed tune', () => {
    const graph = {
      version: 1,
      name: 'g',
      routePrefix: '/g',
      nodes: [
        { id: 'input', kind: 'input', position: { x: 0, y: 0 }, config: {}, deployment: {} },
        { id: 'a', kind: 'x', position: { x: 0, y: 0 }, config: {}, deployment: { numReplicas: 3 } },
      ],
      edges: [],
    };
    const setting = { numReplicas: 3, maxBatchSize: 1, batchWaitMs: 0, maxOngoingRequests: 5, cpus: 1, gpus: 0 };
    const ok = { ok: true, settings: { a: setting }, graph } as unknown as TuneResponse;
    expect(tunedDeployments(ok)).toEqual({ a: { numReplicas: 3 } });
    expect(tunedDeployments({ ok: false } as unknown as TuneResponse)).toEqual({});
  });
});

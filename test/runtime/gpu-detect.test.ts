import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { get, graph, post, startServer } from './helpers.js';

// No GPU on the test machine: an `nvidia-smi` that prints what the real one prints for
// `--query-gpu=index,memory.total,name --format=csv,noheader,nounits` on a two-card host
// stands in for the driver, so the detected path (not --gpus) is what runs.
let s: BeamlineServer;
const path = process.env.PATH;
beforeAll(async () => {
  const bin = mkdtempSync(join(tmpdir(), 'beamline-smi-'));
  const smi = join(bin, 'nvidia-smi');
  writeFileSync(smi, '#!/bin/sh\necho "0, 81559, NVIDIA H100 80GB HBM3"\necho "1, 81559, NVIDIA H100 80GB HBM3"\n');
  chmodSync(smi, 0o755);
  process.env.PATH = `${bin}${delimiter}${path}`;
  // helpers default to gpus: 0 (no detection); undefined asks for detection.
  s = await startServer({ gpus: undefined });
});
afterAll(async () => {
  process.env.PATH = path;
  await s?.close();
});

it('detects GPUs with nvidia-smi and gives a replica its device, share and memory limit', async () => {
  const cluster = (await get(`${s.url}/api/cluster`)).body;
  expect(cluster.gpuSource).toBe('detected');
  expect(cluster.gpus.map((g: { index: number; virtual: boolean; memoryMb: number }) => [g.index, g.virtual, g.memoryMb])).toEqual([
    [0, false, 81559],
    [1, false, 81559],
  ]);
  const g = graph('dev', [{ id: 'd', kind: 'test-device', deployment: { resources: { cpus: 0.1, gpus: 0.25 } } }], [['input', 'd'], ['d', 'output']]);
  const d = await post(`${s.url}/api/graphs`, g);
  expect(d.body.status.nodes.d.replicas[0].placement).toMatchObject({ virtualGpus: false, gpus: [{ share: 0.25 }] });
  const r = await post(`${s.url}/dev`, { x: 1 });
  expect(r.body).toEqual({ type: 'cuda', deviceId: expect.any(Number), share: 0.25, memoryLimitBytes: Math.floor(0.25 * 81559 * 2 ** 20), virtual: false });
});

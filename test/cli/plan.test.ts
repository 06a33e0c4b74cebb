import { afterAll, describe, expect, it } from 'vitest';
import { beamline, removeTemp, tempFile } from './run-cli.js';

afterAll(removeTemp);

const DOC = 'examples/document-analysis/graph.json';

describe('beamline plan', () => {
  it('--json: document-analysis packs onto 2 GPUs where one model per GPU takes 5', async () => {
    const r = await beamline(['plan', DOC, '--gpus', '8', '--cpus', '16', '--memory', '65536', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p).toMatchObject({ ok: true, graph: { name: 'document-analysis', routePrefix: '/documents' }, gpusUsed: 2, gpusWithoutSharing: 5, gpuLowerBound: 2, replicasAt: 'initial' });
    expect(p.stages).toEqual([['input'], ['ocr'], ['ner', 'summarize', 'classify'], ['output']]);
    expect(p.fanOut).toEqual([{ node: 'ocr', to: ['ner', 'summarize', 'classify'] }]);
    expect(p.fanIn).toEqual([{ node: 'output', from: ['ner', 'summarize', 'classify'] }]);
    expect(p.placement.unplaced).toEqual([]);
    expect(p.placement.gpus).toHaveLength(8);
    const byGpu = p.placement.gpus.map((g: { replicas: { node: string; share: number }[] }) => g.replicas.map((x) => `${x.node}:${x.share}`).join(' '));
    expect(byGpu).toEqual(['summarize:1', 'classify:0.25 classify:0.25 classify:0.25 classify:0.25', '', '', '', '', '', '']);
    expect(p.nodes.find((n: { id: string }) => n.id === 'ocr')).toMatchObject({ kind: 'ocr', stage: 1, resources: { cpus: 2, gpus: 0 }, totals: { replicas: 1, cpus: 2 } });
    // Memory counts every replica at its kind's estimate (none sets resources.memoryMb): ocr 160 + ner 4 x 64 + llm 48 + classifier 4 x 48.
    expect(p.placement.machines).toEqual([{ machine: 'local', cpus: 16, cpusUsed: 11, memoryMb: 65536, memoryUsedMb: 656, replicas: 10 }]);
  });

  it('prints the stages, the placement table with shares and utilisation, and the GPU count', async () => {
    const r = await beamline(['plan', DOC, '--gpus', '8', '--cpus', '16', '--memory', '65536']);
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^graph document-analysis at \/documents: 6 nodes in 4 stages$/m);
    expect(out).toMatch(/^ +3 +ner, summarize, classify$/m);
    expect(out).toMatch(/^ +4 +output +output <- ner, summarize, classify$/m);
    expect(out).toMatch(/^ +ner +ner +4 +1 x 4 = 4 +0 x 4 = 0 /m);
    expect(out).toMatch(/^ +local +1 +100% +16000\/16000 +classify#0 \(0\.25\), classify#1 \(0\.25\), classify#2 \(0\.25\), classify#3 \(0\.25\)$/m);
    expect(out).toMatch(/^ +local +6 +0% +0\/16000 +-$/m);
    expect(out).toMatch(/^ +local +11\/16 \(69%\) +656\/65536 MB \(1%\) +10$/m);
    expect(out).toMatch(/^ +ocr +ocr +1 +2 x 1 = 2 +0 x 1 = 0 +160 x 1 = 160$/m);
    expect(out).toMatch(/^GPUs used: 2 of 8; one model per GPU would use 5; the shares need at least 2$/m);
    expect(out).toMatch(/^unplaced: none$/m);
    expect(out).toMatch(/declared, not detected/);
  });

  it('lists what cannot be placed, with the reason, on the default cluster (this machine, no GPUs)', async () => {
    const r = await beamline(['plan', DOC, '--json']);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p.cluster.machines[0].gpus).toEqual([]);
    const gpuReplicas = p.placement.unplaced.filter((u: { resource: string }) => u.resource === 'gpus');
    expect(gpuReplicas.map((u: { replica: string }) => u.replica).sort()).toEqual([...[0, 1, 2, 3].map((i) => `classify#${i}`), 'summarize#0'].sort());
    expect(gpuReplicas[0].reason).toMatch(/the cluster has no GPUs \(declare some with --gpus\)/);
    const text = await beamline(['plan', DOC]);
    // How many CPU replicas also stay PENDING depends on this machine's CPUs; the five GPU replicas always do.
    expect(text.stdout).toMatch(/^unplaced: \d+ replicas would stay PENDING$/m);
    expect(text.stdout.match(/^ +\S+ +gpus +needs /gm)).toHaveLength(5);
    expect(text.stdout).toMatch(/^ +summarize#0 +gpus +needs 1 GPU but the cluster has no GPUs/m);
  });

  it('reads a cluster file with several machines', async () => {
    const cluster = tempFile('cluster.json', {
      machines: [
        { id: 'gpu-a', cpus: 8, memoryMb: 32000, gpus: 4, gpuMemoryMb: 24000 },
        { id: 'gpu-b', cpus: 8, memoryMb: 32000, gpus: [{ memoryMb: 80000, name: 'A100' }, { memoryMb: 80000, name: 'A100' }] },
        { id: 'cpu-c', cpus: 4, memoryMb: 16000 },
      ],
    });
    const r = await beamline(['plan', DOC, '--cluster', cluster, '--json']);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p.placement.unplaced).toEqual([]);
    expect(p.gpusUsed).toBe(2);
    const llm = p.placement.assignments.find((a: { node: string }) => a.node === 'summarize');
    expect(llm.gpus).toHaveLength(1);
    expect(p.placement.machines.map((m: { machine: string }) => m.machine)).toEqual(['gpu-a', 'gpu-b', 'cpu-c']);
  });

  it('reports a bad cluster file at its JSON path, with exit 1', async () => {
    const cluster = tempFile('cluster.json', { machines: [{ id: 'a', cpus: -1, memoryMb: 1000 }, { id: 'a', cpus: 1, memoryMb: 1, gpu: 2 }] });
    const r = await beamline(['plan', DOC, '--cluster', cluster, '--json']);
    expect(r.code).toBe(1);
    const errors = JSON.parse(r.stdout).errors;
    expect(errors).toContainEqual(expect.objectContaining({ code: 'out_of_range', path: '$.machines[0].cpus' }));
    expect(errors).toContainEqual(expect.objectContaining({ path: '$.machines[1].gpu', message: expect.stringMatching(/unknown field "gpu"/), fix: 'did you mean gpus?' }));
    expect(errors).toContainEqual(expect.objectContaining({ code: 'duplicate_id', path: '$.machines[1].id' }));
  });

  it('refuses --cluster together with machine flags', async () => {
    const r = await beamline(['plan', DOC, '--cluster', 'x.json', '--gpus', '2']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/--cluster cannot be combined with --gpus/);
  });

  it('places the autoscaling maximum with --replicas max', async () => {
    const graph = tempFile('auto.json', {
      version: 1,
      name: 'auto',
      routePrefix: '/auto',
      nodes: [
        { id: 'in', kind: 'input' },
        { id: 'emb', kind: 'embedder', deployment: { autoscaling: { minReplicas: 1, maxReplicas: 6 }, resources: { cpus: 0, gpus: 0.25 } } },
        { id: 'out', kind: 'output' },
      ],
      edges: [
        { source: 'in', sourceHandle: 'query', target: 'emb', targetHandle: 'text' },
        { source: 'emb', sourceHandle: 'vector', target: 'out', targetHandle: 'in' },
      ],
    });
    const initial = JSON.parse((await beamline(['plan', graph, '--gpus', '4', '--json'])).stdout);
    const max = JSON.parse((await beamline(['plan', graph, '--gpus', '4', '--json', '--replicas', 'max'])).stdout);
    expect(initial.placement.assignments).toHaveLength(1);
    expect(max.placement.assignments).toHaveLength(6);
    expect(max.gpusUsed).toBe(2);
  });

  it('exits 1 with every error on an invalid graph, and 2 on a bad flag', async () => {
    const bad = await beamline(['plan', tempFile('g.json', { version: 1, name: 'x', routePrefix: '/x', nodes: [], edges: [] })]);
    expect(bad.code).toBe(1);
    expect(bad.stdout.trim().split('\n')).toEqual(['$.nodes: the graph has no input node (fix: add an input node)', '$.nodes: the graph has no output node (fix: add an output node)']);
    const flag = await beamline(['plan', DOC, '--gpus', '1.5']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--gpus <n>.*expected a whole number/);
  });
});

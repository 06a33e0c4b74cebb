import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportGraph } from '../../runtime/export/export.js';
import { distribution, ONNXRUNTIME_CPU, ONNXRUNTIME_GPU } from '../../runtime/export/requirements.js';
import { writeExport } from '../../runtime/export/write.js';
import { exportTemplate } from '../../runtime/kinds.js';
import { compile } from '../../shared/compile.js';
import { gpuWarnings } from '../../shared/gpu-use.js';
import { exampleGraphs, FIXTURES, ROOT, removeTempDirs, tempDir } from './helpers.js';

const ONNX = ['onnxruntime', 'onnxruntime-gpu'];
const exportable = exampleGraphs().filter((g) => (JSON.parse(g.text).nodes as { kind: string }[]).every((n) => exportTemplate(n.kind)));
/** A graph with every node asking for a GPU share where it has a GPU use, so the image is a GPU one. */
function onGpu(text: string): unknown {
  const g = JSON.parse(text);
  for (const n of g.nodes) if (['embedder', 'classifier', 'reranker', 'llm'].includes(n.kind)) n.deployment = { ...n.deployment, resources: { ...(n.deployment?.resources ?? {}), gpus: 0.5 } };
  return g;
}
const lines = (text: string | undefined) => (text ?? '').split('\n').filter(Boolean);

describe('GPU images load ONNX Runtime on the GPU, or say why not', () => {
  afterAll(removeTempDirs);

  for (const ex of exportable) {
    for (const gpu of [false, true]) {
      it(`${ex.name}${gpu ? ' on GPUs' : ''}: exactly one ONNX Runtime distribution is installed`, () => {
        const r = exportGraph(gpu ? onGpu(ex.text) : ex.text, { target: 'rayservice' });
        const installed = lines(r.files.get('requirements.txt'));
        const nodeps = lines(r.files.get('requirements-nodeps.txt'));
        const onnx = installed.filter((l) => ONNX.includes(distribution(l)));
        const usesOnnx = r.plan.order.some((id) => exportTemplate(r.plan.nodes[id].kind)!.requirements.concat((exportTemplate(r.plan.nodes[id].kind)!.withoutDeps ?? []).flatMap((w) => w.dependencies)).includes('onnxruntime'));
        expect(onnx).toHaveLength(usesOnnx ? 1 : 0);
        const needsGpu = r.plan.order.some((id) => r.plan.nodes[id].deployment.resources.gpus > 0);
        if (usesOnnx) expect(onnx[0]).toBe(needsGpu ? ONNXRUNTIME_GPU : ONNXRUNTIME_CPU);
        // A package that declares onnxruntime (rapidocr-onnxruntime) is installed without its dependencies.
        expect(installed.map(distribution)).not.toContain('rapidocr-onnxruntime');
        const dockerfile = r.files.get('Dockerfile')!;
        if (nodeps.length) expect(dockerfile).toContain('pip install --no-cache-dir --no-deps -r /home/ray/beamline/requirements-nodeps.txt');
        expect(dockerfile).toMatch(/assert len\(d\) <= 1, 'two ONNX Runtime distributions/);
        expect(dockerfile).toMatch(needsGpu ? /^FROM rayproject\/ray:2\.52\.0-py311-gpu$/m : /^FROM rayproject\/ray:2\.52\.0-py311$/m);
      });
    }
  }

  it('document-analysis: OCR (rapidocr-onnxruntime) next to a GPU model gets onnxruntime-gpu only, and a headless OpenCV', () => {
    const r = exportGraph(readFileSync(join(ROOT, 'examples/document-analysis/graph.json'), 'utf8'), { target: 'rayservice' });
    expect(lines(r.files.get('requirements-nodeps.txt'))).toEqual(['rapidocr-onnxruntime==1.4.4']);
    const installed = lines(r.files.get('requirements.txt'));
    expect(installed).toContain(ONNXRUNTIME_GPU);
    expect(installed).toContain('opencv-python-headless');
    expect(installed.map(distribution)).not.toContain('onnxruntime');
    expect(installed.map(distribution)).not.toContain('opencv-python');
    expect(r.files.get('README.md')).toMatch(/## GPUs[\s\S]*onnxruntime-gpu\[cuda,cudnn\]==1\.22\.0[\s\S]*BEAMLINE_ALLOW_CPU_FALLBACK=1/);
  });

  describe('a replica that reserves a GPU but cannot open the CUDA provider', () => {
    const dir = tempDir('cuda');
    writeExport(dir, exportGraph(onGpu(readFileSync(join(ROOT, 'examples/rag/graph.json'), 'utf8')), { target: 'rayservice' }), { modelsDir: dir, dataDir: dir, copyAssets: false });
    const start = (mode: string, env: Record<string, string> = {}) =>
      JSON.parse(execFileSync('python3', [join(FIXTURES, 'cuda_check.py'), join(dir, 'app')], { env: { ...process.env, FAKE_ORT_CUDA: mode, ...env }, encoding: 'utf8' }));

    it('fails its start naming the node and the loader\'s message (ONNX Runtime would fall back to the CPU silently)', () => {
      const r = start('fallback');
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/^NodeConfigError: node embed reserves 1 GPU but ONNX Runtime cannot use CUDA: .*libonnxruntime_providers_cuda\.so: cannot open shared object file/);
      expect(r.error).toMatch(/BEAMLINE_ALLOW_CPU_FALLBACK=1/);
      // CUDA and cuDNN from the pip wheels were loaded first.
      expect(r.calls[0]).toBe('preload_dlls');
    });

    it('a CPU-only onnxruntime is named as such', () => {
      expect(start('absent').error).toMatch(/node embed reserves 1 GPU but ONNX Runtime cannot use CUDA: this onnxruntime has no CUDA provider \(it has CPUExecutionProvider\)/);
    });

    it('runs on the CPU with BEAMLINE_ALLOW_CPU_FALLBACK=1, saying so', () => {
      const r = start('fallback', { BEAMLINE_ALLOW_CPU_FALLBACK: '1' });
      expect(r.ok).toBe(true);
      expect(r.providers).toEqual(['CPUExecutionProvider']);
      expect(r.logs.join('\n')).toMatch(/CUDA unavailable .*running on the CPU because BEAMLINE_ALLOW_CPU_FALLBACK=1/);
    });

    it('opens a CUDA session when the provider loads', () => {
      const r = start('ok');
      expect(r.ok).toBe(true);
      expect(r.providers[0]).toBe('CUDAExecutionProvider');
      expect(r.calls).toContainEqual(['session', 'model.onnx', ['CUDAExecutionProvider', 'CPUExecutionProvider']]);
    });
  });
});

describe('GPU reservations the implementation cannot use are pointed out', () => {
  /** document-analysis as it was: wink NER with 0.25 GPU, an extractive summary with 4 GPUs. */
  const before = (() => {
    const g = JSON.parse(readFileSync(join(ROOT, 'examples/document-analysis/graph.json'), 'utf8'));
    g.nodes.find((n: { id: string }) => n.id === 'ner').deployment.resources.gpus = 0.25;
    g.nodes.find((n: { id: string }) => n.id === 'summarize').deployment.resources.gpus = 4;
    return g;
  })();
  const beamline = (args: string[], input?: string) => spawnSync(process.execPath, [join(ROOT, 'bin/beamline.js'), ...args], { cwd: ROOT, encoding: 'utf8', input });

  it('gpuWarnings names the node, the JSON path and what it can use', () => {
    const c = compile(before);
    if (!c.ok) throw new Error('graph does not compile');
    const w = gpuWarnings(c.plan);
    expect(w.map((x) => [x.node, x.path])).toEqual([
      ['ner', '$.nodes[2].deployment.resources.gpus'],
      ['summarize', '$.nodes[3].deployment.resources.gpus'],
    ]);
    expect(w[0].message).toMatch(/a ner node with the wink backend runs on the CPU only/);
    expect(w[1].message).toMatch(/uses at most 1 GPU \(one ONNX Runtime session on one device\): 3 stay idle/);
    expect(w[1].fix).toMatch(/set resources\.gpus to 1/);
  });

  it('validate and plan print the warnings (exit 0), --json lists them; the examples have none', () => {
    const v = beamline(['validate', '-'], JSON.stringify(before));
    expect(v.status).toBe(0);
    expect(v.stderr).toMatch(/^warning: node summarize at \$\.nodes\[3\]\.deployment\.resources\.gpus: reserves 4 GPUs per replica/m);
    expect(JSON.parse(beamline(['validate', '-', '--json'], JSON.stringify(before)).stdout).warnings.map((w: { node: string }) => w.node)).toEqual(['ner', 'summarize']);
    const p = beamline(['plan', '-', '--gpus', '8', '--cpus', '16', '--json'], JSON.stringify(before));
    expect(JSON.parse(p.stdout).warnings).toHaveLength(2);
    for (const ex of exampleGraphs()) {
      const c = compile(ex.text);
      if (c.ok) expect(gpuWarnings(c.plan), ex.name).toEqual([]);
    }
  });

  it("the export's README says so", () => {
    const r = exportGraph(before, { target: 'rayservice' });
    expect(r.files.get('README.md')).toMatch(/summarize: reserves 4 GPUs per replica, but a llm node with the extractive backend uses at most 1 GPU/);
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, afterAll } from 'vitest';
import { ROOT, tempDir, writeIndex, removeTempDirs } from './helpers.js';

const beamline = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/beamline.js'), ...args], { cwd: ROOT, encoding: 'utf8' });

describe('beamline export and import on the command line', () => {
  afterAll(removeTempDirs);
  it('export --target rayservice writes the app, configs, Dockerfile and README, and copies the builtin model', () => {
    const out = tempDir('cli-export');
    const data = tempDir('cli-data');
    writeIndex(data, 'rag', [[1, 0]], ['one chunk']);
    const r = beamline(['export', 'examples/rag/graph.json', '--target', 'rayservice', '-o', out, '--image', 'registry.example/rag:1', '--data-dir', data, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(true);
    for (const f of ['rayservice.yaml', 'serve-config.yaml', 'Dockerfile', 'README.md', 'requirements.txt', 'app/beamline_app.py', 'app/beamline_nodes/embedder.py']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(existsSync(join(out, 'models/builtin/glove-100d/model.onnx'))).toBe(true);
    expect(readFileSync(join(out, 'rayservice.yaml'), 'utf8')).toContain('image: registry.example/rag:1');
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toMatch(/kubectl apply -f rayservice.yaml/);
    expect(readme).toMatch(/kubectl port-forward svc\/rag-serve-svc 8000:8000/);
    expect(readme).toMatch(/curl -s -X POST localhost:8000\/rag/);
    expect(readme).toMatch(/The stand-in is not Ray/);
    expect(readFileSync(join(out, 'data/indexes/rag/chunks.jsonl'), 'utf8')).toContain('one chunk');
    expect(report.missing).toEqual([]);
    // Without the index: reported, not fatal.
    const again = beamline(['export', 'examples/rag/graph.json', '-o', tempDir('cli-export2'), '--data-dir', tempDir('cli-empty'), '--json']);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout).missing.join('\n')).toMatch(/retriever index rag .*run beamline ingest/);
  });

  it('import reads the exported RayService and app back into a graph that validates', () => {
    const out = tempDir('cli-roundtrip');
    expect(beamline(['export', 'examples/rag/graph.json', '-o', out, '--no-copy-assets']).status).toBe(0);
    const graph = join(out, 'graph.json');
    const r = beamline(['import', join(out, 'rayservice.yaml'), '--python', join(out, 'app/beamline_app.py'), '-o', graph]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/imported rag: 6 nodes, 7 edges/);
    execFileSync(process.execPath, [join(ROOT, 'bin/beamline.js'), 'validate', graph], { cwd: ROOT });
  });

  it('a graph with a custom node exits 1 naming the node; a bad import file exits 1 saying why', () => {
    const dir = tempDir('cli-custom');
    const g = JSON.parse(readFileSync(join(ROOT, 'examples/rag/graph.json'), 'utf8'));
    g.nodes.push({ id: 'stats', kind: 'custom', config: { module: 'stats.js' } });
    g.edges.push({ source: 'input', sourceHandle: 'query', target: 'stats', targetHandle: 'in' });
    writeFileSync(join(dir, 'graph.json'), JSON.stringify(g));
    const r = beamline(['export', join(dir, 'graph.json'), '-o', join(dir, 'out')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/node stats at \$\.nodes\[6\]: cannot be exported: a custom node runs/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    writeFileSync(join(dir, 'bad.yaml'), 'kind: RayCluster\n');
    const bad = beamline(['import', join(dir, 'bad.yaml')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/RayCluster holds no Serve config/);
  });

  it('import writes one graph per application of a multi-application config; export takes them back as one RayService', () => {
    const dir = tempDir('cli-multi');
    const r = beamline(['import', join(ROOT, 'test/fixtures/schemas/kuberay/samples/ray-service.sample.yaml'), '-o', join(dir, 'graphs')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/imported application fruit_app as fruit_app: 6 nodes, 5 edges -> .*fruit_app\.json/);
    expect(r.stdout).toMatch(/imported application math_app as math_app: 5 nodes, 4 edges -> .*math_app\.json/);
    for (const g of ['fruit_app', 'math_app']) execFileSync(process.execPath, [join(ROOT, 'bin/beamline.js'), 'validate', join(dir, 'graphs', `${g}.json`)], { cwd: ROOT });
    const out = join(dir, 'out');
    const e = beamline(['export', join(dir, 'graphs/fruit_app.json'), join(dir, 'graphs/math_app.json'), '-o', out, '--upgrade-strategy', 'NewCluster']);
    expect(e.status, e.stdout + e.stderr).toBe(0);
    const manifest = readFileSync(join(out, 'rayservice.yaml'), 'utf8');
    expect(manifest).toMatch(/name: fruit_app/);
    expect(manifest).toMatch(/name: math_app/);
    expect(manifest).toMatch(/upgradeStrategy:\n {4}type: NewCluster/);
    expect(existsSync(join(out, 'monitoring/podmonitor.yaml'))).toBe(true);
  });

  it('--ray-version and --image are checked like any flag (exit 2)', () => {
    const bad = beamline(['export', 'examples/rag/graph.json', '-o', tempDir('cli-bad'), '--ray-version', 'banana']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Ray version "banana" is not a release such as 2\.52\.0/);
    const image = beamline(['export', 'examples/rag/graph.json', '-o', tempDir('cli-bad2'), '--image', 'Bad Image']);
    expect(image.status).toBe(2);
    expect(image.stderr).toMatch(/image "Bad Image" is not a container image reference/);
  });
});


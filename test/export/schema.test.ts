import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it, afterAll } from 'vitest';
import { exportTemplate } from '../../runtime/kinds.js';
import { ExportError, exportGraph } from '../../runtime/export/export.js';
import { writeExport } from '../../runtime/export/write.js';
import { exampleGraphs, FIXTURES, tempDir, validators, removeTempDirs, type Yaml } from './helpers.js';

const { rayService, serveConfig } = validators();
// The examples (globbed, more may appear) and the test graphs with parallel branches, a switch and awkward names.
const all = [...exampleGraphs(), ...['parallel', 'switch', 'awkward'].map((name) => ({ name: `fixture ${name}`, text: readFileSync(join(FIXTURES, `graphs/${name}.json`), 'utf8') }))];
/** Nodes Ray cannot run: JavaScript kinds (custom, defineNode) are refused by name. */
const unexportable = (text: string) =>
  (JSON.parse(text).nodes as { id: string; kind: string }[]).filter((n) => !exportTemplate(n.kind)).map((n) => n.id);
const examples = all.filter((e) => unexportable(e.text).length === 0);
const refused = all.filter((e) => unexportable(e.text).length > 0);

describe('exported manifests validate against KubeRay and Ray Serve schemas', () => {
  afterAll(removeTempDirs);
  it('finds the example graphs', () => {
    expect(examples.map((e) => e.name)).toEqual(expect.arrayContaining(['rag', 'fractional-gpu', 'document-analysis', 'fixture awkward']));
  });

  for (const ex of examples) {
    it(`${ex.name}: RayService against the CRD, serveConfigV2 against the strict Serve schema, Python compiles`, () => {
      const r = exportGraph(ex.text, { target: 'rayservice' });
      const manifest = load(r.files.get('rayservice.yaml')!) as Yaml;
      expect(rayService(manifest), JSON.stringify(rayService.errors, null, 1)).toBe(true);
      expect(manifest.apiVersion).toBe('ray.io/v1');
      const inner = load(manifest.spec.serveConfigV2);
      expect(serveConfig(inner), JSON.stringify(serveConfig.errors, null, 1)).toBe(true);
      const file = load(r.files.get('serve-config.yaml')!);
      expect(serveConfig(file), JSON.stringify(serveConfig.errors, null, 1)).toBe(true);
      expect(inner).toEqual(file);
      // One deployment per replica-backed node plus the ingress.
      const replicaNodes = r.plan.order.filter((id) => r.plan.nodes[id].runsIn === 'replica');
      const names = (inner as Yaml).applications[0].deployments.map((d: Yaml) => d.name);
      expect(names).toHaveLength(replicaNodes.length + 1);
      expect(names).toEqual(expect.arrayContaining(replicaNodes));
      const ports = manifest.spec.rayClusterConfig.headGroupSpec.template.spec.containers[0].ports.map((p: Yaml) => p.containerPort);
      expect(ports).toEqual(expect.arrayContaining([8000, 8265, 6379]));

      // What watching it needs: a PodMonitor for Ray's metrics port, a dashboard with every deployment.
      const monitor = load(r.files.get('monitoring/podmonitor.yaml')!) as Yaml;
      expect(monitor).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', spec: { selector: { matchLabels: { 'ray.io/is-ray-node': 'yes' } }, podMetricsEndpoints: [{ port: 'metrics' }] } });
      const dashboard = JSON.parse(r.files.get('monitoring/grafana-dashboard.json')!);
      const exprs = dashboard.panels.flatMap((p: Yaml) => (p.targets ?? []).map((t: Yaml) => t.expr)).join('\n');
      for (const metric of ['ray_serve_deployment_request_counter_total', 'ray_serve_deployment_processing_latency_ms_bucket', 'ray_serve_deployment_replica_healthy', 'ray_serve_deployment_queued_queries']) expect(exprs).toContain(metric);
      expect(exprs).toContain(`application="${(inner as Yaml).applications[0].name}",deployment=~"${names.join('|')}"`);
      expect(dashboard.panels.filter((p: Yaml) => p.type === 'timeseries').map((p: Yaml) => p.title)).toEqual(['Requests per second', 'Latency (p50, p90, p99)', 'Replicas', 'Queue and running requests']);

      const dir = tempDir(`schema-${ex.name}`);
      writeExport(dir, r, { modelsDir: dir, dataDir: dir, copyAssets: false });
      const py = [...r.files.keys()].filter((f) => f.endsWith('.py')).map((f) => join(dir, f));
      execFileSync('python3', ['-m', 'py_compile', ...py]);
      // Every name used is defined or imported, and nothing is imported for nothing.
      expect(JSON.parse(execFileSync('python3', [join(FIXTURES, 'names.py'), ...py], { encoding: 'utf8' }))).toEqual({});
    });

    it(`${ex.name}: the serve-config target validates and asks pip for the node packages`, () => {
      const r = exportGraph(ex.text, { target: 'serve-config' });
      expect(r.files.has('rayservice.yaml')).toBe(false);
      const file = load(r.files.get('serve-config.yaml')!) as Yaml;
      expect(serveConfig(file), JSON.stringify(serveConfig.errors, null, 1)).toBe(true);
      expect(file.applications[0].runtime_env.pip ?? []).toEqual(r.files.get('requirements.txt')!.split('\n').filter(Boolean));
    });
  }

  for (const ex of refused) {
    it(`${ex.name}: refused with an error naming each JavaScript node`, () => {
      let error: unknown;
      try {
        exportGraph(ex.text, { target: 'rayservice' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ExportError);
      const problems = (error as ExportError).problems;
      expect(problems.map((p) => p.node).sort()).toEqual(unexportable(ex.text).sort());
      for (const p of problems) expect(p.message).toMatch(/cannot be exported/);
    });
  }

  it('the schemas reject a broken manifest (the check can fail)', () => {
    const r = exportGraph(examples.find((e) => e.name === 'rag')!.text, { target: 'rayservice' });
    const manifest = load(r.files.get('rayservice.yaml')!) as Yaml;
    manifest.spec.rayClusterConfig.workerGroupSpecs[0].replicas = 'two';
    expect(rayService(manifest)).toBe(false);
    const inner = load(manifest.spec.serveConfigV2) as Yaml;
    inner.applications[0].deployments[1].num_replica = 2;
    expect(serveConfig(inner)).toBe(false);
  });
});

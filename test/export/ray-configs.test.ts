import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { exportGraphs } from '../../runtime/export/export.js';
import { compile } from '../../shared/compile.js';
import { importServeConfigAll, ServeImportError } from '../../shared/ray-import.js';
import { APPLICATION_FIELDS, AUTOSCALING_FIELDS, DEPLOYMENT_FIELDS, RAY_ACTOR_OPTIONS_FIELDS, SERVE_CONFIG_FIELDS } from '../../shared/ray-serve-fields.js';
import { ROOT, SCHEMAS, validators, type Yaml } from './helpers.js';

/**
 * Real configs from Ray's and KubeRay's repositories (test/fixtures/ray-configs,
 * with their sources and licence): each is imported or refused with a message
 * naming where; every imported graph passes validate; exporting the graphs
 * gives back every setting of every application (and the RayService's spec);
 * and a replica count edited on the canvas is the one change the export makes.
 */

const DIR = join(ROOT, 'test/fixtures/ray-configs');
const files = [
  ...['ray-serve-tests', 'ray-docs', 'kuberay'].flatMap((d) => readdirSync(join(DIR, d)).map((f) => ({ name: `${d}/${f}`, path: join(DIR, d, f) }))),
  ...['ray-service.sample.yaml', 'ray-service.incremental-upgrade.yaml'].map((f) => ({ name: `schemas/${f}`, path: join(SCHEMAS, 'kuberay/samples', f) })),
].sort((a, b) => a.name.localeCompare(b.name));

/** Files Ray refuses too (or the Ray 1.x format Ray 2 no longer reads), with what the refusal must say. */
const REFUSED: Record<string, RegExp> = {
  'ray-serve-tests/bad_config.yaml': /^\$\.applications: no applications list and no import_path: not a Ray Serve config \(it has not_a_valid_field\)$/,
  'ray-serve-tests/bad_multi_config.yaml': /^\$\.applications\[1\]\.route_prefix: route_prefix \/app1 is also application "app1"'s/,
  'ray-serve-tests/bad_single_config.yaml': /^\$\.import_path: an application needs an import_path/,
  'ray-serve-tests/duplicate_app_names.yaml': /^\$\.applications\[1\]\.name: two applications are named "app1"/,
  'ray-serve-tests/duplicate_app_routes.yaml': /^\$\.applications\[1\]\.route_prefix: route_prefix \/alice is also/,
  ...Object.fromEntries(
    ['deny_access', 'fake_runtime_env', 'macaw', 'missing_runtime_env', 'scarlet', 'three_deployments', 'two_deployments'].map((f) => [`ray-serve-tests/${f}.yaml`, /^\$\.deployments: a Ray 1\.x deployment list/]),
  ),
};

/** The Serve config inside a file as Ray reads it: nulls are unset, the single-application form has one app named default at /. */
function serveConfigIn(text: string): { config: Yaml; rayService?: Yaml } {
  const docs = (loadAll(text) as Yaml[]).filter(Boolean);
  const doc = docs.find((d) => d.kind === 'RayService' || d.kind === undefined);
  return doc.kind === 'RayService' ? { config: load(doc.spec.serveConfigV2), rayService: doc } : { config: doc };
}
const clean = (v: Yaml): Yaml => (Array.isArray(v) ? v.map(clean) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, clean(x)])) : v);
function appsOf(config: Yaml): Yaml[] {
  const apps = config.applications ?? [Object.fromEntries(Object.entries(config).filter(([k]) => !['host', 'port', 'proxy_location', 'http_options', 'grpc_options', 'logging_config'].includes(k)))];
  return apps.map((a: Yaml) => clean({ name: 'default', route_prefix: '/', ...a }));
}
const specOf = (rs: Yaml) => {
  const { serveConfigV2: _, ...rest } = rs.spec;
  return rest;
};

const { rayService, serveConfig, serveConfigLenient } = validators();

describe('real Ray Serve configs and RayServices import, validate and round-trip', () => {
  it(`finds the copied configs (${files.length} files)`, () => {
    expect(files.length).toBeGreaterThanOrEqual(50);
  });

  it("the fields import keeps are the vendored Serve schema's, level by level", () => {
    const s = JSON.parse(readFileSync(join(SCHEMAS, 'ray-serve/serve-config.strict.schema.json'), 'utf8'));
    const defs = s.$defs ?? s.definitions;
    const keys = (o: Yaml) => Object.keys(o.properties).sort();
    expect(keys(s)).toEqual([...SERVE_CONFIG_FIELDS].sort());
    expect(keys(defs.ServeApplicationSchema)).toEqual([...APPLICATION_FIELDS].sort());
    expect(keys(defs.DeploymentSchema)).toEqual([...DEPLOYMENT_FIELDS].sort());
    expect(keys(defs.RayActorOptionsSchema)).toEqual([...RAY_ACTOR_OPTIONS_FIELDS].sort());
    expect(keys(defs.AutoscalingConfig)).toEqual([...AUTOSCALING_FIELDS].sort());
  });

  const counts = { imported: 0, refused: 0, graphs: 0, roundTripped: 0 };
  for (const f of files) {
    it(f.name, () => {
      const text = readFileSync(f.path, 'utf8');
      let result: ReturnType<typeof importServeConfigAll> | undefined;
      let error: unknown;
      try {
        result = importServeConfigAll(text);
      } catch (e) {
        error = e;
      }
      if (REFUSED[f.name]) {
        // A refusal is a ServeImportError whose message starts with the JSON path of what is wrong.
        expect(error, 'should be refused').toBeInstanceOf(ServeImportError);
        expect((error as Error).message).toMatch(REFUSED[f.name]);
        counts.refused++;
        return;
      }
      expect(error, String(error)).toBeUndefined();
      counts.imported++;
      const apps = result!.applications;
      for (const a of apps) {
        const c = compile(a.graph);
        expect(c.ok, `${a.application}: ${c.ok ? '' : c.errors.map((e) => e.message).join('; ')}`).toBe(true);
        for (const w of [...result!.warnings, ...a.warnings]) expect(w).toMatch(/\S/);
        counts.graphs++;
      }
      const { config, rayService: source } = serveConfigIn(text);
      const out = exportGraphs(
        apps.map((a) => a.graph),
        { target: source ? 'rayservice' : 'serve-config' },
      );
      // Every setting of every application comes back (host/port of Ray's deprecated forms aside).
      const strip = (a: Yaml) => Object.fromEntries(Object.entries(a).filter(([k]) => k !== 'host' && k !== 'port'));
      expect((out.serveConfig as Yaml).applications.map((a: Yaml) => strip(clean(a)))).toEqual(appsOf(config).map(strip));
      if (serveConfigLenient(config)) expect(serveConfigLenient(out.serveConfig), JSON.stringify(serveConfigLenient.errors)).toBe(true);
      if (serveConfig(config)) expect(serveConfig(out.serveConfig), JSON.stringify(serveConfig.errors)).toBe(true);
      if (source) {
        const manifest = load(out.files.get('rayservice.yaml')!) as Yaml;
        expect(specOf(manifest)).toEqual(specOf(JSON.parse(JSON.stringify(source))));
        expect(manifest.metadata.name).toBe(source.metadata.name);
        expect(rayService(manifest), JSON.stringify(rayService.errors)).toBe(true);
        expect(load(manifest.spec.serveConfigV2)).toEqual(out.serveConfig);
      }
      counts.roundTripped++;

      // An edit on the canvas is the one change: a deployment's replicas (or its autoscaling ceiling).
      const graph = apps.find((a) => a.graph.nodes.some((n) => n.kind === 'ray-deployment' && (n.config as Yaml).deployment))?.graph;
      if (!graph) return;
      const node = graph.nodes.find((n) => n.kind === 'ray-deployment' && (n.config as Yaml).deployment)!;
      const edited = structuredClone(graph);
      const target = edited.nodes.find((n) => n.id === node.id)!;
      const d = target.deployment as Yaml;
      if (d.autoscaling) d.autoscaling = { ...d.autoscaling, maxReplicas: 7 };
      else d.numReplicas = 7;
      const again = exportGraphs(
        apps.map((a) => (a.graph === graph ? edited : a.graph)),
        { target: 'serve-config' },
      );
      const appIndex = apps.findIndex((a) => a.graph === graph);
      const before = (out.serveConfig as Yaml).applications[appIndex];
      const after = (again.serveConfig as Yaml).applications[appIndex];
      const name = (node.config as Yaml).deployment;
      const dep = (app: Yaml) => app.deployments.find((x: Yaml) => x.name === name);
      if (d.autoscaling) expect(dep(after).autoscaling_config.max_replicas).toBe(7);
      else expect(dep(after).num_replicas).toBe(7);
      const expected = structuredClone(before);
      const e = dep(expected);
      if (d.autoscaling) e.autoscaling_config = { ...(e.autoscaling_config ?? {}), max_replicas: 7 };
      else e.num_replicas = 7;
      expect(after).toEqual(expected);
    });
  }

  it('counts: every file imported or refused, and every import round-tripped', () => {
    expect(counts.imported + counts.refused).toBe(files.length);
    expect(counts.refused).toBe(Object.keys(REFUSED).length);
    expect(counts.roundTripped).toBe(counts.imported);
    expect(counts.graphs).toBeGreaterThan(counts.imported);
  });
});

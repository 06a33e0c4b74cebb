import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

/** Parsed YAML or JSON, walked freely in assertions (a schema has already checked its shape). */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Yaml = any;

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** KubeRay's CRD and Ray Serve's config schemas, vendored with their source and licence (see its README). */
export const SCHEMAS = join(ROOT, 'test/fixtures/schemas');
export const FIXTURES = join(ROOT, 'test/export/fixtures');

/** Every example graph, found when the test runs (more may be added). */
export function exampleGraphs(): { name: string; text: string }[] {
  const dir = join(ROOT, 'examples');
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => {
      try {
        return [{ name: d.name, text: readFileSync(join(dir, d.name, 'graph.json'), 'utf8') }];
      } catch {
        return [];
      }
    });
}

/** KubeRay's RayService CRD and Ray Serve's strict config schema, as test/fixtures/schemas/README.md sets them up. */
export function validators() {
  const k8s = new Ajv({ strict: false, allErrors: true, useDefaults: true });
  addFormats(k8s);
  const rayService = k8s.compile(JSON.parse(readFileSync(join(SCHEMAS, 'kuberay/ray.io_rayservices.v1.schema.json'), 'utf8')));
  const serve = new Ajv({ strict: false, allErrors: true });
  const serveConfig = serve.compile(JSON.parse(readFileSync(join(SCHEMAS, 'ray-serve/serve-config.strict.schema.json'), 'utf8')));
  // Unknown keys allowed, as Ray allows them: for configs written by others.
  const serveConfigLenient = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(readFileSync(join(SCHEMAS, 'ray-serve/serve-config.schema.json'), 'utf8')));
  return { rayService, serveConfig, serveConfigLenient };
}

const made: string[] = [];

/** A fresh temporary directory, removed by removeTempDirs(). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `beamline-${prefix}-`));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Runs fixtures/run_app.py on an exported app; returns what the stand-in recorded. */
export function runUnderStandin(
  spec: { app_dir: string; serve_config: string; fakes: Record<string, Record<string, unknown>>; requests: unknown[]; concurrent?: boolean; hold?: Record<string, string>; module?: string; application?: string },
  env: Record<string, string>,
) {
  const file = join(tempDir('spec'), 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  const out = execFileSync('python3', [join(FIXTURES, 'run_app.py'), file], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out) as {
    responses: { status: number; body: unknown }[];
    events: { event: 'start' | 'end' | 'cancelled'; deployment: string; seq: number }[];
    /** For each response, how many events had happened when it was made. */
    answered: number[];
    batches: Record<string, number[]>;
    faked: string[];
    /** Models each multiplexed deployment loaded and evicted, in order. */
    multiplexed: { deployment: string; event: 'load' | 'evict'; model: string }[];
  };
}

/** A small index in the team's format (meta.json, vectors.f32, chunks.jsonl). */
export function writeIndex(dataDir: string, name: string, rows: number[][], texts: string[]): void {
  const dir = join(dataDir, 'indexes', name);
  execFileSync('mkdir', ['-p', dir]);
  const dim = rows[0].length;
  const v = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => {
    const n = Math.hypot(...r);
    r.forEach((x, j) => {
      v[i * dim + j] = x / n;
    });
  });
  writeFileSync(join(dir, 'vectors.f32'), Buffer.from(v.buffer));
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ format: 'beamline-index', version: 1, dim, count: rows.length, model: 'builtin:glove-100d', normalized: true, createdAt: new Date(0).toISOString(), chunkSize: 800, chunkOverlap: 100 }));
  writeFileSync(join(dir, 'chunks.jsonl'), texts.map((text, id) => JSON.stringify({ id, text, source: `doc${id}.md`, chunk: 0 })).join('\n') + '\n');
}

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportGraph } from '../../runtime/export/export.js';
import { compile } from '../../shared/compile.js';
import { checkPlanPaths, type PathPolicy, resolveInside } from '../../runtime/security/paths.js';
import { REDACTED, redact, redactingLog, redactText, secretValues } from '../../runtime/security/redact.js';

const base = mkdtempSync(join(tmpdir(), 'beamline-paths-'));
const models = join(base, 'models');
const modules = join(base, 'modules');
const data = join(base, 'data');
const outside = join(base, 'outside');
for (const d of [models, modules, data, outside, join(models, 'mini')]) mkdirSync(d, { recursive: true });
writeFileSync(join(outside, 'secret.onnx'), 'x');
symlinkSync(outside, join(models, 'escape'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const policy: PathPolicy = { modelsDir: models, dataDir: data, moduleDirs: [] };

function graphWith(nodes: { id: string; kind: string; config: Record<string, unknown> }[], wire: [string, string, string, string][]) {
  return {
    version: 1,
    name: 'g',
    routePrefix: '/g',
    nodes: [{ id: 'in', kind: 'input', config: { fields: { text: 'text' } } }, ...nodes, { id: 'out', kind: 'output', config: {} }],
    edges: wire.map(([source, sourceHandle, target, targetHandle]) => ({ source, sourceHandle, target, targetHandle })),
  };
}

function plan(doc: unknown) {
  const r = compile(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.plan;
}

const embedGraph = (model: string) =>
  graphWith([{ id: 'emb', kind: 'embedder', config: { model } }], [
    ['in', 'text', 'emb', 'text'],
    ['emb', 'vector', 'out', 'in'],
  ]);

describe('path guard', () => {
  it('keeps values inside their roots, following symlinks', () => {
    expect(resolveInside('mini', [models])).toBe(join(models, 'mini'));
    expect(resolveInside(join(models, 'mini'), [models])).toBe(join(models, 'mini'));
    expect(resolveInside('not-yet-there', [models])).toBe(join(models, 'not-yet-there'));
    expect(resolveInside('../outside/secret.onnx', [models])).toBeUndefined();
    expect(resolveInside('mini/../../outside', [models])).toBeUndefined();
    expect(resolveInside('/etc/passwd', [models])).toBeUndefined();
    expect(resolveInside('escape/secret.onnx', [models])).toBeUndefined();
    expect(resolveInside('mini\0', [models])).toBeUndefined();
    expect(resolveInside('x', [])).toBeUndefined();
  });

  it('refuses traversal, absolute paths and symlink escapes, naming node and field', () => {
    expect(checkPlanPaths(plan(embedGraph('builtin:glove-100d')), policy)).toEqual([]);
    expect(checkPlanPaths(plan(embedGraph('mini')), policy)).toEqual([]);
    for (const bad of ['../outside', '/etc', 'escape', 'mini/../../outside/secret.onnx']) {
      const errors = checkPlanPaths(plan(embedGraph(bad)), policy);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'invalid_config', node: 'emb', path: '$.nodes[1].config.model' });
      expect(errors[0].message).toContain('outside the models directory');
    }
  });

  it('checks a field only when the kind says it is a path (llm.model is a name for openai)', () => {
    const llm = (config: Record<string, unknown>) =>
      graphWith([{ id: 'gen', kind: 'llm', config }], [
        ['in', 'text', 'gen', 'prompt'],
        ['gen', 'text', 'out', 'in'],
      ]);
    expect(checkPlanPaths(plan(llm({ backend: 'openai', model: '../not/a/path', baseUrl: 'http://127.0.0.1:1/v1' })), policy)).toEqual([]);
    const e = checkPlanPaths(plan(llm({ backend: 'onnx', model: '../../x' })), policy);
    expect(e.map((x) => [x.node, x.path])).toEqual([['gen', '$.nodes[1].config.model']]);
  });

  it('custom modules are refused unless the operator allowed a directory, and must stay inside it', () => {
    const custom = (module: string) =>
      graphWith([{ id: 'fn', kind: 'custom', config: { module } }], [
        ['in', 'text', 'fn', 'in'],
        ['fn', 'out', 'out', 'in'],
      ]);
    const off = checkPlanPaths(plan(custom('mine.js')), policy);
    expect(off).toHaveLength(1);
    expect(off[0]).toMatchObject({ node: 'fn', path: '$.nodes[1].config.module' });
    expect(off[0].message).toMatch(/off on this server/);
    expect(off[0].fix).toMatch(/--allow-custom/);
    const on = { ...policy, moduleDirs: [modules] };
    expect(checkPlanPaths(plan(custom('mine.js')), on)).toEqual([]);
    expect(checkPlanPaths(plan(custom('../outside/x.js')), on)[0].path).toBe('$.nodes[1].config.module');
  });

  it('retriever docs stay inside the graph folder or the data directory', () => {
    const retr = (docs: string) =>
      graphWith(
        [
          { id: 'emb', kind: 'embedder', config: {} },
          { id: 'r', kind: 'retriever', config: { docs } },
        ],
        [
          ['in', 'text', 'emb', 'text'],
          ['emb', 'vector', 'r', 'vector'],
          ['r', 'documents', 'out', 'in'],
        ],
      );
    expect(checkPlanPaths(plan(retr('docs')), policy)).toEqual([]);
    expect(checkPlanPaths(plan(retr('docs')), { ...policy, graphDir: outside })).toEqual([]);
    const e = checkPlanPaths(plan(retr('../../../etc')), policy);
    expect(e[0]).toMatchObject({ node: 'r', path: '$.nodes[2].config.docs' });
  });
});

describe('secrets', () => {
  const env = { OPENAI_KEY: 'sk-live-abcdef123456', BEAMLINE_TOKEN: 'tok-999999', SHORT: 'ab' };
  const graph = { nodes: [{ config: { backend: 'openai', apiKeyEnv: 'OPENAI_KEY' } }, { config: { apiKeyEnv: 'SHORT' } }, { config: { apiKeyEnv: 'UNSET' } }] };

  it('finds the values of env vars that configs name, and only those', () => {
    expect(secretValues(graph, env)).toEqual(['sk-live-abcdef123456']);
    expect(secretValues(graph, env, ['BEAMLINE_TOKEN'])).toEqual(['sk-live-abcdef123456', 'tok-999999']);
  });

  it('masks secret values in text and secret-named keys in objects, keeping env var names', () => {
    const secrets = secretValues(graph, env, ['BEAMLINE_TOKEN']);
    expect(redactText('calling with Bearer sk-live-abcdef123456 and tok-999999', secrets)).toBe(`calling with Bearer ${REDACTED} and ${REDACTED}`);
    const exported = redact(
      {
        nodes: [
          { config: { apiKeyEnv: 'OPENAI_KEY', baseUrl: 'http://127.0.0.1:8000/v1' } },
          { config: { options: { apiKey: 'literal-key', nested: [{ password: 'p@ss' }], note: 'key is sk-live-abcdef123456' } } },
        ],
      },
      secrets,
    );
    expect(exported).toEqual({
      nodes: [
        { config: { apiKeyEnv: 'OPENAI_KEY', baseUrl: 'http://127.0.0.1:8000/v1' } },
        { config: { options: { apiKey: REDACTED, nested: [{ password: REDACTED }], note: `key is ${REDACTED}` } } },
      ],
    });
    expect(JSON.stringify(exported)).not.toContain('sk-live');
  });

  it('an export names the env var, never its value', () => {
    process.env.H8_EXPORT_KEY = 'sk-export-secret-123456';
    try {
      const doc = graphWith([{ id: 'gen', kind: 'llm', config: { backend: 'openai', model: 'gpt-x', baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'H8_EXPORT_KEY' } }], [
        ['in', 'text', 'gen', 'prompt'],
        ['gen', 'text', 'out', 'in'],
      ]);
      for (const target of ['rayservice', 'serve-config'] as const) {
        const out = exportGraph(doc, { target });
        const text = [...out.files.values()].join('\n') + JSON.stringify(out.serveConfig) + JSON.stringify(out.rayService ?? {});
        expect(text).toContain('H8_EXPORT_KEY');
        expect(text).not.toContain('sk-export-secret-123456');
      }
    } finally {
      delete process.env.H8_EXPORT_KEY;
    }
  });

  it('a redacting log never prints a secret', () => {
    const lines: string[] = [];
    const log = redactingLog((l) => lines.push(l), () => secretValues(graph, env));
    log('request failed: 401 for key sk-live-abcdef123456');
    expect(lines).toEqual([`request failed: 401 for key ${REDACTED}`]);
  });
});

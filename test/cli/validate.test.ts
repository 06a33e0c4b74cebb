import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../shared/compile.js';
import { formatError } from '../../shared/errors.js';
import { beamline, removeTemp, repoRoot, run, tempDir, tempFile } from './run-cli.js';

afterAll(removeTemp);

const broken = {
  version: 1,
  name: 'broken',
  routePrefix: '/broken',
  nodes: [
    { id: 'in', kind: 'input' },
    { id: 'emb', kind: 'embeder' },
    { id: 'llm', kind: 'llm', deployment: { resources: { gpus: 1.5 }, num_replicas: 2 } },
    { id: 'out', kind: 'output' },
  ],
  edges: [
    { source: 'in', sourceHandle: 'query', target: 'llm', targetHandle: 'prompt' },
    { source: 'llm', sourceHandle: 'text', target: 'gone', targetHandle: 'in' },
  ],
};

describe('beamline validate', () => {
  it.each(['rag', 'document-analysis', 'fractional-gpu'])('accepts examples/%s with exit 0 and a one-line summary', async (name) => {
    const r = await beamline(['validate', `examples/${name}/graph.json`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^ok examples/${name}/graph\\.json: graph ${name} at /[a-z-]+, \\d+ nodes, \\d+ edges, \\d+ stages, \\d+ replicas \\(`));
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('prints every error, one line each as formatError writes it, and exits 1', async () => {
    const file = tempFile('broken.json', broken);
    const r = await beamline(['validate', file]);
    expect(r.code).toBe(1);
    const expected = compile(broken);
    expect(expected.ok).toBe(false);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toEqual(expected.errors.map(formatError));
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines).toContain('node emb at $.nodes[1].kind: unknown node kind "embeder" (fix: did you mean embedder?)');
    expect(lines).toContain('node llm at $.nodes[2].deployment.num_replicas: unknown field "num_replicas" (fix: did you mean numReplicas?)');
    expect(r.stderr).toBe(`${file}: ${lines.length} errors\n`);
  });

  it('--json prints one document with each error as node, path and message', async () => {
    const r = await beamline(['validate', tempFile('broken.json', broken), '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.errors).toContainEqual({ code: 'gpu_not_whole', node: 'llm', path: '$.nodes[2].deployment.resources.gpus', message: 'gpus 1.5 is above 1 but not whole', fix: 'use a fraction up to 1 or a whole number such as 2' });
    expect(out.errors).toContainEqual(expect.objectContaining({ code: 'unknown_node', path: '$.edges[1].target' }));
  });

  it('--json on a valid graph gives its summary', async () => {
    const r = await beamline(['validate', 'examples/document-analysis/graph.json', '--json']);
    expect(r.code).toBe(0);
    const edges = JSON.parse(readFileSync(`${repoRoot}/examples/document-analysis/graph.json`, 'utf8')).edges.length;
    expect(JSON.parse(r.stdout)).toEqual({
      ok: true,
      file: 'examples/document-analysis/graph.json',
      summary: { name: 'document-analysis', routePrefix: '/documents', nodes: 6, edges, stages: 4, totals: { replicas: 10, maxReplicas: 10, cpus: 11, gpus: 2, memoryMb: 656 } },
    });
  });

  it('reads the graph from standard input with -', async () => {
    const text = readFileSync(`${repoRoot}/examples/rag/graph.json`, 'utf8');
    const r = await beamline(['validate', '-'], text);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok -: graph rag at \/rag/);
  });

  it('says a file is missing or not JSON, with exit 1', async () => {
    const missing = await beamline(['validate', 'examples/nope/graph.json']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('$: cannot read examples/nope/graph.json: no such file (fix: check the path)\n');
    const notJson = await beamline(['validate', tempFile('bad.json', '{"version": 1,'), '--json']);
    expect(notJson.code).toBe(1);
    expect(JSON.parse(notJson.stdout).errors).toEqual([expect.objectContaining({ code: 'invalid_json', path: '$', message: expect.stringMatching(/^not valid JSON: /) })]);
  });

  it('exits 2 on a usage mistake, so scripts can tell it from an invalid graph', async () => {
    const r = await beamline(['validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing required argument 'graph'/);
  });

  it('works as `npx beamline` from the repository root, offline and with an empty npm cache', async () => {
    // npm exec finds the root package.json's own bin and links the project into its cache; nothing is fetched.
    const cache = tempDir('beamline-npm-cache-');
    const r = await run('npx', ['--offline', 'beamline', 'validate', 'examples/rag/graph.json'], undefined, { npm_config_cache: cache });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok examples\/rag\/graph\.json: graph rag/);
  });
});

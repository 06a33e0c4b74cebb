import { readdirSync, readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../shared/catalog/index.js';
import { compile } from '../../shared/compile.js';
import { graphJsonSchema } from '../../shared/graph-json-schema.js';

const root = new URL('../../', import.meta.url);
const written = () => readFileSync(new URL('docs/graph.schema.json', root), 'utf8');
const examples = readdirSync(new URL('examples/', root), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .filter((name) => readdirSync(new URL(`examples/${name}/`, root)).includes('graph.json'));
const example = (name: string) => JSON.parse(readFileSync(new URL(`examples/${name}/graph.json`, root), 'utf8'));

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv.compile(JSON.parse(written()));
}

describe('docs/graph.schema.json', () => {
  it('is what the zod schemas generate (run `npm run schema` when this fails)', () => {
    expect(written()).toBe(`${JSON.stringify(graphJsonSchema(), null, 2)}\n`);
  });

  it('compiles under ajv strict mode and accepts every example', () => {
    const validate = validator();
    expect(examples).toEqual(expect.arrayContaining(['rag', 'document-analysis', 'fractional-gpu']));
    for (const name of examples) {
      const ok = validate(example(name));
      expect(validate.errors ?? [], name).toEqual([]);
      expect(ok).toBe(true);
      // Examples of kinds added with `serve --nodes` need their module's catalog to compile.
      const builtinOnly = example(name).nodes.every((n: { kind: string }) => builtinCatalog.has(n.kind));
      if (builtinOnly) expect(compile(example(name)).errors, name).toEqual([]);
    }
  });

  it("checks each node's config against its kind's schema", () => {
    const validate = validator();
    const g = example('rag');
    g.nodes[4].config.maxTokens = 0; // the llm node
    g.nodes[2].config.pooling = 'max'; // the embedder
    expect(validate(g)).toBe(false);
    const where = (validate.errors ?? []).map((e) => e.instancePath);
    expect(where).toContain('/nodes/4/config/maxTokens');
    expect(where).toContain('/nodes/2/config/pooling');
  });

  it('refuses unknown deployment options and allows null to drop a default, as the compiler does', () => {
    const validate = validator();
    const g = example('rag');
    g.nodes[2].deployment = { num_replicas: 2 };
    expect(validate(g)).toBe(false);
    expect(validate.errors?.some((e) => e.instancePath === '/nodes/2/deployment' && e.keyword === 'additionalProperties')).toBe(true);
    expect(compile(g).ok).toBe(false);
    g.nodes[2].deployment = { batching: null, resources: { gpus: 0.25 } };
    expect(validate(g)).toBe(true);
    expect(compile(g).ok).toBe(true);
  });

  it('documents each kind and the deployment defaults', () => {
    const s = graphJsonSchema() as { $defs: Record<string, { description?: string; properties?: Record<string, { anyOf?: { default?: unknown }[] }> }> };
    expect(s.$defs['config-llm'].description).toMatch(/Inputs: prompt \(text\), context \(documents\)/);
    expect(s.$defs['config-ocr'].description).toMatch(/Default deployment: .*"cpus":2/);
    expect(s.$defs.deployment.properties?.numReplicas.anyOf?.[0].default).toBe(1);
    expect(s.$defs.deployment.properties?.maxQueuedRequests.anyOf?.[0].default).toBe(100);
  });
});

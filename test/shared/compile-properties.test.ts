import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtinCatalog, inputPorts, type NodeKind, outputPorts } from '../../shared/catalog/index.js';
import { compile } from '../../shared/compile.js';
import { ERROR_CODES } from '../../shared/errors.js';
import { edgeId, type FlowDocument, fromFlow, type Graph, GraphSchema, toFlow } from '../../shared/graph.js';
import { portsCompatible, type PortSpec, type PortType } from '../../shared/ports.js';

/** compile() must come back with errors, never throw, and never hit its own safety net. */
function expectOnlyErrors(source: unknown): void {
  const r = compile(source);
  if (r.ok) return;
  expect(r.errors.length).toBeGreaterThan(0);
  for (const e of r.errors) {
    expect(ERROR_CODES).toContain(e.code);
    expect(e.path).toMatch(/^\$/);
    expect(e.message.length).toBeGreaterThan(0);
    expect(e.message).not.toMatch(/internal compiler error/);
  }
}

const anything = fc.anything({
  maxDepth: 6,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
});

function nested(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

const validDoc = () => ({
  version: 1,
  name: 'p',
  routePrefix: '/p',
  nodes: [
    { id: 'in', kind: 'input', config: { fields: { query: 'text' } } },
    { id: 'emb', kind: 'embedder' },
    { id: 'out', kind: 'output' },
  ],
  edges: [
    { source: 'in', sourceHandle: 'query', target: 'emb', targetHandle: 'text' },
    { source: 'emb', sourceHandle: 'vector', target: 'out', targetHandle: 'in' },
  ],
});

/** Paths into the valid document where a fuzzed value is planted. */
const PLANT_AT = [
  [],
  ['version'],
  ['name'],
  ['routePrefix'],
  ['nodes'],
  ['nodes', 0],
  ['nodes', 1, 'id'],
  ['nodes', 1, 'kind'],
  ['nodes', 1, 'label'],
  ['nodes', 1, 'position'],
  ['nodes', 1, 'config'],
  ['nodes', 1, 'config', 'model'],
  ['nodes', 0, 'config', 'fields'],
  ['nodes', 1, 'deployment'],
  ['nodes', 1, 'deployment', 'resources'],
  ['nodes', 1, 'deployment', 'autoscaling'],
  ['nodes', 1, 'deployment', 'resources', 'gpus'],
  ['edges'],
  ['edges', 0],
  ['edges', 1, 'source'],
  ['edges', 1, 'targetHandle'],
] as const;

function plant(path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const d = validDoc() as Record<string, unknown>;
  let cur = d as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) {
    const next = cur[p] as Record<string | number, unknown>;
    cur[p] = Array.isArray(next) ? [...next] : { ...next };
    cur = cur[p] as Record<string | number, unknown>;
  }
  cur[path[path.length - 1]] = value;
  return d;
}

describe('compile never throws', () => {
  it('on arbitrary values, anywhere in a graph', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PLANT_AT), anything, (path, value) => expectOnlyErrors(plant(path, value))),
      { numRuns: 600 },
    );
  });

  it('gives the same answer for a value and for its JSON text', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PLANT_AT), anything, (path, value) => {
        const doc = plant(path, value);
        if (typeof doc === 'string') return; // a string is JSON text already
        let text: string | undefined;
        try {
          text = JSON.stringify(doc);
        } catch {
          return; // not JSON data: covered below
        }
        if (text === undefined) return; // undefined or a function: no JSON text to compare with
        expect(compile(doc)).toEqual(compile(text));
      }),
      { numRuns: 300 },
    );
  });

  it('on a length-bearing object with a null prototype where a string belongs (found by fast-check)', () => {
    const label = { length: Object.create(null) };
    const r = compile(plant(['nodes', 1, 'label'], label));
    expect(r.errors).toEqual([expect.objectContaining({ code: 'invalid_document', path: '$.nodes[1].label', node: 'emb', message: 'Invalid input: expected string, received object' })]);
  });

  it('on arbitrary JSON text and its parsed value', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json({ maxDepth: 6 }), fc.string({ unit: 'binary' })), (text) => {
        expectOnlyErrors(text);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return;
        }
        expectOnlyErrors(parsed);
      }),
      { numRuns: 400 },
    );
  });

  it('on deep nesting, huge strings and unicode', () => {
    const huge = 'é'.repeat(2_000_000);
    const emoji = '👩‍👩‍👧‍👦'.repeat(100_000);
    for (const value of [nested(100_000, 1), nested(5_000, huge), huge, emoji, `${'['.repeat(200_000)}${']'.repeat(200_000)}`, '\u0000\uFFFF\uD800']) {
      for (const path of PLANT_AT) expectOnlyErrors(plant(path, value));
      if (typeof value === 'string') expectOnlyErrors(value);
    }
    // As text, nesting deeper than any JSON.stringify can write.
    expectOnlyErrors(`{"version": 1, "name": "x", "routePrefix": "/x", "nodes": ${'['.repeat(300_000)}${']'.repeat(300_000)}, "edges": []}`);
  });

  it('on objects whose keys and getters misbehave', () => {
    const cyclic: Record<string, unknown> = { id: 'c', kind: 'custom' };
    cyclic.config = { module: 'm.js', options: cyclic };
    const protoKeys = JSON.parse('{"__proto__": {"id": "x"}, "constructor": 1, "toString": 2}');
    for (const value of [cyclic, protoKeys, Object.create(null), new Proxy({}, { ownKeys: () => ['a'] }), 10n, Symbol('s'), () => 1]) {
      for (const path of PLANT_AT) expectOnlyErrors(plant(path, value));
    }
  });

  it('says a value that is not JSON data is not, when reading it fails', () => {
    const throwing = Object.defineProperty({}, 'id', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    const r = compile(plant(['nodes', 1], throwing));
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual([{ code: 'invalid_document', path: '$', message: 'the graph is not plain JSON data: boom', fix: 'pass the parsed JSON document' }]);
    expect(compile(plant(['nodes', 1, 'config'], { n: 10n })).errors[0].message).toBe('the graph is not plain JSON data: Do not know how to serialize a BigInt');
    expect(compile(plant(['nodes', 1, 'label'], nested(50_000, 1))).errors[0].message).toBe('the graph is not plain JSON data: nested too deeply');
  });
});

// ---- valid graphs, generated from the catalog ------------------------------

const EXAMPLE_CONFIG: Record<string, Record<string, unknown>> = { custom: { module: 'nodes/upper.js' } };

/** Kinds a generated graph may use: those whose config has a valid minimal form. */
const KINDS = builtinCatalog
  .list()
  .filter((k) => k.kind !== 'input' && k.kind !== 'output')
  .filter((k) => k.config.safeParse(EXAMPLE_CONFIG[k.kind] ?? {}).success);

const INPUT_FIELDS: Record<string, PortType> = { query: 'text', docs: 'documents', img: 'image', vec: 'vector', data: 'json' };

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => (Object.is(x, -0) ? 0 : x));
const text = (max: number) => fc.oneof(fc.string({ maxLength: max }), fc.string({ unit: 'grapheme', maxLength: Math.floor(max / 8) }), fc.string({ unit: 'binary', maxLength: Math.floor(max / 4) }));

const deployment = fc.oneof(
  fc.constant({}),
  fc.record(
    {
      numReplicas: fc.integer({ min: 0, max: 8 }),
      resources: fc.record({ cpus: fc.constantFrom(0, 0.5, 1, 2), gpus: fc.constantFrom(0, 0.125, 0.25, 0.5, 1, 2, 4), memoryMb: fc.integer({ min: 0, max: 4096 }) }, { requiredKeys: [] }),
      autoscaling: fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })).map(([a, b]) => ({ minReplicas: a, maxReplicas: a + b + 1, initialReplicas: a })),
      maxOngoingRequests: fc.integer({ min: 1, max: 100 }),
      timeoutMs: fc.integer({ min: 1, max: 100_000 }),
    },
    { requiredKeys: [] },
  ),
);

const step = fc.record({
  kind: fc.constantFrom(...KINDS),
  picks: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
  label: fc.option(text(80), { nil: undefined }),
  position: fc.record({ x: finite, y: finite }),
  defaults: fc.boolean(),
  deployment,
  edgeIds: fc.constantFrom('none', 'default', 'custom'),
});

/** A valid graph: every port fed from an earlier node with a compatible type, all reachable, one output. */
function build(name: string, description: string | undefined, steps: StepValue[]): Graph {
  const nodes: Graph['nodes'] = [{ id: 'in', kind: 'input', position: { x: 0, y: 0 }, config: { fields: { ...INPUT_FIELDS } }, deployment: {} }];
  const edges: Graph['edges'] = [];
  const outs: { node: string; port: PortSpec }[] = Object.entries(INPUT_FIELDS).map(([f, type]) => ({ node: 'in', port: { name: f, type, description: '' } }));
  steps.forEach((s, i) => {
    const k = s.kind as NodeKind;
    const id = `n${i}_${k.kind}`;
    const config = s.defaults ? (k.config.parse(EXAMPLE_CONFIG[k.kind] ?? {}) as Record<string, unknown>) : { ...(EXAMPLE_CONFIG[k.kind] ?? {}) };
    const parsed = k.config.parse(config);
    const ins = inputPorts(k, parsed);
    const wanted = ins.filter((p, j) => p.required || s.picks[j] % 2 === 0);
    if (ins.length === 0 || (wanted.length === 0 && ins.length > 0)) wanted.push(ins[0]);
    const mine: Graph['edges'] = [];
    for (const [j, p] of wanted.entries()) {
      const from = outs.filter((o) => portsCompatible(o.port.type, p.type));
      if (from.length === 0) {
        if (p.required) return; // this kind cannot be fed here: leave it out
        continue;
      }
      const o = from[s.picks[j] % from.length];
      const e = { source: o.node, sourceHandle: o.port.name, target: id, targetHandle: p.name };
      mine.push(s.edgeIds === 'none' ? e : { id: s.edgeIds === 'default' ? edgeId(e) : `e${i}-${j}`, ...e });
    }
    if (mine.length === 0) return;
    nodes.push({ id, kind: k.kind, ...(s.label !== undefined ? { label: s.label } : {}), position: s.position, config, deployment: k.runsIn === 'replica' ? s.deployment : {} });
    edges.push(...mine);
    for (const port of outputPorts(k, parsed)) outs.push({ node: id, port });
  });
  const last = nodes[nodes.length - 1];
  const feed = last.id === 'in' ? { node: 'in', port: 'query' } : { node: last.id, port: outs.filter((o) => o.node === last.id)[0].port.name };
  nodes.push({ id: 'out', kind: 'output', position: { x: 100, y: 0 }, config: {}, deployment: {} });
  edges.push({ source: feed.node, sourceHandle: feed.port, target: 'out', targetHandle: 'in' });
  // Nodes with no outgoing edge also feed the output, so nothing dangles.
  for (const n of nodes.slice(1, -2)) {
    if (!edges.some((e) => e.source === n.id)) {
      const o = outs.find((x) => x.node === n.id);
      if (o) edges.push({ source: n.id, sourceHandle: o.port.name, target: 'out', targetHandle: 'in' });
    }
  }
  return { version: 1, name, ...(description !== undefined ? { description } : {}), routePrefix: `/g/${name}`, nodes, edges };
}
type StepValue = { kind: NodeKind; picks: number[]; label?: string; position: { x: number; y: number }; defaults: boolean; deployment: Record<string, unknown>; edgeIds: string };

const validGraph = fc
  .record({
    name: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/),
    description: fc.option(text(400), { nil: undefined }),
    steps: fc.array(step, { maxLength: 10 }),
  })
  .map(({ name, description, steps }) => build(name, description, steps as StepValue[]));

describe('a graph that validates', () => {
  it('comes from the generator valid, so the properties below are about real graphs', () => {
    const kindsSeen = new Set<string>();
    let most = 0;
    fc.assert(
      fc.property(validGraph, (g) => {
        const r = compile(g);
        expect(r.errors).toEqual([]);
        for (const n of g.nodes) kindsSeen.add(n.kind);
        most = Math.max(most, g.nodes.length);
      }),
      { numRuns: 200 },
    );
    // The generator must reach every kind it may use and build graphs of some size.
    expect([...kindsSeen].sort()).toEqual(['input', 'output', ...KINDS.map((k) => k.kind)].sort());
    expect(most).toBeGreaterThanOrEqual(8);
  });

  it('round-trips through JSON and the schema unchanged', () => {
    fc.assert(
      fc.property(validGraph, (g) => {
        const text = JSON.stringify(g);
        expect(JSON.parse(text)).toEqual(g);
        expect(GraphSchema.parse(JSON.parse(text))).toEqual(g);
        const a = compile(text);
        const b = compile(g);
        expect(a.ok && b.ok && a.plan).toEqual(b.ok && b.plan);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips through the React Flow shape unchanged, and UI-only fields never reach the file', () => {
    fc.assert(
      fc.property(validGraph, fc.boolean(), (g, touched) => {
        const flow = toFlow(g);
        expect(fromFlow(flow)).toEqual(g);
        // What React Flow adds while a user works on the canvas.
        const ui: FlowDocument = {
          meta: flow.meta,
          nodes: flow.nodes.map((n) => ({ ...n, selected: touched, dragging: false, measured: { width: 180, height: 64 } })),
          edges: flow.edges.map((e) => ({ ...e, selected: touched, animated: true })),
        };
        const back = fromFlow(ui);
        expect(back).toEqual(g);
        expect(JSON.stringify(back)).not.toMatch(/"(selected|measured|dragging|animated|type)"/);
        expect(compile(JSON.parse(JSON.stringify(back))).ok).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps an edge id written equal to the default one', () => {
    const e = { source: 'in', sourceHandle: 'query', target: 'out', targetHandle: 'in' };
    const g: Graph = {
      version: 1,
      name: 'ids',
      routePrefix: '/ids',
      nodes: [
        { id: 'in', kind: 'input', position: { x: 0, y: 0 }, config: {}, deployment: {} },
        { id: 'out', kind: 'output', position: { x: 1, y: 0 }, config: {}, deployment: {} },
      ],
      edges: [{ id: edgeId(e), ...e }],
    };
    expect(fromFlow(toFlow(g))).toEqual(g);
    expect(fromFlow(toFlow({ ...g, edges: [e] }))).toEqual({ ...g, edges: [e] });
  });
});

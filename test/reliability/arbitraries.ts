import fc from 'fast-check';

/**
 * Hostile documents for fuzzing: a valid graph mutated at random paths, plus
 * wholly random JSON. Shared by the compile-level and HTTP-level fuzz tests.
 */

/** A small graph that compiles and serves with no models: input -> preprocessor -> output. */
export function baseGraph(name = 'fuzzbase', routePrefix = `/${name}`) {
  return {
    version: 1,
    name,
    routePrefix,
    nodes: [
      { id: 'input', kind: 'input', position: { x: 0, y: 0 }, config: { fields: { text: 'text' } }, deployment: {} },
      { id: 'prep', kind: 'preprocessor', position: { x: 200, y: 0 }, config: { lowercase: true }, deployment: { numReplicas: 1 } },
      { id: 'output', kind: 'output', position: { x: 400, y: 0 }, config: {}, deployment: {} },
    ],
    edges: [
      { source: 'input', sourceHandle: 'text', target: 'prep', targetHandle: 'text' },
      { source: 'prep', sourceHandle: 'text', target: 'output', targetHandle: 'in' },
    ],
  };
}

const unicode = fc.string({ unit: 'grapheme', maxLength: 40 });
const binary = fc.string({ unit: 'binary', maxLength: 40 });

/** Nested arrays/objects `depth` deep. */
export function nested(depth: number, leaf: unknown = 1): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
}

export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  unicode,
  binary,
  fc.constantFrom(null, true, false, 0, -1, 1e308, -1e-308, Number.MAX_SAFE_INTEGER, '', ' ', '\u0000', '../../etc/passwd', '/etc/passwd', '__proto__', 'constructor', 'builtin:nope'),
  fc.integer({ min: 1, max: 60 }).map((d) => nested(d)),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'é'.repeat(n)),
  // A fresh object per element: mutations write into generated nodes, and a shared constant
  // instance would carry those writes (even cycles) into later runs.
  fc.array(fc.record({ id: fc.constant('x'), kind: fc.constant('input') }), { maxLength: 50 }),
);

type Mutation = (doc: Record<string, unknown>) => void;

const keys = fc.constantFrom('version', 'name', 'routePrefix', 'nodes', 'edges', 'description', 'multipleOutputs', 'extra', '__proto__');
const nodeKeys = fc.constantFrom('id', 'kind', 'label', 'position', 'config', 'deployment', 'extra');
const deployKeys = fc.constantFrom('numReplicas', 'resources', 'maxOngoingRequests', 'maxQueuedRequests', 'timeoutMs', 'retries', 'autoscaling', 'batching', 'bogus');

function nodesOf(doc: Record<string, unknown>): Record<string, unknown>[] {
  return Array.isArray(doc.nodes) ? (doc.nodes.filter((n) => typeof n === 'object' && n !== null) as Record<string, unknown>[]) : [];
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(keys, weirdValue).map(([k, v]): Mutation => (d) => {
    d[k] = v;
  }),
  keys.map((k): Mutation => (d) => {
    delete d[k];
  }),
  fc.tuple(fc.nat(5), nodeKeys, weirdValue).map(([i, k, v]): Mutation => (d) => {
    const ns = nodesOf(d);
    if (ns.length) ns[i % ns.length][k] = v;
  }),
  fc.tuple(fc.nat(5), unicode, weirdValue).map(([i, k, v]): Mutation => (d) => {
    const ns = nodesOf(d);
    const n = ns.length ? ns[i % ns.length] : undefined;
    if (n && typeof n.config === 'object' && n.config !== null) (n.config as Record<string, unknown>)[k] = v;
  }),
  fc.tuple(fc.nat(5), deployKeys, weirdValue).map(([i, k, v]): Mutation => (d) => {
    const ns = nodesOf(d);
    const n = ns.length ? ns[i % ns.length] : undefined;
    if (n && typeof n.deployment === 'object' && n.deployment !== null) (n.deployment as Record<string, unknown>)[k] = v;
  }),
  fc.tuple(fc.nat(5), fc.constantFrom('embedder', 'custom', 'retriever', 'llm', 'nope', '', 'input', 'output'), weirdValue).map(([i, kind, model]): Mutation => (d) => {
    const ns = nodesOf(d);
    if (ns.length) Object.assign(ns[i % ns.length], { kind, config: { model, module: model, docs: model } });
  }),
  fc.nat(5).map((i): Mutation => (d) => {
    const ns = nodesOf(d);
    if (ns.length && Array.isArray(d.nodes)) d.nodes.push(structuredClone(ns[i % ns.length]));
  }),
  fc.tuple(fc.nat(5), fc.constantFrom('source', 'target', 'sourceHandle', 'targetHandle'), weirdValue).map(([i, k, v]): Mutation => (d) => {
    if (Array.isArray(d.edges) && d.edges.length) {
      const e = d.edges[i % d.edges.length];
      if (typeof e === 'object' && e !== null) (e as Record<string, unknown>)[k] = v;
    }
  }),
);

/** A valid graph with 1-6 random mutations applied. */
export const mutatedGraph = (name: string): fc.Arbitrary<unknown> =>
  fc.array(mutation, { minLength: 1, maxLength: 6 }).map((ms) => {
    const doc = baseGraph(name) as unknown as Record<string, unknown>;
    for (const m of ms) m(doc);
    return doc;
  });

/** Anything a client could put in a JSON body. */
export const randomDocument: fc.Arbitrary<unknown> = fc.oneof(weirdValue, fc.jsonValue({ maxDepth: 8 }), fc.object({ maxDepth: 3 }));

/** A request body as sent on the wire: JSON of random documents, or broken text. */
export const randomBody: fc.Arbitrary<string> = fc.oneof(
  randomDocument.map((d) => JSON.stringify(d) ?? 'null'),
  fc.record({ text: fc.oneof(unicode, binary, fc.constant(''), fc.integer()) }).map((d) => JSON.stringify(d)),
  fc.record({ text: weirdValue }).map((d) => JSON.stringify(d) ?? '{}'),
  unicode,
  binary,
  fc.constantFrom('{', '[', '{"text":', 'null', '"', '{"text":"a"}}', '\u0000', '[1,2,'),
);

const tokenChars = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_'.split('')), minLength: 1, maxLength: 20 });

/** Random headers a client may send (names and values legal for fetch). */
export const randomHeaders: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.oneof(tokenChars.map((s) => `x-${s}`), fc.constantFrom('content-type', 'accept', 'x-request-id', 'accept-encoding', 'authorization', 'x-beamline-token', 'origin')),
  fc.oneof(
    fc.string({ unit: 'grapheme-ascii', maxLength: 60 }).map((s) => s.replace(/[\r\n\0]/g, '').trim()),
    fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'gzip', 'Bearer x', 'http://evil.example', ''),
  ),
  { maxKeys: 6 },
);

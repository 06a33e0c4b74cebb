import { describe, expect, it } from 'vitest';
import { compile } from '../../shared/compile.js';
import { ERROR_CODES, type ErrorCode, type GraphError } from '../../shared/errors.js';
import { doc, edge, embedGraph } from './graph-builders.js';

interface Case {
  name: string;
  source: unknown;
  code: ErrorCode;
  path: string;
  message: RegExp;
  node?: string;
  fix?: RegExp;
}

const input = (fields: Record<string, string> = { query: 'text' }) => ({ id: 'in', kind: 'input', config: { fields } });
const out = { id: 'out', kind: 'output' };

// One graph per error class; each asserts the code, the JSON path, the node and the message.
const cases: Case[] = [
  { name: 'text that is not JSON', source: '{"version": 1,', code: 'invalid_json', path: '$', message: /^not valid JSON: / },
  { name: 'a document that is not an object', source: [1, 2], code: 'invalid_document', path: '$', message: /a graph is a JSON object/ },
  {
    name: 'a node without its kind',
    source: doc([input(), { id: 'emb' } as never, out], []),
    code: 'invalid_document',
    path: '$.nodes[1].kind',
    node: 'emb',
    message: /^kind is required/,
    fix: /^add kind$/,
  },
  { name: 'an unknown top-level field', source: { ...embedGraph(), edgez: [] }, code: 'invalid_document', path: '$.edgez', message: /unknown field "edgez"/, fix: /did you mean edges\?/ },
  { name: 'another format version', source: { ...embedGraph(), version: 2 }, code: 'wrong_version', path: '$.version', message: /version 2 is not supported; this build reads version 1/, fix: /"version": 1/ },
  {
    name: 'a misspelt kind',
    source: doc([input(), { id: 'emb', kind: 'embeder' }, out], [edge('in.query', 'emb.text'), edge('emb.vector', 'out.in')]),
    code: 'unknown_kind',
    path: '$.nodes[1].kind',
    node: 'emb',
    message: /unknown node kind "embeder"/,
    fix: /did you mean embedder\?/,
  },
  {
    name: 'two nodes with one id',
    source: doc([input(), { id: 'emb', kind: 'embedder' }, { id: 'emb', kind: 'embedder' }, out], [edge('in.query', 'emb.text'), edge('emb.vector', 'out.in')]),
    code: 'duplicate_id',
    path: '$.nodes[2].id',
    node: 'emb',
    message: /node id "emb" is used more than once/,
  },
  {
    name: 'an edge to a node that does not exist',
    source: { ...embedGraph(), edges: [edge('in.query', 'emb.text'), edge('emb.vector', 'nowhere.in'), edge('emb.vector', 'out.in')] },
    code: 'unknown_node',
    path: '$.edges[1].target',
    message: /edge ends at unknown node "nowhere"/,
  },
  {
    name: 'an edge from a port that does not exist',
    source: { ...embedGraph(), edges: [edge('in.query', 'emb.text'), edge('emb.embedding', 'out.in')] },
    code: 'unknown_port',
    path: '$.edges[1].sourceHandle',
    node: 'emb',
    message: /node emb \(embedder\) has no output "embedding"/,
    fix: /outputs: vector \(vector\), text \(text\)/,
  },
  {
    name: 'text into a vector input',
    source: doc([input(), { id: 'ret', kind: 'retriever' }, out], [edge('in.query', 'ret.vector'), edge('ret.documents', 'out.in')]),
    code: 'port_type_mismatch',
    path: '$.edges[0]',
    node: 'ret',
    message: /in\.query gives text but ret\.vector takes vector/,
    fix: /connect an output of type vector/,
  },
  {
    name: 'the same edge twice',
    source: { ...embedGraph(), edges: [edge('in.query', 'emb.text'), edge('emb.vector', 'out.in'), edge('emb.vector', 'out.in')] },
    code: 'duplicate_edge',
    path: '$.edges[2]',
    node: 'out',
    message: /edge emb\.vector -> out\.in appears twice/,
  },
  {
    name: 'two edges into a single input',
    source: doc(
      [input({ query: 'text', other: 'text' }), { id: 'emb', kind: 'embedder' }, out],
      [edge('in.query', 'emb.text'), edge('in.other', 'emb.text'), edge('emb.vector', 'out.in')],
    ),
    code: 'port_taken',
    path: '$.edges[1]',
    node: 'emb',
    message: /input emb\.text takes one edge and already has one/,
  },
  {
    name: 'a cycle of three nodes',
    source: doc(
      [input(), { id: 'answer', kind: 'llm' }, { id: 'clean', kind: 'preprocessor' }, { id: 'fn', kind: 'custom', config: { module: 'm.js' } }, out],
      [edge('in.query', 'answer.prompt'), edge('answer.text', 'clean.text'), edge('clean.text', 'fn.in'), edge('fn.out', 'answer.context'), edge('answer.result', 'out.in')],
    ),
    code: 'cycle',
    path: '$.nodes[1]',
    node: 'answer',
    message: /^cycle through answer -> clean -> fn -> answer$/,
  },
  {
    name: 'a required input left unconnected',
    source: doc([input(), { id: 'ans', kind: 'llm' }, { id: 'ret', kind: 'retriever' }, out], [edge('in.query', 'ans.prompt'), edge('ret.documents', 'ans.context'), edge('ans.text', 'out.in')]),
    code: 'input_unconnected',
    path: '$.nodes[2]',
    node: 'ret',
    message: /required input ret\.vector \(vector\) is not connected/,
  },
  {
    name: 'a node the input does not reach',
    source: doc([input(), { id: 'a', kind: 'custom', config: { module: 'm.js' } }, { id: 'b', kind: 'custom', config: { module: 'm.js' } }, out], [edge('in.query', 'out.in'), edge('a.out', 'b.in'), edge('b.out', 'out.in')]),
    code: 'unreachable',
    path: '$.nodes[1]',
    node: 'a',
    message: /node a cannot be reached from the input/,
  },
  { name: 'no input node', source: doc([out], []), code: 'no_input', path: '$.nodes', message: /the graph has no input node/ },
  { name: 'no output node', source: doc([input()], []), code: 'no_output', path: '$.nodes', message: /the graph has no output node/ },
  {
    name: 'two input nodes',
    source: doc([input(), { id: 'in2', kind: 'input' }, out], [edge('in.query', 'out.in'), edge('in2.query', 'out.in')]),
    code: 'too_many_inputs',
    path: '$.nodes[1]',
    node: 'in2',
    message: /only one input node is allowed; in is the first/,
  },
  {
    name: 'two output nodes without multipleOutputs',
    source: doc([input(), out, { id: 'out2', kind: 'output' }], [edge('in.query', 'out.in'), edge('in.query', 'out2.in')]),
    code: 'too_many_outputs',
    path: '$.nodes[2]',
    node: 'out2',
    message: /more than one output node \(out, out2\)/,
    fix: /"multipleOutputs": true/,
  },
  {
    name: 'gpus above 1 that is not whole',
    source: embedGraph({ resources: { gpus: 1.5 } }),
    code: 'gpu_not_whole',
    path: '$.nodes[1].deployment.resources.gpus',
    node: 'emb',
    message: /gpus 1\.5 is above 1 but not whole/,
    fix: /such as 2/,
  },
  { name: 'too many replicas', source: embedGraph({ numReplicas: 5000 }), code: 'out_of_range', path: '$.nodes[1].deployment.numReplicas', node: 'emb', message: /Too big: expected number to be <=1000/, fix: /^use at most 1000$/ },
  { name: 'a config number out of range', source: embedGraph({}, { maxLength: 0 }), code: 'out_of_range', path: '$.nodes[1].config.maxLength', node: 'emb', message: /Too small: expected number to be >=1/, fix: /^use at least 1$/ },
  {
    name: 'initialReplicas outside min..max',
    source: embedGraph({ autoscaling: { minReplicas: 2, maxReplicas: 4, initialReplicas: 6 } }),
    code: 'out_of_range',
    path: '$.nodes[1].deployment.autoscaling.initialReplicas',
    node: 'emb',
    message: /initialReplicas 6 is outside minReplicas\.\.maxReplicas \(2\.\.4\)/,
  },
  { name: 'a config value of the wrong kind', source: embedGraph({}, { pooling: 'max' }), code: 'invalid_config', path: '$.nodes[1].config.pooling', node: 'emb', message: /Invalid option: expected one of "auto"\|"mean"\|"cls"\|"none"/, fix: /^use one of: "auto", "mean", "cls", "none"$/ },
  { name: 'an unknown config field', source: embedGraph({}, { modle: 'x' }), code: 'invalid_config', path: '$.nodes[1].config.modle', node: 'emb', message: /unknown field "modle"/, fix: /did you mean model\?/ },
  { name: 'a deployment value of the wrong type', source: embedGraph({ numReplicas: 'two' }), code: 'invalid_deployment', path: '$.nodes[1].deployment.numReplicas', node: 'emb', message: /expected number, received string/, fix: /^use a number$/ },
  { name: 'a Ray Serve option name', source: embedGraph({ num_replicas: 2 }), code: 'invalid_deployment', path: '$.nodes[1].deployment.num_replicas', node: 'emb', message: /unknown field "num_replicas"/, fix: /did you mean numReplicas\?/ },
  { name: 'a misspelt resource', source: embedGraph({ resources: { gpu: 1 } }), code: 'invalid_deployment', path: '$.nodes[1].deployment.resources.gpu', node: 'emb', message: /unknown field "gpu"/, fix: /did you mean gpus\?/ },
  {
    name: 'minReplicas above maxReplicas',
    source: embedGraph({ autoscaling: { minReplicas: 3, maxReplicas: 2 } }),
    code: 'min_above_max',
    path: '$.nodes[1].deployment.autoscaling.minReplicas',
    node: 'emb',
    message: /minReplicas 3 is above maxReplicas 2/,
  },
  { name: 'a route prefix with a .. segment', source: { ...embedGraph(), routePrefix: '/a/../echo' }, code: 'invalid_route_prefix', path: '$.routePrefix', message: /route prefix "\/a\/..\/echo" has a \. or \.\. segment/, fix: /^write it as \/a\/echo$/ },
  { name: 'a route prefix with an empty segment', source: { ...embedGraph(), routePrefix: '//api/graphs' }, code: 'invalid_route_prefix', path: '$.routePrefix', message: /has an empty segment \(\/\/\)/, fix: /^write it as \/api\/graphs$/ },
  { name: 'a route prefix under a reserved route', source: { ...embedGraph(), routePrefix: '/api/x' }, code: 'invalid_route_prefix', path: '$.routePrefix', message: /is under \/api, which the server answers itself/ },
];

function find(errors: GraphError[], c: Case): GraphError | undefined {
  return errors.find((e) => e.code === c.code && e.path === c.path);
}

describe('compiler errors', () => {
  it.each(cases)('$code: $name', (c) => {
    const r = compile(c.source);
    expect(r.ok).toBe(false);
    const e = find(r.errors, c);
    expect(e, `no ${c.code} at ${c.path} among ${JSON.stringify(r.errors, null, 1)}`).toBeDefined();
    expect(e!.message).toMatch(c.message);
    expect(e!.node).toBe(c.node);
    if (c.fix) expect(e!.fix).toMatch(c.fix);
  });

  it('has a case for every code the compiler emits', () => {
    const cliOnly: ErrorCode[] = ['unreadable_file'];
    const covered = new Set(cases.map((c) => c.code));
    expect(ERROR_CODES.filter((c) => !covered.has(c) && !cliOnly.includes(c))).toEqual([]);
  });

  it('reports every error of a document at once', () => {
    const r = compile({
      version: 3,
      name: 'Bad Name',
      routePrefix: '/api/x',
      nodes: [
        { id: 'in', kind: 'input' },
        { id: 'emb', kind: 'embedder', deployment: { resources: { gpus: 2.5 }, autoscaling: { minReplicas: 5, maxReplicas: 1 } } },
        { id: 'x', kind: 'nope' },
      ],
      edges: [edge('in.query', 'emb.text'), edge('emb.vector', 'gone.in')],
    });
    expect(r.ok).toBe(false);
    const where = r.errors.map((e) => `${e.code} ${e.path}`);
    expect(where).toEqual(
      expect.arrayContaining([
        'wrong_version $.version',
        'invalid_document $.name',
        'invalid_route_prefix $.routePrefix',
        'unknown_kind $.nodes[2].kind',
        'gpu_not_whole $.nodes[1].deployment.resources.gpus',
        'min_above_max $.nodes[1].deployment.autoscaling.minReplicas',
        'unknown_node $.edges[1].target',
        'no_output $.nodes',
      ]),
    );
  });

  it('keeps document paths when earlier nodes are invalid', () => {
    // nodes[0] fails its schema, so the valid ones must still be reported at their own index.
    const r = compile(doc([{ id: '1bad', kind: 'input' }, input(), { id: 'emb', kind: 'embedder', config: { maxLength: -1 } }, out], [edge('in.query', 'emb.text'), edge('emb.vector', 'out.in')]));
    expect(r.ok).toBe(false);
    expect(r.errors.map((e) => e.path)).toEqual(['$.nodes[0].id', '$.nodes[2].config.maxLength']);
  });

  it('reports a broken node once, not again as missing, unknown, unconnected or cutting off what follows', () => {
    const r = compile(doc([{ id: 'in', kind: 'input', label: 7 }, out], [edge('in.query', 'out.in')]));
    expect(r.errors.map((e) => `${e.code} ${e.path}`)).toEqual(['invalid_document $.nodes[0].label']);
    const mid = compile(
      doc(
        [input(), { id: 'clean', kind: 'preprocessor', position: 'left' }, { id: 'emb', kind: 'embedder' }, out],
        [edge('in.query', 'clean.text'), edge('clean.text', 'emb.text'), edge('emb.vector', 'out.in')],
      ),
    );
    expect(mid.errors.map((e) => `${e.code} ${e.path}`)).toEqual(['invalid_document $.nodes[1].position']);
    const badEdge = compile({ ...embedGraph(), edges: [edge('in.query', 'emb.text'), { ...edge('emb.vector', 'out.in'), sourceHandle: '' }] });
    expect(badEdge.errors.map((e) => `${e.code} ${e.path}`)).toEqual(['out_of_range $.edges[1].sourceHandle']);
  });

  it('keeps a route prefix without its trailing slash, and refuses ones no request can reach', () => {
    const r = compile({ ...embedGraph(), routePrefix: '/echo/' });
    expect(r.ok && r.plan.routePrefix).toBe('/echo');
    expect(r.ok && r.plan.graph.routePrefix).toBe('/echo');
    for (const p of ['/', '/..', '/.', '/a/./b', '/a//b', '/echo//', '/API', '/healthz', '/metrics/x', '/socket.io', '/v1', '/assets/x', '/examples']) {
      expect(compile({ ...embedGraph(), routePrefix: p }).errors.map((e) => `${e.code} ${e.path}`), p).toEqual(['invalid_route_prefix $.routePrefix']);
    }
    // Only whole segments are reserved, and dots inside a segment are fine.
    for (const p of ['/apiary', '/v10', '/a.b/c..d', '/x/api']) expect(compile({ ...embedGraph(), routePrefix: p }).ok, p).toBe(true);
  });

  it('accepts several outputs when the graph declares them', () => {
    const r = compile(doc([input(), out, { id: 'out2', kind: 'output' }], [edge('in.query', 'out.in'), edge('in.query', 'out2.in')], { multipleOutputs: true }));
    expect(r.errors).toEqual([]);
    expect(r.ok && r.plan.outputNodes).toEqual(['out', 'out2']);
  });

  it('lets null drop a kind default deployment option', () => {
    const r = compile(embedGraph({ batching: null }));
    expect(r.ok && r.plan.nodes.emb.deployment.batching).toBeUndefined();
    const d = compile(embedGraph());
    expect(d.ok && d.plan.nodes.emb.deployment.batching).toEqual({ maxBatchSize: 32, batchWaitTimeoutMs: 2 });
  });
});

/** OpenAPI paths of the tuning routes (runtime/server/tune.ts); merged by openapi.ts. */

const json = (schema: unknown, description: string) => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const graph = { $ref: '#/components/schemas/Graph' };
const job = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    graph: { type: 'string' },
    hash: { type: 'string' },
    state: { type: 'string', enum: ['running', 'done', 'failed'] },
    progress: { type: 'object', properties: { done: { type: 'integer' }, total: { type: 'integer' }, elapsedS: { type: 'number' }, remainingS: { type: ['number', 'null'] }, node: { type: 'string' } } },
    error: { type: 'string' },
    fix: { type: 'string' },
    node: { type: 'string' },
  },
};

export const tunePaths = {
  '/api/profile': {
    post: {
      summary: "Profile a graph on the server's machine (a job; one at a time): each node's service time by batch size and concurrency, kept in the data directory by graph name and hash",
      requestBody: { required: true, ...json({ type: 'object', required: ['graph'], properties: { graph, inputs: { type: 'array', items: { type: 'object' } } }, additionalProperties: false }, 'The graph, and sample requests for its input node (generated when absent)') },
      responses: {
        202: json(job, 'The job started'),
        200: json(job, 'This graph is being profiled already: that job'),
        400: json(ref('CompileErrors'), 'The graph does not compile, or an input does not match the input node ($.inputs[i].<field>)'),
        409: json(ref('Error'), 'Another graph is being profiled'),
      },
    },
  },
  '/api/profile/status': {
    post: {
      summary: 'Whether the server holds a fresh profile of this graph (asked before a tune, so a client learns it needs one without a 409)',
      requestBody: { required: true, ...json({ type: 'object', required: ['graph'], properties: { graph }, additionalProperties: false }, 'The graph') },
      responses: {
        200: json({ type: 'object', required: ['fresh'], properties: { fresh: { type: 'boolean' }, error: { type: 'string' }, code: { type: 'string', enum: ['no_profile', 'stale_profile'] }, fix: { type: 'string' } } }, 'fresh, or not with why and how to make one'),
        400: json(ref('CompileErrors'), 'The graph does not compile'),
      },
    },
  },
  '/api/profile/{id}': {
    parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
    get: { summary: 'A profile job: state, points done of all, time left; the node and the fix when it failed', responses: { 200: json(job, 'The job'), 400: json(ref('CompileErrors'), 'Not a job id'), 404: json(ref('Error'), 'No such job') } },
  },
  '/api/tune': {
    post: {
      summary: 'The deployment settings that meet p99Ms at qps with the fewest GPUs, then CPUs (docs/tuning.md), from the profile of this graph; the graph with them written in when met',
      requestBody: {
        required: true,
        ...json(
          { type: 'object', required: ['graph', 'qps', 'p99Ms'], properties: { graph, qps: { type: 'number', exclusiveMinimum: 0 }, p99Ms: { type: 'number', exclusiveMinimum: 0 }, cpus: { type: 'number' }, gpus: { type: 'integer', minimum: 0 } }, additionalProperties: false },
          "The graph, the target, and the resources to tune for (default: the server's cluster)",
        ),
      },
      responses: {
        200: json({ type: 'object', properties: { ok: { type: 'boolean' }, settings: { type: 'object' }, prediction: { type: 'object' }, binds: { type: 'array' }, graph }, required: ['ok'] }, 'The TuneResult (shared/tuning.ts); ok false with the best p99 and the throughput ceiling when unreachable'),
        400: json(ref('CompileErrors'), 'A bad target ($.qps, $.p99Ms, ...) or a graph that does not compile'),
        409: json({ type: 'object', properties: { error: { type: 'string' }, code: { type: 'string', enum: ['no_profile', 'stale_profile'] }, fix: { type: 'string' } } }, 'No profile of this graph as it is on this server, or one from another machine: profile it first'),
      },
    },
  },
};

import { z } from 'zod';
import { GraphSchema } from '../../shared/graph.js';
import { tunePaths } from './openapi-tune.js';
import { workspacePaths, workspaceSchemas } from './openapi-workspace.js';

let cached: unknown;

const json = (schema: unknown, description: string) => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' } };

/** OpenAPI 3.1 for the control plane and the data plane's shape; the graph schema comes from zod. */
export function openApiDocument(): unknown {
  cached ??= {
    openapi: '3.1.0',
    info: { title: 'Beamline', version: '1', description: 'Deploy inference graphs and call them.' },
    paths: {
      '/api/graphs': {
        post: {
          summary: 'Deploy a graph, or a new version of one (same name)',
          parameters: [
            { name: 'dataPlane', in: 'query', schema: { type: 'string', enum: ['open', 'token'] }, description: "Who may call the graph's route; default: token when the server has one, else open" },
            { name: 'tokenEnv', in: 'query', schema: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]{0,127}$' }, description: "Environment variable holding this graph's own data-plane token" },
          ],
          requestBody: { required: true, ...json(ref('Graph'), 'The graph document') },
          responses: {
            201: json(ref('DeployResponse'), 'Deployed (first version)'),
            200: json(ref('DeployResponse'), 'Redeployed; the previous version drains'),
            400: json(ref('CompileErrors'), 'Every compiler error, each with its JSON path and node'),
            409: json(ref('Error'), 'The route prefix belongs to another graph'),
            401: json(ref('Error'), 'The server has a token and the request did not carry it'),
            413: json(ref('Error'), 'Body over the limit (--body-limit, default 10 MB)'),
          },
        },
        get: { summary: 'Deployed graphs and their status; a graph is listed DEPLOYING from the moment its deploy starts', responses: { 200: json({ type: 'object', properties: { graphs: { type: 'array', items: ref('GraphStatus') } } }, 'Status of every graph') } },
      },
      '/api/graphs/{name}': {
        parameters: [nameParam],
        get: { summary: 'Status of one graph: per node, each replica with its state, placement and in-flight count', responses: { 200: json(ref('GraphStatus'), 'Status'), 404: json(ref('Error'), 'Not deployed') } },
        delete: { summary: 'Drain and remove a graph', responses: { 200: json({ type: 'object' }, 'Removed'), 404: json(ref('Error'), 'Not deployed') } },
      },
      '/api/graphs/{name}/versions': {
        parameters: [nameParam],
        get: { summary: 'Every deployed version of a graph name, newest first, and which is active', responses: { 200: json({ type: 'object', properties: { name: { type: 'string' }, active: { type: ['integer', 'null'] }, versions: { type: 'array', items: ref('VersionSummary') } } }, 'Versions'), 404: json(ref('Error'), 'Never deployed') } },
      },
      '/api/graphs/{name}/versions/{version}': {
        parameters: [nameParam, { name: 'version', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
        get: { summary: "One version's graph document (the editor opens it)", responses: { 200: json({ type: 'object', properties: { name: { type: 'string' }, version: { type: 'integer' }, createdAt: { type: 'integer' }, active: { type: 'boolean' }, graph: ref('Graph') } }, 'The version'), 404: json(ref('Error'), 'No such version') } },
      },
      '/api/graphs/{name}/rollback': {
        parameters: [nameParam],
        post: {
          summary: 'Redeploy an earlier version (default: the one before the active one) as a new version',
          requestBody: { required: false, ...json({ type: 'object', properties: { version: { type: 'integer', minimum: 1 } }, additionalProperties: false }, 'Which version to go back to') },
          responses: { 200: json({ type: 'object', properties: { name: { type: 'string' }, version: { type: 'integer' }, rolledBackFrom: { type: 'integer' }, status: ref('GraphStatus') } }, 'Rolled back'), 400: json(ref('CompileErrors'), 'Bad body'), 404: json(ref('Error'), 'No such version') },
        },
      },
      '/api/graphs/{name}/nodes/{node}/weights': {
        parameters: [nameParam, { name: 'node', in: 'path', required: true, schema: { type: 'string' } }],
        put: {
          summary: "A running split node's branch weights, changed without a redeploy: recorded as a new version, no replica restarts",
          requestBody: { required: true, ...json({ type: 'object', properties: { weights: { type: 'object', additionalProperties: { type: 'number', minimum: 0 } } }, required: ['weights'], additionalProperties: false }, 'Branch port -> weight; branches not named keep theirs') },
          responses: {
            200: json({ type: 'object', properties: { name: { type: 'string' }, node: { type: 'string' }, version: { type: 'integer' }, from: { type: 'integer' }, branches: { type: 'array', items: { type: 'object', properties: { port: { type: 'string' }, weight: { type: 'number' }, taken: { type: 'integer' } } } } } }, 'The new version serves the weights'),
            400: json(ref('CompileErrors'), 'Bad weights ($.weights.<port> or $.weights), or the node is not a split'),
            404: json(ref('Error'), 'No such graph deployed, or no such node'),
          },
        },
      },
      '/api/catalog': { get: { summary: 'Node kinds: ports, config JSON Schema, defaults, docs', responses: { 200: json({ type: 'object' }, 'The catalog') } } },
      '/api/cluster': { get: { summary: 'Machines and GPUs (detected, declared or none), what is allocated, and `holdings`: what each graph node holds (replicas, CPUs, GPUs, memory)', responses: { 200: json({ type: 'object' }, 'Cluster status') } } },
      ...workspacePaths,
      ...tunePaths,
      '/healthz': { get: { summary: 'Liveness', responses: { 200: json({ type: 'object' }, 'OK') } } },
      '/metrics': { get: { summary: 'Prometheus metrics (beamline_*)', responses: { 200: { description: 'Prometheus text' } } } },
      '/{routePrefix}': {
        post: {
          summary: "Invoke a graph at its routePrefix with its input node's fields",
          parameters: [{ name: 'trace', in: 'query', schema: { type: 'string', enum: ['1'] }, description: 'Return {requestId, output, trace}' }],
          requestBody: { required: true, ...json({ type: 'object' }, 'Input fields') },
          responses: {
            200: json({}, 'The output node value'),
            400: json(ref('Error'), 'Bad input (path names the field)'),
            404: json(ref('Error'), 'No graph at this route'),
            500: json(ref('Error'), 'A node failed (node names it)'),
            503: { ...json(ref('Error'), 'Overloaded or unavailable; see Retry-After'), headers: { 'Retry-After': { schema: { type: 'integer' } } } },
            504: json(ref('Error'), 'Timed out'),
          },
        },
      },
    },
    components: {
      schemas: {
        Graph: z.toJSONSchema(GraphSchema, { io: 'input', unrepresentable: 'any' }),
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' }, node: { type: 'string' }, path: { type: 'string' }, code: { type: 'string' }, requestId: { type: 'string' } } },
        CompileErrors: {
          type: 'object',
          properties: {
            error: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', required: ['code', 'message', 'path'], properties: { code: { type: 'string' }, message: { type: 'string' }, path: { type: 'string' }, node: { type: 'string' }, fix: { type: 'string' } } } },
          },
        },
        GraphStatus: { type: 'object', description: 'See shared/protocol.ts GraphStatus' },
        DeployResponse: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'integer' }, status: ref('GraphStatus') } },
        ...workspaceSchemas,
        VersionSummary: { type: 'object', properties: { version: { type: 'integer' }, createdAt: { type: 'integer' }, active: { type: 'boolean' }, rolledBackFrom: { type: 'integer' }, nodes: { type: 'integer' } } },
      },
      securitySchemes: {
        token: { type: 'http', scheme: 'bearer', description: 'The server token (--token or BEAMLINE_TOKEN); x-beamline-token works too' },
      },
    },
  };
  return cached;
}

import { z } from 'zod';
import { GraphSchema } from '../../shared/graph.js';

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
          requestBody: { required: true, ...json(ref('Graph'), 'The graph document') },
          responses: {
            201: json(ref('DeployResponse'), 'Deployed (first version)'),
            200: json(ref('DeployResponse'), 'Redeployed; the previous version drains'),
            400: json(ref('CompileErrors'), 'Every compiler error, each with its JSON path and node'),
            409: json(ref('Error'), 'The route prefix belongs to another graph'),
          },
        },
        get: { summary: 'Deployed graphs and their status', responses: { 200: json({ type: 'object', properties: { graphs: { type: 'array', items: ref('GraphStatus') } } }, 'Status of every graph') } },
      },
      '/api/graphs/{name}': {
        parameters: [nameParam],
        get: { summary: 'Status of one graph: per node, each replica with its state, placement and in-flight count', responses: { 200: json(ref('GraphStatus'), 'Status'), 404: json(ref('Error'), 'Not deployed') } },
        delete: { summary: 'Drain and remove a graph', responses: { 200: json({ type: 'object' }, 'Removed'), 404: json(ref('Error'), 'Not deployed') } },
      },
      '/api/catalog': { get: { summary: 'Node kinds: ports, config JSON Schema, defaults, docs', responses: { 200: json({ type: 'object' }, 'The catalog') } } },
      '/api/cluster': { get: { summary: 'Machines and GPUs (detected, declared or none) and what is allocated', responses: { 200: json({ type: 'object' }, 'Cluster status') } } },
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
      },
    },
  };
  return cached;
}

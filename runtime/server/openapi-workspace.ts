/** OpenAPI paths and schemas of the workspace routes (deployments, preview, indexes, readiness); merged by openapi.ts. */

const json = (schema: unknown, description: string) => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const str = { type: 'string' };
const int = { type: 'integer' };
const num = { type: 'number' };
const indexParam = { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' }, description: 'Index name ("jobs" is reserved)' };
const jobParam = { name: 'id', in: 'path', required: true, schema: str };
const change = { type: 'object', properties: { field: str, from: {}, to: {} } };

export const workspacePaths = {
  '/api/deployments': {
    get: {
      summary: 'Every graph with a live summary over the last ~10 s: state, version, replicas running/desired/pending, requests/s, p50/p99, errors, failing nodes and PENDING replicas with their reason',
      responses: { 200: json({ type: 'object', properties: { deployments: { type: 'array', items: ref('GraphSummary') } } }, 'One row per graph (DEPLOYING ones included)') },
    },
  },
  '/api/graphs/preview': {
    post: {
      summary: 'What a deploy of this graph would do, starting nothing: the diff against the running version, the replicas the live cluster would leave PENDING and why, compiler errors, missing indexes',
      requestBody: { required: true, ...json({ $ref: '#/components/schemas/Graph' }, 'The graph document') },
      responses: { 200: json(ref('DeployPreview'), 'The preview (errors are listed in it, not refused)'), 400: json(ref('Error'), 'The body is not a JSON object') },
    },
  },
  '/api/models/inspect': {
    post: {
      summary: 'What a node would do with the model folder its config names (as `beamline models inspect --kind` prints it and `validate` decides it): inputs, outputs, pooling, dimension, labels, tokenizer, maximum length, and why it does not fit',
      requestBody: { required: true, ...json({ type: 'object', required: ['kind'], properties: { kind: str, config: { type: 'object' } } }, 'The node kind and its config') },
      responses: {
        200: json({ type: 'object', properties: { model: { type: ['string', 'null'] }, role: str, ok: { type: 'boolean' }, problem: str, fix: str, text: str, report: { type: 'object' } } }, 'The folder report; model null when the node names no model folder'),
        400: json(ref('Error'), 'Not JSON, or an unknown kind'),
      },
    },
  },
  '/api/indexes': { get: { summary: 'Built indexes (and those being built) with chunks, documents, dimension, embedder model, bytes', responses: { 200: json({ type: 'object', properties: { indexes: { type: 'array', items: ref('IndexInfo') } } }, 'Indexes by name') } } },
  '/api/indexes/{name}': {
    parameters: [indexParam],
    get: { summary: 'One index', responses: { 200: json(ref('IndexInfo'), 'The index'), 404: json(ref('Error'), 'No such index') } },
    delete: { summary: 'Delete an index and its uploaded files', responses: { 200: json({ type: 'object', properties: { deleted: str } }, 'Deleted'), 404: json(ref('Error'), 'No such index'), 409: json(ref('Error'), 'An ingest of it is running') } },
  },
  '/api/indexes/{name}/files': {
    parameters: [indexParam],
    get: { summary: 'Files uploaded for the index', responses: { 200: json(ref('IndexUpload'), 'Files') } },
    post: {
      summary: 'Upload .md, .txt or .jsonl files into <dataDir>/uploads/<name>/ (all or nothing; a file of the same name is replaced)',
      requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'array', items: { type: 'string', format: 'binary' } } } } } } },
      responses: {
        200: json(ref('IndexUpload'), 'Stored'),
        400: json(ref('Error'), 'Not multipart, no file, a file of another type, not UTF-8, no text, or a bad name (.., absolute, folders); `file` names it'),
        409: json(ref('Error'), 'The uploads folder is a link or not a folder'),
        413: json(ref('Error'), 'Body over the limit (--body-limit, default 10 MB)'),
      },
    },
  },
  '/api/indexes/{name}/ingest': {
    parameters: [indexParam],
    post: {
      summary: 'Build the index as a job: chunk, embed, write beside the old index and swap at the end. Progress goes to socket.io `ingest` events (sockets that passed the token check)',
      requestBody: {
        required: true,
        ...json(
          {
            type: 'object',
            required: ['embedder'],
            additionalProperties: false,
            properties: {
              embedder: { type: 'string', description: 'Embedder model, e.g. builtin:glove-100d' },
              docs: { type: 'string', description: 'Folder inside the data directory (or the folder of `graph`); default: the uploaded files' },
              graph: { type: 'string', description: "A deployed graph: docs may be in its file's folder, as its retriever's docs are" },
              chunkSize: { type: 'integer', minimum: 16, default: 800 },
              chunkOverlap: { type: 'integer', minimum: 0, default: 100 },
            },
          },
          'What to build from',
        ),
      },
      responses: { 202: json(ref('IngestJob'), 'Started'), 400: json(ref('Error'), 'Bad field (path names it): unknown embedder, docs outside the data directory, nothing uploaded'), 409: json(ref('Error'), 'An ingest of this index is running (`job` is it)') },
    },
  },
  '/api/indexes/jobs': { get: { summary: 'The last ingest jobs, newest first', responses: { 200: json({ type: 'object', properties: { jobs: { type: 'array', items: ref('IngestJob') } } }, 'Jobs') } } },
  '/api/indexes/jobs/{id}': { parameters: [jobParam], get: { summary: 'One ingest job', responses: { 200: json(ref('IngestJob'), 'The job'), 404: json(ref('Error'), 'No such job') } } },
  '/api/indexes/jobs/{id}/cancel': {
    parameters: [jobParam],
    post: { summary: 'Cancel a running ingest; the previous index keeps serving', responses: { 200: json(ref('IngestJob'), 'Cancelling'), 404: json(ref('Error'), 'No such job'), 409: json(ref('Error'), 'It has ended') } },
  },
  '/readyz': {
    get: {
      summary: 'Readiness: 200 once the graphs named on the command line are deployed; /healthz stays liveness',
      responses: { 200: json({ type: 'object', properties: { ready: { const: true } } }, 'Ready'), 503: json({ type: 'object', properties: { ready: { const: false }, waiting: { type: 'array', items: str } } }, 'Still deploying the named graphs') },
    },
  },
  '/favicon.ico': { get: { summary: 'The icon (SVG)', responses: { 200: { description: 'image/svg+xml' } } } },
};

export const workspaceSchemas = {
  GraphSummary: {
    type: 'object',
    description: 'See shared/protocol.ts GraphSummary',
    properties: {
      name: str,
      routePrefix: str,
      version: int,
      state: { enum: ['DEPLOYING', 'RUNNING', 'DEGRADED', 'UNHEALTHY', 'DELETING'] },
      replicas: { type: 'object', properties: { running: int, desired: int, pending: int } },
      requestsPerSec: num,
      p50Ms: { type: ['number', 'null'] },
      p99Ms: { type: ['number', 'null'] },
      errors: int,
      errorRate: num,
      failing: { type: 'array', items: { type: 'object', properties: { node: str, reason: str } } },
      pending: { type: 'array', items: { type: 'object', properties: { node: str, replica: str, reason: str } } },
      deploying: { type: 'object', properties: { since: int, phase: { enum: ['queued', 'indexes', 'starting'] } } },
    },
  },
  GraphDiff: {
    type: 'object',
    description: 'shared/graph-diff.ts diffGraphs(a, b)',
    properties: {
      added: { type: 'array', items: str },
      removed: { type: 'array', items: str },
      changed: { type: 'array', items: { ...change, properties: { node: str, ...change.properties } } },
      edgesAdded: { type: 'array', items: str },
      edgesRemoved: { type: 'array', items: str },
      graphFields: { type: 'array', items: change },
      same: { type: 'boolean' },
      layoutOnly: { type: 'boolean' },
    },
  },
  DeployPreview: {
    type: 'object',
    properties: {
      name: str,
      activeVersion: { type: ['integer', 'null'] },
      diff: ref('GraphDiff'),
      pending: { type: 'array', items: { type: 'object', properties: { node: str, replica: str, reason: str } } },
      errors: { type: 'array', items: { type: 'object', properties: { code: str, message: str, path: str, node: str, fix: str } } },
      missingIndexes: { type: 'array', items: { type: 'object', properties: { node: str, index: str, docs: str } } },
    },
  },
  IndexInfo: {
    type: 'object',
    properties: { name: str, chunks: int, documents: int, dim: int, model: str, bytes: int, createdAt: str, building: { type: 'boolean' } },
  },
  IndexUpload: { type: 'object', properties: { index: str, files: { type: 'array', items: { type: 'object', properties: { name: str, bytes: int } } } } },
  IngestJob: {
    type: 'object',
    properties: {
      id: str,
      index: str,
      state: { enum: ['queued', 'running', 'done', 'failed', 'cancelled'] },
      phase: str,
      done: { type: 'integer', description: 'Chunks embedded' },
      total: int,
      error: str,
      startedAt: int,
      endedAt: int,
    },
  },
};

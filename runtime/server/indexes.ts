import { statSync } from 'node:fs';
import { Hono } from 'hono';
import { z } from 'zod';
import type { IndexListResponse, IndexUploadResponse, IngestJob } from '../../shared/protocol.js';
import { zodErrors } from '../../shared/zod-errors.js';
import { invalidJson } from '../dataplane/errors.js';
import { deleteIndex, indexInfo, listIndexes } from '../indexes/catalog.js';
import type { IngestJobs } from '../indexes/jobs.js';
import { INDEX_NAME } from '../indexes/names.js';
import { listUploads, saveUploads, type UploadFile, UploadError, uploadsDir } from '../indexes/uploads.js';
import { ModelConfigError, resolveModelDir } from '../models/resolve.js';
import { resolveInside } from '../security/paths.js';

const IngestBody = z
  .object({
    embedder: z.string().min(1).max(500).describe('Embedder model, e.g. builtin:glove-100d or a folder under the models directory.'),
    docs: z.string().min(1).max(500).optional().describe('Folder of .md/.txt/.jsonl files inside the data directory; default: the files uploaded for this index.'),
    graph: z.string().min(1).max(64).optional().describe("A deployed graph whose file's folder `docs` may also be in (as its retriever's docs are)."),
    chunkSize: z.number().int().min(16).max(100_000).default(800),
    chunkOverlap: z.number().int().min(0).max(10_000).default(100),
  })
  .strict();

export interface IndexRouteOptions {
  dataDir: string;
  modelsDir: string;
  jobs: IngestJobs;
  /** The folder a deployed graph's file came from, when it came from one. */
  graphDirOf(graph: string): string | undefined;
}

const bad = (error: string, path: string, extra: Record<string, unknown> = {}) => ({ error, path, code: 'bad_request', ...extra });

/** /api/indexes: list, upload files, ingest (a job with progress), jobs, delete. */
export function indexRoutes(o: IndexRouteOptions): Hono {
  const app = new Hono();
  const nameError = (name: string) =>
    !INDEX_NAME.test(name) ? `index name "${name}" must be 1-64 letters, digits, _ or -` : name === 'jobs' ? '"jobs" is not an index name (it is the jobs route)' : undefined;

  app.get('/api/indexes', (c) => c.json({ indexes: listIndexes(o.dataDir, o.jobs.building()) } satisfies IndexListResponse));
  app.get('/api/indexes/jobs', (c) => c.json({ jobs: o.jobs.list() }));
  app.get('/api/indexes/jobs/:id', (c) => {
    const job = o.jobs.get(c.req.param('id'));
    return job ? c.json(job satisfies IngestJob) : c.json({ error: `no ingest job ${c.req.param('id')}`, code: 'unknown_job' }, 404);
  });
  app.post('/api/indexes/jobs/:id/cancel', (c) => {
    const id = c.req.param('id');
    const job = o.jobs.get(id);
    if (!job) return c.json({ error: `no ingest job ${id}`, code: 'unknown_job' }, 404);
    if (!o.jobs.cancel(id)) return c.json({ error: `ingest job ${id} has already ended (${job.state})`, code: 'job_ended', job }, 409);
    return c.json(o.jobs.get(id)!);
  });

  app.get('/api/indexes/:name', (c) => {
    const name = c.req.param('name');
    const err = nameError(name);
    if (err) return c.json(bad(err, ':name'), 400);
    const info = indexInfo(o.dataDir, name, o.jobs.building().has(name));
    return info ? c.json(info) : c.json({ error: `no index named "${name}"`, code: 'unknown_index' }, 404);
  });
  app.get('/api/indexes/:name/files', (c) => {
    const name = c.req.param('name');
    const err = nameError(name);
    if (err) return c.json(bad(err, ':name'), 400);
    return c.json({ index: name, files: listUploads(o.dataDir, name) } satisfies IndexUploadResponse);
  });

  app.post('/api/indexes/:name/files', async (c) => {
    const name = c.req.param('name');
    const err = nameError(name);
    if (err) return c.json(bad(err, ':name'), 400);
    if (!/^multipart\/form-data\b/i.test(c.req.header('content-type') ?? '')) {
      return c.json(bad('send multipart/form-data with one or more "file" parts (.md, .txt, .jsonl)', '$', { code: 'not_multipart' }), 400);
    }
    let form: FormData;
    try {
      form = await c.req.formData();
    } catch (e) {
      // Over the body limit: the limit middleware answers 413 naming it.
      if ((e as Error).name === 'BodyLimitError') throw e;
      return c.json(bad(`the multipart body could not be read: ${(e as Error).message}`, '$', { code: 'bad_multipart' }), 400);
    }
    const files: UploadFile[] = [];
    for (const [field, value] of form.entries()) {
      if (field !== 'file') return c.json(bad(`unexpected part "${field}": send each file as a part named "file"`, field), 400);
      if (typeof value === 'string') return c.json(bad('a "file" part must be a file, not a text field', field), 400);
      files.push({ name: value.name, data: new Uint8Array(await value.arrayBuffer()) });
    }
    try {
      return c.json({ index: name, files: saveUploads(o.dataDir, name, files) } satisfies IndexUploadResponse);
    } catch (e) {
      if (e instanceof UploadError) return c.json({ error: e.message, code: 'bad_upload', ...(e.file !== undefined ? { file: e.file } : {}) }, e.status);
      throw e;
    }
  });

  app.post('/api/indexes/:name/ingest', async (c) => {
    const name = c.req.param('name');
    const err = nameError(name);
    if (err) return c.json(bad(err, ':name'), 400);
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch (e) {
      return c.json(invalidJson(e).body(), 400);
    }
    const parsed = IngestBody.safeParse(raw);
    if (!parsed.success) {
      const [first] = zodErrors(parsed.error.issues, [], 'invalid_document');
      return c.json(bad(`${first.path}: ${first.message}`, first.path), 400);
    }
    const body = parsed.data;
    try {
      resolveModelDir(body.embedder, o.modelsDir, 'embedder');
    } catch (e) {
      if (e instanceof ModelConfigError) return c.json(bad(e.message, '$.embedder'), 400);
      throw e;
    }
    let docsDir: string;
    if (body.docs !== undefined) {
      // As a deploy resolves a retriever's docs: the graph file's folder first, then the data directory.
      const graphDir = body.graph === undefined ? undefined : o.graphDirOf(body.graph);
      const roots = graphDir ? [graphDir, o.dataDir] : [o.dataDir];
      const d = resolveInside(body.docs, roots);
      if (d === undefined || !isDir(d)) return c.json(bad(`docs: "${body.docs}" is not a folder inside ${graphDir ? `the folder of graph ${body.graph} or ` : ''}the data directory`, '$.docs'), 400);
      docsDir = d;
    } else {
      if (listUploads(o.dataDir, name).length === 0) return c.json(bad(`no files uploaded for index ${name}: POST them to /api/indexes/${name}/files, or name a docs folder`, '$.docs'), 400);
      docsDir = uploadsDir(o.dataDir, name);
    }
    const started = o.jobs.start({ index: name, docsDir, embedder: { model: body.embedder }, chunkSize: body.chunkSize, chunkOverlap: body.chunkOverlap });
    if (!started.ok) return c.json({ error: `index ${name} is being built already (job ${started.busy.id}); wait for it or cancel it`, code: 'ingest_running', job: started.busy }, 409);
    return c.json(started.job satisfies IngestJob, 202);
  });

  app.delete('/api/indexes/:name', (c) => {
    const name = c.req.param('name');
    const err = nameError(name);
    if (err) return c.json(bad(err, ':name'), 400);
    const busy = o.jobs.current(name);
    if (busy) return c.json({ error: `index ${name} is being built (job ${busy.job.id}); cancel it first`, code: 'ingest_running', job: busy.job }, 409);
    if (!deleteIndex(o.dataDir, name)) return c.json({ error: `no index named "${name}"`, code: 'unknown_index' }, 404);
    return c.json({ deleted: name });
  });
  return app;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

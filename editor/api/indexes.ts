/** Indexes for retrievers: list, upload files into one, build it (ingest) and follow the job, delete. */
import type { IngestJob, IngestRequest } from '../../shared/protocol.js';
import { jobFinished, type RetrieverNeed, uploadProblem } from '../lib/indexes.js';
import { useEditor } from '../store/graph.js';
import { api } from './client.js';

const st = () => useEditor.getState();

export async function refreshIndexes(): Promise<void> {
  try {
    st().setIndexes((await api.indexes()).indexes);
  } catch {
    // No index API (an older server) or offline: the panel says so from `indexes === null`.
  }
}

/** Resolves when the job ends; progress arrives over socket.io (`ingest`), with a poll as a fallback. */
export function followJob(job: IngestJob): Promise<IngestJob> {
  st().ingestUpdate(job);
  return new Promise((resolve) => {
    const done = (j: IngestJob) => {
      clearInterval(poll);
      unsub();
      void refreshIndexes();
      resolve(j);
    };
    const unsub = useEditor.subscribe((s) => {
      const j = s.jobs[job.id];
      if (j && jobFinished(j)) done(j);
    });
    // Events can be missed across a reconnect: ask now and then.
    const poll = setInterval(() => {
      api.job(job.id).then(
        (j) => {
          const known = st().jobs[job.id];
          if (!known || j.done >= known.done || jobFinished(j)) st().ingestUpdate(j);
        },
        () => {},
      );
    }, 2000);
    if (jobFinished(job)) done(job);
  });
}

export type IngestOutcome = { ok: true; job: IngestJob } | { ok: false; error: string };

/** Upload files into an index and build it with `embedder`; every refusal comes back as text for the form. */
export async function uploadAndIngest(index: string, files: readonly File[], embedder: string): Promise<IngestOutcome> {
  const bad = files.map((f) => uploadProblem(f.name)).find(Boolean);
  if (bad) return { ok: false, error: bad };
  if (files.length === 0) return { ok: false, error: 'choose at least one .md, .txt or .jsonl file' };
  try {
    const up = await api.upload(index, files);
    st().notify(`Uploaded ${up.files.length} file${up.files.length === 1 ? '' : 's'} into ${index}; building the index…`);
    return await ingest(index, { embedder });
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

async function ingest(index: string, body: IngestRequest): Promise<IngestOutcome> {
  try {
    const job = await followJob(await api.ingest(index, body));
    if (job.state !== 'done') return { ok: false, error: `building ${index} ${job.state}${job.error ? `: ${job.error}` : ''}` };
    st().notify(`Index ${index} is built: ${job.total} chunks`, 'ok');
    return { ok: true, job };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** The retriever's "build it" button: ingest its configured docs with the embedder in front of it. */
export async function buildFromDocs(need: RetrieverNeed): Promise<IngestOutcome> {
  st().notify(`Building index ${need.index} from ${need.docs}…`);
  // A served graph's docs are relative to its file's folder on the server: name the graph so they resolve there.
  const name = st().meta.name;
  const served = st().deployments?.some((d) => d.name === name);
  const { embedder, docs, chunkSize, chunkOverlap } = need;
  const r = await ingest(need.index, { embedder, ...(docs ? { docs } : {}), ...(chunkSize ? { chunkSize } : {}), ...(chunkOverlap !== undefined ? { chunkOverlap } : {}), ...(served ? { graph: name } : {}) });
  if (!r.ok) st().notify(`Could not build ${need.index}: ${r.error}`, 'error');
  return r;
}

export async function deleteIndex(name: string): Promise<void> {
  try {
    await api.deleteIndex(name);
    st().notify(`Deleted index ${name}`, 'ok');
  } catch (e) {
    st().notify(`Could not delete ${name}: ${(e as Error).message}`, 'error');
  }
  await refreshIndexes();
}

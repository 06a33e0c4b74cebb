/**
 * Ingest jobs: one build per index at a time, progress to listeners (socket.io),
 * the last jobs kept for GET /api/indexes/jobs/:id. A build runs beside the old
 * index and swaps at the end (buildIndex), so a failure or a cancel leaves the
 * previous index serving.
 */
import { randomUUID } from 'node:crypto';
import type { IngestJob } from '../../shared/protocol.js';
import { buildIndex, type IngestProgress } from '../ingest.js';

export interface IngestSpec {
  index: string;
  docsDir: string;
  /** The embedder node config the index is built with ({model, ...}). */
  embedder: Record<string, unknown>;
  chunkSize: number;
  chunkOverlap: number;
}

const KEEP = 100;
const PHASES: Record<IngestProgress['phase'], string> = { read: 'reading', embed: 'embedding', write: 'writing' };

export class IngestJobs {
  private readonly jobs = new Map<string, IngestJob>();
  private readonly running = new Map<string, { job: IngestJob; done: Promise<IngestJob>; abort: AbortController }>();
  private readonly listeners = new Set<(job: IngestJob) => void>();

  constructor(private readonly opts: { dataDir: string; modelsDir: string; log: (m: string) => void }) {}

  /** Called with a copy of the job on every change (queued, each progress step, the end). */
  onUpdate(f: (job: IngestJob) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  get(id: string): IngestJob | undefined {
    const j = this.jobs.get(id);
    return j && { ...j };
  }

  /** Newest first. */
  list(): IngestJob[] {
    return [...this.jobs.values()].reverse().map((j) => ({ ...j }));
  }

  building(): Set<string> {
    return new Set(this.running.keys());
  }

  /** The job building `index` now, with a promise of its end. */
  current(index: string): { job: IngestJob; done: Promise<IngestJob> } | undefined {
    const r = this.running.get(index);
    return r && { job: { ...r.job }, done: r.done };
  }

  /** Start a build; `busy` when one runs for that index already (the caller answers 409 or waits). */
  start(spec: IngestSpec): { ok: true; job: IngestJob; done: Promise<IngestJob> } | { ok: false; busy: IngestJob } {
    const cur = this.running.get(spec.index);
    if (cur) return { ok: false, busy: { ...cur.job } };
    const job: IngestJob = { id: randomUUID(), index: spec.index, state: 'queued', phase: 'queued', done: 0, total: 0, startedAt: Date.now() };
    this.jobs.set(job.id, job);
    while (this.jobs.size > KEEP) {
      const oldest = [...this.jobs.values()].find((j) => j.state !== 'queued' && j.state !== 'running');
      if (!oldest) break;
      this.jobs.delete(oldest.id);
    }
    const abort = new AbortController();
    const done = this.run(job, spec, abort.signal);
    this.running.set(spec.index, { job, done, abort });
    this.emit(job);
    return { ok: true, job: { ...job }, done };
  }

  /** Cancel a queued or running job; false when it has already ended or does not exist. */
  cancel(id: string): boolean {
    const job = this.jobs.get(id);
    const r = job && this.running.get(job.index);
    if (!r || r.job !== job) return false;
    r.abort.abort();
    return true;
  }

  private emit(job: IngestJob): void {
    for (const f of this.listeners) {
      try {
        f({ ...job });
      } catch {}
    }
  }

  private async run(job: IngestJob, spec: IngestSpec, signal: AbortSignal): Promise<IngestJob> {
    // Yield once, so the caller has the job (and can answer 202) before the first step.
    await Promise.resolve();
    job.state = 'running';
    job.phase = 'reading';
    this.emit(job);
    try {
      const r = await buildIndex({
        index: spec.index,
        docsDir: spec.docsDir,
        dataDir: this.opts.dataDir,
        modelsDir: this.opts.modelsDir,
        embedder: spec.embedder,
        chunkSize: spec.chunkSize,
        chunkOverlap: spec.chunkOverlap,
        signal,
        log: this.opts.log,
        progress: (p) => {
          job.phase = PHASES[p.phase];
          if (p.phase === 'read') job.total = 0;
          if (p.phase === 'embed') {
            job.done = p.done;
            job.total = p.total;
          }
          this.emit(job);
        },
      });
      job.state = 'done';
      job.phase = 'done';
      job.done = r.meta.count;
      job.total = r.meta.count;
    } catch (e) {
      job.state = signal.aborted ? 'cancelled' : 'failed';
      job.phase = job.state;
      job.error = signal.aborted ? `cancelled; index ${spec.index} is unchanged` : `${(e as Error).message}; index ${spec.index} is unchanged`;
      this.opts.log(`ingest ${spec.index}: ${job.error}`);
    } finally {
      job.endedAt = Date.now();
      this.running.delete(spec.index);
    }
    this.emit(job);
    return { ...job };
  }
}

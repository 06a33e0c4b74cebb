/**
 * Profile jobs for the API (POST /api/profile): one at a time, since two profiles on one machine
 * would disturb each other's timings; progress kept for GET /api/profile/:id; the profile written
 * under <dataDir>/profiles/, keyed by graph name and hash, so a tune finds it for the same graph.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../../shared/plan.js';
import type { ProfileJob } from '../../shared/tune-api.js';
import type { ProfileProgress } from '../../shared/tuning.js';
import { TuneError } from './errors.js';
import { graphHash } from './machine.js';
import { type ProfileOptions, profileGraph } from './profile.js';

const KEEP = 20;

/** Where the server keeps the profile of a plan's graph. */
export function serverProfilePath(dataDir: string, plan: Plan): string {
  return join(dataDir, 'profiles', `${plan.name}-${graphHash(plan).slice(0, 16)}.profile.json`);
}

export class ProfileJobs {
  private readonly jobs = new Map<string, ProfileJob>();
  private running: { job: ProfileJob; abort: AbortController; done: Promise<ProfileJob> } | undefined;

  constructor(private readonly opts: { dataDir: string; options: ProfileOptions; log: (m: string) => void }) {}

  get(id: string): ProfileJob | undefined {
    const j = this.jobs.get(id);
    return j && structuredClone(j);
  }

  /** The job running now, if any. */
  current(): ProfileJob | undefined {
    return this.running && structuredClone(this.running.job);
  }

  /** Starts profiling `plan`; the running job instead when one is measuring this graph, busy when another graph is. */
  start(plan: Plan, samples?: Record<string, unknown>[]): { ok: true; job: ProfileJob; done: Promise<ProfileJob>; existing: boolean } | { ok: false; busy: ProfileJob } {
    const hash = graphHash(plan);
    if (this.running) {
      const r = this.running;
      if (r.job.graph === plan.name && r.job.hash === hash) return { ok: true, job: structuredClone(r.job), done: r.done, existing: true };
      return { ok: false, busy: structuredClone(r.job) };
    }
    const job: ProfileJob = { id: randomUUID(), graph: plan.name, hash, state: 'running', startedAt: Date.now(), progress: { done: 0, total: 0, elapsedS: 0, remainingS: null } };
    this.jobs.set(job.id, job);
    for (const old of this.jobs.values()) {
      if (this.jobs.size <= KEEP) break;
      if (old.state !== 'running') this.jobs.delete(old.id);
    }
    const abort = new AbortController();
    const done = this.run(job, plan, samples, abort.signal);
    this.running = { job, abort, done };
    return { ok: true, job: structuredClone(job), done, existing: false };
  }

  /** Stops the running job (the server closing). */
  close(): void {
    this.running?.abort.abort();
  }

  private async run(job: ProfileJob, plan: Plan, samples: Record<string, unknown>[] | undefined, signal: AbortSignal): Promise<ProfileJob> {
    const onProgress = (e: ProfileProgress) => {
      if (e.type === 'start') {
        job.estimateS = e.estimateS;
        job.progress = { ...job.progress, total: e.points, remainingS: e.estimateS };
      } else if (e.type === 'point') {
        job.progress = { done: e.done, total: e.total, elapsedS: e.elapsedS, remainingS: e.remainingS, node: e.node };
      } else if (e.type === 'node') {
        job.progress = { ...job.progress, node: e.node };
      }
    };
    try {
      const opts: ProfileOptions = { ...this.opts.options, signal, ...(samples ? { samples, inputsSource: 'file' as const } : {}) };
      const profile = await profileGraph(plan, opts, onProgress);
      const file = serverProfilePath(this.opts.dataDir, plan);
      mkdirSync(join(this.opts.dataDir, 'profiles'), { recursive: true });
      // Written beside, then renamed: a tune never reads half a profile.
      writeFileSync(`${file}.tmp`, `${JSON.stringify(profile, null, 2)}\n`);
      renameSync(`${file}.tmp`, file);
      job.state = 'done';
      job.profile = { measuredAt: profile.measuredAt, durationS: profile.durationS, nodes: Object.keys(profile.nodes).length };
      job.progress = { ...job.progress, done: job.progress.total, remainingS: 0 };
      this.opts.log(`profiled ${plan.name} in ${profile.durationS} s: ${file}`);
    } catch (e) {
      job.state = 'failed';
      job.error = (e as Error).message;
      if (e instanceof TuneError) {
        if (e.fix) job.fix = e.fix;
        if (e.node) job.node = e.node;
      }
      this.opts.log(`profile of ${plan.name} failed: ${job.error}`);
    } finally {
      job.endedAt = Date.now();
      this.running = undefined;
    }
    return structuredClone(job);
  }
}


/** "Tune for a target": profile the graph on the server (a job, polled) and ask for the settings that meet a target. */
import type { Graph } from '../../shared/graph.js';
import type { ProfileJob, ProfileStatus, TuneProfileConflict, TuneResponse } from '../../shared/tune-api.js';
import { ApiError, controlToken } from './client.js';

/** A 409 from POST /api/tune: no profile of this graph (or a stale one) on the server; `fix` says how to get one. */
export class ProfileNeeded extends Error {
  constructor(readonly conflict: TuneProfileConflict) {
    super(conflict.error);
  }
}

async function call<T>(method: string, url: string, body?: unknown): Promise<{ status: number; data: T }> {
  const token = controlToken();
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {}
  if (res.ok || res.status === 409) return { status: res.status, data: data as T };
  const d = (data ?? {}) as { error?: string; errors?: ApiError['errors'] };
  throw new ApiError(d.error ?? `${method} ${url}: HTTP ${res.status}`, res.status, d.errors ?? []);
}

export interface TuneAsk {
  qps: number;
  p99Ms: number;
  gpus?: number;
}

/**
 * The tuner's answer, or ProfileNeeded when the server has no fresh profile of this graph.
 * The profile is asked about first, so the normal path to "Profile" costs no failed request
 * (Chromium logs every 4xx in the console).
 */
export async function tuneGraph(graph: Graph, ask: TuneAsk): Promise<TuneResponse> {
  const status = (await call<ProfileStatus>('POST', '/api/profile/status', { graph })).data;
  if (!status.fresh) throw new ProfileNeeded(status);
  const r = await call<TuneResponse | TuneProfileConflict>('POST', '/api/tune', { graph, ...ask });
  if (r.status === 409) throw new ProfileNeeded(r.data as TuneProfileConflict);
  return r.data as TuneResponse;
}

/** Starts profiling (or joins the job measuring this graph); a 409 means another graph is being profiled. */
export async function startProfile(graph: Graph): Promise<ProfileJob> {
  const r = await call<ProfileJob & { error?: string }>('POST', '/api/profile', { graph });
  if (r.status === 409) throw new ApiError(r.data.error ?? 'the server is profiling another graph', 409);
  return r.data;
}

export const profileJob = async (id: string): Promise<ProfileJob> => (await call<ProfileJob>('GET', `/api/profile/${encodeURIComponent(id)}`)).data;

/** Polls the job until it ends, reporting each state. */
export async function followProfile(job: ProfileJob, onUpdate: (j: ProfileJob) => void, everyMs = 400): Promise<ProfileJob> {
  let j = job;
  onUpdate(j);
  while (j.state === 'running') {
    await new Promise((r) => setTimeout(r, everyMs));
    j = await profileJob(j.id);
    onUpdate(j);
  }
  return j;
}

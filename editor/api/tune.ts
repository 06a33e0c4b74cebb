/** "Tune for a target": profile the graph on the server (a job, polled) and ask for the settings that meet a target. */
import type { Graph } from '../../shared/graph.js';
import type { ProfileJob, ProfileStatus, TuneProfileConflict, TuneResponse } from '../../shared/tune-api.js';
import { ApiError, request } from './client.js';

/** A 409 from POST /api/tune: no profile of this graph (or a stale one) on the server; `fix` says how to get one. */
export class ProfileNeeded extends Error {
  constructor(readonly conflict: TuneProfileConflict) {
    super(conflict.error);
  }
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
  const status = await request<ProfileStatus>('POST', '/api/profile/status', { graph });
  if (!status.fresh) throw new ProfileNeeded(status);
  try {
    return await request<TuneResponse>('POST', '/api/tune', { graph, ...ask });
  } catch (e) {
    // The profile went stale between the two calls (another graph was profiled over it).
    if (e instanceof ApiError && e.status === 409) throw new ProfileNeeded(e.body as TuneProfileConflict);
    throw e;
  }
}

/** Starts profiling (or joins the job measuring this graph); a 409 means another graph is being profiled. */
export function startProfile(graph: Graph): Promise<ProfileJob> {
  return request<ProfileJob>('POST', '/api/profile', { graph });
}

export const profileJob = (id: string): Promise<ProfileJob> => request<ProfileJob>('GET', `/api/profile/${encodeURIComponent(id)}`);

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

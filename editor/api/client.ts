/** The runtime's HTTP API and socket.io, typed by shared/protocol.ts; same origin as the editor. */
import { io, type Socket } from 'socket.io-client';
import type { GraphError } from '../../shared/errors.js';
import type { Graph } from '../../shared/graph.js';
import type {
  ClientToServerEvents,
  ClusterStatus,
  DeployPreview,
  DeploymentsResponse,
  DeployResponse,
  GraphStatus,
  IndexListResponse,
  IndexUploadResponse,
  IngestJob,
  IngestRequest,
  ServerToClientEvents,
  VersionSummary,
} from '../../shared/protocol.js';
import type { ReleaseStatus } from '../../shared/release.js';
import type { RemoteKind } from '../lib/kinds.js';

export type { VersionSummary };

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errors: GraphError[] = [],
    /** The answer's parsed body, for callers that read more than the message (a 409's `code` and `fix`). */
    readonly body?: unknown,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'beamline.token';

/**
 * A server bound beyond loopback requires a control-plane token. The editor takes it
 * once from `?token=` (then removes it from the address bar) and keeps it for the tab.
 */
export function controlToken(): string | undefined {
  if (typeof window === 'undefined') return undefined;
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** One call of the server's API with the tab's token; a failure is an ApiError naming the server's reason. */
export async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
  const token = controlToken();
  const headers: Record<string, string> = {};
  // FormData sets its own multipart content type (with the boundary).
  const form = typeof FormData !== 'undefined' && body instanceof FormData;
  if (body !== undefined && !form) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : form ? (body as FormData) : JSON.stringify(body) });
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const d = (data ?? {}) as { error?: string; errors?: GraphError[] };
    const hint = res.status === 401 ? ' (this server needs a token: open the editor with ?token=<token>)' : '';
    throw new ApiError(`${d.error ?? `${method} ${url}: HTTP ${res.status}`}${hint}`, res.status, d.errors ?? [], data);
  }
  return data as T;
}

const enc = encodeURIComponent;

export const api = {
  /** `release`: a canary or shadow query (`canary=10&steps=10,50,100`, lib/release.ts), else the graph replaces the running version. */
  deploy: (graph: Graph, release?: string) => request<DeployResponse>('POST', `/api/graphs${release ? `?${release}` : ''}`, graph),
  /** What a deploy would change and leave PENDING; nothing is started. */
  preview: (graph: Graph) => request<DeployPreview>('POST', '/api/graphs/preview', graph),
  deployments: () => request<DeploymentsResponse>('GET', '/api/deployments'),
  indexes: () => request<IndexListResponse>('GET', '/api/indexes'),
  deleteIndex: (name: string) => request<unknown>('DELETE', `/api/indexes/${enc(name)}`),
  upload(index: string, files: readonly File[]) {
    const form = new FormData();
    for (const f of files) form.append('file', f, f.name);
    return request<IndexUploadResponse>('POST', `/api/indexes/${enc(index)}/files`, form);
  },
  ingest: (index: string, body: IngestRequest) => request<IngestJob>('POST', `/api/indexes/${enc(index)}/ingest`, body),
  job: (id: string) => request<IngestJob>('GET', `/api/indexes/jobs/${enc(id)}`),
  graphs: () => request<unknown>('GET', '/api/graphs'),
  status: (name: string) => request<GraphStatus>('GET', `/api/graphs/${encodeURIComponent(name)}`),
  remove: (name: string) => request<unknown>('DELETE', `/api/graphs/${encodeURIComponent(name)}`),
  cluster: () => request<ClusterStatus>('GET', '/api/cluster'),
  async catalog(): Promise<RemoteKind[]> {
    const data = await request<unknown>('GET', '/api/catalog');
    const list = Array.isArray(data) ? data : ((data as { kinds?: unknown })?.kinds ?? []);
    return (Array.isArray(list) ? list : []).filter((k): k is RemoteKind => typeof (k as RemoteKind)?.kind === 'string');
  },
  /** GET /examples: {examples: [{id, name, description?}]}; a bare list of ids is read too. */
  async examples(): Promise<{ id: string; name: string; description?: string }[]> {
    const data = await request<unknown>('GET', '/examples');
    const list = Array.isArray(data) ? data : ((data as { examples?: unknown })?.examples ?? []);
    return (Array.isArray(list) ? list : [])
      .map((e) => (typeof e === 'string' ? { id: e, name: e } : (e as { id: string; name?: string; description?: string })))
      .filter((e) => typeof e?.id === 'string')
      .map((e) => ({ id: e.id, name: e.name ?? e.id, ...(e.description ? { description: e.description } : {}) }));
  },
  example: (name: string) => request<Graph>('GET', `/examples/${encodeURIComponent(name)}/graph.json`),
  versions: (name: string) => request<{ name: string; active: number | null; versions: VersionSummary[] }>('GET', `/api/graphs/${encodeURIComponent(name)}/versions`),
  version: (name: string, v: number) => request<{ graph: Graph }>('GET', `/api/graphs/${encodeURIComponent(name)}/versions/${v}`),
  /** The graph's running or last release (shared/release.ts); a 404 when it never had one. */
  release: (name: string) => request<ReleaseStatus>('GET', `/api/graphs/${enc(name)}/release`),
  releaseAction: (name: string, action: 'promote' | 'rollback' | 'abort') => request<unknown>('POST', `/api/graphs/${enc(name)}/release/${action}`),
  /** A running split's weights, changed without a redeploy: a new version (runtime/server/split.ts). */
  splitWeights: (name: string, node: string, weights: Record<string, number>) => request<{ version: number; from: number }>('PUT', `/api/graphs/${enc(name)}/nodes/${enc(node)}/weights`, { weights }),
  rollback: (name: string, version: number) => request<DeployResponse>('POST', `/api/graphs/${encodeURIComponent(name)}/rollback`, { version }),
  inspectModel: (kind: string, config: Record<string, unknown>) => request<ModelInspection>('POST', '/api/models/inspect', { kind, config }),
};

/** POST /api/models/inspect: what a node would do with its model folder (runtime/server/models.ts). */
export interface ModelInspection {
  model: string | null;
  role?: string;
  ok?: boolean;
  problem?: string;
  fix?: string;
  text?: string;
}

export type BeamlineSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
let socket: BeamlineSocket | undefined;

/** One socket per page, opened on first use. */
export function getSocket(): BeamlineSocket {
  const token = controlToken();
  socket ??= io({ transports: ['websocket', 'polling'], ...(token ? { auth: { token } } : {}) });
  return socket;
}

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/protocol.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const GATE = fileURLToPath(new URL('../fixtures/workspace/gate.ts', import.meta.url));

/** examples/rag as a new graph reading index `index` (no docs unless given). */
export function ragGraph(name: string, index: string, docs?: string): Record<string, unknown> {
  const g = JSON.parse(readFileSync(new URL('../../examples/rag/graph.json', import.meta.url), 'utf8'));
  g.name = name;
  g.routePrefix = `/${name}`;
  // GloVe, the example's fast option, keeps these index tests quick; the example itself embeds with use-lite.
  g.nodes.find((n: { id: string }) => n.id === 'embed').config.model = 'builtin:glove-100d';
  const r = g.nodes.find((n: { id: string }) => n.id === 'retrieve');
  r.config = { ...r.config, index };
  if (docs === undefined) delete r.config.docs;
  else r.config.docs = docs;
  return g;
}

/** POST multipart/form-data with one `file` part per entry, as a browser's FormData upload. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
export async function upload(url: string, files: { name: string; text: string | Uint8Array<ArrayBuffer> }[]): Promise<{ status: number; body: any }> {
  const form = new FormData();
  for (const f of files) form.append('file', new Blob([f.text]), f.name);
  const res = await fetch(url, { method: 'POST', body: form });
  return { status: res.status, body: await res.json() };
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
export async function send(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed };
}

export async function connect(url: string, auth?: { token: string }): Promise<Socket<ServerToClientEvents, ClientToServerEvents>> {
  const client: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, { transports: ['websocket'], forceNew: true, ...(auth ? { auth } : {}) });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('connect_error', reject);
  });
  return client;
}

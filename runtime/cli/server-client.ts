import type { Command } from 'commander';

/**
 * Verbs that act on a running server (deploy, release, split, tune --verify against a
 * server) share these: where the server is, its control-plane token, and one request
 * that turns a refused connection or an error body into a message naming the server.
 */
export interface ServerCliOptions {
  server: string;
  token?: string;
}

export function serverOptions(cmd: Command): Command {
  return cmd
    .option('--server <url>', 'the Beamline server to talk to', process.env.BEAMLINE_SERVER ?? 'http://127.0.0.1:8000')
    .option('--token <token>', 'control-plane token (default: $BEAMLINE_TOKEN)', process.env.BEAMLINE_TOKEN);
}

export type ServerAnswer = { ok: true; status: number; body: unknown } | { ok: false; status: number; message: string; body: unknown };

/** One JSON request to the server's API; never throws for an answer, only reports it. */
export async function serverRequest(opts: ServerCliOptions, method: string, path: string, body?: unknown): Promise<ServerAnswer> {
  let url: URL;
  try {
    url = new URL(path, opts.server.endsWith('/') ? opts.server : `${opts.server}/`);
  } catch {
    return { ok: false, status: 0, message: `--server ${JSON.stringify(opts.server)} is not a URL (for example http://127.0.0.1:8000)`, body: undefined };
  }
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let res: Response;
  try {
    res = await fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return { ok: false, status: 0, message: `cannot reach the server at ${url.origin}${cause ? ` (${cause})` : ''}: start it with \`npx beamline serve\` or pass --server`, body: undefined };
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {}
  if (res.ok) return { ok: true, status: res.status, body: parsed };
  const error = (parsed as { error?: unknown } | undefined)?.error;
  return { ok: false, status: res.status, message: `${method} ${url.pathname}: ${res.status} ${typeof error === 'string' ? error : res.statusText}`, body: parsed };
}

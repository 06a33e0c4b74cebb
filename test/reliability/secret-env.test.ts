import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../runtime/models/config.js';
import { openaiBackend } from '../../runtime/nodes/llm/openai.js';
import { baseUrlAllowed, DEFAULT_SECRET_POLICY, envAllowed, secretPolicy } from '../../runtime/security/secret-policy.js';
import { type BeamlineServer, createServer } from '../../runtime/server/index.js';
import { llm as llmKind } from '../../shared/catalog/llm.js';
import { nodeContext } from '../nodes/helpers.js';

// The attack: a graph's llm node names any environment variable as its key and any
// URL as its server, and the server sends `Authorization: Bearer <value>` there.
// A listener on 127.0.0.1 records every request it receives.

const DEMO = 'demo-secret-value-7f3a9c';
const ALLOWED = 'beamline-secret-x-5b2e1d';
const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'beamline-secret-env-'));

interface Listener {
  url: string;
  seen: { path: string; auth?: string }[];
  server: Server;
  /** Paths under /redirect/ answer 307 to this URL. */
  redirectTo?: string;
}

async function listener(): Promise<Listener> {
  const seen: Listener['seen'] = [];
  const server = createHttpServer((req, res) => {
    seen.push({ path: req.url ?? '', ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
    req.resume();
    if (l.redirectTo && req.url?.startsWith('/redirect/')) {
      res.writeHead(307, { location: l.redirectTo });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'pong' } }] })}\n\ndata: [DONE]\n\n`);
  });
  const l: Listener = { url: '', seen, server };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  l.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return l;
}

function keyed(name: string, llm: Record<string, unknown>) {
  return {
    version: 1,
    name,
    routePrefix: `/${name}`,
    nodes: [
      { id: 'input', kind: 'input', config: { fields: { query: 'text' } } },
      { id: 'gen', kind: 'llm', config: { backend: 'openai', model: 'm', promptTemplate: '{question}', ...llm } },
      { id: 'output', kind: 'output', config: {} },
    ],
    edges: [
      { source: 'input', sourceHandle: 'query', target: 'gen', targetHandle: 'prompt' },
      { source: 'gen', sourceHandle: 'text', target: 'output', targetHandle: 'in' },
    ],
  };
}

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

let sink: Listener;
let other: Listener;
const servers: BeamlineServer[] = [];

async function start(opts: Parameters<typeof createServer>[0] = {}): Promise<BeamlineServer> {
  const s = await createServer({ port: 0, cpus: 2, gpus: 0, dataDir: join(dir, 'data'), log: () => {}, ...opts });
  servers.push(s);
  return s;
}

beforeAll(async () => {
  process.env.DEMO_SECRET = DEMO;
  process.env.BEAMLINE_SECRET_X = ALLOWED;
  sink = await listener();
  other = await listener();
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
afterAll(async () => {
  delete process.env.DEMO_SECRET;
  delete process.env.BEAMLINE_SECRET_X;
  for (const l of [sink, other]) await new Promise((r) => l.server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const leaked = () => [...sink.seen, ...other.seen].filter((s) => s.auth?.includes(DEMO));

describe('secrets named by a graph are only read when the operator allows them', () => {
  it('a graph naming DEMO_SECRET is refused at deploy naming node and field, and the listener never gets the secret', async () => {
    const server = await start();
    const r = await post(`${server.url}/api/graphs`, keyed('steal', { baseUrl: `${sink.url}/v1`, apiKeyEnv: 'DEMO_SECRET' }));
    expect(r.status).toBe(400);
    const body = (await r.json()) as { errors: { node?: string; path: string; message: string; fix?: string }[] };
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]).toMatchObject({ code: 'invalid_config', node: 'gen', path: '$.nodes[1].config.apiKeyEnv' });
    expect(body.errors[0].message).toContain('DEMO_SECRET');
    expect(body.errors[0].fix).toMatch(/BEAMLINE_SECRET_.*--allow-secret-env/);
    expect(JSON.stringify(body)).not.toContain(DEMO);
    // The attack's second half: call the route. Nothing is served there, nothing is sent.
    expect((await post(`${server.url}/steal`, { query: 'hi' })).status).toBe(404);
    expect(leaked()).toEqual([]);
  });

  it('BEAMLINE_SECRET_* is allowed by default; with a pinned base URL the pinned listener gets the header', async () => {
    const server = await start({ secretBaseUrls: [`${sink.url}/v1/`] });
    const r = await post(`${server.url}/api/graphs`, keyed('ok', { baseUrl: `${sink.url}/v1`, apiKeyEnv: 'BEAMLINE_SECRET_X' }));
    expect(r.status).toBe(201);
    const before = sink.seen.length;
    const answer = await post(`${server.url}/ok`, { query: 'ping' });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toBe('pong');
    expect(sink.seen.slice(before)).toEqual([{ path: '/v1/chat/completions', auth: `Bearer ${ALLOWED}` }]);
  });

  it('with a pinned base URL, a node sending its key elsewhere is refused naming baseUrl', async () => {
    const server = await start({ secretBaseUrls: [`${sink.url}/v1`] });
    const before = other.seen.length;
    for (const elsewhere of [`${other.url}/v1`, `${sink.url}/v10`, `${sink.url}/other/v1`, `${sink.url.replace('http:', 'https:')}/v1`]) {
      const r = await post(`${server.url}/api/graphs`, keyed('away', { baseUrl: elsewhere, apiKeyEnv: 'BEAMLINE_SECRET_X' }));
      expect(r.status).toBe(400);
      const body = (await r.json()) as { errors: { node?: string; path: string; message: string }[] };
      expect(body.errors.map((e) => [e.node, e.path])).toEqual([['gen', '$.nodes[1].config.baseUrl']]);
      expect(body.errors[0].message).toContain('--secret-base-url');
    }
    // A path under the pinned one, and the same origin spelt differently, are the pinned server.
    for (const [i, same] of [`${sink.url}/v1/`, `${sink.url.replace('http://', 'HTTP://')}/v1/sub/../`, `${sink.url}/v1/deeper`].entries()) {
      const r = await post(`${server.url}/api/graphs`, keyed(`same${i}`, { baseUrl: same, apiKeyEnv: 'BEAMLINE_SECRET_X' }));
      expect(r.status).toBe(201);
    }
    // Without a key nothing secret is sent: any base URL is fine.
    expect((await post(`${server.url}/api/graphs`, keyed('keyless', { baseUrl: `${other.url}/v1` }))).status).toBe(201);
    expect(other.seen.slice(before).filter((s) => s.auth)).toEqual([]);
  });

  it('a pinned server that redirects cannot carry the key past the pin', async () => {
    sink.redirectTo = `${other.url}/stolen`;
    const server = await start({ secretBaseUrls: [`${sink.url}/redirect/v1`] });
    expect((await post(`${server.url}/api/graphs`, keyed('bounce', { baseUrl: `${sink.url}/redirect/v1`, apiKeyEnv: 'BEAMLINE_SECRET_X' }))).status).toBe(201);
    const before = other.seen.length;
    const answer = await post(`${server.url}/bounce`, { query: 'hi' });
    expect(answer.status).toBe(500);
    expect(sink.seen.at(-1)).toEqual({ path: '/redirect/v1/chat/completions', auth: `Bearer ${ALLOWED}` });
    expect(other.seen.slice(before)).toEqual([]);
  });

  it('the operator can allow a variable by name (option or BEAMLINE_ALLOW_SECRET_ENV)', async () => {
    const server = await start({ allowSecretEnv: ['DEMO_SECRET'] });
    expect((await post(`${server.url}/api/graphs`, keyed('named', { baseUrl: `${sink.url}/v1`, apiKeyEnv: 'DEMO_SECRET' }))).status).toBe(201);
    await servers.pop()!.close();
    process.env.BEAMLINE_ALLOW_SECRET_ENV = 'OTHER_ONE, DEMO_SECRET';
    try {
      const fromEnv = await start();
      expect((await post(`${fromEnv.url}/api/graphs`, keyed('named', { baseUrl: `${sink.url}/v1`, apiKeyEnv: 'DEMO_SECRET' }))).status).toBe(201);
    } finally {
      delete process.env.BEAMLINE_ALLOW_SECRET_ENV;
    }
  });

  it('a stored version naming a variable no longer allowed is not restored, and rollback to it is refused', async () => {
    const dataDir = join(dir, 'persisted');
    const first = await start({ dataDir, persist: true, allowSecretEnv: ['DEMO_SECRET'] });
    expect((await post(`${first.url}/api/graphs`, keyed('kept', { baseUrl: `${sink.url}/v1`, apiKeyEnv: 'DEMO_SECRET' }))).status).toBe(201);
    await servers.pop()!.close();

    const logs: string[] = [];
    const second = await start({ dataDir, persist: true, log: (l) => logs.push(l) });
    expect(second.controller.get('kept')).toBeUndefined();
    expect(logs.join('\n')).toMatch(/could not restore kept v1: .*node gen at \$\.nodes\[1\]\.config\.apiKeyEnv/);
    expect((await post(`${second.url}/kept`, { query: 'hi' })).status).toBe(404);

    expect((await post(`${second.url}/api/graphs`, keyed('kept', { baseUrl: `${sink.url}/v1` }))).ok).toBe(true);
    const back = await post(`${second.url}/api/graphs/kept/rollback`, { version: 1 });
    expect(back.status).toBe(400);
    const body = (await back.json()) as { errors: { node?: string; path: string }[] };
    expect(body.errors.map((e) => [e.node, e.path])).toEqual([['gen', '$.nodes[1].config.apiKeyEnv']]);
    expect(leaked()).toEqual([]);
  });

  it('a replica refuses to read a variable that is not allowed even when deploy checks are bypassed', async () => {
    const server = await start();
    // controller.deploy skips the deployer's checks: the replica is the last line.
    const r = await server.controller.deploy(keyed('bypass', { baseUrl: `${sink.url}/v1`, apiKeyEnv: 'DEMO_SECRET' }));
    expect(r.ok).toBe(true);
    const answer = await post(`${server.url}/bypass`, { query: 'hi' });
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: string }).error).toMatch(/apiKeyEnv.*DEMO_SECRET.*not allowed/);
    expect(leaked()).toEqual([]);

    // The backend itself, with the default policy and with a pinned base URL.
    const cfg = (extra: Record<string, unknown>) => parseConfig(llmKind, { backend: 'openai', model: 'm', baseUrl: `${sink.url}/v1`, ...extra });
    await expect(openaiBackend(cfg({ apiKeyEnv: 'DEMO_SECRET' }), nodeContext('llm'))).rejects.toThrow(/config\.apiKeyEnv.*DEMO_SECRET.*not allowed/);
    const pinned = { ...nodeContext('llm'), secrets: { allowEnv: [], baseUrls: [`${other.url}/v1`] } };
    await expect(openaiBackend(cfg({ apiKeyEnv: 'BEAMLINE_SECRET_X' }), pinned)).rejects.toThrow(/config\.baseUrl/);
    expect(leaked()).toEqual([]);
  });
});

describe('the operator policy', () => {
  it('compares base URLs by normalised origin and whole path segments', () => {
    const p = secretPolicy({ secretBaseUrls: ['https://API.example.com:443/v1/'] });
    expect(p.baseUrls).toEqual(['https://api.example.com/v1']);
    for (const ok of ['https://api.example.com/v1', 'https://api.example.com/v1/', 'https://api.example.com/v1/x/../', 'https://api.example.com/v1/sub']) expect(baseUrlAllowed(ok, p), ok).toBe(true);
    for (const bad of ['http://api.example.com/v1', 'https://api.example.com/v10', 'https://api.example.com/', 'https://api.example.com:8443/v1', 'https://api.example.com.evil.test/v1', 'https://api.example.com@evil.test/v1', 'https://u:p@api.example.com/v1', 'https://api.example.com/v1/../v2', 'not a url']) {
      expect(baseUrlAllowed(bad, p), bad).toBe(false);
    }
    expect(baseUrlAllowed('http://anything/v1', secretPolicy({}, {}))).toBe(true);
  });

  it('reads the lists from flags, else the environment, and refuses bad values and the server token', () => {
    expect(secretPolicy({}, { BEAMLINE_ALLOW_SECRET_ENV: 'A, B C', BEAMLINE_SECRET_BASE_URLS: 'http://h/v1,https://k' })).toEqual({ allowEnv: ['A', 'B', 'C'], baseUrls: ['http://h/v1', 'https://k'] });
    expect(secretPolicy({ allowSecretEnv: ['X'] }, { BEAMLINE_ALLOW_SECRET_ENV: 'A' }).allowEnv).toEqual(['X']);
    expect(envAllowed('BEAMLINE_SECRET_ANY', DEFAULT_SECRET_POLICY)).toBe(true);
    expect(envAllowed('OPENAI_API_KEY', DEFAULT_SECRET_POLICY)).toBe(false);
    expect(() => secretPolicy({ allowSecretEnv: ['BEAMLINE_TOKEN'] })).toThrow(/own token/);
    expect(() => secretPolicy({ allowSecretEnv: ['A=B'] })).toThrow(/--allow-secret-env/);
    expect(() => secretPolicy({ secretBaseUrls: ['ftp://h'] })).toThrow(/--secret-base-url/);
    expect(() => secretPolicy({ secretBaseUrls: ['http://h/v1?x=1'] })).toThrow(/no query/);
  });
});

describe('beamline validate and serve take the operator flags', () => {
  const file = join(dir, 'steal.json');
  beforeAll(() => writeFileSync(file, JSON.stringify(keyed('steal', { baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'DEMO_SECRET' }))));
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const { BEAMLINE_ALLOW_SECRET_ENV: _a, BEAMLINE_SECRET_BASE_URLS: _b, BEAMLINE_TOKEN: _c, ...rest } = process.env;
    return spawnSync(process.execPath, [join(root, 'bin/beamline.js'), ...args], { cwd: root, env: { ...rest, ...env }, encoding: 'utf8', timeout: 60_000 });
  };

  it('validate refuses a variable that is not allowed, and accepts it with --allow-secret-env or the env list', () => {
    const refused = cli(['validate', file]);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/^node gen at \$\.nodes\[1\]\.config\.apiKeyEnv: .*DEMO_SECRET/m);
    expect(cli(['validate', file, '--allow-secret-env', 'DEMO_SECRET']).status).toBe(0);
    expect(cli(['validate', file], { BEAMLINE_ALLOW_SECRET_ENV: 'DEMO_SECRET' }).status).toBe(0);
    const pinned = cli(['validate', file, '--allow-secret-env', 'DEMO_SECRET', '--secret-base-url', 'http://127.0.0.1:8/v1', '--json']);
    expect(pinned.status).toBe(1);
    expect(JSON.parse(pinned.stdout).errors.map((e: { path: string }) => e.path)).toEqual(['$.nodes[1].config.baseUrl']);
    const bad = cli(['validate', file, '--secret-base-url', 'ftp://x']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--secret-base-url/);
  });

  it('serve graph.json refuses it before anything is sent', () => {
    const r = cli(['serve', '--port', '0', '--data-dir', join(dir, 'serve-data'), '--no-persist', file], { DEMO_SECRET: DEMO });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/node gen at \$\.nodes\[1\]\.config\.apiKeyEnv/);
    expect(r.stdout + r.stderr).not.toContain(DEMO);
  });
});

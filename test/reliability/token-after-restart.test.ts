import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphStore } from '../../runtime/controlplane/store.js';
import { echoGraph, TESTKIT } from '../runtime/helpers.js';

// A graph deployed while the server had no token must not stay public once the
// server is restarted with `--host 0.0.0.0 --token T`: only an explicit
// ?dataPlane=open keeps a graph open, and the restart log names every open graph.

const root = resolve(import.meta.dirname, '../..');
const TOKEN = 'restart-token-abcdef0123456789';
const dir = mkdtempSync(join(tmpdir(), 'beamline-token-restart-'));
const children: ChildProcess[] = [];
const sockets: Socket[] = [];
afterAll(() => {
  for (const c of sockets) c.close();
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});


interface Served {
  port: number;
  out(): string;
  stop(): Promise<void>;
}

/** `beamline serve` in a child process, as an operator runs it; resolves once it prints its URL. */
function serve(args: string[]): Promise<Served> {
  const { BEAMLINE_TOKEN: _, BEAMLINE_ALLOWED_HOSTS: __, ...env } = process.env;
  const child = spawn(process.execPath, [join(root, 'bin/beamline.js'), 'serve', '--port', '0', '--data-dir', join(dir, 'data'), '--nodes', TESTKIT, '--cpus', '4', '--gpus', '0', ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return new Promise((ok, fail) => {
    const onData = () => {
      const m = /Beamline on http:\/\/\S+:(\d+)/.exec(out);
      if (!m) return;
      child.stdout!.off('data', onData);
      ok({
        port: Number(m[1]),
        out: () => out,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`serve exited with ${code}:\n${out}`)));
  });
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
function call(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; json: any }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {}
        ok({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('error', fail);
    req.end(body);
  });
}

async function invokeOverSocket(port: number, graphName: string, token?: string) {
  const c = connect(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false, forceNew: true, ...(token ? { auth: { token } } : {}) });
  sockets.push(c);
  await new Promise<void>((ok, fail) => {
    c.once('connect', () => ok());
    c.once('connect_error', fail);
  });
  const r = await c.emitWithAck('invoke', { graph: graphName, input: { x: 'hello' } });
  c.close();
  return r;
}

describe('graphs deployed before a token was set', () => {
  it('follow the token after a restart with one; only an explicit dataPlane=open stays open, and the log says so', async () => {
    const first = await serve([]);
    expect((await call(first.port, 'POST', '/api/graphs', {}, JSON.stringify(echoGraph('quiet')))).status).toBe(201);
    expect((await call(first.port, 'POST', '/api/graphs?dataPlane=open', {}, JSON.stringify(echoGraph('public')))).status).toBe(201);
    expect((await call(first.port, 'POST', '/quiet', {}, '{"x":1}')).json).toBe(1);
    await first.stop();

    // A row written by an older version: the server's default ("open", no token) stored as if chosen.
    const store = new GraphStore(join(dir, 'data'));
    store.deploy('legacy', echoGraph('legacy'), { dataPlane: { auth: 'open' } });
    store.close();

    const second = await serve(['--host', '0.0.0.0', '--token', TOKEN, '--allowed-host', 'beamline.test']);
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const name of ['quiet', 'legacy']) {
      const r = await call(second.port, 'POST', `/${name}`, {}, '{"x":2}');
      expect(r.status, name).toBe(401);
      expect(r.json.code).toBe('unauthorized');
      expect(await invokeOverSocket(second.port, name)).toMatchObject({ ok: false, status: 401 });
      expect((await call(second.port, 'POST', `/${name}`, auth, '{"x":3}')).json).toBe(3);
      expect(await invokeOverSocket(second.port, name, TOKEN)).toMatchObject({ ok: true, output: 'hello' });
    }
    // The operator's explicit choice is kept, and named at start.
    expect((await call(second.port, 'POST', '/public', {}, '{"x":4}')).json).toBe(4);
    expect(await invokeOverSocket(second.port, 'public')).toMatchObject({ ok: true, output: 'hello' });
    const log = second.out();
    const openLine = log.split('\n').find((l) => l.startsWith('data plane open to anyone:'));
    expect(openLine).toBeDefined();
    expect(openLine).toContain('public (deployed with dataPlane=open)');
    expect(openLine).not.toMatch(/quiet|legacy/);
    expect(log).toMatch(/legacy: stored with dataPlane "open" by an older version.*follows the server's token/);
    // --allowed-host reached the server: a name the operator listed is answered, another is not.
    expect((await call(second.port, 'POST', '/public', { host: `beamline.test:${second.port}` }, '{"x":5}')).status).toBe(200);
    expect((await call(second.port, 'POST', '/public', { host: `evil.example:${second.port}` }, '{"x":5}')).status).toBe(421);
    await second.stop();
  });
});

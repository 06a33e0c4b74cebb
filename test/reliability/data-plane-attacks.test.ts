// Attacks on the data plane (issue 12, items 7 and 11), each performed through real clients
// against a real server: a body that never ends, clients that send and go away, oversized fields.
import { type Socket, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { graph, post, startServer } from '../runtime/helpers.js';

let s: BeamlineServer;
/** Every connection the server accepted, to read how much it took off the wire. */
const accepted: Socket[] = [];

beforeAll(async () => {
  s = await startServer();
  s.http.on('connection', (sock: Socket) => accepted.push(sock));
  const g = graph('echo', [{ id: 'n', kind: 'test-echo' }], [
    ['input', 'n'],
    ['n', 'output'],
  ]);
  expect((await s.deploy(g)).ok).toBe(true);
});
afterAll(() => s?.close());

/** Sends `head`, then keeps writing `chunk` (up to 512 MB) until the server closes the connection. */
async function endlessBody(head: string, chunk: Buffer): Promise<{ answer: string; closed: boolean; serverRead: number }> {
  const before = accepted.length;
  const sock = connect(s.port, '127.0.0.1');
  await new Promise<void>((ok, fail) => sock.once('connect', ok).once('error', fail));
  let answer = '';
  let closed = false;
  sock.on('data', (d) => {
    answer += d.toString('latin1');
  });
  sock.on('error', () => {});
  const done = new Promise<void>((ok) => sock.once('close', () => ok()));
  void done.then(() => {
    closed = true;
  });
  sock.write(head);
  const LIMIT = 512 * 1024 * 1024;
  let written = 0;
  while (!closed && written < LIMIT) {
    const more = sock.write(chunk);
    written += chunk.length;
    if (!more) await Promise.race([new Promise((r) => sock.once('drain', r)), done]);
  }
  const wasClosed = closed;
  sock.destroy();
  const server = accepted[before];
  return { answer, closed: wasClosed, serverRead: server?.bytesRead ?? Number.NaN };
}

describe('a body that never ends (item 11)', () => {
  const check = async (r: { answer: string; closed: boolean; serverRead: number }) => {
    expect(r.answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.answer.toLowerCase()).toContain('connection: close');
    expect(r.answer).toContain('"path":"$"');
    expect(r.closed).toBe(true);
    // What the server took off the wire stays near the limit (10 MB) plus socket buffers, not what the client wrote.
    expect(r.serverRead).toBeLessThan(64 * 1024 * 1024);
    // The server is still serving.
    expect((await post(`${s.url}/echo`, { x: 1 })).body).toBe(1);
  };

  it('Content-Length: 1e12 then endless writes: 413 with Connection: close, the server closes the socket and stops reading', async () => {
    const head = 'POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n';
    await check(await endlessBody(head, Buffer.alloc(64 * 1024, 0x20)));
  });

  it('a chunked body past the limit: the same 413, close and bounded read', async () => {
    const head = 'POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const data = Buffer.alloc(64 * 1024, 0x20);
    await check(await endlessBody(head, Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')])));
  });
});

import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { MAX_SUBSCRIPTIONS } from '../../runtime/server/socket.js';
import { startServer } from '../runtime/helpers.js';

// socket.io `subscribe` joined a room named after whatever string it was given:
// 200 subscribes of 5 MB names held ~1 GB for as long as the socket stayed open,
// on the default server, without a token.

describe('socket.io subscribe on the default server', () => {
  let s: BeamlineServer;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => {
    for (const c of sockets) c.close();
    await s?.close();
  });

  async function client(): Promise<Socket> {
    const c = connect(s.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(c);
    await new Promise<void>((ok, fail) => {
      c.once('connect', () => ok());
      c.once('connect_error', fail);
    });
    return c;
  }
  /** Every status subscription room the server holds (graph:<name>). */
  const subscriptionRooms = () => [...s.io.sockets.adapter.rooms.keys()].filter((r) => r.startsWith('graph:'));

  it('200 subscribes of 5 MB names are refused and nothing keeps them', { timeout: 180_000 }, async () => {
    const c = await client();
    const huge = 'a'.repeat(5 * 1024 * 1024);
    for (let i = 0; i < 200; i++) {
      const ack = await c.emitWithAck('subscribe', { graph: `${i}${huge}` });
      expect(ack).toMatchObject({ ok: false, status: 400, path: '$.graph', code: 'bad_request' });
    }
    expect(c.connected).toBe(true);
    // What would hold the memory: a room per name. None was made.
    expect(subscriptionRooms()).toEqual([]);
    expect(await c.emitWithAck('subscribe', { graph: 'fine-name' })).toMatchObject({ ok: true });
    expect(subscriptionRooms()).toEqual(['graph:fine-name']);
    c.emit('unsubscribe', { graph: 'fine-name' });
    expect(await c.emitWithAck('subscribe', { graph: 'Not A Name' })).toMatchObject({ ok: false, status: 400 });
    expect(await c.emitWithAck('subscribe', { graph: 42 })).toMatchObject({ ok: false, status: 400 });
    expect(await c.emitWithAck('subscribe', {})).toMatchObject({ ok: false, status: 400 });
    expect(subscriptionRooms()).toEqual([]);
  });

  it(`one connection holds at most ${MAX_SUBSCRIPTIONS} subscriptions`, async () => {
    const c = await client();
    const acks = [];
    for (let i = 0; i < MAX_SUBSCRIPTIONS + 8; i++) acks.push(await c.emitWithAck('subscribe', { graph: `g${i}` }));
    expect(acks.slice(0, MAX_SUBSCRIPTIONS).every((a) => a.ok)).toBe(true);
    for (const a of acks.slice(MAX_SUBSCRIPTIONS)) expect(a).toMatchObject({ ok: false, status: 429, code: 'too_many_subscriptions' });
    expect(subscriptionRooms()).toHaveLength(MAX_SUBSCRIPTIONS);
    // Subscribing again to one it holds is fine; leaving one frees a place.
    expect(await c.emitWithAck('subscribe', { graph: 'g0' })).toMatchObject({ ok: true });
    c.emit('unsubscribe', { graph: 'g0' });
    expect(await c.emitWithAck('subscribe', { graph: `g${MAX_SUBSCRIPTIONS}` })).toMatchObject({ ok: true });
    expect(await c.emitWithAck('subscribe', { graph: 'one-more' })).toMatchObject({ ok: false, status: 429 });
    // The bound is per connection: another one starts from zero, and a closed one frees its rooms.
    const other = await client();
    expect(await other.emitWithAck('subscribe', { graph: 'g1' })).toMatchObject({ ok: true });
    c.close();
    other.close();
    const end = Date.now() + 10_000;
    while (subscriptionRooms().length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(subscriptionRooms()).toEqual([]);
  });
});

import { parentPort } from 'node:worker_threads';
import { type CallContext, type NodeInstance, NodeInputError } from '../../nodes/types.js';
import { Batcher } from './batching.js';
import { loadImplementation } from './load-implementation.js';
import type { CallMessage, FromWorker, InitMessage, ToWorker } from './messages.js';
import { Multiplexed } from './multiplexed.js';
import { Outbox } from './outbox.js';

/** One replica: loads its node once, then serves calls, health checks and close. */
const port = parentPort!;
let instance: NodeInstance | undefined;
let batcher: Batcher | undefined;
/** A multiplexed node's models, loaded per call instead of one instance at start. */
let mux: Multiplexed | undefined;
/** Per call in flight, for a cancel message. */
const calls = new Map<number, Call>();

/** Messages produced in one turn of the event loop go back as one postMessage. */
const outbox = new Outbox<FromWorker>((out) => {
  try {
    port.postMessage(out.length === 1 ? out[0] : ({ t: 'many', items: out } satisfies FromWorker));
  } catch {
    // Something in the batch cannot be cloned (a function or a class instance in a node's
    // output): send the items one by one, that one as its caller's error.
    for (const m of out) {
      try {
        port.postMessage(m);
      } catch (e) {
        if (m.t === 'result') port.postMessage({ t: 'error', id: m.id, error: `output cannot be sent from the replica: ${(e as Error).message}` } satisfies FromWorker);
      }
    }
  }
});
const send = (m: FromWorker): void => outbox.push(m);

function fail(id: number, e: unknown) {
  const err = e instanceof Error ? e : new Error(String(e));
  const inputError = err instanceof NodeInputError || err.name === 'NodeInputError';
  send({ t: 'error', id, error: err.message, ...(inputError ? { inputError: true, path: (err as NodeInputError).path } : {}) });
}

/**
 * A call's context: one object per call; the AbortController and the token
 * emitter are made only for nodes that ask for them.
 */
class Call implements CallContext {
  private index = 0;
  private ctrl: AbortController | undefined;
  private emit: ((token: string) => void) | undefined;
  constructor(
    readonly id: number,
    readonly requestId: string,
  ) {}
  get signal(): AbortSignal {
    this.ctrl ??= new AbortController();
    return this.ctrl.signal;
  }
  get emitToken(): (token: string) => void {
    this.emit ??= (token) => send({ t: 'token', id: this.id, token, index: this.index++ });
    return this.emit;
  }
  abort(): void {
    this.ctrl ??= new AbortController();
    this.ctrl.abort();
  }
}

async function init(m: InitMessage) {
  try {
    const impl = await loadImplementation(m.kind, m.modules);
    const ctx = { ...m.ctx, log: (message: string) => send({ t: 'log', message }), count: (event: string, n = 1) => send({ t: 'count', event, n }) };
    if (m.multiplex) mux = new Multiplexed(impl, m.config, m.multiplex, ctx, m.batching, send, fail);
    else {
      instance = await impl.setup(m.config, ctx);
      if (m.batching && instance.batch) batcher = new Batcher(instance, m.batching, send, fail);
    }
    send({ t: 'ready' });
  } catch (e) {
    send({ t: 'loadError', error: e instanceof Error ? e.message : String(e) });
  }
}

function call(m: CallMessage) {
  const ctx = new Call(m.id, m.requestId);
  calls.set(m.id, ctx);
  if (mux) return mux.call(m, ctx, () => calls.delete(m.id));
  if (batcher) return batcher.add(m.id, m.inputs, ctx, () => calls.delete(m.id));
  instance!.call(m.inputs, ctx).then(
    (outputs) => {
      calls.delete(m.id);
      send({ t: 'result', id: m.id, outputs });
    },
    (e) => {
      calls.delete(m.id);
      fail(m.id, e);
    },
  );
}

function handle(m: ToWorker): void {
  if (m.t === 'call') call(m);
  else if (m.t === 'many') for (const x of m.items) handle(x);
  else if (m.t === 'init') void init(m);
  else if (m.t === 'cancel') calls.get(m.id)?.abort();
  else if (m.t === 'health') {
    Promise.resolve()
      .then(() => (mux ? mux.health() : instance?.health?.()))
      .then(
        () => send({ t: 'health', id: m.id }),
        (e) => send({ t: 'health', id: m.id, error: e instanceof Error ? e.message : String(e) }),
      );
  } else if (m.t === 'close') {
    Promise.resolve()
      .then(() => (mux ? mux.closeAll() : instance?.close?.()))
      .catch(() => {})
      .finally(() => send({ t: 'closed' }));
  }
}

port.on('message', handle);

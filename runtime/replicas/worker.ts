import { parentPort } from 'node:worker_threads';
import { type CallContext, type NodeInstance, NodeInputError } from '../nodes/types.js';
import { Batcher } from '../batching.js';
import { loadImplementation } from './load-implementation.js';
import type { CallMessage, FromWorker, InitMessage, ToWorker } from './messages.js';

/** One replica: loads its node once, then serves calls, health checks and close. */
const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);
let instance: NodeInstance | undefined;
let batcher: Batcher | undefined;
const calls = new Map<number, AbortController>();

function fail(id: number, e: unknown) {
  const err = e instanceof Error ? e : new Error(String(e));
  const inputError = err instanceof NodeInputError || err.name === 'NodeInputError';
  send({ t: 'error', id, error: err.message, ...(inputError ? { inputError: true, path: (err as NodeInputError).path } : {}) });
}

function context(m: CallMessage, abort: AbortController): CallContext {
  let index = 0;
  return { requestId: m.requestId, signal: abort.signal, emitToken: (token) => send({ t: 'token', id: m.id, token, index: index++ }) };
}

async function init(m: InitMessage) {
  try {
    const impl = await loadImplementation(m.kind, m.modules);
    instance = await impl.setup(m.config, { ...m.ctx, log: (message) => send({ t: 'log', message }) });
    if (m.batching && instance.batch) batcher = new Batcher(instance, m.batching, send, fail);
    send({ t: 'ready' });
  } catch (e) {
    send({ t: 'loadError', error: e instanceof Error ? e.message : String(e) });
  }
}

function call(m: CallMessage) {
  const abort = new AbortController();
  calls.set(m.id, abort);
  const ctx = context(m, abort);
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

port.on('message', (m: ToWorker) => {
  if (m.t === 'call') call(m);
  else if (m.t === 'init') void init(m);
  else if (m.t === 'cancel') calls.get(m.id)?.abort();
  else if (m.t === 'health') {
    Promise.resolve()
      .then(() => instance?.health?.())
      .then(
        () => send({ t: 'health', id: m.id }),
        (e) => send({ t: 'health', id: m.id, error: e instanceof Error ? e.message : String(e) }),
      );
  } else if (m.t === 'close') {
    Promise.resolve()
      .then(() => instance?.close?.())
      .catch(() => {})
      .finally(() => send({ t: 'closed' }));
  }
});

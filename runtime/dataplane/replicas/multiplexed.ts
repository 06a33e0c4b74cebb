import type { CallContext, NodeContext, NodeImplementation, NodeInstance } from '../../nodes/types.js';
import { Batcher } from './batching.js';
import type { CallMessage, FromWorker, InitMessage } from './messages.js';

/** One model of a multiplexed replica: loading, or loaded with its batcher; closed once evicted and idle. */
interface Entry {
  readonly model: string;
  instance?: NodeInstance;
  batcher?: Batcher;
  /** Set while the model loads; every call for it waits on the one load. */
  loading?: Promise<void>;
  /** Calls using it now: an evicted model is closed when the last one ends. */
  refs: number;
  evicted: boolean;
}

/**
 * A multiplexed replica's models (Ray Serve's @serve.multiplexed): a model loads on its
 * first call (from `folder`/<id> into the kind's model field), at most `maxModels` stay
 * loaded, and the least recently used one is evicted before another loads. Loads of one
 * model are shared by the calls that wait for it. Every load, eviction, hit and miss is
 * told to the main thread, loads and evictions with the models now held (the router
 * routes by them).
 */
export class Multiplexed {
  /** Least recently used first (a Map keeps insertion order; a use moves the model to the end). */
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly impl: NodeImplementation,
    private readonly config: Record<string, unknown>,
    private readonly opts: NonNullable<InitMessage['multiplex']>,
    private readonly ctx: NodeContext,
    private readonly batching: InitMessage['batching'],
    private readonly send: (m: FromWorker) => void,
    private readonly fail: (id: number, e: unknown) => void,
  ) {}

  /** One call: its model loaded if needed, then run (batched with that model's calls only); `done` when it has answered. */
  call(m: CallMessage, ctx: CallContext, done: () => void): void {
    const model = m.model;
    if (model === undefined) {
      done();
      this.fail(m.id, new Error('a multiplexed node was called without a model id'));
      return;
    }
    const t0 = performance.now();
    let e = this.entries.get(model);
    const hit = e?.instance !== undefined;
    if (e) {
      this.entries.delete(model);
      this.entries.set(model, e);
    } else e = this.load(model);
    e.refs++;
    const entry = e;
    const end = (): void => {
      done();
      this.send({ t: 'mux', ev: hit ? 'hit' : 'miss', model, ms: performance.now() - t0 });
      if (--entry.refs === 0 && entry.evicted) void this.close(entry);
    };
    if (entry.loading) {
      entry.loading.then(
        () => this.run(entry, m, ctx, end),
        (err) => {
          end();
          this.fail(m.id, err);
        },
      );
    } else this.run(entry, m, ctx, end);
  }

  private run(e: Entry, m: CallMessage, ctx: CallContext, end: () => void): void {
    if (e.batcher) {
      e.batcher.add(m.id, m.inputs, ctx, end);
      return;
    }
    e.instance!.call(m.inputs, ctx).then(
      (outputs) => {
        end();
        this.send({ t: 'result', id: m.id, outputs });
      },
      (err) => {
        end();
        this.fail(m.id, err);
      },
    );
  }

  private load(model: string): Entry {
    // Evict first, so a replica never holds more than maxModels at once (a model may be large).
    for (const old of this.entries.values()) {
      if (this.entries.size < this.opts.maxModels) break;
      if (old.loading) continue;
      this.entries.delete(old.model);
      old.evicted = true;
      this.send({ t: 'mux', ev: 'evict', model: old.model, held: this.held() });
      if (old.refs === 0) void this.close(old);
    }
    const e: Entry = { model, refs: 0, evicted: false };
    const t0 = performance.now();
    const config = { ...this.config, [this.opts.field]: `${this.opts.folder.replace(/[\\/]+$/, '')}/${model}` };
    e.loading = this.impl.setup(config, this.ctx).then(
      (instance) => {
        e.instance = instance;
        e.loading = undefined;
        if (this.batching && instance.batch) e.batcher = new Batcher(instance, this.batching, this.send, this.fail);
        this.send({ t: 'mux', ev: 'load', model, ms: performance.now() - t0, held: this.held() });
        if (e.evicted && e.refs === 0) void this.close(e);
      },
      (err) => {
        // Not kept: the next call tries again (the folder may be fixed meanwhile).
        if (this.entries.get(model) === e) this.entries.delete(model);
        this.send({ t: 'mux', ev: 'held', model, held: this.held() });
        throw new Error(`model "${model}": ${err instanceof Error ? err.message : String(err)}`);
      },
    );
    this.entries.set(model, e);
    this.send({ t: 'mux', ev: 'held', model, held: this.held() });
    return e;
  }

  private held(): string[] {
    return [...this.entries.keys()];
  }

  private async close(e: Entry): Promise<void> {
    try {
      await e.instance?.close?.();
    } catch (err) {
      this.ctx.log(`closing model "${e.model}" failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async health(): Promise<void> {
    for (const e of this.entries.values()) await e.instance?.health?.();
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => this.close(e)));
  }
}

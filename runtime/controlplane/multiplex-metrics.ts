import type { Registry } from 'prom-client';
import type { MultiplexTotals } from '../../shared/protocol.js';
import type { MultiplexEvent } from '../dataplane/replicas/messages.js';
import { type CounterSeries, type HistogramSeries, SeriesCounter, SeriesHistogram } from './metric-series.js';

/** Models labelled by name per node; the rest count as "other", so a client naming ids at will cannot grow the scrape without bound. */
export const MODEL_LABELS = 100;
const LATENCY_BUCKETS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

/** One multiplexed node's handle: its replicas' model events go here. */
export interface NodeMultiplexMetrics {
  event(ev: MultiplexEvent, model: string, ms?: number): void;
}

interface NodeSeries {
  models: Set<string>;
  totals: MultiplexTotals;
}

/**
 * Model multiplexing in /metrics: loads, evictions, hits and misses per model, a call's
 * latency per model (in the replica, the load included on a miss) and load times, labelled
 * graph/node/kind/model.
 */
export class MultiplexMetrics {
  private readonly counters: Record<MultiplexEvent, SeriesCounter>;
  private readonly latency: SeriesHistogram;
  private readonly loadTime: SeriesHistogram;
  private readonly nodes = new Map<string, NodeSeries>();

  constructor(registry: Registry) {
    this.counters = {
      load: new SeriesCounter('beamline_multiplex_loads_total', 'Models a multiplexed replica loaded.', registry),
      evict: new SeriesCounter('beamline_multiplex_evictions_total', 'Models a multiplexed replica evicted (least recently used, beyond maxModelsPerReplica).', registry),
      hit: new SeriesCounter('beamline_multiplex_hits_total', 'Calls whose replica had their model loaded.', registry),
      miss: new SeriesCounter('beamline_multiplex_misses_total', 'Calls whose replica had to load their model (or wait for its load).', registry),
    };
    this.latency = new SeriesHistogram('beamline_multiplex_model_latency_ms', 'Time a multiplexed call took in its replica, per model, a load included on a miss (ms).', LATENCY_BUCKETS, registry);
    this.loadTime = new SeriesHistogram('beamline_multiplex_load_latency_ms', 'Time a multiplexed replica took to load a model (ms).', LATENCY_BUCKETS, registry);
  }

  node(graph: string, node: string, kind: string): NodeMultiplexMetrics {
    const key = `${graph}\0${node}`;
    let s = this.nodes.get(key);
    if (!s) {
      s = { models: new Set(), totals: { loads: 0, evictions: 0, hits: 0, misses: 0 } };
      this.nodes.set(key, s);
    }
    const series = s;
    const counters = this.counters;
    const latency = this.latency;
    const loadTime = this.loadTime;
    const loadSeries: HistogramSeries = loadTime.at(`${key}\0${kind}`, { graph, node, kind });
    return {
      event(ev, model, ms) {
        const label = series.models.has(model) || series.models.size < MODEL_LABELS ? model : 'other';
        series.models.add(label);
        const mk = `${key}\0${kind}\0${label}`;
        const labels = { graph, node, kind, model: label };
        const c: CounterSeries = counters[ev].at(mk, labels);
        c.value++;
        if (ev === 'load') {
          series.totals.loads++;
          if (ms !== undefined) loadTime.observe(loadSeries, ms);
        } else if (ev === 'evict') series.totals.evictions++;
        else {
          if (ev === 'hit') series.totals.hits++;
          else series.totals.misses++;
          if (ms !== undefined) latency.observe(latency.at(mk, labels), ms);
        }
      },
    };
  }

  /** Counts since the graph was deployed, for its status; undefined for a node that is not multiplexed. */
  totals(graph: string, node: string): MultiplexTotals | undefined {
    const t = this.nodes.get(`${graph}\0${node}`)?.totals;
    return t && { ...t };
  }

  forget(graph: string): void {
    for (const k of this.nodes.keys()) if (k.startsWith(`${graph}\0`)) this.nodes.delete(k);
    for (const m of [...Object.values(this.counters), this.latency, this.loadTime]) m.drop(`${graph}\0`);
  }
}

/**
 * Run history: every invocation from the console, per graph (input, output,
 * trace, every node's output, status, time), newest first, kept in the browser.
 * Pure over a key-value store.
 */
import type { TraceSpan } from '../../shared/protocol.js';
import type { KeyValue } from './drafts.js';

export interface NodeRun {
  state: 'running' | 'done' | 'error';
  ms?: number;
  preview?: string;
  error?: string;
  /** The node's whole output (the server sends it when the invoke asks for outputs). */
  output?: unknown;
  /** Why `output` is missing: too large to send, or dropped to keep the history small. */
  outputOmitted?: string;
}

export interface RunRecord {
  id: string;
  graph: string;
  /** The console text as typed. */
  input: string;
  at: number;
  /** Wall time from invoke to ack. */
  ms: number;
  status: 'ok' | 'error';
  output?: unknown;
  error?: string;
  trace: TraceSpan[];
  nodes: Record<string, NodeRun>;
  tokens: string;
}

export const RUNS_KEY = 'beamline.runs.v1';
export const INPUTS_KEY = 'beamline.inputs.v1';
export const HISTORY_LIMIT = 25;
/** Bytes of JSON the whole history may take in localStorage (its quota is about 5 MB, shared with drafts). */
export const HISTORY_BYTES = 1_500_000;

export type History = Record<string, RunRecord[]>;

/** The history with `run` first in its graph's list, at most `limit` per graph. */
export function addRun(history: History, run: RunRecord, limit = HISTORY_LIMIT): History {
  return { ...history, [run.graph]: [run, ...(history[run.graph] ?? []).filter((r) => r.id !== run.id)].slice(0, limit) };
}

/**
 * The history cut to fit `maxBytes` of JSON: node outputs of the oldest runs are dropped
 * first (their previews stay), then the oldest runs themselves.
 */
export function fitHistory(history: History, maxBytes = HISTORY_BYTES): History {
  const size = (h: History) => JSON.stringify(h).length;
  if (size(history) <= maxBytes) return history;
  const all = Object.values(history)
    .flat()
    .sort((a, b) => a.at - b.at);
  const slim = new Map<string, RunRecord>();
  let h = history;
  for (const r of all) {
    const nodes = Object.fromEntries(
      Object.entries(r.nodes).map(([id, n]) => {
        const { output: _, ...rest } = n;
        return [id, 'output' in n ? { ...rest, outputOmitted: 'dropped from the saved history to keep it small' } : rest];
      }),
    );
    slim.set(r.id, { ...r, nodes });
    h = rebuild(history, slim, new Set());
    if (size(h) <= maxBytes) return h;
  }
  const gone = new Set<string>();
  for (const r of all) {
    gone.add(r.id);
    h = rebuild(history, slim, gone);
    if (size(h) <= maxBytes) return h;
  }
  return {};
}

function rebuild(history: History, replaced: Map<string, RunRecord>, gone: Set<string>): History {
  const out: History = {};
  for (const [g, runs] of Object.entries(history)) {
    const kept = runs.filter((r) => !gone.has(r.id)).map((r) => replaced.get(r.id) ?? r);
    if (kept.length) out[g] = kept;
  }
  return out;
}

export function readHistory(kv: KeyValue): History {
  try {
    const raw = JSON.parse(kv.getItem(RUNS_KEY) ?? '{}') as unknown;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
    const out: History = {};
    for (const [g, runs] of Object.entries(raw as Record<string, unknown>)) {
      if (!Array.isArray(runs)) continue;
      const ok = runs.filter((r): r is RunRecord => typeof r?.id === 'string' && typeof r.input === 'string' && typeof r.at === 'number' && typeof r.nodes === 'object' && r.nodes !== null);
      if (ok.length) out[g] = ok.map((r) => ({ ...r, trace: Array.isArray(r.trace) ? r.trace : [], tokens: typeof r.tokens === 'string' ? r.tokens : '' }));
    }
    return out;
  } catch {
    return {};
  }
}

export function writeHistory(kv: KeyValue, history: History): void {
  try {
    kv.setItem(RUNS_KEY, JSON.stringify(fitHistory(history)));
  } catch {}
}

/** The console text of each graph: the input belongs to its graph. */
export function readInputs(kv: KeyValue): Record<string, string> {
  try {
    const raw = JSON.parse(kv.getItem(INPUTS_KEY) ?? '{}') as unknown;
    if (typeof raw !== 'object' || raw === null) return {};
    return Object.fromEntries(Object.entries(raw as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

export function writeInputs(kv: KeyValue, inputs: Record<string, string>): void {
  try {
    kv.setItem(INPUTS_KEY, JSON.stringify(inputs));
  } catch {}
}

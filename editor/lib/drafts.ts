/**
 * Drafts: the graphs being edited, autosaved in the browser (localStorage) so a
 * closed tab or a reload loses nothing. One draft per graph name; pure over a
 * key-value store so it is tested without a browser.
 */
import { type Graph, GraphSchema } from '../../shared/graph.js';

export interface Draft {
  /** The graph's name when it was saved: one draft per name. */
  key: string;
  graph: Graph;
  /** What the draft was edited from (the file, example or deployed version), so "unsaved" survives a reload. */
  base: Graph | null;
  savedAt: number;
}

export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const DRAFTS_KEY = 'beamline.drafts.v1';
/** Most drafts kept; the oldest go first. */
export const DRAFTS_LIMIT = 20;

function parse(kv: KeyValue): Draft[] {
  let raw: unknown;
  try {
    raw = JSON.parse(kv.getItem(DRAFTS_KEY) ?? '[]');
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  const out: Draft[] = [];
  for (const d of raw as Partial<Draft>[]) {
    // A draft written by another version of the editor, or edited by hand, is skipped rather than crashing the page.
    const g = GraphSchema.safeParse(d?.graph);
    if (!g.success || typeof d.key !== 'string' || typeof d.savedAt !== 'number') continue;
    const base = d.base ? GraphSchema.safeParse(d.base) : undefined;
    out.push({ key: d.key, graph: g.data, base: base?.success ? base.data : null, savedAt: d.savedAt });
  }
  return out;
}

/** Every draft, newest first. */
export function readDrafts(kv: KeyValue): Draft[] {
  return parse(kv).sort((a, b) => b.savedAt - a.savedAt);
}

/** Saves (or replaces) the draft of `draft.key`; false when the browser refused (storage full or off). */
export function saveDraft(kv: KeyValue, draft: Draft): boolean {
  const rest = parse(kv).filter((d) => d.key !== draft.key);
  const all = [draft, ...rest].sort((a, b) => b.savedAt - a.savedAt).slice(0, DRAFTS_LIMIT);
  try {
    kv.setItem(DRAFTS_KEY, JSON.stringify(all));
    return true;
  } catch {
    return false;
  }
}

export function dropDraft(kv: KeyValue, key: string): void {
  const rest = parse(kv).filter((d) => d.key !== key);
  try {
    if (rest.length) kv.setItem(DRAFTS_KEY, JSON.stringify(rest));
    else kv.removeItem(DRAFTS_KEY);
  } catch {}
}

/** A Map as a KeyValue: tests, and browsers with storage switched off. */
export function memoryKeyValue(): KeyValue {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) };
}

/** localStorage when the page may use it, else memory (tests, private modes that throw). */
export function browserKeyValue(): KeyValue {
  try {
    if (typeof localStorage !== 'undefined') {
      localStorage.getItem(DRAFTS_KEY);
      return localStorage;
    }
  } catch {}
  return memoryKeyValue();
}

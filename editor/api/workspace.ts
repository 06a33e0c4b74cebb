/**
 * The editor as a workspace of the running server: what it opens at start, the
 * deployments poll, drafts autosaved in the browser and offered back, the run
 * history kept per graph, and the question asked before unsaved edits are dropped.
 */
import { autoAttach } from '../lib/deployments.js';
import { browserKeyValue, type Draft, dropDraft, readDrafts, saveDraft } from '../lib/drafts.js';
import { readHistory, readInputs, writeHistory, writeInputs } from '../lib/runs.js';
import { useEditor } from '../store/graph.js';
import { api } from './client.js';
import { refreshIndexes } from './indexes.js';
import { attach, connectLive, syncAttachment } from './live.js';

const st = () => useEditor.getState();
const kv = browserKeyValue();
export const POLL_MS = 1000;
const AUTOSAVE_MS = 500;

/**
 * Asks before unsaved edits are dropped (New, Open, examples, another graph, a draft);
 * true to go on. Discarding also forgets the autosaved draft: the user chose so.
 */
export function confirmDiscard(action: string): Promise<boolean> {
  const s = st();
  if (!s.dirty) return Promise.resolve(true);
  return new Promise((resolve) => {
    s.openDialog({
      kind: 'confirm',
      title: 'Unsaved changes',
      message: `${s.meta.name} has changes that are not saved or deployed. ${action} anyway and drop them?`,
      confirm: 'Discard changes',
      cancel: 'Keep editing',
      resolve: (ok) => {
        if (ok) dropDraft(kv, st().meta.name);
        resolve(ok);
      },
    });
  });
}

export const drafts = (): Draft[] => readDrafts(kv);

export function forgetDraft(key: string): void {
  dropDraft(kv, key);
  if (st().draftOffer?.key === key) st().offerDraft(null);
}

/** Puts a draft back on the canvas, still unsaved against what it was edited from. */
export async function restoreDraft(d: Draft): Promise<void> {
  if (!(await confirmDiscard(`Restoring the draft of ${d.key}`))) return;
  st().load(d.graph, { baseline: d.base });
  st().offerDraft(null);
  st().showView('editor');
  st().notify(`Restored the draft of ${d.key}`, 'ok');
}

let polling = false;
async function pollOnce(): Promise<void> {
  try {
    st().setDeployments((await api.deployments()).deployments);
  } catch {
    st().setDeployments(null);
  }
  syncAttachment();
}

function startPolling(): void {
  if (polling) return;
  polling = true;
  const loop = async () => {
    await pollOnce();
    setTimeout(loop, POLL_MS);
  };
  setTimeout(loop, POLL_MS);
}

/** Autosave while unsaved; a draft that matches what it was edited from again is dropped. */
function autosave(): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  useEditor.subscribe((s, prev) => {
    if (s.dirty && (s.nodes !== prev.nodes || s.edges !== prev.edges || s.meta !== prev.meta || !prev.dirty)) {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const now = st();
        if (now.dirty) saveDraft(kv, { key: now.meta.name, graph: now.exportGraph(), base: now.baseline, savedAt: Date.now() });
      }, AUTOSAVE_MS);
    } else if (!s.dirty && prev.dirty && s.meta.name === prev.meta.name) {
      clearTimeout(timer);
      dropDraft(kv, s.meta.name);
    }
  });
}

/** The run history and each graph's console text survive a reload. */
function keepHistory(): void {
  const h = readHistory(kv);
  st().setHistory(h, readInputs(kv));
  let timer: ReturnType<typeof setTimeout> | undefined;
  useEditor.subscribe((s, prev) => {
    if (s.runs === prev.runs && s.inputs === prev.inputs) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      writeHistory(kv, st().runs);
      writeInputs(kv, st().inputs);
    }, 300);
  });
}

/** Closing or reloading the tab with unsaved edits asks first (the draft is kept either way). */
function guardUnload(): void {
  window.addEventListener('beforeunload', (e) => {
    if (!st().dirty) return;
    const now = st();
    saveDraft(kv, { key: now.meta.name, graph: now.exportGraph(), base: now.baseline, savedAt: Date.now() });
    e.preventDefault();
    // Chromium before 119 and Safari show the prompt only when returnValue is set.
    e.returnValue = '';
  });
}

let started = false;
/**
 * At start: with exactly one graph deployed and nothing open (the `npm start` case) the
 * editor opens it attached; otherwise the Deployments view. A draft from an earlier visit is offered back.
 */
export async function startWorkspace(): Promise<void> {
  if (started) return;
  started = true;
  connectLive();
  keepHistory();
  autosave();
  guardUnload();
  void refreshIndexes();
  await pollOnce();
  const s = st();
  const only = autoAttach(s.deployments, s.nodes.length === 0 && !s.dirty);
  if (only) await attach(only, { open: true });
  else if (st().nodes.length === 0) st().showView('home');
  const saved = drafts();
  const offer = saved.find((d) => d.key === st().meta.name) ?? saved[0];
  if (offer) st().offerDraft(offer);
  startPolling();
}

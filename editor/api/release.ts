/**
 * The attached graph's canary or shadow release: a running one comes with every status push; one
 * that ends leaves the push, so its outcome is read back (GET …/release, asked only then: a graph
 * that never had a release answers 404). Ended releases of earlier visits are in the versions list.
 * Promote, roll back, abort: the destructive two are asked first.
 */
import { GraphSchema } from '../../shared/graph.js';
import type { GraphStatus } from '../../shared/protocol.js';
import type { ReleaseStatus } from '../../shared/release.js';
import { outcomeText } from '../lib/release.js';
import { useEditor } from '../store/graph.js';
import { ApiError, api } from './client.js';

const st = () => useEditor.getState();

/** Reads the graph's running or last release into the store; a 404 means it has none. */
export async function loadRelease(name: string): Promise<ReleaseStatus | null> {
  try {
    const r = await api.release(name);
    if (st().deployed === name) {
      announce(st().release, r);
      st().setRelease(r);
    }
    return r;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      if (st().deployed === name) st().setRelease(null);
      return null;
    }
    throw e;
  }
}

/**
 * Says in the toolbar how a release the editor saw running ended (the judge may have ended it on its own);
 * a promoted candidate is the version serving now, so the canvas is compared with it from here on.
 */
function announce(before: ReleaseStatus | null, after: ReleaseStatus | null): void {
  if (before?.state !== 'running' || !after || after.state === 'running' || after.candidateVersion !== before.candidateVersion) return;
  const o = outcomeText(after);
  st().notify(`${after.graph}: v${after.candidateVersion} ${o.text}`, o.tone === 'ok' ? 'ok' : o.tone === 'bad' ? 'error' : 'info');
  if (after.state !== 'promoted') return;
  const { graph: name, candidateVersion: version } = after;
  api.version(name, version).then(
    (doc) => st().deployed === name && st().attach({ name, version, graph: GraphSchema.parse(doc.graph) }),
    () => {},
  );
}

let reading: Promise<unknown> | null = null;

/** After each status push: a running release that is no longer on the push has ended; read how. */
export function followRelease(status: GraphStatus): void {
  const held = st().release;
  const pushed = status.release;
  if (pushed) {
    announce(held, pushed);
    return;
  }
  if (held?.state !== 'running' || held.graph !== status.name || reading) return;
  reading = loadRelease(status.name)
    .catch(() => {})
    .finally(() => {
      reading = null;
    });
}

const VERB = { promote: 'Promote', rollback: 'Roll back', abort: 'Abort' } as const;

function ask(r: ReleaseStatus, action: 'rollback' | 'abort'): Promise<boolean> {
  const message =
    action === 'rollback'
      ? `All of ${r.graph}'s traffic goes back to v${r.stableVersion} and v${r.candidateVersion} is stopped. The decision is recorded as yours.`
      : `The ${r.mode} of v${r.candidateVersion} stops here: v${r.stableVersion} keeps serving and v${r.candidateVersion} is stopped, recorded as aborted rather than rolled back.`;
  return new Promise((resolve) =>
    st().openDialog({ kind: 'confirm', title: `${VERB[action]} the ${r.mode} of v${r.candidateVersion}?`, message, confirm: VERB[action], cancel: 'Keep it running', resolve }),
  );
}

/** Promote (one step, or to 100 %), roll back or abort the running release; the last two ask first. */
export async function releaseAction(action: 'promote' | 'rollback' | 'abort'): Promise<boolean> {
  const r = st().release;
  if (r?.state !== 'running') return false;
  if (action !== 'promote' && !(await ask(r, action))) return false;
  try {
    await api.releaseAction(r.graph, action);
    await loadRelease(r.graph);
    if (action === 'promote') st().notify(`${r.graph}: promoted v${r.candidateVersion}; it takes every request`, 'ok');
    return true;
  } catch (e) {
    st().notify(`${VERB[action]} failed: ${(e as Error).message}`, 'error');
    return false;
  }
}

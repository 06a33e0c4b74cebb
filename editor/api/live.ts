/**
 * The runtime's answers written into the store: the status subscription of the
 * attached graph, deploy (after its preview), stop, rollback, versions, invoke.
 */
import type { Graph } from '../../shared/graph.js';
import { GraphSchema } from '../../shared/graph.js';
import type { InvokeAck } from '../../shared/protocol.js';
import { useEditor } from '../store/graph.js';
import { ApiError, api, getSocket } from './client.js';
import { followRelease } from './release.js';

const st = () => useEditor.getState();

let listening = false;
function listen() {
  if (listening) return;
  listening = true;
  const s = getSocket();
  const mine = (id: string) => st().run.requestId === id && st().run.busy;
  s.on('node:start', (e) => mine(e.requestId) && st().runNode(e.node, { state: 'running' }));
  s.on('node:end', (e) =>
    mine(e.requestId) &&
    st().runNode(e.node, { state: 'done', ms: e.ms, preview: e.preview, ...('output' in e ? { output: e.output } : {}), ...(e.outputOmitted ? { outputOmitted: e.outputOmitted } : {}) }),
  );
  s.on('node:error', (e) => mine(e.requestId) && st().runNode(e.node, { state: 'error', error: e.error }));
  s.on('token', (e) => mine(e.requestId) && st().runToken(e.token));
  s.on('status', (e) => {
    st().setStatus(e.status);
    followRelease(e.status);
  });
  s.on('ingest', (job) => st().ingestUpdate(job));
  // A reconnect loses subscriptions on the server side: ask again.
  s.on('connect', () => {
    const name = st().deployed;
    if (name) s.emit('subscribe', { graph: name });
  });
}

/** Opens the socket early: ingest progress and status pushes reach the store from the start. */
export function connectLive(): void {
  listen();
}

/** Follow a deployed graph's status pushes (replicas by state, queues, latency); the first snapshot comes with the ack. */
export function watch(name: string): void {
  listen();
  getSocket().emit('subscribe', { graph: name }, (ack) => {
    if (ack?.ok && ack.status && st().deployed === name) st().setStatus(ack.status.status);
  });
}

function unwatch(name: string): void {
  getSocket().emit('unsubscribe', { graph: name });
}

/** The document of a deployed version, as it was posted. */
async function versionGraph(name: string, version: number): Promise<Graph> {
  const doc = await api.version(name, version);
  return GraphSchema.parse(doc.graph);
}

/**
 * Attach the canvas to a deployed graph: live status at once, Stop, invoke, and
 * "modified" against the deployed document. Nothing is redeployed. With `open`,
 * the deployed document is put on the canvas too.
 */
export async function attach(name: string, opts: { open?: boolean } = {}): Promise<boolean> {
  const summary = st().deployments?.find((d) => d.name === name);
  const version = summary?.version;
  const previous = st().deployed;
  if (previous && previous !== name) unwatch(previous);
  st().attach({ name, ...(version !== undefined ? { version } : {}) });
  watch(name);
  if (version === undefined) return true;
  try {
    const graph = await versionGraph(name, version);
    if (opts.open) {
      st().load(graph);
      st().showView('editor');
    }
    if (st().deployed === name) st().attach({ name, version, graph });
    return true;
  } catch (e) {
    st().notify(`Could not open ${name} v${version}: ${(e as Error).message}`, 'error');
    return false;
  }
}

export function detach(): void {
  const name = st().deployed;
  if (name) unwatch(name);
  st().detach();
}

/** Graphs whose deploy this page started and has not seen finish (the poll may not list them yet). */
const deploying = new Set<string>();
let missingPolls = 0;

/**
 * Keeps the attachment true to the canvas and the server: the canvas names a deployed
 * graph -> attached; another name, or the graph is gone from the server -> detached.
 */
export function syncAttachment(): void {
  const s = st();
  const list = s.deployments;
  if (!list) return;
  const name = s.meta.name;
  const live = list.find((d) => d.name === name);
  if (s.deployed && s.deployed !== name && !deploying.has(s.deployed)) detach();
  if (live && st().deployed !== name) {
    void attach(name);
    return;
  }
  if (s.deployed && !live && !deploying.has(s.deployed)) {
    // Two polls in a row, so a deploy that just started elsewhere is not dropped in between.
    if (++missingPolls >= 2) {
      missingPolls = 0;
      detach();
    }
    return;
  }
  missingPolls = 0;
  // Deployed again elsewhere (another tab, the CLI, a rollback): compare against the version now serving.
  if (live && s.deployedVersion !== null && live.version !== s.deployedVersion && !deploying.has(name)) {
    void versionGraph(name, live.version).then(
      (graph) => st().deployed === name && st().attach({ name, version: live.version, graph }),
      () => {},
    );
    st().attach({ name, version: live.version });
  }
}

/** Deploy, step one: what would change and what would stay PENDING, shown before anything starts. */
export async function previewDeploy(): Promise<void> {
  const graph = st().exportGraph();
  st().openDialog({ kind: 'deploy', graph, preview: null });
  try {
    const preview = await api.preview(graph);
    if (st().dialog?.kind !== 'deploy') return;
    st().setServerErrors(preview.errors);
    st().openDialog({ kind: 'deploy', graph, preview });
  } catch (e) {
    const errors = e instanceof ApiError ? e.errors : [];
    st().setServerErrors(errors);
    if (st().dialog?.kind === 'deploy') st().openDialog({ kind: 'deploy', graph, preview: null, error: (e as Error).message });
  }
}

/**
 * Deploy, step two: post the graph (the one the preview was for). With `release` (lib/release.ts's query),
 * it starts as a canary or a shadow beside the running version instead of replacing it.
 */
export async function deploy(graph: Graph = st().exportGraph(), release?: { mode: 'canary' | 'shadow'; query: string }): Promise<boolean> {
  const before = { deployed: st().deployed, version: st().deployedVersion, graph: st().deployedGraph, status: st().status };
  st().notify(`Deploying ${graph.name}: starting replicas…`);
  deploying.add(graph.name);
  // Subscribe first: status pushes show replicas starting (models loading) while the POST waits.
  if (before.deployed && before.deployed !== graph.name) unwatch(before.deployed);
  st().attach({ name: graph.name });
  watch(graph.name);
  try {
    const res = await api.deploy(graph, release?.query);
    if (res.release) {
      // The stable version keeps serving (and pushing the status): the canvas is compared with it until a promotion.
      const stable = before.deployed === res.name ? before.graph : null;
      st().attach({ name: res.name, version: res.release.stableVersion, ...(stable ? { graph: stable } : {}) });
      st().setRelease(res.release);
    } else st().attach({ name: res.name, version: res.version, graph, status: res.status });
    st().setServerErrors([]);
    if (sameAsCanvas(graph)) st().markSaved(graph);
    if (res.release) st().notify(`Deployed ${res.name} v${res.version} as a ${res.release.mode} at ${res.release.share}%: follow it in Versions`, 'ok');
    else st().notify(`Deployed ${res.name} v${res.version}`, 'ok');
    return true;
  } catch (e) {
    const errors = e instanceof ApiError ? e.errors : [];
    st().setServerErrors(errors);
    if (before.deployed) st().attach({ name: before.deployed, ...(before.version !== null ? { version: before.version } : {}), ...(before.graph ? { graph: before.graph } : {}), ...(before.status ? { status: before.status } : {}) });
    else st().detach();
    // About the graph's errors: it stays until they are fixed (lib/notices.ts).
    st().notify(`Deploy failed: ${(e as Error).message}${errors.length ? ` (${errors.length} error${errors.length > 1 ? 's' : ''} on the graph)` : ''}`, 'error', errors.length ? 'errors' : undefined);
    return false;
  } finally {
    deploying.delete(graph.name);
  }
}

const sameAsCanvas = (g: Graph) => JSON.stringify(st().exportGraph()) === JSON.stringify(g);

export async function stop(name: string): Promise<void> {
  try {
    await api.remove(name);
    if (st().deployed === name) detach();
    st().setDeployments((st().deployments ?? []).filter((d) => d.name !== name));
    st().notify(`Stopped ${name}`, 'ok');
  } catch (e) {
    st().notify(`Could not stop ${name}: ${(e as Error).message}`, 'error');
  }
}

/** Roll back, then put the version now serving on the canvas, so the canvas and the server agree. */
export async function rollback(name: string, version: number): Promise<boolean> {
  deploying.add(name);
  try {
    const r = await api.rollback(name, version);
    const graph = await versionGraph(name, r.version);
    st().load(graph);
    st().attach({ name, version: r.version, graph, status: r.status });
    watch(name);
    st().notify(`Rolled ${name} back to v${version} (now v${r.version}); the canvas shows it`, 'ok');
    return true;
  } catch (e) {
    st().notify(`Rollback failed: ${(e as Error).message}`, 'error');
    return false;
  } finally {
    deploying.delete(name);
  }
}

export async function openVersion(name: string, version: number): Promise<void> {
  try {
    st().load(await versionGraph(name, version));
    st().notify(`Opened ${name} v${version}`, 'ok');
  } catch (e) {
    st().notify(`Could not open v${version}: ${(e as Error).message}`, 'error');
  }
}

/** Two versions side by side; `canvas` stands for the graph being edited. */
export async function compare(name: string, a: number | 'canvas', b: number | 'canvas'): Promise<void> {
  try {
    const side = async (v: number | 'canvas') => ({ label: v === 'canvas' ? 'canvas' : `v${v}`, graph: v === 'canvas' ? st().exportGraph() : await versionGraph(name, v) });
    const [left, right] = await Promise.all([side(a), side(b)]);
    st().openDialog({ kind: 'compare', name, a: left, b: right });
  } catch (e) {
    st().notify(`Could not compare: ${(e as Error).message}`, 'error');
  }
}

/** The console's text as a request body: JSON as written, or plain text put in the input node's first field. */
export function requestBody(text: string, firstField: string | undefined): unknown {
  const t = text.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(t);
    } catch {
      // Not JSON after all: send it as text.
    }
  }
  return { [firstField ?? 'query']: text };
}

/** Invoke the attached graph; every node's whole output comes back with its node:end event. */
export function invoke(body: unknown, input = ''): Promise<InvokeAck> {
  listen();
  const graph = st().deployed ?? st().meta.name;
  const requestId = crypto.randomUUID();
  st().runStart(requestId, graph, input);
  return new Promise((resolve) => {
    getSocket().emit('invoke', { graph, input: body, requestId, outputs: true }, (ack) => {
      if (st().run.requestId === requestId) {
        if (ack.ok) st().runEnd({ output: ack.output, trace: ack.trace });
        else st().runEnd({ error: `${ack.status}: ${ack.error}${ack.node ? ` (node ${ack.node})` : ''}` });
      }
      resolve(ack);
    });
  });
}

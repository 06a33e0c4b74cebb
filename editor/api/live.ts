/** Deploy, status subscription and invocation: the runtime's answers written into the store. */
import type { GraphStatus, InvokeAck } from '../../shared/protocol.js';
import { useEditor } from '../store/graph.js';
import { ApiError, api, getSocket } from './client.js';

let listening = false;
function listen() {
  if (listening) return;
  listening = true;
  const s = getSocket();
  const mine = (id: string) => useEditor.getState().run.requestId === id;
  s.on('node:start', (e) => mine(e.requestId) && useEditor.getState().runNode(e.node, { state: 'running' }));
  s.on('node:end', (e) => mine(e.requestId) && useEditor.getState().runNode(e.node, { state: 'done', ms: e.ms, preview: e.preview }));
  s.on('node:error', (e) => mine(e.requestId) && useEditor.getState().runNode(e.node, { state: 'error', error: e.error }));
  s.on('token', (e) => mine(e.requestId) && useEditor.getState().runToken(e.token));
  s.on('status', (e) => {
    if (e.graph === useEditor.getState().deployed) useEditor.setState({ status: e.status });
  });
  // A reconnect loses subscriptions on the server side: ask again.
  s.on('connect', () => {
    const name = useEditor.getState().deployed;
    if (name) s.emit('subscribe', { graph: name });
  });
}

/** Follow a deployed graph's status pushes (replicas by state, queues, latency). */
export function watch(name: string, status?: GraphStatus): void {
  listen();
  useEditor.setState({ deployed: name, ...(status ? { status } : {}) });
  getSocket().emit('subscribe', { graph: name });
}

export async function deploy(): Promise<boolean> {
  const st = useEditor.getState();
  const graph = st.exportGraph();
  const before = { deployed: st.deployed, status: st.status };
  st.notify(`Deploying ${graph.name}: starting replicas…`);
  // Subscribe first: status pushes show replicas starting (models loading) while the POST waits.
  watch(graph.name);
  if (before.deployed !== graph.name) useEditor.setState({ status: null });
  try {
    const res = await api.deploy(graph);
    useEditor.setState({ deployed: res.name, status: res.status, serverErrors: [] });
    useEditor.getState().notify(`Deployed ${res.name} v${res.version}`, 'ok');
    return true;
  } catch (e) {
    const errors = e instanceof ApiError ? e.errors : [];
    useEditor.setState({ serverErrors: errors, ...before });
    useEditor.getState().notify(`Deploy failed: ${(e as Error).message}${errors.length ? ` (${errors.length} error${errors.length > 1 ? 's' : ''} on the graph)` : ''}`, 'error');
    return false;
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

export function invoke(body: unknown): Promise<InvokeAck> {
  listen();
  const st = useEditor.getState();
  const graph = st.deployed ?? st.meta.name;
  const requestId = crypto.randomUUID();
  st.runStart(requestId);
  return new Promise((resolve) => {
    getSocket().emit('invoke', { graph, input: body, requestId }, (ack) => {
      if (useEditor.getState().run.requestId === requestId) {
        if (ack.ok) useEditor.getState().runEnd({ output: ack.output, trace: ack.trace });
        else useEditor.getState().runEnd({ error: `${ack.status}: ${ack.error}${ack.node ? ` (node ${ack.node})` : ''}` });
      }
      resolve(ack);
    });
  });
}

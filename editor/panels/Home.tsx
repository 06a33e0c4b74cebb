import { useEffect, useState } from 'react';
import type { Graph } from '../../shared/graph.js';
import { GraphSchema } from '../../shared/graph.js';
import type { GraphSummary } from '../../shared/protocol.js';
import { api } from '../api/client.js';
import { attach, stop } from '../api/live.js';
import { confirmDiscard, drafts, forgetDraft, restoreDraft } from '../api/workspace.js';
import { formatMs, formatRate, healthOf } from '../lib/deployments.js';
import type { Draft } from '../lib/drafts.js';
import { commandKey, loadExample, runCommand } from '../store/commands.js';
import { useEditor } from '../store/graph.js';
import { GraphPreview } from './GraphPreview.js';

type Example = { id: string; name: string; description?: string; graph?: Graph };
const exampleGraphs = new Map<string, Graph>();

/** Opens a deployed graph attached: its deployed version on the canvas, live status at once, no redeploy. */
export async function openDeployment(name: string): Promise<void> {
  const s = useEditor.getState();
  // The graph already on the canvas: just go to it (its edits stay).
  if (s.deployed === name && s.meta.name === name) return s.showView('editor');
  if (!(await confirmDiscard(`Opening ${name}`))) return;
  await attach(name, { open: true });
}

function Row({ d }: { d: GraphSummary }) {
  const current = useEditor((s) => s.deployed === d.name);
  const health = healthOf(d.state, d);
  return (
    <tr data-testid={`deployment-${d.name}`} className={current ? 'current' : ''}>
      <td>
        <button type="button" className="bl-link" onClick={() => void openDeployment(d.name)} title={`Open ${d.name} attached`}>
          {d.name}
        </button>
      </td>
      <td>
        <span className={`bl-state health-${health}`} data-testid="deployment-state">
          {d.state}
          {d.failing.length > 0 && ' · failing'}
        </span>
      </td>
      <td>v{d.version}</td>
      <td>
        <code>{d.routePrefix}</code>
      </td>
      <td title={d.pending.map((p) => `${p.replica}: ${p.reason}`).join('\n')}>
        {d.replicas.running}/{d.replicas.desired}
        {d.replicas.pending > 0 && <span className="bl-warn-text"> ({d.replicas.pending} pending)</span>}
      </td>
      <td>{formatRate(d.requestsPerSec)}</td>
      <td>
        {formatMs(d.p50Ms)} / {formatMs(d.p99Ms)}
      </td>
      <td className={d.errors ? 'bl-bad-text' : ''} title={d.failing.map((f) => `${f.node}: ${f.reason}`).join('\n')}>
        {d.errors}
        {d.errors > 0 && ` (${Math.round(d.errorRate * 100)}%)`}
      </td>
      <td className="bl-row-actions">
        <button type="button" onClick={() => void openDeployment(d.name)}>
          Open
        </button>
        <button type="button" onClick={() => void stop(d.name)}>
          Stop
        </button>
      </td>
    </tr>
  );
}

function Deployments() {
  const list = useEditor((s) => s.deployments);
  const offline = useEditor((s) => s.offline);
  return (
    <section className="bl-home-deployments" aria-label="Deployments">
      <h2>Deployments</h2>
      {offline && <p className="bl-field-errors">The server does not answer; retrying every second.</p>}
      {list === null && !offline && <p className="bl-muted">Loading…</p>}
      {list?.length === 0 && <p className="bl-muted">Nothing is deployed. Open an example or start a new graph, then Deploy ({commandKey('run.deploy')}).</p>}
      {list && list.length > 0 && (
        <table className="bl-table" data-testid="deployments">
          <thead>
            <tr>
              <th>graph</th>
              <th>state</th>
              <th>version</th>
              <th>route</th>
              <th>replicas</th>
              <th>req/s</th>
              <th>p50 / p99</th>
              <th>errors</th>
              <th>
                <span className="sr-only">actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((d) => (
              <Row key={d.name} d={d} />
            ))}
          </tbody>
        </table>
      )}
      {list?.some((d) => d.pending.length || d.failing.length) && (
        <ul className="bl-home-problems">
          {list.flatMap((d) => [
            ...d.failing.map((f) => (
              <li key={`${d.name}-f-${f.node}`} className="bl-bad-text">
                {d.name} / {f.node}: {f.reason}
              </li>
            )),
            ...d.pending.map((p) => (
              <li key={`${d.name}-p-${p.replica}`} className="bl-warn-text">
                {d.name} / {p.replica} PENDING: {p.reason}
              </li>
            )),
          ])}
        </ul>
      )}
    </section>
  );
}

function Examples() {
  const [list, setList] = useState<Example[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.examples().then(
      async (ex) => {
        const withGraphs = await Promise.all(
          ex.map(async (e) => {
            if (!exampleGraphs.has(e.id)) {
              const g = GraphSchema.safeParse(await api.example(e.id).catch(() => undefined));
              if (g.success) exampleGraphs.set(e.id, g.data);
            }
            const graph = exampleGraphs.get(e.id);
            return graph ? { ...e, graph } : e;
          }),
        );
        if (live) setList(withGraphs);
      },
      (e) => live && setErr((e as Error).message),
    );
    return () => {
      live = false;
    };
  }, []);
  return (
    <section aria-label="Examples">
      <h2>Examples</h2>
      {err && <p className="bl-field-errors">Could not list examples: {err}</p>}
      <ul className="bl-cards">
        {list?.map((ex) => (
          <li key={ex.id}>
            <button type="button" className="bl-card" data-home-example={ex.id} onClick={() => void loadExample(ex.id)} title={ex.description}>
              {ex.graph ? <GraphPreview graph={ex.graph} label={`${ex.name}: ${ex.graph.nodes.length} nodes`} /> : <div className="bl-preview empty" />}
              <strong>{ex.name}</strong>
              {ex.description && <small className="bl-help">{ex.description}</small>}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Drafts() {
  // Re-read when the canvas changes (autosave) so the list is current whenever the view opens.
  useEditor((s) => s.view);
  const [list, setList] = useState<Draft[]>(() => drafts());
  const refresh = () => setList(drafts());
  return (
    <section aria-label="Local drafts">
      <h2>Local drafts</h2>
      {list.length === 0 ? (
        <p className="bl-muted">Unsaved edits are kept here, in this browser, until they are saved or deployed.</p>
      ) : (
        <ul className="bl-list" data-testid="drafts">
          {list.map((d) => (
            <li key={d.key} className="bl-version">
              <span>
                <strong>{d.key}</strong> · {d.graph.nodes.length} nodes · {new Date(d.savedAt).toLocaleString()}
              </span>
              <button type="button" onClick={() => void restoreDraft(d)}>
                Restore
              </button>
              <button
                type="button"
                onClick={() => {
                  forgetDraft(d.key);
                  refresh();
                }}
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The start screen: what the server runs, the examples and the local drafts. */
export function Home() {
  const hasCanvas = useEditor((s) => s.nodes.length > 0);
  return (
    <div className="bl-home" data-testid="home">
      <div className="bl-home-head">
        <h1>Workspace</h1>
        <button type="button" className="bl-primary" onClick={() => runCommand('file.new')}>
          New graph
        </button>
        <button type="button" onClick={() => runCommand('file.open')}>
          Open file…
        </button>
        {hasCanvas && (
          <button type="button" onClick={() => useEditor.getState().showView('editor')}>
            Back to the canvas
          </button>
        )}
      </div>
      <div className="bl-home-grid">
        <Deployments />
        <div className="bl-home-side">
          <Examples />
          <Drafts />
        </div>
      </div>
    </div>
  );
}

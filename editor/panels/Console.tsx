import { useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { PortSpec } from '../../shared/ports.js';
import { invoke } from '../api/live.js';
import { composeBody, imageFields } from '../lib/console-input.js';
import { replicaCounts } from '../lib/deployments.js';
import type { RunRecord } from '../lib/runs.js';
import { commandKey } from '../store/commands.js';
import { type NodeRun, useEditor } from '../store/graph.js';

const DEFAULT_INPUT = 'What does Beamline do?';

function Timeline() {
  const trace = useEditor((s) => s.run.trace);
  if (!trace.length) return null;
  const end = Math.max(...trace.map((t) => t.end), 1);
  return (
    <section className="bl-trace" data-testid="trace" aria-label="Trace timeline">
      {trace.map((t) => (
        <div className="bl-span-row" key={`${t.node}-${t.start}`}>
          <span className="bl-span-name">{t.node}</span>
          <div className="bl-span-track">
            <span
              className={`bl-span bl-span-${t.status}`}
              style={{ left: `${(t.start / end) * 100}%`, width: `${Math.max(0.5, ((t.end - t.start) / end) * 100)}%` }}
              title={`${t.node} ${t.start.toFixed(1)}–${t.end.toFixed(1)}ms (queue ${t.queueMs.toFixed(1)}ms)`}
            />
          </div>
          <span className="bl-span-ms">{(t.end - t.start).toFixed(1)}ms</span>
        </div>
      ))}
    </section>
  );
}

/** Opens a node's whole output in the viewer. */
export function showOutput(node: string, r: NodeRun): void {
  useEditor.getState().openDialog({ kind: 'output', title: `Output of ${node}`, value: r.output ?? r.preview, ...(r.outputOmitted ? { omitted: r.outputOmitted } : r.output === undefined ? { omitted: 'Only a preview of this output is known (the run predates full outputs).' } : {}) });
}

function NodeRuns() {
  const nodes = useEditor((s) => s.run.nodes);
  if (Object.keys(nodes).length === 0) return null;
  return (
    <ul className="bl-run-nodes" data-testid="run-nodes">
      {Object.entries(nodes).map(([id, r]) => (
        <li key={id} className={`run-${r.state}`} data-node={id}>
          <div className="bl-run-head">
            <strong>{id}</strong> {r.state === 'done' ? `${r.ms?.toFixed(1)}ms` : r.state}
            {r.state === 'done' && (
              <button type="button" className="bl-link" aria-label={`open the output of ${id}`} onClick={() => showOutput(id, r)}>
                output
              </button>
            )}
          </div>
          {r.preview && <code>{r.preview}</code>}
          {r.error && <span className="bl-field-errors">{r.error}</span>}
        </li>
      ))}
    </ul>
  );
}

const EMPTY: RunRecord[] = [];

/** Earlier runs of this graph: re-open one (its output, trace and node outputs) or run its input again. */
function RunHistory({ graph, canRun, onRerun }: { graph: string; canRun: boolean; onRerun: (r: RunRecord) => void }) {
  const runs = useEditor((s) => s.runs[graph] ?? EMPTY);
  const shown = useEditor((s) => s.run.requestId);
  if (runs.length === 0) return null;
  return (
    <section aria-label="Run history">
      <h3>History</h3>
      <ul className="bl-history" data-testid="history">
        {runs.map((r) => (
          <li key={r.id} className={`${r.status === 'ok' ? 'run-done' : 'run-error'}${r.id === shown ? ' shown' : ''}`} data-run-id={r.id}>
            <button type="button" className="bl-history-open" onClick={() => useEditor.getState().openRun(r)} title="Show this run's output, trace and node outputs">
              <span className="bl-history-time">{new Date(r.at).toLocaleTimeString()}</span>
              <span className="bl-history-input">{r.input || '(empty)'}</span>
              <span className="bl-muted">
                {r.status} · {r.ms} ms
              </span>
            </button>
            <button type="button" disabled={!canRun} onClick={() => onRerun(r)} aria-label={`run again: ${r.input}`}>
              Re-run
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A file read as a data: URL (what an input node's `image` field accepts inline). */
function readDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

/** One file picker per `image` field of the input node; the picked image goes in the request as a data: URL. */
function ImagePickers({ fields, images, onChange }: { fields: string[]; images: Record<string, { name: string; url: string }>; onChange: (field: string, v: { name: string; url: string } | null) => void }) {
  return fields.map((f) => (
    <div className="bl-image-pick" key={f} data-testid={`image-${f}`}>
      <label htmlFor={`console-image-${f}`}>Image for “{f}”</label>
      <input
        id={`console-image-${f}`}
        type="file"
        accept="image/*"
        onChange={async (e) => {
          const file = e.target.files?.[0];
          onChange(f, file ? { name: file.name, url: await readDataUrl(file) } : null);
        }}
      />
      {images[f] && (
        <span className="bl-image-chosen">
          <img src={images[f].url} alt={`picked for ${f}`} />
          <span>{images[f].name}</span>
        </span>
      )}
    </div>
  ));
}

/** Type an input, invoke the deployed graph over socket.io and watch it run; earlier runs stay in the history. */
export function Console() {
  const run = useEditor(useShallow((s) => ({ busy: s.run.busy, tokens: s.run.tokens, error: s.run.error, output: s.run.output, fromHistory: s.run.fromHistory, at: s.run.startedAt })));
  const deployed = useEditor((s) => s.deployed);
  const status = useEditor((s) => s.status);
  const graph = useEditor((s) => s.deployed ?? s.meta.name);
  const text = useEditor((s) => s.inputs[s.deployed ?? s.meta.name] ?? DEFAULT_INPUT);
  // The input node's fields as `name:type`, a cheap value to select; the body is built from them.
  const fieldList = useEditor(
    useShallow((s) => {
      const n = s.nodes.find((x) => x.data.kind === 'input');
      const k = n && s.kindMap.input;
      return n && k ? k.ports(n.data.config).outputs.map((p) => `${p.name}:${p.type}`) : [];
    }),
  );
  const ports = useMemo(() => fieldList.map((f) => ({ name: f.slice(0, f.indexOf(':')), type: f.slice(f.indexOf(':') + 1), description: '' }) as PortSpec), [fieldList]);
  const pickFor = imageFields(ports);
  const [images, setImages] = useState<Record<string, { name: string; url: string }>>({});
  const picked = Object.fromEntries(Object.entries(images).filter(([f]) => pickFor.includes(f)).map(([f, v]) => [f, v.url]));
  const { running, total } = replicaCounts(status);
  // The history keeps the text (Re-run sends it with the images picked now).
  const go = (input: string) => void invoke(composeBody(input, ports, picked), input);
  return (
    <div className="bl-console" data-testid="console">
      <h2>Test console</h2>
      {deployed ? (
        <p data-testid="deploy-state">
          {deployed}: {status?.state ?? 'DEPLOYING'} · {running}/{total} replicas running
        </p>
      ) : (
        <p className="bl-muted">Deploy the graph ({commandKey('run.deploy')}) to invoke it.</p>
      )}
      <ImagePickers fields={pickFor} images={images} onChange={(f, v) => setImages(({ [f]: _, ...rest }) => (v ? { ...rest, [f]: v } : rest))} />
      <label htmlFor="console-input">{pickFor.length ? 'Other fields (text, or a JSON body)' : 'Input (text, or a JSON body)'}</label>
      <textarea id="console-input" rows={3} value={text} onChange={(e) => useEditor.getState().setInput(graph, e.target.value)} />
      <button type="button" className="bl-primary" disabled={!deployed || run.busy} onClick={() => go(text)}>
        {run.busy ? 'Running…' : 'Invoke'}
      </button>
      {run.fromHistory && run.at && <p className="bl-muted">Showing the run of {new Date(run.at).toLocaleTimeString()}.</p>}
      <NodeRuns />
      {run.tokens && (
        <pre className="bl-tokens" data-testid="tokens">
          {run.tokens}
        </pre>
      )}
      {run.error && (
        <p className="bl-field-errors" role="alert">
          {run.error}
        </p>
      )}
      {run.output !== undefined && (
        <>
          <h3>Output</h3>
          <pre className="bl-output" data-testid="output">
            {JSON.stringify(run.output, null, 2)}
          </pre>
        </>
      )}
      <Timeline />
      <RunHistory
        graph={graph}
        canRun={!!deployed && !run.busy}
        onRerun={(r) => {
          useEditor.getState().setInput(r.graph, r.input);
          go(r.input);
        }}
      />
    </div>
  );
}

import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { invoke, requestBody } from '../api/live.js';
import { useEditor } from '../store/graph.js';

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

/** Type an input, invoke the deployed graph over socket.io and watch it run. */
export function Console() {
  const [text, setText] = useState('What does Beamline do?');
  const run = useEditor((s) => s.run);
  const deployed = useEditor((s) => s.deployed);
  const status = useEditor((s) => s.status);
  const firstField = useEditor(
    useShallow((s) => {
      const n = s.nodes.find((x) => x.data.kind === 'input');
      const k = n && s.kindMap.input;
      return n && k ? k.ports(n.data.config).outputs[0]?.name : undefined;
    }),
  );
  const replicas = status ? Object.values(status.nodes).flatMap((n) => n.replicas) : [];
  const ready = replicas.filter((r) => r.state === 'RUNNING').length;
  return (
    <div className="bl-console" data-testid="console">
      <h2>Test console</h2>
      {deployed ? (
        <p data-testid="deploy-state">
          {deployed}: {status?.state ?? 'DEPLOYING'} · {ready}/{replicas.length} replicas running
        </p>
      ) : (
        <p className="bl-muted">Deploy the graph (Ctrl+Enter) to invoke it.</p>
      )}
      <label htmlFor="console-input">Input (text, or a JSON body)</label>
      <textarea id="console-input" rows={3} value={text} onChange={(e) => setText(e.target.value)} />
      <button type="button" className="bl-primary" disabled={!deployed || run.busy} onClick={() => void invoke(requestBody(text, firstField))}>
        {run.busy ? 'Running…' : 'Invoke'}
      </button>
      {Object.keys(run.nodes).length > 0 && (
        <ul className="bl-run-nodes" data-testid="run-nodes">
          {Object.entries(run.nodes).map(([id, r]) => (
            <li key={id} className={`run-${r.state}`}>
              <strong>{id}</strong> {r.state === 'done' ? `${r.ms?.toFixed(1)}ms` : r.state}
              {r.preview && <code>{r.preview}</code>}
              {r.error && <span className="bl-field-errors">{r.error}</span>}
            </li>
          ))}
        </ul>
      )}
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
    </div>
  );
}

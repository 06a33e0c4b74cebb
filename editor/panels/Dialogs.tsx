import { useMemo } from 'react';
import { diffGraphs } from '../../shared/graph-diff.js';
import type { Graph } from '../../shared/graph.js';
import { useEditor } from '../store/graph.js';
import { DeployDialog } from './DeployDialog.js';
import { DiffView } from './DiffView.js';
import { Modal } from './Modal.js';
import { OutputView } from './OutputView.js';
import { ShadowDiffView } from './Release.js';

function Confirm({ title, message, confirm, cancel }: { title: string; message: string; confirm: string; cancel: string }) {
  const close = (ok: boolean) => useEditor.getState().closeDialog(ok);
  return (
    <Modal label={title} onClose={() => close(false)} testId="confirm-dialog">
      <h2>{title}</h2>
      <p>{message}</p>
      <div className="bl-dialog-actions">
        <button type="button" data-autofocus onClick={() => close(false)}>
          {cancel}
        </button>
        <button type="button" className="bl-danger" onClick={() => close(true)}>
          {confirm}
        </button>
      </div>
    </Modal>
  );
}

/** One graph's nodes as a short list, the column of the side-by-side compare. */
function Column({ label, graph }: { label: string; graph: Graph }) {
  return (
    <div className="bl-compare-col" data-testid={`compare-${label}`}>
      <h3>{label}</h3>
      <ul>
        {graph.nodes.map((n) => (
          <li key={n.id}>
            <strong>{n.id}</strong> <span className="bl-muted">{n.kind}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Compare({ name, a, b }: { name: string; a: { label: string; graph: Graph }; b: { label: string; graph: Graph } }) {
  const diff = useMemo(() => diffGraphs(a.graph, b.graph), [a.graph, b.graph]);
  const close = () => useEditor.getState().closeDialog();
  return (
    <Modal label={`Compare ${name} ${a.label} and ${b.label}`} onClose={close} wide testId="compare-dialog">
      <h2>
        {name}: {a.label} ↔ {b.label}
      </h2>
      <div className="bl-compare">
        <Column label={a.label} graph={a.graph} />
        <Column label={b.label} graph={b.graph} />
      </div>
      <h3>What changes from {a.label} to {b.label}</h3>
      <DiffView diff={diff} from={a.label} to={b.label} />
      <div className="bl-dialog-actions">
        <button type="button" className="bl-primary" onClick={close}>
          Close
        </button>
      </div>
    </Modal>
  );
}

/** The one dialog open at a time, from the UI slice. */
export function Dialogs() {
  const d = useEditor((s) => s.dialog);
  if (!d) return null;
  switch (d.kind) {
    case 'deploy':
      return <DeployDialog graph={d.graph} preview={d.preview} {...(d.error ? { error: d.error } : {})} />;
    case 'confirm':
      return <Confirm title={d.title} message={d.message} confirm={d.confirm} cancel={d.cancel} />;
    case 'output':
      return <OutputView title={d.title} value={d.value} {...(d.omitted ? { omitted: d.omitted } : {})} />;
    case 'compare':
      return <Compare name={d.name} a={d.a} b={d.b} />;
    case 'shadow-diff':
      return <ShadowDiffView graph={d.graph} stableVersion={d.stableVersion} candidateVersion={d.candidateVersion} diff={d.diff} />;
  }
}

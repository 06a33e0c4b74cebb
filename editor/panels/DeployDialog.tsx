import { formatError } from '../../shared/errors.js';
import type { Graph } from '../../shared/graph.js';
import type { DeployPreview } from '../../shared/protocol.js';
import { deploy } from '../api/live.js';
import { useEditor } from '../store/graph.js';
import { DiffView } from './DiffView.js';
import { Modal } from './Modal.js';

function Preview({ p }: { p: DeployPreview }) {
  return (
    <>
      {p.errors.length > 0 && (
        <section>
          <h3>Errors: the server would refuse this graph</h3>
          <ul className="bl-field-errors" data-testid="deploy-errors">
            {p.errors.map((e) => (
              <li key={e.path + e.code}>{formatError(e)}</li>
            ))}
          </ul>
        </section>
      )}
      <section>
        <h3>{p.activeVersion === null ? 'A new graph' : `Changes against v${p.activeVersion} (active)`}</h3>
        {p.activeVersion === null ? (
          <p className="bl-muted">
            {p.diff.added.length} node{p.diff.added.length === 1 ? '' : 's'} start; nothing of {p.name} runs yet.
          </p>
        ) : p.diff.same ? (
          <p className="bl-muted">Nothing differs from v{p.activeVersion}: deploying makes a new version of the same graph.</p>
        ) : (
          <DiffView diff={p.diff} from={`v${p.activeVersion}`} to="canvas" />
        )}
      </section>
      <section>
        <h3>Capacity</h3>
        {p.pending.length === 0 ? (
          <p className="bl-ok-text" data-testid="deploy-capacity">
            Every replica fits on the cluster as it is now.
          </p>
        ) : (
          <>
            <p className="bl-warn-text">
              {p.pending.length} replica{p.pending.length === 1 ? '' : 's'} would stay PENDING (the graph still deploys, and they start when room frees up):
            </p>
            <ul className="bl-pending" data-testid="deploy-pending">
              {p.pending.map((r) => (
                <li key={r.replica}>
                  <strong>{r.replica}</strong>: {r.reason}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      {p.missingIndexes.length > 0 && (
        <section>
          <h3>Indexes to build</h3>
          <ul className="bl-pending" data-testid="deploy-indexes">
            {p.missingIndexes.map((m) => (
              <li key={m.node}>
                <strong>{m.index}</strong> for {m.node}: {m.docs ? `built from ${m.docs} before the retriever starts` : 'missing and no docs are set — upload files in Indexes, or every request will fail'}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

/** Deploy, with what will change against the running version and what would stay PENDING, before anything starts. */
export function DeployDialog({ graph, preview, error }: { graph: Graph; preview: DeployPreview | null; error?: string }) {
  const close = () => useEditor.getState().closeDialog();
  // Without a preview (the check failed) the user may still deploy; with errors the server would refuse it.
  const blocked = (!preview && !error) || (preview?.errors.length ?? 0) > 0;
  return (
    <Modal label={`Deploy ${graph.name}`} onClose={close} wide testId="deploy-dialog">
      <h2>
        Deploy {graph.name}
        {preview && <small className="bl-muted"> {preview.activeVersion === null ? '(new)' : `v${preview.activeVersion} → v${preview.activeVersion + 1}`}</small>}
      </h2>
      {error && (
        <p className="bl-field-errors" role="alert">
          Could not check the deploy: {error}
        </p>
      )}
      {!preview && !error && <p className="bl-muted">Checking against the server…</p>}
      {preview && <Preview p={preview} />}
      <div className="bl-dialog-actions">
        <button type="button" onClick={close}>
          Cancel
        </button>
        <button
          type="button"
          className="bl-primary"
          data-testid="deploy-confirm"
          data-autofocus
          disabled={blocked}
          onClick={async () => {
            close();
            if (await deploy(graph)) useEditor.getState().showPanel('console');
          }}
        >
          {preview?.errors.length ? `Fix ${preview.errors.length} error${preview.errors.length === 1 ? '' : 's'} first` : preview?.pending.length ? 'Deploy anyway' : 'Deploy'}
        </button>
      </div>
    </Modal>
  );
}

import { useState } from 'react';
import { formatError } from '../../shared/errors.js';
import type { Graph } from '../../shared/graph.js';
import type { DeployPreview } from '../../shared/protocol.js';
import { deploy } from '../api/live.js';
import { DEFAULT_RELEASE_FORM, type FormErrors, type ReleaseChoice, type ReleaseField, type ReleaseForm, releaseRequest, releaseUnavailable } from '../lib/release.js';
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

const CHOICES: { id: ReleaseChoice; label: string; help: string }[] = [
  { id: 'replace', label: 'Replace now', help: 'the new version takes every request as soon as it runs' },
  { id: 'canary', label: 'Canary', help: 'a share of requests, judged at each step, promoted to 100 % or rolled back on its own' },
  { id: 'shadow', label: 'Shadow', help: 'a copy of live requests; its answers are compared with the running version and discarded' },
];

const FIELDS: Record<'canary' | 'shadow', { field: ReleaseField; label: string; help?: string }[]> = {
  canary: [
    { field: 'share', label: 'Start share (%)', help: 'of requests on the new version at first' },
    { field: 'steps', label: 'Then steps (%)', help: 'comma-separated, rising, ending at 100' },
    { field: 'windowRequests', label: 'Window (canary requests)', help: 'judged after this many at each step' },
    { field: 'windowSeconds', label: 'Longest wait per step (s)', help: 'then judged on what came (at least 10)' },
    { field: 'maxErrorRateIncrease', label: 'Error-rate margin (points)', help: 'rolled back above stable + this' },
    { field: 'maxP99Ratio', label: 'p99 margin (× stable)', help: 'rolled back above stable p99 × this' },
    { field: 'checkPath', label: 'Output check path (optional)', help: 'a field every answer must have, e.g. label' },
    { field: 'checkEquals', label: '…equal to (optional)' },
  ],
  shadow: [
    { field: 'share', label: 'Mirrored share (%)', help: 'of live requests also sent to the new version' },
    { field: 'tolerance', label: 'Tolerance', help: 'relative, for numbers and vectors; 0 = exact' },
  ],
};

/** How the new version goes live: replacing the running one, or as a canary or shadow beside it. */
function ReleaseAs({ form, errors, unavailable, onChange }: { form: ReleaseForm; errors: FormErrors; unavailable: string | null; onChange: (f: ReleaseForm) => void }) {
  const mode = form.mode;
  return (
    <section className="bl-release-as" data-testid="release-as">
      <h3>Release as</h3>
      <div role="radiogroup" aria-label="Release as" className="bl-release-choices">
        {CHOICES.map((c) => (
          <label key={c.id} className={unavailable && c.id !== 'replace' ? 'disabled' : undefined}>
            <input type="radio" name="release-as" value={c.id} checked={mode === c.id} disabled={!!unavailable && c.id !== 'replace'} onChange={() => onChange({ ...form, mode: c.id })} />
            <span>
              <strong>{c.label}</strong> <small className="bl-muted">{c.help}</small>
            </span>
          </label>
        ))}
      </div>
      {unavailable && (
        <p className="bl-muted" data-testid="release-unavailable">
          {unavailable}
        </p>
      )}
      {mode !== 'replace' && (
        <div className="bl-release-fields">
          {FIELDS[mode].map(({ field, label, help }) => (
            <label key={field} data-testid={`release-${field}`}>
              <span>{label}</span>
              <input value={form[field]} aria-invalid={!!errors[field]} onChange={(e) => onChange({ ...form, [field]: e.target.value })} />
              {errors[field] ? (
                <small className="bl-field-error" role="alert">
                  {errors[field]}
                </small>
              ) : (
                help && <small className="bl-help">{help}</small>
              )}
            </label>
          ))}
        </div>
      )}
    </section>
  );
}

/** Deploy, with what will change against the running version and what would stay PENDING, before anything starts. */
export function DeployDialog({ graph, preview, error }: { graph: Graph; preview: DeployPreview | null; error?: string }) {
  const close = () => useEditor.getState().closeDialog();
  // Without a preview (the check failed) the user may still deploy; with errors the server would refuse it.
  const [form, setForm] = useState<ReleaseForm>(DEFAULT_RELEASE_FORM);
  const running = useEditor((s) => (s.deployed === graph.name ? s.release : null));
  const unavailable = preview ? releaseUnavailable(preview.activeVersion, running) : null;
  const request = releaseRequest(unavailable ? DEFAULT_RELEASE_FORM : form);
  const blocked = (!preview && !error) || (preview?.errors.length ?? 0) > 0 || !request.ok;
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
      {preview && <ReleaseAs form={form} errors={request.ok ? {} : request.errors} unavailable={unavailable} onChange={setForm} />}
      {request.ok && request.mode !== 'replace' && (
        <p className="bl-muted" data-testid="release-summary">
          v{preview?.activeVersion} keeps serving; v{(preview?.activeVersion ?? 0) + 1} starts as a {request.mode}: {request.summary}.
        </p>
      )}
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
            const release = request.ok && request.mode !== 'replace' ? { mode: request.mode, query: request.query } : undefined;
            if (await deploy(graph, release)) useEditor.getState().showPanel(release ? 'versions' : 'console');
          }}
        >
          {preview?.errors.length
            ? `Fix ${preview.errors.length} error${preview.errors.length === 1 ? '' : 's'} first`
            : !request.ok
              ? 'Fix the release fields first'
              : request.mode !== 'replace'
                ? `Start ${request.mode}`
                : preview?.pending.length
                  ? 'Deploy anyway'
                  : 'Deploy'}
        </button>
      </div>
    </Modal>
  );
}

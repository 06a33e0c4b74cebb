import { type DragEvent, useEffect, useMemo, useState } from 'react';
import type { IndexInfo } from '../../shared/protocol.js';
import { buildFromDocs, deleteIndex, refreshIndexes, uploadAndIngest } from '../api/indexes.js';
import { DEFAULT_EMBEDDER, embedderMismatch, formatBytes, INDEX_NAME, jobFinished, jobProgress, retrieversOf, UPLOAD_TYPES, uploadProblem } from '../lib/indexes.js';
import { useEditor } from '../store/graph.js';

/** One ingest job's progress: chunks embedded of total, to completion. */
export function JobProgress({ id }: { id: string }) {
  const job = useEditor((s) => s.jobs[id]);
  if (!job) return null;
  const pct = Math.round(jobProgress(job) * 100);
  return (
    <div className={`bl-job job-${job.state}`} data-testid="ingest-progress" data-state={job.state}>
      <div className="bl-progress" role="progressbar" aria-label={`building ${job.index}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <span style={{ width: `${pct}%` }} />
      </div>
      <small>
        {job.index}: {job.state === 'done' ? 'done' : job.phase || job.state} · {job.done}/{job.total} chunks · <span data-testid="ingest-percent">{pct} %</span>
        {job.error && <span className="bl-bad-text"> — {job.error}</span>}
      </small>
    </div>
  );
}

function IndexRow({ info }: { info: IndexInfo }) {
  return (
    <tr data-index={info.name}>
      <td>
        <strong>{info.name}</strong>
        {info.building && <span className="bl-warn-text"> building…</span>}
        <small className="bl-help">
          {info.documents} files · {info.chunks} chunks · {formatBytes(info.bytes)}
        </small>
      </td>
      <td>
        <code className="bl-wrap">{info.model}</code>
        <small className="bl-help">{info.dim} dimensions</small>
      </td>
      <td>
        <button
          type="button"
          aria-label={`delete index ${info.name}`}
          disabled={info.building}
          onClick={() =>
            useEditor.getState().openDialog({
              kind: 'confirm',
              title: `Delete index ${info.name}?`,
              message: `Retrievers reading ${info.name} fail until it is built again.`,
              confirm: 'Delete',
              cancel: 'Keep it',
              resolve: (ok) => ok && void deleteIndex(info.name),
            })
          }
        >
          Delete
        </button>
      </td>
    </tr>
  );
}

/** The retrievers on the canvas and whether their index is there, built with their embedder. */
function Needs() {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const indexes = useEditor((s) => s.indexes);
  const needs = useMemo(() => retrieversOf({ nodes: nodes.map((n) => ({ id: n.id, kind: n.data.kind, config: n.data.config })), edges }), [nodes, edges]);
  if (needs.length === 0) return null;
  return (
    <>
      <h3>Retrievers on the canvas</h3>
      <ul className="bl-needs">
        {needs.map((n) => {
          const have = indexes?.some((i) => i.name === n.index);
          const mismatch = embedderMismatch(n, indexes);
          return (
            <li key={n.node}>
              <strong>{n.node}</strong> reads <code>{n.index}</code>:{' '}
              {indexes === null ? '…' : mismatch ? <span className="bl-bad-text">{mismatch}</span> : have ? <span className="bl-ok-text">ready</span> : <span className="bl-warn-text">missing</span>}
              {indexes !== null && !have && n.docs && (
                <button type="button" className="bl-link" onClick={() => void buildFromDocs(n)}>
                  build from {n.docs}
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}

/** Indexes on the server: list, upload .md/.txt/.jsonl files into one (picker or drop) and watch it build, delete. */
export function Indexes() {
  const indexes = useEditor((s) => s.indexes);
  const target = useEditor((s) => s.indexTarget);
  const staged = useEditor((s) => s.stagedFiles);
  const running = useEditor((s) => Object.values(s.jobs).filter((j) => !jobFinished(j)).map((j) => j.id).join(','));
  const embedders = useEditor((s) => s.nodes.filter((n) => n.data.kind === 'embedder').map((n) => String((n.data.config as { model?: string }).model ?? DEFAULT_EMBEDDER)).join('\n'));
  const [name, setName] = useState(target ?? '');
  const [embedder, setEmbedder] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [job, setJob] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => void refreshIndexes(), []);
  useEffect(() => {
    if (target) setName(target);
  }, [target]);
  useEffect(() => {
    if (staged.length) setFiles(staged);
  }, [staged]);
  const models = useMemo(() => [...new Set([...embedders.split('\n').filter(Boolean), DEFAULT_EMBEDDER])], [embedders]);
  const chosen = embedder || indexes?.find((i) => i.name === name)?.model || models[0];
  const add = (list: FileList | File[]) => {
    const all = [...list];
    const bad = all.map((f) => uploadProblem(f.name)).find(Boolean);
    setError(bad ?? null);
    setFiles(all.filter((f) => !uploadProblem(f.name)));
  };
  const onDrop = (e: DragEvent) => {
    if (!e.dataTransfer.files.length) return;
    e.preventDefault();
    e.stopPropagation();
    add(e.dataTransfer.files);
  };
  const submit = async () => {
    if (!INDEX_NAME.test(name)) return setError('an index name is 1-64 letters, digits, _ or -');
    setBusy(true);
    setError(null);
    const unsub = useEditor.subscribe((s) => {
      // The job this form started: the first one for this index seen after the upload.
      const mine = Object.values(s.jobs).find((j) => j.index === name && !jobFinished(j));
      if (mine) setJob(mine.id);
    });
    const r = await uploadAndIngest(name, files, chosen);
    unsub();
    setBusy(false);
    if (r.ok) {
      setJob(r.job.id);
      setFiles([]);
      useEditor.getState().stageFiles([]);
    } else setError(r.error);
  };
  return (
    <div className="bl-indexes" data-testid="indexes" onDragOver={(e) => e.dataTransfer.types.includes('Files') && e.preventDefault()} onDrop={onDrop}>
      <h2>Indexes</h2>
      {indexes === null ? (
        <p className="bl-muted">Loading…</p>
      ) : indexes.length === 0 ? (
        <p className="bl-muted">No indexes yet. A retriever reads one; build it from files below.</p>
      ) : (
        <table className="bl-table compact" data-testid="index-list">
          <thead>
            <tr>
              <th>index</th>
              <th>embedder</th>
              <th>
                <span className="sr-only">actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {indexes.map((i) => (
              <IndexRow key={i.name} info={i} />
            ))}
          </tbody>
        </table>
      )}
      {running
          ?.split(',')
          .filter((id) => id !== job)
          .map((id) => <JobProgress key={id} id={id} />)}
      <Needs />
      <h3>Build an index from files</h3>
      <div className="bl-field">
        <label htmlFor="index-name">Index name</label>
        <input id="index-name" list="index-names" value={name} placeholder="e.g. mine" onChange={(e) => setName(e.target.value.trim())} />
        <datalist id="index-names">
          {indexes?.map((i) => (
            <option key={i.name} value={i.name} />
          ))}
        </datalist>
        <small className="bl-help">An existing index is rebuilt from these files (the old one serves until the new one is ready).</small>
      </div>
      <div className="bl-field">
        <label htmlFor="index-embedder">Embedder</label>
        <select id="index-embedder" value={chosen} onChange={(e) => setEmbedder(e.target.value)}>
          {[...new Set([...models, ...(indexes?.map((i) => i.model) ?? [])])].map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
        <small className="bl-help">The same model as the embedder in front of the retriever.</small>
      </div>
      <div className="bl-field bl-dropzone" data-testid="index-drop">
        <label htmlFor="index-files">Files ({UPLOAD_TYPES.join(', ')}) — or drop them here</label>
        <input id="index-files" type="file" multiple accept={UPLOAD_TYPES.join(',')} onChange={(e) => e.target.files && add(e.target.files)} />
        {files.length > 0 && (
          <ul className="bl-files" data-testid="staged-files">
            {files.map((f) => (
              <li key={f.name}>
                {f.name} <span className="bl-muted">{formatBytes(f.size)}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
      {error && (
        <p className="bl-field-errors" role="alert" data-testid="index-error">
          {error}
        </p>
      )}
      <button type="button" className="bl-primary" disabled={busy || files.length === 0 || !name} onClick={() => void submit()}>
        {busy ? 'Building…' : 'Upload and build'}
      </button>
      {job && <JobProgress id={job} />}
    </div>
  );
}

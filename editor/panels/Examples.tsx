import { useEffect, useRef, useState } from 'react';
import { api, type VersionSummary } from '../api/client.js';
import { watch } from '../api/live.js';
import { loadExample, openText } from '../store/commands.js';
import { useEditor } from '../store/graph.js';


/** Load an example from examples/, or a deployed version of the current graph. */
export function Examples() {
  const name = useEditor((s) => s.deployed ?? s.meta.name);
  const [examples, setExamples] = useState<{ id: string; name: string; description?: string }[] | null>(null);
  const [versions, setVersions] = useState<VersionSummary[]>([]);
  const [err, setErr] = useState<string | null>(null);
  const close = () => useEditor.setState({ examplesOpen: false });
  const dialog = useRef<HTMLDivElement>(null);
  // Focus moves into the dialog so Escape and Tab work at once.
  useEffect(() => {
    if (examples) dialog.current?.querySelector<HTMLButtonElement>('button')?.focus();
  }, [examples]);
  useEffect(() => {
    api.examples().then(setExamples, (e) => setErr((e as Error).message));
    api.versions(name).then(
      (v) => setVersions(v.versions),
      () => setVersions([]),
    );
  }, [name]);
  return (
    <div className="bl-overlay" onMouseDown={close} onKeyDown={(e) => e.key === 'Escape' && close()}>
      <div className="bl-dialog" role="dialog" aria-label="Open an example" ref={dialog} onMouseDown={(e) => e.stopPropagation()}>
        <h2>Examples</h2>
        {err && <p className="bl-field-errors">Could not list examples: {err}</p>}
        {examples === null && !err && <p className="bl-muted">Loading…</p>}
        <ul className="bl-list">
          {examples?.map((ex) => (
            <li key={ex.id}>
              <button
                type="button"
                data-example={ex.id}
                title={ex.description}
                onClick={async () => {
                  close();
                  await loadExample(ex.id);
                }}
              >
                <strong>{ex.name}</strong>
                {ex.description && <small className="bl-help">{ex.description}</small>}
              </button>
            </li>
          ))}
        </ul>
        {versions.length > 0 && (
          <>
            <h2>Versions of {name}</h2>
            <ul className="bl-list">
              {versions.map((v) => (
                <li key={v.version} className="bl-version">
                  <span>
                    v{v.version}
                    {v.active ? ' (active)' : ''} · {v.nodes} nodes · {new Date(v.createdAt).toLocaleString()}
                  </span>
                  <button
                    type="button"
                    onClick={async () => {
                      close();
                      try {
                        const doc = await api.version(name, v.version);
                        openText(JSON.stringify(doc.graph), `${name} v${v.version}`);
                      } catch (e) {
                        useEditor.getState().notify(`Could not open v${v.version}: ${(e as Error).message}`, 'error');
                      }
                    }}
                  >
                    Open
                  </button>
                  <button
                    type="button"
                    disabled={v.active}
                    onClick={async () => {
                      close();
                      try {
                        const r = await api.rollback(name, v.version);
                        watch(r.name, r.status);
                        useEditor.getState().notify(`Rolled ${name} back to v${v.version} (now v${r.version})`, 'ok');
                      } catch (e) {
                        useEditor.getState().notify(`Rollback failed: ${(e as Error).message}`, 'error');
                      }
                    }}
                  >
                    Roll back
                  </button>
                </li>
              ))}
            </ul>
          </>
        )}
        <button type="button" onClick={close}>
          Close
        </button>
      </div>
    </div>
  );
}

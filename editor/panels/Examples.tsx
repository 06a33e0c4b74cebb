import { useEffect, useState } from 'react';
import { api } from '../api/client.js';
import { loadExample, openText } from '../store/commands.js';
import { useEditor } from '../store/graph.js';

interface Version {
  version: number;
  deployedAt?: number;
  graph?: unknown;
}

/** Load an example from examples/, or a deployed version of the current graph. */
export function Examples() {
  const name = useEditor((s) => s.deployed ?? s.meta.name);
  const [examples, setExamples] = useState<{ id: string; name: string; description?: string }[] | null>(null);
  const [versions, setVersions] = useState<Version[]>([]);
  const [err, setErr] = useState<string | null>(null);
  const close = () => useEditor.setState({ examplesOpen: false });
  useEffect(() => {
    api.examples().then(setExamples, (e) => setErr((e as Error).message));
    api.versions(name).then(
      (v) => {
        const list = Array.isArray(v) ? v : (v as { versions?: unknown }).versions;
        if (Array.isArray(list)) setVersions(list as Version[]);
      },
      () => setVersions([]),
    );
  }, [name]);
  return (
    <div className="bl-overlay" onMouseDown={close} onKeyDown={(e) => e.key === 'Escape' && close()}>
      <div className="bl-dialog" role="dialog" aria-label="Open an example" onMouseDown={(e) => e.stopPropagation()}>
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
                <li key={v.version}>
                  <button
                    type="button"
                    disabled={!v.graph}
                    onClick={() => {
                      close();
                      openText(JSON.stringify(v.graph), `${name} v${v.version}`);
                    }}
                  >
                    v{v.version}
                    {v.deployedAt ? ` · ${new Date(v.deployedAt).toLocaleString()}` : ''}
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

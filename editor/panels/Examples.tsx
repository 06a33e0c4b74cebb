import { useEffect, useState } from 'react';
import { api } from '../api/client.js';
import { loadExample } from '../store/commands.js';
import { useEditor } from '../store/graph.js';
import { Modal } from './Modal.js';

/** Load an example from examples/ (Mod+E); the Deployments view shows them with a preview. */
export function Examples() {
  const [examples, setExamples] = useState<{ id: string; name: string; description?: string }[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const close = () => useEditor.getState().openExamples(false);
  useEffect(() => {
    api.examples().then(setExamples, (e) => setErr((e as Error).message));
  }, []);
  return (
    <Modal label="Open an example" onClose={close}>
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
      <button type="button" onClick={close}>
        Close
      </button>
    </Modal>
  );
}

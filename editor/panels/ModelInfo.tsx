import { useEffect, useState } from 'react';
import { api, type ModelInspection } from '../api/client.js';

/**
 * What the node would do with the model folder its config names: the server's
 * `beamline models inspect` report for the node's kind (inputs, outputs, pooling,
 * dimension, labels, tokenizer, maximum length), and why it does not fit, with the fix.
 */
export function ModelInfo({ kind, config }: { kind: string; config: Record<string, unknown> }) {
  const [info, setInfo] = useState<ModelInspection | undefined>();
  const key = JSON.stringify([kind, config]);
  // Keyed by the config's JSON, so a redraw with an equal config asks nothing.
  useEffect(() => {
    const [k, c] = JSON.parse(key) as [string, Record<string, unknown>];
    let live = true;
    // Typing a folder name asks once the typing stops.
    const t = setTimeout(() => {
      api.inspectModel(k, c).then(
        (r) => live && setInfo(r),
        () => live && setInfo(undefined),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [key]);
  if (!info?.model) return null;
  return (
    <section aria-label="Model folder" data-testid="model-info" data-ok={info.ok ? 'yes' : 'no'}>
      <h3>Model folder</h3>
      {!info.ok && (
        <p className="bl-field-errors" role="alert">
          {info.problem}
          {info.fix && <small> — fix: {info.fix}</small>}
        </p>
      )}
      {info.text && (
        <pre className="bl-help" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
          {info.text}
        </pre>
      )}
    </section>
  );
}

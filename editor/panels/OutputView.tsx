import { useMemo, useState } from 'react';
import { documentsIn, imagesIn, prettyJson, summarise } from '../lib/output.js';
import { useEditor } from '../store/graph.js';
import { Modal } from './Modal.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** A collapsible JSON tree: objects and arrays fold; the first two levels start open. */
function JsonNode({ name, value, depth }: { name?: string; value: unknown; depth: number }) {
  const key = name !== undefined && <span className="bl-json-key">{name}: </span>;
  if (!isObject(value)) {
    return (
      <div className="bl-json-leaf">
        {key}
        <span className={`bl-json-${value === null ? 'null' : typeof value}`}>{JSON.stringify(value)}</span>
      </div>
    );
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  return (
    <details open={depth < 2} className="bl-json-node">
      <summary className="bl-json-summary">
        {key}
        <span className="bl-muted">{summarise(value)}</span>
      </summary>
      <div className="bl-json-children">
        {entries.slice(0, 500).map(([k, v]) => (
          <JsonNode key={k} name={k} value={v} depth={depth + 1} />
        ))}
        {entries.length > 500 && <div className="bl-muted">… {entries.length - 500} more (copy the JSON to see all)</div>}
      </div>
    </details>
  );
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Without clipboard permission: the older copy command on a selected textarea.
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.append(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  }
}

/** One node's whole output: documents with source and score, images, and the JSON (collapsible, copyable). */
export function OutputView({ title, value, omitted }: { title: string; value: unknown; omitted?: string }) {
  const docs = useMemo(() => documentsIn(value), [value]);
  const images = useMemo(() => imagesIn(value), [value]);
  const json = useMemo(() => prettyJson(value), [value]);
  const [copied, setCopied] = useState<string | null>(null);
  const close = () => useEditor.getState().closeDialog();
  return (
    <Modal label={title} onClose={close} wide testId="output-view">
      <h2>{title}</h2>
      {omitted && <p className="bl-warn-text">{omitted}</p>}
      {docs.map((d) => (
        <section key={d.path} data-testid="output-documents">
          <h3>
            {d.value.length} document{d.value.length === 1 ? '' : 's'} <code>{d.path}</code>
          </h3>
          <ol className="bl-docs">
            {d.value.map((doc, i) => (
              <li key={doc.id ?? i} className="bl-doc">
                <div className="bl-doc-head">
                  <strong data-testid="doc-source">{doc.source ?? doc.id ?? `#${i + 1}`}</strong>
                  {doc.chunk !== undefined && <span className="bl-muted">chunk {doc.chunk}</span>}
                  {doc.score !== undefined && <span className="bl-doc-score">score {doc.score.toFixed(4)}</span>}
                </div>
                <p className="bl-doc-text">{doc.text}</p>
              </li>
            ))}
          </ol>
        </section>
      ))}
      {images.map((im) => (
        <figure key={im.path} className="bl-output-image">
          <img src={im.value} alt={`output at ${im.path}`} />
          <figcaption>
            <code>{im.path}</code>
          </figcaption>
        </figure>
      ))}
      <section>
        <h3>JSON</h3>
        <div className="bl-json" data-testid="output-json">
          <JsonNode value={value} depth={0} />
        </div>
      </section>
      <div className="bl-dialog-actions">
        {copied && <span className="bl-muted">{copied}</span>}
        <button
          type="button"
          onClick={async () => setCopied((await copyText(json)) ? `Copied ${json.length} characters` : 'The browser refused to copy')}
        >
          Copy JSON
        </button>
        <button type="button" className="bl-primary" onClick={close}>
          Close
        </button>
      </div>
    </Modal>
  );
}

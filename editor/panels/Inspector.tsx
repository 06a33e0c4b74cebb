import { useMemo } from 'react';
import { z } from 'zod';
import { useShallow } from 'zustand/react/shallow';
import type { GraphError } from '../../shared/errors.js';
import { mergeDeployment } from '../../shared/compile.js';
import { DeploymentSchema } from '../../shared/deployment.js';
import { renamePatch } from '../lib/graph-meta.js';
import type { JsonSchema } from '../lib/kinds.js';
import { errorsByField } from '../lib/paths.js';
import { unknownKindMessage } from '../lib/placeholder.js';
import { commandKey } from '../store/commands.js';
import { useEditor } from '../store/graph.js';
import { ModelInfo } from './ModelInfo.js';
import { DraftInput, SchemaForm } from './SchemaForm.js';
import { SplitLive } from './SplitLive.js';

const DEPLOYMENT_SCHEMA = z.toJSONSchema(DeploymentSchema, { io: 'input' }) as JsonSchema;
/** Without `multiplex`, for kinds whose model is not a model folder (the compiler refuses it there). */
const { multiplex: _multiplex, ...NOT_MULTIPLEXED } = DEPLOYMENT_SCHEMA.properties ?? {};
const PLAIN_DEPLOYMENT_SCHEMA: JsonSchema = { ...DEPLOYMENT_SCHEMA, properties: NOT_MULTIPLEXED };

function GraphSettings() {
  const meta = useEditor((s) => s.meta);
  const errors = useEditor((s) => s.errors);
  const serverErrors = useEditor((s) => s.serverErrors);
  const all = [...errors, ...serverErrors];
  const fields = [
    ['name', 'Graph name (lower-case letters, digits, _ or -).'],
    ['routePrefix', 'HTTP path that invokes the graph, e.g. /rag.'],
    ['description', 'What the graph does.'],
  ] as const;
  return (
    <div className="bl-inspector" data-testid="graph-settings">
      <h2>Graph</h2>
      {fields.map(([k, help]) => (
        <div className="bl-field" key={k}>
          <label htmlFor={`meta-${k}`}>{k}</label>
          <DraftInput
            id={`meta-${k}`}
            kind="text"
            value={meta[k] ?? ''}
            invalid={all.some((e) => e.path === `$.${k}`)}
            // A rename takes the route prefix along while it still follows the name (lib/graph-meta.ts).
            onCommit={(v) => useEditor.getState().setMeta(k === 'name' ? renamePatch(meta, v) : { [k]: v || undefined })}
          />
          <small className="bl-help">{help}</small>
        </div>
      ))}
      <h3>{all.length ? `${all.length} problem${all.length > 1 ? 's' : ''}` : 'No problems'}</h3>
      <ul className="bl-problems" data-testid="problems">
        {all.map((e) => (
          <li key={e.path + e.message + e.code}>
            {e.node ? (
              <button type="button" className="bl-link" onClick={() => useEditor.getState().select([e.node!])}>
                {e.node}
              </button>
            ) : (
              <code>{e.path}</code>
            )}{' '}
            {e.message}
            {e.fix && <small> — {e.fix}</small>}
          </li>
        ))}
      </ul>
      <p className="bl-muted">Select a node to edit it. Drag kinds from the palette, or press {commandKey('edit.quickAdd')} on the canvas.</p>
    </div>
  );
}

export function Inspector() {
  // Select ids, then the one node's data: dragging changes positions, not data, so the form does not redraw.
  const selected = useEditor(useShallow((s) => s.nodes.filter((n) => n.selected).map((n) => n.id)));
  const id = selected.length === 1 ? selected[0] : undefined;
  const data = useEditor((s) => (id ? s.nodes.find((n) => n.id === id)?.data : undefined));
  const index = useEditor((s) => (id ? s.nodes.findIndex((n) => n.id === id) : -1));
  const node = id && data ? { id, data } : undefined;
  const kind = useEditor((s) => (node ? s.kindMap[node.data.kind] : undefined));
  const errors = useEditor((s) => s.errors);
  const serverErrors = useEditor((s) => s.serverErrors);
  const byField = useMemo(() => (id ? errorsByField([...errors, ...serverErrors], index, id) : new Map<string, GraphError[]>()), [errors, serverErrors, index, id]);
  if (!node) return selected.length > 1 ? <p className="bl-inspector bl-muted">{selected.length} nodes selected.</p> : <GraphSettings />;
  const st = useEditor.getState();
  const nodeLevel = byField.get('') ?? [];
  return (
    <section className="bl-inspector" data-testid="inspector" aria-label={`Inspector for ${node.id}`}>
      <h2>
        {kind?.title ?? node.data.kind} <code>{node.id}</code>
      </h2>
      {kind?.docs && <p className="bl-help">{kind.docs}</p>}
      {!kind && (
        <>
          <p className="bl-field-errors" data-testid="unknown-kind">
            {unknownKindMessage(node.data.kind)}
          </p>
          <h3>Config (kept as it is)</h3>
          <pre className="bl-json">{JSON.stringify(node.data.config, null, 2)}</pre>
        </>
      )}
      {nodeLevel.length > 0 && (
        <ul className="bl-field-errors" role="alert">
          {nodeLevel.map((e) => (
            <li key={e.path + e.message}>{e.message}</li>
          ))}
        </ul>
      )}
      <div className="bl-field">
        <label htmlFor="node-label">label</label>
        <DraftInput key={node.id} id="node-label" kind="text" value={node.data.label ?? ''} invalid={false} onCommit={(v) => st.setLabel(node.id, v)} />
      </div>
      {kind && Object.keys(kind.configSchema.properties ?? {}).length > 0 && (
        <section aria-label="Config">
          <h3>Config</h3>
          <SchemaForm name="config" schema={kind.configSchema} value={node.data.config} errors={byField} onChange={(path, v) => st.updateNode(node.id, 'config', path, v)} />
        </section>
      )}
      {kind && <ModelInfo kind={node.data.kind} config={node.data.config} />}
      {node.data.kind === 'split' && <SplitLive id={node.id} config={node.data.config} />}
      {kind?.runsIn === 'replica' && (
        <section aria-label="Deployment">
          <h3>Deployment</h3>
          <SchemaForm
            name="deployment"
            schema={kind.multiplexable || node.data.deployment?.multiplex !== undefined ? DEPLOYMENT_SCHEMA : PLAIN_DEPLOYMENT_SCHEMA}
            value={node.data.deployment}
            effective={mergeDeployment(kind.deploymentDefaults, node.data.deployment)}
            errors={byField}
            onChange={(path, v) => st.updateNode(node.id, 'deployment', path, v)}
          />
        </section>
      )}
    </section>
  );
}

import { type ReactNode, useEffect, useState } from 'react';
import type { GraphError } from '../../shared/errors.js';
import type { JsonSchema } from '../lib/kinds.js';
import { applies, describeWhen } from '../lib/form.js';
import { getAt } from '../lib/paths.js';

/**
 * A form generated from a JSON Schema (z.toJSONSchema of a kind's config or of
 * DeploymentSchema). One component for every kind: no hand-written forms.
 * Text and number fields commit on blur or Enter, so one edit is one undo step.
 * A field whose schema says `when` (lib/form.ts) shows only while it applies, e.g. an LLM's
 * baseUrl only for the openai backend; one that is set but no longer applies stays, marked.
 */
export interface SchemaFormProps {
  /** "config" or "deployment": prefixes field ids and error lookups. */
  name: string;
  schema: JsonSchema;
  /** The node's own values (what the file holds). */
  value: Record<string, unknown>;
  /** Values in effect (kind defaults merged under the node's own), shown where the node sets none. */
  effective?: Record<string, unknown>;
  errors: Map<string, GraphError[]>;
  onChange: (path: string[], value: unknown) => void;
}

function simplify(s: JsonSchema): JsonSchema {
  const alts = s.anyOf ?? s.oneOf;
  if (alts) {
    const real = alts.filter((a) => a.type !== 'null');
    if (real.length === 1) return { ...real[0], description: s.description ?? real[0].description, default: s.default ?? real[0].default, when: s.when ?? real[0].when };
  }
  return s;
}

const typeOf = (s: JsonSchema) => (Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type);

function FieldErrors({ errors }: { errors?: GraphError[] }) {
  if (!errors?.length) return null;
  return (
    <ul className="bl-field-errors" role="alert">
      {errors.map((e) => (
        <li key={e.path + e.message}>
          {e.message}
          {e.fix && <small> — {e.fix}</small>}
        </li>
      ))}
    </ul>
  );
}

/** A text or number input that commits on Enter or blur (Escape puts the value back): one edit, one undo step. */
export function DraftInput({ id, kind, value, placeholder, onCommit, invalid, describedBy }: { id: string; kind: 'number' | 'text'; value: unknown; placeholder?: string; onCommit: (v: string) => void; invalid: boolean; describedBy?: string }) {
  const shown = value === undefined || value === null ? '' : String(value);
  const [draft, setDraft] = useState(shown);
  useEffect(() => setDraft(shown), [shown]);
  const commit = () => {
    if (draft !== shown) onCommit(draft);
  };
  return (
    <input
      id={id}
      type={kind}
      step={kind === 'number' ? 'any' : undefined}
      value={draft}
      placeholder={placeholder}
      aria-invalid={invalid}
      aria-describedby={describedBy}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') commit();
        if (e.key === 'Escape') setDraft(shown);
      }}
    />
  );
}

function JsonInput({ id, value, placeholder, onCommit, describedBy }: { id: string; value: unknown; placeholder: string; onCommit: (v: unknown) => void; describedBy?: string }) {
  const shown = value === undefined ? '' : JSON.stringify(value, null, 1);
  const [draft, setDraft] = useState(shown);
  const [bad, setBad] = useState<string | null>(null);
  useEffect(() => setDraft(shown), [shown]);
  return (
    <>
      <textarea
        id={id}
        rows={Math.min(8, Math.max(2, draft.split('\n').length))}
        value={draft}
        placeholder={placeholder}
        aria-invalid={!!bad}
        aria-describedby={describedBy}
        spellCheck={false}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={() => {
          if (draft === shown) return;
          if (draft.trim() === '') return onCommit(undefined);
          try {
            onCommit(JSON.parse(draft));
            setBad(null);
          } catch (e) {
            setBad((e as Error).message);
          }
        }}
      />
      {bad && <p className="bl-field-errors">Not JSON: {bad}</p>}
    </>
  );
}

export function SchemaForm(p: SchemaFormProps) {
  return <div className="bl-form">{renderProps(p, simplify(p.schema), [])}</div>;
}

function renderProps(p: SchemaFormProps, schema: JsonSchema, path: string[]): ReactNode {
  const props = schema.properties ?? {};
  // A sibling's value in effect: the node's own, else the kind's default (what `when` is checked against).
  const sibling = (name: string) => getAt(p.value, [...path, name]) ?? getAt(p.effective ?? {}, [...path, name]) ?? simplify(props[name] ?? {}).default;
  return Object.entries(props).map(([key, sub]) => <Field key={key} p={p} schema={simplify(sub)} path={[...path, key]} required={schema.required?.includes(key) ?? false} sibling={sibling} />);
}

function Field({ p, schema, path, required, sibling }: { p: SchemaFormProps; schema: JsonSchema; path: string[]; required: boolean; sibling: (name: string) => unknown }) {
  const key = `${p.name}.${path.join('.')}`;
  const id = `f-${key.replace(/\./g, '-')}`;
  const own = getAt(p.value, path);
  const eff = getAt(p.effective ?? p.value, path);
  const fallback = eff ?? schema.default;
  const errors = p.errors.get(key);
  const applicable = applies(schema, sibling);
  // Not read with the current settings: hidden, unless it holds a value (shown so it can be cleared) or an error.
  if (!applicable && own === undefined && !errors) return null;
  const t = typeOf(schema);
  const help = schema.description ? `${id}-help` : undefined;
  const label = (
    <label htmlFor={id}>
      {path[path.length - 1]}
      {required && <span className="bl-req" title="required"> *</span>}
    </label>
  );
  const desc = schema.description && (
    <small id={help} className="bl-help">
      {schema.description}
    </small>
  );

  if (t === 'object' && schema.properties) {
    // Optional groups (autoscaling, batching) are switched on and off as a whole.
    const optional = !required && schema.default === undefined;
    const on = eff !== undefined && eff !== null;
    return (
      <fieldset className="bl-group" data-testid={`field-${key}`}>
        <legend>
          {optional ? (
            <label>
              <input
                type="checkbox"
                checked={on}
                aria-label={`enable ${path.join('.')}`}
                // Switching off a group the kind turns on by default needs null (see mergeDeployment).
                onChange={(e) => p.onChange(path, e.target.checked ? {} : own === undefined && eff !== undefined ? null : undefined)}
              />{' '}
              {path[path.length - 1]}
            </label>
          ) : (
            path[path.length - 1]
          )}
        </legend>
        {desc}
        <FieldErrors errors={errors} />
        {(!optional || on) && renderProps(p, schema, path)}
      </fieldset>
    );
  }

  let input: ReactNode;
  if (schema.enum) {
    input = (
      <select id={id} value={own === undefined ? '' : String(own)} aria-describedby={help} aria-invalid={!!errors} onChange={(e) => p.onChange(path, e.target.value === '' ? undefined : schema.enum!.find((v) => String(v) === e.target.value))}>
        <option value="">{fallback !== undefined ? `${String(fallback)} (default)` : '—'}</option>
        {schema.enum.map((v) => (
          <option key={String(v)} value={String(v)}>
            {String(v)}
          </option>
        ))}
      </select>
    );
  } else if (t === 'boolean') {
    input = <input id={id} type="checkbox" checked={Boolean(own ?? fallback)} aria-describedby={help} onChange={(e) => p.onChange(path, e.target.checked)} />;
  } else if (t === 'number' || t === 'integer') {
    input = (
      <DraftInput
        id={id}
        kind="number"
        value={own}
        placeholder={fallback === undefined ? '' : String(fallback)}
        invalid={!!errors}
        describedBy={help}
        onCommit={(v) => p.onChange(path, v.trim() === '' ? undefined : Number(v))}
      />
    );
  } else if (t === 'string') {
    input = (
      <DraftInput id={id} kind="text" value={own} placeholder={fallback === undefined ? '' : String(fallback)} invalid={!!errors} describedBy={help} onCommit={(v) => p.onChange(path, v === '' ? undefined : v)} />
    );
  } else {
    input = <JsonInput id={id} value={own} placeholder={fallback === undefined ? 'JSON' : JSON.stringify(fallback)} describedBy={help} onCommit={(v) => p.onChange(path, v)} />;
  }
  return (
    <div className={`bl-field${errors ? ' invalid' : ''}${applicable ? '' : ' unused'}`} data-testid={`field-${key}`}>
      {label}
      {input}
      {desc}
      {!applicable && <small className="bl-help bl-unused-note">Not used with these settings (only when {describeWhen(schema)}); clear it to drop it.</small>}
      <FieldErrors errors={errors} />
    </div>
  );
}

import { z } from 'zod';
import { builtinCatalog, type Catalog } from './catalog/index.js';
import { DeploymentSchema } from './deployment.js';
import { GraphSchema } from './graph.js';

type Json = Record<string, unknown>;

/**
 * The graph document as JSON Schema (draft 2020-12), generated from the zod
 * schemas so it cannot drift: docs/graph.schema.json is this, written by
 * `npm run schema`. Each kind's config schema is a $def, applied by `kind`.
 * Input shapes are used, so fields with defaults are optional, as in a file.
 */
export function graphJsonSchema(catalog: Catalog = builtinCatalog): Json {
  const root = z.toJSONSchema(GraphSchema, { io: 'input' }) as Json;
  const node = (((root.properties as Json).nodes as Json).items ?? {}) as Json;
  const props = node.properties as Json;
  const kinds = catalog.list();

  const defs: Json = { deployment: deploymentDef() };
  for (const k of kinds) {
    const def = withoutHints(withoutDialect(z.toJSONSchema(k.config, { io: 'input', unrepresentable: 'any' }) as Json)) as Json;
    const ports = (p: unknown) => (Array.isArray(p) ? p.map((x: { name: string; type: string }) => `${x.name} (${x.type})`).join(', ') || 'none' : 'depend on the config');
    defs[configDef(k.kind)] = {
      title: k.title,
      description: `${k.description} Inputs: ${ports(k.inputs)}. Outputs: ${ports(k.outputs)}.${k.deployment ? ` Default deployment: ${JSON.stringify(k.deployment)}.` : ''}`,
      ...def,
    };
  }

  props.kind = { ...(props.kind as Json), examples: kinds.map((k) => k.kind) };
  props.deployment = { description: (props.deployment as Json).description, $ref: '#/$defs/deployment' };
  node.allOf = kinds.map((k) => ({
    if: { properties: { kind: { const: k.kind } }, required: ['kind'] },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable
    then: { properties: { config: { $ref: `#/$defs/${configDef(k.kind)}` } } },
  }));
  return { $schema: root.$schema, title: 'Beamline graph', ...withoutDialect(root), $defs: defs };
}

const configDef = (kind: string) => `config-${kind}`;

function withoutDialect(s: Json): Json {
  const { $schema: _, ...rest } = s;
  return rest;
}

/**
 * Deployment options as a node writes them: layered over the kind's defaults, so a
 * top-level option may be null to drop a default (e.g. batching), and unknown
 * options are refused (the compiler refuses them too).
 */
function deploymentDef(): Json {
  const def = closeObjects(withoutDialect(z.toJSONSchema(DeploymentSchema, { io: 'input' }) as Json)) as Json;
  const props = def.properties as Json;
  for (const [k, v] of Object.entries(props)) props[k] = { anyOf: [v, { type: 'null', description: "null removes the kind's default" }] };
  return def;
}

/**
 * Without the editor's `when` hints (which backend reads a field: shared/catalog/llm.ts), a
 * keyword JSON Schema does not have; GET /api/catalog keeps them for the editor's forms.
 */
function withoutHints(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(withoutHints);
  if (typeof s !== 'object' || s === null) return s;
  return Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'when').map(([k, v]) => [k, k === 'properties' ? Object.fromEntries(Object.entries(v as Json).map(([p, x]) => [p, withoutHints(x)])) : withoutHints(v)]));
}

/** additionalProperties: false on every object schema that lists its properties. */
function closeObjects(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(closeObjects);
  if (typeof s !== 'object' || s === null) return s;
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) out[k] = closeObjects(v);
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

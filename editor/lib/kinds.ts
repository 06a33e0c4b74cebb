import { z } from 'zod';
import { describeKind } from '../../shared/catalog/describe.js';
import { Catalog, builtinCatalog, inputPorts, type NodeKind, outputPorts } from '../../shared/catalog/index.js';
import type { PortSpec } from '../../shared/ports.js';
import type { CatalogKindInfo } from '../../shared/protocol.js';

/** JSON Schema as produced by z.toJSONSchema; only the parts the form reads are typed. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  [key: string]: unknown;
}

/**
 * What the editor knows about a kind: the same for built-ins (read from the
 * zod catalog) and for custom kinds the runtime serves from GET /api/catalog.
 */
export interface KindInfo extends Pick<CatalogKindInfo, 'kind' | 'title' | 'category' | 'description' | 'docs' | 'runsIn' | 'streams' | 'batchable' | 'multiplexable' | 'singleton'> {
  configSchema: JsonSchema;
  deploymentDefaults: Record<string, unknown>;
  ports(config: Record<string, unknown>): { inputs: PortSpec[]; outputs: PortSpec[] };
}

/** A kind as GET /api/catalog serialises it (fields beyond these are ignored). */
export type RemoteKind = Partial<Omit<CatalogKindInfo, 'kind' | 'inputs' | 'outputs'>> & {
  kind: string;
  config?: JsonSchema;
  inputs?: PortSpec[];
  outputs?: PortSpec[];
};

export function kindFromCatalog(k: NodeKind): KindInfo {
  // The same description the server gives (GET /api/catalog), with ports computed here from the node's config.
  const { inputs: _inputs, outputs: _outputs, ...described } = describeKind(k, false);
  // A node's config object is replaced, never mutated, on edit: its ports can be cached by identity
  // (the card, its edges' colours and connection checks all ask, on big graphs many times).
  const cache = new WeakMap<object, { inputs: PortSpec[]; outputs: PortSpec[] }>();
  return {
    ...kindFromRemote(described),
    ports(config) {
      const hit = cache.get(config);
      if (hit) return hit;
      // Ports may depend on config (input fields, switch cases); a config that does not
      // parse yet falls back to the defaults so the node keeps drawable handles.
      const parsed = k.config.safeParse(config);
      const c = parsed.success ? parsed.data : k.config.safeParse({}).data;
      const ports =
        c === undefined
          ? { inputs: Array.isArray(k.inputs) ? k.inputs : [], outputs: Array.isArray(k.outputs) ? k.outputs : [] }
          : { inputs: inputPorts(k, c), outputs: outputPorts(k, c) };
      cache.set(config, ports);
      return ports;
    },
  };
}

export function kindFromRemote(r: RemoteKind): KindInfo {
  const inputs = r.inputs ?? [];
  const outputs = r.outputs ?? [];
  return {
    kind: r.kind,
    title: r.title ?? r.kind,
    category: r.category ?? 'custom',
    description: r.description ?? '',
    docs: r.docs,
    runsIn: r.runsIn ?? 'replica',
    streams: !!r.streams,
    batchable: !!r.batchable,
    multiplexable: !!r.multiplexable,
    singleton: !!r.singleton,
    configSchema: ((r.configSchema as JsonSchema | undefined) ?? r.config ?? { type: 'object', properties: {} }) as JsonSchema,
    deploymentDefaults: r.deployment ?? {},
    ports: () => ({ inputs, outputs }),
  };
}

export const BUILTIN_KIND_INFO: KindInfo[] = builtinCatalog.list().map(kindFromCatalog);

/**
 * The compiler needs zod kinds: a custom kind from the server is rebuilt from
 * its JSON Schema so its config errors show in the editor like built-in ones.
 */
export function catalogWith(remote: readonly RemoteKind[]): Catalog {
  const cat = new Catalog();
  for (const r of remote) {
    if (cat.has(r.kind)) continue;
    let config: z.ZodType = z.record(z.string(), z.unknown());
    try {
      if (r.configSchema ?? r.config) config = z.fromJSONSchema((r.configSchema ?? r.config) as never);
    } catch {
      // An unreadable schema only loses the editor's config checks; the server still checks.
    }
    cat.add({
      kind: r.kind,
      title: r.title ?? r.kind,
      category: 'custom',
      description: r.description ?? '',
      runsIn: r.runsIn ?? 'replica',
      inputs: r.inputs ?? [],
      outputs: r.outputs ?? [],
      config,
      deployment: r.deployment,
    });
  }
  return cat;
}

/** Palette groups in catalog order, filtered by a search over kind, title and description. */
export function groupKinds(kinds: readonly KindInfo[], query: string): { category: string; kinds: KindInfo[] }[] {
  const q = query.trim().toLowerCase();
  const groups = new Map<string, KindInfo[]>();
  for (const k of kinds) {
    if (q && !`${k.kind} ${k.title} ${k.description}`.toLowerCase().includes(q)) continue;
    const list = groups.get(k.category) ?? [];
    list.push(k);
    groups.set(k.category, list);
  }
  return [...groups].map(([category, ks]) => ({ category, kinds: ks }));
}

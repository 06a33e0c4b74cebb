/** A catalog kind as plain JSON: what GET /api/catalog serves and what the editor's palette and forms read. */
import { z } from 'zod';
import type { CatalogKindInfo } from '../protocol.js';
import { inputPorts, type NodeKind, outputPorts } from './types.js';

function jsonSchema(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch (e) {
    return { description: `schema not representable: ${(e as Error).message}` };
  }
}

/** One catalog kind as the editor reads it: ports, config JSON Schema, defaults, docs. */
export function describeKind(k: NodeKind, custom: boolean): CatalogKindInfo {
  const parsed = k.config.safeParse({});
  const defaults = (parsed.success ? parsed.data : {}) as Record<string, unknown>;
  return {
    kind: k.kind,
    title: k.title,
    category: k.category,
    description: k.description,
    ...(k.docs !== undefined ? { docs: k.docs } : {}),
    runsIn: k.runsIn,
    batchable: !!k.batchable,
    multiplexable: k.multiplex !== undefined,
    streams: !!k.streams,
    // The graph's ends are offered once in the palette.
    singleton: k.role !== undefined,
    inputs: parsed.success || typeof k.inputs !== 'function' ? inputPorts(k, defaults) : [],
    outputs: parsed.success || typeof k.outputs !== 'function' ? outputPorts(k, defaults) : [],
    dynamicPorts: typeof k.inputs === 'function' || typeof k.outputs === 'function',
    configSchema: jsonSchema(k.config),
    defaults,
    deployment: (k.deployment ?? {}) as Record<string, unknown>,
    custom,
  };
}

import { z } from 'zod';

/** The value types that travel along edges. `any` accepts and produces every type. */
export const PORT_TYPES = ['any', 'text', 'texts', 'vector', 'vectors', 'documents', 'image', 'json', 'entities', 'label'] as const;
export type PortType = (typeof PORT_TYPES)[number];
export const PortTypeSchema = z.enum(PORT_TYPES);

export interface PortSpec {
  /** Handle id on the canvas and key in a node's inputs/outputs record. */
  name: string;
  type: PortType;
  description: string;
  /** An unconnected required input is a compile error. */
  required?: boolean;
  /** Accepts several edges; the node then receives a record keyed by source node id. */
  multiple?: boolean;
}

/**
 * Whether a value of type `from` may flow into a port of type `to`.
 * `json` is structured data of unknown shape, so it is accepted where any
 * structured type is expected and the receiving node validates it at run time.
 */
export function portsCompatible(from: PortType, to: PortType): boolean {
  if (from === to || from === 'any' || to === 'any') return true;
  if (to === 'json') return true;
  if (from === 'json') return to !== 'image';
  if (from === 'label' && to === 'text') return true;
  return false;
}

/** Colours used by the editor for each port type (kept here so every view agrees). */
export const PORT_COLOURS: Record<PortType, string> = {
  any: '#8a8f98',
  text: '#3b82f6',
  texts: '#6366f1',
  vector: '#10b981',
  vectors: '#059669',
  documents: '#f59e0b',
  image: '#ec4899',
  json: '#64748b',
  entities: '#8b5cf6',
  label: '#ef4444',
};

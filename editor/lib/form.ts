/**
 * Which fields a generated form shows. A config field may carry `when` metadata in its schema
 * (zod `.meta({ when: { backend: ['openai'] } })`, kept by z.toJSONSchema and so by custom kinds
 * served from GET /api/catalog): it is shown only while each named sibling field has one of the
 * listed values, its own or its default.
 */
import type { JsonSchema } from './kinds.js';

export type When = Record<string, readonly unknown[]>;

export const whenOf = (s: JsonSchema): When | undefined => {
  const w = s.when;
  return w && typeof w === 'object' && !Array.isArray(w) ? (w as When) : undefined;
};

/** Whether a field applies, given how to read a sibling's value in effect. */
export function applies(schema: JsonSchema, sibling: (name: string) => unknown): boolean {
  const when = whenOf(schema);
  if (!when) return true;
  return Object.entries(when).every(([field, values]) => values.includes(sibling(field)));
}

/** "openai or onnx": the values a hidden field waits for, for the note under a set field that no longer applies. */
export function describeWhen(schema: JsonSchema): string {
  const when = whenOf(schema);
  if (!when) return '';
  return Object.entries(when)
    .map(([field, values]) => `${field} ${values.map(String).join(' or ')}`)
    .join(' and ');
}

import { jsonPath } from '../../shared/errors.js';
import type { PortType } from '../../shared/ports.js';

const isNumArray = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** What a request field of each port type must hold, and how to say so. */
const CHECKS: Record<PortType, { ok: (v: unknown) => boolean; want: string }> = {
  any: { ok: () => true, want: 'any value' },
  json: { ok: () => true, want: 'any JSON value' },
  text: { ok: (v) => typeof v === 'string', want: 'a string' },
  label: { ok: (v) => typeof v === 'string', want: 'a string' },
  texts: { ok: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'), want: 'an array of strings' },
  vector: { ok: isNumArray, want: 'an array of numbers' },
  vectors: { ok: (v) => Array.isArray(v) && v.every(isNumArray), want: 'an array of arrays of numbers' },
  documents: { ok: (v) => Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x)), want: 'an array of objects' },
  entities: { ok: (v) => Array.isArray(v), want: 'an array' },
  image: { ok: (v) => typeof v === 'string' && v.length > 0, want: 'a base64 string or data URL' },
};

export interface FieldProblem {
  path: string;
  message: string;
}

/** Check a request body against an input node's fields; the first problem names its JSON path. */
export function checkInputFields(body: unknown, fields: Record<string, PortType>): FieldProblem | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { path: '$', message: `the request body must be a JSON object with ${describe(fields)}` };
  }
  const rec = body as Record<string, unknown>;
  for (const [name, type] of Object.entries(fields)) {
    const path = jsonPath([name]);
    if (!(name in rec) || rec[name] === undefined) return { path, message: `missing field "${name}" (${type}: ${CHECKS[type].want})` };
    if (!CHECKS[type].ok(rec[name])) return { path, message: `field "${name}" must be ${CHECKS[type].want} (${type}), got ${kindOf(rec[name])}` };
  }
  return undefined;
}

function describe(fields: Record<string, PortType>): string {
  const names = Object.entries(fields).map(([n, t]) => `"${n}" (${t})`);
  return names.length ? `fields ${names.join(', ')}` : 'any fields';
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

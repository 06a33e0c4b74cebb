import { INPUT_LIMIT_DEFAULTS } from '../../../shared/catalog/input-limits.js';
import { jsonPath } from '../../../shared/errors.js';
import type { PortType } from '../../../shared/ports.js';
import { imageSize } from '../../vision/image-size.js';
import { inlineImageBytes } from '../../vision/image-input.js';

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

/** The input node's size bounds (its config's max* fields); one left out has its default. */
export interface InputLimits {
  maxTextChars?: number;
  maxTotalChars?: number;
  maxItems?: number;
  maxImagePixels?: number;
}

export interface FieldProblem {
  path: string;
  message: string;
  /** 413: the field is well-typed but over its bound; otherwise 400. */
  tooLarge?: boolean;
}

/** Check a request body against an input node's fields; the first problem names its JSON path. */
export function checkInputFields(body: unknown, fields: Record<string, PortType>, limits: InputLimits = INPUT_LIMIT_DEFAULTS): FieldProblem | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { path: '$', message: `the request body must be a JSON object with ${describe(fields)}` };
  }
  const rec = body as Record<string, unknown>;
  for (const name in fields) {
    const type = fields[name];
    const path = jsonPath([name]);
    const v = Object.hasOwn(rec, name) ? rec[name] : undefined;
    if (v === undefined) return { path, message: `missing field "${name}" (${type}: ${CHECKS[type].want})` };
    if (!CHECKS[type].ok(v)) return { path, message: `field "${name}" must be ${CHECKS[type].want} (${type}), got ${kindOf(v)}` };
    const over = overBound(name, type, v, limits);
    if (over) return { path, message: over, tooLarge: true };
  }
  return undefined;
}

/** Why a well-typed field is too large for the bounds, or undefined. */
function overBound(name: string, type: PortType, v: unknown, limits: InputLimits): string | undefined {
  if (type === 'text' || type === 'label') {
    const n = (v as string).length;
    const max = limits.maxTextChars ?? INPUT_LIMIT_DEFAULTS.maxTextChars;
    return n > max ? `field "${name}" is ${n} characters, the limit is ${max} (maxTextChars)` : undefined;
  }
  if (Array.isArray(v) && type !== 'json' && type !== 'any') {
    const maxItems = limits.maxItems ?? INPUT_LIMIT_DEFAULTS.maxItems;
    if (v.length > maxItems) return `field "${name}" has ${v.length} items, the limit is ${maxItems} (maxItems)`;
    if (type === 'texts') {
      const max = limits.maxTotalChars ?? INPUT_LIMIT_DEFAULTS.maxTotalChars;
      let total = 0;
      for (const s of v as string[]) total += s.length;
      if (total > max) return `field "${name}" holds ${total} characters in all, the limit is ${max} (maxTotalChars)`;
    }
    return undefined;
  }
  if (type === 'image') {
    // Inline images only: a path is opened (and bounded) by the node that reads it.
    const bytes = inlineImageBytes(v as string);
    const size = bytes && imageSize(bytes);
    const max = limits.maxImagePixels ?? INPUT_LIMIT_DEFAULTS.maxImagePixels;
    if (size && size.width * size.height > max) {
      return `field "${name}" is a ${size.width} x ${size.height} image (${size.width * size.height} pixels), the limit is ${max} (maxImagePixels)`;
    }
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

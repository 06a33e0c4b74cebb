import { z } from 'zod';
import { type ErrorCode, formatError, type GraphError, jsonPath } from './errors.js';

/**
 * zod issues -> graph errors: one per problem, each at the JSON path of the field
 * itself (an unknown key is reported at that key), with a fix where one is known.
 * `schema` is the object the issues came from; it lets unknown keys suggest a name.
 */
export function zodErrors(issues: readonly z.core.$ZodIssue[], base: PropertyKey[], code: ErrorCode, node?: string, schema?: z.ZodType): GraphError[] {
  const at = node !== undefined ? { node } : {};
  // zod may still run a length check on a value of the wrong type; the type error says it all.
  const wrongType = new Set(issues.filter((i) => i.code === 'invalid_type').map((i) => jsonPath(i.path)));
  return issues.flatMap((i): GraphError[] => {
    if ((i.code === 'too_big' || i.code === 'too_small') && wrongType.has(jsonPath(i.path))) return [];
    if (i.code === 'unrecognized_keys') {
      const known = schema ? keysAt(schema, i.path) : [];
      return i.keys.map((key) => unknownKeyError([...base, ...i.path, key], key, known, code, node));
    }
    const range = i.code === 'too_big' || i.code === 'too_small';
    const missing = i.code === 'invalid_type' && / received undefined$/.test(i.message);
    const field = i.path.length ? String(i.path[i.path.length - 1]) : '';
    const fix = fixFor(i, missing, field);
    return [
      {
        code: range ? 'out_of_range' : code,
        message: missing && field ? `${field} is required (${i.expected})` : i.message,
        path: jsonPath([...base, ...i.path]),
        ...(fix ? { fix } : {}),
        ...at,
      },
    ];
  });
}

/**
 * A request body or parameter that failed its schema, as the API answers it: every issue at
 * its JSON path ($.version, $.nodes[0]) as zodErrors() gives it, and one line naming them all.
 */
export function requestErrors(issues: readonly z.core.$ZodIssue[], what: string): { error: string; errors: GraphError[] } {
  const errors = zodErrors(issues, [], 'invalid_document');
  return { error: `invalid ${what}: ${errors.map(formatError).join('; ')}`, errors };
}

const UNITS: Record<string, string> = { string: ' characters', array: ' items', set: ' items', file: ' bytes' };

/** What would fix a schema issue, where the issue says enough to tell. */
function fixFor(i: z.core.$ZodIssue, missing: boolean, field: string): string | undefined {
  switch (i.code) {
    case 'too_big':
      return `use ${i.inclusive === false ? 'less than' : 'at most'} ${String(i.maximum)}${UNITS[i.origin] ?? ''}`;
    case 'too_small':
      return `use ${i.inclusive === false ? 'more than' : 'at least'} ${String(i.minimum)}${UNITS[i.origin] ?? ''}`;
    case 'invalid_type':
      return missing ? `add ${field || 'it'}` : `use a ${i.expected}`;
    case 'invalid_value':
      return `use one of: ${i.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return undefined;
  }
}

/**
 * Keys of `value` that `schema` does not know, at any depth: for schemas that
 * strip unknown keys instead of refusing them, so a misspelt option (or a Ray
 * Serve name such as num_replicas) is an error rather than silently ignored.
 */
export function unknownKeys(schema: z.ZodType, value: unknown, base: PropertyKey[], code: ErrorCode, node?: string): GraphError[] {
  const s = unwrap(schema);
  if (!(s instanceof z.ZodObject) || typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const shape = s.shape as Record<string, z.ZodType>;
  const known = Object.keys(shape);
  const errors: GraphError[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (!Object.hasOwn(shape, k)) errors.push(unknownKeyError([...base, k], k, known, code, node));
    else errors.push(...unknownKeys(shape[k], v, [...base, k], code, node));
  }
  return errors;
}

function unknownKeyError(path: PropertyKey[], key: string, known: string[], code: ErrorCode, node?: string): GraphError {
  const guess = suggest(key, known);
  const fix = guess ? `did you mean ${guess}?` : known.length ? `known fields: ${known.join(', ')}` : 'remove it';
  return { code, message: `unknown field "${key}"`, path: jsonPath(path), fix, ...(node !== undefined ? { node } : {}) };
}

/** Ray Serve names whose Beamline name is not just their camelCase. */
const RAY_NAMES: Record<string, string> = {
  ray_actor_options: 'resources',
  autoscaling_config: 'autoscaling',
  num_cpus: 'cpus',
  num_gpus: 'gpus',
  memory: 'memoryMb',
  max_batch_size: 'batching.maxBatchSize',
  batch_wait_timeout_s: 'batching.batchWaitTimeoutMs',
};

/** The known name closest to a misspelt or snake_case one, if any is close. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  if (Object.hasOwn(RAY_NAMES, key) && known.includes(RAY_NAMES[key].split('.')[0])) return RAY_NAMES[key];
  const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  for (const candidate of [camel, camel.replace(/S$/, 'Ms')]) if (known.includes(candidate)) return candidate;
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = distance(key.toLowerCase(), name.toLowerCase());
    if (d <= Math.max(1, Math.floor(name.length / 4)) && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/** Edit distance where swapping two neighbouring letters counts as one edit (optimal string alignment). */
function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3 || a.length > 64 || b.length > 64) return 99;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** Field names of the object schema found by following `path` through `schema`. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s = unwrap(schema);
  for (const p of path) {
    if (s instanceof z.ZodObject) s = unwrap((s.shape as Record<string, z.ZodType>)[String(p)]);
    else if (s instanceof z.ZodArray) s = unwrap(s.element as z.ZodType);
    else if (s instanceof z.ZodRecord) s = unwrap(s.valueType as z.ZodType);
    else return [];
    if (!s) return [];
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** Through optional, default, nullable and refined/piped wrappers to the schema that holds the shape. */
function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s = schema;
  for (let i = 0; i < 16 && s; i++) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable || s instanceof z.ZodPrefault) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else break;
  }
  return s;
}

import { z } from 'zod';
import { PortTypeSchema } from '../ports.js';
import { INPUT_LIMIT_DEFAULTS } from './input-limits.js';
import { defineKind } from './types.js';

export { INPUT_LIMIT_DEFAULTS };

export const input = defineKind({
  kind: 'input',
  title: 'Input',
  category: 'io',
  description: 'Where a request enters the graph: its JSON body, split into typed fields.',
  docs: 'Each entry of `fields` becomes an output port carrying that field of the request body, checked against its type (a `text` field must be a string) and bounded in size: a field over its bound is refused with 413 naming its JSON path, before any node runs. The `body` port carries the whole body.',
  runsIn: 'executor',
  role: 'entry',
  config: z
    .object({
      fields: z
        .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), PortTypeSchema)
        .default({ query: 'text' })
        .describe('Request body fields and their types; each becomes an output port.'),
      maxTextChars: z.number().int().min(1).max(100_000_000).default(INPUT_LIMIT_DEFAULTS.maxTextChars).describe('Longest `text` or `label` field, in characters (UTF-16 code units); longer is refused with 413.'),
      maxTotalChars: z
        .number()
        .int()
        .min(1)
        .max(1_000_000_000)
        .default(INPUT_LIMIT_DEFAULTS.maxTotalChars)
        .describe('Most characters in all the strings of a `texts` field together; more is refused with 413.'),
      maxItems: z.number().int().min(1).max(100_000_000).default(INPUT_LIMIT_DEFAULTS.maxItems).describe('Most items in an array field (`texts`, `vector`, `vectors`, `documents`, `entities`); more is refused with 413.'),
      maxImagePixels: z
        .number()
        .int()
        .min(1)
        .max(1_000_000_000)
        .default(INPUT_LIMIT_DEFAULTS.maxImagePixels)
        .describe('Largest `image` field given inline (base64 or a data: URL), width x height as its header declares; larger is refused with 413 before it is decoded.'),
    })
    .strict(),
  inputs: [],
  outputs: (c) => [
    ...Object.entries(c.fields).map(([name, type]) => ({ name, type, description: `The request's "${name}" field.` })),
    { name: 'body', type: 'json' as const, description: 'The whole request body.' },
  ],
});

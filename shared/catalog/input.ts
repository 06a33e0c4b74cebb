import { z } from 'zod';
import { PortTypeSchema } from '../ports.js';
import { defineKind } from './types.js';

export const input = defineKind({
  kind: 'input',
  title: 'Input',
  category: 'io',
  description: 'Where a request enters the graph: its JSON body, split into typed fields.',
  docs: 'Each entry of `fields` becomes an output port carrying that field of the request body, checked against its type (a `text` field must be a string). The `body` port carries the whole body.',
  runsIn: 'executor',
  singleton: true,
  config: z
    .object({
      fields: z
        .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), PortTypeSchema)
        .default({ query: 'text' })
        .describe('Request body fields and their types; each becomes an output port.'),
    })
    .strict(),
  inputs: [],
  outputs: (c) => [
    ...Object.entries(c.fields).map(([name, type]) => ({ name, type, description: `The request's "${name}" field.` })),
    { name: 'body', type: 'json' as const, description: 'The whole request body.' },
  ],
});

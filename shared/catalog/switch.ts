import { z } from 'zod';
import { defineKind } from './types.js';

const PORT = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

export const switchKind = defineKind({
  kind: 'switch',
  title: 'Switch',
  category: 'control',
  description: 'Sends the request down one branch, chosen by a value in its input.',
  docs: 'Reads `path` from the input (a dotted path such as label or result.label; empty means the input itself), compares it with each case in order and passes the input on the first matching port, or on `default`. Nodes on branches not taken do not run.',
  runsIn: 'executor',
  config: z
    .object({
      path: z.string().max(200).default('').describe('Dotted path into the input value; empty compares the value itself.'),
      cases: z
        .array(
          z
            .object({
              port: z.string().regex(PORT).describe('Output port taken on a match.'),
              equals: z.union([z.string().max(1000), z.number(), z.boolean()]).describe('Value to match.'),
            })
            .strict(),
        )
        .max(64)
        .default([])
        .describe('Cases tried in order.'),
    })
    .strict()
    .refine((c) => new Set(c.cases.map((x) => x.port)).size === c.cases.length && !c.cases.some((x) => x.port === 'default'), {
      message: 'case ports must be unique and not named default',
      path: ['cases'],
    }),
  inputs: [{ name: 'in', type: 'any', required: true, description: 'Value to route.' }],
  outputs: (c) => [
    ...c.cases.map((x) => ({ name: x.port, type: 'any' as const, description: `Taken when ${c.path || 'the value'} = ${JSON.stringify(x.equals)}.` })),
    { name: 'default', type: 'any' as const, description: 'Taken when no case matches.' },
  ],
});

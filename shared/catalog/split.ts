import { z } from 'zod';
import { defineKind } from './types.js';

const PORT = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** A dotted path into the request body (user.id, items.0). */
const DOTTED = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;
/** An HTTP header name (RFC 9110 token); matched lower-case, as node:http gives them. */
const HEADER = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

/**
 * Stickiness: where a request's key is read. A key is hashed per branch (weighted
 * rendezvous), so it keeps its branch while weights change except for the share that
 * must move; a request without the key is split at random.
 */
const Sticky = z.union([
  z.object({ header: z.string().regex(HEADER, 'an HTTP header name').describe('Request header holding the key (x-user-id).') }).strict(),
  z.object({ path: z.string().max(200).regex(DOTTED, 'a dotted path such as user.id').describe('Dotted path into the request body holding the key (user.id).') }).strict(),
]);

export const split = defineKind({
  kind: 'split',
  title: 'Split',
  category: 'control',
  description: 'Sends each request down one branch, chosen at random by weight (traffic split, A/B).',
  docs: 'Each branch gets weight / sum of the weights of the requests (KServe InferenceGraph Splitter). With `sticky`, a key read from a request header or a dotted path into the request body is hashed (weighted rendezvous hashing), so one user stays on one branch, and when the weights change only the share of keys that must move does; a request without the key is split at random. Weights can be changed on a running graph without a redeploy: `PUT /api/graphs/<graph>/nodes/<node>/weights`, `beamline split`, or "Apply weights live" here. Nodes on branches not taken do not run.',
  runsIn: 'executor',
  config: z
    .object({
      branches: z
        .array(
          z
            .object({
              port: z.string().regex(PORT).describe('Output port of this branch.'),
              weight: z.number().finite().min(0).max(1e9).describe('Relative share of requests (0 takes none).'),
            })
            .strict(),
        )
        .min(1)
        .max(64)
        .default([
          { port: 'a', weight: 50 },
          { port: 'b', weight: 50 },
        ])
        .describe('Branches with their weights; each takes weight / sum of the requests.'),
      sticky: Sticky.optional().describe('Where the key that keeps one user on one branch is read: {header} or {path}.'),
    })
    .strict()
    .refine((c) => new Set(c.branches.map((b) => b.port)).size === c.branches.length, { message: 'branch ports must be unique', path: ['branches'] })
    .refine((c) => c.branches.reduce((s, b) => s + b.weight, 0) > 0, { message: 'the weights must sum to a positive number', path: ['branches'] }),
  inputs: [{ name: 'in', type: 'any', required: true, description: 'Value to route.' }],
  outputs: (c) => {
    const sum = c.branches.reduce((s, b) => s + b.weight, 0);
    return c.branches.map((b) => ({ name: b.port, type: 'any' as const, description: `Takes ${sum > 0 ? Math.round((b.weight / sum) * 1000) / 10 : 0}% of the requests (weight ${b.weight}).` }));
  },
});

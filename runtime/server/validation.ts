import type { Context } from 'hono';
import { z } from 'zod';
import { GRAPH_NAME } from '../../shared/graph.js';
import type { CompileErrorResponse } from '../../shared/protocol.js';
import { requestErrors } from '../../shared/zod-errors.js';

/** What a zod check hands back (zValidator's hook, safeParse). */
export interface Checked {
  success: boolean;
  error?: { issues: readonly z.core.$ZodIssue[] };
}

/**
 * zValidator's hook for the control plane's routes: 400 with every issue at its JSON path
 * (shared/zod-errors.ts, as the compiler reports a graph's). `what` names the input.
 */
export const invalidRequest =
  (what: string) =>
  (r: Checked, c: Context): Response | undefined => {
    if (r.success) return undefined;
    return c.json(requestErrors(r.error?.issues ?? [], what) satisfies CompileErrorResponse, 400);
  };

/** The `:name` of every /api/graphs/:name route, by the graph schema's own rule (shared/graph.ts). */
export const NameParam = z.object({ name: z.string().regex(GRAPH_NAME, 'a graph name is lower-case letters, digits, _ or -') });

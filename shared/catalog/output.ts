import { z } from 'zod';
import { defineKind } from './types.js';

export const output = defineKind({
  kind: 'output',
  title: 'Output',
  category: 'io',
  description: "The graph's response: one input's value, or every input keyed by its source node.",
  docs: 'With one incoming edge the response is that value; with several (a join), it is an object keyed by each source node id. Branches not taken by a switch are left out.',
  runsIn: 'executor',
  role: 'exit',
  config: z.object({}).strict(),
  inputs: [{ name: 'in', type: 'any', required: true, multiple: true, description: 'Values to return.' }],
  outputs: [],
});

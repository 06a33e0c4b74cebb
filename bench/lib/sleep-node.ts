// A node that stands for a model call whose time is spent off the CPU (a GPU
// kernel, a remote model): it holds each call for `ms` and passes its input on.
// bench/fanout and bench/autoscale use it so their figures show the runtime's
// scheduling, not how two shared CPU cores split arithmetic.
import { defineNode, z } from '../../runtime/index.js';

export const sleepNode = defineNode({
  kind: 'bench-sleep',
  title: 'Bench sleep',
  description: 'Waits `ms`, then returns its input.',
  inputs: [{ name: 'in', type: 'any', required: true, description: 'Any value.' }],
  outputs: [{ name: 'out', type: 'any', description: 'The same value.' }],
  config: z.object({ ms: z.number().min(0).default(50) }),
  async call(inputs, { config }) {
    await new Promise((r) => setTimeout(r, config.ms));
    return { out: inputs.in };
  },
});

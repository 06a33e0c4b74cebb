// One version of a model for bench/release: holds each call `ms` (time off the CPU, like
// bench-sleep) and fails every `failEvery`-th call, so a regression is injected by config.
import { defineNode, z } from '../../runtime/index.js';

export const versionNode = defineNode({
  kind: 'bench-version',
  title: 'Bench version',
  description: 'Waits `ms`, fails every `failEvery`-th call, returns {label, in}.',
  inputs: [{ name: 'in', type: 'any', required: true, description: 'Any value.' }],
  outputs: [{ name: 'out', type: 'json', description: '{label, in}.' }],
  config: z.object({ ms: z.number().min(0).default(5), failEvery: z.number().int().min(0).default(0), label: z.string().default('v1') }),
  setup: () => ({ calls: 0 }),
  async call(inputs, { config, state }) {
    state.calls++;
    if (config.failEvery > 0 && state.calls % config.failEvery === 0) throw new Error('injected regression');
    if (config.ms > 0) await new Promise((r) => setTimeout(r, config.ms));
    return { out: { label: config.label, in: inputs.in } };
  },
});

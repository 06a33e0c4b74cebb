// A pass-through node for bench/overhead: whatever comes in goes out, so the
// bench measures the runtime (HTTP, executor, router, worker transport) alone.
import { defineNode, z } from '../../runtime/index.js';

export const passthrough = defineNode({
  kind: 'bench-echo',
  title: 'Bench echo',
  description: 'Returns its input unchanged.',
  inputs: [{ name: 'in', type: 'any', required: true, description: 'Any value.' }],
  outputs: [{ name: 'out', type: 'any', description: 'The same value.' }],
  config: z.object({}),
  call: (inputs) => ({ out: inputs.in }),
});

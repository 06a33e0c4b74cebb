import { z } from 'zod';
import { defineKind } from './types.js';

export const custom = defineKind({
  kind: 'custom',
  title: 'Custom function',
  category: 'custom',
  memoryMb: 48,
  description: 'Runs a function exported by your own JavaScript or TypeScript module.',
  docs: 'The module must sit inside a directory the operator allowed with `beamline serve --allow-custom --nodes <dir>`. For typed ports and a config form of your own, write a full kind with defineNode() instead; it then appears in the palette like a built-in one.',
  runsIn: 'replica',
  config: z
    .object({
      module: z.string().min(1).max(500).describe('Module path, relative to an allowed modules directory.'),
      exportName: z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/).default('default').describe('Exported function to call with (input, options).'),
      options: z.record(z.string(), z.unknown()).default({}).describe('Passed to the function as its second argument.'),
    })
    .strict(),
  files: [{ field: 'module', root: 'modules' }],
  inputs: [{ name: 'in', type: 'any', required: true, description: 'Value given to the function.' }],
  outputs: [{ name: 'out', type: 'any', description: 'What the function returns.' }],
});

// The package entry: `import { defineNode, z } from 'beamline'` in user node modules.
// Kept light on purpose: replica workers import it, so it must not pull in the server.
export { z } from 'zod';
export { type DefinedNode, defineNode, type NodeDefinition } from './define-node.js';
export type { CallContext, Device, NodeContext, NodeImplementation, NodeInputs, NodeInstance, NodeOutputs } from './nodes/types.js';
export { NodeInputError } from './nodes/types.js';
export { readSecretEnv, type SecretPolicy } from './security/secret-policy.js';

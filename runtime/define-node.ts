import type { z } from 'zod';
import type { Category, NodeKind, SecretEnvField } from '../shared/catalog/types.js';
import type { DeploymentInput } from '../shared/deployment.js';
import type { PortSpec } from '../shared/ports.js';
import type { CallContext, NodeContext, NodeImplementation, NodeInputs, NodeInstance, NodeOutputs } from './nodes/types.js';

export interface NodeDefinition<C extends z.ZodType, S> {
  kind: string;
  title: string;
  description: string;
  category?: Category;
  docs?: string;
  inputs: PortSpec[] | ((config: z.output<C>) => PortSpec[]);
  outputs: PortSpec[] | ((config: z.output<C>) => PortSpec[]);
  config: C;
  deployment?: DeploymentInput;
  /** Resident MB one replica takes (thread, modules, model); placement reserves it unless resources.memoryMb is set (default 48). */
  memoryMb?: number;
  streams?: boolean;
  /** Config fields naming secret env vars: deploy refuses variables and base URLs the operator did not allow; read them with readSecretEnv(name, url, ctx.secrets). */
  secretEnv?: SecretEnvField<z.output<C>>[];
  /** Runs once per replica before it serves; what it returns is handed to call/batch as `state`. */
  setup?: (config: z.output<C>, ctx: NodeContext) => Promise<S> | S;
  call?: (inputs: NodeInputs, ctx: CallContext & { state: S; config: z.output<C> }) => Promise<NodeOutputs> | NodeOutputs;
  batch?: (items: NodeInputs[], ctx: { calls: CallContext[]; state: S; config: z.output<C> }) => Promise<(NodeOutputs | Error)[]>;
  health?: (state: S) => Promise<void> | void;
  close?: (state: S) => Promise<void> | void;
}

/** A kind defined in user code: the catalog entry and its implementation in one object. */
export type DefinedNode<C extends z.ZodType = z.ZodType> = NodeKind<C> & NodeImplementation<z.output<C>> & { readonly defineNode: true };

/**
 * Define a custom node kind. Export the result from a module and serve it with
 * `beamline serve --nodes <module>`: the kind appears in the catalog and its
 * replicas load the same module in their workers.
 */
export function defineNode<C extends z.ZodType, S = undefined>(def: NodeDefinition<C, S>): DefinedNode<C> {
  if (!def.call && !def.batch) throw new Error(`node kind "${def.kind}" needs call() or batch()`);
  const setup = async (config: z.output<C>, ctx: NodeContext): Promise<NodeInstance> => {
    const state = (def.setup ? await def.setup(config, ctx) : undefined) as S;
    const instance: NodeInstance = {
      call: def.call
        ? async (inputs, c) =>
            def.call!(inputs, {
              requestId: c.requestId,
              // Getters, so the AbortSignal and the token emitter are only made for nodes that use them.
              get emitToken() {
                return c.emitToken;
              },
              get signal() {
                return c.signal;
              },
              state,
              config,
            })
        : async (inputs, c) => {
            const [r] = await def.batch!([inputs], { calls: [c], state, config });
            if (r instanceof Error) throw r;
            return r;
          },
    };
    if (def.batch) instance.batch = (items, calls) => def.batch!(items, { calls, state, config });
    if (def.health) instance.health = () => def.health!(state);
    if (def.close) instance.close = () => def.close!(state);
    return instance;
  };
  return {
    kind: def.kind,
    title: def.title,
    description: def.description,
    category: def.category ?? 'custom',
    ...(def.docs !== undefined ? { docs: def.docs } : {}),
    inputs: def.inputs,
    outputs: def.outputs,
    config: def.config,
    ...(def.deployment !== undefined ? { deployment: def.deployment } : {}),
    ...(def.memoryMb !== undefined ? { memoryMb: def.memoryMb } : {}),
    ...(def.secretEnv !== undefined ? { secretEnv: def.secretEnv } : {}),
    runsIn: 'replica',
    batchable: !!def.batch,
    streams: !!def.streams,
    setup,
    defineNode: true,
  };
}

export function isDefinedNode(v: unknown): v is DefinedNode {
  return typeof v === 'object' && v !== null && (v as { defineNode?: unknown }).defineNode === true && typeof (v as { kind?: unknown }).kind === 'string';
}

/** Every defineNode() export of a module (default export included). */
export function definedNodesOf(mod: Record<string, unknown>): DefinedNode[] {
  const out = new Map<string, DefinedNode>();
  for (const v of Object.values(mod)) if (isDefinedNode(v)) out.set(v.kind, v);
  return [...out.values()];
}

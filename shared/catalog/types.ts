import type { z } from 'zod';
import type { DeploymentInput } from '../deployment.js';
import type { PortSpec } from '../ports.js';

export const CATEGORIES = ['io', 'text', 'models', 'retrieval', 'control', 'custom'] as const;
export type Category = (typeof CATEGORIES)[number];

/**
 * A config field that names a file or folder. The runtime refuses a graph whose
 * value resolves outside the allowed directory for `root` before anything loads.
 * models: the models directory; modules: directories allowed with --allow-custom
 * (user code); graph: the graph file's folder (or the data directory).
 */
export interface FileField<C = Record<string, unknown>> {
  field: string;
  root: 'models' | 'modules' | 'graph';
  /** Only a path when this holds (e.g. llm.model is a model name for the openai backend). */
  when?: ConfigFn<C, boolean>;
}

/**
 * The config field a multiplexed node points at one model of its models folder
 * (Ray Serve's @serve.multiplexed): only kinds that declare it can set
 * `deployment.multiplex`, and only while `when` holds for the node's config.
 */
export interface MultiplexField<C = Record<string, unknown>> {
  field: string;
  when?: ConfigFn<C, boolean>;
}

/**
 * A config field that names an environment variable holding a secret the node
 * reads and sends (an API key). Only variables the operator allows may be named,
 * and when the operator pins base URLs, `sentTo` (the field holding the URL the
 * secret is sent to) must be under one of them (runtime/security/secret-check.ts).
 */
export interface SecretEnvField<C = Record<string, unknown>> {
  field: string;
  /** Config field holding the URL that receives the secret. */
  sentTo?: string;
  /** Only read when this holds. */
  when?: ConfigFn<C, boolean>;
}

/**
 * A function of a node's parsed config. Declared through a method so its parameter is
 * checked both ways: a kind with its own config type is then still a NodeKind, which is
 * what lets a list of kinds be typed without casts. Sound because every caller passes a
 * config the kind's own schema has parsed.
 */
export type ConfigFn<C, R> = { bivariant(config: C): R }['bivariant'];

/**
 * One node kind, defined once: the editor's palette and forms, the compiler's
 * checks, the runtime, metrics labels and the exporters all read this.
 */
export interface NodeKind<C extends z.ZodType = z.ZodType, K extends string = string> {
  /** The kind's id in graphs; the runtime's registry (runtime/kinds.ts) is keyed by it. */
  kind: K;
  title: string;
  category: Category;
  /** One line for the palette. */
  description: string;
  /** Longer help shown in the inspector. */
  docs?: string;
  /** Ports; a function when they depend on the node's config (input fields, switch cases). */
  inputs: PortSpec[] | ConfigFn<z.output<C>, PortSpec[]>;
  outputs: PortSpec[] | ConfigFn<z.output<C>, PortSpec[]>;
  /** Config schema with defaults and a description on each field. */
  config: C;
  /** Defaults layered under the node's own deployment settings. */
  deployment?: DeploymentInput;
  /**
   * Resident memory one replica of this kind takes with its default model, in MB: the
   * worker thread, the node's modules and the model (measured, docs/runtime.md). Placement
   * reserves it for a replica whose deployment sets no resources.memoryMb; unset: 48.
   */
  memoryMb?: number;
  /**
   * `executor`: runs inline in the request's executor (no replicas, no resources),
   * for routing glue such as input, output and switch. `replica`: a pool of replicas.
   */
  runsIn: 'executor' | 'replica';
  /** The implementation accepts a list of inputs in one call (dynamic batching). */
  batchable?: boolean;
  /** The implementation streams tokens (LLM). */
  streams?: boolean;
  /**
   * The graph's ends, which the compiler finds by this rather than by kind name: `entry`
   * takes the request (exactly one per graph), `exit` makes the response (one per graph
   * unless it sets multipleOutputs). The editor's palette offers each only once.
   */
  role?: 'entry' | 'exit';
  /** Config fields that name files, for the path guard. */
  files?: FileField<z.output<C>>[];
  /** The model field a replica points at each model of `deployment.multiplex.modelsFolder` (unset: the kind cannot be multiplexed). */
  multiplex?: MultiplexField<z.output<C>>;
  /** Config fields that name secret environment variables, for the secret guard. */
  secretEnv?: SecretEnvField<z.output<C>>[];
  /**
   * Most GPUs the implementation can use with this config: 0 runs on the CPU only,
   * 1 is one ONNX Runtime session on one device. `validate` and `plan` warn when a
   * node reserves more (shared/gpu-use.ts). Unset or undefined: not known.
   */
  gpuUse?: ConfigFn<z.output<C>, number | undefined>;
}

/** A kind with its config type and its literal id kept, so the catalog can list its ids as a type. */
export function defineKind<C extends z.ZodType, const K extends string>(k: NodeKind<C, K>): NodeKind<C, K> {
  return k;
}

export function inputPorts<C extends z.ZodType>(k: NodeKind<C>, config: z.output<C>): PortSpec[] {
  return typeof k.inputs === 'function' ? k.inputs(config) : k.inputs;
}

export function outputPorts<C extends z.ZodType>(k: NodeKind<C>, config: z.output<C>): PortSpec[] {
  return typeof k.outputs === 'function' ? k.outputs(config) : k.outputs;
}

/** The file-naming config fields that apply to this config, with their values (the path guard and the exporter read these). */
export function activeFiles(k: NodeKind, config: Record<string, unknown>): { field: string; root: FileField['root']; value: string }[] {
  return (k.files ?? []).flatMap((f) => {
    const value = config[f.field];
    return typeof value === 'string' && (!f.when || f.when(config)) ? [{ field: f.field, root: f.root, value }] : [];
  });
}

/** The secret-naming config fields that apply to this config: the variable named and where its value is sent. */
export function activeSecretEnv(k: NodeKind, config: Record<string, unknown>): { field: string; name: string; sentTo?: { field: string; url: string | undefined } }[] {
  return (k.secretEnv ?? []).flatMap((f) => {
    const name = config[f.field];
    if (typeof name !== 'string' || name === '' || (f.when && !f.when(config))) return [];
    const url = f.sentTo === undefined ? undefined : config[f.sentTo];
    return [{ field: f.field, name, ...(f.sentTo !== undefined ? { sentTo: { field: f.sentTo, url: typeof url === 'string' ? url : undefined } } : {}) }];
  });
}

/** The config field a multiplexed node of this kind loads each model into, or why it cannot be multiplexed with this config. */
export function multiplexField(k: NodeKind, config: Record<string, unknown>): { field: string } | { refused: string } {
  const m = k.multiplex;
  if (!m) return { refused: `kind ${k.kind} cannot be multiplexed: its model is not a model folder` };
  if (m.when && !m.when(config)) return { refused: `kind ${k.kind} cannot be multiplexed with this config (its ${m.field} is not a model folder here)` };
  return { field: m.field };
}

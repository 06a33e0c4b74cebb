import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from 'commander';
import { parseCluster } from '../../shared/cluster-spec.js';
import type { GraphError } from '../../shared/errors.js';
import { type Cluster, singleMachine } from '../../shared/placement.js';
import { schedulableMemoryMb } from '../controlplane/cluster.js';
import { parseJsonText, readInputFile } from './read-file.js';

export interface ClusterOptions {
  cluster?: string;
  gpus?: number;
  cpus?: number;
  gpuMemory?: number;
  memory?: number;
}

/** commander parser for counts and sizes: a finite number >= 0, else a usage error. */
export function nonNegative(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number >= 0');
  return n;
}

export function wholeNumber(value: string): number {
  const n = nonNegative(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
}

/**
 * The cluster to plan for: a cluster file, or one machine from the flags, where
 * anything not given is this machine's CPUs and memory and no GPUs. GPUs given
 * with --gpus are declared, not detected, so they are marked virtual.
 */
export function resolveCluster(opts: ClusterOptions): { ok: true; cluster: Cluster; source: string } | { ok: false; errors: GraphError[] } {
  if (opts.cluster !== undefined) {
    const flags = (['gpus', 'cpus', 'gpuMemory', 'memory'] as const).filter((k) => opts[k] !== undefined);
    if (flags.length) {
      return { ok: false, errors: [{ code: 'invalid_document', path: '$', message: `--cluster cannot be combined with ${flags.map(flagName).join(', ')}`, fix: 'describe the machines in the cluster file only' }] };
    }
    const read = readInputFile(opts.cluster);
    if (!read.ok) return { ok: false, errors: [read.error] };
    const json = parseJsonText(read.text, opts.cluster);
    if (!json.ok) return { ok: false, errors: [json.error] };
    const parsed = parseCluster(json.value);
    if (!parsed.ok) return { ok: false, errors: parsed.errors.map((e) => ({ ...e, message: `${opts.cluster}: ${e.message}` })) };
    return { ok: true, cluster: parsed.cluster, source: opts.cluster };
  }
  const cluster = singleMachine({
    id: 'local',
    cpus: opts.cpus ?? availableParallelism(),
    // What `serve` would place replicas in here: the machine's memory less headroom.
    memoryMb: opts.memory ?? schedulableMemoryMb(),
    gpus: opts.gpus ?? 0,
    ...(opts.gpuMemory !== undefined ? { gpuMemoryMb: opts.gpuMemory } : {}),
    virtualGpus: true,
  });
  const given = opts.cpus !== undefined || opts.memory !== undefined || opts.gpus !== undefined;
  return { ok: true, cluster, source: given ? 'command-line flags' : 'this machine (no GPUs; declare some with --gpus)' };
}

function flagName(k: 'gpus' | 'cpus' | 'gpuMemory' | 'memory'): string {
  return k === 'gpuMemory' ? '--gpu-memory' : `--${k}`;
}

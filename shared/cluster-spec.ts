import { z } from 'zod';
import { type GraphError, jsonPath } from './errors.js';
import type { Cluster } from './placement.js';
import { zodErrors } from './zod-errors.js';

/**
 * A cluster declared in a file (`beamline plan --cluster cluster.json`) or in the
 * editor's placement preview. A machine lists its GPUs, or gives a count and one
 * card size for all of them.
 */
const GpuEntrySchema = z
  .object({
    memoryMb: z.number().int().min(1).max(4_194_304).describe('Memory of this GPU in MB.'),
    name: z.string().max(200).optional().describe('Model name shown in tables, e.g. A100-80GB.'),
  })
  .strict();

export const MachineSpecSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'a machine id is 1-64 letters, digits, _ . : or -'),
    cpus: z.number().min(0).max(100_000).describe('Logical CPUs.'),
    memoryMb: z.number().int().min(0).max(1_073_741_824).describe('Memory in MB.'),
    gpus: z
      .union([z.number().int().min(0).max(1024), z.array(GpuEntrySchema).max(1024)])
      .default(0)
      .describe('GPU count (all of gpuMemoryMb each) or one entry per GPU.'),
    gpuMemoryMb: z.number().int().min(1).max(4_194_304).default(16_000).describe('Memory per GPU when gpus is a count.'),
  })
  .strict();

export const ClusterSpecSchema = z
  .object({
    machines: z.array(MachineSpecSchema).min(1).max(10_000),
  })
  .strict()
  .describe('Machines to place replicas on.');

/** Cluster document -> placement cluster, or every error with its JSON path. Never throws. */
export function parseCluster(input: unknown): { ok: true; cluster: Cluster } | { ok: false; errors: GraphError[] } {
  const r = ClusterSpecSchema.safeParse(input);
  const errors: GraphError[] = r.success ? [] : zodErrors(r.error.issues, [], 'invalid_document', undefined, ClusterSpecSchema);
  // Duplicate ids are checked on the raw document too, so they show up with the schema errors.
  const machines = typeof input === 'object' && input !== null && Array.isArray((input as { machines?: unknown }).machines) ? (input as { machines: unknown[] }).machines : [];
  const seen = new Set<string>();
  machines.forEach((m, i) => {
    const id = typeof m === 'object' && m !== null ? (m as { id?: unknown }).id : undefined;
    if (typeof id !== 'string') return;
    if (seen.has(id)) errors.push({ code: 'duplicate_id', path: jsonPath(['machines', i, 'id']), message: `machine id "${id}" is used more than once`, fix: 'give each machine its own id' });
    seen.add(id);
  });
  if (!r.success || errors.length) return { ok: false, errors };
  return {
    ok: true,
    cluster: {
      machines: r.data.machines.map((m) => ({
        id: m.id,
        cpus: m.cpus,
        memoryMb: m.memoryMb,
        gpus:
          typeof m.gpus === 'number'
            ? Array.from({ length: m.gpus }, (_, index) => ({ index, memoryMb: m.gpuMemoryMb }))
            : m.gpus.map((g, index) => ({ index, memoryMb: g.memoryMb, ...(g.name !== undefined ? { name: g.name } : {}) })),
      })),
    },
  };
}

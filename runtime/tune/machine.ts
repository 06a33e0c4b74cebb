import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { availableParallelism, cpus, totalmem } from 'node:os';
import type { Plan } from '../../shared/plan.js';
import type { MachineInfo } from '../../shared/tuning.js';

let detected: MachineInfo | undefined;

/** This machine as a profile records it. GPUs are those nvidia-smi lists (declared GPUs are not measured hardware). */
export function thisMachine(): MachineInfo {
  if (detected) return detected;
  const gpuModels = detectGpus();
  detected = {
    cpus: availableParallelism(),
    cpuModel: (cpus()[0]?.model ?? 'unknown').trim(),
    gpus: gpuModels.length,
    ...(gpuModels.length ? { gpuModels } : {}),
    memoryMb: Math.round(totalmem() / 1_048_576),
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
  };
  return detected;
}

function detectGpus(): string[] {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n').map((s) => s.trim()).filter(Boolean);
  } catch {
    return [];
  }
}

/** What differs between two machines in a way that changes service times, as "field: a vs b"; empty when the same. */
export function machineDifferences(a: MachineInfo, b: MachineInfo): string[] {
  const out: string[] = [];
  if (a.cpus !== b.cpus) out.push(`cpus: ${a.cpus} vs ${b.cpus}`);
  if (a.cpuModel !== b.cpuModel) out.push(`cpuModel: "${a.cpuModel}" vs "${b.cpuModel}"`);
  if (a.gpus !== b.gpus) out.push(`gpus: ${a.gpus} vs ${b.gpus}`);
  if (a.platform !== b.platform) out.push(`platform: ${a.platform} vs ${b.platform}`);
  return out;
}

/**
 * sha256 over what changes a node's service time: kinds, parsed configs and the edges. Deployment
 * settings are left out, so applying tuned settings keeps the graph's profile valid.
 */
export function graphHash(plan: Plan): string {
  const nodes = plan.order.map((id) => [id, plan.nodes[id].kind, plan.nodes[id].config]);
  const edges = plan.order.flatMap((id) => plan.nodes[id].outgoing.map((e) => [e.source, e.sourceHandle, e.target, e.targetHandle].join('|'))).sort();
  return createHash('sha256').update(canonical({ nodes, edges })).digest('hex');
}

/** JSON with object keys sorted, so the hash does not depend on the order a file lists them. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

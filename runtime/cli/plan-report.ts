import type { Plan } from '../../shared/plan.js';
import type { Cluster, PlacementResult } from '../../shared/placement.js';
import { num, table } from './print.js';

export interface PlanReport {
  plan: Plan;
  cluster: Cluster;
  clusterSource: string;
  placement: PlacementResult;
  gpusWithoutSharing: number;
  gpuLowerBound: number;
  replicasAt: 'initial' | 'max';
}

/** The JSON document of `plan --json`: stages, per-node totals and the placement, no configs. */
export function planJson(file: string, r: PlanReport) {
  const p = r.plan;
  return {
    ok: true as const,
    file,
    graph: { name: p.name, routePrefix: p.routePrefix },
    stages: p.stages,
    fanOut: p.fanOut,
    fanIn: p.fanIn,
    nodes: p.order.map((id) => {
      const n = p.nodes[id];
      return { id, kind: n.kind, label: n.label, runsIn: n.runsIn, stage: n.stage, resources: n.deployment.resources, memoryMb: n.memoryMb, totals: n.totals };
    }),
    totals: p.totals,
    replicasAt: r.replicasAt,
    cluster: r.cluster,
    gpusUsed: r.placement.gpusUsed,
    gpusWithoutSharing: r.gpusWithoutSharing,
    gpuLowerBound: r.gpuLowerBound,
    placement: r.placement,
  };
}

const pct = (used: number, total: number) => (total > 0 ? `${Math.round((used / total) * 100)}%` : '-');

/** The human report of `plan`: stages, per-node totals, the placement table and what stays unplaced. */
export function planText(r: PlanReport): string {
  const p = r.plan;
  const out: string[] = [];
  out.push(`graph ${p.name} at ${p.routePrefix}: ${p.order.length} nodes in ${p.stages.length} stages`);
  out.push('', 'stages (the nodes of one stage run in parallel):');
  out.push(
    indent(
      table(
        ['stage', 'nodes', 'joins'],
        p.stages.map((ids, s) => [s + 1, ids.join(', '), ids.filter((id) => p.nodes[id].upstream.length > 1).map((id) => `${id} <- ${p.nodes[id].upstream.join(', ')}`).join('; ') || '']),
      ),
    ),
  );

  const replicaNodes = p.order.filter((id) => p.nodes[id].runsIn === 'replica');
  const at = r.replicasAt === 'max' ? 'at their maximum' : 'at deploy time';
  out.push('', `replicas ${at} (per replica x count = node total; memory: resources.memoryMb, else the kind's estimate):`);
  out.push(
    indent(
      table(
        ['node', 'kind', 'replicas', 'cpus', 'gpus', 'memory MB'],
        [
          ...replicaNodes.map((id) => {
            const n = p.nodes[id];
            const res = n.deployment.resources;
            const count = r.replicasAt === 'max' ? n.totals.maxReplicas : n.totals.replicas;
            return [
              id,
              n.kind,
              String(count),
              `${num(res.cpus)} x ${count} = ${num(res.cpus * count)}`,
              `${num(res.gpus)} x ${count} = ${num(res.gpus * count)}`,
              `${n.memoryMb} x ${count} = ${n.memoryMb * count}`,
            ];
          }),
          ['total', '', String(sumOf(r, 'count')), num(sumOf(r, 'cpus')), num(sumOf(r, 'gpus')), String(sumOf(r, 'memoryMb'))],
        ],
      ),
    ),
  );

  const machines = r.cluster.machines;
  const gpuCount = machines.reduce((s, m) => s + m.gpus.length, 0);
  const virtual = machines.some((m) => m.gpus.some((g) => g.virtual));
  out.push('', `cluster from ${r.clusterSource}: ${machines.length} machine${machines.length === 1 ? '' : 's'}, ${gpuCount} GPU${gpuCount === 1 ? '' : 's'}${virtual ? ' (declared, not detected)' : ''}`);
  out.push(
    indent(
      table(
        ['machine', 'cpus used', 'memory used', 'replicas'],
        r.placement.machines.map((m) => [
          m.machine,
          `${num(m.cpusUsed)}/${num(m.cpus)} (${pct(m.cpusUsed, m.cpus)})`,
          `${m.memoryUsedMb}/${m.memoryMb} MB (${pct(m.memoryUsedMb, m.memoryMb)})`,
          r.placement.assignments.filter((a) => a.machine === m.machine).length,
        ]),
      ),
    ),
  );
  if (gpuCount > 0) {
    out.push('', 'GPUs:');
    out.push(
      indent(
        table(
          ['machine', 'gpu', 'used', 'memory MB', 'replicas (share)'],
          r.placement.gpus.map((g) => [
            g.machine,
            g.index,
            pct(g.used, 1),
            `${g.memoryUsedMb}/${g.memoryMb}`,
            g.replicas.map((x) => `${x.replica} (${num(x.share)})`).join(', ') || '-',
          ]),
        ),
      ),
    );
  }
  out.push(
    '',
    `GPUs used: ${r.placement.gpusUsed}${gpuCount ? ` of ${gpuCount}` : ''}; one model per GPU would use ${r.gpusWithoutSharing}; the shares need at least ${r.gpuLowerBound}`,
  );
  const u = r.placement.unplaced;
  if (u.length === 0) out.push('unplaced: none');
  else {
    out.push(`unplaced: ${u.length} replica${u.length === 1 ? '' : 's'} would stay PENDING`);
    out.push(indent(table(['replica', 'short of', 'reason'], u.map((x) => [x.replica, x.resource, x.reason]))));
    out.push('to plan for other machines: --cluster cluster.json, or --gpus N --cpus N --memory MB');
  }
  return `${out.join('\n')}\n`;
}

function sumOf(r: PlanReport, what: 'count' | 'cpus' | 'gpus' | 'memoryMb'): number {
  let s = 0;
  for (const n of Object.values(r.plan.nodes)) {
    if (n.runsIn !== 'replica') continue;
    const count = r.replicasAt === 'max' ? n.totals.maxReplicas : n.totals.replicas;
    s += what === 'count' ? count : (what === 'memoryMb' ? n.memoryMb : n.deployment.resources[what]) * count;
  }
  return s;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

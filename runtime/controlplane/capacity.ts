import type { GraphError } from '../../shared/errors.js';
import type { Plan } from '../../shared/plan.js';
import { demandsFromPlan, place, type Unplaced } from '../../shared/placement.js';
import type { ClusterLedger } from './cluster.js';

export interface CapacityRefusal {
  ok: false;
  /** 400: the graph alone does not fit this server; 409: it does not fit next to the graphs deployed now. */
  status: 400 | 409;
  error: string;
  errors: GraphError[];
}

/** What a server cannot give a replica later: memory and its replica cap. Short CPUs or GPUs only leave a replica PENDING. */
const REFUSED = new Set<Unplaced['resource']>(['memoryMb', 'replicas']);

/**
 * Refuses a deploy whose initial replicas do not fit in the server's memory or under its
 * replica cap, next to every other graph's replicas (this graph's running version is left
 * out: a redeploy replaces it). Every replica costs memory, whatever its CPU share, so
 * `numReplicas: 1000, cpus: 0` is refused here instead of starting a thousand threads.
 * `beside`: a canary or shadow release, which runs next to the stable version for the whole
 * release, so the stable version's replicas are counted too.
 */
export function capacityRefusal(plan: Plan, ledger: ClusterLedger, beside?: { mode: string; version: number }): CapacityRefusal | undefined {
  const demands = demandsFromPlan(plan);
  if (demands.length === 0) return undefined;
  const mine = `${plan.name}/`;
  const others = beside ? ledger.assignments() : ledger.assignments().filter((a) => !a.replica.startsWith(mine));
  const short = place(demands, ledger.cluster, others).unplaced.filter((u) => REFUSED.has(u.resource));
  if (short.length === 0) return undefined;
  const alone = place(demands, ledger.cluster).unplaced.some((u) => REFUSED.has(u.resource));
  const byNode = new Map<string, Unplaced[]>();
  for (const u of short) byNode.set(u.node, [...(byNode.get(u.node) ?? []), u]);
  const where = alone ? 'on this server' : beside ? `next to version ${beside.version} of ${plan.name} (a ${beside.mode} runs beside it) and the other graphs` : 'next to the graphs deployed now';
  // A release that does not fit may still fit as a plain redeploy, which replaces the stable version.
  const replace = beside && !alone ? `, deploy without ?${beside.mode} (the new version then replaces version ${beside.version})` : '';
  const errors: GraphError[] = [...byNode].map(([node, us]) => {
    const n = plan.nodes[node];
    const index = plan.graph.nodes.findIndex((x) => x.id === node);
    const scaling = n.deployment.autoscaling;
    const field = scaling ? (scaling.initialReplicas !== undefined ? 'autoscaling.initialReplicas' : 'autoscaling.minReplicas') : 'numReplicas';
    return {
      code: 'invalid_deployment',
      node,
      path: `$.nodes[${index}].deployment.${field}`,
      message: `node ${node}: ${us.length} of its ${n.totals.replicas} replicas (${n.memoryMb} MB each) do not fit ${where}: ${us[0].reason}`,
      fix:
        us[0].resource === 'replicas'
          ? `lower ${field}${replace}, or start the server with a larger --max-replicas`
          : `lower ${field} or resources.memoryMb${alone ? '' : `${replace}, delete another graph`}, or start the server with more --memory`,
    };
  });
  return {
    ok: false,
    status: alone ? 400 : 409,
    error: `${beside ? `the ${beside.mode} of ${plan.name}` : `graph ${plan.name}`} does not fit in this server's ${short[0].resource === 'replicas' ? 'replica cap' : 'memory'}: ${errors.map((e) => e.message).join('; ')}`,
    errors,
  };
}

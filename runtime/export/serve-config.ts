import type { Plan } from '../../shared/plan.js';
import { type RayDeployment, toRayDeployment } from '../../shared/ray-options.js';
import { ingressSettings, nodeSettings, userConfig } from './settings.js';

export const IMPORT_PATH = 'beamline_app:app';
export const MODELS_DIR = '/home/ray/models';
export const DATA_DIR = '/home/ray/data';

export interface ServeConfigOptions {
  ingress: string;
  /** pip packages for runtime_env (serve-config target: no image carries them). */
  pip?: string[];
}

export interface ServeConfig {
  proxy_location: 'EveryNode';
  http_options: { host: string; port: number };
  applications: {
    name: string;
    route_prefix: string;
    import_path: string;
    runtime_env: Record<string, unknown>;
    deployments: RayDeployment[];
  }[];
}

/** The ingress mostly awaits handles, so it is cheap; it scales with the largest node. */
export function ingressDeployment(plan: Plan, name: string): RayDeployment {
  const ids = plan.order.filter((id) => plan.nodes[id].runsIn === 'replica');
  const autoscaled = ids.some((id) => plan.nodes[id].deployment.autoscaling);
  const most = Math.max(1, ...ids.map((id) => plan.nodes[id].totals.maxReplicas));
  return {
    name,
    ...(autoscaled ? { autoscaling_config: { min_replicas: 1, max_replicas: most, target_ongoing_requests: 50 } } : { num_replicas: 1 }),
    max_ongoing_requests: 200,
    ray_actor_options: { num_cpus: 0.25, num_gpus: 0 },
    user_config: userConfig(ingressSettings(plan)),
  };
}

/** serveConfigV2: one application, the ingress plus one deployment per replica-backed node. */
export function serveConfig(plan: Plan, opts: ServeConfigOptions): { config: ServeConfig; problems: { node: string; message: string }[] } {
  const problems: { node: string; message: string }[] = [];
  const deployments: RayDeployment[] = [ingressDeployment(plan, opts.ingress)];
  for (const id of plan.order) {
    const n = plan.nodes[id];
    if (n.runsIn !== 'replica') continue;
    const { options, problems: p } = toRayDeployment(id, n.deployment);
    for (const message of p) problems.push({ node: id, message });
    deployments.push({ ...options, user_config: userConfig(nodeSettings(plan, id)) });
  }
  return {
    problems,
    config: {
      proxy_location: 'EveryNode',
      http_options: { host: '0.0.0.0', port: 8000 },
      applications: [
        {
          name: plan.name,
          // Ray refuses a trailing '/' on a route prefix.
          route_prefix: plan.routePrefix.replace(/\/+$/, '') || '/',
          import_path: IMPORT_PATH,
          runtime_env: {
            env_vars: { BEAMLINE_MODELS_DIR: MODELS_DIR, BEAMLINE_DATA_DIR: DATA_DIR },
            ...(opts.pip?.length ? { pip: opts.pip } : {}),
          },
          deployments,
        },
      ],
    },
  };
}

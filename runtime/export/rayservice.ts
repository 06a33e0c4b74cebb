import { dump } from 'js-yaml';
import type { GroupSize } from './workers.js';
import type { ServeConfig } from './serve-config.js';

export interface RayServiceOptions {
  name: string;
  image: string;
  rayVersion: string;
  autoscaling: boolean;
  head: { cpus: number; memoryMb: number };
}

const quantity = (mb: number) => (mb % 1024 === 0 ? `${mb / 1024}Gi` : `${mb}Mi`);

/** A Kubernetes object name from a graph name (RFC 1123: lower-case, digits, '-'). */
export function k8sName(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50) || 'beamline'
  );
}

function workerGroup(g: GroupSize, image: string) {
  const limits: Record<string, string> = { cpu: String(g.shape.cpus), memory: quantity(g.shape.memoryMb) };
  if (g.shape.gpus > 0) limits['nvidia.com/gpu'] = String(g.shape.gpus);
  return {
    groupName: g.name,
    replicas: g.initial,
    minReplicas: g.min,
    maxReplicas: Math.max(g.max, g.initial, 1),
    rayStartParams: {},
    template: {
      spec: {
        containers: [
          {
            name: 'ray-worker',
            image,
            // Requests equal limits: Ray schedules by the declared CPUs and memory.
            resources: { limits, requests: { ...limits } },
            lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', 'ray stop'] } } },
          },
        ],
        ...(g.shape.gpus > 0 ? { tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] } : {}),
      },
    },
  };
}

/** A KubeRay RayService (apiVersion ray.io/v1) serving the Serve config on a cluster sized by the planner. */
export function rayService(serve: ServeConfig, groups: GroupSize[], opts: RayServiceOptions): Record<string, unknown> {
  const head = { cpu: String(opts.head.cpus), memory: quantity(opts.head.memoryMb) };
  return {
    apiVersion: 'ray.io/v1',
    kind: 'RayService',
    metadata: { name: k8sName(opts.name), labels: { 'app.kubernetes.io/name': k8sName(opts.name), 'app.kubernetes.io/managed-by': 'beamline-export' } },
    spec: {
      serveConfigV2: dump(serve, { lineWidth: -1, noRefs: true }),
      rayClusterConfig: {
        rayVersion: opts.rayVersion,
        ...(opts.autoscaling ? { enableInTreeAutoscaling: true } : {}),
        headGroupSpec: {
          // No replicas on the head: it runs the Serve controller, the proxy and the dashboard.
          rayStartParams: { 'num-cpus': '0', 'dashboard-host': '0.0.0.0' },
          template: {
            spec: {
              containers: [
                {
                  name: 'ray-head',
                  image: opts.image,
                  resources: { limits: head, requests: { ...head } },
                  ports: [
                    { containerPort: 6379, name: 'gcs-server' },
                    { containerPort: 8265, name: 'dashboard' },
                    { containerPort: 10001, name: 'client' },
                    { containerPort: 8000, name: 'serve' },
                  ],
                },
              ],
            },
          },
        },
        workerGroupSpecs: groups.map((g) => workerGroup(g, opts.image)),
      },
    },
  };
}

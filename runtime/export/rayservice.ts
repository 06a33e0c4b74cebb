import { dump } from 'js-yaml';
import type { RayExportSettings } from '../../shared/export-section.js';
import type { ServeConfig } from './serve-config.js';
import type { GroupSize } from './workers.js';

export const UPGRADE_TYPES = ['NewCluster', 'NewClusterWithIncrementalUpgrade', 'None'] as const;
export type UpgradeType = (typeof UPGRADE_TYPES)[number];

export interface UpgradeStrategy {
  type: UpgradeType;
  /** NewClusterWithIncrementalUpgrade: the Gateway API class KubeRay shifts traffic with (required by KubeRay). */
  gatewayClassName?: string;
  stepSizePercent?: number;
  intervalSeconds?: number;
  maxSurgePercent?: number;
}

export interface RayServiceOptions {
  name: string;
  /** The image every Ray container runs; for an imported RayService, only when --image asked for one. */
  image?: string;
  rayVersion: string;
  /** --ray-version: replaces an imported cluster's rayVersion (otherwise kept as written, or absent). */
  rayVersionFlag?: string;
  autoscaling: boolean;
  head: { cpus: number; memoryMb: number };
  upgradeStrategy?: UpgradeStrategy;
  /** The RayService a graph was imported from (spec without serveConfigV2). */
  stored?: RayExportSettings['rayService'];
  /** Groups sized by the planner that replace the stored ones of the same name (Beamline's cpu-workers and gpu-workers). */
  replaceGroups: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

export const quantity = (mb: number) => (mb % 1024 === 0 ? `${mb / 1024}Gi` : `${mb}Mi`);

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

/** Beamline's worker groups: the names export sizes, kept apart from a user's own groups. */
export const BEAMLINE_GROUPS = ['cpu-workers', 'gpu-workers'];

export function workerGroup(g: GroupSize, image: string): Obj {
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

function generatedCluster(groups: GroupSize[], opts: RayServiceOptions, image: string): Obj {
  const head = { cpu: String(opts.head.cpus), memory: quantity(opts.head.memoryMb) };
  return {
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
              image,
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
    workerGroupSpecs: groups.map((g) => workerGroup(g, image)),
  };
}

/** The Ray container of a pod template: KubeRay takes the first one. */
function rayContainer(template: unknown): Obj | undefined {
  const containers = isObj(template) && isObj(template.spec) ? (template.spec.containers as unknown[]) : undefined;
  return Array.isArray(containers) && isObj(containers[0]) ? containers[0] : undefined;
}

/** The image of the imported head's Ray container, if any. */
export function storedImage(stored: RayExportSettings['rayService']): string | undefined {
  const cluster = stored?.spec?.rayClusterConfig;
  const head = isObj(cluster) && isObj(cluster.headGroupSpec) ? cluster.headGroupSpec.template : undefined;
  const image = rayContainer(head)?.image;
  return typeof image === 'string' ? image : undefined;
}

/**
 * The imported cluster with the graph's changes: Ray version and image when
 * flags set them, Beamline's own worker groups resized by the planner, the
 * user's own groups as written.
 */
function mergedCluster(stored: Obj, groups: GroupSize[], opts: RayServiceOptions, image: string): Obj {
  const cluster = clone(stored);
  if (opts.rayVersionFlag) cluster.rayVersion = opts.rayVersionFlag;
  const templates: unknown[] = [isObj(cluster.headGroupSpec) ? cluster.headGroupSpec.template : undefined];
  const written = Array.isArray(cluster.workerGroupSpecs) ? (cluster.workerGroupSpecs as Obj[]) : [];
  let specs = written;
  if (opts.replaceGroups) {
    const sized = new Map(groups.map((g) => [g.name, g]));
    specs = written.map((w) => {
      const g = sized.get(String(w.groupName) as GroupSize['name']);
      if (!g) return w;
      sized.delete(g.name);
      // Keep what was added to the group (node selectors, volumes, env); size and shape it as planned.
      const fresh = workerGroup(g, image);
      const container = rayContainer(w.template);
      const freshContainer = rayContainer(fresh.template)!;
      if (container) Object.assign(container, { resources: freshContainer.resources });
      return { ...w, replicas: fresh.replicas, minReplicas: fresh.minReplicas, maxReplicas: fresh.maxReplicas };
    });
    specs.push(...[...sized.values()].map((g) => workerGroup(g, image)));
    if (opts.autoscaling) cluster.enableInTreeAutoscaling = true;
  }
  if (specs.length || Array.isArray(cluster.workerGroupSpecs)) cluster.workerGroupSpecs = specs;
  if (opts.image) {
    for (const t of [...templates, ...specs.map((w) => w.template)]) {
      const c = rayContainer(t);
      if (c) c.image = opts.image;
    }
  }
  return cluster;
}

/** A KubeRay RayService (apiVersion ray.io/v1) serving the Serve config: generated, or the imported one with the graph's changes. */
export function rayService(serve: ServeConfig, groups: GroupSize[], opts: RayServiceOptions): Record<string, unknown> {
  const stored = opts.stored;
  const image = opts.image ?? storedImage(stored) ?? 'rayproject/ray';
  const name = k8sName(opts.name);
  const metadata = stored?.metadata && typeof stored.metadata.name === 'string' ? clone(stored.metadata) : { name, labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'beamline-export' } };
  const storedCluster = stored?.spec && isObj(stored.spec.rayClusterConfig) ? stored.spec.rayClusterConfig : undefined;
  const spec: Obj = {
    ...(stored?.spec ? clone(stored.spec) : {}),
    serveConfigV2: dump(serve, { lineWidth: -1, noRefs: true }),
    rayClusterConfig: storedCluster ? mergedCluster(storedCluster, groups, opts, image) : generatedCluster(groups, opts, image),
  };
  if (opts.upgradeStrategy) {
    const u = opts.upgradeStrategy;
    const kept = isObj(spec.upgradeStrategy) && isObj(spec.upgradeStrategy.clusterUpgradeOptions) ? (spec.upgradeStrategy.clusterUpgradeOptions as Obj) : {};
    spec.upgradeStrategy = {
      type: u.type,
      ...(u.type === 'NewClusterWithIncrementalUpgrade'
        ? {
            clusterUpgradeOptions: {
              ...kept,
              ...(u.gatewayClassName !== undefined ? { gatewayClassName: u.gatewayClassName } : {}),
              stepSizePercent: u.stepSizePercent ?? kept.stepSizePercent ?? 10,
              intervalSeconds: u.intervalSeconds ?? kept.intervalSeconds ?? 30,
              maxSurgePercent: u.maxSurgePercent ?? kept.maxSurgePercent ?? 100,
            },
          }
        : {}),
    };
    // KubeRay refuses an incremental upgrade without Ray's autoscaler (ValidateClusterUpgradeOptions).
    if (u.type === 'NewClusterWithIncrementalUpgrade') (spec.rayClusterConfig as Obj).enableInTreeAutoscaling = true;
  }
  return { apiVersion: 'ray.io/v1', kind: 'RayService', metadata, spec };
}

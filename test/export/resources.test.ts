import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { ExportError, exportGraph } from '../../runtime/export/export.js';
import type { DeploymentInput } from '../../shared/deployment.js';
import { validators, type Yaml } from './helpers.js';

const { rayService, serveConfig } = validators();

/** input -> one classifier per entry (in parallel) -> output. */
function graph(nodes: Record<string, DeploymentInput>) {
  const ids = Object.keys(nodes);
  return {
    version: 1,
    name: 'gpus',
    routePrefix: '/gpus',
    nodes: [
      { id: 'input', kind: 'input', config: { fields: { text: 'text' } } },
      ...ids.map((id) => ({ id, kind: 'classifier', config: {}, deployment: nodes[id] })),
      { id: 'output', kind: 'output', config: {} },
    ],
    edges: [
      ...ids.map((id) => ({ source: 'input', sourceHandle: 'text', target: id, targetHandle: 'text' })),
      ...ids.map((id) => ({ source: id, sourceHandle: 'label', target: 'output', targetHandle: 'in' })),
    ],
  };
}

function exported(g: unknown, opts: Parameters<typeof exportGraph>[1] = { target: 'rayservice' }) {
  const r = exportGraph(g, opts);
  const manifest = load(r.files.get('rayservice.yaml')!) as Yaml;
  expect(rayService(manifest), JSON.stringify(rayService.errors)).toBe(true);
  const serve = load(manifest.spec.serveConfigV2) as Yaml;
  expect(serveConfig(serve), JSON.stringify(serveConfig.errors)).toBe(true);
  const deployment = (name: string) => serve.applications[0].deployments.find((d: Yaml) => d.name === name);
  const group = (name: string) => manifest.spec.rayClusterConfig.workerGroupSpecs.find((w: Yaml) => w.groupName === name);
  return { manifest, deployment, group };
}

const gpuWorker = (gpus: number) => ({ cpus: 8, memoryMb: 32_768, gpus, gpuMemoryMb: 24_576 });

describe('resources and replicas translate to Ray options and KubeRay worker groups', () => {
  it('fractional GPUs: num_gpus keeps the fraction, and four quarter replicas share one GPU worker', () => {
    const { deployment, group } = exported(graph({ a: { numReplicas: 2, resources: { gpus: 0.25 } }, b: { numReplicas: 2, resources: { gpus: 0.25 } } }));
    expect(deployment('a').ray_actor_options).toEqual({ num_cpus: 1, num_gpus: 0.25 });
    expect(deployment('a').num_replicas).toBe(2);
    const gpu = group('gpu-workers');
    expect([gpu.replicas, gpu.minReplicas, gpu.maxReplicas]).toEqual([1, 1, 1]);
    expect(gpu.template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe('1');
  });

  it('whole-GPU replicas: num_gpus 2 and GPU pods with 2 GPUs each', () => {
    const { deployment, group } = exported(graph({ big: { numReplicas: 1, resources: { gpus: 2, memoryMb: 4096 } } }));
    expect(deployment('big').ray_actor_options).toEqual({ num_cpus: 1, num_gpus: 2, memory: 4096 * 1024 * 1024 });
    expect(group('gpu-workers').template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe('2');
    expect(group('gpu-workers').replicas).toBe(1);
    // No GPU on the CPU group.
    expect(group('cpu-workers').template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBeUndefined();
  });

  it('a graph needing more GPUs than one machine gets enough GPU workers', () => {
    const g = graph({ a: { numReplicas: 3, resources: { gpus: 1 } }, b: { numReplicas: 1, resources: { gpus: 0.5 } } });
    // 3.5 GPUs: two 2-GPU pods hold them, four 1-GPU pods do.
    expect(exported(g, { target: 'rayservice', gpuWorker: gpuWorker(2) }).group('gpu-workers').replicas).toBe(2);
    expect(exported(g, { target: 'rayservice', gpuWorker: gpuWorker(1) }).group('gpu-workers').replicas).toBe(4);
  });

  it('autoscaling bounds: autoscaling_config in seconds, worker pods from the fewest to the most replicas', () => {
    const { manifest, deployment, group } = exported(
      graph({ a: { autoscaling: { minReplicas: 1, initialReplicas: 2, maxReplicas: 6, targetOngoingRequests: 3, upscaleDelayMs: 5000, downscaleDelayMs: 60_000, metricsIntervalMs: 2000, lookBackPeriodMs: 10_000 }, resources: { gpus: 1 } } }),
      { target: 'rayservice', gpuWorker: gpuWorker(2) },
    );
    expect(deployment('a').autoscaling_config).toEqual({ min_replicas: 1, initial_replicas: 2, max_replicas: 6, target_ongoing_requests: 3, upscale_delay_s: 5, downscale_delay_s: 60, metrics_interval_s: 2, look_back_period_s: 10 });
    expect(deployment('a').num_replicas).toBeUndefined();
    const gpu = group('gpu-workers');
    expect([gpu.minReplicas, gpu.replicas, gpu.maxReplicas]).toEqual([1, 1, 3]);
    expect(manifest.spec.rayClusterConfig.enableInTreeAutoscaling).toBe(true);
  });

  it('scale to zero: minReplicas 0 gives a GPU group that may have no pods', () => {
    const { group } = exported(graph({ a: { autoscaling: { minReplicas: 0, maxReplicas: 2 }, resources: { gpus: 1 } } }));
    expect([group('gpu-workers').minReplicas, group('gpu-workers').replicas, group('gpu-workers').maxReplicas]).toEqual([0, 0, 2]);
  });

  it('timeouts and queues: ms become s, health and shutdown settings are carried', () => {
    const { deployment } = exported(graph({ a: { maxOngoingRequests: 7, maxQueuedRequests: 50, healthCheckPeriodMs: 2500, healthCheckTimeoutMs: 4000, gracefulShutdownTimeoutMs: 1500 } }));
    expect(deployment('a')).toMatchObject({ max_ongoing_requests: 7, max_queued_requests: 50, health_check_period_s: 2.5, health_check_timeout_s: 4, graceful_shutdown_timeout_s: 1.5 });
  });

  it('a batch larger than max_ongoing_requests is pointed out', () => {
    const r = exportGraph(graph({ small: { maxOngoingRequests: 2, batching: { maxBatchSize: 8, batchWaitTimeoutMs: 5 } }, fine: {} }), { target: 'rayservice' });
    expect(r.warnings.filter((w) => w.includes('max_ongoing_requests'))).toEqual([expect.stringMatching(/^small: max_ongoing_requests 2 is below maxBatchSize 8/)]);
  });

  it('settings Ray cannot hold are refused naming the node', () => {
    expect(() => exportGraph(graph({ idle: { numReplicas: 0 } }), { target: 'rayservice' })).toThrow(/node idle: numReplicas 0 cannot be exported/);
    expect(() => exportGraph(graph({ huge: { resources: { cpus: 64 } } }), { target: 'rayservice' })).toThrow(/node huge: one replica does not fit a cpu-workers pod/);
    expect(() => exportGraph(graph({ wide: { resources: { gpus: 4 } } }), { target: 'rayservice', gpuWorker: gpuWorker(2) })).toThrow(/node wide: .*4 whole GPUs/);
  });

  it('a custom node is refused with its id and module', () => {
    const g = graph({ a: {} });
    g.nodes.splice(1, 0, { id: 'mine', kind: 'custom', config: { module: 'stats.js' } as never, deployment: {} });
    g.edges.push({ source: 'input', sourceHandle: 'text', target: 'mine', targetHandle: 'in' });
    let error: unknown;
    try {
      exportGraph(g, { target: 'rayservice' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).problems).toEqual([expect.objectContaining({ node: 'mine', message: expect.stringMatching(/cannot be exported: a custom node runs .*"stats\.js"/) })]);
  });

  it('metrics_interval_s is written only when the graph sets it (Ray deprecates it)', () => {
    const unset = exported(graph({ a: { autoscaling: { minReplicas: 1, maxReplicas: 3 } } }));
    expect(unset.deployment('a').autoscaling_config).not.toHaveProperty('metrics_interval_s');
    const set = exported(graph({ a: { autoscaling: { minReplicas: 1, maxReplicas: 3, metricsIntervalMs: 2000 } } }));
    expect(set.deployment('a').autoscaling_config.metrics_interval_s).toBe(2);
  });

  it('--ray-version and --image are checked', () => {
    const g = graph({ a: {} });
    expect(() => exportGraph(g, { target: 'rayservice', rayVersion: 'banana' })).toThrow(/Ray version "banana" is not a release such as 2\.52\.0/);
    expect(() => exportGraph(g, { target: 'rayservice', rayVersion: '2.9.3' })).toThrow(/Ray 2\.9\.3 is older than 2\.10/);
    expect(() => exportGraph(g, { target: 'rayservice', image: 'Not An Image' })).toThrow(/image "Not An Image" is not a container image reference/);
    expect(exported(g, { target: 'rayservice', rayVersion: '2.53.0rc1', image: 'registry.example.com:5000/team/app:1.0' }).manifest.spec.rayClusterConfig.rayVersion).toBe('2.53.0rc1');
  });

  it('--upgrade-strategy sets spec.upgradeStrategy; the incremental one needs a gateway class and turns on the autoscaler', () => {
    expect(exported(graph({ a: {} }), { target: 'rayservice', upgradeStrategy: { type: 'NewCluster' } }).manifest.spec.upgradeStrategy).toEqual({ type: 'NewCluster' });
    expect(() => exportGraph(graph({ a: {} }), { target: 'rayservice', upgradeStrategy: { type: 'NewClusterWithIncrementalUpgrade' } })).toThrow(/needs a Gateway API class \(--gateway-class/);
    const { manifest } = exported(graph({ a: {} }), { target: 'rayservice', upgradeStrategy: { type: 'NewClusterWithIncrementalUpgrade', gatewayClassName: 'istio' } });
    expect(manifest.spec.upgradeStrategy).toEqual({ type: 'NewClusterWithIncrementalUpgrade', clusterUpgradeOptions: { gatewayClassName: 'istio', stepSizePercent: 10, intervalSeconds: 30, maxSurgePercent: 100 } });
    expect(manifest.spec.rayClusterConfig.enableInTreeAutoscaling).toBe(true);
  });
});


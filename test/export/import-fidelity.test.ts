import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { ExportError, exportGraph, exportGraphs } from '../../runtime/export/export.js';
import { loadImplementation } from '../../runtime/dataplane/replicas/load-implementation.js';
import { compile } from '../../shared/compile.js';
import { fromFlow, type GraphInput, GraphSchema, toFlow } from '../../shared/graph.js';
import { importServeConfig, importServeConfigAll } from '../../shared/ray-import.js';
import { ROOT, SCHEMAS, validators, type Yaml } from './helpers.js';

/** What import keeps of a Serve config or RayService, and what export writes back from it. */

const fixture = (p: string) => readFileSync(join(ROOT, 'test/fixtures/ray-configs', p), 'utf8');
const sample = readFileSync(join(SCHEMAS, 'kuberay/samples/ray-service.sample.yaml'), 'utf8');
const incremental = readFileSync(join(SCHEMAS, 'kuberay/samples/ray-service.incremental-upgrade.yaml'), 'utf8');
const { rayService, serveConfig, serveConfigLenient } = validators();
const node = (g: GraphInput, id: string) => g.nodes.find((n) => n.id === id)! as { id: string; kind: string; config: Yaml; deployment: Yaml };
const compiles = (g: GraphInput) => {
  const r = compile(g);
  expect(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('; ')).toBe(true);
};
const deploymentOf = (cfg: Yaml, app: number, name: string) => cfg.applications[app].deployments.find((d: Yaml) => d.name === name);

describe('import reads what real configs hold', () => {
  it('a multi-document file: the RayService is found, the other documents are named', () => {
    const { graph, warnings } = importServeConfig(fixture('ray-docs/fault_tolerance-k8s_config.yaml'));
    expect(node(graph, 'SleepyPid').deployment).toMatchObject({ numReplicas: 6, resources: { cpus: 0 } });
    expect(warnings[0]).toBe('the file has 4 YAML documents; imported RayService "rayservice-sample" (document 4) and left out ConfigMap "redis-config" (document 1), Service "redis" (document 2), Deployment "redis" (document 3)');
    compiles(graph);
  });

  it('num_replicas "auto" with an autoscaling_config: the explicit fields win over Ray\'s auto defaults', () => {
    const { graph, warnings } = importServeConfig(fixture('ray-serve-tests/use_custom_autoscaling.yaml'));
    // Ray: AutoscalingConfig.default() (min 1, max 100, target 2) updated with the fields the config sets.
    expect(node(graph, 'CustomAutoscalingPolicy').deployment.autoscaling).toEqual({ minReplicas: 1, maxReplicas: 2, targetOngoingRequests: 2, upscaleDelayMs: 1000, downscaleDelayMs: 2000 });
    expect(warnings.join('\n')).toMatch(/num_replicas: "auto" is autoscaling from 1 to 2 replicas/);
    // auto alone: Ray's defaults.
    const alone = importServeConfig('applications:\n- name: a\n  import_path: m:app\n  deployments:\n  - name: D\n    num_replicas: auto\n');
    expect(node(alone.graph, 'D').deployment.autoscaling).toEqual({ minReplicas: 1, maxReplicas: 100, targetOngoingRequests: 2 });
  });

  it('sub-millisecond durations fit Beamline\'s whole milliseconds, the graph validates, and export writes them back exactly', () => {
    const { graph, warnings } = importServeConfig(fixture('ray-serve-tests/arithmetic.yaml'));
    expect(node(graph, 'Router').deployment.gracefulShutdownTimeoutMs).toBe(0);
    expect(warnings).toContain('$.applications[0].deployments[0].graceful_shutdown_timeout_s: 0.0001 is 0.1 ms, and Beamline keeps whole ms, so Beamline plans with 0 ms; export writes 0.0001 back');
    compiles(graph);
    const cfg = exportGraph(graph, { target: 'serve-config' }).serveConfig as Yaml;
    expect(cfg.applications[0].deployments.map((d: Yaml) => d.graceful_shutdown_timeout_s)).toEqual([0.0001, 0.0001, 0.0001]);
    // Values out of Beamline's range are clamped for planning, and kept for Ray.
    const tiny = importServeConfig('applications:\n- name: a\n  import_path: m:app\n  deployments:\n  - name: D\n    health_check_period_s: 0.01\n    ray_actor_options: {num_gpus: 1.5}\n');
    expect(node(tiny.graph, 'D').deployment).toMatchObject({ healthCheckPeriodMs: 100, resources: { gpus: 2 } });
    compiles(tiny.graph);
    expect(deploymentOf(exportGraph(tiny.graph, { target: 'serve-config' }).serveConfig, 0, 'D')).toEqual({ name: 'D', health_check_period_s: 0.01, ray_actor_options: { num_gpus: 1.5 } });
  });

  it('--python: multi-line @serve.deployment(...) decorators name their deployments', () => {
    const python = `from ray import serve

@serve.deployment(
    name="Mango",
    num_replicas=2,
    ray_actor_options={"num_cpus": 0.1},
)
class MangoStand:
    @serve.batch(
        max_batch_size=4,
    )
    async def handle(self, items):
        return items


@serve.deployment(name="FruitMarket")
class Market:
    def __init__(self, mango):
        self.mango = mango


app = Market.bind(MangoStand.bind())
`;
    const { graph, warnings } = importServeConfig('applications:\n- name: fruit\n  import_path: fruit:app\n  deployments:\n  - name: Mango\n    num_replicas: 2\n', { python });
    expect(graph.edges.map((e) => `${e.source}->${e.target}`).sort()).toEqual(['FruitMarket->Mango', 'FruitMarket->output', 'input->FruitMarket']);
    expect(warnings.join('\n')).toMatch(/deployment "Mango" batches with @serve\.batch\(max_batch_size=4, batch_wait_timeout_s=0\.01\)/);
    compiles(graph);
  });

  it('route_prefix / is kept for Ray (Beamline serves it elsewhere), and import_path is stored as written', () => {
    const { graph, warnings } = importServeConfig(fixture('ray-serve-tests/deploy_grpc_app.yaml'));
    expect(graph.routePrefix).toBe('/app1');
    expect(graph.export?.ray?.application).toEqual({ route_prefix: '/' });
    const app = graph.nodes.find((n) => n.kind === 'ray-deployment')!;
    expect(app.config).toEqual({ importPath: 'ray.serve.tests.test_config_files.grpc_deployment:g', options: {} });
    expect(warnings.join('\n')).toMatch(/route_prefix is \/ \(the editor, in beamline serve\): the graph serves at \/app1 in Beamline, and export writes route_prefix "\/" back/);
    const cfg = exportGraph(graph, { target: 'serve-config' }).serveConfig as Yaml;
    expect(cfg.applications[0]).toEqual({ name: 'app1', route_prefix: '/', import_path: 'ray.serve.tests.test_config_files.grpc_deployment:g' });
    expect(cfg.grpc_options).toEqual({ port: 9000, grpc_servicer_functions: ['ray.serve.generated.serve_pb2_grpc.add_UserDefinedServiceServicer_to_server'] });
  });

  it('every field is carried or named: kept for export (runtime_env, args, logging_config, http/grpc options, actor runtime_env, upgradeStrategy) or left out', () => {
    const kept = (ws: string[]) => ws.find((w) => w.startsWith('kept in the graph'))!;
    expect(kept(importServeConfig(fixture('ray-serve-tests/arithmetic.yaml')).warnings)).toMatch(/deployment Subtract: ray_actor_options\.runtime_env .*application runtime_env/);
    expect(kept(importServeConfig(fixture('ray-docs/video-analysis-config.yaml')).warnings)).toMatch(/proxy_location; http_options; grpc_options; logging_config; .*autoscaling_config\.smoothing_factor, autoscaling_config\.aggregation_function/);
    expect(kept(importServeConfig(incremental).warnings)).toMatch(/the RayService \(upgradeStrategy, rayClusterConfig\)/);
    expect(kept(importServeConfig(fixture('kuberay/e2e-rayservice.static.yaml')).warnings)).toMatch(/application runtime_env/);
    // args stay on the node standing for the application; Ray's own fields survive the trip (checked in ray-configs.test.ts).
    expect(importServeConfig(fixture('ray-serve-tests/apps_with_http.yaml')).warnings[0]).toBe("$: port is not a field of Ray's Serve config; left out");
    expect(importServeConfig(fixture('ray-docs/model_composition_recsys-service.yaml')).warnings[0]).toBe("$: name, image_uri, compute_config, working_dir are not a field of Ray's Serve config; left out");
    const unknown = importServeConfig('applications:\n- name: a\n  import_path: m:app\n  deployments:\n  - name: D\n    max_concurrent_queries: 3\n');
    expect(unknown.warnings).toContain('$.applications[0].deployments[0]: max_concurrent_queries is not an option of a Ray Serve deployment; left out');
  });

  it('an application that lists no deployments is one node standing for it, with its import path and args', () => {
    const all = importServeConfigAll(fixture('ray-serve-tests/apps_with_args.yaml'));
    expect(all.applications.map((a) => a.application)).toEqual(['untyped_default', 'untyped_hello', 'typed_default', 'typed_hello']);
    const hello = all.applications[1].graph;
    expect(hello.nodes.map((n) => n.kind)).toEqual(['input', 'ray-deployment', 'output']);
    expect(hello.nodes[1].config).toEqual({ importPath: 'ray.serve.tests.test_config_files.arg_builders.build_echo_app', args: { message: 'hello' }, options: {} });
    compiles(hello);
    const cfg = exportGraphs(all.applications.map((a) => a.graph), { target: 'serve-config' }).serveConfig as Yaml;
    expect(cfg.applications[1]).toEqual({ name: 'untyped_hello', route_prefix: '/untyped_hello', import_path: 'ray.serve.tests.test_config_files.arg_builders.build_echo_app', args: { message: 'hello' } });
  });
});

describe('a Ray user edits an imported RayService on the canvas and exports it again', () => {
  const all = importServeConfigAll(sample);
  const fruit = all.applications[0].graph;
  const math = all.applications[1].graph;

  it('a multi-application config is one graph per application, exported back into one RayService unchanged', () => {
    expect(all.applications.map((a) => [a.application, a.graph.name, a.graph.routePrefix])).toEqual([
      ['fruit_app', 'fruit_app', '/fruit'],
      ['math_app', 'math_app', '/calc'],
    ]);
    const out = exportGraphs([fruit, math], { target: 'rayservice' });
    const source = load(sample) as Yaml;
    const manifest = load(out.files.get('rayservice.yaml')!) as Yaml;
    expect(load(manifest.spec.serveConfigV2)).toEqual(load(source.spec.serveConfigV2));
    expect(manifest.spec.rayClusterConfig).toEqual(source.spec.rayClusterConfig);
    expect(rayService(manifest), JSON.stringify(rayService.errors)).toBe(true);
    // The kept cluster is part of the document: the editor's canvas form carries it through a save.
    const parsed = GraphSchema.parse(fruit);
    expect(parsed.export?.ray?.rayService?.spec?.rayClusterConfig).toEqual(source.spec.rayClusterConfig);
    expect(fromFlow(toFlow(parsed)).export).toEqual(parsed.export);
    // Their code is theirs: no Python, Dockerfile or requirements are written for it.
    expect([...out.files.keys()].sort()).toEqual(['README.md', 'monitoring/grafana-dashboard.json', 'monitoring/podmonitor.yaml', 'rayservice.yaml', 'serve-config.yaml']);
  });

  it('edited replicas and resources are written over the imported options; the rest stays as it was', () => {
    const edited = structuredClone(fruit);
    Object.assign(node(edited, 'MangoStand').deployment, { numReplicas: 5, resources: { cpus: 0.5 } });
    node(edited, 'PearStand').deployment = { autoscaling: { minReplicas: 1, maxReplicas: 4 }, resources: { cpus: 0.1 } };
    const cfg = exportGraphs([edited, math], { target: 'rayservice' }).serveConfig as Yaml;
    expect(deploymentOf(cfg, 0, 'MangoStand')).toEqual({ name: 'MangoStand', num_replicas: 5, max_replicas_per_node: 1, user_config: { price: 3 }, ray_actor_options: { num_cpus: 0.5 } });
    // Autoscaling replaces the fixed count.
    expect(deploymentOf(cfg, 0, 'PearStand')).toEqual({ name: 'PearStand', user_config: { price: 1 }, ray_actor_options: { num_cpus: 0.1 }, autoscaling_config: { min_replicas: 1, max_replicas: 4 } });
    expect(deploymentOf(cfg, 0, 'OrangeStand')).toEqual({ name: 'OrangeStand', num_replicas: 1, user_config: { price: 2 }, ray_actor_options: { num_cpus: 0.1 } });
    expect(serveConfig(cfg), JSON.stringify(serveConfig.errors)).toBe(true);
  });

  it('the cluster comes back as imported; --image, --ray-version and --upgrade-strategy override it', () => {
    const source = load(sample) as Yaml;
    const plain = load(exportGraphs([fruit, math], { target: 'rayservice' }).files.get('rayservice.yaml')!) as Yaml;
    expect(plain.spec.rayClusterConfig.rayVersion).toBe('2.52.0');
    expect(plain.spec.upgradeStrategy).toBeUndefined();
    const flagged = load(exportGraphs([fruit, math], { target: 'rayservice', image: 'registry.example/fruit:2', rayVersion: '2.53.0', upgradeStrategy: { type: 'None' } }).files.get('rayservice.yaml')!) as Yaml;
    const cluster = flagged.spec.rayClusterConfig;
    expect(cluster.rayVersion).toBe('2.53.0');
    expect([cluster.headGroupSpec.template.spec.containers[0].image, ...cluster.workerGroupSpecs.map((w: Yaml) => w.template.spec.containers[0].image)]).toEqual(['registry.example/fruit:2', 'registry.example/fruit:2']);
    expect(cluster.workerGroupSpecs.map((w: Yaml) => w.groupName)).toEqual(source.spec.rayClusterConfig.workerGroupSpecs.map((w: Yaml) => w.groupName));
    expect(flagged.spec.upgradeStrategy).toEqual({ type: 'None' });
    expect(rayService(flagged), JSON.stringify(rayService.errors)).toBe(true);
    // The incremental sample keeps its upgrade options through the trip.
    const inc = importServeConfig(incremental).graph;
    const back = load(exportGraph(inc, { target: 'rayservice' }).files.get('rayservice.yaml')!) as Yaml;
    expect(back.spec.upgradeStrategy).toEqual((load(incremental) as Yaml).spec.upgradeStrategy);
  });

  it('a graph of imported deployments and a Beamline graph export to one RayService with both applications', () => {
    const rag = JSON.parse(readFileSync(join(ROOT, 'examples/rag/graph.json'), 'utf8'));
    const out = exportGraphs([fruit, rag], { target: 'rayservice' });
    const manifest = load(out.files.get('rayservice.yaml')!) as Yaml;
    expect(rayService(manifest), JSON.stringify(rayService.errors)).toBe(true);
    const cfg = load(manifest.spec.serveConfigV2) as Yaml;
    expect(cfg.applications.map((a: Yaml) => [a.name, a.import_path])).toEqual([
      ['fruit_app', 'fruit.deployment_graph'],
      ['rag', 'beamline_app:app'],
    ]);
    expect(serveConfigLenient(cfg), JSON.stringify(serveConfigLenient.errors)).toBe(true);
    expect(out.files.has('app/beamline_app.py')).toBe(true);
  });

  it('a Beamline node among imported deployments is refused naming it; Ray deployments are not "JavaScript"', () => {
    const mixed = structuredClone(fruit);
    mixed.nodes.push({ id: 'clean', kind: 'preprocessor', config: {}, deployment: {} });
    mixed.edges.push({ source: 'MangoStand', sourceHandle: 'out', target: 'clean', targetHandle: 'text' });
    let error: unknown;
    try {
      exportGraph(mixed, { target: 'rayservice' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).problems).toEqual([expect.objectContaining({ node: 'clean', message: expect.stringMatching(/a preprocessor node cannot be in the Ray application of the imported deployments \(FruitMarket, MangoStand, OrangeStand, PearStand\)/) })]);
    expect(String((error as Error).message)).not.toMatch(/JavaScript/);
  });

  it('beamline serve refuses a Ray deployment node with a message saying what to do', async () => {
    const impl = await loadImplementation('ray-deployment', []);
    await expect(impl.setup(node(fruit, 'MangoStand').config, {} as never)).rejects.toThrow(
      /deployment "MangoStand" of fruit\.deployment_graph is Python code for Ray Serve, which beamline serve cannot run; export the graph with `beamline export`/,
    );
  });
});

describe("a Beamline export's RayService keeps what was edited in it", () => {
  it('image, Ray version, worker shape, Ingress replicas and extra options survive import and export', () => {
    const r = exportGraph(readFileSync(join(ROOT, 'examples/rag/graph.json'), 'utf8'), { target: 'rayservice' });
    const manifest = load(r.files.get('rayservice.yaml')!) as Yaml;
    const cluster = manifest.spec.rayClusterConfig;
    cluster.rayVersion = '2.53.0';
    for (const t of [cluster.headGroupSpec.template, ...cluster.workerGroupSpecs.map((w: Yaml) => w.template)]) t.spec.containers[0].image = 'registry.example/rag:7';
    const cpu = cluster.workerGroupSpecs.find((w: Yaml) => w.groupName === 'cpu-workers');
    cpu.template.spec.containers[0].resources = { limits: { cpu: '8', memory: '32Gi' }, requests: { cpu: '8', memory: '32Gi' } };
    cpu.template.spec.nodeSelector = { pool: 'cpu' };
    const serve = load(manifest.spec.serveConfigV2) as Yaml;
    const ingress = serve.applications[0].deployments.find((d: Yaml) => d.name === 'Ingress');
    ingress.num_replicas = 3;
    serve.applications[0].deployments.find((d: Yaml) => d.name === 'embed').max_replicas_per_node = 2;
    serve.applications[0].runtime_env = { env_vars: { HF_HOME: '/cache' } };
    manifest.spec.serveConfigV2 = dump(serve);

    const { graph, warnings } = importServeConfig(dump(manifest), { python: r.files.get('app/beamline_app.py')! });
    expect(warnings.join('\n')).toMatch(/kept in the graph's export section .*deployment embed: max_replicas_per_node; deployment Ingress: num_replicas; application runtime_env/);
    const again = exportGraph(graph, { target: 'rayservice' });
    const back = load(again.files.get('rayservice.yaml')!) as Yaml;
    expect(rayService(back), JSON.stringify(rayService.errors)).toBe(true);
    const c = back.spec.rayClusterConfig;
    expect(c.rayVersion).toBe('2.53.0');
    expect(c.headGroupSpec.template.spec.containers[0].image).toBe('registry.example/rag:7');
    const cpuBack = c.workerGroupSpecs.find((w: Yaml) => w.groupName === 'cpu-workers');
    expect(cpuBack.template.spec.containers[0].resources.limits).toEqual({ cpu: '8', memory: '32Gi' });
    expect(cpuBack.template.spec.nodeSelector).toEqual({ pool: 'cpu' });
    expect(again.groups.find((g) => g.name === 'cpu-workers')!.shape).toMatchObject({ cpus: 8, memoryMb: 32_768 });
    const cfg = load(back.spec.serveConfigV2) as Yaml;
    expect(deploymentOf(cfg, 0, 'Ingress').num_replicas).toBe(3);
    expect(deploymentOf(cfg, 0, 'embed').max_replicas_per_node).toBe(2);
    expect(cfg.applications[0].runtime_env).toEqual({ env_vars: { HF_HOME: '/cache' } });
    expect(serveConfig(cfg), JSON.stringify(serveConfig.errors)).toBe(true);
    // A flag still wins over the kept cluster.
    const flagged = load(exportGraph(graph, { target: 'rayservice', cpuWorker: { cpus: 2 }, rayVersion: '2.52.0' }).files.get('rayservice.yaml')!) as Yaml;
    expect(flagged.spec.rayClusterConfig.rayVersion).toBe('2.52.0');
    expect(flagged.spec.rayClusterConfig.workerGroupSpecs.find((w: Yaml) => w.groupName === 'cpu-workers').template.spec.containers[0].resources.limits.cpu).toBe('2');
  });
});

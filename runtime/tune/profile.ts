import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import type { Deployment } from '../../shared/deployment.js';
import type { Plan, PlanNode } from '../../shared/plan.js';
import { type InputsSource, type NodeProfile, PROFILE_FORMAT, PROFILE_VERSION, type Profile, type ProfilePoint, type ProfileProgress } from '../../shared/tuning.js';
import { ClusterLedger, describeCluster } from '../controlplane/cluster.js';
import { GraphDeployment } from '../controlplane/deployment.js';
import { Metrics } from '../controlplane/metrics.js';
import { gatherInputs } from '../dataplane/executor.js';
import { invokeGraph } from '../dataplane/invoke.js';
import type { Router } from '../dataplane/router.js';
import type { NodeOutputs } from '../nodes/types.js';
import { calibrate } from './calibrate.js';
import { TuneError } from './errors.js';
import { generateSamples } from './inputs.js';
import { graphHash, thisMachine } from './machine.js';
import { meanStd, summarize } from './stats.js';

export interface ProfileOptions {
  /** Sample requests for the input node (parsed JSONL lines, or run history); generated from its fields when absent. */
  samples?: Record<string, unknown>[];
  /** Where the samples came from (recorded in the profile). */
  inputsSource?: InputsSource;
  inputsFile?: string;
  /** Requests generated when no samples are given (default 8). */
  generated?: number;
  /** Largest batch size measured for batchable kinds (default 16). */
  maxBatch?: number;
  /** Largest concurrency per replica measured (default 4). */
  maxConcurrency?: number;
  /** A point stops when the relative standard error of its mean is below this (default 0.05)... */
  relErr?: number;
  /** ...or when it has this many calls (default 60) or has run this long (default 3000 ms). */
  maxSamples?: number;
  maxPointMs?: number;
  /** Where model paths resolve (default models/) and the graph file's folder. */
  modelsDir?: string;
  graphDir?: string;
  dataDir?: string;
  /** Custom kind modules as file URLs (the same the plan was compiled with). */
  modules?: string[];
  /** GPUs to declare when the machine has none (GPU nodes then run on the CPU, as `serve --gpus`). */
  gpus?: number;
  gpuMemoryMb?: number;
  /** Longest a replica may take to load (default 120 s). */
  loadWaitMs?: number;
  /** Whole-graph requests measured for the request path (docs/tuning.md, Profile step 5) (default 300, at most `calibrateMs`, default 8000 ms); 0 skips the step. */
  calibrateRequests?: number;
  calibrateMs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

const MIN_SAMPLES = 5;
const WARMUP = 2;
/** Mean pause between the request-path step's requests (ms): long enough that the replicas idle between them, as under open-loop load. */
const CALIBRATE_THINK_MS = 20;

/**
 * Runs every replica-backed node of the plan on this machine and measures its service time:
 * first the whole graph once per sample (each node's real inputs are what its upstream produced),
 * then each node's inputs replayed at concurrency 1, 2, 4 ... (batch 1) and, for batchable kinds,
 * at batch 2, 4, 8 ... (concurrency 1), each point until its mean is stable. Replicas are real
 * (worker threads with the node's share as placed). Then whole-graph requests through HTTP at low
 * load (calibrate.ts) measure the request path outside the nodes. When the graph's CPU reservations
 * together exceed this machine's CPUs, every reservation is scaled down to fit while measuring (a
 * reservation places a replica, it does not speed it up; recorded as cpuScale). Throws a TuneError
 * naming the node that cannot be profiled; nothing is written here (the caller stores the result).
 */
export async function profileGraph(plan: Plan, opts: ProfileOptions = {}, onProgress: (e: ProfileProgress) => void = () => {}): Promise<Profile> {
  const t0 = performance.now();
  const samples = opts.samples ?? generateSamples(plan, opts.generated ?? 8);
  const source: InputsSource = opts.samples ? (opts.inputsSource ?? 'file') : 'generated';
  const replicaNodes = plan.order.filter((id) => plan.nodes[id].runsIn === 'replica');
  const maxConcurrency = Math.max(1, opts.maxConcurrency ?? 4);
  const maxBatch = Math.max(1, opts.maxBatch ?? 16);
  const { cluster, gpuSource } = describeCluster({ ...(opts.gpus !== undefined ? { gpus: opts.gpus } : {}), ...(opts.gpuMemoryMb !== undefined ? { gpuMemoryMb: opts.gpuMemoryMb } : {}) });
  const env = {
    ledger: new ClusterLedger(cluster, gpuSource),
    metrics: new Metrics(),
    modules: opts.modules ?? [],
    dataDir: resolve(opts.dataDir ?? '.beamline'),
    modelsDir: resolve(opts.modelsDir ?? 'models'),
    log: opts.log ?? (() => {}),
  };
  const machineCpus = cluster.machines[0].cpus;
  // One replica of every node at once must fit for steps 1 and 4: scale the CPU reservations when they do not.
  const wanted = replicaNodes.reduce((sum, id) => sum + plan.nodes[id].deployment.resources.cpus, 0);
  const cpuScale = wanted > machineCpus ? Math.floor((machineCpus / wanted) * 1000) / 1000 : 1;
  const scaled = (n: PlanNode, f: number) => ({ ...n.deployment.resources, cpus: Math.round(n.deployment.resources.cpus * f * 1000) / 1000 });
  let replicaCounter = 0;
  const start = async (variant: Plan): Promise<GraphDeployment> => {
    const dep = new GraphDeployment(variant, 1, env, () => `p${++replicaCounter}`, opts.graphDir);
    dep.start();
    await dep.settled(opts.loadWaitMs ?? 120_000);
    const failed = dep.loadFailures();
    const stuck = [...dep.pools].filter(([id, p]) => variant.nodes[id].totals.replicas > 0 && p.running().length === 0);
    if (failed.length || stuck.length) {
      const [node, why] = failed.length ? [failed[0].node, failed[0].error] : [stuck[0][0], stuck[0][1].status()[0]?.reason ?? 'its replica did not start'];
      await dep.stop();
      throw new TuneError(`node ${node} cannot be profiled: ${why}`, 'check the model or module the node names (beamline validate), or its resources on this machine (--gpus to declare GPUs)', node);
    }
    return dep;
  };

  // 1. Each node's real inputs: the graph once per sample, every node at concurrency `maxConcurrency`, no batching.
  const capture = await start(variantOf(plan, (n) => ({ replicas: 1, deployment: { ...n.deployment, resources: scaled(n, cpuScale), batching: undefined, autoscaling: undefined, maxOngoingRequests: maxConcurrency } })));
  const inputs = new Map<string, Record<string, unknown>[]>(replicaNodes.map((id) => [id, []]));
  const firstMs = new Map<string, number>();
  let firstRequestMs = 0;
  const tCapture = performance.now();
  try {
    for (let i = 0; i < samples.length; i++) {
      checkAbort(opts.signal);
      const results = new Map<string, NodeOutputs | null>();
      let failedNode: string | undefined;
      const tRequest = performance.now();
      try {
        await invokeGraph(capture, samples[i], {
          timeoutMs: 300_000,
          trace: false,
          hooks: {
            onEnd: (node, span, outputs) => {
              results.set(node, outputs);
              if (!firstMs.has(node)) firstMs.set(node, span.end - span.start);
            },
            onError: (node) => {
              failedNode = node;
            },
          },
        });
      } catch (e) {
        const node = failedNode ?? (e as { node?: string }).node;
        throw new TuneError(`${node ? `node ${node}` : 'the graph'} failed on sample ${i + 1}: ${(e as Error).message}`, source === 'generated' ? 'give representative requests with --inputs samples.jsonl' : 'check that sample', node);
      }
      if (i === 0) firstRequestMs = performance.now() - tRequest;
      for (const id of replicaNodes) {
        const got = results.has(id) ? gatherInputs(plan.nodes[id], results) : undefined;
        if (got) inputs.get(id)!.push(got);
      }
      onProgress({ type: 'inputs', done: i + 1, total: samples.length });
    }
  } catch (e) {
    await capture.stop();
    throw e;
  }
  const deployS = (tCapture - t0) / 1000;

  // 2. The points to measure and an up-front estimate of how long they take.
  const todo: { node: string; batch: number; concurrency: number }[] = [];
  for (const id of replicaNodes) {
    if (!inputs.get(id)!.length) continue;
    for (let k = 1; k <= maxConcurrency; k *= 2) todo.push({ node: id, batch: 1, concurrency: k });
    if (plan.nodes[id].batchable) for (let b = 2; b <= maxBatch; b *= 2) todo.push({ node: id, batch: b, concurrency: 1 });
  }
  const maxSamples = opts.maxSamples ?? 60;
  const maxPointMs = opts.maxPointMs ?? 3000;
  const relErr = opts.relErr ?? 0.05;
  const guessS = (p: (typeof todo)[number]) => Math.min(maxPointMs, (WARMUP + 20) * (firstMs.get(p.node) ?? 10) * (1 + p.batch / 4) * p.concurrency) / 1000;
  const batchDeploys = todo.filter((p) => p.batch > 1).length;
  const calibrateRequests = opts.calibrateRequests ?? 300;
  const calibrateMs = opts.calibrateMs ?? 8000;
  const calibrateS = calibrateRequests > 0 ? Math.min(calibrateMs, calibrateRequests * (CALIBRATE_THINK_MS + firstRequestMs)) / 1000 : 0;
  const estimateS = todo.reduce((s, p) => s + guessS(p), 0) + batchDeploys * deployS + calibrateS;
  onProgress({ type: 'start', nodes: replicaNodes, points: todo.length, estimateS, inputs: { source, count: samples.length } });

  // 3. Measure.
  const points = new Map<string, ProfilePoint[]>(replicaNodes.map((id) => [id, []]));
  let calibration: Awaited<ReturnType<typeof calibrate>> | undefined;
  const tMeasure = performance.now();
  let done = 0;
  // Time left: the points' own pace, plus a redeploy per batch size still to measure and the request-path step when still ahead.
  const deploys: number[] = [];
  let calibrated = calibrateS === 0;
  const record = (node: string, p: ProfilePoint) => {
    points.get(node)!.push(p);
    done++;
    const elapsedS = (performance.now() - tMeasure) / 1000;
    const deploySpentS = deploys.reduce((a, b) => a + b, 0);
    const perDeployS = deploys.length ? deploySpentS / deploys.length : deployS;
    const deploysLeft = batchDeploys - deploys.length;
    const remainingS = ((elapsedS - deploySpentS) / done) * (todo.length - done) + deploysLeft * perDeployS + (calibrated ? 0 : calibrateS);
    onProgress({ type: 'point', node, batch: p.batch, concurrency: p.concurrency, samples: p.samples, meanMs: p.serviceMs.mean, done, total: todo.length, elapsedS, remainingS });
  };
  const measure = (router: Router, node: string, batch: number, concurrency: number) => measurePoint(router, node, inputs.get(node)!, batch, concurrency, { maxSamples, maxPointMs, relErr, ...(opts.signal ? { signal: opts.signal } : {}) });
  try {
    for (const [index, id] of replicaNodes.entries()) {
      onProgress({ type: 'node', node: id, index, of: replicaNodes.length });
      for (const p of todo.filter((t) => t.node === id && t.batch === 1)) record(id, await measure(capture.routers.get(id)!, id, 1, p.concurrency));
    }
    checkAbort(opts.signal);
    // 4. The request path: whole-graph requests at low load through HTTP, every node running.
    if (calibrateRequests > 0) {
      try {
        calibration = await calibrate(plan, capture, samples, { thinkMs: CALIBRATE_THINK_MS, requests: calibrateRequests, maxMs: calibrateMs, ...(opts.signal ? { signal: opts.signal } : {}) });
      } catch (e) {
        throw new TuneError(`the graph failed while its request path was measured: ${(e as Error).message}`, 'check the graph answers its samples (beamline serve, then call it)');
      }
      calibrated = true;
    }
  } finally {
    await capture.stop();
  }
  for (const id of replicaNodes) {
    for (const p of todo.filter((t) => t.node === id && t.batch > 1)) {
      checkAbort(opts.signal);
      // Only this node runs; its batches are cut full at exactly `batch` (maxOngoingRequests = batch),
      // at its own share (capped at the machine's CPUs), so its concurrent batches are as deployed.
      const tDeploy = performance.now();
      const alone = Math.min(1, machineCpus / plan.nodes[id].deployment.resources.cpus);
      const dep = await start(
        variantOf(plan, (n) =>
          n.id === id
            ? { replicas: 1, deployment: { ...n.deployment, resources: scaled(n, alone), autoscaling: undefined, batching: { maxBatchSize: p.batch, batchWaitTimeoutMs: 60_000 }, maxOngoingRequests: p.batch } }
            : { replicas: 0, deployment: { ...n.deployment, autoscaling: undefined, numReplicas: 0 } },
        ),
      );
      const startMs = performance.now() - tDeploy;
      let point: ProfilePoint;
      try {
        point = await measure(dep.routers.get(id)!, id, p.batch, 1);
      } finally {
        const tStop = performance.now();
        await dep.stop();
        deploys.push((startMs + performance.now() - tStop) / 1000);
      }
      record(id, point);
    }
  }

  const nodes: Record<string, NodeProfile> = {};
  for (const id of replicaNodes) {
    const n = plan.nodes[id];
    nodes[id] = {
      kind: n.kind,
      batchable: n.batchable,
      runsIn: n.runsIn,
      measuredWith: { cpus: n.deployment.resources.cpus, gpus: n.deployment.resources.gpus },
      points: points.get(id)!,
      reach: inputs.get(id)!.length / samples.length,
      ...(calibration?.nodes[id] ? { inGraph: calibration.nodes[id] } : {}),
    };
    if (!nodes[id].points.length) throw new TuneError(`node ${id} received no input from any sample, so it could not be measured`, 'give samples that reach it (a switch branch) with --inputs samples.jsonl', id);
  }
  const durationS = (performance.now() - t0) / 1000;
  onProgress({ type: 'done', durationS });
  return {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    graph: { name: plan.name, hash: graphHash(plan) },
    machine: thisMachine(),
    measuredAt: new Date().toISOString(),
    inputs: { source, count: samples.length, ...(opts.inputsFile ? { file: opts.inputsFile } : {}) },
    durationS,
    nodes,
    loadAverage: Math.round(loadavg()[0] * 100) / 100,
    ...(calibration ? { inGraph: calibration.graph } : {}),
    ...(cpuScale < 1 ? { cpuScale } : {}),
  };
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new TuneError('profiling was stopped', 'run it again');
}

/** The plan with each replica node's deployment and replica count replaced (deployment fields only; the rest is shared). */
function variantOf(plan: Plan, f: (n: PlanNode) => { replicas: number; deployment: Record<string, unknown> }): Plan {
  const nodes: Record<string, PlanNode> = {};
  for (const [id, n] of Object.entries(plan.nodes)) {
    if (n.runsIn !== 'replica') {
      nodes[id] = n;
      continue;
    }
    const v = f(n);
    const deployment = Object.fromEntries(Object.entries({ ...v.deployment, numReplicas: v.replicas, maxQueuedRequests: 100_000 }).filter(([, x]) => x !== undefined)) as unknown as Deployment;
    nodes[id] = { ...n, deployment, totals: { ...n.totals, replicas: v.replicas, maxReplicas: v.replicas } };
  }
  return { ...plan, nodes };
}

function routeOnce(router: Router, inputs: Record<string, unknown>, id: string): Promise<void> {
  return new Promise((resolve, reject) => router.route(inputs, id, undefined, { done: () => resolve(), failed: reject }));
}

/**
 * One point: `concurrency` callers in a closed loop, each sending a call of `batch` items (items
 * sent together, so the replica cuts them as one batch) and timing it, cycling through the
 * node's inputs. Stops when the mean's relative standard error is under relErr (after
 * MIN_SAMPLES), or at maxSamples calls, or after maxPointMs.
 */
async function measurePoint(router: Router, node: string, inputs: Record<string, unknown>[], batch: number, concurrency: number, o: { maxSamples: number; maxPointMs: number; relErr: number; signal?: AbortSignal }): Promise<ProfilePoint> {
  const times: number[] = [];
  let next = 0;
  let stop = false;
  let started = 0;
  let t0 = 0;
  const call = async () => {
    const items = Array.from({ length: batch }, () => inputs[next++ % inputs.length]);
    const t = performance.now();
    try {
      await Promise.all(items.map((x, i) => routeOnce(router, x, `profile-${node}-${next}-${i}`)));
    } catch (e) {
      throw new TuneError(`node ${node} failed while being measured (batch ${batch}, concurrency ${concurrency}): ${(e as Error).message}`, 'check the node with these inputs (beamline serve, then call it)', node);
    }
    return performance.now() - t;
  };
  // Warm-up calls are not counted (first calls pay JIT and caches).
  for (let i = 0; i < WARMUP; i++) await call();
  t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const stable = () => {
    if (times.length < MIN_SAMPLES) return false;
    const { mean, std } = meanStd(times);
    return std / Math.sqrt(times.length) / mean < o.relErr;
  };
  const worker = async () => {
    while (!stop) {
      if (started >= o.maxSamples || o.signal?.aborted) break;
      started++;
      times.push(await call());
      if (stable() || times.length >= o.maxSamples || performance.now() - t0 >= o.maxPointMs) stop = true;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { batch, concurrency, serviceMs: summarize(times), samples: times.length, throughput: times.length / elapsed, cpuMs: (cpu.user + cpu.system) / 1000 / times.length };
}

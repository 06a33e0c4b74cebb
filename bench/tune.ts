// Tuning for a target (issue 18), on the examples: profile each node here, take the hand-written
// example's measured p99 at a rate as the target, tune for it with the fewest resources, and hold
// the prediction against open-loop Poisson load (verify) for the hand-written and the tuned graph.
// RAG and document-analysis run on this machine (CPU; document-analysis with declared GPUs, its
// GPU nodes run on the CPU as `serve --gpus` does); fractional-gpu is predicted only.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderInvoice } from '../scripts/render-invoice.js';
import { BUILTIN_KINDS, Catalog } from '../shared/catalog/index.js';
import { compile } from '../shared/compile.js';
import type { Graph } from '../shared/graph.js';
import type { Plan } from '../shared/plan.js';
import type { Profile, Settings } from '../shared/tuning.js';
import { createServer } from '../runtime/server/index.js';
import { applySettings, currentSettings } from '../runtime/tune/apply.js';
import { generateSamples } from '../runtime/tune/inputs.js';
import { predict } from '../runtime/tune/model.js';
import { profileGraph } from '../runtime/tune/profile.js';
import { tune } from '../runtime/tune/search.js';
import { type VerifyReport, verify } from '../runtime/tune/verify.js';
import { markdownTable, report, type SummaryRow } from './lib/report.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1200);
const catalog = new Catalog(BUILTIN_KINDS);
const dataDir = mkdtempSync(join(tmpdir(), 'beamline-bench-tune-'));
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

interface Case {
  example: string;
  qps: number;
  /** Logical CPUs and declared GPUs the server and the tuner get. */
  cpus: number;
  gpus: number;
  samples?: Record<string, unknown>[];
  /** Predicted only (no verify): GPUs this machine does not have. */
  predictOnly?: boolean;
  requests?: number;
}

interface Row {
  example: string;
  qps: number;
  loadBefore: number[];
  profileS?: number;
  /** The profile's request-path step, and the model's independence check against it (see below). */
  requestPath?: { requests: number; overheadMs: { p50: number; p99: number }; lowLoad: { measured: { p50Ms: number; p99Ms: number }; model: { p50Ms: number; p99Ms: number } } };
  cpuScale?: number;
  /** The measured target the model could not reach; the tune then aimed at the hand-written graph's predicted p99. */
  unreachedTarget?: { p99Ms: number; reason: string };
  tuneMs?: number;
  error?: string;
  hand?: { resources: Resources; predicted: { p50Ms: number; p99Ms: number; ceilingQps: number }; verify?: VerifyReport };
  tuned?: { resources: Resources; settings: Settings; predicted: { p50Ms: number; p99Ms: number; ceilingQps: number }; binds: string[]; verify?: VerifyReport; target: number };
}

interface Resources {
  cpus: number;
  gpus: number;
  replicas: number;
}

function resourcesOf(s: Settings): Resources {
  const r = { cpus: 0, gpus: 0, replicas: 0 };
  for (const x of Object.values(s)) {
    r.cpus += x.cpus * x.numReplicas;
    r.gpus += x.gpus * x.numReplicas;
    r.replicas += x.numReplicas;
  }
  return { cpus: round(r.cpus), gpus: round(r.gpus), replicas: r.replicas };
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function measure(c: Case, doc: Graph, dir: string, prediction: ReturnType<typeof predict>, bodies: Record<string, unknown>[], profiledLoadAverage?: number): Promise<VerifyReport> {
  return verify({
    ...(profiledLoadAverage !== undefined ? { profiledLoadAverage } : {}),
    graph: doc,
    prediction,
    qps: c.qps,
    bodies,
    requests: c.requests ?? REQUESTS,
    server: {
      start: async () => {
        const s = await createServer({ port: 0, cpus: c.cpus, gpus: c.gpus, dataDir, log: () => {} });
        return {
          url: s.url,
          close: () => s.close(),
          async deploy(g: unknown) {
            const r = await s.deploy(g, dir);
            return r.ok ? { ok: true as const } : { ok: false as const, error: r.error, errors: r.errors };
          },
        };
      },
    },
    log: (l) => console.log(`  ${l}`),
  });
}

async function run(c: Case): Promise<Row> {
  const dir = join(repo, 'examples', c.example);
  const doc = JSON.parse(readFileSync(join(dir, 'graph.json'), 'utf8')) as Graph;
  const row: Row = { example: c.example, qps: c.qps, loadBefore: load() };
  const compiled = compile(doc, catalog);
  if (!compiled.ok) return { ...row, error: compiled.errors.map((e) => e.message).join('; ') };
  const plan: Plan = compiled.plan;
  // A first deploy builds what the graph needs beside it (the retriever's index from its docs); the profiler does not.
  const prep = await createServer({ port: 0, cpus: c.cpus, gpus: c.gpus, dataDir, log: () => {} });
  const deployed = await prep.deploy(doc, dir);
  await prep.close();
  if (!deployed.ok) return { ...row, error: `not deployed: ${deployed.error}` };
  console.log(`\n${c.example}: profiling (load average ${row.loadBefore.join(' ')})`);
  let profile: Profile;
  try {
    profile = await profileGraph(plan, { graphDir: dir, dataDir, gpus: c.gpus, ...(c.samples ? { samples: c.samples } : {}) }, (e) => {
      if (e.type === 'start') console.log(`  ${e.points} points, about ${Math.round(e.estimateS)} s`);
      if (e.type === 'error') console.log(`  error: ${e.message}`);
    });
  } catch (e) {
    console.log(`  not profiled: ${(e as Error).message}`);
    return { ...row, error: `not profiled: ${(e as Error).message}` };
  }
  row.profileS = round(profile.durationS, 1);
  if (profile.cpuScale) row.cpuScale = profile.cpuScale;
  if (profile.inGraph) {
    // The model at no load, with the request-path step's settings (one replica each, no batching), against
    // what that step measured end to end: the gap is what drawing nodes and the path independently misses.
    const calm = Object.fromEntries(Object.entries(currentSettings(plan)).map(([id, s]) => [id, { ...s, numReplicas: 1, maxBatchSize: 1, batchWaitMs: 0, maxOngoingRequests: 4 }]));
    const low = predict(plan, profile, calm, 1e-3);
    const g = profile.inGraph;
    row.requestPath = {
      requests: g.requests,
      overheadMs: { p50: round(g.overheadMs.p50), p99: round(g.overheadMs.p99) },
      lowLoad: { measured: { p50Ms: round(g.endToEndMs.p50), p99Ms: round(g.endToEndMs.p99) }, model: { p50Ms: round(low.p50Ms), p99Ms: round(low.p99Ms) } },
    };
  }
  const bodies = c.samples ?? generateSamples(plan, 16);
  const hand = currentSettings(plan);
  // Contention is counted on this machine's cores, not the logical CPUs a case declares.
  const handPred = predict(plan, profile, hand, c.qps, { cpus: availableParallelism() });
  row.hand = { resources: resourcesOf(hand), predicted: { p50Ms: round(handPred.p50Ms), p99Ms: round(handPred.p99Ms), ceilingQps: round(handPred.ceilingQps) } };
  if (!c.predictOnly) {
    console.log(`  hand-written at ${c.qps}/s`);
    row.hand.verify = await measure(c, doc, dir, handPred, bodies, profile.loadAverage);
  }
  // The target: the hand-written example's p99 at this rate, measured (predicted when not run here).
  let target = round(row.hand.verify?.endToEnd.measured.p99Ms ?? handPred.p99Ms, 1);
  const t0 = performance.now();
  const tuneFor = (p99Ms: number) => tune(plan, profile, { qps: c.qps, p99Ms }, { cpus: c.cpus, gpus: c.gpus }, { contentionCpus: availableParallelism() });
  let result = tuneFor(target);
  // The model cannot reach the measured p99 (it predicts the hand-written graph slower than it ran): tune for its own figure for the hand-written graph instead, said in the row.
  if (!result.ok && Number.isFinite(handPred.p99Ms) && handPred.p99Ms > target) {
    row.unreachedTarget = { p99Ms: target, reason: result.reason };
    target = round(handPred.p99Ms, 1);
    result = tuneFor(target);
  }
  row.tuneMs = Math.round(performance.now() - t0);
  if (!result.ok) return { ...row, error: `tune for p99 ≤ ${target} ms at ${c.qps}/s: ${result.reason} (best ${round(result.bestP99Ms)} ms, ceiling ${round(result.ceilingQps)}/s)` };
  row.tuned = {
    target,
    resources: resourcesOf(result.settings),
    settings: result.settings,
    predicted: { p50Ms: round(result.prediction.p50Ms), p99Ms: round(result.prediction.p99Ms), ceilingQps: round(result.prediction.ceilingQps) },
    binds: result.binds.map((b) => `${b.node} (${b.resource}): ${b.why}`),
  };
  if (!c.predictOnly) {
    console.log(`  tuned at ${c.qps}/s (target p99 ≤ ${target} ms)`);
    row.tuned.verify = await measure(c, applySettings(doc, result.settings), dir, result.prediction, bodies, profile.loadAverage);
  }
  return row;
}

const invoice = readFileSync(renderInvoice(join(dataDir, 'invoice.png')));
const cases: Case[] = [
  { example: 'rag', qps: Number(process.env.BENCH_RAG_QPS ?? 30), cpus: 2, gpus: 0 },
  // Its hand-written deployment reserves 11 CPUs and 2 GPUs: logical CPUs and declared GPUs let it run on two cores.
  {
    example: 'document-analysis',
    qps: Number(process.env.BENCH_DOC_QPS ?? 0.5),
    cpus: 12,
    gpus: 2,
    samples: [{ image: `data:image/png;base64,${invoice.toString('base64')}` }],
    requests: Number(process.env.BENCH_DOC_REQUESTS ?? 30),
  },
  { example: 'fractional-gpu', qps: 200, cpus: 8, gpus: 2, predictOnly: true },
];

const only = process.env.BENCH_TUNE_ONLY?.split(',');
const rows: Row[] = [];
for (const c of cases) if (!only || only.includes(c.example)) rows.push(await run(c));
rmSync(dataDir, { recursive: true, force: true });

const summary: SummaryRow[] = [];
const pct = (x: number | null | undefined) => (x === null || x === undefined ? undefined : round(x, 3));
for (const r of rows) {
  if (r.error) {
    summary.push({ metric: `${r.example}: tuned`, value: r.error });
    continue;
  }
  const v = r.tuned?.verify;
  if (v) {
    summary.push({ metric: `${r.example}: tuned p99 measured vs predicted (ms)`, value: v.endToEnd.measured.p99Ms ?? 'none', baseline: v.endToEnd.predicted.p99Ms ?? 'none', ...(pct(v.endToEnd.ratio.p99Ms) !== undefined ? { ratio: pct(v.endToEnd.ratio.p99Ms)! } : {}), target: 'within 25 %', pass: Math.abs((v.endToEnd.ratio.p99Ms ?? 99) - 1) <= 0.25 });
    summary.push({ metric: `${r.example}: tuned throughput measured vs predicted (req/s)`, value: v.endToEnd.measured.qps ?? 0, baseline: v.endToEnd.predicted.qps ?? 0, ...(pct(v.endToEnd.ratio.qps) !== undefined ? { ratio: pct(v.endToEnd.ratio.qps)! } : {}), target: 'within 25 %', pass: Math.abs((v.endToEnd.ratio.qps ?? 99) - 1) <= 0.25 });
    summary.push({ metric: `${r.example}: tuned vs hand-written p99 at ${r.qps}/s, measured (ms)`, value: v.endToEnd.measured.p99Ms ?? 'none', baseline: r.hand?.verify?.endToEnd.measured.p99Ms ?? 'none' });
  } else if (r.tuned) {
    summary.push({ metric: `${r.example}: tuned p99 predicted vs hand-written predicted at ${r.qps}/s (ms)`, value: r.tuned.predicted.p99Ms, baseline: r.hand?.predicted.p99Ms ?? 'none' });
  }
  if (r.tuned && r.hand) {
    summary.push({ metric: `${r.example}: CPUs reserved, tuned vs hand-written`, value: r.tuned.resources.cpus, baseline: r.hand.resources.cpus, ratio: r.hand.resources.cpus ? round(r.tuned.resources.cpus / r.hand.resources.cpus, 3) : 0 });
    summary.push({ metric: `${r.example}: GPUs reserved, tuned vs hand-written`, value: r.tuned.resources.gpus, baseline: r.hand.resources.gpus });
  }
  summary.push({ metric: `${r.example}: tuning time (profile s + search ms)`, value: `${r.profileS ?? '-'} s + ${r.tuneMs ?? '-'} ms` });
  const low = r.requestPath?.lowLoad;
  if (low) summary.push({ metric: `${r.example}: low-load p50 / p99, model vs profile's request-path step (ms)`, value: `${low.model.p50Ms} / ${low.model.p99Ms}`, baseline: `${low.measured.p50Ms} / ${low.measured.p99Ms}` });
}

const figure = markdownTable(
  ['example', 'rate', 'config', 'replicas', 'CPUs', 'GPUs', 'p50 pred', 'p50 meas', 'p99 pred', 'p99 meas', 'req/s meas', 'load avg'],
  rows.flatMap((r) =>
    (['hand', 'tuned'] as const).flatMap((k) => {
      const x = r[k];
      if (!x) return [];
      const v = x.verify;
      return [[r.example, r.qps, k === 'tuned' ? `tuned (p99 ≤ ${r.tuned?.target} ms${r.unreachedTarget ? ', predicted hand-written' : ''})` : 'hand-written', x.resources.replicas, x.resources.cpus, x.resources.gpus, x.predicted.p50Ms, v?.endToEnd.measured.p50Ms ?? '-', x.predicted.p99Ms, v?.endToEnd.measured.p99Ms ?? '-', v?.endToEnd.measured.qps ?? '-', r.loadBefore[0]]];
    }),
  ),
);

report({
  name: 'tune',
  what: `Tuning for a target on the examples. Each example is profiled on this machine (beamline profile's engine), the hand-written deployment is deployed and driven with open-loop Poisson load at the rate (${REQUESTS} requests for RAG), and its measured p99 becomes the target; the tuner then picks the settings with the fewest GPUs, then CPUs, that meet it on the same resources, and the tuned graph is loaded the same way (verify). Predicted vs measured p99 and throughput, the resources of both, and the tuning time (profile + search). RAG: 2 CPUs. document-analysis: 12 logical CPUs and 2 declared GPUs on this 2-core machine (its hand-written deployment reserves 11 CPUs and 2 GPUs), an invoice rendered by scripts/render-invoice.ts as input, 30 requests at 0.5 req/s (verify sends at most a minute of arrivals). fractional-gpu: 2 declared GPUs, prediction only.`,
  summary,
  figure,
  notes:
    'The machine is shared (the load average before each example is in the table, and each verify records it beside the profile\'s): a busy machine adds stalls to the measured tail that no profile taken at another moment can predict. Measured p99 over about a thousand requests moves by 10-20 % between runs on its own, and the profile\'s request-path step (a few hundred requests) by as much between profiles. The tuner keeps GPU shares as profiled and lowers CPU reservations to 1.25 x the predicted busy CPUs in 0.25 steps (docs/tuning.md, Search). document-analysis runs at 0.5 req/s: its OCR takes about 1.3 s of CPU an image, so the hand-written graph sustains about 0.75 req/s on these two cores whatever its 11 reserved CPUs say; its profile ran with every CPU reservation scaled to fit 2 CPUs (cpuScale).',
  details: rows,
});

// One measurement for bench/memory, in its own process so nothing else is in its
// heap: start the server, optionally deploy the RAG example with `embedReplicas`
// embedder replicas, let it settle, collect garbage, print the resident set.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureIndex } from '../../runtime/ingest.js';
import { createServer } from '../../runtime/server/index.js';
import { compile } from '../../shared/compile.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as { rag?: boolean; embedReplicas?: number; dataDir: string };
const repo = fileURLToPath(new URL('../..', import.meta.url));
const server = await createServer({ port: 0, cpus: 32, memoryMb: 64_000, log: () => {}, dataDir: opts.dataDir });
let running = 0;
if (opts.rag) {
  const file = join(repo, 'examples', 'rag', 'graph.json');
  const graph = JSON.parse(readFileSync(file, 'utf8')) as { nodes: { id: string; deployment?: Record<string, unknown> }[] };
  const embed = graph.nodes.find((n) => n.id === 'embed')!;
  embed.deployment = { ...embed.deployment, numReplicas: opts.embedReplicas ?? 1 };
  const plan = compile(graph);
  if (!plan.ok) throw new Error(JSON.stringify(plan.errors));
  // The index is built once per data directory (the first run), like `beamline serve` does at first start.
  await ensureIndex(plan.plan, { dataDir: opts.dataDir, modelsDir: join(repo, 'models'), graphDir: dirname(file) });
  const r = await server.deploy(graph, dirname(file));
  if (!r.ok) throw new Error(`${r.error} ${JSON.stringify(r.errors)}`);
  // One request through every node, so each replica has loaded and used its model.
  const res = await fetch(`${server.url}/rag`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'What is Kubernetes?' }) });
  if (res.status !== 200) throw new Error(`rag answered ${res.status}: ${await res.text()}`);
  const status = r.deployment.status();
  running = Object.values(status.nodes).reduce((s, n) => s + n.replicas.filter((x) => x.state === 'RUNNING').length, 0);
}
const gc = (globalThis as { gc?: () => void }).gc;
for (let i = 0; i < 3; i++) {
  gc?.();
  await new Promise((r) => setTimeout(r, 1000));
}
console.log(JSON.stringify({ rssMb: process.memoryUsage().rss / 2 ** 20, heapMb: process.memoryUsage().heapUsed / 2 ** 20, running }));
await server.close();
process.exit(0);

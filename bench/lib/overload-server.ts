// The server under test for bench/overload, in its own process so the load
// generator does not share its event loop. Deploys one node of known capacity
// (bench-sleep: calls held off the CPU), prints its URL as a JSON line, then
// answers "stats" messages with the most requests queued and RSS samples.
import { fileURLToPath } from 'node:url';
import { createServer } from '../../runtime/server/index.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as { sleepMs: number; inFlight: number; queue: number };
const sleepNode = fileURLToPath(new URL('./sleep-node.ts', import.meta.url));
const server = await createServer({ port: 0, nodes: [sleepNode], cpus: 4, gpus: 0, log: () => {} });
const deployed = await server.deploy({
  version: 1,
  name: 'over',
  routePrefix: '/over',
  nodes: [
    { id: 'input', kind: 'input', config: { fields: { x: 'json' } } },
    { id: 'o', kind: 'bench-sleep', config: { ms: opts.sleepMs }, deployment: { numReplicas: 1, maxOngoingRequests: opts.inFlight, maxQueuedRequests: opts.queue } },
    { id: 'output', kind: 'output' },
  ],
  edges: [
    { source: 'input', sourceHandle: 'x', target: 'o', targetHandle: 'in' },
    { source: 'o', sourceHandle: 'out', target: 'output', targetHandle: 'in' },
  ],
});
if (!deployed.ok) throw new Error(deployed.error);
const router = server.controller.get('over')!.routers.get('o')!;

let maxQueued = 0;
const rss: number[] = [];
setInterval(() => {
  maxQueued = Math.max(maxQueued, router.queued);
}, 5).unref();
setInterval(() => rss.push(process.memoryUsage().rss), 1000).unref();

process.on('message', (m: { t: string }) => {
  if (m.t === 'reset') {
    maxQueued = 0;
    rss.length = 0;
    process.send!({ t: 'reset' });
  } else if (m.t === 'stats') process.send!({ t: 'stats', maxQueued, rss });
  else if (m.t === 'close') void server.close().then(() => process.exit(0));
});
process.send!({ t: 'ready', url: `${server.url}/over` });

// The server under test for bench/overload, in its own process so the load
// generator does not share its event loop. Deploys two graphs of one node of
// known capacity each (bench-sleep: calls held off the CPU), `over` and the
// smaller `small`, tells the parent their URLs, then answers "stats" messages
// with the most requests queued and RSS samples.
import { fileURLToPath } from 'node:url';
import { createServer } from '../../runtime/server/index.js';

interface NodeSize {
  sleepMs: number;
  inFlight: number;
  queue: number;
}
const opts = JSON.parse(process.argv[2] ?? '{}') as { over: NodeSize; small: NodeSize };
const sleepNode = fileURLToPath(new URL('./sleep-node.ts', import.meta.url));
const server = await createServer({ port: 0, nodes: [sleepNode], cpus: 4, gpus: 0, log: () => {} });
for (const [name, size] of Object.entries(opts)) {
  const deployed = await server.deploy({
    version: 1,
    name,
    routePrefix: `/${name}`,
    nodes: [
      { id: 'input', kind: 'input', config: { fields: { x: 'json' } } },
      { id: 'o', kind: 'bench-sleep', config: { ms: size.sleepMs }, deployment: { numReplicas: 1, maxOngoingRequests: size.inFlight, maxQueuedRequests: size.queue } },
      { id: 'output', kind: 'output' },
    ],
    edges: [
      { source: 'input', sourceHandle: 'x', target: 'o', targetHandle: 'in' },
      { source: 'o', sourceHandle: 'out', target: 'output', targetHandle: 'in' },
    ],
  });
  if (!deployed.ok) throw new Error(deployed.error);
}
const routers = Object.keys(opts).map((name) => server.controller.get(name)!.routers.get('o')!);

let maxQueued = 0;
const rss: number[] = [];
setInterval(() => {
  for (const r of routers) maxQueued = Math.max(maxQueued, r.queued);
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
process.send!({ t: 'ready', url: server.url });

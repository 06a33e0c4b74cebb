import type { Command } from 'commander';
import { printJson } from './print.js';
import { type ServerCliOptions, serverOptions, serverRequest } from './server-client.js';

/** `port=weight` arguments as the PUT body's weights; a malformed one is named. */
export function parseWeights(args: readonly string[]): { ok: true; weights: Record<string, number> } | { ok: false; error: string } {
  const weights: Record<string, number> = {};
  for (const a of args) {
    const m = /^([^=]+)=(.*)$/.exec(a);
    const w = m && m[2].trim() !== '' ? Number(m[2]) : Number.NaN;
    if (!m || !Number.isFinite(w)) return { ok: false, error: `${JSON.stringify(a)} is not port=weight (for example a=90)` };
    weights[m[1]] = w;
  }
  return args.length ? { ok: true, weights } : { ok: false, error: 'give at least one port=weight, for example a=90 b=10' };
}

interface Answer {
  version: number;
  from: number;
  branches: { port: string; weight: number; taken: number }[];
}

/** `beamline split <graph> <node> a=90 b=10`: a running split's weights, changed without a redeploy. */
export function register(program: Command): void {
  serverOptions(program.command('split'))
    .description("change a running split node's branch weights without a redeploy (recorded as a new version; branches not named keep theirs)")
    .argument('<graph>', 'graph name')
    .argument('<node>', 'split node id')
    .argument('<weights...>', 'port=weight, e.g. a=90 b=10')
    .option('--json', 'print the answer as JSON')
    .action(async (graph: string, node: string, args: string[], opts: ServerCliOptions & { json?: boolean }) => {
      const parsed = parseWeights(args);
      if (!parsed.ok) {
        process.stderr.write(`${parsed.error}\n`);
        process.exitCode = 2;
        return;
      }
      const r = await serverRequest(opts, 'PUT', `api/graphs/${encodeURIComponent(graph)}/nodes/${encodeURIComponent(node)}/weights`, { weights: parsed.weights });
      if (!r.ok) {
        const path = (r.body as { path?: unknown } | undefined)?.path;
        process.stderr.write(`${r.message}${typeof path === 'string' ? ` (at ${path})` : ''}\n`);
        process.exitCode = r.status === 0 ? 2 : 1;
        return;
      }
      if (opts.json) return printJson(r.body);
      const a = r.body as Answer;
      const sum = a.branches.reduce((s, b) => s + b.weight, 0);
      const shares = a.branches.map((b) => `${b.port} ${sum > 0 ? Math.round((b.weight / sum) * 1000) / 10 : 0}%`).join(', ');
      process.stdout.write(`${graph}/${node}: ${shares} (version ${a.version}, was ${a.from}; no replica restarted)\n`);
    });
}

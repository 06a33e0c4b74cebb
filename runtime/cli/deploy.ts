import type { Command } from 'commander';
import type { DeployResponse } from '../../shared/protocol.js';
import { printJson } from './print.js';
import { parseJsonText, readInputFile } from './read-file.js';
import { formatRelease } from './release-report.js';
import { type ServerCliOptions, serverOptions, serverRequest } from './server-client.js';

interface DeployOptions extends ServerCliOptions {
  canary?: string;
  steps?: string;
  windowRequests?: string;
  windowMs?: string;
  maxErrorRateIncrease?: string;
  maxP99Ratio?: string;
  checkPath?: string;
  checkEquals?: string;
  shadow?: string;
  tolerance?: string;
  json?: boolean;
}

/** Flag -> query parameter of POST /api/graphs (the server checks the values and names the parameter). */
const QUERY: [keyof DeployOptions, string, string][] = [
  ['canary', 'canary', '--canary'],
  ['steps', 'steps', '--steps'],
  ['windowRequests', 'windowRequests', '--window-requests'],
  ['windowMs', 'windowMs', '--window-ms'],
  ['maxErrorRateIncrease', 'maxErrorRateIncrease', '--max-error-rate-increase'],
  ['maxP99Ratio', 'maxP99Ratio', '--max-p99-ratio'],
  ['checkPath', 'checkPath', '--check-path'],
  ['checkEquals', 'checkEquals', '--check-equals'],
  ['shadow', 'shadow', '--shadow'],
  ['tolerance', 'tolerance', '--tolerance'],
];

/** A server message naming `?param` names the flag instead. */
const asFlags = (s: string) => QUERY.reduce((m, [, q, flag]) => m.replaceAll(`?${q}`, flag), s);

/** `beamline deploy <graph.json> [--canary 10 ... | --shadow 100 ...]`: deploy to a running server. */
export function register(program: Command): void {
  serverOptions(program.command('deploy'))
    .description('deploy a graph to a running server; --canary or --shadow releases it beside the version serving (docs/releases.md)')
    .argument('<graph>', 'graph JSON file (- reads standard input)')
    .option('--canary <percent>', 'release as a canary taking this percent of requests first')
    .option('--steps <list>', 'canary traffic percent at each step, e.g. 10,50,100')
    .option('--window-requests <n>', 'canary requests judged at each step (default 200)')
    .option('--window-ms <ms>', 'longest a step waits for its window (default 60000)')
    .option('--max-error-rate-increase <x>', 'rollback when the canary error rate exceeds stable by more (0.01 = 1 point)')
    .option('--max-p99-ratio <x>', 'rollback when canary p99 > this × stable p99 (default 1.5)')
    .option('--check-path <path>', 'an output field every canary answer must have (dotted path)')
    .option('--check-equals <value>', 'the value --check-path must hold')
    .option('--shadow <percent>', 'release as a shadow: mirror this percent of requests, compare, discard')
    .option('--tolerance <x>', 'shadow: relative tolerance for numbers and vectors (default 0: exact)')
    .option('--json', 'print the server answer as JSON')
    .action(async (file: string, opts: DeployOptions) => {
      process.exitCode = await deploy(file, opts);
    });
}

async function deploy(file: string, opts: DeployOptions): Promise<number> {
  const read = readInputFile(file);
  const doc = read.ok ? parseJsonText(read.text, file) : read;
  if (!doc.ok) {
    process.stderr.write(`${doc.error.message}\n`);
    return 1;
  }
  const query = new URLSearchParams();
  for (const [key, param] of QUERY) if (opts[key] !== undefined) query.set(param, String(opts[key]));
  const q = query.toString();
  const r = await serverRequest(opts, 'POST', `api/graphs${q ? `?${q}` : ''}`, doc.value);
  if (!r.ok) {
    if (opts.json && r.body !== undefined) printJson(r.body);
    process.stderr.write(`${asFlags(r.message)}\n`);
    const errors = (r.body as { errors?: { path?: string; message?: string }[] } | undefined)?.errors ?? [];
    for (const e of errors) if (e.message && !r.message.includes(e.message)) process.stderr.write(`  ${asFlags(e.path ?? '')}: ${asFlags(e.message)}\n`);
    return r.status === 0 ? 2 : 1;
  }
  const body = r.body as DeployResponse;
  if (opts.json) printJson(body);
  else if (body.release) process.stdout.write(`${formatRelease(body.release)}\n\nfollow it with: beamline release ${body.name}\n`);
  else process.stdout.write(`${body.name}: version ${body.version} serving at ${body.status.routePrefix} (${body.status.state})\n`);
  return 0;
}

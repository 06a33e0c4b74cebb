import type { Command } from 'commander';
import type { ReleaseStatus } from '../../shared/release.js';
import { printJson } from './print.js';
import { formatRelease } from './release-report.js';
import { type ServerCliOptions, serverOptions, serverRequest } from './server-client.js';

const ACTIONS = ['status', 'promote', 'rollback', 'abort'] as const;

/** `beamline release <graph> [status|promote|rollback|abort]`: a running server's canary or shadow release. */
export function register(program: Command): void {
  serverOptions(program.command('release'))
    .description("show a graph's canary or shadow release with its figures and decisions, or promote, roll back or abort it")
    .argument('<graph>', 'graph name')
    .argument('[action]', `one of ${ACTIONS.join(', ')}`, 'status')
    .option('--json', 'print the release as JSON')
    .action(async (graph: string, action: string, opts: ServerCliOptions & { json?: boolean }) => {
      if (!(ACTIONS as readonly string[]).includes(action)) {
        process.stderr.write(`unknown action ${JSON.stringify(action)}: use ${ACTIONS.join(', ')}\n`);
        process.exitCode = 2;
        return;
      }
      const path = `api/graphs/${encodeURIComponent(graph)}/release${action === 'status' ? '' : `/${action}`}`;
      const r = await serverRequest(opts, action === 'status' ? 'GET' : 'POST', path, action === 'status' ? undefined : {});
      if (!r.ok) {
        process.stderr.write(`${r.message}\n`);
        process.exitCode = r.status === 0 ? 2 : 1;
        return;
      }
      if (opts.json) printJson(r.body);
      else process.stdout.write(`${formatRelease(r.body as ReleaseStatus)}\n`);
    });
}

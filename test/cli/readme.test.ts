import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCluster } from '../../shared/cluster-spec.js';
import { compile } from '../../shared/compile.js';
import { AutoscalingSchema, BatchingSchema, DeploymentSchema, MultiplexSchema } from '../../shared/deployment.js';
import { beamline, repoRoot } from './run-cli.js';

// The README promises commands, verbs, a graph, defaults and plan output: each is checked here.
const readme = readFileSync(`${repoRoot}/README.md`, 'utf8');

/** The fenced blocks of one language, in order. */
const blocks = (lang: string) => [...readme.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]);

/** Rows of the markdown table whose header starts with `first`. */
function tableRows(first: string): string[][] {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  const rows: string[][] = [];
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(l.replace(/\\\|/g, '/').split('|').slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

describe('README', () => {
  it('gives the two commands, and .ci/run runs the test command verbatim', () => {
    const sh = blocks('sh');
    expect(sh).toContain('npm install && npm start\n');
    expect(sh).toContain('npm ci && npm test\n');
    const ci = readFileSync(`${repoRoot}/.ci/run`, 'utf8').trim().split('\n');
    expect(ci[ci.length - 1]).toBe('npm ci && npm test');
  });

  it('has a row for every CLI verb, and no verb that does not exist', async () => {
    const help = await beamline(['--help']);
    const verbs = [...help.stdout.split('Commands:')[1].matchAll(/^ {2}([a-z]+)/gm)].map((m) => m[1]).filter((v) => v !== 'help');
    const rows = tableRows('verb').map((r) => r[0].replace(/`/g, '').split(' ')[0]);
    expect(rows.sort()).toEqual(verbs.sort());
  });

  it('shows a graph that validates and a cluster file that parses', () => {
    const json = blocks('json');
    const graph = json.find((b) => b.includes('"version": 1'))!;
    expect(compile(graph).errors).toEqual([]);
    const cluster = json.find((b) => b.includes('"machines"'))!;
    expect(parseCluster(JSON.parse(cluster)).ok).toBe(true);
  });

  it('lists the deployment defaults the schema has', () => {
    const d = DeploymentSchema.parse({});
    const flat: Record<string, unknown> = {
      numReplicas: d.numReplicas,
      maxOngoingRequests: d.maxOngoingRequests,
      maxQueuedRequests: d.maxQueuedRequests,
      timeoutMs: d.timeoutMs,
      retries: d.retries,
      healthCheckPeriodMs: d.healthCheckPeriodMs,
      healthCheckTimeoutMs: d.healthCheckTimeoutMs,
      gracefulShutdownTimeoutMs: d.gracefulShutdownTimeoutMs,
      ...Object.fromEntries(Object.entries(d.resources).map(([k, v]) => [`resources.${k}`, v])),
      ...Object.fromEntries(Object.entries(AutoscalingSchema.parse({})).map(([k, v]) => [`autoscaling.${k}`, v])),
      ...Object.fromEntries(Object.entries(BatchingSchema.parse({})).map(([k, v]) => [`batching.${k}`, v])),
    };
    const rows = new Map(tableRows('option').map((r) => [r[0].replace(/`/g, ''), r[1]]));
    for (const [k, v] of Object.entries(flat)) expect(rows.get(k)?.split(' ')[0], k).toBe(String(v));
    // Every option of the schema has a row, including the ones without a number default.
    const all = [...Object.keys(DeploymentSchema.shape), ...Object.keys(d.resources).map((k) => `resources.${k}`), 'resources.gpuMemoryMb'];
    for (const k of all.filter((x) => !['autoscaling', 'batching', 'resources', 'multiplex'].includes(x))) expect(rows.has(k), k).toBe(true);
    for (const k of Object.keys(AutoscalingSchema.shape)) expect(rows.has(`autoscaling.${k}`), k).toBe(true);
    for (const k of Object.keys(MultiplexSchema.shape)) expect(rows.has(`multiplex.${k}`), k).toBe(true);
    expect(rows.get('multiplex.maxModelsPerReplica')).toBe(String(MultiplexSchema.parse({ modelsFolder: 'm' }).maxModelsPerReplica));
  });

  it("shows, in the fractional-gpu example's README, exactly what plan prints", async () => {
    const ex = readFileSync(`${repoRoot}/examples/fractional-gpu/README.md`, 'utf8');
    const command = ex.match(/```sh\nnpx beamline (plan [^\n]+)\n```/)![1].split(' ');
    const shown = ex.match(/```text\n([\s\S]*?)```/)![1];
    const r = await beamline(command);
    expect(r.stdout).toBe(shown);
  });

  it('shows plan output that the CLI really prints', async () => {
    const text = blocks('text').find((b) => b.includes('npx beamline plan'))!;
    const [command, ...shown] = text.trimEnd().split('\n');
    const args = command.replace('$ npx beamline ', '').split(' ');
    const r = await beamline(args);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    for (const line of shown.filter((l) => l.trim() !== '...')) expect(lines, line).toContain(line);
  });
});

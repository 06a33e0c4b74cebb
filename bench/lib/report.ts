import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One line of a bench's summary: a figure, what it is compared with, and its target. */
export interface SummaryRow {
  metric: string;
  value: number | string;
  /** The baseline measured in the same run, when the figure is a comparison. */
  baseline?: number | string;
  /** value / baseline (or the ratio the target is stated in). */
  ratio?: number;
  target?: string;
  pass?: boolean;
}

export interface BenchResult {
  name: string;
  /** One paragraph: what was measured and against what. */
  what: string;
  summary: SummaryRow[];
  /** Extra text shown verbatim in docs/bench.md (a table, an ASCII plot). */
  figure?: string;
  /** What the figures mean and where they fall short, in prose (docs/bench.md). */
  notes?: string;
  details?: unknown;
}

export const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
}

/** Prints the summary and writes bench/results/<name>.json. */
export function report(r: BenchResult): void {
  console.log(`\n${r.name}: ${r.what}`);
  console.log(formatSummary(r.summary));
  if (r.figure) console.log(`\n${r.figure}`);
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${r.name}.json`);
  writeFileSync(file, `${JSON.stringify({ ...r, at: new Date().toISOString(), machine: machine() }, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

export function fmt(x: number | string | undefined, digits = 2): string {
  if (x === undefined) return '';
  if (typeof x === 'string') return x;
  if (Number.isInteger(x)) return String(x);
  return x.toFixed(Math.abs(x) >= 100 ? 0 : digits);
}

/** A Markdown table (readable as plain text too). */
export function markdownTable(head: string[], rows: (string | number | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : (c ?? ''))));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...cells.map(line)].join('\n');
}

export function formatSummary(rows: SummaryRow[]): string {
  return markdownTable(
    ['metric', 'value', 'baseline', 'ratio', 'target', 'ok'],
    rows.map((r) => [r.metric, fmt(r.value), fmt(r.baseline), r.ratio === undefined ? '' : `${fmt(r.ratio)}×`, r.target ?? '', r.pass === undefined ? '' : r.pass ? 'yes' : 'NO']),
  );
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

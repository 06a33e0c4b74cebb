import { formatError, type GraphError } from '../../shared/errors.js';

/** One JSON document on stdout: what `--json` promises scripts and the editor. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Every error, one line each, on stdout; the count on stderr so piped lines stay errors only. */
export function printErrors(file: string, errors: readonly GraphError[]): void {
  for (const e of errors) process.stdout.write(`${formatError(e)}\n`);
  process.stderr.write(`${file}: ${errors.length} error${errors.length === 1 ? '' : 's'}\n`);
}

/** Left-aligned columns separated by two spaces; numbers are right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows].map((r) => r.map(String));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number'));
  const width = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((cell, c) => (numeric[c] ? cell.padStart(width[c]) : c === r.length - 1 ? cell : cell.padEnd(width[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** 0.25 -> "0.25", 1/3 -> "0.333": short and stable for tables. */
export function num(x: number): string {
  return String(Math.round(x * 1000) / 1000);
}

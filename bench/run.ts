// `npm run bench` runs every bench; `npm run bench -- <name> [...]` runs the named ones.
// A bench is a file bench/<name>.ts that prints its figures and writes
// bench/results/<name>.json; each runs in its own process so one's memory and
// threads cannot colour another's numbers. docs/bench.md is rebuilt at the end.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBenchDoc } from './lib/doc.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const all = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();
const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = asked.filter((n) => !existsSync(join(here, `${n}.ts`)));
if (unknown.length) {
  console.error(`unknown bench: ${unknown.join(', ')} (have: ${all.join(', ')})`);
  process.exit(2);
}
const names = asked.length ? asked : all;
const failed: string[] = [];
for (const name of names) {
  console.log(`\n=== bench/${name} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(root, 'bin/tsx.js'), join(here, `${name}.ts`)], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed.push(name);
}
const doc = writeBenchDoc(root);
console.log(`\nwrote ${doc}`);
if (failed.length) {
  console.error(`failed: ${failed.join(', ')}`);
  process.exit(1);
}

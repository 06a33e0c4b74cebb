#!/usr/bin/env node
// The one test command: installs what the tests need from Debian (Chromium for the
// editor tests, ImageMagick for rendered test images, pyflakes3 for the exported Python), lints, type-checks, builds the
// editor, runs vitest, and ends with the plain `N passed, N failed` line CI reads.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const run = (cmd, argv, opts = {}) => spawnSync(cmd, argv, { stdio: 'inherit', ...opts }).status ?? 1;

function ensureDebianPackages() {
  const wanted = [
    ['/usr/bin/chromium', 'chromium'],
    ['/usr/bin/convert', 'imagemagick'],
    ['/usr/bin/pyflakes3', 'pyflakes3'],
  ].filter(([file]) => !existsSync(file));
  // `convert` elsewhere on PATH may be a stand-in; only Debian's /usr/bin/convert counts.
  if (wanted.length === 0) return;
  const pkgs = wanted.map(([, p]) => p);
  if (process.getuid?.() !== 0) {
    console.warn(`[test] missing ${pkgs.join(', ')} and not root: install them with apt-get`);
    return;
  }
  console.log(`[test] installing ${pkgs.join(', ')} from Debian`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs, 'fonts-dejavu-core'], { env });
}

const results = [];
function step(name, cmd, argv) {
  console.log(`\n[test] ${name}: ${cmd} ${argv.join(' ')}`);
  const ok = run(cmd, argv) === 0;
  results.push({ name, ok });
  return ok;
}

if (args.length === 0) {
  ensureDebianPackages();
  step('lint', 'npx', ['biome', 'check', '.']);
  step('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json']);
  step('editor build', 'npx', ['vite', 'build', '--logLevel', 'warn']);
}

const out = join(mkdtempSync(join(tmpdir(), 'beamline-test-')), 'vitest.json');
const vitestStatus = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...args]);
let passed = results.filter((r) => r.ok).length;
let failed = results.filter((r) => !r.ok).length;
let skipped = 0;
if (existsSync(out)) {
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A file that fails to load counts as a failure even when it declared no tests.
  for (const f of report.testResults ?? []) if (f.status === 'failed' && (f.assertionResults ?? []).length === 0) failed += 1;
  // Only tests needing a Debian tool this machine lacks may skip; say which (their reason is printed as [skip] above).
  const skippedFiles = (report.testResults ?? []).filter((f) => (f.assertionResults ?? []).some((a) => a.status === 'skipped' || a.status === 'pending' || a.status === 'todo'));
  for (const f of skippedFiles) console.log(`[test] skipped tests in ${f.name.replace(`${process.cwd()}/`, '')}`);
} else {
  failed += 1;
}
if (vitestStatus !== 0 && failed === 0) failed = 1;
for (const r of results) if (!r.ok) console.log(`[test] step failed: ${r.name}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 ? 0 : 1);

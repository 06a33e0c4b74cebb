/**
 * Canary and shadow releases as the editor shows them (shapes in shared/release.ts): the deploy
 * dialog's "Release as" form and the query it posts, the toolbar chip, the stable-vs-candidate
 * figures, the decision timeline, the shadow comparison and a differing answer's JSON lines.
 * Pure functions, unit-tested in test/editor/release.test.ts.
 */
import { CanaryPolicySchema, type ReleaseDecision, type ReleaseStatus, type ShadowFigures, ShadowPolicySchema, type WindowFigures } from '../../shared/release.js';
import { formatMs } from './deployments.js';

export type ReleaseChoice = 'replace' | 'canary' | 'shadow';

/** The deploy dialog's release fields, as typed (strings), in the units the form shows. */
export interface ReleaseForm {
  mode: ReleaseChoice;
  /** Canary: the starting share; shadow: the mirrored share (percent). */
  share: string;
  /** Canary: the shares after the start, comma-separated, ending at 100. */
  steps: string;
  windowRequests: string;
  /** Seconds (the API takes ms). */
  windowSeconds: string;
  /** Percentage points (the API takes a fraction: 1 -> 0.01). */
  maxErrorRateIncrease: string;
  maxP99Ratio: string;
  checkPath: string;
  checkEquals: string;
  tolerance: string;
}

export type ReleaseField = Exclude<keyof ReleaseForm, 'mode'>;
export type FormErrors = Partial<Record<ReleaseField, string>>;

const canaryDefaults = CanaryPolicySchema.parse({ steps: [100] });

export const DEFAULT_RELEASE_FORM: ReleaseForm = {
  mode: 'replace',
  share: '10',
  steps: '50, 100',
  windowRequests: String(canaryDefaults.windowRequests),
  windowSeconds: String(canaryDefaults.windowMs / 1000),
  maxErrorRateIncrease: String(canaryDefaults.maxErrorRateIncrease * 100),
  maxP99Ratio: String(canaryDefaults.maxP99Ratio),
  checkPath: '',
  checkEquals: '',
  tolerance: '0',
};

/** A number as typed, or a message naming the field. */
function num(form: ReleaseForm, field: ReleaseField, errors: FormErrors, check: (n: number) => string | null): number {
  const text = form[field].trim();
  const n = Number(text);
  if (text === '' || !Number.isFinite(n)) {
    errors[field] = `${field}: "${form[field]}" is not a number`;
    return Number.NaN;
  }
  const problem = check(n);
  if (problem) errors[field] = `${field}: ${problem}`;
  return n;
}

const percent = (n: number) => (n > 0 && n <= 100 ? null : `${n} is outside 0–100 (a percent above 0, at most 100)`);

/** Where a zod issue of the policy lands in the form. */
const FIELD_OF: Record<string, ReleaseField> = {
  steps: 'steps',
  windowRequests: 'windowRequests',
  windowMs: 'windowSeconds',
  maxErrorRateIncrease: 'maxErrorRateIncrease',
  maxP99Ratio: 'maxP99Ratio',
  check: 'checkPath',
  share: 'share',
  tolerance: 'tolerance',
};

export type ReleaseRequest =
  | { ok: true; mode: 'replace' }
  | { ok: true; mode: 'canary' | 'shadow'; query: string; summary: string }
  | { ok: false; errors: FormErrors };

/**
 * The query string of `POST /api/graphs` for the form (`canary=10&steps=10,50,100&…`, `shadow=100&tolerance=0`),
 * or every field that is wrong, named. Checked against the same schemas as the server.
 */
export function releaseRequest(form: ReleaseForm): ReleaseRequest {
  if (form.mode === 'replace') return { ok: true, mode: 'replace' };
  const errors: FormErrors = {};
  const share = num(form, 'share', errors, percent);
  if (form.mode === 'shadow') {
    const tolerance = num(form, 'tolerance', errors, (n) => (n >= 0 && n <= 1 ? null : `${n} is outside 0–1 (0 = exact, 0.01 = 1 %)`));
    if (Object.keys(errors).length) return { ok: false, errors };
    const parsed = ShadowPolicySchema.safeParse({ share, tolerance });
    if (!parsed.success) return { ok: false, errors: zodErrors(parsed.error.issues) };
    const q = new URLSearchParams({ shadow: String(share), tolerance: String(tolerance) });
    return { ok: true, mode: 'shadow', query: q.toString(), summary: `mirror ${share}% of requests to the new version, compared${tolerance ? ` within ${tolerance}` : ' exactly'}` };
  }
  const rest = form.steps
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((s) => ({ s, n: Number(s.replace(/%$/, '')) }));
  const bad = rest.find((x) => !Number.isFinite(x.n));
  if (bad) errors.steps = `steps: "${bad.s}" is not a number`;
  else if (rest.length === 0) errors.steps = 'steps: give the shares after the start, ending at 100 (e.g. 50, 100)';
  const steps = [share, ...rest.map((x) => x.n)];
  if (!errors.steps && !errors.share) {
    const out = steps.find((n) => n <= 0 || n > 100);
    const i = steps.findIndex((n, k) => k > 0 && n <= steps[k - 1]);
    if (out !== undefined) errors.steps = `steps: ${out} is outside 0–100`;
    else if (i > 0) errors.steps = `steps: not ascending (${steps[i]} after ${steps[i - 1]}); each step must be above the one before, starting above the start share ${share}`;
    else if (steps[steps.length - 1] !== 100) errors.steps = `steps: must end at 100 (full promotion), not ${steps[steps.length - 1]}`;
  }
  const windowRequests = num(form, 'windowRequests', errors, (n) => (Number.isInteger(n) && n >= 10 ? null : 'a whole number of at least 10'));
  const windowSeconds = num(form, 'windowSeconds', errors, (n) => (n >= 1 ? null : 'at least 1 second'));
  const points = num(form, 'maxErrorRateIncrease', errors, (n) => (n >= 0 && n <= 100 ? null : `${n} is outside 0–100 percentage points`));
  const ratio = num(form, 'maxP99Ratio', errors, (n) => (n >= 1 ? null : `${n} is below 1 (the canary's p99 as a multiple of stable's)`));
  const checkPath = form.checkPath.trim();
  const checkEquals = form.checkEquals.trim();
  if (!checkPath && checkEquals) errors.checkPath = 'checkPath: set the output path the value is compared at';
  if (Object.keys(errors).length) return { ok: false, errors };
  const policy = {
    steps,
    windowRequests,
    windowMs: Math.round(windowSeconds * 1000),
    maxErrorRateIncrease: points / 100,
    maxP99Ratio: ratio,
    ...(checkPath ? { check: { path: checkPath, ...(checkEquals ? { equals: checkEquals } : {}) } } : {}),
  };
  const parsed = CanaryPolicySchema.safeParse(policy);
  if (!parsed.success) return { ok: false, errors: zodErrors(parsed.error.issues) };
  const q = new URLSearchParams({
    canary: String(share),
    steps: steps.join(','),
    windowRequests: String(windowRequests),
    windowMs: String(policy.windowMs),
    maxErrorRateIncrease: String(policy.maxErrorRateIncrease),
    maxP99Ratio: String(ratio),
  });
  if (checkPath) q.set('checkPath', checkPath);
  if (checkPath && checkEquals) q.set('checkEquals', checkEquals);
  return { ok: true, mode: 'canary', query: q.toString(), summary: `${steps.map((s) => `${s}%`).join(' → ')}, judged every ${windowRequests} canary requests` };
}

function zodErrors(issues: readonly { path: readonly PropertyKey[]; message: string }[]): FormErrors {
  const errors: FormErrors = {};
  for (const i of issues) {
    const field = FIELD_OF[String(i.path[0])] ?? 'share';
    errors[field] ??= `${field}: ${i.message}`;
  }
  return errors;
}

/** Why canary and shadow are not offered, or null when they are. */
export function releaseUnavailable(activeVersion: number | null, running: ReleaseStatus | null | undefined): string | null {
  if (activeVersion === null) return 'Canary and shadow need a stable version to compare with: deploy this graph once first.';
  if (running?.state === 'running') return `A ${running.mode} of v${running.candidateVersion} is running: promote, roll back or abort it first (Versions panel).`;
  return null;
}

export type Tone = 'ok' | 'warn' | 'bad' | 'busy';

/** A running release is always shown; one that ended, while the version serving is one of its two (a later deploy moves on). */
export function releaseShown(r: ReleaseStatus | null | undefined, deployedVersion: number | null): r is ReleaseStatus {
  return !!r && (r.state === 'running' || deployedVersion === r.stableVersion || deployedVersion === r.candidateVersion);
}

const OUTCOME: Record<Exclude<ReleaseStatus['state'], 'running'>, { word: string; tone: Tone }> = {
  promoted: { word: 'promoted', tone: 'ok' },
  'rolled-back': { word: 'rolled back', tone: 'bad' },
  aborted: { word: 'aborted', tone: 'warn' },
};

/** The toolbar's chip: "canary v7 · 50%", "shadow v7 · 100% mirrored", "canary v7 rolled back"; `short` for a narrow toolbar. */
export function releaseChip(r: ReleaseStatus | null | undefined): { text: string; short: string; tone: Tone } | null {
  if (!r) return null;
  const v = `v${r.candidateVersion}`;
  if (r.state === 'running') return { text: r.mode === 'canary' ? `canary ${v} · ${fmtShare(r.share)}` : `shadow ${v} · ${fmtShare(r.share)} mirrored`, short: `${r.mode} ${fmtShare(r.share)}`, tone: 'busy' };
  const o = OUTCOME[r.state];
  return { text: `${r.mode} ${v} ${o.word}`, short: `${v} ${o.word}`, tone: o.tone };
}

export const fmtShare = (n: number) => `${Number.isInteger(n) ? n : n.toFixed(1)}%`;
export const fmtRate = (x: number) => `${(x * 100).toFixed(x === 0 ? 0 : x < 0.1 ? 2 : 1)}%`;

/** The canary's steps with where it is: done, current, to come; after a rollback, the steps it reached are done. */
export function stepMarks(r: Pick<ReleaseStatus, 'share' | 'canary' | 'state' | 'decisions'>): { share: number; at: 'done' | 'now' | 'next' }[] {
  const steps = r.canary?.steps ?? [];
  const reached = r.state === 'running' || r.state === 'promoted' ? r.share : Math.max(0, ...r.decisions.map((d) => d.fromShare));
  return steps.map((s) => ({ share: s, at: s < reached ? 'done' : s > reached ? 'next' : r.state === 'running' ? 'now' : 'done' }));
}

export interface FigureRow {
  label: string;
  stable: string;
  candidate: string;
  /** The candidate is past the policy's margin (it would be rolled back on this). */
  over: boolean;
}

/** The current window side by side: requests, error rate, p50, p99; the candidate marked where it is past the policy. */
export function windowRows(w: { stable: WindowFigures; candidate: WindowFigures }, policy?: { maxErrorRateIncrease: number; maxP99Ratio: number }): FigureRow[] {
  const { stable: s, candidate: c } = w;
  const enough = s.requests > 0 && c.requests > 0;
  const rows: FigureRow[] = [
    { label: 'requests', stable: String(s.requests), candidate: String(c.requests), over: false },
    { label: 'error rate', stable: fmtRate(s.errorRate), candidate: fmtRate(c.errorRate), over: !!policy && c.requests > 0 && c.errorRate > s.errorRate + policy.maxErrorRateIncrease + 1e-9 },
    { label: 'p50', stable: fmtMsOr(s.p50Ms, s.requests), candidate: fmtMsOr(c.p50Ms, c.requests), over: false },
    { label: 'p99', stable: fmtMsOr(s.p99Ms, s.requests), candidate: fmtMsOr(c.p99Ms, c.requests), over: !!policy && enough && c.p99Ms > s.p99Ms * policy.maxP99Ratio },
  ];
  if (c.checkFailures !== undefined) rows.push({ label: 'output check failed', stable: '–', candidate: String(c.checkFailures), over: c.checkFailures > 0 });
  return rows;
}

const fmtMsOr = (ms: number, requests: number) => (requests > 0 ? formatMs(ms) : '–');

const ACTION: Record<ReleaseDecision['action'], string> = {
  start: 'started',
  promote: 'promoted',
  complete: 'completed',
  rollback: 'rolled back',
  abort: 'aborted',
  hold: 'held',
};

export interface DecisionRow {
  key: string;
  time: string;
  action: string;
  tone: Tone;
  share: string;
  reason: string;
  by: string;
  /** "stable 200 req · 0% err · p50 12 ms · p99 40 ms", then the candidate's. */
  figures: string[];
}

const TONE: Record<ReleaseDecision['action'], Tone> = { start: 'busy', promote: 'ok', complete: 'ok', rollback: 'bad', abort: 'warn', hold: 'warn' };

/** One side's figures in a line. */
export function figuresLine(side: string, f: WindowFigures): string {
  if (f.requests === 0) return `${side}: no requests in this step`;
  const parts = [`${f.requests} req`, `${fmtRate(f.errorRate)} errors`, `p50 ${formatMs(f.p50Ms)}`, `p99 ${formatMs(f.p99Ms)}`];
  if (f.checkFailures) parts.push(`${f.checkFailures} failed the check`);
  return `${side}: ${parts.join(' · ')}`;
}

/** The decision timeline, oldest first, each with the figures it was taken on. */
export function decisionRows(decisions: readonly ReleaseDecision[], mode: ReleaseStatus['mode'] = 'canary', locale?: string): DecisionRow[] {
  return decisions.map((d, i) => ({
    key: `${d.at}-${i}`,
    time: new Date(d.at).toLocaleTimeString(locale, { hour12: false }),
    action: ACTION[d.action],
    tone: TONE[d.action],
    share: d.fromShare === d.toShare ? fmtShare(d.toShare) : `${fmtShare(d.fromShare)} → ${fmtShare(d.toShare)}`,
    reason: d.reason,
    by: d.by === 'user' ? 'by a person' : 'automatic',
    figures: [...(d.stable ? [figuresLine('stable', d.stable)] : []), ...(d.candidate ? [figuresLine(mode === 'canary' ? 'canary' : 'candidate', d.candidate)] : [])],
  }));
}

/** The shadow's counts, each with its share of what was mirrored. */
export function shadowRows(f: ShadowFigures): { label: string; value: number; share: string; tone: Tone | null }[] {
  const of = (n: number, total: number) => (total > 0 ? fmtRate(n / total) : '–');
  const compared = f.agreed + f.differed + f.failed;
  return [
    { label: 'mirrored', value: f.mirrored, share: '', tone: null },
    { label: 'skipped (candidate full)', value: f.skipped, share: of(f.skipped, f.mirrored + f.skipped), tone: f.skipped ? 'warn' : null },
    { label: 'agreed', value: f.agreed, share: of(f.agreed, compared), tone: 'ok' },
    { label: 'differed', value: f.differed, share: of(f.differed, compared), tone: f.differed ? 'warn' : null },
    { label: 'failed', value: f.failed, share: of(f.failed, compared), tone: f.failed ? 'bad' : null },
  ];
}

/** A release's outcome in words for the version history: "promoted to 100%", "rolled back: canary p99 …". */
export function outcomeText(r: Pick<ReleaseStatus, 'mode' | 'state' | 'decisions' | 'share'>): { text: string; tone: Tone } {
  if (r.state === 'running') return { text: `${r.mode} running at ${fmtShare(r.share)}`, tone: 'busy' };
  const last = [...r.decisions].reverse().find((d) => d.action === 'rollback' || d.action === 'abort' || d.action === 'complete' || d.action === 'promote');
  const o = OUTCOME[r.state];
  const why = r.state !== 'promoted' && last?.reason ? `: ${last.reason}` : '';
  return { text: `${r.mode} ${o.word}${why}`, tone: o.tone };
}

export interface JsonLine {
  text: string;
  indent: number;
  /** The line is at or inside the path where the answers first differ. */
  hit: boolean;
}

/** Splits "$.scores[3].label" into ["scores", 3, "label"]. */
export function parsePath(where: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  for (const m of where.replace(/^\$/, '').matchAll(re)) out.push(m[2] !== undefined ? Number(m[2]) : (m[1] ?? JSON.parse(`"${m[3]}"`)));
  return out;
}

/** Pretty JSON as lines, those at or under `where` marked, for the side-by-side view of a differing answer. */
export function jsonLines(value: unknown, where: string, max = 2000): JsonLine[] {
  const target = parsePath(where);
  const lines: JsonLine[] = [];
  const inside = (path: (string | number)[]) => path.length >= target.length && target.every((p, i) => p === path[i]);
  const walk = (v: unknown, path: (string | number)[], indent: number, prefix: string, comma: string) => {
    if (lines.length >= max) return;
    const hit = inside(path);
    if (v === null || typeof v !== 'object') {
      lines.push({ text: `${prefix}${JSON.stringify(v) ?? 'undefined'}${comma}`, indent, hit });
      return;
    }
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
    if (entries.length === 0) {
      lines.push({ text: `${prefix}${open}${close}${comma}`, indent, hit });
      return;
    }
    lines.push({ text: `${prefix}${open}`, indent, hit });
    for (const [i, [k, x]] of entries.entries()) walk(x, [...path, k], indent + 1, typeof k === 'number' ? '' : `${JSON.stringify(k)}: `, i < entries.length - 1 ? ',' : '');
    lines.push({ text: `${close}${comma}`, indent, hit });
  };
  walk(value, [], 0, '', '');
  if (lines.length >= max) lines.push({ text: '…', indent: 0, hit: false });
  return lines;
}

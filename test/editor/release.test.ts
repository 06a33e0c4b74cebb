/** The editor's view of canary and shadow releases (editor/lib/release.ts): the deploy form, the chip, figures, timeline, diffs. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RELEASE_FORM,
  decisionRows,
  jsonLines,
  outcomeText,
  parsePath,
  type ReleaseForm,
  releaseChip,
  releaseRequest,
  releaseShown,
  releaseUnavailable,
  shadowRows,
  stepMarks,
  windowRows,
} from '../../editor/lib/release.js';
import type { ReleaseStatus, WindowFigures } from '../../shared/release.js';

const form = (patch: Partial<ReleaseForm>): ReleaseForm => ({ ...DEFAULT_RELEASE_FORM, mode: 'canary', ...patch });
const errorsOf = (f: ReleaseForm) => {
  const r = releaseRequest(f);
  return r.ok ? {} : r.errors;
};

const fig = (p: Partial<WindowFigures> = {}): WindowFigures => ({ requests: 200, errors: 0, errorRate: 0, p50Ms: 12, p99Ms: 40, ...p });
const release = (p: Partial<ReleaseStatus> = {}): ReleaseStatus => ({
  graph: 'echo',
  mode: 'canary',
  stableVersion: 6,
  candidateVersion: 7,
  state: 'running',
  share: 50,
  startedAt: 0,
  canary: { steps: [10, 50, 100], windowRequests: 200, windowMs: 60_000, maxErrorRateIncrease: 0.01, maxP99Ratio: 1.5 },
  decisions: [],
  ...p,
});

describe('the deploy dialog\'s "Release as" form', () => {
  it('replace now posts no query', () => {
    expect(releaseRequest(DEFAULT_RELEASE_FORM)).toEqual({ ok: true, mode: 'replace' });
  });

  it('a canary posts its start share, every step from the start, the window and the margins in the API\'s units', () => {
    const r = releaseRequest(form({ share: '10', steps: '50, 100', windowRequests: '20', windowSeconds: '30', maxErrorRateIncrease: '2', maxP99Ratio: '1.5', checkPath: 'answer', checkEquals: 'ok' }));
    expect(r.ok && r.mode === 'canary').toBe(true);
    if (!r.ok || r.mode !== 'canary') return;
    const q = new URLSearchParams(r.query);
    expect(Object.fromEntries(q)).toEqual({ canary: '10', steps: '10,50,100', windowRequests: '20', windowMs: '30000', maxErrorRateIncrease: '0.02', maxP99Ratio: '1.5', checkPath: 'answer', checkEquals: 'ok' });
    expect(r.summary).toBe('10% → 50% → 100%, judged every 20 canary requests');
  });

  it('a shadow posts its share and tolerance', () => {
    const r = releaseRequest({ ...DEFAULT_RELEASE_FORM, mode: 'shadow', share: '100', tolerance: '0.001' });
    expect(r.ok && r.mode === 'shadow' && Object.fromEntries(new URLSearchParams(r.query))).toEqual({ shadow: '100', tolerance: '0.001' });
  });

  it('names the field of every mistake', () => {
    expect(errorsOf(form({ share: '0' })).share).toBe('share: 0 is outside 0–100 (a percent above 0, at most 100)');
    expect(errorsOf(form({ share: '120' })).share).toMatch(/^share: 120 is outside 0–100/);
    expect(errorsOf(form({ share: 'ten' })).share).toBe('share: "ten" is not a number');
    expect(errorsOf(form({ share: '10', steps: '50, 30, 100' })).steps).toBe('steps: not ascending (30 after 50); each step must be above the one before, starting above the start share 10');
    expect(errorsOf(form({ share: '60', steps: '50, 100' })).steps).toMatch(/^steps: not ascending \(50 after 60\)/);
    expect(errorsOf(form({ steps: '50, 90' })).steps).toBe('steps: must end at 100 (full promotion), not 90');
    expect(errorsOf(form({ steps: '50, 150' })).steps).toBe('steps: 150 is outside 0–100');
    expect(errorsOf(form({ steps: '' })).steps).toMatch(/^steps: give the shares after the start/);
    expect(errorsOf(form({ windowRequests: '5' })).windowRequests).toBe('windowRequests: a whole number of at least 10');
    expect(errorsOf(form({ maxP99Ratio: '0.5' })).maxP99Ratio).toMatch(/^maxP99Ratio: 0.5 is below 1/);
    expect(errorsOf(form({ checkEquals: 'ok' })).checkPath).toMatch(/^checkPath: /);
    expect(errorsOf({ ...DEFAULT_RELEASE_FORM, mode: 'shadow', share: '-1' }).share).toMatch(/^share: -1 is outside 0–100/);
    expect(errorsOf({ ...DEFAULT_RELEASE_FORM, mode: 'shadow', tolerance: '2' }).tolerance).toMatch(/^tolerance: 2 is outside 0–1/);
    // Several mistakes at once are all reported.
    expect(Object.keys(errorsOf(form({ share: '0', windowRequests: 'x', maxP99Ratio: '0' }))).sort()).toEqual(['maxP99Ratio', 'share', 'windowRequests']);
  });

  it('is not offered before there is a stable version, nor while another release runs', () => {
    expect(releaseUnavailable(null, null)).toMatch(/need a stable version/);
    expect(releaseUnavailable(3, release())).toBe('A canary of v7 is running: promote, roll back or abort it first (Versions panel).');
    expect(releaseUnavailable(3, release({ state: 'rolled-back' }))).toBeNull();
    expect(releaseUnavailable(3, null)).toBeNull();
  });
});

describe('a release at a glance', () => {
  it('chips: running canary and shadow, then the outcome', () => {
    expect(releaseChip(release())).toEqual({ text: 'canary v7 · 50%', short: 'canary 50%', tone: 'busy' });
    expect(releaseChip(release({ mode: 'shadow', share: 100 }))?.text).toBe('shadow v7 · 100% mirrored');
    expect(releaseChip(release({ state: 'rolled-back', share: 0 }))).toEqual({ text: 'canary v7 rolled back', short: 'v7 rolled back', tone: 'bad' });
    expect(releaseChip(release({ state: 'promoted', share: 100 }))).toMatchObject({ text: 'canary v7 promoted', tone: 'ok' });
    expect(releaseChip(null)).toBeNull();
  });

  it('shows a running release always, an ended one while one of its versions serves', () => {
    expect(releaseShown(release(), 9)).toBe(true);
    expect(releaseShown(release({ state: 'rolled-back' }), 6)).toBe(true);
    expect(releaseShown(release({ state: 'promoted' }), 7)).toBe(true);
    expect(releaseShown(release({ state: 'rolled-back' }), 8)).toBe(false);
    expect(releaseShown(null, 6)).toBe(false);
  });

  it('marks the steps done, current and to come', () => {
    expect(stepMarks(release()).map((s) => s.at)).toEqual(['done', 'now', 'next']);
    expect(stepMarks(release({ state: 'promoted', share: 100 })).map((s) => s.at)).toEqual(['done', 'done', 'done']);
    const rolledBack = release({ state: 'rolled-back', share: 0, decisions: [{ at: 1, action: 'rollback', fromShare: 50, toShare: 0, reason: 'r', by: 'auto' }] });
    expect(stepMarks(rolledBack).map((s) => s.at)).toEqual(['done', 'done', 'next']);
  });

  it('puts the window side by side and marks the candidate past the policy', () => {
    const policy = { maxErrorRateIncrease: 0.01, maxP99Ratio: 1.5 };
    const rows = windowRows({ stable: fig(), candidate: fig({ requests: 20, errors: 1, errorRate: 0.05, p99Ms: 100 }) }, policy);
    expect(rows.map((r) => [r.label, r.stable, r.candidate, r.over])).toEqual([
      ['requests', '200', '20', false],
      ['error rate', '0%', '5.00%', true],
      ['p50', '12 ms', '12 ms', false],
      ['p99', '40 ms', '100 ms', true],
    ]);
    // Within the margins: nothing marked; no requests yet: no latency shown.
    const calm = windowRows({ stable: fig(), candidate: fig({ requests: 0, p50Ms: 0, p99Ms: 0 }) }, policy);
    expect(calm.filter((r) => r.over)).toEqual([]);
    expect(calm.find((r) => r.label === 'p99')?.candidate).toBe('–');
    expect(windowRows({ stable: fig(), candidate: fig({ checkFailures: 2 }) }, policy).at(-1)).toEqual({ label: 'output check failed', stable: '–', candidate: '2', over: true });
  });

  it('lists each decision with the figures it was taken on', () => {
    const rows = decisionRows(
      [
        { at: Date.UTC(2025, 0, 1, 12, 0, 0), action: 'start', fromShare: 0, toShare: 10, reason: 'deployed as a canary', by: 'user' },
        { at: Date.UTC(2025, 0, 1, 12, 1, 0), action: 'rollback', fromShare: 10, toShare: 0, reason: 'canary p99 412 ms > 1.5 × stable 180 ms', stable: fig({ p99Ms: 180 }), candidate: fig({ requests: 20, p99Ms: 412 }), by: 'auto' },
      ],
      'canary',
      'en-GB',
    );
    expect(rows.map((r) => [r.action, r.tone, r.share, r.by])).toEqual([
      ['started', 'busy', '0% → 10%', 'by a person'],
      ['rolled back', 'bad', '10% → 0%', 'automatic'],
    ]);
    expect(rows[1].reason).toBe('canary p99 412 ms > 1.5 × stable 180 ms');
    expect(rows[1].figures).toEqual(['stable: 200 req · 0% errors · p50 12 ms · p99 180 ms', 'canary: 20 req · 0% errors · p50 12 ms · p99 412 ms']);
    expect(rows[0].figures).toEqual([]);
    // A person's decision before any request of the step: no figures to speak of.
    expect(decisionRows([{ at: 0, action: 'abort', fromShare: 10, toShare: 0, reason: 'aborted by a person', stable: fig({ requests: 0 }), candidate: fig({ requests: 0 }), by: 'user' }])[0].figures).toEqual([
      'stable: no requests in this step',
      'canary: no requests in this step',
    ]);
    expect(rows[0].time).toMatch(/^\d\d:\d\d:\d\d$/);
  });

  it('says how a release ended, with the reason of a rollback', () => {
    const decisions = [{ at: 1, action: 'rollback' as const, fromShare: 10, toShare: 0, reason: 'canary error rate 50% > stable 0% + 1 point', by: 'auto' as const }];
    expect(outcomeText(release({ state: 'rolled-back', decisions }))).toEqual({ text: 'canary rolled back: canary error rate 50% > stable 0% + 1 point', tone: 'bad' });
    expect(outcomeText(release({ state: 'promoted', share: 100 }))).toEqual({ text: 'canary promoted', tone: 'ok' });
    expect(outcomeText(release())).toEqual({ text: 'canary running at 50%', tone: 'busy' });
  });

  it('counts the shadow comparison with shares of what was compared', () => {
    const rows = shadowRows({ mirrored: 10, skipped: 0, agreed: 6, differed: 3, failed: 1, stable: { p50Ms: 1, p99Ms: 2 }, candidate: { p50Ms: 1, p99Ms: 2 }, recentDiffs: [] });
    expect(rows.map((r) => [r.label, r.value, r.share, r.tone])).toEqual([
      ['mirrored', 10, '', null],
      ['skipped (candidate full)', 0, '0%', null],
      ['agreed', 6, '60.0%', 'ok'],
      ['differed', 3, '30.0%', 'warn'],
      ['failed', 1, '10.0%', 'bad'],
    ]);
  });
});

describe("a differing answer's JSON", () => {
  it('reads JSON paths', () => {
    expect(parsePath('$.scores[3].label')).toEqual(['scores', 3, 'label']);
    expect(parsePath('$')).toEqual([]);
    expect(parsePath('$["a b"][0]')).toEqual(['a b', 0]);
  });

  it('marks the lines at and under the path where the answers first differ', () => {
    const lines = jsonLines({ answer: 'x', scores: [0.1, 0.2, { label: 'b', p: 1 }] }, '$.scores[2].label');
    expect(lines.map((l) => `${'  '.repeat(l.indent)}${l.text}`).join('\n')).toBe(JSON.stringify({ answer: 'x', scores: [0.1, 0.2, { label: 'b', p: 1 }] }, null, 2));
    expect(lines.filter((l) => l.hit).map((l) => l.text)).toEqual(['"label": "b",']);
    // A whole object differing: every line of it.
    expect(jsonLines({ a: { b: 1 } }, '$.a').filter((l) => l.hit).map((l) => l.text)).toEqual(['"a": {', '"b": 1', '}']);
    // The root: everything.
    expect(jsonLines([1], '$').every((l) => l.hit)).toBe(true);
    // Long answers are cut.
    expect(jsonLines(Array.from({ length: 50 }, (_, i) => i), '$', 10).at(-1)?.text).toBe('…');
  });
});

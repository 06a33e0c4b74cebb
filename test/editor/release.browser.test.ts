/**
 * A canary release from the editor, as a newcomer would run one: real Chromium, the built editor,
 * a real server with the test kinds. The graph is deployed, changed on the canvas, redeployed as a
 * canary from the deploy dialog, driven with requests until the judge promotes a step, then rolled
 * back with the release view's button; the outcome shows in the toolbar and the version history.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import type { ReleaseStatus } from '../../shared/release.js';
import { graph, startServer } from '../runtime/helpers.js';
import { NO_CHROMIUM } from '../system-tools.js';
import { editorHelpers, ensureEditorBuilt, type Launched, launchChromium, POLL } from './browser.js';

let server: BeamlineServer;
let chromium: Launched;
let page: Page;
const consoleErrors: string[] = [];
const { node, setField, visible, textOf, countOf } = editorHelpers(() => page);

/** input -> m (test-version) -> output, laid out in a row so each card can be clicked. */
function versionGraph(label: string) {
  const g = graph('rel', [{ id: 'm', kind: 'test-version', config: { label }, deployment: { numReplicas: 1 } }], [
    ['input', 'm'],
    ['m', 'output'],
  ]);
  return { ...g, nodes: g.nodes.map((n, i) => ({ ...n, position: { x: i * 320, y: 0 } })) };
}

const release = async (): Promise<ReleaseStatus> => (await fetch(`${server.url}/api/graphs/rel/release`)).json();

beforeAll(async () => {
  if (NO_CHROMIUM) return;
  ensureEditorBuilt();
  server = await startServer();
  const res = await fetch(`${server.url}/api/graphs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(versionGraph('v1')) });
  expect(res.status).toBe(201);
  chromium = await launchChromium({ width: 1440, height: 900 });
  page = await chromium.context.newPage();
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
}, 240_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

describe.skipIf(NO_CHROMIUM)('a canary release from the editor', () => {
  it('redeploys as a canary from the dialog, shows its share and decisions, rolls it back and records the outcome', { timeout: 180_000 }, async () => {
    // The one deployed graph opens attached.
    await page.goto(server.url);
    await textOf(page.getByTestId('graph-state'), 60_000).toBe('rel: RUNNING');
    await countOf(page.getByTestId('release-chip')).toBe(0);
    await node('m').locator('.bl-node-label').click();
    await setField('config.label', 'v2');
    await textOf(page.getByTestId('deployed-version')).toBe('deployed v1 · modified');

    // The deploy dialog offers "Release as"; the canary's fields say which one is wrong.
    await page.getByTestId('deploy-button').click();
    const dialog = page.getByTestId('deploy-dialog');
    await visible(dialog.getByTestId('release-as'));
    await countOf(dialog.getByTestId('release-unavailable')).toBe(0);
    await dialog.getByRole('radio', { name: /Canary/ }).check();
    const field = (name: string) => dialog.getByTestId(`release-${name}`).locator('input');
    await field('share').fill('0');
    await textOf(dialog.getByTestId('release-share').getByRole('alert')).toBe('share: 0 is outside 0–100 (a percent above 0, at most 100)');
    expect(await page.getByTestId('deploy-confirm').isDisabled()).toBe(true);
    await field('share').fill('10');
    await field('steps').fill('60, 50, 100');
    await textOf(dialog.getByTestId('release-steps').getByRole('alert')).toContain('steps: not ascending (50 after 60)');
    await field('steps').fill('50, 100');
    await field('windowRequests').fill('10');
    // Latency is not what this test judges: a wide p99 margin keeps the judge on the error rate.
    await field('maxP99Ratio').fill('100');
    await countOf(dialog.getByRole('alert')).toBe(0);
    await textOf(dialog.getByTestId('release-summary')).toContain('10% → 50% → 100%, judged every 10 canary requests');
    await textOf(page.getByTestId('deploy-confirm')).toBe('Start canary');
    await page.getByTestId('deploy-confirm').click();

    // The release view opens in the Versions panel; the toolbar shows the release at a glance.
    const chip = page.getByTestId('release-chip').locator('.bl-release-chip-long');
    await textOf(chip, 60_000).toBe('canary v2 · 10%');
    const view = page.getByTestId('release');
    await textOf(view.locator('h3')).toContain('Canary release: v1 → v2');
    await expect.poll(() => view.getByTestId('release-share').getAttribute('aria-valuenow'), POLL).toBe('10');
    await textOf(view.getByTestId('release-decisions')).toContain('version 2 takes 10% of requests beside version 1');
    await visible(view.getByTestId('release-window'));
    // Nothing serves the candidate yet, so the canvas still differs from what serves (v1).
    await textOf(page.getByTestId('deployed-version')).toBe('deployed v1 · modified');

    // Traffic from outside: the judge promotes the first step once 10 canary requests are in.
    for (let i = 0; i < 400 && (await release()).share === 10; i++) {
      const r = await fetch(`${server.url}/rel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: { n: i } }) });
      expect(r.status).toBe(200);
    }
    expect((await release()).share).toBe(50);
    await textOf(chip).toBe('canary v2 · 50%');
    await expect.poll(() => view.getByTestId('release-share').getAttribute('aria-valuenow'), POLL).toBe('50');
    const promoted = view.getByTestId('release-decisions').locator('li[data-action="promoted"]');
    await textOf(promoted).toContain('10% → 50%');
    await textOf(promoted).toContain('automatic');
    await textOf(promoted).toMatch(/canary: 1\d req/);
    await textOf(view.getByTestId('release-window').locator('tbody tr').first()).toMatch(/^requests/);

    // While it runs, a version rollback is offered only through the release (the server would refuse it).
    await expect.poll(() => page.locator('.bl-version[data-version="2"]').getByRole('button', { name: 'Roll back' }).isDisabled(), POLL).toBe(true);

    // Roll back, asked first; the outcome shows in the view, the toolbar and the version history.
    await view.getByRole('button', { name: 'Roll back' }).click();
    const confirm = page.getByTestId('confirm-dialog');
    await textOf(confirm).toContain('All of rel\'s traffic goes back to v1');
    await confirm.getByRole('button', { name: 'Roll back' }).click();
    await textOf(view.getByTestId('release-state'), 30_000).toBe('rolled back');
    expect((await release()).state).toBe('rolled-back');
    await textOf(chip).toBe('canary v2 rolled back');
    const rolled = view.getByTestId('release-decisions').locator('li[data-action="rolled back"]');
    await textOf(rolled).toContain('50% → 0%');
    await textOf(rolled).toContain('by a person');
    await countOf(view.getByRole('button', { name: 'Promote' })).toBe(0);
    const outcome = page.locator('.bl-version[data-version="2"]').getByTestId('version-release');
    await textOf(outcome).toContain('canary rolled back: rolled back by a person at 50%');
    await outcome.locator('summary').click();
    await countOf(outcome.locator('li')).toBe(3);
    await textOf(outcome.locator('li').nth(1)).toContain('promoted');
    // v1 serves again: a plain request gets v1's answer.
    const after = await (await fetch(`${server.url}/rel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: {} }) })).json();
    expect(after.label).toBe('v1');
    // The release ended: versions can be rolled back to again.
    await expect.poll(() => page.locator('.bl-version[data-version="2"]').getByRole('button', { name: 'Roll back' }).isDisabled(), POLL).toBe(false);
    expect(consoleErrors).toEqual([]);
  });
});

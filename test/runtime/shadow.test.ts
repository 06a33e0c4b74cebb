import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { Latch } from '../fixtures/nodes/latch.js';
import { get, post, startServer, until, versionGraph } from './helpers.js';

// Shadow releases through a real server: clients only ever get the stable version's answers,
// the candidate's are compared (with a tolerance for numbers) and the differences kept with
// their JSON path, and a candidate with no room is skipped, never waited for.

let server: BeamlineServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

const metricsText = async () => (await fetch(`${server.url}/metrics`)).text();

describe('shadow releases', () => {
  it('answers clients from stable only and records the candidate answers that differ, with the path', async () => {
    await post(`${server.url}/api/graphs`, versionGraph('mirror', { label: 'a' }));
    // Scores off by 1e-9 agree within the tolerance; every third answer's label differs.
    const r = await post(`${server.url}/api/graphs?shadow=100&tolerance=1e-6`, versionGraph('mirror', { label: 'a', offset: 1e-9, differEvery: 3 }));
    expect(r.status).toBe(200);
    expect(r.body.release).toMatchObject({ mode: 'shadow', state: 'running', share: 100, shadow: { share: 100, tolerance: 1e-6 } });
    const answers: unknown[] = [];
    for (let i = 1; i <= 12; i++) {
      const a = await post(`${server.url}/mirror`, { x: { n: i } });
      expect(a.status).toBe(200);
      answers.push(a.body);
    }
    // Exactly the stable answers: label "a", score n + 0.
    expect(answers).toEqual(Array.from({ length: 12 }, (_, k) => ({ label: 'a', score: k + 1, echo: { n: k + 1 } })));
    const s = await until(async () => {
      const rel = (await get(`${server.url}/api/graphs/mirror/release`)).body;
      return rel.shadowFigures.agreed + rel.shadowFigures.differed === 12 && rel;
    }, 'both answers of every mirrored request');
    expect(s.shadowFigures).toMatchObject({ mirrored: 12, skipped: 0, agreed: 8, differed: 4, failed: 0 });
    expect(s.shadowFigures.recentDiffs).toHaveLength(4);
    const newest = s.shadowFigures.recentDiffs[0];
    expect(newest).toMatchObject({ where: '$.label', input: { x: { n: 12 } }, stable: { label: 'a' }, candidate: { label: 'a!' } });
    expect(newest.stableMs).toBeGreaterThan(0);
    expect(s.shadowFigures.candidate.p99Ms).toBeGreaterThan(0);
    const m = await metricsText();
    expect(m).toMatch(/beamline_shadow_requests_total\{graph="mirror",outcome="differed"\} 4/);
    expect(m).toMatch(/beamline_shadow_requests_total\{graph="mirror",outcome="agreed"\} 8/);
    // Mirrors are not the graph's requests: the request histogram counts the 12 client requests only.
    expect(m).toMatch(/beamline_http_request_latency_ms_count\{graph="mirror",status="200"\} 12\b/);

    // Promoted by a person: the candidate becomes the stable and active version.
    const p = await post(`${server.url}/api/graphs/mirror/release/promote`, {});
    expect(p.body).toMatchObject({ state: 'promoted' });
    expect((await get(`${server.url}/api/graphs/mirror/versions`)).body.active).toBe(2);
    expect((await post(`${server.url}/mirror`, { x: { n: 1 } })).body.score).toBeCloseTo(1 + 1e-9, 12);
  });

  it('counts a candidate failure where stable answered, and the client still gets the stable answer', async () => {
    await post(`${server.url}/api/graphs`, versionGraph('mirrorfail', { label: 'a' }));
    await post(`${server.url}/api/graphs?shadow=100`, versionGraph('mirrorfail', { label: 'a', failEvery: 2 }));
    for (let i = 1; i <= 4; i++) expect((await post(`${server.url}/mirrorfail`, { x: { n: i } })).status).toBe(200);
    const s = await until(async () => {
      const rel = (await get(`${server.url}/api/graphs/mirrorfail/release`)).body;
      return rel.shadowFigures.agreed + rel.shadowFigures.failed === 4 && rel;
    }, 'every mirrored request compared');
    expect(s.shadowFigures).toMatchObject({ agreed: 2, failed: 2 });
    expect(s.shadowFigures.recentDiffs[0].candidateError).toMatch(/^500 .*fails every 2 calls/);
    const a = await post(`${server.url}/api/graphs/mirrorfail/release/abort`, {});
    expect(a.body).toMatchObject({ state: 'aborted' });
    expect((await get(`${server.url}/api/graphs/mirrorfail/versions`)).body.active).toBe(1);
  });

  it('skips mirroring while the candidate is busy, and stable requests never wait for it', async () => {
    const latch = new Latch('shadow-busy');
    await post(`${server.url}/api/graphs`, versionGraph('busy', { label: 'a' }));
    await post(`${server.url}/api/graphs?shadow=100`, versionGraph('busy', { label: 'a', latch: 'shadow-busy' }, { maxOngoingRequests: 1 }));
    expect((await post(`${server.url}/busy`, { x: { n: 1 } })).status).toBe(200);
    // The candidate holds the first mirror at the latch: it has no room for more.
    await latch.until(1);
    for (let i = 2; i <= 4; i++) expect((await post(`${server.url}/busy`, { x: { n: i } })).body).toMatchObject({ label: 'a', score: i });
    // Mirrors leave in small batches after the stable answer, so the skips are counted just after it.
    let rel = await until(async () => {
      const r = (await get(`${server.url}/api/graphs/busy/release`)).body;
      return r.shadowFigures.skipped >= 3 && r;
    }, 'three mirrors skipped');
    expect(rel.shadowFigures).toMatchObject({ mirrored: 1, skipped: 3, agreed: 0 });
    expect(await metricsText()).toMatch(/beamline_shadow_requests_total\{graph="busy",outcome="skipped"\} 3/);
    latch.open();
    rel = await until(async () => {
      const r = (await get(`${server.url}/api/graphs/busy/release`)).body;
      return r.shadowFigures.agreed === 1 && r;
    }, 'the held mirror to be compared');
    expect(latch.arrived).toHaveLength(1);
    await post(`${server.url}/api/graphs/busy/release/abort`, {});
    latch.close();
  });
});

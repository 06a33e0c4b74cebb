import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeamlineServer } from '../../runtime/server/index.js';
import { startServer, versionGraph } from '../runtime/helpers.js';
import { beamline, removeTemp, tempFile } from './run-cli.js';

// `beamline deploy --canary` and `beamline release` as a user runs them: child processes
// talking to a real server.

const clirel = (label: string) => versionGraph('clirel', { label });

let server: BeamlineServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
  removeTemp();
});

describe('beamline deploy / release', () => {
  it('deploys, starts a canary, shows it and rolls it back; bad values name the flag', async () => {
    const v1 = tempFile('v1.json', clirel('v1'));
    const v2 = tempFile('v2.json', clirel('v2'));
    const first = await beamline(['deploy', v1, '--server', server.url]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('clirel: version 1 serving at /clirel');

    const bad = await beamline(['deploy', v2, '--canary', '150', '--server', server.url]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--canary is the percent of requests');

    const canary = await beamline(['deploy', v2, '--canary', '10', '--steps', '10,50,100', '--window-requests', '1000', '--server', server.url]);
    expect(canary.code).toBe(0);
    expect(canary.stdout).toContain('clirel: canary release of version 2 beside version 1, running: 10% of requests on version 2');
    expect(canary.stdout).toMatch(/start\s+0% →\s+10%\s+\(auto\)/);

    const status = await beamline(['release', 'clirel', '--server', server.url]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('steps 10 → 50 → 100 %');
    expect(status.stdout).toMatch(/this step so far:\nversion\s+requests/);

    const back = await beamline(['release', 'clirel', 'rollback', '--server', server.url]);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('beside version 1, rolled-back');
    expect(back.stdout).toMatch(/rollback\s+10% →\s+0%\s+\(user\)/);
    expect(server.controller.get('clirel')!.version).toBe(1);

    const usage = await beamline(['release', 'clirel', 'jump', '--server', server.url]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('unknown action "jump"');
  });
});

import { describe, expect, it } from 'vitest';
import { RefusalHold } from '../../runtime/server/refusal-hold.js';

/** Refusals at `perS` for `ms` on a fake clock, with the main thread `busy`; returns the last decision. */
function storm(hold: RefusalHold, clock: { t: number; busy: number }, perS: number, ms: number, busy: number): boolean {
  clock.busy = busy;
  let decision = hold.holding;
  const step = 1000 / perS;
  for (const end = clock.t + ms; clock.t < end; clock.t += step) decision = hold.refused();
  return decision;
}

describe('RefusalHold: when refused connections are left unread', () => {
  const make = () => {
    const clock = { t: 0, busy: 0 };
    return { clock, hold: new RefusalHold(() => clock.t, () => clock.busy) };
  };

  it('holds once refusals saturate the main thread, not at moderate overload', () => {
    const { clock, hold } = make();
    // 10x overload of a small node: a few hundred refusals per second, the loop mostly idle.
    expect(storm(hold, clock, 400, 1000, 0.3)).toBe(false);
    // Many refusals, but the loop has room: refusals stay the fastest answer.
    expect(storm(hold, clock, 5000, 1000, 0.6)).toBe(false);
    // A loop spent on refusals: hold.
    expect(storm(hold, clock, 5000, 300, 0.97)).toBe(true);
  });

  it('keeps holding while held clients come back, and lets go when the storm ends', () => {
    const { clock, hold } = make();
    expect(storm(hold, clock, 5000, 300, 0.97)).toBe(true);
    // Held connections come back once a second each: 400 of them, the loop now idle. Still a storm.
    expect(storm(hold, clock, 400, 2000, 0.2)).toBe(true);
    // Clients gave up: a refusal now and then.
    expect(storm(hold, clock, 20, 2000, 0.1)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { RefusalHold } from '../../runtime/dataplane/refusal-hold.js';

/**
 * `conns` connections refused in turn at `perS` in all for `ms` on a fake clock, with the
 * main thread `busy`; a held connection is refused again only once its second is over (it
 * was not read before). Returns how many refusals were held.
 */
function storm(hold: RefusalHold, clock: { t: number; busy: number }, conns: object[], perS: number, ms: number, busy: number): number {
  clock.busy = busy;
  const heldUntil = new Map<object, number>();
  let held = 0;
  let i = 0;
  for (const end = clock.t + ms; clock.t < end; clock.t += 1000 / perS) {
    const c = conns[i++ % conns.length];
    if ((heldUntil.get(c) ?? 0) > clock.t) continue;
    if (hold.refused(c)) {
      held++;
      heldUntil.set(c, clock.t + 1000);
    }
  }
  return held;
}
const connections = (n: number) => Array.from({ length: n }, () => ({}));

describe('RefusalHold: when a refused connection is left unread', () => {
  const make = () => {
    const clock = { t: 0, busy: 0 };
    return { clock, hold: new RefusalHold(() => clock.t, () => clock.busy) };
  };

  it('holds nothing at moderate overload, or when the loop has room', () => {
    const { clock, hold } = make();
    // 10x overload of a small node: a few hundred refusals per second.
    expect(storm(hold, clock, connections(64), 400, 2000, 0.95)).toBe(0);
    // Many refusals, but the main thread is not saturated.
    expect(storm(hold, clock, connections(400), 5000, 2000, 0.6)).toBe(0);
  });

  it('holds refused connections while refusals saturate the loop, and again when they come straight back', () => {
    const { clock, hold } = make();
    const conns = connections(400);
    expect(storm(hold, clock, conns, 5000, 300, 0.97)).toBeGreaterThan(0);
    expect(hold.storm).toBe(true);
    // The holds calm the loop; the same connections return after their second and are held again.
    const again = storm(hold, clock, conns, 400, 3000, 0.2);
    expect(hold.storm).toBe(false);
    expect(again).toBeGreaterThan(1000);
    // Fresh connections at moderate overload after the storm: not held.
    expect(storm(hold, clock, connections(64), 400, 2000, 0.2)).toBe(0);
    // An old connection back after a quiet spell (more than 5 s): not held either.
    clock.t += 6000;
    expect(storm(hold, clock, conns.slice(0, 8), 40, 1000, 0.2)).toBe(0);
  });
});

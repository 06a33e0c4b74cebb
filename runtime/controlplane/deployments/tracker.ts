/**
 * Deploys in progress, so GET /api/graphs lists a graph as DEPLOYING from the
 * moment its deploy starts (before its indexes are built and its replicas
 * placed), and /readyz knows which startup graphs it still waits for.
 */

import type { Plan } from '../../../shared/plan.js';
import type { DeployingInfo } from '../../../shared/protocol.js';

export type DeployPhase = DeployingInfo['phase'];

export interface DeployingGraph {
  name: string;
  routePrefix: string;
  since: number;
  phase: DeployPhase;
  /** The plan being deployed (absent for a startup graph whose deploy has not begun). */
  plan?: Plan;
}

export class DeployTracker {
  /** Several deploys of one name may overlap (they run one after another): counted. */
  private readonly live = new Map<string, { entry: DeployingGraph; count: number }>();
  /** Graphs named at start (serve's command line) that have not been deployed yet. */
  private readonly awaited = new Map<string, DeployingGraph>();
  private ready = false;

  /** `deployed`: whether a graph of that name is serving now (the controller). */
  constructor(private readonly deployed: (name: string) => boolean) {}

  /** A deploy of `name` started; call the result when it ended, whatever the outcome. */
  begin(plan: Plan, phase: DeployPhase = 'queued'): { phase(p: DeployPhase): void; end(): void } {
    const { name, routePrefix } = plan;
    let slot = this.live.get(name);
    if (slot) {
      slot.count++;
      slot.entry.routePrefix = routePrefix;
      slot.entry.plan = plan;
    } else {
      slot = { entry: { name, routePrefix, since: Date.now(), phase, plan }, count: 1 };
      this.live.set(name, slot);
    }
    const s = slot;
    let ended = false;
    return {
      phase: (p) => {
        s.entry.phase = p;
      },
      end: () => {
        if (ended) return;
        ended = true;
        if (--s.count === 0 && this.live.get(name) === s) this.live.delete(name);
      },
    };
  }

  /** Startup graphs: listed as DEPLOYING (queued) until deployed, and /readyz waits for them. */
  await(graphs: readonly { name: string; routePrefix?: string }[]): void {
    const now = Date.now();
    for (const g of graphs) this.awaited.set(g.name, { name: g.name, routePrefix: g.routePrefix ?? '', since: now, phase: 'queued' });
  }

  /** A startup graph is deployed (or given up on): it no longer holds readiness back. */
  arrived(name: string): void {
    this.awaited.delete(name);
  }

  /** Deploys in progress and startup graphs not deployed yet, by name. */
  list(): DeployingGraph[] {
    const out = new Map<string, DeployingGraph>();
    for (const a of this.stillAwaited()) out.set(a.name, { ...a });
    for (const { entry } of this.live.values()) out.set(entry.name, { ...entry });
    return [...out.values()];
  }

  get(name: string): DeployingGraph | undefined {
    const e = this.live.get(name)?.entry ?? this.stillAwaited().find((a) => a.name === name);
    return e && { ...e };
  }

  private stillAwaited(): DeployingGraph[] {
    for (const name of this.awaited.keys()) if (this.deployed(name)) this.awaited.delete(name);
    return [...this.awaited.values()];
  }

  /** Startup graphs still awaited; empty once they have all been deployed (then it stays empty: readiness latches). */
  waiting(): string[] {
    if (this.ready) return [];
    const names = this.stillAwaited().map((a) => a.name);
    if (names.length === 0) this.ready = true;
    return names;
  }
}

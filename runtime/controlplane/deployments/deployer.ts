import type { Plan } from '../../../shared/plan.js';
import type { DeployResult } from '../controller.js';
import type { Prepared } from '../../indexes/deploy-check.js';
import { type PersistedSettings, PersistentDeployer } from '../persistence.js';
import type { ReleaseRequest } from '../release/release.js';
import type { DeployPhase } from './tracker.js';

/** What happens around every deploy (POST /api/graphs, rollback, serve's graphs): see runtime/server/workspace.ts. */
export interface DeployHooks {
  /** The compiled plan, or undefined when the document does not compile (the deploy then reports the errors). */
  plan(source: unknown): Plan | undefined;
  /** The deploy started: the graph is DEPLOYING until `end`. */
  begin(plan: Plan): { phase(p: DeployPhase): void; end(): void };
  /** Before any replica starts: build missing indexes, refuse mismatched embedders. */
  prepare(plan: Plan, settings: PersistedSettings): Promise<Prepared>;
}

/** The persistent deployer with hooks, so every path into a deploy gets them without each caller knowing. */
export class HookedDeployer extends PersistentDeployer {
  hooks: DeployHooks | undefined;

  override async deploy(source: unknown, settings: PersistedSettings = {}, rolledBackFrom?: number, release?: ReleaseRequest): Promise<DeployResult> {
    const hooks = this.hooks;
    const plan = hooks?.plan(source);
    if (!hooks || !plan) return super.deploy(source, settings, rolledBackFrom, release);
    // Refusals that need nothing built come first: a graph with a bad path builds no index.
    const checked = this.check(source, settings);
    if (!checked.ok) return checked;
    const h = hooks.begin(plan);
    try {
      h.phase('indexes');
      const prepared = await hooks.prepare(plan, settings);
      if (!prepared.ok) return prepared;
      h.phase('starting');
      return await super.deploy(source, settings, rolledBackFrom, release);
    } finally {
      h.end();
    }
  }
}

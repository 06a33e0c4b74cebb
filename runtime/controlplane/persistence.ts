import type { Catalog } from '../../shared/catalog/index.js';
import { compile } from '../../shared/compile.js';
import { formatError, type GraphError } from '../../shared/errors.js';
import type { Controller, DeployResult } from './controller.js';
import type { GraphDeployment } from './deployment.js';
import { withSplitWeights, type WeightsRefusal } from './split-weights.js';
import { type DataPlanePolicy, TOKEN_ENV } from '../security/auth.js';
import { DEFAULT_GRAPH_BOUNDS, type GraphBounds, graphTooLarge } from '../security/limits.js';
import { checkPlanPaths, type PathPolicy } from '../security/paths.js';
import { checkPlanSecrets } from '../security/secret-check.js';
import { DEFAULT_SECRET_POLICY } from '../security/secret-policy.js';
import { rememberSecrets, secretValues } from '../security/redact.js';
import type { ReleaseRequest } from './release/release.js';
import { type DeploySettings, type GraphStore, type GraphVersion, StorageError, VersionNotFoundError } from './store.js';

/**
 * Deploys that outlive the process: every deploy is recorded in the store, started
 * by the controller, and only then marked active. A crash between the two leaves
 * the previous version active, so a restart serves what was serving before.
 */
export interface PersistedSettings extends DeploySettings {
  /** Folder of the graph file it was loaded from (retriever docs resolve against it). */
  graphDir?: string;
  /**
   * Who may call the graph's route, when the deploy said so (`explicit`); absent, the
   * graph follows the server's token at run time. Token values are never stored,
   * only an env var name.
   */
  dataPlane?: DataPlanePolicy & { explicit?: boolean };
}

/**
 * The rule a stored version asked for; undefined: follow the server's token.
 * Versions written before `explicit` existed stored the server's default as
 * `open` whenever the server had no token, so an unmarked `open` is not taken as
 * a choice (it would keep a graph public after a token is set). An unmarked
 * `token` is kept: it is never less safe.
 */
export function chosenPolicy(settings: PersistedSettings): DataPlanePolicy | undefined {
  const d = settings.dataPlane;
  if (!d || (d.auth === 'open' && d.explicit !== true)) return undefined;
  return { auth: d.auth, ...(d.tokenEnv ? { tokenEnv: d.tokenEnv } : {}) };
}

export type RemoveResult = { ok: true; removed: boolean } | StorageFailure;
type StorageFailure = { ok: false; status: 503 | 507; error: string; errors: GraphError[] };

/**
 * A failed database write as an answer: what was not done, why (the error names the
 * data directory), and that what was serving still is. Anything but a StorageError is a bug: rethrown.
 */
function storageFailure(e: unknown, what: string, serving: { version: number } | undefined): StorageFailure {
  if (!(e instanceof StorageError)) throw e;
  const still = serving ? `, version ${serving.version} keeps serving` : '';
  const fix = e.status === 507 ? 'free space there and retry' : 'make the data directory writable and retry';
  return { ok: false, status: e.status, error: `${what}: ${e.message}; nothing was changed${still} (${fix})`, errors: [] };
}

export type SplitWeightsResult = { ok: true; version: number; from: number; deployment: GraphDeployment } | WeightsRefusal | StorageFailure | { ok: false; status: 400 | 409 | 413; error: string; errors: GraphError[] };

export type RollbackResult = (DeployResult & { from?: number }) | { ok: false; status: 404; error: string; errors: GraphError[] };

export class PersistentDeployer {
  /** Deploys of one name run one after another, so versions are numbered in order. */
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Data-plane rules chosen at deploy, kept in memory: requests never read the database. Absent: the server's default. */
  private readonly policies = new Map<string, DataPlanePolicy>();
  /** Version whose deploy is in progress, per name. */
  private readonly deploying = new Map<string, number>();

  constructor(
    readonly controller: Controller,
    readonly store: GraphStore,
    private readonly paths: PathPolicy,
    private readonly catalog: Catalog,
    private readonly log: (message: string) => void = () => {},
    private readonly defaultPolicy: DataPlanePolicy = { auth: 'open' },
    private readonly bounds: GraphBounds = DEFAULT_GRAPH_BOUNDS,
  ) {}

  policyOf(name: string): DataPlanePolicy | undefined {
    return this.controller.get(name) ? (this.policies.get(name) ?? this.defaultPolicy) : undefined;
  }

  /** Compile and path-check without side effects; errors name node and JSON path. */
  check(source: unknown, settings: PersistedSettings = {}): { ok: true; name: string } | { ok: false; status: 400 | 413; error: string; errors: GraphError[] } {
    const big = graphTooLarge(source, this.bounds);
    if (big) return { ok: false, status: big.status, error: big.error, errors: [{ code: 'invalid_document', path: big.path, message: big.error, fix: 'split the graph, or raise the limit when starting the server' }] };
    const r = compile(source, this.catalog);
    const errors = r.ok
      ? [
          ...checkPlanPaths(r.plan, { ...this.paths, ...(settings.graphDir ? { graphDir: settings.graphDir } : {}) }, this.catalog),
          ...checkPlanSecrets(r.plan, this.controller.opts.secrets ?? DEFAULT_SECRET_POLICY, this.catalog),
        ]
      : r.errors;
    if (!r.ok || errors.length > 0) return { ok: false, status: 400, error: `graph has ${errors.length} error${errors.length === 1 ? '' : 's'}`, errors };
    return { ok: true, name: r.plan.name };
  }

  /** `release`: start the new version as a canary or shadow beside the serving one (runtime/controlplane/release/). */
  async deploy(source: unknown, settings: PersistedSettings = {}, rolledBackFrom?: number, release?: ReleaseRequest): Promise<DeployResult> {
    const checked = this.check(source, settings);
    if (!checked.ok) return checked;
    rememberSecrets(secretValues(source as Parameters<typeof secretValues>[0], process.env, [TOKEN_ENV]));
    if (release) return this.serial(checked.name, () => this.release(checked.name, source, settings, release));
    return this.serial(checked.name, async () => {
      // Written first, then memory changed: a write that fails leaves both as they were.
      let v: GraphVersion;
      try {
        v = this.store.record(checked.name, source, settings, rolledBackFrom !== undefined ? { rolledBackFrom } : {});
      } catch (e) {
        return storageFailure(e, `graph ${checked.name} was not deployed`, this.controller.get(checked.name));
      }
      this.deploying.set(checked.name, v.version);
      try {
        // The switch is recorded just before the route moves; a version that fails (or a
        // process that dies) before then stays in the history as never activated.
        const r = await this.controller.deploy(source, settings.graphDir, v.version, () => {
          try {
            this.store.activate(checked.name, v.version);
            return undefined;
          } catch (e) {
            return storageFailure(e, `version ${v.version} of ${checked.name} was started but not activated`, this.controller.get(checked.name));
          }
        });
        if (r.ok) this.setPolicy(checked.name, settings);
        return r;
      } finally {
        this.deploying.delete(checked.name);
      }
    });
  }

  /**
   * A release: the version is recorded (not active) and started beside the serving one; it
   * becomes the active version only when the release promotes it, and each decision is
   * written to the version history.
   */
  private async release(name: string, source: unknown, settings: PersistedSettings, request: ReleaseRequest): Promise<DeployResult> {
    // Refused before a version is recorded: nothing to release beside, or a release already running.
    const busy = this.controller.releaseRefusal(name, { request });
    if (busy) return busy;
    let v: GraphVersion;
    try {
      v = this.store.record(name, source, settings);
    } catch (e) {
      return storageFailure(e, `graph ${name} was not deployed`, this.controller.get(name));
    }
    this.deploying.set(name, v.version);
    try {
      const r = await this.controller.deploy(source, settings.graphDir, v.version, undefined, {
        request,
        commit: () => {
          try {
            this.store.activate(name, v.version);
            this.setPolicy(name, settings);
            return undefined;
          } catch (e) {
            return storageFailure(e, `version ${v.version} of ${name} was not made active`, this.controller.get(name)).error;
          }
        },
        recorded: (status) => {
          try {
            this.store.recordRelease(name, v.version, status);
          } catch (e) {
            this.log(`[${name}] release of version ${v.version}: not recorded: ${(e as Error).message}`);
          }
        },
      });
      return r;
    } finally {
      this.deploying.delete(name);
    }
  }

  /** A 409 while a release of `name` runs: it names the release and how to end it. */
  private releaseRunning(name: string, what: string, then: string): { ok: false; status: 409; error: string; errors: GraphError[] } | undefined {
    const rel = this.controller.release(name);
    if (rel?.state !== 'running') return undefined;
    const message = `a ${rel.mode} release of ${name} is running (version ${rel.candidateVersion} beside ${rel.stableVersion}): the graph cannot be ${what} until it ends`;
    const fix = `promote, roll back or abort the release first (POST /api/graphs/${name}/release/promote|rollback|abort), ${then}`;
    return { ok: false, status: 409, error: message, errors: [{ code: 'invalid_document', path: '$', message, fix }] };
  }

  /** The version of a name whose deploy is under way, if any (listed as `deploying`). */
  deployingVersion(name: string): number | undefined {
    return this.deploying.get(name);
  }

  /** Redeploy an earlier version's document and settings as a new version. */
  async rollback(name: string, to?: number): Promise<RollbackResult> {
    // During a release "roll back" could mean the candidate or the stable version: refused, naming both ways out.
    const rel = this.releaseRunning(name, 'rolled back', `then roll back (the release's own rollback alone drops the new version and keeps the stable one)`);
    if (rel) return rel;
    let target: GraphVersion;
    try {
      target = this.store.rollbackTarget(name, to);
    } catch (e) {
      if (e instanceof VersionNotFoundError) {
        const msg = to === undefined ? `graph ${name} has no earlier version to roll back to` : e.message;
        return { ok: false, status: 404, error: msg, errors: [] };
      }
      return storageFailure(e, `graph ${name} was not rolled back`, this.controller.get(name));
    }
    const r = await this.deploy(target.graph, target.settings as PersistedSettings, target.version);
    return { ...r, from: target.version };
  }

  /**
   * New weights for a split node of a running graph, without a redeploy: recorded as a new
   * version (the serving document with the weights changed) and swapped into the running
   * deployment in place, so no replica restarts (GraphDeployment.reconfigureInline).
   */
  async setSplitWeights(name: string, node: string, weights: Record<string, unknown>): Promise<SplitWeightsResult> {
    return this.serial(name, async () => {
      const dep = this.controller.get(name);
      if (!dep) return { ok: false as const, status: 404 as const, error: `no graph named "${name}" is deployed`, errors: [] };
      // The release judges its candidate against the stable version as it was released beside.
      const rel = this.releaseRunning(name, `given new weights at ${node}`, 'then set the weights, or release a version with the new weights');
      if (rel) return rel;
      const serving = this.store.get(name, dep.version);
      const edited = withSplitWeights(serving?.graph ?? dep.plan.graph, node, weights);
      if (!edited.ok) return edited;
      const settings = (serving?.settings ?? {}) as PersistedSettings;
      const checked = this.check(edited.graph, settings);
      if (!checked.ok) return checked;
      const plan = compile(edited.graph, this.catalog);
      if (!plan.ok) return { ok: false as const, status: 400 as const, error: 'graph has errors', errors: plan.errors };
      let v: GraphVersion;
      try {
        v = this.store.deploy(name, edited.graph, settings);
      } catch (e) {
        return storageFailure(e, `the weights of ${name}/${node} were not changed`, dep);
      }
      const from = dep.version;
      dep.reconfigureInline(plan.plan, node, v.version);
      return { ok: true as const, version: v.version, from, deployment: dep };
    });
  }

  /** Stop serving a graph: the database first, so a failed write leaves it deployed and serving. */
  async remove(name: string): Promise<RemoveResult> {
    return this.serial(name, async () => {
      let active: boolean;
      try {
        active = this.store.deactivate(name);
      } catch (e) {
        return storageFailure(e, `graph ${name} was not deleted`, this.controller.get(name));
      }
      const had = await this.controller.remove(name);
      this.policies.delete(name);
      return { ok: true, removed: had || active };
    });
  }

  /**
   * Deploy unless this exact document and settings are already the active version
   * (a graph file named on `beamline serve` must not add a version at every restart).
   */
  async deployIfChanged(source: unknown, settings: PersistedSettings = {}): Promise<DeployResult> {
    const checked = this.check(source, settings);
    if (checked.ok) {
      const active = this.store.activeVersion(checked.name);
      const cur = active === undefined ? undefined : this.store.get(checked.name, active);
      const running = this.controller.get(checked.name);
      if (cur && running && JSON.stringify(cur.graph) === JSON.stringify(source) && JSON.stringify(cur.settings) === JSON.stringify(settings)) {
        return { ok: true, deployment: running };
      }
    }
    return this.deploy(source, settings);
  }

  /** Redeploy every graph that was active when the process stopped. */
  async restore(): Promise<{ name: string; version: number; ok: boolean; error?: string }[]> {
    const out: { name: string; version: number; ok: boolean; error?: string }[] = [];
    // A release that was running when the process stopped is over: its stable version (the active one) is what comes back.
    for (const r of this.store.abortRunningReleases('the server restarted during the release: the stable version serves, the candidate was not restarted')) {
      this.log(`${r.graph}: the ${r.mode} release of version ${r.candidateVersion} was running when the server stopped; recorded as aborted, version ${r.stableVersion} serves`);
    }
    for (const g of this.store.active()) {
      try {
        const settings = g.settings as PersistedSettings;
        // The operator's current paths and secret policy apply to stored versions too.
        const checked = this.check(g.graph, settings);
        if (!checked.ok) {
          const error = checked.errors.map(formatError).join('; ');
          out.push({ name: g.name, version: g.version, ok: false, error });
          this.log(`could not restore ${g.name} v${g.version}: ${error}`);
          continue;
        }
        rememberSecrets(secretValues(g.graph as Parameters<typeof secretValues>[0], process.env, [TOKEN_ENV]));
        const r = await this.controller.deploy(g.graph, settings.graphDir, g.version);
        if (r.ok) this.setPolicy(g.name, settings);
        out.push(r.ok ? { name: g.name, version: g.version, ok: true } : { name: g.name, version: g.version, ok: false, error: r.error });
        this.log(r.ok ? `restored ${g.name} v${g.version}` : `could not restore ${g.name} v${g.version}: ${r.error}`);
      } catch (e) {
        out.push({ name: g.name, version: g.version, ok: false, error: (e as Error).message });
        this.log(`could not restore ${g.name} v${g.version}: ${(e as Error).message}`);
      }
    }
    this.logOpen(out.filter((r) => r.ok).map((r) => r.name));
    return out;
  }

  private setPolicy(name: string, settings: PersistedSettings): void {
    const chosen = chosenPolicy(settings);
    if (chosen) this.policies.set(name, chosen);
    else this.policies.delete(name);
    if (settings.dataPlane?.auth === 'open' && !chosen) {
      this.log(`${name}: stored with dataPlane "open" by an older version, which did not record whether the operator chose it; it now follows the server's token (redeploy with ?dataPlane=open to keep it open)`);
    }
  }

  /** One line at restore naming every graph anyone can call, and why. */
  private logOpen(names: string[]): void {
    const open = names.filter((n) => this.policyOf(n)?.auth === 'open').map((n) => `${n} (${this.policies.has(n) ? 'deployed with dataPlane=open' : 'the server has no token'})`);
    if (open.length > 0) this.log(`data plane open to anyone: ${open.join(', ')}`);
  }

  private serial<T>(name: string, f: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(name) ?? Promise.resolve();
    const next = prev.then(f, f);
    const tail = next.catch(() => {});
    this.chains.set(name, tail);
    void tail.then(() => {
      if (this.chains.get(name) === tail) this.chains.delete(name);
    });
    return next;
  }
}

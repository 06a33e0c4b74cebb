import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { VersionSummary } from '../shared/protocol.js';

/**
 * Deployed graphs and their numbered versions, in SQLite under the data directory.
 * Every write is one transaction in WAL mode: a process killed mid-deploy leaves
 * the previous active version in place, never a half-written row.
 */

/** Deploy options that must survive a restart (no secret values: only env var names). */
export type DeploySettings = Record<string, unknown>;

export interface GraphVersion {
  name: string;
  version: number;
  /** The graph document as deployed. */
  graph: unknown;
  settings: DeploySettings;
  createdAt: number;
  /** Set when this version was made by rolling back to an earlier one. */
  rolledBackFrom?: number;
}

export type { VersionSummary };

export interface ActiveGraph extends GraphVersion {
  activatedAt: number;
}

interface VersionRow {
  name: string;
  version: number;
  graph_json: string;
  settings_json: string;
  created_at: number;
  rolled_back_from: number | null;
}

export const DEFAULT_DATA_DIR = '.beamline';
export const DB_FILE = 'beamline.db';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS versions (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  graph_json TEXT NOT NULL,
  settings_json TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  rolled_back_from INTEGER,
  PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS active (
  name TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  activated_at INTEGER NOT NULL,
  FOREIGN KEY (name, version) REFERENCES versions(name, version)
);
`;

export class VersionNotFoundError extends Error {
  constructor(
    readonly graph: string,
    readonly version?: number,
  ) {
    super(version === undefined ? `graph "${graph}" has no versions` : `graph "${graph}" has no version ${version}`);
    this.name = 'VersionNotFoundError';
  }
}

export class GraphStore {
  private readonly db: Database.Database;
  readonly file: string;

  /** `:memory:` keeps versions for this process only (servers started without persistence, tests). */
  constructor(dataDir: string = DEFAULT_DATA_DIR) {
    if (dataDir === ':memory:') {
      this.file = ':memory:';
      this.db = new Database(':memory:');
    } else {
      const dir = resolve(dataDir);
      mkdirSync(dir, { recursive: true });
      this.file = join(dir, DB_FILE);
      this.db = new Database(this.file);
      this.db.pragma('journal_mode = WAL');
      // FULL: a committed deploy survives power loss, not only a process crash.
      this.db.pragma('synchronous = FULL');
    }
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  /**
   * Record a new version and make it active, in one transaction. Call it once the
   * graph has compiled; if the process dies before it returns, the previous
   * version stays active.
   */
  deploy(name: string, graph: unknown, settings: DeploySettings = {}, now = Date.now()): GraphVersion {
    return this.db.transaction(() => {
      const v = this.insertVersion(name, graph, settings, now);
      this.setActive(name, v.version, now);
      return v;
    }).immediate();
  }

  /**
   * Record a version without activating it (two-phase deploy: record, start its
   * replicas, then activate). A crash in between leaves the previous version active.
   */
  record(name: string, graph: unknown, settings: DeploySettings = {}, opts: { rolledBackFrom?: number; now?: number } = {}): GraphVersion {
    return this.db.transaction(() => this.insertVersion(name, graph, settings, opts.now ?? Date.now(), opts.rolledBackFrom)).immediate();
  }

  /** Drop a recorded version that never became active (its deploy failed). */
  discard(name: string, version: number): boolean {
    return this.db.transaction(() => {
      if (this.activeVersion(name) === version) return false;
      return this.db.prepare('DELETE FROM versions WHERE name = ? AND version = ?').run(name, version).changes > 0;
    }).immediate();
  }

  /** Make an existing version the active one. */
  activate(name: string, version: number, now = Date.now()): void {
    this.db.transaction(() => {
      if (!this.get(name, version)) throw new VersionNotFoundError(name, version);
      this.setActive(name, version, now);
    }).immediate();
  }

  /** The version a rollback goes to: `to`, or the one before the active version. */
  rollbackTarget(name: string, to?: number): GraphVersion {
    const target = to ?? this.previousVersion(name, this.activeVersion(name));
    const v = target === undefined ? undefined : this.get(name, target);
    if (!v) throw new VersionNotFoundError(name, to ?? target);
    return v;
  }

  /**
   * Roll back in one step: a new version whose document and settings are those of
   * `to` (default: the version before the active one), made active. History is
   * never rewritten, so a rollback can itself be rolled back.
   */
  rollback(name: string, to?: number, now = Date.now()): GraphVersion {
    return this.db.transaction(() => {
      const src = this.rollbackTarget(name, to);
      const v = this.insertVersion(name, src.graph, src.settings, now, src.version);
      this.setActive(name, v.version, now);
      return v;
    }).immediate();
  }

  /** Stop serving a graph on restart; its versions are kept for the record. */
  deactivate(name: string): boolean {
    return this.db.prepare('DELETE FROM active WHERE name = ?').run(name).changes > 0;
  }

  /** Forget a graph entirely. */
  purge(name: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM active WHERE name = ?').run(name);
      this.db.prepare('DELETE FROM versions WHERE name = ?').run(name);
    }).immediate();
  }

  get(name: string, version: number): GraphVersion | undefined {
    const row = this.db.prepare('SELECT * FROM versions WHERE name = ? AND version = ?').get(name, version) as VersionRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  activeVersion(name: string): number | undefined {
    const row = this.db.prepare('SELECT version FROM active WHERE name = ?').get(name) as { version: number } | undefined;
    return row?.version;
  }

  /** Newest first. */
  versions(name: string): VersionSummary[] {
    const active = this.activeVersion(name);
    const rows = this.db
      .prepare(
        `SELECT version, created_at, rolled_back_from,
                COALESCE(json_array_length(graph_json, '$.nodes'), 0) AS nodes
           FROM versions WHERE name = ? ORDER BY version DESC`,
      )
      .all(name) as { version: number; created_at: number; rolled_back_from: number | null; nodes: number }[];
    return rows.map((r) => ({
      version: r.version,
      createdAt: r.created_at,
      active: r.version === active,
      nodes: r.nodes,
      ...(r.rolled_back_from !== null ? { rolledBackFrom: r.rolled_back_from } : {}),
    }));
  }

  /** What a restarted server redeploys, oldest activation first. */
  active(): ActiveGraph[] {
    const rows = this.db
      .prepare(
        `SELECT v.*, a.activated_at FROM active a
           JOIN versions v ON v.name = a.name AND v.version = a.version
          ORDER BY a.activated_at, a.name`,
      )
      .all() as (VersionRow & { activated_at: number })[];
    return rows.map((r) => ({ ...fromRow(r), activatedAt: r.activated_at }));
  }

  /** Every graph name with at least one version. */
  names(): string[] {
    return (this.db.prepare('SELECT DISTINCT name FROM versions ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private insertVersion(name: string, graph: unknown, settings: DeploySettings, now: number, rolledBackFrom?: number): GraphVersion {
    const last = this.db.prepare('SELECT MAX(version) AS v FROM versions WHERE name = ?').get(name) as { v: number | null };
    const version = (last.v ?? 0) + 1;
    this.db
      .prepare('INSERT INTO versions (name, version, graph_json, settings_json, created_at, rolled_back_from) VALUES (?, ?, ?, ?, ?, ?)')
      .run(name, version, JSON.stringify(graph), JSON.stringify(settings), now, rolledBackFrom ?? null);
    return { name, version, graph, settings, createdAt: now, ...(rolledBackFrom !== undefined ? { rolledBackFrom } : {}) };
  }

  private setActive(name: string, version: number, now: number): void {
    this.db
      .prepare('INSERT INTO active (name, version, activated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version, activated_at = excluded.activated_at')
      .run(name, version, now);
  }

  private previousVersion(name: string, active: number | undefined): number | undefined {
    if (active === undefined) return undefined;
    const row = this.db.prepare('SELECT MAX(version) AS v FROM versions WHERE name = ? AND version < ?').get(name, active) as { v: number | null };
    return row.v ?? undefined;
  }
}

function fromRow(r: VersionRow): GraphVersion {
  return {
    name: r.name,
    version: r.version,
    graph: JSON.parse(r.graph_json),
    settings: JSON.parse(r.settings_json) as DeploySettings,
    createdAt: r.created_at,
    ...(r.rolled_back_from !== null ? { rolledBackFrom: r.rolled_back_from } : {}),
  };
}

import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { VersionStatus, VersionSummary } from '../../shared/protocol.js';
import type { ReleaseStatus } from '../../shared/release.js';

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

export type { VersionStatus, VersionSummary };

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
/** Versions kept per graph name (the active one is kept whatever its age). */
export const DEFAULT_KEEP_VERSIONS = 20;

// nodes and bytes are written with the row so a version list never reads a document;
// activated_at is null for a version that never served (its deploy failed, or the
// process died while its replicas started).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS versions (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  graph_json TEXT NOT NULL,
  settings_json TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  rolled_back_from INTEGER,
  nodes INTEGER,
  bytes INTEGER,
  activated_at INTEGER,
  PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS active (
  name TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  activated_at INTEGER NOT NULL,
  FOREIGN KEY (name, version) REFERENCES versions(name, version)
);
CREATE TABLE IF NOT EXISTS releases (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  state TEXT NOT NULL,
  release_json TEXT NOT NULL,
  PRIMARY KEY (name, version)
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

/**
 * The database could not be read or written: the disk is full (507), or the data
 * directory is read-only, missing or damaged (503). The message names the file.
 */
export class StorageError extends Error {
  constructor(
    message: string,
    readonly status: 503 | 507,
    readonly file: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

/** A SQLite or file-system failure as a StorageError naming the file; anything else (a bug) unchanged. */
function storageError(e: unknown, file: string): unknown {
  if (e instanceof StorageError) return e;
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== 'string') return e;
  const dir = resolve(file, '..');
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return new StorageError(`the disk holding the data directory ${dir} is full (${code} writing ${file})`, 507, file);
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') return new StorageError(`the data directory ${dir} is read-only (${code} writing ${file})`, 503, file);
  if (code === 'EACCES' || code === 'EPERM') return new StorageError(`the data directory ${dir} is not writable (${code} on ${file})`, 503, file);
  // SQLite's codes and errno names (EIO, ENOENT...); Node's own ERR_* codes are bugs, not storage.
  if (code.startsWith('SQLITE_') || /^E[A-Z]+$/.test(code)) return new StorageError(`the database ${file} failed: ${(e as Error).message} (${code})`, 503, file);
  return e;
}

export interface StoreOptions {
  /** Versions kept per graph name, newest first; the active version is never dropped. */
  keepVersions?: number;
}

export class GraphStore {
  private readonly db: Database.Database;
  readonly file: string;
  readonly keepVersions: number;

  /**
   * `:memory:` keeps versions for this process only (servers started without persistence, tests).
   * Throws a StorageError naming the file when the database cannot be opened, or is an
   * empty file (a truncated database must not be taken for a fresh start that forgets every graph).
   */
  constructor(dataDir: string = DEFAULT_DATA_DIR, opts: StoreOptions = {}) {
    this.keepVersions = Math.max(1, opts.keepVersions ?? DEFAULT_KEEP_VERSIONS);
    if (dataDir === ':memory:') {
      this.file = ':memory:';
      this.db = new Database(':memory:');
    } else {
      const dir = resolve(dataDir);
      this.file = join(dir, DB_FILE);
      let db: Database.Database | undefined;
      try {
        mkdirSync(dir, { recursive: true });
        refuseEmptyFile(this.file);
        db = new Database(this.file);
        db.pragma('journal_mode = WAL');
        // FULL: a committed deploy survives power loss, not only a process crash.
        db.pragma('synchronous = FULL');
        this.db = db;
      } catch (e) {
        db?.close();
        if (e instanceof StorageError) throw e;
        const code = String((e as { code?: unknown }).code ?? 'error');
        const status = (storageError(e, this.file) as { status?: 503 | 507 }).status ?? 503;
        const recover = /NOTADB|CORRUPT/.test(code) ? 'restore it from a backup, or move it away to start with no graphs' : `make ${dir} a readable and writable directory with free space, or start with another --data-dir`;
        throw new StorageError(`cannot open the database ${this.file}: ${(e as Error).message} (${code}); ${recover}`, status, this.file);
      }
    }
    try {
      this.guard(() => {
        this.db.pragma('foreign_keys = ON');
        this.db.pragma('busy_timeout = 5000');
        this.db.exec(SCHEMA);
        this.migrate();
        // A covering index: the version list (and rollback's lookup) read it alone, never a row,
        // whose later columns sit behind the document's overflow pages.
        this.db.exec('CREATE INDEX IF NOT EXISTS versions_summary ON versions (name, version, created_at, rolled_back_from, nodes, bytes, activated_at)');
      });
    } catch (e) {
      this.db.close();
      throw e;
    }
  }

  /**
   * Record a new version and make it active, in one transaction. Call it once the
   * graph has compiled; if the process dies before it returns, the previous
   * version stays active.
   */
  deploy(name: string, graph: unknown, settings: DeploySettings = {}, now = Date.now()): GraphVersion {
    return this.write(() => {
      const v = this.insertVersion(name, graph, settings, now);
      this.setActive(name, v.version, now);
      this.prune(name);
      return v;
    });
  }

  /**
   * Record a version without activating it (two-phase deploy: record, start its
   * replicas, then activate). A crash in between leaves the previous version active,
   * and this one listed as never activated.
   */
  record(name: string, graph: unknown, settings: DeploySettings = {}, opts: { rolledBackFrom?: number; now?: number } = {}): GraphVersion {
    return this.write(() => {
      const v = this.insertVersion(name, graph, settings, opts.now ?? Date.now(), opts.rolledBackFrom);
      this.prune(name);
      return v;
    });
  }

  /** Drop a recorded version that never became active. */
  discard(name: string, version: number): boolean {
    return this.write(() => {
      if (this.activeVersion(name) === version) return false;
      return this.db.prepare('DELETE FROM versions WHERE name = ? AND version = ?').run(name, version).changes > 0;
    });
  }

  /** Make an existing version the active one. */
  activate(name: string, version: number, now = Date.now()): void {
    this.write(() => {
      if (!this.db.prepare('SELECT 1 FROM versions WHERE name = ? AND version = ?').get(name, version)) throw new VersionNotFoundError(name, version);
      this.setActive(name, version, now);
      this.prune(name);
    });
  }

  /** The version a rollback goes to: `to`, or the last one that served before the active version. */
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
    return this.write(() => {
      const src = this.rollbackTarget(name, to);
      const v = this.insertVersion(name, src.graph, src.settings, now, src.version);
      this.setActive(name, v.version, now);
      this.prune(name);
      return v;
    });
  }

  /** Stop serving a graph on restart; its versions are kept for the record. */
  deactivate(name: string): boolean {
    return this.write(() => this.db.prepare('DELETE FROM active WHERE name = ?').run(name).changes > 0);
  }

  /**
   * How a version's release (canary or shadow) went, rewritten at each decision. A table of
   * its own: the version list reads it without touching the documents' rows. Shadow diffs
   * (requests and answers) are not kept.
   */
  recordRelease(name: string, version: number, status: ReleaseStatus): void {
    const kept: ReleaseStatus = status.shadowFigures ? { ...status, shadowFigures: { ...status.shadowFigures, recentDiffs: [] } } : status;
    this.write(() => {
      this.db
        .prepare('INSERT INTO releases (name, version, state, release_json) VALUES (?, ?, ?, ?) ON CONFLICT(name, version) DO UPDATE SET state = excluded.state, release_json = excluded.release_json')
        .run(name, version, status.state, JSON.stringify(kept));
    });
  }

  /** Releases left running by a process that stopped: recorded as aborted (the stable version is what restarts). */
  abortRunningReleases(reason: string, now = Date.now()): ReleaseStatus[] {
    return this.write(() => {
      const rows = this.db.prepare("SELECT name, version, release_json FROM releases WHERE state = 'running'").all() as { name: string; version: number; release_json: string }[];
      return rows.map((r) => {
        const s = JSON.parse(r.release_json) as ReleaseStatus;
        const ended: ReleaseStatus = { ...s, state: 'aborted', endedAt: now, decisions: [...s.decisions, { at: now, action: 'abort', fromShare: s.share, toShare: 0, reason, by: 'auto' }] };
        this.db.prepare("UPDATE releases SET state = 'aborted', release_json = ? WHERE name = ? AND version = ?").run(JSON.stringify(ended), r.name, r.version);
        return ended;
      });
    });
  }

  /** Forget a graph entirely. */
  purge(name: string): void {
    this.write(() => {
      this.db.prepare('DELETE FROM releases WHERE name = ?').run(name);
      this.db.prepare('DELETE FROM active WHERE name = ?').run(name);
      this.db.prepare('DELETE FROM versions WHERE name = ?').run(name);
    });
  }

  get(name: string, version: number): GraphVersion | undefined {
    const row = this.guard(() => this.db.prepare('SELECT * FROM versions WHERE name = ? AND version = ?').get(name, version) as VersionRow | undefined);
    return row ? fromRow(row) : undefined;
  }

  activeVersion(name: string): number | undefined {
    const row = this.guard(() => this.db.prepare('SELECT version FROM active WHERE name = ?').get(name) as { version: number } | undefined);
    return row?.version;
  }

  /** Newest first, from the summary columns only: no document is read. */
  versions(name: string): VersionSummary[] {
    const { active, rows, releases } = this.guard(() => ({
      active: this.activeVersion(name),
      releases: new Map((this.db.prepare('SELECT version, release_json FROM releases WHERE name = ?').all(name) as { version: number; release_json: string }[]).map((r) => [r.version, r.release_json])),
      rows: this.db
        .prepare('SELECT version, created_at, rolled_back_from, nodes, bytes, activated_at FROM versions WHERE name = ? ORDER BY version DESC')
        .all(name) as { version: number; created_at: number; rolled_back_from: number | null; nodes: number | null; bytes: number | null; activated_at: number | null }[],
    }));
    return rows.map((r) => ({
      version: r.version,
      createdAt: r.created_at,
      active: r.version === active,
      status: r.version === active ? 'active' : r.activated_at !== null ? 'superseded' : 'never-activated',
      nodes: r.nodes ?? 0,
      bytes: r.bytes ?? 0,
      ...(r.rolled_back_from !== null ? { rolledBackFrom: r.rolled_back_from } : {}),
      ...(releases.has(r.version) ? { release: JSON.parse(releases.get(r.version)!) as ReleaseStatus } : {}),
    }));
  }

  /** What a restarted server redeploys, oldest activation first. */
  active(): ActiveGraph[] {
    const rows = this.guard(
      () =>
        this.db
          .prepare(
            `SELECT v.name, v.version, v.graph_json, v.settings_json, v.created_at, v.rolled_back_from, a.activated_at FROM active a
               JOIN versions v ON v.name = a.name AND v.version = a.version
              ORDER BY a.activated_at, a.name`,
          )
          .all() as (VersionRow & { activated_at: number })[],
    );
    return rows.map((r) => ({ ...fromRow(r), activatedAt: r.activated_at }));
  }

  /** Every graph name with at least one version. */
  names(): string[] {
    return this.guard(() => (this.db.prepare('SELECT DISTINCT name FROM versions ORDER BY name').all() as { name: string }[]).map((r) => r.name));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Database failures leave here as StorageErrors naming the file. */
  private guard<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw storageError(e, this.file);
    }
  }

  /** One write transaction; on a failure nothing of it is kept. */
  private write<T>(f: () => T): T {
    return this.guard(() => this.db.transaction(f).immediate());
  }

  private insertVersion(name: string, graph: unknown, settings: DeploySettings, now: number, rolledBackFrom?: number): GraphVersion {
    const last = this.db.prepare('SELECT MAX(version) AS v FROM versions WHERE name = ?').get(name) as { v: number | null };
    const version = (last.v ?? 0) + 1;
    const json = JSON.stringify(graph);
    const nodes = (graph as { nodes?: unknown } | null)?.nodes;
    this.db
      .prepare('INSERT INTO versions (name, version, graph_json, settings_json, created_at, rolled_back_from, nodes, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(name, version, json, JSON.stringify(settings), now, rolledBackFrom ?? null, Array.isArray(nodes) ? nodes.length : 0, Buffer.byteLength(json));
    return { name, version, graph, settings, createdAt: now, ...(rolledBackFrom !== undefined ? { rolledBackFrom } : {}) };
  }

  private setActive(name: string, version: number, now: number): void {
    this.db
      .prepare('INSERT INTO active (name, version, activated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version, activated_at = excluded.activated_at')
      .run(name, version, now);
    this.db.prepare('UPDATE versions SET activated_at = COALESCE(activated_at, ?) WHERE name = ? AND version = ?').run(now, name, version);
  }

  /** Keep the newest keepVersions versions of a name, and the active one whatever its age. */
  private prune(name: string): void {
    this.db
      .prepare(
        `DELETE FROM versions WHERE name = @name
            AND version NOT IN (SELECT version FROM versions WHERE name = @name ORDER BY version DESC LIMIT @keep)
            AND version IS NOT (SELECT version FROM active WHERE name = @name)`,
      )
      .run({ name, keep: this.keepVersions });
    this.db.prepare('DELETE FROM releases WHERE name = @name AND version NOT IN (SELECT version FROM versions WHERE name = @name)').run({ name });
  }

  /** The last version before the active one that served (a failed deploy is no place to go back to). */
  private previousVersion(name: string, active: number | undefined): number | undefined {
    if (active === undefined) return undefined;
    const row = this.db.prepare('SELECT MAX(version) AS v FROM versions WHERE name = ? AND version < ? AND activated_at IS NOT NULL').get(name, active) as { v: number | null };
    return row.v ?? undefined;
  }

  /**
   * Databases written before nodes, bytes and activated_at existed get them once. An
   * older row counts as having served unless it is newer than its graph's active
   * version (then it was recorded by a deploy that never finished).
   */
  private migrate(): void {
    const cols = new Set((this.db.prepare('PRAGMA table_info(versions)').all() as { name: string }[]).map((c) => c.name));
    const missing = ['nodes', 'bytes', 'activated_at'].filter((c) => !cols.has(c));
    if (missing.length === 0) return;
    this.db.transaction(() => {
      for (const c of missing) this.db.exec(`ALTER TABLE versions ADD COLUMN ${c} INTEGER`);
      this.db.exec(`UPDATE versions SET
          nodes = CASE WHEN json_valid(graph_json) THEN COALESCE(json_array_length(graph_json, '$.nodes'), 0) ELSE 0 END,
          bytes = length(CAST(graph_json AS BLOB)),
          activated_at = CASE WHEN version > COALESCE((SELECT a.version FROM active a WHERE a.name = versions.name), version) THEN NULL ELSE created_at END`);
    }).immediate();
  }
}

/**
 * SQLite takes an empty file for a new database; here that would mean starting with no
 * graphs after a truncation. A 0-byte file whose write-ahead log holds data is a valid
 * database (the log is replayed), so only a file with nothing beside it is refused.
 */
function refuseEmptyFile(file: string): void {
  const size = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return undefined;
    }
  };
  if (size(file) === 0 && !size(`${file}-wal`)) {
    throw new StorageError(
      `${file} is empty (0 bytes): it is not a Beamline database, and starting from it would forget every deployed graph. If it was truncated, restore it from a backup; to start with no graphs, delete it (or start with another --data-dir).`,
      503,
      file,
    );
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

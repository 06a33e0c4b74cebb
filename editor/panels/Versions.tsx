import { useEffect, useState } from 'react';
import type { VersionSummary } from '../../shared/protocol.js';
import type { ReleaseStatus } from '../../shared/release.js';
import { api } from '../api/client.js';
import { compare, openVersion, rollback } from '../api/live.js';
import { confirmDiscard } from '../api/workspace.js';
import { outcomeText } from '../lib/release.js';
import { useEditor } from '../store/graph.js';
import { DecisionTimeline, ReleaseView } from './Release.js';

type Side = number | 'canvas';
const parseSide = (v: string): Side => (v === 'canvas' ? 'canvas' : Number(v));

/** A version started as a canary or shadow: how it went, and its decisions on expand. */
function VersionRelease({ r }: { r: ReleaseStatus }) {
  const o = outcomeText(r);
  return (
    <details className="bl-version-release" data-testid="version-release">
      <summary className={`bl-tone-${o.tone}`}>{o.text}</summary>
      <DecisionTimeline r={r} />
    </details>
  );
}

/** Versions of the deployed graph: open one, roll back to one (the canvas follows), compare two side by side. */
export function Versions() {
  const name = useEditor((s) => s.deployed);
  const active = useEditor((s) => s.deployedVersion);
  const [versions, setVersions] = useState<VersionSummary[]>([]);
  const [err, setErr] = useState<string | null>(null);
  const [a, setA] = useState<Side | null>(null);
  const [b, setB] = useState<Side>('canvas');
  // A release's decisions are recorded on its version: each one means a new list.
  const release = useEditor((s) => (s.release ? `${s.release.candidateVersion}:${s.release.state}:${s.release.decisions.length}` : ''));
  // The server refuses a version rollback while a release runs (which side was meant is unclear): say so here instead.
  const releasing = useEditor((s) => s.release?.state === 'running');
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new active version (deploy, rollback) or release decision means a new list
  useEffect(() => {
    // Only a deployed graph has versions (asking for another would be a 404).
    if (!name) return setVersions([]);
    api.versions(name).then(
      (v) => {
        setVersions([...v.versions].sort((x, y) => y.version - x.version));
        setErr(null);
      },
      (e) => setErr((e as Error).message),
    );
  }, [name, active, release]);
  if (!name) return <p className="bl-muted">Deploy the graph (or open a deployed one) to see its versions.</p>;
  const left = a ?? versions.find((v) => v.active)?.version ?? versions[0]?.version ?? null;
  return (
    <div className="bl-versions" data-testid="versions">
      <h2>Versions of {name}</h2>
      <ReleaseView />
      {err && <p className="bl-field-errors">{err}</p>}
      <ul className="bl-list">
        {versions.map((v) => (
          <li key={v.version} className="bl-version" data-version={v.version}>
            <span>
              <strong>v{v.version}</strong>
              {v.active ? ' (active)' : v.release && v.status === 'never-activated' ? ` (${v.release.mode})` : v.status && v.status !== 'superseded' ? ` (${v.status})` : ''}
              {v.rolledBackFrom ? ` ← v${v.rolledBackFrom}` : ''} · {v.nodes} nodes
              <small className="bl-help">{new Date(v.createdAt).toLocaleString()}</small>
            </span>
            <button
              type="button"
              onClick={async () => {
                if (await confirmDiscard(`Opening ${name} v${v.version}`)) await openVersion(name, v.version);
              }}
            >
              Open
            </button>
            <button
              type="button"
              disabled={v.active || releasing}
              title={releasing ? 'A release is running: promote, roll back or abort it above first' : undefined}
              onClick={async () => {
                if (await confirmDiscard(`Rolling back to v${v.version}`)) await rollback(name, v.version);
              }}
            >
              Roll back
            </button>
            {v.release && <VersionRelease r={v.release} />}
          </li>
        ))}
      </ul>
      {versions.length > 0 && left !== null && (
        <div className="bl-compare-form">
          <h3>Compare</h3>
          <label>
            <span className="sr-only">first version</span>
            <select aria-label="first version" value={String(left)} onChange={(e) => setA(parseSide(e.target.value))}>
              {versions.map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version}
                </option>
              ))}
            </select>
          </label>
          <span>with</span>
          <label>
            <span className="sr-only">second version</span>
            <select aria-label="second version" value={String(b)} onChange={(e) => setB(parseSide(e.target.value))}>
              <option value="canvas">the canvas</option>
              {versions.map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => void compare(name, left, b)}>
            Compare
          </button>
        </div>
      )}
    </div>
  );
}

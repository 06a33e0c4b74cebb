import { applyWeightsLive } from '../api/split.js';
import { percent, splitShares, weightsDiffer } from '../lib/split.js';
import { useEditor } from '../store/graph.js';

/** The inspector of a deployed split: the running weights with their live share, and "Apply weights live" (no redeploy). */
export function SplitLive({ id, config }: { id: string; config: Record<string, unknown> }) {
  const running = useEditor((s) => (s.deployed ? s.status?.nodes[id]?.split?.branches : undefined));
  const version = useEditor((s) => s.deployedVersion);
  if (!running) return null;
  const rows = splitShares({ branches: running }, running);
  const differ = weightsDiffer(config, running);
  return (
    <section aria-label="Live weights" data-testid="split-live">
      <h3>Live weights{version !== null ? ` (version ${version})` : ''}</h3>
      <ul className="bl-split">
        {rows.map((r) => (
          <li key={r.port}>
            <span className="bl-split-port">{r.port}</span> {r.weight} → {percent(r.configured)}
            {r.observed !== null && <span className="bl-muted"> · live {percent(r.observed)} of {running.reduce((s, b) => s + b.taken, 0)}</span>}
          </li>
        ))}
      </ul>
      <button type="button" disabled={!differ} onClick={() => void applyWeightsLive(id)} title="Records the weights above as a new version and applies them to the running graph; no replica restarts">
        Apply weights live
      </button>
      {!differ && <small className="bl-help"> The running weights are the ones above.</small>}
    </section>
  );
}

import type { NodeStatus } from '../../shared/protocol.js';
import { percent, splitShares } from '../lib/split.js';

/** A split's card: each branch's configured share and, when the graph is live, the share it took. */
export function SplitShares({ config, live }: { config: Record<string, unknown>; live?: NodeStatus }) {
  const rows = splitShares(config, live?.split?.branches);
  if (rows.length === 0) return null;
  return (
    <ul className="bl-split" data-testid="split-shares">
      {rows.map((r) => (
        <li key={r.port} data-testid={`split-share-${r.port}`}>
          <span className="bl-split-port">{r.port}</span>
          <span className="bl-split-bar" aria-hidden="true">
            <span style={{ width: `${r.configured * 100}%` }} />
          </span>
          <span title={`weight ${r.weight}`}>{percent(r.configured)}</span>
          {r.observed !== null && (
            <span className="bl-muted" data-testid={`split-live-${r.port}`} title={`${r.taken} requests since these weights took effect`}>
              live {percent(r.observed)}
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

import { useEffect, useMemo, useState } from 'react';
import type { Cluster } from '../../shared/placement.js';
import { api } from '../api/client.js';
import { type ClusterChoice, previewCluster, previewPlacement } from '../lib/preview.js';
import { useEditor } from '../store/graph.js';

/** Stable colour per node id, so one node's replicas share a colour across GPUs. */
function colourOf(id: string): string {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h} 65% 55%)`;
}

/** How the graph's replicas would pack onto GPUs, and what would stay PENDING. */
export function Placement() {
  const meta = useEditor((s) => s.meta);
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const catalog = useEditor((s) => s.catalog);
  const [choice, setChoice] = useState<ClusterChoice>({ kind: 'gpus', count: 1 });
  const [here, setHere] = useState<Cluster | undefined>();
  useEffect(() => {
    api
      .cluster()
      .then((c) => setHere({ machines: c.machines.map((m) => ({ id: m.machine, cpus: m.cpus, memoryMb: m.memoryMb, gpus: c.gpus.filter((g) => g.machine === m.machine).map((g) => ({ index: g.index, memoryMb: g.memoryMb, virtual: g.virtual })) })) }))
      .catch(() => setHere(undefined));
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: meta, nodes and edges are what exportGraph() reads
  const result = useMemo(() => previewPlacement(useEditor.getState().exportGraph(), previewCluster(choice, here), catalog), [meta, nodes, edges, catalog, choice, here]);
  return (
    <div className="bl-placement" data-testid="placement">
      <h2>Placement preview</h2>
      <div className="bl-choices" role="radiogroup" aria-label="Cluster">
        <label>
          <input type="radio" name="cluster" checked={choice.kind === 'this'} onChange={() => setChoice({ kind: 'this' })} /> this machine{here ? '' : ' (not connected)'}
        </label>
        <label>
          <input type="radio" name="cluster" checked={choice.kind === 'gpus'} onChange={() => setChoice({ kind: 'gpus', count: choice.kind === 'gpus' ? choice.count : 1 })} />{' '}
          <input
            type="number"
            min={0}
            max={64}
            aria-label="number of GPUs"
            value={choice.kind === 'gpus' ? choice.count : 1}
            onChange={(e) => setChoice({ kind: 'gpus', count: Math.max(0, Math.min(64, Number(e.target.value) || 0)) })}
          />{' '}
          GPUs
        </label>
      </div>
      {!result.ok ? (
        <p className="bl-muted">Fix the graph's {result.errors.length} problem{result.errors.length > 1 ? 's' : ''} to see its placement.</p>
      ) : (
        <>
          <p>
            {result.replicas} replica{result.replicas === 1 ? '' : 's'}; {result.placement.gpusUsed} GPU{result.placement.gpusUsed === 1 ? '' : 's'} used
            {result.placement.unplaced.length ? `; ${result.placement.unplaced.length} PENDING` : ''}.
          </p>
          {result.placement.gpus.map((g) => (
            <div className="bl-gpu" key={`${g.machine}-${g.index}`} data-testid="gpu-bar">
              <span className="bl-gpu-name">
                {g.machine} GPU {g.index}
                {g.virtual ? ' (declared)' : ''}
              </span>
              <div className="bl-bar" role="img" aria-label={`GPU ${g.index}: ${Math.round(g.used * 100)}% used`}>
                {g.replicas.map((r) => (
                  <span key={r.replica} style={{ width: `${r.share * 100}%`, background: colourOf(r.node) }} title={`${r.replica}: ${r.share} GPU`}>
                    {r.replica}
                  </span>
                ))}
              </div>
            </div>
          ))}
          {result.placement.machines.map((m) => (
            <p key={m.machine} className="bl-muted">
              {m.machine}: {m.cpusUsed} of {m.cpus} CPUs reserved
            </p>
          ))}
          {result.placement.unplaced.length > 0 && (
            <>
              <h3>PENDING</h3>
              <ul className="bl-pending" data-testid="pending">
                {result.placement.unplaced.map((u) => (
                  <li key={u.replica}>
                    <strong>{u.replica}</strong>: {u.reason}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </div>
  );
}

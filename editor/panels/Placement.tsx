import { useEffect, useMemo, useState } from 'react';
import type { Graph } from '../../shared/graph.js';
import type { ClusterStatus } from '../../shared/protocol.js';
import { api } from '../api/client.js';
import { type ClusterChoice, clusterOf, heldByOthers, previewCluster, previewPlacement } from '../lib/preview.js';
import { useEditor } from '../store/graph.js';
import { TuneForTarget } from './TuneForTarget.js';

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
  const [status, setStatus] = useState<ClusterStatus | undefined>();
  // A tune's proposal: the packing below shows it until it is applied or replaced.
  const [proposed, setProposed] = useState<Graph | undefined>();
  // The server's cluster, refreshed with the deployments poll: what other graphs hold changes as they deploy.
  const tick = useEditor((s) => s.deployments);
  useEffect(() => {
    void tick;
    api.cluster().then(setStatus, () => setStatus(undefined));
  }, [tick]);
  const here = useMemo(() => (status ? clusterOf(status) : undefined), [status]);
  // On this machine, the replicas of other graphs are already placed: the preview packs around them.
  const others = useMemo(() => (status && choice.kind === 'this' ? heldByOthers(status, meta.name) : []), [status, choice.kind, meta.name]);
  const holders = useMemo(() => {
    const by = new Map<string, number>();
    for (const h of status?.holdings ?? []) if (h.graph !== meta.name) by.set(h.graph, (by.get(h.graph) ?? 0) + h.cpus);
    return [...by];
  }, [status, meta.name]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: meta, nodes and edges are what exportGraph() reads
  const result = useMemo(() => previewPlacement(proposed ?? useEditor.getState().exportGraph(), previewCluster(choice, here), catalog, others), [meta, nodes, edges, catalog, choice, here, others, proposed]);
  return (
    <div className="bl-placement" data-testid="placement">
      <TuneForTarget gpus={choice.kind === 'gpus' ? choice.count : undefined} onProposal={setProposed} />
      <h2>{proposed ? 'Placement of the proposed settings' : 'Placement preview'}</h2>
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
            <p key={m.machine} className="bl-muted" data-testid="machine-cpus">
              {m.machine}: {Math.round(m.cpusUsed * 100) / 100} of {m.cpus} CPUs reserved
              {choice.kind === 'this' && holders.length > 0 && ` (other graphs hold ${holders.map(([g, c]) => `${Math.round(c * 100) / 100} for ${g}`).join(', ')})`}
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

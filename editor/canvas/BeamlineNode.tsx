import { Handle, type NodeProps, Position } from '@xyflow/react';
import { memo, useMemo } from 'react';
import { PORT_COLOURS, type PortSpec } from '../../shared/ports.js';
import { mergeDeployment } from '../../shared/compile.js';
import type { NodeStatus } from '../../shared/protocol.js';
import { deploymentBadge, replicasByState, underPressure } from '../lib/live.js';
import { type BNode, useEditor } from '../store/graph.js';

/** One row per port; the handle sits in its row so labels and handles line up. */
function PortColumn({ ports, type }: { ports: PortSpec[]; type: 'source' | 'target' }) {
  return (
    <div className={`bl-ports-${type}`}>
      {ports.map((p) => (
        <div className="bl-port" key={p.name} title={`${p.name}: ${p.type}${p.required ? ' (required)' : ''} — ${p.description}`}>
          <Handle
            id={p.name}
            type={type}
            position={type === 'target' ? Position.Left : Position.Right}
            className="bl-handle"
            style={{ background: PORT_COLOURS[p.type] }}
            aria-label={`${type === 'target' ? 'input' : 'output'} ${p.name} (${p.type})`}
          />
          <span>
            {p.name}
            {p.required && type === 'target' ? '*' : ''}
          </span>
        </div>
      ))}
    </div>
  );
}

function Live({ s }: { s: NodeStatus }) {
  const ms = (x: number | null) => (x === null ? '–' : `${x < 10 ? x.toFixed(1) : Math.round(x)}ms`);
  return (
    <div className="bl-live" data-testid="live">
      {replicasByState(s).map(([state, n]) => (
        <span key={state} className={`bl-rep bl-rep-${state.toLowerCase()}`}>
          {n} {state.toLowerCase()}
        </span>
      ))}
      {s.runsIn === 'replica' && (
        <span>
          q {s.queued} · p50 {ms(s.metrics.p50Ms)} · p99 {ms(s.metrics.p99Ms)}
        </span>
      )}
      {s.error && <span className="bl-live-error">{s.error}</span>}
    </div>
  );
}

export const BeamlineNode = memo(function BeamlineNode({ id, data, selected }: NodeProps<BNode>) {
  const kind = useEditor((s) => s.kindMap[data.kind]);
  const errors = useEditor((s) => s.errors);
  const serverErrors = useEditor((s) => s.serverErrors);
  const run = useEditor((s) => s.run.nodes[id]);
  const live = useEditor((s) => s.status?.nodes[id]);
  const ports = useMemo(() => kind?.ports(data.config) ?? { inputs: [], outputs: [] }, [kind, data.config]);
  const mine = useMemo(() => {
    // The server runs the same compiler: one error reported by both is shown once.
    const seen = new Set<string>();
    return [...errors, ...serverErrors].filter((e) => e.node === id && !seen.has(e.code + e.path) && seen.add(e.code + e.path));
  }, [errors, serverErrors, id]);
  const badge = useMemo(() => deploymentBadge(mergeDeployment(kind?.deploymentDefaults, data.deployment)), [kind, data.deployment]);
  const pressure = !!live && underPressure(live);
  const cls = ['bl-node', `bl-cat-${kind?.category ?? 'custom'}`, selected && 'selected', mine.length && 'has-errors', run && `run-${run.state}`, pressure && 'pressure'].filter(Boolean).join(' ');
  return (
    <div className={cls} data-testid={`node-${id}`} data-kind={data.kind} data-run={run?.state ?? ''}>
      <div className="bl-node-head">
        <span className={`bl-cat bl-cat-${kind?.category ?? 'custom'}`}>{kind?.title ?? data.kind}</span>
        {mine.length > 0 && (
          <span className="bl-err-count" title={mine.map((e) => e.message).join('\n')} data-testid="node-errors">
            {mine.length} ⚠
          </span>
        )}
        {pressure && (
          <span className="bl-pressure" title="queue is building up">
            pressure
          </span>
        )}
      </div>
      <div className="bl-node-label">{data.label || id}</div>
      <div className="bl-ports">
        <PortColumn ports={ports.inputs} type="target" />
        <PortColumn ports={ports.outputs} type="source" />
      </div>
      {kind?.runsIn === 'replica' && <div className="bl-badge" data-testid="badge">{badge}</div>}
      {live && <Live s={live} />}
      {run && (
        <div className="bl-run" data-testid="run">
          {run.state === 'running' ? 'running…' : run.state === 'error' ? `failed: ${run.error}` : `done ${run.ms?.toFixed(1)}ms`}
        </div>
      )}
      {mine.length > 0 && <div className="bl-node-error">{mine[0].message}</div>}
    </div>
  );
});

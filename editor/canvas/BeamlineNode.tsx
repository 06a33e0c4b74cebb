import { Handle, type NodeProps, Position } from '@xyflow/react';
import { memo, useMemo } from 'react';
import { PORT_COLOURS, type PortSpec } from '../../shared/ports.js';
import type { NodeStatus } from '../../shared/protocol.js';
import { type BNode, useEditor } from '../store/graph.js';

/** Compact deployment summary: replicas (or min–max), CPU, GPU share, batch size. */
function badge(dep: Record<string, unknown>): string[] {
  const d = dep as {
    numReplicas?: number;
    autoscaling?: { minReplicas?: number; maxReplicas?: number };
    resources?: { cpus?: number; gpus?: number };
    batching?: { maxBatchSize?: number };
  };
  const out: string[] = [];
  if (d.autoscaling) out.push(`${d.autoscaling.minReplicas ?? 1}–${d.autoscaling.maxReplicas ?? 1}×`);
  else out.push(`${d.numReplicas ?? 1}×`);
  out.push(`${d.resources?.cpus ?? 1} CPU`);
  if (d.resources?.gpus) out.push(`${d.resources.gpus} GPU`);
  if (d.batching) out.push(`batch ${d.batching.maxBatchSize ?? 8}`);
  return out;
}

function merged(defaults: Record<string, unknown>, own: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(own)) {
    const base = out[k];
    out[k] = v && typeof v === 'object' && base && typeof base === 'object' ? { ...base, ...v } : v;
  }
  return out;
}

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
  const counts = new Map<string, number>();
  for (const r of s.replicas) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  const ms = (x: number | null) => (x === null ? '–' : `${x < 10 ? x.toFixed(1) : Math.round(x)}ms`);
  return (
    <div className="bl-live" data-testid="live">
      {[...counts].map(([state, n]) => (
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
  const dep = useMemo(() => merged(kind?.deploymentDefaults ?? {}, data.deployment), [kind, data.deployment]);
  // Under pressure: callers are queueing beyond half the queue, or every replica is busy with a queue.
  const pressure = !!live && live.runsIn === 'replica' && (live.queued > live.maxQueued / 2 || (live.queued > 0 && live.inFlight >= live.replicas.length));
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
      {kind?.runsIn === 'replica' && <div className="bl-badge" data-testid="badge">{badge(dep).join(' · ')}</div>}
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

import { Handle, type NodeProps, Position } from '@xyflow/react';
import { type DragEvent, memo, useMemo } from 'react';
import { mergeDeployment } from '../../shared/compile.js';
import { PORT_COLOURS, type PortSpec } from '../../shared/ports.js';
import type { NodeStatus } from '../../shared/protocol.js';
import { buildFromDocs, uploadAndIngest } from '../api/indexes.js';
import { DEFAULT_EMBEDDER, DEFAULT_INDEX, jobFinished } from '../lib/indexes.js';
import { deploymentBadge, replicasByState, underPressure } from '../lib/live.js';
import { errorField } from '../lib/paths.js';
import { placeholderHandles, placeholderPorts, unknownKindShort } from '../lib/placeholder.js';
import { cardStatus } from '../lib/zoom.js';
import { JobProgress } from '../panels/Indexes.js';
import { SplitShares } from './SplitShares.js';
import { showOutput } from '../panels/Console.js';
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

function Live({ s, failing }: { s: NodeStatus; failing: string }) {
  const ms = (x: number | null) => (x === null ? '–' : `${x < 10 ? x.toFixed(1) : Math.round(x)}ms`);
  // Why replicas wait, at once from the status (not after an invoke fails).
  const pending = [...new Set(s.replicas.filter((r) => r.state === 'PENDING' || r.state === 'UNHEALTHY').map((r) => `${r.state.toLowerCase()}: ${r.reason ?? 'no reason given'}`))];
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
          {s.metrics.errors > 0 && <span className="bl-live-error"> · {s.metrics.errors} errors</span>}
        </span>
      )}
      {pending.map((p) => (
        <span key={p} className="bl-live-reason" data-testid="pending-reason">
          {p}
        </span>
      ))}
      {failing && (
        <span className="bl-live-error" data-testid="node-failing">
          failing: {failing}
        </span>
      )}
      {s.error && <span className="bl-live-error">{s.error}</span>}
    </div>
  );
}

/** A retriever's index: a warning with a fix when it is missing (before deploy), progress while it builds; files dropped here go into it. */
function RetrieverIndex({ id, config }: { id: string; config: Record<string, unknown> }) {
  const index = typeof config.index === 'string' && config.index ? config.index : DEFAULT_INDEX;
  const docs = typeof config.docs === 'string' && config.docs ? config.docs : undefined;
  const embedder = useEditor((s) => {
    const e = s.edges.find((x) => x.target === id && x.targetHandle === 'vector');
    const src = e && s.nodes.find((n) => n.id === e.source);
    const model = src?.data.kind === 'embedder' ? (src.data.config as { model?: unknown }).model : undefined;
    return typeof model === 'string' && model ? model : DEFAULT_EMBEDDER;
  });
  const info = useEditor((s) => (s.indexes ? (s.indexes.find((i) => i.name === index) ?? null) : undefined));
  const job = useEditor((s) => Object.values(s.jobs).find((j) => j.index === index && !jobFinished(j))?.id);
  const need = {
    node: id,
    index,
    embedder,
    ...(docs ? { docs } : {}),
    ...(typeof config.chunkSize === 'number' ? { chunkSize: config.chunkSize } : {}),
    ...(typeof config.chunkOverlap === 'number' ? { chunkOverlap: config.chunkOverlap } : {}),
  };
  if (job) return <JobProgress id={job} />;
  if (info === undefined) return null;
  if (info === null) {
    return (
      <div className="bl-node-warning" data-testid="index-missing">
        <span>
          Index <code>{index}</code> does not exist{docs ? '' : ': every request would fail'}.
        </span>
        {docs ? (
          <button type="button" className="nodrag bl-warn-button" onClick={() => void buildFromDocs(need)}>
            Build from {docs}
          </button>
        ) : (
          <button type="button" className="nodrag bl-warn-button" onClick={() => useEditor.getState().stageFiles([], index)}>
            Upload files…
          </button>
        )}
      </div>
    );
  }
  if (info.model && info.model !== embedder) {
    return (
      <div className="bl-node-warning" data-testid="index-mismatch">
        Index <code>{index}</code> was built with {info.model}; this retriever is fed by {embedder}.
      </div>
    );
  }
  return null;
}

/** The status line of the simplified card (shown only when zoomed out, styles.css .bl-far). */
function SimpleStatus({ kind, errors, run, live, failing, pressure, index }: { kind: string; errors: number; run?: 'running' | 'done' | 'error'; live?: NodeStatus; failing: boolean; pressure: boolean; index?: string }) {
  // A retriever's index (index is its name): missing once the server's list is known, or being built.
  const indexState = useEditor((s) => {
    if (index === undefined) return undefined;
    if (Object.values(s.jobs).some((j) => j.index === index && !jobFinished(j))) return 'building' as const;
    return s.indexes && !s.indexes.some((i) => i.name === index) ? ('missing' as const) : undefined;
  });
  const replicas = live && live.runsIn === 'replica' ? { total: live.replicas.length, running: live.replicas.filter((r) => r.state === 'RUNNING').length, waiting: live.replicas.filter((r) => r.state === 'PENDING' || r.state === 'UNHEALTHY').length } : undefined;
  const st = cardStatus({ kind, errors, run, replicas, failing, pressure, index: indexState });
  return (
    <div className={`bl-node-status tone-${st.tone}`} data-testid="simple-status">
      {st.text}
    </div>
  );
}

export const BeamlineNode = memo(function BeamlineNode({ id, data, selected }: NodeProps<BNode>) {
  const kind = useEditor((s) => s.kindMap[data.kind]);
  const errors = useEditor((s) => s.errors);
  const serverErrors = useEditor((s) => s.serverErrors);
  const run = useEditor((s) => s.run.nodes[id]);
  const live = useEditor((s) => s.status?.nodes[id]);
  const failing = useEditor((s) => {
    const d = s.deployed ? s.deployments?.find((x) => x.name === s.deployed) : undefined;
    return d?.failing.filter((f) => f.node === id).map((f) => f.reason).join('; ') ?? '';
  });
  // A kind the editor does not know keeps the ports its edges name (lib/placeholder.ts), so they stay drawn.
  const handles = useEditor((s) => (kind ? '' : placeholderHandles(id, s.edges)));
  const ports = useMemo(() => kind?.ports(data.config) ?? placeholderPorts(handles), [kind, data.config, handles]);
  const mine = useMemo(() => {
    // The server runs the same compiler: one error reported by both is shown once.
    const seen = new Set<string>();
    return [...errors, ...serverErrors].filter((e) => e.node === id && !seen.has(e.code + e.path) && seen.add(e.code + e.path));
  }, [errors, serverErrors, id]);
  const badge = useMemo(() => deploymentBadge(mergeDeployment(kind?.deploymentDefaults, data.deployment)), [kind, data.deployment]);
  const pressure = !!live && underPressure(live);
  const retriever = data.kind === 'retriever';
  const cls = ['bl-node', `bl-cat-${kind?.category ?? 'custom'}`, !kind && 'placeholder', selected && 'selected', mine.length && 'has-errors', run && `run-${run.state}`, pressure && 'pressure', failing && 'failing'].filter(Boolean).join(' ');
  const files = (e: DragEvent) => e.dataTransfer.types.includes('Files');
  return (
    <div
      className={cls}
      data-testid={`node-${id}`}
      data-kind={data.kind}
      data-run={run?.state ?? ''}
      {...(retriever
        ? {
            onDragOver: (e: DragEvent) => {
              if (!files(e)) return;
              e.preventDefault();
              e.stopPropagation();
            },
            onDrop: (e: DragEvent) => {
              if (!e.dataTransfer.files.length) return;
              // Files dropped on a retriever go into its index, built with the embedder in front of it.
              e.preventDefault();
              e.stopPropagation();
              const s = useEditor.getState();
              const cfg = data.config as { index?: string };
              const edge = s.edges.find((x) => x.target === id && x.targetHandle === 'vector');
              const model = (s.nodes.find((n) => n.id === edge?.source)?.data.config as { model?: string } | undefined)?.model;
              void uploadAndIngest(cfg.index || DEFAULT_INDEX, [...e.dataTransfer.files], model || DEFAULT_EMBEDDER).then((r) => !r.ok && s.notify(`Could not build ${cfg.index || DEFAULT_INDEX}: ${r.error}`, 'error'));
            },
          }
        : {})}
    >
      <div className="bl-node-head">
        <span className={`bl-cat bl-cat-${kind?.category ?? 'custom'}`}>{kind?.title ?? data.kind}</span>
        {mine.length > 0 && (
          <span className="bl-err-count" title={mine.map((e) => `${errorField(e.path) || id}: ${e.message}`).join('\n')} data-testid="node-errors">
            {mine.length} ⚠
          </span>
        )}
        {pressure && (
          <span className="bl-pressure" title="queue is building up">
            pressure
          </span>
        )}
      </div>
      {/* The title keeps its line in the card when it is drawn large over a simplified card. */}
      <div className="bl-node-title">
        <div className="bl-node-label">{data.label || id}</div>
      </div>
      <SimpleStatus
        kind={kind?.title ?? data.kind}
        errors={mine.length}
        run={run?.state}
        live={live}
        failing={!!failing}
        pressure={pressure}
        index={retriever ? (typeof data.config.index === 'string' && data.config.index) || DEFAULT_INDEX : undefined}
      />
      <div className="bl-ports">
        <PortColumn ports={ports.inputs} type="target" />
        <PortColumn ports={ports.outputs} type="source" />
      </div>
      {kind?.runsIn === 'replica' && <div className="bl-badge" data-testid="badge">{badge}</div>}
      {data.kind === 'split' && <SplitShares config={data.config} {...(live ? { live } : {})} />}
      {live && <Live s={live} failing={failing} />}
      {retriever && <RetrieverIndex id={id} config={data.config} />}
      {run && (
        <div className="bl-run" data-testid="run">
          {run.state === 'running' ? 'running…' : run.state === 'error' ? `failed: ${run.error}` : `done ${run.ms?.toFixed(1)}ms`}
          {run.state === 'done' && (
            <button type="button" className="bl-link nodrag" aria-label={`open the output of ${id}`} onClick={() => showOutput(id, run)}>
              output
            </button>
          )}
        </div>
      )}
      {!kind && (
        <div className="bl-node-warning" data-testid="unknown-kind">
          {unknownKindShort(data.kind)}
        </div>
      )}
      {mine.length > 0 && (
        <ul className="bl-node-error" data-testid="node-error-list">
          {mine.map((e) => (
            <li key={e.code + e.path}>
              {errorField(e.path) && <code>{errorField(e.path)}</code>} {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
});

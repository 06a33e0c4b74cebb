import { memo } from 'react';
import type { Graph } from '../../shared/graph.js';
import { useEditor } from '../store/graph.js';

const W = 120;
const H = 44;
const COLOURS: Record<string, string> = { io: '#0ea5e9', text: '#6366f1', models: '#10b981', retrieval: '#f59e0b', control: '#ef4444', custom: '#8b5cf6' };

/** A graph drawn small from its saved positions: boxes in their category's colour, edges as lines. */
export const GraphPreview = memo(function GraphPreview({ graph, label }: { graph: Graph; label: string }) {
  const kindMap = useEditor((s) => s.kindMap);
  if (graph.nodes.length === 0) return <div className="bl-preview empty">empty</div>;
  const pos = new Map(graph.nodes.map((n, i) => [n.id, n.position ?? { x: i * 160, y: 0 }]));
  const xs = [...pos.values()].map((p) => p.x);
  const ys = [...pos.values()].map((p) => p.y);
  const minX = Math.min(...xs) - 20;
  const minY = Math.min(...ys) - 20;
  const w = Math.max(...xs) + W + 20 - minX;
  const h = Math.max(...ys) + H + 20 - minY;
  return (
    <svg className="bl-preview" viewBox={`${minX} ${minY} ${w} ${h}`} role="img" aria-label={label} preserveAspectRatio="xMidYMid meet">
      {graph.edges.map((e) => {
        const a = pos.get(e.source);
        const b = pos.get(e.target);
        return a && b ? <line key={`${e.source}.${e.sourceHandle}-${e.target}.${e.targetHandle}`} x1={a.x + W} y1={a.y + H / 2} x2={b.x} y2={b.y + H / 2} stroke="#94a3b8" strokeWidth={4} /> : null;
      })}
      {graph.nodes.map((n) => {
        const p = pos.get(n.id)!;
        return (
          <g key={n.id}>
            <rect x={p.x} y={p.y} width={W} height={H} rx={8} fill="#fff" stroke={COLOURS[kindMap[n.kind]?.category ?? 'custom'] ?? '#94a3b8'} strokeWidth={5} />
            <text x={p.x + W / 2} y={p.y + H / 2 + 7} textAnchor="middle" fontSize={20} fill="#334155">
              {(n.label ?? n.id).slice(0, 12)}
            </text>
          </g>
        );
      })}
    </svg>
  );
});

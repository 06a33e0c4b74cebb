import { type ConnectionLineComponentProps, getBezierPath, useStore } from '@xyflow/react';
import { PORT_COLOURS } from '../../shared/ports.js';
import { useEditor } from '../store/graph.js';

/**
 * The line drawn while connecting: in the colour of the port it starts from, red with the
 * reason while it hovers a port it may not connect to (the same check as on release).
 */
export function ConnectionLine({ fromX, fromY, toX, toY, fromPosition, toPosition, connectionStatus, fromNode, fromHandle, toNode, toHandle }: ConnectionLineComponentProps) {
  const zoom = useStore((s) => s.transform[2]);
  const [path] = getBezierPath({ sourceX: fromX, sourceY: fromY, sourcePosition: fromPosition, targetX: toX, targetY: toY, targetPosition: toPosition });
  const s = useEditor.getState();
  let reason: string | undefined;
  if (connectionStatus === 'invalid' && toNode && toHandle) {
    const [src, dst] = fromHandle.type === 'source' ? [{ node: fromNode.id, h: fromHandle.id }, { node: toNode.id, h: toHandle.id }] : [{ node: toNode.id, h: toHandle.id }, { node: fromNode.id, h: fromHandle.id }];
    const check = fromHandle.type === toHandle.type ? undefined : s.checkConnection({ source: src.node, sourceHandle: src.h, target: dst.node, targetHandle: dst.h });
    reason = check === undefined ? 'connect an output to an input' : check.ok ? undefined : check.reason;
  }
  const n = s.nodes.find((x) => x.id === fromNode.id);
  const ports = n && s.kindMap[n.data.kind]?.ports(n.data.config);
  const port = ports && (fromHandle.type === 'source' ? ports.outputs : ports.inputs).find((p) => p.name === fromHandle.id);
  const bad = connectionStatus === 'invalid' && !!toHandle;
  return (
    <g className={`bl-connection${bad ? ' bad' : ''}`} data-testid="connection-line" data-status={connectionStatus ?? ''}>
      <path d={path} fill="none" strokeWidth={bad ? 3 : 2} stroke={bad ? 'var(--bad)' : port ? PORT_COLOURS[port.type] : 'var(--muted)'} strokeDasharray={bad ? '6 4' : undefined} />
      {reason && (
        <foreignObject x={toX + 14 / zoom} y={toY + 10 / zoom} width={1} height={1} overflow="visible">
          <div className="bl-connection-reason" role="status" data-testid="connection-reason" style={{ transform: `scale(${1 / zoom})` }}>
            {reason}
          </div>
        </foreignObject>
      )}
    </g>
  );
}

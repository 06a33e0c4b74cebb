import { BaseEdge, type EdgeProps, type Node } from '@xyflow/react';
import { createContext, memo, useContext, useMemo } from 'react';
import { NODE_MIN_HEIGHT, NODE_WIDTH } from '../lib/place.js';
import { type Box, routeEdge } from '../lib/route.js';

/** The cards on the canvas, as boxes edges are routed around; recomputed when nodes change, not while panning. */
export const Obstacles = createContext<readonly Box[]>([]);

/** Boxes of the drawn cards (their measured size, or the card's size before it is measured); hidden ones and notes and group frames are not obstacles. */
export function obstaclesOf(nodes: readonly Node[]): Box[] {
  const out: Box[] = [];
  for (const n of nodes) {
    if (n.type !== 'beamline' || n.hidden) continue;
    out.push({ id: n.id, x: n.position.x, y: n.position.y, w: n.measured?.width ?? NODE_WIDTH, h: n.measured?.height ?? NODE_MIN_HEIGHT });
  }
  return out;
}

/** Every edge: React Flow's curve where it crosses no card, else an orthogonal path around them (lib/route.ts). */
export const RoutedEdge = memo(function RoutedEdge({ id, source, target, sourceX, sourceY, targetX, targetY, style, markerEnd, markerStart, interactionWidth }: EdgeProps) {
  const boxes = useContext(Obstacles);
  const route = useMemo(() => routeEdge({ x: sourceX, y: sourceY }, { x: targetX, y: targetY }, boxes, source, target), [sourceX, sourceY, targetX, targetY, boxes, source, target]);
  return <BaseEdge id={id} path={route.path} style={style} markerEnd={markerEnd} markerStart={markerStart} interactionWidth={interactionWidth} className={`bl-route-${route.kind}`} />;
});

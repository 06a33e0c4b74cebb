import { Background, type Connection, Controls, type FinalConnectionState, MiniMap, type Node, type NodeChange, ReactFlow, useStore } from '@xyflow/react';
import { type DragEvent, type MouseEvent as ReactMouseEvent, useCallback, useMemo, useRef } from 'react';
import { drawnBox, drawnEdges, frameOf, GROUP, hiddenMembers, NOTE } from '../lib/groups.js';
import type { PortEnd } from '../lib/quick-add.js';
import { DETAIL_MIN_ZOOM, FIT_VIEW, MAX_ZOOM, MIN_ZOOM } from '../lib/zoom.js';
import { useResolvedTheme } from '../panels/ThemeToggle.js';
import { memberBoxes } from '../store/annotations.js';
import { type BNode, type ContextMenu, useEditor, useFlow } from '../store/graph.js';
import { type GroupNode, GroupFrame, NoteCard } from './Annotations.js';
import { BeamlineNode } from './BeamlineNode.js';
import { ConnectionLine } from './ConnectionLine.js';
import { Obstacles, obstaclesOf, RoutedEdge } from './RoutedEdge.js';

// `frame`, not `group`: React Flow styles its own `group` type.
const nodeTypes = { beamline: BeamlineNode, note: NoteCard, frame: GroupFrame };
/** Every edge is routed around the cards (an edge without a type is a `default` one). */
const edgeTypes = { default: RoutedEdge };
/** Same hues as the category stripes in styles.css. */
const CATEGORY_COLOURS: Record<string, string> = { io: '#0ea5e9', text: '#6366f1', models: '#10b981', retrieval: '#f59e0b', control: '#ef4444', custom: '#8b5cf6' };
export const DRAG_MIME = 'application/x-beamline-kind';

/** What the canvas draws: group frames under the nodes, nodes and notes (members of collapsed groups hidden). */
function useDrawn() {
  const nodes = useEditor((s) => s.nodes);
  const notes = useEditor((s) => s.notes);
  const groups = useEditor((s) => s.groups);
  const selectedGroups = useEditor((s) => s.selectedGroups);
  return useMemo((): Node[] => {
    if (!groups.length && !notes.length) return nodes;
    const boxes = memberBoxes(nodes, notes);
    // A member being dragged does not stretch its frame, so it can be dragged out of it.
    const moving = new Set([...nodes, ...notes].filter((n) => n.dragging).map((n) => n.id));
    const frames: GroupNode[] = [];
    for (const g of groups) {
      const f = frameOf(g, boxes, moving);
      if (!f) continue;
      const b = drawnBox(g, f);
      frames.push({
        id: GROUP + g.id,
        type: 'frame',
        position: { x: b.x, y: b.y },
        width: b.width,
        height: b.height,
        data: { group: g },
        selected: selectedGroups.includes(g.id),
        className: `bl-group-node${g.collapsed ? ' collapsed' : ''}`,
        // Expanded, only the title bar drags (the frame's inside belongs to the canvas and its nodes).
        ...(g.collapsed ? {} : { dragHandle: '.bl-group-head' }),
        zIndex: -1000,
      });
    }
    const hidden = hiddenMembers(groups);
    const hide = <N extends Node>(list: N[]) => (hidden.size ? list.map((n) => (hidden.has(n.id) ? { ...n, hidden: true } : n)) : list);
    return [...frames, ...hide(nodes), ...hide(notes)];
  }, [nodes, notes, groups, selectedGroups]);
}

/** The port a connection started from, with its type, or undefined for a node the editor cannot type. */
function portEnd(nodeId: string, handle: string | null, side: 'source' | 'target'): PortEnd | undefined {
  const s = useEditor.getState();
  const n = s.nodes.find((x) => x.id === nodeId);
  const ports = n && s.kindMap[n.data.kind]?.ports(n.data.config);
  const p = ports && (side === 'source' ? ports.outputs : ports.inputs).find((x) => x.name === handle);
  return p ? { node: nodeId, port: p.name, side, type: p.type } : undefined;
}

const pointOf = (e: MouseEvent | TouchEvent) => ('changedTouches' in e ? { x: e.changedTouches[0].clientX, y: e.changedTouches[0].clientY } : { x: e.clientX, y: e.clientY });
/** Released on empty canvas (not on a node, a note or a group's title). */
const onEmptyCanvas = (e: MouseEvent | TouchEvent) => {
  const t = e.target instanceof Element ? e.target : null;
  return !!t?.closest('.react-flow') && !t.closest('.react-flow__node');
};

export function Canvas() {
  const drawn = useDrawn();
  const obstacles = useMemo(() => obstaclesOf(drawn), [drawn]);
  // Zoomed out, cards show their title and status in large type (styles.css, .bl-far); re-renders only when the level changes.
  const far = useStore((s) => s.transform[2] < DETAIL_MIN_ZOOM);
  const theme = useResolvedTheme();
  const edges = useEditor((s) => s.edges);
  const groups = useEditor((s) => s.groups);
  const shownEdges = useMemo(() => drawnEdges(edges, groups), [edges, groups]);
  const minimap = useEditor((s) => s.minimap);
  const kindMap = useEditor((s) => s.kindMap);
  const a = useEditor.getState();
  const flow = useFlow();
  /** Whether the edge end being dragged found a new port (else, released on the canvas, the edge goes). */
  const reconnected = useRef(false);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const kind = e.dataTransfer.getData(DRAG_MIME);
      if (!kind) return;
      e.preventDefault();
      const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      useEditor.getState().addNode(kind, { x: at.x - 90, y: at.y - 30 });
    },
    [flow],
  );

  const menu = (e: ReactMouseEvent | MouseEvent, target: ContextMenu['target'], id?: string) => {
    e.preventDefault();
    const s = useEditor.getState();
    s.trackPointer({ x: e.clientX, y: e.clientY });
    // The menu acts on what was right-clicked: it becomes the selection unless it is part of it already.
    if (id) s.selectItem(target, id);
    s.openContextMenu({ x: e.clientX, y: e.clientY, target, ...(id ? { id } : {}) });
  };

  const onConnectEnd = (e: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    // A moved edge end ends here too (before onReconnectEnd, which handles it).
    if (useEditor.getState().reconnecting) return;
    a.connectEnd(state);
    if (state.toHandle || !state.fromHandle || !onEmptyCanvas(e)) return;
    // Dropped on empty canvas: offer the kinds that can take (or give) this port's value.
    const from = portEnd(state.fromHandle.nodeId, state.fromHandle.id ?? null, state.fromHandle.type);
    if (from) a.openQuickAdd(pointOf(e), from);
  };

  return (
    <div
      className={far ? 'bl-canvas bl-far' : 'bl-canvas'}
      data-detail={far ? 'simple' : 'full'}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes(DRAG_MIME)) {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
        }
      }}
      onDrop={onDrop}
      onMouseMove={(e) => useEditor.getState().trackPointer({ x: e.clientX, y: e.clientY })}
    >
      <Obstacles.Provider value={obstacles}>
        <ReactFlow<Node>
          nodes={drawn}
          edges={shownEdges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          colorMode={theme}
          onNodesChange={(c: NodeChange[]) => a.onNodesChange(c as NodeChange<BNode>[])}
          onEdgesChange={a.onEdgesChange}
          onConnect={(c) => a.connect(c)}
          onConnectEnd={onConnectEnd}
          isValidConnection={(c) => a.checkConnection(c).ok}
          connectionLineComponent={ConnectionLine}
          onReconnectStart={(_, edge) => {
            reconnected.current = false;
            a.startReconnect(edge.id);
          }}
          onReconnect={(old, c: Connection) => {
            reconnected.current = true;
            a.reconnect(old.id, c);
          }}
          onReconnectEnd={(e, edge, _type, state) => {
            a.startReconnect(null);
            if (reconnected.current) return;
            // Dropped on the canvas: the edge is detached; dropped on a port it may not join: kept, and why.
            if (!state.toHandle && onEmptyCanvas(e)) a.removeEdge(edge.id);
            else a.connectEnd(state);
          }}
          onNodeClick={(e, n) => {
            // Selecting a node shows what it is, whatever panel was open; a button on the card (Build from docs,
            // Upload files…, output) opens its own panel or dialog instead.
            if ((e.target as Element).closest('button, a, input, select, textarea')) return;
            if (n.type === 'beamline' && useEditor.getState().panel !== 'inspector') a.showPanel('inspector');
          }}
          onNodeContextMenu={(e, n) => menu(e, n.id.startsWith(NOTE) ? 'note' : n.id.startsWith(GROUP) ? 'group' : 'node', n.id)}
          onEdgeContextMenu={(e, edge) => menu(e, 'edge', edge.id)}
          onPaneContextMenu={(e) => menu(e, 'pane')}
          onSelectionContextMenu={(e) => menu(e, 'node')}
          onNodeDragStart={a.dragStart}
          onNodeDragStop={(_, __, dragged) => a.dragStop(dragged.map((n) => n.id))}
          onSelectionDragStart={a.dragStart}
          onSelectionDragStop={(_, dragged) => a.dragStop(dragged.map((n) => n.id))}
          onInit={(inst) => a.setFlow(inst as never)}
          deleteKeyCode={null}
          selectionKeyCode="Shift"
          multiSelectionKeyCode={['Meta', 'Control']}
          minZoom={MIN_ZOOM}
          maxZoom={MAX_ZOOM}
          proOptions={{ hideAttribution: true }}
          defaultEdgeOptions={{ style: { strokeWidth: 2 } }}
        >
          <Background gap={20} size={1} color="var(--canvas-dots)" />
          <Controls showInteractive={false} fitViewOptions={FIT_VIEW} />
          {minimap && (
            <MiniMap
              pannable
              zoomable
              // Smaller than React Flow's 200×150, which covers much of a canvas at 1024 px.
              style={{ width: 168, height: 112 }}
              // Cheap per frame: the minimap redraws while panning, so no port or schema work here.
              nodeColor={(n) => (n.type === 'beamline' ? (CATEGORY_COLOURS[kindMap[(n as BNode).data.kind]?.category ?? 'custom'] ?? '#94a3b8') : 'transparent')}
            />
          )}
        </ReactFlow>
      </Obstacles.Provider>
    </div>
  );
}

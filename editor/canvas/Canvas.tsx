import { Background, Controls, MiniMap, ReactFlow } from '@xyflow/react';
import { type DragEvent, useCallback } from 'react';
import { type BNode, useEditor, useFlow } from '../store/graph.js';
import { BeamlineNode } from './BeamlineNode.js';

const nodeTypes = { beamline: BeamlineNode };
/** Same hues as the category stripes in styles.css. */
const CATEGORY_COLOURS: Record<string, string> = { io: '#0ea5e9', text: '#6366f1', models: '#10b981', retrieval: '#f59e0b', control: '#ef4444', custom: '#8b5cf6' };
export const DRAG_MIME = 'application/x-beamline-kind';

export function Canvas() {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const minimap = useEditor((s) => s.minimap);
  const kindMap = useEditor((s) => s.kindMap);
  const a = useEditor.getState();
  const flow = useFlow();

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

  return (
    <div
      className="bl-canvas"
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes(DRAG_MIME)) {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
        }
      }}
      onDrop={onDrop}
      onMouseMove={(e) => {
        // Written in place, not with set(): the pointer is read by quick-add and paste, never rendered.
        useEditor.getState().pointer = { x: e.clientX, y: e.clientY };
      }}
    >
      <ReactFlow<BNode>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={a.onNodesChange}
        onEdgesChange={a.onEdgesChange}
        onConnect={(c) => a.connect(c)}
        onConnectEnd={(_, state) => a.connectEnd(state)}
        isValidConnection={(c) => a.checkConnection(c).ok}
        onNodeDragStart={a.dragStart}
        onNodeDragStop={a.dragStop}
        onSelectionDragStart={a.dragStart}
        onSelectionDragStop={a.dragStop}
        onInit={(inst) => a.setFlow(inst)}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Meta', 'Control']}
        minZoom={0.05}
        proOptions={{ hideAttribution: true }}
        defaultEdgeOptions={{ style: { strokeWidth: 2 } }}
      >
        <Background gap={20} size={1} />
        <Controls showInteractive={false} />
        {minimap && (
          <MiniMap
            pannable
            zoomable
            // Cheap per frame: the minimap redraws while panning, so no port or schema work here.
            nodeColor={(n) => CATEGORY_COLOURS[kindMap[(n as BNode).data.kind]?.category ?? 'custom'] ?? '#94a3b8'}
          />
        )}
      </ReactFlow>
    </div>
  );
}

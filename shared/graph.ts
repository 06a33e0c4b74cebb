import { z } from 'zod';
import { ExportSectionSchema } from './export-section.js';

/** Version of the graph document format this code reads and writes. */
export const GRAPH_VERSION = 1;

// __proto__ is refused: node ids become keys of plain objects (plans, responses keyed by node).
const ID = /^(?!__proto__$)[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** The characters a route prefix may hold. */
export const ROUTE_PREFIX = /^\/[A-Za-z0-9_\-/.]*$/;
/** What a graph name may be; socket.io checks subscribe/invoke names against it before anything keeps them. */
export const GRAPH_NAME = NAME;

export const PositionSchema = z.object({ x: z.number().finite(), y: z.number().finite() });

export const GraphNodeSchema = z
  .object({
    id: z
      .string()
      .regex(ID, 'a node id is a letter or _ followed by up to 63 letters, digits, _ or - (and not __proto__)')
      .describe('Unique within the graph; edges, metrics and responses name the node by it.'),
    kind: z.string().min(1).max(64).describe('A kind from the node catalog (GET /api/catalog).'),
    label: z.string().max(200).optional().describe('Name shown on the canvas.'),
    position: PositionSchema.default({ x: 0, y: 0 }).describe('Canvas position; no effect on serving.'),
    config: z.record(z.string(), z.unknown()).default({}).describe("The kind's settings, checked against its config schema."),
    deployment: z.record(z.string(), z.unknown()).default({}).describe("Replicas, resources, queues, batching and timeouts, layered over the kind's defaults (null drops one)."),
  })
  .strict();

export const GraphEdgeSchema = z
  .object({
    id: z.string().max(300).optional().describe('Kept as written; omitted, it is source.sourceHandle->target.targetHandle.'),
    source: z.string().min(1).max(64).describe('Id of the node the value comes from.'),
    sourceHandle: z.string().min(1).max(64).describe('Output port of the source node.'),
    target: z.string().min(1).max(64).describe('Id of the node the value goes to.'),
    targetHandle: z.string().min(1).max(64).describe('Input port of the target node.'),
  })
  .strict();

// Notes and groups are for people reading the canvas: the compiler, the runtime and the
// Ray export ignore them; the editor draws them and files keep them.
export const NoteSchema = z
  .object({
    id: z.string().regex(ID, 'a note id is a letter or _ followed by up to 63 letters, digits, _ or -').describe('Unique among the notes.'),
    text: z.string().max(20_000).describe('Markdown shown on the canvas.'),
    position: PositionSchema.describe('Canvas position of its top-left corner.'),
    width: z.number().min(40).max(4000).optional().describe('Width on the canvas (default 220).'),
    height: z.number().min(30).max(4000).optional().describe('Height on the canvas (default: fits the text).'),
  })
  .strict()
  .describe('A sticky note on the canvas.');

export const GroupSchema = z
  .object({
    id: z.string().regex(ID, 'a group id is a letter or _ followed by up to 63 letters, digits, _ or -').describe('Unique among the groups.'),
    title: z.string().max(200).describe('Shown on the frame.'),
    nodes: z.array(z.string().max(64)).max(10_000).describe('Ids of the nodes inside; the frame is drawn around them and moving it moves them.'),
    notes: z.array(z.string().max(64)).max(10_000).optional().describe('Ids of the notes inside.'),
    collapsed: z.boolean().optional().describe('Drawn as one box instead of its members.'),
  })
  .strict()
  .describe('A titled frame around nodes on the canvas.');

export const GraphSchema = z
  .object({
    version: z.literal(GRAPH_VERSION).describe('Format version; this build reads version 1.'),
    name: z
      .string()
      .regex(NAME, 'a graph name is lower-case letters, digits, _ or -, starting with a letter or digit')
      .describe('Graph name: the key of deploys, metrics labels and the Ray Serve application.'),
    description: z.string().max(2000).optional().describe('What the graph does, for people.'),
    // Segments (no . .., no //, nothing under the server's own routes) are checked by the compiler: shared/route-prefix.ts.
    routePrefix: z
      .string()
      .regex(ROUTE_PREFIX, 'a route prefix starts with / and holds only letters, digits, _, -, . and /')
      .describe('HTTP path that invokes the graph, e.g. /rag.'),
    multipleOutputs: z.boolean().optional().describe('Allow several output nodes; the response is then keyed by output node id.'),
    nodes: z.array(GraphNodeSchema).max(10_000).describe('The nodes; exactly one input and, unless multipleOutputs, one output.'),
    edges: z.array(GraphEdgeSchema).max(100_000).describe('Connections from an output port to an input port.'),
    export: ExportSectionSchema.optional(),
    notes: z.array(NoteSchema).max(10_000).optional().describe('Sticky notes on the canvas (Markdown); no effect on serving.'),
    groups: z.array(GroupSchema).max(10_000).optional().describe('Titled frames around nodes on the canvas; no effect on serving.'),
  })
  .strict()
  .describe('A Beamline inference graph.');

export type Graph = z.output<typeof GraphSchema>;
export type GraphInput = z.input<typeof GraphSchema>;
export type GraphNode = z.output<typeof GraphNodeSchema>;
export type GraphEdge = z.output<typeof GraphEdgeSchema>;
export type GraphNote = z.output<typeof NoteSchema>;
export type GraphGroup = z.output<typeof GroupSchema>;

export function edgeId(e: Pick<GraphEdge, 'source' | 'sourceHandle' | 'target' | 'targetHandle'>): string {
  return `${e.source}.${e.sourceHandle}->${e.target}.${e.targetHandle}`;
}

// ---- React Flow shape -------------------------------------------------------
// Structural types only, so shared/ does not import React Flow.

export interface FlowNodeData extends Record<string, unknown> {
  kind: string;
  label?: string;
  config: Record<string, unknown>;
  deployment: Record<string, unknown>;
}
export interface FlowNode {
  id: string;
  type: 'beamline';
  position: { x: number; y: number };
  data: FlowNodeData;
  // UI-only fields React Flow adds; never written to the file.
  selected?: boolean;
  measured?: { width?: number; height?: number };
  dragging?: boolean;
  [key: string]: unknown;
}
export interface FlowEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
  /** `id` repeats the document's own edge id, so one written equal to the default survives a round trip. */
  data?: { id?: string; [key: string]: unknown };
  selected?: boolean;
  [key: string]: unknown;
}
export interface FlowDocument {
  meta: Omit<Graph, 'nodes' | 'edges'>;
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/** Graph document -> React Flow nodes and edges. */
export function toFlow(graph: Graph): FlowDocument {
  const { nodes, edges, ...meta } = graph;
  return {
    meta,
    nodes: nodes.map((n) => ({
      id: n.id,
      type: 'beamline',
      position: { x: n.position.x, y: n.position.y },
      data: {
        kind: n.kind,
        ...(n.label !== undefined ? { label: n.label } : {}),
        config: n.config,
        deployment: n.deployment,
      },
    })),
    edges: edges.map((e) => ({
      id: e.id ?? edgeId(e),
      source: e.source,
      sourceHandle: e.sourceHandle,
      target: e.target,
      targetHandle: e.targetHandle,
      ...(e.id !== undefined ? { data: { id: e.id } } : {}),
    })),
  };
}

/** React Flow nodes and edges -> graph document; UI-only fields are dropped. */
export function fromFlow(doc: FlowDocument): Graph {
  return {
    ...doc.meta,
    nodes: doc.nodes.map((n) => ({
      id: n.id,
      kind: n.data.kind,
      ...(n.data.label !== undefined ? { label: n.data.label } : {}),
      position: { x: n.position.x, y: n.position.y },
      config: n.data.config,
      deployment: n.data.deployment,
    })),
    edges: doc.edges.map((e) => ({
      // An id is written when it is not the default one, or when the document had it.
      ...(e.id !== edgeId(e) || e.data?.id === e.id ? { id: e.id } : {}),
      source: e.source,
      sourceHandle: e.sourceHandle,
      target: e.target,
      targetHandle: e.targetHandle,
    })),
  };
}

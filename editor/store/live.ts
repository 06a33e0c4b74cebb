/**
 * The live slice: what the server runs and what the editor is attached to, the
 * indexes and their ingest jobs, the run on screen and the run history per graph.
 * Written by api/live.ts from HTTP answers and socket.io events, through these actions.
 */
import type { Graph } from '../../shared/graph.js';
import type { GraphStatus, GraphSummary, IndexInfo, IngestJob, TraceSpan } from '../../shared/protocol.js';
import type { ReleaseStatus } from '../../shared/release.js';
import { addRun, type History, type NodeRun, type RunRecord } from '../lib/runs.js';
import type { Get, SetState } from './types.js';

export type { NodeRun, RunRecord };

export interface RunState {
  requestId: string | null;
  /** The graph it ran on and the console text it was given. */
  graph?: string;
  input?: string;
  startedAt?: number;
  nodes: Record<string, NodeRun>;
  tokens: string;
  output?: unknown;
  error?: string;
  trace: TraceSpan[];
  busy: boolean;
  /** Set when the run shown is one re-opened from the history. */
  fromHistory?: string;
}

export const EMPTY_RUN: RunState = { requestId: null, nodes: {}, tokens: '', trace: [], busy: false };

export interface Attachment {
  name: string;
  version?: number;
  /** The deployed document, for "modified" and the diff. */
  graph?: Graph;
  status?: GraphStatus;
}

export interface LiveSlice {
  /** The deployed graph the canvas is attached to (live status, Stop, invoke), or null. */
  deployed: string | null;
  deployedVersion: number | null;
  deployedGraph: Graph | null;
  /** The canvas differs from the deployed version in something that serves (refreshed shortly after each change). */
  modified: boolean;
  status: GraphStatus | null;
  /** The attached graph's canary or shadow release, running or the last one (from the status push and GET …/release). */
  release: ReleaseStatus | null;
  /** Every graph on the server with its live summary; null until the first answer. */
  deployments: GraphSummary[] | null;
  /** The server did not answer the last poll. */
  offline: boolean;
  indexes: IndexInfo[] | null;
  /** Ingest jobs seen this session, by id (progress from socket.io `ingest` events). */
  jobs: Record<string, IngestJob>;
  run: RunState;
  runs: History;
  /** Console text per graph name. */
  inputs: Record<string, string>;

  attach(a: Attachment): void;
  detach(): void;
  setStatus(status: GraphStatus): void;
  /** Only for the attached graph; null: it has none. */
  setRelease(release: ReleaseStatus | null): void;
  setDeployments(list: GraphSummary[] | null): void;
  setIndexes(list: IndexInfo[]): void;
  ingestUpdate(job: IngestJob): void;
  runStart(requestId: string, graph: string, input: string): void;
  runNode(node: string, run: NodeRun): void;
  runToken(token: string): void;
  /** Ends the run on screen and records it in its graph's history. */
  runEnd(patch: Partial<RunState>): void;
  openRun(record: RunRecord): void;
  setHistory(runs: History, inputs: Record<string, string>): void;
  setInput(graph: string, text: string): void;
}

export function createLiveSlice(set: SetState, get: Get): LiveSlice {
  return {
    deployed: null,
    deployedVersion: null,
    deployedGraph: null,
    modified: false,
    status: null,
    release: null,
    deployments: null,
    offline: false,
    indexes: null,
    jobs: {},
    run: EMPTY_RUN,
    runs: {},
    inputs: {},

    attach(a) {
      const same = get().deployed === a.name;
      set({
        deployed: a.name,
        deployedVersion: a.version ?? a.status?.version ?? (same ? get().deployedVersion : null),
        deployedGraph: a.graph ?? (same ? get().deployedGraph : null),
        status: a.status ?? (same ? get().status : null),
        ...(same ? {} : { release: null }),
      });
    },
    detach() {
      set({ deployed: null, deployedVersion: null, deployedGraph: null, status: null, release: null, modified: false });
    },
    setStatus(status) {
      if (status.name !== get().deployed) return;
      // A running release comes with every push; one that ended is read with GET …/release (api/release.ts).
      const release = status.release;
      set({ status, ...(release ? { release } : {}), ...(status.version !== get().deployedVersion ? { deployedVersion: status.version } : {}) });
    },
    setRelease(release) {
      if (release && release.graph !== get().deployed) return;
      set({ release });
    },
    setDeployments(list) {
      set({ deployments: list, offline: list === null });
    },
    setIndexes(list) {
      set({ indexes: list });
    },
    ingestUpdate(job) {
      set({ jobs: { ...get().jobs, [job.id]: job } });
    },
    runStart(requestId, graph, input) {
      set({ run: { ...EMPTY_RUN, requestId, graph, input, startedAt: Date.now(), busy: true } });
    },
    runNode(node, run) {
      const r = get().run;
      set({ run: { ...r, nodes: { ...r.nodes, [node]: { ...r.nodes[node], ...run } } } });
    },
    runToken(token) {
      const r = get().run;
      set({ run: { ...r, tokens: r.tokens + token } });
    },
    runEnd(patch) {
      const run = { ...get().run, ...patch, busy: false };
      set({ run });
      if (!run.requestId || !run.graph) return;
      const record: RunRecord = {
        id: run.requestId,
        graph: run.graph,
        input: run.input ?? '',
        at: run.startedAt ?? Date.now(),
        ms: Date.now() - (run.startedAt ?? Date.now()),
        status: run.error ? 'error' : 'ok',
        ...(run.output !== undefined ? { output: run.output } : {}),
        ...(run.error ? { error: run.error } : {}),
        trace: run.trace,
        nodes: run.nodes,
        tokens: run.tokens,
      };
      set({ runs: addRun(get().runs, record) });
    },
    openRun(r) {
      set({
        run: { requestId: r.id, graph: r.graph, input: r.input, startedAt: r.at, nodes: r.nodes, tokens: r.tokens, output: r.output, error: r.error, trace: r.trace, busy: false, fromHistory: r.id },
        inputs: { ...get().inputs, [r.graph]: r.input },
      });
    },
    setHistory(runs, inputs) {
      set({ runs, inputs });
    },
    setInput(graph, text) {
      set({ inputs: { ...get().inputs, [graph]: text } });
    },
  };
}

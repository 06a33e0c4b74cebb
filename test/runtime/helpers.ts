import { fileURLToPath } from 'node:url';
import type { GraphInput } from '../../shared/graph.js';
import { type BeamlineServer, createServer, type ServerOptions } from '../../runtime/server/index.js';

export const TESTKIT = fileURLToPath(new URL('../fixtures/nodes/testkit.ts', import.meta.url));

/** A real server on 127.0.0.1, port 0, with the test kinds registered. */
export function startServer(opts: ServerOptions = {}): Promise<BeamlineServer> {
  return createServer({ port: 0, host: '127.0.0.1', nodes: [TESTKIT], cpus: 8, gpus: 0, log: () => {}, ...opts });
}

type NodeSpec = { id: string; kind: string; config?: Record<string, unknown>; deployment?: Record<string, unknown> };

/** input(x: json) -> nodes -> output, edges given as [from, to] pairs on the default ports. */
export function graph(name: string, nodes: NodeSpec[], edges: [string, string][], extra: Partial<GraphInput> = {}): GraphInput {
  const all: NodeSpec[] = [{ id: 'input', kind: 'input', config: { fields: { x: 'json' } } }, ...nodes, { id: 'output', kind: 'output' }];
  const port = (id: string, side: 'out' | 'in') => (id === 'input' ? 'x' : side);
  return {
    version: 1,
    name,
    routePrefix: `/${name}`,
    nodes: all.map((n) => ({ id: n.id, kind: n.kind, position: { x: 0, y: 0 }, config: n.config ?? {}, deployment: n.deployment ?? {} })),
    edges: edges.map(([s, t]) => ({ source: s, sourceHandle: port(s, 'out'), target: t, targetHandle: 'in' })),
    ...extra,
  };
}

/** input -> one test-echo node -> output: the smallest graph that answers what it is sent. */
export function echoGraph(name: string): GraphInput {
  return graph(name, [{ id: 'n', kind: 'test-echo' }], [
    ['input', 'n'],
    ['n', 'output'],
  ]);
}

/** input -> one test-version node -> output: two versions of one graph that differ by config (label, failures, delay), as releases compare them. */
export function versionGraph(name: string, config: Record<string, unknown>, deployment: Record<string, unknown> = {}): GraphInput {
  return graph(name, [{ id: 'm', kind: 'test-version', config, deployment: { numReplicas: 1, ...deployment } }], [
    ['input', 'm'],
    ['m', 'output'],
  ]);
}

/** input -> split s (branches a and b) -> test-echo ea / eb -> output: the output is keyed by the echo node that ran. */
export function splitGraph(name: string, weights: [number, number], sticky?: { header: string } | { path: string }): GraphInput {
  const node = (id: string, kind: string, config: Record<string, unknown> = {}) => ({ id, kind, position: { x: 0, y: 0 }, config, deployment: {} });
  const edge = (source: string, sourceHandle: string, target: string) => ({ source, sourceHandle, target, targetHandle: 'in' });
  return {
    version: 1,
    name,
    routePrefix: `/${name}`,
    nodes: [
      node('input', 'input', { fields: { x: 'json' } }),
      node('s', 'split', { branches: [{ port: 'a', weight: weights[0] }, { port: 'b', weight: weights[1] }], ...(sticky ? { sticky } : {}) }),
      node('ea', 'test-echo', { tag: 'a' }),
      node('eb', 'test-echo', { tag: 'b' }),
      node('output', 'output'),
    ],
    edges: [edge('input', 'x', 's'), edge('s', 'a', 'ea'), edge('s', 'b', 'eb'), edge('ea', 'out', 'output'), edge('eb', 'out', 'output')],
  };
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
export async function post(url: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers };
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
export async function get(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

export async function until<T>(f: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

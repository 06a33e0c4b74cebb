import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../shared/catalog/index.js';
import { checkConnection, type EdgeLike, pathBetween } from '../../editor/lib/connection.js';
import { kindFromCatalog } from '../../editor/lib/kinds.js';

const kinds = Object.fromEntries(builtinCatalog.list().map((k) => [k.kind, kindFromCatalog(k)]));
const nodes: Record<string, { kind: string; config: Record<string, unknown> }> = {
  in: { kind: 'input', config: {} },
  emb: { kind: 'embedder', config: {} },
  ret: { kind: 'retriever', config: {} },
  llm: { kind: 'llm', config: {} },
  out: { kind: 'output', config: {} },
  sw: { kind: 'switch', config: { cases: [{ port: 'pos', equals: 'positive' }] } },
};
const portsOf = (id: string) => (nodes[id] ? kinds[nodes[id].kind].ports(nodes[id].config) : undefined);
const c = (source: string, sourceHandle: string, target: string, targetHandle: string) => ({ source, sourceHandle, target, targetHandle });

describe('checkConnection', () => {
  it('accepts compatible ports', () => {
    expect(checkConnection(c('in', 'query', 'emb', 'text'), [], portsOf)).toEqual({ ok: true });
    expect(checkConnection(c('emb', 'vector', 'ret', 'vector'), [], portsOf)).toEqual({ ok: true });
    // any accepts everything; json flows into structured inputs.
    expect(checkConnection(c('ret', 'documents', 'out', 'in'), [], portsOf)).toEqual({ ok: true });
  });

  it('refuses incompatible types with a reason naming both ports and types', () => {
    expect(checkConnection(c('in', 'query', 'ret', 'vector'), [], portsOf)).toEqual({ ok: false, reason: 'in.query gives text but ret.vector takes vector' });
  });

  it('refuses a second edge into a single input, but not into a multiple one', () => {
    const edges: EdgeLike[] = [c('in', 'query', 'emb', 'text'), c('ret', 'documents', 'out', 'in')];
    expect(checkConnection(c('llm', 'text', 'emb', 'text'), edges, portsOf)).toEqual({ ok: false, reason: 'input emb.text takes one edge and already has one' });
    expect(checkConnection(c('llm', 'result', 'out', 'in'), edges, portsOf)).toEqual({ ok: true });
  });

  it('refuses duplicates, self-loops and unknown ports', () => {
    const edges = [c('in', 'query', 'emb', 'text')];
    expect(checkConnection(c('in', 'query', 'emb', 'text'), edges, portsOf)).toEqual({ ok: false, reason: 'these ports are already connected' });
    expect(checkConnection(c('emb', 'text', 'emb', 'text'), [], portsOf)).toEqual({ ok: false, reason: 'a node cannot feed itself (emb)' });
    expect(checkConnection(c('emb', 'nope', 'ret', 'vector'), [], portsOf)).toEqual({ ok: false, reason: 'emb has no output "nope"' });
    expect(checkConnection(c('emb', 'vector', 'ghost', 'x'), [], portsOf)).toEqual({ ok: false, reason: 'unknown node' });
    expect(checkConnection({ source: 'emb', target: 'ret', sourceHandle: null, targetHandle: 'vector' }, [], portsOf).ok).toBe(false);
  });

  it('refuses a cycle and names its path', () => {
    const edges = [c('in', 'query', 'emb', 'text'), c('emb', 'text', 'llm', 'prompt'), c('llm', 'text', 'sw', 'in')];
    expect(checkConnection(c('sw', 'pos', 'emb', 'text'), [edges[1], edges[2]], portsOf)).toEqual({ ok: false, reason: 'that would make a cycle: sw -> emb -> llm -> sw' });
  });

  it('reads ports that depend on config (switch cases)', () => {
    expect(checkConnection(c('sw', 'pos', 'out', 'in'), [], portsOf)).toEqual({ ok: true });
    expect(checkConnection(c('sw', 'neg', 'out', 'in'), [], portsOf)).toEqual({ ok: false, reason: 'sw has no output "neg"' });
  });
});

describe('pathBetween', () => {
  it('finds the shortest path or none', () => {
    const edges = [c('a', 'o', 'b', 'i'), c('b', 'o', 'c', 'i'), c('a', 'o', 'c', 'i')];
    expect(pathBetween('a', 'c', edges)).toEqual(['a', 'c']);
    expect(pathBetween('c', 'a', edges)).toBeUndefined();
    expect(pathBetween('a', 'a', edges)).toEqual(['a']);
  });
});

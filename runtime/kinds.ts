/**
 * Where each built-in kind lives. Its declaration is shared/catalog/<kind>.ts (ports,
 * config, defaults: what the editor, the compiler and the planner read); this table,
 * keyed by the catalog's ids, gives what only the runtime needs: what `beamline serve`
 * runs for it and how `beamline export` writes it. The type requires an entry for every
 * catalog kind, and test/runtime/kinds.test.ts checks each entry against its declaration.
 * Kinds of one's own (defineNode, `serve --nodes`) carry their implementation with them.
 */
import type { BuiltinKindId } from '../shared/catalog/index.js';
import { type InlineNode, inputNode, outputNode, splitNode, switchNode } from './dataplane/inline/index.js';
import * as py from './export/templates.js';
import type { NodeImplementation } from './nodes/types.js';

/** What `beamline serve` runs for a kind; the catalog's `runsIn` says which. */
export type KindRun =
  /** runsIn 'executor': a function the request's executor calls inline. */
  | { inline: InlineNode }
  /** runsIn 'replica': imported by a replica's worker thread when it starts, so each thread loads only its own kind's modules. */
  | { load: () => Promise<NodeImplementation> };

/** How `beamline export` writes a kind into a Ray Serve application. */
export type KindExport =
  /** A Python module of runtime/export/py/beamline_nodes/ with its requirements. */
  | { template: py.ExportTemplate }
  /** No Python twin: why, for this config; the exporter refuses the node, naming it. */
  | { refuse: (config: Record<string, unknown>) => string }
  /** A deployment of someone's Ray application, written back into that application (export/serve-config.ts). */
  | { imported: true };

export interface KindParts {
  run: KindRun;
  export: KindExport;
}

export const BUILTIN_PARTS: { readonly [K in BuiltinKindId]: KindParts } = {
  input: { run: { inline: inputNode }, export: { template: py.inputExport } },
  output: { run: { inline: outputNode }, export: { template: py.outputExport } },
  switch: { run: { inline: switchNode }, export: { template: py.switchExport } },
  split: { run: { inline: splitNode }, export: { template: py.splitExport } },
  preprocessor: { run: { load: async () => (await import('./nodes/preprocessor.js')).preprocessor }, export: { template: py.preprocessorExport } },
  embedder: { run: { load: async () => (await import('./nodes/embedder.js')).embedder }, export: { template: py.embedderExport } },
  retriever: { run: { load: async () => (await import('./nodes/retriever.js')).retriever }, export: { template: py.retrieverExport } },
  reranker: { run: { load: async () => (await import('./nodes/reranker.js')).reranker }, export: { template: py.rerankerExport } },
  llm: { run: { load: async () => (await import('./nodes/llm.js')).llm }, export: { template: py.llmExport } },
  classifier: { run: { load: async () => (await import('./nodes/classifier.js')).classifier }, export: { template: py.classifierExport } },
  ner: { run: { load: async () => (await import('./nodes/ner.js')).ner }, export: { template: py.nerExport } },
  ocr: { run: { load: async () => (await import('./nodes/ocr.js')).ocr }, export: { template: py.ocrExport } },
  custom: { run: { load: async () => (await import('./nodes/custom.js')).custom }, export: { refuse: py.refuseCustom } },
  // Its implementation refuses to start (serve cannot run someone's Python); export writes it back.
  'ray-deployment': { run: { load: async () => (await import('./nodes/ray-deployment.js')).rayDeployment }, export: { imported: true } },
};

/** A built-in kind's parts; undefined for any other kind (one defined with defineNode). */
export function builtinParts(kind: string): KindParts | undefined {
  return Object.hasOwn(BUILTIN_PARTS, kind) ? BUILTIN_PARTS[kind as BuiltinKindId] : undefined;
}

/** The inline implementation of a built-in kind that runs in the executor. */
export function inlineNode(kind: string): InlineNode | undefined {
  const run = builtinParts(kind)?.run;
  return run && 'inline' in run ? run.inline : undefined;
}

/** The Python template of a built-in kind that has one. */
export function exportTemplate(kind: string): py.ExportTemplate | undefined {
  const e = builtinParts(kind)?.export;
  return e && 'template' in e ? e.template : undefined;
}

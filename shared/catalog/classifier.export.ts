import type { ExportTemplate } from './export-template.js';

/** Softmax over the model's logits; labels from config.labels, then config.json id2label. */
export const classifierExport: ExportTemplate = {
  kind: 'classifier',
  module: 'classifier',
  className: 'ClassifierNode',
  requirements: ['onnxruntime', 'tokenizers', 'numpy'],
  models: (c) => (typeof c.model === 'string' ? [c.model] : []),
  source: String.raw`import json
import os

from .common import NodeInputError, TextTokenizer, in_thread, model_file, open_session, output_names, resolve_model_dir, token_feed


def softmax(row):
    import numpy as np

    e = np.exp(row - np.max(row))
    return e / e.sum()


class ClassifierNode:
    def __init__(self, config: dict, ctx):
        folder = resolve_model_dir(config.get("model", "builtin:vader-sentiment"), ctx)
        self.tokenizer = TextTokenizer(folder)
        self.session = open_session(model_file(folder, "model.onnx"), ctx)
        self.max_length = config.get("maxLength", 256)
        self.labels = config.get("labels")
        cfg = os.path.join(folder, "config.json")
        if not self.labels and os.path.exists(cfg):
            id2label = json.load(open(cfg, encoding="utf-8")).get("id2label") or {}
            self.labels = [id2label[k] for k in sorted(id2label, key=int)] if id2label else None
        names = output_names(self.session)
        self.output = "logits" if "logits" in names else names[0]

    def label(self, i: int) -> str:
        return self.labels[i] if self.labels and i < len(self.labels) else f"LABEL_{i}"

    def classify(self, texts: list) -> list:
        import numpy as np

        batch = self.tokenizer.batch(texts, self.max_length)
        logits = self.session.run([self.output], token_feed(self.session, batch))[0]
        out = []
        for row in np.asarray(logits, dtype=np.float32).reshape(len(texts), -1):
            p = softmax(row)
            best = int(np.argmax(p))
            scores = {self.label(i): float(x) for i, x in enumerate(p)}
            out.append({"result": {"label": self.label(best), "score": float(p[best]), "scores": scores}, "label": self.label(best)})
        return out

    async def call(self, inputs: dict) -> dict:
        result = (await self.batch([inputs]))[0]
        if isinstance(result, Exception):
            raise result
        return result

    async def batch(self, items: list) -> list:
        texts, slots, results = [], [], [None] * len(items)
        for i, item in enumerate(items):
            if isinstance(item.get("text"), str):
                texts.append(item["text"])
                slots.append(i)
            else:
                results[i] = NodeInputError('input "text" must be a string', "text")
        if texts:
            for slot, r in zip(slots, await in_thread(self.classify, texts)):
                results[slot] = r
        return results
`,
};

import type { ExportTemplate } from './export-template.js';

/** Same tokenizer.json, truncation, pooling and normalisation as runtime/nodes/embedder.ts. */
export const embedderExport: ExportTemplate = {
  kind: 'embedder',
  module: 'embedder',
  className: 'EmbedderNode',
  requirements: ['onnxruntime', 'tokenizers', 'numpy'],
  models: (c) => (typeof c.model === 'string' ? [c.model] : []),
  source: String.raw`from .common import Embedding, NodeInputError, in_thread, resolve_model_dir


class EmbedderNode:
    def __init__(self, config: dict, ctx):
        folder = resolve_model_dir(config.get("model", "builtin:glove-100d"), ctx)
        self.embedding = Embedding(folder, ctx, config.get("pooling", "auto"), config.get("normalize", True), config.get("maxLength", 256))

    async def call(self, inputs: dict) -> dict:
        result = (await self.batch([inputs]))[0]
        if isinstance(result, Exception):
            raise result
        return result

    async def batch(self, items: list) -> list:
        # A bad item fails alone; the others still share one model call.
        texts, slots, results = [], [], [None] * len(items)
        for i, item in enumerate(items):
            text = item.get("text")
            if isinstance(text, str):
                texts.append(text)
                slots.append(i)
            else:
                results[i] = NodeInputError('input "text" must be a string', "text")
        if texts:
            vectors = await in_thread(self.embedding.embed, texts)
            for slot, text, vector in zip(slots, texts, vectors):
                results[slot] = {"vector": [float(x) for x in vector], "text": text}
        return results
`,
};

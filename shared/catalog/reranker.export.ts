import type { ExportTemplate } from './export-template.js';

/** cosine: the embedder's own path over query and documents; cross-encoder: one logit per pair. */
export const rerankerExport: ExportTemplate = {
  kind: 'reranker',
  module: 'reranker',
  className: 'RerankerNode',
  requirements: ['onnxruntime', 'tokenizers', 'numpy'],
  models: (c) => (typeof c.model === 'string' ? [c.model] : []),
  source: String.raw`from .common import (
    Embedding,
    NodeInputError,
    TextTokenizer,
    documents_input,
    in_thread,
    model_file,
    open_session,
    output_names,
    resolve_model_dir,
    text_input,
    token_feed,
)


class RerankerNode:
    def __init__(self, config: dict, ctx):
        self.mode = config.get("mode", "cosine")
        self.top_k = config.get("topK", 3)
        self.max_length = config.get("maxLength", 256)
        folder = resolve_model_dir(config.get("model", "builtin:glove-100d"), ctx)
        if self.mode == "cosine":
            self.embedding = Embedding(folder, ctx, "auto", True, self.max_length)
        else:
            self.tokenizer = TextTokenizer(folder)
            self.session = open_session(model_file(folder, "model.onnx"), ctx)

    def scores(self, query: str, texts: list) -> list:
        import numpy as np

        if self.mode == "cosine":
            vectors = self.embedding.embed([query] + texts)
            return [float(x) for x in vectors[1:] @ vectors[0]]
        batch = self.tokenizer.batch_pairs([(query, t) for t in texts], self.max_length)
        logits = self.session.run(None, token_feed(self.session, batch))[0]
        logits = np.asarray(logits, dtype=np.float32).reshape(len(texts), -1)
        # One logit: relevance; two: the "relevant" class minus the other.
        return [float(r[0]) if r.shape[0] == 1 else float(r[-1] - r[0]) for r in logits]

    def rerank(self, query: str, docs: list) -> list:
        if not docs:
            return []
        scored = [dict(d, score=s) for d, s in zip(docs, self.scores(query, [d["text"] for d in docs]))]
        scored.sort(key=lambda d: -d["score"])
        return scored[: self.top_k]

    async def call(self, inputs: dict) -> dict:
        result = (await self.batch([inputs]))[0]
        if isinstance(result, Exception):
            raise result
        return result

    async def batch(self, items: list) -> list:
        results = []
        for item in items:
            try:
                query, docs = text_input(item, "query"), documents_input(item, "documents")
                results.append({"documents": await in_thread(self.rerank, query, docs)})
            except NodeInputError as e:
                results.append(e)
        return results
`,
};

"""cosine: query and documents through the embedder path, all texts of a batch in one run; cross-encoder:
sigmoid of one logit or softmax of the last of two. Documents keep their fields, with the old score as
retrievalScore (runtime/nodes/reranker.ts)."""

import math

from .common import Embedding, NodeInputError, TextTokenizer, batch_each, call_one, model_file, open_session, output_names, resolve_model_dir, token_feed


def read_query(inputs: dict) -> tuple:
    if not isinstance(inputs.get("query"), str):
        raise NodeInputError('input "query" must be a string', "query")
    docs = inputs.get("documents")
    if not isinstance(docs, list):
        raise NodeInputError('input "documents" must be an array of documents', "documents")
    for i, d in enumerate(docs):
        if not isinstance(d, dict) or not isinstance(d.get("text"), str):
            raise NodeInputError(f'input "documents[{i}]" must be a document with a string "text"', f"documents[{i}].text")
    return inputs["query"], docs


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
            names = output_names(self.session)
            self.output = "logits" if "logits" in names else names[0]

    def scores(self, queries: list) -> list:
        """One score per document of each (query, documents)."""
        import numpy as np

        if self.mode == "cosine":
            vs = self.embedding.embed([t for q, docs in queries for t in [q] + [d["text"] for d in docs]])
            out, at = [], 0
            for _, docs in queries:
                qv = vs[at]
                out.append([float(qv @ vs[at + 1 + i]) for i in range(len(docs))])
                at += 1 + len(docs)
            return out
        pairs = [(q, d["text"]) for q, docs in queries for d in docs]
        if not pairs:
            return [[] for _ in queries]
        batch = self.tokenizer.batch_pairs(pairs, self.max_length)
        t = np.asarray(self.session.run([self.output], token_feed(self.session, batch))[0], dtype=np.float32).reshape(len(pairs), -1)
        flat = []
        for row in t:
            if row.shape[0] == 1:
                flat.append(1 / (1 + math.exp(-float(row[0]))))
            else:
                e = np.exp(row - row.max())
                flat.append(float(e[-1] / e.sum()))
        out, at = [], 0
        for _, docs in queries:
            out.append(flat[at : at + len(docs)])
            at += len(docs)
        return out

    def rank(self, queries: list) -> list:
        results = []
        for (_, docs), scores in zip(queries, self.scores(queries)):
            ranked = [dict(d, retrievalScore=d.get("score"), score=s) for d, s in zip(docs, scores)]
            ranked.sort(key=lambda d: -d["score"])  # stable, as in JavaScript
            results.append({"documents": ranked[: self.top_k]})
        return results

    async def call(self, inputs: dict) -> dict:
        return await call_one(self, inputs)

    async def batch(self, items: list) -> list:
        # Every query of a batch goes through one model run.
        return await batch_each(items, read_query, self.rank)

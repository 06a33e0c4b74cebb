"""Exact top-k cosine over the team's index format: <dataDir>/indexes/<name>/{meta.json, vectors.f32,
chunks.jsonl}, blended with BM25 as runtime/nodes/retriever.ts does."""

import json
import math
import os
import re
import unicodedata

from .common import NodeConfigError, NodeInputError, in_thread


def load_index(folder: str):
    import numpy as np

    meta_path = os.path.join(folder, "meta.json")
    if not os.path.exists(meta_path):
        raise NodeConfigError(f"config.index: no index at {folder} (run beamline ingest and copy data/indexes into the image)")
    meta = json.load(open(meta_path, encoding="utf-8"))
    if meta.get("format") != "beamline-index" or meta.get("version") != 1:
        raise NodeConfigError(f"config.index: {meta_path} is not a version 1 beamline-index")
    count, dim = int(meta["count"]), int(meta["dim"])
    vectors = np.fromfile(os.path.join(folder, "vectors.f32"), dtype="<f4")
    if vectors.size != count * dim:
        raise NodeConfigError(f"config.index: vectors.f32 holds {vectors.size} floats, meta.json says {count} x {dim}")
    with open(os.path.join(folder, "chunks.jsonl"), encoding="utf-8") as f:
        chunks = [json.loads(line) for line in f if line.strip()]
    if len(chunks) != count:
        raise NodeConfigError(f"config.index: chunks.jsonl has {len(chunks)} lines, meta.json says {count}")
    return meta, vectors.reshape(count, dim), chunks


K1, B = 1.2, 0.75


def terms(text: str) -> list:
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text.lower()))


class Bm25:
    """Okapi BM25 over the chunk texts, scores divided by the best: runtime/retrieval/bm25.ts."""

    def __init__(self, texts: list):
        self.count = len(texts)
        self.postings: dict = {}
        self.doc_len = [0] * len(texts)
        for doc, text in enumerate(texts):
            words = terms(text)
            self.doc_len[doc] = len(words)
            tf: dict = {}
            for w in words:
                tf[w] = tf.get(w, 0) + 1
            for w, n in tf.items():
                self.postings.setdefault(w, []).append((doc, min(n, 65535)))
        self.avg_len = (sum(self.doc_len) / len(texts) or 1) if texts else 1

    def scores(self, query: str):
        import numpy as np

        out = np.zeros(self.count, dtype=np.float32)
        for w in set(terms(query)):
            p = self.postings.get(w)
            if not p:
                continue
            idf = math.log(1 + (self.count - len(p) + 0.5) / (len(p) + 0.5))
            for d, tf in p:
                out[d] += (idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * self.doc_len[d]) / self.avg_len))
        best = float(out.max()) if self.count else 0.0
        return out / best if best > 0 else out


class RetrieverNode:
    def __init__(self, config: dict, ctx):
        self.ctx = ctx
        self.top_k = config.get("topK", 5)
        self.min_score = config.get("minScore", -1)
        self.lexical_weight = config.get("lexicalWeight", 0)
        self.folder = os.path.join(ctx.data_dir, "indexes", config.get("index", "default"))
        self.bm25 = None
        self.failure = None
        self.vectors = None
        self.load()

    def load(self) -> None:
        # A missing index makes the replica unhealthy with the reason rather than failing its start.
        try:
            self.meta, self.vectors, self.chunks = load_index(self.folder)
            if self.lexical_weight > 0:
                self.bm25 = Bm25([c["text"] for c in self.chunks])
            self.failure = None
        except (NodeConfigError, OSError, ValueError) as e:
            self.failure = e
            self.ctx.log(str(e))

    def health(self) -> None:
        if self.vectors is None:
            self.load()
        if self.vectors is None:
            raise self.failure

    def search(self, query, text) -> list:
        import numpy as np

        q = np.asarray(query, dtype=np.float32)
        norm = float(np.linalg.norm(q))
        if norm > 0:
            q = q / norm
        scores = self.vectors @ q  # rows are L2-normalised, so dot = cosine
        w = self.lexical_weight
        if w > 0 and text and text.strip():
            scores = (1 - w) * scores + w * self.bm25.scores(text)
        keep = np.nonzero(scores >= self.min_score)[0]
        order = keep[np.lexsort((keep, -scores[keep]))][: self.top_k]  # score desc, then index asc
        docs = []
        for i in order:
            c = self.chunks[int(i)]
            docs.append({"id": c["id"], "text": c["text"], "source": c["source"], "chunk": c["chunk"], "score": round(float(scores[i]), 6)})
        return docs

    async def call(self, inputs: dict) -> dict:
        self.health()
        vector = inputs.get("vector")
        if not isinstance(vector, list):
            raise NodeInputError('input "vector" must be an array of numbers', "vector")
        dim = self.vectors.shape[1]
        if len(vector) != dim:
            raise NodeInputError(f'input "vector" has {len(vector)} numbers, the index has dimension {dim}', "vector")
        for i, x in enumerate(vector):
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                raise NodeInputError(f'input "vector"[{i}] is not a finite number', f"vector[{i}]")
        text = inputs.get("query")
        if text is not None and not isinstance(text, str):
            raise NodeInputError(f'input "query" must be a string, got {type(text).__name__}', "query")
        return {"documents": await in_thread(self.search, vector, text)}

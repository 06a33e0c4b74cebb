import type { ExportTemplate } from './export-template.js';

/**
 * Exact top-k cosine over the team's index format:
 * <dataDir>/indexes/<name>/{meta.json, vectors.f32, chunks.jsonl}.
 */
export const retrieverExport: ExportTemplate = {
  kind: 'retriever',
  module: 'retriever',
  className: 'RetrieverNode',
  requirements: ['numpy'],
  indexes: (c) => [typeof c.index === 'string' ? c.index : 'default'],
  source: String.raw`import json
import os

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


class RetrieverNode:
    def __init__(self, config: dict, ctx):
        self.top_k = config.get("topK", 5)
        self.min_score = config.get("minScore", -1)
        folder = os.path.join(ctx.data_dir, "indexes", config.get("index", "default"))
        self.meta, self.vectors, self.chunks = load_index(folder)

    def search(self, query) -> list:
        import numpy as np

        q = np.asarray(query, dtype=np.float32)
        norm = float(np.linalg.norm(q))
        if norm > 0:
            q = q / norm
        scores = self.vectors @ q  # rows are L2-normalised, so dot = cosine
        k = min(self.top_k, len(scores))
        if k == 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.lexsort((best, -scores[best]))]  # score desc, then id asc
        docs = []
        for i in best:
            score = float(scores[i])
            if score < self.min_score:
                continue
            c = self.chunks[int(i)]
            docs.append({"id": c["id"], "text": c["text"], "source": c["source"], "chunk": c["chunk"], "score": score})
        return docs

    async def call(self, inputs: dict) -> dict:
        vector = inputs.get("vector")
        if not isinstance(vector, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in vector):
            raise NodeInputError('input "vector" must be a list of numbers', "vector")
        if len(vector) != self.vectors.shape[1]:
            raise NodeInputError(f'input "vector" has {len(vector)} numbers; the index holds {self.vectors.shape[1]}-d vectors', "vector")
        return {"documents": await in_thread(self.search, vector)}
`,
};

"""Same tokenizer.json, truncation, pooling and normalisation as runtime/nodes/embedder.ts."""

from .common import Embedding, batch_each, call_one, resolve_model_dir, text_input


class EmbedderNode:
    def __init__(self, config: dict, ctx):
        folder = resolve_model_dir(config.get("model", "builtin:glove-100d"), ctx)
        self.embedding = Embedding(folder, ctx, config.get("pooling", "auto"), config.get("normalize", True), config.get("maxLength", 256))

    def embed_many(self, texts: list) -> list:
        return [{"vector": [float(x) for x in v], "text": t} for t, v in zip(texts, self.embedding.embed(texts))]

    async def call(self, inputs: dict) -> dict:
        return await call_one(self, inputs)

    async def batch(self, items: list) -> list:
        return await batch_each(items, text_input, self.embed_many)

"""Softmax over the model's logits; labels from config.labels, then config.json id2label (runtime/nodes/classifier.ts)."""

import json
import os

from .common import TextTokenizer, batch_each, call_one, model_file, open_session, output_names, resolve_model_dir, text_input, token_feed


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
        names = output_names(self.session)
        self.output = "logits" if "logits" in names else names[0]
        classes = self.logits(["a"]).shape[1]
        # Labels by class index: config.labels, else config.json id2label, else LABEL_<i>.
        configured = config.get("labels")
        if configured:
            if len(configured) != classes:
                raise ValueError(f"config.labels: the model has {classes} classes but {len(configured)} labels are given")
            self.labels = list(configured)
        else:
            cfg = os.path.join(folder, "config.json")
            id2label = (json.load(open(cfg, encoding="utf-8")).get("id2label") or {}) if os.path.exists(cfg) else {}
            self.labels = [id2label.get(str(i), f"LABEL_{i}") for i in range(classes)]

    def logits(self, texts: list):
        import numpy as np

        batch = self.tokenizer.batch(texts, self.max_length)
        t = np.asarray(self.session.run([self.output], token_feed(self.session, batch))[0], dtype=np.float32)
        if t.ndim != 2:
            raise ValueError(f'output "{self.output}" has shape {list(t.shape)}, expected [batch, classes]')
        return t

    def classify(self, texts: list) -> list:
        import numpy as np

        out = []
        for row in self.logits(texts):
            p = softmax(row)
            best = int(np.argmax(p))
            result = {"label": self.labels[best], "score": float(p[best]), "scores": {label: float(x) for label, x in zip(self.labels, p)}}
            out.append({"result": result, "label": result["label"]})
        return out

    async def call(self, inputs: dict) -> dict:
        return await call_one(self, inputs)

    async def batch(self, items: list) -> list:
        return await batch_each(items, text_input, self.classify)

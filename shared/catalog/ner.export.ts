import type { ExportTemplate } from './export-template.js';

/**
 * onnx: a token-classification model with B-/I- tags merged into spans.
 * wink: wink-nlp has no Python port, so the exported node finds the same
 * pattern entities (email, url, mention, hashtag, money, percent, time, date,
 * number) with regular expressions; the export says so.
 */
export const nerExport: ExportTemplate = {
  kind: 'ner',
  module: 'ner',
  className: 'NerNode',
  requirements: ['onnxruntime', 'tokenizers', 'numpy'],
  models: (c) => (c.backend === 'onnx' && typeof c.model === 'string' ? [c.model] : []),
  notes: (c) => ((c.backend ?? 'wink') === 'wink' ? ['ner: wink-nlp has no Python port; the exported node finds email, url, mention, hashtag, money, percent, time, date and number entities with regular expressions, which can differ from wink-nlp'] : []),
  source: String.raw`import json
import os
import re

from .common import TextTokenizer, in_thread, model_file, open_session, resolve_model_dir, text_input

# Order matters: earlier patterns win where spans overlap.
PATTERNS = [
    ("email", r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    ("url", r"(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)]"),
    ("mention", r"(?<!\w)@\w+"),
    ("hashtag", r"(?<!\w)#\w+"),
    ("money", r"(?:[$€£¥]\s?\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\s?(?:USD|EUR|GBP|dollars?|euros?))"),
    ("percent", r"\d+(?:\.\d+)?\s?%"),
    ("time", r"\b\d{1,2}:\d{2}(?::\d{2})?\s?(?:[AaPp][Mm])?\b|\b\d{1,2}\s?[AaPp][Mm]\b"),
    ("date", r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?(?:,? \d{4})?\b|\b\d{1,2}(?:st|nd|rd|th)? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*(?:,? \d{4})?\b"),
    ("number", r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w.])"),
]
_COMPILED = [(t, re.compile(p)) for t, p in PATTERNS]


def pattern_entities(text: str) -> list:
    taken, found = [], []
    for kind, rx in _COMPILED:
        for m in rx.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append({"value": m.group(0), "type": kind, "start": m.start(), "end": m.end()})
    return sorted(found, key=lambda e: e["start"])


class NerNode:
    def __init__(self, config: dict, ctx):
        self.backend = config.get("backend", "wink")
        self.types = set(config["types"]) if config.get("types") else None
        if self.backend == "onnx":
            folder = resolve_model_dir(config.get("model") or "", ctx)
            self.tokenizer = TextTokenizer(folder)
            self.session = open_session(model_file(folder, "model.onnx"), ctx)
            id2label = json.load(open(model_file(folder, "config.json"), encoding="utf-8")).get("id2label", {})
            self.labels = {int(k): v for k, v in id2label.items()}

    def model_entities(self, text: str) -> list:
        import numpy as np

        enc = self.tokenizer.tokenizer.encode(text)
        feed = {"input_ids": np.array([enc.ids], dtype=np.int64), "attention_mask": np.ones((1, len(enc.ids)), dtype=np.int64)}
        names = [m.name for m in self.session.get_inputs()]
        if "token_type_ids" in names:
            feed["token_type_ids"] = np.zeros((1, len(enc.ids)), dtype=np.int64)
        tags = np.argmax(self.session.run(None, feed)[0][0], axis=-1)
        spans, current = [], None
        for (start, end), tag in zip(enc.offsets, tags):
            label = self.labels.get(int(tag), "O")
            if end <= start or label == "O":
                current = None
                continue
            kind = label[2:] if label[:2] in ("B-", "I-") else label
            if current and current["type"] == kind and not label.startswith("B-"):
                current["end"] = end
            else:
                current = {"type": kind, "start": start, "end": end}
                spans.append(current)
        return [dict(s, value=text[s["start"] : s["end"]]) for s in spans]

    async def call(self, inputs: dict) -> dict:
        text = text_input(inputs)
        found = await in_thread(self.model_entities, text) if self.backend == "onnx" else pattern_entities(text)
        if self.types is not None:
            found = [e for e in found if e["type"] in self.types]
        return {"entities": found}
`,
};

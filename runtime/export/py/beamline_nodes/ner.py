"""onnx: a port of runtime/text/onnx-entities.ts (words tokenised one by one, first-token tags, BIO/BIOES
spans with mean softmax scores). wink: wink-nlp has no Python port, so this node finds wink's pattern types
(EMAIL, URL, MENTION, HASHTAG, MONEY, PERCENT, TIME, DATE, CARDINAL) with regular expressions."""

import json
import os
import re
import unicodedata

from .common import NodeConfigError, TextTokenizer, in_thread, model_file, open_session, resolve_model_dir, text_input, token_feed

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
# Earlier patterns win where spans overlap; type names are wink-nlp's.
PATTERNS = [
    ("EMAIL", r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    ("URL", r"(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)]"),
    ("MENTION", r"(?<!\w)@\w+"),
    ("HASHTAG", r"(?<!\w)#\w+"),
    ("MONEY", r"(?:[$€£¥]\s?\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\s?(?:USD|EUR|GBP|dollars?|euros?))"),
    ("PERCENT", r"\d+(?:\.\d+)?\s?(?:%|percent\b)"),
    ("TIME", r"\b\d{1,2}:\d{2}(?::\d{2})?\s?(?:[AaPp]\.?[Mm]\.?)?|\b\d{1,2}\s?[AaPp]\.?[Mm]\b\.?"),
    ("DATE", r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b" + _MONTH + r" \d{1,2}(?:st|nd|rd|th)?(?:,? \d{4})?\b|\b\d{1,2}(?:st|nd|rd|th)? " + _MONTH + r"(?:,? \d{4})?\b"),
    ("CARDINAL", r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w.])"),
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


def _wordish(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNM"


def split_words(text: str) -> list:
    """Runs of letters, digits and marks, or one other visible character, as a BERT pre-tokeniser sees them."""
    out, i = [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif _wordish(text[i]):
            j = i
            while j < len(text) and _wordish(text[j]):
                j += 1
            out.append((i, j))
            i = j
        else:
            out.append((i, i + 1))
            i += 1
    return out


def _parse_tag(tag: str) -> tuple:
    if tag in ("O", ""):
        return "O", ""
    m = re.match(r"^([BIES])[-_](.+)$", tag)
    if not m:
        return "B", tag
    return ("I" if m.group(1) in ("I", "E") else "B"), m.group(2)


def bio_spans(text: str, words: list, tags: list, scores: list) -> list:
    out, open_ = [], None

    def close():
        nonlocal open_
        if open_:
            start, end = words[open_["from"]][0], words[open_["to"]][1]
            out.append({"value": text[start:end], "type": open_["type"], "start": start, "end": end, "score": round(open_["score"] / open_["n"] * 1e4) / 1e4})
            open_ = None

    for i, tag in enumerate(tags):
        pos, kind = _parse_tag(tag)
        if pos == "O":
            close()
        elif pos == "I" and open_ and open_["type"] == kind and open_["to"] == i - 1:
            open_.update(to=i, score=open_["score"] + scores[i], n=open_["n"] + 1)
        else:
            close()
            open_ = {"type": kind, "from": i, "to": i, "score": scores[i], "n": 1}
    close()
    return out


class TokenClassifier:
    def __init__(self, model: str, ctx, max_length: int = 512):
        folder = resolve_model_dir(model, ctx)
        cfg = os.path.join(folder, "config.json")
        id2label = json.load(open(cfg, encoding="utf-8")).get("id2label") if os.path.exists(cfg) else None
        if not id2label:
            raise NodeConfigError(f"config.model: {folder} has no config.json with id2label")
        self.labels = {int(k): v for k, v in id2label.items()}
        self.tok = TextTokenizer(folder)
        self.session = open_session(model_file(folder, "model.onnx"), ctx)
        self.max_length = max_length
        full = self.tok.tokenizer.encode("a").ids
        plain = self.tok.tokenizer.encode("a", add_special_tokens=False).ids
        at = full.index(plain[0]) if plain and plain[0] in full else 0
        self.prefix, self.suffix = list(full[:at]), list(full[at + len(plain) :])

    def entities(self, text: str) -> list:
        import numpy as np

        ids, first, kept = list(self.prefix), [], []
        for w in split_words(text):
            pieces = self.tok.tokenizer.encode(text[w[0] : w[1]], add_special_tokens=False).ids
            if not pieces:
                continue
            if len(ids) + len(pieces) + len(self.suffix) > self.max_length:
                break
            first.append(len(ids))
            kept.append(w)
            ids.extend(pieces)
        ids.extend(self.suffix)
        arr = np.array([ids], dtype=np.int64)
        batch = {"ids": arr, "mask": np.ones_like(arr), "type_ids": np.zeros_like(arr)}
        logits = self.session.run(None, token_feed(self.session, batch))[0][0]
        tags, scores = [], []
        for t in first:
            row = logits[t]
            best = int(np.argmax(row))
            tags.append(self.labels.get(best, "O"))
            scores.append(float(1 / np.exp(row - row[best]).sum()))  # softmax of the chosen tag
        return bio_spans(text, kept, tags, scores)


def utf16_offsets(text: str, entities: list) -> list:
    """Offsets in UTF-16 units, as JavaScript strings count them, so they match the TypeScript node past an emoji."""
    if text.isascii():
        return entities
    at = lambda i: len(text[:i].encode("utf-16-le")) // 2  # noqa: E731
    return [dict(e, start=at(e["start"]), end=at(e["end"])) for e in entities]


class NerNode:
    def __init__(self, config: dict, ctx):
        self.backend = config.get("backend", "wink")
        self.keep = {t.upper() for t in config["types"]} if config.get("types") else None
        if self.backend == "onnx":
            if not config.get("model"):
                raise NodeConfigError("config.model: the onnx backend needs a token-classification model folder (model.onnx, tokenizer.json, config.json)")
            self.tagger = TokenClassifier(config["model"], ctx)

    async def call(self, inputs: dict) -> dict:
        text = text_input(inputs)
        found = await in_thread(self.tagger.entities, text) if self.backend == "onnx" else pattern_entities(text)
        if self.keep is not None:
            found = [e for e in found if e["type"].upper() in self.keep]
        return {"entities": utf16_offsets(text, found)}

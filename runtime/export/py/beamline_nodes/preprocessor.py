"""A line-for-line port of runtime/text/normalize.ts and runtime/text/chunk.ts."""

import re
import unicodedata

from .common import text_input

ABBREVIATIONS = {"e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "inc", "ltd", "no", "fig", "approx", "cf"}
_PARAGRAPH = re.compile(r"\S(?:[^\n]|\n(?![ \t]*\n))*")
_SENTENCE_END = re.compile(r"([.!?]+[\"')\]]*)(\s+)|\n\s*")
_ABBREVIATION = re.compile(r"([A-Za-z.]+)\.$")


def normalize_text(text: str, form: str = "NFKC", lowercase: bool = False, collapse: bool = True) -> str:
    out = text
    if form != "none":
        out = unicodedata.normalize(form, out)
    if lowercase:
        out = out.lower()
    if collapse:
        out = re.sub(r"\s+", " ", out).strip()
    return out


def _trim(text: str, start: int, end: int) -> tuple:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def paragraph_spans(text: str) -> list:
    spans = [_trim(text, m.start(), m.end()) for m in _PARAGRAPH.finditer(text)]
    return [s for s in spans if s[1] > s[0]]


def _is_abbreviation(text: str, start: int, end: int) -> bool:
    if text[end - 1] != ".":
        return False
    word = _ABBREVIATION.search(text[start:end])
    return bool(word) and word.group(1).lower() in ABBREVIATIONS


def sentence_spans(text: str) -> list:
    spans = []
    for p_start, p_end in paragraph_spans(text):
        start = p_start
        for m in _SENTENCE_END.finditer(text[p_start:p_end]):
            end = p_start + m.start() + len(m.group(1) or "")
            if m.group(1) and _is_abbreviation(text, start, end):
                continue
            if end > start:
                spans.append(_trim(text, start, end))
            start = p_start + m.end()
        if p_end > start:
            spans.append(_trim(text, start, p_end))
    return [s for s in spans if s[1] > s[0]]


def _split_long(text: str, unit: tuple, size: int, overlap: int) -> list:
    out = []
    start, unit_end = unit
    while start < unit_end:
        end = min(unit_end, start + size)
        if end < unit_end:
            space = text.rfind(" ", 0, end + 1)
            if space > start + size / 2:
                end = space
        out.append(_trim(text, start, end))
        if end >= unit_end:
            break
        nxt = max(end - overlap, start + 1)
        space = text.find(" ", nxt)
        if overlap > 0 and space != -1 and space < end:
            nxt = space + 1
        start = nxt
    return [s for s in out if s[1] > s[0]]


def chunk_spans(text: str, mode: str, size: int, overlap: int) -> list:
    whole = _trim(text, 0, len(text))
    if whole[1] == whole[0]:
        return []
    if mode == "none":
        return [whole]
    units = []
    for u in sentence_spans(text) if mode == "sentence" else paragraph_spans(text):
        units.extend(_split_long(text, u, size, overlap) if u[1] - u[0] > size else [u])
    chunks = []
    first = 0
    while first < len(units):
        last = first
        while last + 1 < len(units) and units[last + 1][1] - units[first][0] <= size:
            last += 1
        chunks.append((units[first][0], units[last][1]))
        if last + 1 >= len(units):
            break
        nxt = last + 1
        while nxt - 1 > first and units[last][1] - units[nxt - 1][0] <= overlap and units[last + 1][1] - units[nxt - 1][0] <= size:
            nxt -= 1
        first = nxt
    return chunks


class PreprocessorNode:
    def __init__(self, config: dict, ctx):
        self.form = config.get("normalize", "NFKC")
        self.lowercase = config.get("lowercase", False)
        self.collapse = config.get("collapseWhitespace", True)
        self.chunking = config.get("chunking", "none")
        self.size = config.get("chunkSize", 512)
        self.overlap = config.get("chunkOverlap", 64)
        if self.chunking != "none" and self.overlap >= self.size:
            raise ValueError(f"config.chunkOverlap ({self.overlap}) must be below config.chunkSize ({self.size})")

    async def call(self, inputs: dict) -> dict:
        # Chunk before collapsing whitespace: blank lines are the paragraph boundaries.
        base = normalize_text(text_input(inputs), self.form, self.lowercase, collapse=False)
        tidy = (lambda t: normalize_text(t, "none", False, True)) if self.collapse else (lambda t: t)
        chunks = [tidy(base[s:e]) for s, e in chunk_spans(base, self.chunking, self.size, self.overlap)]
        return {"text": tidy(base), "chunks": chunks}

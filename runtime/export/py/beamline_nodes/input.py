"""Runs inline in the ingress: splits the request body into typed fields (runtime/dataplane/inline/input-fields.ts).

The size bounds' defaults are the catalog's INPUT_LIMIT_DEFAULTS (shared/catalog/input.ts); a test keeps them equal."""

import math

from .common import NodeInputError


def _num_array(v) -> bool:
    return isinstance(v, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v)


# What a request field of each port type must hold, as runtime/dataplane/inline/input-fields.ts checks it.
CHECKS = {
    "any": (lambda v: True, "any value"),
    "json": (lambda v: True, "any JSON value"),
    "text": (lambda v: isinstance(v, str), "a string"),
    "label": (lambda v: isinstance(v, str), "a string"),
    "texts": (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "an array of strings"),
    "vector": (_num_array, "an array of numbers"),
    "vectors": (lambda v: isinstance(v, list) and all(_num_array(x) for x in v), "an array of arrays of numbers"),
    "documents": (lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v), "an array of objects"),
    "entities": (lambda v: isinstance(v, list), "an array"),
    "image": (lambda v: isinstance(v, str) and len(v) > 0, "a base64 string or data URL"),
}


def _kind_of(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, bool):
        return "a boolean"
    return "a number" if isinstance(v, (int, float)) else "a string"


def _utf16_len(s: str) -> int:
    # Characters as JavaScript counts them (UTF-16 code units), so the bounds match the runtime's.
    return len(s.encode("utf-16-le")) // 2


ARRAY_TYPES = ("texts", "vector", "vectors", "documents", "entities")


def _path(name: str) -> str:
    import re

    return f"$.{name}" if re.match(r"^[A-Za-z_$][A-Za-z0-9_$]*$", name) else f"$[{name!r}]".replace("'", '"')


class InputNode:
    def __init__(self, config: dict, ctx):
        self.fields = config.get("fields", {"query": "text"})
        self.max_text = config.get("maxTextChars", 100000)
        self.max_total = config.get("maxTotalChars", 1000000)
        self.max_items = config.get("maxItems", 10000)

    def _over(self, name: str, port_type: str, v):
        # Size bounds as runtime/dataplane/inline/input-fields.ts applies them; image pixels are left to the OCR node's decoder.
        if port_type in ("text", "label"):
            n = _utf16_len(v)
            return f'field "{name}" is {n} characters, the limit is {self.max_text} (maxTextChars)' if n > self.max_text else None
        if port_type in ARRAY_TYPES:
            if len(v) > self.max_items:
                return f'field "{name}" has {len(v)} items, the limit is {self.max_items} (maxItems)'
            if port_type == "texts":
                total = sum(_utf16_len(s) for s in v)
                if total > self.max_total:
                    return f'field "{name}" holds {total} characters in all, the limit is {self.max_total} (maxTotalChars)'
        return None

    async def call(self, inputs: dict) -> dict:
        body = inputs.get("body")
        if not isinstance(body, dict):
            names = ", ".join(f'"{n}" ({t})' for n, t in self.fields.items())
            raise NodeInputError(f"bad input at $: the request body must be a JSON object with {'fields ' + names if names else 'any fields'}", "$")
        out = {"body": body}
        for name, port_type in self.fields.items():
            ok, want = CHECKS.get(port_type, CHECKS["any"])
            path = _path(name)
            if name not in body:
                raise NodeInputError(f'bad input at {path}: missing field "{name}" ({port_type}: {want})', path)
            if not ok(body[name]):
                raise NodeInputError(f'bad input at {path}: field "{name}" must be {want} ({port_type}), got {_kind_of(body[name])}', path)
            over = self._over(name, port_type, body[name])
            if over:
                raise NodeInputError(f"input too large at {path}: {over}", path)
            out[name] = body[name]
        return out

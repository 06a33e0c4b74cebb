import type { ExportTemplate } from './export-template.js';

/** Runs inline in the ingress: splits the request body into typed fields. */
export const inputExport: ExportTemplate = {
  kind: 'input',
  module: 'input',
  className: 'InputNode',
  requirements: [],
  source: String.raw`import math

from .common import NodeInputError


def _num_array(v) -> bool:
    return isinstance(v, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v)


# What a request field of each port type must hold, as runtime/inline/input-fields.ts checks it.
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


def _path(name: str) -> str:
    import re

    return f"$.{name}" if re.match(r"^[A-Za-z_$][A-Za-z0-9_$]*$", name) else f"$[{name!r}]".replace("'", '"')


class InputNode:
    def __init__(self, config: dict, ctx):
        self.fields = config.get("fields", {"query": "text"})

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
            out[name] = body[name]
        return out
`,
};

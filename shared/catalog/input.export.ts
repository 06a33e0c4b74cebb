import type { ExportTemplate } from './export-template.js';

/** Runs inline in the ingress: splits the request body into typed fields. */
export const inputExport: ExportTemplate = {
  kind: 'input',
  module: 'input',
  className: 'InputNode',
  requirements: [],
  source: String.raw`from .common import NodeInputError

_NUMBER = (int, float)


def _is_vector(v) -> bool:
    return isinstance(v, list) and all(isinstance(x, _NUMBER) and not isinstance(x, bool) for x in v)


# One check per port type, as in the TypeScript input node.
CHECKS = {
    "any": lambda v: True,
    "json": lambda v: True,
    "text": lambda v: isinstance(v, str),
    "label": lambda v: isinstance(v, str),
    "image": lambda v: isinstance(v, str),
    "texts": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "vector": _is_vector,
    "vectors": lambda v: isinstance(v, list) and all(_is_vector(x) for x in v),
    "documents": lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
    "entities": lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
}


class InputNode:
    def __init__(self, config: dict, ctx):
        self.fields = config.get("fields", {"query": "text"})

    async def call(self, inputs: dict) -> dict:
        body = inputs.get("body")
        if not isinstance(body, dict):
            raise NodeInputError("the request body must be a JSON object", "$")
        out = {"body": body}
        for name, port_type in self.fields.items():
            if name not in body:
                raise NodeInputError(f'the request body has no "{name}" field ({port_type})', f"$.{name}")
            if not CHECKS.get(port_type, CHECKS["any"])(body[name]):
                raise NodeInputError(f'field "{name}" must be {port_type}', f"$.{name}")
            out[name] = body[name]
        return out
`,
};

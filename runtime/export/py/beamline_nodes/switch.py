"""Runs inline in the ingress: passes its input on the first matching case port (runtime/dataplane/inline)."""

_MISSING = object()


def _get(value, path: str):
    """A dotted path (result.label, items.0) as runtime/dataplane/inline/switch-condition.ts reads it."""
    if not path:
        return value
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def _same(a, b) -> bool:
    # JavaScript ===: True is not 1, and 1 equals 1.0.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


class SwitchNode:
    def __init__(self, config: dict, ctx):
        self.path = config.get("path", "")
        self.cases = config.get("cases", [])

    async def call(self, inputs: dict) -> dict:
        value = inputs.get("in")
        picked = _get(value, self.path)
        for case in self.cases:
            if picked is not _MISSING and _same(picked, case["equals"]):
                return {case["port"]: value}
        return {"default": value}

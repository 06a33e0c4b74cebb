"""Runs inline in the ingress: one value, or a join keyed by source node id (runtime/dataplane/inline)."""


class OutputNode:
    incoming = 1  # edges into the node; the ingress sets it

    def __init__(self, config: dict, ctx):
        pass

    async def call(self, inputs: dict) -> dict:
        # inputs["in"] is keyed by source node id (a multiple port); branches not taken are absent.
        values = inputs.get("in")
        if self.incoming == 1:
            return {"value": None if values is None else next(iter(values.values()), None)}
        return {"value": values}

import type { ExportTemplate } from './export-template.js';

/** Runs inline in the ingress: one value, or a join keyed by source node id. */
export const outputExport: ExportTemplate = {
  kind: 'output',
  module: 'output',
  className: 'OutputNode',
  requirements: [],
  source: String.raw`class OutputNode:
    def __init__(self, config: dict, ctx):
        pass

    async def call(self, inputs: dict) -> dict:
        # inputs["in"] is keyed by source node id (a multiple port); branches not taken are absent.
        values = inputs.get("in", {})
        if len(values) == 1:
            return {"value": next(iter(values.values()))}
        return {"value": dict(values)}
`,
};

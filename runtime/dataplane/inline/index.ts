import type { PlanNode } from '../../../shared/plan.js';
import type { PortType } from '../../../shared/ports.js';
import { RequestError } from '../errors.js';
import type { RequestHeaders } from '../executor.js';
import type { NodeInputs, NodeOutputs } from '../../nodes/types.js';
import { checkInputFields, type InputLimits } from './input-fields.js';
import { chooseBranch, type SwitchCase } from './switch-condition.js';

export { countSplit, splitBranches, splitNode } from './split.js';

/**
 * The implementations of kinds the catalog marks `runsIn: 'executor'`: routing glue
 * that runs inline in the request, no replica. runtime/kinds.ts gives each its kind,
 * so the executor never names one.
 */
export type InlineNode = (node: PlanNode, inputs: NodeInputs, body: unknown, headers?: RequestHeaders) => NodeOutputs;

export const inputNode: InlineNode = (node, _inputs, body) => {
  const fields = (node.config.fields ?? {}) as Record<string, PortType>;
  // The config was parsed at deploy, so its bounds hold their defaults when the graph set none.
  const problem = checkInputFields(body, fields, node.config as unknown as InputLimits);
  if (problem) {
    if (problem.tooLarge) throw new RequestError(413, `input too large at ${problem.path}: ${problem.message}`, { node: node.id, path: problem.path, code: 'field_too_large' });
    throw new RequestError(400, `bad input at ${problem.path}: ${problem.message}`, { node: node.id, path: problem.path, code: 'bad_input' });
  }
  const rec = body as Record<string, unknown>;
  const out: NodeOutputs = { body };
  for (const name of Object.keys(fields)) out[name] = rec[name];
  return out;
};

export const outputNode: InlineNode = (node, inputs) => {
  // One edge in: that value. Several (a join): a record keyed by source node, taken branches only.
  const v = inputs.in as Record<string, unknown> | undefined;
  if (node.incoming.length === 1) return { value: v === undefined ? undefined : Object.values(v)[0] };
  return { value: v };
};

export const switchNode: InlineNode = (node, inputs) => {
  const port = chooseBranch(inputs.in, String(node.config.path ?? ''), (node.config.cases ?? []) as SwitchCase[]);
  return { [port]: inputs.in };
};

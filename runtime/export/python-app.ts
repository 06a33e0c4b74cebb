import type { ExportTemplate } from './templates.js';
import type { Plan } from '../../shared/plan.js';
import { argName, pyStr, pyValue } from './naming.js';
import { ingressSettings, nodeSettings } from './settings.js';

export interface AppNames {
  ingress: string;
  classes: Map<string, string>;
}

/**
 * beamline_app.py: one @serve.deployment class per replica-backed node, an
 * ingress whose run() starts one task per node (each waits only for the nodes
 * it reads from, as Beamline's executor does, so a fast branch never waits for
 * a slow one), and `app`, the .bind() composition.
 */
export function pythonApp(plan: Plan, templates: ReadonlyMap<string, ExportTemplate>, names: AppNames): string {
  const replicaIds = plan.order.filter((id) => plan.nodes[id].runsIn === 'replica');
  const inlineIds = plan.order.filter((id) => plan.nodes[id].runsIn === 'executor');
  const kinds = [...new Set(plan.order.map((id) => plan.nodes[id].kind))];
  const imports = kinds.map((k) => templates.get(k)!).map((t) => `from beamline_nodes.${t.module} import ${t.className}`);
  const edges = plan.order.flatMap((id) => plan.nodes[id].incoming).map((e) => `    (${pyStr(e.source)}, ${pyStr(e.sourceHandle)}, ${pyStr(e.target)}, ${pyStr(e.targetHandle)}),`);
  const ports: Record<string, [string, boolean, boolean][]> = {};
  for (const id of plan.order) {
    if (plan.nodes[id].inputs.length) ports[id] = plan.nodes[id].inputs.map((p) => [p.name, !!p.required, !!p.multiple]);
  }

  const batched = replicaIds.some((id) => plan.nodes[id].deployment.batching);
  const multiplexed = replicaIds.filter((id) => plan.nodes[id].deployment.multiplex);
  const muxBatched = multiplexed.some((id) => plan.nodes[id].deployment.batching);
  const out: string[] = [];
  out.push(`"""Ray Serve application for the Beamline graph ${pyStr(plan.name)}.

Written by \`beamline export\`; change the graph and export again rather than editing this file.
Deployment options (replicas, autoscaling, resources) live in the Serve config; each
deployment's user_config["beamline"] holds its node settings and may be edited there too.
"""
from ray import serve
from ray.serve.handle import DeploymentHandle

from beamline_nodes.runner import GraphIngress, GraphRun${replicaIds.length ? ', NodeDeployment' : ''}${batched ? ', raise_if_error' : ''}
${multiplexed.length ? `from beamline_nodes.multiplex import ${muxBatched ? 'batch_by_model, ' : ''}load_model\n` : ''}${imports.join('\n')}

GRAPH = ${pyStr(plan.name)}

# The graph's edges: (source node, output port, target node, input port).
EDGES = [
${edges.join('\n')}
]
`);

  for (const id of replicaIds) {
    const n = plan.nodes[id];
    const t = templates.get(n.kind)!;
    const cls = names.classes.get(id)!;
    const b = n.deployment.batching;
    out.push(`
@serve.deployment(name=${pyStr(id)})
class ${cls}(NodeDeployment):
    """${n.kind} node ${pyStr(id).slice(1, -1)}${n.label ? ` (${n.label.replace(/["\\]/g, '')})` : ''}."""

    graph = GRAPH
    node_id = ${pyStr(id)}
    node_class = ${t.className}
    defaults = ${pyValue(nodeSettings(plan, id), '    ')}

`);
    const m = n.deployment.multiplex;
    if (m) {
      // Ray's model multiplexing: get_model keeps max_num_models_per_replica models (LRU) and the
      // handle call's multiplexed_model_id routes to a replica holding the model.
      out.push(`    multiplex_field = ${pyStr(n.multiplexField ?? 'model')}

    @serve.multiplexed(max_num_models_per_replica=${m.maxModelsPerReplica})
    async def get_model(self, model_id: str):
        return load_model(self, model_id)

`);
      out.push(
        b
          ? `    @serve.batch(max_batch_size=${b.maxBatchSize}, batch_wait_timeout_s=${b.batchWaitTimeoutMs / 1000})
    async def batched(self, items: list) -> list:
        return await batch_by_model(items)

    async def call(self, inputs: dict) -> dict:
        node = await self.get_model(serve.get_multiplexed_model_id())
        return raise_if_error(await self.batched((node, inputs)))
`
          : `    async def call(self, inputs: dict) -> dict:
        node = await self.get_model(serve.get_multiplexed_model_id())
        return await node.call(inputs)
`,
      );
    } else if (b) {
      out.push(`    @serve.batch(max_batch_size=${b.maxBatchSize}, batch_wait_timeout_s=${b.batchWaitTimeoutMs / 1000})
    async def batched(self, items: list) -> list:
        return await self.node.batch(items)

    async def call(self, inputs: dict) -> dict:
        return raise_if_error(await self.batched(inputs))
`);
    } else {
      out.push(`    async def call(self, inputs: dict) -> dict:
        return await self.node.call(inputs)
`);
    }
  }

  // The ingress: its run() is the graph's shape.
  const handleArgs = replicaIds.map((id) => `${argName(id)}: DeploymentHandle`);
  // plan.order is topological, so every upstream task exists when a node's task is started.
  const body = plan.order.map((id) => {
    const n = plan.nodes[id];
    const step = n.runsIn === 'executor' ? 'run.inline' : 'run.call';
    return `        run.start(${[pyStr(id), step, ...n.upstream.map(pyStr)].join(', ')})`;
  });
  body.push('        await run.finish()');
  out.push(`
@serve.deployment(name=${pyStr(names.ingress)})
class ${names.ingress}(GraphIngress):
    """HTTP entry of ${pyStr(plan.name).slice(1, -1)}: POST ${plan.routePrefix} with a JSON body."""

    graph = GRAPH
    input_node = ${pyStr(plan.inputNode)}
    output_nodes = ${pyValue(plan.outputNodes, '    ')}
    multiple_outputs = ${plan.multipleOutputs ? 'True' : 'False'}
    edges = EDGES
    # Input ports per node: (name, required, multiple).
    input_ports = ${pyValue(ports, '    ')}
    inline_classes = {${inlineIds.map((id) => `${pyStr(id)}: ${templates.get(plan.nodes[id].kind)!.className}`).join(', ')}}
    defaults = ${pyValue(ingressSettings(plan), '    ')}

    def __init__(self${handleArgs.map((a) => `, ${a}`).join('')}):
        super().__init__({${replicaIds.map((id) => `${pyStr(id)}: ${argName(id)}`).join(', ')}})

    async def run(self, run: GraphRun) -> None:
        # One task per node: run.start(node, step, *upstream) runs step(node) once its upstream nodes are done.
${body.join('\n')}


app = ${names.ingress}.bind(${replicaIds.map((id) => `${argName(id)}=${names.classes.get(id)}.bind()`).join(', ')})
`);
  return out.join('');
}

import { z } from 'zod';
import { defineKind } from './types.js';

/**
 * A deployment of someone's Ray Serve application, by import path: what
 * `beamline import` makes of each deployment it cannot map to a Beamline kind.
 * Its `deployment` settings (replicas, autoscaling, resources, queues, health
 * checks) are edited like any node's and `beamline export` writes them back into
 * the Serve config over `options`, the Ray options as imported. Beamline cannot
 * run the Python behind it, so `beamline serve` refuses it; edges only draw who
 * calls whom (A -> B: A holds a handle to B).
 */
export const rayDeployment = defineKind({
  kind: 'ray-deployment',
  title: 'Ray Serve deployment',
  category: 'custom',
  description: 'A deployment of your own Ray Serve application, by import path; exported back with its settings, not run by Beamline.',
  docs: 'Imported from a Serve config or RayService. Edit replicas, autoscaling and resources in the deployment settings; `beamline export` writes them into the Serve config over `options`, the Ray options as they were imported. Without `deployment`, the node stands for the whole application (its ingress and whatever it binds). Every Ray deployment node of a graph belongs to one application, so they share `importPath` and `args`.',
  runsIn: 'replica',
  config: z
    .object({
      importPath: z.string().min(1).max(500).describe('The application\'s import_path as written (module:attribute or module.attribute).'),
      deployment: z.string().min(1).max(200).optional().describe('Name of the deployment in that application; unset, the node stands for the whole application.'),
      args: z.record(z.string(), z.unknown()).optional().describe('The application\'s args (passed to its application builder).'),
      options: z
        .record(z.string(), z.unknown())
        .default({})
        .describe("The deployment's Ray Serve options as imported (snake_case, seconds); the node's deployment settings are written over them where they differ."),
    })
    .strict(),
  gpuUse: () => undefined,
  inputs: [{ name: 'in', type: 'any', required: true, description: 'A call from the request or from the deployment holding a handle to this one.' }],
  outputs: [{ name: 'out', type: 'any', description: 'What the deployment answers.' }],
});

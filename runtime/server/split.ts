import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import type { CompileErrorResponse } from '../../shared/protocol.js';
import type { PersistentDeployer } from '../controlplane/persistence.js';
import { invalidRequest, NameParam } from './validation.js';

/** PUT /api/graphs/:name/nodes/:node/weights: a running split's weights, changed without a redeploy. */

const Params = NameParam.extend({ node: z.string().min(1).max(200) });
// Each weight is checked against the node's branches by the deployer, so its error names the port ($.weights.b).
const WeightsBody = z.object({ weights: z.record(z.string(), z.unknown()).describe('Branch port -> weight (>= 0); branches not named keep theirs.') }).strict();

export interface SplitWeightsResponse {
  name: string;
  node: string;
  /** The version recorded with these weights, now serving. */
  version: number;
  /** The version that served before. */
  from: number;
  branches: { port: string; weight: number; taken: number }[];
}

export function splitRoutes(deployer: PersistentDeployer): Hono {
  const app = new Hono();
  app.put('/api/graphs/:name/nodes/:node/weights', zValidator('param', Params, invalidRequest('graph or node name')), zValidator('json', WeightsBody, invalidRequest('weights')), async (c) => {
    const { name, node } = c.req.valid('param');
    const r = await deployer.setSplitWeights(name, node, c.req.valid('json').weights);
    if (!r.ok) {
      const first = r.errors[0];
      return c.json({ error: r.error, errors: r.errors, ...(first?.node ? { node: first.node } : {}), ...(first ? { path: first.path } : {}) } satisfies CompileErrorResponse & { node?: string; path?: string }, r.status);
    }
    const branches = r.deployment.status().nodes[node]?.split?.branches ?? [];
    return c.json({ name, node, version: r.version, from: r.from, branches } satisfies SplitWeightsResponse);
  });
  return app;
}

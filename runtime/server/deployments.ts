import { Hono } from 'hono';
import type { DeployPreview, DeploymentsResponse, GraphListResponse } from '../../shared/protocol.js';
import { type ListSources, listDeployments, listGraphs } from '../controlplane/deployments/list.js';
import { type PreviewSources, previewDeploy } from '../controlplane/deployments/preview.js';
import type { RequestRates } from '../controlplane/deployments/summary.js';
import { invalidJson } from '../dataplane/errors.js';

/** GET /api/graphs (DEPLOYING included), GET /api/deployments, POST /api/graphs/preview. */
export function deploymentRoutes(s: ListSources & PreviewSources & { rates: RequestRates }): Hono {
  const app = new Hono();
  app.get('/api/graphs', (c) => c.json({ graphs: listGraphs(s) } satisfies GraphListResponse));
  app.get('/api/deployments', async (c) => c.json({ deployments: await listDeployments(s, s.rates) } satisfies DeploymentsResponse));
  app.post('/api/graphs/preview', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch (e) {
      return c.json(invalidJson(e).body(), 400);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return c.json({ error: 'the body must be a graph document (a JSON object)', path: '$', code: 'invalid_document' }, 400);
    return c.json(previewDeploy(body, s) satisfies DeployPreview);
  });
  return app;
}

import { Hono } from 'hono';
import type { ReadyResponse } from '../../shared/protocol.js';
import type { DeployTracker } from '../controlplane/deployments/tracker.js';

/** GET /readyz: 200 once the graphs named at start are deployed, 503 naming those it waits for. /healthz stays liveness. */
export function readinessRoutes(tracker: DeployTracker): Hono {
  const app = new Hono();
  app.get('/readyz', (c) => {
    const waiting = tracker.waiting();
    if (waiting.length === 0) return c.json({ ready: true } satisfies ReadyResponse);
    return c.json({ ready: false, waiting } satisfies ReadyResponse, 503, { 'retry-after': '1' });
  });
  return app;
}

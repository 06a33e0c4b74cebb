import { Hono } from 'hono';
import type { Catalog } from '../../shared/catalog/index.js';
import { modelNeed } from '../models/check-plan.js';
import { formatReport } from '../models/format-report.js';
import { folderProblem, inspectFolder } from '../models/layout.js';
import { ModelConfigError, resolveModelDir } from '../models/resolve.js';
import { invalidJson } from '../dataplane/errors.js';

/**
 * POST /api/models/inspect {kind, config}: what the node would do with the model folder its
 * config names, as `beamline models inspect --kind` prints it and `validate` decides it
 * (the editor's inspector shows it when a model folder is chosen). Folders are resolved as a
 * deploy resolves them: builtin:<name> or a path inside the models directory.
 */
export function modelRoutes(o: { modelsDir: string; catalog: Catalog }): Hono {
  const app = new Hono();
  app.post('/api/models/inspect', async (c) => {
    let body: { kind?: unknown; config?: unknown };
    try {
      body = await c.req.json();
    } catch (e) {
      return c.json(invalidJson(e).body(), 400);
    }
    const kind = typeof body?.kind === 'string' ? o.catalog.get(body.kind) : undefined;
    if (!kind) return c.json({ error: `$.kind: unknown node kind ${JSON.stringify(body?.kind)}`, path: '$.kind', code: 'bad_request' }, 400);
    // Defaults filled as the compiler fills them; an invalid config is inspected as written.
    const parsed = kind.config.safeParse(body.config ?? {});
    const config = (parsed.success ? parsed.data : (body.config ?? {})) as Record<string, unknown>;
    const need = modelNeed({ kind: kind.kind, config });
    if (!need) return c.json({ model: null });
    let dir: string;
    try {
      dir = resolveModelDir(need.model, o.modelsDir);
    } catch (e) {
      if (e instanceof ModelConfigError) return c.json({ model: need.model, role: need.role, ok: false, problem: e.message.replace(/^config\.model: /, ''), text: e.message });
      throw e;
    }
    const report = inspectFolder(dir, [need.role], need.opts);
    const problem = folderProblem(report, need.role);
    return c.json({ model: need.model, role: need.role, ok: !problem, ...(problem ? { problem: problem.message, ...(problem.fix ? { fix: problem.fix } : {}) } : {}), text: formatReport(report), report });
  });
  return app;
}

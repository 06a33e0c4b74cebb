import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Multiplex } from '../../shared/deployment.js';
import { jsonPath } from '../../shared/errors.js';
import { MODEL_ID_PATTERN, MULTIPLEX_HEADER } from '../../shared/multiplex.js';
import { resolveInside } from '../security/inside.js';
import { RequestError } from './errors.js';
import { pickReplica } from './router.js';

/**
 * Model multiplexing on the request path (Ray Serve's @serve.multiplexed): which
 * model a request names, whether the node's models folder has it, and which
 * replica should serve it. The replica side (loading, LRU eviction) is
 * replicas/multiplexed.ts.
 */

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** Model ids found in one node's models folder, remembered so a known id costs no stat. */
const KNOWN_IDS = 4096;

/** One multiplexed node's models folder: answers the 404 for an id that names no model in it. */
export class ModelFolder {
  readonly dir: string;
  private readonly known = new Set<string>();

  constructor(
    modelsDir: string,
    readonly folder: string,
  ) {
    this.dir = resolve(modelsDir, folder);
  }

  /** The 404 for an id (already a valid name) with no model folder here; found ones are remembered, missing ones asked again next time (a model may be added). */
  missing(id: string, node: string, from: string): RequestError | undefined {
    if (this.known.has(id)) return undefined;
    // resolveInside follows a link, so a model folder that is a link out of the folder counts as missing.
    const dir = resolveInside(id, [this.dir]);
    if (dir !== undefined && isDir(dir)) {
      if (this.known.size < KNOWN_IDS) this.known.add(id);
      return undefined;
    }
    return new RequestError(404, `node ${node}: no model "${id}" (from ${from}) in models folder "${this.folder}"`, { node, code: 'unknown_model' });
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The model a request names for multiplexed node `node`: the serve_multiplexed_model_id
 * header first (Ray's), then the body field `idField`. Throws the 4xx to answer: 400 when
 * none is named or it is not a plain name (a path never reaches the disk), 404 when the
 * folder has no such model.
 */
export function requestModelId(m: Multiplex, headers: Headers | undefined, body: unknown, node: string, folder: ModelFolder): string {
  const h = headers?.[MULTIPLEX_HEADER];
  let id = Array.isArray(h) ? h[0] : h;
  let from = `the ${MULTIPLEX_HEADER} header`;
  let path: string | undefined;
  if ((id === undefined || id === '') && m.idField !== undefined && typeof body === 'object' && body !== null && Object.hasOwn(body, m.idField)) {
    const v = (body as Record<string, unknown>)[m.idField];
    path = jsonPath([m.idField]);
    from = `field ${path}`;
    if (typeof v !== 'string') throw new RequestError(400, `node ${node}: ${path} must be a model id (a string), got ${v === null ? 'null' : typeof v}`, { node, path, code: 'invalid_model_id' });
    id = v;
  }
  if (id === undefined || id === '') {
    const where = `the ${MULTIPLEX_HEADER} header${m.idField !== undefined ? ` or the body field ${jsonPath([m.idField])}` : ''}`;
    throw new RequestError(400, `node ${node} serves many models: name one in ${where}`, { node, code: 'missing_model_id', ...(m.idField !== undefined ? { path: jsonPath([m.idField]) } : {}) });
  }
  if (!MODEL_ID_PATTERN.test(id)) {
    const shown = JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id);
    throw new RequestError(400, `node ${node}: model id ${shown} from ${from} is not a model name (letters, digits, '.', '_' and '-', at most 128; never a path)`, {
      node,
      code: 'invalid_model_id',
      ...(path !== undefined ? { path } : {}),
    });
  }
  const missing = folder.missing(id, node, from);
  if (missing) throw missing;
  return id;
}

/** What model-aware routing reads of a replica. */
export interface ModelHolder {
  inFlight: number;
  /** Models the replica holds or is loading (its last report, plus calls sent since). */
  readonly models: ReadonlySet<string>;
}

/**
 * Model-aware routing (Ray Serve's for multiplexed deployments): among replicas with
 * room, the one holding `model` with the fewest calls in flight; else power of two
 * choices among those with a free model slot (no eviction), else among all. Pure.
 */
export function pickForModel<R extends ModelHolder>(candidates: readonly R[], model: string, limit: number, maxModels: number, random: () => number = Math.random): R | undefined {
  let best: R | undefined;
  let roomy = 0;
  for (const r of candidates) {
    if (r.inFlight >= limit) continue;
    if (r.models.has(model)) {
      if (!best || r.inFlight < best.inFlight) best = r;
    } else if (r.models.size < maxModels) roomy++;
  }
  if (best) return best;
  if (roomy > 0 && roomy < candidates.length) return pickReplica(candidates.filter((r) => r.inFlight < limit && r.models.size < maxModels), limit, random);
  return pickReplica(candidates, limit, random);
}

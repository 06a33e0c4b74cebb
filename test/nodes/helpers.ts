import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_MODELS_DIR } from '../../runtime/models/resolve.js';
import type { CallContext, NodeContext } from '../../runtime/nodes/types.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** The repository's own models (npm run build:models): tests need nothing outside the repository. */
export const MODELS = BUILTIN_MODELS_DIR;

export function nodeContext(kind: string, modelsDir = MODELS): NodeContext & { logs: string[] } {
  const logs: string[] = [];
  return {
    graph: 'test',
    node: kind,
    kind,
    replica: `${kind}-0`,
    dataDir: resolve(REPO, '.beamline', 'test-data'),
    modelsDir,
    device: { type: 'cpu' },
    log: (m) => logs.push(m),
    logs,
  };
}

export function callContext(onToken: (t: string) => void = () => {}, signal = new AbortController().signal): CallContext {
  return { requestId: 'r1', emitToken: onToken, signal };
}

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallContext, NodeContext } from '../../runtime/nodes/types.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** The read-only reference models beside the repository. */
export const SHARED_MODELS = resolve(REPO, '..', 'shared', 'models');

export function nodeContext(kind: string, modelsDir = SHARED_MODELS): NodeContext & { logs: string[] } {
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

// Worker thread entry: tsx's loader is registered per thread, so register it here
// before the TypeScript worker is imported (the main thread's hooks do not reach workers on Node 20).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');

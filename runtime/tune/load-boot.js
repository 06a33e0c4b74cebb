// Load thread entry: tsx's loader is registered per thread (the main thread's hooks do not reach
// workers on Node 20), then the TypeScript load worker is imported.
import { register } from 'tsx/esm/api';

register();
await import('./load-worker.ts');

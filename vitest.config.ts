import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Checks against models a clone does not have: `npm run test:extra` (test/extra/vitest.config.ts).
    exclude: [...configDefaults.exclude, 'test/extra/**'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: files run in parallel processes, but not more than the machine has.
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
});

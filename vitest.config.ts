import { defineConfig } from 'vitest/config';

// Two cores: integration and e2e suites start real daemons (pcscd, redis, chromium), so files run
// one at a time in a single fork to keep the machine responsive and ports free of collisions.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './scripts/test/summary-reporter.mjs'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

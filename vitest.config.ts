import { defineConfig } from 'vitest/config';

/** Unit files that run the built CLI or read the build's output: they run with the system tests. */
const NEEDS_BUILD = [
  'test/unit/scripts/cli/cli-verify.test.ts',
  'test/unit/scripts/cli/cli-sign.test.ts',
  'test/unit/extension/extension-bundles.test.ts',
];

// Two projects. `unit` (`npm run test:unit`): in-process, no build, files in parallel. `system`:
// build first, then integration and e2e suites that start real daemons (pcscd, redis, chromium), one
// file at a time in a single fork to keep two cores responsive and ports free of collisions; it runs
// after `unit` when both do (`npm test`).
export default defineConfig({
  test: {
    reporters: ['default', './scripts/test/summary-reporter.mjs'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          exclude: NEEDS_BUILD,
          globalSetup: ['test/cache-dir-setup.ts'],
          pool: 'forks',
          fileParallelism: true,
          // Every core (vitest's default leaves one idle, which on two cores is no parallelism at all).
          maxWorkers: '100%',
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'system',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', ...NEEDS_BUILD],
          globalSetup: ['test/global-setup.ts', 'test/cache-dir-setup.ts'],
          pool: 'forks',
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

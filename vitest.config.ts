import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    reporters: ['default', './test/setup/summary-reporter.ts'],
    globalSetup: ['test/setup/global.ts'],
    // Kernel tests share global kernel state (tracefs, bpffs, ids): keep files in one
    // process each but do not run more workers than the machine has cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

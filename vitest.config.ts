import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globals: false,
    // Makes the simulator's CA and trusts it process-wide (NODE_EXTRA_CA_CERTS) for every worker.
    globalSetup: ['tests/global-setup.ts'],
    // Integration and e2e suites start real processes (Azurite, simulator, host): forks, and at
    // most two files at a time on this 2-core machine.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Two workers match the two cores of the development and CI machines; integration test files each
    // use their own database, topics and consumer group, so they may run side by side.
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Builds the migrated template database every test file clones.
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});

import { defineConfig } from 'vitest/config';

/**
 * Test files that start no PostgreSQL and need none of the servers: their project has no server
 * setup, so `npx vitest run --project no-server` (or any run of these files alone) starts none.
 * A file listed here that asks for a server fails saying so (test/support/database.ts); a file
 * missing from the list only runs with the servers up.
 */
const NO_SERVER = [
  'test/build/vendor.test.ts',
  'test/cli/bin.test.ts',
  'test/cli/connection-cli.test.ts',
  'test/cli/error-codes.test.ts',
  'test/cli/lazy-commands.test.ts',
  'test/cli/render.test.ts',
  'test/client/retry.test.ts',
  'test/config/connection.test.ts',
  'test/doctor/evaluate.test.ts',
  'test/doctor/size.test.ts',
  'test/engine/boundaries.test.ts',
  'test/engine/files.test.ts',
  'test/engine/plan.test.ts',
  'test/failover/verdict-file.test.ts',
  'test/local/process-alive.test.ts',
  'test/schema/flatten-boolean.test.ts',
  'test/schema/lint.test.ts',
  'test/schema/text-diff.test.ts',
  'test/sql/statements.test.ts',
  'test/topology/topology.test.ts',
  'test/voip/credentials.test.ts',
];

const shared = { testTimeout: 120_000, hookTimeout: 120_000, pool: 'forks' as const };

export default defineConfig({
  test: {
    // Once per run, over every project: fails the run if a test rebuilt dist/.
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Two cores: the servers already run beside the workers.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { test: { name: 'no-server', include: NO_SERVER, ...shared } },
      {
        test: {
          name: 'servers',
          include: ['test/**/*.test.ts'],
          exclude: [...NO_SERVER, 'test/drill/**'],
          globalSetup: ['test/support/servers-setup.ts'],
          ...shared,
        },
      },
      {
        // The failover drill runs alone, once every other test has finished (groupOrder 1): its RTO
        // is a ratio to Keepalived's VIP move in the same run, which other tests' load would distort.
        // `npm run drill` runs only this project.
        test: {
          name: 'drill',
          include: ['test/drill/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          testTimeout: 900_000,
          hookTimeout: 300_000,
          pool: 'forks',
        },
      },
    ],
  },
});

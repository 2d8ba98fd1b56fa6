import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// Tests import workspace packages from source; the CLI and notebook tests run the built dist/.
export default defineConfig({
  resolve: {
    alias: {
      '@igpg/core': src('core'),
      '@igpg/architectures': src('architectures'),
      '@igpg/datasets': src('datasets'),
      '@igpg/kernel-plugin': src('kernel-plugin'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // IGPG_TEST_REPORT=<file> adds a JSON report (.ci/run prints its pass/fail counts).
    reporters: process.env.IGPG_TEST_REPORT ? ['default', 'json'] : ['default'],
    ...(process.env.IGPG_TEST_REPORT && { outputFile: { json: process.env.IGPG_TEST_REPORT } }),
  },
});

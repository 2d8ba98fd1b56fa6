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
    reporters: ['default'],
  },
});

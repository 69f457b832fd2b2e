import { defineConfig } from 'vitest/config';

// End-to-end tests: the built console (dist/) in Debian's chromium against a real
// `folio serve` (SQLite). Run `npm run build` and build Folio first.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});

import { defineConfig } from 'vitest/config';

// Unit tests: the API client, the conflict and calendar models, the generated entity types.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
  },
});

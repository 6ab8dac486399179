import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // kubectl kustomize takes a few seconds per overlay on a loaded machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

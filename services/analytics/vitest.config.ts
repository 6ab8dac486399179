import { defineConfig } from 'vitest/config';

// Integration tests (*.int.test.ts) start real nats-server and clickhouse-server processes.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

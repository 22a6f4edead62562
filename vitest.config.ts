import { defineConfig } from 'vitest/config';

/** The card bridge's tests share pcscd's two virtual readers: one file at a time, after the rest. */
const CARD_BRIDGE = ['tests/integration/bridge-*.test.ts'];

export default defineConfig({
  test: {
    setupFiles: ['tests/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'default', include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'], exclude: CARD_BRIDGE } },
      { extends: true, test: { name: 'card-bridge', include: CARD_BRIDGE, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
  resolve: { alias: { '@': new URL('.', import.meta.url).pathname } },
});

// One Vitest configuration for every suite: unit (tests/unit), integration (tests/integration,
// drives the real CLI and core) and the browser tests (tests/browser, Playwright + Chromium).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'tests/**/out/**'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // The browser suites build the app and start servers; keep files from fighting over ports/CPU.
    fileParallelism: false,
  },
});

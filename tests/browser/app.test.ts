// End to end: build the app, serve it with `vite preview`, open it in Chromium and watch the real
// CPU core + Machine boot the hello guest (public/guests/hello.elf) in the page's worker.
// Expects `npm run build:wasm` and `npm run build:guests` to have run (npm test does both first).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { OUT, ROOT, ensureOut, launchChromium, recordPageLog, requireFiles, startPreview, statusOf, viteBuild, waitForTerminal } from './harness';

describe('webpvh app in Chromium', () => {
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let url = '';
  let log: string[] = [];

  beforeAll(async () => {
    requireFiles([
      { path: 'build/core.wasm', hint: 'run `npm run build:wasm` first' },
      { path: 'public/guests/hello.elf', hint: 'run `npm run build:guests` first' },
    ]);
    viteBuild();
    ({ server, url } = await startPreview());
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    log = recordPageLog(page);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('copies the CPU core into dist/', () => {
    expect(readdirSync(join(ROOT, 'dist/assets')).some((f) => f.endsWith('.wasm'))).toBe(true);
  });

  it('boots the hello guest (#demo=hello) and shows its console and vCPUs', async () => {
    const p = page!;
    try {
      await bootAndCheck(p);
    } catch (err) {
      ensureOut();
      await p.screenshot({ path: join(OUT, 'booted-FAILED.png') }).catch(() => {});
      throw err;
    }
    ensureOut();
    await p.screenshot({ path: join(OUT, 'booted.png') });
  }, 120_000);

  async function bootAndCheck(p: Page): Promise<void> {
    await p.goto(url + '#demo=hello');
    expect(await p.evaluate(() => crossOriginIsolated)).toBe(true);

    const text = await waitForTerminal(p, 'hello from PVH', 90_000, log);
    expect(text).toContain('hello from PVH');

    // The panel is refreshed several times a second and gets a final snapshot at shutdown.
    await p.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="vcpu-row"]')].some((r) => BigInt(r.getAttribute('data-instructions') ?? '0') > 0n),
      null,
      { timeout: 10_000 },
    );
    const rows = await p.$$eval('[data-testid="vcpu-row"]', (rs) =>
      rs.map((r) => ({
        rip: r.querySelector('[data-testid="vcpu-rip"]')?.textContent ?? '',
        instructions: r.getAttribute('data-instructions') ?? '0',
      })),
    );
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows[0].rip).toMatch(/^0x[0-9a-f]{16}$/);
    expect(BigInt(rows[0].instructions)).toBeGreaterThan(0n);

    const status = await statusOf(p);
    expect(status.kind, `status: ${status.text}\n${log.join('\n')}`).not.toBe('error');
  }
});

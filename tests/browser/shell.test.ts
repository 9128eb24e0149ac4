// The page shell (worker protocol, terminal, vCPU panel, status line, Boot again, error display),
// built against tests/browser/fake/fake-machine.ts so it does not depend on the real core.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { join } from 'node:path';
import { OUT, ensureOut, launchChromium, recordPageLog, startPreview, statusOf, terminalText, viteBuild, waitForTerminal } from './harness';

const CONFIG = 'tests/browser/fake/vite.fake.config.ts';

describe('page shell (fake machine)', () => {
  let server: PreviewServer | undefined;
  let url = '';
  let browser: Browser | undefined;

  beforeAll(async () => {
    viteBuild(CONFIG);
    ({ server, url } = await startPreview(CONFIG));
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(query: string): Promise<{ page: Page; log: string[] }> {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
    const log = recordPageLog(page);
    await page.goto(url + query);
    return { page, log };
  }

  it('boots, echoes input, shows the shutdown reason and boots again', async () => {
    // the fake ignores the kernel's contents; any file that exists will do
    const { page, log } = await open('?kernel=guests/hello.elf&cmdline=console%3Dhvc0%20quiet');
    await waitForTerminal(page, 'hello from PVH (fake machine), cmdline "console=hvc0 quiet"', 30_000, log);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.waitForSelector('[data-testid="vcpu-row"]');
    ensureOut();
    await page.screenshot({ path: join(OUT, 'shell.png') });

    await page.click('[data-testid="console"]');
    await page.keyboard.type('abc');
    await waitForTerminal(page, '> abc', 10_000, log);

    await page.keyboard.type('q');
    await page.waitForSelector('[data-status="shutdown"]', { timeout: 10_000 });
    expect((await statusOf(page)).text).toContain('guest powered off');
    expect(await terminalText(page)).toContain('bye');

    await page.getByRole('button', { name: 'Boot again' }).click();
    await page.waitForSelector('[data-status="running"]', { timeout: 10_000 });
    const text = await waitForTerminal(page, 'hello from PVH', 10_000, log);
    expect(text).not.toContain('bye'); // the terminal was cleared
    await page.close();
  }, 60_000);

  it('shows a clear message when the kernel cannot be fetched', async () => {
    const { page } = await open('?kernel=guests/does-not-exist.elf');
    await page.waitForSelector('[data-status="error"]', { timeout: 20_000 });
    const status = await statusOf(page);
    expect(status.text).toMatch(/could not fetch the kernel .*does-not-exist\.elf.*HTTP 404/);
    expect(await page.getByRole('button', { name: 'Boot again' }).isVisible()).toBe(true);
    await page.close();
  }, 30_000);

  it('shows the BootError from Machine.create', async () => {
    const { page } = await open('?kernel=guests/hello.elf&cmdline=fail');
    await page.waitForSelector('[data-status="error"]', { timeout: 20_000 });
    expect((await statusOf(page)).text).toContain('cannot boot (kernel hello.elf): no PVH note in the kernel');
    await page.close();
  }, 30_000);

  it('notices a VM stuck inside one slice, and Restart still works', async () => {
    const { page, log } = await open('?kernel=guests/hello.elf&cmdline=hang');
    await waitForTerminal(page, 'hello from PVH', 20_000, log);
    await page.waitForSelector('[data-stalled]', { timeout: 15_000 });
    expect((await statusOf(page)).text).toMatch(/no response from the VM for \d+ s/);
    await page.getByRole('button', { name: 'Restart' }).click();
    await page.waitForSelector('[data-status="running"]:not([data-stalled])', { timeout: 10_000 });
    await page.close();
  }, 40_000);
});

// Shared helpers for the browser tests: build the app, serve it with `vite preview`, drive
// Debian's Chromium through playwright-core.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preview, type PreviewServer } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const OUT = join(ROOT, 'tests/browser/out');
export const CHROMIUM = process.env.WEBPVH_CHROMIUM ?? '/usr/bin/chromium';

export function requireFiles(files: { path: string; hint: string }[]): void {
  const missing = files.filter((f) => !existsSync(join(ROOT, f.path)));
  if (missing.length) {
    throw new Error(`missing build inputs:\n${missing.map((f) => `  ${f.path} (${f.hint})`).join('\n')}`);
  }
}

/** `vite build` with the given config file (relative to the repo root). */
export function viteBuild(configFile = 'vite.config.ts'): void {
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '-c', configFile, '--logLevel', 'warn'], {
      cwd: ROOT,
      stdio: 'pipe',
      env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
    });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(`vite build -c ${configFile} failed:\n${e.stderr?.toString() ?? ''}${e.stdout?.toString() ?? ''}${e.message}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

export async function startPreview(configFile = 'vite.config.ts'): Promise<{ server: PreviewServer; url: string }> {
  const port = await freePort();
  const server = await preview({
    root: ROOT,
    configFile: join(ROOT, configFile),
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  return { server, url: `http://127.0.0.1:${port}/` };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set WEBPVH_CHROMIUM`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/** Collects what the page logs, to explain a failure. */
export function recordPageLog(page: Page): string[] {
  const log: string[] = [];
  page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  page.on('requestfailed', (r) => log.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('worker', (w) => w.on('console', (m) => log.push(`[worker ${m.type()}] ${m.text()}`)));
  return log;
}

export const terminalText = (page: Page): Promise<string> => page.evaluate(() => window.__webpvhTerminalText?.() ?? '');
export const statusOf = (page: Page) =>
  page.evaluate(() => {
    const el = document.querySelector('[data-testid="status"]');
    const panel = document.querySelector<HTMLElement>('[data-testid="vcpu-panel"]');
    return { kind: el?.getAttribute('data-status') ?? '', text: el?.textContent ?? '', vcpus: panel?.innerText ?? '' };
  });

/**
 * Polls until the terminal contains `needle`. Fails early, with the page's status, terminal and
 * log, if the VM reports an error or stops without printing it.
 */
export async function waitForTerminal(page: Page, needle: string, timeoutMs: number, log: string[]): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await terminalText(page);
    if (text.includes(needle)) return text;
    const status = await statusOf(page);
    const stopped = status.kind === 'error' || status.kind === 'shutdown';
    if (stopped || Date.now() > deadline) {
      throw new Error(
        `terminal never showed ${JSON.stringify(needle)} (${stopped ? 'VM stopped' : 'timed out'})\n` +
          `status: [${status.kind}] ${status.text}\nvCPU panel:\n${status.vcpus}\nterminal:\n${text}\npage log:\n${log.join('\n')}`,
      );
    }
    await page.waitForTimeout(200);
  }
}

export function ensureOut(): void {
  mkdirSync(OUT, { recursive: true });
}

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
    if (stopped) {
      // xterm.js parses writes asynchronously: the last output may land after the status changed.
      await page.waitForTimeout(500);
      const last = await terminalText(page);
      if (last.includes(needle)) return last;
    }
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

/**
 * A synthetic drag-and-drop: File objects made in the page from the given bytes, put in a
 * DataTransfer and dropped on the page body (dragenter, dragover, drop), as a user's drop would be.
 */
export async function dropFiles(page: Page, files: { name: string; bytes: Uint8Array }[]): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, b64: Buffer.from(f.bytes).toString('base64') }));
  await page.evaluate((items) => {
    const dt = new DataTransfer();
    for (const it of items) {
      const bin = atob(it.b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      dt.items.add(new File([bytes], it.name));
    }
    for (const type of ['dragenter', 'dragover', 'drop']) {
      document.body.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }
  }, payload);
}

/** Waits until the terminal's last line is a shell prompt ("~ # "). */
export async function waitForPrompt(page: Page, timeoutMs: number, log: string[], after = ''): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await terminalText(page);
    const tail = after ? text.slice(text.lastIndexOf(after) + after.length) : text;
    if ((!after || text.includes(after)) && /[#$] ?$/.test(tail.trimEnd())) return text;
    const status = await statusOf(page);
    if (status.kind === 'error' || status.kind === 'shutdown' || Date.now() > deadline) {
      throw new Error(`no shell prompt${after ? ` after ${JSON.stringify(after)}` : ''} (${status.kind === 'error' || status.kind === 'shutdown' ? 'VM stopped' : 'timed out'})\nstatus: [${status.kind}] ${status.text}\nterminal:\n${text.slice(-3000)}\npage log:\n${log.join('\n')}`);
    }
    await page.waitForTimeout(150);
  }
}

export interface VcpuRow {
  id: number;
  state: string;
  rip: string;
  symbol: string;
  instructions: bigint;
  /** The panel's hypercall count for the vCPU (NaN when the Machine does not count them). */
  hypercalls: number;
}

export async function vcpuRows(page: Page): Promise<VcpuRow[]> {
  const rows = await page.$$eval('[data-testid="vcpu-row"]', (rs) =>
    rs.map((r) => ({
      id: Number(r.querySelector('td')?.textContent ?? '-1'),
      state: r.getAttribute('data-state') ?? '',
      rip: r.querySelector('[data-testid="vcpu-rip"]')?.getAttribute('data-rip') ?? '',
      symbol: r.querySelector('[data-testid="vcpu-symbol"]')?.textContent ?? '',
      instructions: r.getAttribute('data-instructions') ?? '0',
      hypercalls: Number(r.querySelector('[data-testid="vcpu-hypercalls"]')?.textContent ?? 'NaN'),
    })),
  );
  return rows.map((r) => ({ ...r, instructions: BigInt(r.instructions) }));
}

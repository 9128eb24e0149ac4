// The browser app with real Linux: the page boots Linux 6.12 + busybox by default and answers at
// the shell; kernels and initrds dropped on the page are reported and booted; a demo link (URLs +
// SHA-256s, command line, vCPUs, input script) reproduces the demo and a tampered hash is refused;
// the page's main thread stays free during a boot. Screenshots go to tests/browser/out/.
// Runs against the production build served by `vite preview` (COOP/COEP), in Debian's Chromium.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { inspectFile } from '../../src/app/inspect';
import {
  OUT,
  ROOT,
  dropFiles,
  ensureOut,
  launchChromium,
  recordPageLog,
  requireFiles,
  startPreview,
  statusOf,
  terminalText,
  vcpuRows,
  viteBuild,
  waitForPrompt,
  waitForTerminal,
} from './harness';

const KERNEL = 'public/guests/vmlinuz-6.12-pvh';
const INITRD = 'public/guests/initramfs-busybox.cpio.lz4';
const HELLO = 'public/guests/hello.elf';
/** Made by scripts/guest-images/build.sh next to the kernel it describes; optional. */
const SYSTEM_MAP = 'build/guest-images/kbuild/System.map';
const BOOT_MS = 60_000;
const LONG_TASK_BOUND_MS = 200;

const read = (p: string) => new Uint8Array(readFileSync(join(ROOT, p)));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('Linux in the browser app', () => {
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  let url = '';
  const pages: Page[] = [];

  beforeAll(async () => {
    requireFiles([
      { path: 'build/core.wasm', hint: 'run `npm run build:wasm` first' },
      { path: KERNEL, hint: 'committed guest image' },
      { path: INITRD, hint: 'committed guest image' },
      { path: HELLO, hint: 'run `npm run build:guests` first' },
    ]);
    viteBuild();
    ({ server, url } = await startPreview());
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(fragment = ''): Promise<{ page: Page; log: string[] }> {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
    pages.push(page);
    const log = recordPageLog(page);
    await page.goto(url + fragment);
    return { page, log };
  }

  async function shot(page: Page, name: string): Promise<void> {
    ensureOut();
    await page.screenshot({ path: join(OUT, name) });
  }

  /** Types a command at the prompt and waits for the next prompt; returns the output in between. */
  async function run(page: Page, log: string[], cmd: string): Promise<string> {
    await page.click('[data-testid="console"]');
    const marker = `~ # ${cmd}`;
    await page.keyboard.type(cmd + '\n');
    const text = await waitForPrompt(page, 20_000, log, marker);
    return text.slice(text.lastIndexOf(marker) + marker.length);
  }

  it('boots the default Linux guest to the shell, answers uname -a, main thread stays free', async () => {
    const { page, log } = await open();
    try {
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      const t0 = Date.now();
      await waitForPrompt(page, BOOT_MS, log);
      const bootMs = Date.now() - t0;
      const out = await run(page, log, 'uname -a');
      expect(out).toMatch(/Linux \S+ 6\.12\.\d+ .*x86_64/);

      // Every boot milestone was seen, in order.
      const ms = await page.$$eval('[data-milestone]', (rs) => rs.map((r) => [r.getAttribute('data-milestone'), r.getAttribute('data-reached')]));
      expect(ms).toEqual([
        ['pvh-entry', 'yes'],
        ['long-mode', 'yes'],
        ['first-hypercall', 'yes'],
        ['user-process', 'yes'],
        ['shell-prompt', 'yes'],
      ]);
      const rows = await vcpuRows(page);
      expect(rows).toHaveLength(1);
      expect(rows[0].rip).toMatch(/^[0-9a-f]+$/);
      expect(rows[0].instructions).toBeGreaterThan(10_000_000n);
      expect(rows[0].hypercalls).toBeGreaterThan(0); // Linux made hypercalls on vCPU 0
      // The JIT tier runs in the page's worker too: most of the boot ran compiled.
      const jit = await page.$eval('[data-testid="jit-share"]', (e) => e.textContent ?? '');
      const share = /JIT (\d+)%/.exec(jit);
      expect(share, `JIT panel text: ${jit}`).not.toBeNull();
      expect(Number(share![1])).toBeGreaterThan(30);

      // Main-thread long tasks from the boot's start to the shell prompt.
      await page.waitForSelector('[data-testid="longtasks"][data-measuring="no"]', { timeout: 5000 });
      const lt = await page.evaluate(() => window.__webpvhLongTasks!);
      console.log(`[browser] Linux boot to the shell prompt: ${bootMs} ms; longest main-thread task during the boot: ${lt.maxMs.toFixed(1)} ms (${lt.count} tasks over 50 ms)`);
      expect(lt.supported).toBe(true);
      expect(lt.maxMs).toBeLessThan(LONG_TASK_BOUND_MS);
      await shot(page, 'linux-shell.png');
    } catch (err) {
      await shot(page, 'linux-shell-FAILED.png').catch(() => {});
      throw err;
    }
  }, 90_000);

  it('drop a kernel and an initrd: report with the PVH entry, boots; a non-kernel file: clear error, default still boots', async () => {
    const { page, log } = await open('#demo=hello');
    try {
      await waitForTerminal(page, 'hello from PVH', 30_000, log);
      const kernel = read(KERNEL);
      const expected = inspectFile('vmlinuz-6.12-pvh', kernel);
      expect(expected.role).toBe('kernel');
      const entry = '0x' + expected.pvhEntry!.toString(16);

      const files = [
        { name: 'vmlinuz-6.12-pvh', bytes: kernel },
        { name: 'initramfs-busybox.cpio.lz4', bytes: read(INITRD) },
      ];
      const withMap = existsSync(join(ROOT, SYSTEM_MAP));
      if (withMap) files.push({ name: 'System.map', bytes: read(SYSTEM_MAP) });
      await dropFiles(page, files);
      await page.waitForSelector('[data-testid="report"] [data-role="kernel"]', { timeout: 20_000 });
      const report = await page.locator('[data-testid="report"]').innerText();
      expect(report).toContain('bzImage');
      expect(report).toContain('gzip');
      expect(await page.locator('[data-fact="PVH entry"]').innerText()).toBe(entry);
      expect(report).toMatch(/initrd: LZ4 \(legacy frame\)-compressed cpio archive/);
      expect(await page.locator('[data-testid="preset"]').inputValue()).toBe('custom');
      await shot(page, 'drop-report.png');

      await page.click('[data-testid="boot"]');
      await waitForPrompt(page, BOOT_MS, log);
      expect(await run(page, log, 'echo dropped-$((6*7))')).toContain('dropped-42');
      if (withMap) {
        // Symbols from the dropped System.map: the idle vCPU sits in a named kernel function.
        await page.waitForFunction(() => (document.querySelector('[data-testid="vcpu-symbol"]')?.textContent ?? '').length > 0, null, { timeout: 5000 });
        const sym = (await vcpuRows(page))[0].symbol;
        console.log(`[browser] vCPU 0 RIP symbolised from the dropped System.map: ${sym}`);
        expect(sym).toMatch(/^[A-Za-z_][\w.]*(\+0x[0-9a-f]+)?$/);
      } else {
        console.log(`[browser] ${SYSTEM_MAP} not built: RIP symbolisation not checked (the committed kernel is stripped)`);
      }

      // The dropped initrd is too big to ride in a link: the link says so.
      await page.click('[data-testid="copy-link"]');
      const notes = await page.locator('[data-testid="share-note"]').allInnerTexts();
      expect(notes.join('\n')).toMatch(/the kernel "vmlinuz-6.12-pvh" .* too big to ride in the link/);
      expect(notes.join('\n')).toMatch(/the initrd "initramfs-busybox.cpio.lz4" .* too big to ride in the link/);
      await shot(page, 'drop-booted.png');

      // A file that is neither a kernel nor an initrd.
      await dropFiles(page, [{ name: 'notes.txt', bytes: new TextEncoder().encode('just some notes, not a kernel\n') }]);
      const err = page.locator('[data-testid="report-error"]');
      await err.waitFor({ timeout: 10_000 });
      expect(await err.innerText()).toMatch(/Cannot boot notes\.txt: neither a kernel nor an initrd: not an ELF file .*bzImage/);
      await shot(page, 'drop-error.png');

      // The page is still usable: back to the default guest, boot it.
      await page.selectOption('[data-testid="preset"]', 'linux');
      await page.click('[data-testid="boot"]');
      await waitForPrompt(page, BOOT_MS, log);
      expect(await run(page, log, 'cat /proc/version')).toContain('Linux version 6.12');
    } catch (err) {
      await shot(page, 'drop-FAILED.png').catch(() => {});
      throw err;
    }
  }, 180_000);

  it('a small dropped kernel rides in the copied link, and the link boots it', async () => {
    const { page, log } = await open('#demo=hello');
    await waitForTerminal(page, 'hello from PVH', 30_000, log);
    await dropFiles(page, [{ name: 'my-hello.elf', bytes: read(HELLO) }]);
    await page.waitForSelector('[data-testid="report"] [data-role="kernel"]', { timeout: 10_000 });
    await page.click('[data-testid="copy-link"]');
    const link = await page.locator('[data-testid="share-link"]').inputValue();
    expect(link).toContain('kernel-data=');
    expect(link).toContain('kernel-name=my-hello.elf');
    const { page: p2, log: log2 } = await open(link.slice(link.indexOf('#')));
    await waitForTerminal(p2, 'hello from PVH', 30_000, log2);
  }, 60_000);

  it('a demo link with vcpus=2, a command line and an input script reproduces the demo; Copy link round-trips', async () => {
    const kSha = sha256(read(KERNEL));
    const iSha = sha256(read(INITRD));
    // Shell builtins only: with 2 vCPUs, the SMP work in progress can hang vCPU 1 in the kernel's
    // exit path of a process (unmap_page_range) when input arrives while the guest runs; builtins
    // fork no process. (Reproduced headless too; reported to the SMP work.)
    const script = ['echo share-$((6*7))', 'read -r c < /proc/cmdline; echo "cmdline: $c"', 'echo done-$((2+3))'];
    const params = new URLSearchParams({
      kernel: 'guests/vmlinuz-6.12-pvh',
      'kernel-sha256': kSha,
      initrd: 'guests/initramfs-busybox.cpio.lz4',
      'initrd-sha256': iSha,
      cmdline: 'console=hvc0 webpvh.demo=yes',
      vcpus: '2',
      script: script.join('\n'),
    });
    const fragment = '#' + params.toString();
    const { page, log } = await open(fragment);
    try {
      // Sample the panel while it boots: two rows; vCPU 0's RIP changes.
      const rips = new Map<number, Set<string>>();
      const states = new Map<number, Set<string>>();
      const deadline = Date.now() + BOOT_MS;
      for (;;) {
        for (const r of await vcpuRows(page)) {
          (rips.get(r.id) ?? rips.set(r.id, new Set()).get(r.id)!).add(r.rip);
          (states.get(r.id) ?? states.set(r.id, new Set()).get(r.id)!).add(r.state);
        }
        const text = await terminalText(page);
        if (/\ndone-5/.test(text)) break;
        const st = await statusOf(page);
        if (st.kind === 'error' || st.kind === 'shutdown' || Date.now() > deadline) {
          throw new Error(`script output never appeared: [${st.kind}] ${st.text}\n${text.slice(-2000)}\n${log.join('\n')}`);
        }
        await page.waitForTimeout(100);
      }
      await page.waitForSelector('[data-testid="script-status"]');
      expect(await page.locator('[data-testid="script-status"]').innerText()).toContain('3/3 lines typed');
      const rows = await vcpuRows(page);
      expect(rows.map((r) => r.id)).toEqual([0, 1]);
      expect(rips.get(0)!.size, `vCPU 0 RIPs seen: ${[...rips.get(0)!].join(' ')}`).toBeGreaterThan(1);
      const smp = [...(states.get(1) ?? [])].some((s) => s !== 'down');
      console.log(`[browser] vcpus=2: vCPU 0 showed ${rips.get(0)!.size} distinct RIPs; vCPU 1 states ${[...(states.get(1) ?? [])].join('/')}, ${rips.get(1)?.size ?? 0} distinct RIPs`);
      if (smp) expect(rips.get(1)!.size, 'vCPU 1 runs (SMP), so its RIP must change').toBeGreaterThan(1);
      const text = await terminalText(page);
      expect(text).toMatch(/\nshare-42/);
      expect(text).toMatch(/\ncmdline: console=hvc0 webpvh\.demo=yes/);
      expect(await page.locator('[data-testid="cmdline"]').inputValue()).toBe('console=hvc0 webpvh.demo=yes');
      expect(await page.locator('[data-testid="vcpus"]').inputValue()).toBe('2');
      await shot(page, 'share-2vcpus.png');

      // Copy link reproduces the same demo (same images, hashes, command line, vCPUs, script).
      await page.click('[data-testid="copy-link"]');
      const link = await page.locator('[data-testid="share-link"]').inputValue();
      const back = new URLSearchParams(link.slice(link.indexOf('#') + 1));
      for (const [k, v] of params) expect(back.get(k), k).toBe(v);
      const { page: again, log: log2 } = await open(link.slice(link.indexOf('#')));
      await waitForTerminal(again, '\ndone-5', BOOT_MS, log2);
      expect((await vcpuRows(again)).length).toBe(2);
    } catch (err) {
      await shot(page, 'share-FAILED.png').catch(() => {});
      throw err;
    }
  }, 120_000);

  it('refuses a link whose hash does not match, with a message; the page stays usable', async () => {
    const kSha = sha256(read(KERNEL));
    const bad = (kSha[0] === '0' ? '1' : '0') + kSha.slice(1);
    const { page, log } = await open(`#kernel=guests/vmlinuz-6.12-pvh&kernel-sha256=${bad}&initrd=guests/initramfs-busybox.cpio.lz4&cmdline=console%3Dhvc0`);
    await page.waitForSelector('[data-status="error"]', { timeout: 20_000 });
    const status = await statusOf(page);
    expect(status.text).toContain(`refusing the kernel vmlinuz-6.12-pvh: its SHA-256 does not match the link (expected ${bad}, got ${kSha})`);
    expect(await terminalText(page)).toBe('');
    await shot(page, 'share-bad-hash.png');
    await page.selectOption('[data-testid="preset"]', 'linux');
    await page.click('[data-testid="boot"]');
    await waitForPrompt(page, BOOT_MS, log);
  }, 90_000);
});

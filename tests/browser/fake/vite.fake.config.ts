// Test-only: the app built against fake-machine.ts and an empty wasm module, for working on the
// page shell without the real core. `npx vite build -c tests/browser/fake/vite.fake.config.ts`
import { defineConfig, mergeConfig, type Plugin } from 'vite';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import base from '../../../vite.config.ts';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', 'out');
mkdirSync(outDir, { recursive: true });
const emptyWasm = join(outDir, 'empty.wasm');
writeFileSync(emptyWasm, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));

const fake: Plugin = {
  name: 'webpvh-fake-machine',
  enforce: 'pre',
  resolveId(source) {
    if (source === '../vm/machine') return join(here, 'fake-machine.ts');
    if (source.endsWith('build/core.wasm?url')) return emptyWasm + '?url';
    return null;
  },
};

export default mergeConfig(base, defineConfig({ root: join(here, '../../..'), plugins: [fake], worker: { plugins: () => [fake] }, build: { outDir: join(outDir, 'dist-fake') } }));

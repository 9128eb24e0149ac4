#!/usr/bin/env node
// webpvh command-line entry: runs the TypeScript CLI (src/cli/main.ts) in this process through
// tsx's loader. main.ts builds build/core.wasm on first use if it is missing.

import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

let register;
try {
  ({ register } = await import('tsx/esm/api'));
} catch {
  process.stderr.write(`webpvh: the tsx package is missing: run "npm install" in ${root}\n`);
  process.exit(1);
}
register();
const { main } = await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
try {
  await main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`webpvh: internal error: ${e?.stack ?? e}\n`);
  process.exit(1);
}

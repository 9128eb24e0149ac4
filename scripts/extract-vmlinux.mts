// Writes the ELF vmlinux inside a kernel file (bzImage, compressed vmlinux, or ELF) using the same
// code the loader uses (src/hypervisor/kernel-image.ts). Usage: npx tsx scripts/extract-vmlinux.mts IN OUT
import { readFileSync, writeFileSync } from 'node:fs';
import { identifyKernelImage, kernelElfBytes } from '../src/hypervisor/kernel-image.ts';
import { parseBzImage } from '../src/hypervisor/bzimage.ts';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: npx tsx scripts/extract-vmlinux.mts KERNEL OUT.elf');
  process.exit(2);
}
const bytes = new Uint8Array(readFileSync(input));
const id = identifyKernelImage(bytes);
const detail = id.kind === 'bzimage' ? ` (${parseBzImage(bytes).compression ?? 'unknown'} payload)` : id.compression ? ` (${id.compression})` : '';
const elf = kernelElfBytes(bytes);
writeFileSync(output, elf);
console.log(`${input}: ${id.kind}${detail} -> ${output}: ${elf.length} bytes`);

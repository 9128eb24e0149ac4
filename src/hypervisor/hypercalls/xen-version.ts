// xen_version (17): args (cmd, arg). See docs/pvh-abi.md §4.1.

import { XEN_VERSION_VALUE } from '../cpuid-xen.ts';
import type { HypercallHandler } from './context.ts';
import {
  EFAULT,
  EINVAL,
  XEN_EXTRAVERSION_LEN,
  XEN_FEATURE_INFO_SIZE,
  XENFEAT_NR_SUBMAPS,
  XENFEAT_auto_translated_physmap,
  XENFEAT_hvm_callback_vector,
  XENFEAT_hvm_safe_pvclock,
} from './xen-abi.ts';

/** Submap 0: auto_translated_physmap | hvm_callback_vector | hvm_safe_pvclock = 0x304. */
export const XEN_FEATURES_SUBMAP0 =
  (1 << XENFEAT_auto_translated_physmap) | (1 << XENFEAT_hvm_callback_vector) | (1 << XENFEAT_hvm_safe_pvclock);

export const XEN_EXTRAVERSION = '.0';

export const versionVersion: HypercallHandler = () => XEN_VERSION_VALUE;

export const versionExtraversion: HypercallHandler = (ctx, args) => {
  const buf = new Uint8Array(XEN_EXTRAVERSION_LEN); // NUL padded
  buf.set(new TextEncoder().encode(XEN_EXTRAVERSION));
  return ctx.mem.copyToGuest(ctx.vcpu, args[1], buf) ? 0 : -EFAULT;
};

export const versionGetFeatures: HypercallHandler = (ctx, args) => {
  const info = ctx.mem.copyFromGuest(ctx.vcpu, args[1], XEN_FEATURE_INFO_SIZE);
  if (!info) return -EFAULT;
  const dv = new DataView(info.buffer);
  const idx = dv.getUint32(0, true);
  if (idx >= XENFEAT_NR_SUBMAPS) return -EINVAL;
  dv.setUint32(4, XEN_FEATURES_SUBMAP0, true);
  return ctx.mem.copyToGuest(ctx.vcpu, args[1], info) ? 0 : -EFAULT;
};

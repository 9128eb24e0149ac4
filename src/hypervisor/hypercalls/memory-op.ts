// memory_op (12): args (cmd, arg). docs/pvh-abi.md §4.2.

import type { HypercallHandler } from './context.ts';
import {
  DOMID_SELF,
  E820_ENTRY_SIZE,
  EFAULT,
  EINVAL,
  ENOSYS,
  ESRCH,
  XEN_ADD_TO_PHYSMAP_SIZE,
  XEN_DOMID,
  XEN_MEMORY_MAP_SIZE,
  XEN_MEMORY_RESERVATION_SIZE,
  XENMAPSPACE_grant_table,
  XENMAPSPACE_shared_info,
} from './xen-abi.ts';

const PAGE = 4096n;

/**
 * XENMEM_add_to_physmap {u16 domid @0; u16 size @2; u32 space @4; u64 idx @8; u64 gpfn @16}.
 * shared_info (idx 0) moves to the guest frame gpfn, which must be RAM. Grant-table frames are not
 * provided (no PV devices): -ENOSYS, and Linux disables grant tables.
 */
export const memoryAddToPhysmap: HypercallHandler = (ctx, args) => {
  const b = ctx.mem.copyFromGuest(ctx.vcpu, args[1], XEN_ADD_TO_PHYSMAP_SIZE);
  if (!b) return -EFAULT;
  const dv = new DataView(b.buffer);
  const domid = dv.getUint16(0, true);
  if (domid !== DOMID_SELF && domid !== XEN_DOMID) return -ESRCH;
  const space = dv.getUint32(4, true);
  const idx = dv.getBigUint64(8, true);
  const gpfn = dv.getBigUint64(16, true);
  if (space === XENMAPSPACE_grant_table) return -ENOSYS;
  if (space !== XENMAPSPACE_shared_info) return -EINVAL;
  if (idx !== 0n) return -EINVAL;
  const gpa = gpfn * PAGE;
  if (gpa >= BigInt(ctx.xen.cfg.layout.usableEnd) || !ctx.mem.inRam(gpa, Number(PAGE))) return -EINVAL;
  ctx.xen.mapSharedInfo(Number(gpa));
  return 0;
};

/**
 * XENMEM_memory_map {u32 nr_entries @0 (in: capacity, out: count); u64 buffer @8}: the e820 map as
 * packed 20-byte {u64 addr; u64 size; u32 type} entries, at most nr_entries of them.
 */
export const memoryMemoryMap: HypercallHandler = (ctx, args) => {
  const b = ctx.mem.copyFromGuest(ctx.vcpu, args[1], XEN_MEMORY_MAP_SIZE);
  if (!b) return -EFAULT;
  const dv = new DataView(b.buffer);
  const map = ctx.xen.memmap;
  const n = Math.min(dv.getUint32(0, true), map.length);
  const out = new Uint8Array(n * E820_ENTRY_SIZE);
  const odv = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    odv.setBigUint64(i * E820_ENTRY_SIZE, BigInt(map[i].addr), true);
    odv.setBigUint64(i * E820_ENTRY_SIZE + 8, BigInt(map[i].size), true);
    odv.setUint32(i * E820_ENTRY_SIZE + 16, map[i].type, true);
  }
  if (!ctx.mem.copyToGuest(ctx.vcpu, dv.getBigUint64(8, true), out)) return -EFAULT;
  dv.setUint32(0, n, true);
  return ctx.mem.copyToGuest(ctx.vcpu, args[1], b.subarray(0, 4)) ? 0 : -EFAULT;
};

/**
 * XENMEM_decrease_reservation / XENMEM_populate_physmap on struct xen_memory_reservation: extent_start
 * is the guest-linear address of nr_extents gpfns, each an extent of 2^extent_order pages. Our guest
 * RAM is one array that is always backed, so giving frames back (Linux's balloon, which the PVH grant
 * table setup uses and BUG()s on failure) and asking for RAM frames to be populated both succeed
 * without changing anything; a frame outside RAM stops the operation there. Returns the number of
 * extents done, as Xen does.
 */
function reservation(populate: boolean): HypercallHandler {
  return (ctx, args) => {
    const b = ctx.mem.copyFromGuest(ctx.vcpu, args[1], XEN_MEMORY_RESERVATION_SIZE);
    if (!b) return -EFAULT;
    const dv = new DataView(b.buffer);
    const domid = dv.getUint16(24, true);
    if (domid !== DOMID_SELF && domid !== XEN_DOMID) return -ESRCH;
    const nr = dv.getBigUint64(8, true);
    const order = dv.getUint32(16, true);
    if (order > 18 || nr > 1n << 20n) return -EINVAL;
    const pagesPerExtent = 1n << BigInt(order);
    const list = dv.getBigUint64(0, true);
    let done = 0;
    for (let i = 0n; i < nr; i++) {
      const e = ctx.mem.copyFromGuest(ctx.vcpu, list + i * 8n, 8);
      if (!e) return done > 0 ? done : -EFAULT;
      const gpfn = new DataView(e.buffer).getBigUint64(0, true);
      if (gpfn % pagesPerExtent !== 0n || (gpfn + pagesPerExtent) * PAGE > BigInt(ctx.xen.cfg.layout.usableEnd)) break;
      done++;
      if (populate) ctx.xen.count('populated_pages');
      else ctx.xen.count('ballooned_pages');
    }
    return done;
  };
}

export const memoryDecreaseReservation = reservation(false);
export const memoryPopulatePhysmap = reservation(true);

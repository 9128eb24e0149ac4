// Xen hypercall ABI numbers, named as in Xen's public headers (xen/include/public/xen.h, errno.h,
// version.h, sched.h). Values only; behaviour lives in the handler modules.

// ---- hypercall numbers (xen.h) ----
export const __HYPERVISOR_xen_version = 17;
export const __HYPERVISOR_console_io = 18;
export const __HYPERVISOR_sched_op = 29;

// ---- errno values (errno.h; equal to Linux x86 values) ----
export const EPERM = 1;
export const ENOENT = 2;
export const EFAULT = 14;
export const EINVAL = 22;
export const ENOSYS = 38;
export const EOPNOTSUPP = 95;

// ---- console_io (xen.h) ----
export const CONSOLEIO_write = 0;
export const CONSOLEIO_read = 1;

// ---- xen_version (version.h) ----
export const XENVER_version = 0;
export const XENVER_extraversion = 1;
/** XENVER_extraversion writes a char[16]. */
export const XEN_EXTRAVERSION_LEN = 16;
export const XENVER_get_features = 6;
/** struct xen_feature_info { u32 submap_idx @0; u32 submap @4 } */
export const XEN_FEATURE_INFO_SIZE = 8;
export const XENFEAT_NR_SUBMAPS = 1;
// Feature bits (features.h) we advertise in submap 0.
export const XENFEAT_auto_translated_physmap = 2;
export const XENFEAT_hvm_callback_vector = 8;
export const XENFEAT_hvm_safe_pvclock = 9;

// ---- sched_op (sched.h) ----
export const SCHEDOP_yield = 0;
export const SCHEDOP_block = 1;
export const SCHEDOP_shutdown = 2;
/** struct sched_shutdown { u32 reason } */
export const SHUTDOWN_poweroff = 0;
export const SHUTDOWN_reboot = 1;
export const SHUTDOWN_suspend = 2;
export const SHUTDOWN_crash = 3;
export const SHUTDOWN_watchdog = 4;
export const SHUTDOWN_soft_reset = 5;

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

// ---- more hypercall numbers (xen.h) ----
export const __HYPERVISOR_platform_op = 7;
export const __HYPERVISOR_memory_op = 12;
export const __HYPERVISOR_multicall = 13;
export const __HYPERVISOR_set_timer_op = 15;
export const __HYPERVISOR_grant_table_op = 20;
export const __HYPERVISOR_vm_assist = 21;
export const __HYPERVISOR_vcpu_op = 24;
export const __HYPERVISOR_event_channel_op = 32;
export const __HYPERVISOR_physdev_op = 33;
export const __HYPERVISOR_hvm_op = 34;

// ---- more errno values (errno.h) ----
export const ESRCH = 3;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENOSPC = 28;

/** DOMID_SELF (xen.h): "the calling domain". Our guest is also reachable as XEN_DOMID. */
export const DOMID_SELF = 0x7ff0;
/** Domain id of our one domU (the first guest libxl creates is 1). Dom0 (0) is our backends. */
export const XEN_DOMID = 1;
export const DOMID_BACKEND = 0;

// ---- sched_op (sched.h) ----
export const SCHEDOP_poll = 3;
/** struct sched_poll { u64 ports @0; u32 nr_ports @8; u64 timeout @16 } (24 bytes) */
export const SCHED_POLL_SIZE = 24;
/** Xen refuses a poll on more ports than this with -EINVAL. */
export const SCHED_POLL_MAX_PORTS = 128;

// ---- memory_op (memory.h) ----
export const XENMEM_add_to_physmap = 7;
export const XENMEM_memory_map = 9;
/** struct xen_add_to_physmap { u16 domid @0; u16 size @2; u32 space @4; u64 idx @8; u64 gpfn @16 } */
export const XEN_ADD_TO_PHYSMAP_SIZE = 24;
export const XENMAPSPACE_shared_info = 0;
export const XENMAPSPACE_grant_table = 1;
/** struct xen_memory_map { u32 nr_entries @0; u64 buffer @8 } (16 bytes); buffer holds 20-byte e820 entries */
export const XEN_MEMORY_MAP_SIZE = 16;
export const E820_ENTRY_SIZE = 20;

// ---- hvm_op (hvm_op.h, params.h) ----
export const HVMOP_set_param = 0;
export const HVMOP_get_param = 1;
export const HVMOP_pagetable_dying = 9;
export const HVMOP_get_mem_type = 15;
export const HVMOP_set_evtchn_upcall_vector = 23;
/** struct xen_hvm_param { u16 domid @0; u32 index @4; u64 value @8 } */
export const XEN_HVM_PARAM_SIZE = 16;
export const HVM_PARAM_CALLBACK_IRQ = 0;
export const HVM_PARAM_STORE_PFN = 1;
export const HVM_PARAM_STORE_EVTCHN = 2;
export const HVM_PARAM_CONSOLE_PFN = 17;
export const HVM_PARAM_CONSOLE_EVTCHN = 18;
export const HVM_NR_PARAMS = 39;
/** HVM_PARAM_CALLBACK_IRQ value type in bits 63:56. */
export const HVM_PARAM_CALLBACK_TYPE_GSI = 0;
export const HVM_PARAM_CALLBACK_TYPE_PCI_INTX = 1;
export const HVM_PARAM_CALLBACK_TYPE_VECTOR = 2;

// ---- vcpu_op (vcpu.h): args (cmd, vcpuid, arg) ----
export const VCPUOP_initialise = 0;
export const VCPUOP_up = 1;
export const VCPUOP_down = 2;
export const VCPUOP_is_up = 3;
export const VCPUOP_register_runstate_memory_area = 5;
export const VCPUOP_set_periodic_timer = 6;
export const VCPUOP_stop_periodic_timer = 7;
export const VCPUOP_set_singleshot_timer = 8;
export const VCPUOP_stop_singleshot_timer = 9;
export const VCPUOP_register_vcpu_info = 10;
export const VCPUOP_send_nmi = 11;
export const VCPUOP_get_physid = 12;
export const VCPUOP_register_vcpu_time_memory_area = 13;
/** struct vcpu_register_vcpu_info { u64 mfn @0; u32 offset @8; u32 rsvd @12 } */
export const VCPU_REGISTER_VCPU_INFO_SIZE = 16;
/** struct vcpu_set_singleshot_timer { u64 timeout_abs_ns @0; u32 flags @8 } */
export const VCPU_SET_SINGLESHOT_TIMER_SIZE = 16;
export const VCPU_SSHOTTMR_future = 1;
/** struct vcpu_runstate_info { int state @0; u64 state_entry_time @8; u64 time[4] @16 } */
export const VCPU_RUNSTATE_INFO_SIZE = 48;
export const RUNSTATE_running = 0;
export const RUNSTATE_runnable = 1;
export const RUNSTATE_blocked = 2;
export const RUNSTATE_offline = 3;
/** Xen refuses periodic timers faster than 1 ms. */
export const VCPU_PERIODIC_MIN_NS = 1_000_000n;

// ---- event_channel_op (event_channel.h): args (cmd, arg) ----
export const EVTCHNOP_bind_interdomain = 0;
export const EVTCHNOP_bind_virq = 1;
export const EVTCHNOP_bind_pirq = 2;
export const EVTCHNOP_close = 3;
export const EVTCHNOP_send = 4;
export const EVTCHNOP_status = 5;
export const EVTCHNOP_alloc_unbound = 6;
export const EVTCHNOP_bind_ipi = 7;
export const EVTCHNOP_bind_vcpu = 8;
export const EVTCHNOP_unmask = 9;
export const EVTCHNOP_reset = 10;
export const EVTCHNOP_init_control = 11;
export const EVTCHNOP_expand_array = 12;
export const EVTCHNOP_set_priority = 13;
export const EVTCHNOP_reset_cont = 14;
export const EVTCHNSTAT_closed = 0;
export const EVTCHNSTAT_unbound = 1;
export const EVTCHNSTAT_interdomain = 2;
export const EVTCHNSTAT_pirq = 3;
export const EVTCHNSTAT_virq = 4;
export const EVTCHNSTAT_ipi = 5;
/** 2-level ABI on a 64-bit guest: 64 words of 64 bits. */
export const EVTCHN_2L_NR_CHANNELS = 4096;

// ---- VIRQs (xen.h); "V." = per-vCPU, the rest are global ----
export const VIRQ_TIMER = 0;
export const VIRQ_DEBUG = 1;
export const VIRQ_CONSOLE = 2;
export const VIRQ_XENOPROF = 7;
export const VIRQ_XENPMU = 13;
export const NR_VIRQS = 24;
export const PER_VCPU_VIRQS: readonly number[] = [VIRQ_TIMER, VIRQ_DEBUG, VIRQ_XENOPROF, VIRQ_XENPMU];

// ---- vm_assist (xen.h) ----
export const VMASST_CMD_enable = 0;
export const VMASST_CMD_disable = 1;
export const VMASST_TYPE_runstate_update_flag = 5;

// ---- memory reservation (memory.h) ----
export const XENMEM_increase_reservation = 0;
export const XENMEM_decrease_reservation = 1;
export const XENMEM_populate_physmap = 6;
/** struct xen_memory_reservation { u64 extent_start @0; u64 nr_extents @8; u32 extent_order @16; u32 mem_flags @20; u16 domid @24 } */
export const XEN_MEMORY_RESERVATION_SIZE = 32;

/*
 * hello: the smallest PVH guest that exercises the whole boot path.
 *
 * Entered like Linux: 32-bit flat protected mode, paging off, EBX = hvm_start_info.
 * It checks the start_info magic, builds 4-level page tables identity-mapping the first 1 GiB with
 * 2 MiB pages, enters long mode (PAE, EFER.LME via RDMSR/WRMSR, CR3, CR0.PG, far jump), finds the
 * Xen CPUID leaves, installs the hypercall page through the MSR from leaf base+2, then prints two
 * lines with console_io through the hypercall page and powers off with SCHEDOP_shutdown.
 * Failures before Xen is found are reported on the debug port 0xE9 and end in cli; hlt.
 * Test variants (build.mjs): -DNO_PVH_NOTE drops the Xen note; -DSPIN_FOREVER loops after printing
 * instead of shutting down; -DHALT_FOREVER executes cli; hlt after printing.
 * AT&T syntax, GNU as.
 */

#define START_INFO_MAGIC     0x336ec578
#define SI_CMDLINE_PADDR     24          /* hvm_start_info.cmdline_paddr */
#define MSR_EFER             0xc0000080
#define EFER_LME             0x100
#define CR0_PE_PG            0x80000001
#define CR4_PAE              0x20
#define PTE_P_W              0x3
#define PDE_P_W_PS           0x83
#define KERNEL_CS            0x08
#define KERNEL_DS            0x10

#define __HYPERVISOR_console_io  18
#define __HYPERVISOR_sched_op    29
#define CONSOLEIO_write          0
#define SCHEDOP_shutdown         2

        /* ---- Xen ELF note: the PVH entry point (8-byte value, as Linux emits it) ----
         * Built with -DNO_PVH_NOTE for the "not built with CONFIG_PVH" test fixture. */
#ifndef NO_PVH_NOTE
        .section .note.Xen, "a"
        .balign 4
        .long 4                  /* namesz: "Xen\0" */
        .long 8                  /* descsz */
        .long 18                 /* XEN_ELFNOTE_PHYS32_ENTRY */
        .asciz "Xen"
        .balign 4
        .quad pvh_entry
#endif

        /* ---- 32-bit entry ---- */
        .text
        .code32
        .globl pvh_entry
pvh_entry:
        cmpl $START_INFO_MAGIC, (%ebx)
        jne bad_magic
        movl %ebx, start_info_ptr

        lgdt gdt_desc
        movl $KERNEL_DS, %eax
        movl %eax, %ds
        movl %eax, %es
        movl %eax, %ss
        movl $stack_top, %esp

        /* Zero PML4, PDPT and PD (three pages), then link them. */
        movl $pml4, %edi
        movl $(3 * 4096), %ecx
        xorl %eax, %eax
        cld
        rep stosb
        movl $(pdpt + PTE_P_W), pml4
        movl $(pd + PTE_P_W), pdpt

        /* PD: 512 entries of 2 MiB pages = identity map of [0, 1 GiB). */
        movl $pd, %edi
        movl $PDE_P_W_PS, %eax
        movl $512, %ecx
1:      movl %eax, (%edi)
        addl $0x200000, %eax
        addl $8, %edi
        decl %ecx
        jnz 1b

        movl %cr4, %eax
        orl $CR4_PAE, %eax
        movl %eax, %cr4
        movl $MSR_EFER, %ecx
        rdmsr
        orl $EFER_LME, %eax
        wrmsr
        movl $pml4, %eax
        movl %eax, %cr3
        movl %cr0, %eax
        orl $CR0_PE_PG, %eax
        movl %eax, %cr0
        ljmp $KERNEL_CS, $entry64

bad_magic:
        movl $msg_bad_magic, %esi
        movl $msg_bad_magic_len, %ecx
        movw $0xe9, %dx
2:      movb (%esi), %al
        outb %al, %dx
        incl %esi
        decl %ecx
        jnz 2b
        cli
3:      hlt
        jmp 3b

        /* ---- 64-bit code ---- */
        .code64
entry64:
        movl $KERNEL_DS, %eax
        movl %eax, %ds
        movl %eax, %es
        movl %eax, %ss
        movq $stack_top, %rsp

        /* Find the Xen leaves: first base in 0x40000000..0x4000FF00 with "XenVMMXenVMM"
         * and at least two leaves after it. */
        movl $0x40000000, %esi
4:      movl %esi, %eax
        xorl %ecx, %ecx
        cpuid
        cmpl $0x566e6558, %ebx           /* "XenV" */
        jne 5f
        cmpl $0x65584d4d, %ecx           /* "MMXe" */
        jne 5f
        cmpl $0x4d4d566e, %edx           /* "nVMM" */
        jne 5f
        subl %esi, %eax
        cmpl $2, %eax
        jae found_xen
5:      addl $0x100, %esi
        cmpl $0x40010000, %esi
        jne 4b
        movq $msg_no_xen, %rsi
        movl $msg_no_xen_len, %ecx
        jmp debug_print_and_halt

found_xen:
        /* Hypercall page: WRMSR(CPUID(base+2).EBX, gpa of hypercall_page). */
        leal 2(%rsi), %eax
        xorl %ecx, %ecx
        cpuid
        movl %ebx, %ecx
        movl $hypercall_page, %eax
        xorl %edx, %edx
        wrmsr

        movq $msg_hello, %rsi
        movl $msg_hello_len, %ecx
        call console_write

        movq $msg_cmdline, %rsi
        movl $msg_cmdline_len, %ecx
        call console_write

        /* The command line: NUL-terminated at start_info->cmdline_paddr (0 = none). */
        movl start_info_ptr, %ebx
        movq SI_CMDLINE_PADDR(%rbx), %rsi
        testq %rsi, %rsi
        jz 7f
        xorl %ecx, %ecx
6:      movzbl (%rsi,%rcx), %eax
        testl %eax, %eax
        jz 8f
        incl %ecx
        jmp 6b
8:      call console_write
7:      movq $msg_newline, %rsi
        movl $1, %ecx
        call console_write

#if defined(SPIN_FOREVER)
        /* Test variant: never shut down, never halt (exercises --timeout). */
13:     jmp 13b
#elif defined(HALT_FOREVER)
        /* Test variant: halt with interrupts off (a stuck guest). */
        cli
        hlt
#endif
        /* SCHEDOP_shutdown(SHUTDOWN_poweroff). */
        movl $SCHEDOP_shutdown, %edi
        movq $shutdown_args, %rsi
        call hypercall_page + 32 * __HYPERVISOR_sched_op

        /* Still here: the shutdown failed. Say so and stop. */
        movq $msg_still_alive, %rsi
        movl $msg_still_alive_len, %ecx
        call console_write
        cli
9:      hlt
        jmp 9b

/* console_write(rsi = buffer, ecx = length): console_io(CONSOLEIO_write, len, buf). */
console_write:
        testl %ecx, %ecx
        jz 10f
        movq %rsi, %rdx
        movl %ecx, %esi
        movl $CONSOLEIO_write, %edi
        call hypercall_page + 32 * __HYPERVISOR_console_io
10:     ret

/* debug_print_and_halt(rsi = buffer, ecx = length) on port 0xE9. */
debug_print_and_halt:
        movw $0xe9, %dx
11:     movb (%rsi), %al
        outb %al, %dx
        incq %rsi
        decl %ecx
        jnz 11b
        cli
12:     hlt
        jmp 12b

        /* ---- read-only data ---- */
        .section .rodata
        .balign 8
gdt:
        .quad 0                          /* null */
        .quad 0x00af9a000000ffff         /* 0x08: 64-bit code, DPL0 */
        .quad 0x00cf92000000ffff         /* 0x10: flat data */
gdt_end:
gdt_desc:
        .word gdt_end - gdt - 1
        .long gdt

msg_hello:        .ascii "hello from PVH\n"
        .set msg_hello_len, . - msg_hello
msg_cmdline:      .ascii "cmdline: "
        .set msg_cmdline_len, . - msg_cmdline
msg_newline:      .ascii "\n"
msg_still_alive:  .ascii "hello: SCHEDOP_shutdown returned\n"
        .set msg_still_alive_len, . - msg_still_alive
msg_bad_magic:    .ascii "hello: bad hvm_start_info magic\n"
        .set msg_bad_magic_len, . - msg_bad_magic
msg_no_xen:       .ascii "hello: no Xen CPUID leaves\n"
        .set msg_no_xen_len, . - msg_no_xen

        /* ---- data ---- */
        .data
        .balign 8
start_info_ptr:   .long 0
shutdown_args:    .long 0                /* struct sched_shutdown { reason = SHUTDOWN_poweroff } */

        /* ---- zero-filled: page tables, hypercall page, stack ---- */
        .bss
        .balign 4096
pml4:             .skip 4096
pdpt:             .skip 4096
pd:               .skip 4096
hypercall_page:   .skip 4096
stack:            .skip 8192
stack_top:

/*
 * hello32: a PVH guest that stays in 32-bit protected mode with paging off, packaged as an ELF32
 * (i386) image with a 4-byte PHYS32_ENTRY note. It exercises the 32-bit hypercall convention
 * (EAX = number, EBX/ECX/EDX = arguments) through the hypercall page, and the ELF32 loader path.
 * Prints "hello from PVH (32-bit)\n" and the command line, then SCHEDOP_shutdown(poweroff).
 */

#define START_INFO_MAGIC     0x336ec578
#define SI_CMDLINE_PADDR     24
#define __HYPERVISOR_console_io  18
#define __HYPERVISOR_sched_op    29
#define CONSOLEIO_write          0
#define SCHEDOP_shutdown         2

        .section .note.Xen, "a"
        .balign 4
        .long 4                  /* namesz */
        .long 4                  /* descsz: a 4-byte value this time */
        .long 18                 /* XEN_ELFNOTE_PHYS32_ENTRY */
        .asciz "Xen"
        .balign 4
        .long pvh_entry

        .text
        .code32
        .globl pvh_entry
pvh_entry:
        cmpl $START_INFO_MAGIC, (%ebx)
        jne stop
        movl %ebx, %ebp                  /* keep start_info */
        movl $stack_top, %esp

        movl $0x40000000, %esi
1:      movl %esi, %eax
        xorl %ecx, %ecx
        cpuid
        cmpl $0x566e6558, %ebx
        jne 2f
        cmpl $0x65584d4d, %ecx
        jne 2f
        cmpl $0x4d4d566e, %edx
        jne 2f
        subl %esi, %eax
        cmpl $2, %eax
        jae 3f
2:      addl $0x100, %esi
        cmpl $0x40010000, %esi
        jne 1b
        jmp stop

3:      leal 2(%esi), %eax
        xorl %ecx, %ecx
        cpuid
        movl %ebx, %ecx
        movl $hypercall_page, %eax
        xorl %edx, %edx
        wrmsr

        movl $msg_hello, %edx
        movl $msg_hello_len, %ecx
        call console_write

        movl SI_CMDLINE_PADDR(%ebp), %edx   /* low half; the cmdline is below 4 GiB */
        testl %edx, %edx
        jz 5f
        xorl %ecx, %ecx
4:      movzbl (%edx,%ecx), %eax
        testl %eax, %eax
        jz 6f
        incl %ecx
        jmp 4b
6:      call console_write
5:      movl $msg_newline, %edx
        movl $1, %ecx
        call console_write

        movl $SCHEDOP_shutdown, %ebx
        movl $shutdown_args, %ecx
        call hypercall_page + 32 * __HYPERVISOR_sched_op
stop:
        cli
7:      hlt
        jmp 7b

/* console_write(edx = buffer, ecx = length): console_io(CONSOLEIO_write, ecx, edx). */
console_write:
        movl $CONSOLEIO_write, %ebx
        call hypercall_page + 32 * __HYPERVISOR_console_io
        ret

        .section .rodata
msg_hello:        .ascii "hello from PVH (32-bit)\ncmdline: "
        .set msg_hello_len, . - msg_hello
msg_newline:      .ascii "\n"

        .data
        .balign 4
shutdown_args:    .long 0                /* SHUTDOWN_poweroff */

        .bss
        .balign 4096
hypercall_page:   .skip 4096
stack:            .skip 4096
stack_top:

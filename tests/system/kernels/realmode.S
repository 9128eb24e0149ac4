/*
 * realmode: protected mode -> real mode -> protected mode -> long mode, the way an SMP trampoline
 * runs (Linux's APs start in real mode, switch to 32-bit protected mode, then to long mode).
 * The real-mode part is a position-independent blob copied to 0x7000 and run as CS=0x0700:
 *   pm32 -> 16-bit protected mode (KCODE16, base 0) -> CR0.PE=0 -> far jump to 0x0700:x
 *   real mode: IVT at 0 (LIDT base 0 limit 0x3ff), INT 0x30 through the IVT (pushed IP/CS/FLAGS,
 *   FLAGS inside the handler), #DE through IVT[0] (pushed IP = the faulting DIV), segment:offset
 *   arithmetic, 16-bit REP MOVSB / STD REP STOSW / REPE CMPSB / addr32 REP MOVSB
 *   -> LGDTL, CR0.PE=1, LJMPL to 32-bit code -> enter_long_mode -> 64-bit.
 */
        .include "common.inc"

        .set RM_SEG, 0x0700
        .set RM_BASE, 0x7000

.macro RPUTS s
        call rm_puts_inline
        .asciz "\s"
.endm
.macro RHEX src
        pushw %ax
        movw \src, %ax
        call rm_hex16
        popw %ax
.endm
.macro RNL
        pushw %ax
        movb $10, %al
        outb %al, $0xe9
        popw %ax
.endm

        .code32
main32:
        PUTS32 "realmode: pm32"
        NL32
        movl $rm_blob, %esi
        movl $RM_BASE, %edi
        movl $(rm_blob_end - rm_blob), %ecx
        cld
        rep movsb
        movw $(rm_int30 - rm_blob), 0x30 * 4
        movw $RM_SEG, 0x30 * 4 + 2
        movw $(rm_de - rm_blob), 0
        movw $RM_SEG, 2
        ljmp $KCODE16, $(RM_BASE + rm_pm16 - rm_blob)

pm32_back:
        movl $KDATA, %eax
        movl %eax, %ds
        movl %eax, %es
        movl %eax, %ss
        movl %eax, %fs
        movl %eax, %gs
        movl $stack32_top, %esp
        PUTS32 "realmode: back in pm32"
        movl %cs, %eax
        PVAL32 "cs=", %eax, 4
        movl %cr0, %eax
        andl $0x80000001, %eax
        PVAL32 "cr0.pg_pe=", %eax, 8
        NL32
        jmp enter_long_mode

        .code64
main64:
        PUTS "realmode: long mode"
        movq %cs, %rax
        PVAL "cs=", %rax, 4
        NL
        PUTS "realmode: done"
        NL
        EXIT 0

/* ---------------------------------------------------------------- the real-mode blob */
        .balign 16
rm_blob:
        .code16
rm_pm16:                                /* 16-bit protected mode, CS=KCODE16 (base 0) */
        movw $KDATA16, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw %ax, %fs
        movw %ax, %gs
        movl %cr0, %eax
        andl $0xfffffffe, %eax
        movl %eax, %cr0
        ljmp $RM_SEG, $(rm_real - rm_blob)
rm_real:
        movw $RM_SEG, %ax
        movw %ax, %ds
        movw %ax, %es
        xorw %ax, %ax
        movw %ax, %ss
        movl $RM_BASE, %esp
        lidt rm_ivt_desc - rm_blob
        RPUTS "realmode: real mode cs="
        movw %cs, %ax
        RHEX %ax
        RPUTS " ds="
        movw %ds, %ax
        RHEX %ax
        movl %cr0, %eax
        andw $1, %ax
        RPUTS " cr0.pe="
        RHEX %ax
        RNL

        /* INT 0x30 through the IVT. */
        pushw $0x0ad5                   /* OF DF SF ZF AF PF CF set (and IF/TF clear) */
        popfw
        int $0x30
rm_after_int30:
        pushfw
        popw %bx
        cld
        RPUTS "realmode: int30 ip-next="
        movw %cs:rm_v_ip - rm_blob, %ax
        subw $(rm_after_int30 - rm_blob), %ax
        RHEX %ax
        RPUTS " cs="
        RHEX %cs:rm_v_cs-rm_blob
        RPUTS " flags="
        movw %cs:rm_v_flags - rm_blob, %ax
        andw $0x0fd5, %ax
        RHEX %ax
        RPUTS " handler_flags="
        movw %cs:rm_v_hflags - rm_blob, %ax
        andw $0x0fd5, %ax
        RHEX %ax
        RPUTS " flags_after_iret="
        andw $0x0fd5, %bx
        RHEX %bx
        RNL

        /* #DE through IVT[0]: the pushed IP is the DIV itself; the handler skips it (2 bytes). */
        movw $0x1234, %ax
        xorb %cl, %cl
rm_div:
        divb %cl
        RPUTS "realmode: de ip-div="
        movw %cs:rm_v_ip - rm_blob, %ax
        subw $(rm_div - rm_blob), %ax
        RHEX %ax
        RPUTS " count="
        RHEX %cs:rm_v_count-rm_blob
        RNL

        /* segment:offset: 0x0800:0x0010 and 0x07ff:0x0020 are both physical 0x8010. */
        movw $0x0800, %ax
        movw %ax, %es
        movw $0xbeef, %es:0x10
        movw $0x07ff, %ax
        movw %ax, %fs
        movw %fs:0x20, %bx
        RPUTS "realmode: seg 07ff:0020="
        RHEX %bx
        movl $0x8010, %ebx              /* also readable as 0:0x8010 through a 32-bit address */
        xorw %ax, %ax
        movw %ax, %fs
        movw %fs:(%ebx), %ax
        RPUTS " 0000:8010="
        RHEX %ax
        RNL

        /* 16-bit string instructions. ES=0x0800 (physical 0x8000). */
        movw $(rm_src - rm_blob), %si
        movw $0x100, %di
        movw $8, %cx
        cld
        rep movsb
        RPUTS "realmode: rep_movsb cx="
        RHEX %cx
        RPUTS " si-src="
        movw %si, %ax
        subw $(rm_src - rm_blob), %ax
        RHEX %ax
        RPUTS " di="
        RHEX %di
        RPUTS " copied="
        RHEX %es:0x106
        RNL
        movw $0x20e, %di
        movw $3, %cx
        movw $0x1234, %ax
        std
        rep stosw
        cld
        RPUTS "realmode: std_rep_stosw cx="
        RHEX %cx
        RPUTS " di="
        RHEX %di
        RPUTS " w20a="
        RHEX %es:0x20a
        RPUTS " w208="
        RHEX %es:0x208
        RNL
        movw $(rm_src - rm_blob), %si
        movw $0x300, %di
        movl $0x64636261, %es:0x300     /* "abcd" */
        movl $0x58676665, %es:0x304     /* "efgX": differs from the source at index 7 */
        movw $8, %cx
        repe cmpsb
        pushfw
        popw %bx
        andw $0x08d5, %bx
        RPUTS "realmode: repe_cmpsb cx="
        RHEX %cx
        RPUTS " di="
        RHEX %di
        RPUTS " flags="
        RHEX %bx
        RNL
        movl $(RM_BASE + rm_src - rm_blob), %esi
        xorw %ax, %ax
        movw %ax, %ds
        movw %ax, %es
        movl $0x9000, %edi
        movl $4, %ecx
        addr32 rep movsb
        movw $RM_SEG, %ax
        movw %ax, %ds
        RPUTS "realmode: addr32_rep_movsb ecx="
        RHEX %cx
        movl %edi, %eax
        RPUTS " edi="
        RHEX %ax
        RNL

        /* Back to protected mode, then long mode (the trampoline path). */
        /* As Linux's trampoline_start: WBINVD, LIDTL/LGDTL, LMSW to set PE, LJMPL to 32-bit code. */
        cli
        wbinvd
        lidtl rm_ivt_desc - rm_blob
        lgdtl rm_gdt_desc - rm_blob
        smsw %bx
        andw $1, %bx
        RPUTS "realmode: msw.pe before lmsw="
        RHEX %bx
        RNL
        movw $1, %ax
        lmsw %ax
        ljmpl $KCODE32, $pm32_back

/* INT 0x30 handler: records the frame and FLAGS inside the handler. */
rm_int30:
        pushw %bp
        movw %sp, %bp
        pushw %ax
        movw 2(%bp), %ax
        movw %ax, %cs:rm_v_ip - rm_blob
        movw 4(%bp), %ax
        movw %ax, %cs:rm_v_cs - rm_blob
        movw 6(%bp), %ax
        movw %ax, %cs:rm_v_flags - rm_blob
        pushfw
        popw %ax
        movw %ax, %cs:rm_v_hflags - rm_blob
        popw %ax
        popw %bp
        iret
/* #DE handler: records the pushed IP and resumes after the 2-byte DIV. */
rm_de:
        pushw %bp
        movw %sp, %bp
        pushw %ax
        movw 2(%bp), %ax
        movw %ax, %cs:rm_v_ip - rm_blob
        addw $2, 2(%bp)
        incw %cs:rm_v_count - rm_blob
        popw %ax
        popw %bp
        iret

/* rm_puts_inline: prints the NUL-terminated string that follows the call, returns after it. */
rm_puts_inline:
        pushw %bp
        movw %sp, %bp
        pushw %ax
        pushw %si
        movw 2(%bp), %si
1:      movb %cs:(%si), %al
        incw %si
        testb %al, %al
        jz 2f
        outb %al, $0xe9
        jmp 1b
2:      movw %si, 2(%bp)
        popw %si
        popw %ax
        popw %bp
        ret
/* rm_hex16(ax): four hex digits. */
rm_hex16:
        pushw %ax
        pushw %bx
        pushw %cx
        pushw %dx
        movw %ax, %dx
        movw $4, %cx
1:      rolw $4, %dx
        movw %dx, %bx
        andw $15, %bx
        movb %cs:rm_hexdigits - rm_blob(%bx), %al
        outb %al, $0xe9
        loop 1b
        popw %dx
        popw %cx
        popw %bx
        popw %ax
        ret

rm_hexdigits:   .ascii "0123456789abcdef"
rm_src:         .ascii "abcdefgh"
        .balign 4
rm_ivt_desc:    .word 0x3ff
                .long 0
rm_gdt_desc:    .word gdt_end - gdt - 1
                .long gdt
rm_v_ip:        .word 0
rm_v_cs:        .word 0
rm_v_flags:     .word 0
rm_v_hflags:    .word 0
rm_v_count:     .word 0
rm_blob_end:
        .code32

/*
 * modes: operating-mode transitions.
 *   pm32  -> 16-bit protected-mode code segment (far call, 16-bit near call/push semantics, LRETL back)
 *   pm32  -> long mode (PAE, EFER.LME, CR3, CR0.PG, far jump) -> 64-bit
 *   64    -> compatibility mode by LRETQ into a 32-bit CS; compat -> 64 by LCALL, LRETL back (32-bit
 *            operand size far return in 64-bit mode); 16-bit compat segment from compat mode;
 *            compat -> 64 by LJMP
 *   64    -> compat -> CR0.PG=0 (leaves IA-32e: EFER.LMA clears) -> EFER.LME=0 -> pm32 -> long mode again
 */
        .include "common.inc"

        .set CODE16B, GDT_FREE          /* 16-bit code segment whose base is code16_base */

        .code32
main32:
        PUTS32 "modes: pm32"
        movl %cs, %eax
        PVAL32 "cs=", %eax, 4
        movl %cr0, %eax
        andl $0x80000001, %eax
        PVAL32 "cr0.pg_pe=", %eax, 8
        NL32

        /* 16-bit code segment descriptor: base = code16_base, limit 0xffff, P, DPL0, type 0xA, D=0. */
        movl $code16_base, %eax
        movl $(gdt + CODE16B), %edi
        movw $0xffff, (%edi)
        movw %ax, 2(%edi)
        shrl $16, %eax
        movb %al, 4(%edi)
        movb $0x9a, 5(%edi)
        movb $0x00, 6(%edi)
        movb %ah, 7(%edi)

        movl %esp, %ebp
        lcall $CODE16B, $(code16_entry - code16_base)
        PUTS32 "modes: back in pm32 from pm16"
        movl %esp, %eax
        subl %ebp, %eax
        PVAL32 "esp_delta=", %eax, 8
        NL32
        PUTS32 "modes: pm16"
        PVAL32 "cs=", res16_cs, 4
        PVAL32 "push_bytes=", res16_push, 8
        PVAL32 "near_call_ip=", res16_ip, 4
        PVAL32 "inc_ffff=", res16_inc, 8
        PVAL32 "flags=", res16_flags, 4
        NL32

        cmpl $0, pass
        jne 1f
        jmp enter_long_mode
1:      PUTS32 "modes: never here"
        NL32
        EXIT32 0x7d

        .code64
main64:
        incl pass
        cmpl $1, pass
        jne second_time
        PUTS "modes: long64"
        movq %cs, %rax
        PVAL "cs=", %rax, 4
        movl $MSR_EFER, %ecx
        rdmsr
        andl $0x500, %eax               /* LME | LMA */
        PVAL "efer.lma_lme=", %rax, 4
        movq %cr0, %rax
        andl $0x80000001, %eax
        PVAL "cr0.pg_pe=", %rax, 8
        movq %cr4, %rax
        andl $0x20, %eax
        PVAL "cr4.pae=", %rax, 2
        NL
        /* 64-bit operands: immediates, REX registers, RIP-relative addressing, 32-bit writes zero-extend. */
        movabsq $0x123456789abcdef0, %r9
        movq %r9, %rax
        movl $0xffffffff, %eax          /* clears bits 63:32 */
        movw $0x5555, %r9w              /* keeps bits 63:16 */
        leaq rip_rel_target(%rip), %rdx
        subq $rip_rel_target, %rdx
        PUTS "modes: regs64"
        PVAL "r9=", %r9
        PVAL "eax_zx=", %rax
        PVAL "riprel_delta=", %rdx, 8
        NL

        /* 64 -> compat: far return to a 32-bit code segment. */
        pushq $KCODE32
        pushq $compat_entry
        lretq

        .code32
compat_entry:
        PUTS32 "modes: compat32"
        movl %cs, %eax
        PVAL32 "cs=", %eax, 4
        movl $MSR_EFER, %ecx
        rdmsr
        andl $0x500, %eax
        PVAL32 "efer.lma_lme=", %eax, 4
        /* In compat mode the 64-bit registers' upper halves are not reachable; a push is 4 bytes. */
        movl %esp, %ebx
        pushl $0x11111111
        movl %ebx, %eax
        subl %esp, %eax
        addl $4, %esp
        PVAL32 "push_bytes=", %eax, 2
        NL32

        /* compat -> 64 by far call; the 64-bit callee returns with a 32-bit LRET. */
        movl %esp, %ebp
        lcall $KCODE64, $far64_fn
        movl %esp, %eax
        subl %ebp, %eax
        PUTS32 "modes: back in compat from lcall"
        PVAL32 "esp_delta=", %eax, 8
        PVAL32 "far64_saw_cs=", far64_cs, 4
        PVAL32 "far64_saw_ret_cs=", far64_retcs, 4
        NL32

        /* compat -> 16-bit compat code segment (IA-32e, L=0 D=0) and back. */
        movl $0, res16_cs
        lcall $CODE16B, $(code16_entry - code16_base)
        PUTS32 "modes: compat16"
        PVAL32 "cs=", res16_cs, 4
        PVAL32 "push_bytes=", res16_push, 8
        PVAL32 "near_call_ip=", res16_ip, 4
        PVAL32 "inc_ffff=", res16_inc, 8
        NL32

        /* compat -> 64 by far jump. */
        ljmp $KCODE64, $back64

        .code64
far64_fn:
        movq %cs, %rax
        movl %eax, far64_cs
        movl 4(%rsp), %eax              /* the CS the compat-mode LCALL pushed (32-bit slots) */
        movzwl %ax, %eax
        movl %eax, far64_retcs
        lretl                           /* 0xCB without REX.W: pops a 4-byte EIP and a 4-byte CS */

back64:
        PUTS "modes: back in 64 from compat"
        movq %cs, %rax
        PVAL "cs=", %rax, 4
        NL

        /* Leave long mode: compat, paging off (LMA clears), LME off: plain protected mode. */
        pushq $KCODE32
        pushq $leave_lm
        lretq
        .code32
leave_lm:
        movl %cr0, %eax
        andl $0x7fffffff, %eax
        movl %eax, %cr0
        movl $MSR_EFER, %ecx
        rdmsr
        movl %eax, %esi
        andl $0xfffffeff, %eax
        wrmsr
        rdmsr
        movl %eax, %edi
        PUTS32 "modes: left long mode"
        andl $0x500, %esi
        PVAL32 "efer_after_pg0=", %esi, 4
        andl $0x500, %edi
        PVAL32 "efer_after_lme0=", %edi, 4
        movl %cr0, %eax
        andl $0x80000001, %eax
        PVAL32 "cr0.pg_pe=", %eax, 8
        NL32
        jmp enter_long_mode

        .code64
second_time:
        PUTS "modes: long64 again"
        movl $MSR_EFER, %ecx
        rdmsr
        andl $0x500, %eax
        PVAL "efer.lma_lme=", %rax, 4
        NL
        PUTS "modes: done"
        NL
        EXIT 0

rip_rel_target:
        .byte 0

/* ---- 16-bit code, reached through CODE16B (base code16_base): offsets are relative to it. It is
 * called from pm32 and from compat mode; SS stays the flat 32-bit KDATA (B=1), so pushes use ESP. */
        .balign 16
code16_base:
        .code16
code16_entry:
        movw %cs, %ax
        movzwl %ax, %eax
        movl $res16_cs, %edi
        movl %eax, (%edi)               /* addr32 (EDI) */
        movl %esp, %ebx
        pushw $0x1234                   /* 2 bytes */
        pushl $0x89abcdef               /* 4 bytes */
        subl %esp, %ebx
        popl %edx
        popw %ax
        movl $res16_push, %edi
        movl %ebx, (%edi)
        call 1f                         /* near call: pushes a 16-bit IP */
1:      popw %ax
        movzwl %ax, %eax
        movl $res16_ip, %edi
        movl %eax, (%edi)
        movl $0x1234ffff, %eax
        incw %ax                        /* wraps to 0, ZF=1, bits 31:16 kept */
        pushfw
        movl $res16_inc, %edi
        movl %eax, (%edi)
        popw %ax
        andw $0x08d5, %ax               /* OF SF ZF AF PF CF */
        movzwl %ax, %eax
        movl $res16_flags, %edi
        movl %eax, (%edi)
        lretl                           /* 32-bit far return to the 32-bit caller */
        .code64

        .data
        .balign 4
pass:           .long 0
res16_cs:       .long 0
res16_push:     .long 0
res16_ip:       .long 0
res16_inc:      .long 0
res16_flags:    .long 0
far64_cs:       .long 0
far64_retcs:    .long 0

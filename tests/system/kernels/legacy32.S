/*
 * legacy32: 32-bit protected mode without long mode.
 *   A 32-bit IDT (8-byte gates): #GP with IDT error codes (vector*8+2), #NP for a not-present gate,
 *   #DE, INT3 frames (EIP/CS/EFLAGS, no SS:ESP at the same privilege).
 *   32-bit paging (CR4.PSE): 4 KiB pages and 4 MiB pages, #PF error codes and CR2, A/D bits, WP.
 *   Ring 3 in 32-bit mode through IRET, back to ring 0 through a 32-bit TSS (SS0:ESP0), #PF from ring 3.
 *   PAE paging without long mode: 3-level walk, 2 MiB pages, NX (EFER.NXE) fetch fault.
 *   CMPXCHG8B.
 */
        .include "common.inc"

        .set TSS32_SEL, GDT_FREE        /* 32-bit available TSS */
        .set P, 1
        .set W, 2
        .set U, 4
        .set PS, 0x80

.macro TRY32 insn:vararg
        movl $.Ltryrec\@, recover_rip
        movl $.Ltryins\@, try_rip
        movl $0xffffffff, exc_vector
.Ltryins\@:
        \insn
.Ltryrec\@:
.endm
.macro LINE32 name
        PUTS32 "legacy32: \name"
        call print_exc32
.endm
.macro PFLINE32 name
        LINE32 "\name"
        PVAL32 "cr2=", exc_cr2, 8
.endm

        .code32
main32:
        /* 32-bit TSS: SS0:ESP0 for ring-3 interrupts. */
        movl $tss32, %eax
        movl $(gdt + TSS32_SEL), %edi
        movw $0x67, (%edi)
        movw %ax, 2(%edi)
        shrl $16, %eax
        movb %al, 4(%edi)
        movb $0x89, 5(%edi)
        movb $0, 6(%edi)
        movb %ah, 7(%edi)
        movl $rsp0_top, tss32 + 4
        movl $KDATA, tss32 + 8
        movw $104, tss32 + 102
        movw $TSS32_SEL, %ax
        ltr %ax
        /* IDT: 256 32-bit interrupt gates to the stubs; 0x81 is DPL3. */
        xorl %ecx, %ecx
1:      movl %ecx, %eax
        shll $4, %eax
        addl $isr32_stubs, %eax
        movw %ax, idt(,%ecx,8)
        movw $KCODE32, idt + 2(,%ecx,8)
        movw $0x8e00, idt + 4(,%ecx,8)
        shrl $16, %eax
        movw %ax, idt + 6(,%ecx,8)
        incl %ecx
        cmpl $256, %ecx
        jne 1b
        movb $0xee, idt + 0x81 * 8 + 5
        lidt idt32_desc

        /* Exceptions without paging. */
        TRY32 int3
        LINE32 "int3"
        PVAL32 "cs=", exc_cs, 4
        movl exc_rflags, %eax
        andl $0x202, %eax
        PVAL32 "eflags=", %eax, 4
        NL32
        xorl %ecx, %ecx
        movl $1, %eax
        xorl %edx, %edx
        TRY32 divl %ecx
        LINE32 "div0"
        NL32
        movw $(0x50 * 8 - 1), idt32_small
        movl $idt, idt32_small + 2
        lidt idt32_small
        TRY32 int $0x60
        lidt idt32_desc
        LINE32 "beyond_idt_limit"
        NL32
        movb $0x0e, idt + 0x42 * 8 + 5  /* not present */
        TRY32 int $0x42
        LINE32 "np_gate"
        NL32
        movw $0x58 + 8, %ax             /* free GDT slot (zero descriptor): #GP(sel) */
        TRY32 movw %ax, %ds
        movl $KDATA, %eax
        movl %eax, %ds
        LINE32 "ds_null_descriptor"
        NL32

        /* Not tested: segment limit checks on data accesses (SDM: an access past a data segment's
         * limit is #GP(0), #SS(0) for SS). QEMU 7.2 TCG does not check limits; neither does our core
         * (an ES with limit 0xfff accepted a dword read at 0xffe). */

        /* ---- 32-bit paging with PSE: PDE0 = 4 MiB identity (U), PDE1 -> pt32, PDE2 = 4 MiB at 0 again. */
        movl $(0 + P + W + U + PS), pd32
        movl $(pt32 + P + W + U), pd32 + 4
        movl $(0 + P + W + U + PS), pd32 + 8    /* VA 8 MiB -> physical 0 */
        movl $(tpage0 + P + W + U), pt32 + 0
        movl $(tpage1 + P + U), pt32 + 4        /* read-only */
        movl $(tpage2 + P + W), pt32 + 8        /* supervisor */
        movl %cr4, %eax
        orl $0x10, %eax                 /* PSE */
        movl %eax, %cr4
        movl $pd32, %eax
        movl %eax, %cr3
        movl %cr0, %eax
        orl $0x80010000, %eax           /* PG, WP */
        movl %eax, %cr0
        PUTS32 "legacy32: paging32 on"
        NL32
        TRY32 movl 0x403123, %eax       /* pt32[3] = 0 */
        PFLINE32 "np_read"
        NL32
        TRY32 movl %eax, 0x401010
        PFLINE32 "ro_write_wp1"
        NL32
        TRY32 movl 0xc00000, %eax       /* PDE3 = 0 */
        PFLINE32 "np_pde"
        NL32
        movl $0x5a5a5a5a, 0x800000 + cx8
        movl cx8, %ecx
        movl pd32 + 8, %eax
        andl $0x60, %eax
        PUTS32 "legacy32: 4m"
        PVAL32 "phys=", %ecx, 8
        PVAL32 "pde_ad=", %eax, 2
        movl 0x400000, %eax
        movl pt32, %eax
        andl $0x60, %eax
        PVAL32 "pte0_ad=", %eax, 2
        NL32
        /* Ring 3 (32-bit): user read of a supervisor page, write of a read-only page. */
        movl %esp, ring0_saved_rsp
        pushl $UDATA
        pushl $ustack_top
        pushl $0x3002                   /* IOPL 3: ring 3 prints too */
        pushl $UCODE32
        pushl $user32
        iretl
ring3_back32:
        PUTS32 "legacy32: back in ring 0"
        PVAL32 "from_cs=", exc_cs, 4
        PVAL32 "from_ss=", exc_ss, 4
        movl $rsp0_top, %eax
        subl exc_frame, %eax
        PVAL32 "frame_below_esp0=", %eax, 2
        NL32

        /* ---- PAE paging without long mode. */
        movl %cr0, %eax
        andl $0x7fffffff, %eax
        movl %eax, %cr0
        movl $(pd_pae + P), pdpt_pae    /* PDPTE: RW/US are reserved here */
        movl $(0 + P + W + U + PS), pd_pae
        movl $0, pd_pae + 4
        movl $(0x200000 + P + W + U + PS), pd_pae + 8
        movl $(pt_pae + P + W + U), pd_pae + 16
        movl $(tpage0 + P + W), pt_pae + 8 * 5
        movl $(tpage2 + P + W), pt_pae + 8 * 6
        movl $0x80000000, pt_pae + 8 * 6 + 4    /* XD */
        movl $MSR_EFER, %ecx
        rdmsr
        orl $0x800, %eax                /* NXE */
        wrmsr
        movl %cr4, %eax
        orl $0x20, %eax
        movl %eax, %cr4
        movl $pdpt_pae, %eax
        movl %eax, %cr3
        movl %cr0, %eax
        orl $0x80000000, %eax
        movl %eax, %cr0
        movl $0x600dbeef, tpage0 + 0x40
        movl 0x405040, %ecx
        PUTS32 "legacy32: pae"
        PVAL32 "read=", %ecx, 8
        movl pt_pae + 40, %eax
        andl $0x60, %eax
        PVAL32 "pte_ad=", %eax, 2
        NL32
        TRY32 movl 0x407000, %eax
        PFLINE32 "pae_np_read"
        NL32
        movb $0xc3, tpage2
        movl $0x406000, %eax
        TRY32 jmp *%eax
        PFLINE32 "pae_nx_fetch"
        PVAL32 "eip=", exc_rip, 8
        NL32
        TRY32 movl 0x40600000, %eax     /* PDPTE 1 = 0 */
        PFLINE32 "pae_np_pdpte"
        NL32

        /* CMPXCHG8B. */
        movl $0x11111111, cx8
        movl $0x22222222, cx8 + 4
        movl $0x11111111, %eax
        movl $0x22222222, %edx
        movl $0x33333333, %ebx
        movl $0x44444444, %ecx
        lock cmpxchg8b cx8
        setz %bl
        movzbl %bl, %ebx
        PUTS32 "legacy32: cmpxchg8b"
        PVAL32 "zf=", %ebx, 1
        PVAL32 "mem=", cx8 + 4, 8
        PHEX32 cx8, 8
        cmpxchg8b cx8
        setz %bl
        movzbl %bl, %ebx
        PVAL32 "zf=", %ebx, 1
        PVAL32 "edx:eax=", %edx, 8
        PHEX32 %eax, 8
        NL32

        PUTS32 "legacy32: done"
        NL32
        EXIT32 0

user32:
        movl %ds, %eax
        movl %es, %ecx
        /* IRET to an outer level nulls DS/ES/FS/GS that hold DPL < CPL data segments (SDM, IRET). */
        PUTS32 "legacy32: after iret to ring 3"
        PVAL32 "ds=", %eax, 4
        PVAL32 "es=", %ecx, 4
        NL32
        movl $UDATA, %eax               /* IRET to ring 3 nulled DS/ES (DPL0 data) */
        movl %eax, %ds
        movl %eax, %es
        TRY32 movl 0x402000, %eax
        PFLINE32 "user_read_supervisor"
        NL32
        TRY32 movl %eax, 0x401000
        PFLINE32 "user_write_ro"
        NL32
        movl %cs, %eax
        PUTS32 "legacy32: ring 3"
        PVAL32 "cs=", %eax, 4
        NL32
        int $VEC_RING0

/* print_exc32: " vec=VV err=EEEEEEEE eip=+OOOOOOOO" or " no-exception". */
print_exc32:
        pushfl
        pushl %eax
        cmpl $0xffffffff, exc_vector
        jne 1f
        PUTS32 " no-exception"
        jmp 2f
1:      PVAL32 "vec=", exc_vector, 2
        PVAL32 "err=", exc_err, 8
        movl exc_rip, %eax
        subl try_rip, %eax
        PVAL32 "eip=+", %eax, 8
2:      popl %eax
        popfl
        ret

        .balign 16
isr32_stubs:
        .set vec, 0
        .rept 256
        .balign 16
        .if (vec == 8) | (vec == 10) | (vec == 11) | (vec == 12) | (vec == 13) | (vec == 14) | (vec == 17) | (vec == 21) | (vec == 29) | (vec == 30)
        .else
        pushl $0
        .endif
        pushl $vec
        jmp isr32_common
        .set vec, vec + 1
        .endr

/* Frame after `pushl %eax`: 0 eax, 4 vector, 8 error, 12 EIP, 16 CS, 20 EFLAGS, (24 ESP, 28 SS from ring 3). */
isr32_common:
        pushl %eax
        movl 4(%esp), %eax
        movl %eax, exc_vector
        movl 8(%esp), %eax
        movl %eax, exc_err
        movl 12(%esp), %eax
        movl %eax, exc_rip
        movl 16(%esp), %eax
        movl %eax, exc_cs
        movl 20(%esp), %eax
        movl %eax, exc_rflags
        movl $0, exc_rsp
        movl $0, exc_ss
        testb $3, 16(%esp)
        jz 1f
        movl 24(%esp), %eax
        movl %eax, exc_rsp
        movl 28(%esp), %eax
        movl %eax, exc_ss
1:      leal 12(%esp), %eax
        movl %eax, exc_frame
        movl %cr2, %eax
        movl %eax, exc_cr2
        cmpl $VEC_RING0, exc_vector
        jne 2f
        movl ring0_saved_rsp, %esp
        movl $KDATA, %eax
        movl %eax, %ds
        movl %eax, %es
        jmp ring3_back32
2:      movl recover_rip, %eax
        testl %eax, %eax
        jz 3f
        movl %eax, 12(%esp)
        movl $0, recover_rip
        popl %eax
        addl $8, %esp
        iretl
3:      PUTS32 "UNEXPECTED exception"
        PVAL32 "vec=", exc_vector, 2
        PVAL32 "err=", exc_err, 8
        PVAL32 "eip=", exc_rip, 8
        PVAL32 "cr2=", exc_cr2, 8
        NL32
        EXIT32 0x7e

        .data
        .balign 8
        .word 0
idt32_desc:  .word 256 * 8 - 1
        .long idt
        .word 0
idt32_small: .word 0
        .long 0
cx8:    .quad 0

        .bss
        .balign 4096
pd32:   .skip 4096
pt32:   .skip 4096
pd_pae: .skip 4096
pt_pae: .skip 4096
tpage0: .skip 4096
tpage1: .skip 4096
tpage2: .skip 4096
        .balign 32
pdpt_pae: .skip 32
tss32:  .skip 104

        .text
        .code64
main64:                                 /* long mode is not used here */
        EXIT 0x7b

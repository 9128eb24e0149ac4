/*
 * syscall: SYSCALL/SYSRET between ring 3 and ring 0 (STAR/LSTAR/SFMASK, EFER.SCE), RCX/R11 on entry,
 * RFLAGS masking and restoring, SWAPGS with KERNEL_GS_BASE as a per-CPU area, SYSRET to 64-bit and
 * to compatibility mode, and RDMSR/WRMSR of FS/GS base (and how a selector load changes it).
 */
        .include "common.inc"

        .set MSR_STAR, 0xc0000081
        .set MSR_LSTAR, 0xc0000082
        .set MSR_SFMASK, 0xc0000084
        .set MSR_FS_BASE, 0xc0000100
        .set MSR_GS_BASE, 0xc0000101
        .set MSR_KERNEL_GS_BASE, 0xc0000102

/* WRMSR64 msr, value (immediate or register): clobbers rax, rcx, rdx. */
.macro WRMSR64 msr, value
        movq \value, %rax
        movq %rax, %rdx
        shrq $32, %rdx
        movl $\msr, %ecx
        wrmsr
.endm
/* RDMSR64 msr -> rax: clobbers rcx, rdx. */
.macro RDMSR64 msr
        movl $\msr, %ecx
        rdmsr
        shlq $32, %rdx
        orq %rdx, %rax
.endm
.macro LINE name
        PUTS "syscall: \name"
        REPORT
.endm

        .code32
main32:
        jmp enter_long_mode

        .code64
main64:
        /* SYSCALL with EFER.SCE=0 is #UD (also from ring 0). */
        TRY syscall
        LINE "sce0"
        NL

        movl $MSR_EFER, %ecx
        rdmsr
        orl $1, %eax                    /* SCE */
        wrmsr
        /* STAR: SYSCALL CS=0x08 SS=0x10; SYSRET base 0x30: 64-bit CS=0x40|3, SS=0x38|3, compat CS=0x30|3. */
        WRMSR64 MSR_STAR, $0x0030000800000000
        WRMSR64 MSR_LSTAR, $syscall_entry
        WRMSR64 MSR_SFMASK, $0x40700    /* AC, DF, IF, TF */
        WRMSR64 MSR_KERNEL_GS_BASE, $percpu
        WRMSR64 MSR_GS_BASE, $user_gs_area
        PUTS "syscall: msrs"
        RDMSR64 MSR_STAR
        PVAL "star=", %rax
        RDMSR64 MSR_SFMASK
        PVAL "sfmask=", %rax, 8
        RDMSR64 MSR_LSTAR
        subq $syscall_entry, %rax
        PVAL "lstar-entry=", %rax, 8
        NL

        /* FS/GS base: WRMSR then use it; a selector load replaces the base from the descriptor. */
        WRMSR64 MSR_FS_BASE, $fs_area
        movq %fs:8, %rbx
        PUTS "syscall: fsbase"
        PVAL "fs:8=", %rbx, 8
        movl $KDATA, %eax
        movl %eax, %fs
        RDMSR64 MSR_FS_BASE
        PVAL "after_mov_fs=", %rax
        movabsq $0xffff800000001000, %rbx
        WRMSR64 MSR_FS_BASE, %rbx
        RDMSR64 MSR_FS_BASE
        PVAL "high=", %rax
        movq $user_gs_area, %rbx
        WRMSR64 MSR_FS_BASE, $0
        movq %gs:0, %rax
        PVAL "gs:0=", %rax, 8
        NL

        movq $user_code, %rdi
        movq $ustack_top, %rsi
        call enter_ring3
        PUTS "syscall: back in ring 0"
        PVAL "from_cs=", exc_cs, 4
        NL
        PUTS "syscall: done"
        NL
        EXIT 0

/* SYSCALL entry: RSP is still the user's. Per-CPU area (KERNEL_GS_BASE): +0 kernel stack, +8 user RSP. */
syscall_entry:
        swapgs
        movq %rsp, %gs:8
        movq %gs:0, %rsp
        pushq %rcx
        pushq %r11
        pushfq
        popq %rbx
        movq %rax, %r12
        PUTS "syscall: entry"
        PVAL "nr=", %r12, 2
        movq %rcx, %rax
        subq $after_syscall1, %rax
        cmpq $2, %r12
        jne 1f
        movq %rcx, %rax
        subq $after_syscall2, %rax
1:      PVAL "rcx-next=", %rax, 8
        PVAL "r11=", %r11, 8
        andl $0x47702, %ebx
        PVAL "rflags=", %rbx, 8
        movq %cs, %rax
        PVAL "cs=", %rax, 4
        movq %ss, %rax
        PVAL "ss=", %rax, 4
        movq %gs:8, %rax
        subq $ustack_top, %rax
        PVAL "user_rsp-top=", %rax, 8
        RDMSR64 MSR_GS_BASE
        subq $percpu, %rax
        PVAL "gsbase-percpu=", %rax, 8
        RDMSR64 MSR_KERNEL_GS_BASE
        subq $user_gs_area, %rax
        PVAL "kgsbase-user=", %rax, 8
        NL
        popq %r11
        popq %rcx
        movq %gs:8, %rsp
        swapgs
        cmpq $2, %r12
        je 2f
        sysretq
2:      movl $compat_user, %ecx
        sysretl                         /* to compatibility mode, CS = STAR[63:48] | 3 */

user_code:
        xorl %eax, %eax                 /* ZF, PF */
        movl $1, %eax
        std
        syscall
after_syscall1:
        pushfq
        popq %rbx
        cld
        movq %cs, %rax
        PUTS "syscall: after sysretq"
        PVAL "cs=", %rax, 4
        movq %ss, %rax
        PVAL "ss=", %rax, 4
        andl $0x47fd7, %ebx             /* AC, IOPL, OF DF IF TF SF ZF AF PF CF */
        PVAL "rflags=", %rbx, 8
        movq %gs:0, %rax
        PVAL "gs:0=", %rax, 8
        NL
        TRY swapgs
        LINE "user_swapgs"
        NL
        TRY sysretq
        LINE "user_sysret"
        NL
        movl $2, %eax
        syscall
after_syscall2:
        PUTS "syscall: never here"
        NL
        EXIT 0x7c

        .code32
compat_user:
        movl %cs, %eax
        PUTS32 "syscall: compat after sysretl"
        PVAL32 "cs=", %eax, 4
        movl %ss, %eax
        PVAL32 "ss=", %eax, 4
        NL32
        ljmp $UCODE64, $user64_again
        .code64
user64_again:
        movq %cs, %rax
        PUTS "syscall: ring 3 64-bit again"
        PVAL "cs=", %rax, 4
        NL
        int $VEC_RING0

        .data
        .balign 16
percpu:         .quad rsp0_top, 0
user_gs_area:   .quad 0x600dc0de, 0
fs_area:        .quad 0, 0xf5f5f5f5

/*
 * smc: self-modifying and cross-modifying code in 64-bit mode, aimed at the invalidation rules of a
 * JIT that compiles hot blocks per physical page: a write to a page drops the code made from it,
 * and a block that writes its own page must stop right after the write.
 * Every case runs loops that patch code and prints checksums of what the patched code computed
 * (hex): the reference CPU's output is the expected result. Most cases come twice: patching in
 * every iteration (short loops: with a JIT that compiles everything at once, every iteration runs
 * freshly compiled code that it then invalidates) and patching every ~1000 iterations (thousands of
 * iterations: blocks get hot and compiled under a threshold of a few hundred executions between
 * two patches, so the patches hit compiled code). Case f patches in every iteration by nature and
 * runs 1000+ iterations.
 *   a  an immediate patched between calls of a hot function, every N calls (from another page and
 *      from the function's own page)
 *   b  stores patching instructions a few bytes ahead in the same straight-line block (the next
 *      instruction, past a forward JMP, an opcode, read-modify-write stores, a rarely taken store)
 *   c  a second 4 KiB linear mapping (alias) of a code page: patch through one, run through the
 *      other; the same code run at both addresses (RIP-relative results differ); a block patching
 *      itself through the alias
 *   d  a writer on one page patching code on another, jumping back and forth between the pages;
 *      an instruction that straddles two pages, patched in either page
 *   e  a loop rewriting the displacement of a JMP rel32 / JMP rel8 it executes (in the same
 *      iteration and in the next), and the condition of a Jcc
 *   f  a page with code and frequently written data; data on a code page written from another
 *      page; the stack on a page with code, so the CALL to a helper (further on the same page)
 *      writes the code page: the helper counts its calls
 *   g  every kind of writer patching a hot function: MOV, RMW ALU, XCHG, LOCK XADD, CMPXCHG,
 *      REP STOSB, REP MOVSB (a new function body), MOVSD, BTC, SETcc, ROL, MOVD from XMM, and a
 *      qword store that crosses from a data page into the code page
 * Code lives in page-aligned parts of .text (the image is RWX); the alias is VA 0x40000000.
 */
        .include "common.inc"

        .set VA_ALIAS, 0x40000000       /* pdpt0[1] -> pd_alias[0] -> pt_alias: 4 KiB pages */

.macro LINE name
        PUTS "smc: \name"
.endm
/* rbx = (rol(rbx, 13) + src) * 0x5bd1e995: a bijection of rbx for a given src, so a single wrong
 * value changes the final checksum. */
.macro MIX src
        rolq $13, %rbx
        addq \src, %rbx
        imulq $0x5bd1e995, %rbx, %rbx
.endm

        .code32
main32:
        jmp enter_long_mode

        .code64
main64:
        /* SSE on (case g stores from an XMM register): CR4.OSFXSR, CR0.EM clear. */
        movq %cr4, %rax
        orq $0x600, %rax
        movq %rax, %cr4
        movq %cr0, %rax
        andq $~4, %rax
        orq $2, %rax
        movq %rax, %cr0
        /* The alias: VA_ALIAS + 0 -> page_c. */
        movq $(pd_alias + 7), %rax
        movq %rax, pdpt0 + 8
        movq $(pt_alias + 7), %rax
        movq %rax, pd_alias
        movq $(page_c + 7), %rax
        movq %rax, pt_alias
        movq %cr3, %rax
        movq %rax, %cr3

        call case_a
        call case_b
        call case_c
        call case_d
        call case_e
        call case_f
        call case_g
        PUTS "smc: done"
        NL
        EXIT 0

/* ================================================================ a: a patched immediate */

/* a_run(esi = patch period, ecx = iterations, r8d = writer: 0 this page, 1 a_func's page).
 * rbx = checksum of a_func(i); every `period` calls the immediate K of a_func becomes i*0x9e3779b9. */
a_run:
        xorl %ebx, %ebx
        xorl %edi, %edi
        movl %esi, %r9d
1:      call a_func
        MIX %rax
        decl %r9d
        jnz 2f
        movl %esi, %r9d
        imull $0x9e3779b9, %edi, %eax
        testl %r8d, %r8d
        jnz 3f
        movl %eax, a_k + 1(%rip)
        jmp 2f
3:      pushq %rdi
        movl %eax, %edi
        call a_patch_local
        popq %rdi
2:      incl %edi
        cmpl %ecx, %edi
        jne 1b
        ret

.macro A_CASE period, iters, writer
        movl $0x11111111, a_k + 1
        movl $\period, %esi
        movl $\iters, %ecx
        movl $\writer, %r8d
        call a_run
        LINE "a period=\period iters=\iters writer=\writer"
        PVAL "sum=", %rbx
        movl a_k + 1, %eax
        PVAL "k=", %rax, 8
        NL
.endm

case_a:
        A_CASE 1, 150, 0
        A_CASE 5, 750, 0
        A_CASE 1000, 5000, 0
        A_CASE 3, 450, 1
        A_CASE 1100, 5500, 1
        ret

        .balign 4096
page_a:
/* a_func(edi = i): rax = 3*i + K */
a_func:
        leaq (%rdi,%rdi,2), %rax
a_k:    movl $0x11111111, %edx          /* K: the patched immediate (a_k + 1) */
        addq %rdx, %rax
        ret
/* a_patch_local(edi = new K): the writer on a_func's own page. */
a_patch_local:
        movl %edi, a_k + 1(%rip)
        ret

/* ================================================================ b: patches a few bytes ahead */

        .balign 4096
page_b:
/* All b*_run(ecx = iterations, r8d = mask) store when (ecx & mask) == 0 (mask 0: every iteration;
 * otherwise the stores are on a rarely taken path, so blocks compiled from unpatched code run in
 * between) and return a checksum in rbx. */

/* b1: the store patches the very next instruction. */
b1_run:
        xorl %ebx, %ebx
1:      imull $0x01000193, %ecx, %eax
        testl %r8d, %ecx
        jnz 2f
        movl %eax, 2f + 1(%rip)
2:      movl $0x77, %edx
        MIX %rdx
        decl %ecx
        jnz 1b
        ret

/* b2: an immediate past a forward JMP and an opcode (ADD / SUB / XOR) a few instructions ahead. */
b2_run:
        xorl %ebx, %ebx
        xorl %esi, %esi
1:      leal 0x1234(%rcx,%rcx,4), %eax
        testl %r8d, %ecx
        jnz 6f
        movl %eax, 3f + 1(%rip)
        movl %ecx, %edx
        andl $3, %edx
        movb b2_ops(%rdx), %dl
        movb %dl, 4f + 1(%rip)
6:      addq $3, %rsi
        jmp 5f
        .fill 16, 1, 0xcc               /* never executed */
5:
3:      movl $0, %eax
4:      addq %rax, %rbx                 /* 48 01 c3: opcode byte at 4f + 1 */
        rolq $7, %rbx
        imulq $0x5bd1e995, %rbx, %rbx
        decl %ecx
        jnz 1b
        addq %rsi, %rbx
        ret

/* b4: read-modify-write stores (INC, NOT, ADD, SETC, NEG) on immediates ahead. r8d is also one of
 * the patched instructions' destinations: the mask is taken again from r9d. */
b4_run:
        xorl %ebx, %ebx
1:      testl %r8d, %ecx
        jnz 7f
        incl 2f + 1(%rip)
        notl 3f + 1(%rip)
        addb $0x35, 4f + 1(%rip)
        setc 5f + 1(%rip)
        negl 6f + 2(%rip)
7:
2:      movl $0, %edx
3:      movl $0x0f0f0f0f, %esi
4:      movl $0, %edi
5:      movl $0x12345600, %eax
6:      movl $0x00000001, %r8d          /* 41 b8 imm32: the immediate is at 6f + 2 */
        MIX %rdx
        MIX %rsi
        MIX %rdi
        MIX %rax
        MIX %r8
        movl %r9d, %r8d                 /* the mask again */
        decl %ecx
        jnz 1b
        ret

.macro B_CASE name, fn, mask, iters
        movl $\iters, %ecx
        movl $\mask, %r8d
        movl $\mask, %r9d
        call \fn
        LINE "b \name mask=\mask iters=\iters"
        PVAL "sum=", %rbx
        NL
.endm

case_b:
        B_CASE next_insn, b1_run, 0, 150
        B_CASE next_insn, b1_run, 0x3ff, 8192
        B_CASE past_jmp_and_opcode, b2_run, 0, 150
        B_CASE past_jmp_and_opcode, b2_run, 0x3ff, 8192
        B_CASE rmw, b4_run, 0, 150
        B_CASE rmw, b4_run, 0x3ff, 8192
        ret

        .data
b2_ops: .byte 0x01, 0x29, 0x31, 0x01    /* ADD, SUB, XOR, ADD (r/m, reg) */
        .text

/* ================================================================ c: an alias mapping */

        .balign 4096
page_c:
/* c_func(rdi): rax = K ^ rdi */
c_func:
c_k:    movl $0x0badf00d, %eax
        xorq %rdi, %rax
        ret
/* c_where(rdi): rax = its own linear address + rdi (differs between the two mappings) */
c_where:
        leaq c_where(%rip), %rax
        addq %rdi, %rax
        ret
/* c_self(ecx = iterations, r8d = mask, r10 = where to write the immediate at c_self_k + 1):
 * patches an instruction ahead of itself (when (ecx & mask) == 0) through whichever mapping r10
 * uses; a JMP in between, as the SDM asks of self-modifying code. */
c_self:
        xorl %ebx, %ebx
1:      imull $0x3b9aca07, %ecx, %eax
        testl %r8d, %ecx
        jnz 2f
        movl %eax, (%r10)
        jmp 2f
2:
c_self_k:
        movl $0, %edx
        MIX %rdx
        decl %ecx
        jnz 1b
        ret


        .balign 4096                    /* the drivers: on another page */

/* c_run(ecx = iterations, esi = patch period, r10 = where to call c_func, r11 = where to write K) */
c_run:
        xorl %ebx, %ebx
        xorl %edi, %edi
        movl %esi, %r9d
1:      call *%r10
        MIX %rax
        decl %r9d
        jnz 2f
        movl %esi, %r9d
        imull $0x2c1b3c6d, %edi, %eax
        movl %eax, (%r11)
2:      incl %edi
        cmpl %ecx, %edi
        jne 1b
        ret

.macro C_CASE name, period, iters, call_at, write_at
        movl $0x0badf00d, c_k + 1
        movl $\iters, %ecx
        movl $\period, %esi
        movq $(\call_at), %r10
        movq $(\write_at), %r11
        call c_run
        LINE "c \name period=\period iters=\iters"
        PVAL "sum=", %rbx
        movl c_k + 1, %eax
        PVAL "k=", %rax, 8
        NL
.endm
.macro C_SELF name, mask, iters, run_at, write_at
        movl $\iters, %ecx
        movl $\mask, %r8d
        movq $(\write_at), %r10
        movq $(\run_at), %rax
        call *%rax
        LINE "c self_\name mask=\mask iters=\iters"
        PVAL "sum=", %rbx
        movl c_self_k + 1, %eax
        PVAL "k=", %rax, 8
        NL
.endm

case_c:
        C_CASE run_direct_write_alias, 1, 150, c_func, c_k+1-page_c+VA_ALIAS
        C_CASE run_direct_write_alias, 1000, 5000, c_func, c_k+1-page_c+VA_ALIAS
        C_CASE run_alias_write_direct, 1, 150, c_func-page_c+VA_ALIAS, c_k+1
        C_CASE run_alias_write_direct, 1000, 5000, c_func-page_c+VA_ALIAS, c_k+1
        C_CASE run_alias_write_alias, 1, 150, c_func-page_c+VA_ALIAS, c_k+1-page_c+VA_ALIAS
        C_CASE run_alias_write_alias, 1000, 5000, c_func-page_c+VA_ALIAS, c_k+1-page_c+VA_ALIAS

        /* The same code at two linear addresses, alternately. */
        xorl %ebx, %ebx
        xorl %r12d, %r12d
1:      movq %r12, %rdi
        call c_where
        MIX %rax
        movq %rax, %r13
        movq %r12, %rdi
        movq $(c_where - page_c + VA_ALIAS), %rax
        call *%rax
        MIX %rax
        movq %rax, %r14
        incl %r12d
        cmpl $3000, %r12d
        jne 1b
        LINE "c both_mappings"
        PVAL "sum=", %rbx
        PVAL "direct=", %r13, 8
        PVAL "alias=", %r14, 8
        NL

        C_SELF run_direct_write_alias, 0, 150, c_self, c_self_k+1-page_c+VA_ALIAS
        C_SELF run_direct_write_alias, 0x3ff, 8192, c_self, c_self_k+1-page_c+VA_ALIAS
        C_SELF run_alias_write_alias, 0, 150, c_self-page_c+VA_ALIAS, c_self_k+1-page_c+VA_ALIAS
        C_SELF run_alias_write_alias, 0x3ff, 8192, c_self-page_c+VA_ALIAS, c_self_k+1-page_c+VA_ALIAS
        C_SELF run_alias_write_direct, 0, 150, c_self-page_c+VA_ALIAS, c_self_k+1
        C_SELF run_alias_write_direct, 0x3ff, 8192, c_self-page_c+VA_ALIAS, c_self_k+1
        ret

/* ================================================================ d: across pages */

        .balign 4096
page_d1:
/* d_run(ecx = iterations, r8d = mask): d_pong's immediate (page d2) is patched when
 * (ecx & mask) == 0, then control goes to d_pong, which jumps back. */
d_run:
        xorl %ebx, %ebx
1:      imull $0x6b43a9b5, %ecx, %eax
        testl %r8d, %ecx
        jnz 2f
        movl %eax, d_pong_k + 1(%rip)
2:      jmp d_pong
d_back:
        MIX %rdx
        decl %ecx
        jnz 1b
        ret

        .balign 4096
page_d2:
d_pong:
d_pong_k:
        movl $0x1000, %edx
        addl %ecx, %edx
        jmp d_back

/* d3_func(rdi): rax = rdi + 1 + imm64, where the MOVABS holding imm64 straddles page_d3/page_d4:
 * 48 b8 and the low 4 immediate bytes end page_d3, the high 4 bytes start page_d4. */
        .balign 4096
page_d3:
d3_func:
        movq %rdi, %rdx
        jmp d3_tail
        .org page_d3 + 4096 - 16, 0xcc
d3_tail:
        addq $1, %rdx                   /* 4 bytes */
        .org page_d3 + 4096 - 6, 0x90   /* NOPs */
d3_movabs:
        movabsq $0x1122334455667788, %rax
        .org page_d3 + 4096 + 4         /* (fails to assemble if the MOVABS is not 10 bytes) */
        addq %rdx, %rax
        ret
/* d4_func(rdi): rax = 7*rdi + 5, hot code on page_d4 (so the page has compiled blocks). */
d4_func:
        leaq (%rdi,%rdi,2), %rax
        leaq 5(%rax,%rdi,4), %rax
        ret
        .set page_d4, page_d3 + 4096

        .balign 4096                    /* the drivers: on another page */

/* d3_run(ecx = iterations, esi = period): calls d3_func and d4_func; every period calls patches
 * the high half of the immediate (page d4) or the low half (page d3), alternately. */
d3_run:
        xorl %ebx, %ebx
        xorl %edi, %edi
        movl %esi, %r9d
        xorl %r10d, %r10d
1:      call d3_func
        MIX %rax
        call d4_func
        MIX %rax
        decl %r9d
        jnz 2f
        movl %esi, %r9d
        imull $0x61c88647, %edi, %eax
        incl %r10d
        testl $1, %r10d
        jz 3f
        movl %eax, page_d4              /* high half, on page d4 */
        jmp 2f
3:      movl %eax, d3_movabs + 2        /* low half, on page d3 */
2:      incl %edi
        cmpl %ecx, %edi
        jne 1b
        ret

.macro D_CASE mask, iters
        movl $\iters, %ecx
        movl $\mask, %r8d
        call d_run
        LINE "d ping_pong mask=\mask iters=\iters"
        PVAL "sum=", %rbx
        movl d_pong_k + 1, %eax
        PVAL "k=", %rax, 8
        NL
.endm
.macro D3_CASE period, iters
        movl $\iters, %ecx
        movl $\period, %esi
        call d3_run
        LINE "d straddling period=\period iters=\iters"
        PVAL "sum=", %rbx
        PVAL "imm=", d3_movabs + 2
        NL
.endm

case_d:
        D_CASE 0, 150
        D_CASE 0x3ff, 8192
        D3_CASE 1, 150
        D3_CASE 7, 700
        D3_CASE 1000, 5000
        ret

/* ================================================================ e: branch targets */

        .balign 4096
page_e:
e_tb:   addq $5, %rbx                   /* a backward target of e_jmp */
        jmp e_join
/* e1(ecx = iterations, r8d = mask): when (ecx & mask) == 0 the iteration picks a target and
 * patches the rel32 of e_jmp, which it executes next. */
e1_run:
        xorl %ebx, %ebx
1:      imull $0x9e3779b1, %ecx, %eax
        shrl $30, %eax
        testl %r8d, %ecx
        jnz e_jmp
        movl e_disp(,%rax,4), %edx
        movl %edx, e_jmp + 1(%rip)
e_jmp:  .byte 0xe9                      /* JMP rel32 */
        .long e_t0 - e_jmp_end
e_jmp_end:
e_t0:   addq $0x1111, %rbx
        jmp e_join
e_t1:   xorq $0x2222, %rbx
        jmp e_join
e_t2:   subq $0x3333, %rbx
e_join: MIX %rcx
        decl %ecx
        jnz 1b
        ret

/* e2(ecx = iterations, r8d = mask): e2_jmp (JMP rel8) executes the target chosen in an earlier
 * iteration (a new one when (ecx & mask) == 0). */
e2_run:
        xorl %ebx, %ebx
1:
e2_jmp: .byte 0xeb                      /* JMP rel8 */
        .byte e2_t0 - e2_jmp_end
e2_jmp_end:
e2_t0:  addq $7, %rbx
        jmp 5f
e2_t1:  rolq $3, %rbx
        jmp 5f
e2_t2:  xorq %rcx, %rbx
        jmp 5f
e2_t3:  notq %rbx
5:      testl %r8d, %ecx
        jnz 6f
        imull $0x2f72b421, %ecx, %eax
        shrl $30, %eax
        movb e2_disp(%rax), %dl
        movb %dl, e2_jmp + 1(%rip)
6:      MIX %rcx
        decl %ecx
        jnz 1b
        ret

/* e3(ecx = iterations, r8d = mask): the condition of e3_jcc changes when (ecx & mask) == 0. */
e3_run:
        xorl %ebx, %ebx
        xorl %r10d, %r10d
1:      testl %r8d, %ecx
        jnz 4f
        incl %r10d
        movl %r10d, %eax
        andl $3, %eax
        movb e3_ops(%rax), %dl
        movb %dl, e3_jcc(%rip)
4:      movl %ecx, %eax
        andl $7, %eax
        cmpl $3, %eax
e3_jcc: je 2f                           /* 74 rel8: the opcode becomes JE / JNE / JL / JG */
        addq %rcx, %rbx
        jmp 3f
2:      subq $0x55, %rbx
3:      MIX %rcx
        decl %ecx
        jnz 1b
        ret

        .data
e_disp: .long e_t0 - e_jmp_end, e_t1 - e_jmp_end, e_t2 - e_jmp_end, e_tb - e_jmp_end
e2_disp: .byte e2_t0 - e2_jmp_end, e2_t1 - e2_jmp_end, e2_t2 - e2_jmp_end, e2_t3 - e2_jmp_end
e3_ops: .byte 0x74, 0x75, 0x7c, 0x7f
        .text

.macro E3_CASE mask, iters
        movb $0x74, e3_jcc
        movl $\iters, %ecx
        movl $\mask, %r8d
        call e3_run
        LINE "e jcc_condition mask=\mask iters=\iters"
        PVAL "sum=", %rbx
        movzbl e3_jcc, %eax
        PVAL "op=", %rax, 2
        NL
.endm

.macro E1_CASE mask, iters
        movl $0, e_jmp + 1
        movl $\iters, %ecx
        movl $\mask, %r8d
        call e1_run
        LINE "e jmp_rel32_same_iteration mask=\mask iters=\iters"
        PVAL "sum=", %rbx
        movl e_jmp + 1, %eax
        PVAL "disp=", %rax, 8
        NL
.endm
.macro E2_CASE mask, iters
        movb $0, e2_jmp + 1
        movl $\iters, %ecx
        movl $\mask, %r8d
        call e2_run
        LINE "e jmp_rel8_later_iteration mask=\mask iters=\iters"
        PVAL "sum=", %rbx
        movzbl e2_jmp + 1, %eax
        PVAL "disp=", %rax, 2
        NL
.endm

case_e:
        E1_CASE 0, 150
        E1_CASE 0x3ff, 8192
        E2_CASE 0, 150
        E2_CASE 0x3ff, 8192
        E3_CASE 0, 150
        E3_CASE 0x3f, 2048
        E3_CASE 0x3ff, 8192
        ret

/* ================================================================ f: code and data together */

        .balign 4096
page_f:
/* f1(ecx = iterations): counters on this page written every iteration. */
f1_run:
        xorl %ebx, %ebx
1:      incq f_count(%rip)
        movq f_acc(%rip), %rax
        imulq $0x5851f42d, %rax, %rax
        addq %rcx, %rax
        movq %rax, f_acc(%rip)
        movl %ecx, %edx
        andl $15, %edx
        addb %cl, f_bytes(%rdx)
        MIX %rax
        decl %ecx
        jnz 1b
        ret

/* f2(ecx = iterations): the stack is on this page; a CALL to a helper further on the page. */
f2_run:
        movq %rsp, f_saved_rsp(%rip)
        xorl %ebx, %ebx
1:      leaq f_stack_top(%rip), %rsp
        movq %rcx, %rdi
        call f2_helper
        MIX %rax
        decl %ecx
        jnz 1b
        movq f_saved_rsp(%rip), %rsp
        ret
f2_helper:
        incl f2_calls                   /* (on a data page) */
        leaq 1(%rdi,%rdi,2), %rax
        xorq %rdi, %rax
        ret

/* f3_func(rdi): rax = 5*rdi + f_bytes[0..7] */
f3_func:
        leaq (%rdi,%rdi,4), %rax
        addq f_bytes(%rip), %rax
        ret

        .balign 64
f_count:        .quad 0
f_acc:          .quad 1
f_saved_rsp:    .quad 0
f_bytes:        .fill 16, 1, 0
f_stack:        .fill 256, 1, 0
f_stack_top:

        .data
f2_calls:       .long 0
        .text

        .balign 4096                    /* the drivers: on another page */
/* f3(ecx = iterations): f3_func is hot; its page's data is written from this page every call. */
f3_run:
        xorl %ebx, %ebx
1:      movq %rcx, %rdi
        call f3_func
        MIX %rax
        movb %cl, f_bytes + 3
        addl %ecx, f_count
        decl %ecx
        jnz 1b
        ret

case_f:
        movl $1000, %ecx
        call f1_run
        LINE "f data_on_code_page iters=1000"
        PVAL "sum=", %rbx
        PVAL "count=", f_count
        PVAL "acc=", f_acc
        PVAL "bytes=", f_bytes
        PVAL "bytes_hi=", f_bytes + 8
        NL
        movl $1000, %ecx
        call f3_run
        LINE "f data_written_from_other_page iters=1000"
        PVAL "sum=", %rbx
        PVAL "count=", f_count
        PVAL "bytes=", f_bytes
        NL
        movl $2500, %ecx
        call f2_run
        LINE "f stack_on_code_page iters=2500"
        PVAL "sum=", %rbx
        movl f2_calls, %eax
        PVAL "helper_calls=", %rax, 8
        NL
        ret

/* ================================================================ g: every kind of writer */

        .balign 4096
g_pre:  .fill 4096, 1, 0                /* a data page right before g_page */
page_g:
/* g_func(rdi): rax = K + rdi, K at page_g + 1 (the MOV opcode is the page's first byte) */
g_func:
        movl $0x11223344, %eax
        addq %rdi, %rax
        ret
/* g_func2: a function body replaced wholesale by REP MOVSB (32 bytes). */
g_func2:
        leaq 3(%rdi,%rdi,1), %rax
        ret
        .org g_func2 + 32, 0xcc

        .set G_K, page_g + 1

        .balign 4096                    /* templates and drivers: on another page */

/* Templates for g_func2 (copied, not executed in place). */
g_tmpl:
        movq %rdi, %rax
        shlq $4, %rax
        subq %rdi, %rax
        ret
        .org g_tmpl + 32, 0xcc
g_tmpl2:
        xorl %eax, %eax
        notq %rax
        xorq %rdi, %rax
        addq $0x42, %rax
        ret
        .org g_tmpl2 + 32, 0xcc

/* g_hot: 1000 calls of g_func and g_func2 (compiled before the next writer comes); rbx mixed. */
g_hot:
        xorl %edi, %edi
1:      call g_func
        MIX %rax
        call g_func2
        MIX %rax
        incl %edi
        cmpl $1000, %edi
        jne 1b
        ret

.macro G_LINE name
        call g_hot
        LINE "g \name"
        movl G_K, %eax
        PVAL "k=", %rax, 8
        PVAL "sum=", %rbx
        NL
.endm

case_g:
        xorl %ebx, %ebx
        G_LINE initial
        movl $0x5eed0001, G_K
        G_LINE mov
        addl $0x01010101, G_K
        G_LINE add
        movl $0xa5a50002, %eax
        xchgl %eax, G_K
        G_LINE xchg
        movl $0x00300030, %eax
        lock xaddl %eax, G_K
        G_LINE lock_xadd
        movl G_K, %eax
        movl $0xc0de0003, %edx
        lock cmpxchgl %edx, G_K
        G_LINE cmpxchg
        movl $(G_K + 1), %edi
        movl $2, %ecx
        movb $0x7e, %al
        rep stosb
        G_LINE rep_stosb
        movl $g_tmpl, %esi
        movl $g_func2, %edi
        movl $32, %ecx
        rep movsb
        G_LINE rep_movsb
        movl $g_src, %esi
        movl $G_K, %edi
        movsl
        G_LINE movsd
        btcl $13, G_K
        G_LINE btc
        stc
        setc G_K + 3
        G_LINE setc
        roll $8, G_K
        G_LINE rol
        movl $0x600d0004, %eax
        movd %eax, %xmm0
        movd %xmm0, G_K
        G_LINE movd_xmm
        /* A qword at page_g - 4: 4 bytes of g_pre, then the MOV opcode (kept) and 3 bytes of K. */
        movabsq $0x123456b8ddccbbaa, %rax
        movq %rax, page_g - 4
        G_LINE cross_page_store
        movl $g_tmpl2, %esi
        movl $g_func2, %edi
        movl $32, %ecx
        rep movsb
        G_LINE rep_movsb_again
        ret

        .data
g_src:  .long 0x0dd0f00d

        .bss
        .balign 4096
pd_alias:  .skip 4096
pt_alias:  .skip 4096
        .text

/*
 * paging: 4-level paging faults and page-table bits, in 64-bit mode.
 * Test mappings live at VA 0x40000000 (PDPT0[1] -> pd_t; pd_t[0] -> pt_t with 4 KiB pages onto the
 * frames in tpages), a 2 MiB page at VA 0x40200000 (pd_t[1]) and a 1 GiB page at VA 0x80000000
 * (PDPT0[2], physical 0). Each line prints the #PF error code, CR2 and the faulting RIP (relative
 * to the instruction that was tried), and the A/D bits the walk left in the entries.
 */
        .include "common.inc"

        .set VA, 0x40000000
        .set P, 1
        .set W, 2
        .set U, 4
        .set A, 0x20
        .set D, 0x40
        .set PS, 0x80
        .set G, 0x100

/* SETPTE i, flags: pt_t[i] = tpages + i*4096 | flags (flags < 2^31). */
.macro SETPTE i, flags
        movq $(tpages + \i * 4096 + \flags), %rax
        movq %rax, pt_t + 8 * \i
        invlpg VA + \i * 0x1000
.endm
.macro PFLINE name
        PUTS "paging: \name"
        REPORT
        PVAL "cr2=", exc_cr2
.endm
/* Reserved-bit faults: the error code is printed without its P bit. Intel SDM vol. 3A §4.7 (error
 * code, RSVD flag): "reserved bits are not checked in a paging-structure entry whose P flag is 0,
 * bit 3 of the error code can be set only if bit 0 is also set" - hardware reports 0x9/0xb (Linux
 * oopses on KVM show "error_code(0x000b) - reserved bit violation"). QEMU 7.2 TCG reports 0x8/0xa
 * (P clear), so P is the disputed bit; RSVD, W/R, U/S, I/D, CR2 and RIP are still compared. */
.macro RSVDLINE name
        PUTS "paging: \name"
        pushq %rax
        cmpl $0xffffffff, exc_vector
        jne 1f
        PUTS " no-exception"
        jmp 2f
1:      movl exc_vector, %eax
        PVAL "vec=", %rax, 2
        movq exc_err, %rax
        andq $~1, %rax
        PVAL "err_without_P=", %rax, 8
        movq exc_rip, %rax
        subq try_rip, %rax
        PVAL "rip=+", %rax, 8
2:      popq %rax
        PVAL "cr2=", exc_cr2
.endm

        .code32
main32:
        jmp enter_long_mode

        .code64
main64:
        movq $(pd_t + P + W + U), %rax
        movq %rax, pdpt0 + 8
        movq $(pt_t + P + W + U), %rax
        movq %rax, pd_t
        movq %cr3, %rax
        movq %rax, %cr3

        /* Not-present read and write (PTE 0). */
        TRY movq VA + 0x123, %rax
        PFLINE "np_read"
        NL
        TRY movl %eax, VA + 0x456
        PFLINE "np_write"
        NL
        /* Not present at the PDE level (pd_t[5] = 0). */
        TRY movb VA + 0xa00000 + 0x77, %al
        PFLINE "np_pde_read"
        NL

        /* Read-only page (P, no W): ring-0 write faults with CR0.WP=1, is allowed with WP=0. */
        SETPTE 1, P
        movq %cr0, %rax
        orq $0x10000, %rax
        movq %rax, %cr0
        movl $0x11111111, %eax
        TRY movl %eax, VA + 0x1010
        PFLINE "ro_write_wp1"
        NL
        movq %cr0, %rax
        andq $~0x10000, %rax
        movq %rax, %cr0
        movl $0x22222222, %eax
        TRY movl %eax, VA + 0x1010
        PFLINE "ro_write_wp0"
        PVAL "mem=", tpages + 0x1010, 8
        movq pt_t + 8, %rax
        andl $0x67, %eax
        PVAL "pte=", %rax, 3
        NL
        /* Read-only at the PDE level only (pd_t[2] -> pt_t, W=0; the PTE is P|W), with WP=1. */
        SETPTE 10, (P + W)
        movq $(pt_t + P + U), %rax
        movq %rax, pd_t + 16
        movq %cr0, %rax
        orq $0x10000, %rax
        movq %rax, %cr0
        movq %cr3, %rax
        movq %rax, %cr3
        TRY movl %eax, VA + 0x400000 + 0xa020
        PFLINE "ro_pde_write_wp1"
        NL

        /* A/D bits: a fresh P|W page; a read sets A, a later write sets D; non-leaf entries get A. */
        movq pdpt0 + 8, %rax
        andq $~0x60, %rax
        movq %rax, pdpt0 + 8
        movq pd_t, %rax
        andq $~0x60, %rax
        movq %rax, pd_t
        movq %cr3, %rax
        movq %rax, %cr3
        SETPTE 4, (P + W)
        movq VA + 0x4000, %rax
        movq pt_t + 32, %rax
        andl $0x60, %eax
        PUTS "paging: ad"
        PVAL "pte_after_read=", %rax, 2
        movq $5, VA + 0x4008
        movq pt_t + 32, %rax
        andl $0x60, %eax
        PVAL "pte_after_write=", %rax, 2
        movq pd_t, %rax
        andl $0x60, %eax
        PVAL "pde=", %rax, 2
        movq pdpt0 + 8, %rax
        andl $0x60, %eax
        PVAL "pdpte=", %rax, 2
        NL

        /* INVLPG: a changed PTE takes effect after INVLPG (also for a global page with CR4.PGE). */
        movq $0xaaaa, tpages + 0x5000
        movq $0xbbbb, tpages + 0x6000
        SETPTE 5, (P + W)
        movq VA + 0x5000, %rbx
        movq $(tpages + 0x6000 + P + W), %rax
        movq %rax, pt_t + 40
        invlpg VA + 0x5000
        movq VA + 0x5000, %rcx
        PUTS "paging: invlpg"
        PVAL "before=", %rbx, 4
        PVAL "after=", %rcx, 4
        movq %cr4, %rax
        orq $0x80, %rax                 /* PGE */
        movq %rax, %cr4
        movq $(tpages + 0x5000 + P + W + G), %rax
        movq %rax, pt_t + 40
        invlpg VA + 0x5000
        movq VA + 0x5000, %rbx
        movq $(tpages + 0x6000 + P + W + G), %rax
        movq %rax, pt_t + 40
        invlpg VA + 0x5000
        movq VA + 0x5000, %rcx
        PVAL "global_before=", %rbx, 4
        PVAL "global_after=", %rcx, 4
        NL
        /* A not-present entry is never cached: fixing it needs no INVLPG. */
        movq $0, pt_t + 56
        invlpg VA + 0x7000
        TRY movq VA + 0x7000, %rax
        movq $0xcccc, tpages + 0x7000
        movq $(tpages + 0x7000 + P + W), %rax
        movq %rax, pt_t + 56
        movq VA + 0x7000, %rcx
        PUTS "paging: np_refill"
        REPORT
        PVAL "value=", %rcx, 4
        NL

        /* Reserved bits: bit 63 (XD) while EFER.NXE=0, then bit 45 (above MAXPHYADDR=40). */
        movabsq $(0x8000000000000000 + P + W), %rax
        addq $(tpages + 0x3000), %rax
        movq %rax, pt_t + 24
        invlpg VA + 0x3000
        TRY movq VA + 0x3000, %rax
        RSVDLINE "rsvd_xd_nxe0_read"
        NL
        movabsq $(0x0000200000000000 + P + W), %rax
        addq $(tpages + 0x2000), %rax
        movq %rax, pt_t + 16
        invlpg VA + 0x2000
        TRY movq VA + 0x2000, %rax
        RSVDLINE "rsvd_bit45_read"
        NL
        TRY movq %rax, VA + 0x2008
        RSVDLINE "rsvd_bit45_write"
        NL
        /* Reserved bit in a 2 MiB PDE (bit 13). */
        movq $(0x400000 + 0x2000 + P + W + PS), %rax
        movq %rax, pd_t + 8 * 3
        TRY movq VA + 0x600000, %rax
        RSVDLINE "rsvd_pde2m_bit13"
        NL

        /* NX: EFER.NXE=1; fetch from an XD page, then a fetch that crosses into a not-present page. */
        movl $MSR_EFER, %ecx
        rdmsr
        orl $0x800, %eax
        wrmsr
        movb $0xc3, tpages + 0x3000     /* ret */
        TRY movq VA + 0x3000, %rax      /* the XD PTE is legal now */
        PUTS "paging: xd_read"
        REPORT
        NL
        movq $(VA + 0x3000), %rax
        TRY jmp *%rax
        PFLINE "nx_fetch"
        PVAL "rip=", exc_rip, 16
        NL
        /* page 6 (P|W) ends with the first 4 bytes of a 10-byte MOVABS; page 7 is not present. */
        movq $0, pt_t + 56
        invlpg VA + 0x7000
        movq $(tpages + 0x6000 + P + W), %rax
        movq %rax, pt_t + 48
        invlpg VA + 0x6000
        movl $0xb848, tpages + 0x6ffc   /* 48 b8 = movabs $imm64, %rax */
        movq $(VA + 0x6ffc), %rax
        TRY jmp *%rax
        PFLINE "fetch_cross_np"
        PVAL "rip=", exc_rip, 16
        NL

        /* Accesses that cross into a not-present page (pt_t[12] present, pt_t[13] not): CR2 is the
         * first byte of the missing page; the faulting write leaves the present page unchanged;
         * REP MOVSB/STOSB stop at the boundary with RCX/RSI/RDI showing the progress (what Linux's
         * copy_to/from_user fixups read back). */
        SETPTE 12, (P + W)
        movq $0, pt_t + 13 * 8
        invlpg VA + 0xd000
        movabsq $0x1111111111111111, %rax
        movq %rax, tpages + 0xcff8
        TRY movq VA + 0xcffc, %rax
        PFLINE "cross_read"
        NL
        movq $-1, %rax
        TRY movq %rax, VA + 0xcffa
        PFLINE "cross_write"
        PVAL "first_page=", tpages + 0xcff8
        NL
        movq $(VA + 0xcff8), %rsi
        movq $(tpages + 0x1000), %rdi
        movq $16, %rcx
        cld
        TRY rep movsb
        PFLINE "rep_movsb_src"
        PVAL "rcx=", %rcx, 4
        movq $(VA + 0xd000), %rax
        subq %rsi, %rax
        PVAL "src_left=", %rax, 4
        subq $tpages + 0x1000, %rdi
        PVAL "dst_done=", %rdi, 4
        NL
        movq $(VA + 0xcffd), %rdi
        movq $20, %rcx
        movb $0x77, %al
        TRY rep stosb
        PFLINE "rep_stosb_dst"
        PVAL "rcx=", %rcx, 4
        PVAL "rdi=", %rdi, 8
        PVAL "first_page=", tpages + 0xcff8
        NL
        std
        movq $(VA + 0xd003), %rsi
        movq $(tpages + 0x1100), %rdi
        movq $8, %rcx
        TRY rep movsb                   /* backwards: the very first byte faults */
        cld
        PFLINE "rep_movsb_backwards"
        PVAL "rcx=", %rcx, 4
        PVAL "rsi=", %rsi, 8
        NL

        /* 2 MiB page (pd_t[1] -> physical 0x400000) and 1 GiB page (PDPT0[2] -> physical 0). */
        movq $(0x400000 + P + W + PS), %rax
        movq %rax, pd_t + 8
        movq $0x5a5a5a5a, VA + 0x200000 + 0x1234
        movq 0x401234, %rax
        movq pd_t + 8, %rcx
        andl $0x60, %ecx
        PUTS "paging: 2m"
        PVAL "phys=", %rax, 8
        PVAL "pde_ad=", %rcx, 2
        NL
        movq $(P + W + PS), %rax
        movq %rax, pdpt0 + 16
        movq $0x13579bdf, marker
        movl $0x80000000, %ebx
        movq marker(%rbx), %rax
        movq pdpt0 + 16, %rcx
        andl $0x60, %ecx
        PUTS "paging: 1g"
        PVAL "read=", %rax, 8
        PVAL "pdpte_ad=", %rcx, 2
        movq $0x2468ace0, marker(%rbx)
        movq marker, %rax
        movq pdpt0 + 16, %rcx
        andl $0x60, %ecx
        PVAL "write=", %rax, 8
        PVAL "pdpte_ad=", %rcx, 2
        NL
        movq $(0x2000 + P + W + PS), %rax      /* bit 13: reserved in a 1 GiB PDPTE */
        movq %rax, pdpt0 + 24
        movl $0xc0000000, %ebx
        TRY movq (%rbx), %rax
        RSVDLINE "rsvd_pdpte1g_bit13"
        NL

        /* Ring 3: supervisor page (U=0), read-only user page, NX user page. */
        SETPTE 8, (P + W)               /* supervisor */
        SETPTE 9, (P + U)               /* user, read-only */
        movq $user_code, %rdi
        movq $ustack_top, %rsi
        call enter_ring3
        PUTS "paging: back in ring 0"
        movq exc_cs, %rax
        PVAL "from_cs=", %rax, 4
        NL
        PUTS "paging: done"
        NL
        EXIT 0

user_code:
        TRY movq VA + 0x8000, %rax
        PFLINE "user_read_supervisor"
        NL
        TRY movq %rax, VA + 0x8010
        PFLINE "user_write_supervisor"
        NL
        TRY movq VA + 0x9000, %rax
        PUTS "paging: user_read_ro"
        REPORT
        NL
        TRY movq %rax, VA + 0x9000
        PFLINE "user_write_ro"
        NL
        movq $(VA + 0x3000), %rax
        TRY jmp *%rax
        PFLINE "user_nx_fetch"
        NL
        int $VEC_RING0

        .data
        .balign 8
marker: .quad 0

        .bss
        .balign 4096
pd_t:   .skip 4096
pt_t:   .skip 4096
tpages: .skip 16 * 4096

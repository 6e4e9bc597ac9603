/* SPDX-License-Identifier: MIT */
/*
 * Provenance (provenance.c): the region each load and store addresses, and
 * which frames are private. Each hand-written program checks those facts
 * (private or not, the instruction whose use of the frame's address keeps
 * it in memory, the parts, the region of chosen accesses), then runs
 * compiled at -O0 and -O2 against the interpreter on the same context.
 *
 * In compiled code a private frame's r10 is a stand-in number, so a privacy
 * rule that is too lenient shows as a wrong result or a crash (which a
 * signal guard turns into a failed check). Where a program leaves an
 * address of its own frame in r0 or in the context, no two engines agree
 * on it: there the compiled value must be a real address near this
 * thread's stack, which the stand-in is not.
 */
#define _GNU_SOURCE
#include "test_util.h"
#include "test_prog.h"
#include "test_common.h"
#include "test_native.h"

#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>

#define CTX_LEN 128

/* ------------------------------------------------------------------ */
/* Programs and their facts                                            */
/* ------------------------------------------------------------------ */

static size_t sub_of(const struct case_prog *t, size_t insn)
{
        size_t s = 0;

        while (insn >= subprogs_end(&t->p.sp, s))
                s++;
        return s;
}

/* "private: -24..-16 -8..0" or "escapes at insn 5". */
static const char *frame_desc(const struct case_prog *t, size_t sub)
{
        static char buf[512];
        const struct frame_layout *f = &t->p.frames[sub];
        size_t n;

        if (!f->private) {
                snprintf(buf, sizeof(buf), "escapes at insn %zu", f->escape_insn);
                return buf;
        }
        n = (size_t)snprintf(buf, sizeof(buf), "private:");
        for (size_t k = 0; k < f->part_cnt && n < sizeof(buf); k++)
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %d..%d", f->parts[k].lo,
                                      f->parts[k].hi);
        return buf;
}

/* "frame[-16,-8) part 1" (the part only in a private frame), "ctx", "data 0" or "none". */
static const char *mem_desc(const struct case_prog *t, size_t insn)
{
        static char buf[128];
        const struct mem_prov *m = &t->p.mem[insn];
        const struct frame_layout *f = &t->p.frames[sub_of(t, insn)];

        switch (m->base) {
        case MEM_BASE_FRAME:
                if (f->private)
                        snprintf(buf, sizeof(buf), "frame[%d,%d) part %" PRIu32, m->lo, m->hi,
                                 m->id);
                else
                        snprintf(buf, sizeof(buf), "frame[%d,%d)", m->lo, m->hi);
                break;
        case MEM_BASE_CTX:
                snprintf(buf, sizeof(buf), "ctx");
                break;
        case MEM_BASE_DATA:
                snprintf(buf, sizeof(buf), "data %" PRIu32, m->id);
                break;
        default:
                snprintf(buf, sizeof(buf), "none");
        }
        return buf;
}

/* ------------------------------------------------------------------ */
/* Compiled code against the interpreter                               */
/* ------------------------------------------------------------------ */

/* Where a program leaves an address of its own frame (see the top). */
enum addr_out {
        ADDR_NONE,
        ADDR_R0,        /* r0 */
        ADDR_CTX,       /* context bytes 0-7 */
        ADDR_CTX_LOW32, /* context bytes 0-7: the low half of an address, zero-extended */
};

static sigjmp_buf crash_jmp;
static volatile sig_atomic_t crash_armed;

static void on_crash(int sig)
{
        if (crash_armed) {
                crash_armed = 0;
                siglongjmp(crash_jmp, sig);
        }
        signal(sig, SIG_DFL);
        raise(sig);
}

/* Run compiled code; false (with the signal) when it crashed. */
static bool run_guarded(test_entry_fn entry, uint8_t *mem, uint64_t *r0, int *sig)
{
        int s;

        signal(SIGSEGV, on_crash);
        signal(SIGBUS, on_crash);
        s = sigsetjmp(crash_jmp, 1);
        if (s) {
                *sig = s;
                return false;
        }
        crash_armed = 1;
        *r0 = entry(mem, CTX_LEN);
        crash_armed = 0;
        return true;
}

/* Is `v` (or its low half) an address within 1 MiB of this thread's stack? */
static bool near_stack(uint64_t v, bool low32)
{
        uint64_t sp = (uint64_t)(uintptr_t)__builtin_frame_address(0);
        int64_t d = low32 ? (int64_t)(int32_t)((uint32_t)v - (uint32_t)sp) : (int64_t)(v - sp);

        return d > -(1 << 20) && d < (1 << 20);
}

/* The context every program starts with: distinct words, then `word0` at bytes 0-7. */
static void fill_ctx(uint8_t *ctx, uint64_t word0)
{
        for (size_t i = 0; i < CTX_LEN; i += 8) {
                uint64_t v = 0x0123456789abcdefull * (i / 8 + 1) ^ (i << 40);
                memcpy(ctx + i, &v, 8);
        }
        memcpy(ctx, &word0, 8);
}

static void check_native(const struct case_prog *t, int opt, const uint8_t *ctx, uint64_t r0_i,
                         const uint8_t *mem_i, enum addr_out addr)
{
        struct bpfaot_error err = {0};
        struct test_native native;
        uint8_t mem[CTX_LEN];
        size_t skip = addr == ADDR_CTX || addr == ADDR_CTX_LOW32 ? 8 : 0;
        uint64_t r0 = 0, word;
        int sig = 0;
        bool ran;

        if (test_native_build(&t->prog, opt, BPFAOT_DEFAULT_STACK_SIZE, 0, test_rt_resolve, NULL,
                              &native, &err)) {
                CHECKF(false, "%s -O%d: %s", t->name, opt, err.msg);
                return;
        }
        memcpy(mem, ctx, CTX_LEN);
        ran = run_guarded(native.entry, mem, &r0, &sig);
        test_native_free(&native);
        CHECKF(ran, "%s -O%d: compiled code got signal %d", t->name, opt, sig);
        if (!ran)
                return;
        if (addr == ADDR_R0)
                CHECKF(near_stack(r0, false), "%s -O%d: r0 0x%" PRIx64 " is no stack address",
                       t->name, opt, r0);
        else
                CHECKF(r0 == r0_i, "%s -O%d: r0 0x%" PRIx64 ", interpreter 0x%" PRIx64, t->name,
                       opt, r0, r0_i);
        CHECKF(memcmp(mem + skip, mem_i + skip, CTX_LEN - skip) == 0,
               "%s -O%d: the context differs from the interpreter's", t->name, opt);
        memcpy(&word, mem, 8);
        if (addr == ADDR_CTX)
                CHECKF(near_stack(word, false), "%s -O%d: 0x%" PRIx64 " is no stack address",
                       t->name, opt, word);
        if (addr == ADDR_CTX_LOW32)
                CHECKF(word >> 32 == 0 && near_stack(word, true),
                       "%s -O%d: 0x%" PRIx64 " is not the low half of a stack address", t->name,
                       opt, word);
}

/* The interpreter's r0 and context, then the compiled code's at -O0 and -O2. */
static void run(const struct case_prog *t, uint64_t word0, enum addr_out addr)
{
        BPFAOT_OPTS_INIT(bpfaot_interp_opts, opts, .helper = test_rt_helper_lookup);
        struct bpfaot_error err = {0};
        uint8_t ctx[CTX_LEN], mem_i[CTX_LEN];
        uint64_t r0_i;

        fill_ctx(ctx, word0);
        memcpy(mem_i, ctx, CTX_LEN);
        if (bpfaot_interp_run(&t->prog, mem_i, CTX_LEN, &opts, &r0_i, &err)) {
                CHECKF(false, "%s: interpreter: %s", t->name, err.msg);
                return;
        }
        check_native(t, 0, ctx, r0_i, mem_i, addr);
        check_native(t, 2, ctx, r0_i, mem_i, addr);
}

/* ------------------------------------------------------------------ */
/* Private frames                                                      */
/* ------------------------------------------------------------------ */

static void spill_fill(void)
{
        struct case_prog t;

        if (!build(&t, "spill_fill",
                   "ldxdw %r2, [%r1+0]\n"   /* 0 */
                   "ldxdw %r3, [%r1+8]\n"   /* 1 */
                   "stxdw [%r10-8], %r2\n"  /* 2 */
                   "stxw [%r10-12], %r3\n"  /* 3 */
                   "stxdw [%r10-24], %r3\n" /* 4 */
                   "mov %r2, 0\n"           /* 5 */
                   "mov %r3, 0\n"           /* 6 */
                   "ldxdw %r4, [%r10-8]\n"  /* 7 */
                   "ldxw %r5, [%r10-12]\n"  /* 8 */
                   "ldxdw %r6, [%r10-24]\n" /* 9 */
                   "mov %r0, %r4\n"         /* 10 */
                   "add %r0, %r5\n"         /* 11 */
                   "xor %r0, %r6\n"         /* 12 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "private: -24..-16 -12..-8 -8..0");
        CHECK_STR_EQ(mem_desc(&t, 0), "ctx");
        CHECK_STR_EQ(mem_desc(&t, 2), "frame[-8,0) part 2");
        CHECK_STR_EQ(mem_desc(&t, 3), "frame[-12,-8) part 1");
        CHECK_STR_EQ(mem_desc(&t, 4), "frame[-24,-16) part 0");
        CHECK_STR_EQ(mem_desc(&t, 7), "frame[-8,0) part 2");
        CHECK_STR_EQ(mem_desc(&t, 8), "frame[-12,-8) part 1");
        CHECK(t.p.mem[7].const_off && t.p.mem[7].off == 0);
        run(&t, 0x1122334455667788ull, ADDR_NONE);
        done(&t);
}

/* An aligned 8-byte spill of a frame address and its fill keep the frame private. */
static void spilled_frame_pointer(void)
{
        struct case_prog t;

        if (!build(&t, "spilled_frame_pointer",
                   "ldxdw %r2, [%r1+0]\n"   /* 0 */
                   "stxdw [%r10-16], %r2\n" /* 1 */
                   "mov %r3, %r10\n"        /* 2 */
                   "add %r3, -16\n"         /* 3 */
                   "stxdw [%r10-8], %r3\n"  /* 4: spill fp-16 */
                   "mov %r3, 0\n"           /* 5 */
                   "ldxdw %r4, [%r10-8]\n"  /* 6: fill */
                   "ldxdw %r0, [%r4+0]\n"   /* 7: ctx word 0 */
                   "add %r4, 8\n"           /* 8: fp-8 */
                   "ldxdw %r5, [%r4+0]\n"   /* 9: the spilled fp-16 again */
                   "ldxdw %r5, [%r5+0]\n"   /* 10 */
                   "add %r0, %r5\n"         /* 11 */
                   "stdw [%r10-8], 3\n"     /* 12: a whole-slot overwrite */
                   "ldxdw %r5, [%r10-8]\n"  /* 13 */
                   "add %r0, %r5\n"         /* 14 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "private: -16..-8 -8..0");
        CHECK_STR_EQ(mem_desc(&t, 7), "frame[-16,-8) part 0");
        CHECK(t.p.mem[7].const_off && t.p.mem[7].off == -16);
        CHECK_STR_EQ(mem_desc(&t, 9), "frame[-8,0) part 1");
        CHECK_STR_EQ(mem_desc(&t, 10), "frame[-16,-8) part 0");
        run(&t, 0x0102030405060708ull, ADDR_NONE);
        done(&t);
}

/*
 * Copy a context array to the stack and sum it, stepping a pointer beside a
 * counter. Comparisons of two frame addresses (64-bit) and of one with 0,
 * and differences of two, are numbers that do not depend on where the
 * frame is: the frame stays private.
 */
static void pointer_compare(void)
{
        struct case_prog t;

        if (!build(&t, "pointer_compare",
                   "mov %r2, %r10\n" /* 0 */
                   "add %r2, -64\n"  /* 1 */
                   "mov %r3, %r10\n" /* 2: the end */
                   "mov %r4, %r1\n"  /* 3 */
                   "mov %r6, 0\n"    /* 4 */
                   "copy:\n"
                   "ldxdw %r5, [%r4+0]\n" /* 5 */
                   "jge %r2, %r3, +1\n"   /* 6: never */
                   "stxdw [%r2+0], %r5\n" /* 7 */
                   "add %r2, 8\n"         /* 8 */
                   "add %r4, 8\n"         /* 9 */
                   "add %r6, 1\n"         /* 10 */
                   "jlt %r6, 8, copy\n"   /* 11 */
                   "mov %r0, 0\n"         /* 12 */
                   "mov %r2, %r10\n"      /* 13 */
                   "add %r2, -64\n"       /* 14 */
                   "mov %r6, 0\n"         /* 15 */
                   "sum:\n"
                   "jsle %r3, %r2, +3\n"  /* 16: never */
                   "ldxdw %r5, [%r2+0]\n" /* 17 */
                   "mul %r0, 31\n"        /* 18 */
                   "add %r0, %r5\n"       /* 19 */
                   "add %r2, 8\n"         /* 20 */
                   "add %r6, 1\n"         /* 21 */
                   "jlt %r6, 8, sum\n"    /* 22 */
                   "mov %r4, %r3\n"       /* 23 */
                   "sub %r4, %r2\n"       /* 24: 0 */
                   "mov %r5, -24\n"       /* 25 */
                   "add %r5, %r10\n"      /* 26: a number plus fp */
                   "sub %r5, %r10\n"      /* 27: -24 */
                   "jeq %r3, 0, +1\n"     /* 28: never */
                   "jne %r2, 0, +1\n"     /* 29: always */
                   "mov %r0, 0\n"         /* 30: never */
                   "add %r0, %r4\n"       /* 31 */
                   "stxdw [%r1+0], %r5\n" /* 32 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "private: -64..0");
        CHECK_STR_EQ(mem_desc(&t, 5), "ctx");
        CHECK_STR_EQ(mem_desc(&t, 7), "frame[-64,0) part 0");
        CHECK_STR_EQ(mem_desc(&t, 17), "frame[-64,0) part 0");
        CHECK(!t.p.mem[7].const_off);
        run(&t, 7, ADDR_NONE);
        done(&t);
}

/*
 * A loop ended by `p < end`, two frame addresses. Comparing two addresses
 * of the frame narrows the stepped pointer's offset (absint.c), so every
 * access is bounded and the frame is private.
 */
static void pointer_bound_loop(void)
{
        struct case_prog t;

        if (!build(&t, "pointer_bound_loop",
                   "mov %r2, %r10\n" /* 0 */
                   "add %r2, -64\n"  /* 1 */
                   "mov %r3, %r10\n" /* 2: the end */
                   "mov %r4, %r1\n"  /* 3 */
                   "copy:\n"
                   "ldxdw %r5, [%r4+0]\n" /* 4 */
                   "stxdw [%r2+0], %r5\n" /* 5 */
                   "add %r2, 8\n"         /* 6 */
                   "add %r4, 8\n"         /* 7 */
                   "jlt %r2, %r3, copy\n" /* 8 */
                   "mov %r0, 0\n"         /* 9 */
                   "mov %r2, %r10\n"      /* 10 */
                   "add %r2, -64\n"       /* 11 */
                   "sum:\n"
                   "ldxdw %r5, [%r2+0]\n" /* 12 */
                   "mul %r0, 31\n"        /* 13 */
                   "add %r0, %r5\n"       /* 14 */
                   "add %r2, 8\n"         /* 15 */
                   "jlt %r2, %r3, sum\n"  /* 16 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "private: -64..0");
        CHECK_STR_EQ(mem_desc(&t, 5), "frame[-64,0) part 0");
        run(&t, 7, ADDR_NONE);
        done(&t);
}

/* A variable index masked to the array's size: the array is one part. */
static void bounded_index(void)
{
        struct case_prog t;

        if (!build(&t, "bounded_index",
                   "mov %r6, %r1\n"         /* 0 */
                   "ldxdw %r2, [%r6+8]\n"   /* 1 */
                   "stxdw [%r10-64], %r2\n" /* 2 */
                   "ldxdw %r2, [%r6+16]\n"  /* 3 */
                   "stxdw [%r10-56], %r2\n" /* 4 */
                   "ldxdw %r2, [%r6+24]\n"  /* 5 */
                   "stxdw [%r10-48], %r2\n" /* 6 */
                   "ldxdw %r2, [%r6+32]\n"  /* 7 */
                   "stxdw [%r10-40], %r2\n" /* 8 */
                   "ldxdw %r2, [%r6+40]\n"  /* 9 */
                   "stxdw [%r10-32], %r2\n" /* 10 */
                   "ldxdw %r2, [%r6+48]\n"  /* 11 */
                   "stxdw [%r10-24], %r2\n" /* 12 */
                   "ldxdw %r2, [%r6+56]\n"  /* 13 */
                   "stxdw [%r10-16], %r2\n" /* 14 */
                   "ldxdw %r2, [%r6+64]\n"  /* 15 */
                   "stxdw [%r10-8], %r2\n"  /* 16 */
                   "stdw [%r10-72], 9\n"    /* 17: a slot of its own */
                   "ldxdw %r2, [%r6+0]\n"   /* 18 */
                   "and %r2, 63\n"          /* 19 */
                   "mov %r1, %r10\n"        /* 20 */
                   "add %r1, -64\n"         /* 21 */
                   "add %r1, %r2\n"         /* 22 */
                   "ldxb %r0, [%r1+0]\n"    /* 23 */
                   "stb [%r1+0], 0xaa\n"    /* 24 */
                   "ldxdw %r3, [%r10-64]\n" /* 25 */
                   "stxdw [%r6+0], %r3\n"   /* 26 */
                   "ldxdw %r3, [%r10-72]\n" /* 27 */
                   "add %r0, %r3\n"         /* 28 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "private: -72..-64 -64..0");
        CHECK_STR_EQ(mem_desc(&t, 23), "frame[-64,0) part 1");
        CHECK_STR_EQ(mem_desc(&t, 24), "frame[-64,0) part 1");
        CHECK_STR_EQ(mem_desc(&t, 27), "frame[-72,-64) part 0");
        CHECK(!t.p.mem[23].const_off);
        run(&t, 3, ADDR_NONE);
        run(&t, 63, ADDR_NONE);
        done(&t);
}

/*
 * An index bounded only through a copy moved by a constant (a linked
 * number, as in `j = i - 8; if (j < 56)`): the frame stays private.
 */
static void linked_index(void)
{
        struct case_prog t;

        if (!build(&t, "linked_index",
                   "ldxw %r2, [%r1+0]\n" /* 0 */
                   "mov %r3, %r2\n"      /* 1: linked */
                   "add %r3, -8\n"       /* 2 */
                   "mov %r0, 0\n"        /* 3 */
                   "jge %r3, 56, +5\n"   /* 4: r2 in [8, 63] past it */
                   "mov %r1, %r10\n"     /* 5 */
                   "add %r1, -64\n"      /* 6 */
                   "add %r1, %r2\n"      /* 7 */
                   "stb [%r1+0], 0xaa\n" /* 8 */
                   "ldxb %r0, [%r1+0]\n" /* 9 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "private: -56..0");
        CHECK_STR_EQ(mem_desc(&t, 8), "frame[-56,0) part 0");
        run(&t, 3, ADDR_NONE);
        run(&t, 8, ADDR_NONE);
        run(&t, 63, ADDR_NONE);
        run(&t, 64, ADDR_NONE);
        done(&t);
}

/*
 * The matmul shape: a row pointer stepped by 32 beside a separate row
 * counter, in a loop holding another loop. Widening would lose the
 * pointer's range; following the 8 rounds apart keeps it in the frame.
 */
static void row_pointer(void)
{
        struct case_prog t;

        if (!build(&t, "row_pointer",
                   "mov %r6, %r10\n" /* 0: row pointer */
                   "add %r6, -256\n" /* 1 */
                   "mov %r7, 0\n"    /* 2: row counter */
                   "fill:\n"
                   "ldxdw %r2, [%r1+0]\n"  /* 3 */
                   "add %r2, %r7\n"        /* 4 */
                   "stxdw [%r6+0], %r2\n"  /* 5 */
                   "ldxdw %r2, [%r1+8]\n"  /* 6 */
                   "mul %r2, %r7\n"        /* 7 */
                   "stxdw [%r6+8], %r2\n"  /* 8 */
                   "stxdw [%r6+16], %r7\n" /* 9 */
                   "ldxdw %r2, [%r1+16]\n" /* 10 */
                   "stxdw [%r6+24], %r2\n" /* 11 */
                   "add %r6, 32\n"         /* 12 */
                   "add %r7, 1\n"          /* 13 */
                   "jlt %r7, 8, fill\n"    /* 14 */
                   "mov %r0, 0\n"          /* 15 */
                   "mov %r6, %r10\n"       /* 16 */
                   "add %r6, -256\n"       /* 17 */
                   "mov %r7, 0\n"          /* 18 */
                   "row:\n"
                   "mov %r8, %r6\n" /* 19: column pointer */
                   "mov %r9, 0\n"   /* 20: column counter */
                   "col:\n"
                   "ldxdw %r2, [%r8+0]\n"  /* 21 */
                   "mov %r3, %r7\n"        /* 22 */
                   "add %r3, %r9\n"        /* 23 */
                   "mul %r2, %r3\n"        /* 24 */
                   "add %r0, %r2\n"        /* 25 */
                   "add %r8, 8\n"          /* 26 */
                   "add %r9, 1\n"          /* 27 */
                   "jlt %r9, 4, col\n"     /* 28 */
                   "ldxdw %r2, [%r6+24]\n" /* 29 */
                   "xor %r0, %r2\n"        /* 30 */
                   "add %r6, 32\n"         /* 31 */
                   "add %r7, 1\n"          /* 32 */
                   "jlt %r7, 8, row\n"     /* 33 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "private: -256..0");
        CHECK_STR_EQ(mem_desc(&t, 5), "frame[-256,-24) part 0");
        CHECK_STR_EQ(mem_desc(&t, 11), "frame[-232,0) part 0");
        CHECK_STR_EQ(mem_desc(&t, 21), "frame[-256,0) part 0");
        run(&t, 5, ADDR_NONE);
        done(&t);
}

/*
 * Two parts indexed by variables: a pointer stepped through one (accessed
 * at a nonzero offset from it, and through a copy), an index masked into
 * the other. The translator indexes one of them with the registers'
 * distance from r10 as it is (translate.c, frame_bias), the other with a
 * constant added. The stepped pointer's distance from r10 is part of the
 * result.
 */
static void two_indexed_parts(void)
{
        struct case_prog t;

        if (!build(&t, "two_indexed_parts",
                   "mov %r6, %r10\n" /* 0 */
                   "add %r6, -128\n" /* 1 */
                   "mov %r7, 0\n"    /* 2 */
                   "fill:\n"
                   "ldxdw %r2, [%r1+0]\n"    /* 3 */
                   "add %r2, %r7\n"          /* 4 */
                   "stxdw [%r6+8], %r2\n"    /* 5 */
                   "add %r6, 8\n"            /* 6 */
                   "mov %r8, %r6\n"          /* 7 */
                   "ldxdw %r2, [%r8+0]\n"    /* 8 */
                   "add %r7, %r2\n"          /* 9 */
                   "add %r7, 1\n"            /* 10 */
                   "and %r7, 3\n"            /* 11 */
                   "mov %r3, %r6\n"          /* 12 */
                   "sub %r3, %r10\n"         /* 13 */
                   "jne %r3, -72, fill\n"    /* 14 */
                   "mov %r0, %r6\n"          /* 15 */
                   "sub %r0, %r10\n"         /* 16: -72 */
                   "ldxdw %r3, [%r1+8]\n"    /* 17 */
                   "and %r3, 56\n"           /* 18 */
                   "mov %r4, %r10\n"         /* 19 */
                   "add %r4, -64\n"          /* 20 */
                   "add %r4, %r3\n"          /* 21 */
                   "stxdw [%r4+0], %r0\n"    /* 22 */
                   "ldxdw %r5, [%r4+0]\n"    /* 23 */
                   "add %r0, %r5\n"          /* 24 */
                   "ldxdw %r5, [%r10-64]\n"  /* 25 */
                   "add %r0, %r5\n"          /* 26 */
                   "ldxdw %r5, [%r10-104]\n" /* 27 */
                   "add %r0, %r5\n"          /* 28 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "private: -120..-64 -64..0");
        CHECK_STR_EQ(mem_desc(&t, 5), "frame[-120,-64) part 0");
        CHECK_STR_EQ(mem_desc(&t, 8), "frame[-120,-64) part 0");
        CHECK_STR_EQ(mem_desc(&t, 22), "frame[-64,0) part 1");
        CHECK_STR_EQ(mem_desc(&t, 27), "frame[-104,-96) part 0");
        CHECK(!t.p.mem[5].const_off && !t.p.mem[22].const_off);
        run(&t, 5, ADDR_NONE);
        run(&t, 0x38, ADDR_NONE);
        done(&t);
}

/* ------------------------------------------------------------------ */
/* Frames whose address is used as a number                            */
/* ------------------------------------------------------------------ */

/*
 * A helper writes the frame (probe_read's destination) where its signature
 * bounds it: the frame stays private and the helper gets the real address
 * of the part holding those bytes.
 */
static void helper_argument(void)
{
        struct case_prog t;

        if (!build(&t, "helper_argument",
                   "stdw [%r10-16], 0\n"    /* 0 */
                   "mov %r6, %r1\n"         /* 1 */
                   "mov %r1, %r10\n"        /* 2 */
                   "add %r1, -16\n"         /* 3 */
                   "mov %r2, 8\n"           /* 4 */
                   "mov %r3, %r6\n"         /* 5 */
                   "add %r3, 8\n"           /* 6 */
                   "call 4\n"               /* 7: probe_read(fp-16, 8, ctx+8) */
                   "ldxdw %r2, [%r10-16]\n" /* 8 */
                   "add %r0, %r2\n"         /* 9 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "private: -16..-8");
        CHECK_STR_EQ(mem_desc(&t, 8), "frame[-16,-8) part 0");
        run(&t, 0, ADDR_NONE);
        done(&t);
}

/* The same with a size the analysis cannot bound: the helper needs the frame's real address. */
static void helper_argument_unbounded(void)
{
        struct case_prog t;

        if (!build(&t, "helper_argument_unbounded",
                   "stdw [%r10-16], 0\n"    /* 0 */
                   "mov %r6, %r1\n"         /* 1 */
                   "mov %r1, %r10\n"        /* 2 */
                   "add %r1, -16\n"         /* 3 */
                   "ldxdw %r2, [%r6+0]\n"   /* 4: a size from the context */
                   "mov %r3, %r6\n"         /* 5 */
                   "add %r3, 8\n"           /* 6 */
                   "call 4\n"               /* 7: probe_read(fp-16, ?, ctx+8) */
                   "ldxdw %r2, [%r10-16]\n" /* 8 */
                   "add %r0, %r2\n"         /* 9 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 7");
        CHECK_STR_EQ(mem_desc(&t, 8), "frame[-16,-8)");
        run(&t, 8, ADDR_NONE);
        done(&t);
}

/* A frame address only in a register the helper does not take stays private. */
static void helper_not_argument(void)
{
        struct case_prog t;

        if (!build(&t, "helper_not_argument",
                   "ldxdw %r2, [%r1+0]\n"  /* 0 */
                   "stxdw [%r10-8], %r2\n" /* 1 */
                   "mov %r3, %r10\n"       /* 2 */
                   "add %r3, -8\n"         /* 3 */
                   "call 8\n"              /* 4: get_smp_processor_id() */
                   "ldxdw %r0, [%r10-8]\n" /* 5 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "private: -8..0");
        run(&t, 77, ADDR_NONE);
        done(&t);
}

/* Stored into the context, loaded back and dereferenced as a number. */
static void stored_in_ctx(void)
{
        struct case_prog t;

        if (!build(&t, "stored_in_ctx",
                   "ldxdw %r2, [%r1+8]\n"  /* 0 */
                   "stxdw [%r10-8], %r2\n" /* 1 */
                   "mov %r3, %r10\n"       /* 2 */
                   "add %r3, -8\n"         /* 3 */
                   "stxdw [%r1+0], %r3\n"  /* 4 */
                   "ldxdw %r4, [%r1+0]\n"  /* 5 */
                   "ldxdw %r0, [%r4+0]\n"  /* 6 */
                   "stdw [%r1+0], 0\n"     /* 7 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 4");
        CHECK_STR_EQ(mem_desc(&t, 4), "ctx");
        CHECK_STR_EQ(mem_desc(&t, 6), "none");
        run(&t, 0, ADDR_NONE);
        done(&t);
}

/* A byte stored over a spilled frame address: the fill is a number made of its bytes. */
static void partial_overwrite(void)
{
        struct case_prog t;

        if (!build(&t, "partial_overwrite",
                   "mov %r2, %r10\n"        /* 0 */
                   "add %r2, -16\n"         /* 1 */
                   "stdw [%r10-16], 7\n"    /* 2 */
                   "stxdw [%r10-8], %r2\n"  /* 3: spill fp-16 */
                   "stb [%r10-8], 0x55\n"   /* 4: its low byte */
                   "ldxdw %r3, [%r10-8]\n"  /* 5 */
                   "stxdw [%r1+0], %r3\n"   /* 6 */
                   "ldxdw %r0, [%r10-16]\n" /* 7 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 4");
        CHECK_STR_EQ(mem_desc(&t, 4), "frame[-8,-7)");
        run(&t, 0, ADDR_CTX);
        done(&t);
}

/* Half of a spilled frame address read back. */
static void partial_read(void)
{
        struct case_prog t;

        if (!build(&t, "partial_read",
                   "mov %r2, %r10\n"        /* 0 */
                   "add %r2, -16\n"         /* 1 */
                   "stdw [%r10-16], 7\n"    /* 2 */
                   "stxdw [%r10-8], %r2\n"  /* 3 */
                   "ldxw %r3, [%r10-8]\n"   /* 4: the low half */
                   "stxdw [%r1+0], %r3\n"   /* 5 */
                   "ldxdw %r0, [%r10-16]\n" /* 6 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 4");
        run(&t, 0, ADDR_CTX_LOW32);
        done(&t);
}

/* A read-modify-write of a spilled frame address sees it as a number. */
static void atomic_on_spill(void)
{
        struct case_prog t;

        if (!build(&t, "atomic_on_spill",
                   "mov %r2, %r10\n"          /* 0 */
                   "add %r2, -16\n"           /* 1 */
                   "stdw [%r10-16], 7\n"      /* 2 */
                   "stxdw [%r10-8], %r2\n"    /* 3 */
                   "mov %r3, 8\n"             /* 4 */
                   "lock add [%r10-8], %r3\n" /* 5 */
                   "ldxdw %r3, [%r10-8]\n"    /* 6: fp-8 */
                   "stxdw [%r1+0], %r3\n"     /* 7 */
                   "ldxdw %r0, [%r10-16]\n"   /* 8 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 5");
        run(&t, 0, ADDR_CTX);
        done(&t);
        /* cmpxchg compares the slot with r0, a frame address. */
        if (!build(&t, "cmpxchg_frame_r0",
                   "ldxdw %r2, [%r1+0]\n"          /* 0 */
                   "stxdw [%r10-16], %r2\n"        /* 1 */
                   "mov %r0, %r10\n"               /* 2 */
                   "add %r0, -8\n"                 /* 3 */
                   "mov %r3, 5\n"                  /* 4 */
                   "lock cmpxchg [%r10-16], %r3\n" /* 5 */
                   "ldxdw %r0, [%r10-16]\n"        /* 6 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 5");
        run(&t, 0, ADDR_NONE);
        done(&t);
}

/* A frame address stored into the frame other than as a whole aligned slot. */
static void narrow_spill(void)
{
        struct case_prog t;

        if (!build(&t, "narrow_spill",
                   "stdw [%r10-16], 7\n"    /* 0 */
                   "stdw [%r10-8], 0\n"     /* 1 */
                   "mov %r2, %r10\n"        /* 2 */
                   "stxw [%r10-8], %r2\n"   /* 3: its low half */
                   "ldxdw %r3, [%r10-8]\n"  /* 4 */
                   "stxdw [%r1+0], %r3\n"   /* 5 */
                   "ldxdw %r0, [%r10-16]\n" /* 6 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 3");
        run(&t, 0, ADDR_CTX_LOW32);
        done(&t);
        if (!build(&t, "misaligned_spill",
                   "stdw [%r10-24], 7\n"    /* 0 */
                   "stdw [%r10-8], 0\n"     /* 1 */
                   "mov %r2, %r10\n"        /* 2 */
                   "stxdw [%r10-12], %r2\n" /* 3 */
                   "ldxdw %r3, [%r10-12]\n" /* 4 */
                   "stxdw [%r1+0], %r3\n"   /* 5 */
                   "ldxdw %r0, [%r10-24]\n" /* 6 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 3");
        run(&t, 0, ADDR_CTX);
        done(&t);
}

static void mov32_fp(void)
{
        struct case_prog t;

        if (!build(&t, "mov32_fp",
                   "stdw [%r10-8], 5\n"    /* 0 */
                   "mov32 %r2, %r10\n"     /* 1 */
                   "stxdw [%r1+0], %r2\n"  /* 2 */
                   "ldxdw %r0, [%r10-8]\n" /* 3 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 1");
        CHECK_STR_EQ(mem_desc(&t, 3), "frame[-8,0)");
        run(&t, 0, ADDR_CTX_LOW32);
        done(&t);
}

/* Comparisons with numbers other than 0, and of low halves, see the address. */
static void compare_with_number(void)
{
        struct case_prog t;

        if (!build(&t, "compare_with_number",
                   "mov %r0, 0\n"        /* 0 */
                   "mov %r2, %r10\n"     /* 1 */
                   "jgt %r2, 4096, +1\n" /* 2 */
                   "mov %r0, 1\n"        /* 3 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 2");
        run(&t, 0, ADDR_NONE);
        done(&t);
        if (!build(&t, "compare32",
                   "mov %r0, 0\n"       /* 0 */
                   "mov %r2, %r10\n"    /* 1 */
                   "jeq32 %r2, 0, +1\n" /* 2 */
                   "mov %r0, 1\n"       /* 3 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 2");
        run(&t, 0, ADDR_NONE);
        done(&t);
        if (!build(&t, "compare_nonzero_imm",
                   "mov %r0, 0\n"      /* 0 */
                   "mov %r2, %r10\n"   /* 1 */
                   "jne %r2, 16, +1\n" /* 2 */
                   "mov %r0, 1\n"      /* 3 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 2");
        run(&t, 0, ADDR_NONE);
        done(&t);
}

static void returned(void)
{
        struct case_prog t;

        if (!build(&t, "returned",
                   "stdw [%r10-8], 1\n" /* 0 */
                   "mov %r0, %r10\n"    /* 1 */
                   "add %r0, -8\n"      /* 2 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 3");
        run(&t, 0, ADDR_R0);
        done(&t);
}

/* An index the analysis cannot bound needs the frame's real address. */
static void unbounded_index(void)
{
        struct case_prog t;

        if (!build(&t, "unbounded_index",
                   "ldxdw %r2, [%r1+8]\n"   /* 0 */
                   "stxdw [%r10-16], %r2\n" /* 1 */
                   "stxdw [%r10-8], %r2\n"  /* 2 */
                   "ldxdw %r2, [%r1+0]\n"   /* 3 */
                   "mov %r3, %r10\n"        /* 4 */
                   "add %r3, -16\n"         /* 5 */
                   "add %r3, %r2\n"         /* 6 */
                   "ldxb %r0, [%r3+0]\n"    /* 7 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 7");
        CHECK_STR_EQ(mem_desc(&t, 7), "none");
        run(&t, 11, ADDR_NONE);
        done(&t);
}

/* A frame address on one path, a number on the other: the access is not the frame's. */
static void frame_or_number(void)
{
        struct case_prog t;

        if (!build(&t, "frame_or_number",
                   "ldxdw %r2, [%r1+0]\n" /* 0 */
                   "ldxdw %r3, [%r1+8]\n" /* 1: a number */
                   "stdw [%r10-8], 99\n"  /* 2 */
                   "jne %r2, 0, +2\n"     /* 3 */
                   "mov %r3, %r10\n"      /* 4 */
                   "add %r3, -8\n"        /* 5 */
                   "ldxdw %r0, [%r3+0]\n" /* 6 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 6");
        CHECK_STR_EQ(mem_desc(&t, 6), "none");
        run(&t, 0, ADDR_NONE);
        done(&t);
}

/*
 * Values that are not a frame address plus a number: a pointer plus a frame
 * address, a frame address on one path and nothing on the other.
 */
static void mixed_values(void)
{
        struct case_prog t;

        if (!build(&t, "pointer_plus_pointer",
                   "mov %r2, %r10\n"      /* 0 */
                   "add %r2, %r1\n"       /* 1 */
                   "sub %r2, %r1\n"       /* 2 */
                   "stxdw [%r1+0], %r2\n" /* 3 */
                   "mov %r0, 0\n"         /* 4 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 1");
        run(&t, 0, ADDR_CTX);
        done(&t);
        if (!build(&t, "maybe_uninit_pointer",
                   "ldxdw %r2, [%r1+0]\n" /* 0 */
                   "stdw [%r10-8], 99\n"  /* 1 */
                   "jne %r2, 0, +2\n"     /* 2 */
                   "mov %r3, %r10\n"      /* 3 */
                   "add %r3, -8\n"        /* 4 */
                   "ldxdw %r0, [%r3+0]\n" /* 5 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 5");
        CHECK_STR_EQ(mem_desc(&t, 5), "none");
        run(&t, 0, ADDR_NONE);
        done(&t);
}

/*
 * A frame address turned into a number (its own low half stored over its
 * spill, then filled) and written through: the write may change any slot,
 * here one holding a spilled frame address that is filled and dereferenced
 * afterwards, so that access must not be taken for the old spill's.
 */
static void write_through_number(void)
{
        struct case_prog t;

        if (!build(&t, "write_through_number",
                   "mov %r3, %r10\n"        /* 0 */
                   "add %r3, -24\n"         /* 1 */
                   "stxdw [%r10-24], %r3\n" /* 2 */
                   "stxw [%r10-24], %r3\n"  /* 3: the slot still holds fp-24 */
                   "ldxdw %r4, [%r10-24]\n" /* 4: fp-24, as a number */
                   "mov %r2, %r10\n"        /* 5 */
                   "add %r2, -16\n"         /* 6 */
                   "stxdw [%r10-8], %r2\n"  /* 7: spill fp-16 */
                   "stdw [%r10-16], 222\n"  /* 8 */
                   "stxdw [%r4+16], %r1\n"  /* 9: fp-8 = ctx */
                   "ldxdw %r6, [%r10-8]\n"  /* 10: ctx */
                   "ldxdw %r0, [%r6+0]\n"   /* 11: ctx word 0 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 3");
        run(&t, 7, ADDR_NONE);
        done(&t);
}

/* The caller gives a callee its frame address; the callee's own frame stays private. */
static void local_call(void)
{
        struct case_prog t;

        if (!build(&t, "local_call",
                   "stdw [%r10-8], 5\n"     /* 0 */
                   "mov %r1, %r10\n"        /* 1 */
                   "add %r1, -8\n"          /* 2 */
                   "call local +3\n"        /* 3: insn 7 */
                   "ldxdw %r1, [%r10-8]\n"  /* 4 */
                   "add %r0, %r1\n"         /* 5 */
                   "exit\n"                 /* 6 */
                   "ldxdw %r2, [%r1+0]\n"   /* 7: the callee */
                   "stxdw [%r10-16], %r2\n" /* 8 */
                   "stdw [%r1+0], 7\n"      /* 9 */
                   "ldxdw %r0, [%r10-16]\n" /* 10 */
                   "mul %r0, 3\n"           /* 11 */
                   "exit\n"))
                return;
        CHECK_EQ(t.p.sp.cnt, 2);
        CHECK_STR_EQ(frame_desc(&t, 0), "escapes at insn 3");
        CHECK_STR_EQ(frame_desc(&t, 1), "private: -16..-8");
        CHECK_STR_EQ(mem_desc(&t, 4), "frame[-8,0)");
        CHECK_STR_EQ(mem_desc(&t, 7), "none");
        CHECK_STR_EQ(mem_desc(&t, 10), "frame[-16,-8) part 0");
        run(&t, 0, ADDR_NONE);
        done(&t);
}

/* `bpf-aot verify` says how each frame is compiled. */
static void verify_log(void)
{
        struct case_prog t;
        struct bpfaot_error err = {0};
        struct bpfaot_buf log = {0};
        char *text;

        if (!build(&t, "verify_log",
                   "stdw [%r10-8], 5\n"     /* 0 */
                   "mov %r1, %r10\n"        /* 1 */
                   "add %r1, -8\n"          /* 2 */
                   "call local +2\n"        /* 3: insn 6 */
                   "ldxdw %r0, [%r10-8]\n"  /* 4 */
                   "exit\n"                 /* 5 */
                   "stdw [%r10-24], 1\n"    /* 6: the callee */
                   "stdw [%r10-8], 2\n"     /* 7 */
                   "ldxdw %r0, [%r10-24]\n" /* 8 */
                   "exit\n"))
                return;
        CHECK(bpfaot_verify_log(&t.prog, NULL, &log, &err) == 0);
        text = strndup((const char *)log.data, log.len);
        CHECK_CONTAINS(text, "\nframe of the sub-program at insn 0: its address is used at insn "
                             "3, so it stays in memory\n");
        CHECK_CONTAINS(text,
                       "\nframe of the sub-program at insn 6: private, 2 parts: fp-24..fp-16, "
                       "fp-8..fp0\n");
        free(text);
        bpfaot_buf_free(&log);
        done(&t);
}

int main(void)
{
        spill_fill();
        spilled_frame_pointer();
        pointer_compare();
        pointer_bound_loop();
        bounded_index();
        linked_index();
        row_pointer();
        two_indexed_parts();
        helper_argument();
        helper_argument_unbounded();
        helper_not_argument();
        stored_in_ctx();
        partial_overwrite();
        partial_read();
        atomic_on_spill();
        narrow_spill();
        mov32_fp();
        compare_with_number();
        returned();
        unbounded_index();
        frame_or_number();
        mixed_values();
        write_through_number();
        local_call();
        verify_log();
        return TEST_EXIT("provenance");
}

/* SPDX-License-Identifier: MIT */
/*
 * 64-bit MUL, DIV and MOD of values below 2^32 (narrow.c): which
 * instructions the pass marks, and that the narrowed code the translator
 * emits for them computes what the interpreter does, at -O0 and -O2,
 * division by zero and signed division included.
 */
#include "test_util.h"
#include "test_prog.h"
#include "test_common.h"
#include "test_native.h"

#include <inttypes.h>
#include <stdlib.h>

#define CTX_LEN 64

/* The instructions marked narrow, as "3 7" (insn numbers, ascending). */
static const char *marked(const struct case_prog *t)
{
        static char buf[128];
        size_t n = 0;

        buf[0] = 0;
        for (size_t i = 0; i < t->prog.insn_cnt && n < sizeof(buf) - 8; i++)
                if (t->p.narrow[i])
                        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%zu", n ? " " : "", i);
        return buf;
}

/* The context: the 64-bit words `w`, the rest zero. */
static void run(const struct case_prog *t, const uint64_t *w, size_t cnt)
{
        BPFAOT_OPTS_INIT(bpfaot_interp_opts, opts, .helper = test_rt_helper_lookup);
        struct bpfaot_error err = {0};
        uint8_t ctx[CTX_LEN] = {0};
        uint64_t r0_i;

        memcpy(ctx, w, cnt * 8);
        if (bpfaot_interp_run(&t->prog, ctx, CTX_LEN, &opts, &r0_i, &err)) {
                CHECKF(false, "%s: interpreter: %s", t->name, err.msg);
                return;
        }
        for (int opt = 0; opt <= 2; opt += 2) {
                struct test_native native;
                uint64_t r0;

                if (test_native_build(&t->prog, opt, BPFAOT_DEFAULT_STACK_SIZE, 0, test_rt_resolve,
                                      NULL, &native, &err)) {
                        CHECKF(false, "%s -O%d: %s", t->name, opt, err.msg);
                        continue;
                }
                memcpy(ctx, w, cnt * 8);
                r0 = native.entry(ctx, CTX_LEN);
                test_native_free(&native);
                CHECKF(r0 == r0_i,
                       "%s -O%d (0x%" PRIx64 ", 0x%" PRIx64 "): r0 0x%" PRIx64
                       ", interpreter 0x%" PRIx64,
                       t->name, opt, w[0], cnt > 1 ? w[1] : 0, r0, r0_i);
        }
}

/* Products of 32-bit loads are narrow; of a 64-bit load, or by a negative immediate, not. */
static void mul(void)
{
        struct case_prog t;
        static const uint64_t ctxs[][2] = {
            {0xffffffffffffffffull, 0xffffffffffffffffull},
            {0x00000000fffffffbull, 0x0000000100000003ull},
            {0, 0x12345678},
            {0x8000000080000000ull, 7},
        };

        if (!build(&t, "mul",
                   "ldxw %r2, [%r1+0]\n"   /* 0: below 2^32 */
                   "ldxw %r3, [%r1+8]\n"   /* 1 */
                   "ldxdw %r4, [%r1+0]\n"  /* 2: any 64-bit value */
                   "mov %r0, %r2\n"        /* 3 */
                   "mul %r0, %r3\n"        /* 4: narrow */
                   "mov %r5, %r2\n"        /* 5 */
                   "mul %r5, 0x7fffffff\n" /* 6: narrow */
                   "xor %r0, %r5\n"        /* 7 */
                   "mov %r5, %r2\n"        /* 8 */
                   "mul %r5, -3\n"         /* 9: the immediate is 2^64 - 3 */
                   "xor %r0, %r5\n"        /* 10 */
                   "mov %r5, %r4\n"        /* 11 */
                   "mul %r5, %r3\n"        /* 12: r5 may be above 2^32 */
                   "xor %r0, %r5\n"        /* 13 */
                   "mov %r5, %r2\n"        /* 14 */
                   "lsh %r5, 1\n"          /* 15: up to 2^33 - 2 */
                   "mul %r5, %r3\n"        /* 16 */
                   "xor %r0, %r5\n"        /* 17 */
                   "mov32 %r5, %r2\n"      /* 18 */
                   "mul32 %r5, %r3\n"      /* 19: 32-bit already */
                   "xor %r0, %r5\n"        /* 20 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(marked(&t), "4 6");
        for (size_t i = 0; i < sizeof(ctxs) / sizeof(ctxs[0]); i++)
                run(&t, ctxs[i], 2);
        done(&t);
}

/* Division and modulo, unsigned and signed, by a divisor that may be zero. */
static void divmod(void)
{
        struct case_prog t;
        static const uint64_t ctxs[][2] = {
            {0xffffffff, 0}, {0xffffffff, 7}, {0x80000000, 0xffffffff}, {12345, 0x80000001}, {0, 0},
        };

        if (!build(&t, "divmod",
                   "ldxw %r2, [%r1+0]\n" /* 0 */
                   "ldxw %r3, [%r1+8]\n" /* 1 */
                   "mov %r0, %r2\n"      /* 2 */
                   "div %r0, %r3\n"      /* 3: narrow; 0 when r3 is 0 */
                   "mov %r4, %r2\n"      /* 4 */
                   "mod %r4, %r3\n"      /* 5: narrow; r2 when r3 is 0 */
                   "lsh %r0, 32\n"       /* 6 */
                   "xor %r0, %r4\n"      /* 7 */
                   "mov %r4, %r2\n"      /* 8 */
                   "sdiv %r4, %r3\n"     /* 9: narrow (both non-negative) */
                   "add %r0, %r4\n"      /* 10 */
                   "mov %r4, %r2\n"      /* 11 */
                   "smod %r4, %r3\n"     /* 12: narrow */
                   "add %r0, %r4\n"      /* 13 */
                   "mov %r4, %r2\n"      /* 14 */
                   "sdiv %r4, -1\n"      /* 15: not narrow: a negative divisor */
                   "add %r0, %r4\n"      /* 16 */
                   "mov %r4, %r2\n"      /* 17 */
                   "div %r4, 10\n"       /* 18: narrow */
                   "add %r0, %r4\n"      /* 19 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(marked(&t), "3 5 9 12 18");
        for (size_t i = 0; i < sizeof(ctxs) / sizeof(ctxs[0]); i++)
                run(&t, ctxs[i], 2);
        done(&t);
}

/*
 * A counter bounded by the loop's test, times a 32-bit load, summed (the
 * shape LLVM vectorises): narrow inside the loop. A value below 2^32 on one
 * path only is not.
 */
static void loop(void)
{
        struct case_prog t;
        static const uint64_t ctxs[][2] = {
            {0xffffffffffffffffull, 0xffffffffffffffffull}, {0x0000000300000001ull, 5}, {0, 0}};

        if (!build(&t, "loop",
                   "mov %r0, 0\n"   /* 0 */
                   "mov %r2, 1\n"   /* 1 */
                   "mov %r3, %r1\n" /* 2 */
                   "sum:\n"
                   "ldxw %r4, [%r3+0]\n"  /* 3 */
                   "mul %r4, %r2\n"       /* 4: narrow: r2 in 1..8 */
                   "add %r0, %r4\n"       /* 5 */
                   "add %r3, 4\n"         /* 6 */
                   "add %r2, 1\n"         /* 7 */
                   "jne %r2, 9, sum\n"    /* 8 */
                   "ldxdw %r4, [%r1+8]\n" /* 9 */
                   "jgt %r4, 100, big\n"  /* 10 */
                   "ldxw %r4, [%r1+0]\n"  /* 11 */
                   "big:\n"
                   "mul %r4, 3\n"   /* 12: any 64-bit value when jumped to */
                   "add %r0, %r4\n" /* 13 */
                   "exit\n"))
                return;
        CHECK_STR_EQ(marked(&t), "4");
        for (size_t i = 0; i < sizeof(ctxs) / sizeof(ctxs[0]); i++)
                run(&t, ctxs[i], 2);
        done(&t);
}

int main(void)
{
        mul();
        divmod();
        loop();
        return TEST_EXIT("narrow");
}

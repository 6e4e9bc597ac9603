/* SPDX-License-Identifier: MIT */
/*
 * The check of dereferences of possibly-NULL pointers (nullcheck.c): a map
 * value or ring-buffer record used before it is compared with 0 is refused
 * with a located message; every check the kernel verifier honours (on the
 * value, on a copy of it, on a spilled copy, in a sub-program) lets it pass.
 */
#include "test_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

struct ncase {
        const char *name;
        const char *text;
        const char *reason; /* NULL: accepted */
};

/* r0 = map_lookup_elem(r1 = 0, r2 = fp - 8), r6 = a number from the context; insns 0-6. */
#define LOOKUP                                                                                     \
        "ldxdw %r6, [%r1+0]\nstdw [%r10-8], 0\nmov %r2, %r10\nadd %r2, -8\nlddw %r1, 0\ncall 1\n"
#define OUT "out:\nmov %r0, 0\nexit\n"

static const struct ncase cases[] = {
    {"deref before the check", LOOKUP "ldxdw %r1, [%r0+0]\n" OUT,
     "insn 7: ldxdw %r1, [%r0+0]: r0 may be NULL (map_lookup_elem at insn 6) when dereferenced"},
    {"store before the check", LOOKUP "stdw [%r0+8], 1\njeq %r0, 0, out\n" OUT,
     "insn 7: stdw [%r0+8], 1: r0 may be NULL (map_lookup_elem at insn 6) when dereferenced"},
    {"atomic before the check", LOOKUP "mov %r1, 1\nlock add [%r0+0], %r1\n" OUT,
     "insn 8: lock add [%r0+0], %r1: r0 may be NULL (map_lookup_elem at insn 6) when "
     "dereferenced"},
    {"deref after jeq", LOOKUP "jeq %r0, 0, out\nldxdw %r1, [%r0+0]\n" OUT, NULL},
    {"deref on the non-NULL edge of jne",
     LOOKUP "jne %r0, 0, use\nja out\nuse:\nldxdw %r1, [%r0+0]\n" OUT, NULL},
    {"compared with a register holding 0",
     LOOKUP "mov %r2, 0\njeq %r0, %r2, out\nldxdw %r1, [%r0+0]\n" OUT, NULL},
    {"ring-buffer record", "lddw %r1, 0\nmov %r2, 8\nmov %r3, 0\ncall 131\nstdw [%r0+0], 1\n" OUT,
     "insn 5: stdw [%r0+0], 1: r0 may be NULL (ringbuf_reserve at insn 4) when dereferenced"},
    {"ring-buffer record checked",
     "lddw %r1, 0\nmov %r2, 8\nmov %r3, 0\ncall 131\njeq %r0, 0, out\nstdw [%r0+0], 1\n"
     "mov %r1, %r0\nmov %r2, 0\ncall 132\n" OUT,
     NULL},
    {"a copy checked", LOOKUP "mov %r7, %r0\njeq %r7, 0, out\nldxdw %r1, [%r0+0]\n" OUT, NULL},
    {"the original checked, the copy used",
     LOOKUP "mov %r7, %r0\njne %r0, 0, use\nja out\nuse:\nldxdw %r1, [%r7+0]\n" OUT, NULL},
    {"a spilled copy checked",
     LOOKUP "stxdw [%r10-16], %r0\nldxdw %r7, [%r10-16]\njeq %r7, 0, out\nldxdw %r1, [%r0+0]\n" OUT,
     NULL},
    {"a copy checked after a call",
     LOOKUP "mov %r7, %r0\nmov %r8, %r0\ncall local f\njeq %r7, 0, out\nldxdw %r1, [%r8+0]\n" OUT
            "f:\nmov %r0, 0\nexit\n",
     NULL},
    {"checked in a sub-program",
     LOOKUP "mov %r7, %r0\nmov %r1, %r0\ncall local f\njeq %r0, 0, out\nldxdw %r1, [%r7+0]\n" OUT
            "f:\njeq %r1, 0, null\nmov %r0, 1\nexit\nnull:\nmov %r0, 0\nexit\n",
     NULL},
    {"another lookup checked",
     LOOKUP "mov %r7, %r0\ncall 1\njeq %r0, 0, out\nldxdw %r1, [%r7+0]\n" OUT,
     "insn 10: ldxdw %r1, [%r7+0]: r7 may be NULL (map_lookup_elem at insn 6) when dereferenced"},
    /* Accepted: the kernel would accept it when the unchecked path cannot reach the load
     * (a condition correlated with the check), which a join of the two paths cannot tell. */
    {"checked on one path only",
     LOOKUP "jgt %r6, 5, use\njeq %r0, 0, out\nuse:\nldxdw %r1, [%r0+0]\n" OUT, NULL},
    {"unchecked on both paths",
     LOOKUP "jgt %r6, 5, use\nmov %r1, 1\nuse:\nldxdw %r1, [%r0+0]\n" OUT,
     "insn 9: ldxdw %r1, [%r0+0]: r0 may be NULL (map_lookup_elem at insn 6) when dereferenced"},
    {"checked on both paths",
     LOOKUP "jgt %r6, 5, other\njeq %r0, 0, out\nja use\nother:\njeq %r0, 0, out\nuse:\n"
            "ldxdw %r1, [%r0+0]\n" OUT,
     NULL},
    {"checked in a loop",
     "mov %r6, 0\nloop:\nstdw [%r10-8], 0\nmov %r2, %r10\nadd %r2, -8\nlddw %r1, 0\ncall 1\n"
     "jeq %r0, 0, next\nldxdw %r1, [%r0+0]\nnext:\nadd %r6, 1\njlt %r6, 4, loop\n" OUT,
     NULL},
};

static void check_case(const struct ncase *c)
{
        struct bpfaot_error err = {0};
        struct bpfaot_buf log = {0};
        struct bpfaot_insn *insns;
        struct bpfaot_prog prog;
        size_t cnt;
        int ret = bpfaot_assemble(c->text, c->name, &insns, &cnt, &err);

        CHECKF(ret == 0, "%s: does not assemble: %s", c->name, err.msg);
        if (ret)
                return;
        prog = (struct bpfaot_prog){
            .input = "test.bpf.o", .name = c->name, .insns = insns, .insn_cnt = cnt};
        ret = bpfaot_verify_log(&prog, NULL, &log, &err);
        bpfaot_buf_free(&log);
        if (!c->reason) {
                CHECKF(ret == 0, "%s: rejected: %s", c->name, err.msg);
        } else {
                char want[256];

                snprintf(want, sizeof(want), "test.bpf.o: %s: %s", c->name, c->reason);
                CHECKF(ret == -EINVAL, "%s: returned %d, expected -EINVAL (%s)", c->name, ret,
                       err.msg);
                CHECKF(strcmp(err.msg, want) == 0, "%s: message\n  got:  %s\n  want: %s", c->name,
                       err.msg, want);
        }
        free(insns);
}

int main(void)
{
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                check_case(&cases[i]);
        printf("nullcheck: %zu cases\n", sizeof(cases) / sizeof(cases[0]));
        return TEST_EXIT("test_nullcheck");
}

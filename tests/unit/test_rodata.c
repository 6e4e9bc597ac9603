/* SPDX-License-Identifier: MIT */
/*
 * Stores into read-only data (rodata.c through bpfaot_validate): programs
 * that may store through an address of a read-only section, or put one where
 * the analysis cannot follow it, are rejected at the right instruction;
 * programs that only read it, or pass it to helpers, are accepted.
 *
 * Programs are written in assembly; `lddw %rN, K` with K = 1, 2 or 3 becomes
 * a global data relocation against sections[K - 1] at offset 0.
 */
#include "test_util.h"

#include <errno.h>
#include <stdlib.h>

static const struct bpfaot_data_sec sections[] = {
    {.name = ".rodata", .size = 64, .readonly = true, .symbol = "t__rodata"},
    {.name = ".data", .size = 64, .readonly = false, .symbol = "t__data"},
    {.name = ".rodata.str1.1", .size = 16, .readonly = true, .symbol = "t__rodata_str1_1"},
};
#define SECTION_CNT (sizeof(sections) / sizeof(sections[0]))

struct rcase {
        const char *name;
        const char *text;
        const char *reason; /* NULL: accepted */
        long idx;
};

#define STORE      "store into read-only data (.rodata)"
#define ESCAPE     "stores the address of read-only data (.rodata)"
#define HELPER_ESC "passes stack memory holding the address of read-only data (.rodata)"

static const struct rcase cases[] = {
    /* Rejected. */
    {"direct store", "lddw %r1, 1\nstw [%r1+4], 1\nmov %r0, 0\nexit\n", STORE, 2},
    {"store after add and mov", "lddw %r1, 1\nadd %r1, 8\nmov %r2, %r1\nstxdw [%r2+0], %r0\nexit\n",
     STORE, 4},
    {"store after a 32-bit move", "lddw %r1, 1\nmov32 %r1, %r1\nstb [%r1+0], 1\nexit\n", STORE, 3},
    {"store after spill and reload",
     "lddw %r1, 1\nstxdw [%r10-8], %r1\nmov %r1, 0\nldxdw %r3, [%r10-8]\nstb [%r3+0], 1\nexit\n",
     STORE, 5},
    {"spill through a copy of r10",
     "lddw %r1, 1\nmov %r2, %r10\nadd %r2, -16\nstxdw [%r2+0], %r1\nldxw %r3, [%r10-16]\n"
     "stb [%r3+0], 1\nexit\n",
     STORE, 6},
    {"store in a sub-program",
     "lddw %r1, 1\ncall local f\nmov %r0, 0\nexit\nf:\nstw [%r1+0], 7\nexit\n", STORE, 5},
    {"store through a returned pointer",
     "call local f\nstw [%r0+0], 7\nexit\nf:\nlddw %r0, 1\nexit\n", STORE, 1},
    {"callee reads the caller's spill",
     "lddw %r2, 1\nstxdw [%r10-8], %r2\nmov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r0, 0\n"
     "exit\nf:\nldxdw %r3, [%r1+0]\nstw [%r3+0], 1\nexit\n",
     STORE, 9},
    {"atomic add", "lddw %r1, 1\nmov %r2, 1\nlock add [%r1+0], %r2\nexit\n", STORE, 3},
    {"atomic xchg", "lddw %r1, 1\nmov %r2, 1\nlock xchg [%r1+8], %r2\nexit\n", STORE, 3},
    {"join without overwrite",
     "mov %r1, %r10\njeq %r2, 0, out\nlddw %r1, 1\nout:\nstdw [%r1-8], 1\nmov %r0, 0\nexit\n",
     STORE, 4},
    {"second read-only section", "lddw %r1, 3\nstb [%r1+0], 0\nexit\n",
     "store into read-only data (.rodata.str1.1)", 2},
    {"escape into ctx", "mov %r6, %r1\nlddw %r2, 1\nstxdw [%r6+0], %r2\nexit\n", ESCAPE, 3},
    {"escape by atomic xchg", "lddw %r2, 1\nlock xchg [%r1+0], %r2\nexit\n", ESCAPE, 2},
    {"escape into a frame at an unknown offset",
     "lddw %r2, 1\nmov %r3, %r10\nadd %r3, %r4\nstxdw [%r3+0], %r2\nexit\n", ESCAPE, 4},
    {"spilled address passed to a helper",
     "lddw %r1, 1\nstxdw [%r10-8], %r1\nmov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall 4\n"
     "exit\n",
     HELPER_ESC, 6},
    {"partly overwritten spill",
     "lddw %r1, 1\nstxdw [%r10-8], %r1\nstw [%r10-8], 0\nldxdw %r2, [%r10-8]\n"
     "stb [%r2+0], 1\nexit\n",
     STORE, 5},
    {"callee passes the caller's frame to a helper",
     "lddw %r2, 1\nstxdw [%r10-8], %r2\nmov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r0, 0\n"
     "exit\nf:\nmov %r2, 8\ncall 4\nexit\n",
     "passes stack memory that may hold the address of read-only data (.rodata)", 9},
    /* A helper hands the callback (insn 7) what it was given: the read-only address. */
    {"callback given read-only data",
     "lddw %r1, code_addr 6\nlddw %r3, 1\ncall 181\nmov %r0, 0\nexit\n"
     "stw [%r2+0], 1\nmov %r0, 0\nexit\n",
     STORE, 7},

    /* Accepted. */
    {"loads", "lddw %r1, 1\nldxdw %r0, [%r1+8]\nldxb %r2, [%r1+0]\nadd %r0, %r2\nexit\n", NULL, 0},
    {"passed to a helper", "lddw %r1, 1\nmov %r2, 4\ncall 6\nexit\n", NULL, 0},
    {"spilled, reloaded, loaded from",
     "lddw %r1, 1\nstxdw [%r10-8], %r1\nldxdw %r2, [%r10-8]\nldxw %r0, [%r2+0]\nexit\n", NULL, 0},
    {"writable data", "lddw %r1, 2\nstw [%r1+0], 1\nlock add [%r1+8], %r1\nmov %r0, 0\nexit\n",
     NULL, 0},
    {"join with overwrite",
     "mov %r1, %r10\njeq %r2, 0, out\nlddw %r1, 1\nldxw %r0, [%r1+0]\nmov %r1, %r10\nout:\n"
     "stdw [%r1-8], 1\nmov %r0, 0\nexit\n",
     NULL, 0},
    {"spill slot overwritten",
     "lddw %r1, 1\nstxdw [%r10-8], %r1\nlddw %r3, 2\nstxdw [%r10-8], %r3\nldxdw %r2, [%r10-8]\n"
     "stw [%r2+0], 1\nexit\n",
     NULL, 0},
    {"helper given stack above the spill",
     "lddw %r1, 1\nstxdw [%r10-16], %r1\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall 4\n"
     "ldxdw %r1, [%r10-16]\nldxb %r0, [%r1+0]\nexit\n",
     NULL, 0},
    {"argument overwritten in the callee",
     "lddw %r1, 1\ncall local f\nexit\nf:\nmov %r1, %r10\nstw [%r1-4], 1\nmov %r0, 0\nexit\n", NULL,
     0},
    {"helper result", "lddw %r1, 1\ncall 1\nstw [%r0+0], 1\nexit\n", NULL, 0},
    {"32-bit immediate move", "lddw %r1, 1\nmov32 %r1, 0\nstb [%r1+0], 1\nexit\n", NULL, 0},
};

/* Assemble and turn `lddw %rN, K` (K = section number) into relocations. */
static int build(const char *text, const char *name, struct bpfaot_prog *prog,
                 struct bpfaot_insn **insns, struct bpfaot_reloc *relocs, size_t max_relocs)
{
        struct bpfaot_error err = {0};
        size_t cnt, n = 0;
        int ret = bpfaot_assemble(text, name, insns, &cnt, &err);

        CHECKF(ret == 0, "%s: does not assemble: %s", name, err.msg);
        if (ret)
                return ret;
        for (size_t i = 0; i + 1 < cnt; i++) {
                struct bpfaot_insn *in = &(*insns)[i];
                if (in->opcode != BPFAOT_OP_LDDW)
                        continue;
                if (in->src == BPFAOT_LDDW_IMM64 && in->imm >= 1 && in->imm <= (int)SECTION_CNT &&
                    n < max_relocs) {
                        relocs[n++] = (struct bpfaot_reloc){.insn = i,
                                                            .kind = BPFAOT_RELOC_DATA,
                                                            .name = "var",
                                                            .data_sec = (size_t)in->imm - 1};
                        in->imm = 0;
                }
                i++;
        }
        *prog = (struct bpfaot_prog){.input = "test.bpf.o",
                                     .name = name,
                                     .insns = *insns,
                                     .insn_cnt = cnt,
                                     .relocs = relocs,
                                     .reloc_cnt = n,
                                     .data = sections,
                                     .data_cnt = SECTION_CNT,
                                     .symbol_prefix = "t"};
        return 0;
}

static void check_case(const struct rcase *c)
{
        struct bpfaot_reloc relocs[8];
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns;
        struct bpfaot_prog prog;
        char want[64];
        int ret;

        if (build(c->text, c->name, &prog, &insns, relocs, 8))
                return;
        ret = bpfaot_validate(&prog, NULL, &err);
        if (!c->reason) {
                CHECKF(ret == 0, "%s: rejected: %s", c->name, err.msg);
        } else {
                CHECKF(ret == -EINVAL, "%s: returned %d, expected -EINVAL (%s)", c->name, ret,
                       err.msg);
                snprintf(want, sizeof(want), "test.bpf.o: %s: insn %ld: ", c->name, c->idx);
                CHECKF(strncmp(err.msg, want, strlen(want)) == 0,
                       "%s: \"%s\" does not start "
                       "with \"%s\"",
                       c->name, err.msg, want);
                CHECK_CONTAINS(err.msg, c->reason);
                CHECK_EQ(err.insn, c->idx);
        }
        free(insns);
}

/* One exact message, and the interpreter refuses what the compiler refuses. */
static void check_message_and_interp(void)
{
        struct bpfaot_reloc relocs[2];
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns;
        struct bpfaot_prog prog;
        uint8_t mem[8] = {0};
        uint64_t r0 = 0;

        if (build("lddw %r1, 1\nstw [%r1+4], 1\nmov %r0, 0\nexit\n", "p", &prog, &insns, relocs, 2))
                return;
        CHECK(bpfaot_validate(&prog, NULL, &err) == -EINVAL);
        CHECK_STR_EQ(err.msg,
                     "test.bpf.o: p: insn 2: stw [%r1+4], 1: store into read-only data (.rodata)");
        err = (struct bpfaot_error){0};
        CHECK(bpfaot_interp_run(&prog, mem, sizeof(mem), NULL, &r0, &err) == -EINVAL);
        CHECK_CONTAINS(err.msg, "insn 2: stw [%r1+4], 1: store into read-only data (.rodata)");
        free(insns);

        /* Both read-only sections are named when the program refers to both. */
        if (build("lddw %r1, 1\nlddw %r2, 3\nstw [%r1+4], 1\nexit\n", "two", &prog, &insns, relocs,
                  2))
                return;
        CHECK(bpfaot_validate(&prog, NULL, &err) == -EINVAL);
        CHECK_CONTAINS(err.msg, "store into read-only data (.rodata, .rodata.str1.1)");
        free(insns);
}

int main(void)
{
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                check_case(&cases[i]);
        printf("rodata: %zu cases\n", sizeof(cases) / sizeof(cases[0]));
        check_message_and_interp();
        return TEST_EXIT("test_rodata");
}

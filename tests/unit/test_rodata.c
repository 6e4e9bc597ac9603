/* SPDX-License-Identifier: MIT */
/*
 * Stores into read-only data (rodata.c through bpfaot_validate): a store
 * whose address is read-only data on every path reaching it is rejected at
 * that instruction; programs that only read it, pass it to helpers, store it
 * elsewhere, or store through an address that is read-only data on some
 * paths only (or that the analysis cannot follow) are accepted, as the
 * kernel accepts them. Chunks of the frame that something may have
 * overwritten are never believed to still hold a read-only address.
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

#define STORE "store into read-only data (.rodata)"

static const struct rcase cases[] = {
    /* Rejected: the address is read-only data on every path. */
    {"direct store", "lddw %r1, 1\nstw [%r1+4], 1\nmov %r0, 0\nexit\n", STORE, 2},
    {"store after add and mov",
     "lddw %r1, 1\nadd %r1, 8\nmov %r2, %r1\nstxdw [%r2+0], %r1\nmov %r0, 0\nexit\n", STORE, 4},
    {"store after spill and reload",
     "lddw %r1, 1\nstxdw [%r10-8], %r1\nmov %r1, 0\nldxdw %r3, [%r10-8]\nstb [%r3+0], 1\n"
     "mov %r0, 0\nexit\n",
     STORE, 5},
    {"spill through a copy of r10",
     "lddw %r1, 1\nmov %r2, %r10\nadd %r2, -16\nstxdw [%r2+0], %r1\nldxdw %r3, [%r10-16]\n"
     "stb [%r3+0], 1\nmov %r0, 0\nexit\n",
     STORE, 6},
    /* Parameters are tracked: r1 is read-only data at the only call site. */
    {"store in a sub-program",
     "lddw %r1, 1\ncall local f\nmov %r0, 0\nexit\nf:\nstw [%r1+0], 7\nexit\n", STORE, 5},
    {"read-only at every call site",
     "lddw %r1, 1\ncall local f\nlddw %r1, 1\nadd %r1, 8\ncall local f\nexit\n"
     "f:\nstw [%r1+0], 7\nexit\n",
     STORE, 8},
    {"store through a returned pointer",
     "call local f\nstw [%r0+0], 7\nexit\nf:\nlddw %r0, 1\nexit\n", STORE, 1},
    {"atomic add", "lddw %r1, 1\nmov %r2, 1\nlock add [%r1+0], %r2\nmov %r0, 0\nexit\n", STORE, 3},
    {"atomic xchg", "lddw %r1, 1\nmov %r2, 1\nlock xchg [%r1+8], %r2\nmov %r0, 0\nexit\n", STORE,
     3},
    {"second read-only section", "lddw %r1, 3\nstb [%r1+0], 0\nmov %r0, 0\nexit\n",
     "store into read-only data (.rodata.str1.1)", 2},
    {"read-only on both paths",
     "jeq %r2, 0, other\nlddw %r1, 1\nja out\nother:\nlddw %r1, 3\nout:\nstb [%r1+8], 0\n"
     "mov %r0, 0\nexit\n",
     "store into read-only data (.rodata, .rodata.str1.1)", 6},
    /* Joined from two read-only sections in a program that also writes .data. */
    {"read-only on both paths beside .data",
     "lddw %r4, 2\nstb [%r4+0], 1\njeq %r2, 0, other\nlddw %r1, 1\nja out\nother:\n"
     "lddw %r1, 3\nout:\nstb [%r1+8], 0\nmov %r0, 0\nexit\n",
     "store into read-only data (.rodata, .rodata.str1.1)", 9},
    /* The same through a copy moved after the join, and a spill. */
    {"read-only on both paths, moved and spilled",
     "lddw %r4, 2\njeq %r2, 0, other\nlddw %r1, 3\nja out\nother:\nlddw %r1, 1\nout:\n"
     "add %r1, 1\nstxdw [%r10-8], %r1\nldxdw %r3, [%r10-8]\nstxb [%r3+0], %r4\nmov %r0, 0\n"
     "exit\n",
     "store into read-only data (.rodata.str1.1, .rodata)", 11},
    {"offset kept by a loop",
     "lddw %r1, 1\nmov %r2, 0\nloop:\nldxb %r3, [%r1+0]\nadd %r1, 1\nadd %r2, 1\n"
     "jlt %r2, 4, loop\nstb [%r1+0], 0\nmov %r0, 0\nexit\n",
     STORE, 7},
    /* Read-only address + scalar stays read-only: the kernel refuses pointer + pointer. */
    {"loaded index plus the address",
     "ldxw %r2, [%r1+0]\nlddw %r3, 1\nand %r2, 7\nadd %r2, %r3\nstw [%r2+0], 1\nmov %r0, 0\n"
     "exit\n",
     STORE, 5},
    {"kept in r6 across a helper call", "lddw %r6, 1\ncall 5\nstb [%r6+0], 1\nexit\n", STORE, 3},
    {"spill kept across a helper given no frame address",
     "lddw %r1, 1\nstxdw [%r10-8], %r1\ncall 5\nldxdw %r2, [%r10-8]\nstb [%r2+0], 1\nexit\n", STORE,
     5},
    /* probe_read writes [r10-8, r10): the spill below it survives. */
    {"spill below a helper's buffer",
     "lddw %r1, 1\nstxdw [%r10-16], %r1\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall 4\n"
     "ldxdw %r1, [%r10-16]\nstb [%r1+0], 1\nexit\n",
     STORE, 8},
    /* probe_read writes its 8 bytes only, not where the address they hold points. */
    {"spill below a helper's buffer holding its address",
     "lddw %r1, 1\nmov %r2, %r10\nadd %r2, -32\nstxdw [%r10-8], %r2\nstxdw [%r10-32], %r1\n"
     "mov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall 4\nldxdw %r2, [%r10-32]\nstb [%r2+0], 1\n"
     "exit\n",
     STORE, 11},
    /* The callback (insn 7) stores through its own lddw. */
    {"lddw in a callback",
     "mov %r1, 4\nlddw %r2, code_addr 5\nmov %r3, 0\nmov %r4, 0\ncall 181\nexit\n"
     "lddw %r1, 1\nstw [%r1+0], 1\nmov %r0, 0\nexit\n",
     STORE, 9},

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
     "stw [%r2+0], 1\nmov %r0, 0\nexit\n",
     NULL, 0},
    {"helper given stack above the spill",
     "lddw %r1, 1\nstxdw [%r10-16], %r1\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall 4\n"
     "ldxdw %r1, [%r10-16]\nldxb %r0, [%r1+0]\nexit\n",
     NULL, 0},
    {"argument overwritten in the callee",
     "lddw %r1, 1\ncall local f\nexit\nf:\nmov %r1, %r10\nstw [%r1-4], 1\nmov %r0, 0\nexit\n", NULL,
     0},
    {"helper result", "lddw %r1, 1\ncall 1\njeq %r0, 0, out\nstw [%r0+0], 1\nout:\nexit\n", NULL,
     0},
    {"32-bit immediate move", "lddw %r1, 1\nmov32 %r1, 0\nstb [%r1+0], 1\nmov %r0, 0\nexit\n", NULL,
     0},
    {"difference of read-only addresses",
     "ldxdw %r6, [%r1+0]\nlddw %r1, 1\nlddw %r2, 1\nsub %r1, %r2\nadd %r1, %r6\n"
     "stb [%r1+0], 1\nmov %r0, 0\nexit\n",
     NULL, 0},

    /*
     * Accepted: read-only data on some paths only, or not followed. The
     * kernel judges each path, and may prove the ones where the address is
     * read-only data infeasible; a store through a truncated address or half
     * of a spilled one is not provably into read-only data (it is the same
     * address only if the native program lives below 4 GiB).
     */
    {"join without overwrite",
     "mov %r1, %r10\njeq %r2, 0, out\nlddw %r1, 1\nout:\nstdw [%r1-8], 1\nmov %r0, 0\nexit\n", NULL,
     0},
    {"store after a 32-bit move", "lddw %r1, 1\nmov32 %r1, %r1\nstb [%r1+0], 1\nmov %r0, 0\nexit\n",
     NULL, 0},
    {"partly overwritten spill",
     "lddw %r1, 1\nstxdw [%r10-8], %r1\nstw [%r10-8], 0\nldxdw %r2, [%r10-8]\n"
     "stb [%r2+0], 1\nmov %r0, 0\nexit\n",
     NULL, 0},
    {"half of a spilled address",
     "lddw %r1, 1\nstxdw [%r10-16], %r1\nldxw %r3, [%r10-16]\nstb [%r3+0], 1\nmov %r0, 0\n"
     "exit\n",
     NULL, 0},
    {"read-only data on one path, writable data on the other",
     "jeq %r2, 0, other\nlddw %r1, 1\nja out\nother:\nlddw %r1, 2\nout:\nstb [%r1+8], 0\n"
     "mov %r0, 0\nexit\n",
     NULL, 0},
    /* The branch is never taken: no path stores. */
    {"store on a path never taken",
     "mov %r2, 0\njne %r2, 0, out\nmov %r0, 0\nexit\nout:\nlddw %r1, 1\nstb [%r1+0], 1\n"
     "mov %r0, 0\nexit\n",
     NULL, 0},
    /* Loads from anything but the own frame are unknown, a caller's frame too. */
    {"callee reads the caller's spill",
     "lddw %r2, 1\nstxdw [%r10-8], %r2\nmov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r0, 0\n"
     "exit\nf:\nldxdw %r3, [%r1+0]\nstw [%r3+0], 1\nexit\n",
     NULL, 0},
    /* Callback parameters are unknown: the helper decides what they are. */
    {"callback given read-only data",
     "lddw %r1, code_addr 6\nlddw %r3, 1\ncall 181\nmov %r0, 0\nexit\n"
     "stw [%r2+0], 1\nmov %r0, 0\nexit\n",
     NULL, 0},

    /*
     * Accepted: escapes. The kernel lets a privileged program store a pointer
     * into a map value or the context, and pass stack memory holding one to a
     * helper; what comes back is a scalar it cannot store through, and to this
     * analysis an unknown value.
     */
    {"escape into ctx", "mov %r6, %r1\nlddw %r2, 1\nstxdw [%r6+0], %r2\nmov %r0, 0\nexit\n", NULL,
     0},
    {"escape by atomic xchg", "lddw %r2, 1\nlock xchg [%r1+0], %r2\nmov %r0, 0\nexit\n", NULL, 0},
    {"escape into a frame at an unknown offset",
     "lddw %r5, 1\nmov %r3, %r10\nadd %r3, %r2\nstxdw [%r3+0], %r5\nmov %r0, 0\nexit\n", NULL, 0},
    {"spilled address passed to a helper",
     "lddw %r1, 1\nstxdw [%r10-8], %r1\nmov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall 4\n"
     "exit\n",
     NULL, 0},
    {"callee passes the caller's frame to a helper",
     "lddw %r2, 1\nstxdw [%r10-8], %r2\nmov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r0, 0\n"
     "exit\nf:\nmov %r2, 8\ncall 4\nexit\n",
     NULL, 0},

    /*
     * Accepted: the reported false positives (tests/cli/rodata_*.bpf.c has
     * clang's). First, a helper got a read-only address (the format string),
     * the callback (insn 14) did not.
     */
    {"callback writes its context; printk format elsewhere",
     "lddw %r1, 1\nmov %r2, 4\ncall 6\nstdw [%r10-8], 0\nmov %r1, 10\nlddw %r2, code_addr 7\n"
     "mov %r3, %r10\nadd %r3, -8\nmov %r4, 0\ncall 181\nldxdw %r0, [%r10-8]\nexit\n"
     "ldxdw %r3, [%r2+0]\nadd %r3, %r1\nstxdw [%r2+0], %r3\nmov %r0, 0\nexit\n",
     NULL, 0},
    /* The context on the caller's stack holds a read-only table's address; insn 13 on. */
    {"callback writes a stack context holding a read-only address",
     "lddw %r1, 1\nstxdw [%r10-16], %r1\nstdw [%r10-8], 0\nmov %r1, 4\nlddw %r2, code_addr 7\n"
     "mov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall 181\nldxdw %r0, [%r10-8]\nexit\n"
     "ldxdw %r3, [%r2+0]\nldxb %r3, [%r3+0]\nldxdw %r4, [%r2+8]\nadd %r4, %r3\n"
     "stxdw [%r2+8], %r4\nmov %r0, 0\nexit\n",
     NULL, 0},
    /*
     * A table's address on the caller's stack; map values loaded and stored
     * in a loop (r1 = 0 stands for the map).
     */
    {"map-value stores next to a read-only table",
     "lddw %r1, 1\nstxdw [%r10-8], %r1\nmov %r1, %r10\nadd %r1, -8\ncall local f\nexit\n"
     "f:\nmov %r6, %r1\nmov %r7, 0\nloop:\nstxw [%r10-4], %r7\nmov %r2, %r10\nadd %r2, -4\n"
     "mov %r1, 0\ncall 1\njeq %r0, 0, next\nldxdw %r1, [%r6+0]\nadd %r1, %r7\nldxb %r1, [%r1+0]\n"
     "ldxdw %r2, [%r0+0]\nadd %r2, %r1\nstxdw [%r0+0], %r2\nnext:\nadd %r7, 1\n"
     "jlt %r7, 8, loop\nmov %r0, 0\nexit\n",
     NULL, 0},
    /* r8 is a read-only default or a map value; it is stored through only when the latter. */
    {"map-value pointer joined with a read-only default at a loop header",
     "lddw %r8, 1\nmov %r6, 0\nloop:\nstxw [%r10-4], %r6\nmov %r2, %r10\nadd %r2, -4\ncall 1\n"
     "jeq %r0, 0, next\nmov %r8, %r0\nnext:\njeq %r0, 0, skip\nstdw [%r8+0], 1\nskip:\n"
     "add %r6, 1\njlt %r6, 4, loop\nldxdw %r0, [%r8+0]\nexit\n",
     NULL, 0},

    /* Accepted: a chunk that held a read-only address was overwritten, then reloaded. */
    {"spill overwritten by a helper given its address",
     "lddw %r1, 1\nstxdw [%r10-8], %r1\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall 4\n"
     "ldxdw %r2, [%r10-8]\nstb [%r2+0], 1\nexit\n",
     NULL, 0},
    {"spill overwritten through a frame address at an unknown offset",
     "lddw %r1, 1\nstxdw [%r10-16], %r1\nmov %r3, %r10\nadd %r3, %r2\nstdw [%r3+0], 0\n"
     "ldxdw %r2, [%r10-16]\nstb [%r2+0], 1\nmov %r0, 0\nexit\n",
     NULL, 0},
    /* The xor leaves 0 (the kernel would see a scalar): atomics make chunks unknown. */
    {"spill overwritten by an atomic",
     "lddw %r1, 1\nstxdw [%r10-8], %r1\nlock xor [%r10-8], %r1\nldxdw %r2, [%r10-8]\n"
     "stb [%r2+0], 1\nmov %r0, 0\nexit\n",
     NULL, 0},
    /* The callee writes below its argument: the caller's r10 - 16. */
    {"spill overwritten by a callee given the frame",
     "lddw %r2, 1\nstxdw [%r10-16], %r2\nmov %r1, %r10\nadd %r1, -8\ncall local f\n"
     "ldxdw %r2, [%r10-16]\nstb [%r2+0], 1\nexit\n"
     "f:\nlddw %r3, 2\nstxdw [%r1-8], %r3\nexit\n",
     NULL, 0},
    /* bpf_loop gets r10 - 8; its callback (insn 14) writes r10 - 16. */
    {"spill overwritten by a callback below its context",
     "lddw %r1, 1\nstxdw [%r10-16], %r1\nmov %r1, 1\nlddw %r2, code_addr 9\nmov %r3, %r10\n"
     "add %r3, -8\nmov %r4, 0\ncall 181\nldxdw %r2, [%r10-16]\nstb [%r2+0], 1\nmov %r0, 0\n"
     "exit\nstdw [%r2-8], 0\nmov %r0, 0\nexit\n",
     NULL, 0},
    /* The frame's address escaped into the context, where the callee finds it. */
    {"spill overwritten by a callee through an escaped frame address",
     "mov %r6, %r1\nmov %r2, %r10\nadd %r2, -16\nstxdw [%r6+0], %r2\nmov %r2, 0\nlddw %r1, 1\n"
     "stxdw [%r10-16], %r1\nmov %r1, %r6\ncall local f\nldxdw %r2, [%r10-16]\n"
     "stb [%r2+0], 1\nexit\nf:\nldxdw %r3, [%r1+0]\nstdw [%r3+0], 0\nexit\n",
     NULL, 0},
    /* The same with every other argument register a number: only the callee's store can tell. */
    {"spill overwritten by a callee through an escaped frame address, other arguments 0",
     "mov %r6, %r1\nmov %r2, %r10\nadd %r2, -16\nstxdw [%r6+0], %r2\nlddw %r1, 1\n"
     "stxdw [%r10-16], %r1\nmov %r1, %r6\nmov %r2, 0\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\n"
     "call local f\nldxdw %r2, [%r10-16]\nstb [%r2+0], 1\nexit\n"
     "f:\nldxdw %r3, [%r1+0]\nstdw [%r3+0], 0\nexit\n",
     NULL, 0},
    {"spill overwritten by a callee through a frame address kept in .data, no arguments",
     "mov %r2, %r10\nadd %r2, -16\nlddw %r1, 2\nstxdw [%r1+0], %r2\nlddw %r1, 1\n"
     "stxdw [%r10-16], %r1\nmov %r1, 0\nmov %r2, 0\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\n"
     "call local g\nldxdw %r2, [%r10-16]\nstb [%r2+0], 1\nmov %r0, 0\nexit\n"
     "g:\nlddw %r1, 2\nldxdw %r3, [%r1+0]\nstdw [%r3+0], 0\nmov %r0, 0\nexit\n",
     NULL, 0},
    /* bpf_loop with no context: its callback (insn 18) finds r10 - 16 in .data. */
    {"spill overwritten by a callback through a frame address kept in .data",
     "mov %r2, %r10\nadd %r2, -16\nlddw %r1, 2\nstxdw [%r1+0], %r2\nlddw %r1, 1\n"
     "stxdw [%r10-16], %r1\nmov %r1, 1\nlddw %r2, code_addr 18\nmov %r3, 0\nmov %r4, 0\n"
     "call 181\nldxdw %r2, [%r10-16]\nstb [%r2+0], 1\nmov %r0, 0\nexit\n"
     "lddw %r1, 2\nldxdw %r3, [%r1+0]\nstdw [%r3+0], 0\nmov %r0, 0\nexit\n",
     NULL, 0},
    /*
     * The callback (insn 15) keeps its context, the caller's r10 - 16, in a
     * map value; g (insn 21) finds it there after bpf_loop returned.
     */
    {"spill overwritten through a context address a callback kept",
     "mov %r1, 1\nlddw %r2, code_addr 13\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall 181\n"
     "lddw %r1, 1\nstxdw [%r10-16], %r1\ncall local g\nldxdw %r2, [%r10-16]\nstb [%r2+0], 1\n"
     "mov %r0, 0\nexit\n"
     "mov %r6, %r2\ncall 1\njeq %r0, 0, out\nstxdw [%r0+0], %r6\nout:\nmov %r0, 0\nexit\n"
     "g:\ncall 1\njeq %r0, 0, gout\nldxdw %r3, [%r0+0]\nstdw [%r3+0], 0\ngout:\nmov %r0, 0\n"
     "exit\n",
     NULL, 0},
    /*
     * r10 - 16 holds the address of r10 - 32 (as a dynptr's data does):
     * dynptr_write (202) given it may write there.
     */
    /* .rodata on one path, .data on the other: perhaps writable. */
    {"read-only on one path only",
     "lddw %r4, 3\njeq %r2, 0, other\nlddw %r1, 1\nja out\nother:\nlddw %r1, 2\nout:\n"
     "stb [%r1+8], 0\nmov %r0, 0\nexit\n",
     NULL, 0},
    {"spill overwritten through a frame address the helper's memory holds",
     "lddw %r1, 1\nmov %r2, %r10\nadd %r2, -32\nstxdw [%r10-16], %r2\nstdw [%r10-8], 0\n"
     "stxdw [%r10-32], %r1\nmov %r1, %r10\nadd %r1, -16\nmov %r2, 8\ncall 202\nldxdw %r2, "
     "[%r10-32]\nstb [%r2+0], 1\n"
     "exit\n",
     NULL, 0},
    /* probe_write_user (36) writes where its first argument says: here the spill. */
    {"spill overwritten by probe_write_user",
     "lddw %r1, 1\nstxdw [%r10-32], %r1\nstdw [%r10-8], 0\nmov %r1, %r10\nadd %r1, -32\n"
     "mov %r2, %r10\nadd %r2, -8\nmov %r3, 8\ncall 36\nldxdw %r2, [%r10-32]\nstb [%r2+0], 1\n"
     "exit\n",
     NULL, 0},
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
        char want[160];
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
        if (build("lddw %r1, 1\nlddw %r2, 3\nstw [%r1+4], 1\nmov %r0, 0\nexit\n", "two", &prog,
                  &insns, relocs, 2))
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

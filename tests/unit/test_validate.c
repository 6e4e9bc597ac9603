/* SPDX-License-Identifier: MIT */
/*
 * Validator: one program per rejection class, each checked for the reason
 * and the instruction index in the message; then programs that must pass,
 * and the facts validation hands to later passes (program_check).
 */
#include "test_util.h"

#include "program.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>

/* clang-format off */
#define I(op, d, s, o, i) {.opcode = (op), .dst = (d), .src = (s), .off = (o), .imm = (i)}
#define EXIT               I(0x95, 0, 0, 0, 0)
#define MOV_K(d, i)        I(0xb7, d, 0, 0, i)
#define JA(o)              I(0x05, 0, 0, o, 0)
#define JEQ_K(d, i, o)     I(0x15, d, 0, o, i)
#define CALL_LOCAL(i)      I(0x85, 0, BPFAOT_CALL_LOCAL, 0, i)
#define LDDW(d, lo, hi)    I(BPFAOT_OP_LDDW, d, 0, 0, lo), I(0, 0, 0, 0, hi)
#define LDDW_CODE(d, i)    I(BPFAOT_OP_LDDW, d, BPFAOT_LDDW_CODE_ADDR, 0, i), I(0, 0, 0, 0, 0)

#define MAX_PROG 12
#define PROG(...)                                                                                  \
        .insns = {__VA_ARGS__},                                                                    \
        .cnt = sizeof((struct bpfaot_insn[]){__VA_ARGS__}) / sizeof(struct bpfaot_insn)

struct vcase {
        const char *name;
        struct bpfaot_insn insns[MAX_PROG];
        size_t cnt;
        size_t max_insns;
        uint32_t stack_size;
        const char *reason;
        long idx; /* -1: a program-level error without an instruction index */
};

static const struct vcase cases[] = {
        /* Unknown opcodes. */
        {"unknown ALU op", PROG(I(0xf7, 0, 0, 0, 0), EXIT), 0, 0, "unknown ALU operation 0xf0", 0},
        {"unknown jump op", PROG(MOV_K(0, 0), I(0xe5, 0, 0, 0, 0), EXIT), 0, 0,
         "unknown jump operation 0xe0", 1},
        {"unknown LD opcode", PROG(I(0x00, 0, 0, 0, 0), EXIT), 0, 0, "unknown opcode 0x00", 0},
        {"unknown LDX mode", PROG(I(0x21, 0, 1, 0, 0), EXIT), 0, 0, "unknown opcode 0x21", 0},
        {"unknown ST mode", PROG(I(0xc2, 1, 0, 0, 0), EXIT), 0, 0, "unknown opcode 0xc2", 0},
        {"unknown STX mode", PROG(I(0x83, 1, 2, 0, 0), EXIT), 0, 0, "unknown opcode 0x83", 0},
        {"exit as JMP32", PROG(MOV_K(0, 0), I(0x96, 0, 0, 0, 0)), 0, 0,
         "exit exists only as 0x95", 1},
        {"call as JMP32", PROG(I(0x86, 0, 0, 0, 1), EXIT), 0, 0, "call is a JMP instruction", 0},
        {"64-bit sign-extending load", PROG(I(0x99, 0, 1, 0, 0), EXIT), 0, 0,
         "no sign-extending 64-bit load", 0},
        /* Legacy packet loads: the forms the kernel's check_ld_abs refuses. */
        {"64-bit LD_ABS", PROG(I(0x38, 0, 0, 0, 4), EXIT), 0, 0,
         "unknown opcode 0x38 (no 64-bit LD_ABS/LD_IND)", 0},
        {"64-bit LD_IND", PROG(MOV_K(7, 0), I(0x58, 0, 7, 0, 4), EXIT), 0, 0,
         "unknown opcode 0x58 (no 64-bit LD_ABS/LD_IND)", 1},
        {"LD_ABS into r3", PROG(I(0x20, 3, 0, 0, 4), EXIT), 0, 0,
         "reserved dst register field is 3, must be 0", 0},
        {"LD_ABS with a source", PROG(I(0x30, 0, 2, 0, 4), EXIT), 0, 0,
         "reserved src register field is 2, must be 0", 0},
        {"LD_IND with an offset", PROG(MOV_K(7, 0), I(0x48, 0, 7, 1, 4), EXIT), 0, 0,
         "reserved offset field is 1, must be 0", 1},
        {"LD_IND from r11", PROG(I(0x40, 0, 11, 0, 4), EXIT), 0, 0, "invalid source register r11",
         0},
        {"LD_ABS in a callback",
         PROG(MOV_K(1, 1), LDDW_CODE(2, 6), MOV_K(3, 0), MOV_K(4, 0), I(0x85, 0, 0, 0, 181),
              MOV_K(0, 0), EXIT, I(0x30, 0, 0, 0, 0), EXIT),
         0, 0, "ldabsb 0: LD_ABS/LD_IND cannot be used within a callback", 8},
        {"LD_IND below a callback",
         PROG(MOV_K(1, 1), LDDW_CODE(2, 6), MOV_K(3, 0), MOV_K(4, 0), I(0x85, 0, 0, 0, 181),
              MOV_K(0, 0), EXIT, CALL_LOCAL(1), EXIT, I(0x50, 0, 1, 0, 0), EXIT),
         0, 0, "call local +1: LD_ABS/LD_IND cannot be used within a callback", 8},
        {"unknown atomic op", PROG(I(0xdb, 10, 1, -8, 0x10), EXIT), 0, 0,
         "unknown atomic operation 0x10", 0},
        {"byte-wide atomic", PROG(I(0xd3, 10, 1, -8, 0), EXIT), 0, 0,
         "atomic operations are 32 or 64 bits wide", 0},
        {"byte swap width", PROG(I(0xd4, 0, 0, 0, 8), EXIT), 0, 0,
         "byte swap width 8 is not 16, 32 or 64", 0},
        {"bswap with source bit", PROG(I(0xdf, 0, 0, 0, 16), EXIT), 0, 0, "unknown byte swap", 0},
        {"movsx32 from 32 bits", PROG(I(0xbc, 0, 1, 32, 0), EXIT), 0, 0,
         "invalid sign-extension width 32", 0},
        {"sdiv offset 2", PROG(I(0x3f, 0, 1, 2, 0), EXIT), 0, 0,
         "offset 2 is neither 0 (unsigned) nor 1 (signed)", 0},
        {"neg with source bit", PROG(I(0x8f, 0, 1, 0, 0), EXIT), 0, 0,
         "neg takes no source operand", 0},
        {"ja with source bit", PROG(I(0x0d, 0, 0, 0, 0), EXIT), 0, 0,
         "unconditional jump with source bit set", 0},
        {"unknown call kind", PROG(I(0x85, 0, 3, 0, 1), EXIT), 0, 0, "unknown call kind (src 3)", 0},
        {"kfunc without BTF", PROG(I(0x85, 0, BPFAOT_CALL_KFUNC, 0, 5), EXIT), 0, 0,
         "kfunc call with BTF id 5 cannot be named: the program has no BTF", 0},
        {"negative helper id", PROG(I(0x85, 0, 0, 0, -1), EXIT), 0, 0, "invalid helper id -1", 0},
        {"unknown lddw source", PROG(I(0x18, 0, 7, 0, 1), I(0, 0, 0, 0, 0), EXIT), 0, 0,
         "unknown lddw pseudo source 7", 0},

        /* Reserved fields. */
        {"reserved dst", PROG(MOV_K(0, 0), I(0x95, 1, 0, 0, 0)), 0, 0,
         "reserved dst register field is 1, must be 0", 1},
        {"reserved src", PROG(I(0x07, 0, 1, 0, 1), EXIT), 0, 0,
         "reserved src register field is 1, must be 0", 0},
        {"reserved offset", PROG(I(0x07, 0, 0, 1, 1), EXIT), 0, 0,
         "reserved offset field is 1, must be 0", 0},
        {"reserved immediate", PROG(I(0x0f, 0, 1, 0, 1), EXIT), 0, 0,
         "reserved immediate field is 1, must be 0", 0},
        {"reserved ja immediate", PROG(I(0x05, 0, 0, 0, 1), EXIT), 0, 0,
         "reserved immediate field is 1", 0},
        {"reserved ja32 offset", PROG(I(0x06, 0, 0, 1, 0), EXIT), 0, 0,
         "reserved offset field is 1", 0},
        {"reserved lddw offset", PROG(I(0x18, 0, 0, 3, 1), I(0, 0, 0, 0, 0), EXIT), 0, 0,
         "reserved offset field is 3", 0},
        {"lddw second slot", PROG(MOV_K(0, 0), I(0x18, 0, 0, 0, 1), I(0, 1, 0, 0, 0), EXIT), 0, 0,
         "second slot of lddw must have only an immediate set", 1},

        /* Register numbers. */
        {"bad dst register", PROG(MOV_K(11, 0), EXIT), 0, 0, "invalid destination register r11", 0},
        {"bad src register", PROG(I(0x0f, 0, 12, 0, 0), EXIT), 0, 0,
         "invalid source register r12", 0},
        {"bad callx register", PROG(I(0x8d, 11, 0, 0, 0), EXIT), 0, 0,
         "invalid destination register r11", 0},
        {"bad load base register", PROG(I(0x79, 0, 15, 0, 0), EXIT), 0, 0,
         "invalid source register r15", 0},
        {"bad jump register", PROG(I(0x1d, 0, 13, 0, 0), EXIT), 0, 0,
         "invalid source register r13", 0},

        /* Writes to r10. */
        {"mov to r10", PROG(MOV_K(0, 0), MOV_K(10, 1), EXIT), 0, 0,
         "r10 (frame pointer) is read-only", 1},
        {"load into r10", PROG(I(0x79, 10, 1, 0, 0), EXIT), 0, 0,
         "r10 (frame pointer) is read-only", 0},
        {"lddw into r10", PROG(LDDW(10, 1, 0), EXIT), 0, 0, "r10 (frame pointer) is read-only", 0},
        {"atomic fetch into r10", PROG(I(0xdb, 1, 10, 0, BPFAOT_ATOMIC_ADD | BPFAOT_ATOMIC_FETCH),
                                       EXIT),
         0, 0, "r10 (frame pointer) is read-only", 0},

        /* Jump targets. */
        {"jump past the end", PROG(JA(5), EXIT), 0, 0,
         "jump target 6 is outside the program (0..1)", 0},
        {"jump before the start", PROG(JEQ_K(0, 0, -2), EXIT), 0, 0,
         "jump target -1 is outside the program (0..1)", 0},
        {"ja32 past the end", PROG(MOV_K(0, 0), I(0x06, 0, 0, 0, 100), EXIT), 0, 0,
         "jump target 102 is outside the program (0..2)", 1},
        {"jump into lddw", PROG(JEQ_K(0, 0, 2), MOV_K(0, 0), LDDW(1, 1, 2), EXIT), 0, 0,
         "jump target 3 is the second slot of an lddw", 0},
        /* code_addr 2 at insn 0 names insn 3, the second slot of the next lddw */
        {"code address into lddw", PROG(I(0x18, 1, 4, 0, 2), I(0, 0, 0, 0, 0), LDDW(2, 1, 2), EXIT),
         0, 0, "code address target is the second slot of an lddw", 0},
        {"truncated lddw", PROG(MOV_K(0, 0), I(0x18, 0, 0, 0, 1)), 0, 0,
         "lddw is truncated: its second slot is missing", 1},

        /* Control flow. */
        {"fall-through", PROG(MOV_K(0, 0)), 0, 0,
         "control can fall through past the end of the program", 0},
        {"fall-through after conditional jump", PROG(MOV_K(0, 0), JEQ_K(0, 0, -2)), 0, 0,
         "control can fall through past the end of the program", 1},
        {"sub-program fall-through", PROG(CALL_LOCAL(2), MOV_K(0, 0), MOV_K(0, 1), EXIT), 0, 0,
         "control can fall through past the end of a sub-program", 2},
        {"local call past the end", PROG(CALL_LOCAL(5), EXIT), 0, 0,
         "local call target 6 is outside the program (0..1)", 0},
        {"local call into lddw", PROG(CALL_LOCAL(2), EXIT, LDDW(0, 1, 2), EXIT), 0, 0,
         "local call target 3 is the second slot of an lddw", 0},
        {"recursion", PROG(CALL_LOCAL(1), EXIT, CALL_LOCAL(-1), EXIT), 0, 0,
         "recursive call: the sub-program at insn 2 calls itself", 2},
        {"mutual recursion",
         PROG(CALL_LOCAL(1), EXIT, CALL_LOCAL(1), EXIT, CALL_LOCAL(-3), EXIT), 0, 0,
         "recursive call: the sub-program at insn 2 calls itself", 4},
        {"jump out of a sub-program", PROG(CALL_LOCAL(2), JA(2), EXIT, MOV_K(0, 1), EXIT), 0, 0,
         "jump to insn 4 leaves the sub-program at 0..2", 1},
        {"jump into the caller", PROG(CALL_LOCAL(1), EXIT, JA(-3), EXIT), 0, 0,
         "jump to insn 0 leaves the sub-program at 2..3", 2},

        /* Sizes. */
        {"empty program", .cnt = 0, .reason = "empty program", .idx = -1},
        {"over the instruction limit", PROG(MOV_K(0, 0), MOV_K(0, 1), EXIT), 2, 0,
         "program has 3 instructions, more than the limit of 2", -1},
        {"bad stack size", PROG(MOV_K(0, 0), EXIT), 0, 12,
         "stack size 12 must be a multiple of 8", -1},

        /* Stack accesses. */
        {"store above the frame", PROG(I(0x62, 10, 0, 0, 1), EXIT), 0, 0,
         "stack access [r10+0] of 4 bytes is outside the 512-byte frame", 0},
        {"store straddling the top", PROG(I(0x7a, 10, 0, -4, 1), EXIT), 0, 0,
         "stack access [r10-4] of 8 bytes is outside the 512-byte frame", 0},
        {"load below the frame", PROG(I(0x79, 0, 10, -520, 0), EXIT), 0, 0,
         "stack access [r10-520] of 8 bytes is outside the 512-byte frame", 0},
        {"store below a small frame", PROG(MOV_K(1, 0), I(0x7b, 10, 1, -72, 0), EXIT), 0, 64,
         "stack access [r10-72] of 8 bytes is outside the 64-byte frame", 1},
        {"atomic above the frame", PROG(I(0xc3, 10, 1, 0, BPFAOT_ATOMIC_ADD), EXIT), 0, 0,
         "stack access [r10+0] of 4 bytes is outside", 0},
        {"misaligned stack atomic", PROG(I(0xdb, 10, 1, -12, BPFAOT_ATOMIC_ADD), EXIT), 0, 0,
         "misaligned atomic access on the stack", 0},

        /* Registers no path has written (the kernel's "!read_ok"). */
        {"load through uninitialised r3", PROG(I(0x79, 0, 3, 0, 0), EXIT), 0, 0,
         "ldxdw %r0, [%r3+0]: r3 is read before it is written (uninitialised register)", 0},
        {"exit without r0", PROG(MOV_K(1, 0), EXIT), 0, 0,
         "exit: r0 is read before it is written (uninitialised register): the program returns r0",
         1},
        {"r1 after a helper call", PROG(MOV_K(1, 1), I(0x85, 0, 0, 0, 5), I(0xbf, 0, 1, 0, 0), EXIT),
         0, 0, "mov %r0, %r1: r1 is read before it is written", 2},
        {"r5 after a local call", PROG(MOV_K(5, 1), CALL_LOCAL(2), I(0x0f, 0, 5, 0, 0), EXIT,
                                       MOV_K(0, 0), EXIT),
         0, 0, "add %r0, %r5: r5 is read before it is written", 2},
        {"callee's r6", PROG(MOV_K(6, 1), CALL_LOCAL(1), EXIT, I(0xbf, 0, 6, 0, 0), EXIT), 0, 0,
         "mov %r0, %r6: r6 is read before it is written", 3},
        {"cmpxchg compares with r0", PROG(MOV_K(1, 1), I(0xdb, 10, 1, -8, BPFAOT_ATOMIC_CMPXCHG),
                                          EXIT),
         0, 0, "r0 is read before it is written", 1},
        {"store of an uninitialised value", PROG(I(0x7b, 10, 7, -8, 0), MOV_K(0, 0), EXIT), 0, 0,
         "stxdw [%r10-8], %r7: r7 is read before it is written", 0},
        {"uninitialised jump operand", PROG(MOV_K(0, 0), I(0x5d, 0, 9, 1, 0), EXIT, EXIT), 0, 0,
         "r9 is read before it is written", 1},
        {"neg of nothing", PROG(I(0x87, 4, 0, 0, 0), MOV_K(0, 0), EXIT), 0, 0,
         "neg %r4: r4 is read before it is written", 0},
        {"callx through nothing", PROG(I(0x8d, 8, 0, 0, 0), EXIT), 0, 0,
         "call %r8: r8 is read before it is written", 0},
        /* A caller sets r1; the callee's helper call clobbers it. */
        {"callee's argument after a call", PROG(MOV_K(1, 1), CALL_LOCAL(1), EXIT,
                                                I(0x85, 0, 0, 0, 5), I(0xbf, 0, 1, 0, 0), EXIT),
         0, 0, "mov %r0, %r1: r1 is read before it is written", 4},
        /* No caller sets r3, and the callee's own call clobbers it: refused all the same. */
        {"unset argument after a call", PROG(MOV_K(1, 1), CALL_LOCAL(1), EXIT,
                                             I(0x85, 0, 0, 0, 5), I(0xbf, 0, 3, 0, 0), EXIT),
         0, 0, "mov %r0, %r3: r3 is read before it is written (uninitialised register): a call "
         "leaves r1-r5 unwritten", 4},
        /* Clobbered on both paths of a join. */
        {"argument clobbered on every path", PROG(MOV_K(0, 0), CALL_LOCAL(1), EXIT,
                                                  JEQ_K(4, 0, 2), I(0x85, 0, 0, 0, 5), JA(1),
                                                  I(0x85, 0, 0, 0, 7), I(0xbf, 0, 2, 0, 0), EXIT),
         0, 0, "mov %r0, %r2: r2 is read before it is written", 7},
        /* LD_ABS/LD_IND leave r1-r5 unwritten, as a call does. */
        {"r1 after LD_ABS", PROG(I(0x20, 0, 0, 0, 4), I(0xbf, 0, 1, 0, 0), EXIT), 0, 0,
         "mov %r0, %r1: r1 is read before it is written (uninitialised register): a call "
         "leaves r1-r5 unwritten (so does LD_ABS/LD_IND)", 1},
        {"r5 after LD_IND", PROG(MOV_K(5, 1), I(0x48, 0, 5, 0, 4), I(0xbf, 0, 5, 0, 0), EXIT), 0,
         0, "mov %r0, %r5: r5 is read before it is written", 2},
        {"LD_IND through an unset register", PROG(I(0x50, 0, 7, 0, 4), EXIT), 0, 0,
         "ldindb %r7, 4: r7 is read before it is written", 0},
        /* The entry sub-program: r3 was never an argument. */
        {"r3 after a call in the entry", PROG(I(0x85, 0, 0, 0, 5), I(0xbf, 0, 3, 0, 0), EXIT), 0, 0,
         "mov %r0, %r3: r3 is read before it is written", 1},
};

/* clang-format on */

static void check_case(const struct vcase *c)
{
        BPFAOT_OPTS_INIT(bpfaot_validate_opts, opts, .max_insns = c->max_insns,
                         .stack_size = c->stack_size);
        struct bpfaot_prog prog = {
            .input = "test.bpf", .name = c->name, .insns = c->insns, .insn_cnt = c->cnt};
        struct bpfaot_error err = {0};
        char where[64];
        int ret = bpfaot_validate(&prog, &opts, &err);

        CHECKF(ret < 0, "%s: accepted", c->name);
        if (ret >= 0)
                return;
        CHECKF(err.code == ret, "%s: err.code %d, returned %d", c->name, err.code, ret);
        CHECKF(strstr(err.msg, c->reason) != NULL, "%s: \"%s\" lacks \"%s\"", c->name, err.msg,
               c->reason);
        CHECKF(strncmp(err.msg, "test.bpf: ", 10) == 0, "%s: no input name in \"%s\"", c->name,
               err.msg);
        CHECKF(err.insn == c->idx, "%s: err.insn %ld, expected %ld", c->name, err.insn, c->idx);
        if (c->idx >= 0) {
                snprintf(where, sizeof(where), "insn %ld: ", c->idx);
                CHECKF(strstr(err.msg, where) != NULL, "%s: \"%s\" lacks \"%s\"", c->name, err.msg,
                       where);
        } else {
                CHECKF(strstr(err.msg, "insn ") == NULL, "%s: \"%s\" names an instruction", c->name,
                       err.msg);
        }
}

/* A chain of `frames` stack frames: the entry calls sub-program 1, which calls 2, ... */
static int validate_call_chain(unsigned frames, struct bpfaot_error *err)
{
        size_t cnt = 2 * frames - 1;
        struct bpfaot_insn *insns = calloc(cnt, sizeof(*insns));
        struct bpfaot_prog prog = {.input = "chain", .name = "chain", .insn_cnt = cnt};
        int ret;

        if (!insns)
                return -ENOMEM;
        for (size_t i = 0; i + 1 < cnt; i += 2) {
                insns[i] = (struct bpfaot_insn)CALL_LOCAL(1);
                insns[i + 1] = (struct bpfaot_insn)EXIT;
        }
        insns[cnt - 1] = (struct bpfaot_insn)EXIT;
        prog.insns = insns;
        ret = bpfaot_validate(&prog, NULL, err);
        free(insns);
        return ret;
}

static void check_call_depth(void)
{
        struct bpfaot_error err = {0};

        CHECKF(validate_call_chain(BPFAOT_MAX_CALL_DEPTH, &err) == 0, "%u frames rejected: %s",
               BPFAOT_MAX_CALL_DEPTH, err.msg);
        CHECK(validate_call_chain(BPFAOT_MAX_CALL_DEPTH + 1, &err) < 0);
        CHECK_CONTAINS(err.msg, "call chain deeper than 8 frames");
        CHECK_CONTAINS(err.msg, "insn ");
}

/* Programs (assembly text) that must pass, with their options. */
struct valid_prog {
        const char *name;
        const char *text;
        size_t max_insns;
        uint32_t stack_size;
};

static const struct valid_prog valid[] = {
    {"minimal", "mov %r0, 0\nexit\n", 0, 0},
    {"instruction limit met exactly", "mov %r0, 0\nexit\n", 2, 0},
    {"alu and jumps",
     "mov32 %r0, 0x87654321\n"
     "add %r0, -1\n"
     "sdiv32 %r0, 3\n"
     "smod %r0, %r1\n"
     "movsx1664 %r2, %r0\n"
     "movsx3264 %r2, %r2\n"
     "be16 %r2\n"
     "bswap64 %r2\n"
     "neg32 %r2\n"
     "jsgt32 %r2, -5, skip\n"
     "ja32 skip\n"
     "skip:\n"
     "jset %r2, %r0, +0\n"
     "exit\n",
     0, 0},
    {"memory at the frame edges",
     "stdw [%r10-512], 1\n"
     "stb [%r10-1], 2\n"
     "ldxsh %r0, [%r10-2]\n"
     "stxw [%r1+1000], %r0\n"
     "ldxdw %r0, [%r1-1000]\n"
     "exit\n",
     0, 0},
    {"small frame edge", "stdw [%r10-64], 1\nmov %r0, 0\nexit\n", 0, 64},
    {"legacy packet loads in sub-programs",
     "call local f\n"
     "exit\n"
     "f:\n"
     "call local g\n"
     "exit\n"
     "g:\n"
     "ldindw %r1, 2\n"
     "exit\n",
     0, 0},
    {"legacy packet loads",
     "ldabsb 0\n"
     "ldabsh -1\n"
     "mov %r6, %r0\n"
     "ldindw %r6, 0x7fffffff\n"
     "ldindb %r10, 0\n"
     "add %r0, %r6\n"
     "exit\n",
     0, 0},
    {"atomics",
     "mov %r1, 1\n"
     "lock add [%r10-8], %r1\n"
     "lock fetch xor32 [%r10-4], %r1\n"
     "lock xchg [%r10-16], %r1\n"
     "mov %r0, 0\n"
     "lock cmpxchg32 [%r10-20], %r10\n"
     "exit\n",
     0, 0},
    {"lddw forms",
     "lddw %r0, 0x123456789abcdef0\n"
     "lddw %r1, map_fd 3\n"
     "lddw %r2, map_val 3, 16\n"
     "lddw %r3, var_addr 1\n"
     "lddw %r4, code_addr 1000\n" /* outside the program: __lddw_helper_code_addr */
     "lddw %r5, map_idx 0\n"
     "lddw %r6, map_idx_val 0, 8\n"
     "exit\n",
     0, 0},
    {"calls",
     "mov %r1, 1\n"
     "call 12\n"
     "mov %r1, 12\n"
     "call %r1\n"
     "call local sub\n"
     "call local sub\n"
     "exit\n"
     "sub:\n"
     "mov %r0, 2\n"
     "jeq %r1, 0, done\n"
     "call local leaf\n"
     "done:\n"
     "exit\n"
     "leaf:\n"
     "ja +0\n"
     "exit\n",
     0, 0},
    {"sub-program ending in ja", "call local f\nexit\nf:\nmov %r0, 1\nja -2\n", 0, 0},
    /* Written on some paths only: the kernel may prove the others infeasible. */
    {"register written on one path", "jeq %r1, 0, +1\nmov %r3, 1\nmov %r0, %r3\nexit\n", 0, 0},
    {"register written later in a loop",
     "mov %r0, 0\n"
     "mov %r4, 3\n"
     "loop:\n"
     "jeq %r4, 3, +1\n"
     "add %r0, %r5\n"
     "mov %r5, 7\n"
     "sub %r4, 1\n"
     "jne %r4, 0, loop\n"
     "exit\n",
     0, 0},
    /* The program's r2 is its context's size; a callee's r1-r5 its arguments. */
    {"context size and arguments",
     "mov %r6, %r2\ncall local f\nadd %r0, %r6\nexit\nf:\nmov %r0, %r5\nexit\n", 0, 0},
    /*
     * An argument no caller sets, clobbered by a call on one path only: the
     * kernel may find the other path infeasible (as for any register
     * written on some paths only).
     */
    {"argument clobbered on one path",
     "mov %r0, 0\ncall local f\nexit\nf:\njeq %r4, 0, +1\ncall 5\nmov %r0, %r3\nexit\n", 0, 0},
    /* A caller's clobbered register is, to its callee, an argument no caller set. */
    {"clobbered register as an argument", "call 5\ncall local f\nexit\nf:\nmov %r0, %r3\nexit\n", 0,
     0},
    /* Stack never written reads as zero (the kernel allows it to privileged loaders). */
    {"stack never written", "ldxdw %r0, [%r10-8]\nexit\n", 0, 0},
    /* A sub-program need not set r0: the caller's call writes it. */
    {"void sub-program", "call local f\nexit\nf:\nstdw [%r10-8], 1\nexit\n", 0, 0},
    /* A callback's r1-r5 are its arguments too, whatever its helper gives it. */
    {"callback arguments",
     "mov %r1, 1\nlddw %r2, code_addr 5\nmov %r3, 0\nmov %r4, 0\ncall 181\nexit\n"
     "mov %r0, %r5\nexit\n",
     0, 0},
    /* The branch is never taken: the kernel never looks at the read. */
    {"read on a path never taken",
     "mov %r2, 0\njne %r2, 0, +2\nmov %r0, 0\nexit\nmov %r0, %r3\nexit\n", 0, 0},
};

static void check_valid(void)
{
        for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
                BPFAOT_OPTS_INIT(bpfaot_validate_opts, opts, .max_insns = valid[i].max_insns,
                                 .stack_size = valid[i].stack_size);
                struct bpfaot_error err = {0};
                struct bpfaot_insn *insns;
                size_t cnt;
                int ret = bpfaot_assemble(valid[i].text, valid[i].name, &insns, &cnt, &err);

                CHECKF(ret == 0, "%s: does not assemble: %s", valid[i].name, err.msg);
                if (ret)
                        continue;
                struct bpfaot_prog prog = {
                    .input = "test.bpf", .name = valid[i].name, .insns = insns, .insn_cnt = cnt};
                ret = bpfaot_validate(&prog, &opts, &err);
                CHECKF(ret == 0, "%s: rejected: %s", valid[i].name, err.msg);
                free(insns);
        }
}

static void check_relocs(void)
{
        struct bpfaot_insn insns[] = {I(0x85, 0, BPFAOT_CALL_KFUNC, 0, 77), LDDW(1, 0, 0), EXIT};
        struct bpfaot_reloc kfunc = {.insn = 0, .kind = BPFAOT_RELOC_KFUNC, .name = "bpf_kf"};
        struct bpfaot_reloc relocs[] = {
            kfunc, {.insn = 1, .kind = BPFAOT_RELOC_UNRESOLVED, .name = "my_map", .what = "map"}};
        struct bpfaot_prog prog = {.input = "test.bpf",
                                   .name = "relocs",
                                   .insns = insns,
                                   .insn_cnt = 4,
                                   .relocs = relocs,
                                   .reloc_cnt = 1};
        struct bpfaot_error err = {0};

        /* A kfunc call the front end resolved to a name is accepted. */
        CHECKF(bpfaot_validate(&prog, NULL, &err) == 0, "kfunc relocation rejected: %s", err.msg);
        prog.reloc_cnt = 2;
        CHECK(bpfaot_validate(&prog, NULL, &err) == -ENOTSUP);
        CHECK_CONTAINS(err.msg, "insn 1: ");
        CHECK_CONTAINS(err.msg, "unresolved relocation against map 'my_map'");
        CHECK_EQ(err.insn, 1);
}

static void check_null_and_default_opts(void)
{
        struct bpfaot_insn ok[] = {MOV_K(0, 0), EXIT};
        struct bpfaot_prog prog = {.insns = ok, .insn_cnt = 2};
        struct bpfaot_error err = {0};

        CHECK(bpfaot_validate(&prog, NULL, &err) == 0);
        CHECK(bpfaot_validate(NULL, NULL, &err) < 0);
        CHECK_CONTAINS(err.msg, "empty program");
        prog.insns = NULL;
        CHECK(bpfaot_validate(&prog, NULL, &err) < 0);
        CHECK_CONTAINS(err.msg, "empty program");
}

/*
 * What program_check finds: sub-programs and callbacks, lddw tails,
 * relocations by instruction (given out of order), frame-pointer offsets,
 * callee names and the per-CPU maps fact.
 */
static void check_program_facts(void)
{
        struct bpfaot_insn insns[] = {
            I(0xbf, 1, BPFAOT_REG_FP, 0, 0),     /* 0: r1 = r10 */
            I(0x07, 1, 0, 0, -16),               /* 1: r1 += -16 */
            I(0x7a, 1, 0, 8, 7),                 /* 2: *(u64 *)(r1 + 8) = 7 */
            LDDW_CODE(2, 11),                    /* 3: r2 = &cb */
            LDDW(3, 0, 0),                       /* 5: global data */
            LDDW(4, 0, 0),                       /* 7: a map */
            I(0x85, 0, BPFAOT_CALL_KFUNC, 0, 0), /* 9: call bpf_kf */
            CALL_LOCAL(2),                       /* 10: call f */
            MOV_K(0, 0),                         /* 11 */
            EXIT,                                /* 12 */
            MOV_K(0, 1),                         /* 13: f */
            EXIT,                                /* 14 */
            MOV_K(0, 0),                         /* 15: cb */
            EXIT,                                /* 16 */
        };
        struct bpfaot_reloc relocs[] = {
            {.insn = 9, .kind = BPFAOT_RELOC_KFUNC, .name = "bpf_kf"},
            {.insn = 7, .kind = BPFAOT_RELOC_MAP, .name = "counts", .data_sec = 0},
            {.insn = 5, .kind = BPFAOT_RELOC_DATA, .name = ".rodata", .data_sec = 0},
        };
        struct bpfaot_data_sec data = {.name = ".rodata", .size = 8, .readonly = true};
        struct bpfaot_map_desc map = {.name = "counts", .type = BPF_MAP_TYPE_PERCPU_ARRAY};
        struct bpfaot_prog prog = {.name = "facts",
                                   .insns = insns,
                                   .insn_cnt = sizeof(insns) / sizeof(insns[0]),
                                   .relocs = relocs,
                                   .reloc_cnt = 3,
                                   .data = &data,
                                   .data_cnt = 1,
                                   .maps = &map,
                                   .map_cnt = 1,
                                   .symbol_prefix = "obj"};
        struct bpfaot_error err = {0};
        struct program p;
        int32_t off = 0;
        int ret = program_check(&prog, NULL, &p, &err);

        CHECKF(ret == 0, "rejected: %s", err.msg);
        if (ret)
                return;
        CHECK_EQ(p.stack_size, BPFAOT_DEFAULT_STACK_SIZE);
        CHECK_EQ(p.sp.cnt, 3);
        CHECK_EQ(p.sp.start[1], 13);
        CHECK_EQ(subprogs_end(&p.sp, 0), 13);
        CHECK_EQ(subprogs_end(&p.sp, 2), prog.insn_cnt);
        CHECK_EQ(subprogs_index_of(&p.sp, 15), 2);
        CHECK_EQ(subprogs_index_of(&p.sp, 14), -1);
        CHECK(!p.sp.callback[0] && !p.sp.callback[1] && p.sp.callback[2] && p.sp.has_callbacks);
        CHECK(p.tails[4] && p.tails[6] && p.tails[8] && !p.tails[3] && !p.tails[5]);
        CHECK(program_reloc(&p, 5) == &relocs[2]);
        CHECK(program_reloc(&p, 7) == &relocs[1]);
        CHECK(program_reloc(&p, 9) == &relocs[0]);
        CHECK(program_reloc(&p, 0) == NULL && program_reloc(&p, 6) == NULL);
        CHECK_STR_EQ(subprog_callee_name(&p, 9), "bpf_kf");
        CHECK(fpoff_get(&p.fp[1], 1, &off) && off == 0);
        CHECK(fpoff_get(&p.fp[2], 1, &off) && off == -16);
        CHECK(!fpoff_get(&p.fp[10], 2, &off));
        CHECK(p.uses_percpu_maps);
        program_free(&p);
        CHECK(p.tails == NULL && p.sp.start == NULL && p.fp == NULL);

        /* A rejected program leaves nothing to free. */
        insns[16] = (struct bpfaot_insn)MOV_K(0, 0);
        CHECK(program_check(&prog, NULL, &p, &err) == -EINVAL);
        CHECK_CONTAINS(err.msg, "fall through");
        CHECK(p.tails == NULL && p.sp.start == NULL && p.fp == NULL && p.reloc_idx == NULL);
}

/*
 * The analysis' budget: a loop the analysis walks a few times settles
 * within its own budget, and is refused, naming the budget, when given
 * fewer instruction visits than that takes.
 */
static void check_analysis_budget(void)
{
        static const char *text = "mov %r0, 0\n"
                                  "mov %r1, 0\n"
                                  "add %r0, %r1\n"
                                  "add %r1, 1\n"
                                  "jlt %r1, 1000, -3\n"
                                  "exit\n";
        BPFAOT_OPTS_INIT(bpfaot_validate_opts, opts, .analysis_budget = 20);
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns = NULL;
        struct bpfaot_prog prog = {.input = "budget", .name = "loop"};
        size_t cnt;

        if (bpfaot_assemble(text, "budget", &insns, &cnt, &err)) {
                CHECKF(false, "%s", err.msg);
                return;
        }
        prog.insns = insns;
        prog.insn_cnt = cnt;
        CHECKF(bpfaot_validate(&prog, NULL, &err) == 0, "%s", err.msg);
        CHECK_EQ(bpfaot_validate(&prog, &opts, &err), -E2BIG);
        CHECK_STR_EQ(
            err.msg,
            "budget: loop: the register analysis did not settle within 20 instruction visits");
        free(insns);
}

int main(void)
{
        check_analysis_budget();
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                check_case(&cases[i]);
        printf("validate: %zu rejection cases\n", sizeof(cases) / sizeof(cases[0]));
        check_call_depth();
        check_valid();
        check_relocs();
        check_null_and_default_opts();
        check_program_facts();
        return TEST_EXIT("test_validate");
}

/* SPDX-License-Identifier: MIT */
/*
 * Reads of registers that were never written. The kernel verifier refuses
 * them ("R3 !read_ok"); so do we, naming the register and the instruction.
 *
 * A forward may-analysis per sub-program: the state before an instruction is
 * the set of registers that some path from the sub-program's entry has
 * written (union at merges). A read of a register outside that set is a read
 * that no path initialises: refused. A register written on some paths only
 * is not refused: the kernel follows paths one by one and may prove the
 * others infeasible; for those the translator's zeroed registers give a
 * defined value.
 *
 * Entry states: a program starts with r1 (the context) and r2 (its size, the
 * native ABI's second argument); a sub-program or callback with r1-r5 (the
 * arguments, as the caller may have set them); r10 always. Calls leave r0
 * written and r1-r5 clobbered. Only the program's own exit must read r0:
 * a sub-program's exit hands r0 back, which the caller's call writes anyway.
 * Helper arguments are not checked: which of r1-r5 a helper reads is the
 * helper's signature, not the instruction's.
 *
 * Stack slots are not checked: the kernel lets privileged loaders read stack
 * never written, and every frame is zeroed when the function starts.
 */
#include "internal.h"
#include "uninit.h"
#include "insn.h"
#include "program.h"

#include <errno.h>
#include <stdlib.h>

#define REG(r)        ((uint16_t)(1u << (r)))
#define ARG_REGS      (REG(1) | REG(2) | REG(3) | REG(4) | REG(5))
#define PROG_ENTRY    (REG(1) | REG(2) | REG(BPFAOT_REG_FP))
#define SUBPROG_ENTRY (ARG_REGS | REG(BPFAOT_REG_FP))

/* Registers an instruction reads, writes, and leaves undefined. */
struct reg_use {
        uint16_t reads, writes, clobbers;
};

static struct reg_use alu_use(const struct bpfaot_insn *insn)
{
        uint16_t src = insn_is_reg_src(insn) ? REG(insn->src) : 0;

        switch (insn_op(insn)) {
        case BPFAOT_ALU_MOV:
                return (struct reg_use){.reads = src, .writes = REG(insn->dst)};
        case BPFAOT_ALU_NEG:
        case BPFAOT_ALU_END:
                return (struct reg_use){.reads = REG(insn->dst), .writes = REG(insn->dst)};
        default:
                return (struct reg_use){.reads = REG(insn->dst) | src, .writes = REG(insn->dst)};
        }
}

static struct reg_use jmp_use(const struct bpfaot_insn *insn, bool is_prog)
{
        if (insn_is_exit(insn))
                return (struct reg_use){.reads = is_prog ? REG(0) : 0};
        if (insn_is_call(insn))
                return (struct reg_use){.reads = insn_is_reg_src(insn) ? REG(insn->dst) : 0,
                                        .writes = REG(0),
                                        .clobbers = ARG_REGS};
        if (insn_is_ja(insn))
                return (struct reg_use){0};
        return (struct reg_use){.reads =
                                    REG(insn->dst) | (insn_is_reg_src(insn) ? REG(insn->src) : 0)};
}

static struct reg_use atomic_use(const struct bpfaot_insn *insn)
{
        struct reg_use u = {.reads = REG(insn->dst) | REG(insn->src)};

        if (insn->imm == BPFAOT_ATOMIC_CMPXCHG) {
                u.reads |= REG(0);
                u.writes = REG(0);
        } else if (insn->imm & BPFAOT_ATOMIC_FETCH) {
                u.writes = REG(insn->src);
        }
        return u;
}

static struct reg_use use_of(const struct bpfaot_insn *insn, bool is_prog)
{
        switch (bpfaot_insn_class(insn)) {
        case BPFAOT_CLASS_ALU:
        case BPFAOT_CLASS_ALU64:
                return alu_use(insn);
        case BPFAOT_CLASS_JMP:
        case BPFAOT_CLASS_JMP32:
                return jmp_use(insn, is_prog);
        case BPFAOT_CLASS_LD: /* lddw: the only LD the validator lets through */
                return (struct reg_use){.writes = REG(insn->dst)};
        case BPFAOT_CLASS_LDX:
                return (struct reg_use){.reads = REG(insn->src), .writes = REG(insn->dst)};
        case BPFAOT_CLASS_ST:
                return (struct reg_use){.reads = REG(insn->dst)};
        default: /* STX */
                if (insn_mode(insn) == BPFAOT_MODE_ATOMIC)
                        return atomic_use(insn);
                return (struct reg_use){.reads = REG(insn->dst) | REG(insn->src)};
        }
}

struct flow {
        const struct bpfaot_prog *prog;
        const bool *tails;
        uint16_t *in; /* registers some path has written, before each insn */
        bool *seen;   /* reached from the sub-program's entry */
        bool *queued; /* in work[] */
        size_t *work; /* pending instructions */
        size_t nwork;
};

static void reach(struct flow *f, size_t idx, uint16_t state)
{
        if (f->seen[idx] && (f->in[idx] | state) == f->in[idx])
                return;
        f->in[idx] |= state;
        f->seen[idx] = true;
        /* States only grow, 11 bits at most: each insn is looked at a bounded number of times. */
        if (!f->queued[idx]) {
                f->queued[idx] = true;
                f->work[f->nwork++] = idx;
        }
}

static void propagate(struct flow *f, size_t idx, bool is_prog)
{
        const struct bpfaot_insn *insn = &f->prog->insns[idx];
        struct reg_use u = use_of(insn, is_prog);
        uint16_t out = (uint16_t)((f->in[idx] & ~u.clobbers) | u.writes);
        size_t next = idx + (insn_is_lddw(insn) ? 2 : 1);

        if (insn_is_jmp(insn) && (insn_is_ja(insn) || insn_is_cond_jmp(insn)))
                reach(f, (size_t)insn_jump_target(insn, idx), out);
        if (insn_is_exit(insn) || insn_is_ja(insn))
                return;
        reach(f, next, out);
}

/* The first read of a register no path has written, in [start, end). */
static int first_bad_read(const struct flow *f, size_t start, size_t end, bool is_prog,
                          struct bpfaot_error *err)
{
        for (size_t i = start; i < end; i++) {
                uint16_t missing;

                if (!f->seen[i] || f->tails[i])
                        continue;
                missing = use_of(&f->prog->insns[i], is_prog).reads & (uint16_t)~f->in[i];
                if (!missing)
                        continue;
                for (unsigned r = 0; r < BPFAOT_NUM_REGS; r++)
                        if (missing & REG(r))
                                return bpfaot_error_at(
                                    err, f->prog, (long)i, EINVAL,
                                    "r%u is read before it is written (uninitialised register)%s",
                                    r,
                                    r == 0 && insn_is_exit(&f->prog->insns[i])
                                        ? ": the program returns r0"
                                        : "");
        }
        return 0;
}

int uninit_check(const struct program *p, struct bpfaot_error *err)
{
        const struct bpfaot_prog *prog = p->prog;
        const struct subprogs *sp = &p->sp;
        struct flow f = {.prog = prog, .tails = p->tails};
        int ret = 0;

        f.in = calloc(prog->insn_cnt, sizeof(*f.in));
        f.seen = calloc(prog->insn_cnt, sizeof(*f.seen));
        f.queued = calloc(prog->insn_cnt, sizeof(*f.queued));
        f.work = calloc(prog->insn_cnt, sizeof(*f.work));
        if (!f.in || !f.seen || !f.queued || !f.work)
                ret = bpfaot_error_nomem(err);
        for (size_t s = 0; s < sp->cnt && !ret; s++) {
                size_t start = sp->start[s], end = subprogs_end(sp, s);

                reach(&f, start, s == 0 ? PROG_ENTRY : SUBPROG_ENTRY);
                while (f.nwork) {
                        size_t i = f.work[--f.nwork];
                        f.queued[i] = false;
                        propagate(&f, i, s == 0);
                }
                ret = first_bad_read(&f, start, end, s == 0, err);
        }
        free(f.in);
        free(f.seen);
        free(f.queued);
        free(f.work);
        return ret;
}

/* SPDX-License-Identifier: MIT */
/*
 * Reads of registers that were never written. The kernel verifier refuses
 * them ("R3 !read_ok"); so do we, naming the register and the instruction.
 *
 * It reads the register analysis (absint.h): a read of a register the
 * analysis holds uninitialised before it (no path reaching it wrote it) is
 * refused. A register written on some paths only is not refused: the
 * kernel follows paths one by one and may prove the others infeasible; for
 * those the translator's zeroed registers give a defined value. Paths the
 * analysis proves never taken reach nothing.
 *
 * Entry states: a program starts with r1 (the context) and r2 (its size, the
 * native ABI's second argument); r10 always. Calls and LD_ABS/LD_IND leave
 * r1-r5 unwritten.
 * Only the program's own exit must read r0. Helper arguments are not checked:
 * which of r1-r5 a helper reads is the helper's signature, not the
 * instruction's.
 *
 * The analysis follows values through calls, where this check judges each
 * sub-program on its own: a sub-program or callback starts with r1-r5 (the
 * arguments, as the caller may have set them), and a local call writes r0
 * (a sub-program's exit hands r0 back). The analysis holds the arguments no
 * caller sets, and r0 after a call of a callee that never sets it,
 * uninitialised: a sub-program's reads of the former are not checked, nor
 * the reads of r0 in one that calls such a callee. A register a call of the
 * sub-program itself left unwritten on every path (absint_value.clobbered)
 * is refused wherever it is read.
 *
 * Stack slots are not checked: the kernel lets privileged loaders read stack
 * never written, and every frame is zeroed when the function starts.
 */
#include "internal.h"
#include "uninit.h"
#include "absint.h"
#include "insn.h"
#include "program.h"

#include <stdlib.h>

#define REG(r)   ((uint16_t)(1u << (r)))
#define ARG_REGS (REG(1) | REG(2) | REG(3) | REG(4) | REG(5))

struct uninit {
        const struct program *p;
        struct bpfaot_error *err;
        /*
         * By sub-program: registers the analysis may hold uninitialised
         * where this check counts them written (the arguments no caller
         * sets; r0 after a call of a callee that never sets it).
         */
        uint16_t *unchecked;
        size_t sub; /* the sub-program of the instruction visited last */
};

static uint16_t alu_reads(const struct bpfaot_insn *insn)
{
        uint16_t src = insn_is_reg_src(insn) ? REG(insn->src) : 0;

        switch (insn_op(insn)) {
        case BPFAOT_ALU_MOV:
                return src;
        case BPFAOT_ALU_NEG:
        case BPFAOT_ALU_END:
                return REG(insn->dst);
        default:
                return REG(insn->dst) | src;
        }
}

static uint16_t jmp_reads(const struct bpfaot_insn *insn, bool is_prog)
{
        if (insn_is_exit(insn))
                return is_prog ? REG(0) : 0;
        if (insn_is_call(insn))
                return insn_is_reg_src(insn) ? REG(insn->dst) : 0;
        if (insn_is_ja(insn))
                return 0;
        return REG(insn->dst) | (insn_is_reg_src(insn) ? REG(insn->src) : 0);
}

/* Registers instruction `insn` reads (of the program's entry sub-program: `is_prog`). */
static uint16_t reads_of(const struct bpfaot_insn *insn, bool is_prog)
{
        switch (bpfaot_insn_class(insn)) {
        case BPFAOT_CLASS_ALU:
        case BPFAOT_CLASS_ALU64:
                return alu_reads(insn);
        case BPFAOT_CLASS_JMP:
        case BPFAOT_CLASS_JMP32:
                return jmp_reads(insn, is_prog);
        case BPFAOT_CLASS_LD: /* lddw reads nothing; LD_IND its source */
                return insn_is_packet_load(insn) && insn_mode(insn) == BPFAOT_MODE_IND
                           ? REG(insn->src)
                           : 0;
        case BPFAOT_CLASS_LDX:
                return REG(insn->src);
        case BPFAOT_CLASS_ST:
                return REG(insn->dst);
        default: /* STX; cmpxchg compares with r0 */
                return REG(insn->dst) | REG(insn->src) |
                       (insn_mode(insn) == BPFAOT_MODE_ATOMIC && insn->imm == BPFAOT_ATOMIC_CMPXCHG
                            ? REG(0)
                            : 0);
        }
}

static int check_insn(void *ctx, size_t idx, const struct absint_state *st)
{
        struct uninit *c = ctx;
        const struct bpfaot_insn *insn = &c->p->prog->insns[idx];
        uint16_t reads;

        while (idx >= subprogs_end(&c->p->sp, c->sub))
                c->sub++;
        reads = reads_of(insn, c->sub == 0);
        for (unsigned r = 0; r < BPFAOT_NUM_REGS; r++) {
                const struct absint_value *v = absint_reg(st, r);

                if (!(reads & REG(r)) || v->kind != ABSINT_UNINIT ||
                    ((c->unchecked[c->sub] & REG(r)) && !v->clobbered))
                        continue;
                return bpfaot_error_at(
                    c->err, c->p->prog, (long)idx, EINVAL,
                    "r%u is read before it is written (uninitialised register)%s", r,
                    v->clobbered ? ": a call leaves r1-r5 unwritten (so does LD_ABS/LD_IND)"
                    : r == 0 && insn_is_exit(insn) ? ": the program returns r0"
                                                   : "");
        }
        return 0;
}

/* The registers uninitialised before `idx`; *reached false (and 0) when no path reaches it. */
static uint16_t uninit_regs_at(const struct absint *a, size_t idx, bool *reached)
{
        struct absint_state st;
        uint16_t regs = 0;

        *reached = absint_state_at(a, idx, &st);
        for (unsigned r = 0; *reached && r < BPFAOT_NUM_REGS; r++)
                if (absint_reg(&st, r)->kind == ABSINT_UNINIT)
                        regs |= REG(r);
        absint_state_release(&st);
        return regs;
}

/*
 * Fill c->unchecked: the arguments each sub-program's callers never set, and
 * r0 in sub-programs calling one whose every exit leaves r0 unwritten.
 */
static void find_unchecked(struct uninit *c, bool *no_r0)
{
        const struct bpfaot_prog *prog = c->p->prog;
        const struct subprogs *sp = &c->p->sp;
        bool reached;

        for (size_t s = 1; s < sp->cnt; s++) {
                bool returns = false, sets_r0 = false;

                c->unchecked[s] = uninit_regs_at(c->p->absint, sp->start[s], &reached) & ARG_REGS;
                for (size_t i = sp->start[s]; i < subprogs_end(sp, s) && !sets_r0; i++) {
                        uint16_t regs;

                        if (c->p->tails[i] || !insn_is_exit(&prog->insns[i]))
                                continue;
                        regs = uninit_regs_at(c->p->absint, i, &reached);
                        returns |= reached;
                        sets_r0 = reached && !(regs & REG(0));
                }
                no_r0[s] = returns && !sets_r0;
        }
        for (size_t s = 0; s < sp->cnt; s++)
                for (size_t i = sp->start[s]; i < subprogs_end(sp, s); i++) {
                        const struct bpfaot_insn *insn = &prog->insns[i];
                        long callee;

                        if (c->p->tails[i] || !insn_is_local_call(insn))
                                continue;
                        callee = subprogs_index_of(sp, (size_t)insn_call_target(insn, i));
                        if (callee > 0 && no_r0[callee])
                                c->unchecked[s] |= REG(0);
                }
}

static int finish(void *ctx, int ret)
{
        struct uninit *c = ctx;

        free(c->unchecked);
        free(c);
        return ret;
}

int uninit_pass(const struct program *p, struct bpfaot_error *err, struct absint_pass *out)
{
        struct uninit *c = calloc(1, sizeof(*c));
        bool *no_r0 = calloc(p->sp.cnt, sizeof(*no_r0));

        if (c)
                c->unchecked = calloc(p->sp.cnt, sizeof(*c->unchecked));
        if (!c || !no_r0 || !c->unchecked) {
                free(no_r0);
                if (c)
                        finish(c, 0);
                return bpfaot_error_nomem(err);
        }
        c->p = p;
        c->err = err;
        find_unchecked(c, no_r0);
        free(no_r0);
        *out = (struct absint_pass){.visit = check_insn, .finish = finish, .ctx = c};
        return 0;
}

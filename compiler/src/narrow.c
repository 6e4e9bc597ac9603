/* SPDX-License-Identifier: MIT */
/*
 * 64-bit arithmetic on values the analysis proves below 2^32. eBPF code
 * widens every u32 to a 64-bit register, and loses the proof that the high
 * half is zero wherever it flows through a loop's phi: LLVM then multiplies
 * a vector of such values with three pmuludq where one suffices, and
 * divides with a 64-bit divq (or a run-time test for divl). The translator
 * states the fact instead: a marked MUL multiplies its operands' low halves
 * (whose product cannot wrap), a marked DIV or MOD is a 32-bit unsigned one
 * (both operands non-negative, so the signed forms agree).
 */
#include "internal.h"
#include "narrow.h"
#include "absint.h"
#include "insn.h"
#include "program.h"

#include <stdlib.h>

static bool below_2_32(const struct absint_value *v)
{
        return v->kind == ABSINT_SCALAR && !v->maybe_uninit && v->s.umax <= UINT32_MAX;
}

static int visit(void *ctx, size_t idx, const struct absint_state *st)
{
        struct program *p = ctx;
        const struct bpfaot_insn *insn = &p->prog->insns[idx];
        uint8_t op = insn_op(insn);

        if (bpfaot_insn_class(insn) != BPFAOT_CLASS_ALU64 ||
            (op != BPFAOT_ALU_MUL && op != BPFAOT_ALU_DIV && op != BPFAOT_ALU_MOD))
                return 0;
        if (!below_2_32(absint_reg(st, insn->dst)))
                return 0;
        if (insn_is_reg_src(insn) ? !below_2_32(absint_reg(st, insn->src)) : insn->imm < 0)
                return 0;
        p->narrow[idx] = true;
        return 0;
}

int narrow_pass(struct program *p, struct bpfaot_error *err, struct absint_pass *out)
{
        narrow_free(p);
        p->narrow = calloc(p->prog->insn_cnt, sizeof(*p->narrow));
        if (!p->narrow)
                return bpfaot_error_nomem(err);
        *out = (struct absint_pass){.visit = visit, .ctx = p};
        return 0;
}

void narrow_free(struct program *p)
{
        free(p->narrow);
        p->narrow = NULL;
}

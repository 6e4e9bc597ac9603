/* SPDX-License-Identifier: MIT */
/*
 * Dereferences of possibly-NULL pointers: a load, store or atomic through a
 * map value of map_lookup_elem or a ring-buffer record of ringbuf_reserve
 * not yet compared with 0 is refused, as the kernel verifier refuses it
 * ("invalid mem access 'map_value_or_null'").
 *
 * It reads the register analysis (absint.h) and refuses only what that
 * proves: the base is a pointer of such a helper's result on every path,
 * NULL on some, and no comparison with 0 the analysis could not follow
 * (maybe_checked) may have made the kernel hold it non-NULL.
 */
#include "internal.h"
#include "nullcheck.h"
#include "absint.h"
#include "helper_sigs.h"
#include "insn.h"
#include "program.h"

#include <inttypes.h>
#include <stdlib.h>

struct nullcheck {
        const struct program *p;
        struct bpfaot_error *err;
};

/* The register a load, store or atomic at `insn` reads its address from, or -1. */
static int deref_base(const struct bpfaot_insn *insn)
{
        switch (bpfaot_insn_class(insn)) {
        case BPFAOT_CLASS_LDX:
                return insn->src;
        case BPFAOT_CLASS_ST:
        case BPFAOT_CLASS_STX:
                return insn->dst;
        default:
                return -1;
        }
}

/* The maybe-NULL-returning helper called at `origin`, or NULL. */
static const struct helper_sig *null_source(const struct program *p, uint32_t origin)
{
        const struct bpfaot_insn *insn;
        const struct helper_sig *sig;

        if (origin >= p->prog->insn_cnt)
                return NULL;
        insn = &p->prog->insns[origin];
        if (!insn_is_call(insn) || insn_is_local_call(insn) || insn_is_reg_src(insn) ||
            insn->src != BPFAOT_CALL_HELPER || program_reloc(p, origin))
                return NULL;
        sig = helper_sig_find((uint32_t)insn->imm);
        return sig && (helper_ret_info(sig->ret)->flags & HELPER_RETF_MAYBE_NULL) ? sig : NULL;
}

static int check_insn(void *ctx, size_t idx, const struct absint_state *st)
{
        const struct nullcheck *c = ctx;
        const struct bpfaot_insn *insn = &c->p->prog->insns[idx];
        int base = deref_base(insn);
        const struct absint_value *v;
        const struct helper_sig *sig;

        if (base < 0)
                return 0;
        v = absint_reg(st, (unsigned)base);
        if (v->kind != ABSINT_PTR || !v->maybe_null || v->maybe_checked || v->maybe_uninit ||
            (v->region != ABSINT_MAP_VALUE && v->region != ABSINT_RINGBUF))
                return 0;
        sig = null_source(c->p, v->origin);
        if (!sig)
                return 0;
        return bpfaot_error_at(c->err, c->p->prog, (long)idx, EINVAL,
                               "r%d may be NULL (%s at insn %" PRIu32 ") when dereferenced", base,
                               sig->name, v->origin);
}

static int finish(void *ctx, int ret)
{
        free(ctx);
        return ret;
}

int nullcheck_pass(const struct program *p, struct bpfaot_error *err, struct absint_pass *out)
{
        struct nullcheck *c = malloc(sizeof(*c));

        if (!c)
                return bpfaot_error_nomem(err);
        *c = (struct nullcheck){.p = p, .err = err};
        *out = (struct absint_pass){.visit = check_insn, .finish = finish, .ctx = c};
        return 0;
}

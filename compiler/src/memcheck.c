/* SPDX-License-Identifier: MIT */
/*
 * Accesses outside their object, as the kernel verifier refuses them
 * ("invalid stack access", "invalid indirect read from stack", "invalid
 * access to map value"): a load or store through a pointer into the own
 * frame, and the memory a helper is given in the frame, a map value of a
 * known map or a global data section, must lie inside that object.
 *
 * It reads the register analysis (absint.h) and refuses only what that
 * proves: the object is the same on every path, and no offset the pointer
 * may have (nor the fewest bytes the helper may touch) fits. An offset range
 * the analysis widened holds the true offsets, so what fits none of it fits
 * none of them. Constant offsets from r10 itself are the validator's
 * (validate.c); this covers the rest.
 */
#include "internal.h"
#include "memcheck.h"
#include "absint.h"
#include "helper_sigs.h"
#include "insn.h"
#include "program.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

struct memcheck {
        const struct program *p;
        struct bpfaot_error *err;
};

/*
 * May an access of `size` bytes at an offset in [smin, smax] from an
 * object's start fit in [lo, hi)? Offsets fit from lo up to hi - size.
 */
static bool may_fit(int64_t smin, int64_t smax, int64_t lo, int64_t hi, int64_t size)
{
        return size <= hi - lo && smax >= lo && smin <= hi - size;
}

/*
 * Where a pointer points: "fp-8", "fp[-600, -560]" into the frame, "offset
 * 12", "offset [0, 24]" into another object.
 */
static void where(char *buf, size_t len, const struct absint_value *v)
{
        const char *pre = v->region == ABSINT_STACK ? "fp" : "offset ";

        if (v->s.smin == v->s.smax)
                snprintf(buf, len, v->region == ABSINT_STACK ? "%s%+" PRId64 : "%s%" PRId64, pre,
                         v->s.smin);
        else
                snprintf(buf, len, "%s[%" PRId64 ", %" PRId64 "]", pre, v->s.smin, v->s.smax);
}

static bool precise(const struct absint_value *v, enum absint_region region)
{
        return v->kind == ABSINT_PTR && v->region == region && !v->maybe_uninit && !v->maybe_null;
}

static int check_access(const struct memcheck *c, size_t idx, const struct absint_state *st)
{
        const struct bpfaot_insn *insn = &c->p->prog->insns[idx];
        uint8_t cls = bpfaot_insn_class(insn);
        unsigned base = cls == BPFAOT_CLASS_LDX ? insn->src : insn->dst;
        int64_t size = insn_size_bytes(insn_size_field(insn)), frame = c->p->stack_size;
        const struct absint_value *v = absint_reg(st, base);
        char at[64];

        if (base == BPFAOT_REG_FP || !precise(v, ABSINT_STACK) ||
            may_fit(v->s.smin, v->s.smax, -frame - insn->off, -insn->off, size))
                return 0;
        where(at, sizeof(at), v);
        return bpfaot_error_at(c->err, c->p->prog, (long)idx, EINVAL,
                               "stack access [r%u%+d] of %" PRId64 " bytes is outside the %" PRId64
                               "-byte frame (r%u = %s)",
                               base, insn->off, size, frame, base, at);
}

/* The object `v` points into, its size, and its name for the message; false if unknown. */
static bool object_of(const struct program *p, const struct absint_value *v, int64_t *lo,
                      int64_t *hi, char *name, size_t len)
{
        const struct bpfaot_prog *prog = p->prog;

        if (precise(v, ABSINT_STACK)) {
                *lo = -(int64_t)p->stack_size;
                *hi = 0;
                snprintf(name, len, "the %" PRIu32 "-byte frame", p->stack_size);
                return true;
        }
        if (precise(v, ABSINT_MAP_VALUE) && v->id < prog->map_cnt) {
                *lo = 0;
                *hi = prog->maps[v->id].value_size;
                snprintf(name, len, "a value of map '%s' (%" PRId64 " bytes)",
                         prog->maps[v->id].name ? prog->maps[v->id].name : "?", *hi);
                return true;
        }
        if (precise(v, ABSINT_DATA) && v->id < prog->data_cnt) {
                *lo = 0;
                *hi = (int64_t)prog->data[v->id].size;
                snprintf(name, len, "%s (%" PRId64 " bytes)",
                         prog->data[v->id].name ? prog->data[v->id].name : "global data", *hi);
                return true;
        }
        return false;
}

static int check_helper(const struct memcheck *c, size_t idx, const struct absint_state *st)
{
        const struct bpfaot_insn *insn = &c->p->prog->insns[idx];
        const struct helper_sig *sig;
        char name[128], at[64];

        if (insn_is_local_call(insn) || insn_is_reg_src(insn) || insn->src != BPFAOT_CALL_HELPER ||
            program_reloc(c->p, idx) || !(sig = helper_sig_find((uint32_t)insn->imm)))
                return 0;
        for (unsigned r = 1; r <= helper_sig_arg_cnt(sig); r++) {
                const struct helper_arg_info *info = helper_arg_info(sig->args[r - 1]);
                const struct absint_value *v = absint_reg(st, r);
                int64_t size, lo, hi;

                if (!info || !(info->flags & (HELPER_ARGF_READS | HELPER_ARGF_WRITES)))
                        continue;
                size = absint_helper_mem_size(c->p, sig, st, r, true);
                if (size <= 0 || !object_of(c->p, v, &lo, &hi, name, sizeof(name)) ||
                    may_fit(v->s.smin, v->s.smax, lo, hi, size))
                        continue;
                where(at, sizeof(at), v);
                return bpfaot_error_at(c->err, c->p->prog, (long)idx, EINVAL,
                                       "%s's r%u (%s) needs %" PRId64 " bytes at %s, outside %s",
                                       sig->name, r, info->name, size, at, name);
        }
        return 0;
}

static int check_insn(void *ctx, size_t idx, const struct absint_state *st)
{
        const struct memcheck *c = ctx;
        const struct bpfaot_insn *insn = &c->p->prog->insns[idx];

        switch (bpfaot_insn_class(insn)) {
        case BPFAOT_CLASS_LDX:
        case BPFAOT_CLASS_ST:
        case BPFAOT_CLASS_STX:
                return check_access(c, idx, st);
        default:
                return insn_is_call(insn) ? check_helper(c, idx, st) : 0;
        }
}

static int finish(void *ctx, int ret)
{
        free(ctx);
        return ret;
}

int memcheck_pass(const struct program *p, struct bpfaot_error *err, struct absint_pass *out)
{
        struct memcheck *c = malloc(sizeof(*c));

        if (!c)
                return bpfaot_error_nomem(err);
        *c = (struct memcheck){.p = p, .err = err};
        *out = (struct absint_pass){.visit = check_insn, .finish = finish, .ctx = c};
        return 0;
}

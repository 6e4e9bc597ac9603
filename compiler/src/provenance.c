/* SPDX-License-Identifier: MIT */
/*
 * Which region each load and store addresses, and which frames are private
 * (provenance.h), read off the register analysis.
 *
 * A frame is private when every value that may hold one of its addresses
 * (absint_value.may_frame) is only ever
 *   - copied (mov, an aligned 8-byte spill into the frame and its fill),
 *   - moved by a number (64-bit add and sub), subtracted from another
 *     address of the frame, or compared with one or with 0,
 *   - the base of a load or store proven inside the frame,
 * and no access can see a spilled frame address as bytes. No native code
 * then reads r10 as a number, so the translator may give it any value: the
 * frame's alloca is addressed only by offsets from its start, does not
 * escape, and SROA splits it into registers. Anything else (a frame address
 * given to a helper or a callee, stored elsewhere, returned, truncated, or
 * an access the analysis cannot bound) makes the frame a real address again.
 */
#include "internal.h"
#include "provenance.h"
#include "absint.h"
#include "helper_sigs.h"
#include "insn.h"
#include "program.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

struct prov {
        struct program *p;
        struct bpfaot_error *err;
        size_t sub; /* sub-program of the instruction being visited */
        bool nomem;
};

static bool is_precise(const struct absint_value *v, enum absint_region region)
{
        return v->kind == ABSINT_PTR && v->region == region && !v->maybe_uninit;
}

static bool is_number(const struct absint_value *v)
{
        return v->kind == ABSINT_SCALAR && !v->maybe_uninit;
}

static int64_t sat_add(int64_t a, int64_t b)
{
        int64_t r;

        if (!__builtin_add_overflow(a, b, &r))
                return r;
        return b < 0 ? INT64_MIN : INT64_MAX;
}

/* Does any slot holding bytes [lo, hi) of the frame hold a spilled frame address? */
static bool frame_spill_in(const struct absint_state *st, int64_t lo, int64_t hi)
{
        for (size_t i = 0; i < st->slot_cnt; i++) {
                const struct absint_slot *s = &st->slots[i];
                int64_t at = (int64_t)s->index * 8;

                if (s->spill && s->v.may_frame && at < hi && at + 8 > lo)
                        return true;
        }
        return false;
}

/*
 * Does the access of `size` bytes at context pointer `base` + `off` lie in
 * the context for every offset `base` may have: from 0 on, and up to its
 * size by `base`'s room or the size's least value?
 */
static bool ctx_inside(const struct absint_state *st, const struct absint_value *base, int16_t off,
                       unsigned size)
{
        int64_t lo = sat_add(base->s.smin, off), end = sat_add(sat_add(base->s.smax, off), size);

        if (base->maybe_null || lo < 0)
                return false;
        if (base->has_room && (int64_t)base->room >= (int64_t)off + (int64_t)size)
                return true;
        return end < INT64_MAX && (uint64_t)end <= st->ctx_min;
}

/*
 * The access of `size` bytes at `base` + `off`; returns false when it
 * makes the frame a real address. `value`, when not NULL, is the register
 * a store writes. Only a load or store (not `rmw`) of a whole aligned slot
 * moves a frame address through memory intact (a spill and its fill).
 */
static bool access(const struct program *p, const struct absint_state *st,
                   const struct absint_value *base, int16_t off, unsigned size, bool write,
                   bool rmw, const struct absint_value *value, struct mem_prov *out)
{
        int64_t lo = sat_add(base->s.smin, off), hi = sat_add(sat_add(base->s.smax, off), size);
        int64_t frame_lo = -(int64_t)p->stack_size;
        bool inside = base->s.smin >= frame_lo && base->s.smax <= 0 && lo >= frame_lo && hi <= 0;
        bool exact = !rmw && inside && scalar_is_const(&base->s) && size == 8 && lo % 8 == 0;

        /*
         * An access the analysis cannot bound needs the frame's real address
         * (checking it when it runs, and sending the outliers elsewhere, was
         * measured slower: 1.12 to 1.27 on the sieve benchmark).
         */
        if (is_precise(base, ABSINT_STACK) && inside) {
                *out = (struct mem_prov){.base = MEM_BASE_FRAME,
                                         .const_off = scalar_is_const(&base->s),
                                         .off = base->s.smin,
                                         .lo = (int32_t)lo,
                                         .hi = (int32_t)hi};
                /* Only a whole aligned slot keeps a spilled frame address intact. */
                if (!exact && frame_spill_in(st, lo, hi))
                        return false;
                return !(value && value->may_frame && !exact);
        }
        if (is_precise(base, ABSINT_CTX)) {
                *out = (struct mem_prov){.base = MEM_BASE_CTX,
                                         .const_off = scalar_is_const(&base->s),
                                         .off = base->s.smin,
                                         .inside = ctx_inside(st, base, off, size)};
        } else if (is_precise(base, ABSINT_DATA) && base->id < p->prog->data_cnt &&
                   base->s.smin >= 0 && lo >= 0 && hi <= (int64_t)p->prog->data[base->id].size &&
                   base->s.smax <= (int64_t)p->prog->data[base->id].size) {
                *out = (struct mem_prov){.base = MEM_BASE_DATA,
                                         .const_off = scalar_is_const(&base->s),
                                         .id = base->id,
                                         .off = base->s.smin};
        }
        if (base->may_frame || (value && value->may_frame))
                return false;
        /* A write the analysis cannot place may hit a spill: it would see its bytes. */
        return !(write && absint_may_alias_frame(base) && frame_spill_in(st, INT64_MIN, INT64_MAX));
}

static bool alu_keeps_frame(const struct bpfaot_insn *insn, const struct absint_state *st)
{
        const struct absint_value *d = &st->reg[insn->dst];
        const struct absint_value *s = insn_is_reg_src(insn) ? &st->reg[insn->src] : NULL;
        bool is64 = bpfaot_insn_class(insn) == BPFAOT_CLASS_ALU64;
        uint8_t op = insn_op(insn);

        if (is64 && op == BPFAOT_ALU_MOV && insn->off == 0)
                return true; /* a copy, whatever it copies */
        if (op != BPFAOT_ALU_MOV && !d->may_frame && !(s && s->may_frame))
                return true;
        if (op == BPFAOT_ALU_MOV && !(s && s->may_frame))
                return true;
        if (!is64)
                return false;
        if ((op == BPFAOT_ALU_ADD || op == BPFAOT_ALU_SUB) && is_precise(d, ABSINT_STACK) &&
            (!s || is_number(s)))
                return true;
        if (op == BPFAOT_ALU_ADD && s && is_precise(s, ABSINT_STACK) && is_number(d))
                return true;
        return op == BPFAOT_ALU_SUB && s && is_precise(d, ABSINT_STACK) &&
               is_precise(s, ABSINT_STACK);
}

static bool jump_keeps_frame(const struct bpfaot_insn *insn, const struct absint_state *st)
{
        const struct absint_value *d = &st->reg[insn->dst];
        const struct absint_value *s = insn_is_reg_src(insn) ? &st->reg[insn->src] : NULL;
        uint8_t op = insn_op(insn);

        if (!d->may_frame && !(s && s->may_frame))
                return true;
        if (bpfaot_insn_class(insn) != BPFAOT_CLASS_JMP)
                return false; /* low halves of addresses */
        if (s)
                return is_precise(d, ABSINT_STACK) && is_precise(s, ABSINT_STACK);
        return insn->imm == 0 && (op == BPFAOT_JMP_JEQ || op == BPFAOT_JMP_JNE) &&
               is_precise(d, ABSINT_STACK);
}

/*
 * A frame address given to a helper keeps the frame private when the
 * helper's signature bounds the bytes it touches, all inside the frame and
 * none a spilled frame address (the translator then passes the real address
 * of that spot). Anything else a call gets that may be a frame address
 * needs the frame's real address.
 */
static bool call_keeps_frame(struct prov *v, size_t idx, const struct absint_state *st)
{
        const struct program *p = v->p;
        const struct bpfaot_insn *insn = &p->prog->insns[idx];
        const struct helper_sig *sig = NULL;
        unsigned args = 5;

        if (!insn_is_local_call(insn) && !insn_is_reg_src(insn) &&
            insn->src == BPFAOT_CALL_HELPER && !program_reloc(p, idx))
                sig = helper_sig_find((uint32_t)insn->imm);
        if (sig)
                args = helper_sig_arg_cnt(sig);
        if (insn_is_reg_src(insn) && st->reg[insn->dst].may_frame)
                return false;
        /* A dynptr keeps the address it is given, and the sandbox checks it against real frames. */
        for (unsigned a = 0; sig && a < args; a++)
                if ((sig->args[a] == HELPER_ARG_DYNPTR_OUT || sig->args[a] == HELPER_ARG_DYNPTR ||
                     sig->args[a] == HELPER_ARG_DYNPTR_RELEASE) &&
                    st->reg[a + 1].may_frame)
                        return false;
        for (unsigned r = 1; r <= 5; r++) {
                const struct absint_value *a = &st->reg[r];
                int64_t size = sig && r <= args ? absint_helper_mem_size(p, sig, st, r, false) : -1;
                int64_t lo = a->s.smin, hi = sat_add(a->s.smax, size);
                struct frame_arg *fa;

                if (r <= args && a->may_frame) {
                        if (size < 0 || !is_precise(a, ABSINT_STACK) ||
                            lo < -(int64_t)p->stack_size || hi > 0 || frame_spill_in(st, lo, hi))
                                return false;
                        fa = ARRAY_ADD(v->p->frame_args, v->p->frame_arg_cnt);
                        if (!fa) {
                                v->nomem = true;
                                return false;
                        }
                        *fa = (struct frame_arg){
                            .insn = idx, .reg = (uint8_t)r, .lo = (int32_t)lo, .hi = (int32_t)hi};
                        continue;
                }
                /* The analysis forgets the slots when the callee may write the frame. */
                if (absint_may_alias_frame(a) && frame_spill_in(st, INT64_MIN, INT64_MAX))
                        return false;
        }
        return true;
}

/* Record the access of instruction `idx`; false when its frame must be real. */
static bool visit_insn(struct prov *v, size_t idx, const struct absint_state *st,
                       struct mem_prov *mem)
{
        const struct program *p = v->p;
        const struct bpfaot_insn *insn = &p->prog->insns[idx];
        unsigned size = insn_size_bytes(insn_size_field(insn));

        switch (bpfaot_insn_class(insn)) {
        case BPFAOT_CLASS_ALU:
        case BPFAOT_CLASS_ALU64:
                return alu_keeps_frame(insn, st);
        case BPFAOT_CLASS_LDX:
                return access(p, st, &st->reg[insn->src], insn->off, size, false, false, NULL, mem);
        case BPFAOT_CLASS_ST:
                return access(p, st, &st->reg[insn->dst], insn->off, size, true, false, NULL, mem);
        case BPFAOT_CLASS_STX:
                if (insn_mode(insn) == BPFAOT_MODE_ATOMIC) {
                        if (insn->imm == BPFAOT_ATOMIC_CMPXCHG && st->reg[0].may_frame)
                                return false;
                        return access(p, st, &st->reg[insn->dst], insn->off, size, true, true,
                                      &st->reg[insn->src], mem);
                }
                return access(p, st, &st->reg[insn->dst], insn->off, size, true, false,
                              &st->reg[insn->src], mem);
        case BPFAOT_CLASS_LD:
                return !(insn_mode(insn) == BPFAOT_MODE_IND && st->reg[insn->src].may_frame);
        default: /* jumps */
                if (insn_is_exit(insn))
                        return !st->reg[0].may_frame;
                if (insn_is_call(insn))
                        return call_keeps_frame(v, idx, st);
                if (insn_is_ja(insn))
                        return true;
                return jump_keeps_frame(insn, st);
        }
}

static int visit(void *ctx, size_t idx, const struct absint_state *st)
{
        struct prov *v = ctx;
        struct program *p = v->p;

        while (idx >= subprogs_end(&p->sp, v->sub))
                v->sub++;
        if (!visit_insn(v, idx, st, &p->mem[idx]) && p->frames[v->sub].private) {
                p->frames[v->sub].private = false;
                p->frames[v->sub].escape_insn = idx;
        }
        return 0;
}

static int part_cmp(const void *a, const void *b)
{
        const struct frame_part *x = a, *y = b;

        return (x->lo > y->lo) - (x->lo < y->lo);
}

/* The part of `f` holding [lo, hi): parts are sorted and disjoint, one holds it. */
static uint32_t part_of(const struct frame_layout *f, int32_t lo)
{
        size_t a = 0, b = f->part_cnt;

        while (b - a > 1) {
                size_t mid = a + (b - a) / 2;
                if (f->parts[mid].lo <= lo)
                        a = mid;
                else
                        b = mid;
        }
        return (uint32_t)a;
}

/*
 * Cut private frame `s` into the unions of overlapping accesses: no access
 * crosses two parts, so each part can be an object of its own.
 */
static int layout_frame(struct program *p, size_t s)
{
        struct frame_layout *f = &p->frames[s];
        size_t start = p->sp.start[s], end = subprogs_end(&p->sp, s), n = 0;

        for (size_t i = start; i < end; i++)
                n += p->mem[i].base == MEM_BASE_FRAME;
        for (size_t k = 0; k < p->frame_arg_cnt; k++)
                n += p->frame_args[k].insn >= start && p->frame_args[k].insn < end;
        if (!n)
                return 0;
        f->parts = malloc(n * sizeof(*f->parts));
        if (!f->parts)
                return -ENOMEM;
        for (size_t i = start; i < end; i++)
                if (p->mem[i].base == MEM_BASE_FRAME)
                        f->parts[f->part_cnt++] =
                            (struct frame_part){.lo = p->mem[i].lo, .hi = p->mem[i].hi};
        for (size_t k = 0; k < p->frame_arg_cnt; k++)
                if (p->frame_args[k].insn >= start && p->frame_args[k].insn < end)
                        f->parts[f->part_cnt++] = (struct frame_part){.lo = p->frame_args[k].lo,
                                                                      .hi = p->frame_args[k].hi};
        qsort(f->parts, f->part_cnt, sizeof(*f->parts), part_cmp);
        n = 0;
        for (size_t k = 0; k < f->part_cnt; k++) {
                if (n && f->parts[k].lo < f->parts[n - 1].hi) {
                        if (f->parts[k].hi > f->parts[n - 1].hi)
                                f->parts[n - 1].hi = f->parts[k].hi;
                        continue;
                }
                f->parts[n++] = f->parts[k];
        }
        f->part_cnt = n;
        for (size_t i = start; i < end; i++)
                if (p->mem[i].base == MEM_BASE_FRAME)
                        p->mem[i].id = part_of(f, p->mem[i].lo);
        for (size_t k = 0; k < p->frame_arg_cnt; k++)
                if (p->frame_args[k].insn >= start && p->frame_args[k].insn < end)
                        p->frame_args[k].part = part_of(f, p->frame_args[k].lo);
        return 0;
}

/* After the walk: each private frame's parts. */
static int finish(void *ctx, int ret)
{
        struct prov *v = ctx;
        struct program *p = v->p;

        if (!ret && v->nomem)
                ret = bpfaot_error_nomem(v->err);
        for (size_t s = 0; !ret && s < p->sp.cnt; s++)
                if (p->frames[s].private && layout_frame(p, s))
                        ret = bpfaot_error_nomem(v->err);
        free(v);
        return ret;
}

int provenance_pass(struct program *p, struct bpfaot_error *err, struct absint_pass *out)
{
        struct prov *v = calloc(1, sizeof(*v));

        provenance_free(p);
        p->mem = calloc(p->prog->insn_cnt, sizeof(*p->mem));
        p->frames = calloc(p->sp.cnt, sizeof(*p->frames));
        if (!v || !p->mem || !p->frames) {
                free(v);
                return bpfaot_error_nomem(err);
        }
        for (size_t s = 0; s < p->sp.cnt; s++)
                p->frames[s].private = true;
        *v = (struct prov){.p = p, .err = err};
        *out = (struct absint_pass){.visit = visit, .finish = finish, .ctx = v};
        return 0;
}

void provenance_free(struct program *p)
{
        for (size_t s = 0; p->frames && s < p->sp.cnt; s++)
                free(p->frames[s].parts);
        free(p->frames);
        free(p->mem);
        free(p->frame_args);
        p->frames = NULL;
        p->mem = NULL;
        p->frame_args = NULL;
        p->frame_arg_cnt = 0;
}

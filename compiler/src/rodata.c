/* SPDX-License-Identifier: MIT */
/*
 * Stores into read-only data. An lddw relocated against a read-only section
 * (.rodata*, .kconfig) yields the address of a constant LLVM global, and a
 * store through it would be undefined behaviour in the emitted IR. The
 * kernel refuses such stores too (the maps are frozen and read-only to
 * programs). We must never refuse a program the kernel accepts, so this is a
 * *must* analysis: a store (st, stx, every atomic) is refused only when its
 * address is read-only data on every path that reaches it. A forward analysis
 * over each sub-program's CFG, iterated with the call graph to a fixed point;
 * the stores are judged on the fixed point, lowest instruction first.
 *
 * Each value carries two bits, T "may be derived from an address of read-only
 * data" and N "may be something else": {} unreached, {T} read-only (RO), {N}
 * not, {T, N} unknown. A join is the union, so RO joined with anything else
 * is unknown. Registers r0-r9 carry them, and so does every 8-byte chunk of
 * the sub-program's own frame at a constant offset (r10 + c, or a register
 * fpoff knows as r10 + c; the top 127 chunks are exact, one more stands for
 * everything deeper and is never exact).
 *
 *  - lddw of read-only data: RO. Other lddw, immediates, r10: not.
 *  - 64-bit mov copies. 64-bit add: T if either side has T, N only if both
 *    have N: RO + scalar stays RO (the kernel refuses pointer + pointer, so
 *    an RO side makes the other a scalar). 64-bit sub: T only if the left
 *    side has T and the right N (RO - scalar is RO); RO - RO and scalar - RO
 *    are scalars (not; the kernel refuses the latter). Any other operation,
 *    and every 32-bit one, on a value with T: unknown (a truncated address is
 *    the same address only if the native program lives below 4 GiB); on
 *    values without T: not.
 *  - Load of 8 aligned bytes from an exact own-frame chunk: the chunk's fact.
 *    Any other load (part of a chunk, other memory): unknown.
 *  - Aligned 8-byte store to an exact own-frame chunk: the stored fact. Any
 *    other store, and every atomic, into own-frame chunks: they become
 *    unknown. Stores of read-only addresses elsewhere are accepted: the
 *    kernel lets a privileged program store pointers into map values.
 *  - Local call: r1-r5 facts join into the callee's parameters (over all its
 *    call sites); r0 gets the join of what the callee returns. Helper, kfunc
 *    and callx results are unknown, as are r1-r5 after every call, the
 *    parameters of callbacks (sub-programs whose address lddw takes) and of
 *    the entry, and r0, r6-r9 on entry. The own frame starts as not (zeroed).
 *
 * A chunk believed to hold an RO address must not outlive anything that may
 * overwrite it, so a may-analysis runs alongside: F, "may be a frame address
 * fpoff does not pin down" (any frame: the own at an unknown offset, or a
 * caller's), per register and chunk. A register holding r10 + c is F once
 * copied anywhere fpoff loses it; helper, kfunc and callx results are F
 * (bpf_dynptr_data on a stack-backed dynptr), as are callback parameters; an
 * own-frame load gets the chunks' F, a load through a frame address F. A
 * frame address stored anywhere but an own-frame chunk, or given to a helper
 * at an unknown offset, sets the program-wide "fesc", after which every load
 * may yield a frame address. All own chunks become unknown on
 *  - a store or atomic through an F address (it may land anywhere in the
 *    frame);
 *  - a local call given a frame address, or any local call once fesc is set
 *    (the callee may write the caller's frame at any offset);
 *  - a helper, kfunc or callx call given an F address, or given r10 + c where
 *    a chunk from c up may hold a frame address (dynptrs write where they
 *    point); in a program with callbacks, any such call given a frame
 *    address, or any once fesc is set (the callback writes at any offset).
 * Otherwise a helper given r10 + c makes the chunks from c up unknown, and F:
 * it writes its memory arguments, and may leave frame addresses there.
 *
 * Helpers are trusted not to write into read-only memory passed to them, as
 * they are trusted with any other pointer. The analysis follows data, not
 * control: branch conditions are not evaluated, so a store on a path the
 * kernel proves dead (a branch on a .rodata constant) is judged all the same.
 * Programs that refer to no read-only data cost one scan of their
 * relocations.
 */
#include "internal.h"
#include "rodata.h"
#include "fpoff.h"
#include "insn.h"
#include "program.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RO_CHUNKS  128 /* 8-byte chunks tracked per frame; the last one is a catch-all */
#define RO_WORDS   (RO_CHUNKS / 64)
#define LAST_CHUNK (RO_CHUNKS - 1)
#define ARG_REGS   0x3eu  /* r1-r5 */
#define OTHER_REGS 0x3c1u /* r0, r6-r9 */
#define FRAME_REG  0x400u /* r10 */

/* The fact about one value: see the header comment. */
struct ro_val {
        bool t; /* may be derived from an address of read-only data */
        bool n; /* may be something else */
        bool f; /* may be a frame address fpoff does not pin down */
};

static const struct ro_val RO_DATA = {.t = true}; /* an address of read-only data */
static const struct ro_val RO_NOT = {.n = true};
static const struct ro_val RO_UNKNOWN = {.t = true, .n = true};

struct ro_state {
        uint16_t t, n, f;                                  /* per register */
        uint64_t ct[RO_WORDS], cn[RO_WORDS], cf[RO_WORDS]; /* per own-frame chunk */
        bool visited;
};

/* What crosses sub-program boundaries: joins over call sites and exits. */
struct ro_summary {
        uint16_t param_t, param_n, param_f; /* r1-r5 on entry */
        struct ro_val ret;
};

struct ro {
        const struct program *p; /* its sub-programs, lddw tails and frame-pointer offsets */
        const struct bpfaot_prog *prog;
        struct bpfaot_error *err;
        int64_t stack_size;
        struct ro_state *st;
        struct ro_summary *sum;
        /* Program-wide; any growth of it or of a summary reruns the analysis. */
        bool fesc; /* a frame address may be stored outside the tracked chunks */
        bool changed;
        char secs[256]; /* the read-only sections the program refers to, for messages */
};

static bool is_ro(struct ro_val v)
{
        return v.t && !v.n;
}

static bool is_rodata_reloc(const struct bpfaot_prog *prog, const struct bpfaot_reloc *r)
{
        return r && r->kind == BPFAOT_RELOC_DATA && prog->data[r->data_sec].readonly;
}

static void grow(struct ro *a, bool *fact, bool more)
{
        if (more && !*fact)
                a->changed = true;
        *fact |= more;
}

static void grow16(struct ro *a, uint16_t *bits, uint16_t more)
{
        if ((*bits | more) != *bits)
                a->changed = true;
        *bits |= more;
}

static bool bit(uint16_t bits, unsigned reg)
{
        return reg < 16 && (bits >> reg & 1);
}

static uint16_t put_bit(uint16_t bits, unsigned reg, bool on)
{
        uint16_t m = (uint16_t)(1u << reg);
        return (uint16_t)(on ? bits | m : bits & ~m);
}

/* May `reg` hold a frame address before insn `idx`? */
static bool frameish(const struct ro *a, size_t idx, const struct ro_state *s, unsigned reg)
{
        int32_t off;
        return bit(s->f, reg) || fpoff_get(&a->p->fp[idx], reg, &off);
}

/* Register `reg` before insn `idx`, F including what fpoff pins down. */
static struct ro_val get_reg(const struct ro *a, size_t idx, const struct ro_state *s, unsigned reg)
{
        return (struct ro_val){bit(s->t, reg), bit(s->n, reg), frameish(a, idx, s, reg)};
}

static void set_reg(struct ro_state *s, unsigned reg, struct ro_val v)
{
        s->t = put_bit(s->t, reg, v.t);
        s->n = put_bit(s->n, reg, v.n);
        s->f = put_bit(s->f, reg, v.f);
}

static unsigned chunk_of(int64_t byte)
{
        uint64_t k = (uint64_t)(-byte - 1) / 8;
        return k < LAST_CHUNK ? (unsigned)k : LAST_CHUNK;
}

/*
 * Chunks [*lo, *hi] of an access of `size` bytes at [reg + off] before insn
 * `idx`; false unless it lies in the own frame at a constant offset.
 */
static bool own_access(const struct ro *a, size_t idx, unsigned reg, int64_t off, unsigned size,
                       unsigned *lo, unsigned *hi)
{
        int32_t base;
        int64_t addr;

        if (!fpoff_get(&a->p->fp[idx], reg, &base))
                return false;
        addr = (int64_t)base + off;
        if (addr < -a->stack_size || addr + size > 0)
                return false;
        *lo = chunk_of(addr + size - 1);
        *hi = chunk_of(addr);
        return true;
}

/* The access is exactly one tracked chunk (8 aligned bytes above the catch-all). */
static bool exact_chunk(unsigned size, unsigned lo, unsigned hi)
{
        return size == 8 && lo == hi && hi < LAST_CHUNK;
}

static bool chunk_bit(const uint64_t *b, unsigned k)
{
        return b[k / 64] >> (k % 64) & 1;
}

static bool chunks_any(const uint64_t *b, unsigned lo, unsigned hi)
{
        for (unsigned k = lo; k <= hi; k++)
                if (chunk_bit(b, k))
                        return true;
        return false;
}

static void chunks_put(uint64_t *b, unsigned lo, unsigned hi, bool on)
{
        for (unsigned k = lo; k <= hi; k++) {
                if (on)
                        b[k / 64] |= 1ull << (k % 64);
                else
                        b[k / 64] &= ~(1ull << (k % 64));
        }
}

/* Chunks [lo, hi] may have been overwritten by something the analysis does not follow. */
static void chunks_unknown(struct ro_state *s, unsigned lo, unsigned hi)
{
        chunks_put(s->ct, lo, hi, true);
        chunks_put(s->cn, lo, hi, true);
}

static void frame_unknown(struct ro_state *s)
{
        memset(s->ct, 0xff, sizeof(s->ct));
        memset(s->cn, 0xff, sizeof(s->cn));
}

/* The value `size` bytes at [reg + off] hold before insn `idx`. */
static struct ro_val load_val(const struct ro *a, size_t idx, const struct ro_state *s,
                              unsigned reg, int16_t off, unsigned size)
{
        struct ro_val v = RO_UNKNOWN;
        unsigned lo, hi;

        if (!own_access(a, idx, reg, off, size, &lo, &hi)) {
                v.f = frameish(a, idx, s, reg) || a->fesc;
                return v;
        }
        if (exact_chunk(size, lo, hi)) {
                v.t = chunk_bit(s->ct, lo);
                v.n = chunk_bit(s->cn, lo);
        }
        v.f = chunks_any(s->cf, lo, hi) || a->fesc;
        return v;
}

/*
 * A store of `size` bytes of `v` at [base + off] before insn `idx`; `exact`
 * when it replaces the old bytes entirely (not an atomic).
 */
static void store(struct ro *a, size_t idx, struct ro_state *s, unsigned base, int16_t off,
                  unsigned size, struct ro_val v, bool exact)
{
        unsigned lo, hi;

        if (!own_access(a, idx, base, off, size, &lo, &hi)) {
                if (frameish(a, idx, s, base))
                        frame_unknown(s);
                grow(a, &a->fesc, v.f);
                return;
        }
        if (exact && exact_chunk(size, lo, hi)) {
                chunks_put(s->ct, lo, lo, v.t);
                chunks_put(s->cn, lo, lo, v.n);
                chunks_put(s->cf, lo, lo, v.f);
                return;
        }
        chunks_unknown(s, lo, hi);
        if (v.f)
                chunks_put(s->cf, lo, hi, true);
}

/* The fact after an ALU operation `op` on `d` and `src` (an immediate is not). */
static struct ro_val alu_fact(uint8_t op, bool is64, struct ro_val d, struct ro_val src)
{
        struct ro_val r = {0};

        if (is64 && op == BPFAOT_ALU_ADD) {
                r.t = d.t || src.t;
                r.n = d.n && src.n;
        } else if (is64 && op == BPFAOT_ALU_SUB) {
                r.t = d.t && src.n;
                r.n = (d.t && src.t) || d.n;
        } else if (op == BPFAOT_ALU_NEG || op == BPFAOT_ALU_END) {
                r.t = d.t;
                r.n = d.t || d.n;
        } else {
                r.t = d.t || src.t;
                r.n = r.t || d.n || src.n;
        }
        return r;
}

static void alu(const struct ro *a, size_t idx, struct ro_state *s)
{
        const struct bpfaot_insn *insn = &a->prog->insns[idx];
        bool is64 = bpfaot_insn_class(insn) == BPFAOT_CLASS_ALU64;
        uint8_t op = insn_op(insn);
        bool x = insn_is_reg_src(insn);
        struct ro_val d = get_reg(a, idx, s, insn->dst);
        struct ro_val src = x ? get_reg(a, idx, s, insn->src) : RO_NOT;
        struct ro_val r;

        if (op == BPFAOT_ALU_MOV) {
                bool copy = is64 && insn->off == 0; /* not mov32, not movsx */
                r = copy ? src : (struct ro_val){.t = src.t, .n = src.t || src.n};
                r.f = src.f;
        } else {
                r = alu_fact(op, is64, d, src);
                r.f = d.f || (x && op != BPFAOT_ALU_NEG && op != BPFAOT_ALU_END && src.f);
        }
        set_reg(s, insn->dst, r);
}

static void atomic(struct ro *a, size_t idx, struct ro_state *s)
{
        const struct bpfaot_insn *insn = &a->prog->insns[idx];
        unsigned size = insn_size_bytes(insn_size_field(insn));
        /* The old value, read before the operation changes the memory. */
        struct ro_val old = load_val(a, idx, s, insn->dst, insn->off, size);

        /* add/or/and/xor leave some of the old bits, cmpxchg may not store. */
        store(a, idx, s, insn->dst, insn->off, size, get_reg(a, idx, s, insn->src), false);
        if (insn->imm == BPFAOT_ATOMIC_CMPXCHG)
                set_reg(s, 0, old);
        else if (insn->imm & BPFAOT_ATOMIC_FETCH)
                set_reg(s, insn->src, old);
}

/*
 * May a helper, kfunc or callx call at `idx` given argument `r` write
 * anywhere in the own frame? Judged on the frame before the call.
 */
static bool helper_writes_anywhere(struct ro *a, size_t idx, const struct ro_state *s, unsigned r)
{
        int32_t o;

        if (!frameish(a, idx, s, r))
                return false;
        if (!fpoff_get(&a->p->fp[idx], r, &o) || o < -a->stack_size || o > 0) {
                grow(a, &a->fesc, true);
                return true;
        }
        /* A callback it calls may write below its argument; a dynptr there, where it points. */
        return a->p->sp.has_callbacks || (o < 0 && chunks_any(s->cf, 0, chunk_of(o)));
}

/*
 * It writes its memory arguments from their address up, and may leave frame
 * addresses there (dynptrs do).
 */
static void helper_writes_from(const struct ro *a, size_t idx, struct ro_state *s, unsigned r)
{
        int32_t o;

        if (!fpoff_get(&a->p->fp[idx], r, &o) || o < -a->stack_size || o >= 0)
                return;
        chunks_unknown(s, 0, chunk_of(o));
        chunks_put(s->cf, 0, chunk_of(o), true);
}

static void local_call(struct ro *a, size_t idx, struct ro_state *s)
{
        const struct bpfaot_insn *insn = &a->prog->insns[idx];
        long c = subprogs_index_of(&a->p->sp, (size_t)insn_call_target(insn, idx));
        struct ro_summary *callee = &a->sum[c];
        uint16_t pf = 0;

        for (unsigned r = 1; r <= 5; r++)
                if (frameish(a, idx, s, r))
                        pf |= (uint16_t)(1u << r);
        grow16(a, &callee->param_t, s->t & ARG_REGS);
        grow16(a, &callee->param_n, s->n & ARG_REGS);
        grow16(a, &callee->param_f, pf);
        /* It may write the caller's frame at any offset through an address it gets. */
        if (pf || a->fesc)
                frame_unknown(s);
        set_reg(s, 0, callee->ret);
}

static void call(struct ro *a, size_t idx, struct ro_state *s)
{
        if (insn_is_local_call(&a->prog->insns[idx])) {
                local_call(a, idx, s);
        } else {
                bool anywhere = a->p->sp.has_callbacks && a->fesc;

                for (unsigned r = 1; r <= 5; r++)
                        anywhere |= helper_writes_anywhere(a, idx, s, r);
                for (unsigned r = 1; r <= 5; r++)
                        helper_writes_from(a, idx, s, r);
                if (anywhere)
                        frame_unknown(s);
                set_reg(s, 0, (struct ro_val){.t = true, .n = true, .f = true});
        }
        for (unsigned r = 1; r <= 5; r++)
                set_reg(s, r, RO_UNKNOWN);
}

/* The state after insn `idx` of sub-program `s_idx`, in place. */
static void transfer(struct ro *a, size_t s_idx, size_t idx, struct ro_state *s)
{
        const struct bpfaot_insn *insn = &a->prog->insns[idx];
        unsigned size = insn_size_bytes(insn_size_field(insn));
        struct ro_summary *self = &a->sum[s_idx];

        switch (bpfaot_insn_class(insn)) {
        case BPFAOT_CLASS_ALU:
        case BPFAOT_CLASS_ALU64:
                alu(a, idx, s);
                return;
        case BPFAOT_CLASS_LD: /* only lddw gets past the validator */
                set_reg(s, insn->dst,
                        is_rodata_reloc(a->prog, program_reloc(a->p, idx)) ? RO_DATA : RO_NOT);
                return;
        case BPFAOT_CLASS_LDX:
                set_reg(s, insn->dst, load_val(a, idx, s, insn->src, insn->off, size));
                return;
        case BPFAOT_CLASS_ST:
                store(a, idx, s, insn->dst, insn->off, size, RO_NOT, true);
                return;
        case BPFAOT_CLASS_STX:
                if (insn_mode(insn) == BPFAOT_MODE_ATOMIC)
                        atomic(a, idx, s);
                else
                        store(a, idx, s, insn->dst, insn->off, size, get_reg(a, idx, s, insn->src),
                              true);
                return;
        default:
                if (insn_is_call(insn)) {
                        call(a, idx, s);
                } else if (insn_is_exit(insn)) {
                        struct ro_val r0 = get_reg(a, idx, s, 0);
                        grow(a, &self->ret.t, r0.t);
                        grow(a, &self->ret.n, r0.n);
                        grow(a, &self->ret.f, r0.f);
                }
                return;
        }
}

/* Merge `in` into `target`; true when it changed. */
static bool merge(struct ro_state *target, const struct ro_state *in)
{
        bool changed = false;

        if (!target->visited) {
                *target = *in;
                target->visited = true;
                return true;
        }
        changed |= (in->t | target->t) != target->t || (in->n | target->n) != target->n ||
                   (in->f | target->f) != target->f;
        target->t |= in->t;
        target->n |= in->n;
        target->f |= in->f;
        for (unsigned w = 0; w < RO_WORDS; w++) {
                changed |= (in->ct[w] | target->ct[w]) != target->ct[w] ||
                           (in->cn[w] | target->cn[w]) != target->cn[w] ||
                           (in->cf[w] | target->cf[w]) != target->cf[w];
                target->ct[w] |= in->ct[w];
                target->cn[w] |= in->cn[w];
                target->cf[w] |= in->cf[w];
        }
        return changed;
}

/* Entry of sub-program `s`: its parameters, anything in other registers, a zeroed frame. */
static void entry_state(const struct ro *a, size_t s, struct ro_state *e)
{
        const struct ro_summary *sum = &a->sum[s];
        uint16_t pt = sum->param_t, pn = sum->param_n, pf = sum->param_f;

        if (s == 0 || a->p->sp.callback[s]) { /* the host's or a helper's arguments */
                pt |= ARG_REGS;
                pn |= ARG_REGS;
        }
        if (a->p->sp.callback[s])
                pf |= ARG_REGS;
        memset(e, 0, sizeof(*e));
        e->t = (uint16_t)(OTHER_REGS | pt);
        e->n = (uint16_t)(OTHER_REGS | FRAME_REG | pn);
        e->f = pf;
        memset(e->cn, 0xff, sizeof(e->cn));
        e->visited = true;
}

/* One pass over sub-program `s` with the current summaries and program-wide facts. */
static void analyze_sub(struct ro *a, size_t s, size_t *work, bool *queued)
{
        size_t start = a->p->sp.start[s], end = subprogs_end(&a->p->sp, s);
        size_t n = 0;

        memset(&a->st[start], 0, (end - start) * sizeof(*a->st));
        entry_state(a, s, &a->st[start]);
        work[n++] = start;
        queued[start] = true;
        /* States only grow, and they are finite: the worklist empties. */
        while (n) {
                size_t i = work[--n], succ[2];
                const struct bpfaot_insn *insn = &a->prog->insns[i];
                struct ro_state out = a->st[i];
                unsigned nsucc = 0;

                queued[i] = false;
                transfer(a, s, i, &out);
                if (insn_is_ja(insn)) {
                        succ[nsucc++] = (size_t)insn_jump_target(insn, i);
                } else if (!insn_is_exit(insn)) {
                        if (insn_is_cond_jmp(insn))
                                succ[nsucc++] = (size_t)insn_jump_target(insn, i);
                        succ[nsucc++] = i + (insn_is_lddw(insn) ? 2 : 1);
                }
                for (unsigned k = 0; k < nsucc; k++) {
                        size_t j = succ[k];
                        if (j < start || j >= end || a->p->tails[j])
                                continue; /* the validator rejects these */
                        if (merge(&a->st[j], &out) && !queued[j]) {
                                queued[j] = true;
                                work[n++] = j;
                        }
                }
        }
}

/* On the fixed point: the first store whose address is read-only data on every path. */
static int refuse_ro_stores(const struct ro *a)
{
        const struct bpfaot_prog *prog = a->prog;

        for (size_t i = 0; i < prog->insn_cnt; i++) {
                const struct bpfaot_insn *insn = &prog->insns[i];
                uint8_t c = bpfaot_insn_class(insn);

                if (a->p->tails[i] || !a->st[i].visited ||
                    (c != BPFAOT_CLASS_ST && c != BPFAOT_CLASS_STX))
                        continue;
                if (is_ro(get_reg(a, i, &a->st[i], insn->dst)))
                        return bpfaot_error_at(a->err, prog, (long)i, EINVAL,
                                               "store into read-only data (%s)", a->secs);
        }
        return 0;
}

/* Name the read-only sections the program refers to. */
static void name_rodata(struct ro *a, bool *named)
{
        const struct bpfaot_prog *prog = a->prog;
        size_t len = 0;

        for (size_t i = 0; i < prog->reloc_cnt; i++) {
                const struct bpfaot_reloc *r = &prog->relocs[i];
                if (!is_rodata_reloc(prog, r) || named[r->data_sec] || len >= sizeof(a->secs))
                        continue;
                named[r->data_sec] = true;
                len += (size_t)snprintf(a->secs + len, sizeof(a->secs) - len, "%s%s",
                                        len ? ", " : "", prog->data[r->data_sec].name);
        }
}

static bool has_readonly_reloc(const struct bpfaot_prog *prog)
{
        for (size_t i = 0; i < prog->reloc_cnt; i++)
                if (is_rodata_reloc(prog, &prog->relocs[i]))
                        return true;
        return false;
}

static int run(struct ro *a, size_t *work, bool *queued)
{
        /* Each rerun follows the growth of a finite set of facts. */
        do {
                a->changed = false;
                for (size_t s = 0; s < a->p->sp.cnt; s++)
                        analyze_sub(a, s, work, queued);
        } while (a->changed);
        return refuse_ro_stores(a);
}

int rodata_check(const struct program *p, struct bpfaot_error *err)
{
        const struct bpfaot_prog *prog = p->prog;
        struct ro a = {.p = p, .prog = prog, .err = err, .stack_size = p->stack_size};
        size_t n = prog->insn_cnt;
        bool *named = NULL, *queued = NULL;
        size_t *work = NULL;
        int ret;

        if (!has_readonly_reloc(prog))
                return 0;
        named = calloc(prog->data_cnt, sizeof(*named));
        queued = calloc(n, sizeof(*queued));
        work = malloc(n * sizeof(*work));
        a.sum = calloc(p->sp.cnt, sizeof(*a.sum));
        a.st = malloc(n * sizeof(*a.st));
        if (!named || !queued || !work || !a.sum || !a.st) {
                ret = bpfaot_error_nomem(err);
        } else {
                name_rodata(&a, named);
                ret = run(&a, work, queued);
        }
        free(named);
        free(queued);
        free(work);
        free(a.sum);
        free(a.st);
        return ret;
}

/* SPDX-License-Identifier: MIT */
/*
 * Stores into read-only data. An lddw relocated against a read-only section
 * (.rodata*, .kconfig) yields the address of a constant LLVM global, and a
 * store through it would be undefined behaviour in the emitted IR. The
 * kernel rejects such stores (frozen maps); this is our equivalent: a forward
 * may-analysis over each sub-program's CFG, iterated with the call graph to a
 * fixed point.
 *
 * Each value carries two bits: T, "may point into read-only data", and F,
 * "may be a frame address the fpoff facts do not pin down". Registers r0-r9
 * carry them, and so does every 8-byte chunk of the sub-program's own frame
 * at a constant offset (r10 + c, or a register fpoff knows as r10 + c; the
 * top 127 chunks are exact, one more stands for everything deeper).
 *
 *  - lddw of read-only data: T. Other lddw, mov of an immediate: nothing.
 *  - ALU: mov copies the source's bits; other operations with a register
 *    source OR them into dst; neg, byte swaps and immediate operands keep
 *    dst's. 32-bit operations too: their zero-extended result is still an
 *    address when the native program lives below 4 GiB, and is half of one
 *    otherwise.
 *  - A register holding r10 + c is a frame address (F) once copied anywhere
 *    fpoff loses it.
 *  - Load from the own frame at a constant offset: the chunks' bits. Load
 *    through a frame address (F): T if any frame may hold a T value ("spill"),
 *    and F. Load from any other memory: nothing — T values never get there
 *    (see escapes) — unless a frame address escaped there ("fesc"), when the
 *    result may be a frame address and is treated as one.
 *  - Store to the own frame at a constant offset: sets the chunks' bits; an
 *    aligned 8-byte store clears them first (atomics never clear). Any other
 *    store of a T value is an escape the analysis cannot follow: rejected.
 *    Any other store of a frame address sets fesc.
 *  - Any store (st, stx, every atomic) through a T address: rejected.
 *  - Local call: r1-r5 bits flow into the callee's parameters; r0 gets what
 *    the callee may return. r1-r5 are 0 after every call.
 *  - Helper, kfunc and callx calls: r0 is a new pointer or a scalar, but may
 *    be a frame address (bpf_dynptr_data on a stack-backed dynptr): F. An
 *    argument r10 + c lets them read and write the own frame from there up:
 *    a T value there is an escape (they may copy it anywhere), rejected, and
 *    they may leave frame addresses there (dynptrs do). An argument at an
 *    unknown frame address is rejected if any frame may hold a T value, and
 *    sets fesc.
 *  - A callback (a sub-program whose address lddw takes) receives what some
 *    helper passes it: T if any helper call gets a T argument, and F.
 *
 * Helpers are trusted not to write into read-only memory passed to them, as
 * they are trusted with any other pointer. The analysis follows data, not
 * control: an address rebuilt from branch outcomes, or handed in by the host,
 * is a wild pointer like any other. Programs that refer to no read-only data
 * cost one scan of their relocations.
 */
#include "rodata.h"
#include "fpoff.h"
#include "insn.h"
#include "subprog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RO_CHUNKS 128 /* 8-byte chunks tracked per frame; the last one is a catch-all */
#define RO_WORDS  (RO_CHUNKS / 64)
#define ARG_REGS  0x3eu /* r1-r5 */

struct ro_state {
        uint16_t t, f;                       /* per register */
        uint64_t st[RO_WORDS], sf[RO_WORDS]; /* per own-frame chunk */
        bool visited;
};

/* What crosses sub-program boundaries. */
struct ro_summary {
        uint16_t param_t, param_f; /* r1-r5 on entry */
        bool ret_t, ret_f;
};

struct ro {
        const struct bpfaot_prog *prog;
        const bool *tails;
        struct bpfaot_error *err;
        int64_t stack_size;
        const bool *ro_lddw; /* lddw of read-only data, by insn */
        bool *callback;      /* by sub-program */
        struct subprogs sp;
        struct fp_state *fp;
        struct ro_state *st;
        struct ro_summary *sum;
        /* Program-wide facts; any growth of these or of a summary reruns the analysis. */
        bool spill;    /* some frame may hold a T value */
        bool fesc;     /* a frame address may be stored outside the tracked chunks */
        bool helper_t; /* some helper may be passed a T value */
        bool changed;
        char secs[256]; /* the read-only sections the program refers to, for messages */
};

static void grow(struct ro *a, bool *fact)
{
        if (!*fact)
                a->changed = true;
        *fact = true;
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

static void set_reg(struct ro_state *s, unsigned reg, bool t, bool f)
{
        uint16_t m = (uint16_t)(1u << reg);

        s->t = (uint16_t)(t ? s->t | m : s->t & ~m);
        s->f = (uint16_t)(f ? s->f | m : s->f & ~m);
}

/* May `reg` hold a frame address before insn `idx`? */
static bool frameish(const struct ro *a, size_t idx, const struct ro_state *s, unsigned reg)
{
        int32_t off;
        return bit(s->f, reg) || fpoff_get(&a->fp[idx], reg, &off);
}

static unsigned chunk_of(int64_t byte)
{
        uint64_t k = (uint64_t)(-byte - 1) / 8;
        return k < RO_CHUNKS - 1 ? (unsigned)k : RO_CHUNKS - 1;
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

        if (!fpoff_get(&a->fp[idx], reg, &base))
                return false;
        addr = (int64_t)base + off;
        if (addr < -a->stack_size || addr + size > 0)
                return false;
        *lo = chunk_of(addr + size - 1);
        *hi = chunk_of(addr);
        return true;
}

static bool chunks_any(const uint64_t *b, unsigned lo, unsigned hi)
{
        for (unsigned k = lo; k <= hi; k++)
                if (b[k / 64] >> (k % 64) & 1)
                        return true;
        return false;
}

static void chunks_set(uint64_t *b, unsigned lo, unsigned hi)
{
        for (unsigned k = lo; k <= hi; k++)
                b[k / 64] |= 1ull << (k % 64);
}

static void chunks_clear(uint64_t *b, unsigned k)
{
        b[k / 64] &= ~(1ull << (k % 64));
}

#define FAIL(a, idx, what)                                                                         \
        bpfaot_error_at((a)->err, (a)->prog, (long)(idx), EINVAL, what " read-only data (%s)",     \
                        (a)->secs)

/* Bits of the value `size` bytes at [reg + off] hold before insn `idx`. */
static void load_bits(const struct ro *a, size_t idx, const struct ro_state *s, unsigned reg,
                      int16_t off, unsigned size, bool *t, bool *f)
{
        unsigned lo, hi;

        if (own_access(a, idx, reg, off, size, &lo, &hi)) {
                *t = chunks_any(s->st, lo, hi);
                *f = chunks_any(s->sf, lo, hi) || a->fesc;
        } else if (frameish(a, idx, s, reg) || a->fesc) {
                *t = a->spill;
                *f = true;
        } else {
                *t = *f = false;
        }
}

/* A store of `size` bytes at [base + off] of register `val` (-1: an immediate). */
static int store(struct ro *a, size_t idx, struct ro_state *s, unsigned base, int16_t off,
                 unsigned size, int val, bool overwrites)
{
        bool vt = val >= 0 && bit(s->t, (unsigned)val);
        bool vf = val >= 0 && frameish(a, idx, s, (unsigned)val);
        unsigned lo, hi;

        if (bit(s->t, base))
                return FAIL(a, idx, "store into");
        if (!own_access(a, idx, base, off, size, &lo, &hi)) {
                if (vt)
                        return FAIL(a, idx, "stores the address of");
                if (vf)
                        grow(a, &a->fesc);
                return 0;
        }
        if (overwrites && size == 8 && lo == hi && hi < RO_CHUNKS - 1) {
                chunks_clear(s->st, lo);
                chunks_clear(s->sf, lo);
        }
        if (vt) {
                chunks_set(s->st, lo, hi);
                grow(a, &a->spill);
        }
        if (vf)
                chunks_set(s->sf, lo, hi);
        return 0;
}

static void alu(const struct ro *a, size_t idx, struct ro_state *s)
{
        const struct bpfaot_insn *insn = &a->prog->insns[idx];
        uint8_t op = insn_op(insn);
        bool x = insn_is_reg_src(insn);
        bool t = bit(s->t, insn->dst), f = frameish(a, idx, s, insn->dst);

        if (op == BPFAOT_ALU_MOV) {
                t = x && bit(s->t, insn->src);
                f = x && frameish(a, idx, s, insn->src);
        } else if (x && op != BPFAOT_ALU_NEG && op != BPFAOT_ALU_END) {
                t |= bit(s->t, insn->src);
                f |= frameish(a, idx, s, insn->src);
        }
        set_reg(s, insn->dst, t, f);
}

static int atomic(struct ro *a, size_t idx, struct ro_state *s)
{
        const struct bpfaot_insn *insn = &a->prog->insns[idx];
        unsigned size = insn_size_bytes(insn_size_field(insn));
        bool t, f;
        int ret;

        /* The old value, read before the operation changes the memory. */
        load_bits(a, idx, s, insn->dst, insn->off, size, &t, &f);
        /* add/or/and/xor leave some of the old bits: never clear. */
        ret = store(a, idx, s, insn->dst, insn->off, size, insn->src, false);
        if (ret)
                return ret;
        if (insn->imm == BPFAOT_ATOMIC_CMPXCHG)
                set_reg(s, 0, t, f);
        else if (insn->imm & BPFAOT_ATOMIC_FETCH)
                set_reg(s, insn->src, t, f);
        return 0;
}

/* Argument `r` of a helper, kfunc or callx call at `idx`. */
static int helper_arg(struct ro *a, size_t idx, struct ro_state *s, unsigned r)
{
        int32_t o;

        if (bit(s->t, r))
                grow(a, &a->helper_t);
        if (!frameish(a, idx, s, r))
                return 0;
        if (!fpoff_get(&a->fp[idx], r, &o) || o < -a->stack_size || o > 0) {
                if (a->spill)
                        return FAIL(a, idx, "passes stack memory that may hold the address of");
                grow(a, &a->fesc);
                return 0;
        }
        /* It may read and write the own frame from this address up. */
        if (o == 0)
                return 0;
        if (chunks_any(s->st, 0, chunk_of(o)))
                return FAIL(a, idx, "passes stack memory holding the address of");
        chunks_set(s->sf, 0, chunk_of(o));
        return 0;
}

static int call(struct ro *a, size_t idx, struct ro_state *s)
{
        const struct bpfaot_insn *insn = &a->prog->insns[idx];
        bool t = false, f = true;

        if (insn_is_local_call(insn)) {
                long c = subprogs_index_of(&a->sp, (size_t)insn_call_target(insn, idx));
                struct ro_summary *callee = &a->sum[c];
                uint16_t pf = 0;

                for (unsigned r = 1; r <= 5; r++)
                        if (frameish(a, idx, s, r))
                                pf |= (uint16_t)(1u << r);
                grow16(a, &callee->param_t, s->t & ARG_REGS);
                grow16(a, &callee->param_f, pf);
                t = callee->ret_t;
                f = callee->ret_f;
        } else {
                for (unsigned r = 1; r <= 5; r++) {
                        int ret = helper_arg(a, idx, s, r);
                        if (ret)
                                return ret;
                }
        }
        s->t &= (uint16_t)~ARG_REGS;
        s->f &= (uint16_t)~ARG_REGS;
        set_reg(s, 0, t, f);
        return 0;
}

/* The state after insn `idx`, in place. */
static int transfer(struct ro *a, size_t s_idx, size_t idx, struct ro_state *s)
{
        const struct bpfaot_insn *insn = &a->prog->insns[idx];
        unsigned size = insn_size_bytes(insn_size_field(insn));
        struct ro_summary *self = &a->sum[s_idx];
        bool t, f;

        switch (bpfaot_insn_class(insn)) {
        case BPFAOT_CLASS_ALU:
        case BPFAOT_CLASS_ALU64:
                alu(a, idx, s);
                return 0;
        case BPFAOT_CLASS_LD: /* only lddw gets past the validator */
                set_reg(s, insn->dst, a->ro_lddw[idx], false);
                return 0;
        case BPFAOT_CLASS_LDX:
                load_bits(a, idx, s, insn->src, insn->off, size, &t, &f);
                set_reg(s, insn->dst, t, f);
                return 0;
        case BPFAOT_CLASS_ST:
                return store(a, idx, s, insn->dst, insn->off, size, -1, true);
        case BPFAOT_CLASS_STX:
                if (insn_mode(insn) == BPFAOT_MODE_ATOMIC)
                        return atomic(a, idx, s);
                return store(a, idx, s, insn->dst, insn->off, size, insn->src, true);
        default:
                if (insn_is_call(insn))
                        return call(a, idx, s);
                if (insn_is_exit(insn)) {
                        if (bit(s->t, 0))
                                grow(a, &self->ret_t);
                        if (frameish(a, idx, s, 0))
                                grow(a, &self->ret_f);
                }
                return 0;
        }
}

/* Merge `in` into `target`; true when it changed. */
static bool merge(struct ro_state *target, const struct ro_state *in)
{
        bool changed = (in->t | target->t) != target->t || (in->f | target->f) != target->f;

        if (!target->visited) {
                *target = *in;
                target->visited = true;
                return true;
        }
        target->t |= in->t;
        target->f |= in->f;
        for (unsigned w = 0; w < RO_WORDS; w++) {
                changed |= (in->st[w] | target->st[w]) != target->st[w] ||
                           (in->sf[w] | target->sf[w]) != target->sf[w];
                target->st[w] |= in->st[w];
                target->sf[w] |= in->sf[w];
        }
        return changed;
}

/* One pass over sub-program `s` with the current summaries and program-wide facts. */
static int analyze_sub(struct ro *a, size_t s, size_t *work, bool *queued)
{
        size_t start = a->sp.start[s], end = subprogs_end(&a->sp, s, a->prog->insn_cnt);
        struct ro_state *entry = &a->st[start];
        size_t n = 0;

        memset(&a->st[start], 0, (end - start) * sizeof(*a->st));
        entry->visited = true;
        entry->t = a->sum[s].param_t;
        entry->f = a->sum[s].param_f;
        if (a->callback[s]) {
                entry->t |= a->helper_t ? ARG_REGS : 0;
                entry->f |= ARG_REGS;
        }
        work[n++] = start;
        queued[start] = true;
        /* States only grow, and they are finite: the worklist empties. */
        while (n) {
                size_t i = work[--n], succ[2];
                const struct bpfaot_insn *insn = &a->prog->insns[i];
                struct ro_state out = a->st[i];
                unsigned nsucc = 0;
                int ret;

                queued[i] = false;
                ret = transfer(a, s, i, &out);
                if (ret)
                        return ret;
                if (insn_is_ja(insn)) {
                        succ[nsucc++] = (size_t)insn_jump_target(insn, i);
                } else if (!insn_is_exit(insn)) {
                        if (insn_is_cond_jmp(insn))
                                succ[nsucc++] = (size_t)insn_jump_target(insn, i);
                        succ[nsucc++] = i + (insn_is_lddw(insn) ? 2 : 1);
                }
                for (unsigned k = 0; k < nsucc; k++) {
                        size_t j = succ[k];
                        if (j < start || j >= end || a->tails[j])
                                continue; /* the validator rejects these */
                        if (merge(&a->st[j], &out) && !queued[j]) {
                                queued[j] = true;
                                work[n++] = j;
                        }
                }
        }
        return 0;
}

/* Mark read-only lddws and name their sections. */
static void find_rodata(struct ro *a, bool *ro_lddw, bool *named)
{
        const struct bpfaot_prog *prog = a->prog;
        size_t len = 0;

        for (size_t i = 0; i < prog->reloc_cnt; i++) {
                const struct bpfaot_reloc *r = &prog->relocs[i];
                if (r->kind != BPFAOT_RELOC_DATA || !prog->data[r->data_sec].readonly)
                        continue;
                ro_lddw[r->insn] = true;
                if (named[r->data_sec] || len >= sizeof(a->secs))
                        continue;
                named[r->data_sec] = true;
                len += (size_t)snprintf(a->secs + len, sizeof(a->secs) - len, "%s%s",
                                        len ? ", " : "", prog->data[r->data_sec].name);
        }
}

static bool has_readonly_reloc(const struct bpfaot_prog *prog)
{
        for (size_t i = 0; i < prog->reloc_cnt; i++)
                if (prog->relocs[i].kind == BPFAOT_RELOC_DATA &&
                    prog->data[prog->relocs[i].data_sec].readonly)
                        return true;
        return false;
}

static int run(struct ro *a, size_t *work, bool *queued)
{
        const struct bpfaot_prog *prog = a->prog;
        int ret = 0;

        for (size_t i = 0; i < prog->insn_cnt; i++) {
                long cb = insn_code_addr_target(&prog->insns[i], i, prog->insn_cnt);
                if (!a->tails[i] && cb >= 0)
                        a->callback[subprogs_index_of(&a->sp, (size_t)cb)] = true;
        }
        for (size_t s = 0; s < a->sp.cnt && !ret; s++)
                ret = fpoff_analyze(prog, a->tails, a->sp.start[s],
                                    subprogs_end(&a->sp, s, prog->insn_cnt), a->fp, a->err);
        /* Each rerun follows the growth of a finite set of facts. */
        do {
                a->changed = false;
                for (size_t s = 0; s < a->sp.cnt && !ret; s++)
                        ret = analyze_sub(a, s, work, queued);
        } while (!ret && a->changed);
        return ret;
}

int rodata_check(const struct bpfaot_prog *prog, const bool *tails, uint32_t stack_size,
                 struct bpfaot_error *err)
{
        struct ro a = {.prog = prog, .tails = tails, .err = err, .stack_size = stack_size};
        size_t n = prog->insn_cnt;
        bool *ro_lddw = NULL, *named = NULL, *queued = NULL;
        size_t *work = NULL;
        int ret;

        if (!has_readonly_reloc(prog))
                return 0;
        ret = subprogs_find(prog, &a.sp, err);
        if (ret)
                return ret;
        ro_lddw = calloc(n, sizeof(*ro_lddw));
        named = calloc(prog->data_cnt, sizeof(*named));
        queued = calloc(n, sizeof(*queued));
        work = malloc(n * sizeof(*work));
        a.callback = calloc(a.sp.cnt, sizeof(*a.callback));
        a.sum = calloc(a.sp.cnt, sizeof(*a.sum));
        a.fp = malloc(n * sizeof(*a.fp));
        a.st = malloc(n * sizeof(*a.st));
        if (!ro_lddw || !named || !queued || !work || !a.callback || !a.sum || !a.fp || !a.st) {
                ret = bpfaot_error_set(err, ENOMEM, "out of memory");
        } else {
                a.ro_lddw = ro_lddw;
                find_rodata(&a, ro_lddw, named);
                ret = run(&a, work, queued);
        }
        free(ro_lddw);
        free(named);
        free(queued);
        free(work);
        free(a.callback);
        free(a.sum);
        free(a.fp);
        free(a.st);
        subprogs_free(&a.sp);
        return ret;
}

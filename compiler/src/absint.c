/* SPDX-License-Identifier: MIT */
/*
 * Abstract interpretation of a validated program (see absint.h): what each
 * register and stack slot of the own frame may hold before each instruction.
 *
 * The program is cut into basic blocks; a worklist (lowest block first, so
 * forward code is visited once) joins the state at the end of each block
 * into the entry state of its successors until nothing changes. A loop head
 * that a backward jump changed more than WIDEN_AFTER times widens what
 * such jumps bring instead, so that loops converge in a few rounds. Only
 * backward jumps widen: every cycle has one, and a value an inner loop
 * never changes keeps the range the code before the loop gives it however
 * often an outer loop changes that (widening there lost `x & 255` in the
 * bytecopy benchmark's inner loop). The refinements of the branches inside a
 * loop survive too. A widened pointer offset stops at thresholds first
 * (the frame's bottom and top, an object's start, ADDR_WINDOW_MAX / 2), so
 * that a pointer stepped through an object keeps an offset its comparisons
 * still bound; a widened number, for its first THRESHOLD_ROUNDS widenings,
 * at the constants conditional jumps compare with (and one off), so that a
 * loop ended by `i != 64` keeps i's bounds. Only block entries keep a
 * state; the state before any other instruction is recomputed from its
 * block's entry.
 *
 * Comparisons refine both edges: of numbers as scalar.c says; of a pointer
 * with 0 its NULL-ness; of two addresses of one object (the own frame, the
 * context, one global section, the value of a one-element array, two
 * maybe-NULL results still linked to one call), in a 64-bit jump on two
 * registers, their offsets. Equal addresses have equal offsets. Their order
 * is the signed order of the offsets only where no address wraps: a base B
 * of the object plus offsets o1, o2 compare like o1 and o2 when B + o stays
 * in [0, 2^63) for both. The object's bytes exist, so B + its lowest offset
 * (-stack_size for the frame, 0 for the others) is at least 0; and B is a
 * user-space address below 2^62 on every host the interpreter and the
 * compiled code run on (also the stand-in of a private frame, provenance.h),
 * so offsets up to ADDR_WINDOW_MAX = 2^62 keep B + o below 2^63, where
 * signed and unsigned orders agree. Offsets outside that window, pointers
 * of different objects, jset and 32-bit jumps learn nothing. Copies of one
 * address and constant steps from it are linked (absint_value.link, in
 * registers and spilled slots): what a comparison teaches one, it teaches all, so that
 * `if (p + 8 > end) break` bounds p; a link ends when the copying
 * instruction runs again and at any call. Numbers are linked the same way
 * (the kernel's linked scalars): `j = i; j += 1; if j s> 1` bounds i too.
 * An 8-byte spill to a constant frame offset and its fill copy as a mov
 * does, so links hold in stack slots too (a loop's offset kept in a slot).
 *
 * Calls are context-insensitive: a sub-program's entry state is the join of
 * what every call site passes, and r0 after a call is the join of r0 at the
 * callee's exits (its "summary"); call sites are revisited when a summary
 * grows. Calls close cycles no backward jump does (a callee's result fed to
 * its next call), so a sub-program's entry widens too, after
 * WIDEN_AFTER_CALLS changes. Callbacks are analysed with the arguments their helper's signature
 * says they receive (helper_sigs.h); a callback no known helper call names
 * gets unknown arguments.
 *
 * Soundness against the interpreter's semantics, not the kernel's refusals:
 * registers a path leaves unwritten hold anything there (maybe_uninit); a
 * store through a pointer that may point into the own frame without a known
 * offset forgets every slot. A helper given an address in the own frame
 * forgets nothing through an argument it only reads, and through one it
 * writes the bytes [offset, offset + size) for every offset the pointer may
 * have, size the signature's bound (to the frame's top when not known). A
 * local call, or a helper's callback, given one forgets the frame only when
 * the callee may write a caller's frame: it, or code it runs, writes
 * through a caller's or a callback's frame address, an unknown pointer or
 * a number, or runs a callback that may, or an unknown function (a summary
 * per sub-program, which only grows; the calls are revisited when it
 * does). An unknown function given an address in the own frame may write
 * all of it.
 */
#include "internal.h"
#include "absint.h"
#include "helper_sigs.h"
#include "insn.h"
#include "program.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Plain joins at a block entry before widening starts. */
#define WIDEN_AFTER 4
/*
 * At a sub-program's entry, joins of what call sites pass before widening
 * starts: calls close cycles too (a callee's result feeding the arguments
 * of its next call), where no backward jump widens; a few call sites with
 * constants of their own still join plainly.
 */
#define WIDEN_AFTER_CALLS 64
/*
 * Widenings of a loop head's numbers that stop at the program's comparison
 * constants (see threshold_box) before they go to the type's limits.
 */
#define THRESHOLD_ROUNDS 8
/*
 * Iterations of a loop the analysis follows apart, as the kernel verifier
 * follows each path: a pointer that moves with a counter it is not compared
 * with (a row pointer stepped with the row index) then stays bounded.
 */
#define UNROLL 8
/* The same for a loop holding no other loop: a counted inner loop of 64 rounds stays apart. */
#define UNROLL_LEAF 64
/* Instructions walked with unrolling, per instruction of the program and at least. */
#define UNROLL_BUDGET_PER_INSN 16
#define UNROLL_BUDGET_MIN      65536
/*
 * With iterations sharing contexts, widening makes the analysis settle in a
 * few walks of each loop; a program that needs more than this many
 * instruction visits is refused rather than left to run on (the kernel's
 * verifier stops at a million instructions processed, over paths kept apart).
 */
#define SETTLE_BUDGET_PER_INSN 1024
#define SETTLE_BUDGET_MIN      (1u << 20)
/* Loops around one block that get iterations of their own (the innermost). */
#define MAX_NEST 8

/*
 * Offsets of one object up to this compare like its addresses (no address
 * wraps): see ptr_compare.
 */
#define ADDR_WINDOW_MAX ((int64_t)1 << 62)

/* bpf_loop runs its callback at most this many times (the kernel's BPF_MAX_LOOPS). */
#define LOOP_MAX_ITERATIONS (1u << 23)

/*
 * The entry state of a block in one context: the iteration of every loop
 * holding the block that the paths it joins are in (see flow_to).
 */
struct context {
        uint8_t *tag; /* by the block's loops; NULL when it has none */
        struct absint_state in;
        unsigned visits;       /* joins into it that changed it */
        unsigned back_changes; /* of those, joins along a retreating edge */
        bool reached;          /* `in` holds a state */
        bool dirty;            /* changed since its block was last walked */
};

struct block {
        size_t start, end; /* instructions [start, end) */
        uint32_t sub;      /* its sub-program */
        bool loop_head;    /* a retreating edge's target: widened after a few joins */
        bool sub_entry;    /* a sub-program's first block: calls widen there (seed_sub) */
        /* Its jump, its fall-through edge retreats (find_retreating). */
        bool jump_retreats, fall_retreats;
        bool reached;
        /* The loops holding it (indices into absint.loop_head), innermost last. */
        uint32_t *loops;
        size_t loop_cnt;
        struct context *ctx; /* while the fixed point runs */
        size_t ctx_cnt;
        struct absint_state in; /* the join of its contexts, once the fixed point is reached */
};

struct absint {
        const struct program *p;
        struct block *blocks;
        size_t block_cnt;
        uint32_t *block_of; /* by instruction */

        /* By sub-program: r0 at its exits, once one is reached. */
        struct absint_value *ret;
        bool *returns;
        /*
         * By sub-program: it, or code it runs, may write through a value
         * that may be an address in a caller's frame (see note_write).
         */
        bool *writes_caller;
        /* Blocks holding local calls of sub-program s: call_blocks[call_first[s] .. [s + 1]). */
        size_t *call_first;
        uint32_t *call_blocks;
        /* Blocks holding calls of helpers that take a callback. */
        uint32_t *cb_call_blocks;
        size_t cb_call_cnt;

        /* Worklist: a binary min-heap of block indices. */
        uint32_t *heap;
        size_t heap_cnt;
        bool *queued;

        /*
         * The constants conditional jumps compare with, and each one more
         * and one less, ascending: where a widened number stops first.
         */
        int64_t *thresholds;
        size_t threshold_cnt;

        struct absint_state scratch; /* flow_to's joined state, kept for its allocation */
        size_t visits;
        /* Loops: the head block of each and its iterations kept apart (find_loops). */
        uint32_t *loop_head;
        uint8_t *loop_limit;
        size_t loop_cnt;
        /*
         * Iterations of each loop kept apart before they share a context
         * (UNROLL, or 0), and the instructions the fixed point may still
         * walk before it gives up and starts again with 0.
         */
        unsigned unroll;
        size_t budget;
        bool over_budget;
        uint8_t *tag_buf; /* flow_to's tag, as long as the deepest nest */
        bool nomem;
};

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

static struct absint_value v_uninit(void)
{
        return (struct absint_value){
            .s = scalar_unknown(), .id = ABSINT_NO_ID, .kind = ABSINT_UNINIT};
}

static struct absint_value v_scalar(struct scalar s)
{
        return (struct absint_value){.s = s, .id = ABSINT_NO_ID, .kind = ABSINT_SCALAR};
}

/* r1-r5 after a call. */
static struct absint_value v_clobbered(void)
{
        struct absint_value v = v_uninit();

        v.clobbered = true;
        return v;
}

static struct absint_value v_ptr(enum absint_region region, uint32_t id, struct scalar off)
{
        return (struct absint_value){.s = off,
                                     .id = id,
                                     .kind = ABSINT_PTR,
                                     .region = (uint8_t)region,
                                     .may_frame = region == ABSINT_STACK};
}

static struct absint_value v_unknown(void)
{
        return (struct absint_value){
            .s = scalar_unknown(), .id = ABSINT_NO_ID, .kind = ABSINT_UNKNOWN};
}

_Static_assert(sizeof(struct absint_value) <= 80, "states copy eleven values per block entry");

static void unlink_value(struct absint_value *v)
{
        v->link = 0;
        v->link_delta = 0;
}

/* A value whose every bit pattern is a number (written on every path). */
static bool is_number(const struct absint_value *v)
{
        return v->kind == ABSINT_SCALAR && !v->maybe_uninit;
}

/* Its scalar, or unknown when it is not a number on every path. */
static struct scalar number_of(const struct absint_value *v)
{
        return is_number(v) ? v->s : scalar_unknown();
}

static bool is_ptr(const struct absint_value *v, enum absint_region region)
{
        return v->kind == ABSINT_PTR && v->region == region && !v->maybe_uninit;
}

/*
 * Could it be an address in the own frame other than one known to be
 * (ABSINT_STACK)? A number can: the bytes of a spilled frame address read
 * back after part of them was overwritten are a number to the analysis, and
 * the interpreter writes through it where the kernel would refuse.
 */
bool absint_may_alias_frame(const struct absint_value *v)
{
        if (v->kind != ABSINT_PTR)
                return !(v->kind == ABSINT_SCALAR && !v->maybe_uninit && scalar_is_const(&v->s) &&
                         v->s.umin == 0); /* NULL writes nothing */
        return v->maybe_uninit || v->region == ABSINT_STACK || v->region == ABSINT_PTR_OTHER;
}

/* ------------------------------------------------------------------ */
/* Room: values bounded by the context's size                          */
/* ------------------------------------------------------------------ */

/*
 * A value with has_room is at most S - room, S the context's size (r2 at
 * the entry; the sandbox checks context accesses against the same size):
 * a number as an unsigned integer, a context pointer's offset as a signed
 * one. Comparisons with such a value teach the other side its room, as the
 * kernel's packet range does (`if (off + 512 > size) break`), and steps
 * that provably do not wrap move it.
 */

/*
 * Contexts are smaller than this, on every host (as ADDR_WINDOW_MAX): a value
 * with room r is at most CTX_SIZE_MAX - r, so that a step from it does not wrap.
 */
#define CTX_SIZE_MAX ((int64_t)1 << 62)

/* Can `v` carry a room: a number, or a non-NULL context pointer, written on every path? */
static bool room_capable(const struct absint_value *v)
{
        return !v->maybe_uninit &&
               (v->kind == ABSINT_SCALAR ||
                (v->kind == ABSINT_PTR && v->region == ABSINT_CTX && !v->maybe_null));
}

static void room_set(struct absint_value *v, int64_t room)
{
        v->has_room = room_capable(v) && room >= INT32_MIN && room <= INT32_MAX;
        if (v->has_room)
                v->room = (int32_t)room;
}

/* `v` learns room `room` too: the larger (tighter) of the two. */
static void room_learn(struct absint_value *v, int64_t room)
{
        if (!v->has_room || room > v->room)
                room_set(v, room);
}

/* The value as the integer its room is about: [*lo, *hi]; false when not representable. */
static bool room_range(const struct absint_value *v, int64_t *lo, int64_t *hi)
{
        if (v->kind == ABSINT_PTR) {
                *lo = v->s.smin;
                *hi = v->s.smax;
                return true;
        }
        if (v->s.umax > INT64_MAX)
                return false;
        *lo = (int64_t)v->s.umin;
        *hi = (int64_t)v->s.umax;
        return true;
}

/*
 * The room of `out` = `d` + `n` (64-bit, wrapping), where `n`'s value lies in
 * [nlo, nhi] as a signed integer, from `d`'s room: when no value wraps (an
 * offset as a signed integer, a number as an unsigned one), the sum is
 * d + n as integers, so d + n + (room - nhi) <= S.
 */
static void room_after_add(struct absint_value *out, const struct absint_value *d, int64_t nlo,
                           int64_t nhi)
{
        int64_t lo, hi, r;

        if (!d->has_room)
                return;
        /* Below its room from the largest context: d <= S - room < CTX_SIZE_MAX - room. */
        hi = CTX_SIZE_MAX - d->room;
        if (out->kind == ABSINT_PTR) { /* a signed sum, of an offset or a number below 2^63 */
                if (d->kind == ABSINT_PTR) {
                        lo = d->s.smin;
                        hi = d->s.smax < hi ? d->s.smax : hi;
                } else {
                        lo = d->s.umin > (uint64_t)hi ? hi : (int64_t)d->s.umin;
                        hi = d->s.umax < (uint64_t)hi ? (int64_t)d->s.umax : hi;
                }
                if (__builtin_add_overflow(lo, nlo, &lo) || __builtin_add_overflow(hi, nhi, &hi))
                        return;
                /*
                 * The offset is that sum: a number with room is below 2^62, so
                 * ctx + it is not below the context (a meet that finds nothing
                 * keeps the offset as it was).
                 */
                struct scalar box = scalar_srange(lo, hi);
                scalar_meet(&out->s, &box, &out->s);
        } else if ((nlo < 0 && d->s.umin < (uint64_t) - (nlo + 1) + 1) ||
                   (nhi > 0 && (d->s.umax < (uint64_t)hi ? d->s.umax : (uint64_t)hi) >
                                   UINT64_MAX - (uint64_t)nhi)) {
                return; /* the unsigned sum may wrap */
        }
        if (!__builtin_sub_overflow((int64_t)d->room, nhi, &r))
                room_learn(out, r);
}

/*
 * `out`'s room after 64-bit ALU instruction `insn` made it of `d` and `s`
 * (their values before it; s NULL for an immediate).
 */
static void room_alu(const struct bpfaot_insn *insn, const struct absint_value *d,
                     const struct absint_value *s, struct absint_value *out)
{
        uint8_t op = insn_op(insn);
        int64_t nlo, nhi, imm = insn->imm;
        bool is64 = bpfaot_insn_class(insn) == BPFAOT_CLASS_ALU64;

        if (is64 && op == BPFAOT_ALU_MOV && s && insn->off == 0)
                return; /* a copy: its room is the source's */
        out->has_room = false;
        if (!is64 || !room_capable(out) || !room_capable(d) || (s && !room_capable(s)))
                return;
        switch (op) {
        case BPFAOT_ALU_ADD:
                if (!s) {
                        room_after_add(out, d, imm, imm);
                        return;
                }
                /* A pointer's offset moves by the number's signed value; numbers add unsigned. */
                if (s->kind == ABSINT_SCALAR &&
                    (d->kind == ABSINT_PTR ? (nlo = s->s.smin, nhi = s->s.smax, true)
                                           : room_range(s, &nlo, &nhi)))
                        room_after_add(out, d, nlo, nhi);
                if (d->kind == ABSINT_SCALAR &&
                    (s->kind == ABSINT_PTR ? (nlo = d->s.smin, nhi = d->s.smax, true)
                                           : room_range(d, &nlo, &nhi)))
                        room_after_add(out, s, nlo, nhi);
                /* A number with room moved by a pointer's offset: the pointer's room. */
                if (d->kind == ABSINT_PTR && s->kind == ABSINT_SCALAR)
                        room_after_add(out, s, d->s.smin, d->s.smax);
                if (s->kind == ABSINT_PTR && d->kind == ABSINT_SCALAR)
                        room_after_add(out, d, s->s.smin, s->s.smax);
                return;
        case BPFAOT_ALU_SUB: /* d - n = d + (-n) */
                if (!s) {
                        if (imm != INT64_MIN)
                                room_after_add(out, d, -imm, -imm);
                        return;
                }
                if (s->kind != ABSINT_SCALAR)
                        return;
                if (d->kind == ABSINT_PTR ? (nlo = s->s.smin, nhi = s->s.smax, true)
                                          : room_range(s, &nlo, &nhi))
                        if (nlo != INT64_MIN)
                                room_after_add(out, d, -nhi, -nlo);
                return;
        case BPFAOT_ALU_AND: /* no more than either number (an address's room is its offset's) */
                if (out->kind != ABSINT_SCALAR)
                        return;
                if (d->kind == ABSINT_SCALAR && d->has_room)
                        room_learn(out, d->room);
                if (s && s->kind == ABSINT_SCALAR && s->has_room)
                        room_learn(out, s->room);
                return;
        case BPFAOT_ALU_RSH: /* no more than the dividend */
        case BPFAOT_ALU_DIV:
        case BPFAOT_ALU_MOD:
                if (out->kind == ABSINT_SCALAR && d->kind == ABSINT_SCALAR && d->has_room &&
                    insn->off == 0)
                        room_learn(out, d->room);
                return;
        default:
                return;
        }
}

/* What a register with room teaches of the context's size: S >= its least value + room. */
static void room_bounds_ctx(struct absint_state *st, const struct absint_value *v)
{
        int64_t lo = v->kind == ABSINT_PTR ? v->s.smin : (int64_t)v->s.umin, min;

        if (!v->has_room || (v->kind != ABSINT_PTR && v->s.umin > INT64_MAX) ||
            __builtin_add_overflow(lo, (int64_t)v->room, &min))
                return;
        if (min > 0 && (uint64_t)min > st->ctx_min)
                st->ctx_min = (uint64_t)min;
}

/* An unknown number of `bytes` bytes, zero- or sign-extended. */
static struct scalar unknown_of_width(unsigned bytes, bool sign_extend)
{
        struct scalar u = scalar_unknown();

        if (bytes >= 8)
                return u;
        return sign_extend ? scalar_sext(&u, bytes * 8) : scalar_trunc(&u, bytes * 8);
}

static bool value_equal(const struct absint_value *a, const struct absint_value *b)
{
        return a->kind == b->kind && a->region == b->region && a->id == b->id &&
               a->maybe_null == b->maybe_null && a->null_linked == b->null_linked &&
               a->maybe_checked == b->maybe_checked && a->maybe_uninit == b->maybe_uninit &&
               a->may_frame == b->may_frame && a->clobbered == b->clobbered &&
               a->readonly == b->readonly && (!a->maybe_null || a->origin == b->origin) &&
               a->has_room == b->has_room && (!a->has_room || a->room == b->room) &&
               a->link == b->link && a->link_delta == b->link_delta && scalar_equal(&a->s, &b->s);
}

/*
 * How a join at a loop head widens; joins elsewhere get NULL. Pointer
 * offsets stop at thresholds on their way to the type's limits, so that a
 * pointer stepped through an object keeps an offset whose comparisons still
 * teach something (see ptr_compare).
 */
struct widening {
        int64_t frame_floor; /* the frame's lowest offset, -stack_size */
        const int64_t *ts;   /* thresholds of numbers (absint.thresholds), or NULL */
        size_t ts_cnt;
};

/*
 * The bounds a number grown from `old` to `j` widens to first: each bound
 * that grew goes to the nearest threshold beyond it, signed and unsigned
 * (non-negative thresholds), so that `for (i = 1; i != 64; i++)` keeps i in
 * [1, 64] and the exit test then narrows it. Finitely many thresholds: a
 * bound passes each at most once.
 */
static struct scalar threshold_box(const struct scalar *old, const struct scalar *j,
                                   const int64_t *ts, size_t n)
{
        int64_t lo = INT64_MIN, hi = INT64_MAX;
        uint64_t ulo = 0, uhi = UINT64_MAX;
        struct scalar sbox, ubox, box;

        for (size_t i = 0; i < n; i++) {
                if (j->smin < old->smin && ts[i] <= j->smin)
                        lo = ts[i];
                if (j->umin < old->umin && ts[i] >= 0 && (uint64_t)ts[i] <= j->umin)
                        ulo = (uint64_t)ts[i];
        }
        for (size_t i = n; i-- > 0;) {
                if (j->smax > old->smax && ts[i] >= j->smax)
                        hi = ts[i];
                if (j->umax > old->umax && ts[i] >= 0 && (uint64_t)ts[i] >= j->umax)
                        uhi = (uint64_t)ts[i];
        }
        sbox = scalar_srange(lo, hi);
        ubox = scalar_urange(ulo, uhi);
        return scalar_meet(&sbox, &ubox, &box) ? box : scalar_unknown();
}

static struct scalar scalar_merge(const struct scalar *old, const struct scalar *new,
                                  const struct widening *widen)
{
        struct scalar j = scalar_join(old, new), w, box;

        if (!widen)
                return j;
        w = scalar_widen(old, &j);
        if (!widen->ts)
                return w;
        box = threshold_box(old, &j, widen->ts, widen->ts_cnt);
        return scalar_meet(&w, &box, &box) ? box : w;
}

/*
 * The thresholds of a pointer offset, ascending: the frame's bottom and top
 * (the offsets of a pointer stepped through it), an object's start, and
 * ADDR_WINDOW_MAX / 2 (room for the offsets of a few more bytes past it).
 */
static struct scalar widen_offset(const struct scalar *old, const struct scalar *new,
                                  enum absint_region region, const struct widening *widen)
{
        const int64_t frame_ts[] = {widen->frame_floor, 0, ADDR_WINDOW_MAX / 2};
        const int64_t object_ts[] = {0, ADDR_WINDOW_MAX / 2};
        const int64_t *ts = region == ABSINT_STACK ? frame_ts : object_ts;
        size_t n = region == ABSINT_STACK ? sizeof(frame_ts) / sizeof(*frame_ts)
                                          : sizeof(object_ts) / sizeof(*object_ts);
        struct scalar j = scalar_join(old, new), w = scalar_widen(old, &j), box;
        int64_t lo = INT64_MIN, hi = INT64_MAX;

        if (j.smin < old->smin) /* grown down: to the highest threshold below */
                for (size_t i = 0; i < n; i++)
                        if (ts[i] <= j.smin)
                                lo = ts[i];
        if (j.smax > old->smax) /* grown up: to the lowest threshold above */
                for (size_t i = n; i-- > 0;)
                        if (ts[i] >= j.smax)
                                hi = ts[i];
        box = scalar_srange(lo, hi);
        return scalar_meet(&w, &box, &box) ? box : w;
}

/*
 * The room of `r`, the join of `old` and `new`: the smaller; none when
 * either has none, or when widening sees it shrink (rooms only shrink at a
 * join, so a loop head settles).
 */
static void room_join(struct absint_value *r, const struct absint_value *old,
                      const struct absint_value *new, const struct widening *widen)
{
        r->has_room = false;
        if (!old->has_room || !new->has_room || (widen && new->room < old->room))
                return;
        room_set(r, old->room < new->room ? old->room : new->room);
}

/* `old` joined with `new` (widened when `widen`). */
static struct absint_value value_join(const struct absint_value *old,
                                      const struct absint_value *new, const struct widening *widen)
{
        struct absint_value r;

        /* Most joins see the same value from both sides (a loop's invariants): nothing to do. */
        if (value_equal(old, new))
                return *old;
        if (old->kind == ABSINT_UNINIT || new->kind == ABSINT_UNINIT) {
                r = old->kind == ABSINT_UNINIT ? *new : *old;
                r.maybe_uninit = r.kind != ABSINT_UNINIT;
                r.has_room = false;
                /* Clobbered by a call on every path only when on both. */
                r.clobbered = old->clobbered && new->clobbered;
                return r;
        }
        if (old->kind != new->kind || old->kind == ABSINT_UNKNOWN) {
                r = v_unknown();
                r.maybe_uninit = old->maybe_uninit || new->maybe_uninit;
                r.may_frame = old->may_frame || new->may_frame;
                return r;
        }
        r = *old;
        r.maybe_uninit = old->maybe_uninit || new->maybe_uninit;
        r.may_frame = old->may_frame || new->may_frame;
        if (old->link != new->link || old->link_delta != new->link_delta ||
            old->region != new->region)
                unlink_value(&r);
        if (old->kind == ABSINT_SCALAR) {
                r.s = scalar_merge(&old->s, &new->s, widen);
                room_join(&r, old, new, widen);
                return r;
        }
        r.maybe_null = old->maybe_null || new->maybe_null;
        /* Still the latest result of one instruction only when both are. */
        r.null_linked = old->maybe_null && new->maybe_null && old->null_linked &&new->null_linked &&
                        old->origin == new->origin;
        r.origin = old->maybe_null ? old->origin : new->origin;
        /*
         * Checked on one path and not on the other: the kernel follows paths
         * one at a time and accepts the dereference when the unchecked path
         * cannot reach it, which a join cannot tell. Never refuse what it may
         * accept.
         */
        r.maybe_checked = (old->maybe_null && old->maybe_checked) ||
                          (new->maybe_null &&new->maybe_checked) ||
                          old->maybe_null != new->maybe_null;
        if (old->region != new->region) {
                r.region = ABSINT_PTR_OTHER;
                r.id = ABSINT_NO_ID;
                r.readonly = false;
                r.s = scalar_unknown();
                r.has_room = false;
                return r;
        }
        if (old->id != new->id)
                r.id = ABSINT_NO_ID;
        r.readonly = old->readonly && new->readonly;
        r.s =
            widen ? widen_offset(&old->s, &new->s, r.region, widen) : scalar_join(&old->s, &new->s);
        room_join(&r, old, new, widen);
        return r;
}

/* ------------------------------------------------------------------ */
/* Stack slots (sparse, sorted by index)                               */
/* ------------------------------------------------------------------ */

static struct absint_slot slot_default(const struct absint_state *st, int32_t index)
{
        return (struct absint_slot){
            .index = index, .init = st->rest_init ? 0xff : 0, .v = v_uninit()};
}

static bool slot_equal(const struct absint_slot *a, const struct absint_slot *b)
{
        return a->index == b->index && a->init == b->init && a->spill == b->spill &&
               (!a->spill || value_equal(&a->v, &b->v));
}

/* Position of slot `index` in st->slots, or where it would go. */
static size_t slot_pos(const struct absint_state *st, int32_t index, bool *found)
{
        size_t lo = 0, hi = st->slot_cnt;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (st->slots[mid].index < index)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = lo < st->slot_cnt && st->slots[lo].index == index;
        return lo;
}

static struct absint_slot slot_get(const struct absint_state *st, int32_t index)
{
        bool found;
        size_t pos = slot_pos(st, index, &found);

        return found ? st->slots[pos] : slot_default(st, index);
}

/*
 * A slot array with its reference count: states share one until one of
 * them writes (most block entries hold the same slots as their predecessor,
 * so copying them into every entry dominated the analysis' time and memory).
 */
struct slot_buf {
        size_t refs, cap;
        struct absint_slot slots[];
};

static struct slot_buf *slot_buf_of(const struct absint_state *st)
{
        return st->slots ? (struct slot_buf *)((char *)st->slots - offsetof(struct slot_buf, slots))
                         : NULL;
}

static void slots_drop(struct absint_state *st)
{
        struct slot_buf *buf = slot_buf_of(st);

        if (buf && !--buf->refs)
                free(buf);
        st->slots = NULL;
        st->slot_cnt = 0;
}

/* Make st's slots its own, with room for `cnt`. False when out of memory. */
static bool slot_reserve(struct absint_state *st, size_t cnt)
{
        struct slot_buf *buf = slot_buf_of(st), *nb;
        size_t cap;

        if (buf && buf->refs == 1 && cnt <= buf->cap)
                return true;
        if (buf && buf->refs == 1) {
                cap = buf->cap;
                while (cap < cnt)
                        cap *= 2;
                nb = realloc(buf, sizeof(*buf) + cap * sizeof(buf->slots[0]));
                if (!nb)
                        return false;
        } else {
                /* A copy is mostly kept as it is (a block's entry): little room to grow. */
                cap = cnt + 4;
                nb = malloc(sizeof(*nb) + cap * sizeof(nb->slots[0]));
                if (!nb)
                        return false;
                nb->refs = 1;
                if (st->slot_cnt)
                        memcpy(nb->slots, st->slots, st->slot_cnt * sizeof(nb->slots[0]));
                if (buf)
                        buf->refs--;
        }
        nb->cap = cap;
        st->slots = nb->slots;
        return true;
}

/* Keep `slot` (dropped when it is the default). False when out of memory. */
static bool slot_set(struct absint_state *st, const struct absint_slot *slot)
{
        struct absint_slot def = slot_default(st, slot->index);
        bool found;
        size_t pos = slot_pos(st, slot->index, &found);

        if (slot_equal(slot, &def)) {
                if (found) {
                        if (!slot_reserve(st, st->slot_cnt))
                                return false;
                        memmove(&st->slots[pos], &st->slots[pos + 1],
                                (st->slot_cnt - pos - 1) * sizeof(*st->slots));
                        st->slot_cnt--;
                }
                return true;
        }
        if (found) {
                if (!slot_reserve(st, st->slot_cnt))
                        return false;
                st->slots[pos] = *slot;
                return true;
        }
        if (!slot_reserve(st, st->slot_cnt + 1))
                return false;
        memmove(&st->slots[pos + 1], &st->slots[pos], (st->slot_cnt - pos) * sizeof(*st->slots));
        st->slots[pos] = *slot;
        st->slot_cnt++;
        return true;
}

/* Floor division by 8 for negative offsets too (no negation: INT64_MIN stays defined). */
static int32_t slot_index(int64_t off)
{
        int64_t q = off / 8 - (off % 8 < 0);

        return q < INT32_MIN ? INT32_MIN : q > INT32_MAX ? INT32_MAX : (int32_t)q;
}

/* a + b, saturated: offset ranges of unknown pointers reach the type's limits. */
static int64_t sat_add(int64_t a, int64_t b)
{
        int64_t r;

        if (!__builtin_add_overflow(a, b, &r))
                return r;
        return b > 0 ? INT64_MAX : INT64_MIN;
}

/* Bytes [lo, hi) of the frame hold written data of unknown value. */
static bool mark_written(struct absint_state *st, int64_t lo, int64_t hi, uint32_t stack_size)
{
        if (lo < -(int64_t)stack_size)
                lo = -(int64_t)stack_size;
        if (hi > 0)
                hi = 0;
        for (int64_t base = (int64_t)slot_index(lo) * 8; base < hi; base += 8) {
                struct absint_slot s = slot_get(st, slot_index(base));

                for (int64_t b = 0; b < 8; b++)
                        if (base + b >= lo && base + b < hi)
                                s.init |= (uint8_t)(1u << b);
                s.spill = false;
                s.v = v_uninit();
                if (!slot_set(st, &s))
                        return false;
        }
        return true;
}

/* Every slot may have been written with anything. */
static void forget_frame(struct absint_state *st)
{
        st->slot_cnt = 0;
        st->rest_init = true;
}

/* ------------------------------------------------------------------ */
/* States                                                              */
/* ------------------------------------------------------------------ */

/* Never fails: the slots are shared. */
static bool state_copy(struct absint_state *dst, const struct absint_state *src)
{
        struct slot_buf *buf = slot_buf_of(src);

        if (buf)
                buf->refs++;
        slots_drop(dst);
        memcpy(dst->reg, src->reg, sizeof(dst->reg));
        dst->rest_init = src->rest_init;
        dst->ctx_min = src->ctx_min;
        dst->slots = src->slots;
        dst->slot_cnt = src->slot_cnt;
        return true;
}

void absint_state_release(struct absint_state *st)
{
        slots_drop(st);
        memset(st, 0, sizeof(*st));
}

/* A sub-program's entry: r1-r5 as given, r10 its frame, the frame unwritten. */
static void state_entry(struct absint_state *st, const struct absint_value args[5])
{
        for (unsigned r = 0; r < BPFAOT_NUM_REGS; r++)
                st->reg[r] = r >= 1 && r <= 5 && args ? args[r - 1] : v_uninit();
        st->reg[BPFAOT_REG_FP] = v_ptr(ABSINT_STACK, ABSINT_NO_ID, scalar_const(0));
        st->slot_cnt = 0;
        st->rest_init = false;
        st->ctx_min = 0;
}

static bool state_equal(const struct absint_state *a, const struct absint_state *b)
{
        if (a->rest_init != b->rest_init || a->slot_cnt != b->slot_cnt || a->ctx_min != b->ctx_min)
                return false;
        for (unsigned r = 0; r < BPFAOT_NUM_REGS; r++)
                if (!value_equal(&a->reg[r], &b->reg[r]))
                        return false;
        for (size_t i = 0; i < a->slot_cnt && a->slots != b->slots; i++)
                if (!slot_equal(&a->slots[i], &b->slots[i]))
                        return false;
        return true;
}

static struct absint_slot slot_join(const struct absint_slot *a, const struct absint_slot *b,
                                    const struct widening *widen)
{
        struct absint_slot r = {.index = a->index, .init = a->init & b->init, .v = v_uninit()};

        r.spill = a->spill && b->spill;
        if (r.spill)
                r.v = value_join(&a->v, &b->v, widen);
        return r;
}

/* Share the slots of `old` when `new` holds the same ones and joining changes none. */
static bool slots_join_same(struct absint_state *out, const struct absint_state *old,
                            const struct absint_state *new, const struct widening *widen)
{
        struct slot_buf *buf = slot_buf_of(old);

        if (!buf || old->slots != new->slots || old->slot_cnt != new->slot_cnt ||
            old->rest_init != new->rest_init)
                return false;
        for (size_t i = 0; i < old->slot_cnt; i++) {
                const struct absint_slot *s = &old->slots[i];
                struct absint_value v;

                if (!s->spill)
                        continue;
                v = value_join(&s->v, &s->v, widen);
                if (!value_equal(&v, &s->v))
                        return false;
        }
        buf->refs++;
        slots_drop(out);
        out->slots = old->slots;
        out->slot_cnt = old->slot_cnt;
        return true;
}

/*
 * out's slots = old's joined with new's, in one pass over both sorted
 * arrays, written in place (joins see ~50 slots, most of them equal).
 */
static bool slots_join(struct absint_state *out, const struct absint_state *old,
                       const struct absint_state *new, const struct widening *widen)
{
        struct absint_slot old_def = slot_default(old, 0), new_def = slot_default(new, 0);
        uint8_t out_init = out->rest_init ? 0xff : 0;
        size_t i, j, n = 0;

        /* Room for the union of both index sets, counted first: joined states are kept. */
        for (i = j = 0; i < old->slot_cnt || j < new->slot_cnt; n++) {
                if (j >= new->slot_cnt ||
                    (i < old->slot_cnt && old->slots[i].index < new->slots[j].index))
                        i++;
                else if (i >= old->slot_cnt || new->slots[j].index < old->slots[i].index)
                        j++;
                else
                        i++, j++;
        }
        i = j = 0;
        out->slot_cnt = 0; /* nothing to copy should the buffer be shared */
        if (!slot_reserve(out, n))
                return false;
        while (i < old->slot_cnt || j < new->slot_cnt) {
                struct absint_slot *r = &out->slots[out->slot_cnt];
                const struct absint_slot *a = &old_def, *b = &new_def;
                int32_t idx;

                if (j >= new->slot_cnt ||
                    (i < old->slot_cnt && old->slots[i].index < new->slots[j].index))
                        idx = old->slots[i].index;
                else
                        idx = new->slots[j].index;
                if (i < old->slot_cnt && old->slots[i].index == idx)
                        a = &old->slots[i++];
                else
                        old_def.index = idx;
                if (j < new->slot_cnt &&new->slots[j].index == idx)
                        b = &new->slots[j++];
                else
                        new_def.index = idx;
                *r = slot_equal(a, b) ? *a : slot_join(a, b, widen);
                /* The default (unwritten, or rest_init's unknown data) is not kept. */
                if (r->spill || r->init != out_init)
                        out->slot_cnt++;
        }
        return true;
}

/* *out = old joined with new (widened when `widen`). */
static bool state_join(struct absint_state *out, const struct absint_state *old,
                       const struct absint_state *new, const struct widening *widen)
{
        for (unsigned r = 0; r < BPFAOT_NUM_REGS; r++)
                out->reg[r] = value_join(&old->reg[r], &new->reg[r], widen);
        out->rest_init = old->rest_init && new->rest_init;
        /* Widening drops a bound that shrinks, as for rooms. */
        out->ctx_min = widen && new->ctx_min < old->ctx_min ? 0
                       : old->ctx_min < new->ctx_min        ? old->ctx_min
                                                            : new->ctx_min;
        return slots_join_same(out, old, new, widen) || slots_join(out, old, new, widen);
}

/*
 * Spilled slot `i` of `st` now holds `v` (the slots copied first when
 * shared); out of memory, every slot holds anything, which is sound.
 */
static void slot_value_set(struct absint_state *st, size_t i, const struct absint_value *v)
{
        if (value_equal(v, &st->slots[i].v))
                return;
        if (!slot_reserve(st, st->slot_cnt)) {
                forget_frame(st);
                return;
        }
        st->slots[i].v = *v;
}

/*
 * Every value `visit` may change (registers and spilled slots). A visit
 * says whether it changed the value: most change none of the spilled slots,
 * which are then neither compared nor copied.
 */
static void for_each_value(struct absint_state *st, bool regs_only_callee_saved,
                           bool (*visit)(struct absint_value *v, uint32_t arg), uint32_t arg)
{
        for (unsigned r = regs_only_callee_saved ? 6 : 0; r < BPFAOT_NUM_REGS; r++)
                visit(&st->reg[r], arg);
        for (size_t i = 0; i < st->slot_cnt; i++) {
                struct absint_value v;

                if (!st->slots[i].spill)
                        continue;
                v = st->slots[i].v;
                if (visit(&v, arg))
                        slot_value_set(st, i, &v); /* shared slots are copied only then */
        }
}

static bool unlink_origin(struct absint_value *v, uint32_t origin)
{
        if (!v->maybe_null || v->origin != origin || !v->null_linked)
                return false;
        v->null_linked = false;
        return true;
}

static bool unlink_link(struct absint_value *v, uint32_t link)
{
        if (v->link != link)
                return false;
        unlink_value(v);
        return true;
}

static bool unlink_every(struct absint_value *v, uint32_t unused)
{
        (void)unused;
        if (!v->link && !v->link_delta)
                return false;
        unlink_value(v);
        return true;
}

static bool unlink_any(struct absint_value *v, uint32_t unused)
{
        (void)unused;
        if (!v->null_linked)
                return false;
        v->null_linked = false;
        return true;
}

static bool mark_null(struct absint_value *v, uint32_t origin)
{
        if (v->kind != ABSINT_PTR || !v->maybe_null || !v->null_linked || v->origin != origin ||
            !scalar_is_const(&v->s) || v->s.umin != 0)
                return false;
        *v = v_scalar(scalar_const(0));
        return true;
}

/* ------------------------------------------------------------------ */
/* Worklist                                                            */
/* ------------------------------------------------------------------ */

static void heap_push(struct absint *a, uint32_t b)
{
        size_t i;

        if (a->queued[b])
                return;
        a->queued[b] = true;
        i = a->heap_cnt++;
        while (i > 0 && a->heap[(i - 1) / 2] > b) {
                a->heap[i] = a->heap[(i - 1) / 2];
                i = (i - 1) / 2;
        }
        a->heap[i] = b;
}

static uint32_t heap_pop(struct absint *a)
{
        uint32_t top = a->heap[0], last = a->heap[--a->heap_cnt];
        size_t i = 0;

        for (;;) {
                size_t c = 2 * i + 1;
                if (c >= a->heap_cnt)
                        break;
                if (c + 1 < a->heap_cnt && a->heap[c + 1] < a->heap[c])
                        c++;
                if (a->heap[c] >= last)
                        break;
                a->heap[i] = a->heap[c];
                i = c;
        }
        if (a->heap_cnt)
                a->heap[i] = last;
        a->queued[top] = false;
        return top;
}

/*
 * The context of block `to` entered from block `from` in context `tag`
 * (from == UINT32_MAX: from a call or the program's start) into `out`. A
 * loop of `to` that `from` is outside of starts at iteration 0; an edge
 * from inside a loop to its head is the next iteration, up to `unroll`,
 * which stands for all later ones; loops left behind are dropped. True
 * when the edge advanced a loop to its next iteration (a new context: no
 * cycle closes there, so no widening is needed).
 */
static bool edge_tag(const struct absint *a, uint32_t from, const uint8_t *tag, uint32_t to,
                     uint8_t *out)
{
        bool advanced = false;

        const struct block *f = from == UINT32_MAX ? NULL : &a->blocks[from];
        const struct block *t = &a->blocks[to];

        for (size_t i = 0; i < t->loop_cnt; i++) {
                uint32_t l = t->loops[i];
                uint8_t it = 0;

                for (size_t j = 0; f && j < f->loop_cnt; j++) {
                        if (f->loops[j] != l)
                                continue;
                        it = tag[j];
                        if (a->loop_head[l] == to && it < a->loop_limit[l]) {
                                it++;
                                advanced = true;
                        }
                        break;
                }
                out[i] = it;
        }
        return advanced;
}

static void free_contexts(struct block *blk)
{
        for (size_t c = 0; c < blk->ctx_cnt; c++) {
                absint_state_release(&blk->ctx[c].in);
                free(blk->ctx[c].tag);
        }
        free(blk->ctx);
        blk->ctx = NULL;
        blk->ctx_cnt = 0;
}

static void mark_dirty(struct absint *a, uint32_t b, struct context *c)
{
        c->dirty = true;
        heap_push(a, b);
}

/* The context of block `b` with tag `tag` (a new one, unreached, if none). */
static struct context *context_of(struct absint *a, uint32_t b, const uint8_t *tag)
{
        struct block *blk = &a->blocks[b];
        size_t len = a->unroll ? blk->loop_cnt : 0;
        struct context *c;

        for (size_t i = 0; i < blk->ctx_cnt; i++)
                if (!len || !memcmp(blk->ctx[i].tag, tag, len))
                        return &blk->ctx[i];
        c = ARRAY_ADD(blk->ctx, blk->ctx_cnt);
        if (!c)
                return NULL;
        if (len && !(c->tag = malloc(len))) {
                blk->ctx_cnt--;
                return NULL;
        }
        if (len)
                memcpy(c->tag, tag, len);
        return c;
}

/*
 * Join `st` into the entry of the block starting at `insn`, in the context
 * its edge from block `from` in context `tag` leads to; queue it when that
 * changed. `backward`: it flows along a retreating edge (see
 * find_retreating), where widening may start.
 */
static void flow_to(struct absint *a, uint32_t from, const uint8_t *tag, size_t insn,
                    const struct absint_state *st, bool backward)
{
        uint32_t b = a->block_of[insn];
        struct block *blk = &a->blocks[b];
        struct absint_state joined;
        struct widening widen = {.frame_floor = -(int64_t)a->p->stack_size};
        struct context *c;
        bool widening;

        /* Widening is for edges that close a cycle of contexts. */
        if (a->unroll && edge_tag(a, from, tag, b, a->tag_buf))
                backward = false;
        c = context_of(a, b, a->tag_buf);
        if (!c) {
                a->nomem = true;
                return;
        }
        if (!c->reached) {
                if (!state_copy(&c->in, st)) {
                        a->nomem = true;
                        return;
                }
                c->reached = blk->reached = true;
                mark_dirty(a, b, c);
                return;
        }
        if (c->back_changes < WIDEN_AFTER + THRESHOLD_ROUNDS) {
                widen.ts = a->thresholds;
                widen.ts_cnt = a->threshold_cnt;
        }
        widening = backward && ((blk->loop_head && c->back_changes >= WIDEN_AFTER) ||
                                (blk->sub_entry && c->back_changes >= WIDEN_AFTER_CALLS));
        if (!state_join(&a->scratch, &c->in, st, widening ? &widen : NULL)) {
                a->nomem = true;
                return;
        }
        if (!state_equal(&a->scratch, &c->in)) { /* swap: the old entry's memory is reused */
                joined = c->in;
                c->in = a->scratch;
                a->scratch = joined;
                c->visits++;
                c->back_changes += backward;
                mark_dirty(a, b, c);
        }
}

/* ------------------------------------------------------------------ */
/* Transfer functions                                                  */
/* ------------------------------------------------------------------ */

/*
 * What one walk over instructions needs: the analysis, and whether the walk
 * records its effects on other blocks (the fixed point) or only computes a
 * state (absint_state_at).
 */
struct walk {
        const struct absint *a;
        struct absint *rec; /* NULL: compute only */
        uint32_t sub;       /* the walked block's sub-program, when recording */
        bool nomem;
};

/* Walk blocks `b[0..cnt)` again in every context they were reached in. */
static void revisit(struct absint *a, const uint32_t *b, size_t cnt)
{
        for (size_t i = 0; i < cnt; i++) {
                struct block *blk = &a->blocks[b[i]];
                for (size_t c = 0; c < blk->ctx_cnt; c++)
                        if (blk->ctx[c].reached)
                                mark_dirty(a, b[i], &blk->ctx[c]);
        }
}

/* Walk the blocks calling sub-program `sub` again: what it gives them grew. */
static void revisit_callers(struct absint *a, uint32_t sub)
{
        revisit(a, a->call_blocks + a->call_first[sub],
                a->call_first[sub + 1] - a->call_first[sub]);
}

/*
 * Could a write through `v` change the frame of a caller (an address it
 * passed down, or a callback's context)? Everything but the own frame and
 * the objects that are not frames: numbers too (absint_may_alias_frame).
 */
static bool may_alias_caller_frame(const struct absint_value *v)
{
        if (v->kind == ABSINT_PTR && !v->maybe_uninit)
                return v->region == ABSINT_CALLER_STACK || v->region == ABSINT_CB_CTX ||
                       v->region == ABSINT_PTR_OTHER;
        return absint_may_alias_frame(v);
}

/*
 * The walked sub-program writes through `v` (NULL: through anything): when
 * that may change a caller's frame, its callers forget their frames at
 * the call.
 */
static void note_write(const struct walk *w, const struct absint_value *v)
{
        struct absint *a = w->rec;

        if (!a || a->writes_caller[w->sub] || (v && !may_alias_caller_frame(v)))
                return;
        a->writes_caller[w->sub] = true;
        revisit_callers(a, w->sub);
        if (a->p->sp.callback[w->sub]) /* which helper calls run it is not known here */
                revisit(a, a->cb_call_blocks, a->cb_call_cnt);
}

/* Values a link may tie together: pointers, and numbers not yet known exactly. */
static bool linkable(const struct absint_value *v)
{
        return v->kind == ABSINT_PTR || (is_number(v) && !scalar_is_const(&v->s));
}

/*
 * A 64-bit mov at `idx` copying register `src` (a pointer or a number): the
 * copy and the original are linked (both the value this run of `idx`
 * copied); the values linked to an earlier run of it are not any more. A
 * link is of one kind: a pointer's and a number's never share one, as one
 * run of `idx` copies one of them.
 */
static void link_copy(struct absint_state *st, unsigned src, size_t idx)
{
        struct absint_value *s = &st->reg[src];
        uint32_t link = (uint32_t)idx + 1;

        if (idx >= ABSINT_LINK_MAX || !linkable(s) || (s->link && s->link != link))
                return; /* nothing to link, or already linked to another copy */
        for_each_value(st, false, unlink_link, link);
        s->link = link;
        s->link_delta = 0;
}

/*
 * `o`, which is `v` + `dist` modulo 2^64 (linked), learns `v`'s room: o is
 * v + dist as integers when no value of v wraps so, or when no value of o
 * wraps back (o - dist), o bounded by its own room too.
 */
static void room_link(struct absint_value *o, const struct absint_value *v, int64_t dist)
{
        int64_t cap, lo, hi, r;
        uint64_t ohi;

        room_after_add(o, v, dist, dist);
        if (!v->has_room || !room_capable(o) || dist == INT64_MIN)
                return;
        cap = o->has_room ? CTX_SIZE_MAX - o->room : INT64_MAX;
        if (o->kind == ABSINT_PTR) {
                hi = o->s.smax < cap ? o->s.smax : cap;
                if (__builtin_sub_overflow(o->s.smin, dist, &lo) ||
                    __builtin_sub_overflow(hi, dist, &hi))
                        return;
        } else {
                ohi = o->has_room && (uint64_t)cap < o->s.umax ? (uint64_t)cap : o->s.umax;
                if (dist >= 0 ? o->s.umin < (uint64_t)dist : ohi > UINT64_MAX - (uint64_t)-dist)
                        return;
        }
        if (!__builtin_sub_overflow((int64_t)v->room, dist, &r))
                room_learn(o, r);
}

/*
 * Registers linked to `reg` learn what it learnt: numbers, or pointer
 * offsets, at their distance from it. A distance is exact modulo 2^64 (the
 * steps are 64-bit additions), and the 64-bit addition below wraps as they
 * do: no step needs to stay clear of wrapping.
 */
static void follow_links(struct absint_state *st, unsigned reg)
{
        static const struct bpfaot_insn add = {.opcode = BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD |
                                                         BPFAOT_SRC_X};
        const struct absint_value *v = &st->reg[reg];

        if (!v->link || (v->kind != ABSINT_PTR && !is_number(v)))
                return;
        for (unsigned r = 0; r < BPFAOT_NUM_REGS; r++) {
                struct absint_value *o = &st->reg[r];
                struct scalar distance, moved;

                if (r == reg || o->link != v->link || o->kind != v->kind)
                        continue;
                distance = scalar_const((uint64_t)(int64_t)(o->link_delta - v->link_delta));
                moved = scalar_alu(&add, &v->s, &distance);
                scalar_meet(&o->s, &moved, &o->s); /* when empty, keep what it held */
                room_link(o, v, o->link_delta - v->link_delta);
        }
        /* Spilled copies learn it too. */
        for (size_t i = 0; i < st->slot_cnt; i++) {
                struct absint_value o = st->slots[i].v;
                struct scalar distance, moved;

                if (!st->slots[i].spill || o.link != v->link || o.kind != v->kind)
                        continue;
                distance = scalar_const((uint64_t)(int64_t)(o.link_delta - v->link_delta));
                moved = scalar_alu(&add, &v->s, &distance);
                scalar_meet(&o.s, &moved, &o.s);
                room_link(&o, v, o.link_delta - v->link_delta);
                slot_value_set(st, i, &o);
        }
}

/*
 * What an edge of a comparison says of its operands a and b, for their
 * rooms: a <= b (a learns b's room), b <= a, either strictly (one more).
 */
enum { ROOM_A = 1, ROOM_B = 2, ROOM_STRICT = 4 };

/* By jump operation (op >> 4): what its taken and its fall-through edge say. */
static const uint8_t room_rels[16][2] = {
    [BPFAOT_JMP_JEQ >> 4] = {ROOM_A | ROOM_B, 0},
    [BPFAOT_JMP_JNE >> 4] = {0, ROOM_A | ROOM_B},
    [BPFAOT_JMP_JGT >> 4] = {ROOM_B | ROOM_STRICT, ROOM_A},
    [BPFAOT_JMP_JGE >> 4] = {ROOM_B, ROOM_A | ROOM_STRICT},
    [BPFAOT_JMP_JLT >> 4] = {ROOM_A | ROOM_STRICT, ROOM_B},
    [BPFAOT_JMP_JLE >> 4] = {ROOM_A, ROOM_B | ROOM_STRICT},
    [BPFAOT_JMP_JSGT >> 4] = {ROOM_B | ROOM_STRICT, ROOM_A},
    [BPFAOT_JMP_JSGE >> 4] = {ROOM_B, ROOM_A | ROOM_STRICT},
    [BPFAOT_JMP_JSLT >> 4] = {ROOM_A | ROOM_STRICT, ROOM_B},
    [BPFAOT_JMP_JSLE >> 4] = {ROOM_A, ROOM_B | ROOM_STRICT},
};

static bool is_signed_jump(uint8_t op)
{
        return op == BPFAOT_JMP_JSGT || op == BPFAOT_JMP_JSGE || op == BPFAOT_JMP_JSLT ||
               op == BPFAOT_JMP_JSLE;
}

/* x <= y - strict: x learns y's room, plus one when strict. */
static void room_less(struct absint_value *x, const struct absint_value *y, int strict)
{
        if (y->has_room && x->kind == y->kind)
                room_learn(x, (int64_t)y->room + strict);
}

/*
 * Rooms one edge of a 64-bit jump on two registers teaches (before the
 * links spread it). Numbers compare as unsigned integers, which their rooms
 * are about, or with a signed jump as signed ones when both are
 * non-negative on the edge; offsets (`offsets`: a pointer comparison,
 * already as one of offsets) as signed ones, which their rooms are about.
 */
static void room_edge(const struct bpfaot_insn *insn, bool taken, bool offsets,
                      struct absint_state *st)
{
        struct absint_value *a = &st->reg[insn->dst], *b = &st->reg[insn->src];
        uint8_t op = insn_op(insn), rel;

        if (bpfaot_insn_class(insn) != BPFAOT_CLASS_JMP || !insn_is_reg_src(insn) ||
            insn->dst == insn->src)
                return;
        if (!offsets && is_signed_jump(op) && (a->s.smin < 0 || b->s.smin < 0))
                return;
        rel = room_rels[op >> 4][taken ? 0 : 1];
        if (rel & ROOM_A)
                room_less(a, b, rel & ROOM_STRICT ? 1 : 0);
        if (rel & ROOM_B)
                room_less(b, a, rel & ROOM_STRICT ? 1 : 0);
}

/*
 * A constant (a number, or a context pointer's offset) gets the room the
 * context's least size gives it, so that it keeps it through joins with
 * other iterations of a loop, where ctx_min is lower.
 */
static void room_of_const(const struct absint_state *st, struct absint_value *v)
{
        int64_t lo, hi, room;

        if (st->ctx_min <= INT64_MAX && room_capable(v) && scalar_is_const(&v->s) &&
            room_range(v, &lo, &hi) && !__builtin_sub_overflow((int64_t)st->ctx_min, lo, &room))
                room_learn(v, room);
}

/* What the registers' rooms on an edge teach of the context's size, and back. */
static void room_bound_all(struct absint_state *st)
{
        for (unsigned r = 0; r < BPFAOT_NUM_REGS; r++)
                room_bounds_ctx(st, &st->reg[r]);
        for (unsigned r = 0; r < BPFAOT_NUM_REGS; r++)
                room_of_const(st, &st->reg[r]);
        /* Spilled constants too. */
        for (size_t i = 0; i < st->slot_cnt; i++) {
                struct absint_value v = st->slots[i].v;

                if (!st->slots[i].spill)
                        continue;
                room_of_const(st, &v);
                slot_value_set(st, i, &v);
        }
}

static void alu_values(const struct bpfaot_insn *insn, size_t idx, struct absint_state *st)
{
        struct absint_value *d = &st->reg[insn->dst];
        const struct absint_value *s = insn_is_reg_src(insn) ? &st->reg[insn->src] : NULL;
        bool is64 = bpfaot_insn_class(insn) == BPFAOT_CLASS_ALU64;
        uint8_t op = insn_op(insn);
        struct scalar ds, ss;

        if (is64 && op == BPFAOT_ALU_MOV && s && insn->off == 0) {
                link_copy(st, insn->src, idx);
                *d = *s;
                return;
        }
        /* pointer +- number: the offset moves; linked number +- number: the number */
        if (is64 && (op == BPFAOT_ALU_ADD || op == BPFAOT_ALU_SUB) &&
            (d->kind == ABSINT_PTR || (d->link && is_number(d))) && (!s || is_number(s))) {
                int64_t step = s ? (int64_t)s->s.umin : insn->imm, delta;
                bool far = op == BPFAOT_ALU_ADD
                               ? __builtin_add_overflow((int64_t)d->link_delta, step, &delta)
                               : __builtin_sub_overflow((int64_t)d->link_delta, step, &delta);

                /* A link survives a constant step that keeps its distance small. */
                if ((s && !scalar_is_const(&s->s)) || far || delta < INT16_MIN || delta > INT16_MAX)
                        unlink_value(d);
                else
                        d->link_delta = (int16_t)delta;
                d->s = scalar_alu(insn, &d->s, s ? &s->s : NULL);
                return;
        }
        if (is64 && op == BPFAOT_ALU_ADD && s && s->kind == ABSINT_PTR && is_number(d)) {
                struct absint_value r = *s;
                r.s = scalar_alu(insn, &s->s, &d->s);
                unlink_value(&r);
                *d = r;
                return;
        }
        /* The difference of two pointers into one object is the difference of their offsets. */
        if (is64 && op == BPFAOT_ALU_SUB && s && d->kind == ABSINT_PTR && s->kind == ABSINT_PTR &&
            d->region == s->region && d->id == s->id && !d->maybe_uninit && !s->maybe_uninit &&
            (d->region == ABSINT_CTX || d->region == ABSINT_STACK || d->region == ABSINT_DATA)) {
                *d = v_scalar(scalar_alu(insn, &d->s, &s->s));
                return;
        }
        ds = number_of(d);
        ss = s ? number_of(s) : scalar_unknown();
        *d = v_scalar(scalar_alu(insn, &ds, s ? &ss : NULL));
}

static void alu(const struct bpfaot_insn *insn, size_t idx, struct absint_state *st)
{
        struct absint_value d = st->reg[insn->dst], s;
        bool reg_src = insn_is_reg_src(insn);

        if (reg_src)
                s = st->reg[insn->src];
        alu_values(insn, idx, st);
        room_alu(insn, &d, reg_src ? &s : NULL, &st->reg[insn->dst]);
        room_of_const(st, &st->reg[insn->dst]);
}

static bool is_zero(const struct absint_value *v)
{
        return is_number(v) && scalar_is_const(&v->s) && v->s.umin == 0;
}

/*
 * Maybe-NULL values a comparison of `checked` with 0 may have proven
 * non-NULL without the analysis knowing: all but the linked results of
 * another instruction (distinct from it) when `checked` is linked, else all.
 */
static bool mark_maybe_checked(struct absint_value *v, uint32_t origin)
{
        if (v->kind != ABSINT_PTR || !v->maybe_null || v->maybe_checked)
                return false;
        if (origin != ABSINT_NO_ID && v->null_linked && v->origin != origin)
                return false;
        v->maybe_checked = true;
        return true;
}

static bool mark_non_null(struct absint_value *v, uint32_t origin)
{
        if (v->kind != ABSINT_PTR || !v->maybe_null || !v->null_linked || v->origin != origin)
                return false;
        v->maybe_null = false;
        v->maybe_checked = false;
        return true;
}

/*
 * The two edges of a comparison of a pointer with 0 (the immediate, or a
 * register known to hold 0). False when it is not one.
 */
static bool null_check(const struct bpfaot_insn *insn, struct absint_state *taken, bool *taken_ok,
                       struct absint_state *fall, bool *fall_ok)
{
        uint8_t op = insn_op(insn);
        const struct absint_value *d, *s;
        struct absint_state *null_edge, *non_null_edge;
        unsigned reg = insn->dst;
        bool *null_ok;
        uint32_t origin;

        if (bpfaot_insn_class(insn) != BPFAOT_CLASS_JMP ||
            (op != BPFAOT_JMP_JEQ && op != BPFAOT_JMP_JNE))
                return false;
        d = &fall->reg[insn->dst];
        s = insn_is_reg_src(insn) ? &fall->reg[insn->src] : NULL;
        if (s && is_zero(d) && s->kind == ABSINT_PTR)
                reg = insn->src;
        else if (s ? !is_zero(s) : insn->imm != 0)
                reg = BPFAOT_NUM_REGS;
        if (reg == BPFAOT_NUM_REGS || fall->reg[reg].kind != ABSINT_PTR) {
                /* Pointers compared with each other: equal to a non-NULL one proves non-NULL. */
                if (s && ((d->kind == ABSINT_PTR && d->maybe_null) ||
                          (s->kind == ABSINT_PTR && s->maybe_null))) {
                        for_each_value(taken, false, mark_maybe_checked, ABSINT_NO_ID);
                        for_each_value(fall, false, mark_maybe_checked, ABSINT_NO_ID);
                }
                return false;
        }
        d = &fall->reg[reg];
        if (d->maybe_uninit || !scalar_is_const(&d->s) || d->s.umin != 0)
                return false;
        null_edge = op == BPFAOT_JMP_JEQ ? taken : fall;
        non_null_edge = op == BPFAOT_JMP_JEQ ? fall : taken;
        null_ok = op == BPFAOT_JMP_JEQ ? taken_ok : fall_ok;
        *taken_ok = *fall_ok = true;
        if (!d->maybe_null) { /* never NULL: that edge is never followed */
                *null_ok = false;
                return true;
        }
        origin = d->origin;
        if (d->null_linked) {
                for_each_value(null_edge, false, mark_null, origin);
                for_each_value(non_null_edge, false, mark_non_null, origin);
        }
        /* The kernel proves every copy non-NULL: those the analysis lost track of too. */
        for_each_value(non_null_edge, false, mark_maybe_checked,
                       d->null_linked ? origin : ABSINT_NO_ID);
        null_edge->reg[reg] = v_scalar(scalar_const(0));
        non_null_edge->reg[reg].maybe_null = false;
        non_null_edge->reg[reg].maybe_checked = false;
        return true;
}

/* Both edges refined as `t` and `f` say (the registers of `insn`'s operands). */
static void refine_edges(const struct bpfaot_insn *insn, const struct scalar_edge *t,
                         const struct scalar_edge *f, struct absint_state *taken, bool *taken_ok,
                         struct absint_state *fall, bool *fall_ok)
{
        bool reg_src = insn_is_reg_src(insn) && insn->src != insn->dst;

        *taken_ok = t->feasible;
        *fall_ok = f->feasible;
        if (t->feasible) {
                if (reg_src)
                        taken->reg[insn->src].s = t->src;
                taken->reg[insn->dst].s = t->dst;
        }
        if (f->feasible) {
                if (reg_src)
                        fall->reg[insn->src].s = f->src;
                fall->reg[insn->dst].s = f->dst;
        }
}

/* A one-element ARRAY map: every value of it is the one object. */
static bool single_value_map(const struct program *p, uint32_t id)
{
        return id < p->prog->map_cnt && p->prog->maps[id].type == 2 /* ARRAY */ &&
               p->prog->maps[id].max_entries == 1;
}

/*
 * Are `d` and `s` addresses in one object, one base plus their offsets? The
 * own frame, the context, one global section, the value of a one-element
 * array, or two maybe-NULL results still linked to one call (one record,
 * or both NULL). Two values of one map may be different elements, and
 * records of one reserve different runs of it.
 */
static bool same_object(const struct program *p, const struct absint_value *d,
                        const struct absint_value *s)
{
        if (d->kind != ABSINT_PTR || s->kind != ABSINT_PTR || d->maybe_uninit || s->maybe_uninit ||
            d->region != s->region)
                return false;
        if (d->maybe_null || s->maybe_null)
                return d->maybe_null && s->maybe_null && d->null_linked && s->null_linked &&
                       d->origin == s->origin;
        switch (d->region) {
        case ABSINT_STACK:
        case ABSINT_CTX:
                return true;
        case ABSINT_DATA:
                return d->id == s->id && d->id != ABSINT_NO_ID;
        case ABSINT_MAP_VALUE:
                return d->id == s->id && single_value_map(p, d->id);
        default:
                return false;
        }
}

/*
 * Jumps on two addresses of one object as jumps on their offsets (by
 * operation >> 4; 0: the offsets say nothing, as for jset). Addresses
 * compare as unsigned numbers and offsets as signed ones: the frame's are
 * negative.
 */
static const uint8_t offset_jump[16] = {
    [BPFAOT_JMP_JEQ >> 4] = BPFAOT_JMP_JEQ,   [BPFAOT_JMP_JNE >> 4] = BPFAOT_JMP_JNE,
    [BPFAOT_JMP_JGT >> 4] = BPFAOT_JMP_JSGT,  [BPFAOT_JMP_JGE >> 4] = BPFAOT_JMP_JSGE,
    [BPFAOT_JMP_JLT >> 4] = BPFAOT_JMP_JSLT,  [BPFAOT_JMP_JLE >> 4] = BPFAOT_JMP_JSLE,
    [BPFAOT_JMP_JSGT >> 4] = BPFAOT_JMP_JSGT, [BPFAOT_JMP_JSGE >> 4] = BPFAOT_JMP_JSGE,
    [BPFAOT_JMP_JSLT >> 4] = BPFAOT_JMP_JSLT, [BPFAOT_JMP_JSLE >> 4] = BPFAOT_JMP_JSLE,
};

/* No address of `v`'s object at one of its offsets wraps (see the header comment). */
static bool in_address_window(const struct program *p, const struct absint_value *v)
{
        int64_t floor = v->region == ABSINT_STACK ? -(int64_t)p->stack_size : 0;

        return v->s.smin >= floor && v->s.smax <= ADDR_WINDOW_MAX;
}

/*
 * The two edges of a 64-bit jump comparing two addresses of one object: a
 * comparison of their offsets. False when it is not one, or the offsets
 * may not order like the addresses.
 */
static bool ptr_compare(const struct program *p, const struct bpfaot_insn *insn,
                        struct absint_state *taken, bool *taken_ok, struct absint_state *fall,
                        bool *fall_ok)
{
        const struct absint_value *d = &fall->reg[insn->dst], *s = &fall->reg[insn->src];
        struct bpfaot_insn cmp = *insn;
        uint8_t op = offset_jump[insn_op(insn) >> 4];
        struct scalar_edge t, f;

        if (bpfaot_insn_class(insn) != BPFAOT_CLASS_JMP || !insn_is_reg_src(insn) || !op ||
            !same_object(p, d, s))
                return false;
        /* Equal addresses are equal offsets, wrapped or not. */
        if (op != BPFAOT_JMP_JEQ && op != BPFAOT_JMP_JNE &&
            !(in_address_window(p, d) && in_address_window(p, s)))
                return false;
        cmp.opcode = (uint8_t)((insn->opcode & 0x0f) | op);
        scalar_branch(&cmp, &d->s, &s->s, &t, &f);
        refine_edges(insn, &t, &f, taken, taken_ok, fall, fall_ok);
        room_edge(&cmp, true, true, taken);
        room_edge(&cmp, false, true, fall);
        follow_links(taken, insn->dst);
        follow_links(taken, insn->src);
        follow_links(fall, insn->dst);
        follow_links(fall, insn->src);
        room_bound_all(taken);
        room_bound_all(fall);
        return true;
}

/* A conditional jump: `fall` holds the state before it and becomes the fall-through edge. */
static void cond_jump(const struct program *p, const struct bpfaot_insn *insn,
                      struct absint_state *taken, bool *taken_ok, struct absint_state *fall,
                      bool *fall_ok)
{
        const struct absint_value *d = &fall->reg[insn->dst];
        const struct absint_value *s = insn_is_reg_src(insn) ? &fall->reg[insn->src] : NULL;
        struct scalar_edge t, f;

        *taken_ok = *fall_ok = true;
        if (null_check(insn, taken, taken_ok, fall, fall_ok))
                return;
        if (ptr_compare(p, insn, taken, taken_ok, fall, fall_ok))
                return;
        if (!is_number(d) || (s && !is_number(s)))
                return; /* a pointer compared with anything else: both edges, nothing learnt */
        scalar_branch(insn, &d->s, s ? &s->s : NULL, &t, &f);
        refine_edges(insn, &t, &f, taken, taken_ok, fall, fall_ok);
        room_edge(insn, true, false, taken);
        room_edge(insn, false, false, fall);
        /* What the kernel's sync_linked_regs does: copies and steps of a number learn it too. */
        follow_links(taken, insn->dst);
        follow_links(fall, insn->dst);
        if (s) {
                follow_links(taken, insn->src);
                follow_links(fall, insn->src);
        }
        room_bound_all(taken);
        room_bound_all(fall);
}

static struct absint_value lddw_value(const struct walk *w, const struct bpfaot_insn *insn,
                                      size_t idx)
{
        const struct program *p = w->a->p;
        const struct bpfaot_reloc *rel = program_reloc(p, idx);
        uint64_t imm64 = (uint64_t)(uint32_t)insn->imm | (uint64_t)(uint32_t)insn[1].imm << 32;
        long target;

        if (rel && rel->kind == BPFAOT_RELOC_MAP)
                return v_ptr(ABSINT_MAP, (uint32_t)rel->data_sec, scalar_const(0));
        if (rel && rel->kind == BPFAOT_RELOC_DATA) {
                struct absint_value v =
                    v_ptr(ABSINT_DATA, (uint32_t)rel->data_sec, scalar_const(rel->offset));
                v.readonly =
                    rel->data_sec < p->prog->data_cnt && p->prog->data[rel->data_sec].readonly;
                return v;
        }
        switch (insn->src) {
        case BPFAOT_LDDW_IMM64:
                return v_scalar(scalar_const(imm64));
        case BPFAOT_LDDW_MAP_FD:
                return v_ptr(ABSINT_MAP, ABSINT_NO_ID, scalar_const(0));
        case BPFAOT_LDDW_MAP_IDX:
                return v_ptr(ABSINT_MAP, (uint32_t)insn->imm, scalar_const(0));
        case BPFAOT_LDDW_MAP_VAL:
                return v_ptr(ABSINT_MAP_VALUE, ABSINT_NO_ID, scalar_const((uint32_t)insn[1].imm));
        case BPFAOT_LDDW_MAP_IDX_VAL:
                return v_ptr(ABSINT_MAP_VALUE, (uint32_t)insn->imm,
                             scalar_const((uint32_t)insn[1].imm));
        case BPFAOT_LDDW_CODE_ADDR:
                target = insn_code_addr_target(insn, idx, p->prog->insn_cnt);
                if (target >= 0)
                        return v_ptr(ABSINT_FUNC,
                                     (uint32_t)subprogs_index_of(&p->sp, (size_t)target),
                                     scalar_const(0));
                return v_ptr(ABSINT_PTR_OTHER, ABSINT_NO_ID, scalar_unknown());
        default:
                return v_ptr(ABSINT_PTR_OTHER, ABSINT_NO_ID, scalar_unknown());
        }
}

static void ldx(const struct bpfaot_insn *insn, size_t idx, struct absint_state *st)
{
        const struct absint_value *base = &st->reg[insn->src];
        unsigned size = insn_size_bytes(insn_size_field(insn));
        bool sx = insn_mode(insn) == BPFAOT_MODE_MEMSX;
        struct absint_value r = v_scalar(unknown_of_width(size, sx));

        if (is_ptr(base, ABSINT_STACK) && scalar_is_const(&base->s)) {
                /* A constant offset, wrapping as the address arithmetic does. */
                int64_t off = (int64_t)(base->s.umin + (uint64_t)(int64_t)insn->off);
                struct absint_slot slot = slot_get(st, slot_index(off));

                if (off % 8 == 0 && slot.spill) {
                        if (size == 8) {
                                r = slot.v;
                                /* A fill copies as a mov does: the slot and the register linked. */
                                if (!r.link && linkable(&r) && idx < ABSINT_LINK_MAX) {
                                        for_each_value(st, false, unlink_link, (uint32_t)idx + 1);
                                        r.link = (uint32_t)idx + 1;
                                        r.link_delta = 0;
                                        slot.v = r;
                                        if (!slot_set(st, &slot))
                                                forget_frame(st); /* out of memory: sound */
                                }
                        } else if (is_number(&slot.v)) /* the low bytes of a spilled number */
                                r = v_scalar(sx ? scalar_sext(&slot.v.s, size * 8)
                                                : scalar_trunc(&slot.v.s, size * 8));
                }
        }
        st->reg[insn->dst] = r;
}

/*
 * A write of `size` bytes at `base` + `off` (in the own frame or elsewhere);
 * `spill`, when not NULL, is the 8-byte value stored.
 */
static bool write_mem(const struct walk *w, struct absint_state *st,
                      const struct absint_value *base, int16_t off, unsigned size,
                      const struct absint_value *spill)
{
        uint32_t stack_size = w->a->p->stack_size;

        note_write(w, base);
        if (is_ptr(base, ABSINT_STACK)) {
                int64_t lo = sat_add(base->s.smin, off);
                int64_t hi = sat_add(sat_add(base->s.smax, off), (int64_t)size);

                if (scalar_is_const(&base->s) && spill && lo % 8 == 0) {
                        struct absint_slot slot = {
                            .index = slot_index(lo), .init = 0xff, .spill = true, .v = *spill};
                        /* A spill is a copy: a link holds there too (the kernel's spilled ids). */
                        if (lo < -(int64_t)stack_size || lo >= 0)
                                return true;
                        return slot_set(st, &slot);
                }
                return mark_written(st, lo, hi, stack_size);
        }
        if (absint_may_alias_frame(base))
                forget_frame(st);
        return true;
}

static bool store(const struct walk *w, size_t idx, const struct bpfaot_insn *insn,
                  struct absint_state *st)
{
        const struct absint_value *base = &st->reg[insn->dst];
        unsigned size = insn_size_bytes(insn_size_field(insn));
        struct absint_value v;

        if (size != 8)
                return write_mem(w, st, base, insn->off, size, NULL);
        if (bpfaot_insn_class(insn) == BPFAOT_CLASS_ST) {
                v = v_scalar(scalar_const((uint64_t)(int64_t)insn->imm));
        } else {
                /*
                 * A spill copies the register as a mov does: the slot and the
                 * register are linked (the kernel gives a spilled scalar an id),
                 * so that a fill later learns what comparisons of either teach.
                 */
                if (is_ptr(base, ABSINT_STACK) && scalar_is_const(&base->s) &&
                    insn->src != BPFAOT_REG_FP && insn->src != insn->dst)
                        link_copy(st, insn->src, idx);
                v = st->reg[insn->src];
        }
        return write_mem(w, st, base, insn->off, size, &v);
}

static bool atomic(const struct walk *w, const struct bpfaot_insn *insn, struct absint_state *st)
{
        unsigned size = insn_size_bytes(insn_size_field(insn));
        struct absint_value base = st->reg[insn->dst];

        if (insn->imm == BPFAOT_ATOMIC_CMPXCHG)
                st->reg[0] = v_scalar(unknown_of_width(size, false));
        else if (insn->imm & BPFAOT_ATOMIC_FETCH)
                st->reg[insn->src] = v_scalar(unknown_of_width(size, false));
        return write_mem(w, st, &base, insn->off, size, NULL);
}

/* ------------------------------------------------------------------ */
/* Calls                                                               */
/* ------------------------------------------------------------------ */

static const struct bpfaot_map_desc *map_of(const struct program *p, const struct absint_value *v)
{
        if (!is_ptr(v, ABSINT_MAP) || v->id == ABSINT_NO_ID || v->id >= p->prog->map_cnt)
                return NULL;
        return &p->prog->maps[v->id];
}

/*
 * Code run by a call (a callee, a callback) that can reach a maybe-NULL
 * value (given it, or a pointer into the frame holding it) may compare it
 * with 0, which proves it non-NULL in the caller too: say so.
 */
static void reached_by_callee(struct absint_state *st, unsigned first_arg, unsigned last_arg)
{
        for (unsigned r = first_arg; r <= last_arg; r++) {
                const struct absint_value *v = &st->reg[r];

                if ((v->kind == ABSINT_PTR && v->maybe_null) || absint_may_alias_frame(v) ||
                    is_ptr(v, ABSINT_CALLER_STACK)) {
                        for_each_value(st, false, mark_maybe_checked, ABSINT_NO_ID);
                        return;
                }
        }
}

/* Seed callback sub-program `sub` with arguments r1-r5. */
static void seed_sub(const struct walk *w, uint32_t sub, const struct absint_value args[5])
{
        struct absint *a = w->rec;
        struct absint_state entry = {0};

        if (!a || sub >= w->a->p->sp.cnt)
                return;
        state_entry(&entry, args);
        flow_to(a, UINT32_MAX, NULL, w->a->p->sp.start[sub], &entry, true);
        absint_state_release(&entry);
}

/* Sub-programs whose address an unknown function receives may run with anything. */
static void seed_escaped(const struct walk *w, const struct absint_state *st)
{
        struct absint_value args[5];

        for (unsigned i = 0; i < 5; i++)
                args[i] = v_unknown();
        for (unsigned r = 1; r <= 5; r++)
                if (is_ptr(&st->reg[r], ABSINT_FUNC))
                        seed_sub(w, st->reg[r].id, args);
}

static int arg_of_kind(const struct helper_sig *sig, enum helper_arg kind)
{
        for (int i = 0; i < HELPER_MAX_ARGS; i++)
                if (sig->args[i] == kind)
                        return i + 1;
        return -1;
}

/* The callback's arguments from its helper's call (state before the call). */
static void callback_args(const struct walk *w, const struct helper_sig *sig,
                          const struct absint_state *st, struct absint_value args[5])
{
        int ctx_reg = arg_of_kind(sig, HELPER_ARG_STACK_OR_NULL);
        int map_reg = arg_of_kind(sig, HELPER_ARG_MAP);
        struct absint_value ctx = v_ptr(ABSINT_CB_CTX, ABSINT_NO_ID, scalar_const(0));
        struct absint_value map = v_ptr(ABSINT_MAP, ABSINT_NO_ID, scalar_const(0));
        struct absint_value other = v_ptr(ABSINT_PTR_OTHER, ABSINT_NO_ID, scalar_unknown());

        (void)w;
        if (ctx_reg > 0) {
                const struct absint_value *c = &st->reg[ctx_reg];
                if (is_number(c) && scalar_is_const(&c->s) && c->s.umin == 0)
                        ctx = v_scalar(scalar_const(0));
                else
                        ctx.maybe_null = c->kind != ABSINT_PTR || c->maybe_null;
        }
        if (map_reg > 0 && is_ptr(&st->reg[map_reg], ABSINT_MAP))
                map.id = st->reg[map_reg].id;
        for (unsigned i = 0; i < 5; i++)
                args[i] = v_uninit();
        switch (sig->callback) {
        case HELPER_CB_LOOP:
                args[0] = v_scalar(scalar_urange(0, LOOP_MAX_ITERATIONS - 1));
                args[1] = ctx;
                break;
        case HELPER_CB_MAP_ELEM:
        case HELPER_CB_TIMER:
                args[0] = map;
                args[1] = other;
                args[2] = v_ptr(ABSINT_MAP_VALUE, map.id, scalar_const(0));
                if (sig->callback == HELPER_CB_MAP_ELEM)
                        args[3] = ctx;
                break;
        case HELPER_CB_FIND_VMA:
                args[0] = other;
                args[1] = other;
                args[2] = ctx;
                break;
        default: /* HELPER_CB_USER_RINGBUF and kinds added later: a kernel pointer and ctx */
                args[0] = other;
                args[1] = ctx;
                break;
        }
}

/* The memory helper argument `i` (1-based) may write: at most how many bytes. */
int64_t absint_helper_mem_size(const struct program *p, const struct helper_sig *sig,
                               const struct absint_state *st, unsigned i, bool least)
{
        const struct helper_arg_info *info = helper_arg_info(sig->args[i - 1]);
        int map_reg = arg_of_kind(sig, HELPER_ARG_MAP);
        const struct bpfaot_map_desc *map = map_reg > 0 ? map_of(p, &st->reg[map_reg]) : NULL;

        if (!info)
                return -1;
        if (info->fixed_size)
                return info->fixed_size;
        if ((info->flags & HELPER_ARGF_SIZED_BY_NEXT) && i < 5 && is_number(&st->reg[i + 1]))
                return least ? (st->reg[i + 1].s.umin <= INT32_MAX ? (int64_t)st->reg[i + 1].s.umin
                                                                   : INT32_MAX)
                       : st->reg[i + 1].s.umax <= p->stack_size ? (int64_t)st->reg[i + 1].s.umax
                                                                : -1;
        if ((info->flags & HELPER_ARGF_KEY_SIZED) && map)
                return map->key_size;
        if ((info->flags & HELPER_ARGF_VALUE_SIZED) && map)
                return map->value_size;
        return -1;
}

/* What a helper may write through argument `i`: all the frame when not known. */
static int64_t written_size(const struct program *p, const struct helper_sig *sig,
                            const struct absint_state *st, int i)
{
        int64_t size = absint_helper_mem_size(p, sig, st, (unsigned)i, false);

        return size < 0 ? p->stack_size : size;
}

/* r0 after a helper with signature `sig` at `idx`. */
static struct absint_value helper_result(const struct walk *w, const struct helper_sig *sig,
                                         size_t idx, const struct absint_state *st)
{
        int map_reg = arg_of_kind(sig, HELPER_ARG_MAP);
        uint32_t map_id = map_reg > 0 && is_ptr(&st->reg[map_reg], ABSINT_MAP) ? st->reg[map_reg].id
                                                                               : ABSINT_NO_ID;
        const struct bpfaot_map_desc *map = map_reg > 0 ? map_of(w->a->p, &st->reg[map_reg]) : NULL;
        struct absint_value r;

        switch (sig->ret) {
        case HELPER_RET_MAP_VALUE:
        case HELPER_RET_MAP_VALUE_OR_NULL:
                /* A map of maps gives an inner map, whose index is not known. */
                if (map && (map->type == 12 || map->type == 13)) /* ARRAY_OF_MAPS, HASH_OF_MAPS */
                        r = v_ptr(ABSINT_MAP, ABSINT_NO_ID, scalar_const(0));
                else
                        r = v_ptr(ABSINT_MAP_VALUE, map_id, scalar_const(0));
                break;
        case HELPER_RET_RINGBUF_RECORD_OR_NULL:
                r = v_ptr(ABSINT_RINGBUF, ABSINT_NO_ID, scalar_const(0));
                break;
        case HELPER_RET_KERNEL_PTR:
        case HELPER_RET_KERNEL_PTR_OR_NULL:
                r = v_ptr(ABSINT_PTR_OTHER, ABSINT_NO_ID, scalar_const(0));
                break;
        default:
                return v_scalar(scalar_unknown());
        }
        if (helper_ret_info(sig->ret)->flags & HELPER_RETF_MAYBE_NULL) {
                r.maybe_null = true;
                r.null_linked = true;
                r.origin = (uint32_t)idx;
        }
        return r;
}

static bool call_helper(const struct walk *w, size_t idx, const struct helper_sig *sig,
                        struct absint_state *st)
{
        const struct program *p = w->a->p;
        unsigned nargs = helper_sig_arg_cnt(sig);
        struct absint_value r0 = helper_result(w, sig, idx, st);
        bool ok = true;

        for (unsigned i = 1; i <= nargs; i++) {
                const struct helper_arg_info *info = helper_arg_info(sig->args[i - 1]);
                const struct absint_value *v = &st->reg[i];

                if (!info || !(info->flags & HELPER_ARGF_WRITES))
                        continue;
                note_write(w, v);
                if (is_ptr(v, ABSINT_STACK))
                        ok =
                            ok && mark_written(st, v->s.smin,
                                               sat_add(v->s.smax, written_size(p, sig, st, (int)i)),
                                               p->stack_size);
                else if (absint_may_alias_frame(v))
                        forget_frame(st);
        }
        if (sig->callback != HELPER_CB_NONE) {
                int fn = arg_of_kind(sig, HELPER_ARG_FUNC),
                    ctx = arg_of_kind(sig, HELPER_ARG_STACK_OR_NULL);
                struct absint_value args[5];

                bool known =
                    fn > 0 && is_ptr(&st->reg[fn], ABSINT_FUNC) && st->reg[fn].id < p->sp.cnt;
                /* A callback that writes no caller's frame leaves the own one as it was. */
                bool writes = !known || w->a->writes_caller[st->reg[fn].id];

                if (writes)
                        note_write(w, NULL);
                if (known) {
                        callback_args(w, sig, st, args);
                        seed_sub(w, st->reg[fn].id, args);
                }
                if (ctx > 0)
                        reached_by_callee(st, (unsigned)ctx, (unsigned)ctx);
                /* As for a local call (call_local): not only through its context. */
                if (writes)
                        forget_frame(st);
                for_each_value(st, false, unlink_any, 0);
        }
        for_each_value(st, false, unlink_origin, (uint32_t)idx);
        st->reg[0] = r0;
        return ok;
}

/* A function the analysis does not know: any result, and it may write what it is given. */
static void call_unknown(const struct walk *w, struct absint_state *st)
{
        seed_escaped(w, st);
        reached_by_callee(st, 1, 5);
        for (unsigned r = 1; r <= 5; r++) {
                note_write(w, &st->reg[r]);
                if (absint_may_alias_frame(&st->reg[r]))
                        forget_frame(st);
        }
        for_each_value(st, false, unlink_any, 0);
        st->reg[0] = v_scalar(scalar_unknown());
}

/* What r0 a callee returns means in its caller: its frames are gone. */
static struct absint_value returned_value(const struct absint_value *v)
{
        struct absint_value r = *v;

        r.may_frame = false; /* the callee's frame is gone; a caller's was passed, so escaped */
        r.clobbered = false; /* r0 no exit of the callee sets: unset, not clobbered */
        if (r.kind == ABSINT_PTR && (r.region == ABSINT_STACK || r.region == ABSINT_CALLER_STACK)) {
                r.region = ABSINT_PTR_OTHER;
                r.s = scalar_unknown();
                r.has_room = false;
        }
        return r;
}

/* A local call; false when the callee never returns (so far). */
static bool call_local(const struct walk *w, size_t idx, const struct bpfaot_insn *insn,
                       struct absint_state *st)
{
        const struct absint *a = w->a;
        size_t target = (size_t)insn_call_target(insn, idx);
        long sub = subprogs_index_of(&a->p->sp, target);
        struct absint_value args[5];

        if (sub < 0)
                return false;
        for (unsigned i = 0; i < 5; i++) {
                args[i] = st->reg[i + 1];
                if (args[i].kind == ABSINT_PTR && args[i].region == ABSINT_STACK)
                        args[i].region = ABSINT_CALLER_STACK;
                args[i].may_frame = false; /* the callee's own frame is another */
                args[i].clobbered = false; /* to the callee, an argument its caller left unset */
                unlink_value(&args[i]);
        }
        seed_sub(w, (uint32_t)sub, args);
        if (!a->returns[sub])
                return false;
        reached_by_callee(st, 1, 5);
        /*
         * A callee that writes no caller's frame leaves the own one as it
         * was. One that does may find this frame without an argument: its
         * address may have been stored in the context or a map before.
         */
        if (a->writes_caller[sub]) {
                note_write(w, NULL);
                forget_frame(st);
        }
        /* The callee may run the instructions that produced linked values again. */
        for_each_value(st, false, unlink_any, 0);
        st->reg[0] = returned_value(&a->ret[sub]);
        return true;
}

/* The signature of the helper call at `idx`, or NULL (another call, an unknown helper). */
static const struct helper_sig *helper_called(const struct program *p, size_t idx)
{
        const struct bpfaot_insn *insn = &p->prog->insns[idx];

        if (insn_is_local_call(insn) || insn_is_reg_src(insn) || insn->src != BPFAOT_CALL_HELPER ||
            program_reloc(p, idx))
                return NULL;
        return helper_sig_find((uint32_t)insn->imm);
}

static bool call(struct walk *w, size_t idx, const struct bpfaot_insn *insn,
                 struct absint_state *st)
{
        const struct helper_sig *sig = NULL;
        bool ok = true;

        if (insn_is_local_call(insn)) {
                ok = call_local(w, idx, insn, st);
        } else {
                sig = helper_called(w->a->p, idx);
                if (sig && !(sig->flags & HELPER_SIG_WRITES_INDIRECT)) {
                        if (!call_helper(w, idx, sig, st))
                                w->nomem = true;
                } else {
                        call_unknown(w, st);
                }
        }
        for (unsigned r = 1; r <= 5; r++)
                st->reg[r] = v_clobbered();
        /* Code the call runs may run the instructions links refer to. */
        for_each_value(st, false, unlink_every, 0);
        return ok;
}

/* An exit of a sub-program other than the entry: r0 joins its summary. */
static void exit_sub(const struct walk *w, size_t idx, const struct absint_state *st)
{
        struct absint *a = w->rec;
        uint32_t sub;
        struct absint_value joined;

        if (!a)
                return;
        sub = a->blocks[a->block_of[idx]].sub;
        if (sub == 0)
                return;
        if (!a->returns[sub]) {
                a->ret[sub] = st->reg[0];
                a->returns[sub] = true;
        } else {
                joined = value_join(&a->ret[sub], &st->reg[0], NULL);
                if (value_equal(&joined, &a->ret[sub]))
                        return;
                a->ret[sub] = joined;
        }
        revisit_callers(a, sub);
}

/*
 * LD_ABS/LD_IND: out of bounds, the function returns 0 at once (an exit
 * with r0 = 0); else r0 = the bytes read, zero-extended, and r1-r5 are
 * left unwritten, as a call leaves them.
 */
static void packet_load(struct walk *w, size_t idx, const struct bpfaot_insn *insn,
                        struct absint_state *st)
{
        unsigned bits = 8 * insn_size_bytes(insn_size_field(insn));

        st->reg[0] = v_scalar(scalar_const(0));
        exit_sub(w, idx, st);
        st->reg[0] = v_scalar(scalar_urange(0, (1ull << bits) - 1));
        for (unsigned r = 1; r <= 5; r++)
                st->reg[r] = v_clobbered();
}

/* ------------------------------------------------------------------ */
/* Walking blocks                                                      */
/* ------------------------------------------------------------------ */

/* Apply instruction `idx` (neither a jump nor an exit); false when no path goes on. */
static bool transfer(struct walk *w, size_t idx, struct absint_state *st)
{
        const struct bpfaot_insn *insn = &w->a->p->prog->insns[idx];
        bool ok = true;

        switch (bpfaot_insn_class(insn)) {
        case BPFAOT_CLASS_ALU:
        case BPFAOT_CLASS_ALU64:
                alu(insn, idx, st);
                break;
        case BPFAOT_CLASS_LD:
                if (insn_is_packet_load(insn))
                        packet_load(w, idx, insn, st);
                else
                        st->reg[insn->dst] = lddw_value(w, insn, idx);
                break;
        case BPFAOT_CLASS_LDX:
                ldx(insn, idx, st);
                break;
        case BPFAOT_CLASS_ST:
                ok = store(w, idx, insn, st);
                break;
        case BPFAOT_CLASS_STX:
                ok = insn_mode(insn) == BPFAOT_MODE_ATOMIC ? atomic(w, insn, st)
                                                           : store(w, idx, insn, st);
                break;
        default: /* JMP: the only instructions left are calls */
                return call(w, idx, insn, st);
        }
        if (!ok)
                w->nomem = true;
        return true;
}

/* Walk block `b` from its context `c`, flowing into its successors. */
static void walk_context(struct absint *a, uint32_t b, size_t c, struct absint_state *st,
                         struct absint_state *taken, uint8_t *tag)
{
        const struct bpfaot_prog *prog = a->p->prog;
        struct block *blk = &a->blocks[b];
        struct walk w = {.a = a, .rec = a, .sub = blk->sub};
        size_t start = blk->start, end = blk->end;

        a->visits++;
        if (a->budget < end - start) {
                a->over_budget = true;
                return;
        }
        a->budget -= end - start;
        /* Flows into this block may move its contexts: copy what the walk reads. */
        blk->ctx[c].dirty = false;
        if (a->unroll && blk->loop_cnt)
                memcpy(tag, blk->ctx[c].tag, blk->loop_cnt);
        if (!state_copy(st, &blk->ctx[c].in)) {
                a->nomem = true;
                return;
        }
        for (size_t idx = start; idx < end; idx += insn_is_lddw(&prog->insns[idx]) ? 2 : 1) {
                const struct bpfaot_insn *insn = &prog->insns[idx];
                bool taken_ok, fall_ok;

                if (insn_is_exit(insn)) {
                        exit_sub(&w, idx, st);
                        return;
                }
                if (insn_is_ja(insn)) {
                        flow_to(a, b, tag, (size_t)insn_jump_target(insn, idx), st,
                                blk->jump_retreats);
                        return;
                }
                if (insn_is_cond_jmp(insn)) {
                        if (!state_copy(taken, st)) {
                                a->nomem = true;
                                return;
                        }
                        cond_jump(a->p, insn, taken, &taken_ok, st, &fall_ok);
                        if (taken_ok)
                                flow_to(a, b, tag, (size_t)insn_jump_target(insn, idx), taken,
                                        blk->jump_retreats);
                        if (!fall_ok)
                                return;
                        continue;
                }
                if (!transfer(&w, idx, st))
                        return;
        }
        if (w.nomem)
                a->nomem = true;
        if (end < prog->insn_cnt)
                flow_to(a, b, tag, end, st, blk->fall_retreats);
}

/* Walk every context of block `b` changed since its last walk. */
static void walk_block(struct absint *a, uint32_t b, struct absint_state *st,
                       struct absint_state *taken)
{
        uint8_t tag[MAX_NEST];

        for (size_t c = 0; c < a->blocks[b].ctx_cnt && !a->nomem && !a->over_budget; c++)
                if (a->blocks[b].ctx[c].dirty)
                        walk_context(a, b, c, st, taken, tag);
}

bool absint_state_at(const struct absint *a, size_t insn, struct absint_state *out)
{
        const struct program *p = a->p;
        struct walk w = {.a = a};
        const struct block *blk;

        memset(out, 0, sizeof(*out));
        if (insn >= p->prog->insn_cnt || p->tails[insn])
                return false;
        blk = &a->blocks[a->block_of[insn]];
        if (!blk->reached || !state_copy(out, &blk->in))
                return false;
        for (size_t idx = blk->start; idx < insn; idx += insn_is_lddw(&p->prog->insns[idx]) ? 2 : 1)
                if (!transfer(&w, idx, out))
                        return false;
        return !w.nomem;
}

int absint_walk(const struct absint *a, const struct absint_pass *passes, size_t cnt)
{
        const struct bpfaot_prog *prog = a->p->prog;
        struct absint_state st = {0};
        struct walk w = {.a = a};
        int ret = 0;

        for (size_t b = 0; b < a->block_cnt && !ret; b++) {
                const struct block *blk = &a->blocks[b];

                if (!blk->reached)
                        continue;
                if (!state_copy(&st, &blk->in)) {
                        ret = -ENOMEM;
                        break;
                }
                for (size_t idx = blk->start; idx < blk->end && !ret;
                     idx += insn_is_lddw(&prog->insns[idx]) ? 2 : 1) {
                        const struct bpfaot_insn *insn = &prog->insns[idx];

                        for (size_t k = 0; k < cnt && !ret; k++)
                                if (passes[k].visit)
                                        ret = passes[k].visit(passes[k].ctx, idx, &st);
                        /* Jumps and exits end their block. */
                        if (ret || insn_is_exit(insn) || insn_is_ja(insn) || insn_is_cond_jmp(insn))
                                break;
                        if (!transfer(&w, idx, &st))
                                break;
                }
                if (!ret && w.nomem)
                        ret = -ENOMEM;
        }
        absint_state_release(&st);
        return ret;
}

void absint_slot_at(const struct absint_state *st, int32_t off, struct absint_slot *out)
{
        *out = slot_get(st, slot_index(off));
}

/* ------------------------------------------------------------------ */
/* Blocks and the fixed point                                          */
/* ------------------------------------------------------------------ */

static bool *find_leaders(const struct program *p)
{
        const struct bpfaot_prog *prog = p->prog;
        bool *leader = calloc(prog->insn_cnt + 1, sizeof(*leader));

        if (!leader)
                return NULL;
        for (size_t s = 0; s < p->sp.cnt; s++)
                leader[p->sp.start[s]] = true;
        for (size_t i = 0; i < prog->insn_cnt; i++) {
                const struct bpfaot_insn *insn = &prog->insns[i];

                if (p->tails[i] || !insn_is_jmp(insn))
                        continue;
                if (insn_is_ja(insn) || insn_is_cond_jmp(insn))
                        leader[insn_jump_target(insn, i)] = true;
                if (insn_is_ja(insn) || insn_is_cond_jmp(insn) || insn_is_exit(insn))
                        leader[i + 1] = true;
        }
        return leader;
}

/* The jump ending block `b` (its last instruction), or NULL when it ends otherwise. */
static const struct bpfaot_insn *block_jump(const struct absint *a, const struct block *b,
                                            size_t *at)
{
        const struct bpfaot_insn *insns = a->p->prog->insns;
        size_t last = b->start;

        for (size_t i = b->start; i < b->end; i += insn_is_lddw(&insns[i]) ? 2 : 1)
                last = i;
        *at = last;
        return insn_is_jmp(&insns[last]) && !insn_is_call(&insns[last]) ? &insns[last] : NULL;
}

/*
 * Mark the retreating edges of a depth-first walk from every sub-program's
 * entry: those to a block still on the walk's stack. Every cycle of the
 * control flow has one, so widening along them alone ends every loop; a
 * backward jump in instruction order is not one when it enters a loop that
 * clang placed above its entry.
 */
static int find_retreating(struct absint *a)
{
        enum { NEW, ON_STACK, DONE };
        uint8_t *mark = calloc(a->block_cnt ? a->block_cnt : 1, 1);
        uint32_t *stack = malloc((a->block_cnt ? a->block_cnt : 1) * sizeof(*stack));
        uint8_t *next = calloc(a->block_cnt ? a->block_cnt : 1, 1); /* successor to try next */
        size_t cnt = a->p->prog->insn_cnt;

        if (!mark || !stack || !next) {
                free(mark);
                free(stack);
                free(next);
                return -ENOMEM;
        }
        for (size_t s = 0; s < a->p->sp.cnt; s++) {
                size_t depth = 0;
                uint32_t root = a->block_of[a->p->sp.start[s]];

                if (mark[root] != NEW)
                        continue;
                stack[depth++] = root;
                mark[root] = ON_STACK;
                while (depth) {
                        uint32_t b = stack[depth - 1];
                        struct block *blk = &a->blocks[b];
                        size_t at;
                        const struct bpfaot_insn *j = block_jump(a, blk, &at);
                        long succ = -1;
                        bool is_jump = false;

                        /* Successor 0: the jump's target; 1: the fall-through. */
                        if (next[b] == 0 && j && (insn_is_ja(j) || insn_is_cond_jmp(j))) {
                                succ = insn_jump_target(j, at);
                                is_jump = true;
                        } else if (next[b] <= 1 && !(j && (insn_is_ja(j) || insn_is_exit(j))) &&
                                   blk->end < cnt) {
                                succ = (long)blk->end;
                                next[b] = 1;
                        } else {
                                mark[b] = DONE;
                                depth--;
                                continue;
                        }
                        next[b]++;
                        uint32_t t = a->block_of[succ];
                        if (mark[t] == ON_STACK) {
                                *(is_jump ? &blk->jump_retreats : &blk->fall_retreats) = true;
                                a->blocks[t].loop_head = true;
                        } else if (mark[t] == NEW) {
                                mark[t] = ON_STACK;
                                stack[depth++] = t;
                        }
                }
        }
        free(mark);
        free(stack);
        free(next);
        return 0;
}

static int make_blocks(struct absint *a)
{
        const struct program *p = a->p;
        size_t cnt = p->prog->insn_cnt, sub = 0;
        bool *leader = find_leaders(p);

        a->block_of = calloc(cnt ? cnt : 1, sizeof(*a->block_of));
        if (!leader || !a->block_of) {
                free(leader);
                return -ENOMEM;
        }
        for (size_t i = 0; i < cnt; i++) {
                struct block *b;

                if (leader[i] && !p->tails[i]) {
                        if (a->block_cnt)
                                a->blocks[a->block_cnt - 1].end = i;
                        b = ARRAY_ADD(a->blocks, a->block_cnt);
                        if (!b) {
                                free(leader);
                                return -ENOMEM;
                        }
                        while (sub + 1 < p->sp.cnt && i >= p->sp.start[sub + 1])
                                sub++;
                        b->start = i;
                        b->sub = (uint32_t)sub;
                        b->sub_entry = i == p->sp.start[sub];
                }
                a->block_of[i] = (uint32_t)(a->block_cnt - 1);
        }
        if (a->block_cnt)
                a->blocks[a->block_cnt - 1].end = cnt;
        free(leader);
        return find_retreating(a);
}

/* Loop `l` holds block `b`; past MAX_NEST loops, the one found first is forgotten. */
static bool add_loop(struct absint *a, uint32_t b, uint32_t l)
{
        struct block *blk = &a->blocks[b];

        if (blk->loop_cnt == MAX_NEST) {
                memmove(blk->loops, blk->loops + 1, (MAX_NEST - 1) * sizeof(*blk->loops));
                blk->loops[MAX_NEST - 1] = l;
                return true;
        }
        if (!blk->loops && !(blk->loops = malloc(MAX_NEST * sizeof(*blk->loops))))
                return false;
        blk->loops[blk->loop_cnt++] = l;
        return true;
}

/* The successors of block `b` in its sub-program: its jump's target, its fall-through. */
static size_t block_succs(const struct absint *a, uint32_t b, uint32_t out[2], bool retreats[2])
{
        const struct block *blk = &a->blocks[b];
        size_t at, n = 0;
        const struct bpfaot_insn *j = block_jump(a, blk, &at);

        if (j && (insn_is_ja(j) || insn_is_cond_jmp(j))) {
                retreats[n] = blk->jump_retreats;
                out[n++] = a->block_of[insn_jump_target(j, at)];
        }
        if (!(j && (insn_is_ja(j) || insn_is_exit(j))) && blk->end < a->p->prog->insn_cnt) {
                retreats[n] = blk->fall_retreats;
                out[n++] = a->block_of[blk->end];
        }
        return n;
}

/*
 * The natural loop of every head: the head and the blocks that reach one of
 * its retreating edges without passing it. Each block learns the loops
 * holding it (the MAX_NEST innermost: those found last for nested heads).
 * Without memory, or when the loops hold too many blocks in all, no block
 * gets any (and nothing is unrolled).
 */
static int find_loops(struct absint *a)
{
        size_t n = a->block_cnt, edges = 0, members = 0;
        size_t *first = calloc(n + 1, sizeof(*first));
        uint32_t *pred = NULL, *work = malloc((n ? n : 1) * sizeof(*work));
        uint32_t *seen = calloc(n ? n : 1, sizeof(*seen)); /* loop index + 1 last marked */
        uint32_t succ[2];
        bool ret[2];
        int err = 0;

        if (!first || !work || !seen)
                goto nomem;
        for (uint32_t b = 0; b < n; b++)
                for (size_t k = block_succs(a, b, succ, ret); k--;)
                        first[succ[k] + 1]++;
        for (size_t b = 0; b < n; b++)
                first[b + 1] += first[b];
        edges = first[n];
        pred = malloc((edges ? edges : 1) * sizeof(*pred));
        if (!pred)
                goto nomem;
        {
                size_t *fill = calloc(n ? n : 1, sizeof(*fill));
                if (!fill)
                        goto nomem;
                for (uint32_t b = 0; b < n; b++)
                        for (size_t k = block_succs(a, b, succ, ret); k--;)
                                pred[first[succ[k]] + fill[succ[k]]++] = b;
                free(fill);
        }
        for (uint32_t h = 0; h < n && !err; h++) {
                size_t depth = 0;
                uint32_t l, *slot;
                uint8_t *limit;

                if (!a->blocks[h].loop_head)
                        continue;
                slot = ARRAY_ADD(a->loop_head, a->loop_cnt);
                if (!slot)
                        goto nomem;
                *slot = h;
                l = (uint32_t)(a->loop_cnt - 1);
                limit = realloc(a->loop_limit, a->loop_cnt);
                if (!limit)
                        goto nomem;
                a->loop_limit = limit;
                a->loop_limit[l] = UNROLL_LEAF;
                seen[h] = l + 1;
                for (size_t e = first[h]; e < first[h + 1]; e++) {
                        uint32_t p = pred[e];
                        size_t k = block_succs(a, p, succ, ret);
                        bool latch = false;

                        while (k--)
                                latch |= succ[k] == h && ret[k];
                        if (latch && seen[p] != l + 1) {
                                seen[p] = l + 1;
                                work[depth++] = p;
                        }
                }
                /* Members: the head, and whatever reaches a latch backwards. */
                if (!add_loop(a, h, l))
                        goto nomem;
                while (depth) {
                        uint32_t b = work[--depth];

                        if (!add_loop(a, b, l))
                                goto nomem;
                        if (a->blocks[b].loop_head && b != h)
                                a->loop_limit[l] = UNROLL; /* it holds another loop */
                        if (++members > UNROLL_BUDGET_PER_INSN * a->p->prog->insn_cnt + n) {
                                err = 1;
                                break;
                        }
                        for (size_t e = first[b]; e < first[b + 1]; e++)
                                if (seen[pred[e]] != l + 1 &&
                                    a->blocks[pred[e]].sub == a->blocks[h].sub) {
                                        seen[pred[e]] = l + 1;
                                        work[depth++] = pred[e];
                                }
                }
        }
        if (err) /* too costly: keep iterations together */
                for (size_t b = 0; b < n; b++)
                        a->blocks[b].loop_cnt = 0;
        free(first);
        free(pred);
        free(work);
        free(seen);
        return 0;
nomem:
        free(first);
        free(pred);
        free(work);
        free(seen);
        return -ENOMEM;
}

/* The blocks holding local calls, grouped by callee. */
static int index_calls(struct absint *a)
{
        const struct program *p = a->p;
        const struct bpfaot_prog *prog = p->prog;
        size_t n = p->sp.cnt, total = 0;

        a->call_first = calloc(n + 1, sizeof(*a->call_first));
        if (!a->call_first)
                return -ENOMEM;
        for (int pass = 0; pass < 2; pass++) {
                size_t *fill = NULL;

                if (pass == 1) {
                        for (size_t s = 0; s < n; s++)
                                a->call_first[s + 1] += a->call_first[s];
                        total = a->call_first[n];
                        a->call_blocks = calloc(total ? total : 1, sizeof(*a->call_blocks));
                        fill = calloc(n ? n : 1, sizeof(*fill));
                        if (!a->call_blocks || !fill) {
                                free(fill);
                                return -ENOMEM;
                        }
                }
                for (size_t i = 0; i < prog->insn_cnt; i++) {
                        const struct helper_sig *sig;
                        long s;

                        if (p->tails[i] || !insn_is_call(&prog->insns[i]))
                                continue;
                        if (!insn_is_local_call(&prog->insns[i])) {
                                uint32_t *slot;

                                sig = helper_called(p, i);
                                if (pass == 1 || !sig || sig->callback == HELPER_CB_NONE)
                                        continue;
                                slot = ARRAY_ADD(a->cb_call_blocks, a->cb_call_cnt);
                                if (!slot)
                                        return -ENOMEM;
                                *slot = a->block_of[i];
                                continue;
                        }
                        s = subprogs_index_of(&p->sp, (size_t)insn_call_target(&prog->insns[i], i));
                        if (s < 0)
                                continue;
                        if (pass == 0)
                                a->call_first[s + 1]++;
                        else
                                a->call_blocks[a->call_first[s] + fill[s]++] = a->block_of[i];
                }
                free(fill);
        }
        return 0;
}

static void run_worklist(struct absint *a, struct absint_state *st, struct absint_state *taken)
{
        while (a->heap_cnt && !a->nomem)
                walk_block(a, heap_pop(a), st, taken);
}

/* Callbacks no known call reached: their address escaped; anything may be passed. */
static bool seed_unreached_callbacks(struct absint *a)
{
        struct walk w = {.a = a, .rec = a};
        struct absint_value args[5];
        bool seeded = false;

        for (unsigned i = 0; i < 5; i++)
                args[i] = v_unknown();
        for (size_t s = 0; s < a->p->sp.cnt; s++) {
                if (!a->p->sp.callback[s] || a->blocks[a->block_of[a->p->sp.start[s]]].reached)
                        continue;
                seed_sub(&w, (uint32_t)s, args);
                seeded = true;
        }
        return seeded;
}

/* The entry state of each block: the join of its contexts, which are then freed. */
static bool join_contexts(struct absint *a)
{
        for (size_t b = 0; b < a->block_cnt; b++) {
                struct block *blk = &a->blocks[b];
                bool first = true;

                for (size_t c = 0; c < blk->ctx_cnt; c++) {
                        struct context *ctx = &blk->ctx[c];

                        if (!ctx->reached)
                                continue;
                        if (first) {
                                blk->in = ctx->in; /* moved */
                                memset(&ctx->in, 0, sizeof(ctx->in));
                                first = false;
                        } else if (!state_join(&a->scratch, &blk->in, &ctx->in, NULL)) {
                                return false;
                        } else {
                                struct absint_state t = blk->in;
                                blk->in = a->scratch;
                                a->scratch = t;
                        }
                }
                free_contexts(blk);
        }
        return true;
}

/*
 * The fixed point with `unroll` iterations of each loop apart, walking at
 * most `budget` instructions: 0, or -ENOMEM, or -E2BIG past the budget.
 */
static int cmp_i64(const void *x, const void *y)
{
        int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

        return (a > b) - (a < b);
}

/* absint.thresholds: k - 1, k, k + 1 for each constant k a conditional jump compares with. */
static int find_thresholds(struct absint *a)
{
        const struct bpfaot_prog *prog = a->p->prog;
        size_t n = 0, cnt = 0;

        for (size_t i = 0; i < prog->insn_cnt; i++)
                n += !a->p->tails[i] && insn_is_cond_jmp(&prog->insns[i]) &&
                     !insn_is_reg_src(&prog->insns[i]);
        if (!n)
                return 0;
        a->thresholds = malloc(3 * n * sizeof(*a->thresholds));
        if (!a->thresholds)
                return -ENOMEM;
        for (size_t i = 0; i < prog->insn_cnt; i++) {
                const struct bpfaot_insn *insn = &prog->insns[i];
                int64_t k = insn->imm;

                if (a->p->tails[i] || !insn_is_cond_jmp(insn) || insn_is_reg_src(insn))
                        continue;
                a->thresholds[cnt++] = k - 1; /* imm is 32-bit: no overflow */
                a->thresholds[cnt++] = k;
                a->thresholds[cnt++] = k + 1;
        }
        qsort(a->thresholds, cnt, sizeof(*a->thresholds), cmp_i64);
        n = 0;
        for (size_t i = 0; i < cnt; i++)
                if (!n || a->thresholds[i] != a->thresholds[n - 1])
                        a->thresholds[n++] = a->thresholds[i];
        a->threshold_cnt = n;
        return 0;
}

static int analyse(const struct program *p, unsigned unroll, size_t budget, struct absint **out)
{
        struct absint *a = calloc(1, sizeof(*a));
        struct absint_state st = {0}, taken = {0};
        struct absint_value args[5];
        int ret;

        *out = NULL;
        if (!a)
                return -ENOMEM;
        a->p = p;
        a->unroll = unroll;
        a->budget = budget;
        ret = make_blocks(a);
        ret = ret ?: index_calls(a);
        ret = ret ?: (unroll ? find_loops(a) : 0);
        ret = ret ?: find_thresholds(a);
        if (!ret) {
                a->ret = calloc(p->sp.cnt, sizeof(*a->ret));
                a->returns = calloc(p->sp.cnt, sizeof(*a->returns));
                a->writes_caller = calloc(p->sp.cnt, sizeof(*a->writes_caller));
                a->heap = calloc(a->block_cnt ? a->block_cnt : 1, sizeof(*a->heap));
                a->queued = calloc(a->block_cnt ? a->block_cnt : 1, sizeof(*a->queued));
                a->tag_buf = calloc(MAX_NEST, 1);
                if (!a->ret || !a->returns || !a->writes_caller || !a->heap || !a->queued ||
                    !a->tag_buf)
                        ret = -ENOMEM;
        }
        if (ret) {
                absint_free(a);
                return ret;
        }
        /* The entry: r1 the context, r2 its size (the native entry's second argument). */
        for (unsigned i = 0; i < 5; i++)
                args[i] = v_uninit();
        args[0] = v_ptr(ABSINT_CTX, ABSINT_NO_ID, scalar_const(0));
        args[1] = v_scalar(scalar_unknown());
        room_set(&args[1], 0); /* the context's size itself */
        state_entry(&st, args);
        if (p->prog->insn_cnt)
                flow_to(a, UINT32_MAX, NULL, 0, &st, false);
        do
                run_worklist(a, &st, &taken);
        while (!a->nomem && !a->over_budget && seed_unreached_callbacks(a));
        absint_state_release(&st);
        absint_state_release(&taken);
        ret = a->nomem ? -ENOMEM : a->over_budget ? -E2BIG : 0;
        if (!ret && !join_contexts(a))
                ret = -ENOMEM;
        if (ret) {
                absint_free(a);
                return ret;
        }
        *out = a;
        return 0;
}

int absint_run(const struct program *p, struct absint **out, struct bpfaot_error *err)
{
        size_t insns = p->prog->insn_cnt;
        size_t budget = insns > (SIZE_MAX - UNROLL_BUDGET_MIN) / UNROLL_BUDGET_PER_INSN
                            ? SIZE_MAX
                            : UNROLL_BUDGET_PER_INSN * insns + UNROLL_BUDGET_MIN;
        int ret;

        if (p->analysis_budget && p->analysis_budget < budget)
                budget = p->analysis_budget;
        ret = analyse(p, UNROLL, budget, out);
        /* Too many paths apart: iterations share a context, as loops converge by widening. */
        if (ret == -E2BIG) {
                budget = insns > (SIZE_MAX - SETTLE_BUDGET_MIN) / SETTLE_BUDGET_PER_INSN
                             ? SIZE_MAX
                             : SETTLE_BUDGET_PER_INSN * insns + SETTLE_BUDGET_MIN;
                if (p->analysis_budget)
                        budget = p->analysis_budget;
                ret = analyse(p, 0, budget, out);
        }
        if (ret == -E2BIG)
                return bpfaot_error_set(err, E2BIG,
                                        "%s: %s: the register analysis did not settle within %zu "
                                        "instruction visits",
                                        p->prog->input ? p->prog->input : "?",
                                        p->prog->name ? p->prog->name : "?", budget);
        return ret ? bpfaot_error_nomem(err) : 0;
}

void absint_free(struct absint *a)
{
        if (!a)
                return;
        for (size_t b = 0; b < a->block_cnt; b++) {
                free_contexts(&a->blocks[b]);
                absint_state_release(&a->blocks[b].in);
                free(a->blocks[b].loops);
        }
        free(a->blocks);
        free(a->block_of);
        free(a->ret);
        free(a->returns);
        free(a->writes_caller);
        free(a->call_first);
        free(a->call_blocks);
        free(a->cb_call_blocks);
        free(a->heap);
        free(a->queued);
        free(a->loop_head);
        free(a->loop_limit);
        free(a->tag_buf);
        free(a->thresholds);
        absint_state_release(&a->scratch);
        free(a);
}

void absint_stats(const struct absint *a, size_t *blocks, size_t *visits)
{
        *blocks = a->block_cnt;
        *visits = a->visits;
}

/* ------------------------------------------------------------------ */
/* The log                                                             */
/* ------------------------------------------------------------------ */

static const char *const region_names[ABSINT_REGION_CNT] = {
    [ABSINT_CTX] = "ctx",
    [ABSINT_STACK] = "fp",
    [ABSINT_CALLER_STACK] = "caller_fp",
    [ABSINT_MAP] = "map_ptr",
    [ABSINT_MAP_VALUE] = "map_value",
    [ABSINT_DATA] = "data",
    [ABSINT_RINGBUF] = "ringbuf_mem",
    [ABSINT_CB_CTX] = "cb_ctx",
    [ABSINT_FUNC] = "func",
    [ABSINT_PTR_OTHER] = "ptr",
};

const char *absint_region_name(enum absint_region region)
{
        return (unsigned)region < ABSINT_REGION_CNT ? region_names[region] : "?";
}

/* Which object `id` names, per region (NULL: none). */
static const char *id_label(enum absint_region region)
{
        switch (region) {
        case ABSINT_MAP:
        case ABSINT_MAP_VALUE:
                return "map";
        case ABSINT_DATA:
                return "sec";
        case ABSINT_FUNC:
                return "subprog";
        default:
                return NULL;
        }
}

static int print_value(char *buf, size_t size, const struct absint_value *v);

/* A value, then its room as `<=size-N`: the value plus N is at most the context's size. */
int absint_print_value(char *buf, size_t size, const struct absint_value *v)
{
        int n = print_value(buf, size, v), m;
        int64_t lo, hi;

        /* A room that says no more than S >= 0 (a constant's own) is not worth a word. */
        if (!v->has_room || n < 0 ||
            (room_range(v, &lo, &hi) && hi <= INT64_MAX - INT32_MAX && hi + v->room <= 0))
                return n;
        m = v->room ? snprintf((size_t)n < size ? buf + n : NULL,
                               (size_t)n < size ? size - (size_t)n : 0, "<=size%+" PRId64,
                               -(int64_t)v->room)
                    : snprintf((size_t)n < size ? buf + n : NULL,
                               (size_t)n < size ? size - (size_t)n : 0, "<=size");
        return m < 0 ? m : n + m;
}

static int print_value(char *buf, size_t size, const struct absint_value *v)
{
        char off[192];
        const char *label;

        switch (v->kind) {
        case ABSINT_UNINIT:
                return snprintf(buf, size, "uninit");
        case ABSINT_SCALAR:
                return scalar_print(buf, size, &v->s);
        case ABSINT_UNKNOWN:
                return snprintf(buf, size, "unknown");
        default:
                break;
        }
        /* The frame pointer as the kernel writes it: fp0, fp-8. */
        if (v->region == ABSINT_STACK && scalar_is_const(&v->s))
                return snprintf(buf, size, "fp%" PRId64, (int64_t)v->s.umin);
        if (scalar_is_const(&v->s))
                snprintf(off, sizeof(off), "%" PRId64, (int64_t)v->s.umin);
        else
                scalar_print(off, sizeof(off), &v->s);
        label = id_label(v->region);
        if (label && v->id != ABSINT_NO_ID)
                return snprintf(buf, size, "%s%s(%s=%" PRIu32 ",off=%s)",
                                absint_region_name(v->region), v->maybe_null ? "_or_null" : "",
                                label, v->id, off);
        if (scalar_is_const(&v->s) && v->s.umin == 0)
                return snprintf(buf, size, "%s%s()", absint_region_name(v->region),
                                v->maybe_null ? "_or_null" : "");
        return snprintf(buf, size, "%s%s(off=%s)", absint_region_name(v->region),
                        v->maybe_null ? "_or_null" : "", off);
}

/* Append to buf at *len (snprintf's rules: *len counts what would have been written). */
static void appendf(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void appendf(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(*len < size ? buf + *len : NULL, *len < size ? size - *len : 0, fmt, ap);
        va_end(ap);
        if (n > 0)
                *len += (size_t)n;
}

int absint_print_insn(const struct absint *a, size_t insn, char *buf, size_t size)
{
        struct absint_state st;
        char val[256];
        size_t len = 0;

        if (size)
                buf[0] = '\0';
        if (!absint_state_at(a, insn, &st)) {
                absint_state_release(&st);
                return snprintf(buf, size, "unreachable");
        }
        for (unsigned r = 0; r < BPFAOT_NUM_REGS; r++) {
                const struct absint_value *v = &st.reg[r];

                if (v->kind == ABSINT_UNINIT)
                        continue;
                absint_print_value(val, sizeof(val), v);
                appendf(buf, size, &len, "%sR%u=%s%s", len ? " " : "", r, val,
                        v->maybe_uninit ? "?" : "");
        }
        /* Slots nearest the frame pointer first, as the kernel prints them. */
        for (size_t i = st.slot_cnt; i-- > 0;) {
                const struct absint_slot *s = &st.slots[i];
                char bytes[9];

                if (s->spill) {
                        absint_print_value(val, sizeof(val), &s->v);
                        appendf(buf, size, &len, " fp%d=%s", 8 * s->index, val);
                        continue;
                }
                for (unsigned b = 0; b < 8; b++) /* the highest address first */
                        bytes[b] = s->init & (1u << (7 - b)) ? 'm' : '?';
                bytes[8] = '\0';
                appendf(buf, size, &len, " fp%d=%s", 8 * s->index, bytes);
        }
        if (st.rest_init)
                appendf(buf, size, &len, " fp*=mmmmmmmm");
        if (st.ctx_min)
                appendf(buf, size, &len, " size>=%" PRIu64, st.ctx_min);
        absint_state_release(&st);
        return (int)len;
}

/* SPDX-License-Identifier: MIT */
/*
 * What a scalar register may hold (see scalar.c): known bits (a tnum) plus
 * signed and unsigned bounds of the 64-bit value and of its low 32 bits, and
 * the transfer functions of the eBPF ALU and conditional jumps over them.
 * Pure values, no allocation: the abstract domain of the register analysis.
 */
#ifndef BPFAOT_SCALAR_H
#define BPFAOT_SCALAR_H

#include "bpfaot/bpfaot.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Known bits of a 64-bit value: a bit set in `mask` is unknown; the others
 * are those of `value` (value & mask == 0). The values it stands for are
 * value | m for every m whose bits are all in mask.
 */
struct tnum {
        uint64_t value, mask;
};

struct tnum tnum_const(uint64_t value);
struct tnum tnum_unknown(void);
/* The smallest tnum holding every value in [min, max] (min <= max). */
struct tnum tnum_range(uint64_t min, uint64_t max);

struct tnum tnum_add(struct tnum a, struct tnum b);
struct tnum tnum_sub(struct tnum a, struct tnum b);
struct tnum tnum_mul(struct tnum a, struct tnum b);
struct tnum tnum_neg(struct tnum a);
struct tnum tnum_and(struct tnum a, struct tnum b);
struct tnum tnum_or(struct tnum a, struct tnum b);
struct tnum tnum_xor(struct tnum a, struct tnum b);
/*
 * Shifts by a known amount `shift` < `width` in a `width`-bit (32 or 64)
 * operation: the 32-bit forms work on the low half and zero-extend.
 */
struct tnum tnum_lshift(struct tnum a, unsigned shift, unsigned width);
struct tnum tnum_rshift(struct tnum a, unsigned shift, unsigned width);
struct tnum tnum_arshift(struct tnum a, unsigned shift, unsigned width);
/* Byte order reversed in the low `bits` (16, 32 or 64) bits, the rest zero. */
struct tnum tnum_bswap(struct tnum a, unsigned bits);

/* Values in both (meaningless when tnum_conflict) and values in either. */
struct tnum tnum_intersect(struct tnum a, struct tnum b);
struct tnum tnum_union(struct tnum a, struct tnum b);
/* No value is in both: some bit is known in both and differs. */
bool tnum_conflict(struct tnum a, struct tnum b);

/* The low `bytes` bytes, zero-extended; tnum_subreg is the low 32 bits. */
struct tnum tnum_cast(struct tnum a, unsigned bytes);
struct tnum tnum_subreg(struct tnum a);
/* The high 32 bits, low half zero; and the high half of `a` with the low half of `low`. */
struct tnum tnum_clear_subreg(struct tnum a);
struct tnum tnum_with_subreg(struct tnum a, struct tnum low);
/* The low `bits` bits (8, 16, 32 or 64) sign-extended. */
struct tnum tnum_sext(struct tnum a, unsigned bits);

bool tnum_is_const(struct tnum a);
bool tnum_is_unknown(struct tnum a);
bool tnum_contains(struct tnum a, uint64_t v);
/* Every value of `inner` is a value of `outer`. */
bool tnum_subset(struct tnum inner, struct tnum outer);
/* "(0x<value>; 0x<mask>)", or the value when known, as snprintf into buf. */
int tnum_print(char *buf, size_t size, struct tnum a);

/*
 * A scalar: the values v with v in `bits`, smin <= (int64_t)v <= smax,
 * umin <= v <= umax, s32min <= (int32_t)v <= s32max and
 * u32min <= (uint32_t)v <= u32max. Every function returns the components
 * kept consistent with each other (scalar_sync), so that what one learns
 * (a bound, a bit, the low half) the others know too.
 */
struct scalar {
        struct tnum bits;
        int64_t smin, smax;
        uint64_t umin, umax;
        int32_t s32min, s32max;
        uint32_t u32min, u32max;
};

struct scalar scalar_unknown(void);
struct scalar scalar_const(uint64_t value);
struct scalar scalar_from_tnum(struct tnum bits);
/* Values in [min, max] (min <= max), unsigned and signed. */
struct scalar scalar_urange(uint64_t min, uint64_t max);
struct scalar scalar_srange(int64_t min, int64_t max);

/*
 * Tighten every component from the others until they agree. False when they
 * contradict each other: no value is described (an infeasible branch).
 */
bool scalar_sync(struct scalar *s);

bool scalar_is_const(const struct scalar *s);
bool scalar_contains(const struct scalar *s, uint64_t v);
bool scalar_equal(const struct scalar *a, const struct scalar *b);
/* Every value of `inner` is a value of `outer` (as far as the components show). */
bool scalar_within(const struct scalar *inner, const struct scalar *outer);

/* Values in both; false when there are none. */
bool scalar_meet(const struct scalar *a, const struct scalar *b, struct scalar *out);
/* The least scalar holding the values of both (control-flow merges). */
struct scalar scalar_join(const struct scalar *a, const struct scalar *b);
/*
 * `old` joined with `new` where whatever grew jumps to its type's limit, so
 * that a loop's fixed point comes in a few steps: for loop heads, after a
 * few iterations of plain joins.
 */
struct scalar scalar_widen(const struct scalar *old, const struct scalar *new);

/* The low `bits` (8, 16, 32 or 64) bits, zero-extended (narrow loads, 32-bit results). */
struct scalar scalar_trunc(const struct scalar *s, unsigned bits);
/* The low `bits` (8, 16, 32 or 64) bits, sign-extended (movsx, sign-extending loads). */
struct scalar scalar_sext(const struct scalar *s, unsigned bits);

/*
 * The result of ALU or ALU64 instruction `insn` (any operation, byte swaps
 * included) with destination `dst` and source register `src`, following
 * RFC 9669: a 32-bit result is zero-extended, x / 0 = 0, x % 0 = x.
 * `src` is not read when the source is the immediate, for neg and for end;
 * NULL stands for an unknown source.
 */
struct scalar scalar_alu(const struct bpfaot_insn *insn, const struct scalar *dst,
                         const struct scalar *src);

/* One edge of a conditional jump: whether it can be followed, and the operands on it. */
struct scalar_edge {
        bool feasible;
        struct scalar dst, src; /* meaningful when feasible */
};

/*
 * The two edges of conditional jump `insn` (JMP or JMP32, any condition)
 * comparing `dst` with `src` (NULL when the source is the immediate, or
 * unknown): `taken` when the condition holds, `fallthrough` otherwise. A
 * jump that is never taken has !taken->feasible; one always taken
 * !fallthrough->feasible. For the immediate, `src` on the edges is its value.
 */
void scalar_branch(const struct bpfaot_insn *insn, const struct scalar *dst,
                   const struct scalar *src, struct scalar_edge *taken,
                   struct scalar_edge *fallthrough);

/*
 * The kernel verifier log's form, as snprintf into buf: a constant as its
 * value, otherwise "scalar(smin=..,umax=..,var_off=(0x..; 0x..))" naming only
 * the bounds that say something (equal ones merged: "smin=smin32=0").
 */
int scalar_print(char *buf, size_t size, const struct scalar *s);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The scalar abstract domain: what a register that holds a number may hold.
 *
 * A scalar is a reduced product of known bits (a tnum, after the Linux
 * verifier's "tristate numbers") and four intervals: signed and unsigned
 * bounds of the 64-bit value and of its low 32 bits. Each component catches
 * what the others miss (an alignment, a range, a sign, a low half), and
 * scalar_sync passes every fact from one component to the others after each
 * operation, as the kernel's reg_bounds_sync does.
 *
 * Soundness comes first: every transfer function returns a scalar holding
 * every concrete result for every concrete input of its operands (the unit
 * test checks this on random operands). Precision follows the kernel for
 * constants, add, sub, mul, the bitwise operations and shifts; division and
 * modulo by a non-constant mostly keep only what the operation implies.
 *
 * A 32-bit ALU operation is its 64-bit counterpart on the operands' low
 * halves, widened (zero- or sign-extended as the operation reads them), with
 * the result's low half kept; where the low half of a 64-bit result depends
 * only on the operands' low halves (add, mul, and, ...), the 32-bit result
 * also tightens the 64-bit one's low-half bounds.
 */
#include "internal.h"
#include "scalar.h"
#include "eval.h"
#include "insn.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#define SIGN64    (UINT64_C(1) << 63)
#define SIGN32    (UINT32_C(1) << 31)
#define LOW32     UINT64_C(0xffffffff)
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* ------------------------------------------------------------------ */
/* Known bits                                                          */
/* ------------------------------------------------------------------ */

static struct tnum tnum_make(uint64_t value, uint64_t mask)
{
        return (struct tnum){.value = value & ~mask, .mask = mask};
}

struct tnum tnum_const(uint64_t value)
{
        return tnum_make(value, 0);
}

struct tnum tnum_unknown(void)
{
        return tnum_make(0, UINT64_MAX);
}

struct tnum tnum_range(uint64_t min, uint64_t max)
{
        /* Values between min and max share the bits above the highest bit where they differ. */
        uint64_t differ = min ^ max;
        uint64_t below;

        if (!differ)
                return tnum_const(min);
        below = UINT64_MAX >> __builtin_clzll(differ);
        return tnum_make(min, below);
}

/*
 * A carry chain through unknown bits: adding the unknown bits as ones and as
 * zeros and comparing the two sums shows every bit a carry may reach.
 */
struct tnum tnum_add(struct tnum a, struct tnum b)
{
        uint64_t low = a.value + b.value;
        uint64_t high = low + a.mask + b.mask;

        return tnum_make(low, (low ^ high) | a.mask | b.mask);
}

/*
 * As tnum_add: the largest difference (a's unknown bits ones, b's zeros) and
 * the smallest differ in every bit a borrow may reach.
 */
struct tnum tnum_sub(struct tnum a, struct tnum b)
{
        uint64_t diff = a.value - b.value;
        uint64_t largest = diff + a.mask, smallest = diff - b.mask;

        return tnum_make(diff, (largest ^ smallest) | a.mask | b.mask);
}

/*
 * Long multiplication: the product of the known parts is exact; each row
 * that a known one of `a` adds contributes b's unknown bits, each row an
 * unknown bit of `a` may add contributes every bit b may have. Those rows are
 * summed as uncertainty and added to the exact product last.
 */
struct tnum tnum_mul(struct tnum a, struct tnum b)
{
        struct tnum uncertain = tnum_const(0);
        uint64_t exact = a.value * b.value;

        while (a.value | a.mask) {
                if (a.value & 1)
                        uncertain = tnum_add(uncertain, tnum_make(0, b.mask));
                else if (a.mask & 1)
                        uncertain = tnum_add(uncertain, tnum_make(0, b.value | b.mask));
                a = tnum_rshift(a, 1, 64);
                b = tnum_lshift(b, 1, 64);
        }
        return tnum_add(tnum_const(exact), uncertain);
}

struct tnum tnum_neg(struct tnum a)
{
        return tnum_sub(tnum_const(0), a);
}

/* A one where both are known ones; unknown where both may be one. */
struct tnum tnum_and(struct tnum a, struct tnum b)
{
        uint64_t ones = a.value & b.value;

        return tnum_make(ones, (a.value | a.mask) & (b.value | b.mask) & ~ones);
}

/* A one where either is a known one; unknown where either is unknown. */
struct tnum tnum_or(struct tnum a, struct tnum b)
{
        uint64_t ones = a.value | b.value;

        return tnum_make(ones, (a.mask | b.mask) & ~ones);
}

struct tnum tnum_xor(struct tnum a, struct tnum b)
{
        return tnum_make(a.value ^ b.value, a.mask | b.mask);
}

struct tnum tnum_lshift(struct tnum a, unsigned shift, unsigned width)
{
        struct tnum r = tnum_make(a.value << shift, a.mask << shift);

        return width == 32 ? tnum_subreg(r) : r;
}

struct tnum tnum_rshift(struct tnum a, unsigned shift, unsigned width)
{
        if (width == 32)
                a = tnum_subreg(a);
        return tnum_make(a.value >> shift, a.mask >> shift);
}

/* An unknown sign bit makes every bit it is copied into unknown. */
struct tnum tnum_arshift(struct tnum a, unsigned shift, unsigned width)
{
        if (width == 32)
                return tnum_subreg(tnum_make((uint64_t)((int64_t)(int32_t)a.value >> shift),
                                             (uint64_t)((int64_t)(int32_t)a.mask >> shift)));
        return tnum_make((uint64_t)((int64_t)a.value >> shift),
                         (uint64_t)((int64_t)a.mask >> shift));
}

static uint64_t bswap(uint64_t v, unsigned bits)
{
        switch (bits) {
        case 16:
                return __builtin_bswap16((uint16_t)v);
        case 32:
                return __builtin_bswap32((uint32_t)v);
        default:
                return __builtin_bswap64(v);
        }
}

struct tnum tnum_bswap(struct tnum a, unsigned bits)
{
        return tnum_make(bswap(a.value, bits), bswap(a.mask, bits));
}

struct tnum tnum_intersect(struct tnum a, struct tnum b)
{
        return tnum_make(a.value | b.value, a.mask & b.mask);
}

/* Known in the union only where known and equal in both. */
struct tnum tnum_union(struct tnum a, struct tnum b)
{
        return tnum_make(a.value & b.value, (a.value ^ b.value) | a.mask | b.mask);
}

bool tnum_conflict(struct tnum a, struct tnum b)
{
        return ((a.value ^ b.value) & ~(a.mask | b.mask)) != 0;
}

static uint64_t low_bits(unsigned bits)
{
        return bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
}

struct tnum tnum_cast(struct tnum a, unsigned bytes)
{
        uint64_t keep = low_bits(bytes * 8);

        return tnum_make(a.value & keep, a.mask & keep);
}

struct tnum tnum_subreg(struct tnum a)
{
        return tnum_cast(a, 4);
}

struct tnum tnum_clear_subreg(struct tnum a)
{
        return tnum_make(a.value & ~LOW32, a.mask & ~LOW32);
}

struct tnum tnum_with_subreg(struct tnum a, struct tnum low)
{
        return tnum_or(tnum_clear_subreg(a), tnum_subreg(low));
}

struct tnum tnum_sext(struct tnum a, unsigned bits)
{
        uint64_t keep = low_bits(bits), sign = UINT64_C(1) << (bits - 1);
        struct tnum low = tnum_make(a.value & keep, a.mask & keep);

        if (bits >= 64)
                return a;
        if (low.mask & sign)
                return tnum_make(low.value, low.mask | ~keep);
        if (low.value & sign)
                return tnum_make(low.value | ~keep, low.mask);
        return low;
}

bool tnum_is_const(struct tnum a)
{
        return a.mask == 0;
}

bool tnum_is_unknown(struct tnum a)
{
        return a.mask == UINT64_MAX;
}

bool tnum_contains(struct tnum a, uint64_t v)
{
        return (v & ~a.mask) == a.value;
}

bool tnum_subset(struct tnum inner, struct tnum outer)
{
        return (inner.mask & ~outer.mask) == 0 && (inner.value & ~outer.mask) == outer.value;
}

/* The kernel log prints small numbers in decimal, others in hex. */
static bool unum_is_decimal(uint64_t v)
{
        return v <= UINT16_MAX;
}

static bool snum_is_decimal(int64_t v)
{
        return v >= INT16_MIN && v <= INT16_MAX;
}

int tnum_print(char *buf, size_t size, struct tnum a)
{
        if (tnum_is_const(a))
                return snprintf(buf, size, unum_is_decimal(a.value) ? "%" PRIu64 : "0x%" PRIx64,
                                a.value);
        return snprintf(buf, size, "(0x%" PRIx64 "; 0x%" PRIx64 ")", a.value, a.mask);
}

/* ------------------------------------------------------------------ */
/* Keeping the components consistent                                  */
/* ------------------------------------------------------------------ */

/* Narrow [*min, *max] to [lo, hi]. */
static void clamp_u64(uint64_t *min, uint64_t *max, uint64_t lo, uint64_t hi)
{
        if (lo > *min)
                *min = lo;
        if (hi < *max)
                *max = hi;
}

static void clamp_s64(int64_t *min, int64_t *max, int64_t lo, int64_t hi)
{
        if (lo > *min)
                *min = lo;
        if (hi < *max)
                *max = hi;
}

static void clamp_u32(uint32_t *min, uint32_t *max, uint32_t lo, uint32_t hi)
{
        if (lo > *min)
                *min = lo;
        if (hi < *max)
                *max = hi;
}

static void clamp_s32(int32_t *min, int32_t *max, int32_t lo, int32_t hi)
{
        if (lo > *min)
                *min = lo;
        if (hi < *max)
                *max = hi;
}

static struct scalar scalar_top(void)
{
        return (struct scalar){.bits = tnum_unknown(),
                               .smin = INT64_MIN,
                               .smax = INT64_MAX,
                               .umin = 0,
                               .umax = UINT64_MAX,
                               .s32min = INT32_MIN,
                               .s32max = INT32_MAX,
                               .u32min = 0,
                               .u32max = UINT32_MAX};
}

static bool is_top(const struct scalar *s)
{
        return s->bits.mask == UINT64_MAX && s->umin == 0 && s->umax == UINT64_MAX &&
               s->smin == INT64_MIN && s->smax == INT64_MAX && s->u32min == 0 &&
               s->u32max == UINT32_MAX && s->s32min == INT32_MIN && s->s32max == INT32_MAX;
}

/* Every value of `bits` bits (8, 16 or 32), zero-extended: what truncating nothing known gives. */
static struct scalar top_below(unsigned bits)
{
        uint64_t max = (UINT64_C(1) << bits) - 1;

        return (struct scalar){.bits = {0, max},
                               .smin = 0,
                               .smax = (int64_t)max,
                               .umin = 0,
                               .umax = max,
                               .s32min = bits == 32 ? INT32_MIN : 0,
                               .s32max = bits == 32 ? INT32_MAX : (int32_t)max,
                               .u32min = 0,
                               .u32max = (uint32_t)max};
}

/* The extremes the known bits allow: unknown bits all zero or all one (sign bit the other way). */
static void bounds_from_bits(struct scalar *s)
{
        struct tnum t = s->bits, low = tnum_subreg(t);

        clamp_u64(&s->umin, &s->umax, t.value, t.value | t.mask);
        clamp_s64(&s->smin, &s->smax, (int64_t)(t.value | (t.mask & SIGN64)),
                  (int64_t)(t.value | (t.mask & ~SIGN64)));
        clamp_u32(&s->u32min, &s->u32max, (uint32_t)low.value, (uint32_t)(low.value | low.mask));
        clamp_s32(&s->s32min, &s->s32max, (int32_t)(uint32_t)(low.value | (low.mask & SIGN32)),
                  (int32_t)(uint32_t)(low.value | (low.mask & ~SIGN32)));
}

/*
 * The low halves of the 64-bit patterns from min to max (an interval of
 * either signedness whose high halves are min_hi and max_hi): one u32
 * interval when the high halves agree; one s32 interval when they are
 * consecutive and the low halves wrap from the top of u32 to its bottom
 * across the s32 sign boundary (as for [-5, 5]).
 */
static void low_from_range(struct scalar *s, uint64_t min, uint64_t max, int64_t min_hi,
                           int64_t max_hi)
{
        uint32_t lo = (uint32_t)min, hi = (uint32_t)max;

        if (min_hi == max_hi) {
                clamp_u32(&s->u32min, &s->u32max, lo, hi);
                if ((int32_t)lo <= (int32_t)hi)
                        clamp_s32(&s->s32min, &s->s32max, (int32_t)lo, (int32_t)hi);
        } else if (min_hi + 1 == max_hi && lo > hi && (int32_t)lo <= (int32_t)hi) {
                clamp_s32(&s->s32min, &s->s32max, (int32_t)lo, (int32_t)hi);
        }
}

static void low_from_wide(struct scalar *s)
{
        low_from_range(s, s->umin, s->umax, (int64_t)(s->umin >> 32), (int64_t)(s->umax >> 32));
        low_from_range(s, (uint64_t)s->smin, (uint64_t)s->smax, s->smin >> 32, s->smax >> 32);
}

/* An interval that stays on one side of the sign boundary is the same interval in the other sign.
 */
static void low_signs(struct scalar *s)
{
        if ((int32_t)s->u32min <= (int32_t)s->u32max)
                clamp_s32(&s->s32min, &s->s32max, (int32_t)s->u32min, (int32_t)s->u32max);
        if ((uint32_t)s->s32min <= (uint32_t)s->s32max)
                clamp_u32(&s->u32min, &s->u32max, (uint32_t)s->s32min, (uint32_t)s->s32max);
}

/*
 * The low-half bounds move the 64-bit ones: a value no smaller than H:L
 * whose low half is at least u32min is at least H:u32min (when its high half
 * is H; larger anyway otherwise), and likewise for the maximum.
 */
static void wide_from_low(struct scalar *s)
{
        clamp_u64(&s->umin, &s->umax, (s->umin & ~LOW32) | s->u32min,
                  (s->umax & ~LOW32) | s->u32max);
        clamp_s64(&s->smin, &s->smax, (int64_t)(((uint64_t)s->smin & ~LOW32) | s->u32min),
                  (int64_t)(((uint64_t)s->smax & ~LOW32) | s->u32max));
}

/*
 * Signed and unsigned 64-bit bounds: an interval on one side of a sign
 * boundary is one interval in the other sign too. One that crosses it is
 * two intervals there (both ends of the other domain); when the other bounds
 * exclude one of them, the rest is the other.
 */
static void wide_signs(struct scalar *s)
{
        if ((uint64_t)s->smin <= (uint64_t)s->smax) {
                clamp_u64(&s->umin, &s->umax, (uint64_t)s->smin, (uint64_t)s->smax);
        } else if (s->umax < (uint64_t)s->smin) {
                clamp_u64(&s->umin, &s->umax, 0, (uint64_t)s->smax);
        } else if (s->umin > (uint64_t)s->smax) {
                clamp_u64(&s->umin, &s->umax, (uint64_t)s->smin, UINT64_MAX);
        }
        if ((int64_t)s->umin <= (int64_t)s->umax) {
                clamp_s64(&s->smin, &s->smax, (int64_t)s->umin, (int64_t)s->umax);
        } else if (s->smax < (int64_t)s->umin) {
                clamp_s64(&s->smin, &s->smax, INT64_MIN, (int64_t)s->umax);
        } else if (s->smin > (int64_t)s->umax) {
                clamp_s64(&s->smin, &s->smax, (int64_t)s->umin, INT64_MAX);
        }
}

/* The bits every value in the unsigned intervals shares. False on a contradiction. */
static bool bits_from_bounds(struct scalar *s)
{
        struct tnum wide = tnum_range(s->umin, s->umax), low = tnum_range(s->u32min, s->u32max);
        struct tnum t;

        if (tnum_conflict(s->bits, wide))
                return false;
        t = tnum_intersect(s->bits, wide);
        if (tnum_conflict(tnum_subreg(t), low))
                return false;
        s->bits = tnum_with_subreg(t, tnum_intersect(tnum_subreg(t), low));
        return true;
}

static bool bounds_ordered(const struct scalar *s)
{
        return s->umin <= s->umax && s->smin <= s->smax && s->u32min <= s->u32max &&
               s->s32min <= s->s32max;
}

/* Each round only narrows; a few reach the fixed point (the unit test checks it is one). */
#define SYNC_ROUNDS 8

/* A known constant: every bound is that value, if each admits it (what the rounds would reach). */
static bool sync_const(struct scalar *s)
{
        uint64_t v = s->bits.value;

        if (v < s->umin || v > s->umax || (int64_t)v < s->smin || (int64_t)v > s->smax ||
            (uint32_t)v < s->u32min || (uint32_t)v > s->u32max || (int32_t)v < s->s32min ||
            (int32_t)v > s->s32max)
                return false;
        *s = scalar_const(v);
        return true;
}

bool scalar_sync(struct scalar *s)
{
        if (!s->bits.mask)
                return sync_const(s);
        if (is_top(s))
                return true; /* nothing known: nothing to pass on */
        for (int round = 0; round < SYNC_ROUNDS; round++) {
                struct scalar before = *s;

                bounds_from_bits(s);
                low_from_wide(s);
                low_signs(s);
                wide_from_low(s);
                wide_signs(s);
                if (!bounds_ordered(s) || !bits_from_bounds(s))
                        return false;
                if (scalar_equal(&before, s))
                        break;
        }
        return true;
}

/*
 * Results of transfer functions describe at least one value when their
 * operands do; should the components still contradict each other (operands
 * that described nothing), the result claims nothing rather than something
 * false.
 */
static struct scalar settle(struct scalar s)
{
        return scalar_sync(&s) ? s : scalar_top();
}

/* ------------------------------------------------------------------ */
/* Constructors, comparisons, lattice operations                       */
/* ------------------------------------------------------------------ */

struct scalar scalar_unknown(void)
{
        return scalar_top();
}

struct scalar scalar_const(uint64_t value)
{
        return (struct scalar){.bits = tnum_const(value),
                               .smin = (int64_t)value,
                               .smax = (int64_t)value,
                               .umin = value,
                               .umax = value,
                               .s32min = (int32_t)(uint32_t)value,
                               .s32max = (int32_t)(uint32_t)value,
                               .u32min = (uint32_t)value,
                               .u32max = (uint32_t)value};
}

struct scalar scalar_from_tnum(struct tnum bits)
{
        struct scalar s = scalar_top();

        s.bits = bits;
        return settle(s);
}

struct scalar scalar_urange(uint64_t min, uint64_t max)
{
        struct scalar s = scalar_top();

        clamp_u64(&s.umin, &s.umax, min, max);
        return settle(s);
}

struct scalar scalar_srange(int64_t min, int64_t max)
{
        struct scalar s = scalar_top();

        clamp_s64(&s.smin, &s.smax, min, max);
        return settle(s);
}

bool scalar_is_const(const struct scalar *s)
{
        return tnum_is_const(s->bits);
}

bool scalar_contains(const struct scalar *s, uint64_t v)
{
        return tnum_contains(s->bits, v) && v >= s->umin && v <= s->umax && (int64_t)v >= s->smin &&
               (int64_t)v <= s->smax && (uint32_t)v >= s->u32min && (uint32_t)v <= s->u32max &&
               (int32_t)(uint32_t)v >= s->s32min && (int32_t)(uint32_t)v <= s->s32max;
}

bool scalar_equal(const struct scalar *a, const struct scalar *b)
{
        return a->bits.value == b->bits.value && a->bits.mask == b->bits.mask &&
               a->smin == b->smin && a->smax == b->smax && a->umin == b->umin &&
               a->umax == b->umax && a->s32min == b->s32min && a->s32max == b->s32max &&
               a->u32min == b->u32min && a->u32max == b->u32max;
}

bool scalar_within(const struct scalar *inner, const struct scalar *outer)
{
        return tnum_subset(inner->bits, outer->bits) && inner->umin >= outer->umin &&
               inner->umax <= outer->umax && inner->smin >= outer->smin &&
               inner->smax <= outer->smax && inner->u32min >= outer->u32min &&
               inner->u32max <= outer->u32max && inner->s32min >= outer->s32min &&
               inner->s32max <= outer->s32max;
}

bool scalar_meet(const struct scalar *a, const struct scalar *b, struct scalar *out)
{
        struct scalar m = *a;

        if (tnum_conflict(a->bits, b->bits))
                return false;
        m.bits = tnum_intersect(a->bits, b->bits);
        clamp_u64(&m.umin, &m.umax, b->umin, b->umax);
        clamp_s64(&m.smin, &m.smax, b->smin, b->smax);
        clamp_u32(&m.u32min, &m.u32max, b->u32min, b->u32max);
        clamp_s32(&m.s32min, &m.s32max, b->s32min, b->s32max);
        if (!scalar_sync(&m))
                return false;
        *out = m;
        return true;
}

struct scalar scalar_join(const struct scalar *a, const struct scalar *b)
{
        struct scalar j = {
            .bits = tnum_union(a->bits, b->bits),
            .smin = MIN(a->smin, b->smin),
            .smax = MAX(a->smax, b->smax),
            .umin = MIN(a->umin, b->umin),
            .umax = MAX(a->umax, b->umax),
            .s32min = MIN(a->s32min, b->s32min),
            .s32max = MAX(a->s32max, b->s32max),
            .u32min = MIN(a->u32min, b->u32min),
            .u32max = MAX(a->u32max, b->u32max),
        };
        return settle(j);
}

/*
 * Bounds that grew go to their limits. So do the known bits from the
 * highest unknown one upwards, once anything grew: they were only the
 * bounds' shadow (a counter below 16 has its high bits zero), and keeping
 * them would hand the bounds back one bit per iteration. Known low bits (an
 * alignment) stay.
 */
struct scalar scalar_widen(const struct scalar *old, const struct scalar *new)
{
        struct scalar w = scalar_join(old, new);
        bool grew = !tnum_subset(w.bits, old->bits);

#define WIDEN(field, grows, limit)                                                                 \
        do {                                                                                       \
                if (w.field grows old->field) {                                                    \
                        w.field = limit;                                                           \
                        grew = true;                                                               \
                }                                                                                  \
        } while (0)
        WIDEN(smin, <, INT64_MIN);
        WIDEN(smax, >, INT64_MAX);
        WIDEN(umin, <, 0);
        WIDEN(umax, >, UINT64_MAX);
        WIDEN(s32min, <, INT32_MIN);
        WIDEN(s32max, >, INT32_MAX);
        WIDEN(u32min, <, 0);
        WIDEN(u32max, >, UINT32_MAX);
#undef WIDEN
        if (grew && w.bits.mask)
                w.bits = tnum_make(w.bits.value,
                                   w.bits.mask | ~low_bits(63 - __builtin_clzll(w.bits.mask)));
        return settle(w);
}

/* ------------------------------------------------------------------ */
/* Narrowing and extension                                             */
/* ------------------------------------------------------------------ */

/*
 * The low `bits` bits of the values from min to max (bit patterns of an
 * interval; min_hi and max_hi are the parts above those bits, in the
 * interval's signedness): one interval when the parts above agree.
 */
static bool low_interval(uint64_t min, uint64_t max, int64_t min_hi, int64_t max_hi, unsigned bits,
                         uint64_t *lo, uint64_t *hi)
{
        if (min_hi != max_hi)
                return false;
        *lo = min & low_bits(bits);
        *hi = max & low_bits(bits);
        return true;
}

struct scalar scalar_trunc(const struct scalar *s, unsigned bits)
{
        struct scalar r = scalar_top();
        uint64_t lo, hi;

        if (bits >= 64)
                return *s;
        if (is_top(s))
                return top_below(bits);
        r.bits = tnum_cast(s->bits, bits / 8);
        clamp_u64(&r.umin, &r.umax, 0, low_bits(bits));
        if (low_interval(s->umin, s->umax, (int64_t)(s->umin >> bits), (int64_t)(s->umax >> bits),
                         bits, &lo, &hi))
                clamp_u64(&r.umin, &r.umax, lo, hi);
        if (low_interval((uint64_t)s->smin, (uint64_t)s->smax, s->smin >> bits, s->smax >> bits,
                         bits, &lo, &hi))
                clamp_u64(&r.umin, &r.umax, lo, hi);
        if (bits == 32) {
                clamp_u64(&r.umin, &r.umax, s->u32min, s->u32max);
                clamp_s32(&r.s32min, &r.s32max, s->s32min, s->s32max);
        } else if (low_interval(s->u32min, s->u32max, s->u32min >> bits, s->u32max >> bits, bits,
                                &lo, &hi)) {
                clamp_u64(&r.umin, &r.umax, lo, hi);
        }
        return settle(r);
}

struct scalar scalar_sext(const struct scalar *s, unsigned bits)
{
        int64_t half;
        struct scalar low, r = scalar_top();

        if (bits >= 64)
                return *s;
        half = (int64_t)1 << (bits - 1);
        /* A value already in the narrow signed range is its own sign extension. */
        if (s->smin >= -half && s->smax < half)
                return *s;
        low = scalar_trunc(s, bits);
        r.bits = tnum_sext(low.bits, bits);
        clamp_s64(&r.smin, &r.smax, -half, half - 1);
        if (low.umax < (uint64_t)half)
                clamp_s64(&r.smin, &r.smax, (int64_t)low.umin, (int64_t)low.umax);
        else if (low.umin >= (uint64_t)half)
                clamp_s64(&r.smin, &r.smax, (int64_t)low.umin - 2 * half,
                          (int64_t)low.umax - 2 * half);
        if (bits == 32)
                clamp_s64(&r.smin, &r.smax, s->s32min, s->s32max);
        else if (s->s32min >= -half && s->s32max < half)
                clamp_s64(&r.smin, &r.smax, s->s32min, s->s32max);
        return settle(r);
}

/* ------------------------------------------------------------------ */
/* ALU                                                                 */
/* ------------------------------------------------------------------ */

/*
 * An interval computed end by end with wrap-around: still an interval when
 * both ends wrapped alike (neither, or both by the same amount, which keeps
 * them in order).
 */
static void wrapped_urange(struct scalar *r, uint64_t lo, bool lo_wrapped, uint64_t hi,
                           bool hi_wrapped)
{
        if (lo_wrapped == hi_wrapped && lo <= hi)
                clamp_u64(&r->umin, &r->umax, lo, hi);
}

static void wrapped_srange(struct scalar *r, int64_t lo, bool lo_wrapped, int64_t hi,
                           bool hi_wrapped)
{
        if (lo_wrapped == hi_wrapped && lo <= hi)
                clamp_s64(&r->smin, &r->smax, lo, hi);
}

/* Transfer function of a 64-bit operation; `width` masks shift amounts, `off` as encoded. */
typedef struct scalar (*alu_fn)(const struct scalar *d, const struct scalar *s, unsigned width,
                                int16_t off);

static struct scalar alu_add(const struct scalar *d, const struct scalar *s, unsigned width,
                             int16_t off)
{
        struct scalar r = scalar_top();
        uint64_t ulo, uhi;
        int64_t slo, shi;
        bool ulo_o = __builtin_add_overflow(d->umin, s->umin, &ulo);
        bool uhi_o = __builtin_add_overflow(d->umax, s->umax, &uhi);
        bool slo_o = __builtin_add_overflow(d->smin, s->smin, &slo);
        bool shi_o = __builtin_add_overflow(d->smax, s->smax, &shi);

        (void)width, (void)off;
        r.bits = tnum_add(d->bits, s->bits);
        wrapped_urange(&r, ulo, ulo_o, uhi, uhi_o);
        wrapped_srange(&r, slo, slo_o, shi, shi_o);
        return settle(r);
}

static struct scalar alu_sub(const struct scalar *d, const struct scalar *s, unsigned width,
                             int16_t off)
{
        struct scalar r = scalar_top();
        uint64_t ulo, uhi;
        int64_t slo, shi;
        bool ulo_o = __builtin_sub_overflow(d->umin, s->umax, &ulo);
        bool uhi_o = __builtin_sub_overflow(d->umax, s->umin, &uhi);
        bool slo_o = __builtin_sub_overflow(d->smin, s->smax, &slo);
        bool shi_o = __builtin_sub_overflow(d->smax, s->smin, &shi);

        (void)width, (void)off;
        r.bits = tnum_sub(d->bits, s->bits);
        wrapped_urange(&r, ulo, ulo_o, uhi, uhi_o);
        wrapped_srange(&r, slo, slo_o, shi, shi_o);
        return settle(r);
}

static struct scalar alu_neg(const struct scalar *d, const struct scalar *s, unsigned width,
                             int16_t off)
{
        struct scalar zero = scalar_const(0);

        (void)s;
        return alu_sub(&zero, d, width, off);
}

/* Products of the ends; an interval when none overflows (products are monotone per sign). */
static struct scalar alu_mul(const struct scalar *d, const struct scalar *s, unsigned width,
                             int16_t off)
{
        struct scalar r = scalar_top();
        int64_t corner[4];
        uint64_t ulo, uhi;
        bool overflow;

        (void)width, (void)off;
        r.bits = tnum_mul(d->bits, s->bits);
        overflow = __builtin_mul_overflow(d->umin, s->umin, &ulo);
        overflow |= __builtin_mul_overflow(d->umax, s->umax, &uhi);
        if (!overflow)
                clamp_u64(&r.umin, &r.umax, ulo, uhi);
        overflow = __builtin_mul_overflow(d->smin, s->smin, &corner[0]);
        overflow |= __builtin_mul_overflow(d->smin, s->smax, &corner[1]);
        overflow |= __builtin_mul_overflow(d->smax, s->smin, &corner[2]);
        overflow |= __builtin_mul_overflow(d->smax, s->smax, &corner[3]);
        if (!overflow)
                clamp_s64(&r.smin, &r.smax,
                          MIN(MIN(corner[0], corner[1]), MIN(corner[2], corner[3])),
                          MAX(MAX(corner[0], corner[1]), MAX(corner[2], corner[3])));
        return settle(r);
}

/* Unsigned: x / 0 = 0, else the quotient falls as the divisor grows. */
static struct scalar udiv(const struct scalar *d, const struct scalar *s)
{
        struct scalar r = scalar_top();

        if (s->umax == 0)
                return scalar_const(0);
        clamp_u64(&r.umin, &r.umax, s->umin ? d->umin / s->umax : 0, d->umax / MAX(s->umin, 1));
        return settle(r);
}

/* Signed quotients (rounded toward zero) of a dividend by a divisor that is always positive. */
static struct scalar sdiv_positive(const struct scalar *d, const struct scalar *s)
{
        struct scalar r = scalar_top();
        int64_t lo = d->smin >= 0 ? d->smin / s->smax : d->smin / s->smin;
        int64_t hi = d->smax >= 0 ? d->smax / s->smin : d->smax / s->smax;

        clamp_s64(&r.smin, &r.smax, lo, hi);
        return settle(r);
}

/* Signed: x / 0 = 0, INT64_MIN / -1 = INT64_MIN (which is -INT64_MIN, wrapped). */
static struct scalar sdiv(const struct scalar *d, const struct scalar *s)
{
        struct scalar r = scalar_top();
        int64_t c = s->smin;

        if (s->smin > 0)
                return sdiv_positive(d, s);
        if (!scalar_is_const(s))
                return r;
        if (c == 0)
                return scalar_const(0);
        if (c == -1)
                return alu_neg(d, NULL, 64, 0);
        /* c < -1: no overflow, the quotient falls as the dividend grows */
        clamp_s64(&r.smin, &r.smax, d->smax / c, d->smin / c);
        return settle(r);
}

static struct scalar alu_div(const struct scalar *d, const struct scalar *s, unsigned width,
                             int16_t off)
{
        (void)width;
        return off == 1 ? sdiv(d, s) : udiv(d, s);
}

/* Unsigned: x % 0 = x; x % y < y; x % y <= x; x % 2^k keeps the low k bits. */
static struct scalar umod(const struct scalar *d, const struct scalar *s)
{
        struct scalar r = scalar_top();

        if (s->umax == 0 || d->umax < s->umin)
                return *d;
        if (scalar_is_const(d) && scalar_is_const(s))
                return scalar_const(d->umin % s->umin);
        if (scalar_is_const(s) && (s->umin & (s->umin - 1)) == 0)
                r.bits = tnum_and(d->bits, tnum_const(s->umin - 1));
        clamp_u64(&r.umin, &r.umax, 0, MIN(d->umax, s->umax - 1));
        r = settle(r);
        return s->umin == 0 ? scalar_join(&r, d) : r;
}

static uint64_t magnitude(int64_t v)
{
        return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

/*
 * Signed: x % 0 = x; otherwise the remainder takes the dividend's sign and
 * is smaller in magnitude than both the divisor and (or equal to) the dividend.
 */
static struct scalar smod(const struct scalar *d, const struct scalar *s)
{
        struct scalar r = scalar_top();
        int64_t most = (int64_t)(MAX(magnitude(s->smin), magnitude(s->smax)) - 1);

        if (s->umax == 0)
                return *d;
        if (scalar_is_const(d) && scalar_is_const(s))
                return scalar_const(s->smin == -1 ? 0 : (uint64_t)(d->smin % s->smin));
        clamp_s64(&r.smin, &r.smax, d->smin >= 0 ? 0 : MAX(d->smin, -most),
                  d->smax <= 0 ? 0 : MIN(d->smax, most));
        r = settle(r);
        return s->umin == 0 ? scalar_join(&r, d) : r;
}

static struct scalar alu_mod(const struct scalar *d, const struct scalar *s, unsigned width,
                             int16_t off)
{
        (void)width;
        return off == 1 ? smod(d, s) : umod(d, s);
}

static struct scalar alu_and(const struct scalar *d, const struct scalar *s, unsigned width,
                             int16_t off)
{
        struct scalar r = scalar_top();

        (void)width, (void)off;
        r.bits = tnum_and(d->bits, s->bits);
        clamp_u64(&r.umin, &r.umax, 0, MIN(d->umax, s->umax));
        return settle(r);
}

static struct scalar alu_or(const struct scalar *d, const struct scalar *s, unsigned width,
                            int16_t off)
{
        struct scalar r = scalar_top();

        (void)width, (void)off;
        r.bits = tnum_or(d->bits, s->bits);
        clamp_u64(&r.umin, &r.umax, MAX(d->umin, s->umin), UINT64_MAX);
        return settle(r);
}

static struct scalar alu_xor(const struct scalar *d, const struct scalar *s, unsigned width,
                             int16_t off)
{
        (void)width, (void)off;
        return scalar_from_tnum(tnum_xor(d->bits, s->bits));
}

/* mov, or movsx from the low `off` bits. */
static struct scalar alu_mov(const struct scalar *d, const struct scalar *s, unsigned width,
                             int16_t off)
{
        (void)d, (void)width;
        if (off == 8 || off == 16 || off == 32)
                return scalar_sext(s, (unsigned)off);
        return *s;
}

enum shift_kind { SHIFT_LEFT, SHIFT_RIGHT, SHIFT_ARITH };

/*
 * A shift by every amount the source may hold (masked to the width): the
 * union of the shifted tnums, and bounds from the smallest and largest
 * amounts, as every shift is monotone in both its value and its amount.
 */
static struct scalar shift(const struct scalar *d, const struct scalar *s, unsigned width,
                           enum shift_kind kind)
{
        uint64_t limit = width - 1;
        struct tnum amounts = tnum_and(s->bits, tnum_const(limit));
        bool ranged = s->umax <= limit;
        struct scalar r = scalar_top();
        struct tnum bits = tnum_unknown();
        unsigned kmin = 64, kmax = 0;

        for (unsigned k = 0; k <= limit; k++) {
                struct tnum one;

                if (!tnum_contains(amounts, k) || (ranged && (k < s->umin || k > s->umax)))
                        continue;
                if (kind == SHIFT_LEFT)
                        one = tnum_lshift(d->bits, k, 64);
                else if (kind == SHIFT_RIGHT)
                        one = tnum_rshift(d->bits, k, 64);
                else
                        one = tnum_arshift(d->bits, k, 64);
                bits = kmin == 64 ? one : tnum_union(bits, one);
                kmin = MIN(kmin, k);
                kmax = k;
        }
        if (kmin == 64) /* the amount's bounds and bits contradict: no operand */
                return r;
        r.bits = bits;
        if (kind == SHIFT_LEFT) {
                if ((d->umax << kmax) >> kmax == d->umax)
                        clamp_u64(&r.umin, &r.umax, d->umin << kmin, d->umax << kmax);
        } else if (kind == SHIFT_RIGHT) {
                clamp_u64(&r.umin, &r.umax, d->umin >> kmax, d->umax >> kmin);
        } else {
                clamp_s64(&r.smin, &r.smax, MIN(d->smin >> kmin, d->smin >> kmax),
                          MAX(d->smax >> kmin, d->smax >> kmax));
        }
        return settle(r);
}

static struct scalar alu_lsh(const struct scalar *d, const struct scalar *s, unsigned width,
                             int16_t off)
{
        (void)off;
        return shift(d, s, width, SHIFT_LEFT);
}

static struct scalar alu_rsh(const struct scalar *d, const struct scalar *s, unsigned width,
                             int16_t off)
{
        (void)off;
        return shift(d, s, width, SHIFT_RIGHT);
}

static struct scalar alu_arsh(const struct scalar *d, const struct scalar *s, unsigned width,
                              int16_t off)
{
        (void)off;
        return shift(d, s, width, SHIFT_ARITH);
}

/* How a 32-bit operation reads its operands' low halves. */
enum widen32 { ZERO_EXTEND, SIGN_EXTEND, SIGN_EXTEND_IF_SIGNED };

static const struct alu_rule {
        alu_fn fn;
        enum widen32 widen;
        bool low_half; /* the 64-bit result's low half is the 32-bit result */
} alu_rules[16] = {
    [BPFAOT_ALU_ADD >> 4] = {alu_add, ZERO_EXTEND, true},
    [BPFAOT_ALU_SUB >> 4] = {alu_sub, ZERO_EXTEND, true},
    [BPFAOT_ALU_MUL >> 4] = {alu_mul, ZERO_EXTEND, true},
    [BPFAOT_ALU_DIV >> 4] = {alu_div, SIGN_EXTEND_IF_SIGNED, false},
    [BPFAOT_ALU_OR >> 4] = {alu_or, ZERO_EXTEND, true},
    [BPFAOT_ALU_AND >> 4] = {alu_and, ZERO_EXTEND, true},
    [BPFAOT_ALU_LSH >> 4] = {alu_lsh, ZERO_EXTEND, false},
    [BPFAOT_ALU_RSH >> 4] = {alu_rsh, ZERO_EXTEND, false},
    [BPFAOT_ALU_NEG >> 4] = {alu_neg, ZERO_EXTEND, true},
    [BPFAOT_ALU_MOD >> 4] = {alu_mod, SIGN_EXTEND_IF_SIGNED, false},
    [BPFAOT_ALU_XOR >> 4] = {alu_xor, ZERO_EXTEND, true},
    [BPFAOT_ALU_MOV >> 4] = {alu_mov, ZERO_EXTEND, false},
    [BPFAOT_ALU_ARSH >> 4] = {alu_arsh, SIGN_EXTEND, false},
};

/* The 32-bit form: the 64-bit one on widened low halves, its low half zero-extended. */
static struct scalar alu32(const struct alu_rule *rule, const struct scalar *d,
                           const struct scalar *s, int16_t off)
{
        bool sign =
            rule->widen == SIGN_EXTEND || (rule->widen == SIGN_EXTEND_IF_SIGNED && off == 1);
        struct scalar dw = sign ? scalar_sext(d, 32) : scalar_trunc(d, 32);
        struct scalar sw = sign ? scalar_sext(s, 32) : scalar_trunc(s, 32);
        struct scalar r = rule->fn(&dw, &sw, 32, off);

        return scalar_trunc(&r, 32);
}

/* The low half of the 32-bit result `low` narrows the 64-bit result `r`. */
static struct scalar meet_low_half(struct scalar r, const struct scalar *low)
{
        struct scalar m = r;
        struct tnum rl = tnum_subreg(r.bits), ll = tnum_subreg(low->bits);

        if (tnum_conflict(rl, ll))
                return r;
        m.bits = tnum_with_subreg(r.bits, tnum_intersect(rl, ll));
        clamp_u32(&m.u32min, &m.u32max, low->u32min, low->u32max);
        clamp_s32(&m.s32min, &m.s32max, low->s32min, low->s32max);
        return scalar_sync(&m) ? m : r;
}

/* le16/32/64 keep the low bits (the host is little-endian); be and bswap also swap them. */
static struct scalar byte_order(const struct scalar *d, int32_t bits, bool swap)
{
        struct scalar low;

        if (bits != 16 && bits != 32 && bits != 64)
                return scalar_top();
        low = scalar_trunc(d, (unsigned)bits);
        return swap ? scalar_from_tnum(tnum_bswap(low.bits, (unsigned)bits)) : low;
}

/* mov: the result is the source's value (sign-extended for movsx) whatever dst holds. */
static bool op_ignores_dst(const struct bpfaot_insn *insn)
{
        return insn_op(insn) == BPFAOT_ALU_MOV;
}

/*
 * Operations whose result knows nothing when an operand knows nothing: x + u,
 * x - u, x ^ u for any x (each value of u gives another result), and u * v,
 * u | v, u & v of two unknowns. The rules would compute the same, slowly.
 */
static bool loses_all(const struct bpfaot_insn *insn, const struct scalar *dst,
                      const struct scalar *src)
{
        bool dst_top = is_top(dst), src_top = insn_is_reg_src(insn) && (!src || is_top(src));

        switch (insn_op(insn)) {
        case BPFAOT_ALU_ADD:
        case BPFAOT_ALU_SUB:
        case BPFAOT_ALU_XOR:
                return dst_top || src_top;
        case BPFAOT_ALU_NEG:
                return dst_top;
        case BPFAOT_ALU_MUL:
        case BPFAOT_ALU_OR:
        case BPFAOT_ALU_AND:
                return dst_top && src_top;
        default:
                return false;
        }
}

struct scalar scalar_alu(const struct bpfaot_insn *insn, const struct scalar *dst,
                         const struct scalar *src)
{
        bool wide = bpfaot_insn_class(insn) == BPFAOT_CLASS_ALU64;
        const struct alu_rule *rule = &alu_rules[insn_op(insn) >> 4];
        struct scalar imm, unknown = scalar_top(), r;

        /* Known operands have one result: the concrete one (and no bounds to reconcile). */
        if ((scalar_is_const(dst) || op_ignores_dst(insn)) &&
            (!insn_is_reg_src(insn) || (src && scalar_is_const(src))))
                return scalar_const(
                    eval_alu(insn, dst->bits.value, insn_is_reg_src(insn) ? src->bits.value : 0));
        if (loses_all(insn, dst, src))
                return wide ? scalar_top() : top_below(32);
        if (insn_op(insn) == BPFAOT_ALU_END)
                return byte_order(dst, insn->imm, wide || insn_is_reg_src(insn));
        if (!insn_is_reg_src(insn)) {
                imm = scalar_const(wide ? (uint64_t)(int64_t)insn->imm : (uint32_t)insn->imm);
                src = &imm;
        } else if (!src) {
                src = &unknown;
        }
        if (!rule->fn)
                return scalar_top();
        if (!wide)
                return alu32(rule, dst, src, insn->off);
        r = rule->fn(dst, src, 64, insn->off);
        if (rule->low_half) {
                struct scalar low = alu32(rule, dst, src, insn->off);
                r = meet_low_half(r, &low);
        }
        return r;
}

/* ------------------------------------------------------------------ */
/* Conditional jumps                                                   */
/* ------------------------------------------------------------------ */

/* Relations a jump tests, between an ordered pair (x, y). */
enum relation {
        REL_NONE,
        REL_EQ,    /* x == y */
        REL_NE,    /* x != y */
        REL_ULT,   /* x < y, unsigned */
        REL_ULE,   /* x <= y, unsigned */
        REL_SLT,   /* x < y, signed */
        REL_SLE,   /* x <= y, signed */
        REL_SET,   /* x & y != 0 */
        REL_CLEAR, /* x & y == 0 */
};

/* A condition on (dst, src): `rel` holds on (src, dst) when swapped. */
struct condition {
        enum relation rel;
        bool swap;
};

static const struct condition jump_conditions[16] = {
    [BPFAOT_JMP_JEQ >> 4] = {REL_EQ, false},   [BPFAOT_JMP_JNE >> 4] = {REL_NE, false},
    [BPFAOT_JMP_JGT >> 4] = {REL_ULT, true},   [BPFAOT_JMP_JGE >> 4] = {REL_ULE, true},
    [BPFAOT_JMP_JLT >> 4] = {REL_ULT, false},  [BPFAOT_JMP_JLE >> 4] = {REL_ULE, false},
    [BPFAOT_JMP_JSGT >> 4] = {REL_SLT, true},  [BPFAOT_JMP_JSGE >> 4] = {REL_SLE, true},
    [BPFAOT_JMP_JSLT >> 4] = {REL_SLT, false}, [BPFAOT_JMP_JSLE >> 4] = {REL_SLE, false},
    [BPFAOT_JMP_JSET >> 4] = {REL_SET, false},
};

/* What holds when a relation fails: not x < y is y <= x. */
static const struct condition negations[] = {
    [REL_EQ] = {REL_NE, false},     [REL_NE] = {REL_EQ, false},     [REL_ULT] = {REL_ULE, true},
    [REL_ULE] = {REL_ULT, true},    [REL_SLT] = {REL_SLE, true},    [REL_SLE] = {REL_SLT, true},
    [REL_SET] = {REL_CLEAR, false}, [REL_CLEAR] = {REL_SET, false},
};

/* Narrow x and y to the pairs where the relation holds; false when none does. */
typedef bool (*relate_fn)(struct scalar *x, struct scalar *y);

static bool relate_eq(struct scalar *x, struct scalar *y)
{
        struct scalar m;

        if (!scalar_meet(x, y, &m))
                return false;
        *x = *y = m;
        return true;
}

/* Take the constant c off the ends of the bounds of s. */
static bool exclude(struct scalar *s, uint64_t c)
{
        if (s->umin == c) {
                if (c == UINT64_MAX)
                        return false;
                s->umin++;
        }
        if (s->umax == c) {
                if (c == 0)
                        return false;
                s->umax--;
        }
        if (s->smin == (int64_t)c) {
                if ((int64_t)c == INT64_MAX)
                        return false;
                s->smin++;
        }
        if (s->smax == (int64_t)c) {
                if ((int64_t)c == INT64_MIN)
                        return false;
                s->smax--;
        }
        return scalar_sync(s);
}

static bool relate_ne(struct scalar *x, struct scalar *y)
{
        if (scalar_is_const(y) && !exclude(x, y->bits.value))
                return false;
        if (scalar_is_const(x) && !exclude(y, x->bits.value))
                return false;
        return true;
}

static bool relate_ule(struct scalar *x, struct scalar *y)
{
        clamp_u64(&x->umin, &x->umax, 0, y->umax);
        clamp_u64(&y->umin, &y->umax, x->umin, UINT64_MAX);
        return scalar_sync(x) && scalar_sync(y);
}

static bool relate_ult(struct scalar *x, struct scalar *y)
{
        if (y->umax == 0 || x->umin == UINT64_MAX)
                return false;
        clamp_u64(&x->umin, &x->umax, 0, y->umax - 1);
        clamp_u64(&y->umin, &y->umax, x->umin + 1, UINT64_MAX);
        return scalar_sync(x) && scalar_sync(y);
}

static bool relate_sle(struct scalar *x, struct scalar *y)
{
        clamp_s64(&x->smin, &x->smax, INT64_MIN, y->smax);
        clamp_s64(&y->smin, &y->smax, x->smin, INT64_MAX);
        return scalar_sync(x) && scalar_sync(y);
}

static bool relate_slt(struct scalar *x, struct scalar *y)
{
        if (y->smax == INT64_MIN || x->smin == INT64_MAX)
                return false;
        clamp_s64(&x->smin, &x->smax, INT64_MIN, y->smax - 1);
        clamp_s64(&y->smin, &y->smax, x->smin + 1, INT64_MAX);
        return scalar_sync(x) && scalar_sync(y);
}

/* Some bit may be one in both; when exactly one can, it is one in both. */
static bool relate_set(struct scalar *x, struct scalar *y)
{
        uint64_t both = (x->bits.value | x->bits.mask) & (y->bits.value | y->bits.mask);

        if (!both)
                return false;
        if ((x->bits.value & y->bits.value) || (both & (both - 1)))
                return true;
        x->bits = tnum_make(x->bits.value | both, x->bits.mask & ~both);
        y->bits = tnum_make(y->bits.value | both, y->bits.mask & ~both);
        return scalar_sync(x) && scalar_sync(y);
}

/* No bit is one in both: a known one of either is a zero of the other. */
static bool relate_clear(struct scalar *x, struct scalar *y)
{
        if (x->bits.value & y->bits.value)
                return false;
        x->bits = tnum_make(x->bits.value, x->bits.mask & ~y->bits.value);
        y->bits = tnum_make(y->bits.value, y->bits.mask & ~x->bits.value);
        return scalar_sync(x) && scalar_sync(y);
}

static const relate_fn relations[] = {
    [REL_EQ] = relate_eq,   [REL_NE] = relate_ne,       [REL_ULT] = relate_ult,
    [REL_ULE] = relate_ule, [REL_SLT] = relate_slt,     [REL_SLE] = relate_sle,
    [REL_SET] = relate_set, [REL_CLEAR] = relate_clear,
};

/* Narrow s's low half to that of `view` (a widened low half, narrowed by a 32-bit jump). */
static bool narrow_low_half(struct scalar *s, const struct scalar *view)
{
        struct tnum low = tnum_subreg(s->bits), vlow = tnum_subreg(view->bits);

        if (tnum_conflict(low, vlow))
                return false;
        s->bits = tnum_with_subreg(s->bits, tnum_intersect(low, vlow));
        clamp_u32(&s->u32min, &s->u32max, view->u32min, view->u32max);
        clamp_s32(&s->s32min, &s->s32max, view->s32min, view->s32max);
        return scalar_sync(s);
}

/*
 * One edge. A 32-bit jump compares the low halves: zero-extended for the
 * unsigned and bitwise relations, sign-extended for the signed ones, so that
 * the 64-bit relations apply; what they learn goes back to the low halves.
 */
static void follow(struct condition cond, bool jmp32, const struct scalar *dst,
                   const struct scalar *src, struct scalar_edge *edge)
{
        bool sign = cond.rel == REL_SLT || cond.rel == REL_SLE;
        struct scalar a = *dst, b = *src;

        if (jmp32) {
                a = sign ? scalar_sext(dst, 32) : scalar_trunc(dst, 32);
                b = sign ? scalar_sext(src, 32) : scalar_trunc(src, 32);
        }
        edge->dst = *dst;
        edge->src = *src;
        edge->feasible = cond.swap ? relations[cond.rel](&b, &a) : relations[cond.rel](&a, &b);
        if (!edge->feasible)
                return;
        if (!jmp32) {
                edge->dst = a;
                edge->src = b;
                return;
        }
        edge->feasible = narrow_low_half(&edge->dst, &a) && narrow_low_half(&edge->src, &b);
        if (!edge->feasible) {
                edge->dst = *dst;
                edge->src = *src;
        }
}

void scalar_branch(const struct bpfaot_insn *insn, const struct scalar *dst,
                   const struct scalar *src, struct scalar_edge *taken,
                   struct scalar_edge *fallthrough)
{
        bool jmp32 = bpfaot_insn_class(insn) == BPFAOT_CLASS_JMP32;
        struct condition cond = jump_conditions[insn_op(insn) >> 4], neg;
        struct scalar imm;

        if (!insn_is_reg_src(insn)) {
                imm = scalar_const(jmp32 ? (uint32_t)insn->imm : (uint64_t)(int64_t)insn->imm);
                src = &imm;
        } else if (!src) {
                imm = scalar_top();
                src = &imm;
        }
        if (cond.rel == REL_NONE) {
                *taken = *fallthrough = (struct scalar_edge){true, *dst, *src};
                return;
        }
        neg = negations[cond.rel];
        follow(cond, jmp32, dst, src, taken);
        follow((struct condition){neg.rel, cond.swap != neg.swap}, jmp32, dst, src, fallthrough);
}

/* ------------------------------------------------------------------ */
/* Printing                                                            */
/* ------------------------------------------------------------------ */

/* snprintf appending at `len`, counting what does not fit. */
struct printer {
        char *buf;
        size_t size, len;
};

static void __attribute__((format(printf, 2, 3))) put(struct printer *p, const char *fmt, ...)
{
        bool room = p->len < p->size;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(room ? p->buf + p->len : NULL, room ? p->size - p->len : 0, fmt, ap);
        va_end(ap);
        if (n > 0)
                p->len += (size_t)n;
}

static void put_snum(struct printer *p, int64_t v)
{
        if (snum_is_decimal(v))
                put(p, "%" PRId64, v);
        else
                put(p, "0x%" PRIx64, (uint64_t)v);
}

static void put_unum(struct printer *p, uint64_t v)
{
        if (unum_is_decimal(v))
                put(p, "%" PRIu64, v);
        else
                put(p, "0x%" PRIx64, v);
}

/*
 * The bounds in the kernel's order, each left out at its type's limit. A
 * minimum is merged with the later minima of the same value (a maximum with
 * maxima), "smin=smin32=0", signed ones only with those of the same sign. A
 * 32-bit signed bound printed in hex is not sign-extended (0xfffffffe).
 */
static void put_bounds(struct printer *p, const struct scalar *s, const char **sep)
{
        struct bound {
                const char *name;
                uint64_t value;
                bool omit, is_signed;
        } b[] = {
            {"smin", (uint64_t)s->smin, s->smin == INT64_MIN, true},
            {"smax", (uint64_t)s->smax, s->smax == INT64_MAX, true},
            {"umin", s->umin, s->umin == 0, false},
            {"umax", s->umax, s->umax == UINT64_MAX, false},
            {"smin32",
             snum_is_decimal(s->s32min) ? (uint64_t)(int64_t)s->s32min : (uint32_t)s->s32min,
             s->s32min == INT32_MIN, true},
            {"smax32",
             snum_is_decimal(s->s32max) ? (uint64_t)(int64_t)s->s32max : (uint32_t)s->s32max,
             s->s32max == INT32_MAX, true},
            {"umin32", s->u32min, s->u32min == 0, false},
            {"umax32", s->u32max, s->u32max == UINT32_MAX, false},
        };
        size_t cnt = sizeof(b) / sizeof(b[0]);

        for (size_t i = 0; i < cnt; i++) {
                bool negative = b[i].is_signed && (int64_t)b[i].value < 0;

                if (b[i].omit)
                        continue;
                put(p, "%s%s=", *sep, b[i].name);
                *sep = ",";
                for (size_t j = i + 2; j < cnt; j += 2) {
                        if (b[j].omit || b[j].value != b[i].value ||
                            (b[j].is_signed && (int64_t)b[j].value < 0) != negative)
                                continue;
                        b[j].omit = true;
                        put(p, "%s=", b[j].name);
                }
                if (b[i].is_signed)
                        put_snum(p, (int64_t)b[i].value);
                else
                        put_unum(p, b[i].value);
        }
}

int scalar_print(char *buf, size_t size, const struct scalar *s)
{
        struct printer p = {.buf = buf, .size = buf ? size : 0};
        const char *sep = "";

        if (scalar_is_const(s)) {
                put_snum(&p, (int64_t)s->bits.value);
                return (int)p.len;
        }
        put(&p, "scalar(");
        put_bounds(&p, s, &sep);
        if (!tnum_is_unknown(s->bits))
                put(&p, "%svar_off=(0x%" PRIx64 "; 0x%" PRIx64 ")", sep, s->bits.value,
                    s->bits.mask);
        put(&p, ")");
        return (int)p.len;
}

/* SPDX-License-Identifier: MIT */
/*
 * The scalar abstract domain (scalar.c): hand-written cases for every tnum
 * operation, ALU operation, jump condition, join, widening and the log
 * format; then a randomized soundness test. Random abstract operands (built
 * from ranges, known bits, 32-bit bounds, meets, joins and results of other
 * operations) come with concrete members; the concrete result of each
 * operation on those members, computed here independently from RFC 9669,
 * must be a member of the abstract result. The same holds for joins,
 * widenings, meets, extensions and both edges of every conditional jump.
 * Every abstract result must also be consistent: bounds ordered and within
 * the known bits, and a fixed point of scalar_sync.
 */
#include "test_util.h"
#include "scalar.h"

#include <inttypes.h>
#include <stdarg.h>

#define LOW32 UINT64_C(0xffffffff)

/* ------------------------------------------------------------------ */
/* The concrete semantics (RFC 9669), written for this test            */
/* ------------------------------------------------------------------ */

static uint64_t sext_from(uint64_t v, unsigned bits)
{
        uint64_t sign;

        if (bits >= 64)
                return v;
        sign = UINT64_C(1) << (bits - 1);
        v &= (sign << 1) - 1;
        return (v ^ sign) - sign;
}

static uint64_t ref_sdiv(uint64_t a, uint64_t b, unsigned bits)
{
        int64_t x = (int64_t)sext_from(a, bits), y = (int64_t)sext_from(b, bits);

        if (y == 0)
                return 0;
        if (y == -1) /* the most negative value divided by -1 wraps to itself */
                return -(uint64_t)x;
        return (uint64_t)(x / y);
}

static uint64_t ref_smod(uint64_t a, uint64_t b, unsigned bits)
{
        int64_t x = (int64_t)sext_from(a, bits), y = (int64_t)sext_from(b, bits);

        if (y == 0)
                return a;
        if (y == -1)
                return 0;
        return (uint64_t)(x % y);
}

static uint64_t swap_bytes(uint64_t v, unsigned bits)
{
        uint64_t r = 0;

        for (unsigned i = 0; i < bits / 8; i++)
                r |= ((v >> (8 * i)) & 0xff) << (bits - 8 - 8 * i);
        return r;
}

static bool is_alu64(const struct bpfaot_insn *in)
{
        return bpfaot_insn_class(in) == BPFAOT_CLASS_ALU64;
}

static bool is_reg_src(const struct bpfaot_insn *in)
{
        return (in->opcode & BPFAOT_SRC_X) != 0;
}

/* dst after ALU instruction `in` with source register value `src`. */
static uint64_t ref_alu(const struct bpfaot_insn *in, uint64_t dst, uint64_t src)
{
        unsigned bits = is_alu64(in) ? 64 : 32;
        uint64_t keep = bits == 64 ? UINT64_MAX : LOW32;
        uint64_t d = dst & keep, s = (is_reg_src(in) ? src : (uint64_t)(int64_t)in->imm) & keep;
        uint64_t r;

        switch (in->opcode & 0xf0) {
        case BPFAOT_ALU_END: {
                unsigned width = (unsigned)in->imm;
                uint64_t low = width == 64 ? dst : dst & ((UINT64_C(1) << width) - 1);
                return is_alu64(in) || is_reg_src(in) ? swap_bytes(low, width) : low;
        }
        case BPFAOT_ALU_ADD:
                r = d + s;
                break;
        case BPFAOT_ALU_SUB:
                r = d - s;
                break;
        case BPFAOT_ALU_MUL:
                r = d * s;
                break;
        case BPFAOT_ALU_DIV:
                r = in->off == 1 ? ref_sdiv(d, s, bits) : s ? d / s : 0;
                break;
        case BPFAOT_ALU_MOD:
                r = in->off == 1 ? ref_smod(d, s, bits) : s ? d % s : d;
                break;
        case BPFAOT_ALU_OR:
                r = d | s;
                break;
        case BPFAOT_ALU_AND:
                r = d & s;
                break;
        case BPFAOT_ALU_XOR:
                r = d ^ s;
                break;
        case BPFAOT_ALU_LSH:
                r = d << (s & (bits - 1));
                break;
        case BPFAOT_ALU_RSH:
                r = d >> (s & (bits - 1));
                break;
        case BPFAOT_ALU_ARSH:
                r = (uint64_t)((int64_t)sext_from(d, bits) >> (s & (bits - 1)));
                break;
        case BPFAOT_ALU_NEG:
                r = -d;
                break;
        default: /* mov, movsx */
                r = in->off ? sext_from(s, (unsigned)in->off) : s;
                break;
        }
        return r & keep;
}

/* Whether conditional jump `in` is taken. */
static bool ref_taken(const struct bpfaot_insn *in, uint64_t dst, uint64_t src)
{
        bool is32 = bpfaot_insn_class(in) == BPFAOT_CLASS_JMP32;
        uint64_t d = dst, s = is_reg_src(in) ? src : (uint64_t)(int64_t)in->imm;
        int64_t sd, ss;

        if (is32) {
                d &= LOW32;
                s &= LOW32;
        }
        sd = (int64_t)sext_from(d, is32 ? 32 : 64);
        ss = (int64_t)sext_from(s, is32 ? 32 : 64);
        switch (in->opcode & 0xf0) {
        case BPFAOT_JMP_JEQ:
                return d == s;
        case BPFAOT_JMP_JNE:
                return d != s;
        case BPFAOT_JMP_JGT:
                return d > s;
        case BPFAOT_JMP_JGE:
                return d >= s;
        case BPFAOT_JMP_JLT:
                return d < s;
        case BPFAOT_JMP_JLE:
                return d <= s;
        case BPFAOT_JMP_JSGT:
                return sd > ss;
        case BPFAOT_JMP_JSGE:
                return sd >= ss;
        case BPFAOT_JMP_JSLT:
                return sd < ss;
        case BPFAOT_JMP_JSLE:
                return sd <= ss;
        default: /* jset */
                return (d & s) != 0;
        }
}

/* ------------------------------------------------------------------ */
/* Membership and consistency, checked independently of scalar.c       */
/* ------------------------------------------------------------------ */

static bool member(const struct scalar *s, uint64_t v)
{
        return (v & ~s->bits.mask) == s->bits.value && v >= s->umin && v <= s->umax &&
               (int64_t)v >= s->smin && (int64_t)v <= s->smax && (uint32_t)v >= s->u32min &&
               (uint32_t)v <= s->u32max && (int32_t)(uint32_t)v >= s->s32min &&
               (int32_t)(uint32_t)v <= s->s32max;
}

static bool consistent(const struct scalar *s)
{
        struct tnum t = s->bits;
        uint64_t lv = t.value & LOW32, lm = t.mask & LOW32;
        struct scalar again = *s;

        return (t.value & t.mask) == 0 && s->umin <= s->umax && s->smin <= s->smax &&
               s->u32min <= s->u32max && s->s32min <= s->s32max && s->umin >= t.value &&
               s->umax <= (t.value | t.mask) && (uint32_t)s->u32min >= lv &&
               s->u32max <= (lv | lm) &&
               s->smin >= (int64_t)(t.value | (t.mask & (UINT64_C(1) << 63))) &&
               s->smax <= (int64_t)(t.value | (t.mask & ~(UINT64_C(1) << 63))) &&
               s->s32min >= (int32_t)(uint32_t)(lv | (lm & 0x80000000)) &&
               s->s32max <= (int32_t)(uint32_t)(lv | (lm & 0x7fffffff)) && scalar_sync(&again) &&
               scalar_equal(&again, s);
}

/* Failures of the randomized checks: counted, the first few shown. */
static int shown;

static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
        va_list ap;

        test_failures++;
        if (shown++ >= 20)
                return;
        va_start(ap, fmt);
        fputs("FAIL: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

static const char *show(const struct scalar *s, char *buf, size_t size)
{
        scalar_print(buf, size, s);
        return buf;
}

#define SHOWN(s) show((s), (char[256]){0}, 256)
/* The address of a temporary scalar. */
#define TMP(e) (&(struct scalar[]){e}[0])

static void check_consistent(const struct scalar *s, const char *what)
{
        test_checks++;
        if (!consistent(s))
                fail("%s: inconsistent %s [s %" PRId64 " %" PRId64 " u %" PRIx64 " %" PRIx64
                     " s32 %d %d u32 %u %u]",
                     what, SHOWN(s), s->smin, s->smax, s->umin, s->umax, s->s32min, s->s32max,
                     s->u32min, s->u32max);
}

static void check_member(const struct scalar *s, uint64_t v, const char *what)
{
        test_checks++;
        if (!member(s, v))
                fail("%s: 0x%" PRIx64 " not in %s", what, v, SHOWN(s));
}

/* ------------------------------------------------------------------ */
/* Hand-written cases                                                  */
/* ------------------------------------------------------------------ */

#define CHECK_TNUM(t, v, m)                                                                        \
        do {                                                                                       \
                struct tnum t_ = (t);                                                              \
                CHECKF(t_.value == (uint64_t)(v) && t_.mask == (uint64_t)(m),                      \
                       "(0x%" PRIx64 "; 0x%" PRIx64 ")", t_.value, t_.mask);                       \
        } while (0)

#define CHECK_PRINT(s, want)                                                                       \
        do {                                                                                       \
                struct scalar s_ = (s);                                                            \
                CHECK_STR_EQ(SHOWN(&s_), want);                                                    \
        } while (0)

#define CHECK_U(s, lo, hi)                                                                         \
        do {                                                                                       \
                struct scalar s_ = (s);                                                            \
                CHECKF(s_.umin == (uint64_t)(lo) && s_.umax == (uint64_t)(hi), "%s", SHOWN(&s_));  \
        } while (0)

#define CHECK_S(s, lo, hi)                                                                         \
        do {                                                                                       \
                struct scalar s_ = (s);                                                            \
                CHECKF(s_.smin == (int64_t)(lo) && s_.smax == (int64_t)(hi), "%s", SHOWN(&s_));    \
        } while (0)

#define CHECK_CONST(s, v)                                                                          \
        do {                                                                                       \
                struct scalar s_ = (s), want_ = scalar_const(v);                                   \
                CHECKF(scalar_equal(&s_, &want_), "%s", SHOWN(&s_));                               \
        } while (0)

static struct bpfaot_insn insn(uint8_t cls, uint8_t op, bool reg, int16_t off, int32_t imm)
{
        return (struct bpfaot_insn){.opcode =
                                        (uint8_t)(cls | op | (reg ? BPFAOT_SRC_X : BPFAOT_SRC_K)),
                                    .dst = 1,
                                    .src = reg ? 2 : 0,
                                    .off = off,
                                    .imm = imm};
}

/* dst op= imm, 64-bit or 32-bit. */
static struct scalar alu_k(bool wide, uint8_t op, int16_t off, struct scalar d, int32_t imm)
{
        struct bpfaot_insn in =
            insn(wide ? BPFAOT_CLASS_ALU64 : BPFAOT_CLASS_ALU, op, false, off, imm);
        return scalar_alu(&in, &d, NULL);
}

/* dst op= src (register). */
static struct scalar alu_x(bool wide, uint8_t op, int16_t off, struct scalar d, struct scalar s)
{
        struct bpfaot_insn in =
            insn(wide ? BPFAOT_CLASS_ALU64 : BPFAOT_CLASS_ALU, op, true, off, 0);
        return scalar_alu(&in, &d, &s);
}

static void test_tnum(void)
{
        char buf[64];

        CHECK_TNUM(tnum_range(0, 255), 0, 0xff);
        CHECK_TNUM(tnum_range(16, 31), 0x10, 0xf);
        CHECK_TNUM(tnum_range(5, 5), 5, 0);
        CHECK_TNUM(tnum_range(0, UINT64_MAX), 0, UINT64_MAX);
        CHECK_TNUM(tnum_range(0x100, 0x1ff), 0x100, 0xff);
        CHECK(tnum_is_unknown(tnum_unknown()) && tnum_is_const(tnum_const(7)));

        CHECK_TNUM(tnum_add(tnum_const(1), tnum_range(0, 1)), 0, 3);
        CHECK_TNUM(tnum_add(tnum_const(3), tnum_const(4)), 7, 0);
        CHECK_TNUM(tnum_add((struct tnum){0x10, 0xf}, tnum_const(0x100)), 0x110, 0xf);
        CHECK_TNUM(tnum_sub(tnum_const(10), tnum_const(3)), 7, 0);
        CHECK_TNUM(tnum_sub(tnum_const(0x100), (struct tnum){0, 0xf}), 0, 0x1ff);
        CHECK_TNUM(tnum_neg(tnum_const(1)), UINT64_MAX, 0);
        CHECK_TNUM(tnum_mul(tnum_const(3), tnum_const(5)), 15, 0);
        CHECK_TNUM(tnum_mul(tnum_range(0, 1), tnum_const(4)), 0, 4);
        CHECK_TNUM(tnum_mul(tnum_range(0, 3), tnum_const(8)), 0, 0x18);
        CHECK_TNUM(tnum_and(tnum_range(0, 255), tnum_const(0x0f)), 0, 0x0f);
        CHECK_TNUM(tnum_and((struct tnum){0xf0, 0x0f}, tnum_const(0x3c)), 0x30, 0x0c);
        CHECK_TNUM(tnum_or(tnum_const(0x10), (struct tnum){0, 0xf}), 0x10, 0xf);
        CHECK_TNUM(tnum_or(tnum_const(1), (struct tnum){0, 1}), 1, 0);
        CHECK_TNUM(tnum_xor(tnum_const(0xff), (struct tnum){0, 0x0f}), 0xf0, 0x0f);

        CHECK_TNUM(tnum_lshift((struct tnum){1, 2}, 4, 64), 0x10, 0x20);
        CHECK_TNUM(tnum_lshift(tnum_const(0x80000001), 1, 32), 2, 0);
        CHECK_TNUM(tnum_rshift((struct tnum){0x10, 0x20}, 4, 64), 1, 2);
        CHECK_TNUM(tnum_rshift(tnum_const(0x100000010), 4, 32), 1, 0);
        CHECK_TNUM(tnum_arshift(tnum_const(UINT64_C(1) << 63), 4, 64), UINT64_C(0xf8) << 56, 0);
        CHECK_TNUM(tnum_arshift((struct tnum){0, UINT64_C(1) << 63}, 62, 64), 0,
                   0xfffffffffffffffe);
        CHECK_TNUM(tnum_arshift(tnum_const(0x80000000), 4, 32), 0xf8000000, 0);
        CHECK_TNUM(tnum_bswap(tnum_const(0x1234), 16), 0x3412, 0);
        CHECK_TNUM(tnum_bswap((struct tnum){0x100, 0xff}, 64), UINT64_C(1) << 48,
                   UINT64_C(0xff) << 56);

        CHECK_TNUM(tnum_union(tnum_const(4), tnum_const(6)), 4, 2);
        CHECK_TNUM(tnum_intersect(tnum_range(0, 255), (struct tnum){0x10, ~UINT64_C(0x10)}), 0x10,
                   0xef);
        CHECK(tnum_conflict(tnum_const(1), tnum_const(2)));
        CHECK(!tnum_conflict(tnum_range(0, 3), tnum_const(2)));
        CHECK_TNUM(tnum_cast(tnum_const(0x12345678), 2), 0x5678, 0);
        CHECK_TNUM(tnum_subreg((struct tnum){UINT64_C(1) << 40, 0xff}), 0, 0xff);
        CHECK_TNUM(tnum_clear_subreg((struct tnum){UINT64_C(1) << 40, 0xff}), UINT64_C(1) << 40, 0);
        CHECK_TNUM(tnum_with_subreg(tnum_unknown(), tnum_const(5)), 5, ~LOW32);
        CHECK_TNUM(tnum_sext(tnum_const(0x80), 8), 0xffffffffffffff80, 0);
        CHECK_TNUM(tnum_sext((struct tnum){0, 0x80}, 8), 0, 0xffffffffffffff80);
        CHECK_TNUM(tnum_sext(tnum_const(0x17f), 8), 0x7f, 0);

        CHECK(tnum_contains((struct tnum){0x10, 0x0f}, 0x1a));
        CHECK(!tnum_contains((struct tnum){0x10, 0x0f}, 0x2a));
        CHECK(tnum_subset(tnum_const(0x1a), (struct tnum){0x10, 0x0f}));
        CHECK(tnum_subset((struct tnum){0x10, 0x3}, (struct tnum){0x10, 0x0f}));
        CHECK(!tnum_subset((struct tnum){0x10, 0x30}, (struct tnum){0x10, 0x0f}));

        tnum_print(buf, sizeof(buf), tnum_range(0, 255));
        CHECK_STR_EQ(buf, "(0x0; 0xff)");
        tnum_print(buf, sizeof(buf), tnum_const(5));
        CHECK_STR_EQ(buf, "5");
        tnum_print(buf, sizeof(buf), tnum_const(0x10000));
        CHECK_STR_EQ(buf, "0x10000");
}

static void test_print(void)
{
        struct scalar u32 = alu_x(false, BPFAOT_ALU_MOV, 0, scalar_unknown(), scalar_unknown());
        char small[8];
        int n;

        CHECK_PRINT(scalar_unknown(), "scalar()");
        CHECK_PRINT(scalar_const(5), "5");
        CHECK_PRINT(scalar_const(UINT64_MAX), "-1");
        CHECK_PRINT(scalar_const(0x12345), "0x12345");
        CHECK_PRINT(scalar_const(0x8000000000000000), "0x8000000000000000");
        CHECK_PRINT(alu_k(true, BPFAOT_ALU_AND, 0, scalar_unknown(), 0xff),
                    "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))");
        CHECK_PRINT(scalar_srange(-5, 5), "scalar(smin=smin32=-5,smax=smax32=5)");
        CHECK_PRINT(scalar_trunc(&u32, 32),
                    "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))");
        CHECK_PRINT(scalar_urange(0x10000, 0x1ffff),
                    "scalar(smin=umin=smin32=umin32=0x10000,smax=umax=smax32=umax32=0x1ffff,"
                    "var_off=(0x10000; 0xffff))");
        CHECK_PRINT(scalar_srange(-0x80000000LL, -2),
                    "scalar(smin=0xffffffff80000000,smax=smax32=-2,umin=0xffffffff80000000,"
                    "umax=0xfffffffffffffffe,umin32=0x80000000,"
                    "umax32=0xfffffffe,var_off=(0xffffffff80000000; 0x7fffffff))");
        /* snprintf's contract: the full length, the buffer cut and terminated */
        n = scalar_print(small, sizeof(small), &u32);
        CHECK_EQ(n, (int)strlen("scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))"));
        CHECK_STR_EQ(small, "scalar(");
        CHECK_EQ(scalar_print(NULL, 0, &u32), n);
}

static void test_constructors(void)
{
        struct scalar s = scalar_urange(0, 0xff), t;

        CHECK_TNUM(s.bits, 0, 0xff);
        CHECK_S(s, 0, 0xff);
        CHECK(s.u32min == 0 && s.u32max == 0xff && s.s32min == 0 && s.s32max == 0xff);
        s = scalar_srange(-1, 0);
        CHECK_U(s, 0, UINT64_MAX);
        CHECK(s.s32min == -1 && s.s32max == 0);
        s = scalar_from_tnum((struct tnum){0x10, 0x0f});
        CHECK_U(s, 0x10, 0x1f);
        CHECK_S(s, 0x10, 0x1f);
        /* the 32-bit bounds of a value whose high half is known reach the 64-bit ones */
        s = scalar_unknown();
        s.bits = tnum_const(UINT64_C(3) << 32);
        s.bits.mask = LOW32;
        s.u32min = 10;
        s.u32max = 20;
        CHECK(scalar_sync(&s));
        CHECK_U(s, (UINT64_C(3) << 32) + 10, (UINT64_C(3) << 32) + 20);
        /* contradictions */
        s = scalar_urange(0, 10);
        s.bits = tnum_const(11);
        CHECK(!scalar_sync(&s));
        s = scalar_urange(0x100, 0x1ff);
        s.u32max = 0xff;
        CHECK(!scalar_sync(&s));
        s = scalar_srange(-10, -1);
        s.umax = 100;
        CHECK(!scalar_sync(&s));

        s = scalar_urange(10, 20);
        CHECK(scalar_contains(&s, 10) && scalar_contains(&s, 20) && !scalar_contains(&s, 21));
        t = scalar_urange(0, 30);
        CHECK(scalar_within(&s, &t) && !scalar_within(&t, &s));
        CHECK(!scalar_is_const(&s));
}

static void test_alu(void)
{
        struct scalar ten = scalar_urange(0, 10), s;
        const int64_t smin = INT64_MIN;

        /* add, sub, neg: exact bounds without overflow, wrapped bounds when both ends wrap */
        CHECK_U(alu_k(true, BPFAOT_ALU_ADD, 0, ten, 5), 5, 15);
        CHECK_U(alu_x(true, BPFAOT_ALU_ADD, 0, scalar_urange(UINT64_MAX - 1, UINT64_MAX),
                      scalar_const(2)),
                0, 1);
        CHECK_U(alu_x(true, BPFAOT_ALU_ADD, 0, scalar_urange(UINT64_MAX - 1, UINT64_MAX),
                      scalar_urange(1, 2)),
                0, UINT64_MAX);
        CHECK_S(alu_k(true, BPFAOT_ALU_ADD, 0, ten, -20), -20, -10);
        CHECK_U(alu_x(true, BPFAOT_ALU_SUB, 0, scalar_const(10), scalar_urange(0, 3)), 7, 10);
        CHECK_S(alu_x(true, BPFAOT_ALU_SUB, 0, scalar_const(0), ten), -10, 0);
        CHECK_S(alu_k(true, BPFAOT_ALU_NEG, 0, ten, 0), -10, 0);
        CHECK_CONST(alu_k(true, BPFAOT_ALU_NEG, 0, scalar_const(5), 0), (uint64_t)-5);
        CHECK_CONST(alu_k(false, BPFAOT_ALU_NEG, 0, scalar_const(1), 0), 0xffffffff);
        CHECK_CONST(alu_k(false, BPFAOT_ALU_ADD, 0, scalar_const(0xffffffff), 1), 0);
        CHECK_U(alu_k(false, BPFAOT_ALU_ADD, 0, scalar_urange(0x100000000, 0x100000010), 1), 1,
                0x11);
        /* the 64-bit add's low half follows the low halves even with the high half unknown */
        s = scalar_unknown();
        s.u32max = 10;
        CHECK(scalar_sync(&s));
        s = alu_k(true, BPFAOT_ALU_ADD, 0, s, 5);
        CHECK(s.u32min == 5 && s.u32max == 15);

        /* mul */
        s = alu_k(true, BPFAOT_ALU_MUL, 0, scalar_urange(0, 15), 4);
        CHECK_U(s, 0, 60);
        CHECK_TNUM(s.bits, 0, 0x3c);
        CHECK_S(alu_x(true, BPFAOT_ALU_MUL, 0, scalar_srange(-3, 2), scalar_srange(-5, 4)), -12,
                15);
        s = alu_x(true, BPFAOT_ALU_MUL, 0, scalar_urange(1, UINT64_MAX), scalar_const(2));
        CHECK_U(s, 0, UINT64_MAX - 1);
        CHECK_TNUM(s.bits, 0, UINT64_MAX - 1);

        /* div and mod, unsigned and signed, by zero and by -1 */
        CHECK_CONST(alu_k(true, BPFAOT_ALU_DIV, 0, scalar_unknown(), 0), 0);
        CHECK_CONST(alu_k(false, BPFAOT_ALU_DIV, 1, scalar_unknown(), 0), 0);
        CHECK_U(alu_k(true, BPFAOT_ALU_DIV, 0, scalar_urange(10, 100), 4), 2, 25);
        CHECK_U(alu_x(true, BPFAOT_ALU_DIV, 0, scalar_urange(10, 100), scalar_urange(0, 5)), 0,
                100);
        CHECK_CONST(alu_k(true, BPFAOT_ALU_DIV, 0, scalar_const(10), -1), 0);
        CHECK_CONST(alu_k(true, BPFAOT_ALU_DIV, 1, scalar_const((uint64_t)smin), -1),
                    (uint64_t)smin);
        CHECK_CONST(alu_k(false, BPFAOT_ALU_DIV, 1, scalar_const(0x80000000), -1), 0x80000000);
        CHECK_CONST(alu_k(false, BPFAOT_ALU_DIV, 1, scalar_const(0xfffffff6), 3), 0xfffffffd);
        CHECK_S(alu_k(true, BPFAOT_ALU_DIV, 1, scalar_srange(-100, 100), 10), -10, 10);
        CHECK_S(alu_k(true, BPFAOT_ALU_DIV, 1, scalar_srange(-100, 50), -10), -5, 10);
        CHECK_S(alu_x(true, BPFAOT_ALU_DIV, 1, scalar_srange(-100, 50), scalar_srange(2, 5)), -50,
                25);
        s = alu_k(true, BPFAOT_ALU_MOD, 0, scalar_urange(3, 1000), 0);
        CHECK_U(s, 3, 1000);
        s = alu_k(true, BPFAOT_ALU_MOD, 0, scalar_urange(0, 1000), 8);
        CHECK_U(s, 0, 7);
        CHECK_TNUM(s.bits, 0, 7);
        CHECK_U(alu_k(true, BPFAOT_ALU_MOD, 0, scalar_urange(0, 1000), 10), 0, 9);
        CHECK_U(alu_k(true, BPFAOT_ALU_MOD, 0, scalar_urange(3, 9), 10), 3, 9);
        CHECK_U(alu_k(true, BPFAOT_ALU_MOD, 0, scalar_urange(3, 10), 10), 0, 9);
        CHECK_CONST(alu_k(true, BPFAOT_ALU_MOD, 0, scalar_const(10), 10), 0);
        CHECK_CONST(alu_k(true, BPFAOT_ALU_MOD, 0, scalar_const(10), 3), 1);
        CHECK_U(alu_x(true, BPFAOT_ALU_MOD, 0, scalar_urange(0, 1000), scalar_urange(0, 10)), 0,
                1000);
        CHECK_CONST(alu_k(true, BPFAOT_ALU_MOD, 1, scalar_const((uint64_t)smin), -1), 0);
        CHECK_CONST(alu_k(false, BPFAOT_ALU_MOD, 1, scalar_const(0x80000000), -1), 0);
        CHECK_CONST(alu_k(false, BPFAOT_ALU_MOD, 1, scalar_const(0xfffffff9), 3), 0xffffffff);
        CHECK_CONST(alu_k(false, BPFAOT_ALU_MOD, 0, scalar_const(0x1fffffff9), 0), 0xfffffff9);
        CHECK_S(alu_k(true, BPFAOT_ALU_MOD, 1, scalar_srange(-100, 100), 7), -6, 6);
        CHECK_S(alu_k(true, BPFAOT_ALU_MOD, 1, scalar_srange(-100, -1), -7), -6, 0);
        CHECK_S(alu_k(true, BPFAOT_ALU_MOD, 1, scalar_srange(2, 4), 7), 0, 4);

        /* bitwise */
        CHECK_U(alu_k(true, BPFAOT_ALU_OR, 0, scalar_urange(0, 0xf), 0x10), 0x10, 0x1f);
        /* the largest value is 203; the known bits allow 255 */
        CHECK_U(alu_x(true, BPFAOT_ALU_OR, 0, scalar_urange(100, 200), scalar_urange(0, 3)), 100,
                255);
        CHECK_U(alu_x(true, BPFAOT_ALU_AND, 0, scalar_urange(0, 1000), scalar_urange(0, 300)), 0,
                300);
        CHECK_S(alu_k(true, BPFAOT_ALU_AND, 0, scalar_srange(-4, -1), -2), -4, -2);
        s = alu_k(true, BPFAOT_ALU_XOR, 0, scalar_urange(0, 0xf), 0xf0);
        CHECK_U(s, 0xf0, 0xff);
        CHECK_CONST(alu_k(true, BPFAOT_ALU_XOR, 0, scalar_const(0x5a), 0xff), 0xa5);
        CHECK_U(alu_k(false, BPFAOT_ALU_XOR, 0, scalar_unknown(), -1), 0, 0xffffffff);

        /* shifts: amounts masked to the width, ranges of amounts */
        s = alu_k(true, BPFAOT_ALU_LSH, 0, scalar_urange(0, 255), 2);
        CHECK_U(s, 0, 1020);
        CHECK_TNUM(s.bits, 0, 0x3fc);
        CHECK_U(alu_k(true, BPFAOT_ALU_RSH, 0, scalar_unknown(), 60), 0, 15);
        CHECK_S(alu_k(true, BPFAOT_ALU_ARSH, 0, scalar_srange(-8, 8), 1), -4, 4);
        CHECK_S(alu_k(true, BPFAOT_ALU_ARSH, 0, scalar_unknown(), 56), -128, 127);
        s = alu_x(true, BPFAOT_ALU_LSH, 0, scalar_const(1), scalar_urange(1, 2));
        CHECK_U(s, 2, 4);
        CHECK_TNUM(s.bits, 0, 6);
        CHECK_U(alu_x(true, BPFAOT_ALU_RSH, 0, scalar_urange(64, 128), scalar_urange(1, 3)), 8, 64);
        CHECK_CONST(alu_x(true, BPFAOT_ALU_LSH, 0, scalar_const(1), scalar_const(65)), 2);
        CHECK_CONST(alu_x(false, BPFAOT_ALU_LSH, 0, scalar_const(1), scalar_const(33)), 2);
        CHECK_CONST(alu_k(false, BPFAOT_ALU_LSH, 0, scalar_const(0x80000001), 1), 2);
        CHECK_CONST(alu_k(false, BPFAOT_ALU_RSH, 0, scalar_const(0xffffffff00000080), 4), 8);
        CHECK_CONST(alu_k(false, BPFAOT_ALU_ARSH, 0, scalar_const(0x80000000), 4), 0xf8000000);
        CHECK_U(alu_k(true, BPFAOT_ALU_LSH, 0, scalar_unknown(), 63), 0, UINT64_C(1) << 63);

        /* mov, movsx, 32-bit zero extension */
        CHECK_U(alu_x(false, BPFAOT_ALU_MOV, 0, scalar_const(0), scalar_unknown()), 0, 0xffffffff);
        CHECK_CONST(alu_k(true, BPFAOT_ALU_MOV, 0, scalar_unknown(), -1), UINT64_MAX);
        CHECK_CONST(alu_k(false, BPFAOT_ALU_MOV, 0, scalar_unknown(), -1), 0xffffffff);
        CHECK_S(alu_x(true, BPFAOT_ALU_MOV, 8, scalar_unknown(), scalar_urange(0, 255)), -128, 127);
        CHECK_S(alu_x(true, BPFAOT_ALU_MOV, 8, scalar_unknown(), scalar_urange(0, 100)), 0, 100);
        CHECK_CONST(alu_x(true, BPFAOT_ALU_MOV, 8, scalar_unknown(), scalar_const(0x180)),
                    (uint64_t)-128);
        CHECK_CONST(alu_x(true, BPFAOT_ALU_MOV, 32, scalar_unknown(), scalar_const(0xffffffff)),
                    UINT64_MAX);
        CHECK_CONST(alu_x(false, BPFAOT_ALU_MOV, 16, scalar_unknown(), scalar_const(0x8000)),
                    0xffff8000);
        CHECK_S(alu_x(true, BPFAOT_ALU_MOV, 16, scalar_unknown(), scalar_urange(0x8000, 0x8010)),
                -0x8000, -0x7ff0);
        CHECK_S(alu_x(true, BPFAOT_ALU_MOV, 32, scalar_unknown(), scalar_srange(-3, 3)), -3, 3);

        /* byte order: le truncates (the host is little-endian), be and bswap swap */
        CHECK_U(alu_k(false, BPFAOT_ALU_END, 0, scalar_unknown(), 16), 0, 0xffff);
        CHECK_U(alu_k(false, BPFAOT_ALU_END, 0, scalar_urange(0x10, 0x20), 16), 0x10, 0x20);
        CHECK_U(alu_k(false, BPFAOT_ALU_END, 0, scalar_unknown(), 64), 0, UINT64_MAX);
        CHECK_CONST(alu_k(false, BPFAOT_ALU_END, 0, scalar_const(0x5abcd1234), 32), 0xabcd1234);
        {
                struct bpfaot_insn be16 = insn(BPFAOT_CLASS_ALU, BPFAOT_ALU_END, true, 0, 16);
                struct bpfaot_insn bswap32 = insn(BPFAOT_CLASS_ALU64, BPFAOT_ALU_END, false, 0, 32);
                struct bpfaot_insn bswap64 = insn(BPFAOT_CLASS_ALU64, BPFAOT_ALU_END, false, 0, 64);
                struct scalar c = scalar_const(0x1122334455667788);

                CHECK_CONST(scalar_alu(&be16, &c, NULL), 0x8877);
                CHECK_CONST(scalar_alu(&bswap32, &c, NULL), 0x88776655);
                CHECK_CONST(scalar_alu(&bswap64, &c, NULL), 0x8877665544332211);
                s = scalar_urange(0, 0xff);
                CHECK_U(scalar_alu(&bswap64, &s, NULL), 0, UINT64_C(0xff) << 56);
        }

        /* an unknown register source, and an unknown operation */
        {
                struct bpfaot_insn add = insn(BPFAOT_CLASS_ALU, BPFAOT_ALU_ADD, true, 0, 0);
                struct bpfaot_insn bad = insn(BPFAOT_CLASS_ALU64, 0xe0, false, 0, 0);

                CHECK_U(scalar_alu(&add, &ten, NULL), 0, 0xffffffff);
                CHECK_U(scalar_alu(&bad, &ten, NULL), 0, UINT64_MAX);
        }
}

static void test_extend(void)
{
        struct scalar s;

        CHECK_CONST(scalar_trunc(TMP(scalar_const(0x1234)), 8), 0x34);
        CHECK_U(scalar_trunc(TMP(scalar_urange(0x1200, 0x12ff)), 8), 0, 0xff);
        CHECK_U(scalar_trunc(TMP(scalar_urange(0x1210, 0x1220)), 8), 0x10, 0x20);
        CHECK_U(scalar_trunc(TMP(scalar_srange(-4, -2)), 16), 0xfffc, 0xfffe);
        s = scalar_urange(0x80, 0x80);
        CHECK_CONST(scalar_sext(&s, 8), (uint64_t)-128);
        s = scalar_urange(0x70, 0x90);
        CHECK_S(scalar_sext(&s, 8), -128, 127);
        s = scalar_urange(0xf0, 0xff);
        CHECK_S(scalar_sext(&s, 8), -16, -1);
        s = scalar_srange(-100, 100);
        CHECK_S(scalar_sext(&s, 8), -100, 100);
        s = scalar_unknown();
        CHECK_S(scalar_sext(&s, 32), INT32_MIN, INT32_MAX);
        CHECK_S(scalar_sext(&s, 16), INT16_MIN, INT16_MAX);
        CHECK(scalar_equal(TMP(scalar_sext(&s, 64)), &s));
}

struct edges {
        struct scalar_edge taken, fall;
};

static struct edges jump(bool jmp32, uint8_t op, struct scalar d, const struct scalar *s,
                         int32_t imm)
{
        struct bpfaot_insn in =
            insn(jmp32 ? BPFAOT_CLASS_JMP32 : BPFAOT_CLASS_JMP, op, s != NULL, 0, imm);
        struct edges e;

        scalar_branch(&in, &d, s, &e.taken, &e.fall);
        return e;
}

static void test_branch(void)
{
        struct scalar hundred = scalar_urange(0, 100), s;
        struct edges e;

        e = jump(false, BPFAOT_JMP_JGT, hundred, NULL, 10);
        CHECK(e.taken.feasible && e.fall.feasible);
        CHECK_U(e.taken.dst, 11, 100);
        CHECK_U(e.fall.dst, 0, 10);
        CHECK_CONST(e.taken.src, 10);
        e = jump(false, BPFAOT_JMP_JGE, hundred, NULL, 10);
        CHECK_U(e.taken.dst, 10, 100);
        CHECK_U(e.fall.dst, 0, 9);
        e = jump(false, BPFAOT_JMP_JLT, hundred, NULL, 10);
        CHECK_U(e.taken.dst, 0, 9);
        CHECK_U(e.fall.dst, 10, 100);
        e = jump(false, BPFAOT_JMP_JLE, hundred, NULL, 10);
        CHECK_U(e.taken.dst, 0, 10);
        CHECK_U(e.fall.dst, 11, 100);
        e = jump(false, BPFAOT_JMP_JEQ, hundred, NULL, 7);
        CHECK_CONST(e.taken.dst, 7);
        CHECK_U(e.fall.dst, 0, 100);
        e = jump(false, BPFAOT_JMP_JNE, hundred, NULL, 0);
        CHECK_U(e.taken.dst, 1, 100);
        CHECK_CONST(e.fall.dst, 0);
        e = jump(false, BPFAOT_JMP_JNE, hundred, NULL, 100);
        CHECK_U(e.taken.dst, 0, 99);

        /* signed */
        e = jump(false, BPFAOT_JMP_JSLT, scalar_unknown(), NULL, 0);
        CHECK_S(e.taken.dst, INT64_MIN, -1);
        CHECK_S(e.fall.dst, 0, INT64_MAX);
        CHECK_U(e.fall.dst, 0, INT64_MAX);
        e = jump(false, BPFAOT_JMP_JSGT, scalar_srange(-10, 10), NULL, -3);
        CHECK_S(e.taken.dst, -2, 10);
        CHECK_S(e.fall.dst, -10, -3);
        e = jump(false, BPFAOT_JMP_JSGE, scalar_srange(-10, 10), NULL, -3);
        CHECK_S(e.taken.dst, -3, 10);
        e = jump(false, BPFAOT_JMP_JSLE, scalar_srange(-10, 10), NULL, -3);
        CHECK_S(e.taken.dst, -10, -3);
        CHECK_S(e.fall.dst, -2, 10);

        /* jset: a single possible bit becomes known, a clear test clears bits */
        e = jump(false, BPFAOT_JMP_JSET, scalar_from_tnum((struct tnum){0, 0xf}), NULL, 8);
        CHECK_TNUM(e.taken.dst.bits, 8, 7);
        CHECK_TNUM(e.fall.dst.bits, 0, 7);
        e = jump(false, BPFAOT_JMP_JSET, scalar_from_tnum((struct tnum){0, 0xf}), NULL, 0x30);
        CHECK(!e.taken.feasible && e.fall.feasible);
        e = jump(false, BPFAOT_JMP_JSET, scalar_from_tnum((struct tnum){1, 0xe}), NULL, 3);
        CHECK(e.taken.feasible && !e.fall.feasible);

        /* always and never */
        e = jump(false, BPFAOT_JMP_JGT, scalar_urange(0, 10), NULL, 20);
        CHECK(!e.taken.feasible && e.fall.feasible);
        e = jump(false, BPFAOT_JMP_JLT, scalar_urange(0, 10), NULL, 20);
        CHECK(e.taken.feasible && !e.fall.feasible);
        e = jump(false, BPFAOT_JMP_JEQ, scalar_const(3), NULL, 3);
        CHECK(e.taken.feasible && !e.fall.feasible);
        e = jump(false, BPFAOT_JMP_JNE, scalar_const(3), NULL, 3);
        CHECK(!e.taken.feasible && e.fall.feasible);
        e = jump(false, BPFAOT_JMP_JEQ, scalar_from_tnum((struct tnum){0, 0xe}), NULL, 3);
        CHECK(!e.taken.feasible && e.fall.feasible);
        e = jump(false, BPFAOT_JMP_JSLT, scalar_urange(0, 10), NULL, 0);
        CHECK(!e.taken.feasible);
        e = jump(false, BPFAOT_JMP_JLT, scalar_unknown(), NULL, 0);
        CHECK(!e.taken.feasible && e.fall.feasible);
        e = jump(false, BPFAOT_JMP_JGE, scalar_unknown(), NULL, 0);
        CHECK(e.taken.feasible && !e.fall.feasible);

        /* two registers */
        s = scalar_urange(50, 60);
        e = jump(false, BPFAOT_JMP_JGT, hundred, &s, 0);
        CHECK_U(e.taken.dst, 51, 100);
        CHECK_U(e.taken.src, 50, 60);
        CHECK_U(e.fall.dst, 0, 60);
        CHECK_U(e.fall.src, 50, 60);
        s = scalar_urange(5, 20);
        e = jump(false, BPFAOT_JMP_JEQ, scalar_urange(0, 10), &s, 0);
        CHECK_U(e.taken.dst, 5, 10);
        CHECK_U(e.taken.src, 5, 10);
        e = jump(false, BPFAOT_JMP_JLT, scalar_urange(0, 10), &s, 0);
        CHECK_U(e.taken.dst, 0, 10);
        CHECK_U(e.fall.dst, 5, 10);
        CHECK_U(e.fall.src, 5, 10);
        e = jump(false, BPFAOT_JMP_JGT, scalar_urange(0, 10), NULL, 0);
        CHECK(e.taken.feasible && e.fall.feasible);
        e = jump(false, BPFAOT_JMP_JGT, scalar_urange(0, 10), TMP(scalar_unknown()), 0);
        CHECK(e.taken.feasible && e.fall.feasible);
        CHECK_U(e.taken.src, 0, 9);

        /* 32-bit: the low halves; the high half keeps what it was */
        e = jump(true, BPFAOT_JMP_JLT, scalar_unknown(), NULL, 16);
        CHECK(e.taken.dst.u32min == 0 && e.taken.dst.u32max == 15);
        CHECK_U(e.taken.dst, 0, 0xffffffff0000000f);
        CHECK(e.fall.dst.u32min == 16 && e.fall.dst.u32max == 0xffffffff);
        s = alu_k(false, BPFAOT_ALU_MOV, 0, scalar_unknown(), 0);
        s = alu_x(false, BPFAOT_ALU_MOV, 0, s, scalar_unknown());
        e = jump(true, BPFAOT_JMP_JSGT, s, NULL, -1);
        CHECK_U(e.taken.dst, 0, 0x7fffffff);
        CHECK_U(e.fall.dst, 0x80000000, 0xffffffff);
        e = jump(true, BPFAOT_JMP_JEQ, scalar_const(0x500000007), NULL, 7);
        CHECK(e.taken.feasible && !e.fall.feasible);
        e = jump(true, BPFAOT_JMP_JSET, scalar_const(0x100000000), NULL, -1);
        CHECK(!e.taken.feasible && e.fall.feasible);
        e = jump(true, BPFAOT_JMP_JSLT, scalar_srange(-5, 5), NULL, 0);
        CHECK_S(e.taken.dst, -5, -1);
        CHECK_S(e.fall.dst, 0, 5);

        /* not a condition: both edges, nothing learned */
        {
                struct bpfaot_insn ja = insn(BPFAOT_CLASS_JMP, BPFAOT_JMP_JA, false, 0, 0);
                struct edges j;

                scalar_branch(&ja, &hundred, NULL, &j.taken, &j.fall);
                CHECK(j.taken.feasible && j.fall.feasible);
                CHECK(scalar_equal(&j.taken.dst, &hundred));
        }
}

static void test_lattice(void)
{
        struct scalar a = scalar_const(1), b = scalar_const(5), j, m, head, next;
        struct scalar_edge taken, fall;
        struct bpfaot_insn lt = insn(BPFAOT_CLASS_JMP, BPFAOT_JMP_JLT, false, 0, 100);
        int steps = 0;

        j = scalar_join(&a, &b);
        CHECK_U(j, 1, 5);
        CHECK_TNUM(j.bits, 1, 4);
        CHECK(scalar_within(&a, &j) && scalar_within(&b, &j));
        j = scalar_join(TMP(scalar_srange(-3, -1)), TMP(scalar_const(2)));
        CHECK_S(j, -3, 2);

        CHECK(scalar_meet(TMP(scalar_urange(0, 10)), TMP(scalar_urange(5, 30)), &m));
        CHECK_U(m, 5, 10);
        CHECK(!scalar_meet(TMP(scalar_urange(0, 10)), TMP(scalar_urange(20, 30)), &m));
        CHECK(!scalar_meet(&a, &b, &m));

        /*
         * Widening: what grew goes to the limit, what did not stays; the known
         * bits do not hand the bounds back. The minima did not move: the value
         * and its low half stay non-negative.
         */
        j = scalar_widen(TMP(scalar_urange(0, 10)), TMP(scalar_urange(0, 11)));
        CHECK_U(j, 0, 0x7fffffff7fffffff);
        CHECK_S(j, 0, 0x7fffffff7fffffff);
        CHECK(j.s32min == 0 && j.s32max == INT32_MAX && j.u32max == INT32_MAX);
        j = scalar_widen(TMP(scalar_srange(-10, 0)), TMP(scalar_srange(-11, 0)));
        CHECK_S(j, INT64_MIN, 0);
        j = scalar_widen(TMP(scalar_urange(0, 10)), TMP(scalar_urange(2, 8)));
        CHECK_U(j, 0, 10);
        /* a counter stepping by 4 keeps its alignment (and the signs that did not change) */
        j = scalar_widen(TMP(scalar_const(0)), TMP(scalar_const(4)));
        CHECK_TNUM(j.bits, 0, 0x7fffffff7ffffffc);
        j = scalar_widen(TMP(scalar_srange(-1, 0)), TMP(scalar_srange(-1, 1)));
        CHECK_S(j, -1, INT64_MAX);

        /* for (i = 0; i < 100; i++): a fixed point in a few steps */
        head = scalar_const(0);
        for (;;) {
                struct scalar body, joined;

                scalar_branch(&lt, &head, NULL, &taken, &fall);
                body = taken.dst;
                next = alu_k(true, BPFAOT_ALU_ADD, 0, body, 1);
                joined = scalar_join(&head, &next);
                next = scalar_widen(&head, &joined);
                steps++;
                if (scalar_equal(&next, &head) || steps > 10)
                        break;
                head = next;
        }
        CHECK(steps <= 3);
        CHECK(head.umin == 0 && head.smin == 0 && head.umax >= 100);
        scalar_branch(&lt, &head, NULL, &taken, &fall);
        CHECK_U(taken.dst, 0, 99);
        CHECK(fall.dst.umin == 100 && fall.dst.umax == head.umax);
}

/* ------------------------------------------------------------------ */
/* Randomized soundness                                                */
/* ------------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15;

static uint64_t rnd(void)
{
        /* xorshift64*: fixed seed, the same sequence every run */
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * 0x2545f4914f6cdd1d;
}

static uint64_t mask_of(unsigned bits)
{
        return bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
}

/*
 * Random numbers are drawn one per statement: the order in which a
 * function's arguments are evaluated is unspecified, and the sequence must
 * not depend on the compiler.
 */
static uint64_t random_width(void)
{
        unsigned bits = (unsigned)(rnd() % 65);

        return rnd() & mask_of(bits);
}

/* Values near the edges where bounds and bits change. */
static uint64_t interesting(void)
{
        static const uint64_t edges[] = {
            0,          1,          2,          3,           4,         7,          8,
            15,         16,         31,         32,          63,        64,         127,
            128,        255,        256,        0x7fff,      0x8000,    0xffff,     0x10000,
            0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, INT64_MAX, 1ULL << 63, UINT64_MAX};
        uint64_t e = edges[rnd() % (sizeof(edges) / sizeof(edges[0]))];

        switch (rnd() % 6) {
        case 0:
                return e + rnd() % 5 - 2;
        case 1:
                return -e;
        case 2:
                return random_width();
        case 3:
                return rnd();
        case 4:
                return rnd() % 70;
        default:
                e = rnd();
                return sext_from(e, 8u << (rnd() % 3));
        }
}

/* A spread around a value: small, at a random scale, or everything. */
static uint64_t spread(void)
{
        switch (rnd() % 4) {
        case 0:
                return rnd() % 4;
        case 1:
                return random_width();
        case 2:
                return rnd() % 300;
        default:
                return rnd() & mask_of(32);
        }
}

static uint64_t random_mask(void)
{
        unsigned shift;

        switch (rnd() % 5) {
        case 0:
                return rnd() & rnd();
        case 1:
                return mask_of((unsigned)(rnd() % 65));
        case 2:
                shift = (unsigned)(rnd() % 64);
                return mask_of((unsigned)(rnd() % 65)) << shift;
        case 3:
                return rnd();
        default:
                return rnd() & rnd() & rnd() & mask_of(32);
        }
}

#define MEMBERS 3

struct sample {
        struct scalar abs;
        uint64_t v[MEMBERS];
        int n;
};

/* An abstract value holding x. */
static struct scalar around(uint64_t x, int depth)
{
        struct scalar s = scalar_unknown(), t;
        uint64_t lo, hi;

        switch (rnd() % 7) {
        case 0:
                return scalar_const(x);
        case 1:
                lo = x - spread();
                hi = x + spread();
                return scalar_urange(lo > x ? 0 : lo, hi < x ? UINT64_MAX : hi);
        case 2:
                lo = x - spread();
                hi = x + spread();
                return scalar_srange((int64_t)lo > (int64_t)x ? INT64_MIN : (int64_t)lo,
                                     (int64_t)hi < (int64_t)x ? INT64_MAX : (int64_t)hi);
        case 3: {
                uint64_t m = random_mask();
                return scalar_from_tnum((struct tnum){x & ~m, m});
        }
        case 4:
                lo = (uint32_t)x - spread() % 1000;
                hi = (uint32_t)x + spread() % 1000;
                s.u32min = lo > (uint32_t)x ? 0 : (uint32_t)lo;
                s.u32max = hi < (uint32_t)x || hi > LOW32 ? UINT32_MAX : (uint32_t)hi;
                break;
        case 5:
                lo = (uint64_t)(int64_t)(int32_t)x - spread() % 1000;
                hi = (uint64_t)(int64_t)(int32_t)x + spread() % 1000;
                s.s32min =
                    (int64_t)lo < INT32_MIN || (int64_t)lo > (int32_t)x ? INT32_MIN : (int32_t)lo;
                s.s32max =
                    (int64_t)hi > INT32_MAX || (int64_t)hi < (int32_t)x ? INT32_MAX : (int32_t)hi;
                break;
        default:
                if (depth > 1)
                        return scalar_const(x);
                t = around(x, depth + 1);
                s = around(x, depth + 1);
                CHECK(scalar_meet(&s, &t, &s));
                return s;
        }
        CHECK(scalar_sync(&s));
        return s;
}

/* Add v to the sample's members when the abstract value holds it. */
static void offer(struct sample *sm, uint64_t v)
{
        if (sm->n < MEMBERS && member(&sm->abs, v))
                sm->v[sm->n++] = v;
}

static void add_members(struct sample *sm)
{
        const struct scalar *s = &sm->abs;

        offer(sm, rnd() % 2 ? s->umin : s->umax);
        offer(sm, (uint64_t)(rnd() % 2 ? s->smin : s->smax));
        for (int i = 0; i < 8 && sm->n < MEMBERS; i++) {
                uint64_t v = s->bits.value | (rnd() & s->bits.mask);

                if (rnd() % 2 && s->umax > s->umin)
                        v = s->umin + rnd() % (s->umax - s->umin);
                offer(sm, v);
        }
}

static struct bpfaot_insn random_alu(void);
static struct scalar checked_alu(const struct bpfaot_insn *in, const struct sample *a,
                                 const struct sample *b);

/* A random sample around x. */
static void gen_around(struct sample *sm, uint64_t x)
{
        sm->n = 0;
        sm->abs = around(x, 0);
        offer(sm, x);
        add_members(sm);
}

static void gen(struct sample *sm, int depth)
{
        unsigned kind = (unsigned)(rnd() % 10);

        sm->n = 0;
        if (depth < 2 && kind == 0) {
                struct sample a, b;
                struct bpfaot_insn in = random_alu();

                gen(&a, depth + 1);
                gen(&b, depth + 1);
                sm->abs = checked_alu(&in, &a, &b);
                for (int i = 0; i < a.n && sm->n < MEMBERS; i++)
                        offer(sm, ref_alu(&in, a.v[i], b.v[(i + sm->n) % b.n]));
        } else if (depth < 2 && kind == 1) {
                struct sample a, b;

                gen(&a, depth + 1);
                gen(&b, depth + 1);
                sm->abs = scalar_join(&a.abs, &b.abs);
                offer(sm, a.v[0]);
                offer(sm, b.v[0]);
        } else {
                gen_around(sm, interesting());
                return;
        }
        add_members(sm);
        if (sm->n == 0) { /* an unsound result, reported already: go on with a constant */
                sm->abs = scalar_const(0);
                sm->v[sm->n++] = 0;
        }
}

struct variant {
        uint8_t op;
        int16_t off;
        bool wide_only;
};

static const struct variant alu_variants[] = {
    {BPFAOT_ALU_ADD, 0, false},  {BPFAOT_ALU_SUB, 0, false}, {BPFAOT_ALU_MUL, 0, false},
    {BPFAOT_ALU_DIV, 0, false},  {BPFAOT_ALU_DIV, 1, false}, {BPFAOT_ALU_OR, 0, false},
    {BPFAOT_ALU_AND, 0, false},  {BPFAOT_ALU_LSH, 0, false}, {BPFAOT_ALU_RSH, 0, false},
    {BPFAOT_ALU_NEG, 0, false},  {BPFAOT_ALU_MOD, 0, false}, {BPFAOT_ALU_MOD, 1, false},
    {BPFAOT_ALU_XOR, 0, false},  {BPFAOT_ALU_MOV, 0, false}, {BPFAOT_ALU_MOV, 8, false},
    {BPFAOT_ALU_MOV, 16, false}, {BPFAOT_ALU_MOV, 32, true}, {BPFAOT_ALU_ARSH, 0, false},
};
#define ALU_VARIANTS (sizeof(alu_variants) / sizeof(alu_variants[0]))

static int32_t random_imm(void)
{
        return rnd() % 3 ? (int32_t)(rnd() % 70) - 2 : (int32_t)interesting();
}

static struct bpfaot_insn random_alu(void)
{
        const struct variant *v = &alu_variants[rnd() % ALU_VARIANTS];
        bool wide = v->wide_only || rnd() % 2;
        bool reg = rnd() % 2;

        return insn(wide ? BPFAOT_CLASS_ALU64 : BPFAOT_CLASS_ALU, v->op, reg, v->off, random_imm());
}

static void describe(char *buf, size_t size, const struct bpfaot_insn *in, const struct sample *a,
                     const struct sample *b)
{
        snprintf(buf, size, "op 0x%02x off %d imm %d dst %s src %s", in->opcode, in->off, in->imm,
                 SHOWN(&a->abs), SHOWN(&b->abs));
}

/* scalar_alu checked: consistent, and holding the result for every pair of members. */
static struct scalar checked_alu(const struct bpfaot_insn *in, const struct sample *a,
                                 const struct sample *b)
{
        struct scalar r = scalar_alu(in, &a->abs, &b->abs);
        char what[512];

        describe(what, sizeof(what), in, a, b);
        check_consistent(&r, what);
        for (int i = 0; i < a->n; i++)
                for (int j = 0; j < (is_reg_src(in) ? b->n : 1); j++)
                        check_member(&r, ref_alu(in, a->v[i], b->v[j]), what);
        return r;
}

static void random_alu_ops(const struct sample *a, const struct sample *b)
{
        static const struct {
                uint8_t cls;
                bool reg;
                int32_t width;
        } ends[] = {
            {BPFAOT_CLASS_ALU, false, 16},   {BPFAOT_CLASS_ALU, false, 32},
            {BPFAOT_CLASS_ALU, false, 64},   {BPFAOT_CLASS_ALU, true, 16},
            {BPFAOT_CLASS_ALU, true, 32},    {BPFAOT_CLASS_ALU, true, 64},
            {BPFAOT_CLASS_ALU64, false, 16}, {BPFAOT_CLASS_ALU64, false, 32},
            {BPFAOT_CLASS_ALU64, false, 64},
        };

        for (size_t v = 0; v < ALU_VARIANTS; v++) {
                for (int c = 0; c < 4; c++) {
                        bool wide = c & 1, reg = c & 2;
                        struct bpfaot_insn in;

                        if (alu_variants[v].wide_only && !wide)
                                continue;
                        in = insn(wide ? BPFAOT_CLASS_ALU64 : BPFAOT_CLASS_ALU, alu_variants[v].op,
                                  reg, alu_variants[v].off, random_imm());
                        checked_alu(&in, a, b);
                }
        }
        for (size_t e = 0; e < sizeof(ends) / sizeof(ends[0]); e++) {
                struct bpfaot_insn in =
                    insn(ends[e].cls, BPFAOT_ALU_END, ends[e].reg, 0, ends[e].width);
                checked_alu(&in, a, b);
        }
}

static const uint8_t jump_ops[] = {
    BPFAOT_JMP_JEQ,  BPFAOT_JMP_JNE,  BPFAOT_JMP_JGT,  BPFAOT_JMP_JGE,
    BPFAOT_JMP_JLT,  BPFAOT_JMP_JLE,  BPFAOT_JMP_JSGT, BPFAOT_JMP_JSGE,
    BPFAOT_JMP_JSLT, BPFAOT_JMP_JSLE, BPFAOT_JMP_JSET,
};

/* Every pair of members lies on the edge its comparison follows, in that edge's operands. */
static void random_branches(const struct sample *a, const struct sample *b)
{
        for (size_t o = 0; o < sizeof(jump_ops); o++) {
                for (int c = 0; c < 4; c++) {
                        bool jmp32 = c & 1, reg = c & 2;
                        struct bpfaot_insn in = insn(jmp32 ? BPFAOT_CLASS_JMP32 : BPFAOT_CLASS_JMP,
                                                     jump_ops[o], reg, 0, random_imm());
                        struct scalar_edge taken, fall;
                        struct scalar imm;
                        char what[512];

                        /* an immediate is a member of its own constant */
                        imm = scalar_const(jmp32 ? (uint32_t)in.imm : (uint64_t)(int64_t)in.imm);
                        scalar_branch(&in, &a->abs, reg ? &b->abs : NULL, &taken, &fall);
                        describe(what, sizeof(what), &in, a, b);
                        if (taken.feasible) {
                                check_consistent(&taken.dst, what);
                                check_consistent(&taken.src, what);
                        }
                        if (fall.feasible) {
                                check_consistent(&fall.dst, what);
                                check_consistent(&fall.src, what);
                        }
                        for (int i = 0; i < a->n; i++) {
                                for (int j = 0; j < (reg ? b->n : 1); j++) {
                                        uint64_t s = reg ? b->v[j] : imm.bits.value;
                                        const struct scalar_edge *edge =
                                            ref_taken(&in, a->v[i], s) ? &taken : &fall;

                                        test_checks++;
                                        if (!edge->feasible) {
                                                fail("%s: 0x%" PRIx64 ", 0x%" PRIx64
                                                     " takes an infeasible edge",
                                                     what, a->v[i], s);
                                                continue;
                                        }
                                        check_member(&edge->dst, a->v[i], what);
                                        check_member(&edge->src, s, what);
                                }
                        }
                }
        }
}

static void random_lattice(const struct sample *a, const struct sample *b)
{
        struct scalar j = scalar_join(&a->abs, &b->abs), w = scalar_widen(&a->abs, &b->abs), m;
        char what[512];
        bool common = false;

        snprintf(what, sizeof(what), "join/widen/meet of %s and %s", SHOWN(&a->abs),
                 SHOWN(&b->abs));
        check_consistent(&j, what);
        check_consistent(&w, what);
        test_checks++;
        if (!scalar_within(&a->abs, &j) || !scalar_within(&b->abs, &j) || !scalar_within(&j, &w))
                fail("%s: join %s widen %s not above", what, SHOWN(&j), SHOWN(&w));
        for (int i = 0; i < a->n; i++) {
                check_member(&j, a->v[i], what);
                check_member(&w, a->v[i], what);
                common |= member(&b->abs, a->v[i]);
        }
        for (int i = 0; i < b->n; i++) {
                check_member(&j, b->v[i], what);
                check_member(&w, b->v[i], what);
                common |= member(&a->abs, b->v[i]);
        }
        test_checks++;
        if (!scalar_meet(&a->abs, &b->abs, &m)) {
                if (common)
                        fail("%s: empty meet with a common member", what);
                return;
        }
        check_consistent(&m, what);
        for (int i = 0; i < a->n; i++)
                if (member(&b->abs, a->v[i]))
                        check_member(&m, a->v[i], what);
}

static void random_extensions(const struct sample *a)
{
        static const unsigned widths[] = {8, 16, 32, 64};
        char what[256];

        for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
                struct scalar t = scalar_trunc(&a->abs, widths[w]);
                struct scalar s = scalar_sext(&a->abs, widths[w]);

                snprintf(what, sizeof(what), "trunc/sext %u of %s", widths[w], SHOWN(&a->abs));
                check_consistent(&t, what);
                check_consistent(&s, what);
                for (int i = 0; i < a->n; i++) {
                        check_member(&t, a->v[i] & mask_of(widths[w]), what);
                        check_member(&s, sext_from(a->v[i], widths[w]), what);
                }
        }
}

#define ROUNDS 400

static void test_random(void)
{
        for (int round = 0; round < ROUNDS; round++) {
                struct sample a, b;

                gen(&a, 0);
                /* sometimes close to the other, so that equal and near operands are common */
                if (rnd() % 4 == 0)
                        gen_around(&b, a.v[0] + rnd() % 3 - 1);
                else
                        gen(&b, 0);
                check_consistent(&a.abs, "generated");
                check_consistent(&b.abs, "generated");
                random_alu_ops(&a, &b);
                random_branches(&a, &b);
                random_lattice(&a, &b);
                random_extensions(&a);
        }
}

/*
 * The shortcuts scalar_alu and scalar_trunc take (known operands folded,
 * nothing known in, nothing known out) give what the rules give.
 */
static void test_shortcuts(void)
{
        static const char top32[] = "scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))";
        static const uint8_t lose_any[] = {BPFAOT_ALU_ADD, BPFAOT_ALU_SUB, BPFAOT_ALU_XOR};
        static const uint8_t lose_both[] = {BPFAOT_ALU_MUL, BPFAOT_ALU_OR, BPFAOT_ALU_AND};
        struct scalar u = scalar_unknown(), byte = scalar_urange(0, 255);

        CHECK(scalar_equal(TMP(scalar_trunc(&u, 8)), TMP(scalar_urange(0, 0xff))));
        CHECK(scalar_equal(TMP(scalar_trunc(&u, 16)), TMP(scalar_urange(0, 0xffff))));
        CHECK(scalar_equal(TMP(scalar_trunc(&u, 32)), TMP(scalar_urange(0, 0xffffffff))));
        for (size_t k = 0; k < sizeof(lose_any); k++) {
                CHECK_PRINT(alu_k(true, lose_any[k], 0, u, 5), "scalar()");
                CHECK_PRINT(alu_k(false, lose_any[k], 0, u, 5), top32);
                CHECK_PRINT(alu_x(true, lose_any[k], 0, byte, u), "scalar()");
                CHECK_PRINT(alu_x(false, lose_any[k], 0, byte, u), top32);
        }
        for (size_t k = 0; k < sizeof(lose_both); k++) {
                CHECK_PRINT(alu_x(true, lose_both[k], 0, u, u), "scalar()");
                CHECK_PRINT(alu_x(false, lose_both[k], 0, u, u), top32);
        }
        /* with one unknown operand, and still bounds the result */
        CHECK_U(alu_x(true, BPFAOT_ALU_AND, 0, byte, u), 0, 255);
        CHECK_PRINT(alu_k(true, BPFAOT_ALU_NEG, 0, u, 0), "scalar()");
        CHECK_PRINT(alu_k(false, BPFAOT_ALU_NEG, 0, u, 0), top32);
        /* mov does not read dst; movsx sign-extends the known source */
        CHECK_CONST(alu_k(true, BPFAOT_ALU_MOV, 0, u, -3), UINT64_MAX - 2);
        CHECK_CONST(alu_k(false, BPFAOT_ALU_MOV, 0, u, -3), 0xfffffffd);
        CHECK_CONST(alu_x(true, BPFAOT_ALU_MOV, 8, u, scalar_const(0x80)), UINT64_MAX - 0x7f);
        /* folded constants: the kernel's division and shift rules */
        CHECK_CONST(alu_x(true, BPFAOT_ALU_DIV, 0, scalar_const(7), scalar_const(0)), 0);
        CHECK_CONST(alu_x(true, BPFAOT_ALU_MOD, 0, scalar_const(7), scalar_const(0)), 7);
        CHECK_CONST(alu_x(false, BPFAOT_ALU_LSH, 0, scalar_const(1), scalar_const(33)), 2);
        CHECK_CONST(alu_k(true, BPFAOT_ALU_DIV, 1, scalar_const((uint64_t)INT64_MIN), -1),
                    (uint64_t)INT64_MIN);
}

int main(void)
{
        test_tnum();
        test_print();
        test_constructors();
        test_alu();
        test_shortcuts();
        test_extend();
        test_branch();
        test_lattice();
        test_random();
        return TEST_EXIT("test_scalar");
}

/* SPDX-License-Identifier: MIT */
/* Concrete ALU and jump semantics, shared by the interpreter and the analysis (eval.h). */
#include "internal.h"
#include "eval.h"
#include "insn.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "le/be byte order assumes a little-endian host"
#endif

/* ------------------------------------------------------------------ */
/* Arithmetic helpers (two's complement without undefined behaviour)   */
/* ------------------------------------------------------------------ */

static uint64_t arsh64(uint64_t v, unsigned n)
{
        return (v >> 63) ? ~(~v >> n) : v >> n;
}

static uint32_t arsh32(uint32_t v, unsigned n)
{
        return (v >> 31) ? ~(~v >> n) : v >> n;
}

static bool neg64(uint64_t v)
{
        return v >> 63;
}

static bool neg32(uint32_t v)
{
        return v >> 31;
}

/* Signed 64-bit division: x / 0 = 0, INT64_MIN / -1 = INT64_MIN, rounding toward zero. */
static uint64_t sdiv64(uint64_t a, uint64_t b)
{
        uint64_t ua = neg64(a) ? -a : a, ub = neg64(b) ? -b : b;
        uint64_t q;

        if (b == 0)
                return 0;
        q = ua / ub; /* magnitudes as unsigned: INT64_MIN's magnitude fits */
        return neg64(a) != neg64(b) ? -q : q;
}

/* Signed 64-bit remainder: x % 0 = x, result takes the dividend's sign. */
static uint64_t smod64(uint64_t a, uint64_t b)
{
        uint64_t ua = neg64(a) ? -a : a, ub = neg64(b) ? -b : b;
        uint64_t r;

        if (b == 0)
                return a;
        r = ua % ub;
        return neg64(a) ? -r : r;
}

static uint32_t sdiv32(uint32_t a, uint32_t b)
{
        uint32_t ua = neg32(a) ? -a : a, ub = neg32(b) ? -b : b;
        uint32_t q;

        if (b == 0)
                return 0;
        q = ua / ub;
        return neg32(a) != neg32(b) ? -q : q;
}

static uint32_t smod32(uint32_t a, uint32_t b)
{
        uint32_t ua = neg32(a) ? -a : a, ub = neg32(b) ? -b : b;
        uint32_t r;

        if (b == 0)
                return a;
        r = ua % ub;
        return neg32(a) ? -r : r;
}

/* ------------------------------------------------------------------ */
/* ALU                                                                 */
/* ------------------------------------------------------------------ */

/* 64-bit operation; `off` is 1 for signed div/mod and the source width for movsx. */
static uint64_t alu64(uint8_t op, uint64_t d, uint64_t s, int16_t off)
{
        switch (op) {
        case BPFAOT_ALU_ADD:
                return d + s;
        case BPFAOT_ALU_SUB:
                return d - s;
        case BPFAOT_ALU_MUL:
                return d * s;
        case BPFAOT_ALU_DIV:
                if (off == 1)
                        return sdiv64(d, s);
                return s ? d / s : 0;
        case BPFAOT_ALU_MOD:
                if (off == 1)
                        return smod64(d, s);
                return s ? d % s : d;
        case BPFAOT_ALU_OR:
                return d | s;
        case BPFAOT_ALU_AND:
                return d & s;
        case BPFAOT_ALU_XOR:
                return d ^ s;
        case BPFAOT_ALU_LSH:
                return d << (s & 63);
        case BPFAOT_ALU_RSH:
                return d >> (s & 63);
        case BPFAOT_ALU_ARSH:
                return arsh64(d, (unsigned)(s & 63));
        case BPFAOT_ALU_NEG:
                return -d;
        default: /* MOV, MOVSX */
                return off ? eval_sext(s, (unsigned)off) : s;
        }
}

/* 32-bit operation on the low halves (same `off`); the caller zero-extends the result. */
static uint32_t alu32(uint8_t op, uint32_t d, uint32_t s, int16_t off)
{
        switch (op) {
        case BPFAOT_ALU_ADD:
                return d + s;
        case BPFAOT_ALU_SUB:
                return d - s;
        case BPFAOT_ALU_MUL:
                return d * s;
        case BPFAOT_ALU_DIV:
                if (off == 1)
                        return sdiv32(d, s);
                return s ? d / s : 0;
        case BPFAOT_ALU_MOD:
                if (off == 1)
                        return smod32(d, s);
                return s ? d % s : d;
        case BPFAOT_ALU_OR:
                return d | s;
        case BPFAOT_ALU_AND:
                return d & s;
        case BPFAOT_ALU_XOR:
                return d ^ s;
        case BPFAOT_ALU_LSH:
                return d << (s & 31);
        case BPFAOT_ALU_RSH:
                return d >> (s & 31);
        case BPFAOT_ALU_ARSH:
                return arsh32(d, s & 31);
        case BPFAOT_ALU_NEG:
                return -d;
        default: /* MOV, MOVSX: sign-extend into 32 bits */
                return off ? (uint32_t)eval_sext(s, (unsigned)off) : s;
        }
}

/*
 * Byte order. ALU le16/32/64 and be16/32/64 convert from host (little-endian)
 * order: le truncates, be swaps; ALU64 bswap always swaps. Results of the 16
 * and 32-bit forms are zero-extended.
 */
static uint64_t byte_order(const struct bpfaot_insn *insn, uint64_t d)
{
        bool swap = bpfaot_insn_class(insn) == BPFAOT_CLASS_ALU64 || insn_is_reg_src(insn);

        switch (insn->imm) {
        case 16:
                return swap ? __builtin_bswap16((uint16_t)d) : (uint16_t)d;
        case 32:
                return swap ? __builtin_bswap32((uint32_t)d) : (uint32_t)d;
        default:
                return swap ? __builtin_bswap64(d) : d;
        }
}

uint64_t eval_alu(const struct bpfaot_insn *insn, uint64_t dst, uint64_t src)
{
        uint8_t op = insn_op(insn);

        if (op == BPFAOT_ALU_END)
                return byte_order(insn, dst);
        if (bpfaot_insn_class(insn) == BPFAOT_CLASS_ALU64) {
                /* imm is sign-extended to 64 bits, also for (unsigned) div and mod */
                uint64_t s = insn_is_reg_src(insn) ? src : (uint64_t)(int64_t)insn->imm;
                return alu64(op, dst, s, insn->off);
        }
        return alu32(op, (uint32_t)dst, insn_is_reg_src(insn) ? (uint32_t)src : (uint32_t)insn->imm,
                     insn->off);
}

static bool condition(uint8_t op, uint64_t a, uint64_t b, bool is32)
{
        int64_t sa, sb;

        if (is32) {
                a = (uint32_t)a;
                b = (uint32_t)b;
                sa = (int64_t)eval_sext(a, 32);
                sb = (int64_t)eval_sext(b, 32);
        } else {
                sa = (int64_t)a;
                sb = (int64_t)b;
        }
        switch (op) {
        case BPFAOT_JMP_JEQ:
                return a == b;
        case BPFAOT_JMP_JNE:
                return a != b;
        case BPFAOT_JMP_JGT:
                return a > b;
        case BPFAOT_JMP_JGE:
                return a >= b;
        case BPFAOT_JMP_JLT:
                return a < b;
        case BPFAOT_JMP_JLE:
                return a <= b;
        case BPFAOT_JMP_JSET:
                return (a & b) != 0;
        case BPFAOT_JMP_JSGT:
                return sa > sb;
        case BPFAOT_JMP_JSGE:
                return sa >= sb;
        case BPFAOT_JMP_JSLT:
                return sa < sb;
        default: /* JSLE */
                return sa <= sb;
        }
}

bool eval_jump(const struct bpfaot_insn *insn, uint64_t dst, uint64_t src)
{
        uint64_t b = insn_is_reg_src(insn) ? src : (uint64_t)(int64_t)insn->imm;

        return condition(insn_op(insn), dst, b, bpfaot_insn_class(insn) == BPFAOT_CLASS_JMP32);
}

/* SPDX-License-Identifier: MIT */
/*
 * Random program generator (see gen.h for the register conventions).
 *
 * Programs are generated as nested blocks, so every jump is forward over a
 * block that was generated right after it (or backward to a loop head),
 * which makes validity hold by construction. A program is the entry
 * followed by up to three sub-programs; a sub-program calls only those
 * after it, so calls never recurse.
 */
#include "gen.h"

#include "bpfaot/runtime.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define MAX_SUBS            3
#define MAX_DEPTH           4    /* nesting of blocks */
#define SOFT_MAX_INSNS      3000 /* stop nesting beyond this size */
#define CALLER_STACK_WINDOW 256

/* ------------------------------------------------------------------ */
/* Random numbers (splitmix64: tiny, seedable, no global state)        */
/* ------------------------------------------------------------------ */

struct rng {
        uint64_t s;
};

static uint64_t mix64(uint64_t z)
{
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

static uint64_t rng_next(struct rng *r)
{
        r->s += 0x9e3779b97f4a7c15ull;
        return mix64(r->s);
}

static uint32_t below(struct rng *r, uint32_t n)
{
        return (uint32_t)(rng_next(r) % n);
}

static bool chance(struct rng *r, unsigned percent)
{
        return below(r, 100) < percent;
}

#define PICK(r, arr) ((arr)[below((r), ARRAY_SIZE(arr))])

/* ------------------------------------------------------------------ */
/* Interesting values                                                  */
/* ------------------------------------------------------------------ */

/* clang-format off */
static const int32_t interesting32[] = {
        0, 1, -1, 2, -2, 3, 7, 8,
        16, 31, 32, 33, 63, 64, 0x7f, 0x80,
        0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, -0x80, -0x8000,
        INT32_MAX, INT32_MIN, INT32_MIN + 1, 0x55555555, (int32_t)0xaaaaaaaau,
};
/* clang-format on */

static const uint64_t interesting64[] = {
    0,
    1,
    ~0ull,
    0x8000000000000000ull, /* INT64_MIN */
    0x7fffffffffffffffull,
    0x8000000000000001ull,
    0x80000000ull,
    0x7fffffffull,
    0xffffffffull,
    0x100000000ull,
    0xffffffff80000000ull, /* INT32_MIN sign-extended */
    0xffffffff00000000ull,
    0x00000000ffff0000ull,
    0x0123456789abcdefull,
    0xfedcba9876543210ull,
    0xff00ff00ff00ff00ull,
    0x80ull,
    0x8000ull,
};

static int32_t gen_imm32(struct rng *r)
{
        unsigned k = below(r, 100);

        if (k < 45)
                return PICK(r, interesting32);
        if (k < 70)
                return (int32_t)below(r, 33) - 16;
        return (int32_t)(uint32_t)rng_next(r);
}

static uint64_t gen_imm64(struct rng *r)
{
        unsigned k = below(r, 100);

        if (k < 50)
                return PICK(r, interesting64);
        if (k < 65)
                return (uint64_t)(int64_t)gen_imm32(r);
        return rng_next(r);
}

/* ------------------------------------------------------------------ */
/* Generator state and emission                                        */
/* ------------------------------------------------------------------ */

struct call_fixup {
        size_t insn;  /* the call instruction */
        unsigned sub; /* callee, 1..n_subs */
};

struct gen {
        struct rng rng;
        struct bpfaot_insn *code;
        size_t cnt, cap;
        struct call_fixup fix[4096];
        size_t fix_cnt;
        bool oom;

        size_t mem_len;
        unsigned n_subs;
        unsigned sub; /* 0: the entry; k: sub-program k */
        unsigned depth;
        bool in_loop;
        bool sandbox, unsafe; /* GEN_SANDBOX, GEN_UNSAFE */
        uint32_t
            unsafe_where; /* GEN_UNSAFE: the kinds of unsafe items (bits of enum unsafe_where) */
        uint32_t unsafe_kinds; /* and of their offsets (bits of enum unsafe_off) */
        uint32_t reserved; /* registers (bit r) holding a pointer or a counter for a few insns */
};

static struct bpfaot_insn mk(uint8_t opcode, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
        return (struct bpfaot_insn){
            .opcode = opcode, .dst = dst, .src = src, .off = off, .imm = imm};
}

/* Append one slot; returns its index. On allocation failure the program is dropped later. */
static size_t emit(struct gen *g, struct bpfaot_insn insn)
{
        if (g->cnt == g->cap) {
                size_t cap = g->cap ? g->cap * 2 : 256;
                struct bpfaot_insn *c = realloc(g->code, cap * sizeof(*c));
                if (!c) {
                        g->oom = true;
                        return g->cnt ? g->cnt - 1 : 0;
                }
                g->code = c;
                g->cap = cap;
        }
        g->code[g->cnt] = insn;
        return g->cnt++;
}

static void patch_off(struct gen *g, size_t jump, size_t target)
{
        if (!g->oom)
                g->code[jump].off = (int16_t)((long)target - (long)jump - 1);
}

static void patch_imm(struct gen *g, size_t jump, size_t target)
{
        if (!g->oom)
                g->code[jump].imm = (int32_t)((long)target - (long)jump - 1);
}

static void emit_mov64_imm(struct gen *g, uint8_t dst, int32_t imm)
{
        emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_MOV | BPFAOT_SRC_K, dst, 0, 0, imm));
}

static void emit_mov64_reg(struct gen *g, uint8_t dst, uint8_t src)
{
        emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_MOV | BPFAOT_SRC_X, dst, src, 0, 0));
}

static void emit_lddw(struct gen *g, uint8_t dst, uint64_t v)
{
        emit(g, mk(BPFAOT_OP_LDDW, dst, BPFAOT_LDDW_IMM64, 0, (int32_t)(uint32_t)v));
        emit(g, mk(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32)));
}

/* ------------------------------------------------------------------ */
/* Registers                                                           */
/* ------------------------------------------------------------------ */

#define REG_LOOP         6
#define REG_CALLER_STACK 8
#define REG_CTX          9

static const uint8_t writable_entry[] = {0, 1, 2, 3, 4, 5, 7, 8};
static const uint8_t writable_sub[] = {0, 1, 2, 3, 4, 5, 7};

/* A register random instructions may write (never r6, r9, r10, nor r8 in sub-programs). */
static uint8_t pick_dst(struct gen *g)
{
        uint8_t r;

        do {
                if (chance(&g->rng, 25))
                        r = 0;
                else
                        r = g->sub ? PICK(&g->rng, writable_sub) : PICK(&g->rng, writable_entry);
        } while (g->reserved & (1u << r));
        return r;
}

/* A register holding data (the writable ones plus the loop counter). */
static uint8_t pick_src(struct gen *g)
{
        return chance(&g->rng, 10) ? REG_LOOP : pick_dst(g);
}

/* A base register with the offsets [lo, hi) that are in bounds from it. */
struct base {
        uint8_t reg;
        int32_t lo, hi;
        int32_t hot; /* start of a 64-byte window most accesses use, so they alias */
};

static struct base pick_base(struct gen *g)
{
        unsigned k = below(&g->rng, g->sub ? 3 : 2);

        if (k == 0)
                return (struct base){BPFAOT_REG_FP, -GEN_STACK_SIZE, 0, -64};
        if (k == 1)
                return (struct base){REG_CTX, 0, (int32_t)g->mem_len, 64};
        return (struct base){REG_CALLER_STACK, -CALLER_STACK_WINDOW, CALLER_STACK_WINDOW, -32};
}

/* An in-bounds offset for `size` bytes; `aligned` keeps it a multiple of size. */
static int16_t pick_off(struct gen *g, struct base b, unsigned size, bool aligned)
{
        int32_t lo = b.lo, hi = b.hi, step = aligned ? (int32_t)size : 1;
        uint32_t slots;

        if (chance(&g->rng, 70)) {
                lo = b.hot;
                hi = b.hot + 64;
        }
        slots = (uint32_t)((hi - lo - (int32_t)size) / step + 1);
        return (int16_t)(lo + step * (int32_t)below(&g->rng, slots));
}

static uint8_t size_field(unsigned bytes)
{
        switch (bytes) {
        case 1:
                return BPFAOT_SIZE_B;
        case 2:
                return BPFAOT_SIZE_H;
        case 4:
                return BPFAOT_SIZE_W;
        default:
                return BPFAOT_SIZE_DW;
        }
}

/* ------------------------------------------------------------------ */
/* Straight-line instructions                                          */
/* ------------------------------------------------------------------ */

static int32_t gen_shift_imm(struct gen *g, bool is64)
{
        static const int32_t large[] = {32, 33, 63, 64, 65, 127, 255, -1, INT32_MIN};
        unsigned width = is64 ? 64 : 32;

        if (chance(&g->rng, 15))
                return PICK(&g->rng, large);
        return (int32_t)below(&g->rng, width);
}

/* le16/32/64, be16/32/64 (ALU) or bswap16/32/64 (ALU64). */
static void gen_byte_order(struct gen *g, uint8_t dst)
{
        static const uint8_t opcodes[] = {
            BPFAOT_CLASS_ALU | BPFAOT_ALU_END | BPFAOT_SRC_K,   /* le */
            BPFAOT_CLASS_ALU | BPFAOT_ALU_END | BPFAOT_SRC_X,   /* be */
            BPFAOT_CLASS_ALU64 | BPFAOT_ALU_END | BPFAOT_SRC_K, /* bswap */
        };
        static const int32_t widths[] = {16, 32, 64};

        emit(g, mk(PICK(&g->rng, opcodes), dst, 0, 0, PICK(&g->rng, widths)));
}

static void gen_alu(struct gen *g)
{
        static const uint8_t ops[] = {
            BPFAOT_ALU_ADD, BPFAOT_ALU_SUB, BPFAOT_ALU_MUL,  BPFAOT_ALU_DIV, BPFAOT_ALU_OR,
            BPFAOT_ALU_AND, BPFAOT_ALU_LSH, BPFAOT_ALU_RSH,  BPFAOT_ALU_NEG, BPFAOT_ALU_MOD,
            BPFAOT_ALU_XOR, BPFAOT_ALU_MOV, BPFAOT_ALU_ARSH, BPFAOT_ALU_END,
        };
        static const int16_t sx64[] = {8, 16, 32}, sx32[] = {8, 16};
        bool is64 = chance(&g->rng, 50);
        uint8_t cls = is64 ? BPFAOT_CLASS_ALU64 : BPFAOT_CLASS_ALU;
        uint8_t op = PICK(&g->rng, ops), dst = pick_dst(g);
        bool shift = op == BPFAOT_ALU_LSH || op == BPFAOT_ALU_RSH || op == BPFAOT_ALU_ARSH;
        int16_t off = 0;

        if (op == BPFAOT_ALU_NEG) {
                emit(g, mk(cls | op, dst, 0, 0, 0));
                return;
        }
        if (op == BPFAOT_ALU_END) {
                gen_byte_order(g, dst);
                return;
        }
        if ((op == BPFAOT_ALU_DIV || op == BPFAOT_ALU_MOD) && chance(&g->rng, 50))
                off = 1; /* sdiv, smod */
        if (chance(&g->rng, 50)) {
                if (op == BPFAOT_ALU_MOV && chance(&g->rng, 40))
                        off = is64 ? PICK(&g->rng, sx64) : PICK(&g->rng, sx32); /* movsx */
                emit(g, mk(cls | op | BPFAOT_SRC_X, dst, pick_src(g), off, 0));
                return;
        }
        emit(g, mk(cls | op | BPFAOT_SRC_K, dst, 0, off,
                   shift ? gen_shift_imm(g, is64) : gen_imm32(&g->rng)));
}

/* Classic traps: operations whose results compilers often get wrong. */
struct alu_trap {
        bool is64;
        uint8_t op;
        int16_t off; /* 1: signed div/mod; movsx width */
        uint64_t dst, src;
};

#define I64_MIN 0x8000000000000000ull
#define M1      (~0ull)
static const struct alu_trap alu_traps[] = {
    {true, BPFAOT_ALU_DIV, 1, I64_MIN, M1},                            /* wraps to INT64_MIN */
    {true, BPFAOT_ALU_MOD, 1, I64_MIN, M1},                            /* 0 */
    {false, BPFAOT_ALU_DIV, 1, 0x1234567880000000ull, M1},             /* INT32_MIN, junk above */
    {false, BPFAOT_ALU_MOD, 1, 0xffffffff80000000ull, M1},             /* 0 */
    {true, BPFAOT_ALU_DIV, 0, 12345, 0},                               /* 0 */
    {true, BPFAOT_ALU_MOD, 0, 12345, 0},                               /* dst */
    {true, BPFAOT_ALU_DIV, 1, 0xfffffffffffffff9ull, 0},               /* 0 */
    {true, BPFAOT_ALU_MOD, 1, 0xfffffffffffffff9ull, 0},               /* dst */
    {false, BPFAOT_ALU_DIV, 0, 0xabcdef0012345678ull, 0x100000000ull}, /* low half 0 */
    {false, BPFAOT_ALU_MOD, 0, 0xabcdef0012345678ull, 0x100000000ull}, /* truncated dst */
    {false, BPFAOT_ALU_MOD, 1, 0xabcdef00fffffff9ull, 0},              /* truncated dst */
    {false, BPFAOT_ALU_DIV, 1, 0xabcdef00fffffff9ull, 0},
    {true, BPFAOT_ALU_DIV, 1, 0xfffffffffffffff9ull, 2}, /* -3: toward zero */
    {true, BPFAOT_ALU_MOD, 1, 0xfffffffffffffff9ull, 2}, /* -1: dividend's sign */
    {true, BPFAOT_ALU_MOD, 1, 7, 0xfffffffffffffffeull}, /* 1 */
    {false, BPFAOT_ALU_DIV, 1, 0xfffffff9ull, 2},
    {false, BPFAOT_ALU_MOD, 1, 0xfffffff9ull, 2},
    {false, BPFAOT_ALU_MOD, 1, 7, 0xfffffffeull},
    {true, BPFAOT_ALU_DIV, 0, 0xfffffffffffffff0ull, M1}, /* unsigned: 0 */
    {true, BPFAOT_ALU_MOD, 0, 5, M1},                     /* 5 */
    {true, BPFAOT_ALU_DIV, 0, M1, M1},                    /* 1 */
    {false, BPFAOT_ALU_DIV, 0, 0xfffffff0ull, M1},        /* 0 */
    {true, BPFAOT_ALU_LSH, 0, 0x123456789ull, 64},        /* by 0 */
    {true, BPFAOT_ALU_RSH, 0, I64_MIN, 63},
    {true, BPFAOT_ALU_ARSH, 0, I64_MIN, 63},
    {true, BPFAOT_ALU_ARSH, 0, I64_MIN, 65},
    {false, BPFAOT_ALU_LSH, 0, 0x123456789ull, 32}, /* by 0 */
    {false, BPFAOT_ALU_RSH, 0, 0xff00000080000000ull, 31},
    {false, BPFAOT_ALU_ARSH, 0, 0xff00000080000000ull, 31},
    {false, BPFAOT_ALU_ARSH, 0, 0x0000000180000000ull, 33},
    {false, BPFAOT_ALU_ARSH, 0, 0xffffffff7fffffffull, 4},
    {true, BPFAOT_ALU_MOV, 8, 0, 0x1234567812345680ull},
    {true, BPFAOT_ALU_MOV, 16, 0, 0x1234567812348000ull},
    {true, BPFAOT_ALU_MOV, 32, 0, 0x1234567880000000ull},
    {false, BPFAOT_ALU_MOV, 8, 0, 0x12345678123456ffull},
    {false, BPFAOT_ALU_MOV, 16, 0, 0x1234567812348000ull},
    {true, BPFAOT_ALU_MUL, 0, I64_MIN, M1},
    {false, BPFAOT_ALU_MUL, 0, 0x1234567880000000ull, M1},
    {false, BPFAOT_ALU_NEG, 0, 0x1234567880000000ull, 0},
    {true, BPFAOT_ALU_NEG, 0, I64_MIN, 0},
};

/* An imm form gives the same operand: 32-bit forms use the low half, 64-bit ones sign-extend. */
static bool trap_has_imm_form(const struct alu_trap *t)
{
        if (t->op == BPFAOT_ALU_MOV || t->op == BPFAOT_ALU_NEG)
                return false;
        return !t->is64 || t->src == (uint64_t)(int64_t)(int32_t)(uint32_t)t->src;
}

/* Random operands from edge values; 32-bit forms get junk in the upper half. */
static struct alu_trap random_trap(struct gen *g)
{
        /* clang-format off */
        static const uint64_t dsts[] = {
                I64_MIN, 0xffffffff80000000ull, 0x0000000080000000ull,
                0x1234567880000000ull, M1, 0,
                1, 0x7fffffffffffffffull, 0xdeadbeef7fffffffull,
                5, 0xfffffffffffffffbull, 0x00000001fffffffbull,
                0xffffffff00000007ull,
        };
        static const uint64_t srcs[] = {
                0, M1, 0xffffffffull, 0x100000000ull,
                1, 2, 0xfffffffffffffffeull, I64_MIN,
                0x80000000ull, 0xffffffff80000000ull, 3, 0xfffffffffffffffdull,
                31, 32, 63, 64,
                0x1234567800000000ull,
        };
        /* clang-format on */
        static const uint8_t ops[] = {BPFAOT_ALU_DIV, BPFAOT_ALU_MOD,  BPFAOT_ALU_LSH,
                                      BPFAOT_ALU_RSH, BPFAOT_ALU_ARSH, BPFAOT_ALU_MOV,
                                      BPFAOT_ALU_NEG, BPFAOT_ALU_MUL};
        struct alu_trap t = {.is64 = chance(&g->rng, 50),
                             .op = PICK(&g->rng, ops),
                             .dst = PICK(&g->rng, dsts),
                             .src = PICK(&g->rng, srcs)};

        if (t.op == BPFAOT_ALU_DIV || t.op == BPFAOT_ALU_MOD)
                t.off = (int16_t)below(&g->rng, 2);
        else if (t.op == BPFAOT_ALU_MOV)
                t.off = (int16_t)(8 << below(&g->rng, t.is64 ? 3 : 2));
        return t;
}

/*
 * An operation at an edge of its semantics (INT_MIN / -1, division by zero,
 * shift amounts past the width, ...), with its result stored to the context
 * so that it stays observable.
 */
static void gen_edge_alu(struct gen *g)
{
        struct alu_trap t = chance(&g->rng, 50) ? PICK(&g->rng, alu_traps) : random_trap(g);
        uint8_t cls = t.is64 ? BPFAOT_CLASS_ALU64 : BPFAOT_CLASS_ALU;
        uint8_t dst = pick_dst(g), src;

        emit_lddw(g, dst, t.dst);
        if (t.op == BPFAOT_ALU_NEG) {
                emit(g, mk(cls | t.op, dst, 0, 0, 0));
        } else if (trap_has_imm_form(&t) && chance(&g->rng, 50)) {
                emit(g, mk(cls | t.op | BPFAOT_SRC_K, dst, 0, t.off, (int32_t)(uint32_t)t.src));
        } else {
                do
                        src = pick_dst(g);
                while (src == dst);
                emit_lddw(g, src, t.src);
                emit(g, mk(cls | t.op | BPFAOT_SRC_X, dst, src, t.off, 0));
        }
        emit(g, mk(BPFAOT_CLASS_STX | BPFAOT_MODE_MEM | BPFAOT_SIZE_DW, REG_CTX, dst,
                   (int16_t)(72 + 8 * below(&g->rng, (uint32_t)(g->mem_len - 72) / 8)), 0));
}

/* Load an interesting constant: mov, mov32 or lddw. */
static void gen_const(struct gen *g)
{
        uint8_t dst = pick_dst(g);
        unsigned k = below(&g->rng, 100);

        if (k < 55)
                emit_mov64_imm(g, dst, gen_imm32(&g->rng));
        else if (k < 70)
                emit(g, mk(BPFAOT_CLASS_ALU | BPFAOT_ALU_MOV | BPFAOT_SRC_K, dst, 0, 0,
                           gen_imm32(&g->rng)));
        else
                emit_lddw(g, dst, gen_imm64(&g->rng));
}

static void gen_load(struct gen *g, struct base b)
{
        static const unsigned sizes[] = {1, 2, 4, 8};
        unsigned size = PICK(&g->rng, sizes);
        uint8_t mode = size < 8 && chance(&g->rng, 30) ? BPFAOT_MODE_MEMSX : BPFAOT_MODE_MEM;
        int16_t off = pick_off(g, b, size, chance(&g->rng, 80));

        emit(g, mk(BPFAOT_CLASS_LDX | mode | size_field(size), pick_dst(g), b.reg, off, 0));
}

static void gen_store(struct gen *g, struct base b)
{
        static const unsigned sizes[] = {1, 2, 4, 8};
        unsigned size = PICK(&g->rng, sizes);
        int16_t off = pick_off(g, b, size, chance(&g->rng, 80));

        if (chance(&g->rng, 40))
                emit(g, mk(BPFAOT_CLASS_ST | BPFAOT_MODE_MEM | size_field(size), b.reg, 0, off,
                           gen_imm32(&g->rng)));
        else
                emit(g, mk(BPFAOT_CLASS_STX | BPFAOT_MODE_MEM | size_field(size), b.reg,
                           pick_src(g), off, 0));
}

static void gen_atomic(struct gen *g, struct base b)
{
        static const int32_t ops[] = {
            BPFAOT_ATOMIC_ADD,
            BPFAOT_ATOMIC_OR,
            BPFAOT_ATOMIC_AND,
            BPFAOT_ATOMIC_XOR,
            BPFAOT_ATOMIC_ADD | BPFAOT_ATOMIC_FETCH,
            BPFAOT_ATOMIC_OR | BPFAOT_ATOMIC_FETCH,
            BPFAOT_ATOMIC_AND | BPFAOT_ATOMIC_FETCH,
            BPFAOT_ATOMIC_XOR | BPFAOT_ATOMIC_FETCH,
            BPFAOT_ATOMIC_XCHG,
            BPFAOT_ATOMIC_CMPXCHG,
        };
        unsigned size = chance(&g->rng, 50) ? 4 : 8;
        int32_t op = PICK(&g->rng, ops);
        /* fetch forms and xchg write their source register; cmpxchg writes r0 */
        bool writes_src = (op & BPFAOT_ATOMIC_FETCH) && op != BPFAOT_ATOMIC_CMPXCHG;
        uint8_t src = writes_src ? pick_dst(g) : pick_src(g);
        int16_t off = pick_off(g, b, size, true);

        /* Let cmpxchg succeed: r0 = the current value (for 32 bits, with junk above). */
        if (op == BPFAOT_ATOMIC_CMPXCHG && chance(&g->rng, 50)) {
                if (off % 8 == 0 && off + 8 <= b.hi)
                        emit(g, mk(BPFAOT_CLASS_LDX | BPFAOT_MODE_MEM | BPFAOT_SIZE_DW, 0, b.reg,
                                   off, 0));
                else /* a 32-bit cmpxchg at an offset that is not 8-aligned */
                        emit(g, mk(BPFAOT_CLASS_LDX | BPFAOT_MODE_MEMSX | BPFAOT_SIZE_W, 0, b.reg,
                                   off, 0));
        }
        emit(g, mk(BPFAOT_CLASS_STX | BPFAOT_MODE_ATOMIC | size_field(size), b.reg, src, off, op));
}

/* `n` random loads, stores and (when `atomics`) atomics through `d`. */
static void gen_accesses(struct gen *g, struct base d, unsigned n, bool atomics)
{
        for (unsigned i = 0; i < n; i++) {
                unsigned k = below(&g->rng, atomics ? 3 : 2);
                if (k == 0)
                        gen_load(g, d);
                else if (k == 1)
                        gen_store(g, d);
                else
                        gen_atomic(g, d);
        }
}

/*
 * `n` random accesses through the temporary base register `d.reg`, which is
 * reserved meanwhile and overwritten afterwards, so the pointer never
 * becomes data.
 */
static void gen_accesses_through(struct gen *g, struct base d, unsigned n)
{
        g->reserved |= 1u << d.reg;
        gen_accesses(g, d, n, true);
        g->reserved &= ~(1u << d.reg);
        emit_mov64_imm(g, d.reg, gen_imm32(&g->rng));
}

/*
 * Accesses through a pointer computed from a base (tmp = base + delta), so
 * that the compiler sees the same memory through two different addresses.
 * The temporary is reserved while it holds the pointer and then overwritten,
 * so the pointer never becomes data.
 */
static void gen_derived_access(struct gen *g)
{
        struct base b = pick_base(g);
        int32_t delta = b.hot + 8 * (int32_t)below(&g->rng, 9);
        uint8_t tmp = pick_dst(g);
        struct base d;
        unsigned n = 1 + below(&g->rng, 3);

        while (tmp == 0) /* cmpxchg writes r0 */
                tmp = pick_dst(g);
        d = (struct base){tmp, b.lo - delta, b.hi - delta, b.hot - delta};
        emit_mov64_reg(g, tmp, b.reg);
        emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, tmp, 0, 0, delta));
        gen_accesses_through(g, d, n);
}

/*
 * Accesses through a register that points into the frame on one path and
 * into ctx on the other: the compiler must not treat them as frame accesses.
 */
static void gen_merged_access(struct gen *g)
{
        int32_t hi = g->mem_len - 64 < 64 ? (int32_t)g->mem_len - 64 : 64;
        uint8_t tmp = pick_dst(g), cond = pick_src(g);
        unsigned n = 1 + below(&g->rng, 3);
        struct base d = {tmp, -64, hi, -64};

        while (tmp == 0) /* cmpxchg writes r0 */
                tmp = pick_dst(g);
        while (cond == tmp)
                cond = pick_src(g);
        d.reg = tmp;
        emit_mov64_reg(g, tmp, BPFAOT_REG_FP);
        emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, tmp, 0, 0, -64));
        emit(g, mk(BPFAOT_CLASS_JMP | BPFAOT_JMP_JSET | BPFAOT_SRC_K, cond, 0, 2,
                   (int32_t)(1u << below(&g->rng, 8))));
        emit_mov64_reg(g, tmp, REG_CTX);
        emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, tmp, 0, 0, 64));
        gen_accesses_through(g, d, n);
}

/* ------------------------------------------------------------------ */
/* Frame addresses                                                     */
/* ------------------------------------------------------------------ */

/*
 * Frame addresses used the ways that let the compiler keep a frame out of
 * memory (provenance.c: spilled and filled, stepped beside a counter,
 * compared with each other and with 0, indexed by a masked number) and
 * ways that put it back (a part of a spilled address stored over it, a
 * loop ended by comparing two addresses). Each pattern is self-contained:
 * no address outlives it in a register or a slot, so none becomes data.
 * Spilled addresses live in the frame's lowest 64 bytes, which the
 * accesses of the pattern that spills them never touch.
 */
#define SPILL_LO (-GEN_STACK_SIZE)
#define SPILL_HI (-GEN_STACK_SIZE + 64)

/* A register for an address or a counter, reserved until released (never r0: cmpxchg writes it). */
static uint8_t take_reg(struct gen *g)
{
        uint8_t r;

        do
                r = pick_dst(g);
        while (r == 0);
        g->reserved |= 1u << r;
        return r;
}

/* Overwrite reserved register `r` with data and make it free again. */
static void release_reg(struct gen *g, uint8_t r)
{
        g->reserved &= ~(1u << r);
        emit_mov64_imm(g, r, gen_imm32(&g->rng));
}

/*
 * The base for register `reg` holding r10 + [min, max] (multiples of 8):
 * offsets that keep every access inside [floor, 0) of the frame. The
 * window spans at least 64 bytes (floor - min + max <= -64).
 */
static struct base frame_window(struct gen *g, uint8_t reg, int32_t floor, int32_t min, int32_t max)
{
        int32_t lo = floor - min, hi = -max;

        return (struct base){reg, lo, hi,
                             lo + 8 * (int32_t)below(&g->rng, (uint32_t)(hi - lo - 64) / 8 + 1)};
}

/* A few instructions that touch only data registers. */
static void gen_data_insns(struct gen *g, unsigned max)
{
        for (unsigned i = below(&g->rng, max + 1); i > 0; i--)
                gen_alu(g);
}

/*
 * A 64-bit comparison of address `reg` with address `other` or with 0; its
 * jump, forward over what follows, is to patch.
 */
static size_t emit_frame_compare(struct gen *g, uint8_t reg, uint8_t other)
{
        static const uint8_t conds[] = {
            BPFAOT_JMP_JEQ, BPFAOT_JMP_JNE,  BPFAOT_JMP_JGT,  BPFAOT_JMP_JGE,  BPFAOT_JMP_JLT,
            BPFAOT_JMP_JLE, BPFAOT_JMP_JSGT, BPFAOT_JMP_JSGE, BPFAOT_JMP_JSLT, BPFAOT_JMP_JSLE,
        };
        uint8_t op = PICK(&g->rng, conds);

        if (chance(&g->rng, 25))
                return emit(g, mk(BPFAOT_CLASS_JMP | BPFAOT_SRC_K |
                                      (chance(&g->rng, 50) ? BPFAOT_JMP_JEQ : BPFAOT_JMP_JNE),
                                  reg, 0, 0, 0));
        if (chance(&g->rng, 50))
                return emit(g, mk(BPFAOT_CLASS_JMP | op | BPFAOT_SRC_X, reg, other, 0, 0));
        return emit(g, mk(BPFAOT_CLASS_JMP | op | BPFAOT_SRC_X, other, reg, 0, 0));
}

/*
 * An address spilled (an aligned 8-byte store, directly from r10 or
 * through the address itself), filled back and used as a base; sometimes
 * low bytes of the same address are stored over the spill first (the slot
 * then still holds it, but a compiler must see its bytes written).
 * Or a part of the spill overwritten with data, and the spill dropped.
 */
static void gen_spill_fill(struct gen *g)
{
        static const uint8_t narrow[] = {BPFAOT_SIZE_B, BPFAOT_SIZE_H, BPFAOT_SIZE_W};
        static const unsigned narrow_bytes[] = {1, 2, 4};
        int32_t slot = SPILL_LO + 8 * (int32_t)below(&g->rng, 8);
        int32_t at = SPILL_HI + 8 * (int32_t)below(&g->rng, (uint32_t)-SPILL_HI / 8);
        uint8_t ptr = take_reg(g), fill;
        unsigned k = below(&g->rng, 100), w;

        emit_mov64_reg(g, ptr, BPFAOT_REG_FP);
        emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, ptr, 0, 0, at));
        if (chance(&g->rng, 30)) /* through the address: slot - at from it */
                emit(g, mk(BPFAOT_CLASS_STX | BPFAOT_MODE_MEM | BPFAOT_SIZE_DW, ptr, ptr,
                           (int16_t)(slot - at), 0));
        else
                emit(g, mk(BPFAOT_CLASS_STX | BPFAOT_MODE_MEM | BPFAOT_SIZE_DW, BPFAOT_REG_FP, ptr,
                           (int16_t)slot, 0));
        gen_data_insns(g, 2);
        if (k < 15) { /* data over a part of the spill; the spill is never filled */
                w = below(&g->rng, 3);
                emit(g, mk(BPFAOT_CLASS_ST | BPFAOT_MODE_MEM | narrow[w], BPFAOT_REG_FP, 0,
                           (int16_t)(slot + (int32_t)(narrow_bytes[w] *
                                                      below(&g->rng, 8 / narrow_bytes[w]))),
                           gen_imm32(&g->rng)));
                release_reg(g, ptr);
        } else {
                if (k < 35) /* its own low bytes over the spill */
                        emit(g, mk(BPFAOT_CLASS_STX | BPFAOT_MODE_MEM | PICK(&g->rng, narrow),
                                   BPFAOT_REG_FP, ptr, (int16_t)slot, 0));
                if (chance(&g->rng, 50)) /* the spill is the only copy */
                        release_reg(g, ptr);
                fill = take_reg(g);
                emit(g, mk(BPFAOT_CLASS_LDX | BPFAOT_MODE_MEM | BPFAOT_SIZE_DW, fill, BPFAOT_REG_FP,
                           (int16_t)slot, 0));
                if (g->reserved & (1u << ptr)) {
                        size_t jump = emit_frame_compare(g, fill, ptr);

                        gen_accesses(g, frame_window(g, fill, SPILL_HI, at, at),
                                     1 + below(&g->rng, 3), true);
                        patch_off(g, jump, g->cnt);
                        release_reg(g, ptr);
                } else {
                        gen_accesses(g, frame_window(g, fill, SPILL_HI, at, at),
                                     1 + below(&g->rng, 4), true);
                }
                release_reg(g, fill);
        }
        /* The slot holds data again. */
        emit(g, mk(BPFAOT_CLASS_ST | BPFAOT_MODE_MEM | BPFAOT_SIZE_DW, BPFAOT_REG_FP, 0,
                   (int16_t)slot, gen_imm32(&g->rng)));
}

/* Accesses through `reg` (r10 + [min, max]), maybe skipped by a comparison with `other`. */
static void gen_loop_body(struct gen *g, uint8_t reg, uint8_t other, int32_t min, int32_t max)
{
        bool guard = chance(&g->rng, 40);
        size_t jump = guard ? emit_frame_compare(g, reg, other) : 0;

        gen_accesses(g, frame_window(g, reg, -GEN_STACK_SIZE, min, max), 1 + below(&g->rng, 3),
                     true);
        gen_data_insns(g, 2);
        if (guard)
                patch_off(g, jump, g->cnt);
}

/* Close a counted loop: counter `cnt` from 0 up to `n`, or from `n` down to 0. */
static void emit_count(struct gen *g, uint8_t cnt, bool down, int32_t n, size_t head)
{
        size_t back;

        emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, cnt, 0, 0, down ? -1 : 1));
        if (down)
                back = emit(g, mk(BPFAOT_CLASS_JMP | BPFAOT_JMP_JNE | BPFAOT_SRC_K, cnt, 0, 0, 0));
        else
                back = emit(g, mk(BPFAOT_CLASS_JMP | BPFAOT_JMP_JLT | BPFAOT_SRC_K, cnt, 0, 0, n));
        patch_off(g, back, head);
}

/*
 * A frame address stepped through rows beside a counter (the matmul
 * shape), sometimes with a column address stepped by an inner counted
 * loop, sometimes ended by comparing the row address with the end's.
 */
static void gen_frame_loop(struct gen *g)
{
        int32_t rows = 1 + (int32_t)below(&g->rng, 8), cols = 1 + (int32_t)below(&g->rng, 4);
        int32_t step = 8 * (cols + (int32_t)below(&g->rng, 2)), size = rows * step;
        int32_t first =
            -size - 8 * (int32_t)below(&g->rng, (uint32_t)(GEN_STACK_SIZE - size) / 8 + 1);
        int32_t last = first + (rows - 1) * step;
        bool nested = chance(&g->rng, 40), by_end = !nested && chance(&g->rng, 15);
        bool down = chance(&g->rng, 40), down2 = chance(&g->rng, 40);
        uint8_t row = take_reg(g), cnt = 0, end = 0, col, cnt2;
        size_t head, head2, back;

        emit_mov64_reg(g, row, BPFAOT_REG_FP);
        emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, row, 0, 0, first));
        if (by_end) {
                end = take_reg(g);
                emit_mov64_reg(g, end, BPFAOT_REG_FP);
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, end, 0, 0,
                           first + size));
        } else {
                cnt = take_reg(g);
                emit_mov64_imm(g, cnt, down ? rows : 0);
        }
        head = g->cnt;
        if (nested) {
                col = take_reg(g);
                cnt2 = take_reg(g);
                emit_mov64_reg(g, col, row);
                emit_mov64_imm(g, cnt2, down2 ? cols : 0);
                head2 = g->cnt;
                gen_loop_body(g, col, row, first, last + 8 * (cols - 1));
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, col, 0, 0, 8));
                emit_count(g, cnt2, down2, cols, head2);
                release_reg(g, col);
                release_reg(g, cnt2);
        } else {
                gen_loop_body(g, row, BPFAOT_REG_FP, first, last);
        }
        emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, row, 0, 0, step));
        if (by_end) {
                back =
                    emit(g, mk(BPFAOT_CLASS_JMP | BPFAOT_JMP_JLT | BPFAOT_SRC_X, row, end, 0, 0));
                patch_off(g, back, head);
                release_reg(g, end);
        } else {
                emit_count(g, cnt, down, rows, head);
                release_reg(g, cnt);
        }
        release_reg(g, row);
}

/*
 * An array on the stack indexed by a number masked to its size (r10 +
 * base + (x & mask)): bounded, so it may stay a part of a private frame.
 * With an odd mask the address may be unaligned: no atomics then.
 */
static void gen_masked_index(struct gen *g)
{
        bool aligned = chance(&g->rng, 50);
        int32_t mask = (1 << (3 + below(&g->rng, 5))) - 1; /* 7 .. 127 */
        int32_t base;
        uint8_t ptr = take_reg(g), idx;

        if (aligned)
                mask &= ~7;
        base = -mask - 64 - 8 * (int32_t)below(&g->rng, (uint32_t)(GEN_STACK_SIZE - mask - 64) / 8);
        base &= ~7;
        switch (below(&g->rng, 3)) {
        case 0: /* ptr = (x & mask) + r10 + base */
                emit_mov64_reg(g, ptr, pick_src(g));
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_AND | BPFAOT_SRC_K, ptr, 0, 0, mask));
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_X, ptr, BPFAOT_REG_FP,
                           0, 0));
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, ptr, 0, 0, base));
                break;
        case 1: /* 32-bit masking */
                emit(g,
                     mk(BPFAOT_CLASS_ALU | BPFAOT_ALU_MOV | BPFAOT_SRC_X, ptr, pick_src(g), 0, 0));
                emit(g, mk(BPFAOT_CLASS_ALU | BPFAOT_ALU_AND | BPFAOT_SRC_K, ptr, 0, 0, mask));
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_X, ptr, BPFAOT_REG_FP,
                           0, 0));
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, ptr, 0, 0, base));
                break;
        default: /* ptr = r10 + base, then += (x & mask) in a data register */
                idx = pick_dst(g);
                emit_mov64_reg(g, ptr, BPFAOT_REG_FP);
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, ptr, 0, 0, base));
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_AND | BPFAOT_SRC_K, idx, 0, 0, mask));
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_X, ptr, idx, 0, 0));
        }
        gen_accesses(g, frame_window(g, ptr, -GEN_STACK_SIZE, base, base + mask),
                     1 + below(&g->rng, 4), aligned);
        release_reg(g, ptr);
}

/*
 * One element of `step` bytes at address `p`: loads and stores of it or of
 * a part of it (atomics when it is 4 or 8 bytes).
 */
static void gen_element_accesses(struct gen *g, uint8_t p, int32_t step)
{
        static const unsigned sizes[] = {1, 2, 4, 8};

        for (unsigned i = 1 + below(&g->rng, 2); i > 0; i--) {
                unsigned size = sizes[below(&g->rng, (unsigned)__builtin_ctz((unsigned)step) + 1)];
                int16_t off = (int16_t)(size * below(&g->rng, (uint32_t)step / size));

                if (size >= 4 && chance(&g->rng, 15)) /* fetch-add: writes its source */
                        emit(g, mk(BPFAOT_CLASS_STX | BPFAOT_MODE_ATOMIC | size_field(size), p,
                                   pick_dst(g), off, BPFAOT_ATOMIC_ADD | BPFAOT_ATOMIC_FETCH));
                else if (chance(&g->rng, 50))
                        emit(g, mk(BPFAOT_CLASS_LDX | BPFAOT_MODE_MEM | size_field(size),
                                   pick_dst(g), p, off, 0));
                else if (chance(&g->rng, 40))
                        emit(g, mk(BPFAOT_CLASS_ST | BPFAOT_MODE_MEM | size_field(size), p, 0, off,
                                   gen_imm32(&g->rng)));
                else
                        emit(g, mk(BPFAOT_CLASS_STX | BPFAOT_MODE_MEM | size_field(size), p,
                                   pick_src(g), off, 0));
        }
}

/*
 * A frame address stepped element by element through a buffer and
 * compared with the address of its other end, with no counter beside it
 * (`for (p = buf; p < end; p++)`, `if (p + step > end) break`, or down
 * from the end): often more rounds than an analysis follows apart, so
 * only the comparison of the two addresses bounds the pointer. Every
 * form runs exactly `n` rounds.
 */
static void gen_pointer_walk(struct gen *g)
{
        static const uint8_t up_conds[] = {BPFAOT_JMP_JLT, BPFAOT_JMP_JNE, BPFAOT_JMP_JSLT};
        static const uint8_t down_conds[] = {BPFAOT_JMP_JGT, BPFAOT_JMP_JNE, BPFAOT_JMP_JSGT};
        int32_t step = 1 << below(&g->rng, 4);
        int32_t max_n = g->in_loop ? 16 : (GEN_STACK_SIZE - 64) / step;
        int32_t n = 1 + (int32_t)below(&g->rng, (uint32_t)max_n);
        int32_t len = n * step;
        int32_t buf = -((len + 7) & ~7) -
                      8 * (int32_t)below(&g->rng, (uint32_t)(GEN_STACK_SIZE - len) / 8 + 1);
        uint8_t p = take_reg(g), other = take_reg(g), tmp;
        bool swap = chance(&g->rng, 30); /* `other` first: end > p, buf < p */
        size_t head, jump, back;
        uint8_t op;

        if (buf < -GEN_STACK_SIZE)
                buf = -GEN_STACK_SIZE;
        switch (below(&g->rng, 3)) {
        case 0: /* up: p = buf; do { *p; p += step; } while (p < end) */
                emit_mov64_reg(g, p, BPFAOT_REG_FP);
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, p, 0, 0, buf));
                emit_mov64_reg(g, other, p);
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, other, 0, 0, len));
                head = g->cnt;
                gen_element_accesses(g, p, step);
                gen_data_insns(g, 2);
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, p, 0, 0, step));
                op = PICK(&g->rng, up_conds);
                if (swap) /* p < end as end > p */
                        op = op == BPFAOT_JMP_JLT    ? BPFAOT_JMP_JGT
                             : op == BPFAOT_JMP_JSLT ? BPFAOT_JMP_JSGT
                                                     : op;
                back = emit(g, mk(BPFAOT_CLASS_JMP | op | BPFAOT_SRC_X, swap ? other : p,
                                  swap ? p : other, 0, 0));
                patch_off(g, back, head);
                break;
        case 1: /* down: p = end; do { p -= step; *p; } while (p > buf) */
                emit_mov64_reg(g, other, BPFAOT_REG_FP);
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, other, 0, 0, buf));
                emit_mov64_reg(g, p, other);
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, p, 0, 0, len));
                head = g->cnt;
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, p, 0, 0, -step));
                gen_element_accesses(g, p, step);
                gen_data_insns(g, 2);
                op = PICK(&g->rng, down_conds);
                if (swap) /* p > buf as buf < p */
                        op = op == BPFAOT_JMP_JGT    ? BPFAOT_JMP_JLT
                             : op == BPFAOT_JMP_JSGT ? BPFAOT_JMP_JSLT
                                                     : op;
                back = emit(g, mk(BPFAOT_CLASS_JMP | op | BPFAOT_SRC_X, swap ? other : p,
                                  swap ? p : other, 0, 0));
                patch_off(g, back, head);
                break;
        default: /* for (p = buf;; p += step) { if (p + step > end) break; *p; } */
                tmp = take_reg(g);
                emit_mov64_reg(g, p, BPFAOT_REG_FP);
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, p, 0, 0, buf));
                emit_mov64_reg(g, other, p);
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, other, 0, 0, len));
                head = g->cnt;
                emit_mov64_reg(g, tmp, p);
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, tmp, 0, 0, step));
                jump = emit(g, mk(BPFAOT_CLASS_JMP | BPFAOT_SRC_X |
                                      (swap ? BPFAOT_JMP_JLT : BPFAOT_JMP_JGT),
                                  swap ? other : tmp, swap ? tmp : other, 0, 0));
                gen_element_accesses(g, p, step);
                gen_data_insns(g, 2);
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, p, 0, 0, step));
                back = emit(g, mk(BPFAOT_CLASS_JMP | BPFAOT_JMP_JA, 0, 0, 0, 0));
                patch_off(g, back, head);
                patch_off(g, jump, g->cnt);
                release_reg(g, tmp);
                break;
        }
        release_reg(g, other);
        release_reg(g, p);
}

/* One of the frame address patterns above. */
static void gen_frame_item(struct gen *g)
{
        unsigned k = below(&g->rng, 100);

        if (k < 30)
                gen_spill_fill(g);
        else if (k < 60)
                gen_frame_loop(g);
        else if (k < 80)
                gen_masked_index(g);
        else
                gen_pointer_walk(g);
}

/* ------------------------------------------------------------------ */
/* Calls                                                               */
/* ------------------------------------------------------------------ */

/* Calls leave r1-r5 undefined, and the validator refuses reading them: write them anew. */
static void rewrite_arg_regs(struct gen *g)
{
        for (uint8_t r = 1; r <= 5; r++)
                emit_mov64_imm(g, r, gen_imm32(&g->rng));
}

static void gen_probe_read(struct gen *g, bool callx, bool unsafe);

static void gen_helper_call(struct gen *g)
{
        if (g->sandbox) {
                gen_probe_read(g, false, false);
                return;
        }
        emit(g, mk(BPFAOT_CLASS_JMP | BPFAOT_JMP_CALL, 0, BPFAOT_CALL_HELPER, 0,
                   GEN_HELPER_FIRST + (int32_t)below(&g->rng, GEN_HELPER_CNT)));
        rewrite_arg_regs(g);
}

static void gen_callx_insn(struct gen *g)
{
        uint8_t reg;

        if (g->sandbox) {
                gen_probe_read(g, true, false);
                return;
        }
        reg = pick_dst(g);

        emit_mov64_imm(g, reg, GEN_HELPER_FIRST + (int32_t)below(&g->rng, GEN_HELPER_CNT));
        emit(g, mk(BPFAOT_CLASS_JMP | BPFAOT_JMP_CALL | BPFAOT_SRC_X, reg, 0, 0, 0));
        rewrite_arg_regs(g);
}

/*
 * A legacy packet load (LD_ABS, LD_IND) from the context: mostly inside it,
 * near its end, or (rarely) anywhere, where the function returns 0.
 */
static void gen_packet_load(struct gen *g)
{
        static const unsigned sizes[] = {1, 2, 4};
        unsigned size = PICK(&g->rng, sizes);
        int32_t off = (int32_t)below(&g->rng, (uint32_t)g->mem_len + 1 - size);
        bool ind = chance(&g->rng, 40);
        uint8_t mode = ind ? BPFAOT_MODE_IND : BPFAOT_MODE_ABS, src = 0;
        int32_t part;

        if (chance(&g->rng, 10))
                off = (int32_t)g->mem_len - (int32_t)size + (int32_t)below(&g->rng, 3);
        else if (chance(&g->rng, 3))
                off = gen_imm32(&g->rng);
        if (ind) { /* src + imm == off, the split chosen at random */
                src = pick_dst(g);
                part = (int32_t)below(&g->rng, (uint32_t)g->mem_len + 1);
                emit_mov64_imm(g, src, part);
                off = (int32_t)((uint32_t)off - (uint32_t)part);
        }
        emit(g, mk(BPFAOT_CLASS_LD | mode | size_field(size), 0, src, 0, off));
        rewrite_arg_regs(g);
}

/* Call a later sub-program with r1 = ctx and r2 = a pointer into this frame. */
static void gen_local_call(struct gen *g)
{
        unsigned callee = g->sub + 1 + below(&g->rng, g->n_subs - g->sub);
        size_t at;

        emit_mov64_reg(g, 1, REG_CTX);
        emit_mov64_reg(g, 2, BPFAOT_REG_FP);
        emit(g,
             mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, 2, 0, 0, -CALLER_STACK_WINDOW));
        at = emit(g, mk(BPFAOT_CLASS_JMP | BPFAOT_JMP_CALL, 0, BPFAOT_CALL_LOCAL, 0, 0));
        if (g->fix_cnt < ARRAY_SIZE(g->fix))
                g->fix[g->fix_cnt++] = (struct call_fixup){at, callee};
        else
                g->oom = true;
        rewrite_arg_regs(g);
}

/* ------------------------------------------------------------------ */
/* Sandbox calls and unsafe accesses (GEN_SANDBOX, GEN_UNSAFE)         */
/* ------------------------------------------------------------------ */

static size_t emit_cond_jump(struct gen *g);

/* Share of the items of a GEN_UNSAFE program that are unsafe accesses (in percent). */
#define UNSAFE_PERCENT 5
/* Offsets "far" from every region: at least this, and below 2^36. */
#define FAR_MIN 0x100000
/* OFF_FAR's farthest, (2 FAR_MIN) << 15, plus a region's size, stays within the promise. */
_Static_assert((2ull * FAR_MIN << 16) <= GEN_FAR_REACH, "far offsets exceed GEN_FAR_REACH");
/* How far past either end of a region an access that is "near" it may start. */
#define NEAR 64

static void emit_alu64_k(struct gen *g, uint8_t op, uint8_t dst, int32_t imm)
{
        emit(g, mk(BPFAOT_CLASS_ALU64 | op | BPFAOT_SRC_K, dst, 0, 0, imm));
}

static void emit_alu64_x(struct gen *g, uint8_t op, uint8_t dst, uint8_t src)
{
        emit(g, mk(BPFAOT_CLASS_ALU64 | op | BPFAOT_SRC_X, dst, src, 0, 0));
}

/*
 * A data value into `r`: 1 to 8 bytes of the context (its initial contents
 * or what the program stored there), or when `any` sometimes a data
 * register. The validator knows the value of some registers, and refuses
 * an access into the frame it knows to be outside, or a helper's; it
 * never knows the context's bytes.
 */
static void emit_data_value(struct gen *g, uint8_t r, bool any)
{
        static const unsigned sizes[] = {8, 8, 8, 4, 2, 1};
        unsigned size = PICK(&g->rng, sizes);

        if (!any || chance(&g->rng, 75))
                emit(g, mk(BPFAOT_CLASS_LDX | BPFAOT_MODE_MEM | size_field(size), r, REG_CTX,
                           (int16_t)(size * below(&g->rng, (uint32_t)g->mem_len / size)), 0));
        else
                emit_mov64_reg(g, r, pick_src(g));
}

/*
 * bpf_probe_read(dst, size, src), directly or by callx: dst a buffer of
 * `buf` bytes at the top of the frame, src the context or the frame's
 * lowest bytes, which do not overlap the buffer and hold as many bytes as
 * it. The size is in bounds (a constant, or data modulo the buffer's
 * size), or when `unsafe` data that may exceed the buffer, when both
 * engines fail at the call: wherever the copy goes, the source holds it.
 */
static void gen_probe_read(struct gen *g, bool callx, bool unsafe)
{
        static const int32_t masks[] = {7, 63, 255, 511, 1023, 0xffff};
        int32_t buf = 8 * (1 + (int32_t)below(&g->rng, 64));
        bool from_ctx = buf <= (int32_t)g->mem_len && (buf > 256 || chance(&g->rng, 50));
        unsigned k = below(&g->rng, 100);
        uint8_t reg;

        if (!from_ctx && buf > 256)
                buf = 256;
        /* The size first: its data may come from r1 or r3. */
        if (!unsafe && k < 40) {
                emit_mov64_imm(g, 2, (int32_t)below(&g->rng, (uint32_t)buf + 1));
        } else {
                emit_data_value(g, 2, false);
                if (!unsafe || k < 30)
                        emit_alu64_k(g, BPFAOT_ALU_MOD, 2, buf + 1);
                else if (k < 90)
                        emit_alu64_k(g, BPFAOT_ALU_AND, 2, PICK(&g->rng, masks));
                /* else the whole value: in bounds when it is 0 */
        }
        emit_mov64_reg(g, 1, BPFAOT_REG_FP);
        emit_alu64_k(g, BPFAOT_ALU_ADD, 1, -buf);
        if (from_ctx) {
                emit_mov64_reg(g, 3, REG_CTX);
        } else {
                emit_mov64_reg(g, 3, BPFAOT_REG_FP);
                emit_alu64_k(g, BPFAOT_ALU_ADD, 3, -GEN_STACK_SIZE);
        }
        if (callx) { /* the id in a register other than the arguments' (r0 too) */
                do
                        reg = pick_dst(g);
                while (reg >= 1 && reg <= 3);
                emit_mov64_imm(g, reg, GEN_HELPER_PROBE_READ);
                emit(g, mk(BPFAOT_CLASS_JMP | BPFAOT_JMP_CALL | BPFAOT_SRC_X, reg, 0, 0, 0));
        } else {
                emit(g, mk(BPFAOT_CLASS_JMP | BPFAOT_JMP_CALL, 0, BPFAOT_CALL_HELPER, 0,
                           GEN_HELPER_PROBE_READ));
        }
        rewrite_arg_regs(g);
}

/* What an unsafe item accesses. */
enum unsafe_where {
        UNSAFE_CTX,        /* the context pointer + an offset */
        UNSAFE_FRAME,      /* r10 + an offset */
        UNSAFE_CALLER,     /* r8 (sub-programs: the caller's frame) + an offset */
        UNSAFE_NUMBER,     /* a plain number */
        UNSAFE_PROBE_READ, /* bpf_probe_read of a size from data */
        UNSAFE_WHERE_CNT
};

/* Where an unsafe offset from a region [lo, hi) falls. */
enum unsafe_off {
        OFF_INSIDE,  /* in bounds */
        OFF_NEAR_HI, /* around the end: in bounds, or starting up to NEAR bytes past it */
        OFF_NEAR_LO, /* around the start: in bounds, or starting up to NEAR bytes before it */
        OFF_MIXED,   /* in bounds, or (by a bit of the data) at least FAR_MIN away */
        OFF_FAR,     /* at least FAR_MIN away (never from r10: the validator refuses it) */
};

/*
 * Turn the data value in `a` into an offset from a region [lo, hi) for an
 * access of `size` bytes, a multiple of `align`.
 */
static void emit_unsafe_off(struct gen *g, uint8_t a, enum unsafe_off k, int32_t lo, int32_t hi,
                            unsigned size, unsigned align)
{
        int32_t amask = -(int32_t)align;
        int32_t near = chance(&g->rng, 50) ? 8 : NEAR; /* the bytes either side of an end */
        uint8_t b = 0;

        switch (k) {
        case OFF_INSIDE:
        case OFF_MIXED:
                if (k == OFF_MIXED) {
                        b = take_reg(g);
                        emit_mov64_reg(g, b, a);
                }
                emit_alu64_k(g, BPFAOT_ALU_MOD, a, hi - lo - (int32_t)size + 1);
                emit_alu64_k(g, BPFAOT_ALU_AND, a, amask);
                emit_alu64_k(g, BPFAOT_ALU_ADD, a, lo);
                if (k == OFF_MIXED) { /* + (bit s of the data) << [20, 36) */
                        emit_alu64_k(g, BPFAOT_ALU_RSH, b, (int32_t)below(&g->rng, 64));
                        emit_alu64_k(g, BPFAOT_ALU_AND, b, 1);
                        emit_alu64_k(g, BPFAOT_ALU_LSH, b, 20 + (int32_t)below(&g->rng, 16));
                        emit_alu64_x(g, chance(&g->rng, 50) ? BPFAOT_ALU_ADD : BPFAOT_ALU_SUB, a,
                                     b);
                        release_reg(g, b);
                }
                break;
        case OFF_NEAR_HI: /* [hi - size - near, hi - size + near): may straddle the end */
                emit_alu64_k(g, BPFAOT_ALU_AND, a, (2 * near - 1) & amask);
                emit_alu64_k(g, BPFAOT_ALU_ADD, a, hi - (int32_t)size - near);
                break;
        case OFF_NEAR_LO: /* [lo - near, lo + near) */
                emit_alu64_k(g, BPFAOT_ALU_AND, a, (2 * near - 1) & amask);
                emit_alu64_k(g, BPFAOT_ALU_ADD, a, lo - near);
                break;
        case OFF_FAR: /* [FAR_MIN, 2 FAR_MIN) << [0, 16), either way */
                emit_alu64_k(g, BPFAOT_ALU_AND, a, (FAR_MIN - 1) & amask);
                emit_alu64_k(g, BPFAOT_ALU_ADD, a, FAR_MIN);
                if (chance(&g->rng, 50))
                        emit_alu64_k(g, BPFAOT_ALU_LSH, a, (int32_t)below(&g->rng, 16));
                if (chance(&g->rng, 50))
                        emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_NEG, a, 0, 0, 0));
                break;
        }
}

/* One of the offset kinds in `allowed` this program has, else the first. */
static enum unsafe_off pick_kind(struct gen *g, const enum unsafe_off *allowed, size_t cnt)
{
        enum unsafe_off opts[8];
        unsigned n = 0;

        for (size_t i = 0; i < cnt; i++)
                if (g->unsafe_kinds & (1u << allowed[i]))
                        opts[n++] = allowed[i];
        return n ? opts[below(&g->rng, n)] : allowed[0];
}

/* One load, store or atomic access of `size` bytes at `reg` + off. */
static void emit_unsafe_access(struct gen *g, uint8_t reg, int16_t off, unsigned size, bool atomic)
{
        static const int32_t atomic_ops[] = {
            BPFAOT_ATOMIC_ADD,  BPFAOT_ATOMIC_OR | BPFAOT_ATOMIC_FETCH,
            BPFAOT_ATOMIC_XOR,  BPFAOT_ATOMIC_AND | BPFAOT_ATOMIC_FETCH,
            BPFAOT_ATOMIC_XCHG, BPFAOT_ATOMIC_CMPXCHG,
        };
        int32_t op;

        if (atomic) {
                op = PICK(&g->rng, atomic_ops);
                emit(g, mk(BPFAOT_CLASS_STX | BPFAOT_MODE_ATOMIC | size_field(size), reg,
                           (op & BPFAOT_ATOMIC_FETCH) && op != BPFAOT_ATOMIC_CMPXCHG ? pick_dst(g)
                                                                                     : pick_src(g),
                           off, op));
        } else if (chance(&g->rng, 50)) {
                emit(g, mk(BPFAOT_CLASS_LDX |
                               (size < 8 && chance(&g->rng, 30) ? BPFAOT_MODE_MEMSX
                                                                : BPFAOT_MODE_MEM) |
                               size_field(size),
                           pick_dst(g), reg, off, 0));
        } else if (chance(&g->rng, 40)) {
                emit(g, mk(BPFAOT_CLASS_ST | BPFAOT_MODE_MEM | size_field(size), reg, 0, off,
                           gen_imm32(&g->rng)));
        } else {
                emit(g, mk(BPFAOT_CLASS_STX | BPFAOT_MODE_MEM | size_field(size), reg, pick_src(g),
                           off, 0));
        }
}

/*
 * An access at an address computed from data: base + offset (kinds above)
 * or a plain number, the address sometimes moved by a constant the access
 * takes back, the access sometimes skipped by a test of data.
 */
static void gen_unsafe_access(struct gen *g, enum unsafe_where where)
{
        static const unsigned sizes[] = {1, 2, 4, 8};
        static const enum unsafe_off ctx_kinds[] = {OFF_INSIDE, OFF_NEAR_HI, OFF_NEAR_LO, OFF_MIXED,
                                                    OFF_FAR};
        static const enum unsafe_off entry_frame_kinds[] = {OFF_INSIDE, OFF_NEAR_HI, OFF_NEAR_LO,
                                                            OFF_MIXED};
        static const enum unsafe_off sub_kinds[] = {OFF_INSIDE, OFF_MIXED};
        bool atomic = chance(&g->rng, 20);
        unsigned size = atomic ? (chance(&g->rng, 50) ? 4 : 8) : PICK(&g->rng, sizes);
        unsigned align = atomic || chance(&g->rng, 40) ? size : 1;
        uint8_t a = take_reg(g), base = 0;
        int32_t disp = 0;
        size_t jump = 0;
        bool guard;

        emit_data_value(g, a, where == UNSAFE_CTX || where == UNSAFE_NUMBER);
        switch (where) {
        case UNSAFE_CTX:
                base = REG_CTX;
                emit_unsafe_off(g, a, pick_kind(g, ctx_kinds, ARRAY_SIZE(ctx_kinds)), 0,
                                (int32_t)g->mem_len, size, align);
                break;
        case UNSAFE_FRAME: /* near its ends only in the entry */
                base = BPFAOT_REG_FP;
                emit_unsafe_off(
                    g, a,
                    g->sub ? pick_kind(g, sub_kinds, ARRAY_SIZE(sub_kinds))
                           : pick_kind(g, entry_frame_kinds, ARRAY_SIZE(entry_frame_kinds)),
                    -GEN_STACK_SIZE, 0, size, align);
                break;
        case UNSAFE_CALLER:
                base = REG_CALLER_STACK;
                emit_unsafe_off(g, a, pick_kind(g, sub_kinds, ARRAY_SIZE(sub_kinds)),
                                -CALLER_STACK_WINDOW, CALLER_STACK_WINDOW, size, align);
                break;
        default: /* a plain number: the whole value, or its low 16 or 32 bits */
                if (chance(&g->rng, 20))
                        emit_alu64_k(g, BPFAOT_ALU_AND, a, 0xffff);
                else if (chance(&g->rng, 25)) /* mov32: the low 32 bits */
                        emit(g, mk(BPFAOT_CLASS_ALU | BPFAOT_ALU_MOV | BPFAOT_SRC_X, a, a, 0, 0));
        }
        if (base)
                emit_alu64_x(g, BPFAOT_ALU_ADD, a, base);
        if (chance(&g->rng, 25)) {
                disp = (int32_t)align * ((int32_t)below(&g->rng, 17) - 8);
                emit_alu64_k(g, BPFAOT_ALU_ADD, a, -disp);
        }
        guard = chance(&g->rng, 30);
        if (guard)
                jump = emit_cond_jump(g);
        emit_unsafe_access(g, a, (int16_t)disp, size, atomic);
        if (guard)
                patch_off(g, jump, g->cnt);
        release_reg(g, a);
}

/*
 * An unsafe item of one of the kinds this program has (each program has a
 * random subset of them, and of the offsets' kinds, so that programs differ
 * in which access fails first); r8's window only in sub-programs.
 */
static void gen_unsafe_item(struct gen *g)
{
        enum unsafe_where opts[UNSAFE_WHERE_CNT], where = UNSAFE_CTX;
        unsigned n = 0;

        for (unsigned w = 0; w < UNSAFE_WHERE_CNT; w++)
                if (g->unsafe_where & (1u << w) && (w != UNSAFE_CALLER || g->sub))
                        opts[n++] = (enum unsafe_where)w;
        if (n)
                where = opts[below(&g->rng, n)];
        if (where == UNSAFE_PROBE_READ)
                gen_probe_read(g, chance(&g->rng, 25), true);
        else
                gen_unsafe_access(g, where);
}

/* ------------------------------------------------------------------ */
/* Control flow                                                        */
/* ------------------------------------------------------------------ */

static void gen_block(struct gen *g, unsigned items);

static size_t emit_cond_jump(struct gen *g)
{
        static const uint8_t conds[] = {
            BPFAOT_JMP_JEQ, BPFAOT_JMP_JGT,  BPFAOT_JMP_JGE,  BPFAOT_JMP_JSET,
            BPFAOT_JMP_JNE, BPFAOT_JMP_JSGT, BPFAOT_JMP_JSGE, BPFAOT_JMP_JLT,
            BPFAOT_JMP_JLE, BPFAOT_JMP_JSLT, BPFAOT_JMP_JSLE,
        };
        uint8_t cls = chance(&g->rng, 50) ? BPFAOT_CLASS_JMP : BPFAOT_CLASS_JMP32;
        uint8_t op = PICK(&g->rng, conds), dst = pick_src(g);

        if (chance(&g->rng, 50))
                return emit(g, mk(cls | op | BPFAOT_SRC_X, dst, pick_src(g), 0, 0));
        return emit(g, mk(cls | op | BPFAOT_SRC_K, dst, 0, 0, gen_imm32(&g->rng)));
}

static unsigned nested_items(struct gen *g)
{
        return 1 + below(&g->rng, 6);
}

/* if (cond) skip { block } */
static void gen_if(struct gen *g)
{
        size_t jump = emit_cond_jump(g);

        gen_block(g, nested_items(g));
        patch_off(g, jump, g->cnt);
}

/*
 * if (cond on a copy of a register moved by constants) skip { block }: the
 * kernel's linked scalars, where what the jump teaches the copy it teaches
 * the original. Steps near the limits make the copy wrap; an instruction
 * between may end the link.
 */
static void gen_linked_if(struct gen *g)
{
        static const uint8_t conds[] = {
            BPFAOT_JMP_JEQ,  BPFAOT_JMP_JGT,  BPFAOT_JMP_JGE,  BPFAOT_JMP_JNE,
            BPFAOT_JMP_JSGT, BPFAOT_JMP_JSGE, BPFAOT_JMP_JLT,  BPFAOT_JMP_JLE,
            BPFAOT_JMP_JSLT, BPFAOT_JMP_JSLE, BPFAOT_JMP_JSET,
        };
        static const int32_t steps[] = {1, -1, 4, -8, 0x7fff, -0x8000, INT32_MAX, INT32_MIN};
        uint8_t src = pick_src(g), copy = pick_dst(g);
        uint8_t cls = chance(&g->rng, 70) ? BPFAOT_CLASS_JMP : BPFAOT_CLASS_JMP32;
        unsigned steps_cnt = below(&g->rng, 3);
        int32_t imm = chance(&g->rng, 60) ? (int32_t)below(&g->rng, 9) - 4 : gen_imm32(&g->rng);
        size_t jump;

        emit_mov64_reg(g, copy, src);
        for (unsigned i = 0; i < steps_cnt; i++)
                emit(g, mk(BPFAOT_CLASS_ALU64 | BPFAOT_SRC_K |
                               (chance(&g->rng, 50) ? BPFAOT_ALU_ADD : BPFAOT_ALU_SUB),
                           copy, 0, 0, PICK(&g->rng, steps)));
        if (chance(&g->rng, 15))
                gen_alu(g);
        if (chance(&g->rng, 25))
                jump =
                    emit(g, mk(cls | PICK(&g->rng, conds) | BPFAOT_SRC_X, copy, pick_src(g), 0, 0));
        else
                jump = emit(g, mk(cls | PICK(&g->rng, conds) | BPFAOT_SRC_K, copy, 0, 0, imm));
        gen_block(g, nested_items(g));
        patch_off(g, jump, g->cnt);
}

/* Unconditional forward jump: ja (off) or gotol (JMP32, imm). */
static size_t emit_ja(struct gen *g, bool *long_form)
{
        *long_form = chance(&g->rng, 40);
        return emit(g, mk((*long_form ? BPFAOT_CLASS_JMP32 : BPFAOT_CLASS_JMP) | BPFAOT_JMP_JA, 0,
                          0, 0, 0));
}

static void patch_ja(struct gen *g, size_t jump, bool long_form, size_t target)
{
        if (long_form)
                patch_imm(g, jump, target);
        else
                patch_off(g, jump, target);
}

/* if (cond) { else-block } else { then-block } */
static void gen_if_else(struct gen *g)
{
        size_t jump = emit_cond_jump(g), skip;
        bool long_form;

        gen_block(g, nested_items(g));
        skip = emit_ja(g, &long_form);
        patch_off(g, jump, g->cnt);
        gen_block(g, nested_items(g));
        patch_ja(g, skip, long_form, g->cnt);
}

/* A jump over a block that never runs (it must still be valid). */
static void gen_dead_block(struct gen *g)
{
        bool long_form;
        size_t skip = emit_ja(g, &long_form);

        gen_block(g, nested_items(g));
        patch_ja(g, skip, long_form, g->cnt);
}

/* A bounded loop counted in r6: 1..4 iterations, counting down or up. */
static void gen_loop(struct gen *g)
{
        static const uint8_t down_conds[] = {BPFAOT_JMP_JNE, BPFAOT_JMP_JGT, BPFAOT_JMP_JSGT};
        int32_t n = 1 + (int32_t)below(&g->rng, 4);
        bool down = chance(&g->rng, 60);
        uint8_t cls = chance(&g->rng, 50) ? BPFAOT_CLASS_JMP : BPFAOT_CLASS_JMP32;
        size_t head, back;

        emit_mov64_imm(g, REG_LOOP, down ? n : 0);
        head = g->cnt;
        g->in_loop = true;
        gen_block(g, nested_items(g) + 2);
        g->in_loop = false;
        emit(g,
             mk(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, REG_LOOP, 0, 0, down ? -1 : 1));
        if (down)
                back =
                    emit(g, mk(cls | PICK(&g->rng, down_conds) | BPFAOT_SRC_K, REG_LOOP, 0, 0, 0));
        else
                back = emit(g, mk(cls | BPFAOT_JMP_JLT | BPFAOT_SRC_K, REG_LOOP, 0, 0, n));
        patch_off(g, back, head);
}

static void gen_exit(struct gen *g)
{
        emit(g, mk(BPFAOT_CLASS_JMP | BPFAOT_JMP_EXIT, 0, 0, 0, 0));
}

static void gen_unsafe_item(struct gen *g);

static void gen_item(struct gen *g)
{
        bool nest = g->depth < MAX_DEPTH && g->cnt < SOFT_MAX_INSNS;
        unsigned k;

        if (g->unsafe && chance(&g->rng, UNSAFE_PERCENT)) {
                gen_unsafe_item(g);
                return;
        }
        k = below(&g->rng, 100);

        if (k < 28)
                gen_alu(g);
        else if (k < 34)
                gen_edge_alu(g);
        else if (k < 42)
                gen_const(g);
        else if (k < 51)
                gen_load(g, pick_base(g));
        else if (k < 59)
                gen_store(g, pick_base(g));
        else if (k < 63)
                gen_atomic(g, pick_base(g));
        else if (k < 65)
                gen_derived_access(g);
        else if (k < 66 && g->mem_len >= 128)
                gen_merged_access(g);
        else if (k < 71 && nest)
                gen_if(g);
        else if (k < 74 && nest)
                gen_linked_if(g);
        else if (k < 78 && nest)
                gen_if_else(g);
        else if (k < 80 && nest)
                gen_dead_block(g);
        else if (k < 84 && nest && !g->in_loop)
                gen_loop(g);
        else if (k < 87)
                gen_helper_call(g);
        else if (k < 89)
                gen_callx_insn(g);
        else if (k < 94 && g->sub < g->n_subs)
                gen_local_call(g);
        else if (k < 95 && g->depth > 1)
                gen_exit(g);
        else if (k >= 95 && k < 99)
                gen_frame_item(g);
        else if (chance(&g->rng, 50))
                gen_packet_load(g);
        else
                gen_alu(g);
}

static void gen_block(struct gen *g, unsigned items)
{
        g->depth++;
        for (unsigned i = 0; i < items; i++)
                gen_item(g);
        g->depth--;
}

/* ------------------------------------------------------------------ */
/* Programs                                                            */
/* ------------------------------------------------------------------ */

static void gen_entry(struct gen *g)
{
        static const uint8_t init[] = {0, 3, 4, 5, REG_LOOP, 7, 8};

        g->sub = 0;
        emit_mov64_reg(g, REG_CTX, 1);
        emit_mov64_imm(g, 1, gen_imm32(&g->rng));
        /* Every register is written before any read, as the validator requires. */
        for (size_t i = 0; i < ARRAY_SIZE(init); i++) {
                if (chance(&g->rng, 40))
                        emit_lddw(g, init[i], gen_imm64(&g->rng));
                else
                        emit_mov64_imm(g, init[i], gen_imm32(&g->rng));
        }
        gen_block(g, 8 + below(&g->rng, 60));
        /* make every data register observable */
        for (uint8_t r = 0; r <= 8; r++)
                emit(g, mk(BPFAOT_CLASS_STX | BPFAOT_MODE_MEM | BPFAOT_SIZE_DW, REG_CTX, r,
                           (int16_t)(8 * r), 0));
        gen_exit(g);
}

/* Sub-program k: r1 = ctx, r2 = pointer into the caller's frame, r3-r5 data. */
static size_t gen_sub(struct gen *g, unsigned k)
{
        size_t start = g->cnt;

        g->sub = k;
        emit_mov64_reg(g, REG_CTX, 1);
        emit_mov64_reg(g, REG_CALLER_STACK, 2);
        emit_mov64_imm(g, 1, gen_imm32(&g->rng));
        emit_mov64_imm(g, 2, gen_imm32(&g->rng));
        emit_mov64_imm(g, 0, gen_imm32(&g->rng));
        /* r6-r9 start undefined in a callee: write the ones random code reads. */
        emit_mov64_imm(g, REG_LOOP, gen_imm32(&g->rng));
        emit_mov64_imm(g, 7, gen_imm32(&g->rng));
        gen_block(g, 4 + below(&g->rng, 25));
        gen_exit(g);
        return start;
}

int gen_program(uint64_t seed, struct gen_prog *out)
{
        return gen_program_mode(seed, 0, out);
}

int gen_program_mode(uint64_t seed, unsigned mode, struct gen_prog *out)
{
        struct gen *g = calloc(1, sizeof(*g));
        size_t starts[MAX_SUBS + 1] = {0};

        memset(out, 0, sizeof(*out));
        if (!g)
                return -ENOMEM;
        g->unsafe = mode & GEN_UNSAFE;
        g->sandbox = g->unsafe || (mode & GEN_SANDBOX);
        g->rng.s = mix64(seed ^ 0x6a09e667f3bcc908ull);
        while (g->unsafe && !g->unsafe_where) {
                g->unsafe_where = (uint32_t)rng_next(&g->rng) & ((1u << UNSAFE_WHERE_CNT) - 1);
                g->unsafe_kinds = (uint32_t)rng_next(&g->rng) & ((1u << (OFF_FAR + 1)) - 1);
        }
        g->mem_len =
            GEN_MIN_MEM_LEN + 8 * below(&g->rng, (GEN_MAX_MEM_LEN - GEN_MIN_MEM_LEN) / 8 + 1);
        g->n_subs = below(&g->rng, MAX_SUBS + 1);
        gen_entry(g);
        for (unsigned k = 1; k <= g->n_subs; k++)
                starts[k] = gen_sub(g, k);
        for (size_t i = 0; i < g->fix_cnt && !g->oom; i++)
                patch_imm(g, g->fix[i].insn, starts[g->fix[i].sub]);
        if (g->oom) {
                free(g->code);
                free(g);
                return -ENOMEM;
        }
        out->insns = g->code;
        out->insn_cnt = g->cnt;
        out->mem_len = g->mem_len;
        free(g);
        return 0;
}

void gen_prog_free(struct gen_prog *prog)
{
        free(prog->insns);
        memset(prog, 0, sizeof(*prog));
}

void gen_fill_memory(uint64_t seed, uint8_t *mem, size_t len)
{
        struct rng r = {mix64(seed ^ 0xbb67ae8584caa73bull)};

        for (size_t i = 0; i < len; i += 8) {
                unsigned k = below(&r, 100);
                uint64_t v;

                if (k < 40)
                        v = rng_next(&r);
                else if (k < 55)
                        v = 0;
                else if (k < 65)
                        v = ~0ull;
                else if (k < 85)
                        v = PICK(&r, interesting64);
                else
                        v = (uint64_t)(int64_t)gen_imm32(&r);
                for (size_t j = 0; j < 8 && i + j < len; j++)
                        mem[i + j] = (uint8_t)(v >> (8 * j));
        }
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static uint64_t h_hash(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        return mix64(a ^ mix64(b ^ mix64(c ^ mix64(d ^ mix64(e)))));
}

static uint64_t h_linear(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        return a + 3 * b - c + (d ^ (e << 1));
}

static uint64_t h_rotate(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        unsigned n = (unsigned)(b & 63);
        (void)c, (void)d, (void)e;
        return n ? (a << n) | (a >> (64 - n)) : a;
}

bpfaot_helper_fn gen_helper_lookup(void *ctx, uint32_t id)
{
        static const bpfaot_helper_fn helpers[GEN_HELPER_CNT] = {h_hash, h_linear, h_rotate};
        const struct bpfaot_rt_helper *rt;

        (void)ctx;
        if (id == GEN_HELPER_PROBE_READ) {
                rt = bpfaot_rt_helper_find(id);
                return rt ? rt->fn : NULL;
        }
        if (id < GEN_HELPER_FIRST || id >= GEN_HELPER_FIRST + GEN_HELPER_CNT)
                return NULL;
        return helpers[id - GEN_HELPER_FIRST];
}

uint64_t gen_callx(uint64_t id, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
        bpfaot_helper_fn fn = id <= UINT32_MAX ? gen_helper_lookup(NULL, (uint32_t)id) : NULL;

        return fn ? fn(r1, r2, r3, r4, r5) : (uint64_t)-ENOENT;
}

/* SPDX-License-Identifier: MIT */
/*
 * Switch recovery. eBPF has no indirect jumps, so clang's BPF backend lowers
 * a dense C `switch` to a binary tree of compares against constants. After
 * optimisation that tree is still visible in the IR: blocks that hold only
 * `icmp <pred> %v, C` + `br`, or a `switch %v`, all testing the same value
 * (or zero- or sign-extensions of it). This pass rebuilds one LLVM `switch`
 * from such a tree, which the code generator turns into a jump table, as a
 * native compiler would.
 *
 * The backend also pairs neighbouring cases: a leaf of the tree may still
 * compare the value and select (`v == 3 ? 61 : 38`) or branch on it, and
 * cases yielding constants meet in one block whose phi receives the constant.
 * For each value of the case window the pass therefore follows the leaf that
 * value reaches, with the value known, through blocks that only compute
 * (no memory access, nothing used elsewhere) as long as their branches fold,
 * and lets the switch case jump to where that path ends, giving the phis
 * there the values the path computed. Constant-yielding cases then meet in
 * one phi from a switch, which SimplifyCFG (run afterwards) turns into a
 * lookup table, as native clang does.
 *
 * The rewrite is exact: every value of %v reaches the same place with the
 * same phi values as before.
 *  - The tree's tests are evaluated exactly for each value (zext/sext chains,
 *    signed and unsigned predicates at their own width). %v may have fewer
 *    bits than its type (`and %x, 0xffffffff`: an int in a 64-bit register).
 *  - Each test, as a function of %v, is constant between a few cut points:
 *    around its constant for equality; for an ordered predicate it is
 *    monotone on each half of %v's range (both extensions and both orders
 *    keep each half in order), so bisection finds its one change per half.
 *    A cut point counts only where the whole tree changes (leaf, or phi
 *    values). The window is the densest run of cut points that fits
 *    MAX_WINDOW values, in unsigned or signed order; the cut points outside
 *    split the values below and above it into pieces, each of which takes
 *    one way through the tree.
 *  - Inside the window every value is followed on its own; a block is only
 *    passed over if it has no effect and its values are used only where it
 *    has run (in it, in blocks that run only right after it, in phis for
 *    edges from those), so no path left needs them. What the path computes
 *    is evaluated with known bits (the value is known; so are the bits of
 *    the operand of `and %x, M` that defines it) and loads of constant
 *    tables; anything not known stops the path where it is.
 *  - Each piece outside is followed once for all its values, with %v known
 *    only to lie in it (`%v + c` compared with a constant is decided where
 *    the piece allows); all pieces below must end alike, and all above.
 *    Where a compare in the leaves next to the window is undecided, the
 *    window grows over the value where it changes.
 */
#include "switches.h"
#include "llvm_compat.h"

#include <llvm-c/Transforms/PassBuilder.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NODES      256
#define MAX_WINDOW     1024
#define MIN_LEAF_EDGES 5 /* smaller trees stay compares */
#define MAX_HOPS       6 /* blocks a value's path may pass over after its leaf */
#define MAX_MEMO       512
#define MAX_DEPTH      24
#define MAX_FACTS      8
#define MAX_PHIS       64 /* of a block a switch case may jump to */

struct node {
        LLVMBasicBlockRef bb;
        LLVMValueRef term;
        bool is_switch;
        /* Children: index of an inner node, or -1 with the leaf in `leaf`. */
        int child[2];
        LLVMBasicBlockRef leaf[2];
};

/* Known bits of a value: bits `b` where mask `k` is set; `same`: a value equal to it. */
struct kv {
        uint64_t k, b;
        LLVMValueRef same;
        /* For an interval of %v (ectx.istart, ilen): the value is %v + off, in rbits bits. */
        bool rel;
        unsigned rbits;
        uint64_t off;
};

struct fact {
        LLVMValueRef val;
        uint64_t mask; /* val & mask == v & mask */
};

struct tree {
        LLVMValueRef v;
        /* %v's type has tbits bits; its values are below 2^bits (bits <= tbits). */
        unsigned bits, tbits;
        uint64_t vmask;
        struct node n[MAX_NODES];
        int cnt;
        struct fact facts[MAX_FACTS];
        int nfacts;
};

/* Where one value (or one interval) of %v goes: a block and the values its phis get. */
struct outcome {
        LLVMBasicBlockRef to;
        unsigned nvals;
        LLVMValueRef *vals;
        LLVMBasicBlockRef via; /* the block the new switch jumps to for it */
};

/* Evaluation of the blocks one value passes through. */
struct ectx {
        const struct tree *t;
        bool have_c;
        uint64_t c;
        /* !have_c: %v is one of istart, istart + 1, ... (ilen values, modulo 2^bits). */
        uint64_t istart, ilen;
        bool iwrap; /* the interval wraps at 2^bits: not contiguous in wider types */
        /* A value's path went past its leaf, or its leaf got values of its own. */
        bool refined;
        /* Values of %v where an undecided compare on the interval changes. */
        uint64_t cuts[32];
        int ncuts;
        LLVMBasicBlockRef path[MAX_HOPS + 2], prev[MAX_HOPS + 2];
        int npath;
        LLVMValueRef memo_v[MAX_MEMO];
        struct kv memo[MAX_MEMO];
        int nmemo;
};

static uint64_t type_max(unsigned bits)
{
        return bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;
}

static int64_t sext_bits(uint64_t x, unsigned bits)
{
        if (bits >= 64)
                return (int64_t)x;
        uint64_t sign = 1ull << (bits - 1);
        return (int64_t)((x & type_max(bits)) ^ sign) - (int64_t)sign;
}

static bool int_type(LLVMTypeRef ty, unsigned *bits)
{
        if (LLVMGetTypeKind(ty) != LLVMIntegerTypeKind)
                return false;
        *bits = LLVMGetIntTypeWidth(ty);
        return *bits <= 64;
}

/* Tests of `zext %v` or `sext %v` are tests of %v (evaluated through the extension). */
static LLVMValueRef strip_ext(LLVMValueRef v)
{
        while (LLVMIsAZExtInst(v) || LLVMIsASExtInst(v))
                v = LLVMGetOperand(v, 0);
        return v;
}

/* The value of `op`, a chain of extensions of `base`, when base == x. */
static uint64_t ext_eval(LLVMValueRef op, LLVMValueRef base, uint64_t x)
{
        unsigned from, to;
        uint64_t r;

        if (op == base)
                return x;
        r = ext_eval(LLVMGetOperand(op, 0), base, x);
        from = LLVMGetIntTypeWidth(LLVMTypeOf(LLVMGetOperand(op, 0)));
        to = LLVMGetIntTypeWidth(LLVMTypeOf(op));
        if (LLVMIsASExtInst(op))
                return (uint64_t)sext_bits(r, from) & type_max(to);
        return r;
}

static bool icmp_apply(LLVMIntPredicate p, uint64_t a, uint64_t b, unsigned bits)
{
        int64_t sa = sext_bits(a, bits), sb = sext_bits(b, bits);

        a &= type_max(bits);
        b &= type_max(bits);
        switch (p) {
        case LLVMIntEQ:
                return a == b;
        case LLVMIntNE:
                return a != b;
        case LLVMIntUGT:
                return a > b;
        case LLVMIntUGE:
                return a >= b;
        case LLVMIntULT:
                return a < b;
        case LLVMIntULE:
                return a <= b;
        case LLVMIntSGT:
                return sa > sb;
        case LLVMIntSGE:
                return sa >= sb;
        case LLVMIntSLT:
                return sa < sb;
        default:
                return sa <= sb;
        }
}

/* `icmp pred %v, C` (through extensions) feeding a conditional branch: the test a tree node makes.
 */
static bool branch_test(LLVMValueRef term, LLVMValueRef *v)
{
        LLVMValueRef cond, rhs;
        unsigned bits;

        if (LLVMGetInstructionOpcode(term) != LLVMBr || !LLVMIsConditional(term))
                return false;
        cond = LLVMGetCondition(term);
        if (!LLVMIsAICmpInst(cond))
                return false;
        rhs = LLVMGetOperand(cond, 1);
        if (!LLVMIsAConstantInt(rhs) || LLVMIsAConstant(LLVMGetOperand(cond, 0)))
                return false;
        if (!int_type(LLVMTypeOf(rhs), &bits))
                return false;
        *v = strip_ext(LLVMGetOperand(cond, 0));
        return int_type(LLVMTypeOf(*v), &bits);
}

static bool switch_test(LLVMValueRef term, LLVMValueRef *v)
{
        unsigned bits;

        if (LLVMGetInstructionOpcode(term) != LLVMSwitch)
                return false;
        *v = strip_ext(LLVMGetOperand(term, 0));
        return int_type(LLVMTypeOf(LLVMGetOperand(term, 0)), &bits) &&
               int_type(LLVMTypeOf(*v), &bits);
}

/*
 * Instructions that can run earlier without changing behaviour: no memory
 * access, no trap (division), no phi. At worst they compute an unused value.
 */
static bool hoistable(LLVMValueRef i)
{
        switch (LLVMGetInstructionOpcode(i)) {
        case LLVMAdd:
        case LLVMSub:
        case LLVMMul:
        case LLVMShl:
        case LLVMLShr:
        case LLVMAShr:
        case LLVMAnd:
        case LLVMOr:
        case LLVMXor:
        case LLVMTrunc:
        case LLVMZExt:
        case LLVMSExt:
        case LLVMICmp:
        case LLVMSelect:
        case LLVMFreeze:
                return true;
        default:
                return false;
        }
}

/* Number of CFG edges into `bb`. */
static unsigned pred_edges(LLVMBasicBlockRef bb)
{
        unsigned n = 0;
        for (LLVMUseRef u = LLVMGetFirstUse(LLVMBasicBlockAsValue(bb)); u; u = LLVMGetNextUse(u))
                if (LLVMIsATerminatorInst(LLVMGetUser(u)))
                        n++;
        return n;
}

/*
 * Can `bb` be an inner node testing t->v? It must be reached only from its
 * parent and contain nothing but the test (no phis, no other work).
 */
static bool inner_node(struct tree *t, LLVMBasicBlockRef bb, struct node *out)
{
        LLVMValueRef first = LLVMGetFirstInstruction(bb), term = LLVMGetBasicBlockTerminator(bb);
        LLVMValueRef v;

        if (pred_edges(bb) != 1 || !term)
                return false;
        /* Anything before the test must be pure, to be hoisted into the root. */
        for (LLVMValueRef i = first; i && i != term; i = LLVMGetNextInstruction(i))
                if (!hoistable(i))
                        return false;
        if (switch_test(term, &v) && v == t->v) {
                out->is_switch = true;
                return true;
        }
        return branch_test(term, &v) && v == t->v;
}

/* Grow the tree below node `i` (already filled in). */
static void grow(struct tree *t, int i)
{
        struct node *n = &t->n[i];

        if (n->is_switch)
                return; /* a switch's targets are leaves */
        for (unsigned side = 0; side < 2; side++) {
                LLVMBasicBlockRef s = LLVMGetSuccessor(n->term, side);
                struct node child = {.bb = s, .term = LLVMGetBasicBlockTerminator(s)};

                n->child[side] = -1;
                n->leaf[side] = s;
                if (t->cnt < MAX_NODES && inner_node(t, s, &child)) {
                        int ci = t->cnt++;
                        child.child[0] = child.child[1] = -1;
                        t->n[ci] = child;
                        n = &t->n[i];
                        n->child[side] = ci;
                        grow(t, ci);
                }
        }
}

/* Which way node `n` sends x: 0/1 for a branch (0: condition true), case index for a switch. */
static unsigned node_way(const struct tree *t, const struct node *n, uint64_t x)
{
        if (n->is_switch) {
                LLVMValueRef op = LLVMGetOperand(n->term, 0);
                unsigned bits = LLVMGetIntTypeWidth(LLVMTypeOf(op));
                uint64_t val = ext_eval(op, t->v, x) & type_max(bits);
                unsigned cases = LLVMGetNumSuccessors(n->term);
                for (unsigned k = 1; k < cases; k++)
                        if ((LLVMConstIntGetZExtValue(LLVMGetOperand(n->term, 2 * k)) &
                             type_max(bits)) == val)
                                return k;
                return 0;
        }
        LLVMValueRef cond = LLVMGetCondition(n->term);
        LLVMValueRef op = LLVMGetOperand(cond, 0);
        unsigned bits = LLVMGetIntTypeWidth(LLVMTypeOf(op));
        uint64_t c = LLVMConstIntGetZExtValue(LLVMGetOperand(cond, 1));
        return icmp_apply(LLVMGetICmpPredicate(cond), ext_eval(op, t->v, x), c, bits) ? 0 : 1;
}

/* The leaf value `v` reaches, and the tree block whose edge it takes. */
static LLVMBasicBlockRef tree_eval(const struct tree *t, uint64_t v, LLVMBasicBlockRef *from)
{
        int i = 0;

        for (;;) {
                const struct node *n = &t->n[i];
                unsigned way = node_way(t, n, v);
                *from = n->bb;
                if (n->is_switch)
                        return LLVMGetSuccessor(n->term, way);
                if (n->child[way] < 0)
                        return n->leaf[way];
                i = n->child[way];
        }
}

static bool in_tree(const struct tree *t, LLVMBasicBlockRef bb)
{
        for (int i = 0; i < t->cnt; i++)
                if (t->n[i].bb == bb)
                        return true;
        return false;
}

/* The x (of %v's width) whose extension through `op` is `c`, if one is. */
static bool ext_inverse(const struct tree *t, LLVMValueRef op, uint64_t c, uint64_t *x)
{
        unsigned bits = LLVMGetIntTypeWidth(LLVMTypeOf(op));

        *x = c & t->vmask;
        return ext_eval(op, t->v, *x) == (c & type_max(bits));
}

/* Cut points of one node: values x where x - 1 and x (modulo the width) may go different ways. */
static unsigned node_cuts(const struct tree *t, const struct node *n, uint64_t *cuts)
{
        uint64_t smin = 1ull << (t->bits - 1), x;
        unsigned nc = 0;

        if (n->is_switch) {
                LLVMValueRef op = LLVMGetOperand(n->term, 0);
                unsigned cases = LLVMGetNumSuccessors(n->term);
                for (unsigned k = 1; k < cases; k++)
                        if (ext_inverse(t, op,
                                        LLVMConstIntGetZExtValue(LLVMGetOperand(n->term, 2 * k)),
                                        &x)) {
                                cuts[nc++] = x;
                                cuts[nc++] = (x + 1) & t->vmask;
                        }
                return nc;
        }
        LLVMValueRef cond = LLVMGetCondition(n->term);
        LLVMIntPredicate p = LLVMGetICmpPredicate(cond);
        if (p == LLVMIntEQ || p == LLVMIntNE) {
                if (ext_inverse(t, LLVMGetOperand(cond, 0),
                                LLVMConstIntGetZExtValue(LLVMGetOperand(cond, 1)), &x)) {
                        cuts[nc++] = x;
                        cuts[nc++] = (x + 1) & t->vmask;
                }
                return nc;
        }
        /* Ordered: monotone on each half; one change at most in each, found by bisection. */
        uint64_t halves[2][2] = {{0, smin - 1}, {smin, t->vmask}};
        for (int h = 0; h < 2; h++) {
                uint64_t lo = halves[h][0], hi = halves[h][1];
                unsigned whi = node_way(t, n, hi);
                if (node_way(t, n, lo) == whi)
                        continue;
                /* lo goes the other way, hi this way: find the first value going this way. */
                while (hi - lo > 1) {
                        uint64_t mid = lo + (hi - lo) / 2;
                        if (node_way(t, n, mid) == whi)
                                hi = mid;
                        else
                                lo = mid;
                }
                cuts[nc++] = hi;
        }
        if (node_way(t, n, smin - 1) != node_way(t, n, smin))
                cuts[nc++] = smin;
        if (node_way(t, n, t->vmask) != node_way(t, n, 0))
                cuts[nc++] = 0;
        return nc;
}

/* ---- Evaluation of a value's path ---- */

static struct kv kv_full(uint64_t x, unsigned bits)
{
        return (struct kv){.k = type_max(bits), .b = x & type_max(bits)};
}

static bool kv_known(struct kv a, unsigned bits)
{
        return (a.k & type_max(bits)) == type_max(bits);
}

static int path_index(const struct ectx *e, LLVMBasicBlockRef bb)
{
        for (int i = 0; i < e->npath; i++)
                if (e->path[i] == bb)
                        return i;
        return -1;
}

static struct kv eval(struct ectx *e, LLVMValueRef x, int depth);

/* Is a value so evaluated usable on a new edge: known, or equal to a value defined before the root?
 */
static bool usable(struct kv a, LLVMValueRef x)
{
        unsigned bits;
        return a.same || (int_type(LLVMTypeOf(x), &bits) && kv_known(a, bits));
}

/*
 * For an interval: is `trunc x to i<w>` %v itself? If x is %v, or a value
 * whose low w bits are %v's (a fact), and %v fits in w bits.
 */
static bool trunc_is_v(const struct ectx *e, LLVMValueRef x, unsigned w)
{
        const struct tree *t = e->t;
        bool low = x == t->v;

        if (e->have_c || t->bits > w || (e->iwrap && t->bits != w))
                return false;
        for (int f = 0; f < t->nfacts && !low; f++)
                low = t->facts[f].val == x && (t->facts[f].mask & type_max(w)) == type_max(w);
        return low;
}

static void note_cut(struct ectx *e, uint64_t x, unsigned w)
{
        x &= type_max(w);
        if (x <= e->t->vmask && e->ncuts < (int)(sizeof(e->cuts) / sizeof(e->cuts[0])))
                e->cuts[e->ncuts++] = x;
}

/*
 * `%v + off  pred  c` for every %v of the interval: decided if the shifted
 * interval does not wrap in the predicate's order (the compare is then
 * monotone on it) and both ends agree, or for equality if c lies outside.
 * Otherwise the values of %v where it may change are noted.
 */
static struct kv interval_icmp(struct ectx *e, LLVMIntPredicate p, uint64_t off, uint64_t c,
                               unsigned w)
{
        uint64_t m = type_max(w), smin = 1ull << (w - 1), lo = (e->istart + off) & m;
        uint64_t hi = (lo + e->ilen - 1) & m;
        bool is_signed = p == LLVMIntSGT || p == LLVMIntSGE || p == LLVMIntSLT || p == LLVMIntSLE;
        uint64_t bias = is_signed ? smin : 0;

        c &= m;
        if (p == LLVMIntEQ || p == LLVMIntNE) {
                if (((c - lo) & m) >= e->ilen)
                        return kv_full(p == LLVMIntNE, 1);
                note_cut(e, c - off, w);
                note_cut(e, c + 1 - off, w);
                return (struct kv){0};
        }
        /* No wrap in the order: the ends, moved to unsigned order, keep their order. */
        if (((lo ^ bias) & m) <= ((hi ^ bias) & m) &&
            icmp_apply(p, lo, c, w) == icmp_apply(p, hi, c, w))
                return kv_full(icmp_apply(p, lo, c, w), 1);
        if (p == LLVMIntULT || p == LLVMIntUGE || p == LLVMIntSLT || p == LLVMIntSGE)
                note_cut(e, c - off, w);
        else
                note_cut(e, c + 1 - off, w);
        note_cut(e, bias - off, w); /* where %v + off wraps in the order */
        return (struct kv){0};
}

/*
 * A load of an element of a constant table, `getelementptr [N x T], @table,
 * 0, idx`, at a known index: the element (a lookup table an earlier
 * optimisation made of paired cases).
 */
static struct kv eval_table_load(struct ectx *e, LLVMValueRef ld, unsigned bits, int depth)
{
        LLVMValueRef gep = LLVMGetOperand(ld, 0), g, init, elem;
        LLVMTypeRef aty;
        struct kv idx, zero;
        unsigned ibits;

        if (!LLVMIsAGetElementPtrInst(gep) || LLVMGetNumOperands(gep) != 3)
                return (struct kv){0};
        g = LLVMGetOperand(gep, 0);
        if (!LLVMIsAGlobalVariable(g) || !LLVMIsGlobalConstant(g) ||
            !(init = LLVMGetInitializer(g)))
                return (struct kv){0};
        aty = LLVMGlobalGetValueType(g);
        if (LLVMGetTypeKind(aty) != LLVMArrayTypeKind || LLVMGetGEPSourceElementType(gep) != aty ||
            LLVMGetElementType(aty) != LLVMTypeOf(ld))
                return (struct kv){0};
        if (!int_type(LLVMTypeOf(LLVMGetOperand(gep, 1)), &ibits))
                return (struct kv){0};
        zero = eval(e, LLVMGetOperand(gep, 1), depth + 1);
        if (!kv_known(zero, ibits) || zero.b != 0)
                return (struct kv){0};
        if (!int_type(LLVMTypeOf(LLVMGetOperand(gep, 2)), &ibits))
                return (struct kv){0};
        idx = eval(e, LLVMGetOperand(gep, 2), depth + 1);
        /* The index is signed; one past the table or beyond is not evaluated. */
        if (!kv_known(idx, ibits) || sext_bits(idx.b, ibits) < 0 ||
            (uint64_t)sext_bits(idx.b, ibits) >= LLVMGetArrayLength(aty))
                return (struct kv){0};
        elem = compat_aggregate_element(init, (unsigned)idx.b);
        if (!elem || !LLVMIsAConstantInt(elem))
                return (struct kv){0};
        return kv_full(LLVMConstIntGetZExtValue(elem), bits);
}

/* Known bits of an instruction's result from its operands (`bits`: 0 if not an integer). */
static struct kv eval_op(struct ectx *e, LLVMValueRef x, unsigned bits, int depth)
{
        LLVMOpcode op = LLVMGetInstructionOpcode(x);
        uint64_t m = type_max(bits);
        struct kv a, b, out = {0};
        unsigned abits = 0;

        switch (op) {
        case LLVMSelect: {
                struct kv c = eval(e, LLVMGetOperand(x, 0), depth + 1);
                if (c.k & 1)
                        return eval(e, LLVMGetOperand(x, (c.b & 1) ? 1 : 2), depth + 1);
                a = eval(e, LLVMGetOperand(x, 1), depth + 1);
                b = eval(e, LLVMGetOperand(x, 2), depth + 1);
                if (bits && kv_known(a, bits) && kv_known(b, bits) && a.b == b.b)
                        return kv_full(a.b, bits);
                if (a.same && a.same == b.same)
                        out.same = a.same;
                return out;
        }
        case LLVMFreeze:
                return eval(e, LLVMGetOperand(x, 0), depth + 1);
        case LLVMLoad:
                return bits ? eval_table_load(e, x, bits, depth) : out;
        case LLVMZExt:
        case LLVMSExt:
        case LLVMTrunc:
                if (!bits || !int_type(LLVMTypeOf(LLVMGetOperand(x, 0)), &abits))
                        return out;
                a = eval(e, LLVMGetOperand(x, 0), depth + 1);
                a.k &= type_max(abits);
                a.b &= a.k;
                if (op == LLVMTrunc) {
                        out.k = a.k & m;
                        out.b = a.b & m;
                        out.rel = trunc_is_v(e, LLVMGetOperand(x, 0), bits);
                        out.rbits = bits;
                } else if (op == LLVMZExt) {
                        out.k = (a.k | ~type_max(abits)) & m;
                        out.b = a.b;
                } else if (a.k >> (abits - 1) & 1) {
                        out.k = (a.k | ~type_max(abits)) & m;
                        out.b = (uint64_t)sext_bits(a.b, abits) & m;
                } else {
                        out.k = a.k;
                        out.b = a.b;
                }
                return out;
        case LLVMICmp: {
                LLVMIntPredicate p = LLVMGetICmpPredicate(x);
                if (!int_type(LLVMTypeOf(LLVMGetOperand(x, 0)), &abits))
                        return out;
                a = eval(e, LLVMGetOperand(x, 0), depth + 1);
                b = eval(e, LLVMGetOperand(x, 1), depth + 1);
                if ((p == LLVMIntEQ || p == LLVMIntNE) &&
                    ((a.b ^ b.b) & a.k & b.k & type_max(abits)))
                        return kv_full(p == LLVMIntNE, 1);
                if (kv_known(a, abits) && kv_known(b, abits))
                        return kv_full(icmp_apply(p, a.b, b.b, abits), 1);
                if (a.rel && kv_known(b, abits))
                        return interval_icmp(e, p, a.off, b.b, abits);
                return out;
        }
        case LLVMAdd:
        case LLVMSub:
        case LLVMMul:
        case LLVMAnd:
        case LLVMOr:
        case LLVMXor:
        case LLVMShl:
        case LLVMLShr:
        case LLVMAShr:
                if (bits)
                        break;
                return out;
        default:
                return out; /* nothing known */
        }
        a = eval(e, LLVMGetOperand(x, 0), depth + 1);
        b = eval(e, LLVMGetOperand(x, 1), depth + 1);
        a.k &= m, a.b &= a.k;
        b.k &= m, b.b &= b.k;
        if ((op == LLVMAdd || op == LLVMSub) && a.rel && b.k == m) {
                out.rel = true;
                out.rbits = bits;
                out.off = (op == LLVMAdd ? a.off + b.b : a.off - b.b) & m;
                return out;
        }
        if (op == LLVMAdd && b.rel && a.k == m) {
                out.rel = true;
                out.rbits = bits;
                out.off = (b.off + a.b) & m;
                return out;
        }
        switch (op) {
        case LLVMAnd:
                out.k = (a.k & b.k) | (a.k & ~a.b) | (b.k & ~b.b);
                out.b = a.b & b.b;
                break;
        case LLVMOr:
                out.k = (a.k & b.k) | (a.k & a.b) | (b.k & b.b);
                out.b = a.b | b.b;
                break;
        case LLVMXor:
                out.k = a.k & b.k;
                out.b = a.b ^ b.b;
                break;
        case LLVMShl:
        case LLVMLShr:
                if (b.k != m || b.b >= bits)
                        return out;
                if (op == LLVMShl) {
                        out.k = ((a.k << b.b) | ((1ull << b.b) - 1)) & m;
                        out.b = (a.b << b.b) & m;
                } else {
                        out.k = (a.k >> b.b) | (~(m >> b.b) & m);
                        out.b = a.b >> b.b;
                }
                break;
        default:
                if (a.k != m || b.k != m || (op == LLVMAShr && b.b >= bits))
                        return out;
                if (op == LLVMAdd)
                        out.b = a.b + b.b;
                else if (op == LLVMSub)
                        out.b = a.b - b.b;
                else if (op == LLVMMul)
                        out.b = a.b * b.b;
                else
                        out.b = (uint64_t)(sext_bits(a.b, bits) >> b.b);
                out.k = m;
                break;
        }
        out.k &= m;
        out.b &= out.k;
        return out;
}

/* With %v known, what its definition tells of `x`. */
static struct kv apply_facts(const struct ectx *e, LLVMValueRef x, struct kv out)
{
        unsigned bits;

        if (!e->have_c || !int_type(LLVMTypeOf(x), &bits))
                return out;
        for (int f = 0; f < e->t->nfacts; f++)
                if (e->t->facts[f].val == x) {
                        uint64_t fm = e->t->facts[f].mask & type_max(bits);
                        out.k |= fm;
                        out.b = (out.b & ~fm) | (e->c & fm);
                }
        return out;
}

/*
 * What is known of `x` on the path being followed: its known bits, and
 * `same` if it equals a value defined outside the path (usable as itself:
 * defined before the tree's root). A value of the path is only usable
 * where it is known.
 */
static struct kv eval(struct ectx *e, LLVMValueRef x, int depth)
{
        unsigned bits = 0;
        bool is_int = int_type(LLVMTypeOf(x), &bits);
        struct kv out = {0};
        int pi;

        if (x == e->t->v) {
                out = e->have_c ? kv_full(e->c, bits) : out;
                out.rel = !e->have_c && (!e->iwrap || e->t->bits == bits);
                out.rbits = bits;
                out.same = x;
                return out;
        }
        if (LLVMIsAConstantInt(x) && is_int) {
                out = kv_full(LLVMConstIntGetZExtValue(x), bits);
                out.same = x;
                return out;
        }
        if (!LLVMIsAInstruction(x)) {
                out.same = x; /* arguments, other constants */
                return apply_facts(e, x, out);
        }
        for (int i = 0; i < e->nmemo; i++)
                if (e->memo_v[i] == x)
                        return e->memo[i];
        if (depth > MAX_DEPTH)
                return out;
        pi = path_index(e, LLVMGetInstructionParent(x));
        if (pi >= 0) {
                if (LLVMIsAPHINode(x)) {
                        for (unsigned k = 0; k < LLVMCountIncoming(x); k++)
                                if (LLVMGetIncomingBlock(x, k) == e->prev[pi]) {
                                        out = eval(e, LLVMGetIncomingValue(x, k), depth + 1);
                                        break;
                                }
                } else {
                        out = eval_op(e, x, is_int ? bits : 0, depth);
                }
        } else {
                /* Defined outside the path: usable as itself; perhaps its bits are known. */
                if (is_int && hoistable(x))
                        out = eval_op(e, x, bits, depth);
                out.same = x;
                out = apply_facts(e, x, out);
        }
        if (e->nmemo < MAX_MEMO) {
                e->memo_v[e->nmemo] = x;
                e->memo[e->nmemo++] = out;
        }
        return out;
}

/*
 * Does `bb` run only right after `head`: `head` itself, or reached by a
 * chain of single-predecessor blocks from it? A value of `head` is then
 * defined wherever `bb` runs, whatever new edges lead elsewhere.
 */
static bool in_region(LLVMBasicBlockRef bb, LLVMBasicBlockRef head)
{
        for (int i = 0; i < 8; i++) {
                LLVMUseRef u;
                if (bb == head)
                        return true;
                if (pred_edges(bb) != 1)
                        return false;
                for (u = LLVMGetFirstUse(LLVMBasicBlockAsValue(bb)); u; u = LLVMGetNextUse(u))
                        if (LLVMIsATerminatorInst(LLVMGetUser(u)))
                                break;
                bb = LLVMGetInstructionParent(LLVMGetUser(u));
        }
        return false;
}

/* An instruction a path may skip: no effect but its value (loads included: none is evaluated but
 * from constants). */
static bool skippable(LLVMValueRef i)
{
        switch (LLVMGetInstructionOpcode(i)) {
        case LLVMGetElementPtr:
        case LLVMBitCast:
        case LLVMPHI:
                return true;
        case LLVMLoad:
                return !LLVMGetVolatile(i) && LLVMGetOrdering(i) == LLVMAtomicOrderingNotAtomic;
        default:
                return hoistable(i);
        }
}

/*
 * A block a path may pass over: it does nothing but compute, and its values
 * are used only where it has run (in blocks that run only right after it,
 * or in phis for edges from those). A value that skips it then leaves
 * nothing undefined behind.
 */
static bool passable(const struct tree *t, LLVMBasicBlockRef bb)
{
        LLVMValueRef term = LLVMGetBasicBlockTerminator(bb);
        LLVMOpcode op;

        if (!term || in_tree(t, bb))
                return false;
        op = LLVMGetInstructionOpcode(term);
        if (op != LLVMBr && op != LLVMSwitch)
                return false;
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
                if (i != term && !skippable(i))
                        return false;
                for (LLVMUseRef u = LLVMGetFirstUse(i); u; u = LLVMGetNextUse(u)) {
                        LLVMValueRef user = LLVMGetUser(u);
                        if (!LLVMIsAPHINode(user)) {
                                if (!in_region(LLVMGetInstructionParent(user), bb))
                                        return false;
                                continue;
                        }
                        for (unsigned k = 0; k < LLVMCountIncoming(user); k++)
                                if (LLVMGetIncomingValue(user, k) == i &&
                                    !in_region(LLVMGetIncomingBlock(user, k), bb))
                                        return false;
                }
        }
        return true;
}

/*
 * May the new switch jump straight to `to`, past `passed[0..n)`? Blocks that
 * ran only right after a passed block through `to` (`to` itself and its
 * single-predecessor successors) stop doing so once `to` has that new edge,
 * so none of them may use a passed block's values (`to`'s phis on the edge
 * from the path are given the path's values instead).
 */
static bool defined_past(const LLVMBasicBlockRef *passed, int n, LLVMBasicBlockRef to)
{
        for (int p = 0; p < n; p++) {
                for (LLVMValueRef i = LLVMGetFirstInstruction(passed[p]); i;
                     i = LLVMGetNextInstruction(i)) {
                        for (LLVMUseRef u = LLVMGetFirstUse(i); u; u = LLVMGetNextUse(u)) {
                                LLVMValueRef user = LLVMGetUser(u);
                                if (!LLVMIsAPHINode(user)) {
                                        if (in_region(LLVMGetInstructionParent(user), to))
                                                return false;
                                        continue;
                                }
                                for (unsigned k = 0; k < LLVMCountIncoming(user); k++)
                                        if (LLVMGetIncomingValue(user, k) == i &&
                                            in_region(LLVMGetIncomingBlock(user, k), to))
                                                return false;
                        }
                }
        }
        return true;
}

/* The successor `bb`'s terminator takes on the path, or NULL if it is not known. */
static LLVMBasicBlockRef next_block(struct ectx *e, LLVMBasicBlockRef bb)
{
        LLVMValueRef term = LLVMGetBasicBlockTerminator(bb);
        struct kv c;
        unsigned bits;

        if (LLVMGetInstructionOpcode(term) == LLVMBr) {
                if (!LLVMIsConditional(term))
                        return LLVMGetSuccessor(term, 0);
                c = eval(e, LLVMGetCondition(term), 0);
                if (!(c.k & 1))
                        return NULL;
                return LLVMGetSuccessor(term, (c.b & 1) ? 0 : 1);
        }
        LLVMValueRef op = LLVMGetOperand(term, 0);
        if (!int_type(LLVMTypeOf(op), &bits))
                return NULL;
        c = eval(e, op, 0);
        if (!kv_known(c, bits))
                return NULL;
        for (unsigned k = 1; k < LLVMGetNumSuccessors(term); k++)
                if ((LLVMConstIntGetZExtValue(LLVMGetOperand(term, 2 * k)) & type_max(bits)) ==
                    (c.b & type_max(bits)))
                        return LLVMGetSuccessor(term, k);
        return LLVMGetSuccessor(term, 0);
}

static unsigned count_phis(LLVMBasicBlockRef bb)
{
        unsigned n = 0;
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i && LLVMIsAPHINode(i);
             i = LLVMGetNextInstruction(i))
                n++;
        return n;
}

/*
 * The values `to`'s phis get on the edge from `from`, as usable values; false
 * if one is not. A known value is given as a constant when every phi's is,
 * so that cases meeting there can become a lookup table; otherwise a value
 * equal to one defined before the tree is given as that value, so that cases
 * the path sends to the same place with it (a phi receiving `zext %v`) share
 * one outcome instead of one block per case.
 */
static bool phi_values(struct ectx *e, LLVMBasicBlockRef from, LLVMBasicBlockRef to,
                       LLVMValueRef *vals)
{
        struct kv r[MAX_PHIS];
        unsigned n = 0, bits;
        bool all_known = true;

        for (LLVMValueRef phi = LLVMGetFirstInstruction(to); phi && LLVMIsAPHINode(phi);
             phi = LLVMGetNextInstruction(phi), n++) {
                LLVMValueRef in = NULL;
                for (unsigned k = 0; k < LLVMCountIncoming(phi) && !in; k++)
                        if (LLVMGetIncomingBlock(phi, k) == from)
                                in = LLVMGetIncomingValue(phi, k);
                if (!in)
                        return false;
                r[n] = eval(e, in, 0);
                if (!usable(r[n], in))
                        return false;
                all_known = all_known && int_type(LLVMTypeOf(phi), &bits) && kv_known(r[n], bits);
        }
        n = 0;
        for (LLVMValueRef phi = LLVMGetFirstInstruction(to); phi && LLVMIsAPHINode(phi);
             phi = LLVMGetNextInstruction(phi), n++) {
                if (all_known || !r[n].same)
                        vals[n] = LLVMConstInt(LLVMTypeOf(phi), r[n].b, 0);
                else
                        vals[n] = r[n].same;
        }
        return true;
}

/*
 * Where a value (have_c) or any value of an interval (!have_c) that the tree
 * sends from `from` to `leaf` ends up: the last block of its path whose phi
 * values are usable.
 */
static bool follow(struct ectx *e, LLVMBasicBlockRef from, LLVMBasicBlockRef leaf,
                   struct outcome *o)
{
        LLVMBasicBlockRef cur = leaf, prev = from;
        LLVMBasicBlockRef chain[MAX_HOPS + 2], chain_prev[MAX_HOPS + 2];
        int nchain = 0;

        e->npath = 0;
        e->nmemo = 0;
        chain[nchain] = cur;
        chain_prev[nchain++] = prev;
        while (e->npath < MAX_HOPS && passable(e->t, cur)) {
                LLVMBasicBlockRef next;
                e->path[e->npath] = cur;
                e->prev[e->npath++] = prev;
                next = next_block(e, cur);
                if (!next || in_tree(e->t, next) || path_index(e, next) >= 0 ||
                    next == LLVMGetEntryBasicBlock(LLVMGetBasicBlockParent(next)))
                        break;
                prev = cur;
                cur = next;
                chain[nchain] = cur;
                chain_prev[nchain++] = prev;
        }
        /* The furthest block whose phis get usable values on the edge into it. */
        for (int j = nchain - 1; j >= 0; j--) {
                o->to = chain[j];
                o->nvals = count_phis(o->to);
                if (o->nvals <= MAX_PHIS && defined_past(chain, j, o->to) &&
                    phi_values(e, chain_prev[j], o->to, o->vals)) {
                        e->refined = e->refined || j > 0;
                        return true;
                }
        }
        return false;
}

static bool same_outcome(const struct outcome *a, const struct outcome *b)
{
        return a->to == b->to && a->nvals == b->nvals &&
               memcmp(a->vals, b->vals, a->nvals * sizeof(*a->vals)) == 0;
}

struct plan {
        struct outcome *oc; /* distinct outcomes */
        unsigned noc;
        unsigned *win; /* window position -> outcome */
        unsigned lo, hi;
        LLVMValueRef *pool;
        size_t npool, cap;
};

/* Index of the outcome equal to `o` (added if new). */
static int add_outcome(struct plan *p, const struct outcome *o)
{
        for (unsigned i = 0; i < p->noc; i++)
                if (same_outcome(&p->oc[i], o))
                        return (int)i;
        if (p->npool + o->nvals > p->cap)
                return -1;
        p->oc[p->noc] = *o;
        p->oc[p->noc].vals = p->pool + p->npool;
        memcpy(p->oc[p->noc].vals, o->vals, o->nvals * sizeof(*o->vals));
        p->npool += o->nvals;
        return (int)p->noc++;
}

/* A new edge into a block with phis, and the outcome whose values it carries. */
struct edge {
        LLVMBasicBlockRef from, to;
        unsigned oc;
};

/*
 * New phis for `bb`: edges from tree blocks out, the new edges in. The old
 * phis stay until every block has its new ones (outcome values may name
 * them); `olds` and `news` pair them up.
 */
static void fix_phis(LLVMBuilderRef b, const struct tree *t, const struct plan *p,
                     LLVMBasicBlockRef bb, const struct edge *edges, unsigned nedges,
                     LLVMValueRef *olds, LLVMValueRef *news, unsigned *nrep)
{
        unsigned idx = 0;

        for (LLVMValueRef phi = LLVMGetFirstInstruction(bb); phi && LLVMIsAPHINode(phi);
             phi = LLVMGetNextInstruction(phi), idx++) {
                LLVMValueRef np;
                unsigned cnt = 0;
                LLVMPositionBuilderBefore(b, phi);
                np = LLVMBuildPhi(b, LLVMTypeOf(phi), "");
                for (unsigned k = 0; k < LLVMCountIncoming(phi); k++) {
                        LLVMValueRef val = LLVMGetIncomingValue(phi, k);
                        LLVMBasicBlockRef from = LLVMGetIncomingBlock(phi, k);
                        if (!in_tree(t, from)) {
                                LLVMAddIncoming(np, &val, &from, 1);
                                cnt++;
                        }
                }
                for (unsigned e = 0; e < nedges; e++) {
                        if (edges[e].to != bb)
                                continue;
                        LLVMBasicBlockRef from = edges[e].from;
                        LLVMValueRef val = p->oc[edges[e].oc].vals[idx];
                        LLVMAddIncoming(np, &val, &from, 1);
                        cnt++;
                }
                olds[*nrep] = phi;
                if (cnt) {
                        news[(*nrep)++] = np;
                } else {
                        /* No edge left: the block is dead (SimplifyCFG removes it). */
                        LLVMInstructionEraseFromParent(np);
                        news[(*nrep)++] = LLVMGetUndef(LLVMTypeOf(phi));
                }
        }
}

static void add_block(LLVMBasicBlockRef *set, unsigned *n, LLVMBasicBlockRef bb)
{
        for (unsigned i = 0; i < *n; i++)
                if (set[i] == bb)
                        return;
        set[(*n)++] = bb;
}

/* An edge from `from` to outcome `oc` (to its own block, or to its target with its values). */
static void add_edge(struct edge *edges, unsigned *nedges, const struct plan *p,
                     LLVMBasicBlockRef from, unsigned oc)
{
        if (p->oc[oc].via == p->oc[oc].to)
                edges[(*nedges)++] = (struct edge){from, p->oc[oc].to, oc};
}

/*
 * Replace the tree by: an optional range check for the values below the
 * window (in the window's order), then one switch over the window whose
 * default takes the values above it. `first` is the window's first value.
 */
static void rewrite(LLVMContextRef ctx, LLVMBuilderRef b, struct tree *t, struct plan *p,
                    bool signed_order, uint64_t first, int oc_lo, int oc_hi, bool *refined)
{
        LLVMBasicBlockRef root = t->n[0].bb, cur = root, *blocks;
        LLVMTypeRef ty = LLVMTypeOf(t->v);
        LLVMValueRef fn = LLVMGetBasicBlockParent(root), sw, *olds = NULL, *news = NULL, sv = t->v;
        uint64_t width = (uint64_t)p->hi + 1;
        unsigned nedges = 0, nblocks = 0, nrep = 0, best = 0, nphis = 0, maxblocks = p->noc + 1;
        unsigned dflt;
        bool has_lo = oc_lo >= 0;
        struct edge *edges = malloc((2 * width + p->noc + 4) * sizeof(*edges));

        for (int i = 0; i < t->cnt; i++)
                maxblocks += LLVMGetNumSuccessors(t->n[i].term);
        blocks = malloc(maxblocks * sizeof(*blocks));
        if (!edges || !blocks)
                goto out;
        /*
         * The default takes the values above the window, as a C switch's
         * default does: one range check before the jump table, as native
         * code has; those below too if they go the same way, else they keep
         * their own check. A tree without values outside the window gets the
         * outcome most of the window has.
         */
        if (oc_hi >= 0) {
                dflt = (unsigned)oc_hi;
                has_lo = has_lo && oc_lo != oc_hi;
        } else if (has_lo) {
                dflt = (unsigned)oc_lo;
                has_lo = false;
        } else {
                dflt = p->win[0];
                for (uint64_t i = 0; i < width; i++) {
                        unsigned n = 0;
                        for (uint64_t j = 0; j < width; j++)
                                n += p->win[j] == p->win[i];
                        if (n >= best) { /* ties: the highest value's, as above the window */
                                best = n;
                                dflt = p->win[i];
                        }
                }
        }
        /*
         * Each target is reached directly by its first outcome; an outcome
         * sharing its target with another (different phi values) goes
         * through a block of its own, so that each edge into the target
         * carries one outcome's values.
         */
        for (unsigned i = 0; i < p->noc; i++) {
                struct outcome *o = &p->oc[i];
                o->via = o->to;
                for (unsigned j = 0; j < i && o->via; j++)
                        if (p->oc[j].to == o->to)
                                o->via = NULL;
                if (!o->via) {
                        *refined = true;
                        o->via = LLVMAppendBasicBlockInContext(ctx, fn, "switch.case");
                        LLVMPositionBuilderAtEnd(b, o->via);
                        LLVMBuildBr(b, o->to);
                        edges[nedges++] = (struct edge){o->via, o->to, i};
                }
        }
        /* Pure work of the inner blocks moves up to the root, which dominates its uses. */
        for (int i = 1; i < t->cnt; i++) {
                LLVMValueRef term = t->n[i].term, in = LLVMGetFirstInstruction(t->n[i].bb);
                while (in && in != term) {
                        LLVMValueRef next = LLVMGetNextInstruction(in);
                        LLVMInstructionRemoveFromParent(in);
                        LLVMPositionBuilderBefore(b, t->n[0].term);
                        LLVMInsertIntoBuilder(b, in);
                        in = next;
                }
        }
        /* Every block whose phis see tree edges or new edges. */
        for (int i = 0; i < t->cnt; i++) {
                LLVMValueRef term = t->n[i].term;
                for (unsigned s = 0; s < LLVMGetNumSuccessors(term); s++)
                        if (!in_tree(t, LLVMGetSuccessor(term, s)))
                                add_block(blocks, &nblocks, LLVMGetSuccessor(term, s));
        }
        for (unsigned i = 0; i < p->noc; i++)
                add_block(blocks, &nblocks, p->oc[i].to);
        /* The root is a branch (try_root); its successors are recorded above. */
        LLVMInstructionEraseFromParent(t->n[0].term);
        /*
         * A window in the signed order of fewer bits than the type (an int
         * in a 64-bit register): the switch is on those bits, so that its
         * cases are one range (from negative to positive) for SimplifyCFG.
         */
        if (signed_order && t->bits < t->tbits) {
                ty = LLVMIntTypeInContext(ctx, t->bits);
                LLVMPositionBuilderAtEnd(b, root);
                sv = LLVMBuildTrunc(b, t->v, ty, "");
        }
        if (has_lo) {
                LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(ctx, fn, "switch");
                LLVMPositionBuilderAtEnd(b, cur);
                LLVMValueRef below = LLVMBuildICmp(b, signed_order ? LLVMIntSLT : LLVMIntULT, sv,
                                                   LLVMConstInt(ty, first, 0), "");
                LLVMBuildCondBr(b, below, p->oc[oc_lo].via, next);
                add_edge(edges, &nedges, p, cur, (unsigned)oc_lo);
                cur = next;
        }
        LLVMPositionBuilderAtEnd(b, cur);
        sw = LLVMBuildSwitch(b, sv, p->oc[dflt].via, (unsigned)width);
        add_edge(edges, &nedges, p, cur, dflt);
        for (uint64_t i = 0; i < width; i++) {
                unsigned o = p->win[i];
                if (o == dflt)
                        continue;
                LLVMAddCase(sw, LLVMConstInt(ty, (first + i) & t->vmask, 0), p->oc[o].via);
                add_edge(edges, &nedges, p, cur, o);
        }
        for (unsigned k = 0; k < nblocks; k++)
                nphis += count_phis(blocks[k]);
        olds = malloc((nphis + 1) * sizeof(*olds));
        news = malloc((nphis + 1) * sizeof(*news));
        if (!olds || !news)
                goto out; /* leaves invalid IR: the verifier reports it */
        for (unsigned k = 0; k < nblocks; k++)
                fix_phis(b, t, p, blocks[k], edges, nedges, olds, news, &nrep);
        for (unsigned r = 0; r < nrep; r++) {
                LLVMReplaceAllUsesWith(olds[r], news[r]);
                LLVMInstructionEraseFromParent(olds[r]);
        }
        for (int i = 1; i < t->cnt; i++)
                LLVMDeleteBasicBlock(t->n[i].bb);
out:
        free(olds);
        free(news);
        free(edges);
        free(blocks);
}

/* Is `bb` reached only from a block that tests the same value? Then its parent is the root. */
static bool has_testing_parent(LLVMBasicBlockRef bb, LLVMValueRef v)
{
        LLVMUseRef u = LLVMGetFirstUse(LLVMBasicBlockAsValue(bb));
        LLVMValueRef term, pv;

        if (pred_edges(bb) != 1)
                return false;
        for (; u; u = LLVMGetNextUse(u))
                if (LLVMIsATerminatorInst(LLVMGetUser(u)))
                        break;
        term = LLVMGetUser(u);
        if (switch_test(term, &pv))
                return pv == v;
        return branch_test(term, &pv) && pv == v;
}

/* What tells the bits of other values once %v is known: `%v = and %x, M` and the like. */
static void find_facts(struct tree *t)
{
        LLVMValueRef cur = t->v;
        uint64_t mask = t->vmask;

        t->nfacts = 0;
        while (t->nfacts < MAX_FACTS && LLVMIsAInstruction(cur)) {
                LLVMOpcode op = LLVMGetInstructionOpcode(cur);
                LLVMValueRef x = LLVMGetOperand(cur, 0);
                unsigned bits;
                if (!int_type(LLVMTypeOf(x), &bits))
                        return;
                if (op == LLVMAnd && LLVMIsAConstantInt(LLVMGetOperand(cur, 1)))
                        mask &= LLVMConstIntGetZExtValue(LLVMGetOperand(cur, 1));
                else if (op == LLVMTrunc || op == LLVMZExt || op == LLVMFreeze)
                        mask &= type_max(bits);
                else
                        return;
                t->facts[t->nfacts++] = (struct fact){x, mask};
                cur = x;
        }
}

/* Do x and y leave the tree to the same leaf, with the same values for its phis? */
static bool same_way(const struct tree *t, uint64_t x, uint64_t y)
{
        LLVMBasicBlockRef fx, fy, lx = tree_eval(t, x, &fx), ly = tree_eval(t, y, &fy);

        if (lx != ly)
                return false;
        if (fx == fy)
                return true;
        for (LLVMValueRef phi = LLVMGetFirstInstruction(lx); phi && LLVMIsAPHINode(phi);
             phi = LLVMGetNextInstruction(phi)) {
                LLVMValueRef vx = NULL, vy = NULL;
                for (unsigned k = 0; k < LLVMCountIncoming(phi); k++) {
                        if (LLVMGetIncomingBlock(phi, k) == fx)
                                vx = LLVMGetIncomingValue(phi, k);
                        if (LLVMGetIncomingBlock(phi, k) == fy)
                                vy = LLVMGetIncomingValue(phi, k);
                }
                if (vx != vy)
                        return false;
        }
        return true;
}

/* Fewer bits than its type when %v is `and %x, 2^k - 1` or `lshr %x, s`. */
static void value_bits(struct tree *t)
{
        LLVMValueRef c;
        uint64_t m;

        if (!LLVMIsABinaryOperator(t->v) || !LLVMIsAConstantInt(c = LLVMGetOperand(t->v, 1)))
                return;
        m = LLVMConstIntGetZExtValue(c);
        if (LLVMGetInstructionOpcode(t->v) == LLVMAnd && m && (m & (m + 1)) == 0) {
                unsigned k = 0;
                while (k < 64 && (m >> k))
                        k++;
                if (k < t->bits)
                        t->bits = k;
        } else if (LLVMGetInstructionOpcode(t->v) == LLVMLShr && m > 0 && m < t->bits) {
                t->bits -= (unsigned)m;
        }
}

/* A single value below (or above) the window joins it. */
static void single_values(const struct tree *t, uint64_t *lo, uint64_t *hi)
{
        if (*lo == 1)
                *lo = 0;
        if (*hi == t->vmask - 1)
                *hi = t->vmask;
}

/* Evaluate for the values of positions ps..pe (from origin) at once. */
static void piece_interval(const struct tree *t, struct ectx *e, uint64_t origin, uint64_t ps,
                           uint64_t pe)
{
        e->have_c = false;
        e->ncuts = 0;
        e->istart = (origin + ps) & t->vmask;
        e->ilen = pe - ps + 1;
        e->iwrap = e->istart + (e->ilen - 1) > t->vmask;
}

/* The piece next to the window [lo, hi] below it (side 0) or above it, as positions ps..pe. */
static void adjacent_piece(const struct tree *t, const uint64_t *bnd, unsigned nbnd, uint64_t lo,
                           uint64_t hi, int side, uint64_t *ps, uint64_t *pe)
{
        *ps = side == 0 ? 0 : hi + 1;
        *pe = side == 0 ? lo - 1 : t->vmask;
        for (unsigned i = 0; i < nbnd; i++) {
                if (side == 0 && bnd[i] < lo && bnd[i] > *ps)
                        *ps = bnd[i];
                if (side == 1 && bnd[i] > hi + 1 && bnd[i] - 1 < *pe)
                        *pe = bnd[i] - 1;
        }
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

/* The cut points as positions from `origin`, sorted, without duplicates or 0. */
static unsigned sorted_positions(const struct tree *t, const uint64_t *cuts, unsigned ncuts,
                                 uint64_t origin, uint64_t *out)
{
        unsigned n = 0, u = 0;

        for (unsigned i = 0; i < ncuts; i++)
                if ((cuts[i] - origin) & t->vmask)
                        out[n++] = (cuts[i] - origin) & t->vmask;
        if (n)
                qsort(out, n, sizeof(*out), cmp_u64);
        for (unsigned i = 0; i < n; i++)
                if (!u || out[u - 1] != out[i])
                        out[u++] = out[i];
        return u;
}

/* Try to rebuild a switch from the tree rooted at `root`. Returns true when done. */
static bool try_root(LLVMContextRef ctx, LLVMBuilderRef b, LLVMBasicBlockRef root, struct tree *t,
                     struct ectx *e, bool *refined)
{
        LLVMValueRef term = LLVMGetBasicBlockTerminator(root);
        LLVMBasicBlockRef from, leaf;
        uint64_t *cuts, *bnd, origin = 0, best_w = UINT64_MAX, smin;
        unsigned ncuts = 0, leaf_edges = 0, maxcuts, nbnd;
        int best_cnt = 0;
        bool ok = true, signed_order = false, has_lo, has_hi;
        struct plan p = {0};
        struct outcome o = {0};
        int oc_lo = -1, oc_hi = -1;
        uint64_t lo = 0, hi = 0;

        e->refined = false; /* follow() reads it before the window's walk resets it */
        if (!term || (pred_edges(root) == 0 &&
                      root != LLVMGetEntryBasicBlock(LLVMGetBasicBlockParent(root))))
                return false;
        t->cnt = 1;
        t->n[0] = (struct node){.bb = root, .term = term, .child = {-1, -1}};
        if (!branch_test(term, &t->v))
                return false;
        if (has_testing_parent(root, t->v))
                return false;
        t->bits = t->tbits = LLVMGetIntTypeWidth(LLVMTypeOf(t->v));
        value_bits(t);
        if (t->bits < 2)
                return false;
        t->vmask = type_max(t->bits);
        smin = 1ull << (t->bits - 1);
        find_facts(t);
        grow(t, 0);
        if (t->cnt < 3)
                return false;
        maxcuts = 8;
        for (int i = 0; i < t->cnt; i++) {
                unsigned ns = LLVMGetNumSuccessors(t->n[i].term);
                leaf_edges += t->n[i].is_switch ? ns
                                                : (unsigned)(t->n[i].child[0] < 0) +
                                                      (unsigned)(t->n[i].child[1] < 0);
                maxcuts += t->n[i].is_switch ? 2 * ns : 4;
        }
        if (leaf_edges < MIN_LEAF_EDGES)
                return false;
        cuts = malloc(maxcuts * sizeof(*cuts));
        if (!cuts)
                return false;
        for (int i = 0; i < t->cnt; i++)
                ncuts += node_cuts(t, &t->n[i], cuts + ncuts);
        /* Only where the whole tree changes: a node's cut may lie where other nodes decide. */
        for (unsigned i = 0; i < ncuts; i++)
                if (same_way(t, (cuts[i] - 1) & t->vmask, cuts[i]))
                        cuts[i--] = cuts[--ncuts];
        /*
         * The window: the densest run of cut points (in unsigned or signed
         * order) that fits MAX_WINDOW values. The cut points outside split
         * the values below and above it into pieces, each taking one way
         * through the tree.
         */
        bnd = malloc((ncuts + 1) * sizeof(*bnd));
        if (!bnd) {
                free(cuts);
                return false;
        }
        for (int s = 0; s < 2; s++) {
                uint64_t org = s ? smin : 0;
                unsigned np = sorted_positions(t, cuts, ncuts, org, bnd);
                for (unsigned i = 0, j = 0; i < np; i++) {
                        if (j <= i)
                                j = i + 1;
                        while (j + 1 < np && bnd[j + 1] - bnd[i] <= MAX_WINDOW)
                                j++;
                        if (j >= np || bnd[j] - bnd[i] > MAX_WINDOW)
                                continue;
                        if ((int)(j - i) > best_cnt ||
                            ((int)(j - i) == best_cnt && bnd[j] - bnd[i] < best_w)) {
                                best_cnt = (int)(j - i);
                                best_w = bnd[j] - bnd[i];
                                signed_order = s;
                                origin = org;
                                lo = bnd[i];
                                hi = bnd[j] - 1;
                        }
                }
        }
        nbnd = best_cnt > 0 ? sorted_positions(t, cuts, ncuts, origin, bnd) : 0;
        free(cuts);
        if (best_cnt <= 0) {
                free(bnd);
                return false;
        }
        o.vals = malloc(MAX_PHIS * sizeof(*o.vals));
        if (!o.vals) {
                free(bnd);
                return false;
        }
        e->t = t;
        /*
         * The leaves of the values next to the window may still compare the
         * value (the backend's paired cases): widen the window over the
         * points where those compares change, so that outside it they are
         * decided for the whole piece.
         */
        for (int round = 0; round < 4; round++) {
                uint64_t nlo = lo, nhi = hi;
                single_values(t, &nlo, &nhi);
                for (int side = 0; side < 2; side++) {
                        uint64_t ps, pe;
                        if (side == 0 ? nlo == 0 : nhi == t->vmask)
                                continue;
                        adjacent_piece(t, bnd, nbnd, nlo, nhi, side, &ps, &pe);
                        piece_interval(t, e, origin, ps, pe);
                        leaf = tree_eval(t, e->istart, &from);
                        if (in_tree(t, leaf))
                                continue;
                        follow(e, from, leaf, &o);
                        for (int i = 0; i < e->ncuts; i++) {
                                uint64_t pos = (e->cuts[i] - origin) & t->vmask;
                                if (side == 0 && pos > ps && pos < nlo)
                                        nlo = pos;
                                if (side == 1 && pos > nhi + 1 && pos <= pe)
                                        nhi = pos - 1;
                        }
                }
                single_values(t, &nlo, &nhi);
                if ((nlo == lo && nhi == hi) || nhi - nlo >= MAX_WINDOW)
                        break;
                lo = nlo;
                hi = nhi;
        }
        single_values(t, &lo, &hi);
        has_lo = lo > 0;
        has_hi = hi < t->vmask;
        p.lo = (unsigned)0;
        p.hi = (unsigned)(hi - lo);
        p.cap = ((size_t)(hi - lo) + 4) * MAX_PHIS;
        /* The window's outcomes, and at most three of the pieces' (the third fails). */
        p.oc = malloc(((size_t)(hi - lo) + 4) * sizeof(*p.oc));
        p.win = malloc(((size_t)(hi - lo) + 1) * sizeof(*p.win));
        p.pool = malloc(p.cap * sizeof(*p.pool));
        ok = p.oc && p.win && p.pool;
        e->refined = false;
        for (uint64_t i = 0; ok && i <= hi - lo; i++) {
                uint64_t x = (origin + lo + i) & t->vmask;
                int k;
                leaf = tree_eval(t, x, &from);
                e->have_c = true;
                e->c = x;
                ok = !in_tree(t, leaf);
                k = ok && follow(e, from, leaf, &o) ? add_outcome(&p, &o) : -1;
                ok = k >= 0;
                if (ok)
                        p.win[i] = (unsigned)k;
        }
        /*
         * Outside the window: one path for each piece, valid for any value
         * there; all pieces on one side must end alike.
         */
        for (int side = 0; ok && side < 2; side++) {
                uint64_t ps = side == 0 ? 0 : hi + 1;
                int side_oc = -1;
                if (side == 0 ? !has_lo : !has_hi)
                        continue;
                for (unsigned i = 0; ok && i <= nbnd; i++) {
                        /* Pieces start at ps and end before the next boundary (or the window). */
                        uint64_t pe = side == 0 ? lo - 1 : t->vmask;
                        int k;
                        for (unsigned j = 0; j < nbnd; j++)
                                if (bnd[j] > ps && bnd[j] - 1 < pe)
                                        pe = bnd[j] - 1;
                        piece_interval(t, e, origin, ps, pe);
                        leaf = tree_eval(t, e->istart, &from);
                        ok = !in_tree(t, leaf);
                        k = ok && follow(e, from, leaf, &o) ? add_outcome(&p, &o) : -1;
                        ok = k >= 0 && (side_oc < 0 || k == side_oc);
                        side_oc = k;
                        if (pe == (side == 0 ? lo - 1 : t->vmask))
                                break;
                        ps = pe + 1;
                }
                if (side == 0)
                        oc_lo = side_oc;
                else
                        oc_hi = side_oc;
        }
        if (ok) {
                /* The switch's cases count from the window's first value. */
                bool own_blocks = false;
                rewrite(ctx, b, t, &p, signed_order, (origin + lo) & t->vmask, oc_lo, oc_hi,
                        &own_blocks);
                *refined = *refined || own_blocks || e->refined;
        }
        free(p.oc);
        free(p.win);
        free(p.pool);
        free(o.vals);
        free(bnd);
        return ok;
}

int switches_recover(LLVMModuleRef mod)
{
        LLVMContextRef ctx = LLVMGetModuleContext(mod);
        LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
        struct tree *t = malloc(sizeof(*t));
        struct ectx *e = calloc(1, sizeof(*e));
        int rebuilt = 0;
        bool refined = false;

        if (!t || !e) {
                free(t);
                free(e);
                LLVMDisposeBuilder(b);
                return 0;
        }
        for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
                for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb;
                     bb = LLVMGetNextBasicBlock(bb)) {
                        /* Roots come before their inner nodes: deleted blocks are never visited. */
                        if (try_root(ctx, b, bb, t, e, &refined))
                                rebuilt++;
                }
        }
        free(t);
        free(e);
        LLVMDisposeBuilder(b);
        if (refined) {
                /*
                 * Cases that now meet in a phi with constants become a lookup
                 * table; the blocks no value reaches any more go.
                 */
                LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
                LLVMErrorRef err =
                    LLVMRunPasses(mod, "function(simplifycfg<switch-to-lookup>,dce)", NULL, pbo);
                if (err) /* the module is valid without it: only slower */
                        LLVMConsumeError(err);
                LLVMDisposePassBuilderOptions(pbo);
        }
        return rebuilt;
}

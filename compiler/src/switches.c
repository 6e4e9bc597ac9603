/* SPDX-License-Identifier: MIT */
/*
 * Switch recovery. eBPF has no indirect jumps, so clang's BPF backend lowers
 * a dense C `switch` to a binary tree of compares against constants. After
 * optimisation that tree is still visible in the IR: blocks that hold only
 * `icmp <pred> %v, C` + `br`, or a `switch %v`, all testing the same value.
 * This pass rebuilds one LLVM `switch` from such a tree, which the code
 * generator turns into a jump table, as a native compiler would.
 *
 * The rewrite is exact: every value of %v reaches the same leaf as before.
 * Only unsigned and equality predicates are handled; for them all values
 * below the smallest constant (or above the largest) behave alike, so the
 * tree is evaluated for each value of the window [cmin, cmax] plus one value
 * on each side.
 */
#include "switches.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define MAX_NODES      256
#define MAX_WINDOW     1024
#define MIN_LEAF_EDGES 5 /* smaller trees stay compares */

struct node {
        LLVMBasicBlockRef bb;
        LLVMValueRef term;
        bool is_switch;
        LLVMIntPredicate pred;
        uint64_t c;
        /* Children: index of an inner node, or -1 with the leaf in `leaf`. */
        int child[2];
        LLVMBasicBlockRef leaf[2];
};

struct edge {
        LLVMBasicBlockRef from, to;
};

struct tree {
        LLVMValueRef v;
        /* Tree edges some value of %v takes (from a tree block to a leaf). */
        struct edge used[MAX_NODES * 2];
        unsigned nused;
        unsigned bits;
        struct node n[MAX_NODES];
        int cnt;
        uint64_t cmin, cmax;
};

static uint64_t type_max(unsigned bits)
{
        return bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;
}

/* Tests of `zext %v` are tests of %v: every case value keeps its meaning. */
static LLVMValueRef strip_zext(LLVMValueRef v)
{
        while (LLVMIsAZExtInst(v))
                v = LLVMGetOperand(v, 0);
        return v;
}

static bool pred_ok(LLVMIntPredicate p)
{
        return p == LLVMIntEQ || p == LLVMIntNE || p == LLVMIntUGT || p == LLVMIntUGE ||
               p == LLVMIntULT || p == LLVMIntULE;
}

/* `icmp pred %v, C` feeding a conditional branch: the test a tree node makes. */
static bool branch_test(LLVMValueRef term, LLVMValueRef *v, LLVMIntPredicate *pred, uint64_t *c)
{
        LLVMValueRef cond, rhs;

        if (LLVMGetInstructionOpcode(term) != LLVMBr || !LLVMIsConditional(term))
                return false;
        cond = LLVMGetCondition(term);
        if (!LLVMIsAICmpInst(cond))
                return false;
        rhs = LLVMGetOperand(cond, 1);
        if (!LLVMIsAConstantInt(rhs) || LLVMIsAConstant(LLVMGetOperand(cond, 0)))
                return false;
        if (LLVMGetIntTypeWidth(LLVMTypeOf(rhs)) > 64)
                return false;
        *pred = LLVMGetICmpPredicate(cond);
        *v = strip_zext(LLVMGetOperand(cond, 0));
        *c = LLVMConstIntGetZExtValue(rhs);
        return pred_ok(*pred);
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

static void note_const(struct tree *t, uint64_t c)
{
        if (c < t->cmin)
                t->cmin = c;
        if (c > t->cmax)
                t->cmax = c;
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
        if (LLVMGetInstructionOpcode(term) == LLVMSwitch) {
                if (strip_zext(LLVMGetOperand(term, 0)) != t->v)
                        return false;
                out->is_switch = true;
                return true;
        }
        return branch_test(term, &v, &out->pred, &out->c) && v == t->v;
}

/* Grow the tree below node `i` (already filled in). */
static bool grow(struct tree *t, int i)
{
        struct node *n = &t->n[i];

        if (n->is_switch) {
                unsigned cases = LLVMGetNumSuccessors(n->term);
                for (unsigned k = 1; k < cases; k++) {
                        LLVMValueRef cv = LLVMGetOperand(n->term, 2 * k);
                        note_const(t, LLVMConstIntGetZExtValue(cv));
                }
                return true; /* a switch's targets are leaves */
        }
        note_const(t, n->c);
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
                        if (!grow(t, ci))
                                return false;
                }
        }
        return true;
}

static bool test(LLVMIntPredicate p, uint64_t v, uint64_t c)
{
        switch (p) {
        case LLVMIntEQ:
                return v == c;
        case LLVMIntNE:
                return v != c;
        case LLVMIntUGT:
                return v > c;
        case LLVMIntUGE:
                return v >= c;
        case LLVMIntULT:
                return v < c;
        default:
                return v <= c;
        }
}

/* The leaf value `v` reaches, and the tree block whose edge it takes. */
static LLVMBasicBlockRef eval(const struct tree *t, uint64_t v, LLVMBasicBlockRef *from)
{
        int i = 0;

        for (;;) {
                const struct node *n = &t->n[i];
                *from = n->bb;
                if (n->is_switch) {
                        unsigned cases = LLVMGetNumSuccessors(n->term);
                        for (unsigned k = 1; k < cases; k++)
                                if (LLVMConstIntGetZExtValue(LLVMGetOperand(n->term, 2 * k)) == v)
                                        return LLVMGetSuccessor(n->term, k);
                        return LLVMGetSuccessor(n->term, 0);
                }
                int side = test(n->pred, v, n->c) ? 0 : 1;
                if (n->child[side] < 0)
                        return n->leaf[side];
                i = n->child[side];
        }
}

static bool in_tree(const struct tree *t, LLVMBasicBlockRef bb)
{
        for (int i = 0; i < t->cnt; i++)
                if (t->n[i].bb == bb)
                        return true;
        return false;
}

static bool edge_used(const struct tree *t, LLVMBasicBlockRef from, LLVMBasicBlockRef to)
{
        for (unsigned i = 0; i < t->nused; i++)
                if (t->used[i].from == from && t->used[i].to == to)
                        return true;
        return false;
}

static void use_edge(struct tree *t, LLVMBasicBlockRef from, LLVMBasicBlockRef to)
{
        if (!edge_used(t, from, to))
                t->used[t->nused++] = (struct edge){from, to};
}

/*
 * Every phi of a leaf must get the same value along all the tree edges that
 * values take to it, since the new dispatch no longer says which one it was.
 */
static bool leaf_phis_agree(const struct tree *t, LLVMBasicBlockRef leaf)
{
        for (LLVMValueRef phi = LLVMGetFirstInstruction(leaf); phi && LLVMIsAPHINode(phi);
             phi = LLVMGetNextInstruction(phi)) {
                LLVMValueRef seen = NULL;
                for (unsigned k = 0; k < LLVMCountIncoming(phi); k++) {
                        if (!edge_used(t, LLVMGetIncomingBlock(phi, k), leaf))
                                continue;
                        if (seen && seen != LLVMGetIncomingValue(phi, k))
                                return false;
                        seen = LLVMGetIncomingValue(phi, k);
                }
        }
        return true;
}

/* Rebuild the phis of `leaf`: tree edges out, the new edges in. */
static void fix_phis(LLVMBuilderRef b, const struct tree *t, LLVMBasicBlockRef leaf,
                     const struct edge *edges, unsigned nedges)
{
        LLVMValueRef phi = LLVMGetFirstInstruction(leaf);

        while (phi && LLVMIsAPHINode(phi)) {
                LLVMValueRef next = LLVMGetNextInstruction(phi), tree_val = NULL, np;
                LLVMPositionBuilderBefore(b, phi);
                np = LLVMBuildPhi(b, LLVMTypeOf(phi), "");
                for (unsigned k = 0; k < LLVMCountIncoming(phi); k++) {
                        LLVMValueRef val = LLVMGetIncomingValue(phi, k);
                        LLVMBasicBlockRef from = LLVMGetIncomingBlock(phi, k);
                        if (edge_used(t, from, leaf))
                                tree_val = val;
                        else if (!in_tree(t, from))
                                LLVMAddIncoming(np, &val, &from, 1);
                }
                for (unsigned e = 0; e < nedges; e++) {
                        if (edges[e].to != leaf)
                                continue;
                        LLVMBasicBlockRef from = edges[e].from;
                        LLVMAddIncoming(np, &tree_val, &from, 1);
                }
                LLVMReplaceAllUsesWith(phi, np);
                LLVMInstructionEraseFromParent(phi);
                phi = next;
        }
}

static void rewrite(LLVMContextRef ctx, LLVMBuilderRef b, struct tree *t, LLVMBasicBlockRef *map,
                    uint64_t lo_v, uint64_t hi_v, bool has_lo, bool has_hi)
{
        LLVMBasicBlockRef root = t->n[0].bb, from, leaf_lo = NULL, leaf_hi = NULL, dflt;
        LLVMBasicBlockRef cur = root, *leaves;
        LLVMTypeRef ty = LLVMTypeOf(t->v);
        LLVMValueRef fn = LLVMGetBasicBlockParent(root), sw;
        uint64_t width = t->cmax - t->cmin + 1;
        unsigned nedges = 0, nleaves = 0, best = 0;
        struct edge *edges = malloc((width + 2) * sizeof(*edges));

        leaves = malloc(((size_t)t->cnt * 2 + width + 2) * sizeof(*leaves));
        if (!edges || !leaves) {
                free(edges);
                free(leaves);
                return;
        }
        if (has_lo)
                leaf_lo = eval(t, lo_v, &from);
        if (has_hi)
                leaf_hi = eval(t, hi_v, &from);
        /*
         * The default takes the values outside the window, as a C switch's
         * default does: one range check before the jump table, as native
         * code has. Values below it that go elsewhere keep their own check.
         * A tree without values outside the window gets the leaf most of
         * the window goes to.
         */
        if (has_hi) {
                dflt = leaf_hi;
                has_hi = false;
                has_lo = has_lo && leaf_lo != leaf_hi;
        } else if (has_lo) {
                dflt = leaf_lo;
                has_lo = false;
        } else {
                dflt = map[0];
                for (uint64_t i = 0; i < width; i++) {
                        unsigned n = 0;
                        for (uint64_t j = 0; j < width; j++)
                                n += map[j] == map[i];
                        if (n > best) {
                                best = n;
                                dflt = map[i];
                        }
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
        /* The root is a branch (try_root); its leaves are recorded in the node. */
        LLVMInstructionEraseFromParent(t->n[0].term);
        if (has_lo) {
                LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(ctx, fn, "switch.hi");
                LLVMPositionBuilderAtEnd(b, cur);
                LLVMBuildCondBr(
                    b, LLVMBuildICmp(b, LLVMIntULT, t->v, LLVMConstInt(ty, t->cmin, 0), ""),
                    leaf_lo, next);
                edges[nedges++] = (struct edge){cur, leaf_lo};
                cur = next;
        }
        if (has_hi) {
                LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(ctx, fn, "switch");
                LLVMPositionBuilderAtEnd(b, cur);
                LLVMBuildCondBr(
                    b, LLVMBuildICmp(b, LLVMIntUGT, t->v, LLVMConstInt(ty, t->cmax, 0), ""),
                    leaf_hi, next);
                edges[nedges++] = (struct edge){cur, leaf_hi};
                cur = next;
        }
        LLVMPositionBuilderAtEnd(b, cur);
        sw = LLVMBuildSwitch(b, t->v, dflt, (unsigned)width);
        edges[nedges++] = (struct edge){cur, dflt};
        for (uint64_t i = 0; i < width; i++) {
                if (map[i] == dflt)
                        continue;
                LLVMAddCase(sw, LLVMConstInt(ty, t->cmin + i, 0), map[i]);
                edges[nedges++] = (struct edge){cur, map[i]};
        }
        /*
         * Each distinct leaf of the old tree once (a leaf no value reaches any
         * more loses its tree edges too): phis, then the old tree blocks go.
         */
        for (int i = 0; i < t->cnt; i++) {
                const struct node *n = &t->n[i];
                unsigned nsucc = n->is_switch ? LLVMGetNumSuccessors(n->term) : 2;
                for (unsigned s = 0; s < nsucc; s++) {
                        LLVMBasicBlockRef l = n->is_switch ? LLVMGetSuccessor(n->term, s)
                                                           : (n->child[s] < 0 ? n->leaf[s] : NULL);
                        bool dup = l == NULL;
                        for (unsigned k = 0; k < nleaves && !dup; k++)
                                dup = leaves[k] == l;
                        if (!dup)
                                leaves[nleaves++] = l;
                }
        }
        for (unsigned k = 0; k < nleaves; k++)
                fix_phis(b, t, leaves[k], edges, nedges);
        for (int i = 1; i < t->cnt; i++)
                LLVMDeleteBasicBlock(t->n[i].bb);
        free(edges);
        free(leaves);
}

/* Is `bb` reached only from a block that tests the same value? Then its parent is the root. */
static bool has_testing_parent(LLVMBasicBlockRef bb, LLVMValueRef v)
{
        LLVMUseRef u = LLVMGetFirstUse(LLVMBasicBlockAsValue(bb));
        LLVMValueRef term, pv;
        LLVMIntPredicate pred;
        uint64_t c;

        if (pred_edges(bb) != 1)
                return false;
        for (; u; u = LLVMGetNextUse(u))
                if (LLVMIsATerminatorInst(LLVMGetUser(u)))
                        break;
        term = LLVMGetUser(u);
        if (LLVMGetInstructionOpcode(term) == LLVMSwitch)
                return strip_zext(LLVMGetOperand(term, 0)) == v;
        return branch_test(term, &pv, &pred, &c) && pv == v;
}

/* Try to rebuild a switch from the tree rooted at `root`. Returns true when done. */
static bool try_root(LLVMContextRef ctx, LLVMBuilderRef b, LLVMBasicBlockRef root, struct tree *t)
{
        LLVMValueRef term = LLVMGetBasicBlockTerminator(root);
        LLVMBasicBlockRef *map, from;
        uint64_t width, lo_v = 0, hi_v = 0;
        bool has_lo, has_hi, ok = true;
        unsigned leaf_edges = 0;

        if (!term)
                return false;
        t->cnt = 1;
        t->n[0] = (struct node){.bb = root, .term = term, .child = {-1, -1}};
        if (!branch_test(term, &t->v, &t->n[0].pred, &t->n[0].c))
                return false;
        if (has_testing_parent(root, t->v))
                return false;
        t->bits = LLVMGetIntTypeWidth(LLVMTypeOf(t->v));
        t->cmin = UINT64_MAX;
        t->cmax = 0;
        if (!grow(t, 0) || t->cnt < 3)
                return false;
        for (int i = 0; i < t->cnt; i++)
                leaf_edges += t->n[i].is_switch ? LLVMGetNumSuccessors(t->n[i].term)
                                                : (unsigned)(t->n[i].child[0] < 0) +
                                                      (unsigned)(t->n[i].child[1] < 0);
        /* Constants of tests on a zext may exceed the value's own range. */
        if (t->cmax > type_max(t->bits))
                t->cmax = type_max(t->bits);
        /* t->used holds at most one entry per tree edge. */
        if (leaf_edges > sizeof(t->used) / sizeof(t->used[0]))
                return false;
        if (leaf_edges < MIN_LEAF_EDGES || t->cmin > t->cmax || t->cmax - t->cmin >= MAX_WINDOW)
                return false;
        width = t->cmax - t->cmin + 1;
        has_lo = t->cmin > 0;
        has_hi = t->cmax < type_max(t->bits);
        if (has_lo)
                lo_v = t->cmin - 1;
        if (has_hi)
                hi_v = t->cmax + 1;
        map = malloc(width * sizeof(*map));
        if (!map)
                return false;
        t->nused = 0;
        for (uint64_t i = 0; i < width && ok; i++) {
                map[i] = eval(t, t->cmin + i, &from);
                use_edge(t, from, map[i]);
        }
        if (has_lo) {
                LLVMBasicBlockRef leaf = eval(t, lo_v, &from);
                use_edge(t, from, leaf);
        }
        if (has_hi) {
                LLVMBasicBlockRef leaf = eval(t, hi_v, &from);
                use_edge(t, from, leaf);
        }
        for (uint64_t i = 0; i < width && ok; i++)
                ok = leaf_phis_agree(t, map[i]) && !in_tree(t, map[i]);
        if (ok && has_lo)
                ok = leaf_phis_agree(t, eval(t, lo_v, &from)) && !in_tree(t, eval(t, lo_v, &from));
        if (ok && has_hi)
                ok = leaf_phis_agree(t, eval(t, hi_v, &from)) && !in_tree(t, eval(t, hi_v, &from));
        if (ok)
                rewrite(ctx, b, t, map, lo_v, hi_v, has_lo, has_hi);
        free(map);
        return ok;
}

int switches_recover(LLVMModuleRef mod)
{
        LLVMContextRef ctx = LLVMGetModuleContext(mod);
        LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
        struct tree *t = malloc(sizeof(*t));
        int rebuilt = 0;

        if (!t) {
                LLVMDisposeBuilder(b);
                return 0;
        }
        for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
                for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb;
                     bb = LLVMGetNextBasicBlock(bb)) {
                        /* Roots come before their inner nodes: deleted blocks are never visited. */
                        if (try_root(ctx, b, bb, t))
                                rebuilt++;
                }
        }
        free(t);
        LLVMDisposeBuilder(b);
        return rebuilt;
}

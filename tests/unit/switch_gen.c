/* SPDX-License-Identifier: MIT */
/*
 * Random switch-shaped IR (switch_gen.h). A function is built as a CFG first:
 *  - the tested value: %v itself, `trunc` of it to i32 or i16, `and %v,
 *    0xffffffff` / `and %v, 63` (an int in a 64-bit register), perhaps
 *    truncated again, or `lshr %v, s`; sometimes of `freeze %v`. Tests see it
 *    directly or through zext/sext chains;
 *  - case values: dense runs (from 0, around -1, 2^31, 2^32, 2^63, with steps
 *    of 1 or more), with a few values near them, or sparse interesting
 *    values; a binary search tree over them in signed or unsigned order with
 *    every form of ordered compare (`< p`, `<= p-1`, `> p-1`, `>= p`),
 *    equality nodes, and `switch` nodes (whose default may test again);
 *  - leaves: new blocks (reached by one tree edge or several), or joins and
 *    exits reached by tree edges directly; layers of joins after them, chains
 *    of single-successor blocks (some longer than a path is followed), joins
 *    that start another tree over the value, and exits that return;
 *  - every block but a tree node ends in br, a conditional branch on the
 *    tested value again (a compare, a range check `v - lo <u n`, negated or
 *    two combined) or on another value, a switch on it, or ret.
 * Then code is placed block by block in reverse post-order: phis (i64, some
 * i32) with values from their predecessors (constants, arguments, values of
 * the predecessor or of blocks dominating it, tree blocks included), selects
 * on such conditions, arithmetic with %a, %b and the value, loads from
 * constant tables at an index kept in the table, udiv/urem by `or x, 1`
 * (which a path cannot pass over; two functions in five have none), i32
 * arithmetic, and returns that mix values of dominating blocks with a
 * constant of the returning block, so that a wrong block or a wrong value
 * changes the result. Tree nodes hold only what recovery may hoist. Nothing
 * has undefined behaviour for any input.
 *
 * The inputs: every constant the value is compared with, +-2 around it, with
 * other high bits where the value has fewer bits than %v, and extremes.
 */
#include "switch_gen.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BLOCKS 80
#define MAX_SUCC   10
#define MAX_VALS   1024
#define MAX_CASES  32
#define MAX_INPUTS 600
#define MAX_PREDS  64

struct buf {
        char *p;
        size_t len, cap;
        bool oom;
};

static void bprintf(struct buf *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (b->oom)
                return;
        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
                va_end(ap);
                if (n < 0) {
                        b->oom = true;
                        return;
                }
                if (b->p && b->len + (size_t)n < b->cap) {
                        b->len += (size_t)n;
                        return;
                }
                size_t cap = (b->cap + (size_t)n + 1) * 2;
                char *p = realloc(b->p, cap);
                if (!p) {
                        b->oom = true;
                        return;
                }
                b->p = p;
                b->cap = cap;
        }
}

enum term { T_NONE, T_BR, T_CONDBR, T_SWITCH, T_RET };
enum kind { K_ENTRY, K_TREE, K_LEAF, K_JOIN, K_EXIT };
enum form { F_I64, F_TRUNC32, F_AND32, F_AND63, F_AND32_TRUNC, F_TRUNC16, F_LSHR, F_COUNT };

/* The tested value seen through extensions: width `w` after ops (z: zext, s: sext). */
struct view {
        unsigned w;
        int n;
        char op[2];
        unsigned to[2];
};

static const struct view views64[] = {{64, 0, {0}, {0}}};
static const struct view views32[] = {
    {32, 0, {0}, {0}}, {64, 1, {'z'}, {64}}, {64, 1, {'s'}, {64}}};
static const struct view views16[] = {{16, 0, {0}, {0}},    {32, 1, {'z'}, {32}},
                                      {32, 1, {'s'}, {32}}, {64, 1, {'z'}, {64}},
                                      {64, 1, {'s'}, {64}}, {64, 2, {'s', 'z'}, {32, 64}}};

static const char *const preds[] = {"eq",  "ne",  "ult", "ule", "ugt",
                                    "uge", "slt", "sle", "sgt", "sge"};

struct blk {
        enum kind kind;
        bool tree;
        int rank;
        enum term term;
        int succ[MAX_SUCC];
        int nsucc;
        /* Conditional branch or switch on the tested value (view), or on another value. */
        bool on_other;
        int view, pred;
        uint64_t c;             /* at the view's width */
        uint64_t swc[MAX_SUCC]; /* switch cases for succ[1..] */
        uint64_t cases[4];      /* values the tree sends to a leaf */
        int ncases;
        int planned;    /* edges into it so far */
        int chain_left; /* blocks still to come in a chain of single-successor blocks */
        /* Analysis */
        bool reach;
        int order, idom;
        int preds[MAX_PREDS];
        int npreds;
};

struct val {
        char name[16];
        unsigned w;
        int blk;
        bool phi;
};

struct gen {
        uint64_t s;
        struct blk b[MAX_BLOCKS];
        int nb;
        int form;
        unsigned w0, bits, shift; /* shift: the value is %v >> shift */
        bool freeze;              /* of %v, before the value is made of it */
        bool no_effects;          /* no division: every block may be passed over */
        const char *base;
        const struct view *views;
        int nviews;
        int entry_view[8]; /* the views computed in the entry block, or -1 */
        uint64_t cases[MAX_CASES];
        int ncases;
        bool sorder; /* tree in signed order */
        int nlayers, dflt;
        /* The tree being built: its root, the ranks of its nodes and of its new leaves. */
        int troot, node_rank, leaf_rank;
        struct val vals[MAX_VALS];
        int nvals, tmp, ntables;
        struct buf glob, body;
        int rpo[MAX_BLOCKS], nrpo;
        uint64_t in[MAX_INPUTS];
        size_t nin;
};

static uint64_t rnd(struct gen *g)
{
        uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

static unsigned rn(struct gen *g, unsigned n)
{
        return n ? (unsigned)(rnd(g) % n) : 0;
}

static bool chance(struct gen *g, unsigned pct)
{
        return rn(g, 100) < pct;
}

/* -1, 0 or 1, mostly 0. */
static uint64_t jitter(struct gen *g)
{
        return chance(g, 70) ? 0 : (uint64_t)rn(g, 3) - 1;
}

static uint64_t mask_of(unsigned w)
{
        return w >= 64 ? UINT64_MAX : (1ull << w) - 1;
}

static int64_t sext_of(uint64_t x, unsigned w)
{
        if (w >= 64)
                return (int64_t)x;
        uint64_t sign = 1ull << (w - 1);
        return (int64_t)((x & mask_of(w)) ^ sign) - (int64_t)sign;
}

/* ---- Inputs ---- */

static void add_input(struct gen *g, uint64_t v)
{
        for (size_t i = 0; i < g->nin; i++)
                if (g->in[i] == v)
                        return;
        if (g->nin < MAX_INPUTS)
                g->in[g->nin++] = v;
}

/* Values of %v whose tested value is `u` (and its neighbours): low bits u, high bits varied. */
static void add_base_inputs(struct gen *g, uint64_t u)
{
        unsigned w = g->bits;
        uint64_t m = mask_of(w);

        for (int d = -2; d <= 2; d++) {
                uint64_t x = (u + (uint64_t)(int64_t)d) & m;
                if (g->shift) {
                        add_input(g, x << g->shift);
                        add_input(g, (x << g->shift) | (rnd(g) & mask_of(g->shift)));
                        continue;
                }
                add_input(g, x);
                if (w < 64) {
                        add_input(g, x | (rnd(g) & ~m));
                        if (d == 0)
                                add_input(g, x | ~m);
                }
        }
        if (w < 64 && u > m) /* a constant outside the value's range: compared all the same */
                add_input(g, u);
}

/* ---- Views of the tested value ---- */

static uint64_t view_apply(const struct gen *g, int vi, uint64_t u)
{
        const struct view *vw = &g->views[vi];
        unsigned cur = g->w0;
        uint64_t x = u & mask_of(cur);

        for (int k = 0; k < vw->n; k++) {
                if (vw->op[k] == 's')
                        x = (uint64_t)sext_of(x, cur) & mask_of(vw->to[k]);
                cur = vw->to[k];
        }
        return x;
}

static int add_val(struct gen *g, unsigned w, int blk, bool phi)
{
        struct val *v = &g->vals[g->nvals < MAX_VALS ? g->nvals : MAX_VALS - 1];

        snprintf(v->name, sizeof(v->name), "%%x%d", g->tmp++);
        v->w = w;
        v->blk = blk;
        v->phi = phi;
        if (g->nvals < MAX_VALS)
                g->nvals++;
        return (int)(v - g->vals);
}

static void fixed_val(struct gen *g, const char *name, unsigned w)
{
        struct val *v = &g->vals[g->nvals++];
        snprintf(v->name, sizeof(v->name), "%s", name);
        v->w = w;
        v->blk = 0;
        v->phi = false;
}

/* The name of the tested value seen through view `vi`, computed in `u` (or the entry's). */
static const char *view_name(struct gen *g, int u, int vi)
{
        const struct view *vw = &g->views[vi];
        const char *prev = g->base;
        unsigned cur = g->w0;

        if (vw->n == 0)
                return g->base;
        if (g->entry_view[vi] >= 0 && (u == 0 || chance(g, 40)))
                return g->vals[g->entry_view[vi]].name;
        for (int k = 0; k < vw->n; k++) {
                int x = add_val(g, vw->to[k], u, false);
                bprintf(&g->body, "  %s = %s i%u %s to i%u\n", g->vals[x].name,
                        vw->op[k] == 's' ? "sext" : "zext", cur, prev, vw->to[k]);
                prev = g->vals[x].name;
                cur = vw->to[k];
        }
        return prev;
}

/* ---- Case values ---- */

static uint64_t interesting(struct gen *g)
{
        static const uint64_t pool[] = {0,
                                        1,
                                        2,
                                        3,
                                        7,
                                        8,
                                        15,
                                        16,
                                        31,
                                        32,
                                        63,
                                        64,
                                        100,
                                        127,
                                        128,
                                        255,
                                        256,
                                        1000,
                                        32767,
                                        32768,
                                        65535,
                                        65536,
                                        0x7fffffff,
                                        0x80000000,
                                        0xffffffff,
                                        1ull << 32,
                                        (1ull << 32) + 1,
                                        0x7fffffffffffffffull,
                                        1ull << 63,
                                        (uint64_t)-1,
                                        (uint64_t)-2,
                                        (uint64_t)-100};
        unsigned r = rn(g, 10);

        if (r < 6)
                return pool[rn(g, sizeof(pool) / sizeof(pool[0]))];
        if (r < 8)
                return rn(g, 300);
        return rnd(g);
}

static uint64_t dense_start(struct gen *g, unsigned n)
{
        switch (rn(g, 9)) {
        case 0:
        case 1:
                return 0;
        case 2:
                return 1 + rn(g, 3);
        case 3:
                return rn(g, 200);
        case 4:
                return (uint64_t) - (int64_t)(1 + rn(g, n + 2)); /* straddles -1, 0 */
        case 5:
                return 0x80000000ull - 1 - rn(g, n);
        case 6:
                return 0x100000000ull - 1 - rn(g, n);
        case 7:
                return 0x8000000000000000ull - 1 - rn(g, n);
        default:
                return interesting(g);
        }
}

static void add_case(struct gen *g, uint64_t u)
{
        for (int i = 0; i < g->ncases; i++)
                if (g->cases[i] == u)
                        return;
        if (g->ncases < MAX_CASES)
                g->cases[g->ncases++] = u;
}

static bool case_before(const struct gen *g, uint64_t x, uint64_t y)
{
        if (g->sorder)
                return sext_of(x, g->w0) < sext_of(y, g->w0);
        return x < y;
}

static void make_cases(struct gen *g)
{
        /* Dense (what becomes a switch), dense with a few values near it, or sparse. */
        unsigned n = 3 + rn(g, 16), r = rn(g, 100), style = r < 50 ? 0 : r < 80 ? 2 : 1;
        unsigned step = chance(g, 80) ? 1 : chance(g, 50) ? 2 + rn(g, 3) : 20 + rn(g, 50);
        uint64_t m = mask_of(g->bits), start = dense_start(g, n);

        if (style != 1)
                for (unsigned i = 0; i < (style == 2 ? n / 2 + 2 : n); i++)
                        add_case(g, (start + i * step) & m);
        for (unsigned i = 0; style == 2 && i < n / 2; i++)
                add_case(g, (start + rn(g, 400) - 100) & m);
        for (unsigned i = 0; style == 1 && i < n; i++)
                add_case(g, interesting(g) & m);
        /* A constant outside a narrow value's range: a test no value passes. */
        if (g->bits < g->w0 && chance(g, 10))
                add_case(g, interesting(g) & mask_of(g->w0));
        for (int i = 1; i < g->ncases; i++) /* insertion sort in the tree's order */
                for (int j = i; j > 0 && case_before(g, g->cases[j], g->cases[j - 1]); j--) {
                        uint64_t t = g->cases[j];
                        g->cases[j] = g->cases[j - 1];
                        g->cases[j - 1] = t;
                }
}

/* ---- The CFG ---- */

static int new_block(struct gen *g, enum kind kind, int rank)
{
        struct blk *b = &g->b[g->nb];

        memset(b, 0, sizeof(*b));
        b->kind = kind;
        b->rank = rank;
        b->idom = -1;
        return g->nb++;
}

static int random_join(struct gen *g)
{
        int all[MAX_BLOCKS], n = 0, first[MAX_BLOCKS], nf = 0, next = 1 << 30;

        for (int i = 0; i < g->nb; i++)
                if ((g->b[i].kind == K_JOIN || g->b[i].kind == K_EXIT) && !g->b[i].tree &&
                    g->b[i].rank > g->leaf_rank && g->b[i].rank < next)
                        next = g->b[i].rank;
        for (int i = 0; i < g->nb; i++)
                if ((g->b[i].kind == K_JOIN || g->b[i].kind == K_EXIT) && !g->b[i].tree &&
                    g->b[i].rank > g->leaf_rank) {
                        all[n++] = i;
                        if (g->b[i].rank == next)
                                first[nf++] = i;
                }
        /* Mostly the next layer. */
        if (nf && chance(g, 60))
                return first[rn(g, (unsigned)nf)];
        return all[rn(g, (unsigned)n)];
}

static int random_leaf(struct gen *g)
{
        int cand[MAX_BLOCKS], n = 0;

        for (int i = g->troot + 1; i < g->nb; i++)
                if (g->b[i].kind == K_LEAF && g->b[i].rank == g->leaf_rank)
                        cand[n++] = i;
        return n ? cand[rn(g, (unsigned)n)] : -1;
}

static int edge_to(struct gen *g, int t)
{
        g->b[t].planned++;
        return t;
}

/* Where the tree sends the values cs[0..n) (n >= 1). */
static int leaf_target(struct gen *g, const uint64_t *cs, int n)
{
        unsigned r = rn(g, 100);
        int t;

        if (r < 20 || g->nb >= MAX_BLOCKS - 16)
                return edge_to(g, random_join(g));
        if (r < 28 && (t = random_leaf(g)) >= 0)
                return edge_to(g, t);
        t = new_block(g, K_LEAF, g->leaf_rank);
        for (int i = 0; i < n && i < 4; i++)
                g->b[t].cases[g->b[t].ncases++] = cs[i];
        return edge_to(g, t);
}

static int default_target(struct gen *g)
{
        unsigned r = rn(g, 100);

        if (r < 10 || g->nb >= MAX_BLOCKS - 16)
                return edge_to(g, random_join(g));
        if (r < 25 || g->dflt < 0) {
                int t = new_block(g, K_LEAF, g->leaf_rank);
                if (g->dflt < 0)
                        g->dflt = t;
                return edge_to(g, t);
        }
        return edge_to(g, g->dflt);
}

static int random_view(struct gen *g)
{
        return (int)rn(g, (unsigned)g->nviews);
}

static int pred_index(const char *p)
{
        for (int i = 0; i < 10; i++)
                if (!strcmp(preds[i], p))
                        return i;
        return 0;
}

/* A tree over cs[0..n) (in the tree's order): the block the values go to. */
static int tree(struct gen *g, const uint64_t *cs, int n, int depth, int node)
{
        uint64_t rest[MAX_CASES];
        struct blk *b;
        unsigned r;

        if (n == 0)
                return default_target(g);
        if (node < 0) {
                if (g->nb >= MAX_BLOCKS - 20 || depth > 7 || (n <= 2 && chance(g, 50)) ||
                    (n == 1 && chance(g, 60)))
                        return leaf_target(g, cs, n);
                node = new_block(g, K_TREE, g->node_rank);
        }
        b = &g->b[node];
        b->tree = true;
        b->view = random_view(g);
        r = rn(g, 100);
        if (r < 12 && n <= 8) {
                /*
                 * A switch node: each case to a leaf, the rest to the default;
                 * or the first cases only, the rest to blocks that test again.
                 */
                int k = chance(g, 70) ? n : 1 + (int)rn(g, (unsigned)n);
                b->term = T_SWITCH;
                b->nsucc = 1;
                b->succ[0] = k < n ? tree(g, cs + k, n - k, depth + 1, -1) : default_target(g);
                for (int i = 0; i < k && g->b[node].nsucc < MAX_SUCC; i++) {
                        uint64_t c = view_apply(g, g->b[node].view, cs[i]);
                        bool dup = false;
                        for (int j = 1; j < g->b[node].nsucc; j++)
                                dup = dup || g->b[node].swc[j] == c;
                        if (dup)
                                continue;
                        int t = leaf_target(g, cs + i, 1);
                        b = &g->b[node];
                        b->swc[b->nsucc] = c;
                        b->succ[b->nsucc++] = t;
                }
                return node;
        }
        b->term = T_CONDBR;
        b->nsucc = 2;
        if (r < 30 || n == 1) {
                /* Equality with one case: it to a leaf, the others on (a split needs two). */
                int k = (int)rn(g, (unsigned)n), m = 0, t, f;
                bool ne = chance(g, 30);
                for (int i = 0; i < n; i++)
                        if (i != k)
                                rest[m++] = cs[i];
                b->pred = ne ? 1 : 0;
                b->c = view_apply(g, b->view, cs[k]);
                t = leaf_target(g, cs + k, 1);
                f = tree(g, rest, m, depth + 1, -1);
                g->b[node].succ[0] = ne ? f : t;
                g->b[node].succ[1] = ne ? t : f;
                return node;
        }
        /* A split at cs[p]: below it one way, from it on the other. */
        int p = 1 + (int)rn(g, (unsigned)(n - 1)), form = (int)rn(g, 4), lo, hi;
        bool sgn = chance(g, 90) ? g->sorder : !g->sorder;
        uint64_t pivot = cs[p], before = (pivot - 1) & mask_of(g->w0);
        static const char *const forms[2][4] = {{"ult", "ule", "ugt", "uge"},
                                                {"slt", "sle", "sgt", "sge"}};
        b->pred = pred_index(forms[sgn][form]);
        b->c = view_apply(g, b->view, form == 0 || form == 3 ? pivot : before);
        if (chance(g, 5))
                b->c = interesting(g) & mask_of(g->views[b->view].w);
        lo = tree(g, cs, p, depth + 1, -1);
        hi = tree(g, cs + p, n - p, depth + 1, -1);
        g->b[node].succ[0] = form < 2 ? lo : hi;
        g->b[node].succ[1] = form < 2 ? hi : lo;
        return node;
}

/* May an edge go from u to t? Forward in (rank, index) order: the CFG has no cycle. */
static bool forward(const struct gen *g, int u, int t)
{
        const struct blk *a = &g->b[u], *c = &g->b[t];

        if (c->tree || c->kind == K_ENTRY)
                return false;
        return c->rank > a->rank || (c->rank == a->rank && t > u);
}

static int pick_succ(struct gen *g, int u)
{
        int cand[MAX_BLOCKS], n = 0, unplanned[MAX_BLOCKS], nu = 0, next[MAX_BLOCKS], nn = 0;
        int nextrank = 1 << 30;

        if (g->b[u].rank >= 2 && g->nb < MAX_BLOCKS - 2 && chance(g, 15)) {
                int t = new_block(g, K_JOIN, g->b[u].rank); /* a chain block */
                /* Sometimes a long one: longer than a path may be followed. */
                g->b[t].chain_left = chance(g, 15) ? 3 + (int)rn(g, 6) : 0;
                return edge_to(g, t);
        }
        for (int t = 0; t < g->nb; t++)
                if (forward(g, u, t) && g->b[t].rank > g->b[u].rank && g->b[t].rank < nextrank)
                        nextrank = g->b[t].rank;
        for (int t = 0; t < g->nb; t++) {
                if (!forward(g, u, t))
                        continue;
                cand[n++] = t;
                if (!g->b[t].planned)
                        unplanned[nu++] = t;
                if (g->b[t].rank == nextrank)
                        next[nn++] = t;
        }
        if (nu && chance(g, 60))
                return edge_to(g, unplanned[rn(g, (unsigned)nu)]);
        if (nn && chance(g, 65))
                return edge_to(g, next[rn(g, (unsigned)nn)]);
        return edge_to(g, cand[rn(g, (unsigned)n)]);
}

static void assign_term(struct gen *g, int u)
{
        struct blk *b = &g->b[u];
        unsigned r = rn(g, 100);

        if (b->kind == K_EXIT || (r < 5 && u != 0)) {
                b->term = T_RET;
                return;
        }
        if (b->chain_left > 0 && g->nb < MAX_BLOCKS - 2) {
                int t = new_block(g, K_JOIN, b->rank);
                g->b[t].chain_left = b->chain_left - 1;
                b->term = T_BR;
                b->nsucc = 1;
                b->succ[0] = edge_to(g, t);
                return;
        }
        if (r < 58) {
                b->term = T_BR;
                b->nsucc = 1;
                b->succ[0] = pick_succ(g, u);
                return;
        }
        b->view = random_view(g);
        if (r < 86) {
                int s0 = pick_succ(g, u), s1 = pick_succ(g, u);
                b = &g->b[u];
                b->term = T_CONDBR;
                b->nsucc = 2;
                b->succ[0] = s0;
                b->succ[1] = s1;
                b->pred = (int)rn(g, 10);
                b->on_other = chance(g, 15);
                if (b->on_other)
                        b->c = rn(g, 50);
                else if (b->ncases && chance(g, 70))
                        b->c = view_apply(g, b->view, b->cases[rn(g, (unsigned)b->ncases)]);
                else if (chance(g, 85))
                        b->c = view_apply(g, b->view,
                                          g->cases[rn(g, (unsigned)g->ncases)] + jitter(g));
                else
                        b->c = interesting(g) & mask_of(g->views[b->view].w);
                return;
        }
        int ncase = 1 + (int)rn(g, 4), d = pick_succ(g, u);
        b = &g->b[u];
        b->term = T_SWITCH;
        b->nsucc = 1;
        b->succ[0] = d;
        for (int i = 0; i < ncase; i++) {
                uint64_t c =
                    view_apply(g, b->view,
                               (b->ncases && chance(g, 50) ? b->cases[rn(g, (unsigned)b->ncases)]
                                                           : g->cases[rn(g, (unsigned)g->ncases)]) +
                                   jitter(g));
                bool dup = false;
                for (int k = 1; k < b->nsucc; k++)
                        dup = dup || b->swc[k] == c;
                if (dup)
                        continue;
                int t = pick_succ(g, u);
                b = &g->b[u];
                b->swc[b->nsucc] = c;
                b->succ[b->nsucc++] = t;
        }
}

static void dfs(struct gen *g, int u, int *post, int *np)
{
        g->b[u].reach = true;
        for (int k = 0; k < g->b[u].nsucc; k++)
                if (!g->b[g->b[u].succ[k]].reach)
                        dfs(g, g->b[u].succ[k], post, np);
        post[(*np)++] = u;
}

static int intersect(const struct gen *g, int a, int c)
{
        while (a != c) {
                while (g->b[a].order > g->b[c].order)
                        a = g->b[a].idom;
                while (g->b[c].order > g->b[a].order)
                        c = g->b[c].idom;
        }
        return a;
}

static void analyse(struct gen *g)
{
        int post[MAX_BLOCKS], np = 0;

        dfs(g, 0, post, &np);
        g->nrpo = np;
        for (int i = 0; i < np; i++) {
                g->rpo[i] = post[np - 1 - i];
                g->b[g->rpo[i]].order = i;
        }
        for (int i = 0; i < np; i++) {
                int u = g->rpo[i];
                for (int k = 0; k < g->b[u].nsucc; k++) {
                        struct blk *s = &g->b[g->b[u].succ[k]];
                        if (s->npreds < MAX_PREDS)
                                s->preds[s->npreds++] = u;
                }
        }
        g->b[0].idom = 0;
        for (int i = 1; i < np; i++) {
                struct blk *b = &g->b[g->rpo[i]];
                int d = b->preds[0];
                for (int k = 1; k < b->npreds; k++)
                        d = intersect(g, d, b->preds[k]);
                b->idom = d;
        }
}

static bool dominates(const struct gen *g, int d, int u)
{
        for (;;) {
                if (u == d)
                        return true;
                if (u == 0)
                        return false;
                u = g->b[u].idom;
        }
}

/* ---- Code ---- */

struct opnd {
        char s[40];
};

static struct opnd konst(uint64_t x, unsigned w)
{
        struct opnd o;
        snprintf(o.s, sizeof(o.s), "%lld", (long long)sext_of(x, w));
        return o;
}

static struct opnd small_const(struct gen *g)
{
        return konst(chance(g, 70) ? rn(g, 2000) : interesting(g), 64);
}

/* A value of `w` bits usable at the end of block `u` so far (or a constant). */
static struct opnd pick_w(struct gen *g, int u, unsigned w, bool prefer_here)
{
        int cand[MAX_VALS], n = 0, late[MAX_VALS], nl = 0, here[MAX_VALS], nh = 0;
        struct opnd o;

        for (int i = 0; i < g->nvals; i++) {
                if (g->vals[i].w != w || !dominates(g, g->vals[i].blk, u))
                        continue;
                cand[n++] = i;
                if (g->vals[i].blk != 0)
                        late[nl++] = i;
                if (g->vals[i].blk == u)
                        here[nh++] = i;
        }
        if (chance(g, 15) || !n)
                return konst(chance(g, 70) ? rn(g, 2000) : interesting(g), w);
        if (prefer_here && nh && chance(g, 50))
                return (snprintf(o.s, sizeof(o.s), "%s", g->vals[here[rn(g, (unsigned)nh)]].name),
                        o);
        if (nl && chance(g, 55))
                return (snprintf(o.s, sizeof(o.s), "%s", g->vals[late[rn(g, (unsigned)nl)]].name),
                        o);
        snprintf(o.s, sizeof(o.s), "%s", g->vals[cand[rn(g, (unsigned)n)]].name);
        return o;
}

static struct opnd pick_i64(struct gen *g, int u, bool prefer_here)
{
        return pick_w(g, u, 64, prefer_here);
}

/* The tested value as an i64 operand, extended as it is needed. */
static struct opnd v64(struct gen *g, int u)
{
        int vi = random_view(g);
        const char *nm = view_name(g, u, vi);
        struct opnd o;

        snprintf(o.s, sizeof(o.s), "%s", nm);
        if (g->views[vi].w < 64) {
                int x = add_val(g, 64, u, false);
                bprintf(&g->body, "  %s = %s i%u %s to i64\n", g->vals[x].name,
                        chance(g, 50) ? "zext" : "sext", g->views[vi].w, nm);
                snprintf(o.s, sizeof(o.s), "%s", g->vals[x].name);
        }
        return o;
}

/* A compare of the tested value with a constant near the cases (or this leaf's), as an i1 name. */
static int v_compare(struct gen *g, int u, int vi, int pred, uint64_t c)
{
        const char *nm = view_name(g, u, vi);
        unsigned w = g->views[vi].w;
        int x;

        if (!g->b[u].tree && w == 64 && chance(g, 10)) {
                /* The low half of a 64-bit value: a test of another value, which only leaves make.
                 */
                x = add_val(g, 32, u, false);
                bprintf(&g->body, "  %s = trunc i64 %s to i32\n", g->vals[x].name, nm);
                nm = g->vals[x].name;
                w = 32;
        }
        x = add_val(g, 1, u, false);
        if (!g->b[u].tree && chance(g, 10)) /* the constant first */
                bprintf(&g->body, "  %s = icmp %s i%u %s, %s\n", g->vals[x].name, preds[pred], w,
                        konst(c, w).s, nm);
        else
                bprintf(&g->body, "  %s = icmp %s i%u %s, %s\n", g->vals[x].name, preds[pred], w,
                        nm, konst(c, w).s);
        return x;
}

/*
 * A constant for a leaf's compare: one of its cases, a case +-1, or one
 * further away (beyond the cases: the window may grow over it). It joins the
 * inputs.
 */
static uint64_t near_case(struct gen *g, int u)
{
        const struct blk *b = &g->b[u];
        uint64_t c;

        if (b->ncases && chance(g, 65))
                c = b->cases[rn(g, (unsigned)b->ncases)];
        else if (chance(g, 85))
                c = g->cases[rn(g, (unsigned)g->ncases)] + jitter(g);
        else
                c = g->cases[rn(g, (unsigned)g->ncases)] + rn(g, 3000) - 1000;
        add_base_inputs(g, c & mask_of(g->w0));
        return c;
}

/* A range check as switch lowering makes one, `view - lo <u len`: an i1 value. */
static int range_check(struct gen *g, int u)
{
        int vi = random_view(g), i, c;
        unsigned w = g->views[vi].w;
        uint64_t lo = near_case(g, u), len = 1 + rn(g, 6);
        const char *nm = view_name(g, u, vi);

        i = add_val(g, w, u, false);
        bprintf(&g->body, "  %s = add i%u %s, %s\n", g->vals[i].name, w, nm,
                konst(-view_apply(g, vi, lo), w).s);
        c = add_val(g, 1, u, false);
        bprintf(&g->body, "  %s = icmp %s i%u %s, %s\n", g->vals[c].name,
                chance(g, 80) ? "ult" : preds[rn(g, 10)], w, g->vals[i].name, konst(len, w).s);
        add_base_inputs(g, lo + len);
        return c;
}

/*
 * A condition on the tested value as leaves compute one: a compare, a range
 * check, negated, or two of them combined (what -O2 makes of nested ifs).
 */
static int leaf_condition(struct gen *g, int u)
{
        unsigned r = rn(g, 100);
        int vi = random_view(g), k, k2, x;

        k = chance(g, 35) ? range_check(g, u)
                          : v_compare(g, u, vi, (int)rn(g, 10), view_apply(g, vi, near_case(g, u)));
        if (r < 10) {
                x = add_val(g, 1, u, false);
                bprintf(&g->body, "  %s = xor i1 %s, true\n", g->vals[x].name, g->vals[k].name);
                return x;
        }
        if (r < 30) {
                vi = random_view(g);
                k2 = v_compare(g, u, vi, (int)rn(g, 10), view_apply(g, vi, near_case(g, u)));
                x = add_val(g, 1, u, false);
                bprintf(&g->body, "  %s = %s i1 %s, %s\n", g->vals[x].name,
                        chance(g, 50) ? "and" : "or", g->vals[k].name, g->vals[k2].name);
                return x;
        }
        return k;
}

static void table_load(struct gen *g, int u)
{
        unsigned n = 4u << rn(g, 3);
        struct opnd x = chance(g, 80) ? v64(g, u) : pick_i64(g, u, false);
        int t = g->ntables++, i1 = add_val(g, 64, u, false), i2, c, p, l;

        bprintf(&g->glob, "@t%d = private constant [%u x i64] [", t, n);
        for (unsigned k = 0; k < n; k++)
                bprintf(&g->glob, "%si64 %s", k ? ", " : "",
                        konst(chance(g, 80) ? rn(g, 1000) : rnd(g), 64).s);
        bprintf(&g->glob, "]\n");
        bprintf(&g->body, "  %s = sub i64 %s, %s\n", g->vals[i1].name, x.s,
                konst(near_case(g, u), 64).s);
        i2 = add_val(g, 64, u, false);
        if (chance(g, 50)) {
                bprintf(&g->body, "  %s = and i64 %s, %u\n", g->vals[i2].name, g->vals[i1].name,
                        n - 1);
        } else {
                c = add_val(g, 1, u, false);
                bprintf(&g->body, "  %s = icmp ult i64 %s, %u\n", g->vals[c].name, g->vals[i1].name,
                        n);
                bprintf(&g->body, "  %s = select i1 %s, i64 %s, i64 0\n", g->vals[i2].name,
                        g->vals[c].name, g->vals[i1].name);
        }
        p = add_val(g, 0, u, false); /* a pointer: never picked as an operand */
        bprintf(&g->body, "  %s = getelementptr [%u x i64], [%u x i64]* @t%d, i64 0, i64 %s\n",
                g->vals[p].name, n, n, t, g->vals[i2].name);
        l = add_val(g, 64, u, false);
        bprintf(&g->body, "  %s = load i64, i64* %s\n", g->vals[l].name, g->vals[p].name);
}

static void instruction(struct gen *g, int u, bool pure)
{
        static const char *const ops[] = {"add", "sub", "mul", "xor", "and", "or", "shl", "lshr"};
        unsigned r = rn(g, 100);
        struct opnd a, c;
        int x, k;

        if (pure && r >= 45 && r < 75)
                r = 0;
        if (r < 30) {
                const char *op = ops[rn(g, 8)];
                a = pick_i64(g, u, true);
                if (op[0] == 's' && op[1] == 'h')
                        c = konst(1 + rn(g, 63), 64);
                else if (op[0] == 'l')
                        c = konst(1 + rn(g, 63), 64);
                else
                        c = chance(g, 50) ? pick_i64(g, u, false) : small_const(g);
                x = add_val(g, 64, u, false);
                bprintf(&g->body, "  %s = %s i64 %s, %s\n", g->vals[x].name, op, a.s, c.s);
        } else if (r < 45) {
                k = leaf_condition(g, u);
                a = chance(g, 50) ? small_const(g) : pick_i64(g, u, true);
                c = chance(g, 50) ? small_const(g) : pick_i64(g, u, false);
                x = add_val(g, 64, u, false);
                bprintf(&g->body, "  %s = select i1 %s, i64 %s, i64 %s\n", g->vals[x].name,
                        g->vals[k].name, a.s, c.s);
        } else if (r < 55) {
                table_load(g, u);
        } else if (r < 65 && !g->no_effects) {
                a = pick_i64(g, u, true);
                c = pick_i64(g, u, false);
                x = add_val(g, 64, u, false);
                if (chance(g, 50)) {
                        bprintf(&g->body, "  %s = %s i64 %s, %%bo\n", g->vals[x].name,
                                chance(g, 50) ? "udiv" : "urem", a.s);
                } else {
                        bprintf(&g->body, "  %s = or i64 %s, 1\n", g->vals[x].name, c.s);
                        k = x;
                        x = add_val(g, 64, u, false);
                        bprintf(&g->body, "  %s = udiv i64 %s, %s\n", g->vals[x].name, a.s,
                                g->vals[k].name);
                }
        } else if (r < 75) {
                static const char *const ops32[] = {"add", "xor", "mul", "sub"};
                const char *src;
                struct opnd o32 = pick_w(g, u, 32, true);
                if (g->w0 == 32 && chance(g, 30)) {
                        src = g->base;
                } else if (o32.s[0] == '%' && chance(g, 50)) {
                        k = add_val(g, 32, u, false); /* a copy: src must outlive o32 */
                        bprintf(&g->body, "  %s = add i32 %s, 0\n", g->vals[k].name, o32.s);
                        src = g->vals[k].name;
                } else {
                        a = pick_i64(g, u, true);
                        k = add_val(g, 32, u, false);
                        bprintf(&g->body, "  %s = trunc i64 %s to i32\n", g->vals[k].name, a.s);
                        src = g->vals[k].name;
                }
                k = add_val(g, 32, u, false);
                bprintf(&g->body, "  %s = %s i32 %s, %s\n", g->vals[k].name, ops32[rn(g, 4)], src,
                        konst(near_case(g, u), 32).s);
                x = add_val(g, 64, u, false);
                bprintf(&g->body, "  %s = %s i32 %s to i64\n", g->vals[x].name,
                        chance(g, 50) ? "zext" : "sext", g->vals[k].name);
        } else {
                a = v64(g, u);
                c = chance(g, 50) ? konst(-near_case(g, u), 64) : pick_i64(g, u, false);
                x = add_val(g, 64, u, false);
                bprintf(&g->body, "  %s = %s i64 %s, %s\n", g->vals[x].name,
                        ops[rn(g, 3) == 0 ? 2
                            : rn(g, 2)    ? 0
                                          : 3],
                        a.s, c.s);
        }
}

static void phis(struct gen *g, int u)
{
        const struct blk *b = &g->b[u];
        int nphi = b->npreds >= 2 ? 1 + (int)rn(g, 3) : chance(g, 10), first = g->nvals;
        char line[4096];

        for (int p = 0; p < nphi; p++) {
                struct opnd memo[MAX_PREDS];
                unsigned w = chance(g, 12) ? 32 : 64;
                int x = add_val(g, w, u, true);
                size_t len = 0;
                g->vals[x].blk = -1; /* not usable until all phis are placed */
                len += (size_t)snprintf(line + len, sizeof(line) - len, "  %s = phi i%u ",
                                        g->vals[x].name, w);
                for (int k = 0; k < b->npreds; k++) {
                        int pr = b->preds[k], same = -1;
                        for (int j = 0; j < k; j++)
                                if (b->preds[j] == pr)
                                        same = j;
                        if (same >= 0)
                                memo[k] = memo[same];
                        else if (chance(g, 35))
                                memo[k] = konst(
                                    chance(g, 60) ? (uint64_t)(100 * k + p) : interesting(g), w);
                        else
                                memo[k] = pick_w(g, pr, w, true);
                        len += (size_t)snprintf(line + len, sizeof(line) - len, "%s[ %s, %%b%d ]",
                                                k ? ", " : "", memo[k].s, pr);
                        if (len >= sizeof(line) - 64)
                                break;
                }
                bprintf(&g->body, "%s\n", line);
        }
        for (int i = first; i < g->nvals; i++)
                g->vals[i].blk = u;
}

static void ret(struct gen *g, int u)
{
        int n = 1 + (int)rn(g, 4), acc = -1, x;
        struct opnd a;

        for (int i = 0; i < n; i++) {
                a = pick_i64(g, u, true);
                if (acc < 0) {
                        acc = add_val(g, 64, u, false);
                        bprintf(&g->body, "  %s = add i64 %s, 0\n", g->vals[acc].name, a.s);
                        continue;
                }
                x = add_val(g, 64, u, false);
                bprintf(&g->body, "  %s = mul i64 %s, 1099511628211\n", g->vals[x].name,
                        g->vals[acc].name);
                acc = add_val(g, 64, u, false);
                bprintf(&g->body, "  %s = %s i64 %s, %s\n", g->vals[acc].name,
                        chance(g, 50) ? "xor" : "add", g->vals[x].name, a.s);
        }
        x = add_val(g, 64, u, false);
        bprintf(&g->body, "  %s = add i64 %s, %s\n", g->vals[x].name, g->vals[acc].name,
                konst(0x9e3779b97f4a7c15ull * (uint64_t)(u + 1), 64).s);
        bprintf(&g->body, "  ret i64 %s\n", g->vals[x].name);
}

static void terminator(struct gen *g, int u)
{
        const struct blk *b = &g->b[u];
        int k;

        switch (b->term) {
        case T_BR:
                bprintf(&g->body, "  br label %%b%d\n", b->succ[0]);
                break;
        case T_CONDBR:
                if (b->on_other) {
                        struct opnd a = pick_i64(g, u, true);
                        k = add_val(g, 1, u, false);
                        bprintf(&g->body, "  %s = icmp %s i64 %s, %s\n", g->vals[k].name,
                                preds[b->pred], a.s, konst(b->c, 64).s);
                } else if (!b->tree && chance(g, 40)) {
                        k = leaf_condition(g, u);
                } else {
                        k = v_compare(g, u, b->view, b->pred, b->c);
                }
                bprintf(&g->body, "  br i1 %s, label %%b%d, label %%b%d\n", g->vals[k].name,
                        b->succ[0], b->succ[1]);
                break;
        case T_SWITCH: {
                unsigned w = g->views[b->view].w;
                const char *nm = view_name(g, u, b->view);
                bprintf(&g->body, "  switch i%u %s, label %%b%d [", w, nm, b->succ[0]);
                for (int i = 1; i < b->nsucc; i++)
                        bprintf(&g->body, " i%u %s, label %%b%d", w, konst(b->swc[i], w).s,
                                b->succ[i]);
                bprintf(&g->body, " ]\n");
                break;
        }
        default:
                ret(g, u);
                break;
        }
}

static void entry_defs(struct gen *g)
{
        const char *v = "%v";

        if (g->freeze) {
                bprintf(&g->body, "  %%vf = freeze i64 %%v\n");
                v = "%vf";
        }
        switch (g->form) {
        case F_I64:
                g->base = v;
                break;
        case F_TRUNC32:
                bprintf(&g->body, "  %%t = trunc i64 %s to i32\n", v);
                g->base = "%t";
                break;
        case F_AND32:
                bprintf(&g->body, "  %%m = and i64 %s, 4294967295\n", v);
                g->base = "%m";
                break;
        case F_AND63:
                bprintf(&g->body, "  %%m = and i64 %s, 63\n", v);
                g->base = "%m";
                break;
        case F_AND32_TRUNC:
                bprintf(&g->body, "  %%m = and i64 %s, 4294967295\n", v);
                bprintf(&g->body, "  %%t = trunc i64 %%m to i32\n");
                g->base = "%t";
                break;
        case F_LSHR:
                bprintf(&g->body, "  %%m = lshr i64 %s, %u\n", v, g->shift);
                g->base = "%m";
                break;
        default:
                bprintf(&g->body, "  %%t = trunc i64 %s to i16\n", v);
                g->base = "%t";
                break;
        }
        if (strcmp(g->base, "%v"))
                fixed_val(g, g->base, g->w0);
        bprintf(&g->body, "  %%bo = or i64 %%b, 1\n");
        fixed_val(g, "%bo", 64);
        for (int vi = 0; vi < g->nviews; vi++) {
                g->entry_view[vi] = -1;
                if (g->views[vi].n && chance(g, 40)) {
                        const char *nm = view_name(g, 0, vi);
                        for (int i = 0; i < g->nvals; i++)
                                if (!strcmp(g->vals[i].name, nm))
                                        g->entry_view[vi] = i;
                }
        }
        if (chance(g, 30)) {
                int x = add_val(g, 64, 0, false);
                bprintf(&g->body, "  %s = add i64 %%a, %s\n", g->vals[x].name, small_const(g).s);
        }
}

static void place(struct gen *g, int u)
{
        const struct blk *b = &g->b[u];

        if (u == 0)
                bprintf(&g->body, "b0:\n");
        else
                bprintf(&g->body, "b%d:\n", u);
        if (u == 0) {
                entry_defs(g);
        } else {
                phis(g, u);
        }
        if (b->tree) {
                /* Only what the pass may hoist: pure work, and the test. */
                if (chance(g, 20))
                        instruction(g, u, true);
        } else if (u != 0) {
                if (b->ncases && chance(g, 50)) {
                        /* The backend's paired cases: v == c ? x : y. */
                        int vi = random_view(g), k, x;
                        k = v_compare(g, u, vi, chance(g, 80) ? 0 : 1,
                                      view_apply(g, vi, b->cases[0]));
                        struct opnd y = small_const(g),
                                    z = chance(g, 70) ? small_const(g) : pick_i64(g, u, false);
                        x = add_val(g, 64, u, false);
                        bprintf(&g->body, "  %s = select i1 %s, i64 %s, i64 %s\n", g->vals[x].name,
                                g->vals[k].name, y.s, z.s);
                }
                for (int n = (int)rn(g, 4); n > 0; n--)
                        instruction(g, u, false);
        }
        terminator(g, u);
}

int switch_gen_make(uint64_t seed, struct switch_gen *out)
{
        struct gen *g = calloc(1, sizeof(*g));
        unsigned r;
        int root;

        memset(out, 0, sizeof(*out));
        if (!g)
                return -1;
        g->s = seed * 0x2545f4914f6cdd1dull + 17;
        g->dflt = -1;
        r = rn(g, 100);
        g->form = r < 28   ? F_I64
                  : r < 50 ? F_TRUNC32
                  : r < 64 ? F_AND32
                  : r < 78 ? F_AND63
                  : r < 86 ? F_AND32_TRUNC
                  : r < 93 ? F_TRUNC16
                           : F_LSHR;
        g->freeze = chance(g, 12);
        g->no_effects = chance(g, 40);
        g->w0 = g->form == F_TRUNC32 || g->form == F_AND32_TRUNC ? 32
                : g->form == F_TRUNC16                           ? 16
                                                                 : 64;
        g->bits = g->form == F_AND32 ? 32 : g->form == F_AND63 ? 6 : g->w0;
        if (g->form == F_LSHR) {
                static const unsigned shifts[] = {32, 58, 48, 1};
                g->shift = shifts[rn(g, 4)];
                g->bits = 64 - g->shift;
        }
        g->views = g->w0 == 64 ? views64 : g->w0 == 32 ? views32 : views16;
        g->nviews = g->w0 == 64 ? 1 : g->w0 == 32 ? 3 : 6;
        g->sorder = chance(g, 40);
        fixed_val(g, "%v", 64);
        fixed_val(g, "%a", 64);
        fixed_val(g, "%b", 64);
        make_cases(g);

        /* Entry (perhaps the root), joins in layers, exits; then the tree and its leaves. */
        new_block(g, K_ENTRY, 0);
        g->nlayers = 1 + (int)rn(g, 3);
        for (int l = 0; l < g->nlayers; l++)
                for (int j = (int)rn(g, 3); j >= 0; j--)
                        new_block(g, K_JOIN, 3 + l);
        for (int j = (int)rn(g, 2); j >= 0; j--)
                new_block(g, K_EXIT, 3 + g->nlayers);
        if (chance(g, 50)) {
                root = 0;
        } else {
                root = new_block(g, K_TREE, 1);
                g->b[0].term = T_BR;
                g->b[0].nsucc = 1;
                g->b[0].succ[0] = root;
        }
        g->b[root].planned++;
        g->troot = root;
        g->node_rank = 1;
        g->leaf_rank = 2;
        tree(g, g->cases, g->ncases, 0, root);
        for (int u = 0; u < g->nb; u++) {
                struct blk *b = &g->b[u];
                if (b->tree || b->term != T_NONE)
                        continue;
                if (b->kind == K_JOIN && b->rank >= 3 && b->rank < 3 + g->nlayers &&
                    g->nb < MAX_BLOCKS - 30 && chance(g, 8)) {
                        /* A join that starts another tree over the same value. */
                        g->troot = u;
                        g->node_rank = g->leaf_rank = b->rank;
                        g->dflt = -1;
                        tree(g, g->cases, g->ncases, 0, u);
                        continue;
                }
                assign_term(g, u);
        }
        analyse(g);

        bprintf(&g->body, "define i64 @f(i64 %%v, i64 %%a, i64 %%b) {\n");
        for (int i = 0; i < g->nrpo; i++)
                place(g, g->rpo[i]);
        bprintf(&g->body, "}\n");
        if (g->glob.len)
                bprintf(&g->glob, "\n");
        bprintf(&g->glob, "%s", g->body.p ? g->body.p : "");

        /* Inputs: every constant compared against, with neighbours and other high bits. */
        for (int i = 0; i < g->ncases; i++)
                add_base_inputs(g, g->cases[i]);
        for (int u = 0; u < g->nb; u++) {
                const struct blk *b = &g->b[u];
                if (!b->reach || b->on_other)
                        continue;
                if (b->term == T_CONDBR)
                        add_base_inputs(g, b->c & mask_of(g->w0));
                for (int k = 1; b->term == T_SWITCH && k < b->nsucc; k++)
                        add_base_inputs(g, b->swc[k] & mask_of(g->w0));
        }
        if (g->bits <= 8)
                for (uint64_t x = 0; x <= mask_of(g->bits); x++)
                        add_input(g,
                                  g->shift ? x << g->shift : x | (x & 1 ? rnd(g) << g->bits : 0));
        {
                static const uint64_t ext[] = {0,
                                               1,
                                               (uint64_t)-1,
                                               0x7fffffff,
                                               0x80000000,
                                               0xffffffff,
                                               1ull << 32,
                                               0x7fffffffffffffffull,
                                               1ull << 63,
                                               0x8000000000000001ull};
                for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
                        add_input(g, ext[i]);
                for (int i = 0; i < 8; i++)
                        add_input(g, chance(g, 50) ? rnd(g) : rnd(g) & 0xffff);
        }
        if (g->glob.oom || g->body.oom) {
                free(g->glob.p);
                free(g->body.p);
                free(g);
                return -1;
        }
        out->ir = g->glob.p;
        out->nvs = g->nin;
        out->vs = malloc(g->nin * sizeof(*out->vs));
        if (out->vs)
                memcpy(out->vs, g->in, g->nin * sizeof(*out->vs));
        free(g->body.p);
        free(g);
        if (!out->vs) {
                free(out->ir);
                out->ir = NULL;
                return -1;
        }
        return 0;
}

void switch_gen_free(struct switch_gen *g)
{
        free(g->ir);
        free(g->vs);
        memset(g, 0, sizeof(*g));
}

/* SPDX-License-Identifier: MIT */
/*
 * The register analysis (absint.c). Hand-written programs check chosen
 * facts: constants through ALU, ranges after a bounds check, a loop
 * counter at the loop head and after the loop, a spilled context pointer,
 * a map lookup's result before and after its NULL check, registers after a
 * helper call, a local call's r0 and arguments, unreachable code, the log.
 *
 * Then soundness: random programs of the differential generator
 * (tests/differential/gen.c) run in the interpreter, whose trace hook shows
 * every register before every instruction; each concrete value must lie in
 * the analysis' abstract value there (scalars in their range and known bits,
 * context and frame pointers at an offset in their offset range, spilled
 * values in their slots), and no instruction the analysis calls unreachable
 * may run.
 */
#include "test_util.h"
#include "absint.h"
#include "gen.h"
#include "program.h"
#include "provenance.h"

#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* Hand-written programs                                               */
/* ------------------------------------------------------------------ */

struct analysed {
        struct bpfaot_insn *insns;
        struct bpfaot_prog prog;
        struct program p;
        struct absint *a;
};

static bool analyse_prog(struct analysed *t, const char *text, const struct bpfaot_reloc *relocs,
                         size_t reloc_cnt, const struct bpfaot_map_desc *maps, size_t map_cnt)
{
        struct bpfaot_error err = {0};
        size_t cnt;

        memset(t, 0, sizeof(*t));
        if (bpfaot_assemble(text, "t.s", &t->insns, &cnt, &err)) {
                CHECKF(false, "assemble: %s", err.msg);
                return false;
        }
        t->prog = (struct bpfaot_prog){.input = "t",
                                       .name = "t",
                                       .insns = t->insns,
                                       .insn_cnt = cnt,
                                       .relocs = relocs,
                                       .reloc_cnt = reloc_cnt,
                                       .maps = maps,
                                       .map_cnt = map_cnt,
                                       .symbol_prefix = "t"};
        if (program_check(&t->prog, NULL, &t->p, &err)) {
                CHECKF(false, "validate: %s", err.msg);
                free(t->insns);
                return false;
        }
        if (absint_run(&t->p, &t->a, &err)) {
                CHECKF(false, "absint: %s", err.msg);
                program_free(&t->p);
                free(t->insns);
                return false;
        }
        return true;
}

static bool analyse(struct analysed *t, const char *text)
{
        return analyse_prog(t, text, NULL, 0, NULL, 0);
}

/* The analysis per instruction, for ABSINT_DUMP=1 test_absint 0. */
static void dump(const struct analysed *t)
{
        char log[1024], text[128];

        for (size_t i = 0; i < t->prog.insn_cnt; i++) {
                if (t->p.tails[i])
                        continue;
                bpfaot_disasm_insn(t->prog.insns, t->prog.insn_cnt, i, text, sizeof(text));
                absint_print_insn(t->a, i, log, sizeof(log));
                printf("%3zu: %-28s %s\n", i, text, log);
        }
        printf("\n");
}

static void done(struct analysed *t)
{
        if (getenv("ABSINT_DUMP"))
                dump(t);
        absint_free(t->a);
        program_free(&t->p);
        free(t->insns);
}

/* Register `reg` before `insn` (uninitialised when unreachable). */
static struct absint_value reg_at(const struct analysed *t, size_t insn, unsigned reg)
{
        struct absint_state st;
        struct absint_value v = {.kind = ABSINT_UNINIT};

        if (absint_state_at(t->a, insn, &st))
                v = st.reg[reg];
        absint_state_release(&st);
        return v;
}

static const char *log_at(const struct analysed *t, size_t insn)
{
        static char buf[1024];

        absint_print_insn(t->a, insn, buf, sizeof(buf));
        return buf;
}

static bool is_const(const struct absint_value *v, uint64_t c)
{
        return v->kind == ABSINT_SCALAR && !v->maybe_uninit && scalar_is_const(&v->s) &&
               v->s.umin == c;
}

static void constants(void)
{
        struct analysed t;
        struct absint_value v;

        if (!analyse(&t, "mov %r0, 5\n"
                         "add %r0, 3\n"
                         "lsh %r0, 2\n"
                         "mov32 %r3, -1\n"
                         "exit\n"))
                return;
        v = reg_at(&t, 3, 0);
        CHECK(is_const(&v, 32));
        v = reg_at(&t, 4, 3);
        CHECK(is_const(&v, 0xffffffff));
        CHECK_STR_EQ(log_at(&t, 0), "R1=ctx() R2=scalar()<=size R10=fp0");
        CHECK_STR_EQ(log_at(&t, 4), "R0=32 R1=ctx() R2=scalar()<=size R3=0xffffffff R10=fp0");
        done(&t);
}

static void bounds_check(void)
{
        struct analysed t;
        struct absint_value v;

        if (!analyse(&t, "ldxdw %r2, [%r1+0]\n" /* 0 */
                         "jgt %r2, 10, +2\n"    /* 1 */
                         "mov %r0, %r2\n"       /* 2: r2 <= 10 */
                         "exit\n"
                         "mov %r0, 0\n" /* 4: r2 > 10 */
                         "exit\n"))
                return;
        v = reg_at(&t, 1, 2);
        CHECK(v.kind == ABSINT_SCALAR && v.s.umin == 0 && v.s.umax == UINT64_MAX);
        v = reg_at(&t, 2, 2);
        CHECK(v.kind == ABSINT_SCALAR && v.s.umin == 0 && v.s.umax == 10 && v.s.smin == 0);
        v = reg_at(&t, 4, 2);
        CHECK(v.kind == ABSINT_SCALAR && v.s.umin == 11 && v.s.umax == UINT64_MAX);
        CHECK_CONTAINS(log_at(&t, 2), "R2=scalar(smin=smin32=0,smax=umax=smax32=umax32=10,");
        done(&t);
}

static void loop_counter(void)
{
        struct analysed t;
        struct absint_value v;
        size_t blocks, visits;

        if (!analyse(&t, "mov %r6, 0\n"        /* 0 */
                         "jge %r6, 1000, +2\n" /* 1: loop head */
                         "add %r6, 1\n"        /* 2: r6 in [0, 999] */
                         "ja -3\n"             /* 3 */
                         "mov %r0, %r6\n"      /* 4: r6 >= 100 */
                         "exit\n"))
                return;
        v = reg_at(&t, 1, 6);
        CHECK(v.kind == ABSINT_SCALAR && v.s.umin == 0 && scalar_contains(&v.s, 1000));
        v = reg_at(&t, 2, 6);
        CHECK(v.kind == ABSINT_SCALAR && v.s.umin == 0 && v.s.umax == 999);
        v = reg_at(&t, 3, 6);
        CHECK(v.kind == ABSINT_SCALAR && v.s.umin == 1 && v.s.umax == 1000);
        v = reg_at(&t, 4, 6);
        CHECK(v.kind == ABSINT_SCALAR && v.s.umin == 1000);
        /*
         * The first 64 rounds are followed apart (a leaf loop), then
         * widening ends it: a bounded number of visits, not one per round.
         */
        absint_stats(t.a, &blocks, &visits);
        CHECK_EQ(blocks, 4);
        CHECKF(visits > 64 * 2 && visits < 64 * 3 + 20, "%zu block visits", visits);
        done(&t);
}

/*
 * A loop ended by `!=`: past the rounds followed apart, the counter widens
 * to the compared constant first (a threshold), and the test then narrows
 * it, so the loop keeps its bounds. A counter that steps over the constant
 * widens on past it: the result holds every value it takes.
 */
static void threshold_widening(void)
{
        struct analysed t;
        struct absint_value v;

        if (!analyse(&t, "mov %r6, 0\n"       /* 0 */
                         "add %r6, 1\n"       /* 1: loop head, r6 in [0, 299] */
                         "jne %r6, 300, -2\n" /* 2: r6 in [1, 300] */
                         "mov %r0, %r6\n"     /* 3: r6 == 300 */
                         "exit\n"))
                return;
        v = reg_at(&t, 1, 6);
        CHECK(v.kind == ABSINT_SCALAR && v.s.umin == 0 && v.s.umax == 299);
        v = reg_at(&t, 2, 6);
        CHECK(v.kind == ABSINT_SCALAR && v.s.umin == 1 && v.s.umax == 300);
        v = reg_at(&t, 3, 6);
        CHECK(is_const(&v, 300));
        done(&t);
        if (!analyse(&t, "mov %r6, 0\n"       /* 0 */
                         "add %r6, 7\n"       /* 1: loop head: 0, 7, ... never 300 */
                         "jne %r6, 300, -2\n" /* 2 */
                         "mov %r0, %r6\n"     /* 3 */
                         "exit\n"))
                return;
        v = reg_at(&t, 1, 6);
        CHECK(v.kind == ABSINT_SCALAR && scalar_contains(&v.s, 294) && scalar_contains(&v.s, 301) &&
              scalar_contains(&v.s, 7000));
        done(&t);
}

static void spill_fill(void)
{
        struct analysed t;
        struct absint_value v;
        struct absint_state st;
        struct absint_slot slot;

        if (!analyse(&t, "stxdw [%r10-8], %r1\n"  /* 0 */
                         "stw [%r10-16], 7\n"     /* 1 */
                         "mov %r1, 0\n"           /* 2 */
                         "ldxdw %r2, [%r10-8]\n"  /* 3 */
                         "ldxw %r0, [%r2+4]\n"    /* 4: r2 is the context again */
                         "ldxdw %r3, [%r10-16]\n" /* 5 */
                         "exit\n"))
                return;
        v = reg_at(&t, 4, 2);
        CHECK(v.kind == ABSINT_PTR && v.region == ABSINT_CTX && scalar_is_const(&v.s) &&
              v.s.umin == 0);
        v = reg_at(&t, 6, 3); /* a narrow store: the slot holds data, not a value */
        CHECK(v.kind == ABSINT_SCALAR && !scalar_is_const(&v.s));
        CHECK(absint_state_at(t.a, 4, &st));
        absint_slot_at(&st, -8, &slot);
        CHECK(slot.spill && slot.init == 0xff && slot.v.region == ABSINT_CTX);
        absint_slot_at(&st, -13, &slot);
        CHECK(!slot.spill && slot.init == 0x0f);
        absint_state_release(&st);
        CHECK_STR_EQ(log_at(&t, 4), "R1=0 R2=ctx() R10=fp0 fp-8=ctx() fp-16=????mmmm");
        done(&t);
}

static void map_lookup(void)
{
        static const struct bpfaot_reloc reloc = {
            .insn = 0, .kind = BPFAOT_RELOC_MAP, .name = "counts", .data_sec = 0};
        static const struct bpfaot_map_desc maps[] = {
            {.name = "counts", .type = 2, .key_size = 4, .value_size = 8, .max_entries = 4},
        };
        struct analysed t;
        struct absint_value v;

        if (!analyse_prog(&t,
                          "lddw %r1, 0\n"        /* 0: the map */
                          "mov %r2, %r10\n"      /* 2 */
                          "add %r2, -4\n"        /* 3 */
                          "stw [%r10-4], 0\n"    /* 4 */
                          "call 1\n"             /* 5: map_lookup_elem */
                          "mov %r6, %r0\n"       /* 6: a copy */
                          "jeq %r0, 0, +2\n"     /* 7 */
                          "ldxdw %r0, [%r6+0]\n" /* 8: both non-NULL */
                          "exit\n"               /* 9 */
                          "mov %r0, 0\n"         /* 10: NULL */
                          "exit\n",
                          &reloc, 1, maps, 1))
                return;
        v = reg_at(&t, 5, 1);
        CHECK(v.kind == ABSINT_PTR && v.region == ABSINT_MAP && v.id == 0);
        v = reg_at(&t, 5, 2);
        CHECK(v.kind == ABSINT_PTR && v.region == ABSINT_STACK && v.s.smin == -4);
        v = reg_at(&t, 7, 0);
        CHECK(v.kind == ABSINT_PTR && v.region == ABSINT_MAP_VALUE && v.id == 0 && v.maybe_null &&
              v.origin == 5);
        for (unsigned r = 1; r <= 5; r++) /* the call leaves r1-r5 unwritten */
                CHECK_EQ(reg_at(&t, 6, r).kind, ABSINT_UNINIT);
        v = reg_at(&t, 8, 0);
        CHECK(v.kind == ABSINT_PTR && v.region == ABSINT_MAP_VALUE && !v.maybe_null);
        v = reg_at(&t, 8, 6);
        CHECK(v.kind == ABSINT_PTR && v.region == ABSINT_MAP_VALUE && !v.maybe_null);
        v = reg_at(&t, 10, 0);
        CHECK(is_const(&v, 0));
        CHECK_CONTAINS(log_at(&t, 7), "R0=map_value_or_null(map=0,off=0)");
        CHECK_CONTAINS(log_at(&t, 8), "R0=map_value(map=0,off=0)");
        done(&t);
}

static void local_call(void)
{
        struct analysed t;
        struct absint_value v;

        if (!analyse(&t, "mov %r1, 7\n"      /* 0 */
                         "mov %r2, %r10\n"   /* 1 */
                         "add %r2, -16\n"    /* 2 */
                         "call local +2\n"   /* 3: insn 6 */
                         "add %r0, 1\n"      /* 4 */
                         "exit\n"            /* 5 */
                         "mov %r0, %r1\n"    /* 6: the callee */
                         "stdw [%r2+0], 1\n" /* 7 */
                         "exit\n"))
                return;
        v = reg_at(&t, 4, 0);
        CHECK(is_const(&v, 7));
        CHECK_EQ(reg_at(&t, 4, 1).kind, ABSINT_UNINIT);
        v = reg_at(&t, 6, 1);
        CHECK(is_const(&v, 7));
        v = reg_at(&t, 7, 2);
        CHECK(v.kind == ABSINT_PTR && v.region == ABSINT_CALLER_STACK && v.s.smin == -16 &&
              v.s.smax == -16);
        CHECK_STR_EQ(log_at(&t, 6), "R1=7 R2=caller_fp(off=-16) R10=fp0");
        done(&t);
}

static void unreachable(void)
{
        struct analysed t;
        struct absint_state st;
        struct absint_value v;

        if (!analyse(&t, "mov %r0, 1\n"
                         "jeq %r0, 1, +1\n"
                         "mov %r0, 2\n" /* never runs */
                         "exit\n"))
                return;
        CHECK(absint_state_at(t.a, 1, &st));
        absint_state_release(&st);
        CHECK(!absint_state_at(t.a, 2, &st));
        absint_state_release(&st);
        CHECK(absint_state_at(t.a, 3, &st));
        absint_state_release(&st);
        CHECK_STR_EQ(log_at(&t, 2), "unreachable");
        v = reg_at(&t, 3, 0);
        CHECK(is_const(&v, 1));
        done(&t);
}

/* ------------------------------------------------------------------ */
/* Soundness against the interpreter                                   */
/* ------------------------------------------------------------------ */

struct soundness {
        uint64_t seed;
        const uint8_t *mem;
        uint64_t mem_len; /* the context's size, S */
        bool *reached;    /* by instruction */
        struct absint_state *states;
        uint64_t fp[BPFAOT_MAX_CALL_DEPTH]; /* r10 of each live frame */
        size_t checked, skipped, consts, rooms, runs_reported;
        bool failed;
};

/* x + room <= S, as integers (x unsigned, or a context offset signed). */
static bool room_holds(const struct soundness *c, uint64_t x, bool is_signed, int32_t room)
{
        __int128 v = is_signed ? (__int128)(int64_t)x : (__int128)x;

        return v + room <= (__int128)c->mem_len;
}

/* Does concrete `x` belong to `v` in frame `depth`? *checked: whether v says anything. */
static bool value_holds(const struct soundness *c, unsigned depth, const struct absint_value *v,
                        uint64_t x, bool *checked)
{
        *checked = true;
        if (v->kind == ABSINT_UNKNOWN || v->maybe_uninit) {
                *checked = false;
                return true;
        }
        if (v->kind == ABSINT_SCALAR)
                return scalar_contains(&v->s, x) &&
                       (!v->has_room || room_holds(c, x, false, v->room));
        switch (v->region) {
        case ABSINT_CTX:
                return !v->maybe_null && scalar_contains(&v->s, x - (uint64_t)(uintptr_t)c->mem) &&
                       (!v->has_room ||
                        room_holds(c, x - (uint64_t)(uintptr_t)c->mem, true, v->room));
        case ABSINT_STACK:
                return scalar_contains(&v->s, x - c->fp[depth]);
        case ABSINT_CALLER_STACK:
                for (unsigned d = 0; d < depth; d++)
                        if (scalar_contains(&v->s, x - c->fp[d]))
                                return true;
                return false;
        default:
                *checked = false;
                return true;
        }
}

static void report(struct soundness *c, size_t insn, const char *what, unsigned n,
                   const struct absint_value *v, uint64_t x)
{
        char buf[256];

        c->failed = true;
        if (c->runs_reported++ >= 10)
                return;
        absint_print_value(buf, sizeof(buf), v);
        CHECKF(false, "seed %" PRIu64 " insn %zu: %s%u = 0x%" PRIx64 " is not in %s", c->seed, insn,
               what, n, x, buf);
}

static void check_value(struct soundness *c, unsigned depth, size_t insn, const char *what,
                        unsigned n, const struct absint_value *v, uint64_t x)
{
        bool checked;

        if (v->kind == ABSINT_UNINIT) /* no value to check */
                return;
        if (!value_holds(c, depth, v, x, &checked))
                report(c, insn, what, n, v, x);
        if (!checked) {
                c->skipped++;
                return;
        }
        c->checked++;
        if (v->kind == ABSINT_SCALAR && scalar_is_const(&v->s))
                c->consts++;
        if (v->has_room)
                c->rooms++;
}

static void on_insn(void *ctx, unsigned depth, size_t insn, const uint64_t regs[BPFAOT_NUM_REGS])
{
        struct soundness *c = ctx;
        const struct absint_state *st = &c->states[insn];

        c->fp[depth] = regs[BPFAOT_REG_FP];
        if (!c->reached[insn]) {
                c->failed = true;
                if (c->runs_reported++ < 10)
                        CHECKF(false, "seed %" PRIu64 ": insn %zu runs but is unreachable", c->seed,
                               insn);
                return;
        }
        if (st->ctx_min > c->mem_len) {
                c->failed = true;
                if (c->runs_reported++ < 10)
                        CHECKF(false,
                               "seed %" PRIu64 " insn %zu: the context's size %" PRIu64
                               " is below size>=%" PRIu64,
                               c->seed, insn, c->mem_len, st->ctx_min);
        }
        for (unsigned r = 0; r < BPFAOT_NUM_REGS; r++)
                check_value(c, depth, insn, "r", r, &st->reg[r], regs[r]);
        for (size_t i = 0; i < st->slot_cnt; i++) {
                const struct absint_slot *s = &st->slots[i];
                uint64_t x;

                if (!s->spill)
                        continue;
                memcpy(&x, (const void *)(uintptr_t)(regs[BPFAOT_REG_FP] + 8 * (int64_t)s->index),
                       8);
                check_value(c, depth, insn, "fp-", (unsigned)(-8 * s->index), &s->v, x);
        }
}

/*
 * Analyse `insns` and run them on a context of `mem_len` bytes (filled as
 * `seed` says), every value checked; false when something failed.
 */
static bool soundness_run(uint64_t seed, const struct bpfaot_insn *insns, size_t cnt,
                          size_t mem_len, struct soundness *total)
{
        struct bpfaot_prog prog = {.input = "gen",
                                   .name = "gen",
                                   .symbol_prefix = "gen",
                                   .insns = (struct bpfaot_insn *)insns,
                                   .insn_cnt = cnt};
        struct bpfaot_error err = {0};
        struct soundness c = {.seed = seed};
        struct program p;
        struct absint *a = NULL;
        uint8_t *mem = NULL;
        uint64_t r0;
        int rc;

        rc = program_check(&prog, NULL, &p, &err);
        CHECKF(rc == 0, "seed %" PRIu64 ": %s", seed, err.msg);
        if (rc)
                return false;
        rc = absint_run(&p, &a, &err);
        CHECKF(rc == 0, "seed %" PRIu64 ": %s", seed, err.msg);
        c.reached = calloc(cnt, sizeof(*c.reached));
        c.states = calloc(cnt, sizeof(*c.states));
        mem = calloc(1, mem_len ? mem_len : 1);
        if (!rc && c.reached && c.states && mem) {
                BPFAOT_OPTS_INIT(bpfaot_interp_opts, opts, .helper = gen_helper_lookup,
                                 .trace = on_insn, .trace_ctx = &c);

                for (size_t i = 0; i < cnt; i++)
                        c.reached[i] = absint_state_at(a, i, &c.states[i]);
                if (getenv("ABSINT_DUMP"))
                        dump(&(struct analysed){.prog = prog, .p = p, .a = a});
                gen_fill_memory(seed, mem, mem_len);
                c.mem = mem;
                c.mem_len = mem_len;
                rc = bpfaot_interp_run(&prog, mem, mem_len, &opts, &r0, &err);
                CHECKF(rc == 0, "seed %" PRIu64 ": interpreter: %s", seed, err.msg);
        }
        for (size_t i = 0; c.states && i < cnt; i++)
                absint_state_release(&c.states[i]);
        total->checked += c.checked;
        total->skipped += c.skipped;
        total->consts += c.consts;
        total->rooms += c.rooms;
        free(c.states);
        free(c.reached);
        free(mem);
        absint_free(a);
        program_free(&p);
        return rc == 0 && !c.failed;
}

/* Analyse and run the generated program of `seed`; false when something failed. */
static bool soundness_one(uint64_t seed, struct soundness *total)
{
        struct gen_prog gp;
        bool ok;

        if (gen_program(seed, &gp)) {
                CHECKF(false, "seed %" PRIu64 ": out of memory", seed);
                return false;
        }
        ok = soundness_run(seed, gp.insns, gp.insn_cnt, gp.mem_len, total);
        gen_prog_free(&gp);
        return ok;
}

/*
 * Programs of the context's size (r2) and values derived from it, for the
 * rooms (absint.h): copies, steps up and down by constants small and huge
 * and by other values, and, or, shifts, division, pointers into the
 * context moved by them, spills and fills of them (links hold in stack
 * slots), and every 64-bit comparison of them with each
 * other, with constants and with addresses, in a loop of a few rounds.
 * They touch no memory: what they compute is checked against the analysis
 * before every instruction.
 */
#define ROOM_PROG_MAX 96

static uint64_t room_rand(uint64_t *x)
{
        *x += 0x9e3779b97f4a7c15ull;
        uint64_t z = *x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

static struct bpfaot_insn room_insn(uint8_t opcode, uint8_t dst, uint8_t src, int16_t off,
                                    int32_t imm)
{
        return (struct bpfaot_insn){
            .opcode = opcode, .dst = dst, .src = src, .off = off, .imm = imm};
}

static size_t room_program(uint64_t seed, struct bpfaot_insn *out, size_t *mem_len)
{
        static const int32_t imms[] = {0,         1,         4,          8,          34, 255,
                                       256,       512,       4096,       -1,         -8, -512,
                                       INT32_MAX, INT32_MIN, 0x40000000, -0x40000000};
        static const uint8_t alu[] = {BPFAOT_ALU_ADD, BPFAOT_ALU_ADD, BPFAOT_ALU_SUB,
                                      BPFAOT_ALU_SUB, BPFAOT_ALU_AND, BPFAOT_ALU_RSH,
                                      BPFAOT_ALU_DIV, BPFAOT_ALU_MOD, BPFAOT_ALU_OR,
                                      BPFAOT_ALU_MOV, BPFAOT_ALU_MUL};
        static const uint8_t jmp[] = {
            BPFAOT_JMP_JEQ, BPFAOT_JMP_JNE,  BPFAOT_JMP_JGT,  BPFAOT_JMP_JGE,  BPFAOT_JMP_JLT,
            BPFAOT_JMP_JLE, BPFAOT_JMP_JSGT, BPFAOT_JMP_JSGE, BPFAOT_JMP_JSLT, BPFAOT_JMP_JSLE};
        static const size_t sizes[] = {0, 1, 33, 34, 256, 511, 512, 513, 1024, 4096};
        static const uint8_t regs[] = {0, 3, 4, 5, 6, 7, 8};
        uint64_t x = seed;
        size_t n = 0, body, rounds = 1 + room_rand(&x) % 6;

#define R()   regs[room_rand(&x) % sizeof(regs)]
#define IMM() imms[room_rand(&x) % (sizeof(imms) / sizeof(*imms))]
        *mem_len = sizes[room_rand(&x) % (sizeof(sizes) / sizeof(*sizes))];
        /* Every register a value derived from the size, a constant or an address. */
        for (size_t i = 0; i < sizeof(regs); i++) {
                unsigned k = room_rand(&x) % 4;

                if (k == 0)
                        out[n++] = room_insn(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_MOV | BPFAOT_SRC_K,
                                             regs[i], 0, 0, IMM());
                else if (k == 3)
                        out[n++] = room_insn(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_MOV | BPFAOT_SRC_X,
                                             regs[i], 1, 0, 0);
                else
                        out[n++] = room_insn(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_MOV | BPFAOT_SRC_X,
                                             regs[i], 2, 0, 0);
        }
        out[n++] = room_insn(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_MOV | BPFAOT_SRC_K, 9, 0, 0, 0);
        body = n;
        while (n < ROOM_PROG_MAX - 8) {
                unsigned k = room_rand(&x) % 10;
                uint8_t d = R(), op;

                if (k < 5) {
                        op = alu[room_rand(&x) % sizeof(alu)];
                        if (room_rand(&x) % 2) {
                                int32_t imm = IMM();

                                if ((op == BPFAOT_ALU_DIV || op == BPFAOT_ALU_MOD) && imm == 0)
                                        imm = 3;
                                if (op == BPFAOT_ALU_RSH)
                                        imm &= 63;
                                out[n++] =
                                    room_insn(BPFAOT_CLASS_ALU64 | op | BPFAOT_SRC_K, d, 0, 0, imm);
                        } else {
                                uint8_t s =
                                    room_rand(&x) % 5 ? R() : (uint8_t)(1 + room_rand(&x) % 2);

                                if (op == BPFAOT_ALU_RSH)
                                        op = BPFAOT_ALU_ADD;
                                out[n++] =
                                    room_insn(BPFAOT_CLASS_ALU64 | op | BPFAOT_SRC_X, d, s, 0, 0);
                        }
                } else if (k < 6 && room_rand(&x) % 2) { /* a spill or a fill of an 8-byte slot */
                        int16_t slot = (int16_t)(-8 * (int)(1 + room_rand(&x) % 4));

                        if (room_rand(&x) % 2)
                                out[n++] =
                                    room_insn(BPFAOT_CLASS_STX | BPFAOT_MODE_MEM | BPFAOT_SIZE_DW,
                                              BPFAOT_REG_FP, d, slot, 0);
                        else
                                out[n++] =
                                    room_insn(BPFAOT_CLASS_LDX | BPFAOT_MODE_MEM | BPFAOT_SIZE_DW,
                                              d, BPFAOT_REG_FP, slot, 0);
                } else if (k < 6) { /* an address into the context, moved by a value */
                        out[n++] = room_insn(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_MOV | BPFAOT_SRC_X, d,
                                             1, 0, 0);
                        out[n++] = room_insn(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_X, d,
                                             R(), 0, 0);
                } else { /* a forward jump over 1-3 instructions */
                        int16_t skip = (int16_t)(1 + room_rand(&x) % 3);

                        op = jmp[room_rand(&x) % sizeof(jmp)];
                        if (room_rand(&x) % 3)
                                out[n++] = room_insn(BPFAOT_CLASS_JMP | op | BPFAOT_SRC_X, d,
                                                     room_rand(&x) % 4 ? R() : 2, skip, 0);
                        else
                                out[n++] = room_insn(BPFAOT_CLASS_JMP | op | BPFAOT_SRC_K, d, 0,
                                                     skip, IMM());
                }
        }
        /* Jumps land inside the program: pad with moves, then the loop's latch and the exit. */
        for (size_t i = 0; i < 4; i++)
                out[n++] =
                    room_insn(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_MOV | BPFAOT_SRC_K, R(), 0, 0, IMM());
        out[n++] = room_insn(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_ADD | BPFAOT_SRC_K, 9, 0, 0, 1);
        out[n] = room_insn(BPFAOT_CLASS_JMP | BPFAOT_JMP_JLT | BPFAOT_SRC_K, 9, 0,
                           (int16_t)((int64_t)body - (int64_t)n - 1), (int32_t)rounds);
        n++;
        out[n++] = room_insn(BPFAOT_CLASS_ALU64 | BPFAOT_ALU_MOV | BPFAOT_SRC_K, 0, 0, 0, 0);
        out[n++] = room_insn(BPFAOT_CLASS_JMP | BPFAOT_JMP_EXIT, 0, 0, 0, 0);
#undef R
#undef IMM
        return n;
}

static void room_soundness(uint64_t first, uint64_t count)
{
        struct soundness total = {0};
        struct bpfaot_insn insns[ROOM_PROG_MAX + 4];
        uint64_t bad = 0;

        for (uint64_t seed = first; seed < first + count; seed++) {
                size_t mem_len, n = room_program(seed, insns, &mem_len);

                if (!soundness_run(seed, insns, n, mem_len, &total))
                        bad++;
        }
        printf("rooms: %" PRIu64 " programs (%" PRIu64 " failed), %zu concrete values in their "
               "abstract values, %zu with a room\n",
               count, bad, total.checked, total.rooms);
        /* The programs are made to have rooms: most values derive from the size. */
        CHECKF(total.rooms > total.checked / 10, "%zu of %zu values with a room", total.rooms,
               total.checked);
}

static void soundness(uint64_t first, uint64_t count)
{
        struct soundness total = {0};
        uint64_t bad = 0;

        for (uint64_t seed = first; seed < first + count; seed++)
                if (!soundness_one(seed, &total))
                        bad++;
        printf("soundness: %" PRIu64 " programs (%" PRIu64 " failed), %zu concrete values in "
               "their abstract values (%zu constants, %zu with a room), %zu not checked\n",
               count, bad, total.checked, total.consts, total.rooms, total.skipped);
        /* A vacuous check proves nothing: most values must be checked. */
        CHECKF(total.checked > 20 * total.skipped, "%zu checked, %zu skipped", total.checked,
               total.skipped);
}

/*
 * Stores and helper buffers at a frame address plus an unknown offset: the
 * offset range spans the whole type, and its ends must not overflow (the
 * sanitizer build turns an overflow into a failure). The frame may hold
 * anything afterwards, never less.
 */
static void unknown_frame_offsets(void)
{
        struct analysed t;
        struct absint_value v;

        if (!analyse(&t, "ldxdw %r2, [%r1+0]\n"
                         "mov %r3, %r10\n"
                         "add %r3, %r2\n" /* fp + anything */
                         "stxdw [%r3-8], %r2\n"
                         "stw [%r3+4], 1\n"
                         "mov %r1, %r3\n"
                         "mov %r2, 8\n"
                         "mov %r3, 0\n"
                         "call 4\n" /* probe_read(fp + anything, 8, 0) writes it */
                         "mov %r0, 0\n"
                         "exit\n"))
                return;
        v = reg_at(&t, 3, 3);
        CHECK(v.kind == ABSINT_PTR && v.region == ABSINT_STACK && v.s.smin == INT64_MIN &&
              v.s.smax == INT64_MAX);
        v = reg_at(&t, 9, 0);
        CHECK(v.kind == ABSINT_SCALAR);
        done(&t);
}

/*
 * A pointer stepped through the frame until it reaches another: the
 * comparison of two frame addresses bounds it (256 rounds, more than the
 * analysis follows apart, so only the comparison keeps it in the buffer).
 */
static void frame_pointer_loop(void)
{
        struct analysed t;
        struct absint_value v;
        struct absint_state st;
        struct absint_slot slot;

        if (!analyse(&t, "mov %r1, %r10\n"       /* 0 */
                         "add %r1, -256\n"       /* 1: p = buf */
                         "mov %r2, %r10\n"       /* 2: end */
                         "stb [%r1+0], 0\n"      /* 3: *p = 0 */
                         "add %r1, 1\n"          /* 4 */
                         "jlt %r1, %r2, -3\n"    /* 5: p < end */
                         "ldxdw %r0, [%r10-8]\n" /* 6: p == end */
                         "exit\n"))
                return;
        v = reg_at(&t, 3, 1);
        CHECKF(v.kind == ABSINT_PTR && v.region == ABSINT_STACK && v.s.smin == -256 &&
                   v.s.smax == -1,
               "p at the store: %s", log_at(&t, 3));
        v = reg_at(&t, 6, 1);
        CHECK(v.kind == ABSINT_PTR && v.region == ABSINT_STACK && scalar_is_const(&v.s) &&
              v.s.umin == 0);
        /* Stores inside the buffer leave the frame's other slots as they are. */
        CHECK(absint_state_at(t.a, 6, &st));
        CHECK(!st.rest_init);
        absint_slot_at(&st, -264, &slot);
        CHECK(slot.init == 0);
        absint_state_release(&st);
        done(&t);
}

/*
 * A pointer stepped through the context up to end = ctx + a 32-bit length,
 * with `if (p + 8 > end) break`: p < end inside the loop, p + 8 <= end past
 * the check. Its widened offset stops at a threshold, where comparisons
 * still teach.
 */
static void context_pointer_loop(void)
{
        struct analysed t;
        struct absint_value v;

        if (!analyse(&t, "ldxw %r2, [%r1+0]\n"  /* 0: len */
                         "mov %r3, %r1\n"       /* 1: p = ctx */
                         "add %r2, %r1\n"       /* 2: end = ctx + len */
                         "jge %r3, %r2, +6\n"   /* 3: loop head: p >= end: out */
                         "mov %r4, %r3\n"       /* 4 */
                         "add %r4, 8\n"         /* 5 */
                         "jgt %r4, %r2, +3\n"   /* 6: p + 8 > end: out */
                         "ldxdw %r0, [%r3+0]\n" /* 7 */
                         "mov %r3, %r4\n"       /* 8 */
                         "ja -7\n"              /* 9 */
                         "mov %r0, 0\n"         /* 10 */
                         "exit\n"))
                return;
        v = reg_at(&t, 4, 3);
        CHECKF(v.kind == ABSINT_PTR && v.region == ABSINT_CTX && v.s.smin == 0 &&
                   v.s.umax < UINT32_MAX,
               "p inside the loop: %s", log_at(&t, 4));
        v = reg_at(&t, 7, 4);
        CHECKF(v.kind == ABSINT_PTR && v.region == ABSINT_CTX && v.s.smin == 8 &&
                   v.s.umax <= UINT32_MAX,
               "p + 8 past the check: %s", log_at(&t, 7));
        v = reg_at(&t, 7, 2);
        CHECK(v.kind == ABSINT_PTR && v.region == ABSINT_CTX && v.s.smin == 8 &&
              v.s.umax == UINT32_MAX);
        done(&t);
}

/*
 * Calls close cycles no backward jump does: f's result feeds its next
 * call's argument, so what f's entry is passed grows with f's summary. The
 * analysis widens at a sub-program's entry after enough calls changed it,
 * and settles (it ran out of visits before).
 */
static void call_cycle(void)
{
        struct analysed t;
        struct absint_value v;

        if (!analyse(&t, "mov %r1, 0\n"    /* 0 */
                         "call local +4\n" /* 1: f(0) */
                         "mov %r1, %r0\n"  /* 2 */
                         "call local +2\n" /* 3: f(f(0)) */
                         "exit\n"          /* 4 */
                         "exit\n"          /* 5 */
                         "mov %r0, %r1\n"  /* 6: f(x) = x + 1 */
                         "add %r0, 1\n"    /* 7 */
                         "exit\n"))
                return;
        v = reg_at(&t, 4, 0);
        CHECKF(v.kind == ABSINT_SCALAR && scalar_contains(&v.s, 2), "f(f(0)): %s", log_at(&t, 4));
        done(&t);
}

/*
 * Rooms: values bounded by the context's size. A loop over the context in
 * steps of 256, whose head checks off + 512 <= size: off and the address
 * ctx + off have 512 bytes of room, so a 4-byte load at +508 lies inside
 * the context and one at +509 may not; a size check and a constant offset;
 * a step that may wrap keeps no room.
 */
static void context_size_rooms(void)
{
        struct analysed t;
        struct absint_value v;

        if (!analyse(&t, "mov %r3, 0\n"          /* 0: off */
                         "mov %r4, %r3\n"        /* 1: loop head */
                         "add %r4, 512\n"        /* 2 */
                         "jgt %r4, %r2, +6\n"    /* 3: off + 512 > size: out */
                         "mov %r5, %r1\n"        /* 4 */
                         "add %r5, %r3\n"        /* 5: ctx + off */
                         "ldxw %r0, [%r5+508]\n" /* 6: inside */
                         "ldxw %r0, [%r5+509]\n" /* 7: maybe not */
                         "add %r3, 256\n"        /* 8 */
                         "ja -9\n"               /* 9 */
                         "mov %r0, 0\n"          /* 10 */
                         "exit\n"))
                return;
        v = reg_at(&t, 6, 3);
        CHECKF(v.has_room && v.room == 512, "off: %s", log_at(&t, 6));
        v = reg_at(&t, 6, 5);
        CHECKF(v.kind == ABSINT_PTR && v.has_room && v.room == 512, "ctx + off: %s", log_at(&t, 6));
        CHECK_CONTAINS(log_at(&t, 6), "<=size-512");
        CHECKF(t.p.mem && t.p.mem[6].base == MEM_BASE_CTX && t.p.mem[6].inside,
               "insn 6: base %d inside %d", t.p.mem ? t.p.mem[6].base : -1,
               t.p.mem ? t.p.mem[6].inside : -1);
        CHECK(t.p.mem && t.p.mem[7].base == MEM_BASE_CTX && !t.p.mem[7].inside);
        v = reg_at(&t, 1, 2);
        CHECK(v.has_room && v.room == 0);
        done(&t);

        if (!analyse(&t, "jlt %r2, 34, +4\n"    /* 0: size < 34: out */
                         "ldxb %r0, [%r1+33]\n" /* 1: inside */
                         "ldxb %r0, [%r1+34]\n" /* 2: maybe not */
                         "mov %r3, 30\n"        /* 3 */
                         "exit\n"               /* 4 */
                         "mov %r0, 0\n"         /* 5 */
                         "exit\n"))
                return;
        CHECK_CONTAINS(log_at(&t, 1), " size>=34");
        CHECK(t.p.mem && t.p.mem[1].inside && !t.p.mem[2].inside);
        v = reg_at(&t, 4, 3);
        CHECKF(v.has_room && v.room == 4, "a constant's room: %s", log_at(&t, 4));
        done(&t);

        /* The loop's offset kept in a stack slot: the fill is a copy, linked through the slot. */
        if (!analyse(&t, "stxdw [%r10-8], %r2\n"  /* 0: the size, spilled */
                         "mov %r3, 0\n"           /* 1 */
                         "stxdw [%r10-16], %r3\n" /* 2: off */
                         "ldxdw %r3, [%r10-16]\n" /* 3: loop head */
                         "mov %r4, %r3\n"         /* 4 */
                         "add %r4, 64\n"          /* 5 */
                         "ldxdw %r2, [%r10-8]\n"  /* 6 */
                         "jgt %r4, %r2, +7\n"     /* 7: off + 64 > size: out */
                         "ldxdw %r5, [%r10-16]\n" /* 8: off again, from its slot */
                         "add %r5, %r1\n"         /* 9 */
                         "ldxdw %r0, [%r5+56]\n"  /* 10: inside */
                         "ldxdw %r3, [%r10-16]\n" /* 11 */
                         "add %r3, 64\n"          /* 12 */
                         "stxdw [%r10-16], %r3\n" /* 13 */
                         "ja -12\n"               /* 14 */
                         "mov %r0, 0\n"           /* 15 */
                         "exit\n"))
                return;
        v = reg_at(&t, 10, 5);
        CHECKF(v.kind == ABSINT_PTR && v.has_room && v.room >= 64,
               "ctx + off, off from its slot: %s", log_at(&t, 10));
        CHECK(t.p.mem && t.p.mem[10].base == MEM_BASE_CTX && t.p.mem[10].inside);
        done(&t);

        /*
         * size - 8 may wrap below 0; size + 2^31 - 1 may not (contexts are
         * smaller than 2^62); a product keeps nothing.
         */
        if (!analyse(&t, "mov %r3, %r2\n"        /* 0 */
                         "add %r3, -8\n"         /* 1 */
                         "mov %r4, %r2\n"        /* 2 */
                         "add %r4, 0x7fffffff\n" /* 3 */
                         "mov %r5, %r2\n"        /* 4 */
                         "mul %r5, 1\n"          /* 5 */
                         "mov %r0, 0\n"          /* 6 */
                         "exit\n"))
                return;
        CHECKF(!reg_at(&t, 6, 3).has_room, "size - 8: %s", log_at(&t, 6));
        v = reg_at(&t, 6, 4);
        CHECKF(v.has_room && v.room == -0x7fffffff, "size + 2^31 - 1: %s", log_at(&t, 6));
        CHECK(!reg_at(&t, 6, 5).has_room);
        done(&t);
}

/*
 * What pointer comparisons do not teach: the order of offsets that may wrap
 * (a frame address plus anything), of addresses of different objects.
 * Equal addresses still have equal offsets.
 */
static void pointer_compare_limits(void)
{
        struct analysed t;
        struct absint_value v;
        struct absint_state st;

        if (!analyse(&t, "mov %r0, 0\n"         /* 0 */
                         "ldxdw %r2, [%r1+0]\n" /* 1 */
                         "mov %r3, %r10\n"      /* 2 */
                         "add %r3, %r2\n"       /* 3: fp + anything */
                         "mov %r4, %r10\n"      /* 4 */
                         "add %r4, -8\n"        /* 5 */
                         "jlt %r3, %r4, +3\n"   /* 6: may wrap: nothing learnt */
                         "jeq %r3, %r4, +1\n"   /* 7 */
                         "exit\n"               /* 8 */
                         "exit\n"               /* 9: r3 == fp-8 */
                         "jlt %r1, %r4, +1\n"   /* 10: ctx and frame: nothing learnt */
                         "exit\n"               /* 11 */
                         "exit\n"))
                return;
        v = reg_at(&t, 7, 3);
        CHECK(v.kind == ABSINT_PTR && v.s.smin == INT64_MIN && v.s.smax == INT64_MAX);
        v = reg_at(&t, 10, 3);
        CHECK(v.kind == ABSINT_PTR && v.s.smin == INT64_MIN && v.s.smax == INT64_MAX);
        v = reg_at(&t, 9, 3);
        CHECK(v.kind == ABSINT_PTR && v.region == ABSINT_STACK && scalar_is_const(&v.s) &&
              (int64_t)v.s.umin == -8);
        CHECK(absint_state_at(t.a, 11, &st));
        absint_state_release(&st);
        CHECK(absint_state_at(t.a, 12, &st));
        CHECK(st.reg[4].kind == ABSINT_PTR && scalar_is_const(&st.reg[4].s));
        absint_state_release(&st);
        done(&t);
}

/*
 * `if (p + 8 > end) break` where only the copy p + 8 is compared: p learns
 * it too (a copy of one address moved by a constant is linked to it). A
 * call ends the link.
 */
static void linked_copies(void)
{
        struct analysed t;
        struct absint_value v;

        if (!analyse(&t, "ldxw %r2, [%r1+0]\n"  /* 0: len */
                         "mov %r3, %r1\n"       /* 1: p = ctx */
                         "add %r2, %r1\n"       /* 2: end = ctx + len */
                         "mov %r4, %r3\n"       /* 3: loop head */
                         "add %r4, 8\n"         /* 4 */
                         "jgt %r4, %r2, +3\n"   /* 5: p + 8 > end: out */
                         "ldxdw %r0, [%r3+0]\n" /* 6 */
                         "add %r3, 8\n"         /* 7 */
                         "ja -6\n"              /* 8 */
                         "mov %r0, 0\n"         /* 9 */
                         "exit\n"))
                return;
        v = reg_at(&t, 6, 3);
        CHECKF(v.kind == ABSINT_PTR && v.region == ABSINT_CTX && v.s.smin == 0 &&
                   v.s.umax <= UINT32_MAX - 8,
               "p past the check: %s", log_at(&t, 6));
        v = reg_at(&t, 6, 4);
        CHECK(v.kind == ABSINT_PTR && v.region == ABSINT_CTX && v.s.smin == 8 &&
              v.s.umax <= UINT32_MAX);
        done(&t);

        if (!analyse(&t, "ldxdw %r2, [%r1+0]\n" /* 0 */
                         "and %r2, 255\n"       /* 1 */
                         "mov %r6, %r10\n"      /* 2 */
                         "add %r6, -256\n"      /* 3 */
                         "add %r6, %r2\n"       /* 4: fp-256 + [0, 255] */
                         "mov %r7, %r6\n"       /* 5: linked */
                         "add %r7, 8\n"         /* 6 */
                         "call 7\n"             /* 7: get_prandom_u32 ends the link */
                         "mov %r8, %r10\n"      /* 8 */
                         "add %r8, -100\n"      /* 9 */
                         "mov %r0, 0\n"         /* 10 */
                         "jgt %r7, %r8, +1\n"   /* 11 */
                         "exit\n"               /* 12: r7 <= fp-100 */
                         "exit\n"))
                return;
        v = reg_at(&t, 12, 7);
        CHECK(v.kind == ABSINT_PTR && v.s.smin == -248 && v.s.smax == -100);
        v = reg_at(&t, 12, 6);
        CHECK(v.kind == ABSINT_PTR && v.s.smin == -256 && v.s.smax == -1);
        done(&t);
}

/* Register `reg` before `insn` is a number in the signed range [lo, hi]. */
static bool in_srange(const struct analysed *t, size_t insn, unsigned reg, int64_t lo, int64_t hi)
{
        struct absint_value v = reg_at(t, insn, reg);

        return v.kind == ABSINT_SCALAR && !v.maybe_uninit && v.s.smin == lo && v.s.smax == hi;
}

/*
 * A copy of a number moved by constants is linked to it, as the kernel
 * links scalars: `j = i + 1; if (j s> 1)` bounds i. Steps wrap modulo 2^64
 * and the link stays exact. Any other write ends it.
 */
static void linked_scalars(void)
{
        static const char *const unlinking[] = {
            "lsh %r8, 1\n",         /* another operation on the copy */
            "add32 %r8, 1\n",       /* a 32-bit step (it zero-extends) */
            "add %r8, %r2\n",       /* a step of unknown size */
            "ldxdw %r5, [%r1+8]\n", /* the original overwritten */
            "mov %r8, %r2\n",       /* the copy overwritten */
        };
        struct analysed t;
        char text[512];

        /* The shape of an insertion sort's inner loop: j = i; j += 1; if j s> 1 */
        if (!analyse(&t, "ldxdw %r5, [%r1+0]\n" /* 0: unknown */
                         "mov %r8, %r5\n"       /* 1: linked */
                         "add %r8, 1\n"         /* 2 */
                         "jsgt %r8, 1, +2\n"    /* 3 */
                         "mov %r0, 0\n"         /* 4 */
                         "exit\n"               /* 5 */
                         "mov %r0, %r5\n"       /* 6: r5 s> 0 */
                         "exit\n"))
                return;
        CHECKF(in_srange(&t, 6, 5, 1, INT64_MAX - 1), "%s", log_at(&t, 6));
        CHECK(in_srange(&t, 6, 8, 2, INT64_MAX));
        done(&t);

        /* A copy that wraps below 0 for some originals: unsigned r8 < 20 is r5 in [10, 29]. */
        if (!analyse(&t, "ldxb %r5, [%r1+0]\n" /* 0: [0, 255] */
                         "mov %r8, %r5\n"      /* 1 */
                         "sub %r8, 4\n"        /* 2 */
                         "add %r8, -6\n"       /* 3: r5 - 10, wraps when r5 < 10 */
                         "mov %r0, 0\n"        /* 4 */
                         "jlt %r8, 20, +1\n"   /* 5 */
                         "exit\n"              /* 6 */
                         "mov %r0, %r5\n"      /* 7: r5 in [10, 29] */
                         "exit\n"))
                return;
        CHECKF(in_srange(&t, 7, 5, 10, 29), "%s", log_at(&t, 7));
        CHECK(in_srange(&t, 6, 5, 0, 255)); /* the other edge: r5 < 10 or r5 >= 30 */
        done(&t);

        /* Refining the original refines the copy the other way. */
        if (!analyse(&t, "ldxdw %r5, [%r1+0]\n" /* 0 */
                         "and %r5, 1023\n"      /* 1 */
                         "mov %r8, %r5\n"       /* 2 */
                         "add %r8, 100\n"       /* 3 */
                         "mov %r0, 0\n"         /* 4 */
                         "jgt %r5, 9, +1\n"     /* 5 */
                         "mov %r0, %r8\n"       /* 6: r8 in [100, 109] */
                         "exit\n"))
                return;
        CHECKF(in_srange(&t, 6, 8, 100, 109), "%s", log_at(&t, 6));
        done(&t);

        /* A call ends every link (code it runs may run the copying instruction again). */
        if (!analyse(&t, "ldxdw %r6, [%r1+0]\n" /* 0 */
                         "mov %r7, %r6\n"       /* 1 */
                         "add %r7, 1\n"         /* 2 */
                         "call 7\n"             /* 3 */
                         "jsgt %r7, 1, +1\n"    /* 4 */
                         "exit\n"               /* 5 */
                         "mov %r0, %r6\n"       /* 6 */
                         "exit\n"))
                return;
        CHECK(in_srange(&t, 6, 6, INT64_MIN, INT64_MAX));
        done(&t);

        for (size_t i = 0; i < sizeof(unlinking) / sizeof(*unlinking); i++) {
                snprintf(text, sizeof(text),
                         "ldxdw %%r5, [%%r1+0]\n" /* 0 */
                         "ldxdw %%r2, [%%r1+8]\n" /* 1 */
                         "mov %%r8, %%r5\n"       /* 2 */
                         "add %%r8, 1\n"          /* 3 */
                         "%s"                     /* 4: ends the link */
                         "jsgt %%r8, 1, +2\n"     /* 5 */
                         "mov %%r0, 0\n"          /* 6 */
                         "exit\n"                 /* 7 */
                         "mov %%r0, %%r5\n"       /* 8 */
                         "exit\n",
                         unlinking[i]);
                if (!analyse(&t, text))
                        return;
                CHECKF(in_srange(&t, 8, 5, INT64_MIN, INT64_MAX), "after %s%s", unlinking[i],
                       log_at(&t, 8));
                done(&t);
        }
}

/* Whether slot fp + off holds a spilled context pointer before `insn`. */
static bool ctx_spilled(const struct analysed *t, size_t insn, int32_t off)
{
        struct absint_state st;
        struct absint_slot slot;
        bool spilled = false;

        if (absint_state_at(t->a, insn, &st)) {
                absint_slot_at(&st, off, &slot);
                spilled = slot.spill && slot.v.kind == ABSINT_PTR && slot.v.region == ABSINT_CTX;
        }
        absint_state_release(&st);
        return spilled;
}

/*
 * A frame address given to a helper: memory it only reads keeps what the
 * frame holds; memory it writes is forgotten where the signature bounds
 * it, from its start to the frame's top when the size is not known.
 */
static void helper_frame_args(void)
{
        static const struct bpfaot_reloc reloc = {
            .insn = 4, .kind = BPFAOT_RELOC_MAP, .name = "m", .data_sec = 0};
        static const struct bpfaot_map_desc maps[] = {
            {.name = "m", .type = 1, .key_size = 8, .value_size = 8, .max_entries = 4},
        };
        struct analysed t;
        struct absint_value v;

        if (!analyse_prog(&t,
                          "stxdw [%r10-8], %r1\n"  /* 0 */
                          "stxdw [%r10-16], %r1\n" /* 1 */
                          "stxdw [%r10-24], %r1\n" /* 2 */
                          "stxdw [%r10-40], %r1\n" /* 3 */
                          "lddw %r1, 0\n"          /* 4: the map */
                          "mov %r2, %r10\n"        /* 6 */
                          "add %r2, -8\n"          /* 7: key (read) */
                          "mov %r3, %r10\n"        /* 8 */
                          "add %r3, -16\n"         /* 9: value (read) */
                          "mov %r4, 0\n"           /* 10 */
                          "call 2\n"               /* 11: map_update_elem */
                          "mov %r1, %r10\n"        /* 12 */
                          "add %r1, -40\n"         /* 13 */
                          "mov %r2, 8\n"           /* 14 */
                          "mov %r3, 0\n"           /* 15 */
                          "call 4\n"               /* 16: probe_read(fp-40, 8, 0) */
                          "ldxdw %r6, [%r10-40]\n" /* 17 */
                          "ldxdw %r2, [%r10-8]\n"  /* 18 */
                          "and %r2, 7\n"           /* 19 */
                          "mov %r1, %r10\n"        /* 20 */
                          "add %r1, -24\n"         /* 21 */
                          "mov %r3, 0\n"           /* 22 */
                          "call 4\n"               /* 23: probe_read(fp-24, [0, 7], 0) */
                          "mov %r1, %r10\n"        /* 24 */
                          "add %r1, -24\n"         /* 25 */
                          "ldxdw %r2, [%r10-16]\n" /* 26: a number now */
                          "mov %r3, 0\n"           /* 27 */
                          "call 4\n"               /* 28: probe_read(fp-24, anything, 0) */
                          "mov %r0, 0\n"           /* 29 */
                          "exit\n",
                          &reloc, 1, maps, 1))
                return;
        for (int32_t off = -8; off >= -40; off -= 8)
                CHECKF(ctx_spilled(&t, 12, off) == (off != -32), "fp%d after map_update_elem", off);
        for (int32_t off = -8; off >= -32; off -= 8)
                CHECKF(ctx_spilled(&t, 17, off) == (off != -32), "fp%d after probe_read", off);
        CHECK(!ctx_spilled(&t, 17, -40));
        v = reg_at(&t, 18, 6);
        CHECK(v.kind == ABSINT_SCALAR);
        CHECK(ctx_spilled(&t, 24, -8) && ctx_spilled(&t, 24, -16) && !ctx_spilled(&t, 24, -24));
        CHECK(ctx_spilled(&t, 29, -40) == false && !ctx_spilled(&t, 29, -8) &&
              !ctx_spilled(&t, 29, -16));
        CHECK_STR_EQ(log_at(&t, 29), "R0=scalar() R6=scalar() R10=fp0 fp-8=mmmmmmmm "
                                     "fp-16=mmmmmmmm fp-24=mmmmmmmm fp-40=mmmmmmmm");
        done(&t);
}

/*
 * A frame address given to a local call: a callee that only reads through
 * it leaves the caller's frame as it was; one that writes through any
 * address of a caller's frame (or a number) makes the caller forget it.
 */
static void local_call_frame_args(void)
{
        struct analysed t;

        if (!analyse(&t, "stxdw [%r10-8], %r1\n"  /* 0 */
                         "stxdw [%r10-16], %r1\n" /* 1 */
                         "mov %r1, %r10\n"        /* 2 */
                         "add %r1, -16\n"         /* 3 */
                         "call local +4\n"        /* 4: reads only */
                         "mov %r1, %r10\n"        /* 5 */
                         "add %r1, -16\n"         /* 6 */
                         "call local +4\n"        /* 7: writes */
                         "exit\n"                 /* 8 */
                         "ldxdw %r0, [%r1+8]\n"   /* 9: reader */
                         "stdw [%r10-8], 1\n"     /* 10: its own frame */
                         "exit\n"                 /* 11 */
                         "stdw [%r1+8], 1\n"      /* 12: writer */
                         "mov %r0, 0\n"           /* 13 */
                         "exit\n"))
                return;
        CHECK(ctx_spilled(&t, 5, -8) && ctx_spilled(&t, 5, -16));
        CHECK(!ctx_spilled(&t, 8, -8) && !ctx_spilled(&t, 8, -16));
        done(&t);
}

/*
 * A frame address given to bpf_loop as its callback's context: a callback
 * that only reads it leaves the frame as it was; one that writes it makes
 * the caller forget the frame.
 */
static void callback_frame_args(void)
{
        struct analysed t;

        if (!analyse(&t, "stxdw [%r10-8], %r1\n"    /* 0 */
                         "stxdw [%r10-16], %r1\n"   /* 1 */
                         "mov %r1, 4\n"             /* 2 */
                         "lddw %r2, code_addr 14\n" /* 3: the reader */
                         "mov %r3, %r10\n"          /* 5 */
                         "add %r3, -16\n"           /* 6 */
                         "mov %r4, 0\n"             /* 7 */
                         "call 181\n"               /* 8: bpf_loop */
                         "mov %r1, 4\n"             /* 9 */
                         "lddw %r2, code_addr 10\n" /* 10: the writer */
                         "mov %r3, %r10\n"          /* 12 */
                         "add %r3, -16\n"           /* 13 */
                         "mov %r4, 0\n"             /* 14 */
                         "call 181\n"               /* 15 */
                         "mov %r0, 0\n"             /* 16 */
                         "exit\n"                   /* 17 */
                         "ldxdw %r0, [%r2+8]\n"     /* 18: reader */
                         "mov %r0, 0\n"             /* 19 */
                         "exit\n"                   /* 20 */
                         "stdw [%r2+8], 1\n"        /* 21: writer */
                         "mov %r0, 0\n"             /* 22 */
                         "exit\n"))
                return;
        CHECK(ctx_spilled(&t, 9, -8) && ctx_spilled(&t, 9, -16));
        CHECK(!ctx_spilled(&t, 16, -8) && !ctx_spilled(&t, 16, -16));
        done(&t);
}

int main(int argc, char **argv)
{
        uint64_t count = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000;
        uint64_t first = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;

        constants();
        bounds_check();
        loop_counter();
        threshold_widening();
        spill_fill();
        map_lookup();
        local_call();
        unreachable();
        unknown_frame_offsets();
        frame_pointer_loop();
        context_pointer_loop();
        pointer_compare_limits();
        linked_copies();
        linked_scalars();
        helper_frame_args();
        local_call_frame_args();
        callback_frame_args();
        context_size_rooms();
        call_cycle();
        soundness(first, count);
        room_soundness(first, count);
        return TEST_EXIT("absint");
}

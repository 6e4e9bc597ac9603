/* SPDX-License-Identifier: MIT */
/*
 * Differential test: random programs (gen.c) run by the reference
 * interpreter and by the compiler (object -> in-process loader), comparing
 * r0 and the final context memory.
 *
 *   diff_test [--interp-only] [-v] COUNT FIRST_SEED OPT_LEVEL
 *
 * --interp-only checks only the generator and the interpreter: every
 * program must validate and run without error. To reproduce a failure:
 * diff_test -v 1 <seed> <opt>.
 */
#define _GNU_SOURCE
#include "internal.h"
#include "gen.h"
#include "test_native.h"
#include "test_common.h"

#include "bpfaot/runtime.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_STEPS    10000000ull
#define MAX_REPORTED 5

struct options {
        uint64_t count, first_seed;
        int opt_level;
        uint64_t region_insns; /* --regions N: split sub-programs into regions of N insns */
        bool interp_only, verbose;
};

struct stats {
        uint64_t passed, failed;
        double t_interp, t_compile, t_native;
};

/* The seed being run, for the crash handler (a test program, not the library). */
static volatile sig_atomic_t crash_armed;
static uint64_t crash_seed;
static int crash_opt;

static void crash_handler(int sig)
{
        char buf[96], digits[24];
        size_t n = 0, d = 0;
        uint64_t v = crash_seed;
        const char *pre = "\ndiff_test: compiled code crashed on seed ";

        if (crash_armed) {
                memcpy(buf, pre, strlen(pre));
                n = strlen(pre);
                do
                        digits[d++] = (char)('0' + v % 10);
                while ((v /= 10) && d < sizeof(digits));
                while (d)
                        buf[n++] = digits[--d];
                buf[n++] = ' ';
                buf[n++] = '-';
                buf[n++] = 'O';
                buf[n++] = (char)('0' + crash_opt);
                buf[n++] = '\n';
                if (write(STDERR_FILENO, buf, n) < 0)
                        n = 0;
        }
        signal(sig, SIG_DFL);
        raise(sig);
}

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Symbols of compiled generated programs: the generated helpers, callx, libc. */
static uint64_t resolve(void *ctx, const char *name)
{
        bpfaot_helper_fn fn;
        uint32_t id;

        (void)ctx;
        if (strcmp(name, BPFAOT_CALLX_SYMBOL) == 0)
                return (uint64_t)(uintptr_t)&gen_callx;
        if (bpfaot_rt_parse_helper_symbol(name, &id) == 0) {
                fn = gen_helper_lookup(NULL, id);
                return fn ? (uint64_t)(uintptr_t)fn : 0;
        }
        return test_rt_resolve(NULL, name); /* memset, memcpy, ... */
}

static void report_header(uint64_t seed, const struct options *o, const struct gen_prog *gp,
                          const char *what)
{
        fprintf(stderr, "FAIL seed %" PRIu64 " (-O%d): %s\n", seed, o->opt_level, what);
        fprintf(stderr, "  reproduce: diff_test -v 1 %" PRIu64 " %d\n", seed, o->opt_level);
        fprintf(stderr, "  program (%zu slots, %zu bytes of context):\n", gp->insn_cnt,
                gp->mem_len);
        test_print_disasm(stderr, gp->insns, gp->insn_cnt);
}

static void report_mismatch(uint64_t seed, const struct options *o, const struct gen_prog *gp,
                            uint64_t r0_i, const uint8_t *mem_i, uint64_t r0_n,
                            const uint8_t *mem_n)
{
        report_header(seed, o, gp, "interpreter and compiled code disagree");
        fprintf(stderr, "  r0: interpreter 0x%016" PRIx64 ", compiled 0x%016" PRIx64 "%s\n", r0_i,
                r0_n, r0_i == r0_n ? "" : "  <-- differs");
        if (memcmp(mem_i, mem_n, gp->mem_len)) {
                fprintf(stderr, "  memory after the interpreter (* = differs):\n");
                test_print_mem(stderr, mem_i, mem_n, gp->mem_len);
                fprintf(stderr, "  memory after the compiled code:\n");
                test_print_mem(stderr, mem_n, mem_i, gp->mem_len);
        }
}

static int run_interp(const struct bpfaot_prog *prog, uint8_t *mem, size_t len, uint64_t *r0,
                      struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_interp_opts, opts, .helper = gen_helper_lookup,
                         .stack_size = GEN_STACK_SIZE, .max_steps = MAX_STEPS);
        return bpfaot_interp_run(prog, mem, len, &opts, r0, err);
}

/* Interpret on a copy of `init` placed `shift` bytes into a fresh buffer; result memory in `out`.
 */
static int interp_at(const struct bpfaot_prog *prog, const uint8_t *init, size_t len, size_t shift,
                     uint8_t *out, uint64_t *r0, struct bpfaot_error *err)
{
        uint8_t *buf = malloc(len + shift);
        int ret;

        if (!buf)
                return bpfaot_error_set(err, ENOMEM, "out of memory");
        memcpy(buf + shift, init, len);
        ret = run_interp(prog, buf + shift, len, r0, err);
        memcpy(out, buf + shift, len);
        free(buf);
        return ret;
}

static int run_native(const struct bpfaot_prog *prog, const struct options *o, uint8_t *mem,
                      size_t len, uint64_t *r0, struct bpfaot_error *err, struct stats *st)
{
        struct test_native native;
        double t0 = now();
        int ret = test_native_build(prog, o->opt_level, GEN_STACK_SIZE, (size_t)o->region_insns,
                                    resolve, NULL, &native, err);

        st->t_compile += now() - t0;
        if (ret)
                return ret;
        t0 = now();
        crash_armed = 1;
        *r0 = native.entry(mem, len);
        crash_armed = 0;
        st->t_native += now() - t0;
        test_native_free(&native);
        return 0;
}

/* One seed's program, its initial memory and the results of each engine. */
struct trial {
        uint64_t seed;
        struct gen_prog gp;
        struct bpfaot_prog prog;
        uint8_t *init, *mem_i, *mem_i2, *mem_n;
        uint64_t r0_i, r0_i2, r0_n;
        bool report; /* print details of a failure */
};

/*
 * The generator's promises: the program validates, runs without error, and
 * is deterministic. Run twice with the context (and the stack frames) at
 * other addresses: a pointer that leaked into data would change the results.
 */
static bool check_interp(struct trial *t, const struct options *o, struct stats *st)
{
        struct bpfaot_error err = {0};
        size_t len = t->gp.mem_len;
        double t0 = now();
        void *hold;
        int ret;

        ret = interp_at(&t->prog, t->init, len, 0, t->mem_i, &t->r0_i, &err);
        hold = malloc(BPFAOT_MAX_CALL_DEPTH * GEN_STACK_SIZE); /* moves the next run's frames */
        if (!ret)
                ret = interp_at(&t->prog, t->init, len, 40, t->mem_i2, &t->r0_i2, &err);
        free(hold);
        st->t_interp += now() - t0;
        if (ret) {
                if (t->report) {
                        report_header(t->seed, o, &t->gp,
                                      "the interpreter rejected a generated program");
                        fprintf(stderr, "  %s\n", err.msg);
                }
                return false;
        }
        if (t->r0_i != t->r0_i2 || memcmp(t->mem_i, t->mem_i2, len)) {
                if (t->report) {
                        report_header(t->seed, o, &t->gp,
                                      "generated program depends on addresses (a pointer leaked)");
                        fprintf(stderr, "  r0: 0x%" PRIx64 " vs 0x%" PRIx64 "\n", t->r0_i,
                                t->r0_i2);
                }
                return false;
        }
        return true;
}

/* The compiled program must give the interpreter's r0 and memory. */
static bool check_native(struct trial *t, const struct options *o, struct stats *st)
{
        struct bpfaot_error err = {0};
        size_t len = t->gp.mem_len;

        memcpy(t->mem_n, t->init, len);
        crash_seed = t->seed;
        if (run_native(&t->prog, o, t->mem_n, len, &t->r0_n, &err, st)) {
                if (t->report) {
                        report_header(t->seed, o, &t->gp, "compiling or loading failed");
                        fprintf(stderr, "  %s\n", err.msg);
                }
                return false;
        }
        if (o->verbose)
                printf("seed %" PRIu64 ": r0 interpreter 0x%" PRIx64 ", compiled 0x%" PRIx64 "\n",
                       t->seed, t->r0_i, t->r0_n);
        if (t->r0_i == t->r0_n && memcmp(t->mem_i, t->mem_n, len) == 0)
                return true;
        if (t->report)
                report_mismatch(t->seed, o, &t->gp, t->r0_i, t->mem_i, t->r0_n, t->mem_n);
        return false;
}

/* One seed: returns true when it passes. */
static bool check_seed(uint64_t seed, const struct options *o, struct stats *st)
{
        struct trial t = {.seed = seed, .report = st->failed < MAX_REPORTED};
        bool ok = false;
        size_t len;

        if (gen_program(seed, &t.gp)) {
                fprintf(stderr, "FAIL seed %" PRIu64 ": out of memory generating\n", seed);
                return false;
        }
        len = t.gp.mem_len;
        t.prog = (struct bpfaot_prog){.input = "diff_test",
                                      .name = "generated",
                                      .insns = t.gp.insns,
                                      .insn_cnt = t.gp.insn_cnt};
        if (o->verbose)
                test_print_disasm(stdout, t.gp.insns, t.gp.insn_cnt);
        t.init = malloc(len);
        t.mem_i = malloc(len);
        t.mem_i2 = malloc(len);
        t.mem_n = malloc(len);
        if (t.init && t.mem_i && t.mem_i2 && t.mem_n) {
                gen_fill_memory(seed, t.init, len);
                ok = check_interp(&t, o, st) && (o->interp_only || check_native(&t, o, st));
        } else {
                fprintf(stderr, "FAIL seed %" PRIu64 ": out of memory\n", seed);
        }
        free(t.init);
        free(t.mem_i);
        free(t.mem_i2);
        free(t.mem_n);
        gen_prog_free(&t.gp);
        return ok;
}

static int usage(void)
{
        fprintf(stderr, "usage: diff_test [--interp-only] [-v] [--regions N] COUNT FIRST_SEED OPT_LEVEL\n");
        return 2;
}

static bool parse_u64(const char *s, uint64_t *v)
{
        char *end;

        errno = 0;
        *v = strtoull(s, &end, 0);
        return *s && !*end && !errno;
}

static int parse_args(int argc, char **argv, struct options *o)
{
        const char *pos[3];
        int n = 0;
        uint64_t opt;
        bool ok = true;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--interp-only") == 0)
                        o->interp_only = true;
                else if (strcmp(argv[i], "-v") == 0)
                        o->verbose = true;
                else if (strcmp(argv[i], "--regions") == 0 && i + 1 < argc)
                        ok = parse_u64(argv[++i], &o->region_insns) && ok;
                else if (n < 3)
                        pos[n++] = argv[i];
                else
                        return -1;
        }
        if (!ok || n != 3 || !parse_u64(pos[0], &o->count) || !parse_u64(pos[1], &o->first_seed) ||
            !parse_u64(pos[2], &opt) || opt > 3)
                return -1;
        o->opt_level = (int)opt;
        return 0;
}

int main(int argc, char **argv)
{
        struct options o = {0};
        struct stats st = {0};
        double t0 = now();
        char mode[32];

        if (parse_args(argc, argv, &o))
                return usage();
        crash_opt = o.opt_level;
        signal(SIGSEGV, crash_handler);
        signal(SIGFPE, crash_handler);
        signal(SIGILL, crash_handler);
        signal(SIGBUS, crash_handler);
        for (uint64_t i = 0; i < o.count; i++) {
                if (check_seed(o.first_seed + i, &o, &st))
                        st.passed++;
                else
                        st.failed++;
        }
        if (o.interp_only)
                snprintf(mode, sizeof(mode), "interpreter only");
        else
                snprintf(mode, sizeof(mode), "-O%d", o.opt_level);
        printf("diff_test: %" PRIu64 " programs, seeds %" PRIu64 "..%" PRIu64 ", %s: %" PRIu64
               " passed, %" PRIu64 " failed (%.2fs: interpreter %.2fs, compile+load %.2fs, "
               "native %.3fs)\n",
               o.count, o.first_seed, o.first_seed + o.count - 1, mode, st.passed, st.failed,
               now() - t0, st.t_interp, st.t_compile, st.t_native);
        if (st.failed > MAX_REPORTED)
                printf("diff_test: only the first %d failures were printed\n", MAX_REPORTED);
        return st.failed ? 1 : 0;
}

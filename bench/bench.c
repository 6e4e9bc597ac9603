/* SPDX-License-Identifier: MIT */
/*
 * Runtime benchmark: every kernel in bench/kernels/ compiled three ways from
 * the same C source —
 *
 *   native   clang -O2 for the host, linked in directly;
 *   aot      clang -target bpf -O2 -mcpu=v3, then `bpf-aot build -O2` (generic
 *            CPU), the resulting native object linked in;
 *   aot-cpu  the same with `bpf-aot build --cpu native` (when configured);
 *   interp   the same eBPF object run by bpfaot_interp_run.
 *
 * All engines must return the same checksum on the same deterministic input;
 * any mismatch is reported and the program exits with status 1. Timings are
 * the best of several runs after a warm-up run.
 */
#define _GNU_SOURCE
#include "bench_input.h"
#include "bench_kernels.h" /* generated: BENCH_KERNELS(X), BENCH_HAVE_AOT_CPU, versions */

#include <bpfaot/bpfaot.h>

#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint64_t (*kernel_fn)(void *ctx, uint64_t size);

#define DECLARE(k)                                                                                 \
        uint64_t k##_native(void *ctx, uint64_t size);                                             \
        uint64_t k##_aot(void *ctx, uint64_t size);                                                \
        uint64_t k##_aot_sandbox(void *ctx, uint64_t size);                                        \
        extern const uint64_t k##_input_size;                                                      \
        extern const unsigned char bench_bpf_##k[];                                                \
        extern const unsigned long bench_bpf_##k##_len;
BENCH_KERNELS(DECLARE)
#undef DECLARE

#if BENCH_HAVE_AOT_CPU
#define DECLARE(k) uint64_t k##_aot_cpu(void *ctx, uint64_t size);
BENCH_KERNELS(DECLARE)
#undef DECLARE
#define AOT_CPU(k) k##_aot_cpu
#else
#define AOT_CPU(k) NULL
#endif

struct kernel {
        const char *name;
        kernel_fn native, aot, aot_cpu, sandbox;
        const uint64_t *input_size;
        const unsigned char *bpf;
        const unsigned long *bpf_len;
};

#define ENTRY(k)                                                                                   \
        {#k,                                                                                       \
         k##_native,                                                                               \
         k##_aot,                                                                                  \
         AOT_CPU(k),                                                                               \
         k##_aot_sandbox,                                                                          \
         &k##_input_size,                                                                          \
         bench_bpf_##k,                                                                            \
         &bench_bpf_##k##_len},
static const struct kernel kernels[] = {BENCH_KERNELS(ENTRY)};
#undef ENTRY
#define KERNEL_CNT (sizeof(kernels) / sizeof(kernels[0]))

enum engine { E_NATIVE, E_AOT, E_AOT_CPU, E_SANDBOX, E_INTERP, E_CNT };
static const char *const engine_names[E_CNT] = {"native", "aot", "aot-cpu", "sandbox", "interp"};

struct options {
        bool quick;
        bool no_interp;
        const char *filter;
        double budget_s; /* time spent measuring the compiled engines on one kernel */
        int min_reps, max_reps, interp_min_reps;
};

struct result {
        double ns[E_CNT]; /* best time of one run; < 0: not measured */
        char interp_note[160];
};

static volatile uint64_t sink;

static bool matches(const struct options *o, const char *name)
{
        return !o->filter || strstr(name, o->filter) != NULL;
}

/* ------------------------------------------------------------------ */
/* Measuring                                                           */
/* ------------------------------------------------------------------ */

struct runner {
        const struct kernel *k;
        int engine;
        kernel_fn fn;
        const struct bpfaot_prog *prog; /* interp */
        uint8_t *buf;
        size_t len;
        uint64_t expect;
        bool have_expect;
        bool failed;   /* mismatch */
        bool unusable; /* interp error: n/a */
        char note[160];
};

/* Run once; check the result. Returns false when the engine cannot be used or disagrees. */
static bool run_once(struct runner *r)
{
        uint64_t v;

        if (r->engine == E_INTERP) {
                struct bpfaot_error err = {0};
                BPFAOT_OPTS_INIT(bpfaot_interp_opts, iopts);
                int rc = bpfaot_interp_run(r->prog, r->buf, r->len, &iopts, &v, &err);
                if (rc) {
                        snprintf(r->note, sizeof(r->note), "%.150s",
                                 err.msg[0] ? err.msg : strerror(-rc));
                        r->unusable = true;
                        return false;
                }
        } else {
                v = r->fn(r->buf, r->len);
        }
        sink ^= v;
        if (!r->have_expect) {
                r->expect = v;
                r->have_expect = true;
        } else if (v != r->expect) {
                fprintf(stderr,
                        "bench: MISMATCH in %s: %s returned 0x%016llx, native returned 0x%016llx\n",
                        r->k->name, engine_names[r->engine], (unsigned long long)v,
                        (unsigned long long)r->expect);
                r->failed = true;
                return false;
        }
        return true;
}

/* Time one run; < 0 when the engine failed or disagreed. */
static double time_once(struct runner *r)
{
        double t0 = now_ns();
        if (!run_once(r))
                return -1;
        return now_ns() - t0;
}

/*
 * The compiled engines are timed in interleaved rounds (native, aot, aot-cpu,
 * rotating the order each round) so that load from other processes on the
 * machine hits all of them alike; each keeps its best time. A round runs
 * until min_reps rounds are done and then until the time budget is spent.
 */
static bool measure_compiled(const struct options *o, struct runner *r[], int n, double *best)
{
        double start = now_ns();
        int rounds = 0;

        for (int i = 0; i < n; i++)
                best[i] = INFINITY;
        while (rounds < o->min_reps ||
               (rounds < o->max_reps && now_ns() - start < o->budget_s * 1e9)) {
                for (int i = 0; i < n; i++) {
                        int j = (i + rounds) % n;
                        double t = time_once(r[j]);
                        if (t < 0)
                                return false;
                        if (t < best[j])
                                best[j] = t;
                }
                rounds++;
        }
        return true;
}

static int find_prog(const struct bpfaot_elf *elf, const char *name)
{
        for (size_t i = 0; i < elf->prog_cnt; i++)
                if (strcmp(elf->progs[i].name, name) == 0)
                        return (int)i;
        return -1;
}

/* Measure one kernel on every engine; returns false on a mismatch or a setup error. */
static bool bench_kernel(const struct options *o, const struct kernel *k, uint8_t *buf,
                         struct result *res)
{
        struct bpfaot_error err = {0};
        struct bpfaot_elf *elf = NULL;
        struct bpfaot_prog prog;
        size_t len = (size_t)*k->input_size;
        int idx;

        for (int e = 0; e < E_CNT; e++)
                res->ns[e] = -1;
        res->interp_note[0] = 0;
        fill_input(buf, len);

        if (bpfaot_elf__open_mem(k->bpf, (size_t)*k->bpf_len, k->name, &elf, &err)) {
                fprintf(stderr, "bench: %s: cannot read the embedded eBPF object: %s\n", k->name,
                        err.msg);
                return false;
        }
        idx = find_prog(elf, k->name);
        if (idx < 0) {
                fprintf(stderr, "bench: %s: no program named %s in its eBPF object\n", k->name,
                        k->name);
                bpfaot_elf__free(elf);
                return false;
        }
        bpfaot_elf__prog(elf, (size_t)idx, &prog);

        /* Warm up and check every engine once; native sets the expected result. */
        struct runner runners[E_CNT], *compiled[E_CNT];
        double best[E_CNT];
        int ncompiled = 0;
        bool ok = true;

        for (int e = 0; e < E_CNT; e++) {
                struct runner *r = &runners[e];

                *r = (struct runner){.k = k, .engine = e, .buf = buf, .len = len, .prog = &prog};
                r->fn = e == E_NATIVE    ? k->native
                        : e == E_AOT     ? k->aot
                        : e == E_SANDBOX ? k->sandbox
                                         : k->aot_cpu;
                if ((e == E_AOT_CPU && !k->aot_cpu) || (e == E_INTERP && o->no_interp))
                        continue;
                if (e != E_NATIVE) {
                        r->expect = runners[E_NATIVE].expect;
                        r->have_expect = true;
                }
                if (!run_once(r)) {
                        if (r->failed)
                                ok = false;
                        else if (r->unusable)
                                snprintf(res->interp_note, sizeof(res->interp_note), "%.150s",
                                         r->note);
                        continue;
                }
                if (e != E_INTERP)
                        compiled[ncompiled++] = r;
        }
        if (ok && !measure_compiled(o, compiled, ncompiled, best))
                ok = false;
        for (int i = 0; ok && i < ncompiled; i++)
                res->ns[compiled[i]->engine] = best[i];
        if (ok && !o->no_interp && !runners[E_INTERP].unusable) {
                double b = INFINITY;
                for (int i = 0; i < o->interp_min_reps; i++) {
                        double t = time_once(&runners[E_INTERP]);
                        if (t < 0)
                                break;
                        if (t < b)
                                b = t;
                }
                if (runners[E_INTERP].failed)
                        ok = false;
                else if (runners[E_INTERP].unusable)
                        snprintf(res->interp_note, sizeof(res->interp_note), "%.150s",
                                 runners[E_INTERP].note);
                else
                        res->ns[E_INTERP] = b;
        }
        bpfaot_elf__free(elf);
        return ok;
}

/* ------------------------------------------------------------------ */
/* Report                                                              */
/* ------------------------------------------------------------------ */

static void fmt_size(char *buf, size_t sz, uint64_t bytes)
{
        if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
                snprintf(buf, sz, "%llu MiB", (unsigned long long)(bytes >> 20));
        else if (bytes >= 1024 && bytes % 1024 == 0)
                snprintf(buf, sz, "%llu KiB", (unsigned long long)(bytes >> 10));
        else
                snprintf(buf, sz, "%llu B", (unsigned long long)bytes);
}

static void fmt_ns(char *buf, size_t sz, double ns)
{
        if (ns < 0)
                snprintf(buf, sz, "n/a");
        else
                snprintf(buf, sz, "%.0f", ns);
}

static void fmt_ratio(char *buf, size_t sz, double num, double den)
{
        if (num < 0 || den <= 0)
                snprintf(buf, sz, "n/a");
        else
                snprintf(buf, sz, "%.2f", num / den);
}

static void usage(FILE *out)
{
        fprintf(
            out,
            "Usage: bench [options]\n\n"
            "Time each kernel compiled natively (clang -O2), by bpf-aot (-O2, generic CPU\n"
            "and --cpu native) and run by the reference interpreter; check that all agree.\n\n"
            "Options:\n"
            "  --quick          one timed run per engine (a smoke test of the results)\n"
            "  --filter NAME    only kernels whose name contains NAME\n"
            "  --no-interp      skip the interpreter\n"
            "  --budget SEC     time spent timing the compiled engines per kernel (default 1.5)\n"
            "  --list           list the kernels and their input sizes\n"
            "  -h, --help       this help\n");
}

int main(int argc, char **argv)
{
        enum { O_QUICK = 256, O_FILTER, O_NO_INTERP, O_BUDGET, O_LIST };
        static const struct option lopts[] = {
            {"quick", no_argument, NULL, O_QUICK},
            {"filter", required_argument, NULL, O_FILTER},
            {"no-interp", no_argument, NULL, O_NO_INTERP},
            {"budget", required_argument, NULL, O_BUDGET},
            {"list", no_argument, NULL, O_LIST},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        struct options o = {.budget_s = 1.5, .min_reps = 5, .max_reps = 1000, .interp_min_reps = 3};
        struct result res[KERNEL_CNT];
        double log_sum[E_CNT] = {0};
        int log_cnt[E_CNT] = {0};
        size_t max_len = 0, selected = 0;
        bool list = false, ok = true;
        uint8_t *buf;
        char *end;
        int c;

        while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
                switch (c) {
                case O_QUICK:
                        o.quick = true;
                        break;
                case O_FILTER:
                        o.filter = optarg;
                        break;
                case O_NO_INTERP:
                        o.no_interp = true;
                        break;
                case O_BUDGET:
                        o.budget_s = strtod(optarg, &end);
                        if (*end || o.budget_s < 0) {
                                fprintf(stderr, "bench: --budget takes a number of seconds\n");
                                return 2;
                        }
                        break;
                case O_LIST:
                        list = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind != argc) {
                usage(stderr);
                return 2;
        }
        if (o.quick) {
                o.budget_s = 0;
                o.min_reps = o.max_reps = o.interp_min_reps = 1;
        }
        for (size_t i = 0; i < KERNEL_CNT; i++) {
                char sz[32];
                if (!matches(&o, kernels[i].name))
                        continue;
                selected++;
                if (*kernels[i].input_size > max_len)
                        max_len = (size_t)*kernels[i].input_size;
                if (list) {
                        fmt_size(sz, sizeof(sz), *kernels[i].input_size);
                        printf("%-15s %s\n", kernels[i].name, sz);
                }
        }
        if (list)
                return 0;
        if (!selected) {
                fprintf(stderr, "bench: no kernel matches '%s'\n", o.filter);
                return 2;
        }
        buf = aligned_alloc(64, (max_len + 63) / 64 * 64);
        if (!buf) {
                fprintf(stderr, "bench: out of memory\n");
                return 1;
        }

        printf("bpf-aot %s, LLVM %s; native and eBPF kernels: %s\n", BPFAOT_VERSION_STRING,
               BENCH_LLVM_VERSION, BENCH_CLANG_VERSION);
        printf("times: best of %s, in ns per run%s\n\n",
               o.quick ? "1 run (--quick: for checking results, not for timing)"
                       : "several runs after a warm-up",
               BENCH_HAVE_AOT_CPU ? "" : " (aot-cpu not configured)");
        printf("%-15s %8s %12s %12s %12s %12s %14s %8s %8s %8s %10s\n", "kernel", "input", "native",
               "aot", "aot-cpu", "sandbox", "interp", "aot/nat", "cpu/nat", "sbx/aot",
               "interp/nat");

        for (size_t i = 0; i < KERNEL_CNT; i++) {
                const struct kernel *k = &kernels[i];
                char sz[32], t[E_CNT][32], r[4][32];

                if (!matches(&o, k->name))
                        continue;
                if (!bench_kernel(&o, k, buf, &res[i])) {
                        ok = false;
                        continue;
                }
                for (int e = 0; e < E_CNT; e++)
                        fmt_ns(t[e], sizeof(t[e]), res[i].ns[e]);
                fmt_ratio(r[0], sizeof(r[0]), res[i].ns[E_AOT], res[i].ns[E_NATIVE]);
                fmt_ratio(r[1], sizeof(r[1]), res[i].ns[E_AOT_CPU], res[i].ns[E_NATIVE]);
                fmt_ratio(r[2], sizeof(r[2]), res[i].ns[E_INTERP], res[i].ns[E_NATIVE]);
                /* The sandbox's cost is against the same code unchecked. */
                fmt_ratio(r[3], sizeof(r[3]), res[i].ns[E_SANDBOX], res[i].ns[E_AOT]);
                fmt_size(sz, sizeof(sz), *k->input_size);
                printf("%-15s %8s %12s %12s %12s %12s %14s %8s %8s %8s %10s\n", k->name, sz,
                       t[E_NATIVE], t[E_AOT], t[E_AOT_CPU], t[E_SANDBOX], t[E_INTERP], r[0], r[1],
                       r[3], r[2]);
                fflush(stdout);
                for (int e = E_AOT; e < E_CNT; e++) {
                        enum engine base = e == E_SANDBOX ? E_AOT : E_NATIVE;

                        if (res[i].ns[e] > 0 && res[i].ns[base] > 0) {
                                log_sum[e] += log(res[i].ns[e] / res[i].ns[base]);
                                log_cnt[e]++;
                        }
                }
                if (res[i].interp_note[0])
                        fprintf(stderr, "bench: %s: interpreter n/a: %s\n", k->name,
                                res[i].interp_note);
        }
        {
                char g[E_CNT][32];
                for (int e = E_AOT; e < E_CNT; e++) {
                        if (log_cnt[e])
                                snprintf(g[e], sizeof(g[e]), "%.2f", exp(log_sum[e] / log_cnt[e]));
                        else
                                snprintf(g[e], sizeof(g[e]), "n/a");
                }
                printf("%-15s %8s %12s %12s %12s %12s %14s %8s %8s %8s %10s\n", "geomean", "", "",
                       "", "", "", "", g[E_AOT], g[E_AOT_CPU], g[E_SANDBOX], g[E_INTERP]);
        }
        free(buf);
        if (!ok) {
                fprintf(stderr,
                        "bench: FAILED: engines disagree or a kernel could not be set up\n");
                return 1;
        }
        return 0;
}

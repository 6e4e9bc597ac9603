/* SPDX-License-Identifier: MIT */
/*
 * bench/'s kernels under ubpf (built from a ubpf source tree given with
 * -DBPF_AOT_BENCH_UBPF=<dir>; ubpf is not packaged for Debian): its
 * bounds-checked interpreter and its JIT, side by side with native C,
 * bpf-aot's plain code and bpf-aot's --sandbox code (bounds-checked, as
 * ubpf's interpreter is; ubpf's JIT checks nothing). Same inputs, same
 * programs (the kernels' eBPF objects, as bench runs them), results checked
 * against native's. Times are the best of interleaved runs (see bench.c).
 */
#define _GNU_SOURCE
#include <bpfaot/bpfaot.h>
#include <ubpf.h>

#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_input.h"
#include "bench_kernels.h" /* generated: BENCH_KERNELS(X) */

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

struct kernel {
        const char *name;
        kernel_fn native, aot, sandbox;
        const uint64_t *input_size;
        const unsigned char *bpf;
        const unsigned long *bpf_len;
};

#define ENTRY(k)                                                                                   \
        {#k,                                                                                       \
         k##_native,                                                                               \
         k##_aot,                                                                                  \
         k##_aot_sandbox,                                                                          \
         &k##_input_size,                                                                          \
         bench_bpf_##k,                                                                            \
         &bench_bpf_##k##_len},
static const struct kernel kernels[] = {BENCH_KERNELS(ENTRY)};
#undef ENTRY
#define KERNEL_CNT (sizeof(kernels) / sizeof(kernels[0]))

enum engine { E_NATIVE, E_AOT, E_SANDBOX, E_UBPF_JIT, E_UBPF_INTERP, E_CNT };
static const char *const engine_names[E_CNT] = {"native", "aot", "sandbox", "ubpf-jit",
                                                "ubpf-interp"};

struct engine_run {
        kernel_fn fn;             /* native, aot, sandbox */
        ubpf_jit_fn jit;          /* ubpf-jit */
        const struct ubpf_vm *vm; /* ubpf-interp */
};

static volatile uint64_t sink;

static bool run_engine(const struct engine_run *e, int which, uint8_t *buf, size_t len, uint64_t *v)
{
        if (which == E_UBPF_INTERP)
                return ubpf_exec(e->vm, buf, len, v) == 0;
        *v = which == E_UBPF_JIT ? e->jit(buf, len) : e->fn(buf, len);
        return true;
}

/* The kernel's eBPF program as raw bytecode, for ubpf_load. */
static int load_ubpf(const struct kernel *k, struct ubpf_vm **out)
{
        struct bpfaot_error err = {0};
        struct bpfaot_elf *elf = NULL;
        struct bpfaot_prog prog;
        struct ubpf_vm *vm = NULL;
        char *msg = NULL;
        void *code = NULL;
        int ret = -1;

        if (bpfaot_elf__open_mem(k->bpf, (size_t)*k->bpf_len, k->name, &elf, &err)) {
                fprintf(stderr, "ubpf_compare: %s: %s\n", k->name, err.msg);
                return -1;
        }
        for (size_t i = 0; i < elf->prog_cnt; i++)
                if (strcmp(elf->progs[i].name, k->name) == 0)
                        bpfaot_elf__prog(elf, i, &prog);
        code = malloc(prog.insn_cnt * 8);
        vm = ubpf_create();
        if (!code || !vm)
                goto out;
        bpfaot_encode(prog.insns, prog.insn_cnt, code);
        if (ubpf_load(vm, code, (uint32_t)(prog.insn_cnt * 8), &msg) < 0) {
                fprintf(stderr, "ubpf_compare: %s: ubpf_load: %s\n", k->name, msg ? msg : "?");
                goto out;
        }
        *out = vm;
        vm = NULL;
        ret = 0;
out:
        free(msg);
        if (vm)
                ubpf_destroy(vm);
        free(code);
        bpfaot_elf__free(elf);
        return ret;
}

int main(int argc, char **argv)
{
        double budget_s = 1.5, log_sum[E_CNT] = {0};
        int log_cnt[E_CNT] = {0}, min_reps = 5;
        const char *filter = NULL;
        size_t max_len = 0;
        uint8_t *buf;
        bool ok = true;
        int c;

        static const struct option lopts[] = {{"quick", no_argument, NULL, 'q'},
                                              {"filter", required_argument, NULL, 'f'},
                                              {"budget", required_argument, NULL, 'b'},
                                              {NULL, 0, NULL, 0}};
        while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
                if (c == 'q') {
                        budget_s = 0;
                        min_reps = 1;
                } else if (c == 'f') {
                        filter = optarg;
                } else if (c == 'b') {
                        budget_s = atof(optarg);
                } else {
                        fprintf(stderr,
                                "usage: ubpf_compare [--quick] [--filter NAME] [--budget SEC]\n");
                        return 2;
                }
        }
        for (size_t i = 0; i < KERNEL_CNT; i++)
                if (*kernels[i].input_size > max_len)
                        max_len = (size_t)*kernels[i].input_size;
        buf = malloc(max_len);
        if (!buf)
                return 1;
        printf("times: best of several interleaved runs, ns per run; ratios against native\n\n");
        printf("%-10s %12s %12s %12s %12s %14s %8s %8s %9s %9s\n", "kernel", "native", "aot",
               "sandbox", "ubpf-jit", "ubpf-interp", "aot", "sandbox", "ubpf-jit", "ubpf-int");
        for (size_t i = 0; i < KERNEL_CNT; i++) {
                const struct kernel *k = &kernels[i];
                size_t len = (size_t)*k->input_size;
                struct engine_run e = {0};
                struct ubpf_vm *vm = NULL;
                double best[E_CNT], start;
                uint64_t want = 0, v;
                char *msg = NULL;
                int rounds = 0;

                if (filter && !strstr(k->name, filter))
                        continue;
                if (load_ubpf(k, &vm)) {
                        ok = false;
                        continue;
                }
                e.vm = vm;
                e.jit = ubpf_compile(vm, &msg);
                if (!e.jit) {
                        fprintf(stderr, "ubpf_compare: %s: ubpf_compile: %s\n", k->name,
                                msg ? msg : "?");
                        free(msg);
                        ubpf_destroy(vm);
                        ok = false;
                        continue;
                }
                fill_input(buf, len);
                want = k->native(buf, len);
                for (int w = 0; w < E_CNT; w++)
                        best[w] = INFINITY;
                start = now_ns();
                while (rounds < min_reps || now_ns() - start < budget_s * 1e9) {
                        for (int j = 0; j < E_CNT; j++) {
                                int w = (j + rounds) % E_CNT;
                                struct engine_run r = e;
                                double t0;

                                r.fn = w == E_NATIVE ? k->native : w == E_AOT ? k->aot : k->sandbox;
                                /* The interpreter is slow: a fifth of the rounds after the first.
                                 */
                                if (w == E_UBPF_INTERP && rounds > 0 && rounds % 5)
                                        continue;
                                t0 = now_ns();
                                if (!run_engine(&r, w, buf, len, &v)) {
                                        fprintf(stderr, "ubpf_compare: %s: %s failed\n", k->name,
                                                engine_names[w]);
                                        ok = false;
                                        goto next;
                                }
                                t0 = now_ns() - t0;
                                sink ^= v;
                                if (v != want) {
                                        fprintf(
                                            stderr,
                                            "ubpf_compare: MISMATCH in %s: %s returned 0x%016llx, "
                                            "native 0x%016llx\n",
                                            k->name, engine_names[w], (unsigned long long)v,
                                            (unsigned long long)want);
                                        ok = false;
                                        goto next;
                                }
                                if (t0 < best[w])
                                        best[w] = t0;
                        }
                        rounds++;
                }
                printf("%-10s %12.0f %12.0f %12.0f %12.0f %14.0f %8.2f %8.2f %9.2f %9.2f\n",
                       k->name, best[E_NATIVE], best[E_AOT], best[E_SANDBOX], best[E_UBPF_JIT],
                       best[E_UBPF_INTERP], best[E_AOT] / best[E_NATIVE],
                       best[E_SANDBOX] / best[E_NATIVE], best[E_UBPF_JIT] / best[E_NATIVE],
                       best[E_UBPF_INTERP] / best[E_NATIVE]);
                for (int w = E_AOT; w < E_CNT; w++) {
                        log_sum[w] += log(best[w] / best[E_NATIVE]);
                        log_cnt[w]++;
                }
        next:
                ubpf_destroy(vm);
        }
        if (log_cnt[E_AOT])
                printf("%-10s %12s %12s %12s %12s %14s %8.2f %8.2f %9.2f %9.2f\n", "geomean", "",
                       "", "", "", "", exp(log_sum[E_AOT] / log_cnt[E_AOT]),
                       exp(log_sum[E_SANDBOX] / log_cnt[E_SANDBOX]),
                       exp(log_sum[E_UBPF_JIT] / log_cnt[E_UBPF_JIT]),
                       exp(log_sum[E_UBPF_INTERP] / log_cnt[E_UBPF_INTERP]));
        free(buf);
        return ok ? 0 : 1;
}

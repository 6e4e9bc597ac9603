/* SPDX-License-Identifier: MIT */
/*
 * bpfaot_compile from several threads at once (as `bpf-aot build -j`
 * does): every thread's object is byte for byte the one a lone call makes,
 * and the first calls of a process may race (target registration).
 */
#include "bpfaot/bpfaot.h"
#include "gen.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGS   12
#define THREADS 4

static struct gen_prog progs[PROGS];
static struct bpfaot_buf alone[PROGS];
static struct bpfaot_buf threaded[THREADS][PROGS];
static atomic_int failures;

static int compile(size_t i, struct bpfaot_buf *out)
{
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, o, .optimize = i % 2 ? BPFAOT_O2 : BPFAOT_O0);
        struct bpfaot_prog p = {
            .input = "gen", .name = "prog", .insns = progs[i].insns, .insn_cnt = progs[i].insn_cnt};
        struct bpfaot_error err = {0};

        if (bpfaot_compile(&p, &o, out, &err)) {
                fprintf(stderr, "FAIL: program %zu: %s\n", i, err.msg);
                return -1;
        }
        return 0;
}

/* Each thread compiles every program, starting at a different one. */
static void *worker(void *arg)
{
        size_t t = (size_t)(uintptr_t)arg;

        for (size_t k = 0; k < PROGS; k++) {
                size_t i = (t + k) % PROGS;

                if (compile(i, &threaded[t][i]))
                        atomic_fetch_add(&failures, 1);
        }
        return NULL;
}

int main(void)
{
        pthread_t threads[THREADS];
        int bad = 0;

        for (size_t i = 0; i < PROGS; i++)
                if (gen_program(1000 + i, &progs[i])) {
                        fprintf(stderr, "FAIL: out of memory\n");
                        return 1;
                }
        /* Threads first: the first compiles of the process start together. */
        for (size_t t = 0; t < THREADS; t++)
                if (pthread_create(&threads[t], NULL, worker, (void *)(uintptr_t)t)) {
                        fprintf(stderr, "FAIL: pthread_create\n");
                        return 1;
                }
        for (size_t t = 0; t < THREADS; t++)
                pthread_join(threads[t], NULL);
        if (atomic_load(&failures))
                return 1;
        for (size_t i = 0; i < PROGS; i++) {
                if (compile(i, &alone[i]))
                        return 1;
                for (size_t t = 0; t < THREADS; t++)
                        if (threaded[t][i].len != alone[i].len ||
                            memcmp(threaded[t][i].data, alone[i].data, alone[i].len) != 0) {
                                fprintf(stderr,
                                        "FAIL: program %zu: thread %zu's object (%zu bytes) is not "
                                        "the lone compile's (%zu bytes)\n",
                                        i, t, threaded[t][i].len, alone[i].len);
                                bad++;
                        }
        }
        for (size_t i = 0; i < PROGS; i++) {
                bpfaot_buf_free(&alone[i]);
                for (size_t t = 0; t < THREADS; t++)
                        bpfaot_buf_free(&threaded[t][i]);
                gen_prog_free(&progs[i]);
        }
        if (bad)
                return 1;
        printf("ok: %d programs compiled by %d threads at once, each object identical to a lone "
               "compile's\n",
               PROGS, THREADS);
        return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * bpfaot_compile from several threads at once (as `bpf-aot build -j`
 * does): every thread's object is byte for byte the one a lone call makes,
 * and the first calls of a process may race (target registration). Each
 * thread also compiles every program in parts on threads of its own
 * (bpfaot_compile_opts.threads and part_insns): the object is the one one
 * thread makes of the same parts. Half the threads share one pool of
 * target machines (bpfaot_compile_opts.targets), which hands a machine to
 * one compile at a time and must not change any object.
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
static struct bpfaot_buf alone_parts[PROGS];
static struct bpfaot_buf threaded_parts[THREADS][PROGS];
static atomic_int failures;
static struct bpfaot_targets *shared_targets;

/*
 * parts: cut into parts of 16 LLVM instructions, compiled on `parts` threads;
 * targets: the pool of target machines, or NULL.
 */
static int compile(size_t i, unsigned parts, struct bpfaot_targets *targets, struct bpfaot_buf *out)
{
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, o, .optimize = i % 2 ? BPFAOT_O2 : BPFAOT_O0,
                         .part_insns = parts ? 16 : 0, .threads = parts, .targets = targets);
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
        struct bpfaot_targets *targets = t % 2 ? NULL : shared_targets;

        for (size_t k = 0; k < PROGS; k++) {
                size_t i = (t + k) % PROGS;

                if (compile(i, 0, targets, &threaded[t][i]) ||
                    compile(i, 3, targets, &threaded_parts[t][i]))
                        atomic_fetch_add(&failures, 1);
        }
        return NULL;
}

int main(void)
{
        pthread_t threads[THREADS];
        struct bpfaot_error err = {0};
        int bad = 0;

        if (bpfaot_targets__new(&shared_targets, &err)) {
                fprintf(stderr, "FAIL: bpfaot_targets__new: %s\n", err.msg);
                return 1;
        }
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
        bpfaot_targets__free(shared_targets);
        if (atomic_load(&failures))
                return 1;
        for (size_t i = 0; i < PROGS; i++) {
                if (compile(i, 0, NULL, &alone[i]) || compile(i, 1, NULL, &alone_parts[i]))
                        return 1;
                for (size_t t = 0; t < THREADS; t++) {
                        if (threaded[t][i].len != alone[i].len ||
                            memcmp(threaded[t][i].data, alone[i].data, alone[i].len) != 0) {
                                fprintf(stderr,
                                        "FAIL: program %zu: thread %zu's object (%zu bytes) is not "
                                        "the lone compile's (%zu bytes)\n",
                                        i, t, threaded[t][i].len, alone[i].len);
                                bad++;
                        }
                        if (threaded_parts[t][i].len != alone_parts[i].len ||
                            memcmp(threaded_parts[t][i].data, alone_parts[i].data,
                                   alone_parts[i].len) != 0) {
                                fprintf(stderr,
                                        "FAIL: program %zu: thread %zu's object of parts on 3 "
                                        "threads (%zu bytes) is not that of one thread (%zu "
                                        "bytes)\n",
                                        i, t, threaded_parts[t][i].len, alone_parts[i].len);
                                bad++;
                        }
                }
        }
        /* The parts were real: some program's object in parts is not its whole module's. */
        size_t split = 0;
        for (size_t i = 0; i < PROGS; i++)
                split += alone_parts[i].len != alone[i].len ||
                         memcmp(alone_parts[i].data, alone[i].data, alone[i].len) != 0;
        if (!split) {
                fprintf(stderr, "FAIL: no program was compiled in parts\n");
                bad++;
        }
        for (size_t i = 0; i < PROGS; i++) {
                bpfaot_buf_free(&alone[i]);
                bpfaot_buf_free(&alone_parts[i]);
                for (size_t t = 0; t < THREADS; t++) {
                        bpfaot_buf_free(&threaded[t][i]);
                        bpfaot_buf_free(&threaded_parts[t][i]);
                }
                gen_prog_free(&progs[i]);
        }
        if (bad)
                return 1;
        printf("ok: %d programs compiled by %d threads at once, half of them sharing target "
               "machines, each object identical to a lone compile's, whole and in parts on 3 "
               "threads more\n",
               PROGS, THREADS);
        return 0;
}

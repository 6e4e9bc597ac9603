/* SPDX-License-Identifier: MIT */
/*
 * Runs the programs of percpu.bpf.c through its skeleton from more threads
 * than there are (virtual) CPUs, all pinned to one real CPU, so that the
 * threads share the CPU sched_getcpu() reports. Every run must have its
 * CPU's copies to itself: sums over all CPUs are exact, the per-CPU scratch
 * buffer is never written by another run, bpf_get_smp_processor_id() is
 * below the CPU count and agrees with the copy lookups give, and a tail call
 * stays on its caller's CPU. Prints one "ok <what>" line per check; on the
 * first failure prints "FAIL <what>: ..." and exits 1.
 */
#define _GNU_SOURCE
#include "percpu.aot.h"
#include "host_check.h"

#include <bpfaot/runtime.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>


#if defined(__SANITIZE_THREAD__)
#define RUNS 20000
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RUNS 20000
#endif
#endif
#ifndef RUNS
#define RUNS 100000 /* per thread */
#endif
#define OUTER_EVERY 8 /* every 8th run goes through outer's tail call */
#define EXTRA_THRS  3 /* threads beyond the CPU count */

/* As in percpu.bpf.c. */
struct run {
        uint32_t id, cpu, outer_cpu, bad;
};

static struct percpu_aot *skel;
static uint32_t ncpus;
static int pin_cpu;

static void *worker(void *arg)
{
        struct run r = {.id = (uint32_t)(uintptr_t)arg};
        cpu_set_t set;

        CPU_ZERO(&set);
        CPU_SET(pin_cpu, &set);
        CHECK("pin", pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0);
        for (uint32_t i = 0; i < RUNS; i++) {
                r.cpu = r.outer_cpu = UINT32_MAX;
                if (i % OUTER_EVERY == 0) {
                        CHECK("outer", percpu__outer(&r, sizeof(r)) == 0);
                        CHECK("tail call stays on the CPU", r.cpu == r.outer_cpu);
                } else {
                        CHECK("count", percpu__count(&r, sizeof(r)) == 0);
                }
                CHECK("smp_processor_id < ncpus", r.cpu < ncpus);
        }
        CHECK("each run has its CPU's copies to itself", r.bad == 0);
        return NULL;
}

/* The sum over CPUs of a per-CPU u64 value (libbpf's layout: 8 bytes per CPU). */
static uint64_t percpu_sum(struct bpfaot_map *m, uint32_t key)
{
        size_t n = bpfaot_map__value_copy_size(m) / sizeof(uint64_t);
        uint64_t *all = calloc(n, sizeof(uint64_t)), sum = 0;

        CHECK("copy size", all && n == ncpus);
        CHECK("lookup_copy", bpfaot_map__lookup_copy(m, &key, all) == 0);
        for (size_t i = 0; i < n; i++)
                sum += all[i];
        free(all);
        return sum;
}

static void choose_pin_cpu(void)
{
        cpu_set_t set;

        CHECK("affinity", sched_getaffinity(0, sizeof(set), &set) == 0);
        for (pin_cpu = 0; pin_cpu < CPU_SETSIZE && !CPU_ISSET(pin_cpu, &set); pin_cpu++)
                ;
        CHECK("affinity", pin_cpu < CPU_SETSIZE);
}

static void many_threads(void)
{
        uint32_t nthreads = ncpus + EXTRA_THRS;
        uint64_t runs = (uint64_t)nthreads * RUNS;
        uint64_t outers = (uint64_t)nthreads * ((RUNS + OUTER_EVERY - 1) / OUTER_EVERY);
        pthread_t *t = calloc(nthreads, sizeof(*t));

        CHECK("threads", t);
        for (uint32_t i = 0; i < nthreads; i++)
                CHECK("threads",
                      pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1)) == 0);
        for (uint32_t i = 0; i < nthreads; i++)
                CHECK("threads", pthread_join(t[i], NULL) == 0);
        free(t);
        puts("ok every run had its CPU's copies to itself");
        /* outer counts itself, then runs count: count ran once per run. */
        CHECK("PERCPU_ARRAY exact", percpu_sum(skel->maps.counts, 0) == runs);
        CHECK("PERCPU_ARRAY exact (outer)", percpu_sum(skel->maps.counts, 1) == outers);
        CHECK("PERCPU_HASH exact", percpu_sum(skel->maps.by_key, 7) == runs);
        CHECK("LRU_PERCPU_HASH exact", percpu_sum(skel->maps.lru_by_key, 7) == runs);
        printf("ok exact sums of plain increments from %u threads on one CPU\n", nthreads);
}

int main(void)
{
        uint32_t k = 0;
        uint64_t hits = 0;

        CHECK("open", percpu_aot__open(&skel) == 0);
        ncpus = bpfaot_rt_ncpus();
        CHECK("one CPU count", bpfaot_map__ncpus(skel->maps.counts) == ncpus);
        choose_pin_cpu();
        many_threads();
        /* A program without per-CPU maps holds no CPU; its CPU id is still in range. */
        CHECK("plain", percpu__plain(NULL, 0) < ncpus);
        CHECK("plain", bpfaot_map__lookup_copy(skel->maps.hits, &k, &hits) == 0 && hits == 1);
        CHECK("no CPU held after the runs", bpfaot_rt_cpu_held() == -1);
        puts("ok program without per-CPU maps");
        percpu_aot__destroy(skel);
        return 0;
}

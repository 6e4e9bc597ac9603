/* SPDX-License-Identifier: MIT */
/*
 * Cost of a helper call as compiled programs make it: a direct call of
 * _bpf_helper_ext_NNNN (the runtime's weak definition), in ns per call.
 * Also the same through callx (dispatch by id). Usage: helper_cost [ITERS]
 */
#include "bpfaot/maps.h"
#include "bpfaot/runtime.h"

#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

uint64_t _bpf_helper_ext_0001(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t _bpf_helper_ext_0005(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

#define U(p) ((uint64_t)(uintptr_t)(p))

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct bpfaot_map *make(uint32_t type, uint32_t entries)
{
        struct bpfaot_map_def def = {
            .name = "bench", .type = type, .key_size = 4, .value_size = 8, .max_entries = entries};
        struct bpfaot_map *m;

        if (bpfaot_map__create(&def, &m)) {
                fprintf(stderr, "helper_cost: cannot create map\n");
                exit(1);
        }
        return m;
}

static volatile uint64_t sink;

static void report(const char *what, double t0, double t1, long iters)
{
        printf("%-36s %8.2f ns/call\n", what, (t1 - t0) / (double)iters);
}

int main(int argc, char **argv)
{
        long iters = argc > 1 ? atol(argv[1]) : 10000000;
        const uint32_t entries = 1024;
        struct bpfaot_map *arr = make(BPF_MAP_TYPE_ARRAY, entries);
        struct bpfaot_map *hash = make(BPF_MAP_TYPE_HASH, entries);
        uint64_t acc = 0, val = 1;
        double t0;

        if (iters <= 0)
                iters = 1;
        for (uint32_t k = 0; k < entries; k++)
                if (bpfaot_map__update_elem(hash, &k, &val, BPF_ANY)) {
                        fprintf(stderr, "helper_cost: hash update failed\n");
                        return 1;
                }
        printf("helper_cost: %ld calls each, keys cycling over %u entries\n", iters, entries);

        t0 = now();
        for (long i = 0; i < iters; i++) {
                uint32_t k = (uint32_t)i & (entries - 1);
                acc += _bpf_helper_ext_0001(U(arr), U(&k), 0, 0, 0);
        }
        report("map_lookup_elem ARRAY", t0, now(), iters);

        t0 = now();
        for (long i = 0; i < iters; i++) {
                uint32_t k = (uint32_t)i & (entries - 1);
                acc += _bpf_helper_ext_0001(U(hash), U(&k), 0, 0, 0);
        }
        report("map_lookup_elem HASH", t0, now(), iters);

        t0 = now();
        for (long i = 0; i < iters; i++)
                acc += _bpf_helper_ext_0005(0, 0, 0, 0, 0);
        report("ktime_get_ns", t0, now(), iters);

        t0 = now();
        for (long i = 0; i < iters; i++) {
                uint32_t k = (uint32_t)i & (entries - 1);
                acc += bpfaot_rt_callx(1, U(arr), U(&k), 0, 0, 0);
        }
        report("map_lookup_elem ARRAY via callx", t0, now(), iters);

        sink = acc;
        bpfaot_map__free(arr);
        bpfaot_map__free(hash);
        return 0;
}

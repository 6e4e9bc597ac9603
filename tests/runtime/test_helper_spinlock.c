/* SPDX-License-Identifier: MIT */
/*
 * bpf_spin_lock/bpf_spin_unlock: four threads increment a counter in an
 * ARRAY map value under the value's struct bpf_spin_lock; the total is exact.
 */
#include "check.h"
#include "helper_decls.h"

#include "bpfaot/maps.h"

#include <linux/bpf.h>
#include <pthread.h>

#define THREADS 4
#define ITERS   100000

struct value {
        struct bpf_spin_lock lock;
        uint32_t pad;
        uint64_t counter; /* plain, non-atomic: only the lock protects it */
        uint64_t shadow;  /* must always equal counter when read under the lock */
};

static void *worker(void *arg)
{
        struct bpfaot_map *map = arg;
        uint32_t key = 0;

        for (int i = 0; i < ITERS; i++) {
                struct value *v =
                    (struct value *)(uintptr_t)_bpf_helper_ext_0001(U(map), U(&key), 0, 0, 0);
                CHECK(v != NULL);
                CHECK_EQ(_bpf_helper_ext_0093(U(&v->lock), 0, 0, 0, 0), 0);
                CHECK_EQ(v->counter, v->shadow);
                v->counter++;
                v->shadow++;
                CHECK_EQ(_bpf_helper_ext_0094(U(&v->lock), 0, 0, 0, 0), 0);
        }
        return NULL;
}

int main(void)
{
        struct bpfaot_map_def def = {.name = "locked",
                                     .type = BPF_MAP_TYPE_ARRAY,
                                     .key_size = 4,
                                     .value_size = sizeof(struct value),
                                     .max_entries = 1};
        struct bpfaot_map *map;
        pthread_t t[THREADS];
        uint32_t key = 0;
        struct value *v;

        CHECK_EQ(sizeof(struct bpf_spin_lock), 4);
        CHECK_EQ(bpfaot_map__create(&def, &map), 0);
        for (int i = 0; i < THREADS; i++)
                CHECK(pthread_create(&t[i], NULL, worker, map) == 0);
        for (int i = 0; i < THREADS; i++)
                CHECK(pthread_join(t[i], NULL) == 0);
        v = bpfaot_map__lookup_elem(map, &key);
        CHECK_EQ(v->counter, (uint64_t)THREADS * ITERS);
        CHECK_EQ(v->shadow, (uint64_t)THREADS * ITERS);
        CHECK_EQ(v->lock.val, 0);
        bpfaot_map__free(map);
        printf("helper_spinlock: ok\n");
        return 0;
}

/* SPDX-License-Identifier: MIT */
/* HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH: flags, errors, iteration, LRU order. */
#include "check.h"

#include <bpfaot/maps.h>
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

struct key {
        uint32_t a;
        uint16_t b; /* 6-byte key: not a multiple of 8 */
} __attribute__((packed));

static struct key K(uint32_t i) {
        struct key k = {.a = i * 2654435761u, .b = (uint16_t)i};
        return k;
}

static void
test_hash(uint32_t type)
{
        struct bpfaot_map_def def = {
            .type = type, .key_size = sizeof(struct key), .value_size = 8, .max_entries = 100};
        struct bpfaot_map *m;
        struct key k, next;
        uint64_t v, *p;
        uint8_t seen[100] = {0};
        uint32_t i, cnt = 0;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        k = K(1);
        CHECK(!bpfaot_map__lookup_elem(m, &k));
        CHECK_EQ(bpfaot_map__get_next_key(m, NULL, &next), -ENOENT);
        CHECK_EQ(bpfaot_map__delete_elem(m, &k), -ENOENT);
        v = 10;
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_EXIST), -ENOENT);
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, 4), -EINVAL);
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_NOEXIST), 0);
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_NOEXIST), -EEXIST);
        p = bpfaot_map__lookup_elem(m, &k);
        CHECK(p && *p == 10);
        v = 11;
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_EXIST), 0);
        CHECK_EQ(*p, 11); /* updated in place */
        v = 12;
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_ANY), 0);
        CHECK_EQ(*(uint64_t *)bpfaot_map__lookup_elem(m, &k), 12);
        v = 0;
        CHECK_EQ(bpfaot_map__lookup_copy(m, &k, &v), 0);
        CHECK_EQ(v, 12);
        CHECK_EQ(bpfaot_map__delete_elem(m, &k), 0);
        CHECK(!bpfaot_map__lookup_elem(m, &k));
        CHECK_EQ(bpfaot_map__lookup_copy(m, &k, &v), -ENOENT);
        CHECK_EQ(bpfaot_map__delete_elem(m, &k), -ENOENT);

        /* Fill: the 101st new key is -E2BIG; existing keys still update. */
        for (i = 0; i < 100; i++) {
                k = K(i);
                v = i;
                CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_NOEXIST), 0);
        }
        k = K(100);
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_ANY), -E2BIG);
        k = K(5);
        v = 500;
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_ANY), 0);
        CHECK_EQ(*(uint64_t *)bpfaot_map__lookup_elem(m, &k), 500);

        /* Iteration visits each key once. */
        CHECK_EQ(bpfaot_map__get_next_key(m, NULL, &next), 0);
        do {
                i = next.b;
                CHECK(i < 100);
                CHECK_EQ(memcmp(&next, &(struct key){K(i).a, K(i).b}, sizeof(next)), 0);
                CHECK_EQ(seen[i], 0);
                seen[i] = 1;
                cnt++;
                k = next;
        } while (bpfaot_map__get_next_key(m, &k, &next) == 0);
        CHECK_EQ(cnt, 100);
        /* A missing key restarts from the first key. */
        k = K(1000);
        CHECK_EQ(bpfaot_map__get_next_key(m, &k, &next), 0);

        /* Delete half, re-insert into the freed slots. */
        for (i = 0; i < 100; i += 2) {
                k = K(i);
                CHECK_EQ(bpfaot_map__delete_elem(m, &k), 0);
        }
        for (i = 100; i < 150; i++) {
                k = K(i);
                v = i;
                CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_NOEXIST), 0);
        }
        k = K(150);
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_NOEXIST), -E2BIG);
        for (i = 1; i < 150; i += (i < 100 ? 2 : 1)) {
                k = K(i);
                CHECK_EQ(bpfaot_map__lookup_copy(m, &k, &v), 0);
                CHECK_EQ(v, i == 5 ? 500 : i);
        }
        bpfaot_map__free(m);
}

static void test_percpu_hash(uint32_t type)
{
        struct bpfaot_map_def def = {
            .type = type, .key_size = 4, .value_size = 4, .max_entries = 4};
        struct bpfaot_map *m;
        uint32_t k = 7, v = 9, ncpus, cpu, n = 0, *all, *p;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        ncpus = bpfaot_map__ncpus(m);
        all = calloc(ncpus, 8);
        CHECK(all);
        CHECK_EQ(bpfaot_map__value_copy_size(m), 8 * ncpus);
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_NOEXIST), 0);
        CHECK_EQ(bpfaot_map__lookup_copy(m, &k, all), 0);
        for (cpu = 0; cpu < ncpus; cpu++) { /* this CPU's copy is 9, the others zero */
                CHECK(all[2 * cpu] == 9 || all[2 * cpu] == 0);
                n += all[2 * cpu] == 9;
        }
        CHECK_EQ(n, 1);
        for (cpu = 0; cpu < ncpus; cpu++)
                all[2 * cpu] = cpu + 1;
        CHECK_EQ(bpfaot_map__update_copy(m, &k, all, BPF_EXIST), 0);
        memset(all, 0xff, 8 * ncpus);
        CHECK_EQ(bpfaot_map__lookup_copy(m, &k, all), 0);
        for (cpu = 0; cpu < ncpus; cpu++) {
                CHECK_EQ(all[2 * cpu], cpu + 1);
                CHECK_EQ(all[2 * cpu + 1], 0); /* padding zeroed */
        }
        p = bpfaot_map__lookup_elem(m, &k);
        CHECK(p && *p >= 1 && *p <= ncpus);
        CHECK_EQ(bpfaot_map__delete_elem(m, &k), 0);
        CHECK(!bpfaot_map__lookup_elem(m, &k));
        free(all);
        bpfaot_map__free(m);
}

static void test_lru(uint32_t type)
{
        struct bpfaot_map_def def = {
            .type = type, .key_size = 4, .value_size = 4, .max_entries = 4};
        struct bpfaot_map *m;
        uint32_t k, v, i, next, cnt;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        for (k = 1; k <= 4; k++)
                CHECK_EQ(bpfaot_map__update_elem(m, &k, &k, BPF_NOEXIST), 0);
        /* Full: a new key evicts the least recently used (1). */
        k = 5;
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &k, BPF_NOEXIST), 0);
        k = 1;
        CHECK(!bpfaot_map__lookup_elem(m, &k));
        /* Use 2 (lookup) and 3 (update): 4 is now the LRU, then 5. */
        k = 2;
        CHECK(bpfaot_map__lookup_elem(m, &k));
        k = 3;
        v = 33;
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_EXIST), 0);
        k = 6;
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &k, BPF_ANY), 0);
        k = 4;
        CHECK(!bpfaot_map__lookup_elem(m, &k));
        k = 7;
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &k, BPF_ANY), 0);
        k = 5;
        CHECK(!bpfaot_map__lookup_elem(m, &k));
        for (k = 2; k <= 7; k++) {
                if (k == 4 || k == 5)
                        continue;
                CHECK(bpfaot_map__lookup_elem(m, &k));
        }
        /* Flags keep their meaning. */
        k = 2;
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &k, BPF_NOEXIST), -EEXIST);
        k = 99;
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &k, BPF_EXIST), -ENOENT);
        /* Deleting frees a slot: no eviction for the next insert. */
        k = 6;
        CHECK_EQ(bpfaot_map__delete_elem(m, &k), 0);
        k = 8;
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &k, BPF_NOEXIST), 0);
        cnt = 0;
        for (i = 0, k = 0; bpfaot_map__get_next_key(m, i ? &k : NULL, &next) == 0; i++) {
                CHECK(next == 2 || next == 3 || next == 7 || next == 8);
                cnt++;
                k = next;
        }
        CHECK_EQ(cnt, 4);
        /* Many more inserts than entries: always exactly max_entries present. */
        for (k = 100; k < 1000; k++)
                CHECK_EQ(bpfaot_map__update_elem(m, &k, &k, BPF_NOEXIST), 0);
        for (k = 996; k < 1000; k++) {
                CHECK(bpfaot_map__lookup_elem(m, &k));
        }
        cnt = 0;
        for (i = 0; bpfaot_map__get_next_key(m, i ? &k : NULL, &next) == 0; i++) {
                CHECK(next >= 996 && next < 1000);
                cnt++;
                k = next;
        }
        CHECK_EQ(cnt, 4);
        bpfaot_map__free(m);
}

int main(void)
{
        test_hash(BPF_MAP_TYPE_HASH);
        test_percpu_hash(BPF_MAP_TYPE_PERCPU_HASH);
        test_percpu_hash(BPF_MAP_TYPE_LRU_PERCPU_HASH);
        test_lru(BPF_MAP_TYPE_LRU_HASH);
        test_lru(BPF_MAP_TYPE_LRU_PERCPU_HASH);
        printf("ok\n");
        return 0;
}

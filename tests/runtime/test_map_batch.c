/* SPDX-License-Identifier: MIT */
/*
 * bpfaot_map__lookup_and_delete_elem() on hash maps (plain, PERCPU, LRU),
 * QUEUE and STACK, and the types without it; bpfaot_map__lookup_batch() over
 * a hash map, an array and an LPM trie, batch by batch until -ENOENT.
 */
#include "check.h"

#include <bpfaot/maps.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

static struct bpfaot_map *make(uint32_t type, uint32_t key, uint32_t value, uint32_t max,
                               uint32_t flags)
{
        struct bpfaot_map_def def = {.type = type,
                                     .key_size = key,
                                     .value_size = value,
                                     .max_entries = max,
                                     .map_flags = flags};
        struct bpfaot_map *m = NULL;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        return m;
}

static void test_lookup_and_delete(void)
{
        static const uint32_t hashes[] = {BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH,
                                          BPF_MAP_TYPE_PERCPU_HASH};
        struct bpfaot_map *m;
        uint32_t k, v;

        for (size_t t = 0; t < sizeof(hashes) / sizeof(hashes[0]); t++) {
                size_t copy;
                uint64_t *all;

                m = make(hashes[t], 4, 8, 16, 0);
                copy = bpfaot_map__value_copy_size(m);
                all = calloc(1, copy);
                CHECK(all);
                for (k = 0; k < 10; k++) {
                        memset(all, 0, copy);
                        all[0] = k * 100;
                        CHECK_EQ(bpfaot_map__update_copy(m, &k, all, BPF_NOEXIST), 0);
                }
                k = 3;
                memset(all, 0xff, copy);
                CHECK_EQ(bpfaot_map__lookup_and_delete_elem(m, &k, all, 1), -EINVAL);
                CHECK_EQ(bpfaot_map__lookup_and_delete_elem(m, &k, all, 0), 0);
                CHECK_EQ(all[0], 300);
                for (size_t i = 1; i < copy / 8; i++)
                        CHECK_EQ(all[i], 0); /* PERCPU: every CPU's copy */
                CHECK(!bpfaot_map__lookup_elem(m, &k));
                CHECK_EQ(bpfaot_map__lookup_and_delete_elem(m, &k, all, 0), -ENOENT);
                k = 4;
                CHECK(bpfaot_map__lookup_elem(m, &k)); /* the others stay */
                free(all);
                bpfaot_map__free(m);
        }

        m = make(BPF_MAP_TYPE_QUEUE, 0, 4, 4, 0);
        for (v = 1; v <= 3; v++)
                CHECK_EQ(bpfaot_map__push_elem(m, &v, 0), 0);
        CHECK_EQ(bpfaot_map__lookup_and_delete_elem(m, &k, &v, 0), -EINVAL); /* no key */
        CHECK_EQ(bpfaot_map__lookup_and_delete_elem(m, NULL, &v, 0), 0);
        CHECK_EQ(v, 1);
        bpfaot_map__free(m);
        m = make(BPF_MAP_TYPE_STACK, 0, 4, 4, 0);
        CHECK_EQ(bpfaot_map__lookup_and_delete_elem(m, NULL, &v, 0), -ENOENT);
        for (v = 1; v <= 3; v++)
                CHECK_EQ(bpfaot_map__push_elem(m, &v, 0), 0);
        CHECK_EQ(bpfaot_map__lookup_and_delete_elem(m, NULL, &v, 0), 0);
        CHECK_EQ(v, 3);
        CHECK_EQ(bpfaot_map__lookup_and_delete_elem(m, NULL, &v, 0), 0);
        CHECK_EQ(v, 2);
        bpfaot_map__free(m);
        m = make(BPF_MAP_TYPE_ARRAY, 4, 4, 4, 0);
        k = 0;
        CHECK_EQ(bpfaot_map__lookup_and_delete_elem(m, &k, &v, 0), -ENOTSUP);
        bpfaot_map__free(m);
}

/*
 * Read the whole map in batches of `per` through one batch variable (in and
 * out), as libbpf users do. Returns how many elements came; each key's value
 * must be key * 3 and each key is seen once.
 */
static uint32_t read_batches(struct bpfaot_map *m, uint32_t per, uint32_t key_size,
                             uint32_t (*key_id)(const void *), uint8_t *seen, uint32_t nseen)
{
        uint8_t batch[8], keys[64 * 8];
        uint32_t values[64], total = 0, count;
        bool first = true;
        int rc;

        do {
                count = per;
                rc = bpfaot_map__lookup_batch(m, first ? NULL : batch, batch, keys, values, &count);
                CHECK(rc == 0 || rc == -ENOENT);
                CHECK(count <= per);
                CHECK(rc == -ENOENT || count == per);
                for (uint32_t i = 0; i < count; i++) {
                        uint32_t id = key_id(keys + i * key_size);

                        CHECK(id < nseen);
                        CHECK_EQ(seen[id], 0);
                        seen[id] = 1;
                        CHECK_EQ(values[i], id * 3);
                }
                total += count;
                first = false;
        } while (rc == 0);
        return total;
}

static uint32_t u32_id(const void *k)
{
        uint32_t v;
        memcpy(&v, k, 4);
        return v;
}

/* LPM keys here: prefixlen 32, data = the id in network order. */
static uint32_t lpm_id(const void *k)
{
        const uint8_t *d = (const uint8_t *)k + 4;
        return (uint32_t)d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3];
}

static void test_batch(void)
{
        uint8_t seen[200];
        struct bpfaot_map *m;
        uint32_t k, v, count;
        uint8_t batch[8];

        m = make(BPF_MAP_TYPE_HASH, 4, 4, 256, 0);
        for (k = 0; k < 150; k += 1) {
                v = k * 3;
                CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, 0), 0);
        }
        for (uint32_t per = 1; per <= 64; per += 21) {
                memset(seen, 0, sizeof(seen));
                CHECK_EQ(read_batches(m, per, 4, u32_id, seen, 200), 150);
        }
        count = 0; /* nothing asked: nothing done */
        CHECK_EQ(bpfaot_map__lookup_batch(m, NULL, batch, NULL, NULL, &count), 0);
        CHECK_EQ(count, 0);
        count = 4;
        CHECK_EQ(bpfaot_map__lookup_batch(m, NULL, NULL, &k, &v, &count), -EINVAL);
        bpfaot_map__free(m);

        m = make(BPF_MAP_TYPE_ARRAY, 4, 4, 50, 0);
        for (k = 0; k < 50; k++) {
                v = k * 3;
                CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, 0), 0);
        }
        memset(seen, 0, sizeof(seen));
        CHECK_EQ(read_batches(m, 16, 4, u32_id, seen, 200), 50);
        bpfaot_map__free(m);

        m = make(BPF_MAP_TYPE_LPM_TRIE, 8, 4, 100, BPF_F_NO_PREALLOC);
        for (uint32_t id = 0; id < 90; id++) {
                uint8_t key[8] = {32, 0, 0, 0, 0, 0, (uint8_t)(id >> 8), (uint8_t)id};

                v = id * 3;
                CHECK_EQ(bpfaot_map__update_elem(m, key, &v, 0), 0);
        }
        memset(seen, 0, sizeof(seen));
        CHECK_EQ(read_batches(m, 7, 8, lpm_id, seen, 200), 90);
        bpfaot_map__free(m);

        m = make(BPF_MAP_TYPE_QUEUE, 0, 4, 4, 0);
        count = 1;
        CHECK_EQ(bpfaot_map__lookup_batch(m, NULL, batch, &k, &v, &count), -ENOTSUP);
        bpfaot_map__free(m);
}

int main(void)
{
        test_lookup_and_delete();
        test_batch();
        return 0;
}

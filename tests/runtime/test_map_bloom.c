/* SPDX-License-Identifier: MIT */
/*
 * BLOOM_FILTER: creation rules, no false negatives, a false-positive rate
 * that follows the number of hash functions (map_extra), the operations it
 * refuses, host access, and concurrent pushes.
 */
#include "check.h"

#include <bpfaot/maps.h>
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>

static struct bpfaot_map *make(uint32_t key_size, uint32_t value_size, uint32_t max, uint32_t flags,
                               uint32_t extra, int *err)
{
        struct bpfaot_map_def def = {.type = BPF_MAP_TYPE_BLOOM_FILTER,
                                     .key_size = key_size,
                                     .value_size = value_size,
                                     .max_entries = max,
                                     .map_flags = flags,
                                     .map_extra = extra};
        struct bpfaot_map *m = NULL;

        *err = bpfaot_map__create(&def, &m);
        return m;
}

static void test_create(void)
{
        int err;

        CHECK(!make(4, 8, 100, 0, 0, &err));
        CHECK_EQ(err, -EINVAL); /* no keys */
        CHECK(!make(0, 0, 100, 0, 0, &err));
        CHECK_EQ(err, -EINVAL);
        CHECK(!make(0, 8, 0, 0, 0, &err));
        CHECK_EQ(err, -EINVAL);
        CHECK(!make(0, 8, 100, 0, 16, &err));
        CHECK_EQ(err, -EINVAL); /* only the low 4 bits of map_extra mean something */
        CHECK(!make(0, 8, 100, BPF_F_NO_PREALLOC, 0, &err));
        CHECK_EQ(err, -EINVAL);
        CHECK(!make(0, (4u << 20) + 1, 100, 0, 0, &err));
        CHECK_EQ(err, -E2BIG);
        bpfaot_map__free(make(0, 8, UINT32_MAX, 0, 15, &err)); /* 2^32 bits, allocated lazily */
        CHECK_EQ(err, 0);
        {
                struct bpfaot_map_def hash = {.type = BPF_MAP_TYPE_HASH,
                                              .key_size = 4,
                                              .value_size = 4,
                                              .max_entries = 4,
                                              .map_extra = 1};
                struct bpfaot_map *m;

                CHECK_EQ(bpfaot_map__create(&hash, &m), -EINVAL); /* only Bloom filters take it */
        }
}

/* How many of `probes` values never pushed the filter says may be present. */
static int false_positives(struct bpfaot_map *m, uint64_t from, int probes)
{
        int fp = 0;

        for (uint64_t v = from; v < from + (uint64_t)probes; v++)
                fp += bpfaot_map__peek_elem(m, &v) == 0;
        return fp;
}

static void test_membership(void)
{
        struct bpfaot_map *m;
        uint64_t v;
        int err, fp;

        m = make(0, sizeof(uint64_t), 1000, BPF_F_ZERO_SEED, 0, &err);
        CHECK(m);
        v = 7;
        CHECK_EQ(bpfaot_map__peek_elem(m, &v), -ENOENT);
        for (v = 0; v < 1000; v++)
                CHECK_EQ(bpfaot_map__push_elem(m, &v, BPF_ANY), 0);
        for (v = 0; v < 1000; v++)
                CHECK_EQ(bpfaot_map__peek_elem(m, &v), 0); /* never a false negative */
        /* 5 hashes over 8192 bits for 1000 values: about 2% false positives. */
        fp = false_positives(m, 1u << 20, 10000);
        CHECK(fp > 0 && fp < 1000);

        /* What a Bloom filter cannot do. */
        CHECK_EQ(bpfaot_map__push_elem(m, &v, BPF_EXIST), -EINVAL);
        CHECK_EQ(bpfaot_map__pop_elem(m, &v), -EOPNOTSUPP);
        CHECK_EQ(bpfaot_map__delete_elem(m, &v), -EOPNOTSUPP);
        CHECK_EQ(bpfaot_map__update_elem(m, NULL, &v, BPF_ANY), -EINVAL);
        CHECK(!bpfaot_map__lookup_elem(m, &v));
        CHECK_EQ(bpfaot_map__get_next_key(m, NULL, &v), -EOPNOTSUPP);
        CHECK_EQ(bpfaot_map__lookup_and_delete_elem(m, NULL, &v, 0), -ENOTSUP);

        /* Host: BPF_MAP_UPDATE_ELEM pushes and BPF_MAP_LOOKUP_ELEM tests the value given. */
        v = 1ull << 40;
        CHECK_EQ(bpfaot_map__lookup_copy(m, NULL, &v), -ENOENT);
        CHECK_EQ(bpfaot_map__update_copy(m, NULL, &v, BPF_ANY), 0);
        CHECK_EQ(bpfaot_map__lookup_copy(m, NULL, &v), 0);
        CHECK_EQ(bpfaot_map__lookup_copy(m, &v, &v), -EINVAL);
        bpfaot_map__free(m);
}

/* One value in 64 bits: one hash sets 1 bit (1/64 false positives), 15 hashes leave almost none. */
static void test_hash_count(void)
{
        struct bpfaot_map *one, *many, *dflt;
        uint64_t v = 12345;
        int err;

        one = make(0, sizeof(v), 1, 0, 1, &err);
        many = make(0, sizeof(v), 1, 0, 15, &err);
        dflt = make(0, sizeof(v), 1, 0, 0, &err);
        CHECK(one && many && dflt);
        CHECK_EQ(bpfaot_map__push_elem(one, &v, 0) | bpfaot_map__push_elem(many, &v, 0) |
                     bpfaot_map__push_elem(dflt, &v, 0),
                 0);
        CHECK(false_positives(one, 1u << 20, 20000) > 100);
        CHECK(false_positives(many, 1u << 20, 20000) < 5);
        CHECK(false_positives(dflt, 1u << 20, 20000) < 5); /* 5 hashes by default */
        bpfaot_map__free(one);
        bpfaot_map__free(many);
        bpfaot_map__free(dflt);
}

static struct bpfaot_map *shared;

static void *pusher(void *arg)
{
        uint64_t base = (uintptr_t)arg * 100000;

        for (uint64_t v = base; v < base + 5000; v++)
                CHECK_EQ(bpfaot_map__push_elem(shared, &v, BPF_ANY), 0);
        return NULL;
}

static void test_concurrent(void)
{
        pthread_t thr[4];
        int err;

        shared = make(0, sizeof(uint64_t), 20000, 0, 0, &err);
        CHECK(shared);
        for (uintptr_t i = 0; i < 4; i++)
                CHECK_EQ(pthread_create(&thr[i], NULL, pusher, (void *)i), 0);
        for (int i = 0; i < 4; i++)
                pthread_join(thr[i], NULL);
        for (uint64_t t = 0; t < 4; t++)
                for (uint64_t v = t * 100000; v < t * 100000 + 5000; v++)
                        CHECK_EQ(bpfaot_map__peek_elem(shared, &v), 0);
        bpfaot_map__free(shared);
}

int main(void)
{
        test_create();
        test_membership();
        test_hash_count();
        test_concurrent();
        return 0;
}

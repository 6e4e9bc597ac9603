/* SPDX-License-Identifier: MIT */
/* ARRAY and PERCPU_ARRAY: kernel flag semantics, errors, iteration, init data. */
#include "check.h"

#include <bpfaot/maps.h>
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

static void test_array(void)
{
        struct bpfaot_map_def def = {.name = "arr",
                                     .type = BPF_MAP_TYPE_ARRAY,
                                     .key_size = 4,
                                     .value_size = 12,
                                     .max_entries = 5};
        struct bpfaot_map *m;
        char val[12] = "hello world", out[12];
        uint32_t k, next, seen = 0, cnt = 0;
        char *p;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        CHECK(strcmp(bpfaot_map__def(m)->name, "arr") == 0);
        CHECK_EQ(bpfaot_map__def(m)->max_entries, 5);
        for (k = 0; k < 5; k++) { /* zero-initialised */
                p = bpfaot_map__lookup_elem(m, &k);
                CHECK(p);
                CHECK_EQ(memcmp(p, "\0\0\0\0\0\0\0\0\0\0\0\0", 12), 0);
                CHECK_EQ(((uintptr_t)p) % 8, 0);
        }
        k = 5;
        CHECK(!bpfaot_map__lookup_elem(m, &k));
        CHECK_EQ(bpfaot_map__update_elem(m, &k, val, BPF_ANY), -E2BIG);
        CHECK_EQ(bpfaot_map__lookup_copy(m, &k, out), -ENOENT);
        k = 2;
        CHECK_EQ(bpfaot_map__update_elem(m, &k, val, BPF_NOEXIST), -EEXIST);
        CHECK_EQ(bpfaot_map__update_elem(m, &k, val, 3), -EINVAL);
        CHECK_EQ(bpfaot_map__update_elem(m, &k, val, BPF_EXIST), 0);
        CHECK_EQ(memcmp(bpfaot_map__lookup_elem(m, &k), val, 12), 0);
        CHECK_EQ(bpfaot_map__lookup_copy(m, &k, out), 0);
        CHECK_EQ(memcmp(out, val, 12), 0);
        val[0] = 'j';
        CHECK_EQ(bpfaot_map__update_elem(m, &k, val, BPF_ANY), 0);
        CHECK_EQ(((char *)bpfaot_map__lookup_elem(m, &k))[0], 'j');
        CHECK_EQ(bpfaot_map__delete_elem(m, &k), -EINVAL);
        CHECK_EQ(bpfaot_map__push_elem(m, val, 0), -EINVAL);

        /* Iteration: 0..4 in order, then -ENOENT; out-of-range key restarts. */
        CHECK_EQ(bpfaot_map__get_next_key(m, NULL, &next), 0);
        do {
                CHECK_EQ(next, cnt);
                seen |= 1u << next;
                cnt++;
                k = next;
        } while (bpfaot_map__get_next_key(m, &k, &next) == 0);
        CHECK_EQ(cnt, 5);
        CHECK_EQ(seen, 0x1f);
        k = 4;
        CHECK_EQ(bpfaot_map__get_next_key(m, &k, &next), -ENOENT);
        k = 100;
        CHECK_EQ(bpfaot_map__get_next_key(m, &k, &next), 0);
        CHECK_EQ(next, 0);
        bpfaot_map__free(m);
}

static void test_init_data(void)
{
        static const char data[] = "0123456789abcdefXYZ"; /* 20 bytes */
        struct bpfaot_map_def def = {.type = BPF_MAP_TYPE_ARRAY,
                                     .key_size = 4,
                                     .value_size = 8,
                                     .max_entries = 3,
                                     .init_value = data,
                                     .init_size = 20};
        struct bpfaot_map *m;
        uint32_t k;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        CHECK(bpfaot_map__def(m)->name == NULL);
        k = 0;
        CHECK_EQ(memcmp(bpfaot_map__lookup_elem(m, &k), "01234567", 8), 0);
        k = 1;
        CHECK_EQ(memcmp(bpfaot_map__lookup_elem(m, &k), "89abcdef", 8), 0);
        k = 2;
        CHECK_EQ(memcmp(bpfaot_map__lookup_elem(m, &k), "XYZ\0\0\0\0\0", 8), 0);
        bpfaot_map__free(m);

        def.init_size = 25; /* more than the array holds */
        CHECK_EQ(bpfaot_map__create(&def, &m), -EINVAL);
        def.type = BPF_MAP_TYPE_HASH; /* initial data is for ARRAY only */
        def.init_size = 8;
        CHECK_EQ(bpfaot_map__create(&def, &m), -EINVAL);
}

static void test_percpu_array(void)
{
        struct bpfaot_map_def def = {
            .type = BPF_MAP_TYPE_PERCPU_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 2};
        struct bpfaot_map *m;
        uint32_t k = 1, v = 42, ncpus, cpu, *all, *p;
        size_t sz;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        ncpus = bpfaot_map__ncpus(m);
        CHECK(ncpus >= 1);
        sz = bpfaot_map__value_copy_size(m);
        CHECK_EQ(sz, 8 * ncpus); /* slots rounded up to 8 like libbpf */
        all = calloc(1, sz);
        CHECK(all);
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_ANY), 0);
        p = bpfaot_map__lookup_elem(m, &k);
        CHECK(p);
        /* The test may migrate between CPUs: exactly one copy holds 42. */
        CHECK_EQ(bpfaot_map__lookup_copy(m, &k, all), 0);
        v = 0;
        for (cpu = 0; cpu < ncpus; cpu++)
                v += all[cpu * 2] == 42;
        CHECK_EQ(v, 1);
        /* Host update writes every CPU's copy. */
        for (cpu = 0; cpu < ncpus; cpu++)
                all[cpu * 2] = 100 + cpu;
        CHECK_EQ(bpfaot_map__update_copy(m, &k, all, BPF_ANY), 0);
        memset(all, 0, sz);
        CHECK_EQ(bpfaot_map__lookup_copy(m, &k, all), 0);
        for (cpu = 0; cpu < ncpus; cpu++)
                CHECK_EQ(all[cpu * 2], 100 + cpu);
        p = bpfaot_map__lookup_elem(m, &k);
        CHECK(p && *p >= 100 && *p < 100 + ncpus);
        k = 2;
        CHECK(!bpfaot_map__lookup_elem(m, &k));
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_ANY), -E2BIG);
        CHECK_EQ(bpfaot_map__delete_elem(m, &k), -EINVAL);
        free(all);
        bpfaot_map__free(m);
}

int main(void)
{
        test_array();
        test_init_data();
        test_percpu_array();
        printf("ok\n");
        return 0;
}

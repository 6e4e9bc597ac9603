/* SPDX-License-Identifier: MIT */
/*
 * for_each_map_elem over ARRAY, HASH and their PERCPU kinds: every element
 * once with its key and value, the count returned, a nonzero callback
 * return stops the walk (and counts), flags must be 0, the callback may
 * delete. Callbacks nest 8 deep at most (bpf_loop and for_each_map_elem
 * together): deeper is -ELOOP, never a stack overflow.
 */
#include "check.h"
#include "helper_decls.h"

#include "bpfaot/runtime.h"

#include <bpfaot/maps.h>
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

#define NEG(e) ((uint64_t) - (e))

struct walk {
        struct bpfaot_map *map;
        uint64_t key_sum, value_sum;
        uint32_t calls, stop_after;
        int delete;
};

/* A callback as compiled code has it: r1-r5 in, r0 out. */
static uint64_t visit(uint64_t map, uint64_t key, uint64_t value, uint64_t ctx, uint64_t r5)
{
        struct walk *w = (struct walk *)(uintptr_t)ctx;
        uint32_t k;
        uint64_t v;

        (void)r5;
        CHECK(map == U(w->map));
        memcpy(&k, (const void *)(uintptr_t)key, sizeof(k));
        memcpy(&v, (const void *)(uintptr_t)value, sizeof(v));
        w->key_sum += k;
        w->value_sum += v;
        w->calls++;
        if (w->delete)
                CHECK_EQ(bpfaot_map__delete_elem(w->map, &k), 0);
        return w->stop_after && w->calls == w->stop_after;
}

static uint64_t for_each(struct walk *w, uint64_t flags)
{
        return _bpf_helper_ext_0164(U(w->map), U(visit), U(w), flags, 0);
}

static void test_array(void)
{
        struct bpfaot_map_def def = {
            .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 10};
        struct walk w = {0};

        CHECK_EQ(bpfaot_map__create(&def, &w.map), 0);
        for (uint32_t k = 0; k < 10; k++) {
                uint64_t v = 100 + k;
                CHECK_EQ(bpfaot_map__update_elem(w.map, &k, &v, BPF_ANY), 0);
        }
        CHECK_EQ(for_each(&w, 0), 10);
        CHECK(w.calls == 10 && w.key_sum == 45 && w.value_sum == 1045);
        memset(&w.key_sum, 0, sizeof(w) - sizeof(w.map));
        w.stop_after = 3;
        CHECK_EQ(for_each(&w, 0), 3); /* the element that stopped the walk counts */
        CHECK(w.key_sum == 0 + 1 + 2 && w.value_sum == 303);
        CHECK_EQ(for_each(&w, 1), NEG(EINVAL));
        CHECK_EQ(_bpf_helper_ext_0164(U(w.map), 0, 0, 0, 0), NEG(EINVAL));
        CHECK_EQ(_bpf_helper_ext_0164(0, U(visit), U(&w), 0, 0), NEG(EINVAL));
        bpfaot_map__free(w.map);
}

static void test_hash(void)
{
        struct bpfaot_map_def def = {
            .type = BPF_MAP_TYPE_HASH, .key_size = 4, .value_size = 8, .max_entries = 100};
        struct walk w = {0};
        uint32_t k, next;

        CHECK_EQ(bpfaot_map__create(&def, &w.map), 0);
        CHECK_EQ(for_each(&w, 0), 0); /* empty */
        for (k = 1; k <= 50; k++) {
                uint64_t v = k * 1000;
                CHECK_EQ(bpfaot_map__update_elem(w.map, &k, &v, BPF_ANY), 0);
        }
        CHECK_EQ(for_each(&w, 0), 50);
        CHECK(w.key_sum == 1275 && w.value_sum == 1275000);
        /* deleting from the callback: every element once, the map empty after */
        memset(&w.key_sum, 0, sizeof(w) - sizeof(w.map));
        w.delete = 1;
        CHECK_EQ(for_each(&w, 0), 50);
        CHECK_EQ(w.key_sum, 1275);
        CHECK_EQ(bpfaot_map__get_next_key(w.map, NULL, &next), -ENOENT);
        bpfaot_map__free(w.map);
}

/* PERCPU maps: the calling CPU's copy, the one lookups of this run see. */
static void test_percpu(void)
{
        struct bpfaot_map_def defs[] = {
            {.type = BPF_MAP_TYPE_PERCPU_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 4},
            {.type = BPF_MAP_TYPE_PERCPU_HASH, .key_size = 4, .value_size = 8, .max_entries = 4},
        };

        bpfaot_rt_cpu_enter();
        for (size_t i = 0; i < 2; i++) {
                struct walk w = {0};

                CHECK_EQ(bpfaot_map__create(&defs[i], &w.map), 0);
                for (uint32_t k = 0; k < 4; k++) {
                        uint64_t v = 7 + k;
                        CHECK_EQ(bpfaot_map__update_elem(w.map, &k, &v, BPF_ANY), 0);
                }
                CHECK_EQ(for_each(&w, 0), 4);
                CHECK_EQ(w.value_sum, 7 + 8 + 9 + 10);
                bpfaot_map__free(w.map);
        }
        bpfaot_rt_cpu_exit();
}

/* Map kinds without a walk: -EINVAL. */
static void test_other(void)
{
        struct bpfaot_map_def def = {.type = BPF_MAP_TYPE_QUEUE, .value_size = 8, .max_entries = 4};
        struct walk w = {0};

        CHECK_EQ(bpfaot_map__create(&def, &w.map), 0);
        CHECK_EQ(for_each(&w, 0), NEG(EINVAL));
        bpfaot_map__free(w.map);
}

/* A bpf_loop callback that hands itself to bpf_loop again: how deep it got, what failed. */
struct nest {
        unsigned depth, max;
        uint64_t refused;
        struct bpfaot_map *map; /* when set: every other level through for_each_map_elem */
};

static uint64_t nest_walk(uint64_t map, uint64_t key, uint64_t value, uint64_t ctx, uint64_t r5);

static uint64_t nest_loop(uint64_t i, uint64_t ctx, uint64_t r3, uint64_t r4, uint64_t r5)
{
        struct nest *n = (struct nest *)(uintptr_t)ctx;
        uint64_t r;

        (void)i, (void)r3, (void)r4, (void)r5;
        if (++n->depth > n->max)
                n->max = n->depth;
        r = n->map && n->depth % 2
                ? _bpf_helper_ext_0164((uint64_t)(uintptr_t)n->map, (uint64_t)(uintptr_t)nest_walk,
                                       ctx, 0, 0)
                : _bpf_helper_ext_0181(1, (uint64_t)(uintptr_t)nest_loop, ctx, 0, 0);
        if (r == NEG(ELOOP))
                n->refused++;
        n->depth--;
        return 1; /* stop: one call per level */
}

static uint64_t nest_walk(uint64_t map, uint64_t key, uint64_t value, uint64_t ctx, uint64_t r5)
{
        (void)map, (void)key, (void)value;
        return nest_loop(0, ctx, 0, 0, r5);
}

static void test_nesting(void)
{
        struct bpfaot_map_def def = {
            .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 2};
        struct nest n = {0};

        /* bpf_loop in bpf_loop: 8 levels of callbacks, the 9th bpf_loop refused. */
        CHECK_EQ(
            _bpf_helper_ext_0181(1, (uint64_t)(uintptr_t)nest_loop, (uint64_t)(uintptr_t)&n, 0, 0),
            1);
        CHECK_EQ(n.max, 8);
        CHECK_EQ(n.refused, 1);
        /* The depth is back to 0: a plain bpf_loop works, and the same limit again. */
        n = (struct nest){0};
        CHECK_EQ(
            _bpf_helper_ext_0181(1, (uint64_t)(uintptr_t)nest_loop, (uint64_t)(uintptr_t)&n, 0, 0),
            1);
        CHECK_EQ(n.max, 8);
        /* Mixed with for_each_map_elem: the same count. */
        n = (struct nest){0};
        CHECK_EQ(bpfaot_map__create(&def, &n.map), 0);
        CHECK_EQ(
            _bpf_helper_ext_0181(1, (uint64_t)(uintptr_t)nest_loop, (uint64_t)(uintptr_t)&n, 0, 0),
            1);
        CHECK_EQ(n.max, 8);
        CHECK_EQ(n.refused, 1);
        bpfaot_map__free(n.map);
}

int main(void)
{
        test_nesting();
        test_array();
        test_hash();
        test_percpu();
        test_other();
        printf("ok\n");
        return 0;
}

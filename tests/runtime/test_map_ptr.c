/* SPDX-License-Identifier: MIT */
/*
 * Maps whose values are pointers: PROG_ARRAY with bpfaot_rt_tail_call,
 * ARRAY_OF_MAPS / HASH_OF_MAPS with their inner-map template, initial
 * contents through bpfaot_maps__create_all, and PERF_EVENT_ARRAY.
 */
#include "check.h"

#include <bpfaot/maps.h>
#include <bpfaot/runtime.h>
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <string.h>

static struct bpfaot_map *make(uint32_t type, uint32_t ks, uint32_t vs, uint32_t n, uint32_t flags)
{
        struct bpfaot_map_def def = {.name = "m",
                                     .type = type,
                                     .key_size = ks,
                                     .value_size = vs,
                                     .max_entries = n,
                                     .map_flags = flags};
        struct bpfaot_map *m = NULL;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        return m;
}

static int create_err(const struct bpfaot_map_def *def)
{
        struct bpfaot_map *m = NULL;
        int rc = bpfaot_map__create(def, &m);

        bpfaot_map__free(m);
        return rc;
}

/* A program that tail-calls slot 0 of the PROG_ARRAY in ctx[0] and counts its runs in ctx[1]. */
static uint64_t self_chain(void *ctx, uint64_t size)
{
        uint64_t *c = ctx;
        struct bpfaot_tail_call_result r;

        (void)size;
        c[1]++;
        r = bpfaot_rt_tail_call((uint64_t)(uintptr_t)c, c[0], 0);
        if (r.done)
                return r.ret;
        CHECK_EQ((int64_t)r.ret, -ENOENT);
        return 1000 + c[1];
}

static uint64_t answer(void *ctx, uint64_t size)
{
        (void)ctx;
        return 42 + size; /* size is 0 for a tail call */
}

static void prog_array(void)
{
        struct bpfaot_map *pa = make(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 2, 0);
        struct bpfaot_map *arr = make(BPF_MAP_TYPE_ARRAY, 4, 4, 2, 0);
        uint64_t ctx[2] = {(uint64_t)(uintptr_t)pa, 0};
        struct bpfaot_tail_call_result r;
        uint32_t k = 1, v = 7;

        /* Sizes are the kernel's: 4-byte keys and (fd) values. */
        CHECK_EQ(
            create_err(&(struct bpfaot_map_def){
                .type = BPF_MAP_TYPE_PROG_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 1}),
            -EINVAL);
        /* Empty slots and programs may not look: lookup gives NULL, update by value -EINVAL. */
        CHECK(bpfaot_prog_array__lookup(pa, 0) == NULL);
        CHECK(bpfaot_map__lookup_elem(pa, &k) == NULL);
        CHECK_EQ(bpfaot_map__update_elem(pa, &k, &v, BPF_ANY), -EINVAL);
        r = bpfaot_rt_tail_call(0, (uint64_t)(uintptr_t)pa, 1);
        CHECK_EQ(r.done, 0);
        CHECK_EQ((int64_t)r.ret, -ENOENT);
        /* Not a PROG_ARRAY: -EINVAL, and nothing runs. */
        r = bpfaot_rt_tail_call(0, (uint64_t)(uintptr_t)arr, 0);
        CHECK_EQ(r.done, 0);
        CHECK_EQ((int64_t)r.ret, -EINVAL);
        CHECK_EQ(bpfaot_prog_array__update(arr, 0, answer), -EINVAL);

        CHECK_EQ(bpfaot_prog_array__update(pa, 1, answer), 0);
        CHECK(bpfaot_prog_array__lookup(pa, 1) == answer);
        CHECK_EQ(bpfaot_prog_array__update(pa, 2, answer), -E2BIG);
        r = bpfaot_rt_tail_call(0, (uint64_t)(uintptr_t)pa, 1);
        CHECK_EQ(r.done, 1);
        CHECK_EQ(r.ret, 42);
        /* The index is a u32, as in the kernel. */
        r = bpfaot_rt_tail_call(0, (uint64_t)(uintptr_t)pa, 0x700000001ull);
        CHECK_EQ(r.done, 1);
        /* Past max_entries: goes on. */
        r = bpfaot_rt_tail_call(0, (uint64_t)(uintptr_t)pa, 2);
        CHECK_EQ(r.done, 0);

        /* A chain of tail calls stops after BPFAOT_MAX_TAIL_CALLS: 34 runs in all. */
        CHECK_EQ(bpfaot_prog_array__update(pa, 0, self_chain), 0);
        CHECK_EQ(self_chain(ctx, 0), 1000 + BPFAOT_MAX_TAIL_CALLS + 1);
        CHECK_EQ(ctx[1], BPFAOT_MAX_TAIL_CALLS + 1);
        /* The depth is back to 0 afterwards: the same chain again. */
        ctx[1] = 0;
        CHECK_EQ(self_chain(ctx, 0), 1000 + BPFAOT_MAX_TAIL_CALLS + 1);

        /* Delete: 0, then -ENOENT; host iteration visits every index. */
        k = 0;
        CHECK_EQ(bpfaot_map__delete_elem(pa, &k), 0);
        CHECK_EQ(bpfaot_map__delete_elem(pa, &k), -ENOENT);
        CHECK_EQ(bpfaot_prog_array__update(pa, 1, NULL), 0);
        CHECK(bpfaot_prog_array__lookup(pa, 1) == NULL);
        CHECK_EQ(bpfaot_map__get_next_key(pa, NULL, &k), 0);
        CHECK_EQ(k, 0);
        CHECK_EQ(bpfaot_map__get_next_key(pa, &k, &k), 0);
        CHECK_EQ(k, 1);
        CHECK_EQ(bpfaot_map__get_next_key(pa, &k, &k), -ENOENT);
        bpfaot_map__free(pa);
        bpfaot_map__free(arr);
}

static void maps_of_maps(void)
{
        struct bpfaot_map_def tmpl = {
            .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 4};
        struct bpfaot_map_def outer_def = {.name = "outer",
                                           .type = BPF_MAP_TYPE_ARRAY_OF_MAPS,
                                           .key_size = 4,
                                           .value_size = 4,
                                           .max_entries = 2,
                                           .inner = &tmpl};
        struct bpfaot_map_def hash_def = outer_def;
        struct bpfaot_map *outer = NULL, *hom = NULL, *in4, *in8, *hash;
        uint32_t k = 0, idx = 3;
        uint64_t key = 99, v = 5, *p;

        hash_def.type = BPF_MAP_TYPE_HASH_OF_MAPS;
        hash_def.key_size = 8;
        CHECK_EQ(bpfaot_map__create(&outer_def, &outer), 0);
        CHECK_EQ(bpfaot_map__create(&hash_def, &hom), 0);
        /* The template is copied: the caller's definition need not live on. */
        tmpl.max_entries = 1000;
        CHECK_EQ(bpfaot_map__def(outer)->inner->max_entries, 4);
        in4 = make(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
        in8 = make(BPF_MAP_TYPE_ARRAY, 4, 8, 8, 0);
        hash = make(BPF_MAP_TYPE_HASH, 4, 8, 4, 0);

        CHECK(bpfaot_map__lookup_elem(outer, &k) == NULL);
        CHECK_EQ(bpfaot_map__update_inner(outer, &k, in8, BPF_ANY), -EINVAL);  /* max_entries */
        CHECK_EQ(bpfaot_map__update_inner(outer, &k, hash, BPF_ANY), -EINVAL); /* type */
        CHECK_EQ(bpfaot_map__update_inner(in4, &k, in4, BPF_ANY), -EINVAL); /* not a map of maps */
        CHECK_EQ(bpfaot_map__update_inner(outer, &k, in4, BPF_NOEXIST), -EINVAL); /* fd array */
        CHECK_EQ(bpfaot_map__update_inner(outer, &k, in4, BPF_ANY), 0);
        CHECK(bpfaot_map__lookup_elem(outer, &k) == in4);
        /* A program's path: outer lookup gives the map, then a value in it. */
        CHECK_EQ(bpfaot_map__update_elem(bpfaot_map__lookup_elem(outer, &k), &idx, &v, BPF_ANY), 0);
        p = bpfaot_map__lookup_elem(in4, &idx);
        CHECK(p && *p == 5);
        k = 2;
        CHECK_EQ(bpfaot_map__update_inner(outer, &k, in4, BPF_ANY), -E2BIG);

        /* HASH_OF_MAPS: hash flags, delete, iteration over keys. */
        CHECK_EQ(bpfaot_map__update_inner(hom, &key, in4, BPF_EXIST), -ENOENT);
        CHECK_EQ(bpfaot_map__update_inner(hom, &key, in4, BPF_NOEXIST), 0);
        CHECK_EQ(bpfaot_map__update_inner(hom, &key, in4, BPF_NOEXIST), -EEXIST);
        CHECK(bpfaot_map__lookup_elem(hom, &key) == in4);
        CHECK_EQ(bpfaot_map__get_next_key(hom, NULL, &v), 0);
        CHECK_EQ(v, 99);
        CHECK_EQ(bpfaot_map__update_elem(hom, &key, &v, BPF_ANY), -EINVAL);
        CHECK_EQ(bpfaot_map__delete_elem(hom, &key), 0);
        CHECK(bpfaot_map__lookup_elem(hom, &key) == NULL);

        /* BPF_F_INNER_MAP: inner maps may differ in max_entries. */
        tmpl.max_entries = 4;
        tmpl.map_flags = BPF_F_INNER_MAP;
        bpfaot_map__free(outer);
        outer = NULL;
        CHECK_EQ(bpfaot_map__create(&outer_def, &outer), 0);
        bpfaot_map__free(in8);
        in8 = make(BPF_MAP_TYPE_ARRAY, 4, 8, 8, BPF_F_INNER_MAP);
        k = 1;
        CHECK_EQ(bpfaot_map__update_inner(outer, &k, in8, BPF_ANY), 0);

        /* Only maps of maps take a template. */
        CHECK_EQ(create_err(&(struct bpfaot_map_def){.type = BPF_MAP_TYPE_ARRAY,
                                                     .key_size = 4,
                                                     .value_size = 8,
                                                     .max_entries = 1,
                                                     .inner = &tmpl}),
                 -EINVAL);
        bpfaot_map__free(outer);
        bpfaot_map__free(hom);
        bpfaot_map__free(in4);
        bpfaot_map__free(in8);
        bpfaot_map__free(hash);
}

/* Initial contents: programs in a PROG_ARRAY, map k-1 in slot i of a map of maps. */
static void create_all(void)
{
        static const bpfaot_prog_fn progs[2] = {NULL, answer};
        static const uint32_t slots_ok[3] = {2, 0, 1};
        static const uint32_t slots_bad[1] = {9};
        struct bpfaot_map_def defs[3] = {
            {.name = "a",
             .type = BPF_MAP_TYPE_ARRAY,
             .key_size = 4,
             .value_size = 8,
             .max_entries = 1},
            {.name = "progs",
             .type = BPF_MAP_TYPE_PROG_ARRAY,
             .key_size = 4,
             .value_size = 4,
             .max_entries = 2,
             .init_value = progs,
             .init_size = sizeof(progs)},
            {.name = "outer",
             .type = BPF_MAP_TYPE_ARRAY_OF_MAPS,
             .key_size = 4,
             .value_size = 4,
             .max_entries = 3,
             .init_value = slots_ok,
             .init_size = sizeof(slots_ok)},
        };
        void *slots[3] = {NULL, NULL, NULL};
        uint32_t failed = 77, k;

        CHECK_EQ(bpfaot_maps__create_all(defs, 3, slots, &failed), 0);
        CHECK(bpfaot_prog_array__lookup(slots[1], 1) == answer);
        CHECK(bpfaot_prog_array__lookup(slots[1], 0) == NULL);
        k = 0;
        CHECK(bpfaot_map__lookup_elem(slots[2], &k) == slots[1]);
        k = 1;
        CHECK(bpfaot_map__lookup_elem(slots[2], &k) == NULL);
        k = 2;
        CHECK(bpfaot_map__lookup_elem(slots[2], &k) == slots[0]);
        bpfaot_maps__free_all(slots, 3);
        CHECK(slots[0] == NULL && slots[2] == NULL);

        /* A slot naming a map past the table fails the whole call; nothing leaks. */
        defs[2].init_value = slots_bad;
        defs[2].init_size = sizeof(slots_bad);
        CHECK_EQ(bpfaot_maps__create_all(defs, 3, slots, &failed), -EINVAL);
        CHECK_EQ(failed, 2);
        CHECK(slots[0] == NULL && slots[1] == NULL && slots[2] == NULL);
        /* A PROG_ARRAY whose contents are longer than max_entries. */
        defs[2].init_value = NULL;
        defs[2].init_size = 0;
        defs[1].max_entries = 1;
        CHECK_EQ(bpfaot_maps__create_all(defs, 3, slots, &failed), -EINVAL);
        CHECK_EQ(failed, 1);
        CHECK(slots[0] == NULL);
}

struct seen {
        int n;
        uint32_t cpu;
        char data[16];
        uint32_t size;
};

static void on_event(void *ctx, uint32_t cpu, const void *data, uint32_t size)
{
        struct seen *s = ctx;

        s->n++;
        s->cpu = cpu;
        s->size = size;
        memcpy(s->data, data, size < sizeof(s->data) ? size : sizeof(s->data));
}

static void perf_event_array(void)
{
        struct bpfaot_map *pe = make(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 0, 0);
        struct bpfaot_map *two = make(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2, 0);
        struct bpfaot_map *arr = make(BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0);
        struct seen s = {0};
        uint32_t k = 0;

        /* max_entries 0 means one per CPU, as libbpf sets it. */
        CHECK(bpfaot_map__def(pe)->max_entries >= 1);
        CHECK(bpfaot_map__lookup_elem(pe, &k) == NULL);
        CHECK_EQ(bpfaot_perf_event__output(pe, BPF_F_CURRENT_CPU, "abc", 4), -ENOENT);
        CHECK_EQ(bpfaot_perf_event_array__set_callback(pe, on_event, &s), 0);
        CHECK_EQ(bpfaot_perf_event__output(pe, BPF_F_CURRENT_CPU, "abc", 4), 0);
        CHECK_EQ(s.n, 1);
        CHECK_EQ(s.size, 4);
        CHECK(strcmp(s.data, "abc") == 0);
        CHECK(s.cpu < bpfaot_map__def(pe)->max_entries);
        CHECK_EQ(bpfaot_perf_event__output(two, 1, "x", 2), -ENOENT);
        CHECK_EQ(bpfaot_perf_event_array__set_callback(two, on_event, &s), 0);
        CHECK_EQ(bpfaot_perf_event__output(two, 1, "xy", 3), 0);
        CHECK_EQ(s.cpu, 1);
        CHECK_EQ(bpfaot_perf_event__output(two, 2, "x", 2), -E2BIG);
        CHECK_EQ(bpfaot_perf_event__output(two, 1ull << 32, "x", 2), -EINVAL); /* ctx-len bits */
        CHECK_EQ(s.n, 2);
        CHECK_EQ(bpfaot_perf_event_array__set_callback(two, NULL, NULL), 0);
        CHECK_EQ(bpfaot_perf_event__output(two, 1, "x", 2), -ENOENT);
        CHECK_EQ(bpfaot_perf_event_array__set_callback(arr, on_event, &s), -EINVAL);
        CHECK_EQ(bpfaot_perf_event__output(arr, 0, "x", 2), -EINVAL);
        bpfaot_map__free(pe);
        bpfaot_map__free(two);
        bpfaot_map__free(arr);
}

/*
 * Several threads: perf output to one map (the callback's plain counter is
 * safe because calls are serialised; ThreadSanitizer checks that), and tail
 * calls while another thread swaps the program.
 */
#define THREADS 4
#define ROUNDS  20000

struct shared {
        struct bpfaot_map *pe, *pa;
        uint64_t events; /* only touched by the callback */
        int stop;
};

static void count_event(void *ctx, uint32_t cpu, const void *data, uint32_t size)
{
        struct shared *sh = ctx;

        (void)cpu, (void)data, (void)size;
        sh->events++;
}

static uint64_t one(void *ctx, uint64_t size)
{
        (void)ctx, (void)size;
        return 1;
}

static uint64_t two(void *ctx, uint64_t size)
{
        (void)ctx, (void)size;
        return 2;
}

static void *producer(void *arg)
{
        struct shared *sh = arg;

        for (int i = 0; i < ROUNDS; i++) {
                struct bpfaot_tail_call_result r =
                    bpfaot_rt_tail_call(0, (uint64_t)(uintptr_t)sh->pa, 0);
                CHECK(r.done && (r.ret == 1 || r.ret == 2));
                CHECK_EQ(bpfaot_perf_event__output(sh->pe, BPF_F_CURRENT_CPU, &i, sizeof(i)), 0);
        }
        return NULL;
}

static void *swapper(void *arg)
{
        struct shared *sh = arg;

        for (int i = 0; !__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE); i++)
                CHECK_EQ(bpfaot_prog_array__update(sh->pa, 0, i % 2 ? one : two), 0);
        return NULL;
}

static void concurrency(void)
{
        struct shared sh = {.pe = make(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 0, 0),
                            .pa = make(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 1, 0)};
        pthread_t th[THREADS], sw;

        CHECK_EQ(bpfaot_perf_event_array__set_callback(sh.pe, count_event, &sh), 0);
        CHECK_EQ(bpfaot_prog_array__update(sh.pa, 0, one), 0);
        CHECK_EQ(pthread_create(&sw, NULL, swapper, &sh), 0);
        for (int i = 0; i < THREADS; i++)
                CHECK_EQ(pthread_create(&th[i], NULL, producer, &sh), 0);
        for (int i = 0; i < THREADS; i++)
                pthread_join(th[i], NULL);
        __atomic_store_n(&sh.stop, 1, __ATOMIC_RELEASE);
        pthread_join(sw, NULL);
        CHECK_EQ(sh.events, THREADS * ROUNDS);
        bpfaot_map__free(sh.pe);
        bpfaot_map__free(sh.pa);
}

/* bpfaot_map__owns: the storage lookups and reservations hand out, nothing else. */
static void owns(void)
{
        struct bpfaot_map *arr = make(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
        struct bpfaot_map *hash = make(BPF_MAP_TYPE_HASH, 4, 8, 4, 0);
        struct bpfaot_map *q = make(BPF_MAP_TYPE_QUEUE, 0, 8, 4, 0);
        struct bpfaot_map *rb = make(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0);
        uint32_t k = 3;
        uint64_t v = 1, local = 0;
        char *p = bpfaot_map__lookup_elem(arr, &k), *r;

        CHECK(p && bpfaot_map__owns(arr, p, 8));
        CHECK(!bpfaot_map__owns(arr, p, 9)); /* past the last value */
        CHECK(!bpfaot_map__owns(arr, p + 8, 1));
        CHECK(!bpfaot_map__owns(arr, &local, 8));
        CHECK_EQ(bpfaot_map__update_elem(hash, &k, &v, BPF_ANY), 0);
        p = bpfaot_map__lookup_elem(hash, &k);
        CHECK(p && bpfaot_map__owns(hash, p, 8));
        CHECK(!bpfaot_map__owns(arr, p, 8));
        CHECK(!bpfaot_map__owns(q, &local, 8)); /* a queue hands out copies only */
        r = bpfaot_ringbuf__reserve(rb, 16, 0);
        CHECK(r && bpfaot_map__owns(rb, r, 16));
        bpfaot_ringbuf__discard(r, 0);
        CHECK(!bpfaot_map__owns(NULL, &local, 8));
        bpfaot_map__free(arr);
        bpfaot_map__free(hash);
        bpfaot_map__free(q);
        bpfaot_map__free(rb);
}

int main(void)
{
        owns();
        prog_array();
        maps_of_maps();
        create_all();
        perf_event_array();
        concurrency();
        puts("ok");
        return 0;
}

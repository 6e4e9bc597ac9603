/* SPDX-License-Identifier: MIT */
/*
 * Several threads on the same map: HASH (atomic adds through lookup pointers
 * while other keys churn), a full HASH raced by inserters, LRU churn, ARRAY,
 * PERCPU_ARRAY, QUEUE and RINGBUF (producer threads, one consumer). Totals
 * must be exact.
 */
#include "check.h"

#include <bpfaot/maps.h>
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>

#define NTHREADS 4
#define ITERS    40000
#define NKEYS    64

struct worker {
        struct bpfaot_map *map;
        uint32_t id;
        uint64_t ok, fail;
};

static void run_threads(void *(*fn)(void *), struct worker *w, struct bpfaot_map *map)
{
        pthread_t t[NTHREADS];
        uint32_t i;

        for (i = 0; i < NTHREADS; i++) {
                w[i] = (struct worker){.map = map, .id = i};
                CHECK_EQ(pthread_create(&t[i], NULL, fn, &w[i]), 0);
        }
        for (i = 0; i < NTHREADS; i++)
                CHECK_EQ(pthread_join(t[i], NULL), 0);
}

static void *hash_worker(void *arg)
{
        struct worker *w = arg;
        uint64_t zero = 0, *v;
        uint32_t i, k, churn;
        long err;

        for (i = 0; i < ITERS; i++) {
                k = (i * 7 + w->id) % NKEYS;
                v = bpfaot_map__lookup_elem(w->map, &k);
                if (!v) {
                        err = bpfaot_map__update_elem(w->map, &k, &zero, BPF_NOEXIST);
                        CHECK(err == 0 || err == -EEXIST);
                        v = bpfaot_map__lookup_elem(w->map, &k);
                }
                CHECK(v);
                __atomic_fetch_add(v, 1, __ATOMIC_RELAXED);
                /* churn keys of this thread only: insert, look up, delete */
                churn = 1000 + w->id * 100 + i % 50;
                CHECK_EQ(bpfaot_map__update_elem(w->map, &churn, &zero, BPF_NOEXIST), 0);
                CHECK(bpfaot_map__lookup_elem(w->map, &churn));
                CHECK_EQ(bpfaot_map__delete_elem(w->map, &churn), 0);
        }
        return NULL;
}

static void test_hash(void)
{
        struct bpfaot_map_def def = {.type = BPF_MAP_TYPE_HASH,
                                     .key_size = 4,
                                     .value_size = 8,
                                     .max_entries = NKEYS + NTHREADS};
        struct worker w[NTHREADS];
        struct bpfaot_map *m;
        uint64_t sum = 0, v;
        uint32_t k, next, n = 0;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        run_threads(hash_worker, w, m);
        for (k = 0; k < NKEYS; k++) {
                CHECK_EQ(bpfaot_map__lookup_copy(m, &k, &v), 0);
                sum += v;
        }
        CHECK_EQ(sum, (uint64_t)NTHREADS * ITERS);
        for (k = 0; bpfaot_map__get_next_key(m, n ? &k : NULL, &next) == 0; k = next)
                n++;
        CHECK_EQ(n, NKEYS);
        bpfaot_map__free(m);
}

static void *fill_worker(void *arg)
{
        struct worker *w = arg;
        uint32_t i, k;
        long err;

        for (i = 0; i < 2000; i++) {
                k = w->id * 2000 + i;
                err = bpfaot_map__update_elem(w->map, &k, &k, BPF_NOEXIST);
                CHECK(err == 0 || err == -E2BIG);
                if (err)
                        w->fail++;
                else
                        w->ok++;
        }
        return NULL;
}

static void test_hash_full(void)
{
        struct bpfaot_map_def def = {
            .type = BPF_MAP_TYPE_HASH, .key_size = 4, .value_size = 4, .max_entries = 3000};
        struct worker w[NTHREADS];
        struct bpfaot_map *m;
        uint64_t ok = 0, fail = 0;
        uint32_t i;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        run_threads(fill_worker, w, m);
        for (i = 0; i < NTHREADS; i++)
                ok += w[i].ok, fail += w[i].fail;
        CHECK_EQ(ok, 3000);
        CHECK_EQ(fail, NTHREADS * 2000 - 3000);
        bpfaot_map__free(m);
}

static void *lru_worker(void *arg)
{
        struct worker *w = arg;
        uint32_t i, k, *v;
        long err;

        for (i = 0; i < ITERS / 2; i++) {
                k = (i * 2654435761u + w->id) % 200;
                switch (i % 4) {
                case 0:
                case 1:
                        err = bpfaot_map__update_elem(w->map, &k, &k, BPF_ANY);
                        CHECK(err == 0 || err == -ENOMEM);
                        break;
                case 2:
                        /* The element may be evicted and reused for another key
                         * while we hold the pointer (documented): don't touch it. */
                        v = bpfaot_map__lookup_elem(w->map, &k);
                        w->ok += v != NULL;
                        break;
                default:
                        err = bpfaot_map__delete_elem(w->map, &k);
                        CHECK(err == 0 || err == -ENOENT);
                }
        }
        return NULL;
}

static void test_lru(void)
{
        struct bpfaot_map_def def = {
            .type = BPF_MAP_TYPE_LRU_HASH, .key_size = 4, .value_size = 4, .max_entries = 32};
        struct worker w[NTHREADS];
        struct bpfaot_map *m;
        uint32_t k, next, n = 0;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        run_threads(lru_worker, w, m);
        /* No element leaked: 32 fresh keys all fit, and only they remain. */
        for (k = 10000; k < 10032; k++)
                CHECK_EQ(bpfaot_map__update_elem(m, &k, &k, BPF_NOEXIST), 0);
        for (k = 10000; k < 10032; k++)
                CHECK(bpfaot_map__lookup_elem(m, &k));
        for (k = 0; bpfaot_map__get_next_key(m, n ? &k : NULL, &next) == 0; k = next) {
                CHECK(next >= 10000 && next < 10032);
                n++;
        }
        CHECK_EQ(n, 32);
        bpfaot_map__free(m);
}

static void *array_worker(void *arg)
{
        struct worker *w = arg;
        uint32_t i, k;
        uint64_t *v;

        for (i = 0; i < ITERS; i++) {
                k = (i + w->id) % 16;
                v = bpfaot_map__lookup_elem(w->map, &k);
                CHECK(v);
                __atomic_fetch_add(v, 1, __ATOMIC_RELAXED);
        }
        return NULL;
}

static void test_array(uint32_t type)
{
        struct bpfaot_map_def def = {
            .type = type, .key_size = 4, .value_size = 8, .max_entries = 16};
        struct worker w[NTHREADS];
        struct bpfaot_map *m;
        uint64_t sum = 0, *all;
        uint32_t k, c, ncpus;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        ncpus = bpfaot_map__ncpus(m);
        all = calloc(ncpus, 8);
        CHECK(all);
        run_threads(array_worker, w, m);
        for (k = 0; k < 16; k++) {
                CHECK_EQ(bpfaot_map__lookup_copy(m, &k, all), 0);
                for (c = 0; c < ncpus; c++)
                        sum += all[c];
        }
        CHECK_EQ(sum, (uint64_t)NTHREADS * ITERS);
        free(all);
        bpfaot_map__free(m);
}

static void *queue_producer(void *arg)
{
        struct worker *w = arg;
        uint32_t i, v;

        for (i = 0; i < ITERS / 4; i++) {
                v = w->id * 1000000 + i;
                while (bpfaot_map__push_elem(w->map, &v, BPF_ANY) == -E2BIG)
                        sched_yield();
        }
        return NULL;
}

static void test_queue(void)
{
        struct bpfaot_map_def def = {
            .type = BPF_MAP_TYPE_QUEUE, .value_size = 4, .max_entries = 64};
        struct worker w[NTHREADS];
        struct bpfaot_map *m;
        uint32_t last[NTHREADS], got = 0, v, i;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        pthread_t t[NTHREADS];
        for (i = 0; i < NTHREADS; i++) {
                w[i] = (struct worker){.map = m, .id = i};
                last[i] = UINT32_MAX;
                CHECK_EQ(pthread_create(&t[i], NULL, queue_producer, &w[i]), 0);
        }
        while (got < NTHREADS * (ITERS / 4)) {
                if (bpfaot_map__pop_elem(m, &v) == -ENOENT) {
                        sched_yield();
                        continue;
                }
                i = v / 1000000;
                CHECK(i < NTHREADS);
                CHECK_EQ(v % 1000000, last[i] + 1); /* FIFO per producer */
                last[i] = v % 1000000;
                got++;
        }
        for (i = 0; i < NTHREADS; i++)
                CHECK_EQ(pthread_join(t[i], NULL), 0);
        CHECK_EQ(bpfaot_map__pop_elem(m, &v), -ENOENT);
        bpfaot_map__free(m);
}

struct rec {
        uint32_t id, seq;
        uint64_t payload[3];
};

static void *rb_producer(void *arg)
{
        struct worker *w = arg;
        uint32_t i;

        for (i = 0; i < ITERS / 2;) {
                struct rec r = {.id = w->id, .seq = i, .payload = {i, i * 2, i * 3}};
                struct rec *p;

                if (i % 5 == 4) { /* every fifth goes through reserve; some discarded */
                        size_t sz = sizeof(*p) - 8 * (i % 2);

                        p = bpfaot_ringbuf__reserve(w->map, sz, 0);
                        if (!p) {
                                sched_yield();
                                continue;
                        }
                        memcpy(p, &r, sz);
                        if (i % 10 == 9) {
                                bpfaot_ringbuf__discard(p, 0);
                        } else {
                                bpfaot_ringbuf__submit(p, 0);
                                w->ok++;
                        }
                } else if (bpfaot_ringbuf__output(w->map, &r, sizeof(r), 0)) {
                        sched_yield();
                        continue;
                } else {
                        w->ok++;
                }
                i++;
        }
        return NULL;
}

struct rb_state {
        uint32_t next_seq[NTHREADS];
        uint64_t records;
};

static int rb_check(void *ctx, void *data, size_t size)
{
        struct rb_state *s = ctx;
        struct rec *r = data;

        CHECK(size == sizeof(*r) || size == sizeof(*r) - 8);
        CHECK(r->id < NTHREADS);
        CHECK(r->seq >= s->next_seq[r->id]); /* in order per producer */
        CHECK(r->seq % 10 != 9);             /* discarded records never show up */
        CHECK_EQ(r->payload[0], r->seq);
        CHECK_EQ(r->payload[1], r->seq * 2);
        if (size == sizeof(*r))
                CHECK_EQ(r->payload[2], r->seq * 3);
        s->next_seq[r->id] = r->seq + 1;
        s->records++;
        return 0;
}

static void test_ringbuf(void)
{
        struct bpfaot_map_def def = {.type = BPF_MAP_TYPE_RINGBUF, .max_entries = 16384};
        struct rb_state s = {{0}, 0};
        struct worker w[NTHREADS];
        struct bpfaot_map *m;
        pthread_t t[NTHREADS];
        uint64_t produced = 0;
        uint32_t i;
        int n;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        for (i = 0; i < NTHREADS; i++) {
                w[i] = (struct worker){.map = m, .id = i};
                CHECK_EQ(pthread_create(&t[i], NULL, rb_producer, &w[i]), 0);
        }
        /* Every record is produced exactly once: consume until all arrived. */
        const uint64_t expect = (uint64_t)NTHREADS * (ITERS / 2 - ITERS / 2 / 10);
        while (s.records < expect) {
                n = bpfaot_ringbuf__consume(m, rb_check, &s);
                CHECK(n >= 0);
                if (n == 0)
                        sched_yield();
        }
        for (i = 0; i < NTHREADS; i++) {
                CHECK_EQ(pthread_join(t[i], NULL), 0);
                produced += w[i].ok;
        }
        CHECK_EQ(bpfaot_ringbuf__consume(m, rb_check, &s), 0);
        CHECK_EQ(produced, expect);
        CHECK_EQ(s.records, expect);
        CHECK_EQ(bpfaot_ringbuf__query(m, BPF_RB_AVAIL_DATA), 0);
        bpfaot_map__free(m);
}

int main(void)
{
        test_hash();
        test_hash_full();
        test_lru();
        test_array(BPF_MAP_TYPE_ARRAY);
        test_array(BPF_MAP_TYPE_PERCPU_ARRAY);
        test_queue();
        test_ringbuf();
        printf("ok\n");
        return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * USER_RINGBUF: the host's reserve/submit/discard, and the helper
 * user_ringbuf_drain (209) as a compiled program calls it: the callback's
 * dynptr (the kernel's layout), order, discards, a record still reserved,
 * a callback that stops, flags, -EBUSY for a nested drain, full and
 * wrap-around, and a producer thread racing drains.
 */
#include "check.h"

#include <bpfaot/maps.h>
#include <bpfaot/runtime.h>
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <string.h>

/* struct bpf_dynptr as the kernel lays it out (struct bpf_dynptr_kern). */
struct kdynptr {
        void *data;
        uint32_t size; /* bits 0-23 size, 28-30 type, 31 read-only */
        uint32_t offset;
};

static uint64_t (*drain)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

static long drain_fn(struct bpfaot_map *m, long (*cb)(uint64_t, uint64_t), void *ctx,
                     uint64_t flags)
{
        return (long)drain((uint64_t)(uintptr_t)m, (uint64_t)(uintptr_t)cb,
                           (uint64_t)(uintptr_t)ctx, flags, 0);
}

struct seen {
        uint32_t n, stop_after;
        uint32_t size[64];
        uint8_t tag[64];
        struct bpfaot_map *map; /* nested drain from the callback */
        long nested;
};

static long collect(uint64_t dynptr, uint64_t ctx)
{
        struct kdynptr *d = (struct kdynptr *)(uintptr_t)dynptr;
        struct seen *s = (struct seen *)(uintptr_t)ctx;
        uint32_t size = d->size & 0xffffff;

        CHECK(s->n < 64);
        CHECK_EQ(d->size >> 31, 1);       /* read-only */
        CHECK_EQ((d->size >> 28) & 7, 1); /* BPF_DYNPTR_TYPE_LOCAL */
        CHECK_EQ(d->offset, 0);
        CHECK_EQ((uintptr_t)d->data % 8, 0);
        s->size[s->n] = size;
        s->tag[s->n] = size ? *(uint8_t *)d->data : 0;
        for (uint32_t i = 0; i < size; i++)
                CHECK_EQ(((uint8_t *)d->data)[i], s->tag[s->n]);
        if (s->map)
                s->nested = drain_fn(s->map, collect, s, 0);
        s->n++;
        return s->stop_after && s->n == s->stop_after;
}

static void put(struct bpfaot_map *m, uint32_t size, uint8_t tag, bool discard)
{
        void *p = bpfaot_user_ring_buffer__reserve(m, size);

        CHECK(p);
        memset(p, tag, size);
        if (discard)
                bpfaot_user_ring_buffer__discard(m, p);
        else
                bpfaot_user_ring_buffer__submit(m, p);
}

static void test_basic(void)
{
        struct bpfaot_map_def def = {.type = BPF_MAP_TYPE_USER_RINGBUF, .max_entries = 4096};
        struct bpfaot_map_def bad = def,
                              rbdef = {.type = BPF_MAP_TYPE_RINGBUF, .max_entries = 4096};
        struct bpfaot_map *m, *rb;
        struct seen s = {0};
        void *held;

        bad.key_size = 4;
        CHECK_EQ(bpfaot_map__create(&bad, &m), -EINVAL);
        bad = def;
        bad.max_entries = 4096 + 8;
        CHECK_EQ(bpfaot_map__create(&bad, &m), -EINVAL);
        CHECK_EQ(bpfaot_map__create(&rbdef, &rb), 0);
        CHECK_EQ(bpfaot_map__create(&def, &m), 0);

        CHECK_EQ(drain_fn(m, collect, &s, 0), 0);
        CHECK_EQ(drain_fn(m, collect, &s, 4), -EINVAL);
        CHECK_EQ(drain_fn(rb, collect, &s, 0), -EINVAL);
        CHECK_EQ(drain_fn(m, collect, &s, BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP), 0);
        errno = 0;
        CHECK(!bpfaot_user_ring_buffer__reserve(rb, 8));
        CHECK_EQ(errno, EINVAL);
        CHECK(!bpfaot_user_ring_buffer__reserve(m, 4096));
        CHECK_EQ(errno, E2BIG);
        CHECK(!bpfaot_user_ring_buffer__reserve(m, 1u << 31));
        CHECK_EQ(errno, E2BIG);

        /* Order, a discard skipped and not counted, a reserved record stops the drain. */
        put(m, 5, 1, false);
        put(m, 16, 2, true);
        put(m, 0, 3, false);
        held = bpfaot_user_ring_buffer__reserve(m, 8);
        CHECK(held);
        put(m, 3, 4, false);
        CHECK_EQ(drain_fn(m, collect, &s, 0), 2);
        CHECK_EQ(s.n, 2);
        CHECK_EQ(s.size[0], 5);
        CHECK_EQ(s.tag[0], 1);
        CHECK_EQ(s.size[1], 0);
        memset(held, 5, 8);
        bpfaot_user_ring_buffer__submit(m, held);
        /* A callback returning nonzero stops after its sample (which counts). */
        s.stop_after = 3;
        CHECK_EQ(drain_fn(m, collect, &s, 0), 1);
        CHECK_EQ(s.tag[2], 5);
        s.stop_after = 0;
        /* A drain inside a drain: -EBUSY. */
        s.map = m;
        CHECK_EQ(drain_fn(m, collect, &s, 0), 1);
        CHECK_EQ(s.tag[3], 4);
        CHECK_EQ(s.nested, -EBUSY);
        s.map = NULL;

        /* Full, then room again after a drain; records crossing the end stay whole. */
        for (int round = 0; round < 8; round++) {
                uint32_t put_cnt = 0;

                for (;;) {
                        void *p = bpfaot_user_ring_buffer__reserve(m, 1000);

                        if (!p) {
                                CHECK_EQ(errno, ENOSPC);
                                break;
                        }
                        memset(p, (uint8_t)(round + 10), 1000);
                        bpfaot_user_ring_buffer__submit(m, p);
                        put_cnt++;
                }
                CHECK(put_cnt >= 3);
                s.n = 0;
                CHECK_EQ(drain_fn(m, collect, &s, 0), put_cnt);
        }
        bpfaot_map__free(m);
        bpfaot_map__free(rb);
}

/* A producer thread and drains racing (TSan). */
#define RACE_RECORDS 20000

static struct bpfaot_map *shared;

static void *producer(void *arg)
{
        (void)arg;
        for (uint32_t i = 0; i < RACE_RECORDS;) {
                uint32_t *p = bpfaot_user_ring_buffer__reserve(shared, sizeof(*p) * (1 + i % 7));

                if (!p)
                        continue; /* full: the drains make room */
                for (uint32_t k = 0; k < 1 + i % 7; k++)
                        p[k] = i;
                bpfaot_user_ring_buffer__submit(shared, p);
                i++;
        }
        return NULL;
}

struct order {
        uint32_t next;
};

static long check_order(uint64_t dynptr, uint64_t ctx)
{
        struct kdynptr *d = (struct kdynptr *)(uintptr_t)dynptr;
        struct order *o = (struct order *)(uintptr_t)ctx;
        const uint32_t *v = d->data;

        CHECK_EQ(d->size & 0xffffff, sizeof(uint32_t) * (1 + o->next % 7));
        CHECK_EQ(v[0], o->next);
        CHECK_EQ(v[o->next % 7], o->next);
        o->next++;
        return 0;
}

static void test_race(void)
{
        struct bpfaot_map_def def = {.type = BPF_MAP_TYPE_USER_RINGBUF, .max_entries = 4096};
        struct order o = {0};
        pthread_t thr;

        CHECK_EQ(bpfaot_map__create(&def, &shared), 0);
        CHECK_EQ(pthread_create(&thr, NULL, producer, NULL), 0);
        while (o.next < RACE_RECORDS)
                CHECK(drain_fn(shared, check_order, &o, 0) >= 0);
        pthread_join(thr, NULL);
        CHECK_EQ(drain_fn(shared, check_order, &o, 0), 0);
        bpfaot_map__free(shared);
}

int main(void)
{
        const struct bpfaot_rt_helper *h = bpfaot_rt_helper_find(BPF_FUNC_user_ringbuf_drain);

        CHECK(h);
        CHECK(!strcmp(h->name, "user_ringbuf_drain"));
        drain = h->fn;
        test_basic();
        test_race();
        return 0;
}

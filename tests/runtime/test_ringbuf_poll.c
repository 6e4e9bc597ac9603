/* SPDX-License-Identifier: MIT */
/*
 * bpfaot_ringbuf__poll(): returns at once with what is there, waits for a
 * producer thread without spinning (little CPU time while asleep), returns
 * 0 at the timeout, honours BPF_RB_NO_WAKEUP, and a consumer fed by a
 * producer thread sees every record in order (run under TSan too).
 */
#define _GNU_SOURCE
#include "check.h"

#include <bpfaot/maps.h>
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

static struct bpfaot_map *rb;

static uint64_t now_ns(clockid_t clock)
{
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

        nanosleep(&ts, NULL);
}

static void produce(uint32_t v, uint64_t flags)
{
        uint32_t *p = bpfaot_ringbuf__reserve(rb, sizeof(v), 0);

        CHECK(p);
        *p = v;
        bpfaot_ringbuf__submit(p, flags);
}

struct order {
        uint32_t next;
};

static int in_order(void *ctx, void *data, size_t size)
{
        struct order *o = ctx;

        CHECK_EQ(size, sizeof(uint32_t));
        CHECK_EQ(*(uint32_t *)data, o->next);
        o->next++;
        return 0;
}

static int fail_cb(void *ctx, void *data, size_t size)
{
        (void)ctx, (void)data, (void)size;
        return -42;
}

struct delayed {
        unsigned ms;
        uint32_t value;
        uint64_t flags;
};

static void *produce_later(void *arg)
{
        struct delayed *d = arg;

        sleep_ms(d->ms);
        produce(d->value, d->flags);
        return NULL;
}

static void test_timeouts(void)
{
        struct order o = {0};
        struct delayed d;
        pthread_t thr;
        uint64_t t0, cpu0;
        int n;

        /* Nothing there: 0 at once with no timeout, 0 after the timeout with one. */
        CHECK_EQ(bpfaot_ringbuf__poll(rb, in_order, &o, 0), 0);
        t0 = now_ns(CLOCK_MONOTONIC);
        CHECK_EQ(bpfaot_ringbuf__poll(rb, in_order, &o, 60), 0);
        CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 60000000ull);

        /* Records already there: returned without waiting. */
        produce(0, 0);
        produce(1, 0);
        t0 = now_ns(CLOCK_MONOTONIC);
        CHECK_EQ(bpfaot_ringbuf__poll(rb, in_order, &o, 10000), 2);
        CHECK(now_ns(CLOCK_MONOTONIC) - t0 < 5000000000ull);

        /* A record 200 ms later wakes a poll without limit; it slept meanwhile. */
        d = (struct delayed){200, 2, 0};
        CHECK_EQ(pthread_create(&thr, NULL, produce_later, &d), 0);
        t0 = now_ns(CLOCK_MONOTONIC);
        cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
        n = bpfaot_ringbuf__poll(rb, in_order, &o, -1);
        CHECK_EQ(n, 1);
        CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 150000000ull);
        CHECK(now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0 < 50000000ull); /* no busy loop */
        pthread_join(thr, NULL);

        /* BPF_RB_NO_WAKEUP: the poll sleeps to its timeout, then takes the record. */
        d = (struct delayed){20, 3, BPF_RB_NO_WAKEUP};
        CHECK_EQ(pthread_create(&thr, NULL, produce_later, &d), 0);
        t0 = now_ns(CLOCK_MONOTONIC);
        CHECK_EQ(bpfaot_ringbuf__poll(rb, in_order, &o, 300), 1);
        CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 300000000ull);
        pthread_join(thr, NULL);
        CHECK_EQ(o.next, 4);

        /* The callback's error, and bad arguments. */
        produce(4, 0);
        CHECK_EQ(bpfaot_ringbuf__poll(rb, fail_cb, NULL, -1), -42);
        CHECK_EQ(bpfaot_ringbuf__poll(rb, NULL, NULL, 0), -EINVAL);
        CHECK_EQ(bpfaot_ringbuf__poll(NULL, in_order, &o, 0), -EINVAL);
}

/* Many records from a producer thread, consumed by polls as they come. */
#define STREAM 50000

static void *producer(void *arg)
{
        (void)arg;
        for (uint32_t i = 0; i < STREAM;) {
                uint32_t *p = bpfaot_ringbuf__reserve(rb, sizeof(*p), 0);

                if (!p) { /* full: let the consumer catch up */
                        sched_yield();
                        continue;
                }
                *p = i++;
                bpfaot_ringbuf__submit(p, i % 16 ? 0 : BPF_RB_FORCE_WAKEUP);
        }
        return NULL;
}

static void test_stream(void)
{
        struct order o = {0};
        pthread_t thr;

        CHECK_EQ(pthread_create(&thr, NULL, producer, NULL), 0);
        while (o.next < STREAM)
                CHECK(bpfaot_ringbuf__poll(rb, in_order, &o, 1000) > 0);
        pthread_join(thr, NULL);
        CHECK_EQ(bpfaot_ringbuf__poll(rb, in_order, &o, 0), 0);
}

int main(void)
{
        struct bpfaot_map_def def = {.type = BPF_MAP_TYPE_RINGBUF, .max_entries = 4096};
        struct bpfaot_map_def arr = {
            .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 1};
        struct bpfaot_map *a;
        struct order o = {0};

        CHECK_EQ(bpfaot_map__create(&arr, &a), 0);
        CHECK_EQ(bpfaot_ringbuf__poll(a, in_order, &o, 0), -EINVAL);
        bpfaot_map__free(a);
        CHECK_EQ(bpfaot_map__create(&def, &rb), 0);
        test_timeouts();
        bpfaot_map__free(rb);
        CHECK_EQ(bpfaot_map__create(&def, &rb), 0);
        test_stream();
        bpfaot_map__free(rb);
        return 0;
}

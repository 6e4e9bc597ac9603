/* SPDX-License-Identifier: MIT */
/*
 * bpf_timer in ARRAY and HASH values: init/set_callback/start/cancel with
 * the kernel's errors, the callback's (map, key, value), re-arming from the
 * callback, cancellation by update, delete and map free (pending and
 * running callbacks: no use after free, checked under ASan and TSan), and
 * callbacks of timers set by sandboxed runs, run as sandboxed runs.
 */
#define _GNU_SOURCE
#include "check.h"
#include "helper_decls.h"

#include <bpfaot/maps.h>
#include <bpfaot/sandbox.h>
#include <errno.h>
#include <pthread.h>
#include <linux/bpf.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NEG(e) ((uint64_t) - (e))
#define MS     1000000ull

#ifndef BPF_F_TIMER_ABS
#define BPF_F_TIMER_ABS (1ULL << 0)
#endif

struct value {
        uint64_t fired;     /* callback calls */
        uint64_t rearm;     /* the callback re-arms itself this many times */
        uint64_t sleep_ms;  /* the callback sleeps this long */
        uint64_t cancel_rc; /* what timer_cancel of its own timer gave in the callback */
        uint32_t key_seen;
        struct bpf_timer timer;
};

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t fired(struct value *v)
{
        return __atomic_load_n(&v->fired, __ATOMIC_ACQUIRE);
}

/* Wait until v->fired reaches n (at most 5 s). */
static int wait_fired(struct value *v, uint64_t n)
{
        for (int i = 0; i < 5000 && fired(v) < n; i++)
                usleep(1000);
        return fired(v) >= n;
}

static uint64_t on_timer(uint64_t map, uint64_t key, uint64_t value, uint64_t r4, uint64_t r5)
{
        struct value *v = (struct value *)(uintptr_t)value;

        (void)map, (void)r4, (void)r5;
        memcpy(&v->key_seen, (const void *)(uintptr_t)key, sizeof(v->key_seen));
        __atomic_store_n(&v->cancel_rc, _bpf_helper_ext_0172(U(&v->timer), 0, 0, 0, 0),
                         __ATOMIC_RELEASE);
        if (v->sleep_ms)
                usleep((useconds_t)v->sleep_ms * 1000);
        if (v->rearm) {
                v->rearm--;
                CHECK_EQ(_bpf_helper_ext_0171(U(&v->timer), 1 * MS, 0, 0, 0), 0);
        }
        __atomic_add_fetch(&v->fired, 1, __ATOMIC_RELEASE);
        return 0;
}

static uint64_t t_init(struct value *v, struct bpfaot_map *m, uint64_t clock)
{
        return _bpf_helper_ext_0169(U(&v->timer), U(m), clock, 0, 0);
}
static uint64_t t_cb(struct value *v)
{
        return _bpf_helper_ext_0170(U(&v->timer), U(on_timer), 0, 0, 0);
}
static uint64_t t_start(struct value *v, uint64_t ns, uint64_t flags)
{
        return _bpf_helper_ext_0171(U(&v->timer), ns, flags, 0, 0);
}
static uint64_t t_cancel(struct value *v)
{
        return _bpf_helper_ext_0172(U(&v->timer), 0, 0, 0, 0);
}

static struct bpfaot_map *make(uint32_t type, uint32_t max)
{
        struct bpfaot_map_def def = {
            .type = type, .key_size = 4, .value_size = sizeof(struct value), .max_entries = max};
        struct bpfaot_map *m;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        return m;
}

static struct value *elem(struct bpfaot_map *m, uint32_t k)
{
        struct value *v = bpfaot_map__lookup_elem(m, &k);

        CHECK(v);
        return v;
}

static void test_errors(void)
{
        struct bpfaot_map *m = make(BPF_MAP_TYPE_ARRAY, 4), *other = make(BPF_MAP_TYPE_ARRAY, 4);
        struct value *v = elem(m, 1), local = {0};

        /* not initialised: every use is -EINVAL */
        CHECK_EQ(t_cb(v), NEG(EINVAL));
        CHECK_EQ(t_start(v, MS, 0), NEG(EINVAL));
        CHECK_EQ(t_cancel(v), NEG(EINVAL));
        /* clocks: MONOTONIC, REALTIME, BOOTTIME only */
        CHECK_EQ(t_init(v, m, CLOCK_PROCESS_CPUTIME_ID), NEG(EINVAL));
        CHECK_EQ(t_init(v, m, 16 + CLOCK_MONOTONIC), NEG(EINVAL));
        CHECK_EQ(t_init(v, m, CLOCK_MONOTONIC_RAW), NEG(EINVAL));
        /* the timer must be in a value of that map */
        CHECK_EQ(t_init(&local, m, CLOCK_MONOTONIC), NEG(EINVAL));
        CHECK_EQ(t_init(v, other, CLOCK_MONOTONIC), NEG(EINVAL));
        CHECK_EQ(t_init(v, NULL, CLOCK_MONOTONIC), NEG(EINVAL));

        CHECK_EQ(t_init(v, m, CLOCK_BOOTTIME), 0);
        CHECK_EQ(t_init(v, m, CLOCK_MONOTONIC), NEG(EBUSY));
        CHECK_EQ(t_start(v, MS, 0), NEG(EINVAL)); /* no callback yet */
        CHECK_EQ(t_cb(v), 0);
        CHECK_EQ(t_start(v, MS, 4), NEG(EINVAL)); /* unknown flag */
        CHECK_EQ(t_cancel(v), 0);                 /* not pending */
        /* a copy of an initialised timer's bytes elsewhere is not a timer */
        memcpy(&elem(m, 2)->timer, &v->timer, sizeof(v->timer));
        CHECK_EQ(t_start(elem(m, 2), MS, 0), NEG(EINVAL));
        memcpy(&local.timer, &v->timer, sizeof(v->timer));
        CHECK_EQ(t_cancel(&local), NEG(EINVAL));
        /* PERCPU maps hold no timers */
        {
                struct bpfaot_map *pc = make(BPF_MAP_TYPE_PERCPU_ARRAY, 2);

                CHECK_EQ(t_init(elem(pc, 0), pc, CLOCK_MONOTONIC), NEG(EINVAL));
                bpfaot_map__free(pc);
        }
        bpfaot_map__free(m);
        bpfaot_map__free(other);
}

static void test_fire(uint32_t type)
{
        struct bpfaot_map *m = make(type, 8);
        uint32_t k = 5;
        struct value init = {0}, *v;
        uint64_t t0;

        CHECK_EQ(bpfaot_map__update_elem(m, &k, &init, BPF_ANY), 0);
        v = elem(m, 5);
        CHECK_EQ(t_init(v, m, CLOCK_MONOTONIC), 0);
        CHECK_EQ(t_cb(v), 0);
        t0 = now_ns();
        CHECK_EQ(t_start(v, 20 * MS, 0), 0);
        CHECK(wait_fired(v, 1));
        CHECK(now_ns() - t0 >= 20 * MS); /* not before its time */
        CHECK_EQ(v->key_seen, 5);        /* (map, key, value) of its element */
        CHECK_EQ(v->cancel_rc, NEG(EDEADLK));
        /* re-armed from the callback: 3 more times */
        v->rearm = 3;
        CHECK_EQ(t_start(v, 0, 0), 0);
        CHECK(wait_fired(v, 5));
        usleep(20000);
        CHECK_EQ(fired(v), 5);
        /* absolute time on the timer's clock */
        CHECK_EQ(t_start(v, now_ns() + 5 * MS, BPF_F_TIMER_ABS), 0);
        CHECK(wait_fired(v, 6));
        /* cancel: 1 when pending, and the callback is dropped */
        CHECK_EQ(t_start(v, 10000 * MS, 0), 0);
        CHECK_EQ(t_cancel(v), 1);
        CHECK_EQ(t_cancel(v), 0);
        CHECK_EQ(t_start(v, MS, 0), NEG(EINVAL));
        CHECK_EQ(t_cb(v), 0);
        /* a re-start moves a pending timer */
        CHECK_EQ(t_start(v, 10000 * MS, 0), 0);
        CHECK_EQ(t_start(v, 1 * MS, 0), 0);
        CHECK(wait_fired(v, 7));
        bpfaot_map__free(m);
}

/* Update and delete cancel the element's timer; the element may get a new one. */
static void test_release(void)
{
        struct bpfaot_map *h = make(BPF_MAP_TYPE_HASH, 4), *a = make(BPF_MAP_TYPE_ARRAY, 4);
        struct value init = {0}, copy, *v;
        uint32_t k = 2;

        CHECK_EQ(bpfaot_map__update_elem(h, &k, &init, BPF_ANY), 0);
        v = elem(h, 2);
        CHECK_EQ(t_init(v, h, CLOCK_MONOTONIC), 0);
        CHECK_EQ(t_cb(v), 0);
        CHECK_EQ(t_start(v, 30 * MS, 0), 0);
        CHECK_EQ(bpfaot_map__delete_elem(h, &k), 0);
        CHECK_EQ(t_cancel(v), NEG(EINVAL)); /* gone with its element */
        usleep(60000);
        CHECK_EQ(fired(v), 0);

        /* lookup-and-delete releases it as delete does */
        CHECK_EQ(bpfaot_map__update_elem(h, &k, &init, BPF_ANY), 0);
        v = elem(h, 2);
        CHECK_EQ(t_init(v, h, CLOCK_MONOTONIC), 0);
        CHECK_EQ(t_cb(v), 0);
        CHECK_EQ(t_start(v, 30 * MS, 0), 0);
        CHECK_EQ(bpfaot_map__lookup_and_delete_elem(h, &k, &copy, 0), 0);
        CHECK_EQ(t_cancel(v), NEG(EINVAL));
        usleep(60000);
        CHECK_EQ(fired(v), 0);

        v = elem(a, 3);
        CHECK_EQ(t_init(v, a, CLOCK_MONOTONIC), 0);
        CHECK_EQ(t_cb(v), 0);
        CHECK_EQ(t_start(v, 30 * MS, 0), 0);
        memcpy(&copy, v, sizeof(copy)); /* the timer's own bytes written back */
        k = 3;
        CHECK_EQ(bpfaot_map__update_elem(a, &k, &copy, BPF_ANY), 0);
        CHECK_EQ(t_start(v, MS, 0), NEG(EINVAL));
        usleep(60000);
        CHECK_EQ(fired(v), 0);
        CHECK_EQ(t_init(v, a, CLOCK_MONOTONIC), 0); /* a new one */
        CHECK_EQ(t_cb(v), 0);
        CHECK_EQ(t_start(v, MS, 0), 0);
        CHECK(wait_fired(v, 1));
        bpfaot_map__free(h);
        bpfaot_map__free(a);
}

/* Freeing a map with pending timers and a running callback waits, then frees. */
static void test_free(void)
{
        struct bpfaot_map *m = make(BPF_MAP_TYPE_ARRAY, 64);
        struct value *slow = elem(m, 0);

        for (uint32_t k = 1; k < 64; k++) {
                struct value *v = elem(m, k);

                CHECK_EQ(t_init(v, m, CLOCK_MONOTONIC), 0);
                CHECK_EQ(t_cb(v), 0);
                CHECK_EQ(t_start(v, 100000 * MS, 0), 0);
        }
        slow->sleep_ms = 50;
        CHECK_EQ(t_init(slow, m, CLOCK_REALTIME), 0);
        CHECK_EQ(t_cb(slow), 0);
        CHECK_EQ(t_start(slow, 0, 0), 0);
        while (!__atomic_load_n(&slow->cancel_rc, __ATOMIC_ACQUIRE))
                usleep(100);
        bpfaot_map__free(m); /* the callback is sleeping in it */
}

/*
 * Threads initialise, arm and cancel the timers of a few elements while
 * their callbacks fire: no crash, no race (TSan), every result one the
 * kernel could give. (Concurrent plain updates of one value are torn
 * writes, as ARRAY maps document; release by update is tested above.)
 */
struct stress {
        struct bpfaot_map *m;
        unsigned seed;
};

static void *stress_thread(void *arg)
{
        struct stress *st = arg;

        for (int i = 0; i < 2000; i++) {
                uint32_t k = (st->seed = st->seed * 1103515245u + 12345u) >> 16 & 3;
                struct value *v = elem(st->m, k);
                uint64_t r;

                switch ((st->seed >> 8) % 3) {
                case 0:
                        r = t_init(v, st->m, CLOCK_MONOTONIC);
                        CHECK(r == 0 || r == NEG(EBUSY));
                        r = t_cb(v);
                        CHECK(r == 0 || r == NEG(EINVAL));
                        break;
                case 1:
                        r = t_start(v, (st->seed >> 4 & 3) * 100000, 0);
                        CHECK(r == 0 || r == NEG(EINVAL));
                        break;
                default:
                        r = t_cancel(v);
                        CHECK(r == 0 || r == 1 || r == NEG(EINVAL));
                        break;
                }
        }
        return NULL;
}

static void test_stress(void)
{
        struct bpfaot_map *m = make(BPF_MAP_TYPE_ARRAY, 4);
        struct stress st[4];
        pthread_t t[4];

        for (int i = 0; i < 4; i++)
                st[i] = (struct stress){m, (unsigned)i * 7919u + 1};
        for (int i = 0; i < 4; i++)
                CHECK(pthread_create(&t[i], NULL, stress_thread, &st[i]) == 0);
        for (int i = 0; i < 4; i++)
                CHECK(pthread_join(t[i], NULL) == 0);
        bpfaot_map__free(m);
}

/*
 * A timer set by a sandboxed run: its callback runs as a sandboxed run of
 * its own (the same program, maps and budget; the key as its context),
 * and a fault there is kept with the map (bpfaot_map__timer_faults).
 * on_sandboxed does what compiled --sandbox code does: joins the run,
 * checks its accesses, leaves. With rearm == 7 it stores outside the
 * program's memory.
 */
static uint64_t wild_word;

static uint64_t on_sandboxed(uint64_t map, uint64_t key, uint64_t value, uint64_t r4, uint64_t r5)
{
        struct value *v = (struct value *)(uintptr_t)value;
        struct bpfaot_sandbox_run *run = bpfaot_rt_sandbox_push(0, 0, 0);

        (void)map, (void)r4, (void)r5;
        if (run->failed) /* no run: the callback was not sandboxed */
                return 0;
        CHECK_EQ(
            bpfaot_rt_sandbox_check(run, key, 4, BPFAOT_SANDBOX_HOW(1, BPFAOT_SANDBOX_LOAD, 0, 0)),
            1);
        CHECK_EQ(bpfaot_rt_sandbox_check(run, value, sizeof(*v),
                                         BPFAOT_SANDBOX_HOW(2, BPFAOT_SANDBOX_STORE, 0, 0)),
                 1);
        memcpy(&v->key_seen, (const void *)(uintptr_t)key, sizeof(v->key_seen));
        if (v->rearm == 7)
                CHECK_EQ(bpfaot_rt_sandbox_check(run, U(&wild_word), 8,
                                                 BPFAOT_SANDBOX_HOW(3, BPFAOT_SANDBOX_STORE, 0, 0)),
                         0);
        bpfaot_rt_sandbox_pop(run);
        __atomic_add_fetch(&v->fired, 1, __ATOMIC_RELEASE);
        return 0;
}

static void test_sandboxed(void)
{
        struct bpfaot_map *m = make(BPF_MAP_TYPE_ARRAY, 4);
        struct bpfaot_sandbox_run run;
        struct bpfaot_sandbox_fault f;
        struct value *v = elem(m, 3);
        void *maps[] = {m};

        CHECK_EQ(t_init(v, m, CLOCK_MONOTONIC), 0);
        bpfaot_rt_sandbox_enter(&run, "timed", 0, 0, NULL, 0, maps, 1, 1000);
        CHECK_EQ(_bpf_helper_ext_0170(U(&v->timer), U(on_sandboxed), 0, 0, 0), 0);
        CHECK_EQ(t_start(v, MS, 0), 0);
        bpfaot_rt_sandbox_leave(&run);
        /* The run's list of maps lives in its entry's frame, gone after the run: the timer's run
           has a copy. */
        maps[0] = NULL;
        CHECK(!bpfaot_sandbox_fault(NULL));
        CHECK(wait_fired(v, 1));
        CHECK_EQ(v->key_seen, 3);
        CHECK_EQ(bpfaot_map__timer_faults(m, &f), 0);
        /* The callback stores outside the program's memory: its run faults, the host's did not. */
        v->rearm = 7;
        CHECK_EQ(t_start(v, MS, 0), 0);
        CHECK(wait_fired(v, 2));
        CHECK_EQ(bpfaot_map__timer_faults(m, &f), 1);
        CHECK_EQ(f.kind, BPFAOT_SANDBOX_STORE);
        CHECK_EQ(f.insn, 3);
        CHECK_EQ(f.addr, U(&wild_word));
        CHECK(strcmp(f.prog, "timed") == 0);
        CHECK(!bpfaot_sandbox_fault(NULL));
        /* Set outside any run, the same callback runs unsandboxed (it joins no run). */
        v->rearm = 0;
        CHECK_EQ(_bpf_helper_ext_0170(U(&v->timer), U(on_sandboxed), 0, 0, 0), 0);
        CHECK_EQ(t_start(v, MS, 0), 0);
        usleep(50000);
        CHECK_EQ(fired(v), 2);
        CHECK_EQ(bpfaot_map__timer_faults(m, NULL), 1);
        bpfaot_map__free(m);
}

int main(void)
{
        test_errors();
        test_fire(BPF_MAP_TYPE_ARRAY);
        test_fire(BPF_MAP_TYPE_HASH);
        test_release();
        test_free();
        test_stress();
        test_sandboxed();
        printf("ok\n");
        return 0;
}

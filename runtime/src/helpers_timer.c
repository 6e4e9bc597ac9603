/* SPDX-License-Identifier: MIT */
/*
 * bpf_timer: timer_init, timer_set_callback, timer_start, timer_cancel.
 *
 * A map's timers belong to the map (struct bpfaot_timers, made by its
 * first timer_init): one slot per element (the kernel allows one bpf_timer
 * per value), a list of the initialised ones, and one thread that sleeps
 * until the earliest armed timer is due and runs its callback(map, key,
 * value) holding a virtual CPU, as a program run does. The 16-byte struct
 * bpf_timer in the value holds the map and a check word tied to its own
 * address, so that a copy of its bytes elsewhere, or bytes a map update
 * wrote over it, are "not initialised" (-EINVAL) rather than a wild pointer.
 *
 * An element's timer is cancelled and forgotten when the element is updated
 * or deleted, and every timer of a map when the map is freed: the thread is
 * stopped and joined (a running callback finishes first) before the map's
 * memory goes. LRU eviction reuses an element without that step, so a timer
 * of an evicted element stays with the element.
 */
#define _GNU_SOURCE
#include "helpers_internal.h"
#include "bpfaot/runtime.h"
#include "maps_internal.h"
#include "sandbox_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Mixed into the check word so that zeroed or small values never pass. */
#define TIMER_CHECK 0x9e3779b97f4a7c15ull

/* timer_start flags (linux/bpf.h of kernels newer than some build hosts'). */
#ifndef BPF_F_TIMER_ABS
#define BPF_F_TIMER_ABS (1ULL << 0)
#endif
#ifndef BPF_F_TIMER_CPU_PIN
#define BPF_F_TIMER_CPU_PIN (1ULL << 1)
#endif

struct timer {
        struct timer *next, *prev; /* the map's initialised timers */
        void *addr;                /* the struct bpf_timer in the map value */
        clockid_t clock;
        bpfaot_callback_fn cb; /* NULL: none set (or dropped by timer_cancel) */
        bool armed;
        uint64_t due; /* CLOCK_MONOTONIC ns, when armed */
        /* Set by a sandboxed run: the callback runs as a sandboxed run of that scope. */
        struct bpfaot__sandbox_scope *scope;
};

struct bpfaot_timers {
        struct bpfaot_map *map;
        pthread_mutex_t lock;
        pthread_cond_t wake;  /* the thread: a timer was armed, or stop */
        pthread_cond_t idle;  /* cancellers: the running callback returned */
        struct timer **slots; /* per element, max_entries */
        struct timer live;    /* list head of the initialised timers, which the thread scans */
        struct timer *running;
        pthread_t thread;
        bool stop;
        /* Sandboxed callbacks that faulted, and the last fault (bpfaot_map__timer_faults). */
        uint64_t faults;
        struct bpfaot_sandbox_fault last_fault;
};

static uint64_t now_ns(clockid_t id)
{
        struct timespec ts;

        clock_gettime(id, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *timer_thread(void *arg);

/* Stop the thread (after a running callback) and wait for it. */
static void timers_stop(struct bpfaot_timers *ts)
{
        pthread_mutex_lock(&ts->lock);
        ts->stop = true;
        pthread_cond_signal(&ts->wake);
        pthread_mutex_unlock(&ts->lock);
        pthread_join(ts->thread, NULL);
}

/* Free the state of a map's timers, the thread being gone or never made. */
static void timers_destroy(struct bpfaot_timers *ts)
{
        for (struct timer *t = ts->live.next, *next; t != &ts->live; t = next) {
                next = t->next;
                bpfaot__sandbox_scope_put(t->scope);
                free(t);
        }
        pthread_cond_destroy(&ts->wake);
        pthread_cond_destroy(&ts->idle);
        pthread_mutex_destroy(&ts->lock);
        free(ts->slots);
        free(ts);
}

/* The map's timers, made on first use; NULL when out of memory or threads. */
static struct bpfaot_timers *timers_of(struct bpfaot_map *map)
{
        struct bpfaot_timers *ts = __atomic_load_n(&map->timers, __ATOMIC_ACQUIRE),
                             *expected = NULL;
        pthread_condattr_t attr;

        if (ts)
                return ts;
        ts = calloc(1, sizeof(*ts));
        if (!ts)
                return NULL;
        ts->slots = calloc(map->def.max_entries, sizeof(*ts->slots));
        if (!ts->slots) {
                free(ts);
                return NULL;
        }
        pthread_mutex_init(&ts->lock, NULL);
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&ts->wake, &attr);
        pthread_condattr_destroy(&attr);
        pthread_cond_init(&ts->idle, NULL);
        ts->map = map;
        ts->live.next = ts->live.prev = &ts->live;
        if (pthread_create(&ts->thread, NULL, timer_thread, ts)) {
                timers_destroy(ts);
                return NULL;
        }
        if (__atomic_compare_exchange_n(&map->timers, &expected, ts, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
                return ts;
        /* Another thread made them first: use theirs. */
        timers_stop(ts);
        timers_destroy(ts);
        return expected;
}

/* Under ts->lock: the armed timer due first, or NULL. */
static struct timer *earliest(struct bpfaot_timers *ts)
{
        struct timer *first = NULL;

        for (struct timer *t = ts->live.next; t != &ts->live; t = t->next)
                if (t->armed && (!first || t->due < first->due))
                        first = t;
        return first;
}

static void *timer_thread(void *arg)
{
        struct bpfaot_timers *ts = arg;
        struct bpfaot_map *map = ts->map;

        pthread_mutex_lock(&ts->lock);
        while (!ts->stop) {
                struct timer *t = earliest(ts);
                uint64_t now = now_ns(CLOCK_MONOTONIC);
                struct bpfaot__sandbox_scope *scope;
                struct bpfaot_sandbox_fault fault;
                bpfaot_callback_fn cb;
                bool ok = true;
                const void *key;
                uint32_t index;
                void *value;

                if (!t) {
                        pthread_cond_wait(&ts->wake, &ts->lock);
                        continue;
                }
                if (t->due > now) {
                        struct timespec until = {(time_t)(t->due / 1000000000ull),
                                                 (long)(t->due % 1000000000ull)};

                        pthread_cond_timedwait(&ts->wake, &ts->lock, &until);
                        continue;
                }
                t->armed = false;
                cb = t->cb;
                value = map->ops->elem_of(map, t->addr, &index, &key);
                if (!cb || !value)
                        continue;
                /* Held: the callback may release its own timer (deleting its element). */
                scope = t->scope;
                if (scope)
                        bpfaot__sandbox_scope_hold(scope);
                ts->running = t;
                pthread_mutex_unlock(&ts->lock);
                /* t may be released meanwhile (its element deleted by the callback): not used. */
                bpfaot_rt_cpu_enter();
                if (scope)
                        ok = bpfaot__sandbox_run_callback(
                            scope, cb, (uint64_t)(uintptr_t)map, (uint64_t)(uintptr_t)key,
                            (uint64_t)(uintptr_t)value, key, map->def.key_size, &fault);
                else
                        cb((uint64_t)(uintptr_t)map, (uint64_t)(uintptr_t)key,
                           (uint64_t)(uintptr_t)value, 0, 0);
                bpfaot_rt_cpu_exit();
                bpfaot__sandbox_scope_put(scope);
                pthread_mutex_lock(&ts->lock);
                if (!ok) {
                        ts->faults++;
                        ts->last_fault = fault;
                }
                ts->running = NULL;
                pthread_cond_broadcast(&ts->idle);
        }
        pthread_mutex_unlock(&ts->lock);
        return NULL;
}

/* Under ts->lock: wait until t's callback is not running (unless it is this thread's own). */
static void wait_not_running(struct bpfaot_timers *ts, const struct timer *t)
{
        while (ts->running == t && !pthread_equal(ts->thread, pthread_self()))
                pthread_cond_wait(&ts->idle, &ts->lock);
}

/*
 * The timer at `addr`, under its map's lock (*tsp, locked on success), or
 * NULL when addr holds no initialised timer.
 */
static struct timer *find_locked(uint64_t addr, struct bpfaot_timers **tsp, uint32_t *index)
{
        uint64_t *words = (uint64_t *)(uintptr_t)addr;
        struct bpfaot_map *map;
        struct bpfaot_timers *ts;
        const void *key;
        struct timer *t;

        if (!words)
                return NULL;
        map = (struct bpfaot_map *)(uintptr_t)__atomic_load_n(&words[0], __ATOMIC_RELAXED);
        if (!map ||
            __atomic_load_n(&words[1], __ATOMIC_RELAXED) != ((uintptr_t)map ^ addr ^ TIMER_CHECK))
                return NULL;
        ts = __atomic_load_n(&map->timers, __ATOMIC_ACQUIRE);
        if (!ts || !map->ops->elem_of(map, (void *)(uintptr_t)addr, index, &key))
                return NULL;
        pthread_mutex_lock(&ts->lock);
        t = ts->slots[*index];
        if (!t || t->addr != (void *)(uintptr_t)addr) {
                pthread_mutex_unlock(&ts->lock);
                return NULL;
        }
        *tsp = ts;
        return t;
}

/*
 * timer_init(timer, map, flags): flags is the clock, CLOCK_MONOTONIC,
 * CLOCK_REALTIME or CLOCK_BOOTTIME (else -EINVAL). The timer must lie in a
 * value of `map`, an ARRAY, HASH or LRU_HASH (else -EINVAL). -EBUSY when
 * the element's timer is already initialised.
 */
BPFAOT_HELPER(timer_init)(uint64_t timer, uint64_t map_addr, uint64_t flags, uint64_t d, uint64_t e)
{
        struct bpfaot_map *map = (struct bpfaot_map *)(uintptr_t)map_addr;
        uint64_t *words = (uint64_t *)(uintptr_t)timer;
        struct bpfaot_timers *ts;
        const void *key;
        uint32_t index;
        struct timer *t;

        (void)d, (void)e;
        if (flags >= 16 ||
            (flags != CLOCK_MONOTONIC && flags != CLOCK_REALTIME && flags != CLOCK_BOOTTIME))
                return (uint64_t)-EINVAL;
        if (!map || !words || !map->ops->elem_of || !map->ops->elem_of(map, words, &index, &key))
                return (uint64_t)-EINVAL;
        ts = timers_of(map);
        if (!ts)
                return (uint64_t)-ENOMEM;
        pthread_mutex_lock(&ts->lock);
        if (ts->slots[index]) {
                pthread_mutex_unlock(&ts->lock);
                return (uint64_t)-EBUSY;
        }
        t = calloc(1, sizeof(*t));
        if (!t) {
                pthread_mutex_unlock(&ts->lock);
                return (uint64_t)-ENOMEM;
        }
        t->addr = words;
        t->clock = (clockid_t)flags;
        t->next = ts->live.next;
        t->prev = &ts->live;
        ts->live.next->prev = t;
        ts->live.next = t;
        ts->slots[index] = t;
        __atomic_store_n(&words[0], (uint64_t)(uintptr_t)map, __ATOMIC_RELAXED);
        __atomic_store_n(&words[1], (uintptr_t)map ^ timer ^ TIMER_CHECK, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&ts->lock);
        return 0;
}

/* timer_set_callback(timer, callback_fn): -EINVAL when not initialised. */
BPFAOT_HELPER(timer_set_callback)
(uint64_t timer, uint64_t fn, uint64_t c, uint64_t d, uint64_t e)
{
        struct bpfaot__sandbox_scope *scope;
        struct bpfaot_timers *ts;
        struct timer *t;
        uint32_t index;
        bool nomem;

        (void)c, (void)d, (void)e;
        t = find_locked(timer, &ts, &index);
        if (!t)
                return (uint64_t)-EINVAL;
        /* A sandboxed program's callback runs later as a sandboxed run of the same program. */
        scope = bpfaot__sandbox_scope_get(&nomem);
        if (nomem) {
                pthread_mutex_unlock(&ts->lock);
                return (uint64_t)-ENOMEM;
        }
        t->cb = (bpfaot_callback_fn)(uintptr_t)fn;
        bpfaot__sandbox_scope_put(t->scope);
        t->scope = scope;
        pthread_mutex_unlock(&ts->lock);
        return 0;
}

/*
 * timer_start(timer, nsecs, flags): due nsecs from now, or at nsecs on the
 * timer's clock with BPF_F_TIMER_ABS (BPF_F_TIMER_CPU_PIN is accepted and
 * means nothing here); re-arms a pending timer. -EINVAL when not
 * initialised, without a callback, or for other flags.
 */
BPFAOT_HELPER(timer_start)(uint64_t timer, uint64_t nsecs, uint64_t flags, uint64_t d, uint64_t e)
{
        struct bpfaot_timers *ts;
        struct timer *t;
        uint32_t index;
        uint64_t now;

        (void)d, (void)e;
        if (flags & ~(uint64_t)(BPF_F_TIMER_ABS | BPF_F_TIMER_CPU_PIN))
                return (uint64_t)-EINVAL;
        t = find_locked(timer, &ts, &index);
        if (!t)
                return (uint64_t)-EINVAL;
        if (!t->cb) {
                pthread_mutex_unlock(&ts->lock);
                return (uint64_t)-EINVAL;
        }
        now = now_ns(CLOCK_MONOTONIC);
        if (flags & BPF_F_TIMER_ABS) {
                uint64_t clock_now = now_ns(t->clock);

                nsecs = nsecs > clock_now ? nsecs - clock_now : 0;
        }
        t->due = nsecs > UINT64_MAX - now ? UINT64_MAX : now + nsecs;
        t->armed = true;
        pthread_cond_signal(&ts->wake);
        pthread_mutex_unlock(&ts->lock);
        return 0;
}

/*
 * timer_cancel(timer): disarms it and drops its callback (timer_start then
 * needs timer_set_callback again), waiting for a running callback to
 * return. Returns 1 when it was pending, 0 when not, -EINVAL when not
 * initialised, -EDEADLK from the timer's own callback.
 */
BPFAOT_HELPER(timer_cancel)(uint64_t timer, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        struct bpfaot_timers *ts;
        struct timer *t;
        uint32_t index;
        bool was_armed;

        (void)b, (void)c, (void)d, (void)e;
        t = find_locked(timer, &ts, &index);
        if (!t)
                return (uint64_t)-EINVAL;
        if (ts->running == t && pthread_equal(ts->thread, pthread_self())) {
                pthread_mutex_unlock(&ts->lock);
                return (uint64_t)-EDEADLK;
        }
        t->cb = NULL;
        wait_not_running(ts, t);
        /* Released while waiting (its element deleted): it is gone, and was not pending. */
        if (ts->slots[index] != t) {
                pthread_mutex_unlock(&ts->lock);
                return 0;
        }
        was_armed = t->armed;
        t->armed = false;
        pthread_mutex_unlock(&ts->lock);
        return was_armed;
}

void bpfaot__timers_release(struct bpfaot_map *map, const void *value)
{
        struct bpfaot_timers *ts = __atomic_load_n(&map->timers, __ATOMIC_ACQUIRE);
        const void *key;
        uint32_t index;
        struct timer *t;

        if (!ts || !map->ops->elem_of(map, value, &index, &key))
                return;
        pthread_mutex_lock(&ts->lock);
        t = ts->slots[index];
        if (t) {
                ts->slots[index] = NULL;
                t->prev->next = t->next;
                t->next->prev = t->prev;
                t->armed = false;
                t->cb = NULL;
                wait_not_running(ts, t);
                /* Only compared, never read, by the thread once released: free it now. */
                bpfaot__sandbox_scope_put(t->scope);
                free(t);
        }
        pthread_mutex_unlock(&ts->lock);
}

uint64_t bpfaot_map__timer_faults(const struct bpfaot_map *map, struct bpfaot_sandbox_fault *last)
{
        struct bpfaot_timers *ts = map ? __atomic_load_n(&map->timers, __ATOMIC_ACQUIRE) : NULL;
        uint64_t n;

        if (!ts)
                return 0;
        pthread_mutex_lock(&ts->lock);
        while (ts->running && !pthread_equal(ts->thread, pthread_self()))
                pthread_cond_wait(&ts->idle, &ts->lock);
        n = ts->faults;
        if (n && last)
                *last = ts->last_fault;
        pthread_mutex_unlock(&ts->lock);
        return n;
}

void bpfaot__timers_free(struct bpfaot_map *map)
{
        struct bpfaot_timers *ts = map->timers;

        if (!ts)
                return;
        timers_stop(ts);
        timers_destroy(ts);
        map->timers = NULL;
}

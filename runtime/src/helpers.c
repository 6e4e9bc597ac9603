/* SPDX-License-Identifier: MIT */
/* Built-in helpers, found by kernel helper id: the table, and helpers for maps,
 * time and ids. helpers_format.c and helpers_mem.c hold the others. */
#define _GNU_SOURCE
#include "bpfaot/runtime.h"
#include "bpfaot/maps.h"
#include "cpu_internal.h"
#include "helpers_internal.h"
#include "bpfaot/sandbox.h"
#include "sandbox_internal.h"
#include "maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static uint64_t clock_ns(clockid_t id)
{
        struct timespec ts;
        if (clock_gettime(id, &ts))
                return 0;
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

BPFAOT_HELPER(ktime_get_ns)(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        (void)a, (void)b, (void)c, (void)d, (void)e;
        return clock_ns(CLOCK_MONOTONIC);
}

BPFAOT_HELPER(get_prandom_u32)(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        uint32_t v = 0;
        (void)a, (void)b, (void)c, (void)d, (void)e;
        /* getrandom keeps no state in the library; short reads leave zeros, still a value. */
        if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
                v = (uint32_t)clock_ns(CLOCK_MONOTONIC) * 2654435761u;
        return v;
}

/* The virtual CPU the run holds (bpfaot_rt_cpu_enter), the one its per-CPU copies use. */
BPFAOT_HELPER(get_smp_processor_id)(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        (void)a, (void)b, (void)c, (void)d, (void)e;
        return bpfaot__cpu_current();
}

/*
 * getpid() and gettid() are system calls (about 120 ns each), and programs
 * on hot paths (a uprobe on malloc) ask on every run: the ids are kept per
 * thread, and forgotten in the child of a fork (pthread_atfork: the child's
 * one thread is the forking one). That cache is process-wide state by
 * nature. A process made by a raw clone system call without CLONE_SETTLS
 * that runs programs would see its parent's ids.
 */
static _Thread_local uint64_t current_pid_tgid;
static pthread_once_t pid_tgid_once = PTHREAD_ONCE_INIT;

static void pid_tgid_forget(void)
{
        current_pid_tgid = 0;
}

static void pid_tgid_watch_forks(void)
{
        pthread_atfork(NULL, NULL, pid_tgid_forget);
}

BPFAOT_HELPER(get_current_pid_tgid)(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        (void)a, (void)b, (void)c, (void)d, (void)e;
        if (!current_pid_tgid) {
                pthread_once(&pid_tgid_once, pid_tgid_watch_forks);
                current_pid_tgid = ((uint64_t)(uint32_t)getpid() << 32) | (uint32_t)gettid();
        }
        return current_pid_tgid;
}

BPFAOT_HELPER(ktime_get_boot_ns)(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        (void)a, (void)b, (void)c, (void)d, (void)e;
        return clock_ns(CLOCK_BOOTTIME);
}

BPFAOT_HELPER(ktime_get_coarse_ns)(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        (void)a, (void)b, (void)c, (void)d, (void)e;
        return clock_ns(CLOCK_MONOTONIC_COARSE);
}

/* International Atomic Time: CLOCK_TAI (the kernel's ktime_get_tai_fast_ns). */
BPFAOT_HELPER(ktime_get_tai_ns)(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        (void)a, (void)b, (void)c, (void)d, (void)e;
        return clock_ns(CLOCK_TAI);
}

/*
 * jiffies64: ticks of BPFAOT_RT_JIFFIES_HZ per second of CLOCK_MONOTONIC
 * (the kernel's CONFIG_HZ is not visible to a process; a program that
 * converts jiffies with CONFIG_HZ is built with --kconfig saying the same).
 */
BPFAOT_HELPER(jiffies64)(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        (void)a, (void)b, (void)c, (void)d, (void)e;
        return clock_ns(CLOCK_MONOTONIC) / (1000000000ull / BPFAOT_RT_JIFFIES_HZ);
}

/* Real uid and gid, as the kernel's current_uid_gid(): gid << 32 | uid. */
BPFAOT_HELPER(get_current_uid_gid)(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        (void)a, (void)b, (void)c, (void)d, (void)e;
        return ((uint64_t)(uint32_t)getgid() << 32) | (uint32_t)getuid();
}

/* The NUMA node of the CPU the thread runs on (getcpu), 0 if unknown. */
BPFAOT_HELPER(get_numa_node_id)(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        unsigned cpu = 0, node = 0;
        (void)a, (void)b, (void)c, (void)d, (void)e;
        if (getcpu(&cpu, &node))
                return 0;
        return node;
}

/*
 * bpf_spin_lock/bpf_spin_unlock on a struct bpf_spin_lock (one u32 inside a
 * map value; 0 = unlocked). A test-and-test-and-set lock with acquire and
 * release ordering; it yields the CPU after a while so that a preempted
 * holder can make progress (user space cannot disable preemption as the
 * kernel does). Not recursive, like the kernel's.
 */
BPFAOT_HELPER(spin_lock)(uint64_t lock, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        uint32_t *l = (uint32_t *)(uintptr_t)lock;
        unsigned spins = 0;

        (void)b, (void)c, (void)d, (void)e;
        if (!bpfaot__sandbox_lock(l, true, BPF_FUNC_spin_lock))
                return 0; /* a sandboxed run taking a second lock: it fails instead */
        while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE)) {
                while (__atomic_load_n(l, __ATOMIC_RELAXED)) {
                        if (++spins >= 64) {
                                spins = 0;
                                sched_yield();
                        }
                }
        }
        return 0;
}

BPFAOT_HELPER(spin_unlock)(uint64_t lock, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        (void)b, (void)c, (void)d, (void)e;
        if (!bpfaot__sandbox_lock((void *)(uintptr_t)lock, false, BPF_FUNC_spin_unlock))
                return 0; /* not the lock the sandboxed run holds: it fails instead */
        __atomic_store_n((uint32_t *)(uintptr_t)lock, 0, __ATOMIC_RELEASE);
        return 0;
}

/*
 * bpf_loop(nr_loops, callback_fn, callback_ctx, flags). nr_loops is a u32
 * as in the kernel (the upper half of r1 is ignored). The callback is a
 * native function long (*)(uint64_t index, void *ctx); a nonzero return
 * stops the loop. Returns the number of callback calls made.
 */
#define BPFAOT_MAX_LOOPS (1u << 23)

/* Callback nesting on this thread (BPFAOT_MAX_CALLBACK_DEPTH). */
static _Thread_local unsigned callback_depth;

bool bpfaot__callback_enter(void)
{
        if (callback_depth >= BPFAOT_MAX_CALLBACK_DEPTH)
                return false;
        callback_depth++;
        return true;
}

void bpfaot__callback_exit(void)
{
        callback_depth--;
}

BPFAOT_HELPER(loop)(uint64_t nr_loops, uint64_t fn, uint64_t ctx, uint64_t flags, uint64_t e)
{
        long (*cb)(uint64_t, void *) = (long (*)(uint64_t, void *))(uintptr_t)fn;
        uint32_t n = (uint32_t)nr_loops;

        (void)e;
        if (flags)
                return (uint64_t)-EINVAL;
        if (n > BPFAOT_MAX_LOOPS)
                return (uint64_t)-E2BIG;
        if (!cb)
                return (uint64_t)-EINVAL;
        if (!bpfaot__callback_enter())
                return (uint64_t)-ELOOP;
        /* A sandboxed run counts each call as a loop iteration (its budget). */
        for (uint32_t i = 0; i < n; i++)
                if (cb(i, (void *)(uintptr_t)ctx) ||
                    !bpfaot_rt_sandbox_budget(1, BPFAOT_SANDBOX_HOW(BPFAOT_SANDBOX_NO_INSN,
                                                                    BPFAOT_SANDBOX_BUDGET, 0, 0))) {
                        n = i + 1;
                        break;
                }
        bpfaot__callback_exit();
        return n;
}

/*
 * bpf_for_each_map_elem(map, callback_fn, callback_ctx, flags) on ARRAY,
 * HASH and their PERCPU and LRU kinds: callback_fn(map, key, value, ctx)
 * per element (PERCPU: the calling CPU's copy); a nonzero return stops the
 * walk. flags must be 0. Returns the number of elements visited, the one
 * that stopped the walk included.
 */
struct for_each_ctx {
        bpfaot_callback_fn cb;
        uint64_t ctx;
};

static int for_each_visit(struct bpfaot_map *map, const void *key, void *value, void *arg)
{
        const struct for_each_ctx *c = arg;

        return c->cb((uint64_t)(uintptr_t)map, (uint64_t)(uintptr_t)key, (uint64_t)(uintptr_t)value,
                     c->ctx, 0) != 0;
}

BPFAOT_HELPER(for_each_map_elem)
(uint64_t map, uint64_t fn, uint64_t ctx, uint64_t flags, uint64_t e)
{
        struct bpfaot_map *m = (struct bpfaot_map *)(uintptr_t)map;
        struct for_each_ctx c = {(bpfaot_callback_fn)(uintptr_t)fn, ctx};
        uint64_t ret;

        (void)e;
        if (flags || !m || !c.cb || !m->ops->for_each)
                return (uint64_t)-EINVAL;
        if (!bpfaot__callback_enter())
                return (uint64_t)-ELOOP;
        ret = (uint64_t)m->ops->for_each(m, for_each_visit, &c);
        bpfaot__callback_exit();
        return ret;
}

/*
 * Map helpers. r1 is what the program's lddw of a map produced: the map the
 * host stored in the object's slot (bpfaot/maps.h). A slot the host never
 * filled holds NULL; helpers then fail as the kernel does for a bad map.
 */
#define MAP(x) ((struct bpfaot_map *)(uintptr_t)(x))
#define PTR(x) ((void *)(uintptr_t)(x))

BPFAOT_HELPER(map_lookup_elem)(uint64_t map, uint64_t key, uint64_t c, uint64_t d, uint64_t e)
{
        (void)c, (void)d, (void)e;
        return map ? (uint64_t)(uintptr_t)bpfaot_map__lookup_elem(MAP(map), PTR(key)) : 0;
}

BPFAOT_HELPER(map_lookup_percpu_elem)
(uint64_t map, uint64_t key, uint64_t cpu, uint64_t d, uint64_t e)
{
        (void)d, (void)e;
        /* The kernel's cpu is a u32: the upper half of r3 is ignored. */
        return map ? (uint64_t)(uintptr_t)bpfaot_map__lookup_percpu_elem(MAP(map), PTR(key),
                                                                         (uint32_t)cpu)
                   : 0;
}

BPFAOT_HELPER(map_update_elem)
(uint64_t map, uint64_t key, uint64_t value, uint64_t flags, uint64_t e)
{
        (void)e;
        return map ? (uint64_t)bpfaot_map__update_elem(MAP(map), PTR(key), PTR(value), flags)
                   : (uint64_t)-EINVAL;
}

BPFAOT_HELPER(map_delete_elem)(uint64_t map, uint64_t key, uint64_t c, uint64_t d, uint64_t e)
{
        (void)c, (void)d, (void)e;
        return map ? (uint64_t)bpfaot_map__delete_elem(MAP(map), PTR(key)) : (uint64_t)-EINVAL;
}

BPFAOT_HELPER(map_push_elem)(uint64_t map, uint64_t value, uint64_t flags, uint64_t d, uint64_t e)
{
        (void)d, (void)e;
        return map ? (uint64_t)bpfaot_map__push_elem(MAP(map), PTR(value), flags)
                   : (uint64_t)-EINVAL;
}

BPFAOT_HELPER(map_pop_elem)(uint64_t map, uint64_t value, uint64_t c, uint64_t d, uint64_t e)
{
        (void)c, (void)d, (void)e;
        return map ? (uint64_t)bpfaot_map__pop_elem(MAP(map), PTR(value)) : (uint64_t)-EINVAL;
}

BPFAOT_HELPER(map_peek_elem)(uint64_t map, uint64_t value, uint64_t c, uint64_t d, uint64_t e)
{
        (void)c, (void)d, (void)e;
        return map ? (uint64_t)bpfaot_map__peek_elem(MAP(map), PTR(value)) : (uint64_t)-EINVAL;
}

BPFAOT_HELPER(ringbuf_output)
(uint64_t map, uint64_t data, uint64_t size, uint64_t flags, uint64_t e)
{
        (void)e;
        return map ? (uint64_t)bpfaot_ringbuf__output(MAP(map), PTR(data), size, flags)
                   : (uint64_t)-EINVAL;
}

BPFAOT_HELPER(ringbuf_reserve)(uint64_t map, uint64_t size, uint64_t flags, uint64_t d, uint64_t e)
{
        (void)d, (void)e;
        void *rec = map ? bpfaot_ringbuf__reserve(MAP(map), size, flags) : NULL;

        /* A sandboxed run holds at most so many records: past them the ring is "full". */
        if (rec && !bpfaot__sandbox_record_reserved(rec, size)) {
                bpfaot_ringbuf__discard(rec, BPF_RB_NO_WAKEUP);
                rec = NULL;
        }
        return (uint64_t)(uintptr_t)rec;
}

BPFAOT_HELPER(ringbuf_submit)(uint64_t data, uint64_t flags, uint64_t c, uint64_t d, uint64_t e)
{
        (void)c, (void)d, (void)e;
        if (data && !bpfaot__sandbox_record_release(PTR(data), BPF_FUNC_ringbuf_submit))
                return 0;
        bpfaot_ringbuf__submit(PTR(data), flags);
        return 0;
}

BPFAOT_HELPER(ringbuf_discard)(uint64_t data, uint64_t flags, uint64_t c, uint64_t d, uint64_t e)
{
        (void)c, (void)d, (void)e;
        if (data && !bpfaot__sandbox_record_release(PTR(data), BPF_FUNC_ringbuf_discard))
                return 0;
        bpfaot_ringbuf__discard(PTR(data), flags);
        return 0;
}

BPFAOT_HELPER(ringbuf_query)(uint64_t map, uint64_t flags, uint64_t c, uint64_t d, uint64_t e)
{
        (void)c, (void)d, (void)e;
        return map ? bpfaot_ringbuf__query(MAP(map), flags) : 0;
}

BPFAOT_HELPER(perf_event_output)
(uint64_t ctx, uint64_t map, uint64_t flags, uint64_t data, uint64_t size)
{
        (void)ctx;
        return map ? (uint64_t)bpfaot_perf_event__output(MAP(map), flags, PTR(data), size)
                   : (uint64_t)-EINVAL;
}

/*
 * Tail calls nest native calls; this thread's depth bounds the chain as the
 * kernel's per-run counter does. Thread-local, because programs run on many
 * threads at once and each run is its own chain.
 */
static _Thread_local unsigned tail_call_depth;

struct bpfaot_tail_call_result bpfaot_rt_tail_call(uint64_t ctx, uint64_t map, uint64_t index)
{
        struct bpfaot_tail_call_result r = {0, (uint64_t)-ENOENT};
        bpfaot_prog_fn prog;

        if (!map || bpfaot_map__def(MAP(map))->type != BPF_MAP_TYPE_PROG_ARRAY) {
                r.ret = (uint64_t)-EINVAL;
                return r;
        }
        /* The kernel's index is a u32: the upper half of r3 is ignored. */
        prog = bpfaot_prog_array__lookup(MAP(map), (uint32_t)index);
        if (!prog || tail_call_depth >= BPFAOT_MAX_TAIL_CALLS)
                return r;
        tail_call_depth++;
        r.ret = prog(PTR(ctx), 0);
        tail_call_depth--;
        r.done = 1;
        return r;
}

/*
 * Every helper is also defined as the weak symbol the compiled code calls,
 * _bpf_helper_ext_NNNN. A host that links the runtime statically and
 * defines the same symbol itself replaces the runtime's (no duplicate symbol:
 * its strong definition wins), and the table below, which points at these
 * symbols, then reports and dispatches (callx) to the host's function too.
 */
#define DEFINE_WEAK(pad, name)                                                                     \
        __attribute__((weak)) uint64_t _bpf_helper_ext_##pad(                                      \
            uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5);                      \
        uint64_t _bpf_helper_ext_##pad(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,         \
                                       uint64_t r5)                                                \
        {                                                                                          \
                return bpfaot__h_##name(r1, r2, r3, r4, r5);                                       \
        }
BPFAOT_RT_HELPER_LIST(DEFINE_WEAK)

#define TABLE_ENTRY(pad, name) {BPFAOT_RT_HELPER_ID(pad), #name, _bpf_helper_ext_##pad},
static const struct bpfaot_rt_helper helpers[] = {BPFAOT_RT_HELPER_LIST(TABLE_ENTRY)};

const struct bpfaot_rt_helper *bpfaot_rt_helpers(uint32_t *cnt)
{
        *cnt = sizeof(helpers) / sizeof(helpers[0]);
        return helpers;
}

const struct bpfaot_rt_helper *bpfaot_rt_helper_find(uint32_t id)
{
        for (size_t i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++)
                if (helpers[i].id == id)
                        return &helpers[i];
        return NULL;
}

int bpfaot_rt_parse_helper_symbol(const char *name, uint32_t *id)
{
        static const char prefix[] = BPFAOT_HELPER_PREFIX;
        unsigned long v;
        char *end;

        if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
                return -1;
        name += sizeof(prefix) - 1;
        if (*name < '0' || *name > '9')
                return -1;
        v = strtoul(name, &end, 10);
        if (*end || v > UINT32_MAX)
                return -1;
        *id = (uint32_t)v;
        return 0;
}

uint64_t bpfaot_rt_callx(uint64_t id, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                         uint64_t r5)
{
        const struct bpfaot_rt_helper *h =
            id <= UINT32_MAX ? bpfaot_rt_helper_find((uint32_t)id) : NULL;
        if (!h)
                return (uint64_t)-ENOENT;
        return h->fn(r1, r2, r3, r4, r5);
}

/*
 * What compiled code's callx calls (BPFAOT_CALLX_SYMBOL), for hosts that link
 * objects statically; weak, like the helpers, so a host may define its own.
 */
__attribute__((weak)) uint64_t _bpf_helper_ext_callx(uint64_t id, uint64_t r1, uint64_t r2,
                                                     uint64_t r3, uint64_t r4, uint64_t r5);
uint64_t _bpf_helper_ext_callx(uint64_t id, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                               uint64_t r5)
{
        return bpfaot_rt_callx(id, r1, r2, r3, r4, r5);
}

/* SPDX-License-Identifier: MIT */
/*
 * Virtual CPUs and per-CPU maps (bpfaot_rt_cpu_enter/exit, bpfaot/runtime.h).
 *
 * The main check: more threads than CPUs, all pinned to one real CPU, each
 * running "programs" that hold a CPU, look up a PERCPU_ARRAY and a
 * PERCPU_HASH value through the helpers compiled code calls and do a plain,
 * non-atomic `*v += 1`, as clang compiles it. The sum over all CPUs' copies
 * must be exact. Without enter/exit, such threads share a copy and lose
 * increments: `test_percpu --no-enter [THREADS [RUNS]]` runs the same loop
 * that way and prints how many were lost (a demonstration, not a check).
 *
 * Also: nesting, waiting while every CPU is held, bpf_map_lookup_percpu_elem
 * on every CPU, the host's copy of all CPUs, bpf_get_smp_processor_id,
 * BPF_F_CURRENT_CPU, the fallback without a held CPU, and fork().
 */
#define _GNU_SOURCE
#include "check.h"

#include <bpfaot/maps.h>
#include <bpfaot/runtime.h>
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif

/* The helpers as compiled programs call them. */
uint64_t _bpf_helper_ext_0001(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t _bpf_helper_ext_0002(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t _bpf_helper_ext_0008(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t _bpf_helper_ext_0195(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
#define U(p) ((uint64_t)(uintptr_t)(p))

/* Runs per thread: enough that threads sharing a real CPU are preempted mid-run many times. */
#ifdef UNDER_TSAN
#define ITERS_DEFAULT 100000
#else
#define ITERS_DEFAULT 400000
#endif
#define HASH_KEY   7
#define EXTRA_THRS 3 /* threads beyond the CPU count */

static uint32_t ncpus, iters = ITERS_DEFAULT;
static int pin_cpu; /* the one real CPU every worker runs on */

static void *lookup(struct bpfaot_map *m, uint32_t key)
{
        return (void *)(uintptr_t)_bpf_helper_ext_0001(U(m), U(&key), 0, 0, 0);
}

static uint32_t smp_id(void)
{
        return (uint32_t)_bpf_helper_ext_0008(0, 0, 0, 0, 0);
}

static void sleep_ms(long ms)
{
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
}

/* The sum over all CPUs of a per-CPU u64 value, from the host's copy (libbpf's layout). */
static uint64_t percpu_sum(struct bpfaot_map *m, uint32_t key)
{
        size_t n = bpfaot_map__value_copy_size(m) / sizeof(uint64_t);
        uint64_t *all = calloc(n, sizeof(uint64_t)), sum = 0;

        CHECK(all);
        CHECK_EQ(n, ncpus);
        CHECK_EQ(bpfaot_map__lookup_copy(m, &key, all), 0);
        for (size_t i = 0; i < n; i++)
                sum += all[i];
        free(all);
        return sum;
}

static struct bpfaot_map *create(uint32_t type, uint32_t value_size, uint32_t max_entries)
{
        struct bpfaot_map_def def = {
            .type = type, .key_size = 4, .value_size = value_size, .max_entries = max_entries};
        struct bpfaot_map *m;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        return m;
}

static void pin(void)
{
        cpu_set_t set;

        CPU_ZERO(&set);
        CPU_SET(pin_cpu, &set);
        CHECK_EQ(pthread_setaffinity_np(pthread_self(), sizeof(set), &set), 0);
}

static void test_ncpus(void)
{
        struct bpfaot_map *pc = create(BPF_MAP_TYPE_PERCPU_ARRAY, 8, 1);
        struct bpfaot_map *plain = create(BPF_MAP_TYPE_ARRAY, 8, 1);

        ncpus = bpfaot_rt_ncpus();
        CHECK(ncpus >= 1 && ncpus <= BPFAOT_RT_MAX_CPUS);
        CHECK_EQ(bpfaot_rt_ncpus(), ncpus); /* fixed */
        CHECK_EQ(bpfaot_map__ncpus(pc), ncpus);
        CHECK_EQ(bpfaot_map__value_copy_size(pc), 8 * ncpus);
        CHECK_EQ(bpfaot_map__ncpus(plain), 1);
        bpfaot_map__free(pc);
        bpfaot_map__free(plain);
}

/* ---- Many threads on one real CPU ---- */

struct shared {
        struct bpfaot_map *arr, *hash;
        uint64_t *arr0, *hash0; /* CPU 0's copies of arr[0] and hash[HASH_KEY] */
        bool use_enter;
        uint32_t inside[BPFAOT_RT_MAX_CPUS]; /* runs using each CPU's copies right now (atomic) */
        uint32_t clashes, bad_ids;           /* atomic */
};

/*
 * `*v += 1` as a load and a separate store, as an eBPF program's ldx, add,
 * stx may stay. (On one CPU, a single x86 `add` to memory cannot be
 * preempted halfway; plain but separate accesses can.)
 */
static void plain_inc(uint64_t *p)
{
        uint64_t v = *(volatile uint64_t *)p;
        *(volatile uint64_t *)p = v + 1;
}

static void count(uint32_t *what)
{
        __atomic_fetch_add(what, 1, __ATOMIC_RELAXED);
}

/*
 * One "program run": what a compiled entry with per-CPU maps does. Besides
 * counting, it notes which CPU's copies it uses while it runs: a second run
 * using them at the same time is a clash, whether or not an increment is
 * lost by it.
 */
static void run_once(struct shared *s, uint32_t i)
{
        uint64_t *a, *h, v;
        uint32_t cpu, one = 1;

        if (s->use_enter)
                bpfaot_rt_cpu_enter();
        a = lookup(s->arr, 0);
        CHECK(a);
        cpu = (uint32_t)(a - s->arr0); /* the copy's CPU (8-byte values: stride 8) */
        CHECK(cpu < ncpus);
        if (smp_id() != cpu || (s->use_enter && bpfaot_rt_cpu_held() != (int)cpu))
                count(&s->bad_ids);
        if (__atomic_exchange_n(&s->inside[cpu], 1, __ATOMIC_RELAXED))
                count(&s->clashes);
        plain_inc(a);
        if (i % 4 == 0) { /* a hash lookup takes a lock: keep most runs short */
                h = lookup(s->hash, HASH_KEY);
                CHECK(h);
                if (h != s->hash0 + cpu) /* one CPU for the whole run */
                        count(&s->bad_ids);
                plain_inc(h);
        }
        if (i % 16 == 0) { /* through bpf_map_update_elem too: key 1 counts these */
                a = lookup(s->arr, 1);
                v = *a + 1;
                CHECK_EQ(_bpf_helper_ext_0002(U(s->arr), U(&one), U(&v), BPF_ANY, 0), 0);
        }
        __atomic_store_n(&s->inside[cpu], 0, __ATOMIC_RELAXED);
        if (s->use_enter)
                bpfaot_rt_cpu_exit();
}

static void *worker(void *arg)
{
        struct shared *s = arg;

        pin();
        for (uint32_t i = 0; i < iters; i++)
                run_once(s, i);
        return NULL;
}

struct result {
        uint64_t arr, hash, upd; /* sums over the CPUs of arr[0], hash[HASH_KEY], arr[1] */
        uint32_t clashes, bad_ids;
};

/* Run `nthreads` workers of `iters` runs each, all on one real CPU. */
static void run_workers(uint32_t nthreads, bool use_enter, struct result *r)
{
        struct shared *s = calloc(1, sizeof(*s));
        pthread_t *t = calloc(nthreads, sizeof(*t));
        uint64_t *zeros = calloc(ncpus, sizeof(uint64_t));
        uint32_t key = HASH_KEY, zero = 0;

        CHECK(s && t && zeros);
        s->use_enter = use_enter;
        s->arr = create(BPF_MAP_TYPE_PERCPU_ARRAY, 8, 2);
        s->hash = create(BPF_MAP_TYPE_PERCPU_HASH, 8, 4);
        CHECK_EQ(bpfaot_map__update_copy(s->hash, &key, zeros, BPF_NOEXIST), 0);
        s->arr0 = bpfaot_map__lookup_percpu_elem(s->arr, &zero, 0);
        s->hash0 = bpfaot_map__lookup_percpu_elem(s->hash, &key, 0);
        CHECK(s->arr0 && s->hash0);
        for (uint32_t i = 0; i < nthreads; i++)
                CHECK_EQ(pthread_create(&t[i], NULL, worker, s), 0);
        for (uint32_t i = 0; i < nthreads; i++)
                CHECK_EQ(pthread_join(t[i], NULL), 0);
        r->clashes = s->clashes;
        r->bad_ids = s->bad_ids;
        r->arr = percpu_sum(s->arr, 0);
        r->hash = percpu_sum(s->hash, HASH_KEY);
        r->upd = percpu_sum(s->arr, 1);
        bpfaot_map__free(s->arr);
        bpfaot_map__free(s->hash);
        free(zeros);
        free(t);
        free(s);
}

static void test_exclusive(uint32_t nthreads)
{
        struct result r;

        run_workers(nthreads, true, &r);
        CHECK_EQ(r.clashes, 0);
        CHECK_EQ(r.bad_ids, 0);
        CHECK_EQ(r.arr, (uint64_t)nthreads * iters);
        CHECK_EQ(r.hash, (uint64_t)nthreads * ((iters + 3) / 4));
        CHECK_EQ(r.upd, (uint64_t)nthreads * ((iters + 15) / 16));
}

/* ---- One thread ---- */

static void test_nesting(void)
{
        int cpu;

        CHECK_EQ(bpfaot_rt_cpu_held(), -1);
        bpfaot_rt_cpu_exit(); /* unbalanced: ignored */
        CHECK_EQ(bpfaot_rt_cpu_held(), -1);
        bpfaot_rt_cpu_enter();
        cpu = bpfaot_rt_cpu_held();
        CHECK(cpu >= 0 && (uint32_t)cpu < ncpus);
        CHECK_EQ(smp_id(), cpu);
        bpfaot_rt_cpu_enter(); /* a tail call, or a program run from a helper */
        CHECK_EQ(bpfaot_rt_cpu_held(), cpu);
        bpfaot_rt_cpu_exit();
        CHECK_EQ(bpfaot_rt_cpu_held(), cpu); /* the outer run still holds it */
        CHECK_EQ(smp_id(), cpu);
        bpfaot_rt_cpu_exit();
        CHECK_EQ(bpfaot_rt_cpu_held(), -1);
}

/* Without a held CPU: sched_getcpu() modulo the count, some CPU's copy. */
static void test_fallback(void)
{
        struct bpfaot_map *m = create(BPF_MAP_TYPE_PERCPU_ARRAY, 8, 1);
        uint32_t k = 0, c;
        void *p = lookup(m, 0);
        bool found = false;

        CHECK(smp_id() < ncpus);
        CHECK(p);
        for (c = 0; c < ncpus; c++)
                found |= p == bpfaot_map__lookup_percpu_elem(m, &k, c);
        CHECK(found);
        bpfaot_map__free(m);
}

static void *percpu_elem(struct bpfaot_map *m, uint32_t key, uint64_t cpu)
{
        return (void *)(uintptr_t)_bpf_helper_ext_0195(U(m), U(&key), cpu, 0, 0);
}

static void test_lookup_percpu_elem(void)
{
        struct bpfaot_map *arr = create(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 2);
        struct bpfaot_map *hash = create(BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 4);
        struct bpfaot_map *plain = create(BPF_MAP_TYPE_ARRAY, 4, 2);
        uint32_t *all = calloc(ncpus, 8), k = 1, v, c;
        int cpu;

        CHECK(all);
        bpfaot_rt_cpu_enter();
        cpu = bpfaot_rt_cpu_held();
        /* Every CPU's copy, the held one being what lookup gives. */
        for (c = 0; c < ncpus; c++) {
                uint32_t *p = percpu_elem(arr, k, c);
                CHECK(p);
                CHECK(p == bpfaot_map__lookup_percpu_elem(arr, &k, c));
                CHECK(p == percpu_elem(arr, k, c | 0x100000000ull)); /* cpu is a u32 */
                *p = 1000 + c;
        }
        CHECK(percpu_elem(arr, k, cpu) == lookup(arr, k));
        CHECK(!percpu_elem(arr, k, ncpus));
        CHECK(!percpu_elem(arr, 2, 0));   /* index past max_entries */
        CHECK(!percpu_elem(plain, k, 0)); /* not a PERCPU map */
        CHECK(!percpu_elem(NULL, k, 0));
        /* The host's copy: ncpus slots of round_up(4, 8) bytes. */
        CHECK_EQ(bpfaot_map__value_copy_size(arr), 8 * ncpus);
        CHECK_EQ(bpfaot_map__lookup_copy(arr, &k, all), 0);
        for (c = 0; c < ncpus; c++)
                CHECK_EQ(all[c * 2], 1000 + c);

        /* A program's update of a new element: its CPU's copy, the others zero. */
        CHECK(!percpu_elem(hash, k, 0));
        v = 42;
        CHECK_EQ(_bpf_helper_ext_0002(U(hash), U(&k), U(&v), BPF_NOEXIST, 0), 0);
        memset(all, 0xff, 8 * ncpus);
        CHECK_EQ(bpfaot_map__lookup_copy(hash, &k, all), 0);
        for (c = 0; c < ncpus; c++)
                CHECK_EQ(all[c * 2], (int)c == cpu ? 42 : 0);
        for (c = 0; c < ncpus; c++)
                CHECK_EQ(*(uint32_t *)percpu_elem(hash, k, c), (int)c == cpu ? 42 : 0);
        /* A host update writes every copy. */
        for (c = 0; c < ncpus; c++)
                all[c * 2] = 7 * c;
        CHECK_EQ(bpfaot_map__update_copy(hash, &k, all, BPF_EXIST), 0);
        for (c = 0; c < ncpus; c++)
                CHECK_EQ(*(uint32_t *)percpu_elem(hash, k, c), 7 * c);
        bpfaot_rt_cpu_exit();
        free(all);
        bpfaot_map__free(arr);
        bpfaot_map__free(hash);
        bpfaot_map__free(plain);
}

static uint32_t perf_cpu;

static void perf_cb(void *ctx, uint32_t cpu, const void *data, uint32_t size)
{
        (void)ctx, (void)data, (void)size;
        perf_cpu = cpu;
}

static void test_perf_current_cpu(void)
{
        struct bpfaot_map_def def = {
            .type = BPF_MAP_TYPE_PERF_EVENT_ARRAY, .key_size = 4, .value_size = 4};
        struct bpfaot_map *m;
        uint32_t data = 1;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        CHECK_EQ(bpfaot_map__def(m)->max_entries, ncpus); /* 0: one per CPU */
        CHECK_EQ(bpfaot_perf_event_array__set_callback(m, perf_cb, NULL), 0);
        bpfaot_rt_cpu_enter();
        perf_cpu = ncpus;
        CHECK_EQ(bpfaot_perf_event__output(m, BPF_F_CURRENT_CPU, &data, 4), 0);
        CHECK_EQ(perf_cpu, bpfaot_rt_cpu_held());
        bpfaot_rt_cpu_exit();
        bpfaot_map__free(m);
}

/* ---- Waiting while all CPUs are held ---- */

struct holder {
        uint32_t holding, release, cpu; /* atomic */
};

static void *hold_worker(void *arg)
{
        struct holder *h = arg;

        bpfaot_rt_cpu_enter();
        __atomic_store_n(&h->cpu, (uint32_t)bpfaot_rt_cpu_held(), __ATOMIC_RELAXED);
        __atomic_store_n(&h->holding, 1, __ATOMIC_RELEASE);
        while (!__atomic_load_n(&h->release, __ATOMIC_ACQUIRE))
                sleep_ms(1);
        bpfaot_rt_cpu_exit();
        __atomic_store_n(&h->holding, 0, __ATOMIC_RELEASE);
        return NULL;
}

static void wait_holding(struct holder *h, uint32_t want)
{
        while (__atomic_load_n(&h->holding, __ATOMIC_ACQUIRE) != want)
                sleep_ms(1);
}

static void test_wait_for_cpu(void)
{
        struct holder *h = calloc(ncpus + 1, sizeof(*h));
        pthread_t *t = calloc(ncpus + 1, sizeof(*t));
        bool *seen = calloc(ncpus, sizeof(bool));
        uint32_t i;

        CHECK(h && t && seen);
        for (i = 0; i < ncpus; i++) {
                CHECK_EQ(pthread_create(&t[i], NULL, hold_worker, &h[i]), 0);
                wait_holding(&h[i], 1);
                CHECK(!seen[h[i].cpu]); /* every holder has its own CPU */
                seen[h[i].cpu] = true;
        }
        /* All held: one more run waits... */
        CHECK_EQ(pthread_create(&t[ncpus], NULL, hold_worker, &h[ncpus]), 0);
        sleep_ms(100);
        CHECK_EQ(__atomic_load_n(&h[ncpus].holding, __ATOMIC_ACQUIRE), 0);
        /* ...until one run ends, and gets that CPU. */
        __atomic_store_n(&h[0].release, 1, __ATOMIC_RELEASE);
        wait_holding(&h[ncpus], 1);
        CHECK_EQ(h[ncpus].cpu, h[0].cpu);
        for (i = 1; i <= ncpus; i++)
                __atomic_store_n(&h[i].release, 1, __ATOMIC_RELEASE);
        for (i = 0; i <= ncpus; i++)
                CHECK_EQ(pthread_join(t[i], NULL), 0);
        free(seen);
        free(t);
        free(h);
}

/* ---- fork ---- */

#ifndef UNDER_TSAN
static uint32_t child_holding;

static void *child_worker(void *arg)
{
        uint32_t n = *(uint32_t *)arg;

        bpfaot_rt_cpu_enter();
        __atomic_fetch_add(&child_holding, 1, __ATOMIC_ACQ_REL);
        while (__atomic_load_n(&child_holding, __ATOMIC_ACQUIRE) < n)
                sleep_ms(1);
        bpfaot_rt_cpu_exit();
        return NULL;
}

/* The child of a fork while another thread holds a CPU can still use every CPU. */
static void test_fork(void)
{
        struct holder other = {0};
        pthread_t t;
        int cpu, status;
        pid_t pid;

        bpfaot_rt_cpu_enter();
        cpu = bpfaot_rt_cpu_held();
        CHECK_EQ(pthread_create(&t, NULL, hold_worker, &other), 0);
        if (ncpus > 1)
                wait_holding(&other, 1);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                uint32_t n = ncpus - 1;
                pthread_t *ct = calloc(n ? n : 1, sizeof(*ct));

                alarm(20); /* a CPU lost to the parent's thread would block a worker here */
                CHECK_EQ(bpfaot_rt_cpu_held(), cpu); /* the forking thread keeps its own */
                for (uint32_t i = 0; i < n; i++)
                        CHECK_EQ(pthread_create(&ct[i], NULL, child_worker, &n), 0);
                for (uint32_t i = 0; i < n; i++)
                        CHECK_EQ(pthread_join(ct[i], NULL), 0);
                bpfaot_rt_cpu_exit();
                _exit(0);
        }
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        bpfaot_rt_cpu_exit();
        __atomic_store_n(&other.release, 1, __ATOMIC_RELEASE);
        CHECK_EQ(pthread_join(t, NULL), 0);
}
#endif

static void choose_pin_cpu(void)
{
        cpu_set_t set;

        CHECK_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
        for (pin_cpu = 0; pin_cpu < CPU_SETSIZE && !CPU_ISSET(pin_cpu, &set); pin_cpu++)
                ;
        CHECK(pin_cpu < CPU_SETSIZE);
}

/* What goes wrong without enter/exit: threads sharing a CPU share its copies. */
static int demo_no_enter(uint32_t nthreads)
{
        uint64_t want = (uint64_t)nthreads * iters,
                 want_hash = (uint64_t)nthreads * ((iters + 3) / 4);
        struct result r;

        run_workers(nthreads, false, &r);
        printf("without enter/exit, %u threads on CPU %d, %u runs each: %u runs shared a CPU's "
               "copies with another; PERCPU_ARRAY %llu of %llu increments (%.2f%% lost), "
               "PERCPU_HASH %llu of %llu (%.2f%% lost)\n",
               nthreads, pin_cpu, iters, r.clashes, (unsigned long long)r.arr,
               (unsigned long long)want, 100.0 * (double)(want - r.arr) / (double)want,
               (unsigned long long)r.hash, (unsigned long long)want_hash,
               100.0 * (double)(want_hash - r.hash) / (double)want_hash);
        return 0;
}

int main(int argc, char **argv)
{
        test_ncpus();
        choose_pin_cpu();
        if (argc > 1 && strcmp(argv[1], "--no-enter") == 0) {
                if (argc > 3)
                        iters = (uint32_t)atoi(argv[3]);
                return demo_no_enter(argc > 2 ? (uint32_t)atoi(argv[2]) : 2);
        }
        test_nesting();
        test_fallback();
        test_lookup_percpu_elem();
        test_perf_current_cpu();
        test_exclusive(2);
        test_exclusive(ncpus + EXTRA_THRS);
        test_wait_for_cpu();
#ifndef UNDER_TSAN
        /* TSan ends a child that starts threads after a multithreaded fork. */
        test_fork();
#endif
        printf("ok (%u CPUs, up to %u threads on CPU %d)\n", ncpus, ncpus + EXTRA_THRS, pin_cpu);
        return 0;
}

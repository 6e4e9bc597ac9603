/* SPDX-License-Identifier: MIT */
/*
 * Virtual CPUs: what "the current CPU" means for per-CPU maps,
 * bpf_get_smp_processor_id() and BPF_F_CURRENT_CPU.
 *
 * The kernel never preempts or migrates a BPF program mid-run, so a
 * program's plain `*v += 1` on its CPU's copy of a per-CPU value is safe
 * there. Threads here are preempted and share CPUs, so sched_getcpu() alone
 * would let two runs update one copy at once. Instead the runtime has
 * bpfaot_rt_ncpus() virtual CPUs and a program run holds one for its whole
 * run (bpfaot_rt_cpu_enter/exit): one run per virtual CPU at a time, as one
 * program per CPU in the kernel.
 */
#define _GNU_SOURCE
#include "bpfaot/runtime.h"
#include "cpu_internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <unistd.h>

/*
 * The claim table. It is process-wide by nature, like a lock: every thread
 * that runs programs competes for the same CPUs, so it is a static array
 * touched only with atomics. One cache line per CPU, so that threads on
 * different CPUs claiming their own slot do not contend.
 */
struct cpu_slot {
        uint32_t held; /* 0 free, 1 held; acquire on claim, release on exit */
        char pad[60];
} __attribute__((aligned(64)));

static struct cpu_slot slots[BPFAOT_RT_MAX_CPUS];
static uint32_t ncpus; /* 0 until cpu_init() ran; then fixed for the process */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* What this thread holds: depth 0 means no CPU (cpu is then meaningless). */
static _Thread_local uint32_t held_cpu;
static _Thread_local uint32_t held_depth;

/*
 * After fork() only the forking thread exists in the child: CPUs that other
 * threads held stay held forever unless released here. The forking thread's
 * own CPU (it may fork from a helper) is still its own.
 */
static void release_after_fork(void)
{
        uint32_t n = __atomic_load_n(&ncpus, __ATOMIC_RELAXED);

        for (uint32_t c = 0; c < n; c++)
                if (!held_depth || c != held_cpu)
                        __atomic_store_n(&slots[c].held, 0, __ATOMIC_RELAXED);
}

static void cpu_init(void)
{
        long n = sysconf(_SC_NPROCESSORS_CONF);
        uint32_t v = n > 0 ? (uint32_t)n : 1;

        if (n > BPFAOT_RT_MAX_CPUS)
                v = BPFAOT_RT_MAX_CPUS;
        /* Without the handler a fork is still fine unless other threads held CPUs. */
        (void)pthread_atfork(NULL, NULL, release_after_fork);
        __atomic_store_n(&ncpus, v, __ATOMIC_RELEASE);
}

uint32_t bpfaot_rt_ncpus(void)
{
        uint32_t n = __atomic_load_n(&ncpus, __ATOMIC_ACQUIRE);

        if (n)
                return n;
        pthread_once(&init_once, cpu_init);
        return __atomic_load_n(&ncpus, __ATOMIC_ACQUIRE);
}

/* The CPU the thread runs on, as a virtual CPU: a hint, it may migrate at once. */
static uint32_t os_cpu(uint32_t n)
{
        int cpu = sched_getcpu();

        return cpu < 0 ? 0 : (uint32_t)cpu % n;
}

static bool try_claim(uint32_t c)
{
        /* Test first: a held slot's line stays shared instead of bouncing between waiters. */
        return !__atomic_load_n(&slots[c].held, __ATOMIC_RELAXED) &&
               !__atomic_exchange_n(&slots[c].held, 1, __ATOMIC_ACQUIRE);
}

/*
 * A free CPU, preferring the one the thread runs on (its copies are then
 * likely in this core's cache), else the next free one after it. While all
 * are held the thread yields, like a program waiting for a CPU, and tries
 * again once the others had a chance to finish their runs.
 */
static uint32_t claim(void)
{
        uint32_t n = bpfaot_rt_ncpus();

        for (;;) {
                uint32_t c = os_cpu(n);

                for (uint32_t i = 0; i < n; i++, c = c + 1 < n ? c + 1 : 0)
                        if (try_claim(c))
                                return c;
                sched_yield();
        }
}

void bpfaot_rt_cpu_enter(void)
{
        if (held_depth) { /* a nested run (tail call, program run by a helper) */
                held_depth++;
                return;
        }
        held_cpu = claim();
        held_depth = 1;
}

void bpfaot_rt_cpu_exit(void)
{
        if (!held_depth) /* unbalanced: nothing to release */
                return;
        if (--held_depth)
                return;
        /* Release: the next holder sees every write this run made to the CPU's copies. */
        __atomic_store_n(&slots[held_cpu].held, 0, __ATOMIC_RELEASE);
}

int bpfaot_rt_cpu_held(void)
{
        return held_depth ? (int)held_cpu : -1;
}

uint32_t bpfaot__cpu_current(void)
{
        if (held_depth)
                return held_cpu;
        return os_cpu(bpfaot_rt_ncpus());
}

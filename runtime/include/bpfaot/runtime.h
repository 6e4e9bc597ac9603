/* SPDX-License-Identifier: MIT */
/*
 * bpfaot runtime: what natively compiled eBPF programs link against.
 * No LLVM inside. Helpers are plain C functions with the eBPF helper ABI
 * (five 64-bit arguments, one 64-bit result), found by their helper id.
 *
 * Each built-in helper is also defined as the weak symbol compiled code
 * calls, _bpf_helper_ext_NNNN. A host that defines one of these symbols
 * replaces the runtime's helper (its strong definition wins at link time),
 * and the table below then holds the host's function, so lookups and
 * bpfaot_rt_callx() use it too. A host adds helpers with ids of its own by
 * defining their symbols; the table keeps no mutable state and does not list
 * them. See README.md, "Runtime helpers".
 */
#ifndef BPFAOT_RUNTIME_H
#define BPFAOT_RUNTIME_H

#include "objabi.h" /* struct bpfaot_tail_call_result */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t (*bpfaot_rt_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                        uint64_t r5);

struct bpfaot_rt_helper {
        uint32_t id;      /* kernel helper id (enum bpf_func_id) */
        const char *name; /* kernel name without the bpf_ prefix */
        bpfaot_rt_helper_fn fn;
};

/* The built-in helper with this id (fn: the linked _bpf_helper_ext_NNNN), or NULL. */
const struct bpfaot_rt_helper *bpfaot_rt_helper_find(uint32_t id);
/* All built-in helpers, sorted by id; *cnt receives the count. */
const struct bpfaot_rt_helper *bpfaot_rt_helpers(uint32_t *cnt);

/* Ticks per second of the jiffies64 helper (its clock: CLOCK_MONOTONIC). */
#define BPFAOT_RT_JIFFIES_HZ 1000

/*
 * Parse a symbol name of the form _bpf_helper_ext_NNNN. Returns 0 and the id,
 * or -1 when the name is not a helper symbol.
 */
int bpfaot_rt_parse_helper_symbol(const char *name, uint32_t *id);

/*
 * Dispatch `call %reg` (callx) by helper id. An id without a built-in helper
 * returns (uint64_t)-ENOENT.
 */
uint64_t bpfaot_rt_callx(uint64_t id, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                         uint64_t r5);

/*
 * bpf_tail_call(ctx, prog_array, index), as compiled code calls it: r1-r3
 * of the helper call. When slot `index` of the PROG_ARRAY holds a program and
 * fewer than BPFAOT_MAX_TAIL_CALLS tail calls are under way on this thread,
 * runs it as prog(ctx, 0) and returns {1, its r0}: the caller then returns
 * that value at once, which is the kernel's semantics (the tail-called
 * program replaces the current frame). Otherwise returns {0, -ENOENT} (or
 * {0, -EINVAL} for a map that is not a PROG_ARRAY) and the caller goes on
 * with the next instruction, as after a failed tail call.
 *
 * The chain's length is kept in one thread-local counter: a tail call is a
 * nested native call here, so the counter is the nesting depth. Unlike the
 * kernel, an attempt on an empty slot does not count.
 */
#define BPFAOT_MAX_TAIL_CALLS 33
struct bpfaot_tail_call_result bpfaot_rt_tail_call(uint64_t ctx, uint64_t map, uint64_t index);

/*
 * Virtual CPUs. The runtime has bpfaot_rt_ncpus() CPUs: the copies a PERCPU
 * map keeps, the range of bpf_get_smp_processor_id(), and the default size
 * of a PERF_EVENT_ARRAY. It is sysconf(_SC_NPROCESSORS_CONF), at least 1 and
 * at most BPFAOT_RT_MAX_CPUS, fixed at the first call.
 *
 * As in the kernel, where a program is never preempted or migrated mid-run,
 * a CPU runs one program at a time: a program run that uses per-CPU state
 * holds one CPU from bpfaot_rt_cpu_enter() to bpfaot_rt_cpu_exit(), so its
 * plain (non-atomic) updates of that CPU's copies race with nobody, however
 * many threads run programs. Compiled entries of programs that reference a
 * PERCPU map call both around the run (BPFAOT_CPU_ENTER_SYMBOL in bpfaot/objabi.h),
 * and so does bpf-aot's interpreter; a host calls them itself only for its
 * own per-CPU work.
 *
 * enter: a thread that already holds a CPU (a tail call, a program run from
 * a helper or callback) keeps it and counts one more level. Otherwise it
 * claims a free CPU, preferring sched_getcpu() modulo the count; while all
 * are held it yields and retries, so it waits for a run to finish. That is
 * no hang unless a holder never exits: a run must not wait for another
 * thread's run to start (all CPUs may be held by runs waiting too).
 * exit: drops a level; the last one releases the CPU, with release ordering,
 * so the next holder sees the run's writes. An exit without enter does
 * nothing. A thread must not end while it holds a CPU; after fork() the
 * child keeps only the forking thread's CPU held.
 *
 * A thread that holds no CPU (a host calling a helper directly) gets
 * sched_getcpu() modulo the count as its current CPU: not exclusive, so
 * concurrent plain updates of that copy may be lost.
 */
#define BPFAOT_RT_MAX_CPUS 1024
uint32_t bpfaot_rt_ncpus(void);
void bpfaot_rt_cpu_enter(void);
void bpfaot_rt_cpu_exit(void);
/* The CPU this thread holds, or -1. */
int bpfaot_rt_cpu_held(void);

#ifdef __cplusplus
}
#endif
#endif

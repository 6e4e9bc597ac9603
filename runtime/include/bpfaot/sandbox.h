/* SPDX-License-Identifier: MIT */
/*
 * bpfaot runtime: what sandboxed programs (bpf-aot build --sandbox) call.
 *
 * A sandboxed program may touch only its own regions: the context it was
 * run with (of the size it was given), its live stack frames, its global
 * data sections (read-only ones only read), and the map values and
 * ring-buffer records the runtime handed out. Accesses the compiler cannot
 * prove inside one are checked here; a failed check ends the run (every
 * function returns at once, helpers finish normally), the entry returns 0
 * and the thread's fault record says where and why.
 *
 * The record of a run (struct bpfaot_sandbox_run, bpfaot/objabi.h) lives in
 * the entry's frame; the thread's innermost run is the one thread-local
 * pointer, so that callbacks run by helpers (bpf_loop) find it.
 */
#ifndef BPFAOT_SANDBOX_H
#define BPFAOT_SANDBOX_H

#include "objabi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Whether the last sandboxed run on this thread ended with a fault, and if
 * so (and `out` is not NULL) the fault. A new run forgets it.
 */
bool bpfaot_sandbox_fault(struct bpfaot_sandbox_fault *out);

/* Forget this thread's last fault (a host about to run code that may not be sandboxed). */
void bpfaot_sandbox_fault_clear(void);

/*
 * For engines of the host's own (bpf-aot's interpreter): how many of the `n`
 * bytes at `p` the program running helpers on this thread may read, from p
 * on. The runtime's reads of pointers a program hands over inside its data
 * (a format's %s) stop there, as at unmapped memory. Set per thread (NULL:
 * no bound); a sandboxed compiled run bounds them by its own regions.
 */
typedef size_t (*bpfaot_sandbox_readable_fn)(void *ctx, const void *p, size_t n);
void bpfaot_sandbox_set_readable(bpfaot_sandbox_readable_fn fn, void *ctx);

/*
 * The reason of a fault as one line without the program and instruction,
 * e.g. "out-of-bounds store of 8 bytes at 0x7ffd0000", into buf (always
 * terminated). Returns what snprintf returns.
 */
int bpfaot_sandbox_fault_str(const struct bpfaot_sandbox_fault *f, char *buf, size_t len);

/* The functions compiled code calls (BPFAOT_SANDBOX_*_SYMBOL in bpfaot/objabi.h). */
void bpfaot_rt_sandbox_enter(struct bpfaot_sandbox_run *run, const char *prog, uint64_t ctx,
                             uint64_t ctx_size, const struct bpfaot_sandbox_region *data,
                             uint64_t data_cnt, void *const *maps, uint64_t map_cnt,
                             uint64_t max_loops);
void bpfaot_rt_sandbox_leave(struct bpfaot_sandbox_run *run);
/*
 * A function's frame [lo, hi) (lo == hi: a frame no address of which ever
 * leaves the function) joins the thread's run. Returns the run; its
 * `failed` is set when there is none, it already failed, or the frames
 * would be too many, and then the frame is not pushed (no pop follows).
 */
struct bpfaot_sandbox_run *bpfaot_rt_sandbox_push(uint64_t lo, uint64_t hi, uint64_t how);
void bpfaot_rt_sandbox_pop(struct bpfaot_sandbox_run *run);
/* 1 when the access (or argument) `how` describes is allowed; else 0, the run failed. */
uint64_t bpfaot_rt_sandbox_check(struct bpfaot_sandbox_run *run, uint64_t addr, uint64_t size,
                                 uint64_t how);
/*
 * After a helper that ran a callback: a frame refused for being too many
 * (a callback's push knows no call) is located at this call.
 */
void bpfaot_rt_sandbox_locate(struct bpfaot_sandbox_run *run, uint64_t how);
/*
 * `loops` more loop iterations of the thread's run (a function counts its
 * own and hands them over in batches, and when it returns; bpf_loop counts
 * its calls): 1 while within the run's budget, or outside any run; else 0,
 * the run failed, at the instruction `how` names (the loop's head; when it
 * is BPFAOT_SANDBOX_NO_INSN, bpfaot_rt_sandbox_locate may name the call
 * that ran the loop's callbacks). A tail call's run counts into its
 * caller's. `loops` is signed: below 0, iterations taken by
 * bpfaot_rt_sandbox_reserve and not run are given back (1).
 */
uint64_t bpfaot_rt_sandbox_budget(uint64_t loops, uint64_t how);
/*
 * Takes `loops` + 1 iterations of the run's budget at once, for a loop that
 * knows its bound, and `batch` more for the calling function's own count
 * (1), or none when they would exceed it (0: the run goes on, and the loop
 * counts its iterations one by one). Outside any run, 1.
 */
uint64_t bpfaot_rt_sandbox_reserve(uint64_t loops, uint64_t batch);

#ifdef __cplusplus
}
#endif
#endif

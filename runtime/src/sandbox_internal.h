/* SPDX-License-Identifier: MIT */
/* What the runtime's helpers ask of the thread's sandboxed run (sandbox.c), if there is one. */
#ifndef BPFAOT_SANDBOX_INTERNAL_H
#define BPFAOT_SANDBOX_INTERNAL_H

#include "bpfaot/objabi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A ring-buffer record of `size` bytes at `p` was reserved: a sandboxed run
 * holds it until it submits or discards it, and may access only the records
 * it holds. False when the run holds too many already (the reservation
 * fails then, as for a full ring). True outside a sandboxed run.
 */
bool bpfaot__sandbox_record_reserved(void *p, uint64_t size);
/*
 * A helper (`helper`, the kernel's id) releases record `p`: true when the
 * run held it (it no longer does) or outside a sandboxed run; else the run
 * fails, and the helper must not touch it.
 */
bool bpfaot__sandbox_record_release(void *p, uint32_t helper);
/*
 * How many of the `n` bytes at `p` a sandboxed run may read, from p on
 * (0: p is none of its memory): the runtime's checked reads of pointers a
 * program hands over inside its data (a format's %s, %pI4) stop there, as
 * at unmapped memory. `n` outside a sandboxed run.
 */
size_t bpfaot__sandbox_readable(const void *p, size_t n);
/*
 * bpf_spin_lock (take) or bpf_spin_unlock of `lock` by helper `helper`: true
 * when the run may (it holds no lock, or holds this one), and the run now
 * holds it or not; else the run fails and the helper must not touch the
 * lock (taking a second one could wait for ever). True outside a run.
 */
bool bpfaot__sandbox_lock(void *lock, bool take, uint32_t helper);

enum bpfaot_sandbox_dynptr_use {
        BPFAOT_DYNPTR_MAKE,    /* the helper makes a dynptr there */
        BPFAOT_DYNPTR_READ,    /* it reads the dynptr's memory */
        BPFAOT_DYNPTR_WRITE,   /* it writes it (unless the dynptr is read-only) */
        BPFAOT_DYNPTR_RELEASE, /* it submits or discards the record behind it */
};
/*
 * Dynptr `p`, argument `arg` of helper `helper`: true when a sandboxed run
 * may hand it over (on its stack; its memory the run's own, or a record the
 * run holds: released now for BPFAOT_DYNPTR_RELEASE), or outside a run;
 * else the run fails and the helper must not use it.
 */
bool bpfaot__sandbox_dynptr(const void *p, uint32_t helper, unsigned arg,
                            enum bpfaot_sandbox_dynptr_use use);
/* The dynptr of the runtime's own that a callback is handed now (returns the one before). */
const void *bpfaot__sandbox_runtime_dynptr(const void *p);

/*
 * What a callback the runtime runs later, on a thread of its own (a
 * bpf_timer's), needs of the sandboxed run that handed it over: the
 * program's name (in its object, as the callback's code is), and copies of
 * the run's global data regions and maps (the run's own lists live in its
 * entry's frame). Shared by reference count: a timer holds one reference,
 * a callback running another.
 */
struct bpfaot__sandbox_scope;
/*
 * The thread's sandboxed run as a new scope (one reference), or NULL:
 * outside any run (*nomem false), or out of memory (*nomem true).
 */
struct bpfaot__sandbox_scope *bpfaot__sandbox_scope_get(bool *nomem);
void bpfaot__sandbox_scope_hold(struct bpfaot__sandbox_scope *s);
void bpfaot__sandbox_scope_put(struct bpfaot__sandbox_scope *s); /* NULL: nothing */
/*
 * cb(a, b, c, 0, 0) as a sandboxed run of scope `s` of its own on this
 * thread, with a loop budget of its own, whose context is the `size` bytes
 * at `mem` (a timer's key, which may lie on this thread's stack): true when
 * the run did not fault; else false, and *fault says where and why.
 */
bool bpfaot__sandbox_run_callback(const struct bpfaot__sandbox_scope *s,
                                  uint64_t (*cb)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t),
                                  uint64_t a, uint64_t b, uint64_t c, const void *mem,
                                  uint64_t size, struct bpfaot_sandbox_fault *fault);

#endif

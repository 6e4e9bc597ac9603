/* SPDX-License-Identifier: MIT */
/* What the runtime's helpers ask of the thread's sandboxed run (sandbox.c), if there is one. */
#ifndef BPFAOT_SANDBOX_INTERNAL_H
#define BPFAOT_SANDBOX_INTERNAL_H

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

#endif

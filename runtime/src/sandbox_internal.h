/* SPDX-License-Identifier: MIT */
/* What the runtime's helpers ask of the thread's sandboxed run (sandbox.c), if there is one. */
#ifndef BPFAOT_SANDBOX_INTERNAL_H
#define BPFAOT_SANDBOX_INTERNAL_H

#include <stdbool.h>
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

#endif

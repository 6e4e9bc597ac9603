/* SPDX-License-Identifier: MIT */
/* Private to shm.c, and the hook its tests use to die holding the segment's lock. */
#ifndef BPFAOT_SHM_INTERNAL_H
#define BPFAOT_SHM_INTERNAL_H

#include "bpfaot/shm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * How every layout version of a segment starts: an opener reads this to
 * tell a segment, and its version, before it trusts anything else. The
 * creator sets `ready` last, once the rest is written.
 */
struct bpfaot_shm_prefix {
        uint64_t magic;
        uint32_t version;
        uint32_t ready;
};
#define BPFAOT_SHM_MAGIC 0x4d48535f544f4146ull /* "FAOT_SHM" */
#define BPFAOT_SHM_READY 0x59444552u           /* "REDY" */

/*
 * Take the segment's lock (process-shared and robust: when its holder died,
 * the lock is made consistent and taken). 0 or a negative errno.
 */
int bpfaot__shm_lock(struct bpfaot_shm *shm);
void bpfaot__shm_unlock(struct bpfaot_shm *shm);

/*
 * `size` zeroed bytes of the segment's storage, 64-byte aligned (`pages`:
 * whole pages of their own), under the segment's lock, which the caller
 * holds. NULL when the segment is full.
 */
void *bpfaot__shm_alloc(struct bpfaot_shm *shm, size_t size, bool pages);
/* The segment's mapping in this process and its length; *fd its descriptor. */
void *bpfaot__shm_base(const struct bpfaot_shm *shm, size_t *len, int *fd);

#endif

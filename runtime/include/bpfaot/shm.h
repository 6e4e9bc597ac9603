/* SPDX-License-Identifier: MIT */
/*
 * Shared-memory segments: maps that several processes use at once.
 *
 * A segment is a named POSIX shared-memory object (shm_open) holding a
 * versioned header, a table of maps and their storage. Every process that
 * opens it gets its own handles on the same maps: updates made by one are
 * seen by the others, with the thread-safety guarantees maps have within a
 * process. Storage holds offsets, never pointers, so each process may map
 * the segment at another address; the locks are process-shared and robust,
 * so a process that dies holding one does not wedge the others.
 *
 * Map types that can live in a segment: ARRAY, PERCPU_ARRAY, HASH,
 * PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH. Others: -EOPNOTSUPP.
 */
#ifndef BPFAOT_SHM_H
#define BPFAOT_SHM_H

#include "error.h"
#include "maps.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The segment used when no name is given: $BPFAOT_SHM, else this. */
#define BPFAOT_SHM_DEFAULT_NAME "bpfaot"
#define BPFAOT_SHM_ENV          "BPFAOT_SHM"
/* Layout version: a segment of another version is refused (-EPROTO). */
#define BPFAOT_SHM_VERSION 1
/* Bytes of a new segment unless opts.size says otherwise (pages are only used as written). */
#define BPFAOT_SHM_DEFAULT_SIZE (64ull << 20)
/* Longest map name kept (with its NUL), as the kernel's BPF_OBJ_NAME_LEN. */
#define BPFAOT_SHM_NAME_LEN 16
/* Maps one segment holds at most (its table has a fixed size); then -ENOSPC. */
#define BPFAOT_SHM_MAX_MAPS 1024

struct bpfaot_shm;

struct bpfaot_shm_opts {
        size_t sz;   /* sizeof(struct bpfaot_shm_opts) */
        bool create; /* create the segment if it does not exist */
        size_t size; /* bytes of a created segment; 0: BPFAOT_SHM_DEFAULT_SIZE */
        /* When set, a failed open leaves here one line naming the segment and the reason. */
        struct bpfaot_error *error;
};

/* $BPFAOT_SHM when set and not empty, else BPFAOT_SHM_DEFAULT_NAME. */
const char *bpfaot_shm__default_name(void);

/*
 * Open segment `name` (NULL: bpfaot_shm__default_name(); a name without a
 * leading '/' gets one; -EINVAL for an empty name or one with another '/').
 * -ENOENT when it does not exist and opts->create is not set; -EPROTO when
 * it is not a segment of this layout version, or its creator did not finish
 * making it within two seconds. With opts->create, of processes creating
 * the same segment at once one creates it (mode 0600) and the others open
 * it once it is ready; -EINVAL when opts->size cannot hold the header.
 */
int bpfaot_shm__open(const char *name, const struct bpfaot_shm_opts *opts, struct bpfaot_shm **shm);
/* Unmap the segment. Handles of its maps must be freed before. */
void bpfaot_shm__close(struct bpfaot_shm *shm);
/*
 * Remove segment `name` (NULL: the default), whatever its version: processes
 * that have it open keep it until they close. -ENOENT when there is none.
 */
int bpfaot_shm__remove(const char *name);

/* The segment's name (with its leading '/'). */
const char *bpfaot_shm__name(const struct bpfaot_shm *shm);

struct bpfaot_shm_info {
        uint32_t version;
        uint64_t size; /* bytes of the segment */
        uint64_t used; /* bytes allocated in it */
        uint32_t map_cnt;
};
int bpfaot_shm__info(struct bpfaot_shm *shm, struct bpfaot_shm_info *info);

/*
 * Create a map in the segment; *id receives its id (ids start at 1, in
 * creation order). def->name is kept (up to BPFAOT_SHM_NAME_LEN - 1
 * bytes); def->init_value, when set, fills an ARRAY as bpfaot_map__create
 * does. Errors as bpfaot_map__create, and -EOPNOTSUPP for a type that
 * cannot live in a segment, -ENOSPC when the segment's storage or its table
 * (BPFAOT_SHM_MAX_MAPS) is full. A failed creation takes no room.
 */
int bpfaot_shm__create_map(struct bpfaot_shm *shm, const struct bpfaot_map_def *def, uint32_t *id);
/*
 * A handle of this process on map `id` (-ENOENT: none), used as any map
 * (bpfaot/maps.h, and as a program's map); free it with bpfaot_map__free,
 * which leaves the map in the segment.
 */
int bpfaot_shm__map(struct bpfaot_shm *shm, uint32_t id, struct bpfaot_map **map);

struct bpfaot_shm_map_info {
        uint32_t id;
        uint32_t type, key_size, value_size, max_entries, map_flags;
        uint32_t ncpus; /* copies of a PERCPU value; 1 otherwise */
        char name[BPFAOT_SHM_NAME_LEN];
};
/* The map after `id` (0: the first) in *next: -ENOENT after the last. */
int bpfaot_shm__next_map_id(struct bpfaot_shm *shm, uint32_t id, uint32_t *next);
int bpfaot_shm__map_info(struct bpfaot_shm *shm, uint32_t id, struct bpfaot_shm_map_info *info);

#ifdef __cplusplus
}
#endif

#endif

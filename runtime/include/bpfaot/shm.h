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
 * PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH, QUEUE, STACK, BLOOM_FILTER,
 * RINGBUF, USER_RINGBUF, PERF_EVENT_ARRAY, PROG_ARRAY, ARRAY_OF_MAPS and
 * HASH_OF_MAPS: every type of the runtime.
 *
 * A PROG_ARRAY's or map of maps' slot in a segment holds the id of a
 * program or map of the segment (0: empty), read and written atomically:
 * the host reads and writes it as a 4-byte value (bpfaot_map__lookup_copy,
 * bpfaot_map__update_elem with BPF_ANY for arrays; the caller checks what
 * the id names), or stores a map handle of the same segment with
 * bpfaot_map__update_inner. Programs get what the id names in their own
 * process (bpfaot_shm__set_resolver); an id that names nothing there is an
 * empty slot. A map of maps keeps its inner template (def->inner) in the
 * segment: every process's handle checks bpfaot_map__update_inner with it.
 */
#ifndef BPFAOT_SHM_H
#define BPFAOT_SHM_H

#include "error.h"
#include "maps.h"

#include <linux/bpf.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The segment used when no name is given: $BPFAOT_SHM, else this. */
#define BPFAOT_SHM_DEFAULT_NAME "bpfaot"
#define BPFAOT_SHM_ENV          "BPFAOT_SHM"
/* The permissions of a created segment unless opts.mode says otherwise: $BPFAOT_SHM_MODE, else
 * this. */
#define BPFAOT_SHM_MODE_ENV     "BPFAOT_SHM_MODE"
#define BPFAOT_SHM_DEFAULT_MODE 0600
/* Layout version: a segment of another version is refused (-EPROTO). */
#define BPFAOT_SHM_VERSION 1
/* Bytes of a new segment unless opts.size says otherwise (pages are only used as written). */
#define BPFAOT_SHM_DEFAULT_SIZE (64ull << 20)
/* Longest map name kept (with its NUL), as the kernel's BPF_OBJ_NAME_LEN. */
#define BPFAOT_SHM_NAME_LEN 16
/* Maps one segment holds at most (its table has a fixed size); then -ENOSPC. */
#define BPFAOT_SHM_MAX_MAPS 1024
/* The segment's table of programs: as many. */
#define BPFAOT_SHM_MAX_PROGS 1024
/* The segment's table of attach requests: as many. */
#define BPFAOT_SHM_MAX_ATTACHES 1024
/* Longest attach target kept (a binary's path, a tracepoint), with its NUL. */
#define BPFAOT_SHM_TARGET_LEN 256
/* Longest license kept (with its NUL). */
#define BPFAOT_SHM_LICENSE_LEN 64

struct bpfaot_shm;

struct bpfaot_shm_opts {
        size_t sz;   /* sizeof(struct bpfaot_shm_opts) */
        bool create; /* create the segment if it does not exist */
        size_t size; /* bytes of a created segment; 0: BPFAOT_SHM_DEFAULT_SIZE */
        /* When set, a failed open leaves here one line naming the segment and the reason. */
        struct bpfaot_error *error;
        /*
         * Permissions of a created segment (0: $BPFAOT_SHM_MODE, an octal
         * number such as 0660, else BPFAOT_SHM_DEFAULT_MODE), set as given
         * whatever the umask: a loader and a target of other users share a
         * segment they may both read and write.
         */
        unsigned int mode;
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
        uint64_t size;     /* bytes of the segment */
        uint64_t used;     /* bytes allocated in it */
        uint32_t map_cnt;  /* maps not withdrawn */
        uint32_t prog_cnt; /* programs not withdrawn */
};
int bpfaot_shm__info(struct bpfaot_shm *shm, struct bpfaot_shm_info *info);

/*
 * Create a map in the segment; *id receives its id (ids start at 1, in
 * creation order). def->name is kept (up to BPFAOT_SHM_NAME_LEN - 1
 * bytes); def->init_value, when set, fills an ARRAY as bpfaot_map__create
 * does (a PROG_ARRAY's entry functions: -EINVAL; a map of maps' is not
 * applied, its slots are filled by id); def->inner, a map of maps'
 * template, is kept. Errors as bpfaot_map__create, and -EOPNOTSUPP for a type that
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

/*
 * How this process resolves the ids a segment's PROG_ARRAYs and maps of
 * maps hold, for the programs it runs (bpfaot_map__lookup_elem of a map of
 * maps, bpf_tail_call). Each id is asked for once per segment handle: a
 * callback returns 0 with its answer (NULL: nothing here), which is kept
 * until the next bpfaot_shm__set_resolver (answers must stay valid until
 * the segment is closed), or -EAGAIN when it cannot answer now (that use
 * of the slot finds it empty; the next one asks again). Calls come from
 * any thread that runs a program, one at a time, but for a call made while
 * the same thread is in one (code the resolver runs ran a program that met
 * another new id).
 */
struct bpfaot_shm_resolver {
        size_t sz; /* sizeof(struct bpfaot_shm_resolver) */
        /* Map `id` as this process has it. NULL: a handle the segment handle attaches and keeps. */
        int (*map)(void *ctx, uint32_t id, struct bpfaot_map **map);
        /* Program `id`'s entry here, run as entry(ctx, 0). NULL: no program runs (empty slots). */
        int (*prog)(void *ctx, uint32_t id, bpfaot_prog_fn *fn);
        void *ctx;
};
/* Set (r NULL: reset to the defaults) the resolver; before programs run, as it forgets answers. */
int bpfaot_shm__set_resolver(struct bpfaot_shm *shm, const struct bpfaot_shm_resolver *r);

struct bpfaot_shm_map_info {
        uint32_t id;
        uint32_t type, key_size, value_size, max_entries, map_flags;
        uint32_t ncpus; /* copies of a PERCPU value; 1 otherwise */
        bool frozen;    /* bpfaot_shm__freeze_map */
        char name[BPFAOT_SHM_NAME_LEN];
};
/*
 * Freeze map `id` as BPF_MAP_FREEZE does: from then on the syscall side
 * (bpf(2) through the syscall server) may only read it; programs still
 * write it unless it was made BPF_F_RDONLY_PROG.
 */
int bpfaot_shm__freeze_map(struct bpfaot_shm *shm, uint32_t id);
/* What mmap() was asked for, on a map's descriptor. */
struct bpfaot_shm_mmap {
        void *addr;
        size_t len;
        int prot, flags;
        off_t offset;
};
/*
 * Map the values of map `id` into this process as mmap() of a BPF map's
 * descriptor does (libbpf's skeletons map global data so): an ARRAY made
 * with BPF_F_MMAPABLE, MAP_SHARED, values at stride round_up(value_size,
 * 8) from the first page; `req` as mmap()'s arguments, the offset within
 * the map. Every process mapping it sees the same values, which the
 * segment's programs read and write. *out receives the address (unmap it
 * with munmap()). Errors as the kernel's: -ENOTSUPP (524) for other map
 * types, -EINVAL for a private mapping, a map without BPF_F_MMAPABLE, or
 * a range past the values' pages; -EPERM for a writable mapping of a
 * frozen map, -EACCES of a BPF_F_RDONLY_PROG or BPF_F_RDONLY one. Unlike
 * the kernel, freezing a map mapped writable is not refused.
 *
 * A RINGBUF maps as the kernel's (libbpf's ring_buffer__add() maps it so):
 * offset 0 is the consumer position's page, offset page_size the producer
 * position's, then the data area, 2 * max_entries bytes (a record that
 * crosses the ring's end is contiguous there); MAP_SHARED only (-EINVAL);
 * only the consumer page may be mapped writable (offset 0, one page:
 * -EPERM otherwise); a range past the data area: -EINVAL. A read-only
 * mapping cannot be made writable later (mprotect: EACCES).
 *
 * A USER_RINGBUF maps the same way (libbpf's user_ring_buffer__new() maps
 * it so), the other way round: the consumer page (offset 0) is the drain's
 * and may not be mapped writable (-EPERM), the producer page and the data
 * area may; the other rules as a RINGBUF's.
 */
int bpfaot_shm__mmap_map(struct bpfaot_shm *shm, uint32_t id, const struct bpfaot_shm_mmap *req,
                         void **out);
/*
 * Withdraw a map nobody will use (its loader closed it, and no program of
 * the segment loads it, as with libbpf's feature probes): the walk no
 * longer shows it and bpfaot_shm__map() no longer opens it (-ENOENT); its
 * storage is not reused. -EBUSY while a program loads it, an attach
 * request targets it or a slot of a map of maps holds it.
 */
int bpfaot_shm__release_map(struct bpfaot_shm *shm, uint32_t id);
/* The map after `id` (0: the first) that is not withdrawn, in *next: -ENOENT after the last. */
int bpfaot_shm__next_map_id(struct bpfaot_shm *shm, uint32_t id, uint32_t *next);
int bpfaot_shm__map_info(struct bpfaot_shm *shm, uint32_t id, struct bpfaot_shm_map_info *info);

/*
 * Waiting for a RINGBUF map's records from any process (the syscall
 * server's pollable map descriptors). Producers bump the ring's wakeup
 * counter when they commit a record without BPF_RB_NO_WAKEUP (and always
 * with BPF_RB_FORCE_WAKEUP); a shared ring's counter is a process-shared
 * futex word, so a producer in one process wakes a waiter in another.
 */
/* The ring's wakeup counter now (0 when map is not a RINGBUF). */
uint32_t bpfaot_ringbuf__wakeups(struct bpfaot_map *map);
/*
 * Sleep (no busy loop) until the wakeup counter differs from *seen, or
 * timeout_ms passes (negative: no limit): 0 with *seen updated, or
 * -ETIMEDOUT; -EINVAL when map is not a RINGBUF.
 */
int bpfaot_ringbuf__wait_wakeup(struct bpfaot_map *map, uint32_t *seen, int timeout_ms);
/* Bump the counter and wake every waiter, as a commit with a wakeup does, without a record. */
void bpfaot_ringbuf__wake(struct bpfaot_map *map);
/* Is the oldest record not consumed yet committed (a consumer would get something now)? */
bool bpfaot_ringbuf__ready(struct bpfaot_map *map);

/*
 * Perf events (the syscall server's perf_event_open of PERF_TYPE_SOFTWARE /
 * PERF_COUNT_SW_BPF_OUTPUT, which libbpf's perf_buffer opens, one per CPU)
 * and their rings, in a segment. An event is made without a ring; the
 * first mmap() of it makes the ring with the kernel's layout (a struct
 * perf_event_mmap_page, then a power of 2 of data pages at data_offset),
 * which every later mmap() of the event maps again. A PERF_EVENT_ARRAY of
 * the segment refers to events in its slots; bpf_perf_event_output() on it
 * writes a PERF_RECORD_SAMPLE into the slot's ring, as the kernel does.
 * Events and rings live as long as the segment.
 */
struct bpfaot_perf_event;

/*
 * Make an event (enabled unless `disabled`, as attr.disabled; `inherit` as
 * attr.inherit, which a PERF_EVENT_ARRAY refuses); *ref receives its
 * reference in the segment (never 0). -ENOSPC when the segment is full.
 */
int bpfaot_shm__create_perf_event(struct bpfaot_shm *shm, bool disabled, bool inherit,
                                  uint64_t *ref);
/* A handle of this process on event `ref` (-ENOENT: none there); the segment must outlive it. */
int bpfaot_shm__perf_event(struct bpfaot_shm *shm, uint64_t ref, struct bpfaot_perf_event **ev);
void bpfaot_perf_event__free(struct bpfaot_perf_event *ev);
/*
 * mmap() of the event, with the kernel's rules (perf_mmap): MAP_SHARED,
 * offset 0 and a length of 1 + 2^n pages (n >= 0), else -EINVAL; the first
 * makes the ring (-ENOMEM when the segment has no room), later ones must
 * have its size (-EINVAL). Unlike the kernel's, a read-only mapping does
 * not make the ring overwrite unread records, and the ring stays the
 * event's when the last mapping goes.
 */
int bpfaot_perf_event__mmap(struct bpfaot_perf_event *ev, const struct bpfaot_shm_mmap *req,
                            void **out);
/* PERF_EVENT_IOC_ENABLE / _DISABLE: a disabled event takes no sample (-EOPNOTSUPP). */
void bpfaot_perf_event__enable(struct bpfaot_perf_event *ev, bool enable);
/*
 * Waiting for records from any process, as for a RINGBUF: every record
 * written bumps the event's wakeup counter, a process-shared futex word.
 * The counter now; sleep until it differs from *seen (0, *seen updated) or
 * timeout_ms passes (negative: no limit; -ETIMEDOUT); bump it without a
 * record; is there a record the reader has not consumed (data_head !=
 * data_tail)?
 */
uint32_t bpfaot_perf_event__wakeups(struct bpfaot_perf_event *ev);
int bpfaot_perf_event__wait_wakeup(struct bpfaot_perf_event *ev, uint32_t *seen, int timeout_ms);
void bpfaot_perf_event__wake(struct bpfaot_perf_event *ev);
bool bpfaot_perf_event__ready(struct bpfaot_perf_event *ev);

struct bpfaot_perf_event_info {
        uint64_t id; /* as in its PERF_RECORD_LOST records */
        bool enabled;
        uint32_t nr_pages;   /* data pages; 0 also before the ring exists */
        bool has_ring;       /* mmap()ed once */
        uint64_t data_size;  /* bytes of the data area */
        uint64_t head, tail; /* data_head (written) and data_tail (read by the reader) */
        uint64_t lost;       /* samples lost not yet reported by a PERF_RECORD_LOST */
};
int bpfaot_perf_event__info(struct bpfaot_perf_event *ev, struct bpfaot_perf_event_info *info);

/*
 * A PERF_EVENT_ARRAY of the segment (`map`, a handle on it) and events of
 * the same segment: BPF_MAP_UPDATE_ELEM with an event's descriptor. flags
 * BPF_ANY only (-EINVAL), index below max_entries (-E2BIG); -EOPNOTSUPP
 * for an inherit event; -EINVAL when map is no shared PERF_EVENT_ARRAY of
 * ev's segment. `owner` (nonzero) names who stored it, for
 * bpfaot_perf_event_array__release.
 */
int bpfaot_perf_event_array__set(struct bpfaot_map *map, uint32_t index,
                                 struct bpfaot_perf_event *ev, uint64_t flags, uint64_t owner);
/*
 * Empty every slot `owner` filled (as the kernel's map releases the events
 * stored through a descriptor when that descriptor is closed); the number
 * emptied.
 */
int bpfaot_perf_event_array__release(struct bpfaot_map *map, uint64_t owner);
/* What slot `index` refers to: -ENOENT when empty, -E2BIG past max_entries. */
int bpfaot_perf_event_array__slot(struct bpfaot_map *map, uint32_t index,
                                  struct bpfaot_perf_event_info *info);

/*
 * Waiting for room in a USER_RINGBUF from any process (the syscall server's
 * EPOLLOUT on its descriptor, for libbpf's user_ring_buffer__reserve_blocking).
 * A drain (bpf_user_ringbuf_drain) that consumed a sample, without
 * BPF_RB_NO_WAKEUP, or any drain with BPF_RB_FORCE_WAKEUP, bumps the ring's
 * wakeup counter, a process-shared futex word in a shared ring, and wakes
 * the waiters. The functions below are 0, false or -EINVAL for a map that
 * is no USER_RINGBUF, and as the RINGBUF ones otherwise.
 */
uint32_t bpfaot_user_ringbuf__wakeups(struct bpfaot_map *map);
int bpfaot_user_ringbuf__wait_wakeup(struct bpfaot_map *map, uint32_t *seen, int timeout_ms);
void bpfaot_user_ringbuf__wake(struct bpfaot_map *map);
/* Has the ring room (its pending bytes below its size: the kernel's EPOLLOUT)? */
bool bpfaot_user_ringbuf__writable(struct bpfaot_map *map);
/*
 * BPF_RB_AVAIL_DATA (bytes produced, not yet drained), BPF_RB_RING_SIZE,
 * BPF_RB_CONS_POS or BPF_RB_PROD_POS of a USER_RINGBUF, as
 * bpfaot_ringbuf__query() of a RINGBUF; 0 for other flags.
 */
uint64_t bpfaot_user_ringbuf__query(struct bpfaot_map *map, uint64_t flags);

/*
 * Programs, as a loader gave them (the syscall server's PROG_LOAD): type,
 * instructions and license. In the instructions, a 64-bit load of a map
 * (src BPF_PSEUDO_MAP_FD) or of a map value's address (BPF_PSEUDO_MAP_VALUE)
 * holds the map's id in this segment as its imm, not a descriptor.
 */
struct bpfaot_shm_prog_def {
        size_t sz; /* sizeof(struct bpfaot_shm_prog_def) */
        const char *name;
        uint32_t type;                 /* enum bpf_prog_type */
        uint32_t expected_attach_type; /* enum bpf_attach_type */
        const struct bpf_insn *insns;
        uint32_t insn_cnt;
        const char *license;
};

/*
 * Store a program; *id receives its id (from 1, in creation order). Each
 * map id its instructions name must be a map of the segment (-EINVAL
 * otherwise); -ENOSPC when the table (BPFAOT_SHM_MAX_PROGS) or the segment
 * is full.
 */
int bpfaot_shm__create_prog(struct bpfaot_shm *shm, const struct bpfaot_shm_prog_def *def,
                            uint32_t *id);
/*
 * Withdraw a program nobody will run (its loader closed it without
 * attaching it, as libbpf's feature probes do): the walk no longer shows
 * it, its id is not reused. -EBUSY while an attach request names it.
 */
int bpfaot_shm__release_prog(struct bpfaot_shm *shm, uint32_t id);

struct bpfaot_shm_prog_info {
        uint32_t id;
        uint32_t type, expected_attach_type;
        uint32_t insn_cnt;
        uint64_t bytecode_hash; /* bpfaot_bytecode_hash() of the instructions as stored */
        uint64_t code_size;     /* bytes of its native code (bpfaot_shm__set_prog_code), or 0 */
        char name[BPFAOT_SHM_NAME_LEN];
        char license[BPFAOT_SHM_LICENSE_LEN];
};
/* The program after `id` (0: the first) that is not withdrawn, in *next: -ENOENT after the last. */
int bpfaot_shm__next_prog_id(struct bpfaot_shm *shm, uint32_t id, uint32_t *next);
int bpfaot_shm__prog_info(struct bpfaot_shm *shm, uint32_t id, struct bpfaot_shm_prog_info *info);
/*
 * Give program `id` native code: `obj`, an object compiled from the
 * program (bpf-aot compile), whose <entry>__bytecode_hash is
 * `bytecode_hash`: -EINVAL unless that is the program's own (the code of
 * another program is never taken). A later call replaces it; -ENOSPC when
 * the segment is full.
 */
int bpfaot_shm__set_prog_code(struct bpfaot_shm *shm, uint32_t id, const void *obj, size_t size,
                              uint64_t bytecode_hash);
/* Program `id`'s native code where it is in the segment; -ENOENT when it has none. */
int bpfaot_shm__prog_code(struct bpfaot_shm *shm, uint32_t id, const void **obj, size_t *size);
/* The program's instructions where they are in the segment (read them, do not write). */
int bpfaot_shm__prog_insns(struct bpfaot_shm *shm, uint32_t id, const struct bpf_insn **insns,
                           uint32_t *cnt);
/*
 * The program after `id` (0: the first), not withdrawn, whose instructions
 * load map `map_id` (an lddw of the map or of its value), in *next:
 * -ENOENT after the last.
 */
int bpfaot_shm__next_map_user(struct bpfaot_shm *shm, uint32_t map_id, uint32_t id, uint32_t *next);

/*
 * Attach requests: a program to run at a point of other processes, as a
 * loader asked for it (the syscall server's perf_event_open and
 * LINK_CREATE, PROG_ATTACH); an agent in the target process acts on them.
 */
enum bpfaot_shm_attach_kind {
        BPFAOT_SHM_UPROBE = 1, /* target: a binary's path; offset: of the function in the file */
        BPFAOT_SHM_URETPROBE,  /* as UPROBE, at the function's return */
        BPFAOT_SHM_TRACEPOINT, /* target: "category/name"; offset 0 */
        /*
         * BPF_PROG_ATTACH: attach_type and attach_flags as the loader gave
         * them; the target a map of the segment (target_map_id, and the
         * target reads "map <id>") or a file (its path: a cgroup's
         * directory, "net:[...]" for a network namespace); offset 0.
         */
        BPFAOT_SHM_PROG_ATTACH,
};

struct bpfaot_shm_attach_def {
        size_t sz; /* sizeof(struct bpfaot_shm_attach_def) */
        uint32_t prog_id;
        uint32_t kind; /* enum bpfaot_shm_attach_kind */
        /* Up to BPFAOT_SHM_TARGET_LEN - 1 bytes; NULL when target_map_id names the target. */
        const char *target;
        uint64_t offset;
        int32_t pid; /* only this process; -1: every process */
        /* PROG_ATTACH only (a def whose sz ends before them has them 0): */
        uint32_t attach_type;   /* enum bpf_attach_type */
        uint32_t attach_flags;  /* BPF_F_ALLOW_OVERRIDE, BPF_F_ALLOW_MULTI, ... */
        uint32_t target_map_id; /* the target is this map of the segment (0: def->target) */
};

/*
 * Record an attach request; *id receives its id (from 1). The program must
 * be in the segment (-ENOENT), as must a target map (-ENOENT); the target
 * not longer than the table keeps (-ENAMETOOLONG); a TRACEPOINT's target
 * "category/name" (-EINVAL otherwise); -EINVAL for fields the kind does not
 * have (attach_type, attach_flags, target_map_id but for PROG_ATTACH; an
 * offset for TRACEPOINT and PROG_ATTACH). -ENOSPC when the table is full.
 * The segment keeps the request as given: it does not decide whether the
 * target takes the program (the syscall server checks what the kernel
 * would).
 */
int bpfaot_shm__create_attach(struct bpfaot_shm *shm, const struct bpfaot_shm_attach_def *def,
                              uint32_t *id);
/* Withdraw it (its loader detached): the walk no longer shows it. */
int bpfaot_shm__release_attach(struct bpfaot_shm *shm, uint32_t id);

struct bpfaot_shm_attach_info {
        uint32_t id, prog_id, kind;
        int32_t pid;
        uint64_t offset;
        char target[BPFAOT_SHM_TARGET_LEN];
        uint32_t attach_type, attach_flags, target_map_id; /* PROG_ATTACH; 0 otherwise */
};
/* The attach request after `id` (0: the first) not withdrawn, in *next: -ENOENT after the last. */
int bpfaot_shm__next_attach_id(struct bpfaot_shm *shm, uint32_t id, uint32_t *next);
int bpfaot_shm__attach_info(struct bpfaot_shm *shm, uint32_t id,
                            struct bpfaot_shm_attach_info *info);

#ifdef __cplusplus
}
#endif

#endif

/* SPDX-License-Identifier: MIT */
/* Private to the map implementation (runtime/src/maps*.c, map_*.c). */
#ifndef BPFAOT_MAPS_INTERNAL_H
#define BPFAOT_MAPS_INTERNAL_H

#include "bpfaot/maps.h"

#include <pthread.h>
#include <stdbool.h>

/* Largest storage one map may ask for; bigger definitions are -EINVAL. */
#define BPFAOT_MAP_MAX_BYTES (16ull << 30)

#define BPFAOT_ROUND_UP(x, a) (((x) + (a)-1) / (a) * (a))

/* A visitor of map elements (for_each): nonzero stops the walk. */
typedef int (*bpfaot_map_elem_fn)(struct bpfaot_map *map, const void *key, void *value, void *ctx);

struct bpfaot_map_ops {
        /* Validate def (map->def, map->ncpus filled) and allocate; map->priv. */
        int (*alloc)(struct bpfaot_map *map);
        void (*free)(struct bpfaot_map *map);
        void *(*lookup)(struct bpfaot_map *map, const void *key);
        /* PERCPU maps: CPU `cpu`'s copy (cpu < map->ncpus, checked by the caller). */
        void *(*lookup_percpu)(struct bpfaot_map *map, const void *key, uint32_t cpu);
        /* allcpus: value holds every CPU's copy (host side). */
        long (*update)(struct bpfaot_map *map, const void *key, const void *value, uint64_t flags,
                       bool allcpus);
        long (*delete)(struct bpfaot_map *map, const void *key);
        /* Copy the value out (as lookup_copy) and delete it, atomically. */
        int (*lookup_and_delete)(struct bpfaot_map *map, const void *key, void *value);
        int (*lookup_copy)(struct bpfaot_map *map, const void *key, void *value);
        int (*get_next_key)(struct bpfaot_map *map, const void *key, void *next_key);
        long (*push)(struct bpfaot_map *map, const void *value, uint64_t flags);
        long (*pop)(struct bpfaot_map *map, void *value, bool remove);
        /* Does [p, p + size) lie in the storage lookups hand out? NULL: no such storage. */
        bool (*owns)(const struct bpfaot_map *map, uintptr_t p, size_t size);
        /* Maps whose values are pointers (PROG_ARRAY, maps of maps): store one. */
        long (*update_ptr)(struct bpfaot_map *map, const void *key, void *ptr, uint64_t flags);
        /*
         * bpf_for_each_map_elem: fn on each element in map order until it
         * returns nonzero; returns the number of fn calls. PERCPU: the calling
         * CPU's copy. No lock is held while fn runs (it may update or delete).
         */
        long (*for_each)(struct bpfaot_map *map, bpfaot_map_elem_fn fn, void *ctx);
        /*
         * The element holding address p (non-PERCPU maps): returns its value,
         * sets *index to the element's number (below max_entries) and *key to
         * its key (an array's key is *index itself).
         */
        void *(*elem_of)(struct bpfaot_map *map, const void *p, uint32_t *index, const void **key);
        /*
         * Families whose state is one block (map->block): the block size
         * alloc needs for map->def (validated as alloc does), and setting
         * map->priv from an existing block (map->block, map->block_size)
         * without changing it. NULL: the family cannot live in a segment.
         */
        int (*block_size)(const struct bpfaot_map *map, size_t *size);
        int (*attach)(struct bpfaot_map *map);
};

struct bpfaot_map {
        struct bpfaot_map_inline head; /* first: compiled code reads it (bpfaot/maps.h) */
        struct bpfaot_map_def def;     /* name points at name_buf-owned copy, init_value NULL */
        char *name;
        const struct bpfaot_map_ops *ops;
        uint32_t ncpus; /* PERCPU: bpfaot_rt_ncpus() copies; 1 otherwise */
        bool percpu;
        size_t value_stride;    /* round_up(value_size, 8) */
        void *priv;             /* the family's state */
        const void *init_value; /* only during alloc */
        size_t init_size;
        struct bpfaot_map_def inner; /* copy of def->inner (def.inner points here), if any */
        /* The first bpf_timer_init makes it (helpers_timer.c). */
        struct bpfaot_timers *timers;
        /*
         * A family with ops->attach keeps all its state in this one block
         * (offsets inside, no pointers), from the map's place: process
         * memory, or a shared segment (shm.c) that other processes map at
         * other addresses. NULL for the other families.
         */
        void *block;
        size_t block_size;
        bool shared;   /* the block is shared: locks are process-shared and robust */
        bool attached; /* another process created the block: free leaves it alone */
        /*
         * A segment's handle (bpfaot_shm__map): the map's id there, and how
         * this process resolves the ids a shared PROG_ARRAY or map of maps
         * holds. 0 and NULL otherwise.
         */
        uint32_t shm_id;
        struct bpfaot_map_ids *ids;
};

/*
 * How this process resolves a segment's ids (shm.c): a table per kind, by
 * id - 1, each entry written once, the first time the id is asked for
 * (`miss`, which asks the segment handle's resolver), so that a resolution
 * on the hot path is one load. BPFAOT_IDS_NONE marks an id that names
 * nothing here.
 */
struct bpfaot_map_ids {
        void **maps;  /* struct bpfaot_map * */
        void **progs; /* bpfaot_prog_fn */
        uint32_t map_cap, prog_cap;
        uint64_t segment; /* the same for every handle on one segment (its inode) */
        void *(*miss)(struct bpfaot_map_ids *ids, bool prog, uint32_t id);
};
extern const char bpfaot__ids_none;
#define BPFAOT_IDS_NONE ((void *)&bpfaot__ids_none)

/* Map (prog false) or program `id` of the segment as this process has it, or NULL. */
static inline void *bpfaot__ids_resolve(struct bpfaot_map_ids *ids, bool prog, uint32_t id)
{
        void **tab;
        void *p;

        if (!ids || id == 0 || id > (prog ? ids->prog_cap : ids->map_cap))
                return NULL;
        tab = prog ? ids->progs : ids->maps;
        p = __atomic_load_n(&tab[id - 1], __ATOMIC_ACQUIRE);
        if (!p)
                p = ids->miss(ids, prog, id);
        return p == BPFAOT_IDS_NONE ? NULL : p;
}

/*
 * A map of maps' inner template where its shared block keeps it (a handle
 * in another process has no bpfaot_map_def to take it from): set is 1 when
 * there is one.
 */
struct bpfaot_inner_tmpl {
        uint32_t set, type, key_size, value_size, max_entries, map_flags;
};

static inline void bpfaot__inner_save(const struct bpfaot_map *map, struct bpfaot_inner_tmpl *t)
{
        const struct bpfaot_map_def *in = map->def.inner;

        if (!in)
                return;
        t->type = in->type;
        t->key_size = in->key_size;
        t->value_size = in->value_size;
        t->max_entries = in->max_entries;
        t->map_flags = in->map_flags;
        t->set = 1;
}

static inline void bpfaot__inner_load(struct bpfaot_map *map, const struct bpfaot_inner_tmpl *t)
{
        if (!t->set || map->def.inner)
                return;
        map->inner = (struct bpfaot_map_def){.type = t->type,
                                             .key_size = t->key_size,
                                             .value_size = t->value_size,
                                             .max_entries = t->max_entries,
                                             .map_flags = t->map_flags};
        map->def.inner = &map->inner;
}

/*
 * A lock in a map's block: process-shared and robust when the block is
 * shared, so that a process that died holding it wedges nobody (the next
 * taker gets it; what the dead process was changing may be half done, the
 * map stays usable). Returns 0 or -errno.
 */
int bpfaot__map_lock_init(pthread_mutex_t *m, bool shared);
/* The page size (for the kernel's layouts of ring buffers and their mappings). */
size_t bpfaot__page_size(void);
/*
 * futex(2) on a word of a map's block: process-shared when `shared` (the
 * block is in a segment), else private. FUTEX_WAIT_BITSET takes an absolute
 * CLOCK_MONOTONIC deadline (NULL: none); the bitset matches any waker.
 */
struct timespec;
long bpfaot__futex(uint32_t *word, int op, bool shared, uint32_t val, const struct timespec *ts);
/* The CLOCK_MONOTONIC time timeout_ms (>= 0) from now. */
void bpfaot__deadline_in(struct timespec *deadline, int timeout_ms);
/* Count a wakeup on `word` and wake its sleepers (see bpfaot__wakeup_wait). */
void bpfaot__wakeup_bump(uint32_t *word, uint32_t *waiters, bool shared);
/*
 * A ring's wakeup counter (`word`, a futex word; `waiters` counts those
 * asleep on it, so that a waker calls futex only when someone sleeps):
 * sleep until it differs from *seen (then 0, *seen updated) or timeout_ms
 * passes (-ETIMEDOUT; negative: no limit; 0: do not sleep).
 */
int bpfaot__wakeup_wait(uint32_t *word, uint32_t *waiters, bool shared, uint32_t *seen,
                        int timeout_ms);
void bpfaot__map_lock(pthread_mutex_t *m);
void bpfaot__map_unlock(pthread_mutex_t *m);

/*
 * Where a new map's block goes. alloc returns `size` zeroed bytes aligned to
 * 64, or NULL when there is no room.
 */
struct bpfaot_map_place {
        void *(*alloc)(void *ctx, size_t size);
        void *ctx;
        bool shared; /* other processes will map the block (attach) */
};

/*
 * Create `def` with its block from `place` (NULL: process memory, as
 * bpfaot_map__create). With place->shared, only the families with
 * ops->attach are allowed (-EOPNOTSUPP otherwise).
 */
int bpfaot__map_create_at(const struct bpfaot_map_def *def, const struct bpfaot_map_place *place,
                          struct bpfaot_map **map);
/*
 * A handle on a map whose block another process (or this one) created
 * shared, mapped here at `block`: `def` and `ncpus` as it was created.
 * The handle is freed with bpfaot_map__free, which leaves the block alone.
 */
int bpfaot__map_attach(const struct bpfaot_map_def *def, uint32_t ncpus, void *block, size_t size,
                       struct bpfaot_map **map);

/*
 * The bpf_timers of a map's elements (helpers_timer.c). An element's timer
 * is cancelled and forgotten when the element is updated or deleted
 * (value: the element's value before), all of them when the map is freed,
 * before its memory goes; a running callback is waited for.
 */
void bpfaot__timers_release(struct bpfaot_map *map, const void *value);
void bpfaot__timers_free(struct bpfaot_map *map);

_Static_assert(__builtin_offsetof(struct bpfaot_map, head) == 0, "the inline view comes first");
_Static_assert(__builtin_offsetof(struct bpfaot_map_inline, values) == 16,
               "compiled code reads values at offset 16");

/* Is [p, p + size) inside [base, base + len)? */
static inline bool bpfaot_range_inside(uintptr_t p, size_t size, const void *base, size_t len)
{
        uintptr_t b = (uintptr_t)base;
        return p >= b && size <= len && p - b <= len - size;
}

/* get_next_key of maps indexed 0..max_entries-1 (arrays): the index after *key. */
int bpfaot_index_next_key(struct bpfaot_map *map, const void *key, void *next_key);

/* The copy of a PERCPU map the calling thread's program uses (below map->ncpus). */
uint32_t bpfaot_map_cpu(const struct bpfaot_map *map);

extern const struct bpfaot_map_ops bpfaot_array_ops;
extern const struct bpfaot_map_ops bpfaot_hash_ops;
extern const struct bpfaot_map_ops bpfaot_queue_ops;
extern const struct bpfaot_map_ops bpfaot_ringbuf_ops;
extern const struct bpfaot_map_ops bpfaot_ptr_array_ops;
extern const struct bpfaot_map_ops bpfaot_hash_of_maps_ops;
extern const struct bpfaot_map_ops bpfaot_perf_event_ops;
extern const struct bpfaot_map_ops bpfaot_lpm_trie_ops;
extern const struct bpfaot_map_ops bpfaot_bloom_filter_ops;
extern const struct bpfaot_map_ops bpfaot_user_ringbuf_ops;

/*
 * A ring-buffer record header, the kernel's layout (RINGBUF and USER_RINGBUF):
 * the length with BPF_RINGBUF_BUSY_BIT and BPF_RINGBUF_DISCARD_BIT, then the
 * header's offset in the data area (the kernel counts pages). Records are
 * 8-byte aligned.
 */
struct bpfaot_rb_hdr {
        uint32_t len;
        uint32_t pg_off;
};
#define BPFAOT_RB_MAX_RECORD (UINT32_MAX >> 2)
#define BPFAOT_RB_RECORD_LEN(size)                                                                 \
        BPFAOT_ROUND_UP((uint64_t)(size) + sizeof(struct bpfaot_rb_hdr), 8)

/*
 * The definition rules both ring buffers (RINGBUF, USER_RINGBUF) share: no
 * key or value, max_entries a power of 2 and a multiple of the page size,
 * no map_flags outside `flags`. 0 or -EINVAL.
 */
int bpfaot__ringbuf_check_def(const struct bpfaot_map_def *def, uint32_t flags);

/*
 * Where a RINGBUF block's user view starts (the kernel's mmap offset 0, the
 * consumer position's page): this many bytes into the block, which is a
 * whole number of pages. The view holds the consumer page, the producer page
 * and the data area (2 * max_entries bytes), to the block's end.
 */
size_t bpfaot__ringbuf_user_offset(void);

/*
 * The same for a USER_RINGBUF block (map_user_ringbuf.c), laid out alike:
 * its user view is the consumer page (read-only to user space), the
 * producer page and the data area (2 * max_entries bytes, both writable).
 */
size_t bpfaot__user_ringbuf_user_offset(void);

#endif

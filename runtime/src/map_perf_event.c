/* SPDX-License-Identifier: MIT */
/*
 * PERF_EVENT_ARRAY. The kernel's map holds one perf event per CPU, which a
 * reader mmaps. Two consumers here:
 *
 * - A host callback (bpfaot_perf_event_array__set_callback), installed on
 *   a handle: every bpf_perf_event_output() through that handle calls it at
 *   once with the record, so nothing is buffered and nothing is lost. Calls
 *   are serialised per handle by a mutex, so a callback need not be
 *   thread-safe. It takes precedence over the slots.
 * - Slots (a map in a segment): each refers to a perf event of the same
 *   segment (perf_ring.c), stored as the event's offset from the map's
 *   block, never a pointer, so that every process finds it; an output
 *   writes a PERF_RECORD_SAMPLE into the slot's ring, as the kernel's
 *   bpf_perf_event_output() does. The slots are written under a lock of
 *   the block (process-shared and robust when shared) and read by
 *   producers with an acquire load; events are never freed, so a producer
 *   racing with a slot's removal writes into the ring that was there.
 *
 * A map made in process memory has the slots too, but no event can be
 * stored in them (events live in segments): its outputs go to the
 * callback or fail with -ENOENT, as they always did.
 */
#define _GNU_SOURCE
#include "maps_internal.h"
#include "bpfaot/runtime.h"
#include "bpfaot/shm.h"
#include "cpu_internal.h"
#include "perf_ring_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define PERF_FLAGS                                                                                 \
        (BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG |   \
         BPF_F_PRESERVE_ELEMS)

/* A slot of the block. */
struct perf_slot {
        int64_t ev;     /* atomic: the event's offset from the block; 0: empty */
        uint64_t owner; /* who stored it (bpfaot_perf_event_array__release) */
};

/* The map's block. */
struct perf_block {
        pthread_mutex_t lock; /* slot writers */
        uint64_t slot_cnt;
        struct perf_slot slots[];
};

/* This handle's state. */
struct perf_array {
        pthread_mutex_t lock; /* the callback */
        bpfaot_perf_event_fn fn;
        void *ctx;
        struct perf_block *blk;
};

/* max_entries 0: libbpf's default, one event per possible CPU. */
static uint32_t perf_entries(const struct bpfaot_map_def *def)
{
        return def->max_entries ? def->max_entries : bpfaot_rt_ncpus();
}

static int perf_block_size(const struct bpfaot_map *map, size_t *size)
{
        const struct bpfaot_map_def *def = &map->def;
        uint64_t bytes;

        if (def->key_size != 4 || def->value_size != 4 || (def->map_flags & ~PERF_FLAGS))
                return -EINVAL;
        bytes = offsetof(struct perf_block, slots) +
                (uint64_t)perf_entries(def) * sizeof(struct perf_slot);
        if (bytes > BPFAOT_MAP_MAX_BYTES)
                return -ENOMEM;
        *size = (size_t)bytes;
        return 0;
}

static int perf_attach(struct bpfaot_map *map)
{
        struct perf_array *p = calloc(1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        if (pthread_mutex_init(&p->lock, NULL)) {
                free(p);
                return -ENOMEM;
        }
        p->blk = map->block;
        map->priv = p;
        return 0;
}

static int perf_alloc(struct bpfaot_map *map)
{
        struct perf_block *blk = map->block;
        int err = bpfaot__map_lock_init(&blk->lock, map->shared);

        if (err)
                return err;
        if (map->def.max_entries == 0) {
                map->def.max_entries = bpfaot_rt_ncpus();
                map->head.max_entries = map->def.max_entries;
        }
        blk->slot_cnt = map->def.max_entries;
        err = perf_attach(map);
        if (err && !map->shared)
                pthread_mutex_destroy(&blk->lock);
        return err;
}

/* A shared block's lock belongs to its segment, which other processes may still use. */
static void perf_free(struct bpfaot_map *map)
{
        struct perf_array *p = map->priv;

        pthread_mutex_destroy(&p->lock);
        if (!map->shared)
                pthread_mutex_destroy(&p->blk->lock);
        free(p);
}

/* The slot of `key`, or NULL past max_entries. */
static struct perf_slot *slot_of(struct bpfaot_map *map, uint32_t index)
{
        struct perf_array *p = map->priv;

        return index < map->def.max_entries && index < p->blk->slot_cnt ? &p->blk->slots[index]
                                                                        : NULL;
}

static struct bpfaot_perf_ctl *slot_event(struct bpfaot_map *map, struct perf_slot *s)
{
        int64_t off = __atomic_load_n(&s->ev, __ATOMIC_ACQUIRE);

        return off ? (struct bpfaot_perf_ctl *)((char *)map->block + off) : NULL;
}

/* As the kernel's fd_array_map_delete_elem: -E2BIG past max_entries, -ENOENT when empty. */
static long perf_delete(struct bpfaot_map *map, const void *key)
{
        struct perf_array *p = map->priv;
        struct perf_slot *s;
        uint32_t index;
        int64_t old;

        memcpy(&index, key, sizeof(index));
        s = slot_of(map, index);
        if (!s)
                return -E2BIG;
        bpfaot__map_lock(&p->blk->lock);
        old = __atomic_exchange_n(&s->ev, 0, __ATOMIC_ACQ_REL);
        s->owner = 0;
        bpfaot__map_unlock(&p->blk->lock);
        return old ? 0 : -ENOENT;
}

const struct bpfaot_map_ops bpfaot_perf_event_ops = {
    .alloc = perf_alloc,
    .free = perf_free,
    .delete = perf_delete,
    .get_next_key = bpfaot_index_next_key,
    .block_size = perf_block_size,
    .attach = perf_attach,
};

int bpfaot_perf_event_array__set_callback(struct bpfaot_map *map, bpfaot_perf_event_fn fn,
                                          void *ctx)
{
        struct perf_array *p;

        if (map->def.type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
                return -EINVAL;
        p = map->priv;
        pthread_mutex_lock(&p->lock);
        p->fn = fn;
        p->ctx = ctx;
        pthread_mutex_unlock(&p->lock);
        return 0;
}

long bpfaot_perf_event__output(struct bpfaot_map *map, uint64_t flags, const void *data,
                               uint64_t size)
{
        uint64_t index = flags & BPF_F_INDEX_MASK;
        struct bpfaot_perf_ctl *ctl;
        struct perf_array *p;
        struct perf_slot *s;

        if (map->def.type != BPF_MAP_TYPE_PERF_EVENT_ARRAY || (flags & ~BPF_F_INDEX_MASK))
                return -EINVAL;
        if (index == BPF_F_CURRENT_CPU)
                index = bpfaot__cpu_current();
        if (index >= map->def.max_entries || size > UINT32_MAX)
                return -E2BIG;
        p = map->priv;
        pthread_mutex_lock(&p->lock);
        if (p->fn) {
                p->fn(p->ctx, (uint32_t)index, data, (uint32_t)size);
                pthread_mutex_unlock(&p->lock);
                return 0;
        }
        pthread_mutex_unlock(&p->lock);
        s = map->shared ? slot_of(map, (uint32_t)index) : NULL;
        ctl = s ? slot_event(map, s) : NULL;
        return ctl ? bpfaot__perf_output(ctl, data, size) : -ENOENT;
}

static bool is_shared_perf_array(const struct bpfaot_map *map)
{
        return map && map->def.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY && map->shared;
}

int bpfaot_perf_event_array__set(struct bpfaot_map *map, uint32_t index,
                                 struct bpfaot_perf_event *ev, uint64_t flags, uint64_t owner)
{
        struct bpfaot_perf_ctl *ctl;
        struct perf_array *p;
        struct perf_slot *s;
        const void *seg;
        size_t seg_len;

        if (!is_shared_perf_array(map) || !ev || !owner)
                return -EINVAL;
        ctl = bpfaot__perf_event_ctl(ev, &seg, &seg_len);
        /* The map and the event in one segment: the offset between them holds everywhere. */
        if (!bpfaot_range_inside((uintptr_t)map->block, map->block_size, seg, seg_len))
                return -EINVAL;
        if (flags != BPF_ANY)
                return -EINVAL;
        s = slot_of(map, index);
        if (!s)
                return -E2BIG;
        if (ctl->inherit)
                return -EOPNOTSUPP; /* the kernel's perf_event_read_local() refuses it */
        p = map->priv;
        bpfaot__map_lock(&p->blk->lock);
        s->owner = owner;
        __atomic_store_n(&s->ev, (int64_t)((const char *)ctl - (const char *)map->block),
                         __ATOMIC_RELEASE);
        bpfaot__map_unlock(&p->blk->lock);
        return 0;
}

int bpfaot_perf_event_array__release(struct bpfaot_map *map, uint64_t owner)
{
        struct perf_array *p;
        int n = 0;

        if (!is_shared_perf_array(map) || !owner)
                return 0;
        p = map->priv;
        bpfaot__map_lock(&p->blk->lock);
        for (uint32_t i = 0; i < map->def.max_entries && i < p->blk->slot_cnt; i++) {
                struct perf_slot *s = &p->blk->slots[i];

                if (s->owner == owner && __atomic_exchange_n(&s->ev, 0, __ATOMIC_ACQ_REL))
                        n++;
                if (s->owner == owner)
                        s->owner = 0;
        }
        bpfaot__map_unlock(&p->blk->lock);
        return n;
}

int bpfaot_perf_event_array__slot(struct bpfaot_map *map, uint32_t index,
                                  struct bpfaot_perf_event_info *info)
{
        struct bpfaot_perf_ctl *ctl;
        struct perf_slot *s;

        if (!map || map->def.type != BPF_MAP_TYPE_PERF_EVENT_ARRAY || !info)
                return -EINVAL;
        s = slot_of(map, index);
        if (!s)
                return -E2BIG;
        ctl = slot_event(map, s);
        if (!ctl)
                return -ENOENT;
        bpfaot__perf_ctl_info(ctl, info);
        return 0;
}

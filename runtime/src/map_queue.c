/* SPDX-License-Identifier: MIT */
/*
 * QUEUE (FIFO) and STACK (LIFO): a ring of max_entries + 1 value slots under
 * one mutex, as the kernel's queue_stack_maps.c (which uses a spinlock). The
 * state is one block (maps_internal.h): the ring's header, then the slots,
 * so a queue can live in a shared segment.
 */
#include "maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_FLAGS                                                                                \
        (BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)

/* The block's header; the slots follow at QS_SLOTS_OFF. */
struct qstack_shared {
        pthread_mutex_t lock;
        uint32_t head, tail, size; /* size = max_entries + 1 slots */
        uint32_t stack;
};
#define QS_SLOTS_OFF BPFAOT_ROUND_UP(sizeof(struct qstack_shared), 64)

/* This process's view of the block. */
struct qstack {
        struct qstack_shared *sh;
        char *slots;
};

static int qs_block_size(const struct bpfaot_map *map, size_t *size)
{
        const struct bpfaot_map_def *def = &map->def;
        size_t total;

        if (def->key_size != 0 || def->value_size == 0 || def->max_entries == 0 ||
            def->max_entries == UINT32_MAX || (def->map_flags & ~QUEUE_FLAGS))
                return -EINVAL;
        if (__builtin_mul_overflow((size_t)def->value_size, (size_t)def->max_entries + 1, &total) ||
            __builtin_add_overflow(total, QS_SLOTS_OFF, &total) || total > BPFAOT_MAP_MAX_BYTES)
                return -EINVAL;
        *size = total;
        return 0;
}

static int qs_attach(struct bpfaot_map *map)
{
        struct qstack *q = calloc(1, sizeof(*q));

        if (!q)
                return -ENOMEM;
        q->sh = map->block;
        q->slots = (char *)map->block + QS_SLOTS_OFF;
        map->priv = q;
        return 0;
}

static int qs_alloc(struct bpfaot_map *map)
{
        struct qstack_shared *sh = map->block;
        int err = bpfaot__map_lock_init(&sh->lock, map->shared);

        if (err)
                return err;
        sh->size = map->def.max_entries + 1;
        sh->stack = map->def.type == BPF_MAP_TYPE_STACK;
        return qs_attach(map);
}

/* A shared block's lock belongs to its segment, which other processes may still use. */
static void qs_free(struct bpfaot_map *map)
{
        struct qstack *q = map->priv;

        if (!map->shared)
                pthread_mutex_destroy(&q->sh->lock);
        free(q);
}

static long qs_push(struct bpfaot_map *map, const void *value, uint64_t flags)
{
        struct qstack *q = map->priv;
        struct qstack_shared *sh = q->sh;
        size_t vs = map->def.value_size;

        if (flags & ~(uint64_t)BPF_EXIST)
                return -EINVAL;
        bpfaot__map_lock(&sh->lock);
        if ((sh->head + 1) % sh->size == sh->tail) { /* full */
                if (!(flags & BPF_EXIST)) {
                        bpfaot__map_unlock(&sh->lock);
                        return -E2BIG;
                }
                sh->tail = (sh->tail + 1) % sh->size; /* drop the oldest */
        }
        memcpy(q->slots + (size_t)sh->head * vs, value, vs);
        sh->head = (sh->head + 1) % sh->size;
        bpfaot__map_unlock(&sh->lock);
        return 0;
}

static long qs_pop(struct bpfaot_map *map, void *value, bool remove)
{
        struct qstack *q = map->priv;
        struct qstack_shared *sh = q->sh;
        size_t vs = map->def.value_size;
        uint32_t idx;

        bpfaot__map_lock(&sh->lock);
        if (sh->head == sh->tail) {
                bpfaot__map_unlock(&sh->lock);
                return -ENOENT;
        }
        if (sh->stack) {
                idx = (sh->head + sh->size - 1) % sh->size;
                if (remove)
                        sh->head = idx;
        } else {
                idx = sh->tail;
                if (remove)
                        sh->tail = (sh->tail + 1) % sh->size;
        }
        memcpy(value, q->slots + (size_t)idx * vs, vs);
        bpfaot__map_unlock(&sh->lock);
        return 0;
}

static void *qs_lookup(struct bpfaot_map *map, const void *key)
{
        (void)map, (void)key;
        return NULL;
}

/* Programs: -EINVAL. Host (like BPF_MAP_UPDATE_ELEM with a NULL key): push. */
static long qs_update(struct bpfaot_map *map, const void *key, const void *value, uint64_t flags,
                      bool host)
{
        if (!host || key)
                return -EINVAL;
        return qs_push(map, value, flags);
}

static int qs_lookup_copy(struct bpfaot_map *map, const void *key, void *value)
{
        if (key)
                return -EINVAL;
        return (int)qs_pop(map, value, false);
}

const struct bpfaot_map_ops bpfaot_queue_ops = {
    .alloc = qs_alloc,
    .free = qs_free,
    .lookup = qs_lookup,
    .update = qs_update,
    .lookup_copy = qs_lookup_copy,
    .push = qs_push,
    .pop = qs_pop,
    .block_size = qs_block_size,
    .attach = qs_attach,
};

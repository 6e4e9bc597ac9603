/* SPDX-License-Identifier: MIT */
/*
 * QUEUE (FIFO) and STACK (LIFO): a ring of max_entries + 1 value slots under
 * one mutex, as the kernel's queue_stack_maps.c (which uses a spinlock).
 */
#include "maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_FLAGS                                                                                \
        (BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)

struct qstack {
        pthread_mutex_t lock;
        uint32_t head, tail, size; /* size = max_entries + 1 slots */
        bool stack;
        char *slots;
};

static int qs_alloc(struct bpfaot_map *map)
{
        const struct bpfaot_map_def *def = &map->def;
        struct qstack *q;
        size_t total;

        if (def->key_size != 0 || def->value_size == 0 || def->max_entries == 0 ||
            def->max_entries == UINT32_MAX || (def->map_flags & ~QUEUE_FLAGS))
                return -EINVAL;
        if (__builtin_mul_overflow((size_t)def->value_size, (size_t)def->max_entries + 1, &total) ||
            total > BPFAOT_MAP_MAX_BYTES)
                return -EINVAL;
        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->slots = malloc(total);
        if (!q->slots) {
                free(q);
                return -ENOMEM;
        }
        pthread_mutex_init(&q->lock, NULL);
        q->size = def->max_entries + 1;
        q->stack = def->type == BPF_MAP_TYPE_STACK;
        map->priv = q;
        return 0;
}

static void qs_free(struct bpfaot_map *map)
{
        struct qstack *q = map->priv;

        pthread_mutex_destroy(&q->lock);
        free(q->slots);
        free(q);
}

static long qs_push(struct bpfaot_map *map, const void *value, uint64_t flags)
{
        struct qstack *q = map->priv;
        size_t vs = map->def.value_size;

        if (flags & ~(uint64_t)BPF_EXIST)
                return -EINVAL;
        pthread_mutex_lock(&q->lock);
        if ((q->head + 1) % q->size == q->tail) { /* full */
                if (!(flags & BPF_EXIST)) {
                        pthread_mutex_unlock(&q->lock);
                        return -E2BIG;
                }
                q->tail = (q->tail + 1) % q->size; /* drop the oldest */
        }
        memcpy(q->slots + (size_t)q->head * vs, value, vs);
        q->head = (q->head + 1) % q->size;
        pthread_mutex_unlock(&q->lock);
        return 0;
}

static long qs_pop(struct bpfaot_map *map, void *value, bool remove)
{
        struct qstack *q = map->priv;
        size_t vs = map->def.value_size;
        uint32_t idx;

        pthread_mutex_lock(&q->lock);
        if (q->head == q->tail) {
                pthread_mutex_unlock(&q->lock);
                return -ENOENT;
        }
        if (q->stack) {
                idx = (q->head + q->size - 1) % q->size;
                if (remove)
                        q->head = idx;
        } else {
                idx = q->tail;
                if (remove)
                        q->tail = (q->tail + 1) % q->size;
        }
        memcpy(value, q->slots + (size_t)idx * vs, vs);
        pthread_mutex_unlock(&q->lock);
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
};

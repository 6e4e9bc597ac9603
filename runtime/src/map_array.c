/* SPDX-License-Identifier: MIT */
/*
 * ARRAY and PERCPU_ARRAY. Values live in the map's block (maps_internal.h,
 * so an array can live in a shared segment) and never move; lookups take
 * no lock. Updates copy the value in place (a concurrent
 * reader may see a torn value, as in the kernel without BPF_F_LOCK).
 */
#include "maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_FLAGS                                                                                \
        (BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG |   \
         BPF_F_MMAPABLE | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP)

struct array {
        size_t elem_size; /* value_stride * ncpus */
        char *values;
        size_t total; /* bytes at values */
};

/* The definition checks, and the bytes of the values: the map's block. */
static int array_block_size(const struct bpfaot_map *map, size_t *size)
{
        const struct bpfaot_map_def *def = &map->def;
        size_t elem, total;

        if (def->key_size != 4 || def->value_size == 0 || def->max_entries == 0 ||
            (def->map_flags & ~ARRAY_FLAGS))
                return -EINVAL;
        if (map->percpu && (def->map_flags & BPF_F_MMAPABLE))
                return -EINVAL;
        if (__builtin_mul_overflow(map->value_stride, (size_t)map->ncpus, &elem) ||
            __builtin_mul_overflow(elem, (size_t)def->max_entries, &total) ||
            total > BPFAOT_MAP_MAX_BYTES)
                return -EINVAL;
        *size = total;
        return 0;
}

/* This process's view of the block (the values hold no pointers). */
static int array_attach(struct bpfaot_map *map)
{
        struct array *a = calloc(1, sizeof(*a));

        if (!a)
                return -ENOMEM;
        a->elem_size = map->value_stride * map->ncpus;
        a->total = map->block_size;
        a->values = map->block;
        map->priv = a;
        /* Plain arrays can be read by compiled code directly (bpfaot_map_inline). */
        if (!map->percpu) {
                map->head.values = a->values;
                map->head.elem_size = a->elem_size;
        }
        return 0;
}

static int array_alloc(struct bpfaot_map *map)
{
        const struct bpfaot_map_def *def = &map->def;
        size_t elem = map->value_stride * map->ncpus, i, off;

        if (map->init_value && map->init_size > (size_t)def->value_size * def->max_entries)
                return -EINVAL;
        /* .data-style contents: value_size bytes per element, in index order. */
        for (i = 0, off = 0; map->init_value && off < map->init_size; i++) {
                size_t n = map->init_size - off;

                if (n > def->value_size)
                        n = def->value_size;
                memcpy((char *)map->block + i * elem, (const char *)map->init_value + off, n);
                off += n;
        }
        return array_attach(map);
}

static void array_free(struct bpfaot_map *map)
{
        free(map->priv);
}

static char *array_elem(struct bpfaot_map *map, const void *key)
{
        struct array *a = map->priv;
        uint32_t idx;

        memcpy(&idx, key, sizeof(idx));
        if (idx >= map->def.max_entries)
                return NULL;
        return a->values + (size_t)idx * a->elem_size;
}

static void *array_lookup_percpu(struct bpfaot_map *map, const void *key, uint32_t cpu)
{
        char *e = array_elem(map, key);

        return e ? e + (size_t)cpu * map->value_stride : NULL;
}

static void *array_lookup(struct bpfaot_map *map, const void *key)
{
        if (map->percpu)
                return array_lookup_percpu(map, key, bpfaot_map_cpu(map));
        return array_elem(map, key);
}

static long array_update(struct bpfaot_map *map, const void *key, const void *value, uint64_t flags,
                         bool allcpus)
{
        char *e;
        uint32_t cpu;

        if (flags > BPF_EXIST)
                return -EINVAL;
        e = array_elem(map, key);
        if (!e)
                return -E2BIG;
        if (flags == BPF_NOEXIST) /* every element always exists */
                return -EEXIST;
        if (!map->percpu) {
                memcpy(e, value, map->def.value_size);
        } else if (allcpus) {
                for (cpu = 0; cpu < map->ncpus; cpu++)
                        memcpy(e + cpu * map->value_stride,
                               (const char *)value + cpu * map->value_stride, map->def.value_size);
        } else {
                memcpy(e + (size_t)bpfaot_map_cpu(map) * map->value_stride, value,
                       map->def.value_size);
        }
        return 0;
}

static long array_delete(struct bpfaot_map *map, const void *key)
{
        (void)map, (void)key;
        return -EINVAL;
}

static int array_lookup_copy(struct bpfaot_map *map, const void *key, void *value)
{
        char *e = array_elem(map, key);

        if (!e)
                return -ENOENT;
        if (map->percpu)
                memcpy(value, e, map->value_stride * map->ncpus);
        else
                memcpy(value, e, map->def.value_size);
        return 0;
}

static bool array_owns(const struct bpfaot_map *map, uintptr_t p, size_t size)
{
        const struct array *a = map->priv;
        return bpfaot_range_inside(p, size, a->values, a->total);
}

static long array_for_each(struct bpfaot_map *map, bpfaot_map_elem_fn fn, void *ctx)
{
        uint32_t cpu = map->percpu ? bpfaot_map_cpu(map) : 0;
        long n = 0;

        for (uint32_t i = 0; i < map->def.max_entries; i++) {
                n++;
                if (fn(map, &i, array_lookup_percpu(map, &i, cpu), ctx))
                        break;
        }
        return n;
}

static void *array_elem_of(struct bpfaot_map *map, const void *p, uint32_t *index, const void **key)
{
        struct array *a = map->priv;

        if (map->percpu || !bpfaot_range_inside((uintptr_t)p, 1, a->values, a->total))
                return NULL;
        *index = (uint32_t)(((uintptr_t)p - (uintptr_t)a->values) / a->elem_size);
        *key = index;
        return a->values + (size_t)*index * a->elem_size;
}

const struct bpfaot_map_ops bpfaot_array_ops = {
    .owns = array_owns,
    .block_size = array_block_size,
    .attach = array_attach,
    .alloc = array_alloc,
    .free = array_free,
    .lookup = array_lookup,
    .lookup_percpu = array_lookup_percpu,
    .update = array_update,
    .delete = array_delete,
    .lookup_copy = array_lookup_copy,
    .get_next_key = bpfaot_index_next_key,
    .for_each = array_for_each,
    .elem_of = array_elem_of,
};

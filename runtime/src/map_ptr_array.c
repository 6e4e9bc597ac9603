/* SPDX-License-Identifier: MIT */
/*
 * PROG_ARRAY and ARRAY_OF_MAPS: arrays whose values are pointers (a program's
 * entry function, a map). In the kernel the host stores file descriptors;
 * here it stores the pointers themselves (bpfaot_prog_array__update,
 * bpfaot_map__update_inner). Slots are read and written atomically, so a
 * program running on another thread sees either the old or the new pointer.
 */
#include "maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#define PTR_ARRAY_FLAGS                                                                            \
        (BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG |   \
         BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP)

static int ptr_array_alloc(struct bpfaot_map *map)
{
        const struct bpfaot_map_def *def = &map->def;
        void **slots;

        /* The kernel's value is a 4-byte file descriptor; keep its sizes. */
        if (def->key_size != 4 || def->value_size != 4 || def->max_entries == 0 ||
            (def->map_flags & ~PTR_ARRAY_FLAGS) ||
            (size_t)def->max_entries * sizeof(void *) > BPFAOT_MAP_MAX_BYTES)
                return -EINVAL;
        if (def->type == BPF_MAP_TYPE_PROG_ARRAY && map->init_value &&
            (map->init_size % sizeof(void *) || map->init_size / sizeof(void *) > def->max_entries))
                return -EINVAL;
        slots = calloc(def->max_entries, sizeof(*slots));
        if (!slots)
                return -ENOMEM;
        /* Map-in-map contents name other maps: bpfaot_maps__create_all() fills them. */
        if (def->type == BPF_MAP_TYPE_PROG_ARRAY && map->init_value)
                memcpy(slots, map->init_value, map->init_size);
        map->priv = slots;
        return 0;
}

static void ptr_array_free(struct bpfaot_map *map)
{
        free(map->priv);
}

static void **slot(struct bpfaot_map *map, const void *key)
{
        uint32_t idx;

        memcpy(&idx, key, sizeof(idx));
        return idx < map->def.max_entries ? (void **)map->priv + idx : NULL;
}

/* Programs get an inner map from a map of maps; a PROG_ARRAY is only for tail calls. */
static void *ptr_array_lookup(struct bpfaot_map *map, const void *key)
{
        void **s = slot(map, key);

        if (!s || map->def.type == BPF_MAP_TYPE_PROG_ARRAY)
                return NULL;
        return __atomic_load_n(s, __ATOMIC_ACQUIRE);
}

static long ptr_array_update(struct bpfaot_map *map, const void *key, const void *value,
                             uint64_t flags, bool allcpus)
{
        /* A 4-byte value would be a file descriptor, which means nothing here. */
        (void)map, (void)key, (void)value, (void)flags, (void)allcpus;
        return -EINVAL;
}

static long ptr_array_update_ptr(struct bpfaot_map *map, const void *key, void *ptr, uint64_t flags)
{
        void **s;

        if (flags != BPF_ANY) /* as the kernel's fd arrays */
                return -EINVAL;
        s = slot(map, key);
        if (!s)
                return -E2BIG;
        __atomic_store_n(s, ptr, __ATOMIC_RELEASE);
        return 0;
}

static long ptr_array_delete(struct bpfaot_map *map, const void *key)
{
        void **s = slot(map, key);

        if (!s)
                return -E2BIG;
        return __atomic_exchange_n(s, NULL, __ATOMIC_ACQ_REL) ? 0 : -ENOENT;
}

const struct bpfaot_map_ops bpfaot_ptr_array_ops = {
    .alloc = ptr_array_alloc,
    .free = ptr_array_free,
    .lookup = ptr_array_lookup,
    .update = ptr_array_update,
    .delete = ptr_array_delete,
    .get_next_key = bpfaot_index_next_key,
    .update_ptr = ptr_array_update_ptr,
};

bpfaot_prog_fn bpfaot_prog_array__lookup(struct bpfaot_map *map, uint32_t index)
{
        void **s;

        if (map->def.type != BPF_MAP_TYPE_PROG_ARRAY)
                return NULL;
        s = slot(map, &index);
        return s ? (bpfaot_prog_fn)__atomic_load_n(s, __ATOMIC_ACQUIRE) : NULL;
}

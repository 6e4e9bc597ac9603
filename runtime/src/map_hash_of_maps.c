/* SPDX-License-Identifier: MIT */
/*
 * HASH_OF_MAPS: a HASH map (map_hash.c) whose 8-byte values are inner map
 * pointers. Lookups return the inner map itself, as the kernel's do.
 */
#include "maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#define HOM_FLAGS                                                                                  \
        (BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG |   \
         BPF_F_WRONLY_PROG | BPF_F_ZERO_SEED)

static int hom_alloc(struct bpfaot_map *map)
{
        const struct bpfaot_map_def *def = &map->def;
        struct bpfaot_map_def h = {
            .type = BPF_MAP_TYPE_HASH,
            .key_size = def->key_size,
            .value_size = sizeof(void *),
            .max_entries = def->max_entries,
            .map_flags = def->map_flags,
        };
        struct bpfaot_map *table;
        int rc;

        if (def->value_size != 4 || (def->map_flags & ~HOM_FLAGS))
                return -EINVAL;
        rc = bpfaot_map__create(&h, &table);
        if (rc)
                return rc;
        map->priv = table;
        return 0;
}

static void hom_free(struct bpfaot_map *map)
{
        bpfaot_map__free(map->priv);
}

static void *hom_lookup(struct bpfaot_map *map, const void *key)
{
        void **v = bpfaot_map__lookup_elem(map->priv, key);

        return v ? __atomic_load_n(v, __ATOMIC_ACQUIRE) : NULL;
}

static long hom_update(struct bpfaot_map *map, const void *key, const void *value, uint64_t flags,
                       bool allcpus)
{
        (void)map, (void)key, (void)value, (void)flags, (void)allcpus;
        return -EINVAL; /* inner maps are stored with bpfaot_map__update_inner() */
}

static long hom_update_ptr(struct bpfaot_map *map, const void *key, void *ptr, uint64_t flags)
{
        return bpfaot_map__update_elem(map->priv, key, &ptr, flags);
}

static long hom_delete(struct bpfaot_map *map, const void *key)
{
        return bpfaot_map__delete_elem(map->priv, key);
}

static int hom_get_next_key(struct bpfaot_map *map, const void *key, void *next_key)
{
        return bpfaot_map__get_next_key(map->priv, key, next_key);
}

const struct bpfaot_map_ops bpfaot_hash_of_maps_ops = {
    .alloc = hom_alloc,
    .free = hom_free,
    .lookup = hom_lookup,
    .update = hom_update,
    .delete = hom_delete,
    .get_next_key = hom_get_next_key,
    .update_ptr = hom_update_ptr,
};

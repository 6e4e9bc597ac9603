/* SPDX-License-Identifier: MIT */
/*
 * HASH_OF_MAPS: a HASH map (map_hash.c) whose 8-byte values name inner
 * maps, kept in the outer map's block after a header (the inner template
 * of a shared map). In process memory a value is the inner map's pointer;
 * in a shared segment it is the inner map's id there, which each process
 * resolves to its own handle (map_ptr_array.c says how). Lookups return
 * the inner map itself, as the kernel's do; the host reads and writes a
 * shared map's values as 4-byte ids.
 */
#include "maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#define HOM_FLAGS                                                                                  \
        (BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG |   \
         BPF_F_WRONLY_PROG | BPF_F_ZERO_SEED)

/* The block: this header, then the table's own block. */
struct hom_hdr {
        struct bpfaot_inner_tmpl inner;
        uint8_t pad[64 - sizeof(struct bpfaot_inner_tmpl)];
};

/* The table's definition: 8-byte values (a pointer, or an id). */
static struct bpfaot_map_def table_def(const struct bpfaot_map_def *def)
{
        return (struct bpfaot_map_def){
            .type = BPF_MAP_TYPE_HASH,
            .key_size = def->key_size,
            .value_size = sizeof(uint64_t),
            .max_entries = def->max_entries,
            .map_flags = def->map_flags,
        };
}

static int hom_block_size(const struct bpfaot_map *map, size_t *size)
{
        struct bpfaot_map table = {.def = table_def(&map->def), .ncpus = 1};
        size_t n;
        int err;

        if (map->def.value_size != 4 || (map->def.map_flags & ~HOM_FLAGS))
                return -EINVAL;
        table.value_stride = sizeof(uint64_t);
        err = bpfaot_hash_ops.block_size(&table, &n);
        if (err)
                return err;
        *size = sizeof(struct hom_hdr) + n;
        return 0;
}

/* The table's block: the outer block's, after the header. */
static void *table_place(void *ctx, size_t size)
{
        (void)size;
        return (char *)ctx + sizeof(struct hom_hdr);
}

static int hom_attach(struct bpfaot_map *map)
{
        struct bpfaot_map_def h = table_def(&map->def);
        struct bpfaot_map *table;
        int rc;

        rc = bpfaot__map_attach(&h, 1, (char *)map->block + sizeof(struct hom_hdr),
                                map->block_size - sizeof(struct hom_hdr), &table);
        if (rc)
                return rc;
        bpfaot__inner_load(map, &((struct hom_hdr *)map->block)->inner);
        map->priv = table;
        return 0;
}

static int hom_alloc(struct bpfaot_map *map)
{
        struct bpfaot_map_def h = table_def(&map->def);
        struct bpfaot_map_place place = {.alloc = table_place, .ctx = map->block};
        struct bpfaot_map *table;
        int rc;

        if (map->shared) {
                /* Its locks process-shared as the outer map's; the handle attaches it. */
                place.shared = true;
                rc = bpfaot__map_create_at(&h, &place, &table);
                if (rc)
                        return rc;
                bpfaot_map__free(table);
                bpfaot__inner_save(map, &((struct hom_hdr *)map->block)->inner);
                return hom_attach(map);
        }
        rc = bpfaot__map_create_at(&h, &place, &table);
        if (rc)
                return rc;
        map->priv = table;
        return 0;
}

static void hom_free(struct bpfaot_map *map)
{
        struct bpfaot_map *table = map->priv;

        /* The table's block is the outer map's, which goes with it. */
        table->block = NULL;
        bpfaot_map__free(table);
}

static void *hom_lookup(struct bpfaot_map *map, const void *key)
{
        uint64_t *v = bpfaot_map__lookup_elem(map->priv, key);

        if (!v)
                return NULL;
        if (map->shared)
                return bpfaot__ids_resolve(map->ids, false,
                                           (uint32_t)__atomic_load_n(v, __ATOMIC_ACQUIRE));
        return (void *)(uintptr_t)__atomic_load_n(v, __ATOMIC_ACQUIRE);
}

/* A shared map's value: the inner map's id, 4 bytes. */
static int hom_lookup_copy(struct bpfaot_map *map, const void *key, void *value)
{
        uint64_t v;
        uint32_t id;
        int rc;

        if (!map->shared)
                return -EINVAL; /* a pointer is nothing to copy out */
        rc = bpfaot_map__lookup_copy(map->priv, key, &v);
        if (rc)
                return rc;
        id = (uint32_t)v;
        memcpy(value, &id, sizeof(id));
        return 0;
}

static long hom_update(struct bpfaot_map *map, const void *key, const void *value, uint64_t flags,
                       bool allcpus)
{
        uint64_t v = 0;
        uint32_t id;

        (void)allcpus;
        if (!map->shared)
                return -EINVAL; /* inner maps are stored with bpfaot_map__update_inner() */
        memcpy(&id, value, sizeof(id));
        if (!id)
                return -EINVAL;
        v = id;
        return bpfaot_map__update_elem(map->priv, key, &v, flags);
}

static long hom_update_ptr(struct bpfaot_map *map, const void *key, void *ptr, uint64_t flags)
{
        const struct bpfaot_map *inner = ptr;
        uint64_t v = (uint64_t)(uintptr_t)ptr;

        if (map->shared) {
                /* Only a map of the same segment has an id there. */
                if (!inner->shm_id || !inner->ids || !map->ids ||
                    inner->ids->segment != map->ids->segment)
                        return -EINVAL;
                v = inner->shm_id;
        }
        return bpfaot_map__update_elem(map->priv, key, &v, flags);
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
    .lookup_copy = hom_lookup_copy,
    .update = hom_update,
    .delete = hom_delete,
    .get_next_key = hom_get_next_key,
    .update_ptr = hom_update_ptr,
    .block_size = hom_block_size,
    .attach = hom_attach,
};

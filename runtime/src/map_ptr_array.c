/* SPDX-License-Identifier: MIT */
/*
 * PROG_ARRAY and ARRAY_OF_MAPS: arrays whose values name a program or a map.
 *
 * In process memory a slot holds the pointer itself (a program's entry
 * function, a struct bpfaot_map *; bpfaot_prog_array__update,
 * bpfaot_map__update_inner). In a shared segment, where a pointer means
 * nothing to another process, a slot holds the segment's id of the program
 * or map (0: empty), and each process resolves it to its own handle through
 * the map's struct bpfaot_map_ids (maps_internal.h): one load of the slot,
 * one of the resolved table. An id this process cannot resolve is an empty
 * slot. The host reads and writes shared slots as 4-byte ids
 * (bpfaot_map__lookup_copy, bpfaot_map__update_elem), as the kernel's
 * syscall side shows them.
 *
 * Slots are read and written atomically, so a program running on another
 * thread, or in another process, sees either the old or the new one.
 */
#include "maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#define PTR_ARRAY_FLAGS                                                                            \
        (BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG |   \
         BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP)

/* The block: this header (the inner template of a shared map of maps), then 8-byte slots. */
struct ptr_array_hdr {
        struct bpfaot_inner_tmpl inner;
        uint8_t pad[64 - sizeof(struct bpfaot_inner_tmpl)];
};
_Static_assert(sizeof(struct ptr_array_hdr) == 64, "slots start 64 bytes in");
_Static_assert(sizeof(void *) == sizeof(uint64_t), "a slot holds a pointer or an id");

static int ptr_array_block_size(const struct bpfaot_map *map, size_t *size)
{
        const struct bpfaot_map_def *def = &map->def;

        /* The kernel's value is a 4-byte file descriptor; keep its sizes. */
        if (def->key_size != 4 || def->value_size != 4 || def->max_entries == 0 ||
            (def->map_flags & ~PTR_ARRAY_FLAGS) ||
            (size_t)def->max_entries * sizeof(uint64_t) > BPFAOT_MAP_MAX_BYTES)
                return -EINVAL;
        *size = sizeof(struct ptr_array_hdr) + (size_t)def->max_entries * sizeof(uint64_t);
        return 0;
}

static int ptr_array_attach(struct bpfaot_map *map)
{
        struct ptr_array_hdr *h = map->block;

        if (map->shared)
                bpfaot__inner_load(map, &h->inner);
        map->priv = h + 1;
        return 0;
}

static int ptr_array_alloc(struct bpfaot_map *map)
{
        const struct bpfaot_map_def *def = &map->def;

        if (def->type == BPF_MAP_TYPE_PROG_ARRAY && map->init_value &&
            (map->shared || map->init_size % sizeof(void *) ||
             map->init_size / sizeof(void *) > def->max_entries))
                return -EINVAL; /* entry functions mean nothing to another process */
        ptr_array_attach(map);
        if (map->shared)
                bpfaot__inner_save(map, &((struct ptr_array_hdr *)map->block)->inner);
        /* Map-in-map contents name other maps: bpfaot_maps__create_all() fills them. */
        if (def->type == BPF_MAP_TYPE_PROG_ARRAY && map->init_value)
                memcpy(map->priv, map->init_value, map->init_size);
        return 0;
}

static void ptr_array_free(struct bpfaot_map *map)
{
        (void)map; /* the slots are the block's */
}

static void **slot(struct bpfaot_map *map, const void *key)
{
        uint32_t idx;

        memcpy(&idx, key, sizeof(idx));
        return idx < map->def.max_entries ? (void **)map->priv + idx : NULL;
}

/* A shared slot's id (0: empty). */
static uint32_t slot_id(void **s)
{
        return (uint32_t)__atomic_load_n((uint64_t *)s, __ATOMIC_ACQUIRE);
}

/* Programs get an inner map from a map of maps; a PROG_ARRAY is only for tail calls. */
static void *ptr_array_lookup(struct bpfaot_map *map, const void *key)
{
        void **s = slot(map, key);

        if (!s || map->def.type == BPF_MAP_TYPE_PROG_ARRAY)
                return NULL;
        if (map->shared)
                return bpfaot__ids_resolve(map->ids, false, slot_id(s));
        return __atomic_load_n(s, __ATOMIC_ACQUIRE);
}

/* A shared slot's id as a 4-byte value; -ENOENT when empty, as the kernel's fd arrays. */
static int ptr_array_lookup_copy(struct bpfaot_map *map, const void *key, void *value)
{
        void **s = slot(map, key);
        uint32_t id;

        if (!map->shared)
                return -EINVAL; /* a pointer is nothing to copy out */
        if (!s)
                return -ENOENT;
        id = slot_id(s);
        if (!id)
                return -ENOENT;
        memcpy(value, &id, sizeof(id));
        return 0;
}

/* A shared slot takes a 4-byte id (not 0), which the caller checked names what it should. */
static long ptr_array_update(struct bpfaot_map *map, const void *key, const void *value,
                             uint64_t flags, bool allcpus)
{
        uint32_t id;
        void **s;

        (void)allcpus;
        /* In process memory a 4-byte value would be a file descriptor, which means nothing. */
        if (!map->shared || flags != BPF_ANY)
                return -EINVAL;
        memcpy(&id, value, sizeof(id));
        if (!id)
                return -EINVAL;
        s = slot(map, key);
        if (!s)
                return -E2BIG;
        __atomic_store_n((uint64_t *)s, (uint64_t)id, __ATOMIC_RELEASE);
        return 0;
}

static long ptr_array_update_ptr(struct bpfaot_map *map, const void *key, void *ptr, uint64_t flags)
{
        const struct bpfaot_map *inner = ptr;
        void **s;

        if (flags != BPF_ANY) /* as the kernel's fd arrays */
                return -EINVAL;
        if (map->shared) {
                /* Only a map of the same segment has an id there; an entry function has none. */
                if (map->def.type == BPF_MAP_TYPE_PROG_ARRAY || !inner->shm_id || !inner->ids ||
                    !map->ids || inner->ids->segment != map->ids->segment)
                        return -EINVAL;
                return ptr_array_update(map, key, &inner->shm_id, flags, false);
        }
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
    .lookup_copy = ptr_array_lookup_copy,
    .update = ptr_array_update,
    .delete = ptr_array_delete,
    .get_next_key = bpfaot_index_next_key,
    .update_ptr = ptr_array_update_ptr,
    .block_size = ptr_array_block_size,
    .attach = ptr_array_attach,
};

bpfaot_prog_fn bpfaot_prog_array__lookup(struct bpfaot_map *map, uint32_t index)
{
        void **s;

        if (map->def.type != BPF_MAP_TYPE_PROG_ARRAY)
                return NULL;
        s = slot(map, &index);
        if (!s)
                return NULL;
        if (map->shared)
                return (bpfaot_prog_fn)bpfaot__ids_resolve(map->ids, true, slot_id(s));
        return (bpfaot_prog_fn)__atomic_load_n(s, __ATOMIC_ACQUIRE);
}

/* SPDX-License-Identifier: MIT */
/*
 * A host that owns the maps, as bpftime's do, for objects built with
 * --maps-by-fd (and for raw bytecode, whose lddw carries the map fd):
 * __lddw_helper_map_by_fd(fd) hands out the host's own map number fd and
 * notes that it was asked for; the helpers check that the map they are given
 * is one so handed out, and __lddw_helper_map_val gives the address of a
 * map's values. Usage: maps_by_fd_host RUNS. It prints what each run
 * returned, the fds it was asked for, and each map's contents.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "host_check.h"

#define HOST_MAPS    4
#define HOST_ENTRIES 8

/* A map of u32 keys and u64 values, in insertion order. */
struct host_map {
        uint32_t keys[HOST_ENTRIES];
        uint64_t values[HOST_ENTRIES];
        unsigned cnt;
        int asked; /* __lddw_helper_map_by_fd was asked for it */
};

static struct host_map maps[HOST_MAPS];

uint64_t bpf_main(void *ctx, uint64_t ctx_size);

uint64_t __lddw_helper_map_by_fd(uint32_t fd)
{
        CHECK("map_by_fd: an fd the host has", fd < HOST_MAPS);
        maps[fd].asked = 1;
        return (uint64_t)(uintptr_t)&maps[fd];
}

/* The map a helper was given: one that __lddw_helper_map_by_fd handed out. */
static struct host_map *given(uint64_t map)
{
        for (unsigned i = 0; i < HOST_MAPS; i++)
                if (map == (uint64_t)(uintptr_t)&maps[i]) {
                        CHECK("a helper's map was asked for first", maps[i].asked);
                        return &maps[i];
                }
        printf("FAIL a helper was given 0x%" PRIx64 ", not a map of the host\n", map);
        exit(1);
}

static uint64_t *find(struct host_map *m, uint32_t key)
{
        for (unsigned i = 0; i < m->cnt; i++)
                if (m->keys[i] == key)
                        return &m->values[i];
        return NULL;
}

/* __lddw_helper_map_val: the map's values, in insertion order. */
uint64_t __lddw_helper_map_val(uint64_t map)
{
        return (uint64_t)(uintptr_t)given(map)->values;
}

/* bpf_map_lookup_elem */
uint64_t _bpf_helper_ext_0001(uint64_t map, uint64_t key)
{
        return (uint64_t)(uintptr_t)find(given(map), *(const uint32_t *)(uintptr_t)key);
}

/* bpf_map_update_elem */
uint64_t _bpf_helper_ext_0002(uint64_t map, uint64_t key, uint64_t value, uint64_t flags)
{
        struct host_map *m = given(map);
        uint32_t k = *(const uint32_t *)(uintptr_t)key;
        uint64_t *slot = find(m, k);

        (void)flags;
        if (!slot) {
                CHECK("the map has room", m->cnt < HOST_ENTRIES);
                m->keys[m->cnt] = k;
                slot = &m->values[m->cnt++];
        }
        *slot = *(const uint64_t *)(uintptr_t)value;
        return 0;
}

/* bpf_get_current_pid_tgid: a fixed process 4242, thread 7. */
uint64_t _bpf_helper_ext_0014(void)
{
        return (uint64_t)4242 << 32 | 7;
}

int main(int argc, char **argv)
{
        int runs = argc > 1 ? atoi(argv[1]) : 1;

        for (int i = 0; i < runs; i++)
                printf("bpf_main returned %" PRIu64 "\n", bpf_main(NULL, 0));
        printf("fds asked:");
        for (unsigned fd = 0; fd < HOST_MAPS; fd++)
                if (maps[fd].asked)
                        printf(" %u", fd);
        printf("\n");
        for (unsigned fd = 0; fd < HOST_MAPS; fd++) {
                if (!maps[fd].cnt)
                        continue;
                printf("map %u:", fd);
                for (unsigned i = 0; i < maps[fd].cnt; i++)
                        printf(" %u=%" PRIu64, maps[fd].keys[i], maps[fd].values[i]);
                printf("\n");
        }
        return 0;
}

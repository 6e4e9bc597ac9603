// SPDX-License-Identifier: MIT
/*
 * Host for malloc_counter.bpf.c: wraps malloc so that every call runs the
 * AOT-compiled program, does some work, then reads the per-pid counts from
 * the program's map through the skeleton.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "malloc_counter.aot.h"

static void *counted_malloc(size_t size)
{
        malloc_counter__count_malloc(NULL, 0); /* the "uprobe" */
        return malloc(size);
}

int main(int argc, char **argv)
{
        int rounds = argc > 1 ? atoi(argv[1]) : 1000;
        struct malloc_counter_aot *skel;
        uint32_t key, next, *prev = NULL;
        uint64_t count;

        if (malloc_counter_aot__open(&skel)) {
                fprintf(stderr, "cannot create the maps\n");
                return 1;
        }
        for (int i = 0; i < rounds; i++)
                free(counted_malloc(16 + (size_t)i % 512));
        while (bpfaot_map__get_next_key(skel->maps.calls, prev, &next) == 0) {
                key = next;
                prev = &key;
                if (bpfaot_map__lookup_copy(skel->maps.calls, &key, &count) == 0)
                        printf("pid %u: %llu malloc calls%s\n", key, (unsigned long long)count,
                               key == (uint32_t)getpid() ? " (this process)" : "");
        }
        malloc_counter_aot__destroy(skel);
        return 0;
}

// SPDX-License-Identifier: MIT
/*
 * A host that uses skeletons: programs called as <name>__<prog>, maps and
 * global data reached through the skeleton, no string lookups.
 */
#include <stdio.h>

#include "global.aot.h"
#include "maps.aot.h"

int main(void)
{
        struct global_aot *g;
        struct maps_aot *m;
        uint32_t key = 0;
        uint64_t hits = 0;
        int err;

        if (global_aot__open(&g) || (err = maps_aot__open(&m)) != 0) {
                fprintf(stderr, "open failed\n");
                return 1;
        }
        global__count_calls(NULL, 0);
        global__count_calls(NULL, 0);
        printf("counter %d bias %lld read %llu\n", g->bss->counter, g->data->bias,
               (unsigned long long)global__read_counter(NULL, 0));
        g->data->bias = 7; /* the host writes a global the program reads */
        g->bss->counter = 40;
        printf("count_calls %llu\n", (unsigned long long)global__count_calls(NULL, 0));
        for (int i = 0; i < 3; i++)
                maps__count_hits(NULL, 0);
        if (bpfaot_map__lookup_copy(m->maps.hits, &key, &hits)) {
                fprintf(stderr, "lookup failed\n");
                return 1;
        }
        printf("hits %llu\n", (unsigned long long)hits);
        maps_aot__destroy(m);
        global_aot__destroy(g);
        return 0;
}

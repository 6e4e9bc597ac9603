// SPDX-License-Identifier: MIT
/*
 * Two skeletons whose global data share named types (types_a and types_b
 * are one object under two names), included after the host's own header
 * that defines those types, or (-DNO_OWN_HEADER) alone: each type is
 * defined once either way.
 */
#include <stdio.h>

#ifndef NO_OWN_HEADER
#include "skeleton_types.h"
#endif
#include "types_a.aot.h"
#include "types_b.aot.h"

int main(void)
{
        struct event ev = {.pid = 7, .total = 5};
        struct types_a_aot *a;
        struct types_b_aot *b;
        event_count n;

        if (types_a_aot__open(&a) || types_b_aot__open(&b)) {
                fprintf(stderr, "open failed\n");
                return 1;
        }
        types_a__record(&ev, sizeof(ev));
        types_a__record(&ev, sizeof(ev));
        ev.pid = 9;
        types_b__record(&ev, sizeof(ev));
        n = a->bss->events;
        printf("a: pid %d total %lld events %u; b: pid %d total %lld\n", a->bss->last.pid,
               a->bss->last.total, n, b->bss->last.pid, b->bss->last.total);
        types_b_aot__destroy(b);
        types_a_aot__destroy(a);
        return 0;
}

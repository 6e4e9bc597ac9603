/* SPDX-License-Identifier: MIT */
/*
 * A host of three skeletons: tail calls through a PROG_ARRAY, maps of maps,
 * and a PERF_EVENT_ARRAY. Prints one line per check result; cli_test.sh
 * compares the output.
 */
#include "mapinmap.aot.h"
#include "perf.aot.h"
#include "tailcall.aot.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static uint64_t host_prog(void *ctx, uint64_t ctx_size)
{
        (void)ctx_size;
        return 4000 + *(uint64_t *)ctx;
}

static void tail_calls(void)
{
        struct tailcall_aot *s;
        uint64_t ctx = 5;
        uint64_t r;

        if (tailcall_aot__open(&s)) {
                puts("tailcall open failed");
                return;
        }
        printf("first %" PRIu64 "\n", tailcall__first(&ctx, 8));
        r = tailcall__chain(&ctx, 8);
        printf("chain %" PRIu64 " hops %llu\n", r, s->bss->hops);
        r = tailcall__miss(&ctx, 8);
        printf("miss %" PRIu64 " missed %llu\n", r, s->bss->missed);
        r = tailcall__from_sub(&ctx, 8);
        printf("from_sub %" PRIu64 " after_sub %llu\n", r, s->bss->after_sub);
        printf("second ran %llu times\n", s->bss->second_runs);
        /* The host replaces slot 1 with its own function, then empties it. */
        printf("update %d\n", bpfaot_prog_array__update(s->maps.jmp, 1, host_prog));
        printf("first %" PRIu64 "\n", tailcall__first(&ctx, 8));
        printf("clear %d\n", bpfaot_prog_array__update(s->maps.jmp, 1, NULL));
        printf("first %" PRId32 "\n", (int32_t)tailcall__first(&ctx, 8));
        printf("past the end %d\n", bpfaot_prog_array__update(s->maps.jmp, 4, host_prog));
        tailcall_aot__destroy(s);
}

struct req {
        uint32_t which, index;
        uint64_t add;
};

static void maps_of_maps(void)
{
        struct bpfaot_map_def inner_def = {.name = "host_inner",
                                           .type = 2 /* ARRAY */,
                                           .key_size = 4,
                                           .value_size = 8,
                                           .max_entries = 4};
        struct bpfaot_map_def wrong_def = inner_def;
        struct bpfaot_map *inner = NULL, *wrong = NULL;
        struct mapinmap_aot *s;
        struct req r = {2, 1, 5};
        uint64_t id = 77, v = 0;
        uint32_t one = 1;

        wrong_def.value_size = 4;
        if (mapinmap_aot__open(&s) || bpfaot_map__create(&inner_def, &inner) ||
            bpfaot_map__create(&wrong_def, &wrong)) {
                puts("mapinmap open failed");
                return;
        }
        printf("bump %" PRIu64, mapinmap__bump(&r, sizeof(r)));
        printf(" %" PRIu64, mapinmap__bump(&r, sizeof(r)));
        bpfaot_map__lookup_copy(s->maps.inner_b, &one, &v);
        printf(" inner_b[1] %" PRIu64 "\n", v);
        r.which = 1; /* an empty slot */
        printf("empty slot %" PRIu64 "\n", mapinmap__bump(&r, sizeof(r)));
        printf("no such id %" PRIu64 "\n", mapinmap__bump_by_id(&id, 8));
        printf("wrong inner %d\n", bpfaot_map__update_inner(s->maps.by_id, &id, wrong, 0));
        printf("add inner %d\n", bpfaot_map__update_inner(s->maps.by_id, &id, inner, 0));
        printf("bump_by_id %" PRIu64, mapinmap__bump_by_id(&id, 8));
        printf(" %" PRIu64 "\n", mapinmap__bump_by_id(&id, 8));
        printf("lookup is the inner map %d\n",
               bpfaot_map__lookup_elem(s->maps.by_id, &id) == inner);
        printf("delete %ld", bpfaot_map__delete_elem(s->maps.by_id, &id));
        printf(" %ld\n", bpfaot_map__delete_elem(s->maps.by_id, &id));
        mapinmap_aot__destroy(s);
        bpfaot_map__free(inner);
        bpfaot_map__free(wrong);
}

struct event {
        uint32_t seq, tag;
        uint64_t value;
};

static void on_event(void *ctx, uint32_t cpu, const void *data, uint32_t size)
{
        struct event e;
        int *n = ctx;

        (void)cpu;
        if (size != sizeof(e))
                return;
        memcpy(&e, data, sizeof(e));
        printf("event seq %u tag %#x value %" PRIu64 "\n", e.seq, e.tag, e.value);
        ++*n;
}

static void perf_events(void)
{
        struct perf_aot *s;
        uint64_t ctx = 9;
        int n = 0;

        if (perf_aot__open(&s)) {
                puts("perf open failed");
                return;
        }
        printf("no consumer %" PRId64 "\n", (int64_t)perf__emit(&ctx, 8));
        bpfaot_perf_event_array__set_callback(s->maps.events, on_event, &n);
        printf("emit %" PRId64 "\n", (int64_t)perf__emit(&ctx, 8));
        ctx = 10;
        printf("emit %" PRId64 "\n", (int64_t)perf__emit(&ctx, 8));
        printf("events %d\n", n);
        perf_aot__destroy(s);
}

int main(void)
{
        tail_calls();
        maps_of_maps();
        perf_events();
        return 0;
}

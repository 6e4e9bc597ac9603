/* SPDX-License-Identifier: MIT */
/*
 * Global data of named types (a struct and a typedef) from a header the host
 * shares, and a pointer to a type the host never sees.
 */
#include "skeleton_types.h"

struct event last; /* .bss */
event_count events;

/* Only pointed to: the skeleton declares it, and needs no definition. */
struct node {
        struct node *next;
        long long payload[64];
};
struct node *cursor;

__attribute__((section("socket/record"), used)) int record(struct event *ctx)
{
        if (cursor)
                ctx->total += cursor->payload[0];
        last.pid = ctx->pid;
        last.total += ctx->total;
        events++;
        return last.pid;
}

/* SPDX-License-Identifier: MIT */
/* Global data of named types (a struct and a typedef) from a header the host shares. */
#include "skeleton_types.h"

struct event last; /* .bss */
event_count events;

__attribute__((section("socket/record"), used)) int record(struct event *ctx)
{
        last.pid = ctx->pid;
        last.total += ctx->total;
        events++;
        return last.pid;
}

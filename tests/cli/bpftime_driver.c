/* SPDX-License-Identifier: MIT */
/*
 * A driver written for bpftime-aot's objects, linked with one of ours
 * (compat.bpf.c's count_call, built without options): it declares the entry
 * as bpftime's examples do, provides the helpers the program calls under
 * their _bpf_helper_ext_NNNN names, keeps the map's one value itself
 * (whatever map it is handed), and defines __lddw_helper_map_by_fd as such
 * drivers do, which a build that resolves its maps itself never calls.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int bpf_main(void *ctx, uint64_t size);

static uint64_t call_count; /* the value of the program's ARRAY map */

/* bpf_map_lookup_elem */
void *_bpf_helper_ext_0001(void *map, const void *key)
{
        (void)map;
        (void)key;
        return &call_count;
}

/* bpf_map_update_elem */
long _bpf_helper_ext_0002(void *map, const void *key, const void *value, uint64_t flags)
{
        (void)map;
        (void)key;
        (void)flags;
        call_count = *(const uint64_t *)value;
        return 0;
}

/* bpf_trace_printk, for the program's one format ("call %llu by thread %u\n"). */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
uint64_t _bpf_helper_ext_0006(uint64_t fmt, uint64_t fmt_size, uint64_t n, uint64_t tid)
{
        (void)fmt_size;
        return (uint64_t)printf((const char *)(uintptr_t)fmt, (unsigned long long)n, (unsigned)tid);
}

/* bpf_get_current_pid_tgid: a fixed process 4242, thread 7. */
uint64_t _bpf_helper_ext_0014(void)
{
        return (uint64_t)4242 << 32 | 7;
}

uint64_t __lddw_helper_map_by_fd(uint32_t fd)
{
        printf("FAIL __lddw_helper_map_by_fd(%u) called: the object's maps are its own\n", fd);
        exit(1);
}

int main(void)
{
        for (int i = 0; i < 3; i++)
                printf("bpf_main returned %d\n", bpf_main(NULL, 0));
        return 0;
}

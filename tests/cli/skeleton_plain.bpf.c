/* SPDX-License-Identifier: MIT */
/*
 * A program that uses no map and no global data, in an object that has
 * both: the skeleton still names them, so the object must define them.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

struct {
        __uint(type, 2); /* BPF_MAP_TYPE_ARRAY */
        __uint(max_entries, 1);
        __type(key, u32);
        __type(value, u64);
} unused_map __attribute__((section(".maps"), used));

int unused_setting = 7; /* .data */
u64 unused_count;       /* .bss */

__attribute__((section("socket/add"), used)) long long add(unsigned long long *ctx)
{
        return (long long)(ctx[0] + ctx[1]);
}

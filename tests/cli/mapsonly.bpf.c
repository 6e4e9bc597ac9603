// SPDX-License-Identifier: MIT
/*
 * Maps and global data, no code: an object that only declares what other
 * objects' programs or the host share. Its skeleton holds the maps and data.
 * With -DNOTHING it declares nothing at all.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#ifndef NOTHING
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

struct {
        __uint(type, 1); /* BPF_MAP_TYPE_HASH */
        __uint(max_entries, 8);
        __type(key, u32);
        __type(value, u64);
} totals __attribute__((section(".maps"), used));

u64 generation __attribute__((used)) = 7;
#endif

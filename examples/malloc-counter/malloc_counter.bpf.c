// SPDX-License-Identifier: MIT
/*
 * Counts calls per process in a hash map, like a uprobe on malloc would:
 * the host calls the program on each malloc (see main.c).
 */
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

typedef unsigned int u32;
typedef unsigned long long u64;

struct {
        __uint(type, 1); /* BPF_MAP_TYPE_HASH */
        __uint(max_entries, 1024);
        __type(key, u32);   /* pid */
        __type(value, u64); /* calls */
} calls SEC(".maps");

static void *(*const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*const bpf_map_update_elem)(void *map, const void *key, const void *value,
                                         u64 flags) = (void *)2;
static u64 (*const bpf_get_current_pid_tgid)(void) = (void *)14;

SEC("uprobe/malloc") int count_malloc(void *ctx)
{
        u32 pid = bpf_get_current_pid_tgid() >> 32;
        u64 one = 1, *n;

        (void)ctx;
        n = bpf_map_lookup_elem(&calls, &pid);
        if (n)
                __sync_fetch_and_add(n, 1);
        else
                bpf_map_update_elem(&calls, &pid, &one, 1 /* BPF_NOEXIST */);
        return 0;
}

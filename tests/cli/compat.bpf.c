/* SPDX-License-Identifier: MIT */
/*
 * Programs as bpftime-aot users write them (an uprobe that counts calls):
 * `count_call` uses one ARRAY map, bpf_get_current_pid_tgid and
 * bpf_trace_printk, which a bpftime-style driver provides itself
 * (bpftime_driver.c); `tally` uses an ARRAY and a HASH map, for a host that
 * owns the maps and resolves them through __lddw_helper_map_by_fd
 * (maps_by_fd_host.c).
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val)          int(*name)[val]
#define __type(name, val)          typeof(val) *name
#define SEC(s)                     __attribute__((section(s), used))
#define HELPER(ret, name, id, ...) static ret (*const bpf_##name)(__VA_ARGS__) = (void *)id

HELPER(void *, map_lookup_elem, 1, void *map, const void *key);
HELPER(long, map_update_elem, 2, void *map, const void *key, const void *value, u64 flags);
HELPER(long, trace_printk, 6, const char *fmt, u32 fmt_size, ...);
HELPER(u64, get_current_pid_tgid, 14, void);

struct {
        __uint(type, 2); /* ARRAY */
        __uint(max_entries, 1);
        __type(key, u32);
        __type(value, u64);
} calls SEC(".maps");

struct {
        __uint(type, 1); /* HASH */
        __uint(max_entries, 16);
        __type(key, u32);
        __type(value, u64);
} per_thread SEC(".maps");

/* The number of this call (1, 2, ...), also printed with the caller's thread id. */
SEC("uprobe/count_call") int count_call(void *ctx)
{
        static const char fmt[] = "call %llu by thread %u\n";
        u64 id = bpf_get_current_pid_tgid(), n = 1, *seen;
        u32 zero = 0;

        (void)ctx;
        seen = bpf_map_lookup_elem(&calls, &zero);
        if (seen)
                n = *seen + 1;
        bpf_map_update_elem(&calls, &zero, &n, 0);
        bpf_trace_printk(fmt, sizeof(fmt), n, (u32)id);
        return (int)n;
}

/* 1000 * (calls so far) + 10 * (calls by this thread so far). */
SEC("uprobe/tally") int tally(void *ctx)
{
        u32 zero = 0, tid = (u32)bpf_get_current_pid_tgid();
        u64 *seen, n, m;

        (void)ctx;
        seen = bpf_map_lookup_elem(&calls, &zero);
        n = seen ? *seen + 1 : 1;
        bpf_map_update_elem(&calls, &zero, &n, 0);
        seen = bpf_map_lookup_elem(&per_thread, &tid);
        m = seen ? *seen + 10 : 10;
        bpf_map_update_elem(&per_thread, &tid, &m, 0);
        return (int)(n * 1000 + m);
}

/* SPDX-License-Identifier: MIT */
/* A uprobe program counting calls per process, with a HASH map and global data. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, 64);
        __type(key, __u32);
        __type(value, __u64);
} counts SEC(".maps");

__u64 total = 0;
const volatile __u64 step = 1;

SEC("uprobe")
int count_calls(void *ctx)
{
        __u32 pid = bpf_get_current_pid_tgid() >> 32;
        __u64 *v = bpf_map_lookup_elem(&counts, &pid), first = step;

        if (v)
                __sync_fetch_and_add(v, step);
        else
                bpf_map_update_elem(&counts, &pid, &first, BPF_NOEXIST);
        total += step;
        return 0;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: MIT
/*
 * Counts malloc calls per process: a uprobe on libc's malloc, a hash map
 * from pid to calls. Built with clang -target bpf like any libbpf program;
 * nothing in it knows it will run in userspace.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, 1024);
        __type(key, __u32);   /* pid */
        __type(value, __u64); /* malloc calls */
} calls SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(count_malloc, unsigned long size)
{
        __u32 pid = bpf_get_current_pid_tgid() >> 32;
        __u64 one = 1, *n;

        (void)size;
        n = bpf_map_lookup_elem(&calls, &pid);
        if (n)
                __sync_fetch_and_add(n, 1);
        else
                bpf_map_update_elem(&calls, &pid, &one, BPF_NOEXIST);
        return 0;
}

char LICENSE[] SEC("license") = "GPL";

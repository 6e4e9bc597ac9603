/* SPDX-License-Identifier: MIT */
/*
 * A program for a bpftool skeleton: its global data (.rodata set before
 * load, .data and .bss read and written after it through the skeleton's
 * mappings) and a uprobe the loader attaches by hand.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u64 step = 1;
__u64 bonus = 5;
__u64 calls = 0;
__u32 last_pid = 0;

SEC("uprobe")
int skel_count(void *ctx)
{
        calls += step + bonus;
        last_pid = bpf_get_current_pid_tgid() >> 32;
        return 0;
}

char LICENSE[] SEC("license") = "GPL";

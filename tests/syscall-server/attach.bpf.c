/* SPDX-License-Identifier: MIT */
/*
 * Programs attached other ways than uprobes: two tracepoints (one attached
 * by name, one from its section as auto-attach does) and programs for
 * PROG_ATTACH (a sk_skb verdict at a map, a cgroup_skb at a cgroup).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Where the verdict program is attached (a segment cannot hold a SOCKMAP). */
struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, 16);
        __type(key, __u32);
        __type(value, __u32);
} socks SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, 2);
        __type(key, __u32);
        __type(value, __u64);
} hits SEC(".maps");

static void hit(__u32 k)
{
        __u64 *v = bpf_map_lookup_elem(&hits, &k);

        if (v)
                __sync_fetch_and_add(v, 1);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(void *ctx)
{
        hit(0);
        return 0;
}

SEC("tracepoint/sched/sched_switch")
int on_switch(void *ctx)
{
        hit(1);
        return 0;
}

SEC("sk_skb/stream_verdict")
int verdict(struct __sk_buff *skb)
{
        return SK_PASS;
}

SEC("cgroup_skb/ingress")
int ingress(struct __sk_buff *skb)
{
        return 1;
}

char LICENSE[] SEC("license") = "GPL";

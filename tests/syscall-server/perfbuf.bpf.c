/* SPDX-License-Identifier: MIT */
/*
 * A uprobe on the target's perfbuf_target_function(x) that reports each call
 * with bpf_perf_event_output() to the current CPU's perf event: odd calls
 * send 32 bytes, even ones 28 (the reader gets the kernel's padded sizes,
 * 36 and 28). Failed outputs are counted in stats[0]; the first call also
 * sends to an index past max_entries and keeps that result in stats[1].
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
        __u32 pid;
        __u32 x;
        __u64 square;
        __u32 cpu;
        char tag[12];
};

struct {
        __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
        __uint(key_size, sizeof(__u32));
        __uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, 2);
        __type(key, __u32);
        __type(value, __s64);
} stats SEC(".maps");

/* The kernel's struct pt_regs on x86-64, which a uprobe program gets. */
struct target_regs {
        unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di;
        unsigned long orig_ax, ip, cs, flags, sp, ss;
};

SEC("uprobe")
int on_call(struct target_regs *ctx)
{
        __u32 x = (__u32)ctx->di, k;
        struct event ev = {};
        __s64 *v;
        long rc;

        ev.pid = bpf_get_current_pid_tgid() >> 32;
        ev.x = x;
        ev.square = (__u64)x * x;
        ev.cpu = bpf_get_smp_processor_id();
        __builtin_memcpy(ev.tag, "perf-event", 11);
        rc = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev,
                                   x % 2 ? sizeof(ev) : sizeof(ev) - 4);
        if (rc) {
                k = 0;
                v = bpf_map_lookup_elem(&stats, &k);
                if (v)
                        __sync_fetch_and_add(v, 1);
        }
        if (x == 0) {
                k = 1;
                v = bpf_map_lookup_elem(&stats, &k);
                if (v)
                        *v = bpf_perf_event_output(ctx, &events, 64, &ev, sizeof(ev));
        }
        return 0;
}

char LICENSE[] SEC("license") = "GPL";

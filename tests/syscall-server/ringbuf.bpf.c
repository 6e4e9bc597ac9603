/* SPDX-License-Identifier: MIT */
/*
 * A uprobe on the target's ringbuf_target_function(x) that reports each call
 * through a RINGBUF: calls with x % 4 == 0 reserve and submit a record, x % 4
 * == 1 and 2 use bpf_ringbuf_output (2 with BPF_RB_FORCE_WAKEUP), x % 4 == 3
 * reserve one and discard it, so the consumer sees every x but those. A
 * record is 32 bytes (40 with its header), which does not divide the ring:
 * records cross its end.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
        __u32 pid;
        __u32 x;
        __u64 square;
        char tag[16];
};

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 8192);
} events SEC(".maps");

/* The kernel's struct pt_regs on x86-64, which a uprobe program gets. */
struct target_regs {
        unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di;
        unsigned long orig_ax, ip, cs, flags, sp, ss;
};

static void fill(struct event *e, __u32 x)
{
        e->pid = bpf_get_current_pid_tgid() >> 32;
        e->x = x;
        e->square = (__u64)x * x;
        __builtin_memcpy(e->tag, "ringbuf-event", 14);
}

SEC("uprobe")
int on_call(struct target_regs *ctx)
{
        __u32 x = (__u32)ctx->di;
        struct event *e, ev = {};

        switch (x % 4) {
        case 0:
        case 3:
                e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
                if (!e)
                        return 1;
                fill(e, x);
                if (x % 4 == 0)
                        bpf_ringbuf_submit(e, 0);
                else
                        bpf_ringbuf_discard(e, 0);
                return 0;
        default:
                fill(&ev, x);
                return bpf_ringbuf_output(&events, &ev, sizeof(ev),
                                          x % 4 == 2 ? BPF_RB_FORCE_WAKEUP : 0)
                           ? 1
                           : 0;
        }
}

char LICENSE[] SEC("license") = "GPL";

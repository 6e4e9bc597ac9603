/* SPDX-License-Identifier: MIT */
/*
 * A uprobe on the target's userring_target_function() that drains the
 * USER_RINGBUF `samples` (which a libbpf loader fills in another process)
 * with bpf_user_ringbuf_drain, and keeps what it saw in the ARRAY `stats`:
 * the samples its callback got, the sum of their values, the sum of the
 * drains' results, the drains that failed, the samples out of order or
 * malformed, the next sequence number expected, and the calls. A sample is
 * 24 bytes (32 with its header), so that samples fill the ring exactly.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct sample {
        __u32 seq;
        __u32 pad;
        __u64 value;
        __u64 check; /* value * 3 + seq */
};

enum { K_COUNT, K_SUM, K_RETURNED, K_ERRORS, K_BAD, K_NEXT, K_CALLS, K_MAX };

struct {
        __uint(type, BPF_MAP_TYPE_USER_RINGBUF);
        __uint(max_entries, 4096);
} samples SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __type(key, __u32);
        __type(value, __u64);
        __uint(max_entries, K_MAX);
} stats SEC(".maps");

struct drain_ctx {
        __u64 next, count, sum, bad;
};

static long on_sample(struct bpf_dynptr *dynptr, void *ctx)
{
        struct drain_ctx *c = ctx;
        struct sample s;

        if (bpf_dynptr_read(&s, sizeof(s), dynptr, 0, 0)) {
                c->bad++;
                return 1;
        }
        if (s.seq != c->next || s.check != s.value * 3 + s.seq)
                c->bad++;
        c->next = s.seq + 1;
        c->count++;
        c->sum += s.value;
        return 0;
}

static void add(__u32 key, __u64 n)
{
        __u64 *v = bpf_map_lookup_elem(&stats, &key);

        if (v)
                __sync_fetch_and_add(v, n);
}

SEC("uprobe")
int on_call(void *ctx)
{
        struct drain_ctx c = {};
        __u32 key = K_NEXT;
        __u64 *next = bpf_map_lookup_elem(&stats, &key);
        long n;

        if (!next)
                return 1;
        c.next = *next;
        n = bpf_user_ringbuf_drain(&samples, on_sample, &c, 0);
        if (n < 0)
                add(K_ERRORS, 1);
        else
                add(K_RETURNED, n);
        add(K_COUNT, c.count);
        add(K_SUM, c.sum);
        add(K_BAD, c.bad);
        *next = c.next;
        add(K_CALLS, 1);
        return 0;
}

char LICENSE[] SEC("license") = "GPL";

/* SPDX-License-Identifier: MIT */
/* bpf_perf_event_output to a PERF_EVENT_ARRAY: one record per run, and a bad index. */
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val) int(*name)[val]
#define SEC(s) __attribute__((section(s), used))
#define BPF_F_CURRENT_CPU 0xffffffffULL

static long (*const bpf_perf_event_output)(void *ctx, void *map, u64 flags, void *data,
                                           u64 size) = (void *)25;

struct {
        __uint(type, 4); /* BPF_MAP_TYPE_PERF_EVENT_ARRAY */
        __uint(key_size, sizeof(u32));
        __uint(value_size, sizeof(u32));
} events SEC(".maps");

struct event {
        u32 seq;
        u32 tag;
        u64 value;
};

u32 seq;

/* Sends {seq, 0xfeed, ctx[0]} and returns the helper's result; then tries index 1 << 20. */
SEC("kprobe/emit") int emit(u64 *ctx)
{
        struct event e = {.seq = ++seq, .tag = 0xfeed, .value = ctx[0]};
        long rc = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
        long big = bpf_perf_event_output(ctx, &events, 1 << 20, &e, sizeof(e));

        return (int)rc * 1000 + (int)big; /* 0 and -E2BIG (-7) when a consumer is installed */
}

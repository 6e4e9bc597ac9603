/* SPDX-License-Identifier: MIT */
/*
 * Calls two helpers the runtime does not provide, one of them twice, and
 * one it does: `build` names each missing one once and still builds.
 */
typedef unsigned long long u64;

static u64 (*const bpf_get_current_task)(void) = (void *)35;
static long (*const bpf_no_such_helper)(void) = (void *)9999;
static u64 (*const bpf_ktime_get_ns)(void) = (void *)5;

__attribute__((section("tracepoint/missing"), used)) long uses_missing(void *ctx)
{
        (void)ctx;
        return (long)(bpf_get_current_task() + bpf_get_current_task() + bpf_ktime_get_ns()) +
               bpf_no_such_helper();
}

/* SPDX-License-Identifier: MIT */
/*
 * Prints "ran\n" with bpf_trace_printk, then calls helper 9999, which no
 * runtime provides: a loader must refuse it before anything runs, so the
 * print must never be seen.
 */
typedef unsigned long long u64;

static long (*const bpf_trace_printk)(const char *fmt, u64 fmt_size, ...) = (void *)6;
static long (*const bpf_no_such_helper)(void) = (void *)9999;

__attribute__((section("tracepoint/bad"), used)) int bad_helper(void *ctx)
{
        volatile char fmt[4];

        (void)ctx;
        fmt[0] = 'r';
        fmt[1] = 'a';
        fmt[2] = 'n';
        fmt[3] = 0;
        bpf_trace_printk((const char *)fmt, 4);
        return (int)bpf_no_such_helper();
}

/* SPDX-License-Identifier: MIT */
/*
 * Prints with bpf_trace_printk (helper 6). The format is built on the
 * stack one character at a time: .rodata relocations are not supported
 * yet, and `volatile` keeps clang from folding the array into a constant.
 */
typedef unsigned long long u64;

static long (*const bpf_trace_printk)(const char *fmt, u64 fmt_size, ...) = (void *)6;

__attribute__((section("tracepoint/hello"), used)) int hello(void *ctx)
{
        volatile char fmt[16];
        long n;

        (void)ctx;
        fmt[0] = 'h';
        fmt[1] = 'e';
        fmt[2] = 'l';
        fmt[3] = 'l';
        fmt[4] = 'o';
        fmt[5] = ' ';
        fmt[6] = '%';
        fmt[7] = 'd';
        fmt[8] = ' ';
        fmt[9] = '%';
        fmt[10] = 'x';
        fmt[11] = '\n';
        fmt[12] = 0;
        n = bpf_trace_printk((const char *)fmt, 13, 42, 0xbeef);
        return (int)n; /* number of characters the helper printed */
}

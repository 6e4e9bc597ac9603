// SPDX-License-Identifier: MIT
/* Prints through bpf_trace_printk (helper 6); the string is .rodata data. */
static long (*const bpf_trace_printk)(const char *fmt, unsigned int fmt_size, ...) = (void *)6;

__attribute__((section("tracepoint/hello"), used)) int hello(void *ctx)
{
        static const char fmt[] = "hello from eBPF, %d + %d = %d\n";

        (void)ctx;
        bpf_trace_printk(fmt, sizeof(fmt), 40, 2, 42);
        return 0;
}

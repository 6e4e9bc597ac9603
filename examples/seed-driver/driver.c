// SPDX-License-Identifier: MIT
/*
 * The bpftime-aot style of driver: the program object made by `bpf-aot
 * build` calls helpers as _bpf_helper_ext_NNNN, and this program provides
 * the only one it needs — no runtime library at all.
 */
#include <stdint.h>
#include <stdio.h>

uint64_t bpf_main(void *ctx, uint64_t ctx_size);

/* bpf_trace_printk(fmt, fmt_size, a, b, c), here simply printf. */
uint64_t _bpf_helper_ext_0006(uint64_t fmt, uint64_t fmt_size, uint64_t a, uint64_t b, uint64_t c)
{
        (void)fmt_size;
        return (uint64_t)printf((const char *)(uintptr_t)fmt, (int)a, (int)b, (int)c);
}

int main(void)
{
        return (int)bpf_main(NULL, 0);
}

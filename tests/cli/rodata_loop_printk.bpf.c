/* SPDX-License-Identifier: MIT */
/*
 * A bpf_loop callback that writes through its context, in a program that
 * also hands a .rodata address to a helper: bpf_printk's format string. The
 * read-only data check must not take the callback's context for that
 * address (it used to: "store into read-only data (.rodata)" at the
 * callback's store). bpf_printk is written out as <bpf/bpf_helpers.h> has
 * it (a static const format, so in .rodata); that header needs the kernel's
 * <asm/types.h>, which clang -target bpf does not find here.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

static long (*const bpf_trace_printk)(const char *fmt, u32 fmt_size, ...) = (void *)6;
static long (*const bpf_loop)(u32 nr_loops, void *callback_fn, void *callback_ctx,
                              u64 flags) = (void *)181;

#define bpf_printk(fmt, ...)                                                                       \
        ({                                                                                         \
                static const char ____fmt[] = fmt;                                                 \
                bpf_trace_printk(____fmt, sizeof(____fmt), ##__VA_ARGS__);                         \
        })

struct squares {
        u64 sum;
        u64 calls;
};

static long add_square(u32 i, void *ctx)
{
        struct squares *sq = ctx;

        sq->sum += (u64)i * i;
        sq->calls++;
        return 0;
}

/* Prints "squares below N", N = the context's first byte (10 without one), then sums them. */
__attribute__((section("socket/printk_loop"), used)) u64 squares_printk(const unsigned char *data,
                                                                        u64 size)
{
        struct squares sq = {0, 0};
        u32 n = size ? data[0] : 10;

        bpf_printk("squares below %u\n", n);
        bpf_loop(n, add_square, &sq, 0);
        return sq.sum * 1000 + sq.calls;
}

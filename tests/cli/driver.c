/* SPDX-License-Identifier: MIT */
/*
 * A user's program around an object made by `bpf-aot build`: it provides
 * the one helper the eBPF program calls (bpf_trace_printk, helper 6, under
 * the symbol the compiler emits for it) and calls the entry point, then
 * prints what the program returned.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

uint64_t bpf_main(void *ctx, uint64_t ctx_size);

/* One conversion spec of the kernel's trace_printk subset: %[l[l]]{d,i,u,x,c,s} or %%. */
static int print_one(char conv, int longs, uint64_t arg)
{
        switch (conv) {
        case 'd':
        case 'i':
                return longs ? printf("%lld", (long long)arg) : printf("%d", (int)arg);
        case 'u':
                return longs ? printf("%llu", (unsigned long long)arg)
                             : printf("%u", (unsigned)arg);
        case 'x':
                return longs ? printf("%llx", (unsigned long long)arg)
                             : printf("%x", (unsigned)arg);
        case 'c':
                return printf("%c", (int)(unsigned char)arg);
        case 's':
                return printf("%s", arg ? (const char *)(uintptr_t)arg : "(null)");
        default:
                return -1;
        }
}

/* bpf_trace_printk(fmt, fmt_size, a, b, c): printf with at most three arguments. */
uint64_t _bpf_helper_ext_0006(uint64_t fmt, uint64_t fmt_size, uint64_t a, uint64_t b, uint64_t c)
{
        const char *f = (const char *)(uintptr_t)fmt;
        uint64_t args[3] = {a, b, c};
        int total = 0, n = 0;

        if (!f || fmt_size == 0 || !memchr(f, 0, fmt_size))
                return (uint64_t)-22; /* -EINVAL, like the kernel */
        for (size_t i = 0; f[i]; i++) {
                int longs = 0, w;

                if (f[i] != '%') {
                        putchar(f[i]);
                        total++;
                        continue;
                }
                if (f[i + 1] == '%') {
                        putchar('%');
                        total++;
                        i++;
                        continue;
                }
                while (f[i + 1] == 'l' && longs < 2) {
                        longs++;
                        i++;
                }
                if (n >= 3 || !f[i + 1])
                        return (uint64_t)-22;
                w = print_one(f[++i], longs, args[n++]);
                if (w < 0)
                        return (uint64_t)-22;
                total += w;
        }
        return (uint64_t)total;
}

int main(void)
{
        uint64_t ret = bpf_main(NULL, 0);

        printf("bpf_main returned %" PRIu64 "\n", ret);
        return 0;
}

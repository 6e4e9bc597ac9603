// SPDX-License-Identifier: MIT
/*
 * A host program that links the natively compiled eBPF program and calls it
 * like any C function: no eBPF runtime, no kernel, no LLVM at run time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

uint64_t adler32(void *ctx, uint64_t ctx_size); /* made by: bpf-aot build --entry adler32 */

int main(int argc, char **argv)
{
        static unsigned char buf[1 << 20];
        FILE *f = argc > 1 ? fopen(argv[1], "rb") : stdin;
        size_t n;

        if (!f) {
                perror(argv[1]);
                return 1;
        }
        n = fread(buf, 1, sizeof(buf), f);
        printf("adler32 = 0x%08llx (%zu bytes)\n", (unsigned long long)adler32(buf, n), n);
        return 0;
}

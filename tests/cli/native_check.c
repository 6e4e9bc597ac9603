// SPDX-License-Identifier: MIT
/*
 * The native build of an eBPF test program (CHECK_SOURCE, plain C): prints
 * CHECK_FN(data, size) of a file, the result bpf-aot's build must match.
 */
#include <stdio.h>

#include CHECK_SOURCE

int main(int argc, char **argv)
{
        static unsigned char buf[1 << 16];
        FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
        size_t n;

        if (!f)
                return 1;
        n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        printf("%llu\n", (unsigned long long)CHECK_FN((void *)buf, n));
        return 0;
}

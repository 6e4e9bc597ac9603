// SPDX-License-Identifier: MIT
/* The native build of switch.bpf.c: prints switches() of a file, the expected result. */
#include <stdio.h>

#include "switch.bpf.c"

int main(int argc, char **argv)
{
        static unsigned char buf[1 << 16];
        FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
        size_t n;

        if (!f)
                return 1;
        n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        printf("%llu\n", switches(buf, n));
        return 0;
}

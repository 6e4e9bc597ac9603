// SPDX-License-Identifier: MIT
/* The native build of v4.bpf.c: prints v4ops() of a file, the expected result. */
#include <stdio.h>

#include "v4.bpf.c"

int main(int argc, char **argv)
{
        static signed char buf[1 << 16];
        FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
        size_t n;

        if (!f)
                return 1;
        n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        printf("%llu\n", v4ops(buf, n));
        return 0;
}

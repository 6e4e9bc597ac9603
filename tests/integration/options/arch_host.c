// SPDX-License-Identifier: MIT
/*
 * my-prog.bpf.c through its skeleton: my-prog.aot.h declares my_prog__arch and
 * struct my_prog_aot (with -DINSTANCES, of an object built with INSTANCES).
 */
#include <stdio.h>

#include "my-prog.aot.h"

#if defined(__x86_64__) || defined(__i386__)
#define ARCH 1
#elif defined(__aarch64__)
#define ARCH 2
#elif defined(__riscv)
#define ARCH 3
#elif defined(__powerpc__)
#define ARCH 4
#elif defined(__s390__)
#define ARCH 5
#endif

int main(void)
{
        struct my_prog_aot *skel;
        unsigned long long got;

        if (my_prog_aot__open(&skel)) {
                fprintf(stderr, "open failed\n");
                return 1;
        }
#ifdef INSTANCES
        got = my_prog_aot__run(skel, my_prog__arch, NULL, 0);
#else
        got = my_prog__arch(NULL, 0);
#endif
        printf("arch %s, calls %d\n", got == ARCH ? "matches" : "differs", skel->bss->calls);
        my_prog_aot__destroy(skel);
        return got == ARCH ? 0 : 1;
}

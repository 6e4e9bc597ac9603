// SPDX-License-Identifier: MIT
/*
 * A target process: allocates and frees N blocks (default 1000), then says
 * how many and its pid. Run it under libbpfaot-agent.so and the loader's map
 * counts at least those calls for its pid.
 *
 * usage: shm_malloc_target [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
        void *volatile p;

        for (long i = 0; i < n; i++) {
                p = malloc(16 + (size_t)i % 256);
                free(p);
        }
        printf("pid %ld: %ld mallocs\n", (long)getpid(), n);
        return 0;
}

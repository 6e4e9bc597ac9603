// SPDX-License-Identifier: MIT
/* Links both programs of global.bpf.c: they must share one counter. */
#include <stdint.h>
#include <stdio.h>

uint64_t count_calls(void *ctx, uint64_t size);
uint64_t read_counter(void *ctx, uint64_t size);

int main(void)
{
        uint64_t a = count_calls(NULL, 0);
        uint64_t b = count_calls(NULL, 0);

        printf("%llu %llu %llu\n", (unsigned long long)a, (unsigned long long)b,
               (unsigned long long)read_counter(NULL, 0));
        return 0;
}

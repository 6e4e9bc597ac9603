// SPDX-License-Identifier: MIT
/* Provides the kfunc that kfunc.bpf.c calls, and calls the program. */
#include <stdint.h>
#include <stdio.h>

uint64_t bpf_main(void *ctx, uint64_t ctx_size);

uint64_t bpf_test_kfunc(uint64_t a, uint64_t b)
{
        return a * 100 + b;
}

int main(void)
{
        char buf[5] = {0};
        printf("%llu\n", (unsigned long long)bpf_main(buf, sizeof(buf)));
        return 0;
}

// SPDX-License-Identifier: MIT
/* A host that runs a compiled program (bpf_main) on 100 bytes and prints what it returns. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

uint64_t bpf_main(void *ctx, uint64_t ctx_size);

int main(void)
{
        unsigned char data[100];

        for (int i = 0; i < 100; i++)
                data[i] = (unsigned char)(i * 7 + 1);
        printf("%" PRIu64 "\n", bpf_main(data, sizeof(data)));
        return 0;
}

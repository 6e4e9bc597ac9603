// SPDX-License-Identifier: MIT
/* Without SKELETON: no header on the include path; the host declares the programs. */
#include <stdint.h>
#include <stdio.h>

#if __has_include("answer.aot.h")
#error "answer.aot.h is on the include path without SKELETON"
#endif

uint64_t answer__answer(void *ctx, uint64_t ctx_size);
uint64_t prebuilt__twice(void *ctx, uint64_t ctx_size);

int main(void)
{
	unsigned long long x = 21;

	printf("answer %llu, twice %llu\n", (unsigned long long)answer__answer(NULL, 0),
	       (unsigned long long)prebuilt__twice(&x, sizeof(x)));
	return 0;
}

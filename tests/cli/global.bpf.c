/* SPDX-License-Identifier: MIT */
/* A program using a global variable: needs a .bss relocation (unsupported yet). */
int counter;

__attribute__((section("socket/count"), used)) int count_calls(void *ctx)
{
        (void)ctx;
        counter++;
        return counter;
}

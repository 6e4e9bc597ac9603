/* SPDX-License-Identifier: MIT */
/*
 * Global data: a .bss counter, an initialised .data variable and a .rodata
 * table, shared by two programs. bpf-aot turns each section into a native
 * global, so both programs see the same counter.
 */
int counter;                                                     /* .bss */
long long bias = 1000;                                           /* .data */
static const unsigned char table[8] = {3, 1, 4, 1, 5, 9, 2, 6}; /* .rodata */

__attribute__((section("socket/count"), used)) long long count_calls(void *ctx)
{
        (void)ctx;
        counter++;
        return counter + bias + table[counter & 7];
}

__attribute__((section("socket/read"), used)) long long read_counter(void *ctx)
{
        (void)ctx;
        return counter * 10;
}

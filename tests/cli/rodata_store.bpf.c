/* SPDX-License-Identifier: MIT */
/*
 * A store into read-only data: `limit` lives in .rodata (a constant native
 * global once compiled), and casting the const away does not make it
 * writable. bpf-aot build must refuse the program, naming the store; the
 * program that only reads it builds.
 */
static const volatile int limit = 5; /* .rodata */

__attribute__((section("socket/store"), used)) int store_rodata(void *ctx)
{
        (void)ctx;
        *(volatile int *)&limit = 1;
        return limit;
}

__attribute__((section("socket/read"), used)) int read_rodata(void *ctx)
{
        (void)ctx;
        return limit * 2;
}

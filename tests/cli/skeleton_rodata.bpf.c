/* SPDX-License-Identifier: MIT */
/*
 * `const volatile` settings in .rodata, as libbpf programs have: the host
 * sets them between the skeleton's __open() and __load(), so the programs
 * must read them at run time, not fold the values compiled in.
 */
const volatile int limit = 5;
const volatile unsigned long long scale = 3;

__attribute__((section("socket/settings"), used)) long long settings(void *ctx)
{
        (void)ctx;
        return limit * 1000 + (long long)scale;
}

/* SPDX-License-Identifier: MIT */
/*
 * .rodata addresses handed to a sub-program that stores through them: the
 * store is into read-only data on every path (both calls pass one; two, so
 * that clang cannot fold the argument into the callee), so bpf-aot refuses
 * the program, at the sub-program's store. A sub-program that only reads
 * through the same kind of arguments builds.
 */
static const volatile int limits[2] = {5, 7}; /* .rodata */

static __attribute__((noinline)) int bump(volatile int *p)
{
        *p += 1;
        return *p;
}

static __attribute__((noinline)) int twice(const volatile int *p)
{
        return *p * 2;
}

__attribute__((section("socket/bump"), used)) int bump_limit(void *ctx)
{
        (void)ctx;
        return bump((volatile int *)&limits[0]) + bump((volatile int *)&limits[1]);
}

/* 2 * limits[0] + 2 * limits[1] */
__attribute__((section("socket/twice"), used)) int twice_limit(void *ctx)
{
        (void)ctx;
        return twice(&limits[0]) + twice(&limits[1]);
}

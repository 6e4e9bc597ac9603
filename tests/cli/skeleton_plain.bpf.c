/* SPDX-License-Identifier: MIT */
/* A program with no map and no global data: its skeleton has nothing but the program. */
__attribute__((section("socket/add"), used)) long long add(unsigned long long *ctx)
{
        return (long long)(ctx[0] + ctx[1]);
}

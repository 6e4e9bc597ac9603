/* SPDX-License-Identifier: MIT */
/*
 * A target process: calls skel_target_function N times, for a uprobe the
 * agent attaches.
 * usage: skel_target N
 */
#include <stdio.h>
#include <stdlib.h>

static volatile int sink;

/* Long enough for the agent's patch (a 5-byte jump). */
__attribute__((noinline, used)) int skel_target_function(int x)
{
        sink = sink + x;
        return x + 1;
}

int main(int argc, char **argv)
{
        int n = argc > 1 ? atoi(argv[1]) : 1, sum = 0;

        for (int i = 0; i < n; i++)
                sum += skel_target_function(i);
        printf("skel_target: %d calls\n", n);
        return sum == n * (n + 1) / 2 ? 0 : 1;
}

/* SPDX-License-Identifier: MIT */
/*
 * A target process: calls userring_target_function(0, 1, ...), DELAY_US
 * microseconds apart, for a uprobe the agent attaches, until file STOP
 * exists or MAX calls were made.
 * usage: userring_target STOP DELAY_US MAX
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned sink;

/* Long enough for the agent's patch (a 5-byte jump). */
__attribute__((noinline, used)) unsigned userring_target_function(unsigned x)
{
        sink = sink + x;
        return x + 1;
}

int main(int argc, char **argv)
{
        long delay = argc > 2 ? atol(argv[2]) : 0;
        unsigned max = argc > 3 ? (unsigned)atoi(argv[3]) : 1, n = 0, sum = 0;
        struct timespec nap = {delay / 1000000, (delay % 1000000) * 1000};

        if (argc != 4)
                return 2;
        while (n < max && access(argv[1], F_OK) != 0) {
                sum += userring_target_function(n++);
                if (delay)
                        nanosleep(&nap, NULL);
        }
        printf("userring_target: %u calls\n", n);
        return sum == n * (n + 1) / 2 ? 0 : 1;
}

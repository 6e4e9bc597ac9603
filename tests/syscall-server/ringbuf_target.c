/* SPDX-License-Identifier: MIT */
/*
 * A target process: calls ringbuf_target_function(0 .. N-1), DELAY_US
 * microseconds apart, for a uprobe the agent attaches.
 * usage: ringbuf_target N DELAY_US
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned sink;

/* Long enough for the agent's patch (a 5-byte jump). */
__attribute__((noinline, used)) unsigned ringbuf_target_function(unsigned x)
{
        sink = sink + x;
        return x + 1;
}

int main(int argc, char **argv)
{
        unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1, sum = 0;
        long delay = argc > 2 ? atol(argv[2]) : 0;
        struct timespec nap = {delay / 1000000, (delay % 1000000) * 1000};

        for (unsigned i = 0; i < n; i++) {
                sum += ringbuf_target_function(i);
                if (delay)
                        nanosleep(&nap, NULL);
        }
        printf("ringbuf_target: %u calls\n", n);
        return sum == n * (n + 1) / 2 ? 0 : 1;
}

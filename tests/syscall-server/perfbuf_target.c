/* SPDX-License-Identifier: MIT */
/*
 * A target process: calls perfbuf_target_function(0 .. N-1), DELAY_US
 * microseconds apart, for a uprobe the agent attaches. Call i runs pinned
 * to the (i mod K)-th of the K CPUs it may use, so that every CPU's perf
 * event gets some of the samples.
 * usage: perfbuf_target N DELAY_US
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned sink;

/* Long enough for the agent's patch (a 5-byte jump). */
__attribute__((noinline, used)) unsigned perfbuf_target_function(unsigned x)
{
        sink = sink + x;
        return x + 1;
}

int main(int argc, char **argv)
{
        unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1, sum = 0, k = 0;
        long delay = argc > 2 ? atol(argv[2]) : 0;
        struct timespec nap = {delay / 1000000, (delay % 1000000) * 1000};
        int cpus[CPU_SETSIZE];
        cpu_set_t allowed, one;

        if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
                perror("perfbuf_target: sched_getaffinity");
                return 1;
        }
        for (int c = 0; c < CPU_SETSIZE; c++)
                if (CPU_ISSET(c, &allowed))
                        cpus[k++] = c;
        for (unsigned i = 0; i < n; i++) {
                CPU_ZERO(&one);
                CPU_SET(cpus[i % k], &one);
                if (sched_setaffinity(0, sizeof(one), &one)) {
                        perror("perfbuf_target: sched_setaffinity");
                        return 1;
                }
                sum += perfbuf_target_function(i);
                if (delay)
                        nanosleep(&nap, NULL);
        }
        printf("perfbuf_target: %u calls on %u CPUs\n", n, k);
        return sum == n * (n + 1) / 2 ? 0 : 1;
}

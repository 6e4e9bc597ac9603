/* SPDX-License-Identifier: MIT */
/*
 * A time limit for compiling: LLVM's optimiser can loop for ever on rare
 * inputs (LLVM 19's InstCombine on a loop of 32-bit negations and shifts),
 * and a library cannot stop it. The command can: when the limit passes, a
 * thread of its own reports the program being compiled and ends the process.
 */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *watch(void *arg)
{
        struct cli_deadline *d = arg;
        struct timespec until;
        int rc = 0;

        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += (time_t)d->seconds;
        pthread_mutex_lock(&d->lock);
        while (!d->done && rc != ETIMEDOUT)
                rc = pthread_cond_timedwait(&d->cond, &d->lock, &until);
        if (!d->done) {
                /* The lock stays held: cli_deadline_stop() cannot return while the process ends. */
                d->expired(d->arg, d->seconds);
                fflush(stderr);
                _exit(EXIT_FAIL);
        }
        pthread_mutex_unlock(&d->lock);
        return NULL;
}

int cli_deadline_start(struct cli_deadline *d, unsigned seconds,
                       void (*expired)(void *arg, unsigned seconds), void *arg)
{
        pthread_condattr_t attr;

        memset(d, 0, sizeof(*d));
        if (!seconds)
                return 0; /* no limit */
        d->seconds = seconds;
        d->expired = expired;
        d->arg = arg;
        if (pthread_condattr_init(&attr))
                return -ENOMEM;
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        if (pthread_cond_init(&d->cond, &attr)) {
                pthread_condattr_destroy(&attr);
                return -ENOMEM;
        }
        pthread_condattr_destroy(&attr);
        pthread_mutex_init(&d->lock, NULL);
        if (pthread_create(&d->thread, NULL, watch, d)) {
                pthread_cond_destroy(&d->cond);
                pthread_mutex_destroy(&d->lock);
                return -EAGAIN;
        }
        d->started = true;
        return 0;
}

void cli_deadline_stop(struct cli_deadline *d)
{
        if (!d->started)
                return;
        pthread_mutex_lock(&d->lock);
        d->done = true;
        pthread_cond_signal(&d->cond);
        pthread_mutex_unlock(&d->lock);
        pthread_join(d->thread, NULL);
        pthread_cond_destroy(&d->cond);
        pthread_mutex_destroy(&d->lock);
        d->started = false;
}

unsigned cli_default_time_limit(size_t insns)
{
        size_t s = CLI_TIME_LIMIT_BASE + insns / 1000;

        return s > 86400 ? 86400 : (unsigned)s;
}

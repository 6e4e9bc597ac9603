// SPDX-License-Identifier: MIT
/*
 * .rodata through the skeleton, as libbpf's __open()/__load() split: the
 * host sets a `const volatile` value after open, the program reads it, and
 * after load the value is read-only (a write faults, tried in a child).
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "skeleton_rodata.aot.h"

static void on_segv(int sig)
{
        (void)sig;
        _exit(42);
}

/* The exit status of a child that writes `limit` after the skeleton's load. */
static int write_after_load(struct skeleton_rodata_aot *skel)
{
        int status;
        pid_t pid;

        fflush(stdout); /* a child that exits any other way must not print it again */
        pid = fork();

        if (pid == 0) {
                signal(SIGSEGV, on_segv);
                signal(SIGBUS, on_segv);
                skel->rodata->limit = 1;
                _exit(0);
        }
        if (pid < 0 || waitpid(pid, &status, 0) != pid)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(void)
{
        struct skeleton_rodata_aot *skel;
        int err;

        if (skeleton_rodata_aot__open(&skel)) {
                fprintf(stderr, "open failed\n");
                return 1;
        }
        printf("compiled in: %d %llu\n", skel->rodata->limit, skel->rodata->scale);
        printf("default %lld\n", (long long)skeleton_rodata__settings(NULL, 0));
        skel->rodata->limit = 9;
        skel->rodata->scale = 4;
        err = skeleton_rodata_aot__load(skel);
        printf("load %d, settings %lld\n", err, (long long)skeleton_rodata__settings(NULL, 0));
        printf("write after load: exit %d\n", write_after_load(skel));
        printf("still %lld\n", (long long)skeleton_rodata__settings(NULL, 0));
        skeleton_rodata_aot__destroy(skel);
        /* Destroyed, the object can be opened, set and loaded again. */
        if (skeleton_rodata_aot__open(&skel)) {
                fprintf(stderr, "open again failed\n");
                return 1;
        }
        skel->rodata->limit = 2;
        err = skeleton_rodata_aot__load(skel);
        printf("again: load %d, settings %lld\n", err,
               (long long)skeleton_rodata__settings(NULL, 0));
        skeleton_rodata_aot__destroy(skel);
        return 0;
}

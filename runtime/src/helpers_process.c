/* SPDX-License-Identifier: MIT */
/*
 * Helpers about the calling process: send_signal, send_signal_thread and
 * get_ns_current_pid_tgid. The program runs in the process, so "current"
 * is the calling thread and its process.
 */
#define _GNU_SOURCE
#include "helpers_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* send_signal(sig): sig to the calling process; 0 or the kernel's error (-EINVAL: bad sig). */
BPFAOT_HELPER(send_signal)(uint64_t sig, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        (void)b, (void)c, (void)d, (void)e;
        return kill(getpid(), (int)(uint32_t)sig) ? (uint64_t)-errno : 0;
}

/* send_signal_thread(sig): sig to the calling thread. */
BPFAOT_HELPER(send_signal_thread)(uint64_t sig, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        (void)b, (void)c, (void)d, (void)e;
        return tgkill(getpid(), gettid(), (int)(uint32_t)sig) ? (uint64_t)-errno : 0;
}

/*
 * get_ns_current_pid_tgid(dev, ino, nsdata, size): when (dev, ino) name the
 * process's pid namespace (stat of /proc/self/ns/pid), its thread and
 * process ids as seen there. size must be sizeof(struct bpf_pidns_info) and
 * dev fit 32 bits (else -EINVAL), another namespace is -EINVAL, an
 * unreadable one -ENOENT; nsdata is zeroed on every error.
 */
BPFAOT_HELPER(get_ns_current_pid_tgid)
(uint64_t dev, uint64_t ino, uint64_t nsdata, uint64_t size, uint64_t e)
{
        struct bpf_pidns_info *info = (struct bpf_pidns_info *)(uintptr_t)nsdata;
        uint32_t n = (uint32_t)size;
        struct stat st;
        int err = -EINVAL;

        (void)e;
        if (n != sizeof(*info) || (uint64_t)(uint32_t)dev != dev)
                goto clear;
        if (stat("/proc/self/ns/pid", &st)) {
                err = -ENOENT;
                goto clear;
        }
        if ((uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino)
                goto clear;
        info->pid = (uint32_t)gettid();
        info->tgid = (uint32_t)getpid();
        return 0;
clear:
        memset(info, 0, n);
        return (uint64_t)(int64_t)err;
}

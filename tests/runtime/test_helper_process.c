/* SPDX-License-Identifier: MIT */
/*
 * Helpers about the calling process: get_current_pid_tgid (kept per thread,
 * right again in a fork's child), send_signal, send_signal_thread,
 * get_ns_current_pid_tgid; and the checked copies copy_from_user and
 * probe_write_user (a bad address is -EFAULT, never a crash).
 */
#define _GNU_SOURCE
#include "check.h"
#include "helper_decls.h"

#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NEG(e) ((uint64_t) - (e))

static volatile sig_atomic_t got_sig, got_tid;

static void on_usr1(int sig)
{
        got_sig = sig;
        got_tid = gettid();
}

/* Delivered before the helper returns; ThreadSanitizer defers handlers a little. */
static void wait_signal(void)
{
        for (int i = 0; i < 1000 && !got_tid; i++)
                usleep(1000);
}

static void *signal_thread(void *arg)
{
        (void)arg;
        got_tid = 0;
        CHECK_EQ(_bpf_helper_ext_0117(SIGUSR1, 0, 0, 0, 0), 0);
        wait_signal();
        CHECK_EQ(got_tid, gettid()); /* to this thread */
        return NULL;
}

static void test_signals(void)
{
        struct sigaction sa = {.sa_handler = on_usr1};
        pthread_t t;

        CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
        CHECK_EQ(_bpf_helper_ext_0109(SIGUSR1, 0, 0, 0, 0), 0);
        wait_signal();
        CHECK_EQ(got_sig, SIGUSR1);
        CHECK(pthread_create(&t, NULL, signal_thread, NULL) == 0);
        CHECK(pthread_join(t, NULL) == 0);
        CHECK_EQ(_bpf_helper_ext_0109(65, 0, 0, 0, 0), NEG(EINVAL));
        CHECK_EQ(_bpf_helper_ext_0117(65, 0, 0, 0, 0), NEG(EINVAL));
        CHECK_EQ(_bpf_helper_ext_0109(0, 0, 0, 0, 0), 0); /* 0: only checks */
}

static void test_pidns(void)
{
        struct bpf_pidns_info info;
        struct stat st;

        CHECK(stat("/proc/self/ns/pid", &st) == 0);
        memset(&info, 0xff, sizeof(info));
        CHECK_EQ(_bpf_helper_ext_0120(st.st_dev, st.st_ino, U(&info), sizeof(info), 0), 0);
        CHECK_EQ(info.pid, gettid());
        CHECK_EQ(info.tgid, getpid());
        memset(&info, 0xff, sizeof(info));
        CHECK_EQ(_bpf_helper_ext_0120(st.st_dev, st.st_ino + 1, U(&info), sizeof(info), 0),
                 NEG(EINVAL));
        CHECK(info.pid == 0 && info.tgid == 0);
        CHECK_EQ(_bpf_helper_ext_0120(st.st_dev | 1ull << 32, st.st_ino, U(&info), sizeof(info), 0),
                 NEG(EINVAL));
        CHECK_EQ(_bpf_helper_ext_0120(st.st_dev, st.st_ino, U(&info), 4, 0), NEG(EINVAL));
}

static void test_copies(void)
{
        long page = sysconf(_SC_PAGESIZE);
        char *ro = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        char buf[8] = "abcdefg", out[8];

        CHECK(ro != MAP_FAILED);
        CHECK_EQ(_bpf_helper_ext_0036(U(out), U(buf), 8, 0, 0), 0);
        CHECK_EQ(memcmp(out, "abcdefg", 8), 0);
        CHECK_EQ(_bpf_helper_ext_0036(U(ro), U(buf), 8, 0, 0), NEG(EFAULT)); /* read-only */
        CHECK_EQ(ro[0], 0);
        CHECK_EQ(_bpf_helper_ext_0036(8, U(buf), 8, 0, 0), NEG(EFAULT));
        CHECK_EQ(_bpf_helper_ext_0036(8, U(buf), 0, 0, 0), 0);

        CHECK_EQ(_bpf_helper_ext_0148(U(out), 4, U("wxyz"), 0, 0), 0);
        CHECK_EQ(memcmp(out, "wxyz", 4), 0);
        CHECK_EQ(_bpf_helper_ext_0148(U(out), 8, 8, 0, 0), NEG(EFAULT));
        CHECK_EQ(memcmp(out, "\0\0\0\0\0\0\0\0", 8), 0); /* zero-filled on a fault */
        munmap(ro, (size_t)page);
}

static uint64_t ids_now(void)
{
        return (uint64_t)(uint32_t)getpid() << 32 | (uint32_t)gettid();
}

static void *pid_tgid_thread(void *arg)
{
        uint64_t *seen = arg;

        seen[0] = _bpf_helper_ext_0014(0, 0, 0, 0, 0);
        seen[1] = _bpf_helper_ext_0014(0, 0, 0, 0, 0);
        seen[2] = ids_now();
        return NULL;
}

static void test_pid_tgid(void)
{
        uint64_t seen[3], mine = _bpf_helper_ext_0014(0, 0, 0, 0, 0);
        pthread_t t;
        int status = -1;
        pid_t child;

        CHECK_EQ(mine, ids_now());
        CHECK_EQ(_bpf_helper_ext_0014(0, 0, 0, 0, 0), mine);
        CHECK_EQ(pthread_create(&t, NULL, pid_tgid_thread, seen), 0);
        pthread_join(t, NULL);
        CHECK_EQ(seen[0], seen[2]); /* the thread's own ids, not this one's */
        CHECK_EQ(seen[1], seen[2]);
        CHECK(seen[0] != mine && seen[0] >> 32 == mine >> 32);
        /* The child of a fork: its own pid, though this thread asked before. */
        child = fork();
        if (child == 0)
                _exit(_bpf_helper_ext_0014(0, 0, 0, 0, 0) == ids_now() ? 0 : 1);
        CHECK(child > 0);
        CHECK_EQ(waitpid(child, &status, 0), child);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
        test_pid_tgid();
        test_signals();
        test_pidns();
        test_copies();
        printf("ok\n");
        return 0;
}

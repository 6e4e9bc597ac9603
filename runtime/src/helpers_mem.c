/* SPDX-License-Identifier: MIT */
/*
 * Helpers that read memory the program does not own: probe_read*,
 * copy_from_user, probe_write_user (checked copies: a bad address gives
 * -EFAULT, never a crash), get_current_comm,
 * strncmp, strtol, strtoul.
 */
#define _GNU_SOURCE
#include "helpers_internal.h"
#include "sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>

/*
 * Chunks never cross a 4 KiB boundary, so they never cross a page boundary
 * (page sizes are multiples of 4 KiB): a string that ends just before an
 * unmapped page is read without touching that page.
 */
#define CHUNK 4096u

static size_t chunk_len(const void *src, size_t n)
{
        size_t room = CHUNK - ((uintptr_t)src & (CHUNK - 1));
        return n < room ? n : room;
}

/*
 * Fallback when process_vm_readv is unavailable (old kernels, seccomp): the
 * kernel reads src for write(2) into a pipe and fails with EFAULT instead of
 * faulting. The pipe is created and closed per call: no state is kept.
 */
static int read_mem_pipe(void *dst, const void *src, size_t n)
{
        int fd[2], err = 0;

        if (pipe2(fd, O_CLOEXEC))
                return -EFAULT;
        while (n && !err) {
                size_t c = chunk_len(src, n);
                ssize_t w = write(fd[1], src, c);

                if (w != (ssize_t)c || read(fd[0], dst, c) != (ssize_t)c)
                        err = -EFAULT;
                src = (const char *)src + c;
                dst = (char *)dst + c;
                n -= c;
        }
        close(fd[0]);
        close(fd[1]);
        return err;
}

int bpfaot__read_mem(void *dst, const void *src, size_t n)
{
        struct iovec local = {dst, n}, remote = {(void *)(uintptr_t)src, n};
        ssize_t r;

        if (n == 0)
                return 0;
        /* A sandboxed run reads only its own memory, whatever pointer it hands over. */
        if (bpfaot__sandbox_readable(src, n) < n)
                return -EFAULT;
        r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
        if (r == (ssize_t)n)
                return 0;
        if (r < 0 && (errno == ENOSYS || errno == EPERM))
                return read_mem_pipe(dst, src, n);
        return -EFAULT;
}

/* The same for a write into memory that may be unmapped or read-only (probe_write_user). */
static int write_mem(void *dst, const void *src, size_t n)
{
        struct iovec local = {(void *)(uintptr_t)src, n}, remote = {dst, n};
        ssize_t r;

        if (n == 0)
                return 0;
        r = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
        if (r == (ssize_t)n)
                return 0;
        /* read(2) into a bad dst fails with EFAULT as write(2) from a bad src does */
        if (r < 0 && (errno == ENOSYS || errno == EPERM))
                return read_mem_pipe(dst, src, n);
        return -EFAULT;
}

long bpfaot__read_str(char *dst, const void *src, size_t size)
{
        const char *s = src;
        size_t done = 0;

        if (size == 0)
                return 0;
        while (done < size - 1) {
                char buf[256];
                size_t c = chunk_len(s + done, size - 1 - done);
                const char *nul;

                if (c > sizeof(buf))
                        c = sizeof(buf);
                /* In a sandboxed run, the string may end only inside the run's memory. */
                c = bpfaot__sandbox_readable(s + done, c);
                if (!c || bpfaot__read_mem(buf, s + done, c)) {
                        dst[0] = 0;
                        return -EFAULT;
                }
                nul = memchr(buf, 0, c);
                if (nul) {
                        memcpy(dst + done, buf, (size_t)(nul - buf) + 1);
                        return (long)(done + (size_t)(nul - buf) + 1);
                }
                memcpy(dst + done, buf, c);
                done += c;
        }
        dst[done] = 0; /* truncated: size - 1 characters and the NUL */
        return (long)size;
}

/*
 * probe_read, probe_read_user, probe_read_kernel(dst, size, unsafe_ptr):
 * all read this process's memory. On failure dst is zero-filled and the
 * result is -EFAULT, as in the kernel. Size 0 returns 0.
 */
static uint64_t probe_read(uint64_t dst, uint64_t size, uint64_t src)
{
        uint32_t n = (uint32_t)size;

        if (bpfaot__read_mem((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, n)) {
                memset((void *)(uintptr_t)dst, 0, n);
                return (uint64_t)-EFAULT;
        }
        return 0;
}

/*
 * probe_read_str and the _user/_kernel variants: copy a NUL-terminated
 * string of at most size - 1 characters plus NUL, return the length
 * including the NUL (size when truncated). Bytes of dst past the NUL are
 * left alone. On a fault dst is zero-filled and the result is -EFAULT.
 * Size 0 returns 0 without touching dst.
 */
static uint64_t probe_read_str(uint64_t dst, uint64_t size, uint64_t src)
{
        uint32_t n = (uint32_t)size;
        long r = bpfaot__read_str((char *)(uintptr_t)dst, (const void *)(uintptr_t)src, n);

        if (r < 0)
                memset((void *)(uintptr_t)dst, 0, n);
        return (uint64_t)r;
}

BPFAOT_HELPER(probe_read)(uint64_t dst, uint64_t size, uint64_t src, uint64_t d, uint64_t e)
{
        (void)d, (void)e;
        return probe_read(dst, size, src);
}

BPFAOT_HELPER(probe_read_user)(uint64_t dst, uint64_t size, uint64_t src, uint64_t d, uint64_t e)
{
        (void)d, (void)e;
        return probe_read(dst, size, src);
}

BPFAOT_HELPER(probe_read_kernel)(uint64_t dst, uint64_t size, uint64_t src, uint64_t d, uint64_t e)
{
        (void)d, (void)e;
        return probe_read(dst, size, src);
}

/* copy_from_user(dst, size, user_ptr): probe_read_user's semantics (sleepable in the kernel). */
BPFAOT_HELPER(copy_from_user)(uint64_t dst, uint64_t size, uint64_t src, uint64_t d, uint64_t e)
{
        (void)d, (void)e;
        return probe_read(dst, size, src);
}

/*
 * probe_write_user(dst, src, len): a checked write into this process's
 * memory: 0, or -EFAULT when dst is not writable (then perhaps partly
 * written, as the kernel's copy_to_user_nofault).
 */
BPFAOT_HELPER(probe_write_user)(uint64_t dst, uint64_t src, uint64_t len, uint64_t d, uint64_t e)
{
        (void)d, (void)e;
        return (uint64_t)(int64_t)write_mem((void *)(uintptr_t)dst, (const void *)(uintptr_t)src,
                                            (uint32_t)len);
}

BPFAOT_HELPER(probe_read_str)(uint64_t dst, uint64_t size, uint64_t src, uint64_t d, uint64_t e)
{
        (void)d, (void)e;
        return probe_read_str(dst, size, src);
}

BPFAOT_HELPER(probe_read_user_str)
(uint64_t dst, uint64_t size, uint64_t src, uint64_t d, uint64_t e)
{
        (void)d, (void)e;
        return probe_read_str(dst, size, src);
}

BPFAOT_HELPER(probe_read_kernel_str)
(uint64_t dst, uint64_t size, uint64_t src, uint64_t d, uint64_t e)
{
        (void)d, (void)e;
        return probe_read_str(dst, size, src);
}

/*
 * get_current_comm(buf, size): the calling thread's name (prctl
 * PR_GET_NAME, at most 15 characters), truncated to size - 1 characters,
 * NUL-terminated and zero-padded to size like the kernel's strscpy_pad.
 * Size 0 gives -EINVAL.
 */
BPFAOT_HELPER(get_current_comm)(uint64_t buf, uint64_t size, uint64_t c, uint64_t d, uint64_t e)
{
        char *dst = (char *)(uintptr_t)buf;
        uint32_t n = (uint32_t)size;
        char comm[17] = {0};
        size_t len;

        (void)c, (void)d, (void)e;
        if (n == 0 || !dst)
                return (uint64_t)-EINVAL;
        if (prctl(PR_GET_NAME, comm, 0, 0, 0)) {
                memset(dst, 0, n);
                return (uint64_t)-EINVAL;
        }
        len = strnlen(comm, 16);
        if (len > n - 1)
                len = n - 1;
        memcpy(dst, comm, len);
        memset(dst + len, 0, n - len);
        return 0;
}

/*
 * strncmp(s1, s1_sz, s2): compare at most s1_sz characters, as the kernel's
 * strncmp: -1, 0 or 1.
 */
BPFAOT_HELPER(strncmp)(uint64_t s1, uint64_t s1_sz, uint64_t s2, uint64_t d, uint64_t e)
{
        const unsigned char *a = (const unsigned char *)(uintptr_t)s1;
        const unsigned char *b = (const unsigned char *)(uintptr_t)s2;
        uint32_t n = (uint32_t)s1_sz;

        (void)d, (void)e;
        for (uint32_t i = 0; i < n; i++) {
                if (a[i] != b[i])
                        return a[i] < b[i] ? (uint64_t)-1 : 1;
                if (!a[i])
                        break;
        }
        return 0;
}

/*
 * strtol and strtoul(buf, buf_len, flags, res): the kernel's
 * __bpf_strtoull. flags is the base: 0 (a "0x" prefix gives 16, a leading
 * 0 gives 8, else 10), 8, 10 or 16; other bits are -EINVAL. Leading white
 * space and one '-' are skipped, then at most 63 characters are looked at.
 * Returns the characters consumed; no digit is -EINVAL, a value past the
 * type's range -ERANGE (*res is then 0).
 */
#define STRTOX_BASE_MASK 0x1fu
#define STRTOX_MAX_CHARS 63

/* The kernel's isspace: the C locale's white space and Latin-1 no-break space. */
static bool kernel_isspace(unsigned char c)
{
        return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

static int digit_value(unsigned char c)
{
        unsigned char lc = (unsigned char)(c | 0x20);

        if (c >= '0' && c <= '9')
                return c - '0';
        if (lc >= 'a' && lc <= 'f')
                return lc - 'a' + 10;
        return 99;
}

static long strtoull_kernel(const char *buf, size_t buf_len, uint64_t flags, uint64_t *res,
                            bool *negative)
{
        unsigned base = (unsigned)(flags & STRTOX_BASE_MASK);
        size_t consumed = 0, len, digits = 0;
        char str[STRTOX_MAX_CHARS + 1];
        const char *s = str;
        bool overflow = false;
        uint64_t v = 0;

        if (!buf || !buf_len)
                return -EINVAL;
        if ((base != 0 && base != 8 && base != 10 && base != 16) || (flags & ~STRTOX_BASE_MASK))
                return -EINVAL;
        while (consumed < buf_len && kernel_isspace((unsigned char)buf[consumed]))
                consumed++;
        *negative = consumed < buf_len && buf[consumed] == '-';
        if (*negative)
                consumed++;
        if (consumed == buf_len)
                return -EINVAL;
        len = buf_len - consumed < STRTOX_MAX_CHARS ? buf_len - consumed : STRTOX_MAX_CHARS;
        memcpy(str, buf + consumed, len);
        str[len] = 0;

        if (base == 0)
                base = s[0] != '0'                                                     ? 10
                       : (s[1] | 0x20) == 'x' && digit_value((unsigned char)s[2]) < 16 ? 16
                                                                                       : 8;
        if (base == 16 && s[0] == '0' && (s[1] | 0x20) == 'x')
                s += 2;
        for (int d; (d = digit_value((unsigned char)s[digits])) < (int)base; digits++) {
                if (v > (UINT64_MAX - (uint64_t)d) / base)
                        overflow = true;
                v = v * base + (uint64_t)d;
        }
        if (overflow)
                return -ERANGE;
        if (digits == 0)
                return -EINVAL;
        *res = v;
        return (long)(consumed + (size_t)(s - str) + digits);
}

BPFAOT_HELPER(strtol)(uint64_t buf, uint64_t buf_len, uint64_t flags, uint64_t res, uint64_t e)
{
        int64_t *out = (int64_t *)(uintptr_t)res;
        bool negative;
        uint64_t v;
        long r;

        (void)e;
        *out = 0;
        r = strtoull_kernel((const char *)(uintptr_t)buf, (size_t)buf_len, flags, &v, &negative);
        if (r < 0)
                return (uint64_t)r;
        if (negative ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
                return (uint64_t)-ERANGE;
        *out = negative ? (int64_t)(0 - v) : (int64_t)v;
        return (uint64_t)r;
}

BPFAOT_HELPER(strtoul)(uint64_t buf, uint64_t buf_len, uint64_t flags, uint64_t res, uint64_t e)
{
        uint64_t *out = (uint64_t *)(uintptr_t)res;
        bool negative;
        uint64_t v;
        long r;

        (void)e;
        *out = 0;
        r = strtoull_kernel((const char *)(uintptr_t)buf, (size_t)buf_len, flags, &v, &negative);
        if (r < 0)
                return (uint64_t)r;
        if (negative)
                return (uint64_t)-EINVAL;
        *out = v;
        return (uint64_t)r;
}

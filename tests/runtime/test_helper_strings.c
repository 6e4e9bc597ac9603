/* SPDX-License-Identifier: MIT */
/*
 * strtol, strtoul (the kernel's base, sign, white-space and range rules),
 * trace_vprintk, ktime_get_tai_ns, jiffies64 and get_stack/get_stackid.
 */
#define _GNU_SOURCE
#include "check.h"
#include "helper_decls.h"

#include "bpfaot/runtime.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NEG(e) ((uint64_t) - (e))

static uint64_t now(clockid_t id)
{
        struct timespec ts;
        clock_gettime(id, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t strtol_(const char *s, size_t len, uint64_t flags, int64_t *res)
{
        *res = 77;
        return _bpf_helper_ext_0105(U(s), len, flags, U(res), 0);
}

static uint64_t strtoul_(const char *s, size_t len, uint64_t flags, uint64_t *res)
{
        *res = 77;
        return _bpf_helper_ext_0106(U(s), len, flags, U(res), 0);
}

static void test_strtol(void)
{
        int64_t v;
        uint64_t u;

        /* consumed characters, leading white space and '-' included */
        CHECK_EQ(strtol_("  -123abc", 9, 0, &v), 6);
        CHECK_EQ(v, -123);
        CHECK_EQ(strtol_("0x1F", 4, 0, &v), 4); /* base 0: 0x is 16 */
        CHECK_EQ(v, 31);
        CHECK_EQ(strtol_("0X1f", 4, 16, &v), 4);
        CHECK_EQ(v, 31);
        CHECK_EQ(strtol_("017", 3, 0, &v), 3); /* base 0: leading 0 is 8 */
        CHECK_EQ(v, 15);
        CHECK_EQ(strtol_("0x", 2, 0, &v), 1); /* no hex digit after 0x: octal 0 */
        CHECK_EQ(v, 0);
        CHECK_EQ(strtol_("0x", 2, 16, &v), NEG(EINVAL)); /* base 16: nothing after 0x */
        CHECK_EQ(v, 0);
        CHECK_EQ(strtol_("129", 3, 8, &v), 2); /* 9 is not octal */
        CHECK_EQ(v, 10);
        CHECK_EQ(strtol_("1234", 2, 10, &v), 2); /* only buf_len characters */
        CHECK_EQ(v, 12);
        CHECK_EQ(strtol_("\t\n\v\f\r 7", 7, 10, &v), 7);
        CHECK_EQ(v, 7);
        CHECK_EQ(strtol_("\xa0"
                         "5",
                         2, 10, &v),
                 2); /* the kernel's isspace has Latin-1 no-break space */
        CHECK_EQ(v, 5);
        /* errors: *res is 0 */
        CHECK_EQ(strtol_("+5", 2, 10, &v), NEG(EINVAL)); /* no '+' */
        CHECK_EQ(v, 0);
        CHECK_EQ(strtol_("   ", 3, 10, &v), NEG(EINVAL));
        CHECK_EQ(strtol_("-", 1, 10, &v), NEG(EINVAL));
        CHECK_EQ(strtol_("12", 0, 10, &v), NEG(EINVAL));
        CHECK_EQ(_bpf_helper_ext_0105(0, 4, 10, U(&v), 0), NEG(EINVAL));
        CHECK_EQ(strtol_("12", 2, 2, &v), NEG(EINVAL));       /* base 2 */
        CHECK_EQ(strtol_("12", 2, 10 | 32, &v), NEG(EINVAL)); /* a bit past the base */
        CHECK_EQ(strtol_("9223372036854775807", 19, 10, &v), 19);
        CHECK_EQ(v, INT64_MAX);
        CHECK_EQ(strtol_("9223372036854775808", 19, 10, &v), NEG(ERANGE));
        CHECK_EQ(v, 0);
        CHECK_EQ(strtol_("-9223372036854775808", 20, 10, &v), 20);
        CHECK_EQ(v, INT64_MIN);
        CHECK_EQ(strtol_("-9223372036854775809", 20, 10, &v), NEG(ERANGE));
        CHECK_EQ(strtol_("18446744073709551616", 20, 10, &v), NEG(ERANGE)); /* past u64 */
        /* at most 63 characters after the sign are looked at */
        {
                char s[80];

                memset(s, '0', sizeof(s));
                s[78] = '5';
                CHECK_EQ(strtol_(s, 79, 10, &v), 63);
                CHECK_EQ(v, 0);
        }

        CHECK_EQ(strtoul_("18446744073709551615", 20, 10, &u), 20);
        CHECK_EQ(u, UINT64_MAX);
        CHECK_EQ(strtoul_("18446744073709551616", 20, 10, &u), NEG(ERANGE));
        CHECK_EQ(u, 0);
        CHECK_EQ(strtoul_("-1", 2, 10, &u), NEG(EINVAL)); /* a sign is an error for strtoul */
        CHECK_EQ(u, 0);
        CHECK_EQ(strtoul_("ff;", 3, 16, &u), 2);
        CHECK_EQ(u, 255);
}

static void test_vprintk(void)
{
        uint64_t args[5] = {1, 2, 3, 4, (uint64_t)(uintptr_t) "five"};
        char fmt[] = "%d %d %d %d %s\n", out[64] = {0};
        FILE *tmp = tmpfile();
        int saved;

        CHECK(tmp);
        fflush(stdout);
        saved = dup(1);
        CHECK(saved >= 0 && dup2(fileno(tmp), 1) == 1);
        CHECK_EQ(_bpf_helper_ext_0177(U(fmt), sizeof(fmt), U(args), sizeof(args), 0), 13);
        CHECK_EQ(_bpf_helper_ext_0177(U(fmt), sizeof(fmt), U(args), 32, 0), NEG(EINVAL)); /* 4 */
        CHECK_EQ(_bpf_helper_ext_0177(U(fmt), sizeof(fmt), U(args), 12, 0), NEG(EINVAL));
        CHECK_EQ(_bpf_helper_ext_0177(U(fmt), sizeof(fmt), 0, 40, 0), NEG(EINVAL));
        CHECK_EQ(_bpf_helper_ext_0177(U(fmt), sizeof(fmt), U(args), 13 * 8, 0), NEG(EINVAL));
        CHECK_EQ(_bpf_helper_ext_0177(U(fmt), 3, U(args), 40, 0), NEG(EINVAL)); /* no NUL */
        CHECK_EQ(_bpf_helper_ext_0177(U("none\n"), 6, 0, 0, 0), 5);
        fflush(stdout);
        CHECK(dup2(saved, 1) == 1);
        close(saved);
        rewind(tmp);
        CHECK(fread(out, 1, sizeof(out) - 1, tmp) == 18);
        CHECK(strcmp(out, "1 2 3 4 five\nnone\n") == 0);
        fclose(tmp);
}

static void test_clocks(void)
{
        uint64_t a, b, c;

        a = now(CLOCK_TAI);
        b = _bpf_helper_ext_0208(0, 0, 0, 0, 0);
        c = now(CLOCK_TAI);
        CHECK(a <= b && b <= c);
        a = now(CLOCK_MONOTONIC) / (1000000000ull / BPFAOT_RT_JIFFIES_HZ);
        b = _bpf_helper_ext_0118(0, 0, 0, 0, 0);
        c = now(CLOCK_MONOTONIC) / (1000000000ull / BPFAOT_RT_JIFFIES_HZ);
        CHECK(a <= b && b <= c);
        usleep(20000);
        CHECK(_bpf_helper_ext_0118(0, 0, 0, 0, 0) >= b + 20 * BPFAOT_RT_JIFFIES_HZ / 1000);
}

/* The stack as this function sees it: buf[0] is inside it. */
static __attribute__((noinline)) uint64_t stack_here(uint64_t *buf, uint32_t size, uint64_t flags)
{
        uint64_t r = _bpf_helper_ext_0067(0, U(buf), size, flags, 0);
        __asm__ volatile("" ::: "memory"); /* no tail call: this frame stays on the stack */
        return r;
}

static void test_get_stack(void)
{
        uint64_t a[64], b[64], here = (uint64_t)(uintptr_t)&stack_here, n;
        struct bpf_stack_build_id ids[2];

        /* the whole stack: stack_here, main, libc's start ... */
        memset(a, 0xff, sizeof(a));
        n = stack_here(a, sizeof(a), 0) / 8;
        CHECK(n >= 3 && n < 64);
        CHECK(a[0] > here && a[0] - here < 256); /* the return address in stack_here */
        CHECK_EQ(a[n], 0);                       /* the rest is zeroed */
        /* skip 1: from stack_here's caller (another call site there, the same frames after) */
        CHECK_EQ(stack_here(b, sizeof(b), 1), (n - 1) * 8);
        CHECK(b[0] != a[1] && b[1] == a[2]);
        CHECK_EQ(stack_here(b, sizeof(b), BPF_F_USER_STACK | 2), (n - 2) * 8);
        CHECK_EQ(b[0], a[2]);
        /* a small buffer takes the innermost frames */
        CHECK_EQ(stack_here(b, 16, 0), 16);
        CHECK(b[0] > here && b[0] - here < 256 && b[1] != 0 && b[1] != a[1]);
        /* skipping more frames than there are leaves zeros: 0 bytes */
        memset(b, 0xff, sizeof(b));
        CHECK_EQ(stack_here(b, sizeof(b), 255), 0);
        CHECK_EQ(b[0], 0);
        CHECK_EQ(b[63], 0);
        /* build ids: struct bpf_stack_build_id entries with the raw address */
        CHECK_EQ(stack_here((uint64_t *)ids, sizeof(ids), BPF_F_USER_STACK | BPF_F_USER_BUILD_ID),
                 sizeof(ids));
        CHECK_EQ(ids[0].status, BPF_STACK_BUILD_ID_IP);
        CHECK(ids[0].ip > here && ids[0].ip - here < 256);
        /* errors zero the buffer */
        memset(b, 0xff, sizeof(b));
        CHECK_EQ(stack_here(b, 12, 0), NEG(EINVAL)); /* not a multiple of 8 */
        CHECK_EQ(b[0], 0);
        CHECK_EQ(stack_here(b, sizeof(b), BPF_F_USER_BUILD_ID), NEG(EINVAL)); /* kernel stack */
        CHECK_EQ(stack_here(b, sizeof(b), 1ull << 12), NEG(EINVAL));
        CHECK_EQ(stack_here((uint64_t *)ids, 40, BPF_F_USER_STACK | BPF_F_USER_BUILD_ID),
                 NEG(EINVAL));
        /* no STACK_TRACE maps in the runtime */
        CHECK_EQ(_bpf_helper_ext_0027(0, 0, 0, 0, 0), NEG(EOPNOTSUPP));
}

int main(void)
{
        test_strtol();
        test_vprintk();
        test_clocks();
        test_get_stack();
        printf("ok\n");
        return 0;
}

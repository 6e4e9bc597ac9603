/* SPDX-License-Identifier: MIT */
/*
 * The runtime's helpers, called through the symbols compiled programs use
 * (_bpf_helper_ext_NNNN), including their error paths.
 */
#define _GNU_SOURCE
#include "check.h"
#include "helper_decls.h"

#include "bpfaot/runtime.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define NEG(e) ((uint64_t) - (e))

static uint64_t now(clockid_t id)
{
        struct timespec ts;
        clock_gettime(id, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void test_table(void)
{
        static const uint32_t ids[] = {4,   15,  16,  42,  45,  93,  94,  112, 113,
                                       114, 115, 125, 160, 165, 181, 182, 1,   5};
        uint32_t cnt;
        const struct bpfaot_rt_helper *h = bpfaot_rt_helpers(&cnt);

        CHECK(cnt >= 32);
        for (uint32_t i = 1; i < cnt; i++)
                CHECK(h[i - 1].id < h[i].id);
        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
                CHECK(bpfaot_rt_helper_find(ids[i]) != NULL);
        CHECK(strcmp(bpfaot_rt_helper_find(181)->name, "loop") == 0);
        CHECK(strcmp(bpfaot_rt_helper_find(125)->name, "ktime_get_boot_ns") == 0);
        /* the table points at the (weak) helper symbols */
        CHECK(bpfaot_rt_helper_find(182)->fn == _bpf_helper_ext_0182);
        CHECK(bpfaot_rt_helper_find(999) == NULL);
        CHECK_EQ(bpfaot_rt_callx(999, 0, 0, 0, 0, 0), NEG(ENOENT));
}

static void test_time_ids(void)
{
        uint64_t a, b, c;

        a = now(CLOCK_BOOTTIME);
        b = _bpf_helper_ext_0125(0, 0, 0, 0, 0);
        c = now(CLOCK_BOOTTIME);
        CHECK(a <= b && b <= c);
        a = now(CLOCK_MONOTONIC_COARSE);
        b = _bpf_helper_ext_0160(0, 0, 0, 0, 0);
        c = now(CLOCK_MONOTONIC_COARSE);
        CHECK(a <= b && b <= c);
        b = _bpf_helper_ext_0015(0, 0, 0, 0, 0);
        CHECK_EQ(b, ((uint64_t)getgid() << 32) | getuid());
        b = _bpf_helper_ext_0042(0, 0, 0, 0, 0);
        CHECK(b < 1024);
}

static void *comm_thread(void *arg)
{
        char buf[16];

        (void)arg;
        CHECK(prctl(PR_SET_NAME, "worker-7", 0, 0, 0) == 0);
        CHECK_EQ(_bpf_helper_ext_0016(U(buf), sizeof(buf), 0, 0, 0), 0);
        CHECK(strcmp(buf, "worker-7") == 0);
        return NULL;
}

static void test_comm(void)
{
        char buf[32], small[4];
        pthread_t t;

        CHECK(prctl(PR_SET_NAME, "helper-test", 0, 0, 0) == 0);
        memset(buf, 'x', sizeof(buf));
        CHECK_EQ(_bpf_helper_ext_0016(U(buf), sizeof(buf), 0, 0, 0), 0);
        CHECK(strcmp(buf, "helper-test") == 0);
        for (size_t i = strlen("helper-test"); i < sizeof(buf); i++)
                CHECK_EQ(buf[i], 0); /* zero-padded */
        memset(small, 'x', sizeof(small));
        CHECK_EQ(_bpf_helper_ext_0016(U(small), sizeof(small), 0, 0, 0), 0);
        CHECK(memcmp(small, "hel", 4) == 0); /* truncated, NUL-terminated */
        CHECK_EQ(_bpf_helper_ext_0016(U(buf), 0, 0, 0, 0), NEG(EINVAL));
        /* the thread's name, not the process's */
        CHECK(pthread_create(&t, NULL, comm_thread, NULL) == 0);
        pthread_join(t, NULL);
        CHECK_EQ(_bpf_helper_ext_0016(U(buf), sizeof(buf), 0, 0, 0), 0);
        CHECK(strcmp(buf, "helper-test") == 0);
}

/* Two pages, the second PROT_NONE; returns the first. */
static char *guard_pages(void)
{
        long pg = sysconf(_SC_PAGESIZE);
        char *p =
            mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        CHECK(p != MAP_FAILED);
        CHECK(mprotect(p + pg, (size_t)pg, PROT_NONE) == 0);
        return p;
}

static void test_probe_read(void)
{
        static uint64_t (*const fns[])(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) = {
            _bpf_helper_ext_0004, _bpf_helper_ext_0112, _bpf_helper_ext_0113};
        long pg = sysconf(_SC_PAGESIZE);
        char *p = guard_pages();
        const char src[] = "0123456789abcdef";
        char dst[16];

        memset(p, 'A', (size_t)pg);
        for (size_t f = 0; f < 3; f++) {
                memset(dst, 'x', sizeof(dst));
                CHECK_EQ(fns[f](U(dst), 16, U(src), 0, 0), 0);
                CHECK(memcmp(dst, src, 16) == 0);
                /* size 0: nothing read, nothing written */
                CHECK_EQ(fns[f](U(dst), 0, 0, 0, 0), 0);
                CHECK(memcmp(dst, src, 16) == 0);
                /* bad addresses: -EFAULT and dst zero-filled */
                uint64_t bad[] = {0, 1, U(p + pg), U(p + pg - 8), (uint64_t)-4096};
                for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                        memset(dst, 'x', sizeof(dst));
                        CHECK_EQ(fns[f](U(dst), 16, bad[i], 0, 0), NEG(EFAULT));
                        for (size_t j = 0; j < sizeof(dst); j++)
                                CHECK_EQ(dst[j], 0);
                }
                /* up to the last readable byte is fine */
                CHECK_EQ(fns[f](U(dst), 8, U(p + pg - 8), 0, 0), 0);
                CHECK(memcmp(dst, "AAAAAAAA", 8) == 0);
        }
        /* a large read crossing many 4 KiB chunks */
        {
                static char big[20000], out[20000];
                for (size_t i = 0; i < sizeof(big); i++)
                        big[i] = (char)(i * 7);
                CHECK_EQ(_bpf_helper_ext_0004(U(out), sizeof(out), U(big), 0, 0), 0);
                CHECK(memcmp(big, out, sizeof(big)) == 0);
        }
        munmap(p, (size_t)pg * 2);
}

static void test_probe_read_str(void)
{
        static uint64_t (*const fns[])(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) = {
            _bpf_helper_ext_0045, _bpf_helper_ext_0114, _bpf_helper_ext_0115};
        long pg = sysconf(_SC_PAGESIZE);
        char *p = guard_pages();
        char dst[16];

        for (size_t f = 0; f < 3; f++) {
                /* fits: length including NUL, bytes past the NUL untouched */
                memset(dst, 'x', sizeof(dst));
                CHECK_EQ(fns[f](U(dst), sizeof(dst), U("hello"), 0, 0), 6);
                CHECK(strcmp(dst, "hello") == 0);
                CHECK_EQ(dst[6], 'x');
                /* empty string: 1 */
                CHECK_EQ(fns[f](U(dst), sizeof(dst), U(""), 0, 0), 1);
                CHECK_EQ(dst[0], 0);
                CHECK_EQ(dst[1], 'e');
                /* truncation: size - 1 characters and the NUL, returns size */
                memset(dst, 'x', sizeof(dst));
                CHECK_EQ(fns[f](U(dst), 4, U("hello"), 0, 0), 4);
                CHECK(memcmp(dst, "hel\0x", 5) == 0);
                /* exactly size - 1 characters */
                CHECK_EQ(fns[f](U(dst), 6, U("hello"), 0, 0), 6);
                CHECK(strcmp(dst, "hello") == 0);
                /* size 0: 0, dst untouched */
                memset(dst, 'x', sizeof(dst));
                CHECK_EQ(fns[f](U(dst), 0, U("hello"), 0, 0), 0);
                CHECK_EQ(dst[0], 'x');
                /* faults: -EFAULT, dst zero-filled */
                uint64_t bad[] = {0, 1, U(p + pg)};
                for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                        memset(dst, 'x', sizeof(dst));
                        CHECK_EQ(fns[f](U(dst), sizeof(dst), bad[i], 0, 0), NEG(EFAULT));
                        for (size_t j = 0; j < sizeof(dst); j++)
                                CHECK_EQ(dst[j], 0);
                }
                /* a string running into the unreadable page faults... */
                memset(p + pg - 4, 'z', 4);
                memset(dst, 'x', sizeof(dst));
                CHECK_EQ(fns[f](U(dst), sizeof(dst), U(p + pg - 4), 0, 0), NEG(EFAULT));
                for (size_t j = 0; j < sizeof(dst); j++)
                        CHECK_EQ(dst[j], 0);
                /* ...but one ending right before it, or truncated before it, does not */
                p[pg - 1] = 0;
                CHECK_EQ(fns[f](U(dst), sizeof(dst), U(p + pg - 4), 0, 0), 4);
                CHECK(strcmp(dst, "zzz") == 0);
                p[pg - 1] = 'z';
                CHECK_EQ(fns[f](U(dst), 4, U(p + pg - 4), 0, 0), 4);
                CHECK(strcmp(dst, "zzz") == 0);
        }
        munmap(p, (size_t)pg * 2);
}

static void test_strncmp(void)
{
        CHECK_EQ(_bpf_helper_ext_0182(U("abc"), 3, U("abc"), 0, 0), 0);
        CHECK_EQ(_bpf_helper_ext_0182(U("abd"), 3, U("abc"), 0, 0), 1);
        CHECK_EQ(_bpf_helper_ext_0182(U("abb"), 3, U("abc"), 0, 0), (uint64_t)-1);
        CHECK_EQ(_bpf_helper_ext_0182(U("abcX"), 3, U("abcY"), 0, 0), 0);
        CHECK_EQ(_bpf_helper_ext_0182(U("ab"), 8, U("abc"), 0, 0), (uint64_t)-1);
        CHECK_EQ(_bpf_helper_ext_0182(U("\xff"), 1, U("a"), 0, 0), 1); /* unsigned */
        CHECK_EQ(_bpf_helper_ext_0182(U("x"), 0, U("y"), 0, 0), 0);
}

static uint64_t snp(char *buf, uint32_t size, const char *fmt, const uint64_t *args, uint32_t n)
{
        return _bpf_helper_ext_0165(U(buf), size, U(fmt), U(args), n * 8);
}

static void test_snprintf(void)
{
        char buf[64];
        uint64_t a[13] = {0};
        unsigned char ip4[4] = {192, 168, 0, 1};
        unsigned char ip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

        /* integers with flags, width and length modifiers */
        a[0] = (uint64_t)-5;
        a[1] = 0x1234567890ull;
        a[2] = 42;
        CHECK_EQ(snp(buf, sizeof(buf), "%d %llx %05u", a, 3), 20);
        CHECK(strcmp(buf, "-5 1234567890 00042") == 0);
        a[0] = 0xffffffffull;
        CHECK_EQ(snp(buf, sizeof(buf), "%d %ld %lu %X %i",
                     (uint64_t[]){a[0], a[0], a[0], 255, (uint64_t)-1}, 5),
                 strlen("-1 4294967295 4294967295 FF -1") + 1);
        CHECK(strcmp(buf, "-1 4294967295 4294967295 FF -1") == 0);
        /* %s, %c, %% */
        a[0] = U("str");
        a[1] = 'Z';
        CHECK_EQ(snp(buf, sizeof(buf), "[%s] %c 100%%", a, 2), 13);
        CHECK(strcmp(buf, "[str] Z 100%") == 0);
        a[0] = U("ab");
        CHECK_EQ(snp(buf, sizeof(buf), "%5s|%-5s.", (uint64_t[]){U("ab"), U("ab")}, 2), 13);
        CHECK(strcmp(buf, "   ab|ab   .") == 0);
        /* %s of a bad pointer prints nothing; NULL prints (null) */
        a[0] = 1;
        a[1] = 0;
        CHECK_EQ(snp(buf, sizeof(buf), "<%s><%s>", a, 2), 11);
        CHECK(strcmp(buf, "<><(null)>") == 0);
        /* %pks / %pus */
        a[0] = U("k");
        a[1] = U("u");
        CHECK_EQ(snp(buf, sizeof(buf), "%pks %pus", a, 2), 4);
        CHECK(strcmp(buf, "k u") == 0);
        /* %px / %pK: 16 hex digits; %p: as printf */
        a[0] = 0xabcull;
        CHECK_EQ(snp(buf, sizeof(buf), "%px %pK", (uint64_t[]){0xabc, 0xabc}, 2), 34);
        CHECK(strcmp(buf, "0000000000000abc 0000000000000abc") == 0);
        CHECK_EQ(snp(buf, sizeof(buf), "%p", a, 1), 6);
        CHECK(strcmp(buf, "0xabc") == 0);
        /* %ps / %pS: symbols when dladdr finds one, else hex */
        a[0] = 0x10;
        CHECK_EQ(snp(buf, sizeof(buf), "%ps", a, 1), 5);
        CHECK(strcmp(buf, "0x10") == 0);
        a[0] = U(bpfaot_rt_helper_find);
        CHECK(snp(buf, sizeof(buf), "%pS", a, 1) > 1);
        /* IP addresses */
        a[0] = U(ip4);
        a[1] = U(ip4);
        CHECK_EQ(snp(buf, sizeof(buf), "%pI4 %pi4", a, 2), 28);
        CHECK(strcmp(buf, "192.168.0.1 192.168.000.001") == 0);
        a[0] = U(ip6);
        CHECK(snp(buf, sizeof(buf), "%pI6", a, 1) == 40);
        CHECK(strcmp(buf, "2001:0db8:0000:0000:0000:0000:0000:0001") == 0);
        a[0] = 8; /* unreadable: zeros */
        CHECK(snp(buf, sizeof(buf), "%pI4", a, 1) == 8);
        CHECK(strcmp(buf, "0.0.0.0") == 0);

        /* truncation: returns the would-be length including NUL, output NUL-terminated */
        a[0] = 12345;
        memset(buf, 'x', sizeof(buf));
        CHECK_EQ(snp(buf, 4, "n=%d!", a, 1), 9);
        CHECK(memcmp(buf, "n=1\0x", 5) == 0);
        memset(buf, 'x', sizeof(buf));
        CHECK_EQ(snp(buf, 1, "abc", NULL, 0), 4);
        CHECK_EQ(buf[0], 0);
        CHECK_EQ(buf[1], 'x');
        CHECK_EQ(_bpf_helper_ext_0165(0, 0, U("abc%d"), U(a), 8), 9); /* size 0: only counts */
        a[0] = U("long string argument");
        CHECK_EQ(snp(buf, 8, "%s", a, 1), 21);
        CHECK(strcmp(buf, "long st") == 0);

        /* errors: -EINVAL, str untouched */
        memset(buf, 'x', sizeof(buf));
        CHECK_EQ(snp(buf, sizeof(buf), "%d %d", a, 1), NEG(EINVAL)); /* too few args */
        CHECK_EQ(_bpf_helper_ext_0165(U(buf), sizeof(buf), U("%d"), U(a), 7), NEG(EINVAL));
        CHECK_EQ(snp(buf, sizeof(buf), "%d", a, 13), NEG(EINVAL)); /* > 12 args */
        CHECK_EQ(_bpf_helper_ext_0165(U(buf), sizeof(buf), U("%d"), 0, 8), NEG(EINVAL));
        CHECK_EQ(snp(buf, sizeof(buf), "%q", a, 1), NEG(EINVAL));
        CHECK_EQ(snp(buf, sizeof(buf), "%.3d", a, 1), NEG(EINVAL));
        CHECK_EQ(snp(buf, sizeof(buf), "%sx", a, 1), NEG(EINVAL)); /* %s followed by a letter */
        CHECK_EQ(snp(buf, sizeof(buf), "%pZ", a, 1), NEG(EINVAL));
        CHECK_EQ(snp(buf, sizeof(buf), "%lld%", a, 1), NEG(EINVAL));
        CHECK_EQ(buf[0], 'x');
        /* 12 arguments are fine */
        for (int i = 0; i < 12; i++)
                a[i] = (uint64_t)i;
        CHECK_EQ(snp(buf, sizeof(buf), "%d%d%d%d%d%d%d%d%d%d%d%d", a, 12), 15);
        CHECK(strcmp(buf, "01234567891011") == 0);
}

static void test_trace_printk(void)
{
        char fmt[] = "tp %d %s %llx\n", out[64] = {0};
        FILE *tmp = tmpfile();
        int saved;

        CHECK(tmp);
        fflush(stdout);
        saved = dup(1);
        CHECK(saved >= 0 && dup2(fileno(tmp), 1) == 1);
        CHECK_EQ(_bpf_helper_ext_0006(U(fmt), sizeof(fmt), (uint64_t)-3, U("ok"), 0xbeef), 14);
        CHECK_EQ(_bpf_helper_ext_0006(U("%d %d %d %d"), 12, 1, 2, 3), NEG(EINVAL));
        CHECK_EQ(_bpf_helper_ext_0006(U(fmt), 3, 1, 2, 3), NEG(EINVAL)); /* no NUL in size */
        CHECK_EQ(_bpf_helper_ext_0006(U("%o %#x %hd\n"), 12, 8, 255, 0x10005), 14);
        fflush(stdout);
        CHECK(dup2(saved, 1) == 1);
        close(saved);
        rewind(tmp);
        CHECK(fread(out, 1, sizeof(out) - 1, tmp) == 28);
        CHECK(strcmp(out, "tp -3 ok beef\n10 0xff 65541\n") == 0);
        fclose(tmp);
}

struct loop_ctx {
        uint64_t sum;
        uint64_t stop_at;
};

static long loop_cb(uint64_t i, void *ctx)
{
        struct loop_ctx *c = ctx;
        c->sum += i;
        return i + 1 == c->stop_at;
}

static void test_loop(void)
{
        struct loop_ctx c = {0, 0};

        CHECK_EQ(_bpf_helper_ext_0181(10, U(loop_cb), U(&c), 0, 0), 10);
        CHECK_EQ(c.sum, 45);
        c = (struct loop_ctx){0, 4};
        CHECK_EQ(_bpf_helper_ext_0181(10, U(loop_cb), U(&c), 0, 0), 4); /* callback returned 1 */
        CHECK_EQ(c.sum, 6);
        c = (struct loop_ctx){0, 0};
        CHECK_EQ(_bpf_helper_ext_0181(0, U(loop_cb), U(&c), 0, 0), 0);
        CHECK_EQ(_bpf_helper_ext_0181(1u << 23, U(loop_cb), U(&c), 0, 0), 1u << 23);
        CHECK_EQ(_bpf_helper_ext_0181((1u << 23) + 1, U(loop_cb), U(&c), 0, 0), NEG(E2BIG));
        CHECK_EQ(_bpf_helper_ext_0181(5, U(loop_cb), U(&c), 1, 0), NEG(EINVAL));
        CHECK_EQ(_bpf_helper_ext_0181((1u << 23) + 1, U(loop_cb), U(&c), 1, 0), NEG(EINVAL));
        CHECK_EQ(_bpf_helper_ext_0181(5, 0, U(&c), 0, 0), NEG(EINVAL));
        /* through callx too */
        c = (struct loop_ctx){0, 0};
        CHECK_EQ(bpfaot_rt_callx(181, 3, U(loop_cb), U(&c), 0, 0), 3);
        CHECK_EQ(c.sum, 3);
}

int main(void)
{
        test_table();
        test_time_ids();
        test_comm();
        test_probe_read();
        test_probe_read_str();
        test_strncmp();
        test_snprintf();
        test_trace_printk();
        test_loop();
        printf("helpers: ok\n");
        return 0;
}

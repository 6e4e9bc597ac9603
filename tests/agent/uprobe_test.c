/* SPDX-License-Identifier: MIT */
/*
 * Tests of the in-process uprobes (agent/src/uprobe.h) on the functions of uprobe_targets.S
 * and on libc's. One case per run: uprobe_test CASE (ctest agent.uprobe.CASE).
 */
#define _GNU_SOURCE
#include "uprobe.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

/* uprobe_targets.S */
long t_endbr_push(long a, long b);
long t_sum6(long a, long b, long c, long d, long e, long f);
long t_riprel_load(long i);
long t_lea_rip(long i);
long t_inc(long x);
long t_call_first(long x);
long t_jcc8(long x);
long t_jmp8(long x);
long t_jmp8_first(long x);
long t_back_into(long n);
long t_jcc_inside(long x);
long t_short3(long x);
long t_loop(long n);
long t_jrcxz(long n);
long t_flags(long a, long b);
void t_allregs(uint64_t out[16]);
double t_fsum8(double, double, double, double, double, double, double, double);
void t_ymm_keep(void);
void t_ymm_roundtrip(const void *in32, void *out32);
void t_zmm_keep(void);
void t_zmm_roundtrip(const void *in64, void *out128);
long t_call6(long a, long b, long c, long d, long e, long f);
long t_fact(long n);
long t_nest(long x);
long t_callback(long (*fn)(void *), void *arg);
long t_tailer(long x);
extern long t_value;
extern uint64_t t_regvals[15];
extern void *t_call_target;
extern uint64_t t_call_rsp, t_call_ret;
extern void *t_flags_mid, *t_allregs_mid, *t_nosym_short, *t_nosym_tail;

static int failures;

/* Code bytes, uninstrumented: ThreadSanitizer's shadow does not cover the text. */
__attribute__((no_sanitize("address", "thread"))) static void read_code(void *dst, const void *src,
                                                                        size_t n)
{
        for (size_t i = 0; i < n; i++)
                ((unsigned char *)dst)[i] = ((const volatile unsigned char *)src)[i];
}

static bool code_equal(const void *code, const unsigned char *bytes, size_t n)
{
        unsigned char now[64];

        read_code(now, code, n);
        return !memcmp(now, bytes, n);
}

#define CHECK(cond, ...)                                                                           \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        failures++;                                                                \
                        fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);   \
                        fprintf(stderr, __VA_ARGS__);                                              \
                        fputc('\n', stderr);                                                       \
                }                                                                                  \
        } while (0)

/* Handlers record here (atomics: the threads case hits them concurrently). */
struct rec {
        atomic_long entries, returns;
        struct pt_regs entry_regs, ret_regs; /* the last ones (single-threaded cases) */
        atomic_long bad;                     /* a handler saw something wrong */
};

static void on_entry(void *data, struct pt_regs *regs)
{
        struct rec *r = data;

        r->entry_regs = *regs;
        atomic_fetch_add(&r->entries, 1);
        memset(regs, 0xa5, sizeof(*regs)); /* not written back */
}

static void on_ret(void *data, struct pt_regs *regs)
{
        struct rec *r = data;

        r->ret_regs = *regs;
        atomic_fetch_add(&r->returns, 1);
        regs->rax = 0xdead; /* not written back */
}

static struct uprobe_site *attach_ok(void *addr, uprobe_handler_fn entry, uprobe_handler_fn ret,
                                     void *data)
{
        struct uprobe_opts opts = {.sz = sizeof(opts), .entry = entry, .ret = ret, .data = data};
        struct uprobe_site *site = NULL;
        char msg[256] = "";
        int err = uprobe__attach(addr, &opts, &site, msg, sizeof(msg));

        CHECK(err == 0 && site, "attach %p: %d %s", addr, err, msg);
        if (err) {
                fprintf(stderr, "cannot continue\n");
                exit(1);
        }
        return site;
}

/* Attach must fail with err and a message containing want; the code is left unchanged. */
static void attach_refused(void *addr, const char *name, int err_want, const char *want)
{
        struct uprobe_opts opts = {.sz = sizeof(opts), .entry = on_entry, .name = name};
        struct uprobe_site *site = NULL;
        unsigned char before[16] = {0}, after[16] = {0};
        char msg[256] = "";
        int err;

        if (addr)
                read_code(before, addr, sizeof(before));
        err = uprobe__attach(addr, &opts, &site, msg, sizeof(msg));
        if (addr)
                read_code(after, addr, sizeof(after));
        else
                memcpy(after, before, sizeof(after));
        CHECK(err == err_want, "%s: attach returned %d, want %d (%s)", name, err, err_want, msg);
        CHECK(strstr(msg, want) != NULL, "%s: message '%s' lacks '%s'", name, msg, want);
        CHECK(!strncmp(msg, "cannot patch ", 13), "%s: message '%s'", name, msg);
        CHECK(name == NULL || strstr(msg, name), "message '%s' does not name %s", msg, name);
        CHECK(!memcmp(before, after, sizeof(before)), "%s: code changed by a refused attach", name);
        if (!err)
                uprobe__detach(site);
}

/* ---- cases ---- */

/* Each relocatable prologue: same results before, during and after; handler counts and the
 * entry registers exact; detach restores the bytes. */
static void case_prologues(void)
{
        struct {
                const char *name;
                void *fn;
                long (*call)(long);
        } fns[] = {
            {"t_riprel_load", (void *)t_riprel_load, t_riprel_load},
            {"t_lea_rip", (void *)t_lea_rip, t_lea_rip},
            {"t_call_first", (void *)t_call_first, t_call_first},
            {"t_jcc8", (void *)t_jcc8, t_jcc8},
            {"t_jmp8", (void *)t_jmp8, t_jmp8},
            {"t_jmp8_first", (void *)t_jmp8_first, t_jmp8_first},
            {"t_inc", (void *)t_inc, t_inc},
            {"t_nosym_tail", t_nosym_tail, (long (*)(long))t_nosym_tail},
        };
        static const long args[] = {0, 1, 2, 3, -5, 1234567};

        for (size_t f = 0; f < sizeof(fns) / sizeof(fns[0]); f++) {
                long want[6];
                unsigned char orig[16];
                struct rec r = {0};
                struct uprobe_site *site;

                read_code(orig, fns[f].fn, sizeof(orig));
                for (int i = 0; i < 6; i++)
                        want[i] = fns[f].call(args[i]);
                site = attach_ok(fns[f].fn, on_entry, on_ret, &r);
                CHECK(!code_equal(fns[f].fn, orig, 5), "%s: not patched", fns[f].name);
                for (int i = 0; i < 6; i++) {
                        long got = fns[f].call(args[i]);

                        CHECK(got == want[i], "%s(%ld) = %ld, want %ld", fns[f].name, args[i], got,
                              want[i]);
                        CHECK(r.entry_regs.rdi == (unsigned long)args[i], "%s: rdi %#lx",
                              fns[f].name, r.entry_regs.rdi);
                        CHECK(r.entry_regs.rip == (uintptr_t)fns[f].fn, "%s: rip %#lx", fns[f].name,
                              r.entry_regs.rip);
                        CHECK(r.ret_regs.rax == (unsigned long)want[i], "%s: ret rax %#lx",
                              fns[f].name, r.ret_regs.rax);
                }
                CHECK(r.entries == 6 && r.returns == 6, "%s: %ld entries %ld returns", fns[f].name,
                      (long)r.entries, (long)r.returns);
                uprobe__detach(site);
                CHECK(code_equal(fns[f].fn, orig, sizeof(orig)), "%s: bytes not restored",
                      fns[f].name);
                for (int i = 0; i < 6; i++)
                        CHECK(fns[f].call(args[i]) == want[i], "%s after detach", fns[f].name);
                CHECK(r.entries == 6 && r.returns == 6, "%s: handler called after detach",
                      fns[f].name);
        }
        /* The RIP-relative load reads the real t_value, not a stale copy. */
        {
                struct rec r = {0};
                struct uprobe_site *site = attach_ok((void *)t_riprel_load, on_entry, NULL, &r);

                t_value = 7777;
                CHECK(t_riprel_load(3) == 7780, "t_riprel_load after t_value changed: %ld",
                      t_riprel_load(3));
                uprobe__detach(site);
                t_value = 1000;
        }
}

/* Registers at entry and at return, exact: the six arguments, rip, rsp, the return address. */
static uint64_t seen_ra;

static void on_entry_ra(void *data, struct pt_regs *regs)
{
        seen_ra = *(uint64_t *)regs->rsp;
        on_entry(data, regs);
}

static void case_regs(void)
{
        struct rec r = {0};
        struct uprobe_site *site = attach_ok((void *)t_sum6, on_entry_ra, on_ret, &r);
        long got;

        t_call_target = (void *)t_sum6;
        got = t_call6(0x10, 0x200, 0x3000, 0x40000, 0x500000, 0x6000000);
        CHECK(got == 0x6543210, "t_sum6 = %#lx", got);
        CHECK(r.entries == 1 && r.returns == 1, "%ld %ld", (long)r.entries, (long)r.returns);
        CHECK(r.entry_regs.rdi == 0x10 && r.entry_regs.rsi == 0x200 && r.entry_regs.rdx == 0x3000 &&
                  r.entry_regs.rcx == 0x40000 && r.entry_regs.r8 == 0x500000 &&
                  r.entry_regs.r9 == 0x6000000,
              "entry args %#lx %#lx %#lx %#lx %#lx %#lx", r.entry_regs.rdi, r.entry_regs.rsi,
              r.entry_regs.rdx, r.entry_regs.rcx, r.entry_regs.r8, r.entry_regs.r9);
        CHECK(r.entry_regs.rip == (uintptr_t)t_sum6, "entry rip %#lx", r.entry_regs.rip);
        CHECK(r.entry_regs.rsp == t_call_rsp - 8, "entry rsp %#lx, want %#lx", r.entry_regs.rsp,
              (unsigned long)t_call_rsp - 8);
        CHECK(seen_ra == t_call_ret, "return address at entry %#lx, want %#lx",
              (unsigned long)seen_ra, (unsigned long)t_call_ret);
        CHECK(r.entry_regs.cs == 0x33 && r.entry_regs.ss == 0x2b, "cs %#lx ss %#lx",
              r.entry_regs.cs, r.entry_regs.ss);
        CHECK(r.ret_regs.rax == 0x6543210, "ret rax %#lx", r.ret_regs.rax);
        CHECK(r.ret_regs.rip == t_call_ret, "ret rip %#lx, want %#lx", r.ret_regs.rip,
              (unsigned long)t_call_ret);
        CHECK(r.ret_regs.rsp == t_call_rsp, "ret rsp %#lx, want %#lx", r.ret_regs.rsp,
              (unsigned long)t_call_rsp);
        uprobe__detach(site);
}

/* Every general register and the flags (all arithmetic ones and DF set) kept across a mid-function
 * probe; the handler sees them. */
static void clobber_entry(void *data, struct pt_regs *regs)
{
        char buf[4096];

        on_entry(data, regs);
        /* Clobber the vector registers and flags the way real handlers do. */
        memset(buf, (int)regs->rax, sizeof(buf));
        __asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n\tpcmpeqd %%xmm1, %%xmm1\n\t"
                         "pcmpeqd %%xmm7, %%xmm7\n\tpcmpeqd %%xmm15, %%xmm15\n\t"
                         "xor %%eax, %%eax\n\tcmp $1, %%eax" ::"r"(buf)
                         : "xmm0", "xmm1", "xmm7", "xmm15", "eax", "cc", "memory");
        if (__builtin_cpu_supports("avx"))
                __asm__ volatile(
                    "vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n\tvpcmpeqd %%ymm1, %%ymm1, %%ymm1" ::
                        : "xmm0", "xmm1");
        if (__builtin_cpu_supports("avx512f")) /* the compiler uses no zmm: no clobbers to list */
                __asm__ volatile("vpternlogd $0xff, %zmm0, %zmm0, %zmm0\n\t"
                                 "vpternlogd $0xff, %zmm31, %zmm31, %zmm31\n\tvzeroupper");
}

static void case_allregs(void)
{
        uint64_t before[16], after[16];
        struct rec r = {0};
        struct uprobe_site *site;

        t_allregs(before);
        site = attach_ok(t_allregs_mid, clobber_entry, NULL, &r);
        t_allregs(after);
        uprobe__detach(site);
        CHECK(r.entries == 1, "%ld entries", (long)r.entries);
        for (int i = 0; i < 15; i++)
                CHECK(after[i] == t_regvals[i] && before[i] == t_regvals[i],
                      "register %d: %#lx after, %#lx before, want %#lx", i, (unsigned long)after[i],
                      (unsigned long)before[i], (unsigned long)t_regvals[i]);
        CHECK((after[15] & 0xcd5) == 0xcd5, "flags lost: rflags %#lx", (unsigned long)after[15]);
        CHECK(after[15] == before[15], "rflags %#lx, want %#lx", (unsigned long)after[15],
              (unsigned long)before[15]);
        /* pt_regs in kernel order */
        CHECK(r.entry_regs.rax == t_regvals[0] && r.entry_regs.rbx == t_regvals[1] &&
                  r.entry_regs.rcx == t_regvals[2] && r.entry_regs.rdx == t_regvals[3] &&
                  r.entry_regs.rsi == t_regvals[4] && r.entry_regs.rdi == t_regvals[5] &&
                  r.entry_regs.rbp == t_regvals[6] && r.entry_regs.r8 == t_regvals[7] &&
                  r.entry_regs.r9 == t_regvals[8] && r.entry_regs.r10 == t_regvals[9] &&
                  r.entry_regs.r11 == t_regvals[10] && r.entry_regs.r12 == t_regvals[11] &&
                  r.entry_regs.r13 == t_regvals[12] && r.entry_regs.r14 == t_regvals[13] &&
                  r.entry_regs.r15 == t_regvals[14],
              "pt_regs do not hold the registers");
        CHECK(r.entry_regs.rip == (uintptr_t)t_allregs_mid, "rip %#lx", r.entry_regs.rip);
        CHECK((r.entry_regs.eflags & 0xcd5) == 0xcd5, "eflags %#lx", r.entry_regs.eflags);
}

/* The arithmetic flags kept across a probe between a cmp and the read of its flags. */
static void case_flags(void)
{
        static const long pairs[][2] = {{1, 2},         {2, 1},          {5, 5}, {-1, 1},
                                        {INT64_MIN, 1}, {INT64_MAX, -1}, {0, 0}, {0x0f, 0x10}};
        enum { N = sizeof(pairs) / sizeof(pairs[0]) };
        long want[N];
        struct rec r = {0};
        struct uprobe_site *site;

        for (int i = 0; i < N; i++)
                want[i] = t_flags(pairs[i][0], pairs[i][1]);
        site = attach_ok(t_flags_mid, clobber_entry, NULL, &r);
        for (int i = 0; i < N; i++) {
                long got = t_flags(pairs[i][0], pairs[i][1]);

                CHECK(got == want[i], "flags of cmp %ld, %ld: %#lx, want %#lx", pairs[i][0],
                      pairs[i][1], got, want[i]);
                CHECK((long)(r.entry_regs.eflags & 0x8d5) == want[i], "pt_regs eflags %#lx",
                      r.entry_regs.eflags);
                CHECK(r.entry_regs.rdi == (unsigned long)pairs[i][0] &&
                          r.entry_regs.rsi == (unsigned long)pairs[i][1],
                      "args");
        }
        CHECK(r.entries == N, "%ld entries", (long)r.entries);
        uprobe__detach(site);
}

/* Float arguments and returns kept when handlers clobber the vector registers. */
static void case_vector(void)
{
        struct rec r = {0};
        struct uprobe_site *site;
        double want = t_fsum8(1.5, 2.25, 4, 8.5, 16, 32.75, 64, 128.125), got;

        site = attach_ok((void *)t_fsum8, clobber_entry, on_ret, &r);
        got = t_fsum8(1.5, 2.25, 4, 8.5, 16, 32.75, 64, 128.125);
        CHECK(got == want, "t_fsum8 = %g, want %g", got, want);
        CHECK(r.entries == 1 && r.returns == 1, "%ld %ld", (long)r.entries, (long)r.returns);
        uprobe__detach(site);

        if (__builtin_cpu_supports("avx")) {
                unsigned char in[32], out[32];

                for (int i = 0; i < 32; i++)
                        in[i] = (unsigned char)(i * 7 + 1);
                site = attach_ok((void *)t_ymm_keep, clobber_entry, NULL, &r);
                memset(out, 0, sizeof(out));
                t_ymm_roundtrip(in, out);
                CHECK(!memcmp(in, out, 32), "ymm0 not kept");
                uprobe__detach(site);
        } else {
                printf("no AVX: ymm part skipped\n");
        }
        if (__builtin_cpu_supports("avx512f")) {
                unsigned char in[64], out[128];

                for (int i = 0; i < 64; i++)
                        in[i] = (unsigned char)(i * 13 + 3);
                site = attach_ok((void *)t_zmm_keep, clobber_entry, NULL, &r);
                memset(out, 0, sizeof(out));
                t_zmm_roundtrip(in, out);
                CHECK(!memcmp(in, out, 64) && !memcmp(in, out + 64, 64), "zmm0/zmm31 not kept");
                uprobe__detach(site);
        } else {
                printf("no AVX-512: zmm part skipped\n");
        }
}

/* Return probes: nested calls, recursion beyond the shadow stack's depth. */
#define MAX_EVENTS 256
static struct {
        int n;
        char kind[MAX_EVENTS];
        long val[MAX_EVENTS];
        uintptr_t rip[MAX_EVENTS];
} events;

static void log_event(char kind, struct pt_regs *regs)
{
        if (events.n < MAX_EVENTS) {
                events.kind[events.n] = kind;
                events.val[events.n] = kind == 'e' ? (long)regs->rdi : (long)regs->rax;
                events.rip[events.n] = regs->rip;
                events.n++;
        }
}

static void ev_entry(void *data, struct pt_regs *regs)
{
        (void)data;
        log_event('e', regs);
}

static void ev_ret(void *data, struct pt_regs *regs)
{
        (void)data;
        log_event('r', regs);
}

static void case_ret_nested(void)
{
        struct uprobe_site *a = attach_ok((void *)t_nest, ev_entry, ev_ret, NULL);
        struct uprobe_site *b = attach_ok((void *)t_inc, ev_entry, ev_ret, NULL);
        long got;

        events.n = 0;
        got = t_nest(20);
        CHECK(got == 41, "t_nest(20) = %ld", got);
        CHECK(events.n == 4, "%d events", events.n);
        if (events.n == 4) {
                CHECK(events.kind[0] == 'e' && events.val[0] == 20 &&
                          events.rip[0] == (uintptr_t)t_nest,
                      "event 0");
                CHECK(events.kind[1] == 'e' && events.val[1] == 20 &&
                          events.rip[1] == (uintptr_t)t_inc,
                      "event 1");
                CHECK(events.kind[2] == 'r' && events.val[2] == 21, "event 2: %c %ld",
                      events.kind[2], events.val[2]);
                /* t_inc returns into t_nest, after push, mov, xor and the call */
                CHECK(events.rip[2] == (uintptr_t)t_nest + 1 + 3 + 2 + 5, "event 2 rip %#lx",
                      (unsigned long)events.rip[2]);
                CHECK(events.kind[3] == 'r' && events.val[3] == 41, "event 3: %c %ld",
                      events.kind[3], events.val[3]);
        }
        uprobe__detach(b);
        uprobe__detach(a);

        /* A return-probed function tail-calling another: both returns at the one ret. */
        a = attach_ok((void *)t_tailer, ev_entry, ev_ret, NULL);
        b = attach_ok((void *)t_inc, ev_entry, ev_ret, NULL);
        events.n = 0;
        t_call_target = (void *)t_tailer;
        got = t_call6(5, 0, 0, 0, 0, 0);
        CHECK(got == 16, "t_tailer(5) = %ld", got);
        CHECK(events.n == 4, "%d events", events.n);
        if (events.n == 4) {
                CHECK(events.kind[0] == 'e' && events.val[0] == 5 &&
                          events.rip[0] == (uintptr_t)t_tailer,
                      "event 0");
                CHECK(events.kind[1] == 'e' && events.val[1] == 15 &&
                          events.rip[1] == (uintptr_t)t_inc,
                      "event 1");
                for (int i = 2; i < 4; i++)
                        CHECK(events.kind[i] == 'r' && events.val[i] == 16 &&
                                  events.rip[i] == t_call_ret,
                              "event %d: %c %ld %#lx", i, events.kind[i], events.val[i],
                              (unsigned long)events.rip[i]);
        }
        uprobe__detach(b);
        uprobe__detach(a);

        /* Recursion: 64 pending returns per thread; deeper calls are not return-probed. */
        a = attach_ok((void *)t_fact, ev_entry, ev_ret, NULL);
        events.n = 0;
        got = t_fact(10);
        CHECK(got == 3628800, "t_fact(10) = %ld", got);
        CHECK(events.n == 22, "%d events", events.n);
        for (int i = 0; i < 11 && events.n == 22; i++) {
                long f = 1;

                for (int k = 1; k <= i; k++)
                        f *= k;
                CHECK(events.kind[i] == 'e' && events.val[i] == 10 - i, "entry %d", i);
                CHECK(events.kind[11 + i] == 'r' && events.val[11 + i] == f, "return %d: %ld", i,
                      events.val[11 + i]);
        }
        events.n = 0;
        got = t_fact(100); /* overflows; the same in both runs */
        {
                int entries = 0, returns = 0;

                for (int i = 0; i < events.n; i++)
                        *(events.kind[i] == 'e' ? &entries : &returns) += 1;
                CHECK(entries == 101 && returns == 64, "t_fact(100): %d entries %d returns",
                      entries, returns);
        }
        uprobe__detach(a);
        CHECK(got == t_fact(100), "t_fact(100) differs with the probe");
}

/* longjmp out of return-probed frames: their entries are dropped, later returns are right. */
static jmp_buf jb_outer, jb_inner;

static long cb_jump_outer(void *arg)
{
        (void)arg;
        longjmp(jb_outer, 1);
}

static long cb_plain(void *arg)
{
        return (long)(intptr_t)arg * 2;
}

static long cb_jump_inner(void *arg)
{
        (void)arg;
        longjmp(jb_inner, 1);
}

/* Calls t_callback (probed) that longjmps back here, then returns normally. */
static long cb_skip_inner(void *arg)
{
        if (!setjmp(jb_inner))
                t_callback(cb_jump_inner, NULL);
        return (long)(intptr_t)arg + 1;
}

static void case_longjmp(void)
{
        struct rec r = {0};
        struct uprobe_site *site = attach_ok((void *)t_callback, on_entry, on_ret, &r);
        volatile int jumps = 0;

        for (int i = 0; i < 200; i++)
                if (!setjmp(jb_outer))
                        t_callback(cb_jump_outer, NULL);
                else
                        jumps++;
        CHECK(jumps == 200, "%d jumps", jumps);
        CHECK(r.entries == 200 && r.returns == 0, "%ld entries %ld returns", (long)r.entries,
              (long)r.returns);
        /* still return-probed (the dropped entries did not fill the shadow stack) */
        CHECK(t_callback(cb_plain, (void *)21) == 42, "t_callback(cb_plain)");
        CHECK(r.returns == 1 && r.ret_regs.rax == 42, "%ld returns, rax %ld", (long)r.returns,
              (long)r.ret_regs.rax);
        /* An inner probed frame skipped by longjmp, then the outer one returns. */
        CHECK(t_callback(cb_skip_inner, (void *)7) == 8, "t_callback(cb_skip_inner)");
        CHECK(r.entries == 203 && r.returns == 2 && r.ret_regs.rax == 8,
              "%ld entries %ld returns rax %ld", (long)r.entries, (long)r.returns,
              (long)r.ret_regs.rax);
        uprobe__detach(site);
}

/* Pending returns on two stacks (a coroutine's, far from the thread's): returning on one
 * does not drop the other's. */
static ucontext_t main_ctx, co_ctx;
static long co_result;

static long cb_yield(void *arg)
{
        swapcontext(&co_ctx, &main_ctx);
        return (long)(intptr_t)arg + 100;
}

static void co_main(void)
{
        co_result = t_callback(cb_yield, (void *)1);
}

static long cb_start_co(void *arg)
{
        swapcontext(&main_ctx, &co_ctx);
        return (long)(intptr_t)arg;
}

static void case_coroutine(void)
{
        enum { STACK = 256 * 1024 };
        struct rec r = {0};
        struct uprobe_site *site = attach_ok((void *)t_callback, on_entry, on_ret, &r);
        void *stack = malloc(STACK);

        CHECK(stack && !getcontext(&co_ctx), "getcontext");
        co_ctx.uc_stack.ss_sp = stack;
        co_ctx.uc_stack.ss_size = STACK;
        co_ctx.uc_link = &main_ctx;
        makecontext(&co_ctx, co_main, 0);
        /* main: t_callback -> coroutine: t_callback -> back to main, which returns first */
        CHECK(t_callback(cb_start_co, (void *)7) == 7, "main-stack t_callback");
        CHECK(r.entries == 2 && r.returns == 1 && r.ret_regs.rax == 7,
              "%ld entries %ld returns rax %ld", (long)r.entries, (long)r.returns,
              (long)r.ret_regs.rax);
        swapcontext(&main_ctx, &co_ctx); /* the coroutine's t_callback returns, then it ends */
        CHECK(co_result == 101, "coroutine t_callback = %ld", co_result);
        CHECK(r.returns == 2 && r.ret_regs.rax == 101, "%ld returns rax %ld", (long)r.returns,
              (long)r.ret_regs.rax);
        uprobe__detach(site);
        free(stack);
}

/* 8 threads x 100k hits: exact counts. */
enum { THREADS = 8, HITS = 100000 };

static void *thread_main(void *arg)
{
        long base = (long)(intptr_t)arg, bad = 0;

        for (long i = 0; i < HITS; i++)
                if (t_sum6(base, i, 1, 2, 3, 4) != base + i + 10)
                        bad++;
        return (void *)(intptr_t)bad;
}

static void check_entry_args(void *data, struct pt_regs *regs)
{
        struct rec *r = data;

        if (regs->rdx != 1 || regs->rcx != 2 || regs->r8 != 3 || regs->r9 != 4 ||
            regs->rip != (uintptr_t)t_sum6)
                atomic_fetch_add(&r->bad, 1);
        atomic_fetch_add(&r->entries, 1);
}

static void check_ret(void *data, struct pt_regs *regs)
{
        struct rec *r = data;

        if (regs->rax < 10)
                atomic_fetch_add(&r->bad, 1);
        atomic_fetch_add(&r->returns, 1);
}

static void case_threads(void)
{
        static struct rec r;
        struct uprobe_site *site = attach_ok((void *)t_sum6, check_entry_args, check_ret, &r);
        pthread_t th[THREADS];
        long bad = 0;

        for (int i = 0; i < THREADS; i++)
                CHECK(!pthread_create(&th[i], NULL, thread_main, (void *)(intptr_t)(i * 1000000)),
                      "pthread_create");
        for (int i = 0; i < THREADS; i++) {
                void *ret;

                pthread_join(th[i], &ret);
                bad += (long)(intptr_t)ret;
        }
        uprobe__detach(site);
        CHECK(bad == 0, "%ld wrong results", bad);
        CHECK(r.entries == THREADS * HITS && r.returns == THREADS * HITS,
              "%ld entries %ld returns, want %d", (long)r.entries, (long)r.returns, THREADS * HITS);
        CHECK(r.bad == 0, "%ld handler checks failed", (long)r.bad);
}

/* A handler calling the probed function: only the outer calls count. */
static long inner_result;

static void reenter_entry(void *data, struct pt_regs *regs)
{
        inner_result = t_endbr_push(100, 1);
        on_entry(data, regs);
}

static void reenter_ret(void *data, struct pt_regs *regs)
{
        inner_result += t_endbr_push(1000, 2);
        on_ret(data, regs);
}

static void case_reentry(void)
{
        struct rec r = {0};
        struct uprobe_site *site = attach_ok((void *)t_endbr_push, reenter_entry, reenter_ret, &r);

        for (long i = 0; i < 10; i++)
                CHECK(t_endbr_push(i, 3) == 2 * i + 3, "t_endbr_push(%ld)", i);
        CHECK(inner_result == 201 + 2002, "inner calls returned %ld", inner_result);
        CHECK(r.entries == 10 && r.returns == 10, "%ld entries %ld returns", (long)r.entries,
              (long)r.returns);
        uprobe__detach(site);
}

/* Refusals, each with its message; attach twice; bad arguments. */
static void case_refused(void)
{
        struct uprobe_opts opts = {.sz = sizeof(opts), .entry = on_entry};
        struct uprobe_site *site, *other = NULL;
        struct rec r = {0};
        char msg[256] = "";
        int err;

        attach_refused((void *)t_back_into, "t_back_into", -EOPNOTSUPP,
                       "relative jump at +8 into the patched bytes (to +2)");
        attach_refused((void *)t_jcc_inside, "t_jcc_inside", -EOPNOTSUPP,
                       "relative jump at +2 into the patched bytes (to +4)");
        attach_refused((void *)t_short3, "t_short3", -EOPNOTSUPP,
                       "function is 3 bytes, shorter than the 5-byte patch");
        attach_refused((void *)t_loop, "t_loop", -EOPNOTSUPP, "loop at +4 cannot be relocated");
        attach_refused((void *)t_jrcxz, "t_jrcxz", -EOPNOTSUPP, "jrcxz at +3 cannot be relocated");
        attach_refused(t_nosym_short, "nosym_short", -EOPNOTSUPP,
                       "the code ends at +2 (ret), before the 5 bytes of the patch");
        attach_refused(t_nosym_short, NULL, -EOPNOTSUPP, "the code ends at +2 (ret)");
        attach_refused((void *)&t_value, "t_value", -EFAULT, "not in readable executable memory");
        attach_refused(NULL, NULL, -EINVAL, "no address");
        /* push %es: no such instruction in 64-bit mode */
        {
                unsigned char *p =
                    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

                CHECK(p != MAP_FAILED, "mmap");
                if (p != MAP_FAILED) {
                        memcpy(p, "\x90\x06\x90\x90\x90\xc3", 6);
                        CHECK(!mprotect(p, 4096, PROT_READ | PROT_EXEC), "mprotect");
                        attach_refused(p, "undecodable", -EOPNOTSUPP,
                                       "cannot decode the instruction at +1");
                        munmap(p, 4096);
                }
        }
        CHECK(t_back_into(4) == 10 && t_jcc_inside(0) == 5 && t_short3(1) == 3 && t_loop(2) == 1 &&
                  t_jrcxz(0) == 1,
              "refused functions still work");

        site = attach_ok((void *)t_endbr_push, on_entry, NULL, &r);
        err = uprobe__attach((void *)t_endbr_push, &opts, &other, msg, sizeof(msg));
        CHECK(err == -EEXIST && strstr(msg, "cannot patch t_endbr_push: already probed"),
              "second attach: %d %s", err, msg);
        /* inside the bytes the first site patched */
        err = uprobe__attach((char *)t_endbr_push + 4, &opts, &other, msg, sizeof(msg));
        CHECK(err == -EBUSY && strstr(msg, "inside the bytes patched for the probe at"),
              "attach inside: %d %s", err, msg);
        uprobe__detach(site);
        /* attach again after detach */
        site = attach_ok((void *)t_endbr_push, on_entry, NULL, &r);
        CHECK(t_endbr_push(1, 1) == 3 && r.entries == 1, "re-attached: %ld", (long)r.entries);
        uprobe__detach(site);
        uprobe__detach(site); /* twice: nothing */

        opts.sz = 8;
        err = uprobe__attach((void *)t_endbr_push, &opts, &other, msg, sizeof(msg));
        CHECK(err == -EINVAL && strstr(msg, "opts missing or too small"), "small opts: %d %s", err,
              msg);
        err = uprobe__attach((void *)t_endbr_push, NULL, &other, msg, sizeof(msg));
        CHECK(err == -EINVAL && strstr(msg, "opts missing"), "no opts: %d %s", err, msg);
        opts.sz = sizeof(opts);
        err = uprobe__attach((void *)t_endbr_push, &opts, NULL, msg, sizeof(msg));
        CHECK(err == -EINVAL && strstr(msg, "no out"), "no out: %d %s", err, msg);
        err = uprobe__attach((void *)t_endbr_push, &opts, &other, NULL, 0);
        CHECK(err == 0, "attach with no msg buffer: %d", err);
        if (!err)
                uprobe__detach(other);
}

/* Detach: bytes restored, no handler called. */
static void case_detach(void)
{
        unsigned char orig[32];
        struct rec r = {0};
        struct uprobe_site *site;

        read_code(orig, (void *)t_endbr_push, sizeof(orig));
        site = attach_ok((void *)t_endbr_push, on_entry, on_ret, &r);
        CHECK(uprobe__addr(site) == (void *)t_endbr_push, "uprobe__addr");
        CHECK(uprobe__patched_size(site) == 5, "patched %zu", uprobe__patched_size(site));
        CHECK(t_endbr_push(2, 3) == 7 && r.entries == 1 && r.returns == 1, "probed call");
        uprobe__detach(site);
        CHECK(code_equal((void *)t_endbr_push, orig, sizeof(orig)), "bytes not restored");
        CHECK(t_endbr_push(2, 3) == 7, "call after detach");
        CHECK(r.entries == 1 && r.returns == 1, "handler called after detach");
}

/* A pending return whose site is detached meanwhile still returns, calling no handler. */
static struct uprobe_site *detach_me;

static long cb_detach(void *arg)
{
        uprobe__detach(detach_me);
        return (long)(intptr_t)arg;
}

static void case_detach_pending(void)
{
        struct rec r = {0};

        detach_me = attach_ok((void *)t_callback, on_entry, on_ret, &r);
        CHECK(t_callback(cb_detach, (void *)5) == 5, "t_callback");
        CHECK(r.entries == 1 && r.returns == 0, "%ld entries %ld returns", (long)r.entries,
              (long)r.returns);
}

/* libc: getpid and strlen, through the addresses dlsym gives. */
static const char libc_str[] = "hello, uprobes";
static atomic_long strlen_hits, strlen_rets;
static long strlen_rax;

static void strlen_entry(void *data, struct pt_regs *regs)
{
        (void)data;
        if (regs->rdi == (uintptr_t)libc_str)
                atomic_fetch_add(&strlen_hits, 1);
}

static void strlen_ret(void *data, struct pt_regs *regs)
{
        (void)data;
        if (regs->rax == sizeof(libc_str) - 1) {
                strlen_rax = (long)regs->rax;
                atomic_fetch_add(&strlen_rets, 1);
        }
}

/* malloc probed, its handlers calling malloc: only the test's own calls are counted (by
 * their size); the handlers' are not probed. */
enum { MALLOC_SIZE = 12345 };
static atomic_long malloc_hits, malloc_rets;
static _Thread_local bool malloc_ours;
static void *malloc_seen;

static void malloc_entry(void *data, struct pt_regs *regs)
{
        void *p = malloc(MALLOC_SIZE); /* reentrant: not counted */

        (void)data;
        free(p);
        if (regs->rdi == MALLOC_SIZE) {
                malloc_ours = true;
                atomic_fetch_add(&malloc_hits, 1);
        }
}

static void malloc_ret(void *data, struct pt_regs *regs)
{
        void *p = malloc(MALLOC_SIZE);

        (void)data;
        free(p);
        if (malloc_ours) {
                malloc_ours = false;
                malloc_seen = (void *)regs->rax;
                atomic_fetch_add(&malloc_rets, 1);
        }
}

static void case_libc(void)
{
        pid_t (*volatile getpid_fn)(void) = (pid_t(*)(void))dlsym(RTLD_DEFAULT, "getpid");
        size_t (*volatile strlen_fn)(const char *) =
            (size_t(*)(const char *))dlsym(RTLD_DEFAULT, "strlen");
        long pid = syscall(SYS_getpid);
        struct rec r = {0};
        struct uprobe_site *site;

        CHECK(getpid_fn && strlen_fn, "dlsym");
        if (!getpid_fn || !strlen_fn)
                return;
        site = attach_ok((void *)getpid_fn, on_entry, on_ret, &r);
        for (int i = 0; i < 3; i++)
                CHECK(getpid_fn() == pid, "getpid");
        uprobe__detach(site);
        CHECK(getpid_fn() == pid, "getpid after detach");
        CHECK(r.entries == 3 && r.returns == 3, "getpid: %ld entries %ld returns", (long)r.entries,
              (long)r.returns);
        CHECK(r.entry_regs.rip == (uintptr_t)getpid_fn, "getpid rip");
        CHECK((long)r.ret_regs.rax == pid, "getpid rax %ld, pid %ld", (long)r.ret_regs.rax, pid);

        site = attach_ok((void *)strlen_fn, strlen_entry, strlen_ret, NULL);
        for (int i = 0; i < 5; i++)
                CHECK(strlen_fn(libc_str) == sizeof(libc_str) - 1, "strlen");
        uprobe__detach(site);
        CHECK(strlen_hits == 5 && strlen_rets >= 5 && strlen_rax == sizeof(libc_str) - 1,
              "strlen: %ld entries with our string, %ld returns of its length", (long)strlen_hits,
              (long)strlen_rets);

        void *(*volatile malloc_fn)(size_t) = (void *(*)(size_t))dlsym(RTLD_DEFAULT, "malloc");

        CHECK(malloc_fn, "dlsym malloc");
        if (!malloc_fn)
                return;
        site = attach_ok((void *)malloc_fn, malloc_entry, malloc_ret, NULL);
        for (int i = 0; i < 10; i++) {
                void *p = malloc_fn(MALLOC_SIZE);

                CHECK(p && p == malloc_seen, "malloc returned %p, the handler saw %p", p,
                      malloc_seen);
                free(p);
        }
        uprobe__detach(site);
        CHECK(malloc_hits == 10 && malloc_rets == 10, "malloc: %ld entries %ld returns",
              (long)malloc_hits, (long)malloc_rets);
}

/* clang-format off */
#define CASE(n) {#n, case_##n}
static const struct {
        const char *name;
        void (*fn)(void);
} cases[] = {
        CASE(prologues),
        CASE(regs),
        CASE(allregs),
        CASE(flags),
        CASE(vector),
        CASE(ret_nested),
        CASE(longjmp),
        CASE(coroutine),
        CASE(threads),
        CASE(reentry),
        CASE(refused),
        CASE(detach),
        CASE(detach_pending),
        CASE(libc),
};
/* clang-format on */

int main(int argc, char **argv)
{
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                if (argc > 1 && strcmp(argv[1], cases[i].name))
                        continue;
                cases[i].fn();
                printf("%s: %s\n", cases[i].name, failures ? "FAILED" : "ok");
                if (argc > 1)
                        return failures ? 1 : 0;
        }
        if (argc > 1) {
                fprintf(stderr, "unknown case %s\n", argv[1]);
                return 2;
        }
        return failures ? 1 : 0;
}

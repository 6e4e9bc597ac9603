/* SPDX-License-Identifier: MIT */
/*
 * Sandbox checks proven before their loop (compiler/src/check_hoist.cpp) on
 * hand-written loops: how many loops get an unchecked copy, and that native
 * code built with and without the pass gives the same result on inputs
 * around every bound, among them loops that leave their range (the check
 * must fail at the same access) or stop early just before it.
 *
 * Each case defines `i64 @f(i8* %p, i64 %n, i64 %lim)`: %p points at
 * BUF_SIZE bytes, all 1 but for a 0 the driver may place; %n bounds the
 * loop and %lim is what the checks compare with. A check's slow path calls
 * the runtime's check (defined here, refusing) and returns the address with
 * the top bit set. The loop budget's calls (the pass's copies test it
 * before they start) find a run without limit. Typed-pointer syntax, which LLVM 14 needs and later
 * versions read too.
 */
#include "test_util.h"
#include "bpfaot/objabi.h"
#include "check_hoist.h"
#include "ir_native.h"
#include "llvm_compat.h"
#include "sandbox_loops.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#define BUF_SIZE 8192
#define NO_ZERO  UINT64_MAX

typedef uint64_t (*loop_fn)(uint8_t *p, uint64_t n, uint64_t lim);

struct ir_case {
        const char *name;
        unsigned versioned; /* loops the pass must copy */
        const char *ir;
};

/*
 * The runtime's check, refusing, and the slow path's end; a check's branch
 * weights as translate.c sets them (!0: the first successor passes, !1:
 * the second).
 */
#define CHECK_FN                                                                                   \
        "define i64 @" BPFAOT_SANDBOX_CHECK_SYMBOL                                                 \
        "(i8* %run, i64 %a, i64 %s, i64 %h) noinline {\n"                                          \
        "  ret i64 0\n"                                                                            \
        "}\n"                                                                                      \
        "define i64 @" BPFAOT_SANDBOX_BUDGET_SYMBOL "(i64 %n, i64 %h) noinline {\n"                \
        "  ret i64 1\n"                                                                            \
        "}\n"                                                                                      \
        "define i64 @" BPFAOT_SANDBOX_RESERVE_SYMBOL "(i64 %n, i64 %b) noinline {\n"               \
        "  ret i64 1\n"                                                                            \
        "}\n"
#define WEIGHTS                                                                                    \
        "!0 = !{!\"branch_weights\", i32 1048576, i32 1}\n"                                        \
        "!1 = !{!\"branch_weights\", i32 1, i32 1048576}\n"
#define SLOW(label, addr)                                                                          \
        label ":\n"                                                                                \
              "  %" label ".r = call i64 @" BPFAOT_SANDBOX_CHECK_SYMBOL "(i8* %p, i64 " addr       \
              ", i64 1, i64 0)\n"                                                                  \
              "  %" label ".f = or i64 " addr ", -9223372036854775808\n"                           \
              "  ret i64 %" label ".f\n"

/*
 * memcmp's shape: a counted exit (i < n) and an early one (a zero byte),
 * two checked reads, steps 1 and 2.
 */
static const struct ir_case early_exit = {
    "early_exit", 1,
    CHECK_FN "define i64 @f(i8* %p, i64 %n, i64 %lim) {\n"
             "entry:\n"
             "  %none = icmp eq i64 %n, 0\n"
             "  br i1 %none, label %done, label %loop\n"
             "loop:\n"
             "  %i = phi i64 [ 0, %entry ], [ %i.next, %next ]\n"
             "  %acc = phi i64 [ 0, %entry ], [ %acc.next, %next ]\n"
             "  %x = add i64 %i, 16\n"
             "  %okx = icmp ult i64 %x, %lim\n"
             "  br i1 %okx, label %readx, label %slowx, !prof !0\n"
             "readx:\n"
             "  %px = getelementptr i8, i8* %p, i64 %x\n"
             "  %vx = load i8, i8* %px\n"
             "  %i2 = shl i64 %i, 1\n"
             "  %y = add i64 %i2, 8\n"
             "  %oky = icmp ult i64 %y, %lim\n"
             "  br i1 %oky, label %ready, label %slowy, !prof !0\n"
             "ready:\n"
             "  %py = getelementptr i8, i8* %p, i64 %y\n"
             "  %vy = load i8, i8* %py\n"
             "  %zero = icmp eq i8 %vx, 0\n"
             "  br i1 %zero, label %stop, label %next\n"
             "next:\n"
             "  %vy64 = zext i8 %vy to i64\n"
             "  %acc.next = add i64 %acc, %vy64\n"
             "  %i.next = add i64 %i, 1\n"
             "  %more = icmp ult i64 %i.next, %n\n"
             "  br i1 %more, label %loop, label %done\n"
             "stop:\n"
             "  %at = shl i64 %i, 32\n"
             "  %r = or i64 %at, %acc\n"
             "  ret i64 %r\n"
             "done:\n"
             "  %sum = phi i64 [ 0, %entry ], [ %acc.next, %next ]\n"
             "  ret i64 %sum\n" SLOW("slowx", "%x") SLOW("slowy", "%y") "}\n" WEIGHTS};

/* An insertion sort's shift: 4-byte reads stepping down, the check as `lim >u off`. */
static const struct ir_case stepping_down = {
    "stepping_down", 1,
    CHECK_FN "define i64 @f(i8* %p, i64 %n, i64 %lim) {\n"
             "entry:\n"
             "  %none = icmp eq i64 %n, 0\n"
             "  br i1 %none, label %done, label %loop\n"
             "loop:\n"
             "  %j = phi i64 [ %n, %entry ], [ %j.next, %next ]\n"
             "  %acc = phi i64 [ 7, %entry ], [ %acc.next, %next ]\n"
             "  %j4 = shl i64 %j, 2\n"
             "  %off = add i64 %j4, 100\n"
             "  %ok = icmp ugt i64 %lim, %off\n"
             "  br i1 %ok, label %read, label %slow, !prof !0\n"
             "read:\n"
             "  %a = getelementptr i8, i8* %p, i64 %off\n"
             "  %v = load i8, i8* %a\n"
             "  %v64 = zext i8 %v to i64\n"
             "  %m = mul i64 %acc, 31\n"
             "  %acc.next = add i64 %m, %v64\n"
             "  br label %next\n"
             "next:\n"
             "  %j.next = add i64 %j, -1\n"
             "  %more = icmp ne i64 %j.next, 0\n"
             "  br i1 %more, label %loop, label %done\n"
             "done:\n"
             "  %r = phi i64 [ 0, %entry ], [ %acc.next, %next ]\n"
             "  ret i64 %r\n" SLOW("slow", "%off") "}\n" WEIGHTS};

/*
 * Stepping down to an offset that wraps (4 * 0 - 4): only a zero byte found
 * first stops the loop before its check fails, so no copy may run unchecked.
 */
static const struct ir_case down_past_zero = {
    "down_past_zero", 1,
    CHECK_FN "define i64 @f(i8* %p, i64 %n, i64 %lim) {\n"
             "entry:\n"
             "  br label %loop\n"
             "loop:\n"
             "  %j = phi i64 [ %n, %entry ], [ %j.next, %next ]\n"
             "  %acc = phi i64 [ 0, %entry ], [ %acc.next, %next ]\n"
             "  %j4 = shl i64 %j, 2\n"
             "  %off = add i64 %j4, -4\n"
             "  %ok = icmp ult i64 %off, %lim\n"
             "  br i1 %ok, label %read, label %slow, !prof !0\n"
             "read:\n"
             "  %a = getelementptr i8, i8* %p, i64 %off\n"
             "  %v = load i8, i8* %a\n"
             "  %zero = icmp eq i8 %v, 0\n"
             "  br i1 %zero, label %stop, label %next\n"
             "next:\n"
             "  %acc.next = add i64 %acc, %off\n"
             "  %j.next = add i64 %j, -1\n"
             "  %more = icmp ne i64 %j, 0\n"
             "  br i1 %more, label %loop, label %done\n"
             "stop:\n"
             "  ret i64 %off\n"
             "done:\n"
             "  ret i64 %acc.next\n" SLOW("slow", "%off") "}\n" WEIGHTS};

/* A group check (one range for four reads) whose slow path checks each read again. */
static const struct ir_case group = {"group", 1,
                                     CHECK_FN "define i64 @f(i8* %p, i64 %n, i64 %lim) {\n"
                                              "entry:\n"
                                              "  %none = icmp eq i64 %n, 0\n"
                                              "  %glim = sub i64 %lim, 24\n"
                                              "  br i1 %none, label %done, label %loop\n"
                                              "loop:\n"
                                              "  %i = phi i64 [ 0, %entry ], [ %i.next, %ok ]\n"
                                              "  %acc = phi i64 [ 0, %entry ], [ %acc.next, %ok ]\n"
                                              "  %x = add i64 %i, 32\n"
                                              "  %gok = icmp ult i64 %x, %glim\n"
                                              "  br i1 %gok, label %ok, label %each, !prof !0\n"
                                              "each:\n"
                                              "  %last = add i64 %x, 24\n"
                                              "  %lok = icmp ult i64 %last, %lim\n"
                                              "  br i1 %lok, label %ok, label %slow, !prof !0\n"
                                              "ok:\n"
                                              "  %a = getelementptr i8, i8* %p, i64 %x\n"
                                              "  %v = load i8, i8* %a\n"
                                              "  %b = getelementptr i8, i8* %a, i64 24\n"
                                              "  %w = load i8, i8* %b\n"
                                              "  %v64 = zext i8 %v to i64\n"
                                              "  %w64 = zext i8 %w to i64\n"
                                              "  %s = add i64 %v64, %w64\n"
                                              "  %acc.next = add i64 %acc, %s\n"
                                              "  %i.next = add i64 %i, 1\n"
                                              "  %more = icmp ult i64 %i.next, %n\n"
                                              "  br i1 %more, label %loop, label %done\n"
                                              "done:\n"
                                              "  %r = phi i64 [ 0, %entry ], [ %acc.next, %ok ]\n"
                                              "  ret i64 %r\n" SLOW("slow", "%last") "}\n" WEIGHTS};

/* An index that is no induction variable ((i * 7) & 1023): nothing to prove. */
static const struct ir_case masked = {"masked", 0,
                                      CHECK_FN
                                      "define i64 @f(i8* %p, i64 %n, i64 %lim) {\n"
                                      "entry:\n"
                                      "  %none = icmp eq i64 %n, 0\n"
                                      "  br i1 %none, label %done, label %loop\n"
                                      "loop:\n"
                                      "  %i = phi i64 [ 0, %entry ], [ %i.next, %read ]\n"
                                      "  %acc = phi i64 [ 0, %entry ], [ %acc.next, %read ]\n"
                                      "  %i7 = mul i64 %i, 7\n"
                                      "  %x = and i64 %i7, 1023\n"
                                      "  %ok = icmp ult i64 %x, %lim\n"
                                      "  br i1 %ok, label %read, label %slow, !prof !0\n"
                                      "read:\n"
                                      "  %a = getelementptr i8, i8* %p, i64 %x\n"
                                      "  %v = load i8, i8* %a\n"
                                      "  %v64 = zext i8 %v to i64\n"
                                      "  %acc.next = add i64 %acc, %v64\n"
                                      "  %i.next = add i64 %i, 1\n"
                                      "  %more = icmp ult i64 %i.next, %n\n"
                                      "  br i1 %more, label %loop, label %done\n"
                                      "done:\n"
                                      "  %r = phi i64 [ 0, %entry ], [ %acc.next, %read ]\n"
                                      "  ret i64 %r\n" SLOW("slow", "%x") "}\n" WEIGHTS};

/*
 * Rows of 8 bytes: the inner loop is copied; the outer one has no check of
 * its own, and its count (n rows) is data.
 */
static const struct ir_case nested = {"nested", 1,
                                      CHECK_FN
                                      "define i64 @f(i8* %p, i64 %n, i64 %lim) {\n"
                                      "entry:\n"
                                      "  %none = icmp eq i64 %n, 0\n"
                                      "  br i1 %none, label %done, label %row\n"
                                      "row:\n"
                                      "  %k = phi i64 [ 0, %entry ], [ %k.next, %row.end ]\n"
                                      "  %acc = phi i64 [ 0, %entry ], [ %acc.row, %row.end ]\n"
                                      "  %base = shl i64 %k, 3\n"
                                      "  br label %col\n"
                                      "col:\n"
                                      "  %c = phi i64 [ 0, %row ], [ %c.next, %read ]\n"
                                      "  %acc.c = phi i64 [ %acc, %row ], [ %acc.next, %read ]\n"
                                      "  %x = add i64 %base, %c\n"
                                      "  %ok = icmp ult i64 %x, %lim\n"
                                      "  br i1 %ok, label %read, label %slow, !prof !0\n"
                                      "read:\n"
                                      "  %a = getelementptr i8, i8* %p, i64 %x\n"
                                      "  %v = load i8, i8* %a\n"
                                      "  %v64 = zext i8 %v to i64\n"
                                      "  %m = mul i64 %acc.c, 3\n"
                                      "  %acc.next = add i64 %m, %v64\n"
                                      "  %c.next = add i64 %c, 1\n"
                                      "  %cmore = icmp ult i64 %c.next, 8\n"
                                      "  br i1 %cmore, label %col, label %row.end\n"
                                      "row.end:\n"
                                      "  %acc.row = phi i64 [ %acc.next, %read ]\n"
                                      "  %k.next = add i64 %k, 1\n"
                                      "  %more = icmp ult i64 %k.next, %n\n"
                                      "  br i1 %more, label %row, label %done\n"
                                      "done:\n"
                                      "  %r = phi i64 [ 0, %entry ], [ %acc.row, %row.end ]\n"
                                      "  ret i64 %r\n" SLOW("slow", "%x") "}\n" WEIGHTS};

/*
 * No exit but the check and a zero byte: the only count is the check's own,
 * which must not prove the check (its copy would read past the range).
 */
static const struct ir_case check_bounds_loop = {
    "check_bounds_loop", 0,
    CHECK_FN "define i64 @f(i8* %p, i64 %n, i64 %lim) {\n"
             "entry:\n"
             "  br label %loop\n"
             "loop:\n"
             "  %i = phi i64 [ 0, %entry ], [ %i.next, %read ]\n"
             "  %x = add i64 %i, %n\n"
             "  %ok = icmp ult i64 %x, %lim\n"
             "  br i1 %ok, label %read, label %slow, !prof !0\n"
             "read:\n"
             "  %a = getelementptr i8, i8* %p, i64 %x\n"
             "  %v = load i8, i8* %a\n"
             "  %i.next = add i64 %i, 1\n"
             "  %zero = icmp eq i8 %v, 0\n"
             "  br i1 %zero, label %done, label %loop\n"
             "done:\n"
             "  ret i64 %i\n" SLOW("slow", "%x") "}\n" WEIGHTS};

/* A check or-ed with a test that is no range check: the range check alone proves it. */
static const struct ir_case or_form = {"or_form", 1,
                                       CHECK_FN
                                       "define i64 @f(i8* %p, i64 %n, i64 %lim) {\n"
                                       "entry:\n"
                                       "  %none = icmp eq i64 %n, 0\n"
                                       "  br i1 %none, label %done, label %loop\n"
                                       "loop:\n"
                                       "  %i = phi i64 [ 0, %entry ], [ %i.next, %read ]\n"
                                       "  %acc = phi i64 [ 0, %entry ], [ %acc.next, %read ]\n"
                                       "  %x = add i64 %i, 3\n"
                                       "  %in = icmp ult i64 %x, %lim\n"
                                       "  %odd = icmp eq i64 %x, 12345\n"
                                       "  %ok = or i1 %in, %odd\n"
                                       "  br i1 %ok, label %read, label %slow, !prof !0\n"
                                       "read:\n"
                                       "  %a = getelementptr i8, i8* %p, i64 %x\n"
                                       "  %v = load i8, i8* %a\n"
                                       "  %v64 = zext i8 %v to i64\n"
                                       "  %acc.next = add i64 %acc, %v64\n"
                                       "  %i.next = add i64 %i, 1\n"
                                       "  %more = icmp ult i64 %i.next, %n\n"
                                       "  br i1 %more, label %loop, label %done\n"
                                       "done:\n"
                                       "  %r = phi i64 [ 0, %entry ], [ %acc.next, %read ]\n"
                                       "  ret i64 %r\n" SLOW("slow", "%x") "}\n" WEIGHTS};

/*
 * The check as LLVM's induction simplification leaves it: x == lim fails
 * (the slow path first); proven by x <u lim on every iteration.
 */
static const struct ir_case equality = {"equality", 1,
                                        CHECK_FN
                                        "define i64 @f(i8* %p, i64 %n, i64 %lim) {\n"
                                        "entry:\n"
                                        "  %none = icmp eq i64 %n, 0\n"
                                        "  br i1 %none, label %done, label %loop\n"
                                        "loop:\n"
                                        "  %i = phi i64 [ 0, %entry ], [ %i.next, %read ]\n"
                                        "  %acc = phi i64 [ 0, %entry ], [ %acc.next, %read ]\n"
                                        "  %x = add i64 %i, 5\n"
                                        "  %bad = icmp eq i64 %x, %lim\n"
                                        "  br i1 %bad, label %slow, label %read, !prof !1\n"
                                        "read:\n"
                                        "  %a = getelementptr i8, i8* %p, i64 %x\n"
                                        "  %v = load i8, i8* %a\n"
                                        "  %v64 = zext i8 %v to i64\n"
                                        "  %m = mul i64 %acc, 5\n"
                                        "  %acc.next = add i64 %m, %v64\n"
                                        "  %i.next = add i64 %i, 1\n"
                                        "  %more = icmp ult i64 %i.next, %n\n"
                                        "  br i1 %more, label %loop, label %done\n"
                                        "done:\n"
                                        "  %r = phi i64 [ 0, %entry ], [ %acc.next, %read ]\n"
                                        "  ret i64 %r\n" SLOW("slow", "%x") "}\n" WEIGHTS};

/*
 * An insertion sort's inner loop: a data-dependent branch (no weights) whose
 * one side starts with the store's check. It is no check itself, and the
 * check after it is proven.
 */
static const struct ir_case data_branch = {"data_branch", 1,
                                           CHECK_FN
                                           "define i64 @f(i8* %p, i64 %n, i64 %lim) {\n"
                                           "entry:\n"
                                           "  %none = icmp eq i64 %n, 0\n"
                                           "  br i1 %none, label %done, label %loop\n"
                                           "loop:\n"
                                           "  %i = phi i64 [ 0, %entry ], [ %i.next, %next ]\n"
                                           "  %acc = phi i64 [ 0, %entry ], [ %acc.next, %next ]\n"
                                           "  %a = getelementptr i8, i8* %p, i64 %i\n"
                                           "  %v = load i8, i8* %a\n"
                                           "  %odd = trunc i8 %v to i1\n"
                                           "  br i1 %odd, label %check, label %next\n"
                                           "check:\n"
                                           "  %x = add i64 %i, 40\n"
                                           "  %ok = icmp ult i64 %x, %lim\n"
                                           "  br i1 %ok, label %write, label %slow, !prof !0\n"
                                           "write:\n"
                                           "  %w = getelementptr i8, i8* %p, i64 %x\n"
                                           "  store i8 3, i8* %w\n"
                                           "  br label %next\n"
                                           "next:\n"
                                           "  %v64 = zext i8 %v to i64\n"
                                           "  %acc.next = add i64 %acc, %v64\n"
                                           "  %i.next = add i64 %i, 1\n"
                                           "  %more = icmp ult i64 %i.next, %n\n"
                                           "  br i1 %more, label %loop, label %done\n"
                                           "done:\n"
                                           "  %r = phi i64 [ 0, %entry ], [ %acc.next, %next ]\n"
                                           "  ret i64 %r\n" SLOW("slow", "%x") "}\n" WEIGHTS};

static const struct ir_case *const cases[] = {
    &early_exit, &stepping_down,     &down_past_zero, &group,    &masked,
    &nested,     &check_bounds_loop, &or_form,        &equality, &data_branch,
};

/* The pass, and the loop budget that turns its tests before loops into code (sandbox_loops.c). */
static int hoist(LLVMModuleRef mod, LLVMTargetMachineRef tm, void *arg)
{
        bool oom;

        (void)tm;
        *(unsigned *)arg = check_hoist(mod);
        sandbox_bound_loops(mod, &oom);
        return oom ? -1 : 0;
}

/* Room before the buffer, for a copy that would read below it (4 bytes). */
static uint8_t memory[64 + BUF_SIZE];
static uint8_t *const buf = memory + 64;

static void place_zero(uint64_t at)
{
        memset(memory, 1, sizeof(memory));
        if (at != NO_ZERO)
                buf[at] = 0;
}

/* Both builds on every (n, lim, zero) around the cases' bounds. */
static void compare(const struct ir_case *c, loop_fn plain, loop_fn hoisted)
{
        static const uint64_t ns[] = {1, 2, 7, 50, 100, 1000};
        unsigned bad = 0;

        for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
                uint64_t n = ns[i];
                uint64_t lims[] = {0,           1,           n + 15,      n + 16,    n + 17,
                                   n + 31,      n + 32,      2 * n + 7,   2 * n + 8, 2 * n + 9,
                                   4 * n + 100, 4 * n + 101, 4 * n + 104, 8 * n,     8 * n + 1,
                                   5000,        UINT64_MAX};
                uint64_t zeros[] = {NO_ZERO, 20, 16 + n / 2, n + 5, 2 * n};

                for (size_t l = 0; l < sizeof(lims) / sizeof(lims[0]); l++)
                        for (size_t z = 0; z < sizeof(zeros) / sizeof(zeros[0]); z++) {
                                /* Reads stay in buf: the checks or the zero stop them. */
                                if (lims[l] > BUF_SIZE && zeros[z] == NO_ZERO &&
                                    c == &check_bounds_loop)
                                        continue;
                                if (lims[l] > BUF_SIZE && 8 * n + 40 > BUF_SIZE)
                                        continue;
                                place_zero(zeros[z] < BUF_SIZE ? zeros[z] : NO_ZERO);
                                uint64_t want = plain(buf, n, lims[l]);
                                place_zero(zeros[z] < BUF_SIZE ? zeros[z] : NO_ZERO);
                                uint64_t got = hoisted(buf, n, lims[l]);

                                if (got != want && bad++ < 5)
                                        CHECKF(false,
                                               "%s: f(n=%" PRIu64 ", lim=%" PRIu64
                                               ", zero at %" PRIu64 ") = 0x%" PRIx64
                                               " with the pass, 0x%" PRIx64 " without",
                                               c->name, n, lims[l], zeros[z], got, want);
                        }
        }
        CHECKF(bad == 0, "%s: %u inputs differ", c->name, bad);
}

static void check_case(const struct ir_case *c)
{
        struct ir_native_pair pair;
        unsigned versioned = 0;

        if (ir_native_build_pair(c->name, c->ir, hoist, &versioned, "f", &pair)) {
                CHECKF(false, "%s does not build, as written or with its checks hoisted", c->name);
                return;
        }
        CHECKF(versioned == c->versioned, "%s: %u loops copied unchecked, %u expected", c->name,
               versioned, c->versioned);
        compare(c, (loop_fn)pair.plain, (loop_fn)pair.fn);
        ir_native_pair_free(&pair);
}

int main(void)
{
        compat_init_targets();
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                check_case(cases[i]);
        return TEST_EXIT("check_hoist");
}

/* SPDX-License-Identifier: MIT */
/*
 * Induction rescaling (compiler/src/indvars.c) on hand-written loops: how
 * many offsets it re-expresses through a counter, and that native code built
 * with and without it returns the same and leaves the same memory.
 *
 * Each case defines `i64 @f(i8* %p)`; %p points at BUF_SIZE bytes of
 * pseudo-random data, which the function may read and write. The IR is in
 * typed-pointer syntax, which LLVM 14 needs and later versions read too.
 */
#include "test_util.h"
#include "indvars.h"
#include "ir_native.h"
#include "llvm_compat.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#define BUF_SIZE 4096

typedef uint64_t (*loop_fn)(uint8_t *p);

struct ir_case {
        const char *name;
        int rescaled; /* induction variables the pass must remove */
        const char *ir;
};

/* matmul's checksum: a[i - 1] * i, the offset stepped by 4 beside the counter from 1. */
static const struct ir_case scaled_by_four = {
    "scaled_by_four", 1,
    "define i64 @f(i8* %p) {\n"
    "entry:\n"
    "  br label %loop\n"
    "loop:\n"
    "  %i = phi i64 [ 1, %entry ], [ %i.next, %loop ]\n"
    "  %off = phi i64 [ 0, %entry ], [ %off.next, %loop ]\n"
    "  %acc = phi i64 [ 0, %entry ], [ %acc.next, %loop ]\n"
    "  %addr = getelementptr inbounds i8, i8* %p, i64 %off\n"
    "  %cast = bitcast i8* %addr to i32*\n"
    "  %v = load i32, i32* %cast, align 1\n"
    "  %v64 = zext i32 %v to i64\n"
    "  %m = mul i64 %v64, %i\n"
    "  %acc.next = add i64 %acc, %m\n"
    "  %off.next = add i64 %off, 4\n"
    "  %i.next = add i64 %i, 1\n"
    "  %done = icmp eq i64 %i.next, 65\n"
    "  br i1 %done, label %exit, label %loop\n"
    "exit:\n"
    "  ret i64 %acc.next\n"
    "}\n"};

/*
 * An insertion sort's shift: both step down, the offset ahead of 4 * counter
 * (d = 4), and every element read is written back changed.
 */
static const struct ir_case stepping_down = {
    "stepping_down", 1,
    "define i64 @f(i8* %p) {\n"
    "entry:\n"
    "  br label %loop\n"
    "loop:\n"
    "  %j = phi i64 [ 20, %entry ], [ %j.next, %loop ]\n"
    "  %off = phi i64 [ 84, %entry ], [ %off.next, %loop ]\n"
    "  %acc = phi i64 [ 7, %entry ], [ %acc.next, %loop ]\n"
    "  %addr = getelementptr inbounds i8, i8* %p, i64 %off\n"
    "  %cast = bitcast i8* %addr to i32*\n"
    "  %v = load i32, i32* %cast, align 1\n"
    "  %t = trunc i64 %j to i32\n"
    "  %w = mul i32 %v, 3\n"
    "  %w2 = add i32 %w, %t\n"
    "  store i32 %w2, i32* %cast, align 1\n"
    "  %v64 = zext i32 %v to i64\n"
    "  %acc.r = mul i64 %acc, 31\n"
    "  %acc.next = add i64 %acc.r, %v64\n"
    "  %off.next = add i64 %off, -4\n"
    "  %j.next = add i64 %j, -1\n"
    "  %more = icmp sgt i64 %j.next, 0\n"
    "  br i1 %more, label %loop, label %exit\n"
    "exit:\n"
    "  ret i64 %acc.next\n"
    "}\n"};

/* Header, two arms and a latch: the offset is used in an arm, stepped in the latch. */
static const struct ir_case several_blocks = {
    "several_blocks", 1,
    "define i64 @f(i8* %p) {\n"
    "entry:\n"
    "  br label %head\n"
    "head:\n"
    "  %k = phi i64 [ 0, %entry ], [ %k.next, %latch ]\n"
    "  %off = phi i64 [ 16, %entry ], [ %off.next, %latch ]\n"
    "  %acc = phi i64 [ 0, %entry ], [ %acc.next, %latch ]\n"
    "  %odd = and i64 %k, 1\n"
    "  %is_odd = icmp ne i64 %odd, 0\n"
    "  br i1 %is_odd, label %reads, label %skips\n"
    "reads:\n"
    "  %addr = getelementptr inbounds i8, i8* %p, i64 %off\n"
    "  %cast = bitcast i8* %addr to i16*\n"
    "  %v = load i16, i16* %cast, align 1\n"
    "  %v64 = zext i16 %v to i64\n"
    "  %x = xor i64 %acc, %v64\n"
    "  br label %latch\n"
    "skips:\n"
    "  %y = add i64 %acc, %k\n"
    "  br label %latch\n"
    "latch:\n"
    "  %acc.next = phi i64 [ %x, %reads ], [ %y, %skips ]\n"
    "  %off.next = add i64 %off, 2\n"
    "  %k.next = add i64 %k, 1\n"
    "  %done = icmp eq i64 %k.next, 100\n"
    "  br i1 %done, label %exit, label %head\n"
    "exit:\n"
    "  ret i64 %acc.next\n"
    "}\n"};

/*
 * The counter starts below zero (as an unsigned value, near 2^64), 8-byte
 * steps: d = 8 - 8 * -3 = 32 only holds modulo 2^64.
 */
static const struct ir_case wrapping_start = {
    "wrapping_start", 1,
    "define i64 @f(i8* %p) {\n"
    "entry:\n"
    "  br label %loop\n"
    "loop:\n"
    "  %i = phi i64 [ -3, %entry ], [ %i.next, %loop ]\n"
    "  %off = phi i64 [ 8, %entry ], [ %off.next, %loop ]\n"
    "  %acc = phi i64 [ 0, %entry ], [ %acc.next, %loop ]\n"
    "  %addr = getelementptr inbounds i8, i8* %p, i64 %off\n"
    "  %cast = bitcast i8* %addr to i64*\n"
    "  %v = load i64, i64* %cast, align 1\n"
    "  %r = mul i64 %v, %i\n"
    "  %acc.next = add i64 %acc, %r\n"
    "  %off.next = add i64 %off, 8\n"
    "  %i.next = add i64 %i, 1\n"
    "  %done = icmp eq i64 %i.next, 10\n"
    "  br i1 %done, label %exit, label %loop\n"
    "exit:\n"
    "  ret i64 %acc.next\n"
    "}\n"};

/* A copy: source and destination offsets both go, through the counter. */
static const struct ir_case two_offsets = {
    "two_offsets", 2,
    "define i64 @f(i8* %p) {\n"
    "entry:\n"
    "  br label %loop\n"
    "loop:\n"
    "  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]\n"
    "  %src = phi i64 [ 100, %entry ], [ %src.next, %loop ]\n"
    "  %dst = phi i64 [ 2048, %entry ], [ %dst.next, %loop ]\n"
    "  %from = getelementptr inbounds i8, i8* %p, i64 %src\n"
    "  %v = load i8, i8* %from, align 1\n"
    "  %to = getelementptr inbounds i8, i8* %p, i64 %dst\n"
    "  store i8 %v, i8* %to, align 1\n"
    "  %src.next = add i64 %src, 1\n"
    "  %dst.next = add i64 %dst, 1\n"
    "  %i.next = add i64 %i, 1\n"
    "  %done = icmp eq i64 %i.next, 300\n"
    "  br i1 %done, label %exit, label %loop\n"
    "exit:\n"
    "  ret i64 %i.next\n"
    "}\n"};

/* The offset is also compared: it is not only an address, so it stays. */
static const struct ir_case offset_compared = {
    "offset_compared", 0,
    "define i64 @f(i8* %p) {\n"
    "entry:\n"
    "  br label %loop\n"
    "loop:\n"
    "  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]\n"
    "  %off = phi i64 [ 0, %entry ], [ %off.next, %loop ]\n"
    "  %acc = phi i64 [ 0, %entry ], [ %acc.next, %loop ]\n"
    "  %addr = getelementptr inbounds i8, i8* %p, i64 %off\n"
    "  %v = load i8, i8* %addr, align 1\n"
    "  %v64 = zext i8 %v to i64\n"
    "  %acc.next = add i64 %acc, %v64\n"
    "  %off.next = add i64 %off, 4\n"
    "  %i.next = add i64 %i, 1\n"
    "  %done = icmp ugt i64 %off.next, 400\n"
    "  br i1 %done, label %exit, label %loop\n"
    "exit:\n"
    "  %r = add i64 %acc.next, %i.next\n"
    "  ret i64 %r\n"
    "}\n"};

/* Steps 12 and 1: no element size scales one into the other. */
static const struct ir_case unscaled_steps = {
    "unscaled_steps", 0,
    "define i64 @f(i8* %p) {\n"
    "entry:\n"
    "  br label %loop\n"
    "loop:\n"
    "  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]\n"
    "  %off = phi i64 [ 0, %entry ], [ %off.next, %loop ]\n"
    "  %acc = phi i64 [ 0, %entry ], [ %acc.next, %loop ]\n"
    "  %addr = getelementptr inbounds i8, i8* %p, i64 %off\n"
    "  %v = load i8, i8* %addr, align 1\n"
    "  %v64 = zext i8 %v to i64\n"
    "  %m = mul i64 %v64, %i\n"
    "  %acc.next = add i64 %acc, %m\n"
    "  %off.next = add i64 %off, 12\n"
    "  %i.next = add i64 %i, 1\n"
    "  %done = icmp eq i64 %i.next, 50\n"
    "  br i1 %done, label %exit, label %loop\n"
    "exit:\n"
    "  ret i64 %acc.next\n"
    "}\n"};

/* The object is itself computed in the loop: the offset stays. */
static const struct ir_case base_in_loop = {
    "base_in_loop", 0,
    "define i64 @f(i8* %p) {\n"
    "entry:\n"
    "  br label %loop\n"
    "loop:\n"
    "  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]\n"
    "  %off = phi i64 [ 0, %entry ], [ %off.next, %loop ]\n"
    "  %acc = phi i64 [ 0, %entry ], [ %acc.next, %loop ]\n"
    "  %half = lshr i64 %acc, 60\n"
    "  %base = getelementptr inbounds i8, i8* %p, i64 %half\n"
    "  %addr = getelementptr inbounds i8, i8* %base, i64 %off\n"
    "  %v = load i8, i8* %addr, align 1\n"
    "  %v64 = zext i8 %v to i64\n"
    "  %s = shl i64 %acc, 5\n"
    "  %acc.next = add i64 %s, %v64\n"
    "  %off.next = add i64 %off, 2\n"
    "  %i.next = add i64 %i, 1\n"
    "  %done = icmp eq i64 %i.next, 200\n"
    "  br i1 %done, label %exit, label %loop\n"
    "exit:\n"
    "  ret i64 %acc.next\n"
    "}\n"};

static const struct ir_case *const cases[] = {
    &scaled_by_four, &stepping_down,   &two_offsets,    &several_blocks,
    &wrapping_start, &offset_compared, &unscaled_steps, &base_in_loop,
};

static int rescale(LLVMModuleRef mod, LLVMTargetMachineRef tm, void *arg)
{
        (void)tm;
        *(int *)arg = indvars_rescale(mod);
        return 0;
}

/* The same pseudo-random bytes each call. */
static void fill(uint8_t *buf)
{
        uint64_t x = 0x9e3779b97f4a7c15ull;

        for (size_t i = 0; i < BUF_SIZE; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                buf[i] = (uint8_t)x;
        }
}

static void check_case(const struct ir_case *c)
{
        static uint8_t want_buf[BUF_SIZE], got_buf[BUF_SIZE];
        struct ir_native_pair pair;
        int rescaled = -1;
        uint64_t want, got;

        if (ir_native_build_pair(c->name, c->ir, rescale, &rescaled, "f", &pair)) {
                CHECKF(false, "%s does not build, as written or rescaled", c->name);
                return;
        }
        CHECKF(rescaled == c->rescaled, "%s: %d induction variables rescaled, %d expected", c->name,
               rescaled, c->rescaled);
        fill(want_buf);
        fill(got_buf);
        want = ((loop_fn)pair.plain)(want_buf);
        got = ((loop_fn)pair.fn)(got_buf);
        CHECKF(got == want, "%s: f() = 0x%" PRIx64 " rescaled, 0x%" PRIx64 " as written", c->name,
               got, want);
        CHECKF(memcmp(got_buf, want_buf, BUF_SIZE) == 0, "%s: memory differs once rescaled",
               c->name);
        ir_native_pair_free(&pair);
}

int main(void)
{
        compat_init_targets();
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                check_case(cases[i]);
        return TEST_EXIT("indvars");
}

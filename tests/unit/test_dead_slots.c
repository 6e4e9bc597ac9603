/* SPDX-License-Identifier: MIT */
/*
 * -O0's dead slot stores (compiler/src/dead_slots.cpp) on hand-written
 * functions: how many stores and slots it leaves, and that native code built
 * with and without it returns the same for the same arguments.
 *
 * Each case defines `i64 @f(i64 %x, i64 %y)`, in typed-pointer syntax, which
 * LLVM 14 needs and later versions read too.
 */
#include "test_util.h"
#include "dead_slots.h"
#include "ir_native.h"
#include "llvm_compat.h"

#include <stdint.h>

struct slots_case {
        const char *name;
        int stores, allocas; /* left in @f once pruned */
        const char *ir;
};

/* A value written twice in a block before it is read: the first store goes. */
static const struct slots_case overwritten = {"overwritten", 1, 1,
                                              "define i64 @f(i64 %x, i64 %y) {\n"
                                              "entry:\n"
                                              "  %r1 = alloca i64\n"
                                              "  store i64 %x, i64* %r1\n"
                                              "  store i64 %y, i64* %r1\n"
                                              "  br label %next\n"
                                              "next:\n"
                                              "  %v = load i64, i64* %r1\n"
                                              "  ret i64 %v\n"
                                              "}\n"};

/* Both arms write the slot before reading it: the entry's store is dead, its sum too. */
static const struct slots_case both_arms_write = {"both_arms_write", 2, 1,
                                                  "define i64 @f(i64 %x, i64 %y) {\n"
                                                  "entry:\n"
                                                  "  %r1 = alloca i64\n"
                                                  "  %sum = add i64 %x, %y\n"
                                                  "  store i64 %sum, i64* %r1\n"
                                                  "  %c = icmp ult i64 %x, %y\n"
                                                  "  br i1 %c, label %a, label %b\n"
                                                  "a:\n"
                                                  "  store i64 %x, i64* %r1\n"
                                                  "  br label %join\n"
                                                  "b:\n"
                                                  "  store i64 %y, i64* %r1\n"
                                                  "  br label %join\n"
                                                  "join:\n"
                                                  "  %v = load i64, i64* %r1\n"
                                                  "  ret i64 %v\n"
                                                  "}\n"};

/* One arm reads the entry's value: it stays. */
static const struct slots_case one_arm_reads = {"one_arm_reads", 2, 1,
                                                "define i64 @f(i64 %x, i64 %y) {\n"
                                                "entry:\n"
                                                "  %r1 = alloca i64\n"
                                                "  %sum = add i64 %x, %y\n"
                                                "  store i64 %sum, i64* %r1\n"
                                                "  %c = icmp ult i64 %x, %y\n"
                                                "  br i1 %c, label %a, label %join\n"
                                                "a:\n"
                                                "  store i64 %x, i64* %r1\n"
                                                "  br label %join\n"
                                                "join:\n"
                                                "  %v = load i64, i64* %r1\n"
                                                "  ret i64 %v\n"
                                                "}\n"};

/*
 * A loop: the entry's stores and the body's are read by the header or the
 * body on the next iteration, so they stay; the exit block's store before
 * the return goes, and the slot nothing reads (%r9) goes with its store.
 */
static const struct slots_case loop = {"loop", 4, 2,
                                       "define i64 @f(i64 %x, i64 %y) {\n"
                                       "entry:\n"
                                       "  %r1 = alloca i64\n"
                                       "  %r2 = alloca i64\n"
                                       "  %r9 = alloca i64\n"
                                       "  store i64 0, i64* %r1\n"
                                       "  store i64 %x, i64* %r2\n"
                                       "  store i64 %y, i64* %r9\n"
                                       "  br label %head\n"
                                       "head:\n"
                                       "  %i = load i64, i64* %r2\n"
                                       "  %c = icmp eq i64 %i, 0\n"
                                       "  br i1 %c, label %exit, label %body\n"
                                       "body:\n"
                                       "  %acc = load i64, i64* %r1\n"
                                       "  %acc.next = add i64 %acc, %i\n"
                                       "  store i64 %acc.next, i64* %r1\n"
                                       "  %i.next = lshr i64 %i, 1\n"
                                       "  store i64 %i.next, i64* %r2\n"
                                       "  br label %head\n"
                                       "exit:\n"
                                       "  %v = load i64, i64* %r1\n"
                                       "  store i64 %v, i64* %r2\n"
                                       "  ret i64 %v\n"
                                       "}\n"};

/* A slot whose address is taken is not a slot: nothing of it changes. */
static const struct slots_case address_taken = {"address_taken", 2, 1,
                                                "define i64 @f(i64 %x, i64 %y) {\n"
                                                "entry:\n"
                                                "  %r1 = alloca i64\n"
                                                "  store i64 %x, i64* %r1\n"
                                                "  store i64 %y, i64* %r1\n"
                                                "  %a = ptrtoint i64* %r1 to i64\n"
                                                "  %zero = and i64 %a, 0\n"
                                                "  %v = load i64, i64* %r1\n"
                                                "  %w = add i64 %v, %zero\n"
                                                "  ret i64 %w\n"
                                                "}\n"};

/* Nor one read in part: the 32-bit load sees the first store's value. */
static const struct slots_case read_in_part = {"read_in_part", 2, 1,
                                               "define i64 @f(i64 %x, i64 %y) {\n"
                                               "entry:\n"
                                               "  %r1 = alloca i64\n"
                                               "  store i64 %x, i64* %r1\n"
                                               "  %p = bitcast i64* %r1 to i32*\n"
                                               "  %lo = load i32, i32* %p\n"
                                               "  store i64 %y, i64* %r1\n"
                                               "  %lo64 = zext i32 %lo to i64\n"
                                               "  %v = load i64, i64* %r1\n"
                                               "  %w = add i64 %v, %lo64\n"
                                               "  ret i64 %w\n"
                                               "}\n"};

static const struct slots_case *const cases[] = {
    &overwritten, &both_arms_write, &one_arm_reads, &loop, &address_taken, &read_in_part,
};

struct counts {
        int stores, allocas;
};

static int prune(LLVMModuleRef mod, LLVMTargetMachineRef tm, void *arg)
{
        struct counts *n = arg;
        LLVMValueRef f = LLVMGetNamedFunction(mod, "f");

        (void)tm;
        dead_slot_stores(mod);
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb; bb = LLVMGetNextBasicBlock(bb))
                for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i;
                     i = LLVMGetNextInstruction(i)) {
                        n->stores += LLVMGetInstructionOpcode(i) == LLVMStore;
                        n->allocas += LLVMGetInstructionOpcode(i) == LLVMAlloca;
                }
        return 0;
}

static void check_case(const struct slots_case *c)
{
        struct ir_native_pair pair;
        struct counts n = {0};

        if (ir_native_build_pair(c->name, c->ir, prune, &n, "f", &pair)) {
                CHECKF(false, "%s does not build, as written or pruned", c->name);
                return;
        }
        CHECKF(n.stores == c->stores, "%s: %d stores left, %d expected", c->name, n.stores,
               c->stores);
        CHECKF(n.allocas == c->allocas, "%s: %d slots left, %d expected", c->name, n.allocas,
               c->allocas);
        CHECKF(ir_native_differ_xy(c->name, &pair) == 0, "%s: returns differently once pruned",
               c->name);
        ir_native_pair_free(&pair);
}

int main(void)
{
        compat_init_targets();
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                check_case(cases[i]);
        return TEST_EXIT("dead_slots");
}

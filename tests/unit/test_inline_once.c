/* SPDX-License-Identifier: MIT */
/*
 * -O0's entry wrappers given the body of the function they call
 * (compiler/src/inline_once.cpp), on hand-written IR: which functions are
 * left, and that native code built with and without it returns the same for
 * the same arguments.
 *
 * Each case defines `i64 @f(i64 %x, i64 %y)`, in typed-pointer syntax, which
 * LLVM 14 needs and later versions read too.
 */
#include "test_util.h"
#include "inline_once.h"
#include "ir_native.h"
#include "llvm_compat.h"

#include <llvm-c/DebugInfo.h>

#include <stdint.h>

struct once_case {
        const char *name;
        int functions; /* defined in the module once folded */
        const char *ir;
};

/* A program's entry: a wrapper that calls its first sub-program, which then goes. */
static const struct once_case wrapper = {"wrapper", 1,
                                         "define internal i64 @sub(i64 %a, i64 %b, i64 %c) {\n"
                                         "entry:\n"
                                         "  %s = alloca i64\n"
                                         "  store i64 %a, i64* %s\n"
                                         "  %v = load i64, i64* %s\n"
                                         "  %w = mul i64 %v, %b\n"
                                         "  %r = add i64 %w, %c\n"
                                         "  ret i64 %r\n"
                                         "}\n"
                                         "define i64 @f(i64 %x, i64 %y) {\n"
                                         "entry:\n"
                                         "  %xs = bitcast i64 %x to i64\n"
                                         "  %r = call i64 @sub(i64 %xs, i64 %y, i64 7)\n"
                                         "  ret i64 %r\n"
                                         "}\n"};

/*
 * A callee with a loop, a slot and two returns: the returns join in a phi
 * after the call, and the slot moves to the wrapper's entry.
 */
static const struct once_case two_returns = {"two_returns", 1,
                                             "define internal i64 @sub(i64 %a, i64 %b) {\n"
                                             "entry:\n"
                                             "  %s = alloca i64\n"
                                             "  store i64 %a, i64* %s\n"
                                             "  br label %loop\n"
                                             "loop:\n"
                                             "  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]\n"
                                             "  %v = load i64, i64* %s\n"
                                             "  %v.next = add i64 %v, %i\n"
                                             "  store i64 %v.next, i64* %s\n"
                                             "  %i.next = add i64 %i, 1\n"
                                             "  %more = icmp ult i64 %i.next, 10\n"
                                             "  br i1 %more, label %loop, label %done\n"
                                             "done:\n"
                                             "  %odd = and i64 %v.next, 1\n"
                                             "  %c = icmp eq i64 %odd, 0\n"
                                             "  br i1 %c, label %even, label %other\n"
                                             "even:\n"
                                             "  %e = add i64 %v.next, %b\n"
                                             "  ret i64 %e\n"
                                             "other:\n"
                                             "  %o = xor i64 %v.next, %b\n"
                                             "  ret i64 %o\n"
                                             "}\n"
                                             "define i64 @f(i64 %x, i64 %y) {\n"
                                             "entry:\n"
                                             "  %r = call i64 @sub(i64 %x, i64 %y)\n"
                                             "  ret i64 %r\n"
                                             "}\n"};

/* A void wrapper, called from @f, whose callee writes through its pointer argument. */
static const struct once_case void_wrapper = {"void_wrapper", 2,
                                              "define internal void @put(i64* %p, i64 %v) {\n"
                                              "entry:\n"
                                              "  %c = icmp ugt i64 %v, 100\n"
                                              "  br i1 %c, label %big, label %small\n"
                                              "big:\n"
                                              "  store i64 100, i64* %p\n"
                                              "  ret void\n"
                                              "small:\n"
                                              "  store i64 %v, i64* %p\n"
                                              "  ret void\n"
                                              "}\n"
                                              "define internal void @w(i64* %p, i64 %v) {\n"
                                              "entry:\n"
                                              "  call void @put(i64* %p, i64 %v)\n"
                                              "  ret void\n"
                                              "}\n"
                                              "define i64 @f(i64 %x, i64 %y) {\n"
                                              "entry:\n"
                                              "  %s = alloca i64\n"
                                              "  %sum = add i64 %x, %y\n"
                                              "  call void @w(i64* %s, i64 %sum)\n"
                                              "  %v = load i64, i64* %s\n"
                                              "  ret i64 %v\n"
                                              "}\n"};

/* Wrappers of wrappers: the last one takes its callee's body, the first keeps its call. */
static const struct once_case chain = {"chain", 2,
                                       "define internal i64 @c(i64 %a) {\n"
                                       "entry:\n"
                                       "  %r = shl i64 %a, 3\n"
                                       "  ret i64 %r\n"
                                       "}\n"
                                       "define internal i64 @b(i64 %a) {\n"
                                       "entry:\n"
                                       "  %r = call i64 @c(i64 %a)\n"
                                       "  ret i64 %r\n"
                                       "}\n"
                                       "define i64 @f(i64 %x, i64 %y) {\n"
                                       "entry:\n"
                                       "  %r = call i64 @b(i64 %x)\n"
                                       "  ret i64 %r\n"
                                       "}\n"};

/*
 * Callees that stay functions: called from two places, noinline, seen
 * outside the module, or called by a function that does more than forward.
 */
static const struct once_case kept = {"kept", 8,
                                      "define internal i64 @twice(i64 %a) {\n"
                                      "entry:\n"
                                      "  %r = add i64 %a, 5\n"
                                      "  ret i64 %r\n"
                                      "}\n"
                                      "define internal i64 @fw1(i64 %a) {\n"
                                      "entry:\n"
                                      "  %r = call i64 @twice(i64 %a)\n"
                                      "  ret i64 %r\n"
                                      "}\n"
                                      "define internal i64 @fw2(i64 %a) {\n"
                                      "entry:\n"
                                      "  %r = call i64 @twice(i64 %a)\n"
                                      "  ret i64 %r\n"
                                      "}\n"
                                      "define internal i64 @never(i64 %a) noinline {\n"
                                      "entry:\n"
                                      "  %r = mul i64 %a, 9\n"
                                      "  ret i64 %r\n"
                                      "}\n"
                                      "define internal i64 @fw3(i64 %a) {\n"
                                      "entry:\n"
                                      "  %r = call i64 @never(i64 %a)\n"
                                      "  ret i64 %r\n"
                                      "}\n"
                                      "define i64 @public(i64 %a) {\n"
                                      "entry:\n"
                                      "  %r = sub i64 %a, 2\n"
                                      "  ret i64 %r\n"
                                      "}\n"
                                      "define internal i64 @fw4(i64 %a) {\n"
                                      "entry:\n"
                                      "  %r = call i64 @public(i64 %a)\n"
                                      "  ret i64 %r\n"
                                      "}\n"
                                      "define i64 @f(i64 %x, i64 %y) {\n"
                                      "entry:\n"
                                      "  %a = call i64 @fw1(i64 %x)\n"
                                      "  %b = call i64 @fw2(i64 %a)\n"
                                      "  %c = call i64 @fw3(i64 %b)\n"
                                      "  %d = call i64 @fw4(i64 %c)\n"
                                      "  %r = add i64 %d, %y\n"
                                      "  ret i64 %r\n"
                                      "}\n"};

/*
 * With debug info: the callee's lines stay its own, as a function inlined at
 * the call (each location of its scope in @f names the call site).
 */
static const struct once_case with_lines = {
    "with_lines", 1,
    "define internal i64 @sub(i64 %a, i64 %b) !dbg !5 {\n"
    "entry:\n"
    "  %s = mul i64 %a, %b, !dbg !8\n"
    "  %r = add i64 %s, %b, !dbg !8\n"
    "  ret i64 %r, !dbg !9\n"
    "}\n"
    "define i64 @f(i64 %x, i64 %y) !dbg !10 {\n"
    "entry:\n"
    "  %r = call i64 @sub(i64 %x, i64 %y), !dbg !11\n"
    "  ret i64 %r, !dbg !11\n"
    "}\n"
    "!llvm.dbg.cu = !{!0}\n"
    "!llvm.module.flags = !{!3, !4}\n"
    "!0 = distinct !DICompileUnit(language: DW_LANG_C99, file: !1, producer: \"test\", "
    "isOptimized: false, runtimeVersion: 0, emissionKind: LineTablesOnly)\n"
    "!1 = !DIFile(filename: \"t.bpf.c\", directory: \"/\")\n"
    "!3 = !{i32 2, !\"Debug Info Version\", i32 3}\n"
    "!4 = !{i32 7, !\"Dwarf Version\", i32 4}\n"
    "!5 = distinct !DISubprogram(name: \"sub\", scope: !1, file: !1, line: 1, type: !6, "
    "scopeLine: 1, spFlags: DISPFlagLocalToUnit | DISPFlagDefinition, unit: !0)\n"
    "!6 = !DISubroutineType(types: !7)\n"
    "!7 = !{}\n"
    "!8 = !DILocation(line: 2, column: 3, scope: !5)\n"
    "!9 = !DILocation(line: 3, column: 3, scope: !5)\n"
    "!10 = distinct !DISubprogram(name: \"f\", scope: !1, file: !1, line: 5, type: !6, "
    "scopeLine: 5, spFlags: DISPFlagDefinition, unit: !0)\n"
    "!11 = !DILocation(line: 6, column: 3, scope: !10)\n"};

static const struct once_case *const cases[] = {
    &wrapper, &two_returns, &void_wrapper, &chain, &kept, &with_lines,
};

/* What the fold left: functions defined, and lines of another scope in @f, inlined or not. */
struct folded {
        int functions, inlined_lines, stray_lines;
};

static int fold(LLVMModuleRef mod, LLVMTargetMachineRef tm, void *arg)
{
        struct folded *n = arg;
        LLVMValueRef f = LLVMGetNamedFunction(mod, "f");
        LLVMMetadataRef sp = LLVMGetSubprogram(f);

        (void)tm;
        inline_once(mod);
        for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn))
                n->functions += !LLVMIsDeclaration(fn);
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); sp && bb;
             bb = LLVMGetNextBasicBlock(bb)) {
                for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i;
                     i = LLVMGetNextInstruction(i)) {
                        LLVMMetadataRef loc = LLVMInstructionGetDebugLoc(i);
                        if (!loc || LLVMDILocationGetScope(loc) == sp)
                                continue;
                        if (LLVMDILocationGetInlinedAt(loc))
                                n->inlined_lines++;
                        else
                                n->stray_lines++;
                }
        }
        return 0;
}

static void check_case(const struct once_case *c)
{
        struct ir_native_pair pair;
        struct folded n = {0};

        if (ir_native_build_pair(c->name, c->ir, fold, &n, "f", &pair)) {
                CHECKF(false, "%s does not build, as written or folded", c->name);
                return;
        }
        CHECKF(n.functions == c->functions, "%s: %d functions left, %d expected", c->name,
               n.functions, c->functions);
        CHECKF(n.stray_lines == 0, "%s: %d lines of the callee in @f are not inlined lines",
               c->name, n.stray_lines);
        if (c == &with_lines)
                CHECKF(n.inlined_lines == 3, "%s: %d inlined lines in @f, 3 expected", c->name,
                       n.inlined_lines);
        CHECKF(ir_native_differ_xy(c->name, &pair) == 0, "%s: returns differently once folded",
               c->name);
        ir_native_pair_free(&pair);
}

int main(void)
{
        compat_init_targets();
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                check_case(cases[i]);
        return TEST_EXIT("inline_once");
}

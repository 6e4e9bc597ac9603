/* SPDX-License-Identifier: MIT */
/*
 * Switch recovery (switches.c) on hand-written IR of the shapes clang's BPF
 * backend and the optimiser leave: each function is compiled to native code
 * twice, as it is and after recovery, and both are run on the same inputs.
 * Recovery must rebuild a switch (or the case tests nothing) and change no
 * result; the recovered module must also pass the IR verifier.
 */
#include "test_util.h"
#include "emit.h"
#include "llvm_compat.h"
#include "switches.h"

#include <inttypes.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/IRReader.h>
#include <stdlib.h>

typedef uint64_t (*fn3)(uint64_t v, uint64_t a, uint64_t b);

struct ir_case {
        const char *name;
        const char *ir; /* defines i64 @f(i64 %v, i64 %a, i64 %b) */
};

/*
 * A two-level compare tree (`v > 2`, then a switch on each side) whose
 * leaves and switch blocks all meet in one phi, in a block that tests v
 * again and whose successors use the phi outside any phi. Following a
 * value through the join block past that test must not leave the uses
 * behind: the join block's value is not defined on the new edges.
 */
static const struct ir_case joined_phi_used_after = {
    "joined_phi_used_after",
    "define i64 @f(i64 %v, i64 %a, i64 %b) {\n"
    "entry:\n"
    "  %hi = icmp sgt i64 %v, 2\n"
    "  br i1 %hi, label %upper, label %lower\n"
    "lower:\n"
    "  switch i64 %v, label %other [ i64 1, label %addr\n"
    "                                i64 2, label %join ]\n"
    "other:\n"
    "  br label %join\n"
    "upper:\n"
    "  switch i64 %v, label %other [ i64 3, label %scaled\n"
    "                                i64 4, label %join\n"
    "                                i64 5, label %addr ]\n"
    "addr:\n"
    "  %x = add i64 %a, -8\n"
    "  br label %join\n"
    "scaled:\n"
    "  %y = mul i64 %b, 7\n"
    "  br label %join\n"
    "join:\n"
    "  %r = phi i64 [ %y, %scaled ], [ 1000, %other ], [ %x, %addr ],\n"
    "              [ 2000, %lower ], [ 3000, %upper ]\n"
    "  %is5 = icmp eq i64 %v, 5\n"
    "  %den = or i64 %b, 1\n"
    "  br i1 %is5, label %five, label %rest\n"
    "five:\n"
    "  %q = udiv i64 %r, %den\n"
    "  br label %exit\n"
    "rest:\n"
    "  %s = udiv i64 %r, 3\n"
    "  %t = add i64 %s, %r\n"
    "  br label %exit\n"
    "exit:\n"
    "  %res = phi i64 [ %q, %five ], [ %t, %rest ]\n"
    "  ret i64 %res\n"
    "}\n",
};

/*
 * A dense switch lowered to a tree whose leaves yield constants into one
 * phi; recovery rebuilds it and lets SimplifyCFG make a table.
 */
static const struct ir_case constant_leaves = {
    "constant_leaves",
    "define i64 @f(i64 %v, i64 %a, i64 %b) {\n"
    "entry:\n"
    "  %lt4 = icmp ult i64 %v, 4\n"
    "  br i1 %lt4, label %low, label %high\n"
    "low:\n"
    "  %lt2 = icmp ult i64 %v, 2\n"
    "  br i1 %lt2, label %l01, label %l23\n"
    "l01:\n"
    "  %is0 = icmp eq i64 %v, 0\n"
    "  %c01 = select i1 %is0, i64 17, i64 23\n"
    "  br label %join\n"
    "l23:\n"
    "  %is2 = icmp eq i64 %v, 2\n"
    "  br i1 %is2, label %join, label %three\n"
    "three:\n"
    "  br label %join\n"
    "high:\n"
    "  %lt6 = icmp ult i64 %v, 6\n"
    "  br i1 %lt6, label %l45, label %dflt\n"
    "l45:\n"
    "  %is4 = icmp eq i64 %v, 4\n"
    "  %c45 = select i1 %is4, i64 91, i64 5\n"
    "  br label %join\n"
    "dflt:\n"
    "  %d = add i64 %a, %b\n"
    "  br label %join\n"
    "join:\n"
    "  %r = phi i64 [ %c01, %l01 ], [ 42, %l23 ], [ 77, %three ], [ %c45, %l45 ], [ %d, %dflt ]\n"
    "  ret i64 %r\n"
    "}\n",
};

/*
 * Operands that are undef or poison in `mod`. The rewrite leaves none of its
 * own: a value it left undefined on a new edge becomes undef when the
 * blocks no value reaches are deleted, and may then compute anything.
 */
static unsigned undef_operands(LLVMModuleRef mod)
{
        unsigned n = 0;

        for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn))
                for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb;
                     bb = LLVMGetNextBasicBlock(bb))
                        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i;
                             i = LLVMGetNextInstruction(i))
                                for (int k = 0; k < LLVMGetNumOperands(i); k++)
                                        n += LLVMIsUndef(LLVMGetOperand(i, k)) ||
                                             LLVMIsPoison(LLVMGetOperand(i, k));
        return n;
}

struct native {
        struct bpfaot_jit *jit;
        fn3 f;
        int rebuilt;
};

/* `c`'s IR compiled to native code, with switch recovery or without. */
static int build(const struct ir_case *c, bool recover, struct native *out)
{
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, o);
        struct bpfaot_error err = {0};
        struct bpfaot_buf obj = {0};
        LLVMContextRef ctx = LLVMContextCreate();
        LLVMMemoryBufferRef mb =
            LLVMCreateMemoryBufferWithMemoryRangeCopy(c->ir, strlen(c->ir), c->name);
        LLVMTargetMachineRef tm = NULL;
        LLVMModuleRef mod = NULL;
        LLVMTargetDataRef td;
        char *msg = NULL, *triple;
        int ret = -1;

        memset(out, 0, sizeof(*out));
        if (LLVMParseIRInContext(ctx, mb, &mod, &msg)) {
                CHECKF(false, "%s: IR does not parse: %s", c->name, msg);
                goto done;
        }
        if (emit_target_machine(&o, 2, &tm, &err)) {
                CHECKF(false, "%s: %s", c->name, err.msg);
                goto done;
        }
        triple = LLVMGetTargetMachineTriple(tm);
        LLVMSetTarget(mod, triple);
        LLVMDisposeMessage(triple);
        td = LLVMCreateTargetDataLayout(tm);
        LLVMSetModuleDataLayout(mod, td);
        LLVMDisposeTargetData(td);
        if (recover) {
                unsigned undefs = undef_operands(mod);
                out->rebuilt = switches_recover(mod);
                CHECKF(undef_operands(mod) <= undefs,
                       "%s: undef operands: %u before recovery, %u after", c->name, undefs,
                       undef_operands(mod));
                if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg)) {
                        CHECKF(false, "%s: recovery made invalid IR: %s", c->name, msg);
                        goto done;
                }
                LLVMDisposeMessage(msg);
                msg = NULL;
        }
        if (emit_output(mod, tm, BPFAOT_OUTPUT_OBJECT, &obj, &err) ||
            bpfaot_jit__load(obj.data, obj.len, c->name, NULL, &out->jit, &err)) {
                CHECKF(false, "%s: %s", c->name, err.msg);
                goto done;
        }
        out->f = (fn3)bpfaot_jit__lookup(out->jit, "f", &err);
        CHECKF(out->f, "%s: %s", c->name, err.msg);
        ret = out->f ? 0 : -1;
done:
        if (msg)
                LLVMDisposeMessage(msg);
        bpfaot_buf_free(&obj);
        if (mod)
                LLVMDisposeModule(mod);
        if (tm)
                LLVMDisposeTargetMachine(tm);
        LLVMContextDispose(ctx);
        return ret;
}

/* Values of v around every case and far from them, in both signs. */
static const uint64_t vs[] = {
    0,          1,         2, 3, 4, 5, 6, 7, 8, 100, (uint64_t)-1, (uint64_t)-2, (uint64_t)-5,
    1ull << 32, 1ull << 63};
static const uint64_t others[] = {0, 1, 9, 0x1234, (uint64_t)-3};

static void check_case(const struct ir_case *c)
{
        struct native plain, recovered;
        int diffs = 0;

        if (build(c, false, &plain))
                return;
        if (build(c, true, &recovered)) {
                bpfaot_jit__free(plain.jit);
                return;
        }
        CHECKF(recovered.rebuilt >= 1, "%s: no switch rebuilt (%d)", c->name, recovered.rebuilt);
        for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++)
                for (size_t j = 0; j < sizeof(others) / sizeof(others[0]); j++)
                        for (size_t k = 0; k < sizeof(others) / sizeof(others[0]); k++) {
                                uint64_t got = recovered.f(vs[i], others[j], others[k]);
                                uint64_t want = plain.f(vs[i], others[j], others[k]);
                                if (got != want && diffs++ < 8)
                                        CHECKF(false,
                                               "%s: f(0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64
                                               ") = 0x%" PRIx64 " after recovery, 0x%" PRIx64
                                               " before",
                                               c->name, vs[i], others[j], others[k], got, want);
                                test_checks++;
                        }
        bpfaot_jit__free(plain.jit);
        bpfaot_jit__free(recovered.jit);
}

int main(void)
{
        compat_init_targets();
        check_case(&joined_phi_used_after);
        check_case(&constant_leaves);
        return TEST_EXIT("switches");
}

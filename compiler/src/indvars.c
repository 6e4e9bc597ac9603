/* SPDX-License-Identifier: MIT */
/*
 * Offsets that move in step with a counter, re-expressed through it.
 *
 * clang's eBPF backend strength-reduces `a[i]` in a loop to a pointer
 * register stepped beside the counter (`r1 += 4; r2 += 1`), and the
 * translator keeps that pointer's offset from its object as a second
 * induction variable. Native clang hands the loop vectoriser one counter and
 * `a[i]` as a scaled index, which costs nothing in its model (addressing
 * modes scale); the second variable's add made vectorising look profitable
 * where native code stays scalar (matmul's `acc += c[i] * (i + 1)` became a
 * 64-bit vector multiply, slower than the scalar loop).
 *
 * This pass, run just before the loop vectoriser, finds two induction
 * variables of one loop header, `a = phi [A, pre], [a + s*k, latch]` and
 * `b = phi [B, pre], [b + k, latch]` with constant starts and steps and s
 * 1, 2, 4 or 8, where `a` is used only as the offset of byte GEPs from an
 * object (argument, global, alloca) and by its own step. Then a = s*b + d
 * with d = A - s*B on every iteration (mod 2^64, as the adds wrap), and each
 * `gep i8, X, a` becomes `gep iS, (gep i8, X, d), b`: the same address,
 * computed without `inbounds` (X + d may lie outside X's object), so no
 * poison is added. `a` and its step are then dead and go.
 */
#include "indvars.h"
#include "llvm_compat.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define MAX_IVS 32 /* induction variables looked at per loop header */

struct iv {
        LLVMValueRef phi, next; /* phi = [start, pre], [next = phi + step, latch] */
        LLVMBasicBlockRef pre, latch;
        uint64_t start, step;
        bool gone; /* rewritten through another */
};

static bool const_int(LLVMValueRef v, uint64_t *out)
{
        if (!v || !LLVMIsAConstantInt(v))
                return false;
        *out = (uint64_t)LLVMConstIntGetSExtValue(v);
        return true;
}

/* `phi` as an induction variable with a constant start and step. */
static bool read_iv(LLVMValueRef phi, struct iv *iv)
{
        LLVMTypeRef t = LLVMTypeOf(phi);

        if (LLVMGetTypeKind(t) != LLVMIntegerTypeKind || LLVMGetIntTypeWidth(t) != 64 ||
            LLVMCountIncoming(phi) != 2)
                return false;
        for (unsigned i = 0; i < 2; i++) {
                LLVMValueRef start = LLVMGetIncomingValue(phi, i);
                LLVMValueRef next = LLVMGetIncomingValue(phi, 1 - i);
                LLVMValueRef op0, op1;

                if (!const_int(start, &iv->start) || !LLVMIsAInstruction(next) ||
                    LLVMGetInstructionOpcode(next) != LLVMAdd)
                        continue;
                op0 = LLVMGetOperand(next, 0);
                op1 = LLVMGetOperand(next, 1);
                if (!((op0 == phi && const_int(op1, &iv->step)) ||
                      (op1 == phi && const_int(op0, &iv->step))) ||
                    iv->step == 0)
                        continue;
                iv->phi = phi;
                iv->next = next;
                iv->pre = LLVMGetIncomingBlock(phi, i);
                iv->latch = LLVMGetIncomingBlock(phi, 1 - i);
                iv->gone = false;
                return true;
        }
        return false;
}

/* An object's address: the same value on every iteration of any loop. */
static bool invariant_base(LLVMValueRef x)
{
        return LLVMIsAArgument(x) || LLVMIsAGlobalValue(x) || LLVMIsAAllocaInst(x);
}

/* `u` is `gep i8, X, v` with X invariant. */
static bool byte_gep_of(LLVMValueRef u, LLVMValueRef v)
{
        LLVMTypeRef src;

        if (!LLVMIsAGetElementPtrInst(u) || LLVMGetNumOperands(u) != 2 ||
            LLVMGetOperand(u, 1) != v || !invariant_base(LLVMGetOperand(u, 0)))
                return false;
        src = LLVMGetGEPSourceElementType(u);
        return LLVMGetTypeKind(src) == LLVMIntegerTypeKind && LLVMGetIntTypeWidth(src) == 8;
}

/* `a` is used only by its step and byte GEPs, and its step only by `a`. */
static bool only_addresses(const struct iv *a)
{
        for (LLVMUseRef u = LLVMGetFirstUse(a->next); u; u = LLVMGetNextUse(u))
                if (LLVMGetUser(u) != a->phi)
                        return false;
        for (LLVMUseRef u = LLVMGetFirstUse(a->phi); u; u = LLVMGetNextUse(u)) {
                LLVMValueRef user = LLVMGetUser(u);

                if (user != a->next && !byte_gep_of(user, a->phi))
                        return false;
        }
        return true;
}

/* s with a->step == s * b->step, s in 1, 2, 4, 8; 0 if none. */
static unsigned scale_of(const struct iv *a, const struct iv *b)
{
        for (unsigned s = 1; s <= 8; s *= 2)
                if (a->step == s * b->step)
                        return s;
        return 0;
}

/* Rewrite each `gep i8, X, a` as `gep iS, (gep i8, X, d), b`; drop `a`. */
static void rewrite(LLVMBuilderRef bld, struct iv *a, const struct iv *b, unsigned s)
{
        LLVMContextRef ctx = LLVMGetTypeContext(LLVMTypeOf(a->phi));
        LLVMTypeRef i8 = LLVMInt8TypeInContext(ctx), i64 = LLVMInt64TypeInContext(ctx);
        LLVMTypeRef elem = LLVMIntTypeInContext(ctx, 8 * s);
        uint64_t d = a->start - (uint64_t)s * b->start;
        LLVMUseRef u;

        while ((u = LLVMGetFirstUse(a->phi))) {
                LLVMValueRef g = LLVMGetUser(u), base, idx[1], scaled;

                if (g == a->next) { /* the step's use: look past it */
                        u = LLVMGetNextUse(u);
                        if (!u)
                                break;
                        g = LLVMGetUser(u);
                }
                LLVMPositionBuilderBefore(bld, g);
                base = LLVMGetOperand(g, 0);
                if (d) {
                        idx[0] = LLVMConstInt(i64, d, false);
                        base = LLVMBuildGEP2(bld, i8, base, idx, 1, "");
                }
                idx[0] = b->phi;
                scaled =
                    LLVMBuildGEP2(bld, elem, compat_cast_ptr(bld, ctx, base, elem), idx, 1, "");
                scaled = compat_cast_ptr(bld, ctx, scaled, i8);
                LLVMReplaceAllUsesWith(g, scaled);
                LLVMInstructionEraseFromParent(g);
        }
        /* a and its step only use each other now. */
        LLVMReplaceAllUsesWith(a->phi, LLVMGetUndef(LLVMTypeOf(a->phi)));
        LLVMInstructionEraseFromParent(a->next);
        LLVMInstructionEraseFromParent(a->phi);
        a->gone = true;
}

static int rescale_header(LLVMBuilderRef bld, LLVMBasicBlockRef bb)
{
        struct iv ivs[MAX_IVS];
        size_t n = 0;
        int done = 0;

        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i && LLVMIsAPHINode(i) && n < MAX_IVS;
             i = LLVMGetNextInstruction(i))
                if (read_iv(i, &ivs[n]))
                        n++;
        for (size_t ai = 0; ai < n; ai++) {
                struct iv *a = &ivs[ai];

                if (!only_addresses(a))
                        continue;
                for (size_t bi = 0; bi < n; bi++) {
                        const struct iv *b = &ivs[bi];
                        unsigned s = scale_of(a, b);

                        if (bi == ai || b->gone || !s || b->pre != a->pre || b->latch != a->latch)
                                continue;
                        rewrite(bld, a, b, s);
                        done++;
                        break;
                }
        }
        return done;
}

int indvars_rescale(LLVMModuleRef mod)
{
        LLVMBuilderRef bld = LLVMCreateBuilderInContext(LLVMGetModuleContext(mod));
        int done = 0;

        for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f))
                for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb;
                     bb = LLVMGetNextBasicBlock(bb))
                        done += rescale_header(bld, bb);
        LLVMDisposeBuilder(bld);
        return done;
}

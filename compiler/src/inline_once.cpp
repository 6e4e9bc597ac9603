// SPDX-License-Identifier: MIT
//
// Entry wrappers at -O0 take the body of the function they call (see
// inline_once.h).
//
// Code generation costs a fixed amount per function, however small: some
// forty machine passes are set up and run for it, and it gets a frame, a
// prologue and an unwind entry (about 300,000 instructions executed for a
// function of three, llc -O0). Every program's entry is a wrapper that only
// passes its context to the first sub-program: Debian's eBPF objects gave
// -O0 1,271 functions for 523 programs. The optimiser inlines it at -O1 and
// above anyway. Other sub-programs stay functions of their own, so that -O0
// keeps a native function, a symbol and a frame per eBPF function.
//
// LLVM's InlineFunction clones the callee, which cost as much as the code
// generation it saved. A callee with one call is not needed again, so its
// blocks move into the caller instead: the call's block is split after the
// call, which becomes a branch to the callee's entry, and each return a
// branch back (its value through a phi when there are several). Its lines
// become lines of a function inlined at the call, as -O2's are; the code is
// the same with -g and without.
#include "inline_once.h"

#include <llvm/ADT/SmallVector.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/ADT/DenseMap.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DebugInfoMetadata.h>
#include <llvm/IR/DebugLoc.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Module.h>

#include <iterator>

using namespace llvm;

namespace
{

// The call of a function that only forwards to another: one block of casts, the call, and
// the return of what it returns.
CallInst *forwarded_call(Function &caller)
{
        CallInst *call = nullptr;

        if (caller.isDeclaration() || caller.size() != 1)
                return nullptr;
        for (Instruction &i : caller.front()) {
                if (isa<CastInst>(i) && !call)
                        continue;
                if (isa<CallInst>(i) && !call) {
                        call = cast<CallInst>(&i);
                        continue;
                }
                auto *ret = dyn_cast<ReturnInst>(&i);
                if (!ret || !call)
                        return nullptr;
                Value *v = ret->getReturnValue();
                return (call->getType()->isVoidTy() ? !v : v == call) ? call : nullptr;
        }
        return nullptr;
}

// The callee of `call`, when its body may move there: called from nowhere else.
Function *movable_callee(CallInst *call)
{
        Function *f = call ? call->getCalledFunction() : nullptr;

        if (!f || f->isDeclaration() || !f->hasLocalLinkage() || f->isVarArg() ||
            f->hasFnAttribute(Attribute::NoInline) || !f->hasOneUse() || call->getFunction() == f ||
            call->isMustTailCall() || call->getFunctionType() != f->getFunctionType())
                return nullptr;
        // The code must mean the same where it lands (translated functions all have it).
        if (f->nullPointerIsDefined() != call->getFunction()->nullPointerIsDefined())
                return nullptr;
        return f;
}

// The callee's lines, as lines of a function inlined at the call (none without a place).
void inline_lines(CallInst &call, Function &callee)
{
        LLVMContext &ctx = callee.getContext();
        DILocation *at = call.getDebugLoc().get();
        DenseMap<const MDNode *, MDNode *> cache;

        if (!callee.getSubprogram())
                return;
        if (!at && call.getFunction()->getSubprogram())
                at = DILocation::get(ctx, 0, 0, call.getFunction()->getSubprogram());
        for (BasicBlock &bb : callee) {
                for (Instruction &i : bb) {
                        DebugLoc loc = i.getDebugLoc();
                        if (!loc)
                                continue;
                        if (!at) {
                                i.setDebugLoc(DebugLoc());
                                continue;
                        }
                        // appendInlinedAt gives the new chain of call sites, not the location.
                        DILocation *chain = DebugLoc::appendInlinedAt(loc, at, ctx, cache);
                        i.setDebugLoc(DILocation::get(ctx, loc.getLine(), loc.getCol(),
                                                      loc.getScope(), chain, loc.isImplicitCode()));
                }
        }
}

void move_body(CallInst &call, Function &callee)
{
        Function &caller = *call.getFunction();
        BasicBlock *at = call.getParent();
        BasicBlock *after = at->splitBasicBlock(std::next(call.getIterator()), "after_call");
        BasicBlock *entry = &callee.getEntryBlock();
        BasicBlock::iterator slots_end = caller.getEntryBlock().getFirstInsertionPt();
        SmallVector<ReturnInst *, 4> rets;
        Value *result = nullptr;

        inline_lines(call, callee);
        for (Argument &arg : callee.args())
                arg.replaceAllUsesWith(call.getArgOperand(arg.getArgNo()));
        // Fixed-size slots go where the caller's are: made once per call of the caller.
        while (slots_end != caller.getEntryBlock().end() && isa<AllocaInst>(*slots_end))
                ++slots_end;
        for (Instruction &i : make_early_inc_range(*entry))
                if (auto *a = dyn_cast<AllocaInst>(&i))
                        if (isa<ConstantInt>(a->getArraySize()))
                                a->moveBefore(&*slots_end);
        for (BasicBlock &bb : callee)
                if (auto *ret = dyn_cast<ReturnInst>(bb.getTerminator()))
                        rets.push_back(ret);
#if LLVM_VERSION_MAJOR >= 16
        caller.splice(after->getIterator(), &callee);
#else
        caller.getBasicBlockList().splice(after->getIterator(), callee.getBasicBlockList());
#endif
        at->getTerminator()->eraseFromParent();
        BranchInst::Create(entry, at)->setDebugLoc(call.getDebugLoc());
        if (!call.getType()->isVoidTy() && rets.size() == 1) {
                result = rets[0]->getReturnValue();
        } else if (!call.getType()->isVoidTy() && !rets.empty()) {
                PHINode *phi = PHINode::Create(call.getType(), unsigned(rets.size()), "result");
                phi->insertBefore(&*after->begin());
                for (ReturnInst *ret : rets)
                        phi->addIncoming(ret->getReturnValue(), ret->getParent());
                result = phi;
        }
        for (ReturnInst *ret : rets) {
                BranchInst::Create(after, ret->getParent())->setDebugLoc(ret->getDebugLoc());
                ret->eraseFromParent();
        }
        if (!call.getType()->isVoidTy())
                call.replaceAllUsesWith(result ? result : PoisonValue::get(call.getType()));
        call.eraseFromParent();
}

} // namespace

void inline_once(LLVMModuleRef mod)
{
        Module *m = unwrap(mod);
        SmallVector<CallInst *, 16> calls;

        for (Function &f : *m)
                if (Function *callee = movable_callee(forwarded_call(f)))
                        if (!forwarded_call(*callee)) // a chain stays: its links may move
                                calls.push_back(forwarded_call(f));
        for (CallInst *call : calls) {
                Function *callee = call->getCalledFunction();
                move_body(*call, *callee);
                callee->eraseFromParent();
        }
}

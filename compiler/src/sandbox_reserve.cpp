// SPDX-License-Identifier: MIT
//
// Loops that take their share of the loop budget up front (see
// sandbox_reserve.h).
//
// Sandboxed code counts each iteration of each loop (sandbox_loops.c): a
// decrement of the function's count of iterations left and a branch to tell
// the run when it runs out, a call in the loop that costs it registers. A
// loop copy check_hoist.cpp made has a bound n on its back edges, known
// before it starts, and needs no such branch if it may take n + 1
// iterations when it enters:
//  - when n + 1 < left, the function's count has room for them;
//  - otherwise the run is asked for n + 1 and a batch more at once, which go
//    to the count; when the run has no room for them, the checked loop runs
//    instead, counting and failing as any loop does.
// The copy then only decrements the count. It stays exact: the function
// tells the run BATCH - left when its count runs out and when it returns,
// whatever left has become.
//
// Until the loop budget is placed after optimisation, the test on entry is a
// call of a declaration only the compiler knows (ENTER_MARKER), which
// touches no memory the program sees. Optimisation may unroll, vectorise or
// duplicate the loop: every copy is entered through it, and keeps the loop ID
// that marks it (RESERVED_MD). sandbox_loops.c then lowers the call against
// the function's count, and counts a marked loop without the branch only if
// LLVM still sees a bound on its back edges, so that no loop that might not
// end goes untold.
#include "sandbox_reserve.h"

#include "bpfaot/objabi.h"

#include <llvm/ADT/PostOrderIterator.h>
#include <llvm/Analysis/AssumptionCache.h>
#include <llvm/Analysis/CFG.h>
#include <llvm/Analysis/LoopInfo.h>
#include <llvm/Analysis/ScalarEvolution.h>
#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/IR/CFG.h>
#include <llvm/IR/Dominators.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Metadata.h>
#include <llvm/IR/Module.h>
#include <llvm/Transforms/Utils/BasicBlockUtils.h>

#if LLVM_VERSION_MAJOR >= 16
#include <llvm/TargetParser/Triple.h>
#else
#include <llvm/ADT/Triple.h>
#endif

#include <vector>

using namespace llvm;

namespace
{

// i1 (i64 n): may a loop of at most n + 1 iterations enter?
constexpr const char *ENTER_MARKER = "bpfaot.loop.enter";
// The loop ID property of a loop entered through ENTER_MARKER.
constexpr const char *RESERVED_MD = "bpfaot.loop.reserved";

// ENTER_MARKER's declaration: it has effects (it may not be removed or merged
// with another), but on no memory the program can reach.
Function *enter_marker(Module *m)
{
        if (Function *f = m->getFunction(ENTER_MARKER))
                return f;
        LLVMContext &ctx = m->getContext();
        Function *f = Function::Create(
            FunctionType::get(Type::getInt1Ty(ctx), {Type::getInt64Ty(ctx)}, false),
            GlobalValue::ExternalLinkage, ENTER_MARKER, m);
        f->setOnlyAccessesInaccessibleMemory();
        f->setDoesNotThrow();
        f->setWillReturn();
        return f;
}

bool is_reserved_id(const MDNode *id)
{
        for (unsigned i = 1; id && i < id->getNumOperands(); i++) {
                const auto *prop = dyn_cast_or_null<MDNode>(id->getOperand(i).get());
                const auto *name = prop && prop->getNumOperands() == 1
                                       ? dyn_cast_or_null<MDString>(prop->getOperand(0).get())
                                       : nullptr;
                if (name && name->getString() == RESERVED_MD)
                        return true;
        }
        return false;
}

// The calls of marker `name` in `f`.
std::vector<CallInst *> calls_of(Function &f, const char *name)
{
        std::vector<CallInst *> out;
        Function *callee = f.getParent()->getFunction(name);

        if (!callee)
                return out;
        for (User *u : callee->users())
                if (auto *call = dyn_cast<CallInst>(u);
                    call && call->getFunction() == &f && call->getCalledFunction() == callee)
                        out.push_back(call);
        return out;
}

} // namespace

void sandbox_reserve_branch(BasicBlock *bb, Value *n, BasicBlock *yes, BasicBlock *no)
{
        IRBuilder<> b(bb);
        Value *ok = b.CreateCall(enter_marker(bb->getModule()), {n});

        b.CreateCondBr(ok, yes, no);
}

void sandbox_reserve_loop(Loop *l)
{
        LLVMContext &ctx = l->getHeader()->getContext();
        // The loop's ID (a copy shares its original's) with RESERVED_MD added.
        SmallVector<Metadata *, 4> ops = {nullptr};
        if (MDNode *old = l->getLoopID())
                for (unsigned i = 1; i < old->getNumOperands(); i++)
                        ops.push_back(old->getOperand(i));
        ops.push_back(MDNode::get(ctx, {MDString::get(ctx, RESERVED_MD)}));
        MDNode *id = MDNode::getDistinct(ctx, ops);
        id->replaceOperandWith(0, id);
        l->setLoopID(id);
}

extern "C" bool sandbox_reserve_used(LLVMValueRef fn)
{
        Function &f = *unwrap<Function>(fn);

        return !calls_of(f, ENTER_MARKER).empty();
}

namespace
{

// Before a loop: does it enter (see the top of this file)? The marker's
// branch (it has one, unless LLVM made something else of it) becomes
//   head:  br (n + 1 < left), yes, ask
//   ask:   br (the run gives n + 1 + batch), fill, no
//   fill:  left += n + 1 + batch; br yes
void lower_enter(CallInst *call, Value *counter, FunctionCallee ask, uint64_t batch)
{
        LLVMContext &ctx = call->getContext();
        Function *f = call->getFunction();
        BasicBlock *head = call->getParent();
        auto *br = dyn_cast_or_null<BranchInst>(call->getNextNode());
        IRBuilder<> b(call);
        Value *n = call->getArgOperand(0);
        Type *i64 = b.getInt64Ty();
        MDNode *likely = MDBuilder(ctx).createBranchWeights(1 << 20, 1);

        Value *left = b.CreateLoad(i64, counter, "loops_left");
        Value *room = b.CreateICmpULT(n, b.CreateSub(left, b.getInt64(1)));
        BasicBlock *asking = BasicBlock::Create(ctx, "loops_ask", f);
        BasicBlock *fill = BasicBlock::Create(ctx, "loops_given", f);
        b.SetInsertPoint(asking);
        Value *given = b.CreateICmpNE(b.CreateCall(ask, {n, b.getInt64(batch)}), b.getInt64(0));
        b.SetInsertPoint(fill);
        b.CreateStore(b.CreateAdd(b.CreateAdd(left, n), b.getInt64(batch + 1)), counter);

        if (br && br->isConditional() && br->getCondition() == call && call->hasOneUse() &&
            br->getSuccessor(0) != br->getSuccessor(1)) {
                BasicBlock *yes = br->getSuccessor(0), *no = br->getSuccessor(1);
                for (PHINode &phi : yes->phis())
                        phi.addIncoming(phi.getIncomingValueForBlock(head), fill);
                for (PHINode &phi : no->phis())
                        phi.replaceIncomingBlockWith(head, asking);
                BranchInst::Create(yes, asking, room, br)
                    ->setMetadata(LLVMContext::MD_prof, likely);
                br->eraseFromParent();
                call->eraseFromParent();
                BranchInst::Create(fill, no, given, asking);
                BranchInst::Create(yes, fill);
                return;
        }
        // Otherwise the answer as a value.
        BasicBlock *tail = SplitBlock(head, call);
        head->getTerminator()->eraseFromParent();
        BranchInst::Create(tail, asking, room, head)->setMetadata(LLVMContext::MD_prof, likely);
        BranchInst::Create(fill, tail, given, asking);
        BranchInst::Create(tail, fill);
        b.SetInsertPoint(call);
        PHINode *entered = b.CreatePHI(b.getInt1Ty(), 3, "entered");
        entered->addIncoming(b.getTrue(), head);
        entered->addIncoming(b.getFalse(), asking);
        entered->addIncoming(b.getTrue(), fill);
        call->replaceAllUsesWith(entered);
        call->eraseFromParent();
}

} // namespace

extern "C" bool sandbox_reserve_lower(LLVMValueRef fn, LLVMValueRef counter_ref, uint64_t batch)
{
        Function &f = *unwrap<Function>(fn);
        Module *m = f.getParent();
        Value *counter = unwrap(counter_ref);
        LLVMContext &ctx = f.getContext();
        Type *i64 = Type::getInt64Ty(ctx);
        std::vector<CallInst *> enters = calls_of(f, ENTER_MARKER);

        if (enters.empty())
                return false;
        FunctionCallee ask = m->getOrInsertFunction(BPFAOT_SANDBOX_RESERVE_SYMBOL,
                                                    FunctionType::get(i64, {i64, i64}, false));
        for (CallInst *call : enters)
                lower_enter(call, counter, ask, batch);
        if (Function *marker = m->getFunction(ENTER_MARKER); marker && marker->use_empty())
                marker->eraseFromParent();
        return true;
}

extern "C" size_t sandbox_reserved_headers(LLVMValueRef fn, LLVMBasicBlockRef *out, size_t cap)
{
        Function &f = *unwrap<Function>(fn);
        bool any = false;
        size_t cnt = 0;

        for (BasicBlock &bb : f)
                if (const Instruction *t = bb.getTerminator())
                        any |= is_reserved_id(t->getMetadata(LLVMContext::MD_loop));
        if (!any)
                return 0;
        DominatorTree dt(f);
        LoopInfo li(dt);
        AssumptionCache ac(f);
        TargetLibraryInfoImpl tlii(Triple(f.getParent()->getTargetTriple()));
        TargetLibraryInfo tli(tlii);
        ScalarEvolution se(f, tli, ac, dt, li);

        // In reducible code every cycle runs through a loop's back edge, and
        // a cycle through a header from outside its loop runs through an outer
        // loop's (counted, or bounded for each entry in turn). Irreducible code
        // may enter a cycle through a loop's header otherwise: count it all.
        ReversePostOrderTraversal<Function *> rpot(&f);
        if (containsIrreducibleCFG<const BasicBlock *>(rpot, li))
                return 0;
        for (Loop *l : li.getLoopsInPreorder())
                if (cnt < cap && is_reserved_id(l->getLoopID()) &&
                    !isa<SCEVCouldNotCompute>(se.getSymbolicMaxBackedgeTakenCount(l)))
                        out[cnt++] = wrap(l->getHeader());
        return cnt;
}

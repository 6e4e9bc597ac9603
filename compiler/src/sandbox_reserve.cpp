// SPDX-License-Identifier: MIT
//
// Loops that take their share of the loop budget up front (see
// sandbox_reserve.h).
//
// Sandboxed code counts each iteration of each loop (sandbox_loops.c): a
// decrement of the function's count of iterations left and a branch to tell
// the run when it runs out, a call in the loop that costs it registers. A
// loop copy check_hoist.cpp made has a bound n on its back edges, known
// before it starts, and counts nothing while it runs:
//  - on entry, when n + 1 < left, the function's count has room for its
//    iterations; otherwise the run is asked for n + 1 and a batch more at
//    once, which go to the count; when the run has no room for them, the
//    checked loop runs instead, counting and failing as any loop does;
//  - at each exit, the k + 1 iterations it made come off the count, k told by
//    an induction variable it has anyway: k = (iv - start) / step.
// The count stays exact: the function tells the run BATCH - left when its
// count runs out and when it returns, whatever left has become. Where such
// loops nest, the count may go below 0 inside, which the next counted loop
// or the return hands on: the run learns of it late, by no more than the
// bounds of the copies running.
//
// Until the loop budget is placed after optimisation, entering and leaving
// are calls of two declarations only the compiler knows (ENTER_MARKER,
// LEAVE_MARKER), which touch no memory the program sees. Optimisation may
// unroll, vectorise or duplicate the loop: every copy is entered through the
// test and left through the count, and keeps the loop ID that marks it
// (RESERVED_MD). sandbox_loops.c then lowers the calls against the
// function's count, and leaves a marked loop's header uncounted only if LLVM
// still sees a bound on its back edges, so that no loop that might not end
// goes uncounted.
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
// void (i64 iv, i64 start, i64 step): the loop leaves after iteration
// k = (iv - start) / step. Kept apart until lowered, so that LLVM's strength
// reduction does not make an induction variable of the count.
constexpr const char *LEAVE_MARKER = "bpfaot.loop.leave";
// The loop ID property of a loop entered through ENTER_MARKER.
constexpr const char *RESERVED_MD = "bpfaot.loop.reserved";
// A step that tells iterations by a shift. k * step stays below 2^63: a loop
// enters with n < left - 1, and a count grows only when the run gives it
// n + 1 + batch for an n it did not have room for (n < BPFAOT_SANDBOX_MAX_RESERVE),
// so left, and k <= n, stay below 4 * BPFAOT_SANDBOX_MAX_RESERVE.
constexpr uint64_t MAX_STEP = uint64_t(1) << 12;
static_assert(4 * BPFAOT_SANDBOX_MAX_RESERVE <= (uint64_t(1) << 63) / MAX_STEP, "k * step < 2^63");

// A marker's declaration: it has effects (it may not be removed or merged
// with another), but on no memory the program can reach.
Function *marker(Module *m, const char *name, Type *ret, unsigned params)
{
        if (Function *f = m->getFunction(name))
                return f;
        SmallVector<Type *, 3> i64s(params, Type::getInt64Ty(m->getContext()));
        Function *f = Function::Create(FunctionType::get(ret, i64s, false),
                                       GlobalValue::ExternalLinkage, name, m);
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
        Value *ok = b.CreateCall(marker(bb->getModule(), ENTER_MARKER, b.getInt1Ty(), 1), {n});

        b.CreateCondBr(ok, yes, no);
}

static unsigned log2_of(int64_t step)
{
        unsigned shift = 0;

        for (uint64_t mag = step < 0 ? -(uint64_t)step : (uint64_t)step; mag > 1; mag >>= 1)
                shift++;
        return shift;
}

bool sandbox_reserve_step_ok(int64_t step)
{
        uint64_t mag = step < 0 ? -(uint64_t)step : (uint64_t)step;

        return mag && mag <= MAX_STEP && (mag & (mag - 1)) == 0;
}

void sandbox_reserve_loop(Loop *l, PHINode *iv, int64_t step)
{
        LLVMContext &ctx = l->getHeader()->getContext();
        Function *f = l->getHeader()->getParent();
        Function *leave = marker(f->getParent(), LEAVE_MARKER, Type::getVoidTy(ctx), 3);
        Value *start = iv->getIncomingValueForBlock(l->getLoopPreheader());

        // Every way out gets a block of its own that says where the loop leaves
        // (each edge, even two of one branch to one block, a phi entry each).
        std::vector<BasicBlock *> blocks(l->block_begin(), l->block_end());
        for (BasicBlock *from : blocks) {
                Instruction *term = from->getTerminator();
                for (unsigned i = 0, cnt = term->getNumSuccessors(); i < cnt; i++) {
                        BasicBlock *to = term->getSuccessor(i);
                        if (l->contains(to))
                                continue;
                        BasicBlock *out = BasicBlock::Create(ctx, to->getName() + ".left", f, to);
                        IRBuilder<> b(out);
                        b.CreateCall(leave, {iv, start, b.getInt64((uint64_t)step)});
                        b.CreateBr(to);
                        term->setSuccessor(i, out);
                        for (PHINode &phi : to->phis())
                                phi.setIncomingBlock(
                                    static_cast<unsigned>(phi.getBasicBlockIndex(from)), out);
                }
        }
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

        return !calls_of(f, ENTER_MARKER).empty() || !calls_of(f, LEAVE_MARKER).empty();
}

namespace
{

// At a loop's exit: its k + 1 iterations come off the function's count.
void lower_leave(CallInst *call, Value *counter)
{
        IRBuilder<> b(call);
        auto *c = dyn_cast<ConstantInt>(call->getArgOperand(2));
        int64_t step = c ? c->getSExtValue() : 0;

        if (sandbox_reserve_step_ok(step)) { // sandbox_reserve_loop makes no other
                // k = (iv - start) / step, exactly (MAX_STEP). The freeze keeps strength
                // reduction from carrying the count through the loop as an induction
                // variable of its own.
                Value *iv = b.CreateFreeze(call->getArgOperand(0));
                Value *start = call->getArgOperand(1);
                Value *k = step > 0 ? b.CreateSub(iv, start) : b.CreateSub(start, iv);
                k = b.CreateLShr(k, log2_of(step), "iter");
                Value *left = b.CreateLoad(b.getInt64Ty(), counter);
                b.CreateStore(b.CreateSub(b.CreateSub(left, k), b.getInt64(1)), counter);
        }
        call->eraseFromParent();
}

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
        std::vector<CallInst *> leaves = calls_of(f, LEAVE_MARKER);

        for (CallInst *call : leaves)
                lower_leave(call, counter);
        if (Function *marker = m->getFunction(LEAVE_MARKER); marker && marker->use_empty())
                marker->eraseFromParent();
        if (enters.empty())
                return !leaves.empty();
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

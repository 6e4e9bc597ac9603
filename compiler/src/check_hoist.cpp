// SPDX-License-Identifier: MIT
//
// Loops whose sandbox checks can be proven before them get a copy without
// the checks (see check_hoist.h).
//
// translate.c checks an access the analysis cannot prove with
//   br (icmp ult (addr - base), limit), %ok, %slow
// where %slow calls the runtime's check (BPFAOT_SANDBOX_CHECK_SYMBOL), which
// allows the access or ends the run (or, for a group of accesses, checks
// each again first). In a loop, addr - base is often an induction variable
// {a, +, s}. The loop's other exits (not the checks') that every iteration
// passes bound how often it takes its back edge, n, as SCEV counts them:
// memcmp's `i < len` in an early-exit loop. Every value the check sees is
// then a + s*k with k <= n, and all of them pass when
//   s > 0:  a <u limit  and  n <=u (limit - 1 - a) / s
//   s < 0:  a <u limit  and  n <=u a / -s
// (each bound keeps every a + s*k inside [0, limit), with no wrap). When
// that holds on entry, a copy of the loop whose checks branch on `true`
// runs instead (loop versioning); the copy has the same exits but the
// checks', so the same n bounds it. Otherwise the loop runs as it was and
// fails at the same access. Without side exits the copy can be vectorised.
// The innermost such loop of a function is copied first, at most
// MAX_VERSIONED_LOOPS of them, none larger than MAX_LOOP_SIZE.
//
// SCEV, its expander and loop cloning have no C API: with llvm_target.cpp
// and jit_rtdyld.cpp, one of the uses of LLVM beyond it.
#include "check_hoist.h"
#include "sandbox_reserve.h"

#include "bpfaot/objabi.h"

#include <llvm/Analysis/AssumptionCache.h>
#include <llvm/Analysis/LoopInfo.h>
#include <llvm/Analysis/ScalarEvolution.h>
#include <llvm/Analysis/ScalarEvolutionExpressions.h>
#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/IR/Dominators.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Metadata.h>
#include <llvm/IR/Module.h>
#include <llvm/Transforms/Utils/BasicBlockUtils.h>
#include <llvm/Transforms/Utils/Cloning.h>
#include <llvm/Transforms/Utils/LoopSimplify.h>
#include <llvm/Transforms/Utils/LoopUtils.h>
#include <llvm/Transforms/Utils/ScalarEvolutionExpander.h>
#include <llvm/Transforms/Utils/ValueMapper.h>

#if LLVM_VERSION_MAJOR >= 16
#include <llvm/TargetParser/Triple.h>
#else
#include <llvm/ADT/Triple.h>
#endif

#include <utility>
#include <vector>

using namespace llvm;

namespace
{

// Marks a check whose loop has an unchecked copy already.
constexpr const char *VERSIONED_MD = "bpfaot.versioned";
// Copies per function at most: each doubles a loop (and the loops in it).
constexpr unsigned MAX_VERSIONED_LOOPS = 16;
// Loops larger than this (in instructions) are not copied.
constexpr size_t MAX_LOOP_SIZE = 2000;

// A range check {start, +, step} <u limit of one loop.
struct range_check {
        ICmpInst *cmp;
        const SCEV *start;
        int64_t step;
        Value *limit;
};

// One branch whose success the loop's range checks decide.
struct candidate {
        Loop *loop;
        const SCEV *max_backedges;
        BranchInst *branch;
        bool passes;                     // the condition's value when the check passes
        std::vector<range_check> checks; // any one of them passing passes the branch
};

// Is `bb` the slow path of a sandbox check: does it call the runtime's check,
// or (a group check's slow path checks each access again) only test
// something and branch to such a block, `depth` branches deep?
bool is_slow_path(const BasicBlock *bb, unsigned depth)
{
        for (const Instruction &i : *bb)
                if (const auto *call = dyn_cast<CallInst>(&i))
                        if (const Function *f = call->getCalledFunction())
                                if (f->getName() == BPFAOT_SANDBOX_CHECK_SYMBOL)
                                        return true;
        const auto *br = dyn_cast<BranchInst>(bb->getTerminator());
        if (!depth || !br || !br->isConditional())
                return false;
        for (const Instruction &i : *bb)
                if (i.mayReadOrWriteMemory())
                        return false;
        return is_slow_path(br->getSuccessor(0), depth - 1) !=
               is_slow_path(br->getSuccessor(1), depth - 1);
}

// The branch weights of `br` (translate.c gives every check's branch
// 2^20 : 1 for passing, compat_set_likely), if it has them.
bool branch_weights(const BranchInst *br, uint64_t *w0, uint64_t *w1)
{
        const MDNode *md = br->getMetadata(LLVMContext::MD_prof);
        unsigned n = md ? md->getNumOperands() : 0;

        if (n < 3)
                return false;
        const auto *name = dyn_cast<MDString>(md->getOperand(0));
        const auto *c0 = mdconst::dyn_extract<ConstantInt>(md->getOperand(n - 2));
        const auto *c1 = mdconst::dyn_extract<ConstantInt>(md->getOperand(n - 1));
        if (!name || name->getString() != "branch_weights" || !c0 || !c1)
                return false;
        *w0 = c0->getZExtValue();
        *w1 = c1->getZExtValue();
        return true;
}

// Which successor of `br` is a check's slow path: 0, 1, or -1 (not a check).
// A check's branch all but always passes, and its other side is a slow path.
int slow_successor(const BranchInst *br)
{
        uint64_t w0, w1;

        if (!br || !br->isConditional() || !branch_weights(br, &w0, &w1))
                return -1;
        int slow = w0 / 1024 >= w1 ? 1 : w1 / 1024 >= w0 ? 0 : -1;
        return slow >= 0 && is_slow_path(br->getSuccessor(slow), 1) ? slow : -1;
}

bool safe_to_expand(ScalarEvolution &se, SCEVExpander &exp, const SCEV *s, const Instruction *at)
{
#if LLVM_VERSION_MAJOR >= 15
        (void)se;
        return exp.isSafeToExpandAt(s, at);
#else
        (void)exp;
        return isSafeToExpandAt(s, at, se);
#endif
}

// `cond` (its value when the check passes: `passes`) as {start, +, step} <u
// limit in loop `l`, limit invariant there. x != limit passes whenever x <u
// limit does, so that it is proven by the same test (LLVM's induction
// simplification turns x <u limit into x != limit where it can).
bool as_range_check(ScalarEvolution &se, SCEVExpander &exp, Loop *l, const Instruction *at,
                    Value *cond, bool passes, range_check *out)
{
        auto *cmp = dyn_cast<ICmpInst>(cond);
        Value *x, *limit;

        if (!cmp || !cmp->getOperand(0)->getType()->isIntegerTy(64))
                return false;
        ICmpInst::Predicate pred =
            passes ? cmp->getPredicate() : ICmpInst::getInversePredicate(cmp->getPredicate());
        x = cmp->getOperand(0);
        limit = cmp->getOperand(1);
        if (pred == ICmpInst::ICMP_UGT || (pred == ICmpInst::ICMP_NE && l->isLoopInvariant(x)))
                std::swap(x, limit);
        else if (pred != ICmpInst::ICMP_ULT && pred != ICmpInst::ICMP_NE)
                return false;
        if (!l->isLoopInvariant(limit))
                return false;
        const auto *ar = dyn_cast<SCEVAddRecExpr>(se.getSCEV(x));
        if (!ar || ar->getLoop() != l || !ar->isAffine())
                return false;
        const auto *step = dyn_cast<SCEVConstant>(ar->getStepRecurrence(se));
        if (!step)
                return false;
        int64_t s = step->getAPInt().getSExtValue();
        // |s| below 2^32: the bound's division is exact, and no step is 0.
        if (s == 0 || s > INT64_C(0xffffffff) || s < -INT64_C(0xffffffff))
                return false;
        if (!safe_to_expand(se, exp, ar->getStart(), at))
                return false;
        *out = {cmp, ar->getStart(), s, limit};
        return true;
}

// The range checks among the operands of an or-tree `cond` (depth 2).
void collect_checks(ScalarEvolution &se, SCEVExpander &exp, Loop *l, const Instruction *at,
                    Value *cond, bool passes, unsigned depth, std::vector<range_check> &out)
{
        range_check rc;
        Value *a, *b;

        if (as_range_check(se, exp, l, at, cond, passes, &rc)) {
                out.push_back(rc);
                return;
        }
        // Only an or-tree of passing conditions passes when one of them does.
        if (depth == 0 || !passes)
                return;
        if (auto *bo = dyn_cast<BinaryOperator>(cond); bo && bo->getOpcode() == Instruction::Or) {
                a = bo->getOperand(0);
                b = bo->getOperand(1);
        } else if (auto *sel = dyn_cast<SelectInst>(cond)) {
                // select c, true, d: the poison-safe or
                auto *t = dyn_cast<ConstantInt>(sel->getTrueValue());
                if (!t || !t->isOne())
                        return;
                a = sel->getCondition();
                b = sel->getFalseValue();
        } else {
                return;
        }
        collect_checks(se, exp, l, at, a, passes, depth - 1, out);
        collect_checks(se, exp, l, at, b, passes, depth - 1, out);
}

// Is `bb`'s branch a check that leaves the loop only when it fails?
bool is_check_exit(const Loop *l, const BasicBlock *bb)
{
        const auto *br = dyn_cast<BranchInst>(bb->getTerminator());
        int slow = slow_successor(br);

        return slow >= 0 && l->contains(br->getSuccessor(1 - slow)) &&
               !l->contains(br->getSuccessor(slow));
}

// At most how often `l` takes its back edge, whatever its checks do: the least
// count of its other exits that every iteration passes (they dominate the
// latch), which stay the same in an unchecked copy.
const SCEV *max_backedges(DominatorTree &dt, ScalarEvolution &se, Loop *l)
{
        SmallVector<BasicBlock *, 8> exiting;
        SmallVector<const SCEV *, 8> counts;
        BasicBlock *latch = l->getLoopLatch();

        if (!latch)
                return se.getCouldNotCompute();
        l->getExitingBlocks(exiting);
        for (BasicBlock *bb : exiting) {
                if (is_check_exit(l, bb) || !dt.dominates(bb, latch))
                        continue;
                const SCEV *c = se.getExitCount(l, bb);
                if (isa<SCEVCouldNotCompute>(c))
                        c = se.getExitCount(l, bb, ScalarEvolution::ConstantMaximum);
                if (!isa<SCEVCouldNotCompute>(c) && c->getType()->isIntegerTy(64))
                        counts.push_back(c);
        }
        if (counts.empty())
                return se.getCouldNotCompute();
        return se.getUMinFromMismatchedTypes(counts);
}

// The first blocks of the slow paths of `l`'s group checks (where each
// access is checked again): the checks they dominate go with the group's.
std::vector<BasicBlock *> group_slow_paths(Loop *l)
{
        std::vector<BasicBlock *> heads;

        for (BasicBlock *b : l->blocks()) {
                const auto *br = dyn_cast<BranchInst>(b->getTerminator());
                int slow = slow_successor(br);
                if (slow < 0)
                        continue;
                BasicBlock *s = br->getSuccessor(slow);
                if (!is_slow_path(s, 0) && s->getSinglePredecessor() == b)
                        heads.push_back(s);
        }
        return heads;
}

bool dominated_by_any(DominatorTree &dt, const std::vector<BasicBlock *> &heads, BasicBlock *bb)
{
        for (BasicBlock *h : heads)
                if (dt.dominates(h, bb))
                        return true;
        return false;
}

void find_candidates(DominatorTree &dt, LoopInfo &li, ScalarEvolution &se, SCEVExpander &exp,
                     std::vector<candidate> &out)
{
        for (Loop *l : li.getLoopsInPreorder()) {
                BasicBlock *preheader = l->getLoopPreheader();
                size_t size = 0;

                if (!preheader)
                        continue;
                for (BasicBlock *bb : l->blocks())
                        size += bb->size();
                if (size > MAX_LOOP_SIZE)
                        continue;
                const SCEV *n = max_backedges(dt, se, l);
                const Instruction *at = preheader->getTerminator();
                if (isa<SCEVCouldNotCompute>(n) || !n->getType()->isIntegerTy(64) ||
                    !safe_to_expand(se, exp, n, at))
                        continue;
                std::vector<BasicBlock *> slow_heads = group_slow_paths(l);
                for (BasicBlock *bb : l->blocks()) {
                        // Once per iteration: blocks of inner loops run more often.
                        if (li.getLoopFor(bb) != l)
                                continue;
                        auto *br = dyn_cast<BranchInst>(bb->getTerminator());
                        int slow = slow_successor(br);
                        if (slow < 0 || br->getMetadata(VERSIONED_MD) ||
                            dominated_by_any(dt, slow_heads, bb))
                                continue;
                        candidate c = {l, n, br, slow == 1, {}};
                        collect_checks(se, exp, l, at, br->getCondition(), slow == 1, 2, c.checks);
                        if (!c.checks.empty())
                                out.push_back(std::move(c));
                }
        }
}

// In the preheader: does every value of `rc` over n + 1 iterations pass?
Value *all_pass(IRBuilder<> &b, SCEVExpander &exp, const range_check &rc, Value *n)
{
        Instruction *at = &*b.GetInsertPoint();
        Type *i64 = b.getInt64Ty();
        Value *start = exp.expandCodeFor(rc.start, i64, at);
        Value *first = b.CreateICmpULT(start, rc.limit);
        Value *room;

        if (rc.step > 0) {
                Value *left = b.CreateSub(b.CreateSub(rc.limit, b.getInt64(1)), start);
                room = b.CreateUDiv(left, b.getInt64((uint64_t)rc.step));
        } else {
                room = b.CreateUDiv(start, b.getInt64((uint64_t)-rc.step));
        }
        // select, not and: `room` means nothing (it may have wrapped) when `first` fails.
        return b.CreateSelect(first, b.CreateICmpULE(n, room), b.getFalse());
}

// The condition, in the preheader, under which every branch of `cands` passes
// for n + 1 iterations.
Value *all_branches_pass(IRBuilder<> &b, SCEVExpander &exp, const std::vector<candidate> &cands,
                         Value *n)
{
        Value *all = nullptr;

        for (const candidate &c : cands) {
                Value *any = nullptr;

                for (const range_check &rc : c.checks) {
                        Value *p = all_pass(b, exp, rc, n);
                        any = any ? b.CreateSelect(any, b.getTrue(), p) : p;
                }
                all = all ? b.CreateSelect(all, any, b.getFalse()) : any;
        }
        return all;
}

// A phi of `l`'s header that tells its iterations (sandbox_reserve_loop): an
// induction variable of the least step, *step.
PHINode *iteration_phi(ScalarEvolution &se, Loop *l, int64_t *step)
{
        PHINode *best = nullptr;

        for (PHINode &phi : l->getHeader()->phis()) {
                if (!phi.getType()->isIntegerTy(64))
                        continue;
                const auto *ar = dyn_cast<SCEVAddRecExpr>(se.getSCEV(&phi));
                const auto *c = ar && ar->getLoop() == l && ar->isAffine()
                                    ? dyn_cast<SCEVConstant>(ar->getStepRecurrence(se))
                                    : nullptr;
                int64_t s = c ? c->getAPInt().getSExtValue() : 0;
                if (sandbox_reserve_step_ok(s) &&
                    (!best || (s < 0 ? -s : s) < (*step < 0 ? -*step : *step))) {
                        best = &phi;
                        *step = s;
                }
        }
        return best;
}

// Loop `l` (in LCSSA form) gets a copy whose branches `cands` always pass,
// run instead of it when `all` holds on entry and, where an induction
// variable tells the copy's iterations, the loop budget has room for the
// n + 1 it may make (sandbox_reserve.cpp); a copy told by none counts its
// iterations as any loop does.
void version_loop(Function &f, DominatorTree &dt, LoopInfo &li, ScalarEvolution &se, Loop *l,
                  Value *all, Value *n, const std::vector<candidate> &cands)
{
        int64_t step = 0;
        PHINode *iv = iteration_phi(se, l, &step);

        BasicBlock *check = l->getLoopPreheader();
        BasicBlock *orig_ph = SplitBlock(check, check->getTerminator(), &dt, &li, nullptr,
                                         l->getHeader()->getName() + ".checked");
        ValueToValueMapTy vmap;
        SmallVector<BasicBlock *, 32> blocks;
        SmallVector<BasicBlock *, 8> exits;
        Loop *fast =
            cloneLoopWithPreheader(orig_ph, check, l, vmap, ".unchecked", &li, &dt, blocks);

        remapInstructionsInBlocks(blocks, vmap);
        Instruction *term = check->getTerminator();
        if (iv) {
                // The copy tests the loop budget once, for all its iterations.
                BasicBlock *reserve =
                    BasicBlock::Create(f.getContext(), l->getHeader()->getName() + ".reserve", &f,
                                       fast->getLoopPreheader());
                BranchInst::Create(reserve, orig_ph, all, term);
                sandbox_reserve_branch(reserve, n, fast->getLoopPreheader(), orig_ph);
        } else {
                BranchInst::Create(fast->getLoopPreheader(), orig_ph, all, term);
        }
        term->eraseFromParent();
        // Exits are shared: their phis (LCSSA's among them) take the copy's values too.
        l->getUniqueExitBlocks(exits);
        for (BasicBlock *exit : exits)
                for (PHINode &phi : exit->phis())
                        for (unsigned i = 0, n = phi.getNumIncomingValues(); i < n; i++) {
                                BasicBlock *from = phi.getIncomingBlock(i);
                                if (!l->contains(from))
                                        continue;
                                Value *v = phi.getIncomingValue(i);
                                Value *mapped = vmap.lookup(v);
                                phi.addIncoming(mapped ? mapped : v, cast<BasicBlock>(vmap[from]));
                        }
        LLVMContext &ctx = f.getContext();
        for (const candidate &c : cands) {
                cast<BranchInst>(vmap[c.branch])->setCondition(ConstantInt::getBool(ctx, c.passes));
                c.branch->setMetadata(VERSIONED_MD, MDNode::get(ctx, {}));
        }
        if (iv)
                sandbox_reserve_loop(fast, cast<PHINode>(vmap[iv]), step);
}

// Version the innermost loop that has proven checks; false when none has.
bool version_one(Function &f)
{
        DominatorTree dt(f);
        LoopInfo li(dt);
        AssumptionCache ac(f);

        // A preheader to compute the condition in, and exits only the loop enters.
        for (Loop *l : li)
                simplifyLoop(l, &dt, &li, nullptr, &ac, nullptr, false);
        TargetLibraryInfoImpl tlii(Triple(f.getParent()->getTargetTriple()));
        TargetLibraryInfo tli(tlii);
        ScalarEvolution se(f, tli, ac, dt, li);
        SCEVExpander exp(se, f.getParent()->getDataLayout(), "sbx.range");
        std::vector<candidate> cands, mine;
        Loop *best = nullptr;

        find_candidates(dt, li, se, exp, cands);
        for (const candidate &c : cands)
                if (!best || c.loop->getLoopDepth() > best->getLoopDepth())
                        best = c.loop;
        if (!best)
                return false;
        for (candidate &c : cands)
                if (c.loop == best)
                        mine.push_back(std::move(c));
        IRBuilder<> b(best->getLoopPreheader()->getTerminator());
        Value *n =
            exp.expandCodeFor(mine.front().max_backedges, b.getInt64Ty(), &*b.GetInsertPoint());
        Value *all = all_branches_pass(b, exp, mine, n);
        formLCSSARecursively(*best, dt, &li, &se);
        version_loop(f, dt, li, se, best, all, n, mine);
        return true;
}

} // namespace

extern "C" unsigned check_hoist(LLVMModuleRef mod)
{
        Module *m = unwrap(mod);
        unsigned done = 0;

        for (Function &f : *m) {
                if (f.isDeclaration())
                        continue;
                for (unsigned n = 0; n < MAX_VERSIONED_LOOPS && version_one(f); n++)
                        done++;
        }
        return done;
}

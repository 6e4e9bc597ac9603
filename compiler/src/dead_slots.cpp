// SPDX-License-Identifier: MIT
//
// Dead stores to register slots, for -O0 (see dead_slots.h).
//
// At -O0 the translated code keeps each eBPF register in a stack slot and
// goes to code generation unoptimised; a block stores every register it
// wrote (translate.c stores each one once, at the block's end). Many of those
// values are never read: r1-r5 are zeroed after every call and nearly always
// written again before the next read, and scratch values die at the next
// write. Code generation costs about the same per IR instruction, so the
// stores and what only they used are worth removing: about a tenth of the
// instructions of Debian's eBPF objects at -O0. A backward liveness of the
// slots over the blocks, a bit per slot, finds them; no analysis that
// LLVM's own dead store elimination would build is needed, since no slot's
// address escapes.
#include "dead_slots.h"

#include <llvm/ADT/DenseMap.h>
#include <llvm/ADT/SmallVector.h>
#include <llvm/IR/CFG.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/ValueHandle.h>
#include <llvm/Transforms/Utils/Local.h>

#include <cstdint>
#include <vector>

using namespace llvm;

namespace
{

// At most this many slots a function: one bit each.
constexpr unsigned MAX_SLOTS = 64;

// A slot: read and written only whole, by plain loads and stores, and its address never taken.
bool plain_slot(const AllocaInst *a)
{
        Type *ty = a->getAllocatedType();

        if (!ty->isIntegerTy(64) || a->isArrayAllocation())
                return false;
        for (const User *u : a->users()) {
                if (const auto *l = dyn_cast<LoadInst>(u)) {
                        if (!l->isSimple() || l->getType() != ty)
                                return false;
                } else if (const auto *s = dyn_cast<StoreInst>(u)) {
                        if (!s->isSimple() || s->getPointerOperand() != a ||
                            s->getValueOperand()->getType() != ty)
                                return false;
                } else {
                        return false;
                }
        }
        return true;
}

// The slot bit an access of `ptr` touches, or 0.
uint64_t slot_bit(const DenseMap<const Value *, unsigned> &slots, const Value *ptr)
{
        auto it = slots.find(ptr);
        return it == slots.end() ? 0 : uint64_t(1) << it->second;
}

void prune_function(Function &f)
{
        DenseMap<const Value *, unsigned> slots;
        DenseMap<const BasicBlock *, unsigned> index;
        std::vector<BasicBlock *> blocks;
        SmallVector<Instruction *, 16> dead;

        for (Instruction &i : f.getEntryBlock())
                if (auto *a = dyn_cast<AllocaInst>(&i))
                        if (slots.size() < MAX_SLOTS && plain_slot(a))
                                slots.try_emplace(a, unsigned(slots.size()));
        if (slots.empty())
                return;

        // Per block: the slots read before written in it (use), and those written (def).
        for (BasicBlock &bb : f) {
                index.try_emplace(&bb, unsigned(blocks.size()));
                blocks.push_back(&bb);
        }
        std::vector<uint64_t> use(blocks.size()), def(blocks.size()), live_in(blocks.size());
        for (size_t b = 0; b < blocks.size(); b++) {
                for (Instruction &i : *blocks[b]) {
                        if (auto *l = dyn_cast<LoadInst>(&i))
                                use[b] |= slot_bit(slots, l->getPointerOperand()) & ~def[b];
                        else if (auto *s = dyn_cast<StoreInst>(&i))
                                def[b] |= slot_bit(slots, s->getPointerOperand());
                }
        }
        auto live_out = [&](size_t b) {
                uint64_t out = 0;
                for (const BasicBlock *succ : successors(blocks[b]))
                        out |= live_in[index.lookup(succ)];
                return out;
        };
        // Blocks in reverse order: translated code mostly runs forward, so few rounds.
        for (bool changed = true; changed;) {
                changed = false;
                for (size_t b = blocks.size(); b-- > 0;) {
                        uint64_t in = use[b] | (live_out(b) & ~def[b]);
                        if (in != live_in[b]) {
                                live_in[b] = in;
                                changed = true;
                        }
                }
        }
        for (size_t b = 0; b < blocks.size(); b++) {
                uint64_t live = live_out(b);
                for (Instruction &i : reverse(*blocks[b])) {
                        if (auto *l = dyn_cast<LoadInst>(&i)) {
                                live |= slot_bit(slots, l->getPointerOperand());
                        } else if (auto *s = dyn_cast<StoreInst>(&i)) {
                                uint64_t bit = slot_bit(slots, s->getPointerOperand());
                                if (bit && !(live & bit))
                                        dead.push_back(s);
                                live &= ~bit;
                        }
                }
        }
        // What only a dead store used goes too, slots left unused included (registers the
        // function never reads: no frame index to lay out). `slots` may then name freed ones.
        slots.clear();
        for (Instruction *s : dead) {
                // Either may go with the other (a slot's value loaded from itself): handles.
                WeakTrackingVH v = cast<StoreInst>(s)->getValueOperand();
                WeakTrackingVH slot = cast<StoreInst>(s)->getPointerOperand();
                s->eraseFromParent();
                if (v)
                        RecursivelyDeleteTriviallyDeadInstructions(v);
                if (slot)
                        RecursivelyDeleteTriviallyDeadInstructions(slot);
        }
}

} // namespace

void dead_slot_stores(LLVMModuleRef mod)
{
        for (Function &f : *unwrap(mod))
                if (!f.isDeclaration())
                        prune_function(f);
}

// SPDX-License-Identifier: MIT
//
// Cutting a module into parts that compile on their own. LLVM's optimiser
// and code generator run on one module in one thread; a long program's
// regions (translate.c) are never-inlined functions, so its module can be
// cut between them and the parts optimised and code-generated on several
// threads, each in an LLVMContext of its own (compile.c), their objects
// then joined (objmerge.c). This is what LLVM's own parallel code
// generation does for LTO (SplitModule), with parts chosen for eBPF: callers
// stay with the callees they may inline, parts are balanced by size, and
// constants are copied where they are read. The module is written as
// bitcode once; each part reads only its own functions' bodies from it
// (lazy loading, which llvm-c lacks: hence C++).
#include "split.h"

#include <llvm/ADT/SmallVector.h>
#include <llvm/ADT/StringMap.h>
#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/Bitcode/BitcodeWriter.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>
#if LLVM_VERSION_MAJOR >= 17
#include <llvm/TargetParser/Triple.h>
#else
#include <llvm/ADT/Triple.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

using namespace llvm;

namespace
{

// Longer callees are not copied into the parts that call them: LLVM would not inline them.
constexpr unsigned IMPORT_INSNS = 1000;

// Functions that must share a part: a caller and the callees it may inline.
struct groups {
        std::vector<unsigned> parent;

        explicit groups(size_t n) : parent(n)
        {
                for (size_t i = 0; i < n; i++)
                        parent[i] = (unsigned)i;
        }
        unsigned find(unsigned x)
        {
                while (parent[x] != x)
                        x = parent[x] = parent[parent[x]];
                return x;
        }
        void unite(unsigned a, unsigned b)
        {
                a = find(a);
                b = find(b);
                if (a != b)
                        parent[std::max(a, b)] = std::min(a, b);
        }
};

// A function that may be inlined (not noinline) and is defined here.
bool inlinable(const Function *f)
{
        return f && !f->isDeclaration() && !f->hasFnAttribute(Attribute::NoInline);
}

// The defined functions each function calls, that may be inlined into it.
std::vector<std::vector<unsigned>>
inlinable_callees(const std::vector<Function *> &fns,
                  const DenseMap<const Function *, unsigned> &index)
{
        std::vector<std::vector<unsigned>> callees(fns.size());

        for (unsigned i = 0; i < fns.size(); i++)
                for (BasicBlock &bb : *fns[i])
                        for (Instruction &in : bb) {
                                auto *call = dyn_cast<CallBase>(&in);
                                Function *callee = call ? call->getCalledFunction() : nullptr;

                                if (!inlinable(callee))
                                        continue;
                                unsigned c = index.lookup(callee);
                                if (std::find(callees[i].begin(), callees[i].end(), c) ==
                                    callees[i].end())
                                        callees[i].push_back(c);
                        }
        return callees;
}

/*
 * Each defined function's part, or none (an empty vector) when the module
 * stays whole. A callee that one function alone calls goes with it (LLVM
 * inlines such a callee whatever its size); one that several call has a
 * part of its own choosing, and the others import it (choose_imports).
 */
std::vector<unsigned> choose_parts(const std::vector<Function *> &fns,
                                   const std::vector<std::vector<unsigned>> &callees,
                                   size_t part_insns, size_t max_parts, size_t *part_cnt)
{
        groups g(fns.size());
        std::vector<size_t> insns(fns.size());
        std::vector<unsigned> callers(fns.size(), 0), only_caller(fns.size(), 0);
        size_t total = 0;

        for (unsigned i = 0; i < fns.size(); i++) {
                insns[i] = fns[i]->getInstructionCount();
                total += insns[i];
                for (unsigned c : callees[i]) {
                        callers[c]++;
                        only_caller[c] = i;
                }
        }
        for (unsigned c = 0; c < fns.size(); c++)
                if (callers[c] == 1)
                        g.unite(c, only_caller[c]);
        size_t want = part_insns ? std::min(max_parts, total / part_insns) : 0;
        if (want < 2)
                return {};

        // A group's root is its first function in module order (groups::unite keeps the least).
        std::vector<size_t> group_insns(fns.size(), 0);
        std::vector<unsigned> roots;
        for (unsigned i = 0; i < fns.size(); i++) {
                unsigned r = g.find(i);
                if (r == i)
                        roots.push_back(r);
                group_insns[r] += insns[i];
        }
        if (roots.size() < 2)
                return {};
        // Largest group first onto the lightest part (ties: module order), so parts even out.
        std::sort(roots.begin(), roots.end(), [&](unsigned a, unsigned b) {
                if (group_insns[a] != group_insns[b])
                        return group_insns[a] > group_insns[b];
                return a < b;
        });
        want = std::min(want, roots.size());
        std::vector<size_t> load(want, 0);
        std::vector<unsigned> bin_of_root(fns.size(), 0);
        for (unsigned r : roots) {
                size_t lightest =
                    (size_t)(std::min_element(load.begin(), load.end()) - load.begin());
                bin_of_root[r] = (unsigned)lightest;
                load[lightest] += group_insns[r];
        }
        // Number the parts by their first function, so part 0 holds the module's first.
        std::vector<unsigned> number(want, ~0u);
        unsigned next = 0;
        std::vector<unsigned> part(fns.size());
        for (unsigned i = 0; i < fns.size(); i++) {
                unsigned bin = bin_of_root[g.find(i)];
                if (number[bin] == ~0u)
                        number[bin] = next++;
                part[i] = number[bin];
        }
        *part_cnt = next;
        return part;
}

// What the threads read: the whole module's bitcode, and where each defined function goes.
struct split_impl {
        SmallVector<char, 0> bitcode;
        StringMap<unsigned> index;               // a defined function's, by name
        std::vector<unsigned> part;              // each function's part
        std::vector<std::vector<bool>> imported; // [part][function]: an available_externally copy
        StringMap<std::vector<bool>> copied;     // a constant's parts other than 0 that read it
};

/*
 * Each part imports the callees of its functions that another part defines
 * and that may be inlined, when they are short enough to be (a copy that
 * is only read, available_externally), and theirs in turn.
 */
void choose_imports(split_impl *impl, const std::vector<Function *> &fns,
                    const std::vector<std::vector<unsigned>> &callees, size_t cnt)
{
        impl->imported.assign(cnt, std::vector<bool>(fns.size(), false));
        for (unsigned k = 0; k < cnt; k++) {
                std::vector<unsigned> work;

                for (unsigned i = 0; i < fns.size(); i++)
                        if (impl->part[i] == k)
                                work.push_back(i);
                while (!work.empty()) {
                        unsigned f = work.back();

                        work.pop_back();
                        for (unsigned c : callees[f]) {
                                if (impl->part[c] == k || impl->imported[k][c] ||
                                    fns[c]->getInstructionCount() > IMPORT_INSNS)
                                        continue;
                                impl->imported[k][c] = true;
                                work.push_back(c);
                        }
                }
        }
}

// Mark in `parts` each part whose code, or whose copy of a constant, refers to `v`.
void referring_parts(const Value *v, const split_impl &impl,
                     const DenseMap<const Function *, unsigned> &index, bool code_only,
                     std::vector<bool> &parts)
{
        for (const User *u : v->users()) {
                if (const auto *in = dyn_cast<Instruction>(u)) {
                        unsigned f = index.lookup(in->getFunction());

                        parts[impl.part[f]] = true;
                        for (size_t k = 0; k < parts.size(); k++)
                                if (impl.imported[k][f])
                                        parts[k] = true;
                } else if (const auto *gv = dyn_cast<GlobalVariable>(u)) {
                        if (code_only)
                                continue;
                        // Part 0 defines data; constants are copied where code reads them.
                        parts[0] = true;
                        auto it = impl.copied.find(gv->getName());
                        for (size_t k = 0; it != impl.copied.end() && k < parts.size(); k++)
                                if (it->second[k])
                                        parts[k] = true;
                } else if (isa<Constant>(u) && !isa<GlobalValue>(u)) {
                        referring_parts(u, impl, index, code_only, parts);
                } else {
                        parts.assign(parts.size(), true); // anything else: every part
                }
        }
}

// Constants that code of parts other than 0 reads are copied into them (available_externally).
void choose_copies(Module &m, split_impl &impl, const DenseMap<const Function *, unsigned> &index,
                   size_t cnt)
{
        for (GlobalVariable &v : m.globals()) {
                if (v.isDeclaration() || !v.isConstant() || !v.hasName())
                        continue;
                std::vector<bool> parts(cnt, false);

                referring_parts(&v, impl, index, true, parts);
                parts[0] = false;
                if (std::find(parts.begin(), parts.end(), true) != parts.end())
                        impl.copied[v.getName()] = std::move(parts);
        }
}

/*
 * A local symbol that another part refers to becomes a hidden global that
 * it can name, and is recorded; one that only its own part uses stays
 * local, so that LLVM still inlines and removes it as in the whole module.
 */
int externalise(Module &m, const split_impl &impl,
                const DenseMap<const Function *, unsigned> &index, size_t cnt, struct split *out)
{
        std::vector<GlobalValue *> locals;

        for (GlobalValue &gv : m.global_values()) {
                if (!gv.hasLocalLinkage())
                        continue;
                std::vector<bool> parts(cnt, false);
                const auto *f = dyn_cast<Function>(&gv);
                unsigned owner = f && !f->isDeclaration() ? impl.part[index.lookup(f)] : 0;

                referring_parts(&gv, impl, index, false, parts);
                parts[owner] = false;
                if (std::find(parts.begin(), parts.end(), true) != parts.end())
                        locals.push_back(&gv);
        }
        out->locals =
            (struct split_symbol *)calloc(locals.size() ? locals.size() : 1, sizeof(*out->locals));
        if (!out->locals)
                return -ENOMEM;
        for (GlobalValue *gv : locals) {
                struct split_symbol *s = &out->locals[out->local_cnt];

                s->unnamed = !gv->hasName();
                if (s->unnamed)
                        gv->setName("bpfaot.local"); // made unique by LLVM: bpfaot.local.1, ...
                s->name = strdup(gv->getName().str().c_str());
                if (!s->name)
                        return -ENOMEM;
                s->linkage = LLVMGetLinkage(wrap(gv));
                out->local_cnt++;
                gv->setLinkage(GlobalValue::ExternalLinkage);
                gv->setVisibility(GlobalValue::HiddenVisibility);
                gv->setDSOLocal(true);
        }
        return 0;
}

} // namespace

extern "C" int split_module(LLVMModuleRef ref, size_t part_insns, size_t max_parts,
                            struct split *out)
{
        Module &m = *unwrap(ref);
        std::vector<Function *> fns;
        DenseMap<const Function *, unsigned> index;
        size_t cnt = 0;

        std::memset(out, 0, sizeof(*out));
        for (Function &f : m)
                if (!f.isDeclaration()) {
                        if (!f.hasName())
                                return 0; // the parts find functions by name
                        index[&f] = (unsigned)fns.size();
                        fns.push_back(&f);
                }
        std::vector<std::vector<unsigned>> callees = inlinable_callees(fns, index);
        std::vector<unsigned> part = choose_parts(fns, callees, part_insns, max_parts, &cnt);
        if (part.empty())
                return 0;

        auto *impl = new (std::nothrow) split_impl;
        out->impl = impl;
        out->insns = (size_t *)calloc(cnt, sizeof(*out->insns));
        if (!impl || !out->insns) {
                split_free(out);
                return -ENOMEM;
        }
        out->cnt = cnt;
        impl->part = std::move(part);
        for (unsigned i = 0; i < fns.size(); i++) {
                out->insns[impl->part[i]] += fns[i]->getInstructionCount();
                impl->index[fns[i]->getName()] = i;
        }
        choose_imports(impl, fns, callees, cnt);
        choose_copies(m, *impl, index, cnt);
        if (externalise(m, *impl, index, cnt, out)) {
                split_free(out);
                return -ENOMEM;
        }
        // Written once; each part reads its own functions' bodies only (lazy loading).
        raw_svector_ostream os(impl->bitcode);
        WriteBitcodeToFile(m, os);
        return 0;
}

extern "C" int split_load_part(const struct split *s, size_t k, LLVMContextRef ctx,
                               LLVMModuleRef *out)
{
        const auto *impl = static_cast<const split_impl *>(s->impl);
        MemoryBufferRef buf(StringRef(impl->bitcode.data(), impl->bitcode.size()), "split");
        Expected<std::unique_ptr<Module>> lazy = getLazyBitcodeModule(buf, *unwrap(ctx));

        *out = nullptr;
        if (!lazy) {
                consumeError(lazy.takeError());
                return -EINVAL;
        }
        std::unique_ptr<Module> m = std::move(*lazy);
        std::vector<GlobalValue *> unused; // local to another part: gone once bodies are read
        for (Function &f : *m) {
                auto it = impl->index.find(f.getName());

                if (it == impl->index.end() || impl->part[it->second] == k)
                        continue;
                if (f.hasLocalLinkage())
                        unused.push_back(&f);
                if (impl->imported[k][it->second]) // for inlining; its part emits it
                        f.setLinkage(GlobalValue::AvailableExternallyLinkage);
                else // another part's function, its body never read: a declaration here
                        f.deleteBody();
        }
        for (GlobalVariable &v : m->globals()) {
                if (!k || v.isDeclaration())
                        continue;
                auto copy = impl->copied.find(v.getName());

                if (v.hasLocalLinkage()) {
                        unused.push_back(&v);
                } else if (copy != impl->copied.end() && copy->second[k]) {
                        // Read here: known to the optimiser, defined by part 0 alone.
                        v.setLinkage(GlobalValue::AvailableExternallyLinkage);
                } else { // a declaration: defined by part 0
                        v.setInitializer(nullptr);
                        v.setLinkage(GlobalValue::ExternalLinkage);
                }
        }
        if (Error e = m->materializeAll()) {
                consumeError(std::move(e));
                return -EINVAL;
        }
        for (GlobalValue *gv : unused) {
                if (auto *v = dyn_cast<GlobalVariable>(gv))
                        v->setInitializer(nullptr);
                gv->removeDeadConstantUsers(); // initializers dropped above
                if (!gv->use_empty())
                        return -EINVAL; // split_module's bookkeeping is wrong
                gv->eraseFromParent();
        }
        *out = wrap(m.release());
        return 0;
}

extern "C" void split_restore_locals(LLVMModuleRef ref, const struct split *s)
{
        Module &m = *unwrap(ref);

        for (size_t i = 0; i < s->local_cnt; i++) {
                GlobalValue *gv = m.getNamedValue(s->locals[i].name);

                if (!gv)
                        continue; // optimised away
                gv->setVisibility(GlobalValue::DefaultVisibility);
                LLVMSetLinkage(wrap(gv), s->locals[i].linkage);
                if (s->locals[i].unnamed)
                        gv->setName("");
        }
}

extern "C" bool split_target_is_elf(const char *triple)
{
        return Triple(triple).isOSBinFormatELF();
}

extern "C" void split_free(struct split *s)
{
        for (size_t i = 0; s->locals && i < s->local_cnt; i++)
                free(s->locals[i].name);
        delete static_cast<split_impl *>(s->impl);
        free(s->insns);
        free(s->locals);
        std::memset(s, 0, sizeof(*s));
}

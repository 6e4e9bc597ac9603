// SPDX-License-Identifier: MIT
//
// One legacy pass manager with the target's code generation passes, kept and
// run on each module in turn. Building that pipeline (some 150 passes at -O2,
// each asking for its analyses) took a tenth of the compile of the small
// programs most objects hold. Between runs the passes start afresh: the
// machine module info and the assembler are reset by the passes' own
// initialisation and finalisation (as for any module a pass manager runs),
// and the output vector is emptied here.
//
// Modules with debug info do not come here: the debug-info writer the
// assembly printer sets up is the one thing of a run not checked to start
// afresh.
#include "codegen.h"

#include <llvm/ADT/SmallVector.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

struct codegen {
        llvm::TargetMachine *tm;
        llvm::legacy::PassManager pm;
        llvm::SmallVector<char, 0> buf;
        llvm::raw_svector_ostream os{buf}; // unbuffered: writes land in buf at once
};

extern "C" struct codegen *codegen_new(LLVMTargetMachineRef tm)
{
        // llvm-c's LLVMTargetMachineRef is a `llvm::TargetMachine *` (TargetMachineC.cpp).
        auto *cg = new (std::nothrow) codegen;

        if (!cg)
                return nullptr;
        cg->tm = reinterpret_cast<llvm::TargetMachine *>(tm);
#if LLVM_VERSION_MAJOR >= 18
        const auto object = llvm::CodeGenFileType::ObjectFile;
#else
        const auto object = llvm::CGFT_ObjectFile;
#endif
        // True: the target cannot emit objects (the C API's error path says so too).
        if (cg->tm->addPassesToEmitFile(cg->pm, cg->os, nullptr, object)) {
                delete cg;
                return nullptr;
        }
        return cg;
}

extern "C" int codegen_run(struct codegen *cg, LLVMModuleRef mod, uint8_t **data, size_t *len)
{
        llvm::Module *m = llvm::unwrap(mod);

        cg->buf.clear();
        m->setDataLayout(cg->tm->createDataLayout()); // as LLVMTargetMachineEmitToMemoryBuffer
        cg->pm.run(*m);
        *len = cg->buf.size();
        *data = static_cast<uint8_t *>(malloc(*len ? *len : 1));
        if (!*data)
                return -ENOMEM;
        memcpy(*data, cg->buf.data(), *len);
        if (cg->buf.capacity() > (16u << 20)) // a long program's: not kept for the next
                llvm::SmallVector<char, 0>().swap(cg->buf);
        return 0;
}

extern "C" void codegen_free(struct codegen *cg)
{
        delete cg;
}

// SPDX-License-Identifier: MIT
/*
 * RuntimeDyld's memory inside one region (jit_memory.h). LLVM's own
 * SectionMemoryManager still lays out the sections, applies their final
 * permissions, invalidates the instruction cache and registers the EH frames
 * (RTDyldMemoryManager), exactly as LLJIT's default does; only the blocks it
 * asks for come from the region instead of separate mmaps anywhere in the
 * address space. Used where COMPAT_JIT_REGION (llvm_compat.h) holds; built on
 * every version so that it keeps compiling.
 */
#include "jit_memory.h"
#include "llvm_compat.h"

#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/RTDyldObjectLinkingLayer.h>
#include <llvm/ExecutionEngine/SectionMemoryManager.h>
#include <llvm/Support/Memory.h>

#include <cerrno>
#include <string>
#include <sys/mman.h>

using namespace llvm;

namespace
{

class RegionMapper final : public SectionMemoryManager::MemoryMapper
{
      public:
        explicit RegionMapper(jit_region *region) : R(region)
        {
        }
        bool overflowed() const
        {
                return Overflowed;
        }
        size_t regionSize() const
        {
                return jit_region_size(R);
        }

        sys::MemoryBlock allocateMappedMemory(SectionMemoryManager::AllocationPurpose,
                                              size_t NumBytes, const sys::MemoryBlock *,
                                              unsigned Flags, std::error_code &EC) override
        {
                size_t size = NumBytes;

                EC = std::error_code();
                if (void *p = jit_region_alloc(R, &size))
                        return sys::MemoryBlock(p, size);
                /*
                 * RuntimeDyld ends the process when an allocation fails, so it
                 * gets memory outside the region to finish with, and
                 * finalizeMemory then fails the link. jit.c sizes the region
                 * from the object so that this does not happen.
                 */
                Overflowed = true;
                return sys::Memory::allocateMappedMemory(NumBytes, nullptr, Flags, EC);
        }

        std::error_code protectMappedMemory(const sys::MemoryBlock &Block, unsigned Flags) override
        {
                size_t page = jit_region_page(R);
                uintptr_t start = (uintptr_t)Block.base() & ~(page - 1);
                uintptr_t end =
                    ((uintptr_t)Block.base() + Block.allocatedSize() + page - 1) & ~(page - 1);
                int prot = 0;

                if (!jit_region_contains(R, (void *)start, end - start))
                        return sys::Memory::protectMappedMemory(Block, Flags);
                if (Flags & sys::Memory::MF_READ)
                        prot |= PROT_READ;
                if (Flags & sys::Memory::MF_WRITE)
                        prot |= PROT_WRITE;
                if (Flags & sys::Memory::MF_EXEC)
                        prot |= PROT_EXEC;
                if (start == end)
                        return std::error_code();
                if (mprotect((void *)start, end - start, prot))
                        return std::error_code(errno, std::generic_category());
                if (Flags & sys::Memory::MF_EXEC)
                        __builtin___clear_cache((char *)Block.base(),
                                                (char *)Block.base() + Block.allocatedSize());
                return std::error_code();
        }

        std::error_code releaseMappedMemory(sys::MemoryBlock &M) override
        {
                if (!jit_region_contains(R, M.base(), M.allocatedSize()))
                        return sys::Memory::releaseMappedMemory(M);
                jit_region_release(R, M.base(), M.allocatedSize());
                M = sys::MemoryBlock();
                return std::error_code();
        }

      private:
        jit_region *R;
        bool Overflowed = false;
};

/* A base of its own so that it is built before, and destroyed after, the SectionMemoryManager. */
struct MapperHolder {
        explicit MapperHolder(jit_region *region) : Mapper(region)
        {
        }
        RegionMapper Mapper;
};

class RegionMemoryManager final : private MapperHolder, public SectionMemoryManager
{
      public:
        explicit RegionMemoryManager(jit_region *region)
            : MapperHolder(region), SectionMemoryManager(&Mapper)
        {
        }

        /* No EH frame stays registered over memory about to be released (idempotent). */
        ~RegionMemoryManager() override
        {
                deregisterEHFrames();
        }

        bool finalizeMemory(std::string *ErrMsg) override
        {
                if (Mapper.overflowed()) {
                        deregisterEHFrames(); /* registered before finalizeMemory */
                        if (ErrMsg)
                                *ErrMsg = "the object's sections do not fit in its " +
                                          std::to_string(Mapper.regionSize()) +
                                          "-byte JIT memory region";
                        return true;
                }
                return SectionMemoryManager::finalizeMemory(ErrMsg);
        }
};

} // namespace

extern "C" LLVMOrcObjectLayerRef
compat_rtdyld_layer_in_region(void *ctx, LLVMOrcExecutionSessionRef es, const char *triple)
{
        auto *region = static_cast<jit_region *>(ctx);
        auto &session = *reinterpret_cast<orc::ExecutionSession *>(es);
        orc::ObjectLayer *layer = new orc::RTDyldObjectLinkingLayer(
            session, [region]() -> std::unique_ptr<RuntimeDyld::MemoryManager> {
                    return std::make_unique<RegionMemoryManager>(region);
            });

        (void)triple;
        return reinterpret_cast<LLVMOrcObjectLayerRef>(layer);
}

/* SPDX-License-Identifier: MIT */
/*
 * Loading a native object into this process with LLVM ORC (LLJIT). Every
 * undefined symbol is resolved through the caller's resolver *before* the
 * object is linked, so a missing helper is reported by name and nothing runs.
 * Where LLJIT links with RuntimeDyld (COMPAT_JIT_REGION), all of the object's
 * memory comes from one region sized from the object (jit_memory.h), so that
 * its 32-bit displacements reach wherever the process's other mappings are.
 */
#include "internal.h"
#include "llvm_compat.h"
#include "elffile.h"
#include "jit_memory.h"

#include <errno.h>
#include <gelf.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct bpfaot_jit {
        LLVMOrcLLJITRef lljit;
        struct jit_region *region; /* COMPAT_JIT_REGION: the object's memory; else NULL */
};

struct resolve_state {
        const struct bpfaot_jit_opts *opts;
        const char *input;
        struct bpfaot_error *err;
        compat_symbol_pair *pairs;
        size_t cnt;
        LLVMOrcLLJITRef lljit;
};

static int host_machine(void)
{
#if defined(__x86_64__)
        return EM_X86_64;
#elif defined(__aarch64__)
        return EM_AARCH64;
#elif defined(__riscv) && __riscv_xlen == 64
        return EM_RISCV;
#else
        return -1;
#endif
}

static int check_machine(const void *obj, size_t len, const char *input, struct bpfaot_error *err)
{
        GElf_Ehdr eh;
        Elf *elf;
        int ret = elffile_open(obj, len, input, &elf, err);

        if (ret)
                return ret;
        gelf_getehdr(elf, &eh);
        if (eh.e_type != ET_REL)
                ret = bpfaot_error_set(err, EINVAL, "%s: not a relocatable object (ELF type %u)",
                                       input, eh.e_type);
        else if (eh.e_machine == EM_BPF)
                ret = bpfaot_error_set(err, EINVAL,
                                       "%s: this is an eBPF object; compile it first with "
                                       "'bpf-aot build'",
                                       input);
        else if ((int)eh.e_machine != host_machine())
                ret = bpfaot_error_set(err, EINVAL,
                                       "%s: object is for ELF machine %u, this host is %d", input,
                                       eh.e_machine, host_machine());
        elf_end(elf);
        return ret;
}

#if COMPAT_JIT_REGION
static uint64_t add_sat(uint64_t a, uint64_t b)
{
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
        return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* Per relocation: room for a stub (at most 20 bytes, AArch64) and a GOT entry, generously. */
#define RELOC_ROOM 64

/* Common symbols of a symbol table: their sizes and alignments. */
static uint64_t commons_bound(Elf_Scn *scn, const GElf_Shdr *sh)
{
        Elf_Data *d = elf_getdata(scn, NULL);
        uint64_t total = 0;
        size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

        for (size_t i = 0; d && i < n; i++) {
                GElf_Sym sym;

                if (gelf_getsym(d, (int)i, &sym) && sym.st_shndx == SHN_COMMON)
                        total = add_sat(total, add_sat(sym.st_size, sym.st_value));
        }
        return total;
}

/*
 * An upper bound of the memory RuntimeDyld and SectionMemoryManager ask for
 * when they load the object: per section (loaded or not) its size, twice its
 * alignment (SectionMemoryManager pads a request by one alignment, then
 * aligns it) and a page (a block of its own); per relocation a stub and a GOT
 * entry; the common symbols; a page each for the GOT, the common symbols and
 * rounding. More than JIT_REGION_MAX fails the load: 32-bit displacements
 * could not cross it.
 */
static int memory_bound(const void *obj, size_t len, const char *input, size_t *out,
                        struct bpfaot_error *err)
{
        uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), total = 4 * page;
        Elf_Scn *scn = NULL;
        Elf *elf;
        int ret = elffile_open(obj, len, input, &elf, err);

        if (ret)
                return ret;
        while ((scn = elf_nextscn(elf, scn))) {
                GElf_Shdr sh;
                uint64_t align;

                if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NULL)
                        continue;
                align = sh.sh_addralign > 16 ? sh.sh_addralign : 16;
                total = add_sat(total, add_sat(sh.sh_size, add_sat(mul_sat(align, 2), page)));
                if ((sh.sh_type == SHT_REL || sh.sh_type == SHT_RELA) && sh.sh_entsize)
                        total = add_sat(total, mul_sat(sh.sh_size / sh.sh_entsize, RELOC_ROOM));
                if (sh.sh_type == SHT_SYMTAB)
                        total = add_sat(total, commons_bound(scn, &sh));
        }
        elf_end(elf);
        if (total > JIT_REGION_MAX)
                return bpfaot_error_set(err, E2BIG,
                                        "%s: too large to load: its sections, stubs and GOT may "
                                        "take %llu bytes, more than the JIT's %zu (they reach each "
                                        "other with 32-bit displacements)",
                                        input, (unsigned long long)total, (size_t)JIT_REGION_MAX);
        *out = (size_t)total;
        return 0;
}
#endif

static int on_undefined(void *ctx, const char *name)
{
        struct resolve_state *st = ctx;
        uint64_t addr = st->opts->resolve ? st->opts->resolve(st->opts->resolve_ctx, name) : 0;
        LLVMJITSymbolFlags flags = {
            LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable, 0};
        compat_symbol_pair *pair;

        if (!addr)
                return bpfaot_error_set(
                    st->err, ENOENT, "%s: undefined symbol '%s'%s", st->input, name,
                    strncmp(name, BPFAOT_HELPER_PREFIX, sizeof(BPFAOT_HELPER_PREFIX) - 1) == 0
                        ? ": no such helper"
                        : "");
        pair = ARRAY_ADD(st->pairs, st->cnt);
        if (!pair)
                return bpfaot_error_nomem(st->err);
        pair->Name = LLVMOrcLLJITMangleAndIntern(st->lljit, name);
        pair->Sym.Address = addr;
        pair->Sym.Flags = flags;
        return 0;
}

static int llvm_error(struct bpfaot_error *err, LLVMErrorRef e, const char *input, const char *what)
{
        char *m = LLVMGetErrorMessage(e);
        int ret = bpfaot_error_set(err, EINVAL, "%s: %s: %s", input, what, m);
        LLVMDisposeErrorMessage(m);
        return ret;
}

int bpfaot_jit__load(const void *obj, size_t obj_len, const char *input_name,
                     const struct bpfaot_jit_opts *opts, struct bpfaot_jit **out,
                     struct bpfaot_error *err)
{
        const char *input = input_name ? input_name : "<object>";
        struct bpfaot_jit_opts o;
        struct resolve_state st = {.opts = &o, .input = input, .err = err};
        LLVMOrcLLJITBuilderRef builder = NULL;
        struct bpfaot_jit *jit;
        LLVMOrcJITDylibRef jd;
        LLVMMemoryBufferRef mb;
        LLVMErrorRef e;
        int ret;

        *out = NULL;
        ret = OPTS_COPY(bpfaot_jit_opts, o, opts, err);
        ret = ret ?: check_machine(obj, obj_len, input, err);
        if (ret)
                return ret;
        compat_init_targets(); /* the native target among them */
        jit = calloc(1, sizeof(*jit));
        if (!jit)
                return bpfaot_error_nomem(err);
#if COMPAT_JIT_REGION
        {
                size_t bound = 0;

                ret = memory_bound(obj, obj_len, input, &bound, err);
                if (ret)
                        goto fail_early;
                ret = jit_region_create(bound, &jit->region);
                if (ret) {
                        ret = bpfaot_error_set(err, -ret,
                                               "%s: cannot reserve %zu bytes for the JIT: %s",
                                               input, bound, strerror(-ret));
                        goto fail_early;
                }
                builder = LLVMOrcCreateLLJITBuilder();
                LLVMOrcLLJITBuilderSetObjectLinkingLayerCreator(
                    builder, compat_rtdyld_layer_in_region, jit->region);
        }
#endif
        e = LLVMOrcCreateLLJIT(&jit->lljit, builder); /* takes the builder, even on an error */
        if (e) {
                jit->lljit = NULL;
                ret = llvm_error(err, e, input, "cannot create the JIT");
                goto fail_early;
        }
        st.lljit = jit->lljit;
        ret = bpfaot_object_undefined_symbols(obj, obj_len, input, on_undefined, &st, err);
        if (ret)
                goto fail;
        jd = LLVMOrcLLJITGetMainJITDylib(jit->lljit);
        if (st.cnt) {
                e = LLVMOrcJITDylibDefine(jd, LLVMOrcAbsoluteSymbols(st.pairs, st.cnt));
                st.cnt = 0; /* the materialization unit owns the names now */
                if (e) {
                        ret = llvm_error(err, e, input, "cannot define symbols");
                        goto fail;
                }
        }
        mb = LLVMCreateMemoryBufferWithMemoryRangeCopy(obj, obj_len, input);
        e = LLVMOrcLLJITAddObjectFile(jit->lljit, jd, mb);
        if (e) {
                ret = llvm_error(err, e, input, "cannot load object");
                goto fail;
        }
        free(st.pairs);
        *out = jit;
        return 0;
fail:
        for (size_t i = 0; i < st.cnt; i++)
                LLVMOrcReleaseSymbolStringPoolEntry(st.pairs[i].Name);
        free(st.pairs);
fail_early:
        bpfaot_jit__free(jit);
        return ret;
}

void *bpfaot_jit__lookup(struct bpfaot_jit *jit, const char *name, struct bpfaot_error *err)
{
        LLVMOrcExecutorAddress addr = 0;
        LLVMErrorRef e = LLVMOrcLLJITLookup(jit->lljit, &addr, name);

        if (e) {
                llvm_error(err, e, name, "lookup failed");
                return NULL;
        }
        return (void *)(uintptr_t)addr;
}

void bpfaot_jit__free(struct bpfaot_jit *jit)
{
        if (!jit)
                return;
        if (jit->lljit) {
                LLVMErrorRef e = LLVMOrcDisposeLLJIT(jit->lljit);
                if (e)
                        LLVMConsumeError(e);
        }
        /* After the JIT: its memory managers release their blocks and EH frames first. */
        jit_region_free(jit->region);
        free(jit);
}

int bpfaot_jit__memory_range(const struct bpfaot_jit *jit, uintptr_t *lo, uintptr_t *hi)
{
        if (!jit->region)
                return -ENOTSUP;
        jit_region_used(jit->region, lo, hi);
        return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Loading a native object into this process with LLVM ORC (LLJIT). Every
 * undefined symbol is resolved through the caller's resolver *before* the
 * object is linked, so a missing helper is reported by name and nothing runs.
 */
#include "internal.h"
#include "llvm_compat.h"
#include "elffile.h"

#include <errno.h>
#include <gelf.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <stdlib.h>
#include <string.h>

struct bpfaot_jit {
        LLVMOrcLLJITRef lljit;
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
        e = LLVMOrcCreateLLJIT(&jit->lljit, NULL);
        if (e) {
                free(jit);
                return llvm_error(err, e, input, "cannot create the JIT");
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
        free(jit);
}

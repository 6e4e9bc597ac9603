/* SPDX-License-Identifier: MIT */
/*
 * Source-level debug info: the programs' line info (clang -g records in
 * .BTF.ext where each instruction comes from) as DWARF, through LLVM's
 * DIBuilder. One compile unit per module; a subprogram per native function
 * (DW_AT_name the eBPF function's; no linkage name, so that addr2line shows it too);
 * a location per translated eBPF instruction. A line from another file
 * than its function's (an inline function of a header) is in a lexical
 * block file of that file.
 */
#include "internal.h"
#include "debuginfo.h"
#include "program.h"

#include <llvm-c/DebugInfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The DWARF version written: 4 is what every debugger, profiler and binutils reads. */
#define DEBUGINFO_DWARF_VERSION 4

struct di_file {
        const char *path;
        LLVMMetadataRef file;
};

/* A scope locations name, and the subprogram it belongs to. */
struct di_scope {
        LLVMMetadataRef scope, sp;
        const char *path; /* its file's path */
};

struct debuginfo {
        LLVMModuleRef mod;
        LLVMContextRef ctx;
        LLVMDIBuilderRef db;
        LLVMMetadataRef cu, fnty;
        bool optimized, finished;
        struct di_file *files;
        size_t file_cnt;
        struct di_scope *scopes; /* sorted by scope once finished */
        size_t scope_cnt;
        /* The function debuginfo_at last set a location in, and its subprogram's file. */
        LLVMValueRef cur_fn;
        LLVMMetadataRef cur_sp;
        const char *cur_path;
        /* The scope scope_for gave last, for a line of file `last_path` in `last_sp`. */
        LLVMMetadataRef last_sp, last_scope;
        const char *last_path;
};

static LLVMMetadataRef get_file(struct debuginfo *d, const char *path)
{
        const char *slash = strrchr(path, '/');
        struct di_file *f;

        for (size_t i = 0; i < d->file_cnt; i++)
                if (strcmp(d->files[i].path, path) == 0)
                        return d->files[i].file;
        f = ARRAY_ADD(d->files, d->file_cnt);
        if (!f)
                return NULL;
        f->path = path;
        if (slash)
                f->file = LLVMDIBuilderCreateFile(d->db, slash + 1, strlen(slash + 1), path,
                                                  (size_t)(slash == path ? 1 : slash - path));
        else
                f->file = LLVMDIBuilderCreateFile(d->db, path, strlen(path), "", 0);
        return f->file;
}

static bool add_scope(struct debuginfo *d, LLVMMetadataRef scope, LLVMMetadataRef sp,
                      const char *path)
{
        struct di_scope *s = ARRAY_ADD(d->scopes, d->scope_cnt);

        if (s)
                *s = (struct di_scope){scope, sp, path};
        return s != NULL;
}

static const struct bpfaot_line *first_line(const struct program *p)
{
        for (size_t i = 0; i < p->prog->line_cnt; i++)
                if (p->prog->lines[i].insn < p->prog->insn_cnt && p->prog->lines[i].file[0])
                        return &p->prog->lines[i];
        return NULL;
}

struct debuginfo *debuginfo_new(LLVMModuleRef mod, const struct bpfaot_prog *progs, size_t cnt,
                                bool optimized, bool *oom)
{
        static const char producer[] = "bpf-aot " BPFAOT_VERSION_STRING;
        const char *path = NULL;
        struct debuginfo *d;
        LLVMMetadataRef file;
        LLVMTypeRef i32;

        *oom = false;
        for (size_t i = 0; i < cnt && !path; i++)
                for (size_t k = 0; k < progs[i].line_cnt && !path; k++)
                        if (progs[i].lines[k].file && progs[i].lines[k].file[0])
                                path = progs[i].lines[k].file;
        if (!path)
                return NULL;
        d = calloc(1, sizeof(*d));
        if (!d) {
                *oom = true;
                return NULL;
        }
        d->mod = mod;
        d->ctx = LLVMGetModuleContext(mod);
        d->optimized = optimized;
        d->db = LLVMCreateDIBuilder(mod);
        file = get_file(d, path);
        if (!file) {
                *oom = true;
                debuginfo_free(d);
                return NULL;
        }
        d->cu = LLVMDIBuilderCreateCompileUnit(
            d->db, LLVMDWARFSourceLanguageC11, file, producer, strlen(producer), optimized, "", 0,
            0, "", 0, LLVMDWARFEmissionFull, 0, false, false, "", 0, "", 0);
        d->fnty = LLVMDIBuilderCreateSubroutineType(d->db, file, NULL, 0, LLVMDIFlagZero);
        i32 = LLVMInt32TypeInContext(d->ctx);
        LLVMAddModuleFlag(mod, LLVMModuleFlagBehaviorWarning, "Dwarf Version", 13,
                          LLVMValueAsMetadata(LLVMConstInt(i32, DEBUGINFO_DWARF_VERSION, false)));
        LLVMAddModuleFlag(
            mod, LLVMModuleFlagBehaviorWarning, "Debug Info Version", 18,
            LLVMValueAsMetadata(LLVMConstInt(i32, LLVMDebugMetadataVersion(), false)));
        return d;
}

/* The eBPF function of `p` holding instruction `insn` (the last starting at or before it). */
static const struct bpfaot_func *func_at(const struct bpfaot_prog *prog, size_t insn)
{
        const struct bpfaot_func *best = NULL;

        for (size_t k = 0; k < prog->func_cnt; k++)
                if (prog->funcs[k].start <= insn && (!best || prog->funcs[k].start > best->start))
                        best = &prog->funcs[k];
        return best;
}

/* The first line holding from `insn` on in its sub-program, or NULL. */
static const struct bpfaot_line *line_from(const struct program *p, size_t insn)
{
        long s = -1;

        for (size_t k = 0; k < p->sp.cnt; k++)
                if (p->sp.start[k] <= insn)
                        s = (long)k;
        for (size_t i = insn; s >= 0 && i < subprogs_end(&p->sp, (size_t)s); i++)
                if (p->lines[i])
                        return p->lines[i];
        return NULL;
}

void debuginfo_function(struct debuginfo *d, const struct program *p, LLVMValueRef fn, size_t insn,
                        enum debuginfo_kind kind)
{
        const struct bpfaot_func *f;
        const struct bpfaot_line *line;
        const char *path, *symbol;
        char name[160];
        size_t symbol_len;
        LLVMMetadataRef file, sp;

        if (!d || !p->lines || !(line = line_from(p, insn) ?: first_line(p)))
                return;
        symbol = LLVMGetValueName2(fn, &symbol_len);
        f = func_at(p->prog, insn);
        if (kind == DEBUGINFO_ENTRY || !f)
                snprintf(name, sizeof(name), "%s", symbol);
        else if (kind == DEBUGINFO_REGION)
                snprintf(name, sizeof(name), "%.120s.region_%zu", f->name, insn);
        else
                snprintf(name, sizeof(name), "%s", f->name);
        path = line->file;
        file = get_file(d, path);
        if (!file)
                return; /* out of memory: this function goes without */
        /* No linkage name: C has none, and addr2line and perf would show it instead. */
        sp = LLVMDIBuilderCreateFunction(d->db, file, name, strlen(name), "", 0, file, line->line,
                                         d->fnty, LLVMGetLinkage(fn) == LLVMInternalLinkage, true,
                                         line->line, LLVMDIFlagZero, d->optimized);
        if (!add_scope(d, sp, sp, path))
                return;
        LLVMSetSubprogram(fn, sp);
}

static LLVMMetadataRef remember(struct debuginfo *d, LLVMMetadataRef sp, const char *path,
                                LLVMMetadataRef scope)
{
        d->last_sp = sp;
        d->last_path = path;
        d->last_scope = scope;
        return scope;
}

/* The scope for a line of file `path` in subprogram `sp` of file `sp_path`. */
static LLVMMetadataRef scope_for(struct debuginfo *d, LLVMMetadataRef sp, const char *sp_path,
                                 const char *path)
{
        LLVMMetadataRef file, lbf;

        if (!path[0] || strcmp(path, sp_path) == 0)
                return sp;
        if (sp == d->last_sp && strcmp(path, d->last_path) == 0)
                return d->last_scope;
        for (size_t i = d->scope_cnt; i-- > 0;)
                if (d->scopes[i].sp == sp && d->scopes[i].scope != sp &&
                    strcmp(d->scopes[i].path, path) == 0)
                        return remember(d, sp, path, d->scopes[i].scope);
        file = get_file(d, path);
        if (!file)
                return sp;
        lbf = LLVMDIBuilderCreateLexicalBlockFile(d->db, sp, file, 0);
        return add_scope(d, lbf, sp, path) ? remember(d, sp, path, lbf) : sp;
}

void debuginfo_at(struct debuginfo *d, const struct program *p, LLVMBuilderRef b, LLVMValueRef fn,
                  size_t idx)
{
        const struct bpfaot_line *line;

        if (!d)
                return;
        if (fn != d->cur_fn) {
                d->cur_fn = fn;
                d->cur_sp = LLVMGetSubprogram(fn);
                d->cur_path = "";
                for (size_t i = 0; d->cur_sp && i < d->scope_cnt; i++)
                        if (d->scopes[i].scope == d->cur_sp)
                                d->cur_path = d->scopes[i].path;
        }
        if (!d->cur_sp) {
                LLVMSetCurrentDebugLocation2(b, NULL);
                return;
        }
        line = p->lines ? p->lines[idx] : NULL;
        LLVMSetCurrentDebugLocation2(
            b, LLVMDIBuilderCreateDebugLocation(
                   d->ctx, line ? line->line : 0, line ? line->col : 0,
                   line ? scope_for(d, d->cur_sp, d->cur_path, line->file) : d->cur_sp, NULL));
}

static int cmp_scope(const void *a, const void *b)
{
        const struct di_scope *x = a, *y = b;
        uintptr_t u = (uintptr_t)x->scope, v = (uintptr_t)y->scope;
        return u < v ? -1 : u > v;
}

/* The subprogram of a scope this module's locations name, or NULL. */
static LLVMMetadataRef scope_sp(const struct debuginfo *d, LLVMMetadataRef scope)
{
        size_t lo = 0, hi = d->scope_cnt;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                uintptr_t m = (uintptr_t)d->scopes[mid].scope, s = (uintptr_t)scope;

                if (m == s)
                        return d->scopes[mid].sp;
                if (m < s)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

static void finish_function(struct debuginfo *d, LLVMValueRef fn)
{
        LLVMMetadataRef sp = LLVMGetSubprogram(fn), zero = NULL, first = NULL;
        LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(fn);

        if (sp) {
                zero = LLVMDIBuilderCreateDebugLocation(d->ctx, 0, 0, sp, NULL);
                first = LLVMDIBuilderCreateDebugLocation(d->ctx, LLVMDISubprogramGetLine(sp), 0, sp,
                                                         NULL);
        }
        for (LLVMBasicBlockRef bb = entry; bb; bb = LLVMGetNextBasicBlock(bb)) {
                LLVMMetadataRef last = bb == entry ? first : zero;

                for (LLVMValueRef in = LLVMGetFirstInstruction(bb); in;
                     in = LLVMGetNextInstruction(in)) {
                        LLVMMetadataRef loc = LLVMInstructionGetDebugLoc(in);

                        if (!sp) {
                                if (loc)
                                        LLVMInstructionSetDebugLoc(in, NULL);
                        } else if (loc && scope_sp(d, LLVMDILocationGetScope(loc)) == sp) {
                                last = loc;
                        } else {
                                LLVMInstructionSetDebugLoc(in, last);
                        }
                }
        }
}

void debuginfo_finish(struct debuginfo *d)
{
        if (!d || d->finished)
                return;
        if (d->scope_cnt > 1)
                qsort(d->scopes, d->scope_cnt, sizeof(*d->scopes), cmp_scope);
        for (LLVMValueRef fn = LLVMGetFirstFunction(d->mod); fn; fn = LLVMGetNextFunction(fn))
                if (LLVMCountBasicBlocks(fn))
                        finish_function(d, fn);
        LLVMDIBuilderFinalize(d->db);
        d->finished = true;
}

void debuginfo_fill_calls(LLVMModuleRef mod)
{
        LLVMContextRef ctx = LLVMGetModuleContext(mod);

        for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
                LLVMMetadataRef sp = LLVMGetSubprogram(fn), zero;

                if (!sp || !LLVMCountBasicBlocks(fn))
                        continue;
                zero = LLVMDIBuilderCreateDebugLocation(ctx, 0, 0, sp, NULL);
                for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb;
                     bb = LLVMGetNextBasicBlock(bb)) {
                        LLVMMetadataRef last = zero;

                        for (LLVMValueRef in = LLVMGetFirstInstruction(bb); in;
                             in = LLVMGetNextInstruction(in)) {
                                LLVMMetadataRef loc = LLVMInstructionGetDebugLoc(in);

                                if (loc)
                                        last = loc;
                                else if (LLVMIsACallInst(in))
                                        LLVMInstructionSetDebugLoc(in, last);
                        }
                }
        }
}

void debuginfo_free(struct debuginfo *d)
{
        if (!d)
                return;
        if (d->db) {
                /* A compilation that failed before debuginfo_finish: resolve what it made. */
                if (!d->finished)
                        LLVMDIBuilderFinalize(d->db);
                LLVMDisposeDIBuilder(d->db);
        }
        free(d->files);
        free(d->scopes);
        free(d);
}

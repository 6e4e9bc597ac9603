/* SPDX-License-Identifier: MIT */
/* eBPF → LLVM IR. */
#ifndef BPFAOT_TRANSLATE_H
#define BPFAOT_TRANSLATE_H

#include "bpfaot/bpfaot.h"

#include <llvm-c/Core.h>

/* The block of each jump target or other leader instruction N is named TRANSLATE_BLOCK_PREFIX "N".
 */
#define TRANSLATE_BLOCK_PREFIX "insn"

struct translate_opts {
        const char *entry_name;
        size_t region_insns; /* split longer sub-programs into regions; 0: never */
        /*
         * Entry names of all programs compiled into the module. A PROG_ARRAY
         * slot the object fills names a program; its native entry is
         * <prefix>__<prog> (the skeleton's name), and the slot is filled only
         * when that entry is one of these, else left empty.
         */
        const char *const *module_entries;
        size_t module_entry_cnt;
        bool inline_maps;  /* bpfaot_compile_opts.inline_maps */
        bool maps_by_fd;   /* bpfaot_compile_opts.maps_by_fd */
        bool whole_object; /* the module holds all programs of one object (objabi_data_span) */
        bool instances;    /* maps and data of the running instance (objabi.h); whole objects */
        bool sandbox;      /* bpfaot_compile_opts.sandbox */
        uint64_t sandbox_max_loops; /* and its budget (0: the default) */
        struct debuginfo *debug;    /* source locations (debuginfo.h), or NULL: none */
};

struct debuginfo;
struct program;

/*
 * Add the functions of the validated program `p` (program_check) to `mod`
 * (whose triple and data layout are already set), and its descriptor
 * <entry>__prog, whose initializer goes to *prog_def (if not NULL).
 */
int translate_prog(const struct program *p, const struct translate_opts *opts, LLVMModuleRef mod,
                   LLVMValueRef *prog_def, struct bpfaot_error *err);

/*
 * Add an object's map tables and the globals of all its data sections to
 * `mod`, whether or not a program uses them: `object` views the object (its
 * maps, data and symbol prefix; no code).
 */
int translate_object_globals(const struct bpfaot_prog *object, LLVMModuleRef mod,
                             struct bpfaot_error *err);

#endif

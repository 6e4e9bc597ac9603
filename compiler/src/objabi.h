/* SPDX-License-Identifier: MIT */
/*
 * The object ABI (bpfaot/objabi.h) on the compiler's side: the LLVM types and
 * constants of its descriptors, made from the header's field tables, and the
 * names of the symbols an object defines.
 */
#ifndef BPFAOT_OBJABI_INTERNAL_H
#define BPFAOT_OBJABI_INTERNAL_H

#include "bpfaot/bpfaot.h"

#include <llvm-c/Core.h>

/* The descriptors of bpfaot/objabi.h (BPFAOT_ABI_STRUCTS). */
enum objabi_struct {
#define OBJABI_STRUCT_ENUM(s, NAME) OBJABI_##NAME,
        BPFAOT_ABI_STRUCTS(OBJABI_STRUCT_ENUM)
#undef OBJABI_STRUCT_ENUM
            OBJABI_STRUCT_CNT
};

/* Field indexes, in table order: OBJABI_<struct>__<field>, e.g. OBJABI_bpfaot_map_def__name. */
#define OBJABI_FIELD_ENUM(s, f, cls, off) OBJABI_##s##__##f,
enum { BPFAOT_ABI_MAP_INLINE_FIELDS(OBJABI_FIELD_ENUM) OBJABI_MAP_INLINE_FIELD_CNT };
enum { BPFAOT_ABI_MAP_DEF_FIELDS(OBJABI_FIELD_ENUM) OBJABI_MAP_DEF_FIELD_CNT };
enum { BPFAOT_ABI_PROG_DEF_FIELDS(OBJABI_FIELD_ENUM) OBJABI_PROG_DEF_FIELD_CNT };
enum { BPFAOT_ABI_TAIL_CALL_RESULT_FIELDS(OBJABI_FIELD_ENUM) OBJABI_TAIL_CALL_RESULT_FIELD_CNT };
#undef OBJABI_FIELD_ENUM

struct objabi_field {
        const char *name;
        enum bpfaot_abi_class cls;
        size_t offset; /* in the C struct */
};

/* One descriptor's field table. */
struct objabi_layout {
        const char *name; /* the C struct's tag */
        const struct objabi_field *fields;
        unsigned field_cnt;
        size_t size;
};

const struct objabi_layout *objabi_layout(enum objabi_struct s);

/* The LLVM type of descriptor `s`, %struct.<tag>, made once per context. */
LLVMTypeRef objabi_type(LLVMContextRef ctx, enum objabi_struct s);
/*
 * A constant of descriptor `s`: integer fields read from `c`, a C struct of
 * that type; pointer field i is ptrs[i] (any pointer constant; NULL: null).
 */
LLVMValueRef objabi_const(LLVMContextRef ctx, enum objabi_struct s, const void *c,
                          const LLVMValueRef *ptrs);

/*
 * Read-only data a host sets before the programs run: in an object of all
 * programs (the skeleton's), a read-only section with variables (`const
 * volatile` settings) is writable memory until the skeleton's __load()
 * makes it read-only, so it starts at a page boundary and fills whole pages
 * of OBJABI_FREEZE_ALIGN (the largest page size of Linux targets). Loads
 * from it are not folded. Other read-only data (string literals, objects
 * compiled a program at a time, which no host sets) stays constant.
 */
#define OBJABI_FREEZE_ALIGN 65536u
/*
 * A read-only section with a variable the skeleton names (not a function's
 * static "f.x"), other than .kconfig.
 */
bool objabi_data_settable(const struct bpfaot_data_sec *d);
/* clang names a function's static variables "func.var": not a C identifier. */
bool objabi_is_identifier(const char *s);
/* The bytes the native global of `d` spans: its size, whole pages when settable. */
uint64_t objabi_data_span(const struct bpfaot_data_sec *d, bool whole_object);

/*
 * Instances (bpfaot_compile_opts.instances): several copies of an object's
 * maps and data in one process. An instance is one block: the object's map
 * slots (as <prefix>__maps), then each data section at the offset
 * objabi_instance_offset() gives. A thread runs programs on one by pointing
 * the thread-local `void *<prefix>__instance` at it, and NULL runs them on
 * the object's own <prefix>__maps and data.
 */
#define OBJABI_SYM_INSTANCE "__instance"
/* Data section k's offset in an instance of an object with `map_cnt` maps. */
uint64_t objabi_instance_offset(const struct bpfaot_data_sec *data, size_t data_cnt, size_t k,
                                size_t map_cnt);
/* The instance's size (data_cnt: all sections) and the alignment of its block. */
uint64_t objabi_instance_size(const struct bpfaot_data_sec *data, size_t data_cnt, size_t map_cnt,
                              uint64_t *align);

/* "<prefix><suffix>" (a BPFAOT_SYM_* suffix), or NULL when out of memory; free() it. */
char *objabi_symbol(const char *prefix, const char *suffix);
/* "<prefix>__<prog>": the entry of a program in an object of all programs; free() it. */
char *objabi_prog_entry(const char *prefix, const char *prog);

/*
 * const struct bpfaot_prog_def <prefix>__progs[cnt] (the descriptors `defs`)
 * and const uint32_t <prefix>__prog_cnt, for a module holding several programs.
 */
int objabi_program_table(LLVMModuleRef mod, const char *prefix, LLVMValueRef *defs, size_t cnt,
                         struct bpfaot_error *err);

#endif

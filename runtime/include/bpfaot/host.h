/* SPDX-License-Identifier: MIT */
/*
 * bpfaot runtime: loading compiled objects into a host.
 *
 * A host links or loads a native object compiled by bpf-aot however it
 * likes (linked in, dlopen(), bpf-aot's in-process JIT) and hands the
 * runtime a way to look its symbols up; the runtime finds the object's
 * tables (bpfaot/objabi.h), checks its ABI version, creates its maps into
 * the slots its programs read, and lists its programs:
 *
 *   struct bpfaot_object_opts opts = {.sz = sizeof(opts), .prefix = "counter"};
 *   err = bpfaot_object__open(lookup, handle, &opts, &obj, &e) ?:
 *         bpfaot_object__load(obj, &e);
 *   prog = bpfaot_object__find_prog(obj, "count");
 *   r0 = prog->fn(ctx, ctx_size);
 *   bpfaot_object__close(obj);
 *
 * Errors are negative errno values; when `err` is not NULL it receives a
 * one-line message (bpfaot/error.h) that names the object.
 */
#ifndef BPFAOT_HOST_H
#define BPFAOT_HOST_H

#include "error.h"
#include "maps.h"
#include "objabi.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The address of `name` if it is a symbol compiled code may import and the
 * runtime defines, else NULL: the helpers (_bpf_helper_ext_NNNN of
 * bpfaot_rt_helper_find(), so a host's own definition counts as described in
 * bpfaot/runtime.h), BPFAOT_CALLX_SYMBOL, BPFAOT_TAIL_CALL_SYMBOL,
 * BPFAOT_CPU_ENTER_SYMBOL, BPFAOT_CPU_EXIT_SYMBOL, and the C library's
 * memset, memcpy, memmove and memcmp. For loaders that bind an object's
 * undefined symbols themselves.
 */
void *bpfaot_rt_resolve(const char *name);

/* The address of symbol `name` of an object, or NULL when it defines no such symbol. */
typedef void *(*bpfaot_symbol_lookup)(void *ctx, const char *name);

struct bpfaot_object_opts {
        size_t sz;         /* sizeof(struct bpfaot_object_opts) */
        const char *input; /* names the object in messages; NULL: "object" */
        /*
         * The object's prefix <obj> (bpfaot/objabi.h): its <obj>__abi_version
         * must be BPFAOT_OBJ_ABI_VERSION, and its map tables and program
         * table are used when it has them. NULL: an object compiled from raw
         * bytecode, which has neither.
         */
        const char *prefix;
        /*
         * Entry symbols whose descriptors (<entry>__prog) the object lists
         * after those of <obj>__progs (once each): the programs of an object
         * compiled one program at a time, which has no program table.
         */
        const char *const *entries;
        size_t entry_cnt;
};

struct bpfaot_object;

/*
 * Open a compiled object through `lookup`: check its ABI version (that of
 * <prefix>__abi_version and of each program descriptor) and find its map
 * tables and programs. Nothing is created yet. Errors: -ENOEXEC for an
 * object of another ABI version or without one, -EINVAL for a table that is
 * incomplete, -ENOENT for an entry without descriptor, -ENOMEM.
 */
int bpfaot_object__open(bpfaot_symbol_lookup lookup, void *ctx,
                        const struct bpfaot_object_opts *opts, struct bpfaot_object **obj,
                        struct bpfaot_error *err);

/* An object's tables, given directly rather than looked up by name. */
struct bpfaot_object_tables {
        const struct bpfaot_map_def *map_defs;
        void **maps; /* map_cnt slots */
        uint32_t map_cnt;
        const struct bpfaot_prog_def *progs;
        uint32_t prog_cnt;
};
/*
 * Open an object from its tables: those of an object linked into the host,
 * or maps defined without compiling (bpfaot_prog__map_defs() of bpf-aot's
 * compiler library). The tables must outlive the object. Checks the
 * programs' ABI version as bpfaot_object__open() does; `input` names the
 * object in messages (NULL: "object").
 */
int bpfaot_object__open_tables(const struct bpfaot_object_tables *tables, const char *input,
                               struct bpfaot_object **obj, struct bpfaot_error *err);

/*
 * Create the object's maps into its slots (bpfaot_maps__create_all()), to
 * live until bpfaot_object__close(). The slots are the object's globals:
 * one loaded bpfaot_object per object at a time. The message of a failure
 * names the map and why; the error is that of bpfaot_map__create().
 */
int bpfaot_object__load(struct bpfaot_object *obj, struct bpfaot_error *err);
/* Free the maps (once loaded) and the object; NULL is ignored. */
void bpfaot_object__close(struct bpfaot_object *obj);

uint32_t bpfaot_object__map_cnt(const struct bpfaot_object *obj);
/* Definition of map `idx` (< map_cnt). */
const struct bpfaot_map_def *bpfaot_object__map_def(const struct bpfaot_object *obj, uint32_t idx);
/* Map `idx` (< map_cnt) once loaded, else NULL. */
struct bpfaot_map *bpfaot_object__map(const struct bpfaot_object *obj, uint32_t idx);
/* The map named `name` once loaded, else NULL. */
struct bpfaot_map *bpfaot_object__find_map(const struct bpfaot_object *obj, const char *name);

size_t bpfaot_object__prog_cnt(const struct bpfaot_object *obj);
/* Program `idx` (< prog_cnt): those of <obj>__progs, then those of the entries. */
const struct bpfaot_prog_def *bpfaot_object__prog(const struct bpfaot_object *obj, size_t idx);
/* The program named `name` (its function in the eBPF object), or NULL. */
const struct bpfaot_prog_def *bpfaot_object__find_prog(const struct bpfaot_object *obj,
                                                       const char *name);
/* The program whose entry symbol is `entry`, or NULL. */
const struct bpfaot_prog_def *bpfaot_object__find_entry(const struct bpfaot_object *obj,
                                                        const char *entry);

#ifdef __cplusplus
}
#endif
#endif

/* SPDX-License-Identifier: MIT */
/* What the CLI provides to programs it runs: helpers and libc memory functions. */
#ifndef BPFAOT_CLI_HOST_H
#define BPFAOT_CLI_HOST_H

#include "bpfaot/bpfaot.h"

/* Resolver for bpfaot_jit__load: bpfaot_rt_resolve() (bpfaot/host.h). */
uint64_t host_resolve_symbol(void *ctx, const char *name);
/* Helper lookup for the interpreter. */
bpfaot_helper_fn host_helper_lookup(void *ctx, uint32_t id);

/* How host_exec_* run a program. */
struct host_exec_opts {
        bool interp;
        int opt_level;
        const char *cpu;
        uint64_t repeat;    /* run this many times (at least once) */
        uint64_t max_steps; /* interpreter: instructions per run; 0: the library's default */
        char **dump_maps;   /* non-NULL: receives the maps' contents after the runs (free()) */
        bool sandbox;       /* compile with run-time checks; a fault fails the run, located */
        uint64_t max_loops; /* with sandbox: the loop budget (0: the default) */
};
/*
 * Run an eBPF program, compiled in memory and loaded with the JIT, or
 * interpreted. Returns 0 and r0 in *ret.
 */
int host_exec_prog(const struct bpfaot_prog *prog, const struct host_exec_opts *o, void *mem,
                   size_t mem_len, uint64_t *ret, struct bpfaot_error *err);
/*
 * Run program `program` of an eBPF object compiled whole (bpfaot_compile_elf),
 * so that a PROG_ARRAY the object fills reaches its other programs.
 */
int host_exec_elf(const struct bpfaot_elf *elf, const char *program, const struct host_exec_opts *o,
                  void *mem, size_t mem_len, uint64_t *ret, struct bpfaot_error *err);
/*
 * Load a native object, open it with the runtime's loader (prefix NULL: the
 * one the object's symbols name), create its maps, call a program, free the
 * maps. The program: the entry symbol `entry`; else the one named `program`
 * in the object's program descriptors; else bpf_main; else the only one.
 */
int host_exec_object(const void *obj, size_t len, const char *input, const char *entry,
                     const char *program, const char *prefix, const struct host_exec_opts *o,
                     void *mem, size_t mem_len, uint64_t *ret, struct bpfaot_error *err);

#endif

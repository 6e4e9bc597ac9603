/* SPDX-License-Identifier: MIT */
/*
 * Helper signatures: what each kernel helper takes in r1-r5 and leaves in r0,
 * as one table sorted by helper id (the facts of the kernel's struct
 * bpf_func_proto, in the terms an analysis of register contents needs).
 * With it an analysis knows which argument is memory the helper reads or
 * writes and which argument gives that memory's size (a too-small buffer),
 * which helper returns a map value that may be NULL, and which argument is a
 * callback and what that callback receives.
 *
 * The kinds are as permissive as the kernel's: an argument the kernel does
 * not check (an unused register, a variadic trace_printk argument) is
 * HELPER_ARG_NONE, so a check built on the table never refuses a call the
 * kernel verifier accepts.
 */
#ifndef BPFAOT_HELPER_SIGS_H
#define BPFAOT_HELPER_SIGS_H

#include <stddef.h>
#include <stdint.h>

#define HELPER_MAX_ARGS 5

/*
 * What one argument register must hold. Every argument before the first
 * HELPER_ARG_NONE must be initialised. "The map argument" is the one
 * HELPER_ARG_MAP of the same call (no helper takes two).
 */
enum helper_arg {
        HELPER_ARG_NONE,      /* not an argument: the kernel does not look at the register */
        HELPER_ARG_ANYTHING,  /* any initialised value: a number, flags, an index */
        HELPER_ARG_MAP,       /* a map (lddw of a map), known when the program is built */
        HELPER_ARG_MAP_KEY,   /* readable memory of the map argument's key size */
        HELPER_ARG_MAP_VALUE, /* readable memory of the map argument's value size */
        HELPER_ARG_MAP_VALUE_OR_NULL, /* an initial value, or NULL (local-storage gets) */
        HELPER_ARG_MAP_VALUE_OUT,     /* writable, may be uninitialised: the helper fills it */
        /* Memory whose size is the next argument (a HELPER_ARG_SIZE*). */
        HELPER_ARG_MEM_RO,         /* initialised memory the helper only reads */
        HELPER_ARG_MEM_RO_OR_NULL, /* ... or NULL (then with size 0) */
        HELPER_ARG_MEM_RW,         /* initialised, writable: the helper may read and write it */
        HELPER_ARG_MEM_RW_OR_NULL,
        HELPER_ARG_MEM_OUT, /* writable, may be uninitialised: the helper fills or clears it */
        /* The size of the previous argument's memory, a scalar with a known upper bound. */
        HELPER_ARG_SIZE,         /* greater than 0 */
        HELPER_ARG_SIZE_OR_ZERO, /* may be 0 */
        /* A known constant: the size of the memory the helper returns (ringbuf_reserve). */
        HELPER_ARG_ALLOC_SIZE,
        HELPER_ARG_CTX,  /* the program's context, unmodified */
        HELPER_ARG_FUNC, /* a callback: the address of a sub-program (lddw of a function) */
        HELPER_ARG_STACK_OR_NULL,  /* the callback's context: a stack pointer, or NULL */
        HELPER_ARG_CONST_STR,      /* a NUL-terminated string in read-only data */
        HELPER_ARG_SPIN_LOCK,      /* the struct bpf_spin_lock of a map value */
        HELPER_ARG_TIMER,          /* the struct bpf_timer of a map value */
        HELPER_ARG_RINGBUF_RECORD, /* a record of ringbuf_reserve, released by the call */
        HELPER_ARG_U64_OUT,        /* 8 writable bytes, may be uninitialised: a u64 result */
        /* A struct bpf_dynptr (16 bytes) on the stack. */
        HELPER_ARG_DYNPTR,         /* an initialised one, read */
        HELPER_ARG_DYNPTR_OUT,     /* writable, may be uninitialised: the helper makes it */
        HELPER_ARG_DYNPTR_RELEASE, /* a ring-buffer one, released (set to NULL) by the call */
        /* Kernel objects (sockets, tasks, BTF-typed pointers) a program only passes along. */
        HELPER_ARG_KERNEL_PTR,
        HELPER_ARG_KERNEL_PTR_OR_NULL,
        HELPER_ARG_KIND_CNT
};

/* Properties of an argument kind (helper_arg_info). */
enum helper_arg_flags {
        HELPER_ARGF_PTR = 1 << 0,     /* a pointer to what the kind names */
        HELPER_ARGF_NULL_OK = 1 << 1, /* ... or NULL */
        HELPER_ARGF_READS = 1 << 2,   /* the helper reads the memory: it must be initialised */
        HELPER_ARGF_WRITES = 1 << 3,  /* the helper writes it: it must be writable */
        HELPER_ARGF_SIZED_BY_NEXT = 1 << 4, /* memory whose size is the next argument */
        HELPER_ARGF_KEY_SIZED = 1 << 5,     /* memory of the map argument's key size */
        HELPER_ARGF_VALUE_SIZED = 1 << 6,   /* memory of the map argument's value size */
        HELPER_ARGF_SIZE = 1 << 7,          /* the size of the previous argument's memory */
        HELPER_ARGF_ZERO_OK = 1 << 8,       /* that size may be 0 */
        HELPER_ARGF_CONST = 1 << 9,         /* a constant known when the program is built */
};

struct helper_arg_info {
        const char *name;    /* for messages: "pointer to map key" */
        unsigned flags;      /* HELPER_ARGF_* */
        unsigned fixed_size; /* bytes of memory of a fixed size (0: none, or sized otherwise) */
};

/* What r0 holds after the call. */
enum helper_ret {
        HELPER_RET_INTEGER,
        HELPER_RET_VOID,      /* nothing: r0 is unknown */
        HELPER_RET_MAP_VALUE, /* a value of the map argument, never NULL */
        /* A value of the map argument, or NULL; of a map of maps, an inner map or NULL. */
        HELPER_RET_MAP_VALUE_OR_NULL,
        HELPER_RET_RINGBUF_RECORD_OR_NULL, /* a record of the HELPER_ARG_ALLOC_SIZE size, or NULL */
        HELPER_RET_KERNEL_PTR,             /* a kernel object (read-only, of unknown size) */
        HELPER_RET_KERNEL_PTR_OR_NULL,
        /* Memory of a dynptr, of the HELPER_ARG_ALLOC_SIZE size, or NULL (dynptr_data). */
        HELPER_RET_DYNPTR_MEM_OR_NULL,
        HELPER_RET_KIND_CNT
};

/* Properties of a return kind (helper_ret_info). */
enum helper_ret_flags {
        HELPER_RETF_PTR = 1 << 0,
        HELPER_RETF_MAYBE_NULL = 1 << 1, /* must be compared with 0 before it is dereferenced */
};

struct helper_ret_info {
        const char *name;
        unsigned flags; /* HELPER_RETF_* */
};

/*
 * What the HELPER_ARG_FUNC callback receives, in r1-r5. "ctx" is the
 * helper's HELPER_ARG_STACK_OR_NULL argument. A callback returns 0 to go on
 * and 1 to stop (a timer's returns 0).
 */
enum helper_callback {
        HELPER_CB_NONE,
        HELPER_CB_LOOP,         /* (u64 index, ctx) */
        HELPER_CB_MAP_ELEM,     /* (map, key, value, ctx): one element of the map argument */
        HELPER_CB_TIMER,        /* (map, key, value): the element holding the timer */
        HELPER_CB_FIND_VMA,     /* (task, vma, ctx): kernel objects */
        HELPER_CB_USER_RINGBUF, /* (dynptr, ctx): a kernel-made dynptr to one sample */
        HELPER_CB_KIND_CNT
};

/* Helper signature flags. */
enum helper_sig_flags {
        /*
         * Moves or resizes the packet: packet pointers are invalid after the
         * call (tail_call is not marked: a successful one does not return).
         */
        HELPER_SIG_CHANGES_PKT_DATA = 1 << 0,
        /*
         * Writes memory no argument kind describes (a dynptr's data,
         * probe_write_user's destination), possibly the frame: an analysis
         * of register and frame contents treats the call as one of an
         * unknown function.
         */
        HELPER_SIG_WRITES_INDIRECT = 1 << 1,
        /*
         * Reads r1-r5 whatever its arguments: trace_printk's format
         * arguments, which the kernel does not check.
         */
        HELPER_SIG_READS_ALL_REGS = 1 << 2,
};

struct helper_sig {
        uint32_t id;      /* kernel helper id (enum bpf_func_id) */
        const char *name; /* kernel name without the bpf_ prefix */
        enum helper_ret ret;
        enum helper_arg args[HELPER_MAX_ARGS]; /* r1-r5; HELPER_ARG_NONE after the last */
        enum helper_callback callback;         /* HELPER_CB_NONE unless it takes a callback */
        unsigned flags;                        /* HELPER_SIG_* */
};

/* The signature of helper `id`, or NULL when the table does not know it. */
const struct helper_sig *helper_sig_find(uint32_t id);
/* The signature of the helper called `name` (without bpf_), or NULL. */
const struct helper_sig *helper_sig_find_name(const char *name);
/* All signatures, sorted by id; *cnt receives the count. */
const struct helper_sig *helper_sigs(size_t *cnt);
/* The number of arguments: those before the first HELPER_ARG_NONE. */
unsigned helper_sig_arg_cnt(const struct helper_sig *sig);
/* The argument registers the helper reads, r1 on: its arguments, or all five. */
unsigned helper_sig_reg_cnt(const struct helper_sig *sig);

/* The properties of each kind; NULL for a value outside the enum. */
const struct helper_arg_info *helper_arg_info(enum helper_arg kind);
const struct helper_ret_info *helper_ret_info(enum helper_ret kind);
/* Printable names ("?" for a value outside the enum). */
const char *helper_arg_name(enum helper_arg kind);
const char *helper_ret_name(enum helper_ret kind);
const char *helper_callback_name(enum helper_callback kind);

/*
 * Print `sig` as "name(arg, ...) -> ret" into buf (at most size bytes, NUL
 * included), as snprintf: returns the length the whole text has.
 */
int helper_sig_snprintf(char *buf, size_t size, const struct helper_sig *sig);

#endif

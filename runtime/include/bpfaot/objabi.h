/* SPDX-License-Identifier: MIT */
/*
 * The bpf-aot object ABI: the symbols a native object compiled by bpf-aot
 * defines and imports, and the layout of the descriptors it holds. The
 * compiler writes objects by it and the runtime reads them; both include
 * this header, so every name and layout is written here once. Each
 * descriptor struct comes with a field table (BPFAOT_ABI_*_FIELDS: field,
 * type class, offset) from which the compiler generates its LLVM types
 * (compiler/src/objabi.c); the _Static_asserts below check the tables
 * against the C structs wherever this header is compiled, and
 * tests/unit/test_objabi.c checks the LLVM types against the C structs.
 *
 * The ABI is that of 64-bit little-endian targets (eBPF's own word size).
 *
 * Symbols an object compiled from the eBPF object <obj> (its file name
 * without .bpf.o, as a C identifier: the "prefix") defines:
 *
 *   <entry>               uint64_t <entry>(void *ctx, uint64_t ctx_size), one
 *                         per program: BPFAOT_DEFAULT_ENTRY unless named;
 *                         <obj>__<prog> in an object of all programs;
 *   <entry>__prog         const struct bpfaot_prog_def, the program described;
 *   <entry>__bytecode_hash  const uint64_t, bpfaot_bytecode_hash() of the
 *                         instructions it was compiled from (as encoded);
 *   <obj>__abi_version    const uint32_t, BPFAOT_OBJ_ABI_VERSION;
 *   <obj>__progs          const struct bpfaot_prog_def[<obj>__prog_cnt] and
 *   <obj>__prog_cnt       const uint32_t, in an object compiled with all its
 *                         programs together (build --skeleton);
 *   <obj>__map_defs       const struct bpfaot_map_def[<obj>__map_cnt],
 *   <obj>__map_cnt        const uint32_t and
 *   <obj>__maps           void *[<obj>__map_cnt], the slots a host fills
 *                         with the created maps (bpfaot_maps__create_all()),
 *                         in an object with maps;
 *   <obj>__<section>      a global data section (.bss: <obj>__bss; characters
 *                         other than letters, digits and _ become _).
 *
 * The <obj>__ symbols are weak_odr: objects of single programs of one eBPF
 * object link together and share them. A program compiled from raw
 * bytecode has no prefix: it defines only <entry>, <entry>__prog and
 * <entry>__bytecode_hash.
 *
 * Symbols compiled code imports, all but the helpers only when used:
 * BPFAOT_HELPER_SYMBOL_FMT, BPFAOT_CALLX_SYMBOL, BPFAOT_TAIL_CALL_SYMBOL,
 * BPFAOT_CPU_ENTER/EXIT_SYMBOL, the BPFAOT_LDDW_*_SYMBOL functions, a kfunc
 * by its own name, and memset/memcpy/memmove/memcmp (code generators emit
 * them). bpfaot_rt_resolve() (bpfaot/host.h) resolves those the runtime has.
 */
#ifndef BPFAOT_OBJABI_H
#define BPFAOT_OBJABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Version of the ABI an object was compiled for: changes with any name,
 * layout or meaning below. Objects hold it in <obj>__abi_version and in
 * every bpfaot_prog_def; a loader refuses other versions.
 */
#define BPFAOT_OBJ_ABI_VERSION 3

/* ---- Symbols an object defines ---- */

#define BPFAOT_DEFAULT_ENTRY "bpf_main"
/* Separates a prefix from the name it qualifies: <obj>__<prog>, <obj>__<section>. */
#define BPFAOT_SYM_SEP           "__"
#define BPFAOT_SYM_PROG          "__prog"
#define BPFAOT_SYM_BYTECODE_HASH "__bytecode_hash"
#define BPFAOT_SYM_ABI_VERSION   "__abi_version"
#define BPFAOT_SYM_PROGS         "__progs"
#define BPFAOT_SYM_PROG_CNT      "__prog_cnt"
#define BPFAOT_SYM_MAP_DEFS      "__map_defs"
#define BPFAOT_SYM_MAP_CNT       "__map_cnt"
#define BPFAOT_SYM_MAPS          "__maps"

/* ---- Symbols compiled code imports ---- */

/* Helper N: uint64_t f(uint64_t r1, ..., uint64_t r5), the id printed with %04u. */
#define BPFAOT_HELPER_PREFIX     "_bpf_helper_ext_"
#define BPFAOT_HELPER_SYMBOL_FMT BPFAOT_HELPER_PREFIX "%04u"
/* `call %reg` (callx): uint64_t f(uint64_t id, uint64_t r1, ..., uint64_t r5). */
#define BPFAOT_CALLX_SYMBOL "_bpf_helper_ext_callx"
/*
 * What bpf_tail_call (helper 12) compiles to: struct bpfaot_tail_call_result
 * f(uint64_t ctx, uint64_t map, uint64_t index); the runtime's is
 * bpfaot_rt_tail_call (bpfaot/runtime.h).
 */
#define BPFAOT_TAIL_CALL_SYMBOL "bpfaot_rt_tail_call"
/*
 * void f(void), called by the entry of a program referencing a PERCPU map
 * (directly, or as the inner-map template of a map of maps) before and after
 * the run, so that the run holds one virtual CPU; other entries do not
 * reference them. The runtime's: bpfaot_rt_cpu_enter/exit (bpfaot/runtime.h).
 */
#define BPFAOT_CPU_ENTER_SYMBOL "bpfaot_rt_cpu_enter"
#define BPFAOT_CPU_EXIT_SYMBOL  "bpfaot_rt_cpu_exit"
/* lddw pseudo-loads the compiler could not resolve (src 1..6 of an lddw); the runtime has none. */
#define BPFAOT_LDDW_MAP_BY_FD_SYMBOL  "__lddw_helper_map_by_fd"  /* (uint32_t fd) */
#define BPFAOT_LDDW_MAP_VAL_SYMBOL    "__lddw_helper_map_val"    /* (uint64_t map) */
#define BPFAOT_LDDW_VAR_ADDR_SYMBOL   "__lddw_helper_var_addr"   /* (uint32_t) */
#define BPFAOT_LDDW_CODE_ADDR_SYMBOL  "__lddw_helper_code_addr"  /* (uint32_t) */
#define BPFAOT_LDDW_MAP_BY_IDX_SYMBOL "__lddw_helper_map_by_idx" /* (uint32_t idx) */

/*
 * Sandboxed code (bpf-aot build --sandbox) also imports these; the runtime's
 * are in bpfaot/sandbox.h, where the record they share is described.
 *   void enter(struct bpfaot_sandbox_run *run, const char *prog, uint64_t ctx,
 *              uint64_t ctx_size, const struct bpfaot_sandbox_region *data,
 *              uint64_t data_cnt, void *const *maps, uint64_t map_cnt,
 *              uint64_t max_loops)
 *   void leave(struct bpfaot_sandbox_run *run)
 *   struct bpfaot_sandbox_run *push(uint64_t lo, uint64_t hi, uint64_t how)
 *   void pop(struct bpfaot_sandbox_run *run)
 *   uint64_t check(struct bpfaot_sandbox_run *run, uint64_t addr, uint64_t size,
 *                  uint64_t how)
 *   void locate(struct bpfaot_sandbox_run *run, uint64_t how)
 *   uint64_t budget(uint64_t loops, uint64_t how)
 *   uint64_t reserve(uint64_t loops, uint64_t batch)
 */
#define BPFAOT_SANDBOX_ENTER_SYMBOL   "bpfaot_rt_sandbox_enter"
#define BPFAOT_SANDBOX_LEAVE_SYMBOL   "bpfaot_rt_sandbox_leave"
#define BPFAOT_SANDBOX_PUSH_SYMBOL    "bpfaot_rt_sandbox_push"
#define BPFAOT_SANDBOX_POP_SYMBOL     "bpfaot_rt_sandbox_pop"
#define BPFAOT_SANDBOX_CHECK_SYMBOL   "bpfaot_rt_sandbox_check"
#define BPFAOT_SANDBOX_LOCATE_SYMBOL  "bpfaot_rt_sandbox_locate"
#define BPFAOT_SANDBOX_BUDGET_SYMBOL  "bpfaot_rt_sandbox_budget"
#define BPFAOT_SANDBOX_RESERVE_SYMBOL "bpfaot_rt_sandbox_reserve"
/*
 * Loop iterations a sandboxed run may make (backward jumps taken, and calls
 * of callbacks, counted together) unless built with another budget: about a
 * second of work, as the interpreter's default instruction budget.
 */
#define BPFAOT_SANDBOX_DEFAULT_MAX_LOOPS 100000000ull
/*
 * Iterations a loop may take at once (reserve), days of work: what a
 * function holds of the budget stays far from overflowing its count.
 */
#define BPFAOT_SANDBOX_MAX_RESERVE (1ull << 48)

/* ---- Descriptors ---- */

struct bpfaot_map;

/*
 * The start of every struct bpfaot_map, a fixed layout that compiled code
 * reads directly (bpf-aot build --inline-maps): for an ARRAY (not PERCPU),
 * value i lives at values + i * elem_size for i < max_entries and never
 * moves; for other types values is NULL. Read-only for everyone but the
 * runtime.
 */
struct bpfaot_map_inline {
        uint32_t type;
        uint32_t max_entries;
        uint64_t elem_size;
        char *values;
};
/* Where compiled code finds `values` (checked below). */
#define BPFAOT_MAP_INLINE_VALUES_OFFSET 16

/* A map an object defines, as bpfaot_map__create() (bpfaot/maps.h) takes it. */
struct bpfaot_map_def {
        const char *name;  /* copied; may be NULL */
        uint32_t type;     /* enum bpf_map_type */
        uint32_t key_size; /* ARRAY-like: 4; QUEUE/STACK/RINGBUF: 0 */
        uint32_t value_size;
        uint32_t max_entries; /* RINGBUF: power-of-two byte size, multiple of the page size;
                                 PERF_EVENT_ARRAY: 0 means one per CPU, as libbpf sets */
        uint32_t map_flags;   /* BPF_F_* accepted by the kernel for the type */
        uint32_t map_extra;   /* BLOOM_FILTER: number of hash functions (0: 5); else 0 */
        /*
         * Initial contents, may be NULL:
         * ARRAY: at most value_size * max_entries bytes, filling values in
         *   index order (.data-style);
         * PROG_ARRAY: init_size / 8 (at most max_entries) bpfaot_prog_fn
         *   pointers, NULL for an empty slot;
         * ARRAY_OF_MAPS / HASH_OF_MAPS: init_size / 4 uint32_t, the slot i
         *   (the key for HASH_OF_MAPS) holding map k-1 of the same table
         *   when the value is k, nothing when 0. Only bpfaot_maps__create_all()
         *   knows the table, so only it applies these.
         */
        const void *init_value;
        size_t init_size;
        /* ARRAY_OF_MAPS / HASH_OF_MAPS: what every inner map must look like
         * (type, key and value size, flags; max_entries too unless the
         * template has BPF_F_INNER_MAP). NULL: any map. */
        const struct bpfaot_map_def *inner;
};

/* A compiled program's entry, what a PROG_ARRAY holds. */
typedef uint64_t (*bpfaot_prog_fn)(void *ctx, uint64_t ctx_size);

/* A program of a compiled object: <entry>__prog, and the elements of <obj>__progs. */
struct bpfaot_prog_def {
        uint32_t abi_version; /* BPFAOT_OBJ_ABI_VERSION */
        const char *name;     /* the program's name (its function in the eBPF object) */
        const char *section;  /* its ELF section, e.g. "xdp"; NULL for raw bytecode */
        const char *entry;    /* the entry symbol */
        bpfaot_prog_fn fn;    /* the entry itself */
};

/*
 * Sandboxed code: what a check is about, `how` = insn | kind << 32 |
 * arg << 40 | helper << 48 (the instruction, a BPFAOT_SANDBOX_* kind, and
 * for a helper's argument its number 1-5 and the helper's id).
 */
enum bpfaot_sandbox_kind {
        BPFAOT_SANDBOX_LOAD = 1,
        BPFAOT_SANDBOX_STORE,
        BPFAOT_SANDBOX_ATOMIC,
        BPFAOT_SANDBOX_HELPER_READ,  /* memory a helper reads */
        BPFAOT_SANDBOX_HELPER_WRITE, /* memory a helper writes */
        BPFAOT_SANDBOX_CALLBACK,     /* a callback that is not one of the program's functions */
        BPFAOT_SANDBOX_MAP,          /* a map argument that is not one of the program's maps */
        BPFAOT_SANDBOX_CTX,          /* a context argument that is not the run's context */
        BPFAOT_SANDBOX_DEPTH,        /* more frames than BPFAOT_SANDBOX_MAX_FRAMES */
        BPFAOT_SANDBOX_HELPER,       /* callx of a helper the sandbox does not allow */
        BPFAOT_SANDBOX_BUDGET,       /* more loop iterations than the run's budget */
        BPFAOT_SANDBOX_RECORD, /* a ring-buffer record the run does not hold, or released twice */
        BPFAOT_SANDBOX_LOCK,   /* a spin lock taken while holding one, or released unheld */
        BPFAOT_SANDBOX_LOCK_HELD,  /* the run ended holding a spin lock (released then) */
        BPFAOT_SANDBOX_STRING,     /* a constant string not NUL-terminated in read-only data */
        BPFAOT_SANDBOX_DYNPTR,     /* a dynptr argument not on the run's stack */
        BPFAOT_SANDBOX_DYNPTR_MEM, /* a dynptr whose memory is not the run's */
        BPFAOT_SANDBOX_KIND_CNT
};
#define BPFAOT_SANDBOX_HOW(insn, kind, arg, helper)                                                \
        ((uint64_t)(uint32_t)(insn) | (uint64_t)(kind) << 32 | (uint64_t)(arg) << 40 |             \
         (uint64_t)(helper) << 48)

/* In `arg`: the memory's size is the key or value size of the map given as `size`. */
#define BPFAOT_SANDBOX_ARG_KEY_SIZED   0x80
#define BPFAOT_SANDBOX_ARG_VALUE_SIZED 0x40
/* In `arg`: the access left the region its pointer belongs to: it fails whatever it reaches. */
#define BPFAOT_SANDBOX_ARG_FAIL     0x20
#define BPFAOT_SANDBOX_ARG_NUM_MASK 0x1f

/*
 * The words of spin-lock faults, the sandbox's and the interpreter's: "helper
 * spin_lock (arg 1): 0x... is not " BPFAOT_SANDBOX_LOCK_TEXT, and
 * BPFAOT_SANDBOX_LOCK_HELD_FMT with the lock's address.
 */
#define BPFAOT_SANDBOX_LOCK_TEXT                                                                   \
        "a spin lock the program may take or release (it may hold one, and release only that one)"
#define BPFAOT_SANDBOX_LOCK_HELD_FMT "ended holding the spin lock at 0x%" PRIx64 " (released)"
/*
 * A helper's constant string (a format, strncmp's): as the kernel's verifier
 * asks, in read-only global data and NUL-terminated there. "helper snprintf
 * (arg 3): 0x... is not " BPFAOT_SANDBOX_STRING_TEXT.
 */
/* "helper ringbuf_submit (arg 1): 0x... is not " BPFAOT_SANDBOX_RECORD_TEXT */
#define BPFAOT_SANDBOX_RECORD_TEXT                                                                 \
        "a ring-buffer record the program holds (reserved, not yet submitted or discarded)"
#define BPFAOT_SANDBOX_STRING_TEXT "a NUL-terminated string in read-only global data"
/*
 * Dynptr faults, the sandbox's and the interpreter's: "helper dynptr_read
 * (arg 3): 0x... is not " BPFAOT_SANDBOX_DYNPTR_TEXT (a dynptr must be on the
 * stack, as the kernel's verifier asks), and BPFAOT_SANDBOX_DYNPTR_MEM_FMT
 * with the dynptr's address when its memory is not the program's.
 */
#define BPFAOT_SANDBOX_DYNPTR_TEXT "a dynptr on the stack"
#define BPFAOT_SANDBOX_DYNPTR_MEM_FMT                                                              \
        "the dynptr at 0x%" PRIx64 " points outside the program's memory"

/* Frames a sandboxed run may have at once, callbacks' included (the kernel's MAX_CALL_FRAMES). */
#define BPFAOT_SANDBOX_MAX_FRAMES 8
/* Ring-buffer records a sandboxed run may hold at once (reserved, not yet submitted). */
#define BPFAOT_SANDBOX_MAX_RECORDS 16

/* A global data section of a sandboxed program: [base, base + size), read-only or not. */
struct bpfaot_sandbox_region {
        uint64_t base;
        uint64_t size;
        uint64_t readonly;
        const char *name;
};

/* A fault's `insn` when no instruction is to blame (a spent loop budget). */
#define BPFAOT_SANDBOX_NO_INSN UINT32_MAX

/* Why a sandboxed run ended early (bpfaot_sandbox_fault() in bpfaot/sandbox.h). */
struct bpfaot_sandbox_fault {
        uint32_t kind;   /* enum bpfaot_sandbox_kind */
        uint32_t insn;   /* the instruction */
        uint64_t addr;   /* the address (or callback, map, context) refused */
        uint64_t size;   /* bytes of the access */
        uint32_t helper; /* the helper, for a helper's argument */
        uint32_t arg;    /* its number, 1-5 */
        /* Copies, kept after the code that named them is unloaded (cut at 63 bytes): */
        char prog[64];    /* the program's name */
        char section[64]; /* a store into read-only data: the section's name, else "" */
};

/*
 * One sandboxed run, in the entry's frame. Compiled code reads only
 * `failed`, after every call: once set, each function returns at once.
 */
struct bpfaot_sandbox_run {
        uint32_t failed;
        uint32_t depth; /* live frames */
        const char *prog;
        uint64_t ctx, ctx_size;
        const struct bpfaot_sandbox_region *data;
        uint64_t data_cnt;
        void *const *maps;
        uint64_t map_cnt;
        uint64_t frame_lo[BPFAOT_SANDBOX_MAX_FRAMES], frame_hi[BPFAOT_SANDBOX_MAX_FRAMES];
        uint64_t loops, max_loops; /* loop iterations counted so far, and the budget */
        /* Ring-buffer records reserved and not yet submitted or discarded: [lo, hi). */
        uint64_t record_lo[BPFAOT_SANDBOX_MAX_RECORDS], record_hi[BPFAOT_SANDBOX_MAX_RECORDS];
        uint64_t record_cnt;
        uint64_t
            held_lock; /* the bpf_spin_lock the run holds (at most one, as the kernel's), or 0 */
        struct bpfaot_sandbox_run *outer; /* the run this one is nested in (a tail call's) */
        struct bpfaot_sandbox_fault fault;
};

/* What BPFAOT_TAIL_CALL_SYMBOL returns: done != 0 when the tail call ran and ret is its r0. */
struct bpfaot_tail_call_result {
        uint64_t done;
        uint64_t ret;
};

/* ---- Field tables ---- */

/*
 * Type classes of descriptor fields and their sizes: U32 and U64 unsigned
 * integers, PTR any pointer (data or function).
 */
enum bpfaot_abi_class {
        BPFAOT_ABI_U32,
        BPFAOT_ABI_U64,
        BPFAOT_ABI_PTR,
};
#define BPFAOT_ABI_SIZE_U32 4
#define BPFAOT_ABI_SIZE_U64 8
#define BPFAOT_ABI_SIZE_PTR 8

/*
 * BPFAOT_ABI_<STRUCT>_FIELDS(F) calls F(struct tag, field, class, offset)
 * for each field in order; BPFAOT_ABI_<STRUCT>_SIZE is the struct's size.
 * BPFAOT_ABI_STRUCTS(S) calls S(struct tag, NAME) for each descriptor.
 */
#define BPFAOT_ABI_MAP_INLINE_FIELDS(F)                                                            \
        F(bpfaot_map_inline, type, U32, 0)                                                         \
        F(bpfaot_map_inline, max_entries, U32, 4)                                                  \
        F(bpfaot_map_inline, elem_size, U64, 8)                                                    \
        F(bpfaot_map_inline, values, PTR, BPFAOT_MAP_INLINE_VALUES_OFFSET)
#define BPFAOT_ABI_MAP_INLINE_SIZE 24

#define BPFAOT_ABI_MAP_DEF_FIELDS(F)                                                               \
        F(bpfaot_map_def, name, PTR, 0)                                                            \
        F(bpfaot_map_def, type, U32, 8)                                                            \
        F(bpfaot_map_def, key_size, U32, 12)                                                       \
        F(bpfaot_map_def, value_size, U32, 16)                                                     \
        F(bpfaot_map_def, max_entries, U32, 20)                                                    \
        F(bpfaot_map_def, map_flags, U32, 24)                                                      \
        F(bpfaot_map_def, map_extra, U32, 28)                                                      \
        F(bpfaot_map_def, init_value, PTR, 32)                                                     \
        F(bpfaot_map_def, init_size, U64, 40)                                                      \
        F(bpfaot_map_def, inner, PTR, 48)
#define BPFAOT_ABI_MAP_DEF_SIZE 56

#define BPFAOT_ABI_PROG_DEF_FIELDS(F)                                                              \
        F(bpfaot_prog_def, abi_version, U32, 0)                                                    \
        F(bpfaot_prog_def, name, PTR, 8)                                                           \
        F(bpfaot_prog_def, section, PTR, 16)                                                       \
        F(bpfaot_prog_def, entry, PTR, 24)                                                         \
        F(bpfaot_prog_def, fn, PTR, 32)
#define BPFAOT_ABI_PROG_DEF_SIZE 40

#define BPFAOT_ABI_TAIL_CALL_RESULT_FIELDS(F)                                                      \
        F(bpfaot_tail_call_result, done, U64, 0)                                                   \
        F(bpfaot_tail_call_result, ret, U64, 8)
#define BPFAOT_ABI_TAIL_CALL_RESULT_SIZE 16

#define BPFAOT_ABI_STRUCTS(S)                                                                      \
        S(bpfaot_map_inline, MAP_INLINE)                                                           \
        S(bpfaot_map_def, MAP_DEF)                                                                 \
        S(bpfaot_prog_def, PROG_DEF)                                                               \
        S(bpfaot_tail_call_result, TAIL_CALL_RESULT)

/* The tables describe the structs above: checked wherever this header is compiled. */
#ifdef __cplusplus
#define BPFAOT_ABI_ASSERT static_assert
#else
#define BPFAOT_ABI_ASSERT _Static_assert
#endif
#define BPFAOT_ABI_CHECK_FIELD(s, f, cls, off)                                                     \
        BPFAOT_ABI_ASSERT(offsetof(struct s, f) == (off), "struct " #s ": " #f " moved");          \
        BPFAOT_ABI_ASSERT(sizeof(((struct s *)0)->f) == BPFAOT_ABI_SIZE_##cls,                     \
                          "struct " #s ": " #f " is not a " #cls);
#define BPFAOT_ABI_CHECK_FIELDS(s, NAME) BPFAOT_ABI_##NAME##_FIELDS(BPFAOT_ABI_CHECK_FIELD)
#define BPFAOT_ABI_CHECK_SIZE(s, NAME)                                                             \
        BPFAOT_ABI_ASSERT(sizeof(struct s) == BPFAOT_ABI_##NAME##_SIZE, "struct " #s ": size");
BPFAOT_ABI_STRUCTS(BPFAOT_ABI_CHECK_FIELDS)
BPFAOT_ABI_STRUCTS(BPFAOT_ABI_CHECK_SIZE)
BPFAOT_ABI_ASSERT(offsetof(struct bpfaot_sandbox_run, failed) == 0,
                  "struct bpfaot_sandbox_run: compiled code reads failed at offset 0");

#ifdef __cplusplus
}
#endif
/*
 * The fingerprint of a program's instructions (their 8-byte encoding):
 * FNV-1a 64. An object records the one it was compiled from
 * (<entry>__bytecode_hash); a shared-memory segment (bpfaot/shm.h) the one
 * of each program it holds, so that native code is only ever taken for the
 * program it was compiled from.
 */
static inline uint64_t bpfaot_bytecode_hash(const void *insns, size_t bytes)
{
        const unsigned char *p = (const unsigned char *)insns;
        uint64_t h = 0xcbf29ce484222325ull;

        for (size_t i = 0; i < bytes; i++)
                h = (h ^ p[i]) * 0x100000001b3ull;
        return h;
}

#endif

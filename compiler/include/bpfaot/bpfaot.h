/* SPDX-License-Identifier: MIT */
/*
 * bpfaot: ahead-of-time compiler for eBPF bytecode.
 *
 * The library decodes and validates eBPF programs (RFC 9669 plus what the
 * Linux kernel accepts), translates them to LLVM IR through the LLVM C API
 * and emits native objects, LLVM IR or assembly. It also contains a small
 * reference interpreter and an in-process loader for native objects.
 *
 * Conventions (as in libbpf): functions return 0 or a negative errno;
 * options structs start with a `sz` member set by BPFAOT_OPTS_INIT so that
 * new fields can be added without breaking callers; errors are described by
 * a one-line message in `struct bpfaot_error`.
 */
#ifndef BPFAOT_BPFAOT_H
#define BPFAOT_BPFAOT_H

#include "bpfaot/error.h"
#include "bpfaot/objabi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfaot/ebpf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BPFAOT_VERSION_MAJOR  0
#define BPFAOT_VERSION_MINOR  1
#define BPFAOT_VERSION_PATCH  0
#define BPFAOT_VERSION_STRING "0.1.0"

/* Declare and zero an options struct, setting its size. */
#define BPFAOT_OPTS_INIT(type, name, ...)                                                          \
        struct type name = {.sz = sizeof(struct type), __VA_ARGS__}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/* struct bpfaot_error: bpfaot/error.h, shared with the runtime. */

/* ------------------------------------------------------------------ */
/* Instructions (the encodings: bpfaot/ebpf.h)                         */
/* ------------------------------------------------------------------ */

#define BPFAOT_DEFAULT_MAX_INSNS 1000000
/* The interpreter's default budget: instructions one run may execute (a second or so). */
#define BPFAOT_DEFAULT_MAX_STEPS    100000000ull
#define BPFAOT_DEFAULT_REGION_INSNS 1024
/* LLVM instructions of translated code one part of a long program holds, at least. */
#define BPFAOT_DEFAULT_PART_INSNS 4096

/* Decode `len` bytes (a multiple of 8) into a newly allocated array. */
int bpfaot_decode(const void *bytes, size_t len, struct bpfaot_insn **insns, size_t *insn_cnt,
                  struct bpfaot_error *err);
/* Encode instructions back into `insn_cnt * 8` bytes at `out`. */
void bpfaot_encode(const struct bpfaot_insn *insns, size_t insn_cnt, void *out);

/*
 * Disassemble the instruction at `insns[idx]` (an lddw also reads the next
 * slot) into `buf` in the bpf_conformance assembly dialect. Returns the
 * number of slots consumed (1 or 2), or a negative errno for an opcode that
 * has no textual form (the text then shows the raw bytes).
 */
int bpfaot_disasm_insn(const struct bpfaot_insn *insns, size_t insn_cnt, size_t idx, char *buf,
                       size_t buf_sz);

/* ------------------------------------------------------------------ */
/* Assembler                                                           */
/* ------------------------------------------------------------------ */

/*
 * Assemble text in the bpf_conformance dialect (mov %r0, 1; ldxw %r0,
 * [%r1+4]; labels; lock fetch add; ...). On error the message names the
 * line: "<input>:<line>: <reason>".
 */
int bpfaot_assemble(const char *text, const char *input_name, struct bpfaot_insn **insns,
                    size_t *insn_cnt, struct bpfaot_error *err);

/* ------------------------------------------------------------------ */
/* Programs and validation                                             */
/* ------------------------------------------------------------------ */

struct btf;
struct bpfaot_map_desc;
struct bpfaot_buf;

/* Kind of symbol a relocation binds an instruction to (filled by the ELF front end). */
enum bpfaot_reloc_kind {
        BPFAOT_RELOC_UNRESOLVED = 0,    /* known to need a relocation that is not supported */
        BPFAOT_RELOC_KFUNC = 1,         /* call src 2: call the extern function `name` */
        BPFAOT_RELOC_HELPER_EXTERN = 2, /* call of an extern function, `name` */
        BPFAOT_RELOC_DATA = 3,          /* lddw: address of global data: data section + offset */
        BPFAOT_RELOC_MAP = 4,           /* lddw: a map of the object (index in `data_sec`) */
};

struct bpfaot_reloc {
        size_t insn;      /* instruction index the relocation applies to */
        int kind;         /* enum bpfaot_reloc_kind */
        const char *name; /* symbol name */
        const char *what; /* for UNRESOLVED: what kind of reference, e.g. "map", "global data" */
        const char *why;  /* for UNRESOLVED: why, when known (else: not supported) */
        size_t data_sec;  /* DATA: index into bpfaot_prog.data; MAP: into bpfaot_elf.maps */
        uint64_t offset;  /* DATA: byte offset in that section */
};

/*
 * A global data section of an eBPF object (.data, .rodata, .bss, string and
 * custom .data.* / .rodata.* sections): compiled to a native global with
 * these initial bytes (NULL for .bss: zeroes); read-only ones are constant.
 */
/* A variable in a global data section (for typed access from a host). */
struct bpfaot_data_var {
        const char *name;
        uint64_t offset, size;
        uint32_t btf_type; /* its type in the object's BTF, 0 when unknown */
};

struct bpfaot_data_sec {
        const char *name;             /* section name, e.g. ".rodata.str1.1" */
        struct bpfaot_data_var *vars; /* sorted by offset */
        size_t var_cnt;
        const uint8_t *bytes; /* initial contents, NULL for zeroes */
        size_t size;
        bool readonly;
        const char *symbol; /* name of the native global */
};

/* A function of a linked program: where it starts, and its symbol. */
struct bpfaot_func {
        size_t start;
        char *name;
};

/*
 * Where an instruction comes from in the source: a record of an object's
 * .BTF.ext line info (clang -g). It holds for its instruction and those
 * after it in the same function, up to the next record.
 */
struct bpfaot_line {
        size_t insn;      /* instruction index in the program */
        const char *file; /* source file as the compiler named it (often an absolute path) */
        const char *text; /* the source line's text, "" when unknown */
        uint32_t line;    /* 1-based; 0: unknown */
        uint32_t col;     /* 1-based; 0: unknown */
};

/*
 * A program: a flat instruction array where insns[0] is the entry point.
 * Sub-programs are reached by local calls (call src 1) inside the array.
 */
struct bpfaot_prog {
        const char *input;   /* input file name for messages */
        const char *name;    /* program name for messages */
        const char *section; /* ELF section, may be NULL */
        const struct bpfaot_insn *insns;
        size_t insn_cnt;
        const struct bpfaot_reloc *relocs; /* sorted by insn; may be NULL */
        size_t reloc_cnt;
        const struct btf *btf;              /* for kfunc names; may be NULL */
        const struct bpfaot_data_sec *data; /* global data sections DATA relocations name */
        size_t data_cnt;
        const struct bpfaot_map_desc *maps; /* maps MAP relocations name */
        size_t map_cnt;
        /*
         * Prefix of the object's native symbols (<prefix>__bss, <prefix>__maps,
         * ...): the eBPF object's file name without .bpf.o, as a C identifier.
         */
        const char *symbol_prefix;
        /*
         * The functions the program was linked from, in order (funcs[0] is
         * the program's own; may be NULL): messages about an instruction of
         * an appended sub-program or callback name it as <function>+<offset>.
         */
        const struct bpfaot_func *funcs;
        size_t func_cnt;
        /*
         * Line info, sorted by insn (may be NULL): where the instructions
         * come from in the source, for debug info (bpfaot_compile_opts.
         * debug_info). Records outside the program are ignored.
         */
        const struct bpfaot_line *lines;
        size_t line_cnt;
};

struct bpfaot_validate_opts {
        size_t sz;
        size_t max_insns;    /* 0: BPFAOT_DEFAULT_MAX_INSNS */
        uint32_t stack_size; /* 0: BPFAOT_DEFAULT_STACK_SIZE */
        /*
         * Instruction visits the register analysis may make before the
         * program is refused (-E2BIG, "did not settle"); 0: its own budget,
         * 1,048,576 plus 1,024 per instruction, which programs the kernel
         * verifier accepts stay far below.
         */
        size_t analysis_budget;
};

/*
 * Check that a program can be translated: known opcodes, reserved fields
 * zero, register numbers, no write to r10, jumps inside their sub-program
 * and not into an lddw's second slot, complete lddw, no fall-through past the
 * end of a sub-program, local call targets inside the program and no
 * recursion, constant stack offsets inside the frame, size limits, no read
 * of a register that no path has written, names of called functions that
 * can be native symbols, no store through an address that is read-only
 * global data on every path reaching it, and no load, store or atomic
 * through a map value or ring-buffer record a helper returned that the
 * register analysis proves may still be NULL (not yet compared with 0).
 */
int bpfaot_validate(const struct bpfaot_prog *prog, const struct bpfaot_validate_opts *opts,
                    struct bpfaot_error *err);

struct bpfaot_verify_opts {
        size_t sz;
        size_t max_insns;    /* 0: BPFAOT_DEFAULT_MAX_INSNS */
        uint32_t stack_size; /* 0: BPFAOT_DEFAULT_STACK_SIZE */
};
/*
 * Validate `prog` (bpfaot_validate) and describe what the register analysis
 * knows before each reachable instruction, as the kernel verifier's log at
 * level 2 does: "<insn>: R1=ctx(off=0) R10=fp0 ..." then "<insn>: <the
 * instruction>", runs of unreachable instructions in one line, and a last
 * line "verdict: accepted (...)". The text goes to `log` (release it with
 * bpfaot_buf_free). A program validation refuses gets no log and the
 * validator's message in `err`, except for the checks the register
 * analysis makes (a dereference of a map value or ring-buffer record that
 * may be NULL): then the log shows what led to the refusal and ends in
 * "verdict: refused", and both `log` and `err` are filled.
 */
int bpfaot_verify_log(const struct bpfaot_prog *prog, const struct bpfaot_verify_opts *opts,
                      struct bpfaot_buf *log, struct bpfaot_error *err);

/*
 * Fill `err` with `msg` located at instruction `idx` of `prog` (idx < 0: the
 * program as a whole), as the library's own errors are: "<input>: <program>:
 * insn <idx>: <disassembly>: <msg>". For hosts reporting what went wrong in
 * a run, such as a sandbox fault (bpfaot/sandbox.h). Returns -code.
 */
int bpfaot_prog__error(const struct bpfaot_prog *prog, long idx, int code, const char *msg,
                       struct bpfaot_error *err);

/* Receives one diagnostic of several (the error is only valid during the call). */
typedef void (*bpfaot_error_report)(void *ctx, const struct bpfaot_error *err);
/*
 * Report every relocation of `prog` that cannot be resolved (kind
 * BPFAOT_RELOC_UNRESOLVED), worded as bpfaot_validate() words the first;
 * returns how many there are. `report` may be NULL (just count).
 */
size_t bpfaot_prog__report_unresolved(const struct bpfaot_prog *prog, bpfaot_error_report report,
                                      void *ctx);

/* ------------------------------------------------------------------ */
/* eBPF ELF objects                                                    */
/* ------------------------------------------------------------------ */

/* One program found in an eBPF ELF object (a function in an executable section other than .text).
 */
struct bpfaot_elf_prog {
        char *name;
        char *section;
        struct bpfaot_insn *insns;
        size_t insn_cnt;
        struct bpfaot_reloc *relocs;
        size_t reloc_cnt;
        struct bpfaot_func *funcs; /* the program's function, then those linked in */
        size_t func_cnt;
        struct bpfaot_line *lines; /* .BTF.ext line info of its instructions, sorted; or NULL */
        size_t line_cnt;
};

/* A map defined by an eBPF object: BTF-defined (.maps) or legacy (SEC("maps")). */
/*
 * A slot of a PROG_ARRAY or map of maps filled by the object itself, as in
 * `.values = { [1] = &prog }` of a BTF-defined map.
 */
struct bpfaot_map_init {
        uint32_t slot;
        const char *prog; /* PROG_ARRAY: the program's name */
        uint32_t map;     /* ARRAY_OF_MAPS / HASH_OF_MAPS: index in bpfaot_elf.maps */
};

struct bpfaot_map_desc {
        const char *name;
        uint32_t type; /* enum bpf_map_type */
        uint32_t key_size, value_size, max_entries, map_flags;
        /* __uint(map_extra, N): BLOOM_FILTER's number of hash functions */
        uint32_t map_extra;
        bool legacy; /* from a struct bpf_map_def in a "maps" section */
        /* Map of maps: the inner map template (`__array(values, struct ...)`), or NULL. */
        struct bpfaot_map_desc *inner;
        struct bpfaot_map_init *inits; /* sorted by slot */
        size_t init_cnt;
};

/*
 * A CO-RE relocation record (.BTF.ext). bpf-aot keeps the value the compiler
 * put in the instruction (the layout of the program's own types); build -v
 * lists the records so that users see which accesses assume that layout.
 */
struct bpfaot_core_relo {
        const char *section;   /* program section */
        uint32_t insn;         /* instruction index in the section */
        uint32_t kind;         /* enum bpf_core_relo_kind */
        const char *type_name; /* root type, "" when anonymous */
        const char *access;    /* access string, e.g. "0:1:2" */
};

struct bpfaot_elf {
        char *input;
        struct bpfaot_elf_prog *progs;
        size_t prog_cnt;
        struct btf *btf;              /* the object's .BTF, or NULL */
        struct bpfaot_data_sec *data; /* global data sections */
        size_t data_cnt;
        struct bpfaot_map_desc *maps; /* maps, in section order */
        size_t map_cnt;
        char *symbol_prefix; /* see bpfaot_prog.symbol_prefix */
        struct bpfaot_core_relo *core_relos;
        size_t core_relo_cnt;
};

/*
 * Read an eBPF ELF object (clang or GCC output) from memory: its programs,
 * their instructions, the relocations that apply to them and the BTF. The
 * data need not outlive the call.
 */
int bpfaot_elf__open_mem(const void *data, size_t len, const char *input_name,
                         struct bpfaot_elf **elf, struct bpfaot_error *err);

/*
 * Where the values of an object's .kconfig externs (extern int CONFIG_HZ
 * __kconfig) come from. A build happens before any kernel loads the object,
 * so the reader asks its caller rather than the host (libbpf asks the
 * loading host); bpfaot_kconfig__provider() gives one from a kernel config.
 */
struct bpfaot_extern_provider {
        /*
         * Set *value to the value of extern `name` ("CONFIG_HZ",
         * "LINUX_KERNEL_VERSION") as kernel config text — "y", "m", "n", a
         * number or a quoted string — that stays valid while the provider
         * does, and return 0. Return -ENOENT when there is no such value,
         * with the reason in why[why_len] (e.g. "CONFIG_HZ is not in the
         * kernel config k.config"): a __weak extern is then 0, any other an
         * unresolved relocation that gives the reason. Any other negative
         * errno (`why` saying why, e.g. the config cannot be read) fails the
         * read.
         */
        int (*resolve)(void *ctx, const char *name, const char **value, char *why, size_t why_len);
        void *ctx;
};

struct bpfaot_elf_opts {
        size_t sz;
        /*
         * Values of the .kconfig externs. Zeroed: none, so a __weak one is 0
         * and any other is an unresolved relocation saying that no kernel
         * config was given.
         */
        struct bpfaot_extern_provider externs;
};
/* bpfaot_elf__open_mem with options (NULL: the defaults). */
int bpfaot_elf__open_mem_opts(const void *data, size_t len, const char *input_name,
                              const struct bpfaot_elf_opts *opts, struct bpfaot_elf **elf,
                              struct bpfaot_error *err);
void bpfaot_elf__free(struct bpfaot_elf *elf);

/*
 * A kernel config as an extern provider: CONFIG_* values from the config
 * file `path` (plain text or gzip; NULL: the build host's, /proc/config.gz
 * or /boot/config-<release>, when it has one; `# CONFIG_X is not set` is
 * n) and LINUX_KERNEL_VERSION, the build host's kernel version (uname) as
 * KERNEL_VERSION(a, b, c). The file is read when the first CONFIG_* value
 * is asked for, so objects without such externs need none; one that cannot
 * be read then fails bpfaot_elf__open_mem_opts.
 */
struct bpfaot_kconfig;
int bpfaot_kconfig__new(const char *path, struct bpfaot_kconfig **kconfig,
                        struct bpfaot_error *err);
/* The provider for bpfaot_elf_opts.externs; valid until bpfaot_kconfig__free (NULL: none). */
struct bpfaot_extern_provider bpfaot_kconfig__provider(struct bpfaot_kconfig *kconfig);
void bpfaot_kconfig__free(struct bpfaot_kconfig *kconfig);

/*
 * Generate the skeleton header <prefix>.aot.h for an object compiled with
 * bpfaot_compile_progs() whose program i has the entry <prefix>__<progs[i]>
 * (prefix: elf->symbol_prefix). The text is returned in `out`.
 */
int bpfaot_skeleton_header(const struct bpfaot_elf *elf, const char *const *progs, size_t nprogs,
                           struct bpfaot_buf *out, struct bpfaot_error *err);

struct bpfaot_skeleton_opts {
        size_t sz;
        /*
         * The object was compiled with bpfaot_compile_opts.instances: each
         * __open() makes an instance with its own maps and data, and
         * <prefix>_aot__run(skel, prog, ctx, size) runs a program on one.
         */
        bool instances;
};
/* bpfaot_skeleton_header with options (NULL: the defaults). */
int bpfaot_skeleton_header_opts(const struct bpfaot_elf *elf, const char *const *progs,
                                size_t nprogs, const struct bpfaot_skeleton_opts *opts,
                                struct bpfaot_buf *out, struct bpfaot_error *err);
/* Name of a CO-RE relocation kind ("field_byte_offset", ...). */
const char *bpfaot_core_relo_kind_name(uint32_t kind);
/* The kernel's name of helper `id` without bpf_ ("trace_vprintk"), or NULL when not known. */
const char *bpfaot_helper_name(uint32_t id);
/* View program `idx` as a bpfaot_prog (pointers into `elf`). */
void bpfaot_elf__prog(const struct bpfaot_elf *elf, size_t idx, struct bpfaot_prog *prog);

/* ------------------------------------------------------------------ */
/* Compilation                                                         */
/* ------------------------------------------------------------------ */

enum bpfaot_output {
        BPFAOT_OUTPUT_OBJECT = 0, /* native ELF relocatable object */
        BPFAOT_OUTPUT_LLVM_IR = 1,
        BPFAOT_OUTPUT_ASM = 2,
};

/*
 * Optimisation levels (bpfaot_compile_opts.optimize). Zero, like every
 * zeroed option, is the default.
 */
enum bpfaot_optimize {
        BPFAOT_O_DEFAULT = 0, /* -O2 */
        BPFAOT_O0,
        BPFAOT_O1,
        BPFAOT_O2,
        BPFAOT_O3,
};
/* The level of -O<n>, n = 0..3. */
#define BPFAOT_O(n) (BPFAOT_O0 + (n))

/*
 * Target machines kept between compiles. LLVM makes a target machine, with
 * its code generator's tables, for every compile; that costs a small
 * program's compile more than its code does. Compiles given the same pool
 * (bpfaot_compile_opts.targets) take an idle machine that an earlier one
 * made for the same target, CPU, features and level, and give it back when
 * they end. Compiles on several threads may share a pool, which must
 * outlive them; their output is the same with a pool or without.
 */
struct bpfaot_targets;
int bpfaot_targets__new(struct bpfaot_targets **targets, struct bpfaot_error *err);
/* Frees the pool and its machines; no compile may be using it. */
void bpfaot_targets__free(struct bpfaot_targets *targets);

/* Options of a compilation; zeroed (or NULL) means every default below. */
struct bpfaot_compile_opts {
        size_t sz;
        const char *triple;     /* NULL: host */
        const char *cpu;        /* NULL: "generic", clang's baseline (x86-64 on x86_64); */
                                /* "native": the host CPU */
        const char *features;   /* NULL: none ("native" cpu: the host's) */
        int optimize;           /* enum bpfaot_optimize; 0: -O2 */
        const char *entry_name; /* NULL: BPFAOT_DEFAULT_ENTRY, "bpf_main" */
        uint32_t stack_size;    /* 0: BPFAOT_DEFAULT_STACK_SIZE */
        size_t max_insns;       /* 0: BPFAOT_DEFAULT_MAX_INSNS */
        int output;             /* enum bpfaot_output; 0: a native object */
        /*
         * Sub-programs longer than this are split into separately optimised
         * regions of about this many instructions, which keeps compile time
         * linear in program size (0: BPFAOT_DEFAULT_REGION_INSNS).
         */
        size_t region_insns;
        /*
         * Compile bpf_map_lookup_elem on the object's ARRAY maps to address
         * arithmetic on the runtime's map (struct bpfaot_map_inline in
         * bpfaot/maps.h) instead of a helper call. Only for objects whose
         * map slots hold maps of this runtime, made from the object's own
         * definitions: a host's own _bpf_helper_ext_0001 is bypassed, and
         * a slot left empty (NULL) finds nothing, as the runtime's helper.
         */
        bool inline_maps;
        /*
         * Load each map of an ELF object as __lddw_helper_map_by_fd(i)
         * (BPFAOT_LDDW_MAP_BY_FD_SYMBOL), i its index in the object's maps
         * (bpfaot_elf.maps), instead of from the <prefix>__maps slot: for hosts
         * that own the maps, as bpftime's AOT programs do. Map loads of raw
         * bytecode (lddw src 1 and 2, the fd in imm) always call it. Not with
         * inline_maps, which reads the runtime's maps (-EINVAL).
         */
        bool maps_by_fd;
        /*
         * Objects of all programs (bpfaot_compile_progs/_elf): programs reach
         * maps and data through the thread's running instance, so that a
         * host can open several instances of the object at once (see the
         * skeleton's <name>_aot__run). A little slower; NULL instance: the
         * object's own maps and data.
         */
        bool instances;
        /*
         * Sandbox (bpfaot/sandbox.h in the runtime): every memory access and
         * helper argument the analysis does not prove to be the program's is
         * checked when it runs; a failed check ends the run, the entry
         * returns 0 and bpfaot_sandbox_fault() says why. Programs calling
         * what the checks do not cover (kfuncs, helpers taking dynptrs,
         * spin locks, timers, kernel objects, format strings) are refused
         * (-ENOTSUP). Not with maps_by_fd.
         */
        bool sandbox;
        /*
         * With sandbox: loop iterations (backward jumps taken, and calls of
         * callbacks) one run may make before it fails; 0: the default,
         * BPFAOT_SANDBOX_DEFAULT_MAX_LOOPS (bpfaot/objabi.h).
         */
        uint64_t sandbox_max_loops;
        /*
         * Source-level debug info (DWARF): line tables from the programs'
         * line info (bpfaot_prog.lines, an object's .BTF.ext from clang -g)
         * and a subprogram per native function, named as the eBPF function
         * it was compiled from (a region of a split sub-program:
         * <function>.region_<insn>; the entry: its symbol), so that
         * debuggers, profilers and addr2line show file:line and function
         * names. A program without line info gets none; its code stays the
         * same either way.
         */
        bool debug_info;
        /*
         * Align the headers of hot loops to this many bytes, a power of two
         * up to BPFAOT_MAX_LOOP_ALIGN (1: no more than any instruction);
         * code generation places them at -O1 and above. 0: 64 on x86-64 at
         * -O2 and -O3 (a cache line, so that a loop's speed does not depend
         * on where the linker puts its function), else the target's own.
         */
        uint32_t loop_align;
        /*
         * Threads one compile may use (0 or 1: the calling thread alone).
         * Code of a long program (or of many programs compiled together)
         * is optimised and code-generated in parts (part_insns), which
         * this many threads share; the output is the same whatever the
         * count.
         */
        unsigned threads;
        /*
         * A module is cut into parts once it holds twice this many LLVM
         * instructions of translated code, each part at least this many
         * (0: BPFAOT_DEFAULT_PART_INSNS, some 1,100 eBPF instructions, so
         * programs from about 2,200 on; a huge value: never), at -O1 and
         * above (-O0 compiles whole).
         * Functions that may be inlined into another stay with it, or are
         * copied into its part; a split sub-program's regions go apart.
         */
        size_t part_insns;
        /* Target machines to reuse (bpfaot_targets__new); NULL: each compile makes its own. */
        struct bpfaot_targets *targets;
};
#define BPFAOT_MAX_LOOP_ALIGN 256u

/* A growable byte buffer owned by the caller; release with bpfaot_buf_free. */
struct bpfaot_buf {
        uint8_t *data;
        size_t len;
};
void bpfaot_buf_free(struct bpfaot_buf *buf);

/*
 * Validate and compile one program. The entry function has the signature
 * uint64_t entry(void *ctx, uint64_t ctx_size). Helper calls become calls to
 * _bpf_helper_ext_NNNN; unresolved lddw pseudo-loads call the
 * __lddw_helper_* functions; callx calls BPFAOT_CALLX_SYMBOL.
 */
int bpfaot_compile(const struct bpfaot_prog *prog, const struct bpfaot_compile_opts *opts,
                   struct bpfaot_buf *out, struct bpfaot_error *err);

/*
 * Compile several programs into one native object; program i gets the
 * entry function entries[i]. The programs share one copy of the helpers'
 * declarations, global data and map tables (used for skeleton objects).
 */
int bpfaot_compile_progs(const struct bpfaot_prog *progs, const char *const *entries, size_t cnt,
                         const struct bpfaot_compile_opts *opts, struct bpfaot_buf *out,
                         struct bpfaot_error *err);

/*
 * Compile programs of an eBPF object into one native object, with the entry
 * names of the object's skeleton (bpfaot_elf__entry_name): the programs
 * named in `names` (`cnt` of them), or all of them when `names` is NULL. A
 * program that tail-calls the object's other programs through a PROG_ARRAY
 * the object fills (bpfaot_elf__prog_array_map) finds them only this way.
 */
int bpfaot_compile_elf(const struct bpfaot_elf *elf, const char *const *names, size_t cnt,
                       const struct bpfaot_compile_opts *opts, struct bpfaot_buf *out,
                       struct bpfaot_error *err);
/*
 * The entry symbol of program `prog` of `elf` in an object holding several
 * (bpfaot_compile_elf, skeletons): <symbol_prefix>__<prog>. free() it; NULL
 * when out of memory.
 */
char *bpfaot_elf__entry_name(const struct bpfaot_elf *elf, const char *prog);
/*
 * The first PROG_ARRAY whose initial slots the object fills with its own
 * programs (`.values = { [0] = &prog }`), or NULL. Such an object's programs
 * belong in one native object: bpfaot_compile_elf().
 */
const struct bpfaot_map_desc *bpfaot_elf__prog_array_map(const struct bpfaot_elf *elf);

/*
 * The names compiled code imports and defines, and the layouts of the
 * descriptors it holds (BPFAOT_CALLX_SYMBOL, BPFAOT_TAIL_CALL_SYMBOL,
 * BPFAOT_CPU_ENTER/EXIT_SYMBOL, BPFAOT_HELPER_PREFIX, ...):
 * bpfaot/objabi.h, shared with the runtime.
 */

/*
 * The runtime's definitions of the maps `prog` references (prog->maps), as
 * the <obj>__map_defs of a compiled object holds them, except that a
 * PROG_ARRAY starts empty (its contents name native entries): for running
 * the program without compiling it. *defs is NULL without maps, else one
 * allocation of prog->map_cnt definitions and what they point to, for
 * free(); their names point into `prog`.
 */
int bpfaot_prog__map_defs(const struct bpfaot_prog *prog, struct bpfaot_map_def **defs,
                          struct bpfaot_error *err);

/* Host triple as LLVM sees it; caller frees with free(). */
char *bpfaot_host_triple(void);

/*
 * LLVM ends the process after a fatal error, which the library's checks of
 * programs, targets and CPUs exist to prevent. A program embedding the
 * library can have such an error reported in its own words first: `handler`
 * receives LLVM's reason and must not return (LLVM aborts if it does). NULL
 * restores LLVM's default. Process-wide, like LLVM's handler itself.
 */
typedef void (*bpfaot_fatal_error_handler)(const char *reason);
void bpfaot_set_fatal_error_handler(bpfaot_fatal_error_handler handler);

/* ------------------------------------------------------------------ */
/* Loading native objects in-process (LLVM ORC)                        */
/* ------------------------------------------------------------------ */

/*
 * Resolve an undefined symbol of a native object to an address; return 0 when
 * the symbol is unknown (loading then fails with a message naming it).
 */
typedef uint64_t (*bpfaot_symbol_resolver)(void *ctx, const char *name);

struct bpfaot_jit_opts {
        size_t sz;
        bpfaot_symbol_resolver resolve;
        void *resolve_ctx;
};

struct bpfaot_jit;

/* Link a native relocatable object into this process. All undefined
 * symbols are resolved before anything runs. */
int bpfaot_jit__load(const void *obj, size_t obj_len, const char *input_name,
                     const struct bpfaot_jit_opts *opts, struct bpfaot_jit **jit,
                     struct bpfaot_error *err);
/* Address of a defined symbol, or NULL (with `err` filled). */
void *bpfaot_jit__lookup(struct bpfaot_jit *jit, const char *name, struct bpfaot_error *err);
void bpfaot_jit__free(struct bpfaot_jit *jit);

/*
 * What a buffer holds, by its ELF header: no ELF, an eBPF object (either byte
 * order; also an ELF file too short to have a machine field), other ELF.
 */
enum bpfaot_elf_kind {
        BPFAOT_ELF_NONE,
        BPFAOT_ELF_EBPF,
        BPFAOT_ELF_NATIVE,
};
enum bpfaot_elf_kind bpfaot_elf_kind(const void *data, size_t len);

/* List the global symbols a native ELF object defines: calls `fn` for each. */
int bpfaot_object_defined_symbols(const void *obj, size_t obj_len, const char *input_name,
                                  int (*fn)(void *ctx, const char *name), void *ctx,
                                  struct bpfaot_error *err);
/*
 * What a native object's symbols say under the object ABI (bpfaot/objabi.h),
 * as the runtime's loader takes it (struct bpfaot_object_opts in
 * bpfaot/host.h): `prefix` is the <obj> of its <obj>__abi_version (or of
 * <obj>__map_defs in an object of an older ABI, which the loader refuses),
 * NULL when it has neither (compiled from raw bytecode); `entries` are the
 * entry symbols of its programs, each <entry> with an <entry>__prog.
 */
struct bpfaot_object_abi {
        char *prefix;
        char **entries;
        size_t entry_cnt;
};
int bpfaot_object_read_abi(const void *obj, size_t obj_len, const char *input_name,
                           struct bpfaot_object_abi *abi, struct bpfaot_error *err);
void bpfaot_object_abi__free(struct bpfaot_object_abi *abi);
/* List the undefined symbols of a native ELF object: calls `fn` for each. */
int bpfaot_object_undefined_symbols(const void *obj, size_t obj_len, const char *input_name,
                                    int (*fn)(void *ctx, const char *name), void *ctx,
                                    struct bpfaot_error *err);

/* ------------------------------------------------------------------ */
/* Reference interpreter                                               */
/* ------------------------------------------------------------------ */

typedef uint64_t (*bpfaot_helper_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

/* Return the helper for `id`, or NULL when there is none. */
typedef bpfaot_helper_fn (*bpfaot_helper_lookup)(void *ctx, uint32_t id);

struct bpfaot_interp_opts {
        size_t sz;
        bpfaot_helper_lookup helper;
        void *helper_ctx;
        uint32_t stack_size; /* 0: BPFAOT_DEFAULT_STACK_SIZE */
        uint64_t max_steps;  /* instructions a run may execute; 0: BPFAOT_DEFAULT_MAX_STEPS */
        /*
         * Storage for the program's global data sections (prog->data_cnt
         * buffers of the sections' sizes, holding their current contents),
         * so that state persists across runs; NULL: each run gets fresh
         * copies of the initial bytes.
         */
        uint8_t *const *data;
        /*
         * The program's maps: prog->map_cnt pointers, what an lddw of map k
         * loads and hands to helpers (for the runtime's helpers, maps it
         * created). NULL: an lddw of a map is an error.
         */
        void *const *maps;
        /*
         * Memory other than the context, the stack frames and global data
         * that the program may access, such as map values helpers return:
         * true if [addr, addr + size) is. NULL: none.
         */
        bool (*mem_ok)(void *ctx, uintptr_t addr, size_t size);
        void *mem_ok_ctx;
        /*
         * Called around a run of a program with per-CPU maps, as compiled
         * entries call them: the runtime's bpfaot_rt_cpu_enter/exit
         * (bpfaot/runtime.h), so that the run has a virtual CPU to itself.
         * NULL: not called.
         */
        void (*cpu_enter)(void);
        void (*cpu_exit)(void);
        /*
         * Called before each instruction runs, in every frame, with the
         * frame's depth (0: the program's entry; a local call adds 1), the
         * instruction's index and the registers r0-r10 (r10 the frame's top,
         * a host address). For checking analyses against real runs. NULL:
         * not called.
         */
        void (*trace)(void *ctx, unsigned depth, size_t insn, const uint64_t regs[BPFAOT_NUM_REGS]);
        void *trace_ctx;
        /*
         * A 64-bit load of a map by the host's id or descriptor (src
         * BPF_PSEUDO_MAP_FD, and BPF_PSEUDO_MAP_VALUE for its value) without
         * a relocation, as in the programs a libbpf loader gives a
         * shared-memory segment: the map is map_by_fd(map_ctx, imm) (0: no
         * such map, an error), the value's address map_value(map_ctx, map)
         * plus the second imm, as compiled code asks
         * __lddw_helper_map_by_fd and __lddw_helper_map_val
         * (bpfaot/objabi.h). NULL: such loads are errors.
         */
        uint64_t (*map_by_fd)(void *ctx, uint32_t imm);
        uint64_t (*map_value)(void *ctx, uint64_t map);
        void *map_ctx;
};

/*
 * Run a validated program on `mem` (r1 = mem, r2 = mem_len). Memory accesses
 * outside `mem`, the stack frames, global data and what opts->mem_ok allows
 * are errors, as are stores to read-only data, unknown helpers and exceeding
 * max_steps. Returns 0 and r0 in *ret, or a negative errno.
 */
int bpfaot_interp_run(const struct bpfaot_prog *prog, void *mem, size_t mem_len,
                      const struct bpfaot_interp_opts *opts, uint64_t *ret,
                      struct bpfaot_error *err);

/*
 * The same, validated once for many runs: bpfaot_interp__open checks the
 * program and its helpers (errors as bpfaot_interp_run's), keeping `prog`
 * (which must outlive it) and a copy of `opts`; each bpfaot_interp__run
 * runs it on its own frames, so runs may go on in several threads at once
 * (opts->data, when set, is then shared by them, as globals are).
 */
struct bpfaot_interp;
int bpfaot_interp__open(const struct bpfaot_prog *prog, const struct bpfaot_interp_opts *opts,
                        struct bpfaot_interp **ip, struct bpfaot_error *err);
int bpfaot_interp__run(const struct bpfaot_interp *ip, void *mem, size_t mem_len, uint64_t *ret,
                       struct bpfaot_error *err);
void bpfaot_interp__free(struct bpfaot_interp *ip);

/*
 * While an interpreted program's helper runs on this thread: how many of the
 * `n` bytes at `p` the program may read (its context, live frames, global
 * data and what opts->mem_ok allows), from p on; `n` when no interpreted
 * helper call is under way. `ctx` is unused. A host gives it to the runtime
 * (bpfaot_sandbox_set_readable) so that helpers reading pointers found in a
 * program's data (a format's %s) stay inside the program's memory.
 */
size_t bpfaot_interp_readable(void *ctx, const void *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* BPFAOT_BPFAOT_H */

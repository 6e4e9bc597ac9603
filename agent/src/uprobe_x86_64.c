/* SPDX-License-Identifier: MIT */
/*
 * In-process uprobes on x86-64 (uprobe.h): a probed address's first instructions (at least
 * 5 bytes) are replaced by `jmp rel32` to a per-site trampoline allocated within reach:
 *
 *	thunk:	lea -128(%rsp), %rsp		step over the red zone
 *		push site(%rip)
 *		jmp *entry(%rip)		-> uprobe__entry_asm (uprobe_x86_64.S)
 *	site:	.quad <struct uprobe_site *>
 *	entry:	.quad uprobe__entry_asm
 *	resume:	<the displaced instructions, relocated>
 *		jmp <addr + displaced>
 *
 * uprobe__entry_asm saves everything, calls uprobe__entry_dispatch() below (the handler,
 * then the return hook), restores everything and continues at `resume`.
 *
 * Process-wide state (the sites, the trampoline chunks, the CPU's vector state size) is
 * inherent: the patched code is the process's. It is guarded by one mutex, taken by attach
 * and detach only; a hit reads immutable site fields and its own thread's state.
 */
#define _GNU_SOURCE
#include "uprobe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* "cannot patch NAME: REASON" into msg (may be NULL); returns err. */
static int uprobe_fail(char *msg, size_t msg_size, const char *name, int err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int uprobe_fail(char *msg, size_t msg_size, const char *name, int err, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (!msg || !msg_size)
                return err;
        n = snprintf(msg, msg_size, "cannot patch %s: ", name);
        if (n >= 0 && (size_t)n < msg_size) {
                va_start(ap, fmt);
                vsnprintf(msg + n, msg_size - n, fmt, ap);
                va_end(ap);
        }
        return err;
}

#if defined(__x86_64__)

#include <Zydis/Zydis.h>
#include <cpuid.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define PATCH_SIZE    5        /* jmp rel32 */
#define MAX_DISPLACED (4 + 15) /* the last instruction starts before +5, at most 15 bytes */
#define RED_ZONE      128      /* the SysV ABI's; also in the .S */
#define SLOT_MAX      256      /* a site's trampoline: thunk 33 + 5 x 16 + 14, rounded up */
#define SLOT_ALIGN    16
#define CHUNK_SIZE    (64 * 1024) /* trampoline memory is mapped this much at a time */
/* Trampolines go within 1 GiB of the code: the rest of the +-2 GiB of a rel32 is margin for
 * the relocated instructions' own operands, which reach +-2 GiB from the original code. */
#define NEAR_RANGE    (1UL << 30)
#define USER_TOP      0x7ffffffff000UL /* the end of 47-bit user space (mappings go no higher) */
#define MIN_MAP_ADDR  0x10000UL        /* vm.mmap_min_addr's default */
#define GROW_ROOM     (1UL << 30)      /* left free above [heap] and below [stack] */
#define SHADOW_DEPTH  64               /* pending return probes per thread */
#define STACK_SPAN    (64UL << 20)     /* frames this close are taken to share a stack */
#define SCAN_MAX      (1UL << 20)      /* longest function scanned for jumps into the patch */
#define AMX_TILE_MASK ((1ULL << 17) | (1ULL << 18)) /* XTILECFG, XTILEDATA */
#define USER_CS       0x33 /* the selectors Linux gives 64-bit user code, for pt_regs */
#define USER_SS       0x2b

#define HIDDEN __attribute__((visibility("hidden")))

struct uprobe_site {
        uintptr_t addr;
        size_t displaced;         /* bytes of whole instructions moved to the trampoline */
        uint8_t orig[PATCH_SIZE]; /* the bytes the jmp replaced */
        uint8_t jmp[PATCH_SIZE];  /* the jmp (detach restores only if still there) */
        uintptr_t resume;         /* the relocated instructions in the trampoline */
        uprobe_handler_fn entry, ret;
        void *data;
        atomic_bool active;
        /* Every site ever attached, never freed: a thread may still be in its trampoline or
         * have its return pending after detach. */
        struct uprobe_site *next;
};

/* The frame uprobe_x86_64.S builds (see there). */
struct uprobe_frame {
        struct pt_regs regs;
        uint64_t slot; /* entry: the site; out: where to continue */
        uint8_t red_zone[RED_ZONE];
};
_Static_assert(sizeof(struct pt_regs) == 168, "PT_REGS_SIZE in uprobe_x86_64.S");
_Static_assert(offsetof(struct pt_regs, r15) == 0 && offsetof(struct pt_regs, rdi) == 14 * 8 &&
                   offsetof(struct pt_regs, eflags) == 18 * 8 &&
                   offsetof(struct pt_regs, ss) == 20 * 8,
               "the push order in uprobe_x86_64.S");

/* A pending return: where to go, the stack slot its return address was in, whose it is. */
struct shadow_ent {
        uintptr_t ret;
        uintptr_t rsp;
        struct uprobe_site *site;
};

struct uprobe_thread {
        bool busy; /* in a dispatcher: hits run no handler (a handler calling probed code) */
        unsigned depth;
        struct shadow_ent ent[SHADOW_DEPTH];
};

/* initial-exec: a hit must not call the dynamic linker's TLS allocation (it may malloc, and
 * malloc may be the probed function). Hence: no dlopen() of this library (see uprobe.h). */
static __thread struct uprobe_thread uprobe_thread __attribute__((tls_model("initial-exec")));

/* Read by the assembly: how to save the vector state. Set once (pthread_once) before any
 * patch exists. */
HIDDEN uint64_t uprobe__vec_size;   /* bytes (a multiple of 64) */
HIDDEN uint64_t uprobe__xsave_mask; /* edx:eax of xsave/xrstor */
HIDDEN uint8_t uprobe__use_xsave;   /* 2: xsavec, 1: xsave, 0: fxsave */

HIDDEN void uprobe__entry_asm(void);
HIDDEN void uprobe__ret_tramp(void);
HIDDEN void uprobe__entry_dispatch(struct uprobe_frame *f);
HIDDEN void uprobe__ret_dispatch(struct uprobe_frame *f);

/* A chunk of trampoline memory, filled from the start (never unmapped). */
struct chunk {
        uintptr_t base;
        size_t used;
        struct chunk *next;
};

static pthread_mutex_t uprobe_lock = PTHREAD_MUTEX_INITIALIZER;
static struct uprobe_site *uprobe_sites;
static struct chunk *uprobe_chunks;
static pthread_once_t uprobe_once = PTHREAD_ONCE_INIT;

/* ---- the hit path ---- */

static void regs_fill(struct pt_regs *r, const struct uprobe_frame *f, uintptr_t rip, uintptr_t rsp)
{
        *r = f->regs;
        r->rip = rip;
        r->rsp = rsp;
        r->cs = USER_CS;
        r->ss = USER_SS;
        r->orig_rax = (unsigned long)-1; /* as the kernel's for a non-syscall entry */
}

/* Whether a pending return's frame is gone, seen from a frame whose return address is at
 * rsp: it lay below on the same stack (left by longjmp or an exception; the kernel drops
 * such frames the same way). Only within STACK_SPAN: a frame on another stack (a coroutine,
 * a signal stack) may be lower and still live. */
static bool shadow_dead(const struct shadow_ent *e, uintptr_t rsp)
{
        return e->rsp < rsp && rsp - e->rsp < STACK_SPAN;
}

/* Hook the return of the function entered with its return address at rsp. The thread's
 * shadow stack is compacted on the way (entries of other stacks stay, in order). */
static void shadow_push(struct uprobe_thread *t, struct uprobe_site *site, uintptr_t rsp)
{
        uintptr_t *ra = (uintptr_t *)rsp;
        uintptr_t tramp = (uintptr_t)uprobe__ret_tramp;
        uintptr_t real = *ra, chained = 0;
        unsigned n = 0;

        for (unsigned i = 0; i < t->depth; i++) {
                struct shadow_ent e = t->ent[i];

                if (shadow_dead(&e, rsp))
                        continue;
                if (e.rsp == rsp) {
                        /* Our slot: a new return address means that frame is gone; the
                         * trampoline means a tail call from a return-probed function,
                         * whose handlers all run at that one return. */
                        if (real != tramp)
                                continue;
                        chained = e.ret;
                }
                t->ent[n++] = e;
        }
        t->depth = n;
        if (n == SHADOW_DEPTH || (real == tramp && !chained))
                return; /* full: this call is not return-probed */
        t->ent[n] = (struct shadow_ent){.ret = chained ?: real, .rsp = rsp, .site = site};
        atomic_signal_fence(memory_order_seq_cst); /* the entry before a signal can see it */
        t->depth = n + 1;
        *ra = tramp;
}

/* Reads the frame the assembly built and the interrupted code's stack, which ASan knows
 * nothing about. */
__attribute__((no_sanitize_address)) void uprobe__entry_dispatch(struct uprobe_frame *f)
{
        struct uprobe_site *site = (struct uprobe_site *)f->slot;
        struct uprobe_thread *t = &uprobe_thread;
        uintptr_t rsp = (uintptr_t)(f + 1);
        struct pt_regs regs;

        f->slot = site->resume;
        if (t->busy || !atomic_load_explicit(&site->active, memory_order_acquire))
                return;
        t->busy = true;
        atomic_signal_fence(memory_order_seq_cst);
        if (site->entry) {
                regs_fill(&regs, f, site->addr, rsp);
                site->entry(site->data, &regs);
        }
        if (site->ret)
                shadow_push(t, site, rsp);
        atomic_signal_fence(memory_order_seq_cst);
        t->busy = false;
}

/* No entry for this return: nothing says where to go (the kernel kills the process too). */
__attribute__((noreturn, cold)) static void lost_return(void)
{
        static const char m[] = "uprobe: return trampoline reached with no pending return "
                                "on this thread's shadow stack\n";

        if (write(STDERR_FILENO, m, sizeof(m) - 1) < 0) {
                /* nothing more to say */
        }
        abort();
}

__attribute__((no_sanitize_address)) void uprobe__ret_dispatch(struct uprobe_frame *f)
{
        struct uprobe_thread *t = &uprobe_thread;
        uintptr_t rsp = (uintptr_t)(f + 1); /* as after the ret */
        uintptr_t slot = rsp - 8;           /* where the return address was */
        struct uprobe_site *sites[SHADOW_DEPTH];
        bool was_busy = t->busy;
        unsigned n = 0, m = 0;
        uintptr_t real = 0;
        struct pt_regs regs;

        t->busy = true; /* handlers' hits do not push while the stack is rewritten */
        atomic_signal_fence(memory_order_seq_cst);
        for (unsigned i = 0; i < t->depth; i++) {
                struct shadow_ent e = t->ent[i];

                if (e.rsp == slot) { /* ours (several: a chain of tail calls) */
                        sites[m++] = e.site;
                        real = e.ret;
                } else if (!shadow_dead(&e, slot)) {
                        t->ent[n++] = e;
                }
        }
        if (!m)
                lost_return();
        t->depth = n;
        f->slot = real;
        for (unsigned i = m; !was_busy && i--;) { /* the innermost first */
                struct uprobe_site *site = sites[i];

                if (!atomic_load_explicit(&site->active, memory_order_acquire) || !site->ret)
                        continue;
                regs_fill(&regs, f, real, rsp);
                site->ret(site->data, &regs);
        }
        atomic_signal_fence(memory_order_seq_cst);
        t->busy = was_busy;
}

/* ---- set-up ---- */

static uint64_t xgetbv0(void)
{
        uint32_t lo, hi;

        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        return (uint64_t)hi << 32 | lo;
}

/* The vector state handlers may clobber: every component the OS enabled (XCR0) but AMX
 * tiles (compiled handlers do not use them; 8 KiB more stack per hit, and saving them would
 * fault where the process has not asked the kernel for AMX). */
static void vec_init(void)
{
        unsigned a, b, c, d;
        uint64_t mask, size = 512 + 64; /* legacy area + header */

        if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) ||
            __get_cpuid_max(0, NULL) < 0xd) {
                uprobe__vec_size = 512;
                uprobe__use_xsave = 0;
                return;
        }
        mask = xgetbv0() & ~AMX_TILE_MASK;
        for (unsigned i = 2; i < 63; i++) {
                if (!(mask >> i & 1))
                        continue;
                __cpuid_count(0xd, i, a, b, c, d); /* a = size, b = offset (standard form) */
                if ((uint64_t)a + b > size)
                        size = (uint64_t)a + b;
        }
        uprobe__xsave_mask = mask;
        /* The standard form's size: the compacted form of the same components is no larger. */
        uprobe__vec_size = (size + 63) & ~63UL;
        __cpuid_count(0xd, 1, a, b, c, d);
        uprobe__use_xsave = a & (1u << 1) ? 2 : 1; /* XSAVEC supported */
}

/* /proc/self/maps, ascending. */
struct map_ent {
        uintptr_t start, end;
        int prot;
        bool heap_or_stack; /* leave room for them to grow */
};

struct maps {
        struct map_ent *ent;
        size_t cnt;
};

static int maps_read(struct maps *m)
{
        size_t cap = 16384, len = 0, n = 0, ent_cap = 0;
        char *buf = malloc(cap), *line, *nl;
        ssize_t r;
        int fd, err = 0;

        m->ent = NULL;
        m->cnt = 0;
        if (!buf)
                return -ENOMEM;
        fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                free(buf);
                return -errno;
        }
        for (;;) {
                if (len + 1 == cap) {
                        char *nb = realloc(buf, cap * 2);

                        if (!nb) {
                                err = -ENOMEM;
                                break;
                        }
                        buf = nb;
                        cap *= 2;
                }
                r = read(fd, buf + len, cap - 1 - len);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        err = -errno;
                if (r <= 0)
                        break;
                len += r;
        }
        close(fd);
        buf[len] = '\0';
        for (line = buf; !err && *line; line = nl + 1) {
                unsigned long start, end;
                char perms[5] = "", name[16] = "";
                struct map_ent *e;

                nl = strchr(line, '\n');
                if (!nl)
                        break;
                *nl = '\0';
                /* start-end perms offset dev inode [name] */
                if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %15s", &start, &end, perms, name) < 3)
                        continue;
                if (n == ent_cap) {
                        size_t nc = ent_cap ? ent_cap * 2 : 64;
                        struct map_ent *ne = realloc(m->ent, nc * sizeof(*ne));

                        if (!ne) {
                                err = -ENOMEM;
                                break;
                        }
                        m->ent = ne;
                        ent_cap = nc;
                }
                e = &m->ent[n++];
                e->start = start;
                e->end = end;
                e->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
                          (perms[2] == 'x' ? PROT_EXEC : 0);
                e->heap_or_stack = !strcmp(name, "[heap]") || !strcmp(name, "[stack]");
        }
        free(buf);
        if (err) {
                free(m->ent);
                m->ent = NULL;
                return err;
        }
        m->cnt = n;
        return 0;
}

static const struct map_ent *maps_find(const struct maps *m, uintptr_t addr)
{
        for (size_t i = 0; i < m->cnt; i++)
                if (addr >= m->ent[i].start && addr < m->ent[i].end)
                        return &m->ent[i];
        return NULL;
}

static uintptr_t dist(uintptr_t a, uintptr_t b)
{
        return a > b ? a - b : b - a;
}

static bool near(uintptr_t start, size_t size, uintptr_t addr)
{
        return dist(start, addr) < NEAR_RANGE && dist(start + size, addr) < NEAR_RANGE;
}

/* Map CHUNK_SIZE bytes (RW) within NEAR_RANGE of addr: in the free gap nearest to it first. */
static int chunk_map(const struct maps *m, uintptr_t addr, uintptr_t *out)
{
        enum { TRIES = 32 };
        uintptr_t cand[TRIES];
        size_t ncand = 0;

        for (size_t i = 0; i <= m->cnt; i++) {
                uintptr_t lo = i ? m->ent[i - 1].end : MIN_MAP_ADDR;
                uintptr_t hi = i < m->cnt ? m->ent[i].start : USER_TOP;
                uintptr_t c;

                /* Leave room for brk() above the heap and the stack below it to grow. */
                if (i && m->ent[i - 1].heap_or_stack)
                        lo = lo < USER_TOP - GROW_ROOM ? lo + GROW_ROOM : USER_TOP;
                if (i < m->cnt && m->ent[i].heap_or_stack)
                        hi = hi > GROW_ROOM ? hi - GROW_ROOM : 0;
                if (lo < MIN_MAP_ADDR)
                        lo = MIN_MAP_ADDR;
                if (hi > USER_TOP)
                        hi = USER_TOP;
                if (hi <= lo || hi - lo < CHUNK_SIZE)
                        continue;
                c = addr < lo ? lo : hi - CHUNK_SIZE;
                if (!near(c, CHUNK_SIZE, addr))
                        continue;
                /* keep the TRIES nearest, sorted */
                size_t j = ncand < TRIES ? ncand++ : TRIES;
                while (j && dist(cand[j - 1], addr) > dist(c, addr)) {
                        if (j < TRIES)
                                cand[j] = cand[j - 1];
                        j--;
                }
                if (j < TRIES)
                        cand[j] = c;
        }
        for (size_t i = 0; i < ncand; i++) {
                void *p = mmap((void *)cand[i], CHUNK_SIZE, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

                if (p == MAP_FAILED)
                        continue; /* taken since maps was read, or below mmap_min_addr */
                /* Kernels before 4.17 take MAP_FIXED_NOREPLACE as a hint: check. */
                if (!near((uintptr_t)p, CHUNK_SIZE, addr)) {
                        munmap(p, CHUNK_SIZE);
                        continue;
                }
                *out = (uintptr_t)p;
                return 0;
        }
        return -ENOMEM;
}

/* Where a trampoline of up to SLOT_MAX bytes for addr can go (committed by slot_commit). */
static int slot_find(const struct maps *m, uintptr_t addr, struct chunk **out)
{
        struct chunk *c;
        int err;

        for (c = uprobe_chunks; c; c = c->next)
                if (c->used + SLOT_MAX <= CHUNK_SIZE && near(c->base, CHUNK_SIZE, addr)) {
                        *out = c;
                        return 0;
                }
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        err = chunk_map(m, addr, &c->base);
        if (err) {
                free(c);
                return err;
        }
        c->next = uprobe_chunks;
        uprobe_chunks = c;
        *out = c;
        return 0;
}

/* Copy code into a chunk that other threads may be executing: keep it executable while it
 * is writable (x86 keeps instruction fetch coherent with stores). */
static int slot_commit(struct chunk *c, const uint8_t *code, size_t len)
{
        uintptr_t at = c->base + c->used;

        if (mprotect((void *)c->base, CHUNK_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC))
                return -errno;
        memcpy((void *)at, code, len);
        c->used += (len + SLOT_ALIGN - 1) & ~(size_t)(SLOT_ALIGN - 1);
        if (mprotect((void *)c->base, CHUNK_SIZE, PROT_READ | PROT_EXEC))
                return -errno;
        return 0;
}

/* Code memory is read and written here only, uninstrumented: sanitizers' shadow does not
 * cover other modules' text (ThreadSanitizer's faults on it). volatile: no memcpy call,
 * which may be the very function being patched. */
#define CODE_ACCESS __attribute__((no_sanitize("address", "thread")))

CODE_ACCESS static void code_read(void *dst, uintptr_t src, size_t n)
{
        for (size_t i = 0; i < n; i++)
                ((uint8_t *)dst)[i] = ((const volatile uint8_t *)src)[i];
}

/* Write n (<= 8) bytes of live code. Within one aligned 8-byte word (a 16-byte aligned
 * function's first 5 bytes are) that is one store (atomic on x86), so a thread arriving at
 * the first instruction sees either the old or the new bytes. A thread already past the
 * first instruction of the displaced bytes would still break: see uprobe.h. */
CODE_ACCESS static void code_store(uintptr_t addr, const uint8_t *bytes, size_t n)
{
        uintptr_t q = addr & ~(uintptr_t)7;

        if (addr + n <= q + 8) {
                uint64_t v = *(const volatile uint64_t *)q;

                for (size_t i = 0; i < n; i++) {
                        unsigned sh = (addr - q + i) * 8;

                        v = (v & ~(0xffULL << sh)) | (uint64_t)bytes[i] << sh;
                }
                *(volatile uint64_t *)q = v;
                return;
        }
        for (size_t i = 0; i < n; i++)
                ((volatile uint8_t *)addr)[i] = bytes[i];
}

/* Write PATCH_SIZE bytes at addr: the page(s) made writable (and kept executable: code on
 * them may run meanwhile, ours included), then given back their protection from maps. */
static int code_patch(const struct maps *m, uintptr_t addr, const uint8_t *bytes, const char **what)
{
        uintptr_t ps = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t first = addr & ~(ps - 1), last = (addr + PATCH_SIZE - 1) & ~(ps - 1);
        uint8_t old[PATCH_SIZE];
        int prot[2], err = 0;
        size_t npages = first == last ? 1 : 2, done = 0;

        for (size_t i = 0; i < npages; i++) {
                const struct map_ent *e = maps_find(m, first + i * ps);

                if (!e) {
                        *what = "the code is not mapped";
                        return -EFAULT;
                }
                prot[i] = e->prot;
        }
        for (; done < npages; done++)
                if (mprotect((void *)(first + done * ps), ps,
                             prot[done] | PROT_READ | PROT_WRITE | PROT_EXEC)) {
                        err = -errno;
                        *what = "mprotect of the code failed (W^X policy?)";
                        break;
                }
        if (!err) {
                code_read(old, addr, PATCH_SIZE);
                code_store(addr, bytes, PATCH_SIZE);
        }
        for (size_t i = done; i--;)
                if (mprotect((void *)(first + i * ps), ps, prot[i]) && !err) {
                        /* The pages are still writable: take the write back, fail cleanly. */
                        err = -errno;
                        *what = "restoring the code's protection failed";
                        code_store(addr, old, PATCH_SIZE);
                        i = done;
                        done = 0;
                }
        return err;
}

/* ---- decoding and relocation ---- */

enum insn_kind {
        INSN_COPY,   /* position-independent */
        INSN_RIPREL, /* a RIP-relative memory operand: disp32 adjusted */
        INSN_JMP,    /* jmp rel8/rel32 */
        INSN_JCC,    /* jcc rel8/rel32 */
        INSN_CALL,   /* call rel32 */
};

struct insn {
        uint8_t off, len;
        enum insn_kind kind;
        uint8_t cc;       /* INSN_JCC: the condition (low opcode nibble) */
        uint8_t disp_off; /* INSN_RIPREL: where disp32 is in the instruction */
        uintptr_t target; /* the absolute address it refers to */
};

struct plan {
        uintptr_t addr;
        size_t displaced;
        size_t cnt;
        struct insn insn[PATCH_SIZE];
        uintptr_t sym_start, sym_end; /* the function, when dladdr knows it; else 0 */
};

/* What cannot be relocated: rel8-only branches with no rel32 form, and xbegin's abort
 * address. */
static const ZydisMnemonic unrelocatable[] = {
    ZYDIS_MNEMONIC_LOOP,  ZYDIS_MNEMONIC_LOOPE, ZYDIS_MNEMONIC_LOOPNE, ZYDIS_MNEMONIC_JRCXZ,
    ZYDIS_MNEMONIC_JECXZ, ZYDIS_MNEMONIC_JCXZ,  ZYDIS_MNEMONIC_XBEGIN,
};

/* What ends straight-line code (besides the RET and UNCOND_BR categories). */
static const ZydisMnemonic stoppers[] = {
    ZYDIS_MNEMONIC_UD0, ZYDIS_MNEMONIC_UD1,  ZYDIS_MNEMONIC_UD2,   ZYDIS_MNEMONIC_INT3,
    ZYDIS_MNEMONIC_HLT, ZYDIS_MNEMONIC_IRET, ZYDIS_MNEMONIC_IRETD, ZYDIS_MNEMONIC_IRETQ,
};

static bool mnemonic_in(ZydisMnemonic mn, const ZydisMnemonic *set, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (set[i] == mn)
                        return true;
        return false;
}

#define PLAN_FAIL(...) uprobe_fail(msg, msg_size, name, -EOPNOTSUPP, __VA_ARGS__)

/* Decode the instructions covering PATCH_SIZE bytes at p->addr (avail bytes readable). */
static int plan_build(struct plan *p, size_t avail, const char *name, char *msg, size_t msg_size)
{
        size_t limit = p->sym_end ? p->sym_end - p->addr : 0; /* bytes of the function left */
        const uint8_t *code = (const uint8_t *)p->addr;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        ZydisDecodedInstruction zi;
        ZydisDecoder dec;
        size_t off = 0;

        ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
        p->cnt = 0;
        while (off < PATCH_SIZE) {
                struct insn *in = &p->insn[p->cnt++];
                bool stops;

                if (limit && off >= limit)
                        return PLAN_FAIL("function is %zu bytes, shorter than the %d-byte patch",
                                         limit, PATCH_SIZE);
                if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code + off, avail - off, &zi, ops)))
                        return PLAN_FAIL("cannot decode the instruction at +%zu", off);
                if (limit && off + zi.length > limit)
                        return PLAN_FAIL("function is %zu bytes, shorter than the %d-byte patch",
                                         limit, PATCH_SIZE);
                if (mnemonic_in(zi.mnemonic, unrelocatable,
                                sizeof(unrelocatable) / sizeof(unrelocatable[0])))
                        return PLAN_FAIL("%s at +%zu cannot be relocated (no rel32 form)",
                                         ZydisMnemonicGetString(zi.mnemonic), off);
                *in = (struct insn){.off = off, .len = zi.length, .kind = INSN_COPY};
                for (unsigned i = 0; i < zi.operand_count_visible; i++) {
                        const ZydisDecodedOperand *op = &ops[i];
                        ZyanU64 abs;

                        if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && op->imm.is_relative) {
                                if (zi.mnemonic == ZYDIS_MNEMONIC_JMP)
                                        in->kind = INSN_JMP;
                                else if (zi.mnemonic == ZYDIS_MNEMONIC_CALL)
                                        in->kind = INSN_CALL;
                                else if (zi.meta.category == ZYDIS_CATEGORY_COND_BR)
                                        in->kind = INSN_JCC;
                                else
                                        return PLAN_FAIL("%s at +%zu has a relative operand",
                                                         ZydisMnemonicGetString(zi.mnemonic), off);
                                in->cc = zi.opcode & 0xf; /* 7x rel8 and 0f 8x rel32 alike */
                        } else if (op->type == ZYDIS_OPERAND_TYPE_MEMORY &&
                                   op->mem.base == ZYDIS_REGISTER_RIP) {
                                if (zi.raw.disp.size != 32)
                                        return PLAN_FAIL("unexpected RIP-relative form at +%zu",
                                                         off);
                                in->kind = INSN_RIPREL;
                                in->disp_off = zi.raw.disp.offset;
                        } else {
                                continue;
                        }
                        if (!ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&zi, op, p->addr + off, &abs)))
                                return PLAN_FAIL(
                                    "cannot compute the target of the instruction at +%zu", off);
                        in->target = abs;
                }
                stops = zi.meta.category == ZYDIS_CATEGORY_RET ||
                        zi.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
                        mnemonic_in(zi.mnemonic, stoppers, sizeof(stoppers) / sizeof(stoppers[0]));
                off += zi.length;
                /* Without the function's size, the bytes after this may be another function's. */
                if (stops && off < PATCH_SIZE && !limit)
                        return PLAN_FAIL(
                            "the code ends at +%zu (%s), before the %d bytes of the patch",
                            off - zi.length, ZydisMnemonicGetString(zi.mnemonic), PATCH_SIZE);
        }
        p->displaced = off;
        return 0;
}

/* A relative branch into the displaced bytes (but to their start, which stays a valid entry)
 * would land in the middle of the jmp. Checked for the displaced instructions and, when the
 * function's extent is known, every instruction of it. Jump tables cannot be checked. */
static int plan_check_branches(const struct plan *p, const char *name, char *msg, size_t msg_size)
{
        uintptr_t lo = p->addr, hi = p->addr + p->displaced;
        uintptr_t start = p->sym_end ? p->sym_start : p->addr;
        uintptr_t end = p->sym_end ? p->sym_end : hi;
        ZydisDecodedInstruction zi;
        ZydisDecoder dec;

        if (end - start > SCAN_MAX)
                end = start + SCAN_MAX;
        ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
        for (uintptr_t ip = start; ip < end; ip += zi.length) {
                uintptr_t target;

                /* An undecodable byte (data, padding): the rest cannot be scanned reliably. */
                if (!ZYAN_SUCCESS(
                        ZydisDecoderDecodeInstruction(&dec, NULL, (const void *)ip, end - ip, &zi)))
                        break;
                if (!zi.raw.imm[0].is_relative)
                        continue;
                target = ip + zi.length + (uintptr_t)zi.raw.imm[0].value.s;
                if (target > lo && target < hi)
                        return PLAN_FAIL("relative jump at %+td into the patched bytes (to +%td)",
                                         (ptrdiff_t)(ip - lo), (ptrdiff_t)(target - lo));
        }
        return 0;
}

struct emit {
        uint8_t buf[SLOT_MAX];
        size_t len;
        uintptr_t base; /* the runtime address of buf[0] */
};

static bool fits32(int64_t v)
{
        return v == (int32_t)v;
}

static void put(struct emit *e, const void *bytes, size_t n)
{
        memcpy(e->buf + e->len, bytes, n);
        e->len += n;
}

static void put32(struct emit *e, int32_t v)
{
        put(e, &v, 4);
}

static void put64(struct emit *e, uint64_t v)
{
        put(e, &v, 8);
}

/* rel32 from the end of an instruction of len bytes starting here, to target. */
static int64_t rel_from(const struct emit *e, size_t len, uintptr_t target)
{
        return (int64_t)(target - (e->base + e->len + len));
}

/* jmp target: rel32 when in reach, else through an inline absolute address. */
static void emit_jmp(struct emit *e, uintptr_t target)
{
        if (fits32(rel_from(e, 5, target))) {
                int32_t rel = (int32_t)rel_from(e, 5, target);

                put(e, "\xe9", 1);
                put32(e, rel);
                return;
        }
        put(e, "\xff\x25\x00\x00\x00\x00", 6); /* jmp *0(%rip) */
        put64(e, target);
}

static int emit_insn(struct emit *e, const struct plan *p, const struct insn *in)
{
        uint8_t orig[15];
        int64_t rel;

        code_read(orig, p->addr + in->off, in->len);
        switch (in->kind) {
        case INSN_COPY:
                put(e, orig, in->len);
                return 0;
        case INSN_RIPREL:
                rel = rel_from(e, in->len, in->target);
                if (!fits32(rel))
                        return -ERANGE;
                put(e, orig, in->len);
                memcpy(e->buf + e->len - in->len + in->disp_off, &(int32_t){(int32_t)rel}, 4);
                return 0;
        case INSN_JMP:
                emit_jmp(e, in->target);
                return 0;
        case INSN_JCC:
                rel = rel_from(e, 6, in->target);
                if (fits32(rel)) {
                        put(e, (uint8_t[]){0x0f, 0x80 | in->cc}, 2);
                        put32(e, (int32_t)rel);
                        return 0;
                }
                /* j!cc over an absolute jmp (6 + 8 bytes) */
                put(e, (uint8_t[]){0x70 | (in->cc ^ 1), 14}, 2);
                put(e, "\xff\x25\x00\x00\x00\x00", 6);
                put64(e, in->target);
                return 0;
        case INSN_CALL:
                rel = rel_from(e, 5, in->target);
                if (fits32(rel)) {
                        put(e, "\xe8", 1);
                        put32(e, (int32_t)rel);
                        return 0;
                }
                /* call *2(%rip); jmp over the address; .quad target */
                put(e, "\xff\x15\x02\x00\x00\x00\xeb\x08", 8);
                put64(e, in->target);
                return 0;
        }
        return -EINVAL;
}

/* The site's trampoline at e->base: thunk, relocated instructions, jmp back. */
static int emit_tramp(struct emit *e, const struct plan *p, struct uprobe_site *site,
                      size_t *bad_off)
{
        static const uint8_t thunk[] = {
            0x48, 0x8d, 0x64, 0x24, 0x80,       /* lea -128(%rsp), %rsp */
            0xff, 0x35, 0x06, 0x00, 0x00, 0x00, /* push 6(%rip): the site */
            0xff, 0x25, 0x08, 0x00, 0x00, 0x00, /* jmp *8(%rip): the entry */
        };
        int err;

        e->len = 0;
        put(e, thunk, sizeof(thunk));
        put64(e, (uintptr_t)site);
        put64(e, (uintptr_t)uprobe__entry_asm);
        site->resume = e->base + e->len;
        for (size_t i = 0; i < p->cnt; i++) {
                err = emit_insn(e, p, &p->insn[i]);
                if (err) {
                        *bad_off = p->insn[i].off;
                        return err;
                }
        }
        emit_jmp(e, p->addr + p->displaced);
        return 0;
}

/* ---- the API ---- */

static struct uprobe_site *site_find_active(uintptr_t addr)
{
        for (struct uprobe_site *s = uprobe_sites; s; s = s->next)
                if (s->addr == addr && atomic_load(&s->active))
                        return s;
        return NULL;
}

int uprobe__attach(void *addr, const struct uprobe_opts *opts, struct uprobe_site **out, char *msg,
                   size_t msg_size)
{
        uintptr_t a = (uintptr_t)addr;
        const ElfW(Sym) *sym = NULL;
        const struct map_ent *me;
        struct maps maps = {0};
        struct plan plan = {.addr = a};
        struct uprobe_site *site = NULL;
        struct chunk *chunk;
        char label[160];
        const char *name = NULL, *what = NULL;
        struct emit *e = NULL;
        size_t bad_off = 0;
        Dl_info info;
        int32_t rel;
        int err;

        if (opts && opts->sz >= offsetof(struct uprobe_opts, name) + sizeof(opts->name))
                name = opts->name;
        if (!name && addr && dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) &&
            info.dli_sname) {
                if (info.dli_saddr == addr)
                        snprintf(label, sizeof(label), "%s", info.dli_sname);
                else
                        snprintf(label, sizeof(label), "%s+%#tx", info.dli_sname,
                                 (char *)addr - (char *)info.dli_saddr);
                name = label;
        }
        if (!name) {
                snprintf(label, sizeof(label), "%p", addr);
                name = label;
        }
        if (!addr || !out)
                return uprobe_fail(msg, msg_size, name, -EINVAL, "no %s", addr ? "out" : "address");
        if (!opts || opts->sz < offsetof(struct uprobe_opts, data) + sizeof(opts->data))
                return uprobe_fail(msg, msg_size, name, -EINVAL,
                                   "opts missing or too small (sz %zu)", opts ? opts->sz : 0);
        /* The function's extent, when addr is inside a symbol dladdr knows. */
        sym = NULL;
        if (dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) && sym && info.dli_saddr &&
            sym->st_size && a >= (uintptr_t)info.dli_saddr &&
            a < (uintptr_t)info.dli_saddr + sym->st_size) {
                plan.sym_start = (uintptr_t)info.dli_saddr;
                plan.sym_end = plan.sym_start + sym->st_size;
        }

        pthread_once(&uprobe_once, vec_init);
        pthread_mutex_lock(&uprobe_lock);
        if (site_find_active(a)) {
                err = uprobe_fail(msg, msg_size, name, -EEXIST, "already probed");
                goto out;
        }
        for (struct uprobe_site *s = uprobe_sites; s; s = s->next)
                if (atomic_load(&s->active) && a > s->addr && a < s->addr + s->displaced) {
                        err = uprobe_fail(msg, msg_size, name, -EBUSY,
                                          "inside the bytes patched for the probe at %#lx",
                                          (unsigned long)s->addr);
                        goto out;
                }
        err = maps_read(&maps);
        if (err) {
                uprobe_fail(msg, msg_size, name, err, "cannot read /proc/self/maps: %s",
                            strerror(-err));
                goto out;
        }
        me = maps_find(&maps, a);
        if (!me || !(me->prot & PROT_EXEC) || !(me->prot & PROT_READ)) {
                err = uprobe_fail(msg, msg_size, name, -EFAULT,
                                  "%p is not in readable executable memory", addr);
                goto out;
        }
        /* Decode and scan only what is mapped. */
        if (plan.sym_end) {
                if (plan.sym_start < me->start)
                        plan.sym_start = me->start;
                if (plan.sym_end > me->end)
                        plan.sym_end = me->end;
        }
        err = plan_build(&plan, me->end - a < 64 ? me->end - a : 64, name, msg, msg_size);
        err = err ?: plan_check_branches(&plan, name, msg, msg_size);
        if (err)
                goto out;
        for (struct uprobe_site *s = uprobe_sites; s; s = s->next)
                if (atomic_load(&s->active) && s->addr > a && s->addr < a + plan.displaced) {
                        err = uprobe_fail(msg, msg_size, name, -EBUSY,
                                          "the probe at %#lx is inside the bytes to patch",
                                          (unsigned long)s->addr);
                        goto out;
                }

        site = calloc(1, sizeof(*site));
        e = malloc(sizeof(*e));
        if (!site || !e) {
                err = uprobe_fail(msg, msg_size, name, -ENOMEM, "out of memory");
                goto out;
        }
        site->addr = a;
        site->displaced = plan.displaced;
        site->entry = opts->entry;
        site->ret = opts->ret;
        site->data = opts->data;
        code_read(site->orig, a, PATCH_SIZE);

        err = slot_find(&maps, a, &chunk);
        if (err) {
                uprobe_fail(msg, msg_size, name, err,
                            "no free memory within 1 GiB for the trampoline");
                goto out;
        }
        e->base = chunk->base + chunk->used;
        err = emit_tramp(e, &plan, site, &bad_off);
        if (err) {
                uprobe_fail(msg, msg_size, name, -EOPNOTSUPP,
                            "the RIP-relative operand at +%zu is out of the trampoline's reach",
                            bad_off);
                err = -EOPNOTSUPP;
                goto out;
        }
        err = slot_commit(chunk, e->buf, e->len);
        if (err) {
                uprobe_fail(msg, msg_size, name, err, "cannot write the trampoline: %s",
                            strerror(-err));
                goto out;
        }
        rel = (int32_t)(e->base - (a + PATCH_SIZE)); /* in reach: near() */
        site->jmp[0] = 0xe9;
        memcpy(site->jmp + 1, &rel, 4);
        atomic_store(&site->active, true); /* before any thread can hit it */
        err = code_patch(&maps, a, site->jmp, &what);
        if (err) {
                uprobe_fail(msg, msg_size, name, err, "%s: %s", what, strerror(-err));
                goto out;
        }
        site->next = uprobe_sites;
        uprobe_sites = site;
        *out = site;
        site = NULL;
out:
        pthread_mutex_unlock(&uprobe_lock);
        free(maps.ent);
        free(site);
        free(e);
        return err;
}

void uprobe__detach(struct uprobe_site *site)
{
        struct maps maps;
        const char *what;

        if (!site)
                return;
        pthread_mutex_lock(&uprobe_lock);
        if (atomic_load(&site->active)) {
                /* Restore only our own jmp in still-mapped code (the library may be gone). */
                if (!maps_read(&maps)) {
                        const struct map_ent *me = maps_find(&maps, site->addr);
                        uint8_t now[PATCH_SIZE];

                        if (me && (me->prot & PROT_READ) && site->addr + PATCH_SIZE <= me->end) {
                                code_read(now, site->addr, PATCH_SIZE);
                                if (!memcmp(now, site->jmp, PATCH_SIZE))
                                        code_patch(&maps, site->addr, site->orig, &what);
                        }
                        free(maps.ent);
                }
                atomic_store(&site->active, false);
        }
        pthread_mutex_unlock(&uprobe_lock);
}

void *uprobe__addr(const struct uprobe_site *site)
{
        return (void *)site->addr;
}

size_t uprobe__patched_size(const struct uprobe_site *site)
{
        return site->displaced;
}

#else /* !__x86_64__ */

int uprobe__attach(void *addr, const struct uprobe_opts *opts, struct uprobe_site **out, char *msg,
                   size_t msg_size)
{
        bool has_name = opts && opts->sz >= offsetof(struct uprobe_opts, name) + sizeof(opts->name);
        char label[32];

        (void)out;
        snprintf(label, sizeof(label), "%p", addr);
        return uprobe_fail(msg, msg_size, has_name && opts->name ? opts->name : label, -EOPNOTSUPP,
                           "in-process uprobes are implemented for x86-64 only");
}

void uprobe__detach(struct uprobe_site *site)
{
        (void)site;
}

void *uprobe__addr(const struct uprobe_site *site)
{
        (void)site;
        return NULL;
}

size_t uprobe__patched_size(const struct uprobe_site *site)
{
        (void)site;
        return 0;
}

#endif

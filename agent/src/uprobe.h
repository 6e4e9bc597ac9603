/* SPDX-License-Identifier: MIT */
/*
 * In-process uprobes: a function's first bytes are replaced by a `jmp rel32` to a
 * trampoline that calls a handler with the registers at that point, then runs the
 * displaced instructions (relocated) and jumps back. A return hook swaps the return
 * address for a return trampoline, as the kernel's uretprobes do.
 *
 * Limits (see uprobe_x86_64.c for the reasons):
 * - x86-64 only (elsewhere uprobe__attach() fails with -EOPNOTSUPP).
 * - Attach and detach rewrite code that other threads may be executing: do them while
 *   no other thread runs the probed function's first bytes (at start-up). A patch
 *   that fits in an aligned 8-byte word is written with one store, so a thread arriving
 *   at the function sees the old or the new bytes, never a mix.
 * - Detach stops new hits; a handler already running on another thread may still run
 *   after it returns (keep its data alive).
 * - A return hook swaps the word at rsp: attach one only at a function's first
 *   instruction. 64 pending returns per thread (deeper calls are not return-probed).
 *   longjmp over return-probed frames is handled; an exception unwinding through one is
 *   not (the unwinder cannot find the real return address).
 * - A hit uses about 0.5 KiB of stack plus the vector state (2.7 KiB with AVX-512) plus
 *   what the handler uses, below the interrupted code's red zone.
 * - The thread state is initial-exec TLS (~1.6 KiB), so that a hit never calls the
 *   dynamic linker: link or preload the library, do not dlopen() it.
 * - Indirect branch tracking (CET IBT) would fault at a patched endbr64; user-space shadow
 *   stacks would fault at a swapped return address. Neither is enabled by Linux 6.1
 *   (Debian 12) for user space.
 */
#ifndef BPFAOT_UPROBE_H
#define BPFAOT_UPROBE_H

#include <asm/ptrace.h> /* struct pt_regs: the kernel's x86-64 layout, what eBPF uprobe programs read */
#include <stddef.h>

struct uprobe_site;

/* Called on this thread with the registers at the probed point (entry: as at the function's
 * first instruction, regs->rip = the function's address, rsp as the caller left it; return:
 * rax = return value, rip = the return address, rsp as after the ret). Changes to regs are NOT
 * written back. A hit while this thread already runs a handler calls no handler. */
typedef void (*uprobe_handler_fn)(void *data, struct pt_regs *regs);

struct uprobe_opts {
        size_t sz;
        uprobe_handler_fn entry; /* may be NULL */
        uprobe_handler_fn ret;   /* may be NULL (then no return hook) */
        void *data;
        const char *name; /* for messages, e.g. "malloc in /usr/lib/.../libc.so.6"; may be NULL */
};

/* Patch the code at addr. On failure a negative errno and one line in msg (msg_size bytes)
 * naming the function and the reason ("cannot patch malloc: relative jump at +2 into the
 * patched bytes"). -EEXIST: addr is already probed (one site per address). */
int uprobe__attach(void *addr, const struct uprobe_opts *opts, struct uprobe_site **out, char *msg,
                   size_t msg_size);

/* Restore the original bytes. Trampoline memory is never unmapped (a thread may be in it, a
 * return may be pending); a return trampoline of a detached site still returns correctly. */
void uprobe__detach(struct uprobe_site *site);

/* The address a site patches, and how many bytes of it were displaced (5..19). */
void *uprobe__addr(const struct uprobe_site *site);
size_t uprobe__patched_size(const struct uprobe_site *site);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The common parts of the uprobe trampolines (uprobe_x86_64.c builds the per-site ones).
 *
 * A hit on a probed address: the patched `jmp rel32` lands in the site's thunk, which steps
 * over the 128-byte red zone (a probe may sit mid-function, where the code may keep data
 * below rsp), pushes the site and jumps to uprobe__entry_asm. A return-probed function
 * returns into uprobe__ret_tramp instead of its caller.
 *
 * Both build the same frame (struct uprobe_frame in the C file), from high to low addresses:
 *
 *	[ 128-byte red zone ]
 *	[ slot ]		entry: the site; the C dispatcher puts where to continue here
 *	[ struct pt_regs ]	ss .. r15, pushed in the kernel's order; rbx points here
 *	[ padding ]
 *	[ xsave/fxsave area ]	64-byte aligned; rsp points here (16-aligned for the call)
 *
 * then restore everything and `ret $128`: pop the slot into rip and drop the red zone gap,
 * leaving every register and flag as they were at the hit.
 *
 * rbp is left alone, so frame-pointer unwinders (ASan's) walk from a handler into the
 * interrupted code's frames.
 */
#if defined(__x86_64__)

#define PT_REGS_SIZE 168 /* sizeof(struct pt_regs): static-asserted in the C file */
#define RED_ZONE 128

	.text

.macro PUSHQ reg
	push	\reg
	.cfi_adjust_cfa_offset 8
.endm

/* Save all general registers, rflags and the vector state; rbx = the pt_regs; rdi = the frame. */
.macro SAVE_ALL
	lea	-16(%rsp), %rsp		/* pt_regs.ss, .rsp (filled in by C); lea keeps the flags */
	.cfi_adjust_cfa_offset 16
	pushfq				/* pt_regs.eflags, before anything changes them */
	.cfi_adjust_cfa_offset 8
	lea	-24(%rsp), %rsp		/* .cs, .rip, .orig_rax (C) */
	.cfi_adjust_cfa_offset 24
	PUSHQ	%rdi
	PUSHQ	%rsi
	PUSHQ	%rdx
	PUSHQ	%rcx
	PUSHQ	%rax
	PUSHQ	%r8
	PUSHQ	%r9
	PUSHQ	%r10
	PUSHQ	%r11
	PUSHQ	%rbx
	PUSHQ	%rbp
	PUSHQ	%r12
	PUSHQ	%r13
	PUSHQ	%r14
	PUSHQ	%r15
	mov	%rsp, %rbx
	.cfi_def_cfa_register %rbx
	.cfi_rel_offset %r15, 0
	.cfi_rel_offset %r14, 8
	.cfi_rel_offset %r13, 16
	.cfi_rel_offset %r12, 24
	.cfi_rel_offset %rbp, 32
	.cfi_rel_offset %rbx, 40
	cld				/* the ABI's state for the C code */
	/* Handlers may use any vector register (memset does): save them all. */
	sub	uprobe__vec_size(%rip), %rsp
	and	$-64, %rsp
	cmpb	$0, uprobe__use_xsave(%rip)
	je	1f
	/* XRSTOR faults on a header with reserved bits set: start from a zero header. */
	xor	%eax, %eax
	mov	%rax, 512(%rsp)
	mov	%rax, 520(%rsp)
	mov	%rax, 528(%rsp)
	mov	%rax, 536(%rsp)
	mov	%rax, 544(%rsp)
	mov	%rax, 552(%rsp)
	mov	%rax, 560(%rsp)
	mov	%rax, 568(%rsp)
	mov	uprobe__xsave_mask(%rip), %eax
	mov	uprobe__xsave_mask+4(%rip), %edx
	cmpb	$2, uprobe__use_xsave(%rip)
	je	3f
	xsave64	(%rsp)
	jmp	2f
	/* XSAVEC writes only the components in use (AVX-512 mostly is not): much cheaper. */
3:	xsavec64 (%rsp)
	jmp	2f
1:	fxsave64 (%rsp)
2:	mov	%rbx, %rdi
.endm

/* Undo SAVE_ALL and continue at the address the C dispatcher left in the slot. */
.macro RESTORE_ALL_AND_GO
	cmpb	$0, uprobe__use_xsave(%rip)
	je	1f
	mov	uprobe__xsave_mask(%rip), %eax
	mov	uprobe__xsave_mask+4(%rip), %edx
	xrstor64 (%rsp)
	jmp	2f
1:	fxrstor64 (%rsp)
2:	mov	%rbx, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rax
	pop	%rcx
	pop	%rdx
	pop	%rsi
	pop	%rdi
	lea	24(%rsp), %rsp
	popfq				/* after the last lea: nothing changes the flags from here */
	lea	16(%rsp), %rsp
	ret	$RED_ZONE		/* rip = slot; rsp = as at the hit */
.endm

/* From a site's thunk: [rsp] = the site, then the red zone, then (at a function's entry)
 * the return address. */
	.globl	uprobe__entry_asm
	.hidden	uprobe__entry_asm
	.type	uprobe__entry_asm, @function
	.p2align 4
uprobe__entry_asm:
	.cfi_startproc
	.cfi_def_cfa_offset 8 + RED_ZONE + 8
	SAVE_ALL
	call	uprobe__entry_dispatch
	RESTORE_ALL_AND_GO
	.cfi_endproc
	.size	uprobe__entry_asm, . - uprobe__entry_asm

/* Where a return-probed function returns to: rsp = as after its ret. The dispatcher puts the
 * real return address in the slot before calling the handler, so a debugger's backtrace from
 * the handler finds the caller there (rip is column 16). */
	.globl	uprobe__ret_tramp
	.hidden	uprobe__ret_tramp
	.type	uprobe__ret_tramp, @function
	.p2align 4
uprobe__ret_tramp:
	.cfi_startproc
	.cfi_def_cfa_offset 0
	.cfi_undefined 16
	lea	-(8 + RED_ZONE)(%rsp), %rsp	/* the slot (filled in by C) and the red zone gap */
	.cfi_adjust_cfa_offset 8 + RED_ZONE
	.cfi_offset 16, -(8 + RED_ZONE)
	SAVE_ALL
	call	uprobe__ret_dispatch
	RESTORE_ALL_AND_GO
	.cfi_endproc
	.size	uprobe__ret_tramp, . - uprobe__ret_tramp

#endif

	.section .note.GNU-stack, "", %progbits /* %: also where @ starts a comment */

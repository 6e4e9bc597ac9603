/* SPDX-License-Identifier: MIT */
/* Functions with chosen first instructions, probed by uprobe_test.c. */

#define FUNC(name)                                                                                 \
	.globl name;                                                                               \
	.type name, @function;                                                                     \
	.p2align 4;                                                                                \
	name:
#define END(name) .size name, .- name

	.text

/* long t_endbr_push(long a, long b): 2a + b. endbr64 (4) + push %rbp (1) */
FUNC(t_endbr_push)
	endbr64
	push	%rbp
	mov	%rsp, %rbp
	lea	(%rsi,%rdi,2), %rax
	pop	%rbp
	ret
END(t_endbr_push)

/* long t_sum6(a, b, c, d, e, f): a + b + c + d + e + f, with a frame-pointer prologue */
FUNC(t_sum6)
	endbr64
	push	%rbp
	mov	%rsp, %rbp
	lea	(%rdi,%rsi), %rax
	add	%rdx, %rax
	add	%rcx, %rax
	add	%r8, %rax
	add	%r9, %rax
	pop	%rbp
	ret
END(t_sum6)

/* long t_riprel_load(long i): t_value + i; a RIP-relative load first (7 bytes) */
FUNC(t_riprel_load)
	mov	t_value(%rip), %rax
	add	%rdi, %rax
	ret
END(t_riprel_load)

/* long t_lea_rip(long i): t_table[i & 3]; lea of a RIP-relative address first */
FUNC(t_lea_rip)
	lea	t_table(%rip), %rax
	and	$3, %edi
	mov	(%rax,%rdi,8), %rax
	ret
END(t_lea_rip)

/* long t_inc(long x): x + 1, in exactly 5 bytes (lea 4 + ret) */
FUNC(t_inc)
	lea	1(%rdi), %rax
	ret
END(t_inc)

/* long t_call_first(long x): t_inc(x) + 100; call rel32 first */
FUNC(t_call_first)
	call	t_inc
	add	$100, %rax
	ret
END(t_call_first)

/* long t_jcc8(long x): |x|; test (3) + js rel8 (2) */
FUNC(t_jcc8)
	test	%rdi, %rdi
	js	1f
	mov	%rdi, %rax
	ret
1:	mov	%rdi, %rax
	neg	%rax
	ret
END(t_jcc8)

/* long t_jmp8(long x): x + 7; mov (3) + jmp rel8 (2) over dead bytes */
FUNC(t_jmp8)
	mov	%rdi, %rax
	jmp	1f
	int3
	int3
	int3
1:	add	$7, %rax
	ret
END(t_jmp8)

/* long t_jmp8_first(long x): x + 3; jmp rel8 at +0 then dead bytes: the function's size says
 * they are its own */
FUNC(t_jmp8_first)
	jmp	1f
	int3
	int3
	int3
1:	lea	3(%rdi), %rax
	ret
END(t_jmp8_first)

/* long t_back_into(long n): n + (n - 1) + ... + 1; the loop jumps back to +2 */
FUNC(t_back_into)
	xor	%eax, %eax
1:	add	%rdi, %rax
	dec	%rdi
	jnz	1b
	ret
END(t_back_into)

/* long t_jcc_inside(long x): x + 5; jz at +2 to +4, inside the displaced bytes */
FUNC(t_jcc_inside)
	test	%edi, %edi
	jz	1f
1:	lea	5(%rdi), %rax
	ret
END(t_jcc_inside)

/* long t_short3(long x): 3 bytes (by its size), falling into t_after_short3: x + 2 */
FUNC(t_short3)
	lea	1(%rdi), %eax
END(t_short3)
FUNC(t_after_short3)
	lea	2(%rdi), %eax
	ret
END(t_after_short3)

/* long t_loop(long n): n != 1 (for n > 0); loop at +4 */
FUNC(t_loop)
	mov	%edi, %ecx
	xor	%eax, %eax
	loop	1f
	ret
1:	mov	$1, %eax
	ret
END(t_loop)

/* long t_jrcxz(long n): n == 0; jrcxz at +3 */
FUNC(t_jrcxz)
	mov	%rdi, %rcx
	jrcxz	1f
	xor	%eax, %eax
	ret
1:	mov	$1, %eax
	ret
END(t_jrcxz)

/* long t_flags(long a, long b): the arithmetic flags of cmp b, a (CF PF AF ZF SF OF), read
 * after a probe point (t_flags_mid) between the cmp and the read */
FUNC(t_flags)
	cmp	%rsi, %rdi
.Lflags_mid:
	mov	%rdi, %r8
	mov	%rsi, %r9
	pushfq
	pop	%rax
	and	$0x8d5, %eax
	ret
END(t_flags)

/* void t_allregs(uint64_t out[16]): loads t_regvals[0..14] into rax rbx rcx rdx rsi rdi rbp
 * r8..r15, passes a probe point (t_allregs_mid), stores them (and rflags) into out. */
FUNC(t_allregs)
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rdi
	lea	t_regvals(%rip), %rax
	mov	8(%rax), %rbx
	mov	16(%rax), %rcx
	mov	24(%rax), %rdx
	mov	32(%rax), %rsi
	mov	40(%rax), %rdi
	mov	48(%rax), %rbp
	mov	56(%rax), %r8
	mov	64(%rax), %r9
	mov	72(%rax), %r10
	mov	80(%rax), %r11
	mov	88(%rax), %r12
	mov	96(%rax), %r13
	mov	104(%rax), %r14
	mov	112(%rax), %r15
	mov	(%rax), %rax
	push	$0xcd7		/* CF PF AF ZF SF DF OF */
	popfq
.Lallregs_mid:
	nopl	0(%rax,%rax,1)
	pushfq
	cld
	push	%rdi
	mov	16(%rsp), %rdi
	mov	%rax, (%rdi)
	mov	%rbx, 8(%rdi)
	mov	%rcx, 16(%rdi)
	mov	%rdx, 24(%rdi)
	mov	%rsi, 32(%rdi)
	pop	%rax
	mov	%rax, 40(%rdi)
	mov	%rbp, 48(%rdi)
	mov	%r8, 56(%rdi)
	mov	%r9, 64(%rdi)
	mov	%r10, 72(%rdi)
	mov	%r11, 80(%rdi)
	mov	%r12, 88(%rdi)
	mov	%r13, 96(%rdi)
	mov	%r14, 104(%rdi)
	mov	%r15, 112(%rdi)
	pop	%rax
	mov	%rax, 120(%rdi)
	pop	%rdi
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret
END(t_allregs)

/* double t_fsum8(x0..x7): x0 - x1 + x2 - x3 + x4 - x5 + x6 - x7 */
FUNC(t_fsum8)
	subsd	%xmm1, %xmm0
	addsd	%xmm2, %xmm0
	subsd	%xmm3, %xmm0
	addsd	%xmm4, %xmm0
	subsd	%xmm5, %xmm0
	addsd	%xmm6, %xmm0
	subsd	%xmm7, %xmm0
	ret
END(t_fsum8)

/* t_ymm_keep: keeps ymm0 (two vmovdqa, 8 bytes) */
FUNC(t_ymm_keep)
	vmovdqa	%ymm0, %ymm1
	vmovdqa	%ymm1, %ymm0
	ret
END(t_ymm_keep)

/* void t_ymm_roundtrip(const void *in32, void *out32): ymm0 = in; t_ymm_keep(); out = ymm0 */
FUNC(t_ymm_roundtrip)
	vmovdqu	(%rdi), %ymm0
	push	%rsi
	call	t_ymm_keep
	pop	%rsi
	vmovdqu	%ymm0, (%rsi)
	vzeroupper
	ret
END(t_ymm_roundtrip)

/* t_zmm_keep: keeps zmm0 and zmm31 (AVX-512) */
FUNC(t_zmm_keep)
	vmovdqu64 %zmm0, %zmm1
	vmovdqu64 %zmm1, %zmm0
	ret
END(t_zmm_keep)

/* void t_zmm_roundtrip(const void *in64, void *out128): zmm0 = zmm31 = in; t_zmm_keep();
 * out = zmm0, zmm31 */
FUNC(t_zmm_roundtrip)
	vmovdqu64 (%rdi), %zmm0
	vmovdqu64 (%rdi), %zmm31
	push	%rsi
	call	t_zmm_keep
	pop	%rsi
	vmovdqu64 %zmm0, (%rsi)
	vmovdqu64 %zmm31, 64(%rsi)
	vzeroupper
	ret
END(t_zmm_roundtrip)

/* long t_call6(a, b, c, d, e, f): (*t_call_target)(a, ..., f), with rsp before the call in
 * t_call_rsp and the return address in t_call_ret */
FUNC(t_call6)
	sub	$8, %rsp
	mov	%rsp, t_call_rsp(%rip)
	call	*t_call_target(%rip)
.Lcall6_ret:
	add	$8, %rsp
	ret
END(t_call6)

/* long t_fact(long n): n!; recursive */
FUNC(t_fact)
	push	%rbx
	mov	%rdi, %rbx
	mov	$1, %eax
	test	%rdi, %rdi
	jz	1f
	lea	-1(%rdi), %rdi
	call	t_fact
	imul	%rbx, %rax
1:	pop	%rbx
	ret
END(t_fact)

/* long t_nest(long x): t_inc(x) + x */
FUNC(t_nest)
	push	%rbx
	mov	%rdi, %rbx
	xor	%eax, %eax
	call	t_inc
	add	%rbx, %rax
	pop	%rbx
	ret
END(t_nest)

/* long t_tailer(long x): t_inc(x + 10), by a tail jump */
FUNC(t_tailer)
	lea	10(%rdi), %rdi
	.byte	0xe9
	.long	t_inc - . - 4
END(t_tailer)

/* long t_callback(long (*fn)(void *), void *arg): fn(arg) */
FUNC(t_callback)
	push	%rbp
	mov	%rsp, %rbp
	mov	%rdi, %rax
	mov	%rsi, %rdi
	call	*%rax
	pop	%rbp
	ret
END(t_callback)

/* Code no symbol covers (after t_callback's size): a short function, a tail jump */
	.p2align 4
.Lnosym_short:
	xor	%eax, %eax
	ret
	.p2align 4
.Lnosym_tail:
	.byte	0xe9 /* jmp rel32 t_inc, whatever the assembler would pick */
	.long	t_inc - . - 4

	.data
	.p2align 3
	.globl	t_value, t_table, t_regvals, t_call_target, t_call_rsp, t_call_ret
	.globl	t_flags_mid, t_allregs_mid, t_nosym_short, t_nosym_tail
t_value:	.quad 1000
	.p2align 4 /* the ABI's alignment of arrays of 16 bytes or more */
t_table:	.quad 11, 22, 33, 44
t_regvals:
	.quad 0x1111111111111101, 0x2222222222222202, 0x3333333333333303, 0x4444444444444404
	.quad 0x5555555555555505, 0x6666666666666606, 0x7777777777777707, 0x8888888888888808
	.quad 0x9999999999999909, 0xaaaaaaaaaaaaaa0a, 0xbbbbbbbbbbbbbb0b, 0xcccccccccccccc0c
	.quad 0xdddddddddddddd0d, 0xeeeeeeeeeeeeee0e, 0xffffffffffffff0f
t_call_target:	.quad 0
t_call_rsp:	.quad 0
t_call_ret:	.quad .Lcall6_ret
t_flags_mid:	.quad .Lflags_mid
t_allregs_mid:	.quad .Lallregs_mid
t_nosym_short:	.quad .Lnosym_short
t_nosym_tail:	.quad .Lnosym_tail

	.section .note.GNU-stack, "", @progbits

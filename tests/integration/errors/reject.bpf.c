// SPDX-License-Identifier: MIT
/*
 * Compiles with clang, but its jump leaves the program: bpf-aot must reject
 * it, naming the program and the instruction.
 */
#define SEC(name) __attribute__((section(name), used))

SEC("uprobe/bad") int bad(void *ctx)
{
	(void)ctx;
	asm volatile("r0 = 0\n\tgoto +100\n\texit" ::: "r0");
	return 0;
}

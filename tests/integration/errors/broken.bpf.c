// SPDX-License-Identifier: MIT
/* A syntax error on line 6: the build must stop with clang's file:line. */
#define SEC(name) __attribute__((section(name), used))

SEC("uprobe/broken") int broken(void *ctx)
{
	return = 1;
}

// SPDX-License-Identifier: MIT
#define SEC(name) __attribute__((section(name), used))

SEC("uprobe/twice") int twice(unsigned long long *ctx)
{
	return (int)(*ctx * 2);
}

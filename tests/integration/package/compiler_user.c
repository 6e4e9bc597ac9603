// SPDX-License-Identifier: MIT
/* Uses the installed compiler library: LLVM (the triple) and the ELF reader. */
#include <stdio.h>
#include <stdlib.h>

#include <bpfaot/bpfaot.h>

int main(void)
{
	struct bpfaot_error err = { 0 };
	struct bpfaot_elf *elf = NULL;
	char *triple = bpfaot_host_triple();
	int rc = bpfaot_elf__open_mem("not an ELF", 10, "junk", &elf, &err);

	printf("host triple %s\n", triple ? triple : "?");
	printf("junk object %s\n", rc ? "rejected" : "accepted");
	bpfaot_elf__free(elf);
	free(triple);
	return triple && rc ? 0 : 1;
}

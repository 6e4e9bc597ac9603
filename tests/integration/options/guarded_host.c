// SPDX-License-Identifier: MIT
/* A program built with SANDBOX: a bad read ends the run, and the host asks why. */
#include <bpfaot/sandbox.h>

#include <stdint.h>
#include <stdio.h>

uint64_t guarded__guarded(void *ctx, uint64_t ctx_size);

int main(void)
{
	uint64_t ok[3] = {2, 0, 42}, bad[2] = {1000000, 0}, r;
	struct bpfaot_sandbox_fault f;
	char why[200];

	r = guarded__guarded(ok, sizeof(ok));
	printf("read %llu, fault %d\n", (unsigned long long)r, bpfaot_sandbox_fault(NULL));
	r = guarded__guarded(bad, sizeof(bad));
	if (!bpfaot_sandbox_fault(&f)) {
		printf("no fault: returned %llu\n", (unsigned long long)r);
		return 1;
	}
	bpfaot_sandbox_fault_str(&f, why, sizeof(why));
	printf("returned %llu; %s: insn %u: %s\n", (unsigned long long)r, f.prog, f.insn, why);
	return 0;
}

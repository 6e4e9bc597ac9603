// SPDX-License-Identifier: MIT
/* Counts the words of each line and remembers the longest. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "text.h"

__u64 longest_word;

SEC("uprobe/words") int words(struct text *t)
{
	const char *p = t->data;
	int n = 0;
	__u64 run = 0;

	for (__u32 i = 0; i < TEXT_MAX && i <= t->len; i++) {
		if (i < t->len && p[i] != ' ') {
			run++;
			continue;
		}
		if (run) {
			n++;
			if (run > longest_word)
				longest_word = run;
		}
		run = 0;
	}
	return n;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

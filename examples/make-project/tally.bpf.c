// SPDX-License-Identifier: MIT
/* Counts the letters of each line in an array map, case-insensitively. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "tally.h"
#include "text.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TALLY_LETTERS);
	__type(key, __u32);
	__type(value, __u64);
} letters SEC(".maps");

__u64 total_letters;

SEC("uprobe/tally") int tally(struct text *t)
{
	const char *p = t->data;
	int n = 0;

	for (__u32 i = 0; i < TEXT_MAX && i < t->len; i++) {
		int k = tally_index(p[i]);
		__u32 key;
		__u64 *count;

		if (k < 0)
			continue;
		key = (__u32)k;
		count = bpf_map_lookup_elem(&letters, &key);
		if (count)
			__sync_fetch_and_add(count, 1);
		n++;
	}
	total_letters += n;
	return n;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT
/*
 * Runs the two AOT-compiled programs on a few lines of text, then reads what
 * they kept: tally's per-letter map and global, words' global.
 */
#include <stdio.h>
#include <string.h>

#include "tally.aot.h"
#include "words.aot.h"
#include "text.h"

static const char *const lines[] = {
	"the quick brown fox",
	"jumps over the lazy dog",
	"eBPF ahead of time",
};

int main(void)
{
	struct tally_aot *tally;
	struct words_aot *words;
	unsigned long long nwords = 0, best = 0;
	unsigned int best_letter = 0;

	if (tally_aot__open(&tally) || words_aot__open(&words)) {
		fprintf(stderr, "cannot open the skeletons\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct text t = { lines[i], strlen(lines[i]) };
		uint64_t l = tally__tally(&t, sizeof(t));
		uint64_t w = words__words(&t, sizeof(t));

		printf("line %zu: %llu letters, %llu words\n", i + 1, (unsigned long long)l,
		       (unsigned long long)w);
		nwords += w;
	}
	for (uint32_t k = 0; k < 26; k++) {
		uint64_t n;

		if (bpfaot_map__lookup_copy(tally->maps.letters, &k, &n) == 0 && n > best) {
			best = n;
			best_letter = k;
		}
	}
	printf("letters %llu, words %llu, longest word %llu, most common '%c' x%llu\n",
	       (unsigned long long)tally->bss->total_letters, nwords,
	       (unsigned long long)words->bss->longest_word, 'a' + best_letter, best);
	words_aot__destroy(words);
	tally_aot__destroy(tally);
	return 0;
}

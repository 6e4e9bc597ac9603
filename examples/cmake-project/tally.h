/* SPDX-License-Identifier: MIT */
/* Only tally.bpf.c includes this (the tests touch it to check rebuilds). */
#ifndef TALLY_H
#define TALLY_H

#define TALLY_LETTERS 26

/* The letter's index (case-insensitive), or -1 for anything else. */
static inline int tally_index(char c)
{
	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	return c >= 'a' && c <= 'z' ? c - 'a' : -1;
}

#endif

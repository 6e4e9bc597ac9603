/* SPDX-License-Identifier: MIT */
/* The context both programs receive: a line of text (shared with the host). */
#ifndef TEXT_H
#define TEXT_H

struct text {
	const char *data;
	unsigned long long len;
};

/* Programs look at no more than this many bytes of a line. */
#define TEXT_MAX 4096

#endif

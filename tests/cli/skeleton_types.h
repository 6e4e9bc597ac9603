/* SPDX-License-Identifier: MIT */
/* A header shared by an eBPF program and its host, as libbpf projects have. */
#ifndef SKELETON_TYPES_H
#define SKELETON_TYPES_H

struct event {
        int pid;
        long long total;
};
typedef unsigned int event_count;

/* The skeletons' guards: this header defines these types. */
#define BPFAOT_DEFINED_struct_event
#define BPFAOT_DEFINED_event_count

#endif

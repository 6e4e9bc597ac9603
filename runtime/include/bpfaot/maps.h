/* SPDX-License-Identifier: MIT */
/*
 * bpfaot runtime: eBPF maps with Linux kernel semantics, in user space.
 *
 * The same map is used by helpers (called from natively compiled programs,
 * possibly from several threads at once) and by the host program. Every
 * function is thread-safe unless noted. Errors are negative errno values,
 * as the kernel's helpers return them.
 *
 * Supported types (enum bpf_map_type from <linux/bpf.h>): ARRAY,
 * PERCPU_ARRAY, HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH, QUEUE, STACK,
 * RINGBUF, USER_RINGBUF, PROG_ARRAY (tail calls), ARRAY_OF_MAPS,
 * HASH_OF_MAPS, PERF_EVENT_ARRAY, LPM_TRIE and BLOOM_FILTER. Other types are
 * refused with -ENOTSUP; bpfaot_map_type__name() names them for messages.
 *
 * Memory model of lookups: bpfaot_map__lookup_elem() returns a pointer into
 * the map's storage. Hash maps preallocate all their elements at create
 * time and never free one while the map lives: a deleted element goes back
 * to a free list and may be reused by a later insertion. So a pointer
 * returned by a lookup stays valid memory (reads and atomic adds through it
 * never fault) until bpfaot_map__free(), but after a concurrent delete it may
 * point at another key's value, exactly like the kernel's preallocated hash
 * maps under RCU. Array values never move.
 *
 * PERCPU maps keep one copy of each value per virtual CPU (bpfaot_rt_ncpus()
 * in bpfaot/runtime.h). Lookups and updates from programs use the copy of the
 * CPU the run holds: compiled programs that reference a PERCPU map hold one
 * CPU for their whole run, exclusively (bpfaot_rt_cpu_enter()), so their
 * plain `*v += 1` loses nothing however many threads run them. A thread that
 * holds none (a host calling these functions directly) uses sched_getcpu()
 * modulo the count, which other threads may share. Host-side copies are laid
 * out like libbpf's: ncpus slots of round_up(value_size, 8) bytes
 * (bpfaot_map__value_copy_size()).
 */
#ifndef BPFAOT_MAPS_H
#define BPFAOT_MAPS_H

#include "objabi.h" /* struct bpfaot_map_def, bpfaot_map_inline, bpfaot_prog_def */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bpfaot_map;

/* struct bpfaot_map begins with its struct bpfaot_map_inline. */
static inline const struct bpfaot_map_inline *bpfaot_map__inline(const struct bpfaot_map *map)
{
        return (const struct bpfaot_map_inline *)(const void *)map;
}

/*
 * Create a map. Returns 0 and *map, or:
 * -EINVAL for impossible definitions (zero or overflowing sizes, wrong
 *         key_size for the type, unknown flags, total size above 16 GiB,
 *         map_extra on a type other than BLOOM_FILTER),
 * -ENOTSUP for types that only make sense in a kernel (CGROUP_ARRAY,
 *         STACK_TRACE, DEVMAP, XSKMAP, CPUMAP, ...) or not implemented yet;
 *         bpfaot_map_type__name(def->type) names the type,
 * -ENOMEM when allocation fails.
 */
int bpfaot_map__create(const struct bpfaot_map_def *def, struct bpfaot_map **map);
/* Free a map and all its storage; NULL is ignored. No other call may be running on it. */
void bpfaot_map__free(struct bpfaot_map *map);
/* The definition the map was created with (name copied; init_value NULL). */
const struct bpfaot_map_def *bpfaot_map__def(const struct bpfaot_map *map);
/* Kernel-style name of a map type ("hash", "cgroup_array", ...), "unknown" if none. */
const char *bpfaot_map_type__name(uint32_t type);
/* Whether bpfaot_map__create() knows the type (others are -ENOTSUP). */
bool bpfaot_map_type__supported(uint32_t type);
/*
 * One line on why creating `def` failed with `err` (a bpfaot_map__create()
 * error), e.g. "map 'routes': type sockmap is not supported by the
 * runtime", into buf (at most size bytes). Returns what snprintf returns.
 */
int bpfaot_map_def__describe_error(const struct bpfaot_map_def *def, int err, char *buf,
                                   size_t size);
/* CPU copies kept by a PERCPU map (1 for others). */
uint32_t bpfaot_map__ncpus(const struct bpfaot_map *map);
/* Bytes bpfaot_map__lookup_copy()/__update_copy() transfer per value. */
size_t bpfaot_map__value_copy_size(const struct bpfaot_map *map);

/* ---- What programs see (helper semantics) ---- */

/* Pointer to the value in map storage, or NULL (no such key, index out of
 * range, or a type without lookup). PERCPU: the calling CPU's copy. LRU maps
 * mark the element as recently used. */
void *bpfaot_map__lookup_elem(struct bpfaot_map *map, const void *key);
/*
 * bpf_map_lookup_percpu_elem(): CPU `cpu`'s copy of the value of a PERCPU
 * map, or NULL (no such key, cpu >= bpfaot_map__ncpus(), not a PERCPU map).
 * The copy may belong to a CPU another run holds: plain updates through it
 * are not exclusive.
 */
void *bpfaot_map__lookup_percpu_elem(struct bpfaot_map *map, const void *key, uint32_t cpu);
/*
 * flags: BPF_ANY, BPF_NOEXIST (-EEXIST if present), BPF_EXIST (-ENOENT if
 * absent); others -EINVAL. Arrays: index >= max_entries -E2BIG, BPF_NOEXIST
 * -EEXIST. Full HASH/PERCPU_HASH: -E2BIG; LRU maps evict the least recently
 * used element instead. PERCPU: writes the calling CPU's copy (a new element
 * has the other copies zeroed). QUEUE/STACK/RINGBUF: -EINVAL/-ENOTSUP.
 */
long bpfaot_map__update_elem(struct bpfaot_map *map, const void *key, const void *value,
                             uint64_t flags);
/* Hash maps, PROG_ARRAY and maps of maps: 0 or -ENOENT. Arrays: -EINVAL. */
long bpfaot_map__delete_elem(struct bpfaot_map *map, const void *key);
/* QUEUE/STACK: flags BPF_ANY (full: -E2BIG) or BPF_EXIST (full: drop the oldest). */
long bpfaot_map__push_elem(struct bpfaot_map *map, const void *value, uint64_t flags);
/* QUEUE: oldest, STACK: newest. Empty: -ENOENT. */
long bpfaot_map__pop_elem(struct bpfaot_map *map, void *value);
long bpfaot_map__peek_elem(struct bpfaot_map *map, void *value);

/*
 * Whether [p, p + size) lies inside storage the map hands to programs (the
 * values of ARRAY and hash maps, RINGBUF records), for checkers such as
 * bpf-aot's interpreter. It says nothing about which element it is.
 */
bool bpfaot_map__owns(const struct bpfaot_map *map, const void *p, size_t size);

/* ---- Host side ---- */

/*
 * Copy a value out (bpfaot_map__value_copy_size() bytes: all CPUs' copies for
 * PERCPU maps, like libbpf). QUEUE/STACK: key must be NULL, peeks. 0 or -ENOENT.
 */
int bpfaot_map__lookup_copy(struct bpfaot_map *map, const void *key, void *value);
/* Update from a host buffer of bpfaot_map__value_copy_size() bytes (PERCPU:
 * every CPU's copy). Same flags and errors as bpfaot_map__update_elem().
 * QUEUE/STACK: key must be NULL, pushes (like BPF_MAP_UPDATE_ELEM). */
int bpfaot_map__update_copy(struct bpfaot_map *map, const void *key, const void *value,
                            uint64_t flags);
/*
 * Key following `key` (NULL or a missing key: the first key), like
 * BPF_MAP_GET_NEXT_KEY. -ENOENT after the last key. Iterating from NULL until
 * -ENOENT visits every key present throughout exactly once. LPM_TRIE: in
 * post-order, more specific prefixes first, like the kernel.
 */
int bpfaot_map__get_next_key(struct bpfaot_map *map, const void *key, void *next_key);
/*
 * Copy the value out and delete the element in one step, like libbpf's
 * bpf_map_lookup_and_delete_elem(): hash maps (all four kinds; PERCPU: every
 * CPU's copy) 0 or -ENOENT; QUEUE/STACK: key must be NULL, pops (-ENOENT when
 * empty). flags must be 0 (-EINVAL). Other types: -ENOTSUP.
 */
int bpfaot_map__lookup_and_delete_elem(struct bpfaot_map *map, const void *key, void *value,
                                       uint64_t flags);
/*
 * Copy up to *count elements following the batch position in_batch (NULL:
 * from the start) into keys (key_size apart) and values
 * (bpfaot_map__value_copy_size() apart), like libbpf's bpf_map_lookup_batch().
 * *count receives how many were copied and out_batch (key_size bytes; it may
 * be in_batch) the position to pass as in_batch next. Returns 0, or -ENOENT
 * when the map has no more elements (the last ones may have been copied:
 * check *count). Elements deleted meanwhile are skipped; elements inserted
 * meanwhile may be missed, as with get_next_key. Maps without keys
 * (QUEUE, STACK, RINGBUF, BLOOM_FILTER, ...): -ENOTSUP.
 */
int bpfaot_map__lookup_batch(struct bpfaot_map *map, const void *in_batch, void *out_batch,
                             void *keys, void *values, uint32_t *count);

/* ---- RINGBUF ---- */

/*
 * Reserve `size` bytes (flags must be 0); returns the record's data (8-byte
 * aligned) or NULL when there is no room. Every reservation must be submitted
 * or discarded. Producers are serialised by a lock; the consumer does not
 * take it.
 */
void *bpfaot_ringbuf__reserve(struct bpfaot_map *map, uint64_t size, uint64_t flags);
/* flags: 0, BPF_RB_NO_WAKEUP (a waiting bpfaot_ringbuf__poll() is not woken, as
 * in the kernel) or BPF_RB_FORCE_WAKEUP. */
void bpfaot_ringbuf__submit(void *data, uint64_t flags);
void bpfaot_ringbuf__discard(void *data, uint64_t flags);
/* Reserve, copy and submit: 0, -EAGAIN when full, -EINVAL for bad flags. */
long bpfaot_ringbuf__output(struct bpfaot_map *map, const void *data, uint64_t size,
                            uint64_t flags);
/* BPF_RB_AVAIL_DATA, BPF_RB_RING_SIZE, BPF_RB_CONS_POS, BPF_RB_PROD_POS; others 0. */
uint64_t bpfaot_ringbuf__query(struct bpfaot_map *map, uint64_t flags);
/*
 * Consume the submitted records in order, calling cb on each (discarded ones
 * are skipped), up to the first record still reserved. Returns how many
 * records cb saw, or cb's negative return (like libbpf, that record counts as
 * consumed and consumption stops).
 * One consumer at a time per map. -EINVAL if map is not a RINGBUF.
 */
int bpfaot_ringbuf__consume(struct bpfaot_map *map, int (*cb)(void *ctx, void *data, size_t size),
                            void *ctx);
/*
 * libbpf's ring_buffer__poll() habit: consume (as bpfaot_ringbuf__consume())
 * what is there; when nothing is, sleep (no busy loop) until a producer
 * commits a record or timeout_ms passes (negative: no limit; 0: do not
 * wait), then consume. Returns the number of records cb saw (0 on timeout),
 * cb's negative return, or -EINVAL. One consumer at a time per map.
 */
int bpfaot_ringbuf__poll(struct bpfaot_map *map, int (*cb)(void *ctx, void *data, size_t size),
                         void *ctx, int timeout_ms);

/* ---- USER_RINGBUF: the host produces, programs drain ---- */

/*
 * libbpf's user_ring_buffer__reserve(): `size` bytes (8-byte aligned) for a
 * record the host fills and then submits or discards. NULL with errno E2BIG
 * (size can never fit), ENOSPC (no room now) or EINVAL (not a USER_RINGBUF).
 * Thread-safe. Programs take the records in order with
 * bpf_user_ringbuf_drain(map, callback, ctx, flags); a record still
 * reserved stops the drain there.
 */
void *bpfaot_user_ring_buffer__reserve(struct bpfaot_map *map, uint32_t size);
void bpfaot_user_ring_buffer__submit(struct bpfaot_map *map, void *sample);
void bpfaot_user_ring_buffer__discard(struct bpfaot_map *map, void *sample);

/* ---- PROG_ARRAY: programs for tail calls ---- */

/*
 * Put a program in slot `index` (NULL empties it). 0, -E2BIG for an index
 * past max_entries, -EINVAL if map is not a PROG_ARRAY. A program's
 * bpf_tail_call(ctx, map, index) then runs `prog(ctx, 0)` in its place
 * (see bpfaot_rt_tail_call() in bpfaot/runtime.h).
 */
int bpfaot_prog_array__update(struct bpfaot_map *map, uint32_t index, bpfaot_prog_fn prog);
/* The program in slot `index`, or NULL. */
bpfaot_prog_fn bpfaot_prog_array__lookup(struct bpfaot_map *map, uint32_t index);

/* ---- ARRAY_OF_MAPS / HASH_OF_MAPS ---- */

/*
 * Store `inner` under `key` (flags as for update_elem). Programs get it from
 * bpf_map_lookup_elem(outer, key) and use it as a map. -EINVAL when inner
 * does not match the outer map's template (def->inner), or outer is not a
 * map of maps. The outer map does not own inner: it must outlive its use.
 */
int bpfaot_map__update_inner(struct bpfaot_map *outer, const void *key, struct bpfaot_map *inner,
                             uint64_t flags);

/* ---- PERF_EVENT_ARRAY ---- */

/*
 * Called for every bpf_perf_event_output() on the map, on the program's
 * thread, serialised per map (one call at a time). `cpu` is the array index
 * the program chose (BPF_F_CURRENT_CPU: the CPU it runs on, as
 * bpf_get_smp_processor_id() gives it).
 */
typedef void (*bpfaot_perf_event_fn)(void *ctx, uint32_t cpu, const void *data, uint32_t size);
/* Install (or, with NULL, remove) the map's consumer. -EINVAL if not a PERF_EVENT_ARRAY. */
int bpfaot_perf_event_array__set_callback(struct bpfaot_map *map, bpfaot_perf_event_fn fn,
                                          void *ctx);
/*
 * What bpf_perf_event_output(ctx, map, flags, data, size) does: flags is an
 * index below max_entries or BPF_F_CURRENT_CPU; -E2BIG past max_entries,
 * -EINVAL for other flag bits; 0 after the callback installed on this
 * handle ran. Without one, a map of a segment writes a PERF_RECORD_SAMPLE
 * into the ring of the perf event in slot `index` (bpfaot/shm.h): 0, or
 * -ENOENT for an empty slot, -ENOSPC when the ring is full (the sample is
 * counted lost) or was never mapped, -EOPNOTSUPP when the event is
 * disabled, -E2BIG for a sample too large for a perf record's 16-bit size;
 * any other map returns -ENOENT (as the kernel does for an index without a
 * perf event).
 */
long bpfaot_perf_event__output(struct bpfaot_map *map, uint64_t flags, const void *data,
                               uint64_t size);

/* ---- bpf_timer ---- */

/*
 * A sandboxed program's timer callbacks (build --sandbox) run on the
 * runtime's timer thread of the map holding the timer, each as a sandboxed
 * run of its own: a fault ends that callback as it ends a run, and is kept
 * here, since no host call waits for it. How many of `map`'s timer
 * callbacks faulted, and the last fault in *last (when there was one and
 * `last` is not NULL), once a callback running now has returned (its run
 * is bounded by its loop budget). 0 for maps without timers.
 */
uint64_t bpfaot_map__timer_faults(const struct bpfaot_map *map, struct bpfaot_sandbox_fault *last);

/*
 * Create the maps of a compiled object (its <obj>__map_defs table) into its
 * slots (<obj>__maps), which its programs read. On failure the maps made so
 * far are freed, *failed (if not NULL) is the index of the definition that
 * failed and the error of bpfaot_map__create() is returned.
 */
int bpfaot_maps__create_all(const struct bpfaot_map_def *defs, uint32_t cnt, void **slots,
                            uint32_t *failed);
/* Free the maps in `slots` and clear them (in reverse order). */
void bpfaot_maps__free_all(void **slots, uint32_t cnt);

#ifdef __cplusplus
}
#endif
#endif

/*
 * libgort — Go maps.
 *
 * A gort_map is Go 1.24's swiss-table map: 8-slot groups behind a control word, tables
 * of at most 1024 slots addressed through an extendible-hashing directory, a table-less
 * mode for up to 8 entries, and Go's iteration semantics (docs/maps.md).
 *
 * Ownership: a key or value copied in (set) is retained (pointer hooks) or, for
 * GORT_KIND_STR, its bytes are copied. Anything read out (get, get_ptr, iteration) is
 * borrowed: no retain, valid until the next mutation of the map (set, delete, clear,
 * shrink, iter_delete) or its release. Keys and values are released on delete,
 * overwrite (values), clear and the last release.
 *
 * Float keys follow Go: +0 == -0 (an overwrite stores the newer key's bits), every NaN
 * insert adds a new entry that lookups never find, and only clear removes NaNs.
 *
 * Thread-safety, as in Go: any number of threads may read (get, get_ptr, len, iterate,
 * clone, stats, scan) at once; a write excludes every other access. A write racing
 * with another access is detected on a best-effort basis and reported through the
 * abort hook ("concurrent map writes"), never silently tolerated. retain/release of
 * the handle are atomic and may be called from any thread.
 */
#ifndef GORT_MAP_H
#define GORT_MAP_H

#include "base.h"
#include "heap.h"
#include "type.h"

GORT_BEGIN_DECLS

/* A map handle (reference counted). @since 1.0 */
typedef struct gort_map gort_map;

/*
 * make(map[K]V, hint): a new, empty map in `heap` (NULL: the default heap) with one
 * reference. `hint` presizes it for that many entries as Go does; a hint of 8 or less
 * allocates nothing until the first insert, and an absurd hint (one whose tables would
 * exceed GORT_MAX_ALLOC) is ignored, exactly like Go's. Both descriptors are retained.
 * Returns GORT_OK; GORT_EINVAL for NULL key_type/value_type/out; GORT_ETYPE if key_type
 * has no equality (GORT_TYPE_INCOMPARABLE); GORT_ENOMEM. @since 1.0
 */
GORT_API int gort_map_create(gort_type *key_type, gort_type *value_type, size_t hint,
                             gort_heap *heap, gort_map **out);

/* Adds a reference; returns m. NULL-safe. Thread-safe. @since 1.0 */
GORT_API gort_map *gort_map_retain(gort_map *m);

/* Drops a reference; the last one releases every key and value and frees the map.
 * NULL-safe. Thread-safe. Using the handle afterwards is undefined. @since 1.0 */
GORT_API void gort_map_release(gort_map *m);

/* The descriptors (borrowed), or NULL for NULL. @since 1.0 */
GORT_API gort_type *gort_map_key_type(const gort_map *m);
GORT_API gort_type *gort_map_value_type(const gort_map *m);

/* len(m), in O(1); 0 for NULL. @since 1.0 */
GORT_API size_t gort_map_len(const gort_map *m);

/*
 * m[*key] = *value. A new key is copied in (retained); on overwrite the old value is
 * released and, for float keys and custom-equality keys that own no references, the
 * stored key is replaced by the new one (Go: +0 then -0 stores -0). Keys that own
 * references (strings, hooked pointers) keep the stored key, as Python's dict does.
 * value may be NULL to store the zero value. Returns GORT_OK; GORT_EINVAL for NULL
 * m/key or a str key or value {NULL, len > 0}; GORT_EOVERFLOW for a str longer than
 * GORT_MAX_ALLOC; GORT_ENOMEM (copying a string, growing a table); on error the map is
 * unchanged and nothing was retained. @since 1.0
 */
GORT_API int gort_map_set(gort_map *m, const void *key, const void *value);

/*
 * v, ok := m[*key]. Copies the value into *value_out (borrowed: no retain; the zero
 * value when absent) and sets *found to 1 or 0. value_out and found may each be NULL.
 * Returns GORT_OK; GORT_EINVAL for NULL m/key or a str key {NULL, len > 0};
 * GORT_EOVERFLOW for a str key longer than GORT_MAX_ALLOC. @since 1.0
 */
GORT_API int gort_map_get(const gort_map *m, const void *key, void *value_out, int *found);

/*
 * A borrowed pointer to the value stored for *key, or NULL in *out when absent. Valid
 * until the next mutation of the map; writing through it updates the entry in place
 * (bypassing retain/release hooks). Returns GORT_OK, or GORT_EINVAL/GORT_EOVERFLOW
 * as for gort_map_get (and GORT_EINVAL for NULL out). @since 1.0
 */
GORT_API int gort_map_get_ptr(const gort_map *m, const void *key, void **out);

/*
 * Beyond Go: n lookups in one call. For i < n, looks up keys[i] (an array of n keys of
 * the key type's size, as gort_map_get takes one) and, as gort_map_get would, copies the
 * value into values_out[i] (the zero value when absent) and sets found_out[i] to 1 or 0;
 * values_out and found_out may each be NULL. Returns how many keys were present
 * (0..n); GORT_EINVAL for NULL m, NULL keys with n > 0, n > INT64_MAX or an array
 * larger than the address space, or a str key {NULL, len > 0}; GORT_EOVERFLOW for a str
 * key longer than GORT_MAX_ALLOC. Every key is checked before anything is written, so
 * on error the arrays are untouched. The lookups of a batch overlap their cache misses,
 * which one call per key cannot: on a large map this is several times faster, and it is
 * the cheap way to look up many keys through an FFI. A reader, like gort_map_get: a
 * key type's hash and equal callbacks must not write to the map meanwhile.
 * @since 1.1
 */
GORT_API int64_t gort_map_get_n(const gort_map *m, const void *keys, size_t n,
                                void *values_out, int *found_out);

/*
 * delete(m, *key): releases the key and value; a missing key is a no-op. When the map
 * empties it is reseeded. Returns GORT_OK; GORT_EINVAL/GORT_EOVERFLOW for a bad key as
 * for gort_map_get; GORT_ENOMEM only while an iterator is reading a retired table (the
 * dropped key must outlive it; see docs/maps.md), and then the map is unchanged.
 * @since 1.0
 */
GORT_API int gort_map_delete(gort_map *m, const void *key);

/*
 * Beyond Go: m[keys[i]] = values[i] for i = 0, 1, ..., n - 1 in one call, as n calls of
 * gort_map_set would do them (in order: of two equal keys the later pair wins). keys is
 * an array of n keys, values of n values (NULL: every value is the zero value). All or
 * nothing: on any error the map's contents are unchanged and nothing was retained.
 * Returns how many entries were added (0..n; the rest overwrote); GORT_EINVAL for NULL
 * m, NULL keys with n > 0, n > INT64_MAX or an array larger than the address space, or
 * a str key or value {NULL, len > 0}; GORT_EOVERFLOW for a str longer than
 * GORT_MAX_ALLOC; GORT_ENOMEM. Every key and value is checked, and every allocation
 * the batch needs is made (tables grown, strings copied), before any entry changes.
 * The inserts of a batch overlap their cache misses: on a large map this is several
 * times faster than a call per key. @since 1.2
 */
GORT_API int64_t gort_map_set_n(gort_map *m, const void *keys, const void *values, size_t n);

/*
 * Beyond Go: delete(m, keys[i]) for i < n in one call (a missing key is a no-op).
 * Returns how many entries were deleted (0..n); GORT_EINVAL/GORT_EOVERFLOW as for
 * gort_map_set_n, checked before anything is deleted; GORT_ENOMEM only while an
 * iterator is reading a retired table (as for gort_map_delete), and then nothing was
 * deleted. @since 1.2
 */
GORT_API int64_t gort_map_delete_n(gort_map *m, const void *keys, size_t n);

/* clear(m): releases every entry (NaN keys too), keeps the tables, reseeds. Iterators
 * produce no entry that existed before the clear. Returns GORT_OK or GORT_EINVAL.
 * @since 1.0 */
GORT_API int gort_map_clear(gort_map *m);

/*
 * maps.Clone(m): an independent copy in the same heap with one reference, every key and
 * value copied in (retained). Returns GORT_OK; GORT_EINVAL; GORT_ENOMEM (nothing leaked,
 * m untouched). @since 1.0
 */
GORT_API int gort_map_clone(const gort_map *m, gort_map **out);

/*
 * Beyond Go: rebuilds the map's tables at the size its current entries need, returning
 * memory after mass deletion (a map that empties goes back to the table-less mode).
 * Iterators in progress keep Go's guarantees. Returns GORT_OK; GORT_EINVAL;
 * GORT_ENOMEM (the map is unchanged). @since 1.0
 */
GORT_API int gort_map_shrink(gort_map *m);

/*
 * Map statistics. Set struct_size to sizeof(gort_map_stats) before the call.
 *   entries        len(m)
 *   tables         distinct tables (0 in the table-less small mode)
 *   directory_len  directory entries, 2^global_depth (0 in small mode)
 *   global_depth   bits of the hash that select a table
 *   capacity       slots over all tables (8 for an allocated small group, else 0)
 *   growth_left    inserts possible before some table must grow (summed)
 *   tombstones     deleted slots still marked as such
 *   avg_probe      mean number of groups a lookup of a present key visits (1.0 = all
 *                  in their home group); max_probe the largest
 *   bytes          bytes the map has allocated (header, directory, tables, indirect
 *                  keys and values; not string bytes)
 * Returns GORT_OK, or GORT_EINVAL for NULL m/out or a struct_size below the 1.0 size.
 * A reader: safe alongside other readers. @since 1.0
 */
typedef struct gort_map_stats {
    size_t struct_size;
    size_t entries;
    size_t tables;
    size_t directory_len;
    size_t global_depth;
    size_t capacity;
    size_t growth_left;
    size_t tombstones;
    double avg_probe;
    size_t max_probe;
    size_t bytes;
} gort_map_stats;

GORT_API int gort_map_stats_get(const gort_map *m, gort_map_stats *out);

/* Calls visit(slot, ctx) for every non-NULL pointer word of every live key and value,
 * so a host collector can trace (or update) them. GORT_OK or GORT_EINVAL. @since 1.0 */
GORT_API int gort_map_scan(const gort_map *m, gort_visit_fn visit, void *ctx);

/*
 * An iterator: caller-allocated, fixed size (frozen at 128 bytes), never copied while in
 * use. Go's for-range semantics: a random start; any mutation of the map may happen
 * between calls to next (insert, delete, update, growth, split, clear, shrink); every
 * entry present throughout is produced exactly once; an entry deleted before it is
 * reached is never produced; an entry added meanwhile may or may not be; values are
 * current; NaN-keyed entries are produced. An unfinished iterator keeps retired tables
 * alive: run it to the end or call gort_map_iter_finish. @since 1.0
 */
typedef struct gort_map_iter {
    uint64_t opaque[16];
} gort_map_iter;

/* Starts iterating m (which must outlive the iterator). GORT_OK or GORT_EINVAL. A
 * reader: several threads may iterate at once when nobody writes. @since 1.0 */
GORT_API int gort_map_iter_init(gort_map *m, gort_map_iter *it);

/*
 * Produces the next entry: *key and *value (each may be NULL if not wanted) become
 * borrowed pointers to the entry, valid until the next mutation or the next call.
 * Returns 1 when an entry was produced, 0 when iteration is over (the iterator is then
 * finished), or GORT_EINVAL for NULL, a finished, copied or never-initialised iterator.
 * @since 1.0
 */
GORT_API int gort_map_iter_next(gort_map_iter *it, const void **key, void **value);

/*
 * Beyond Go: produces up to n entries at once into keys[0..) and values[0..) (either
 * array may be NULL), with the guarantees and borrowing of gort_map_iter_next; every
 * pointer stays valid until the next mutation. Returns how many were produced: fewer
 * than n only at the end of the iteration, 0 at its end (the iterator is then
 * finished), or GORT_EINVAL as for gort_map_iter_next and for n > INT64_MAX. One call
 * per batch instead of per entry: the cheap way to walk a map through an FFI.
 * @since 1.0
 */
GORT_API int64_t gort_map_iter_next_n(gort_map_iter *it, const void **keys, void **values,
                                      size_t n);

/* Deletes the entry the last gort_map_iter_next (or the last entry gort_map_iter_next_n)
 * produced (Go's delete-inside-range).
 * Returns GORT_OK; GORT_EINVAL for a bad iterator, when no entry was produced since
 * init or the previous iter_delete, or when the map was written since that entry was
 * produced; GORT_ENOMEM as for gort_map_delete. @since 1.0 */
GORT_API int gort_map_iter_delete(gort_map_iter *it);

/* Ends an iteration early, releasing its hold on retired tables. NULL-safe, idempotent.
 * @since 1.0 */
GORT_API void gort_map_iter_finish(gort_map_iter *it);

/*
 * Called on detected misuse Go treats as fatal ("concurrent map writes", "concurrent
 * map read and map write", "concurrent map iteration and map write"). The default
 * prints "libgort: fatal error: <message>" to stderr and aborts. A hook that returns
 * lets the call proceed (the map may then be inconsistent, as the race already made
 * it). Process-wide; NULL restores the default. @since 1.0
 */
typedef void (*gort_abort_fn)(const char *message, void *ctx);
GORT_API void gort_map_set_abort_hook(gort_abort_fn hook, void *ctx);

GORT_END_DECLS

#endif /* GORT_MAP_H */

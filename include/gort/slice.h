/*
 * libgort — Go slices.
 *
 * A gort_slice handle is Go's slice header {data, len, cap} plus a reference to a shared,
 * reference-counted backing store. Every Go semantic holds, including the aliasing one:
 * an append that fits in cap writes in place, and every slice sharing that store sees
 * it. Growth follows Go's nextslicecap, rounded up to the allocator's usable size (see
 * docs/slices.md for the exact capacity sequences).
 *
 * Ownership: a value copied in (set, append, copy) is retained (pointer hooks) or, for
 * GORT_KIND_STR, its bytes are copied. A value read out (get, data) is borrowed: no
 * retain, valid until that element is next modified or the store is freed. Elements are
 * released when overwritten, cleared, or when the last handle on the store is freed.
 *
 * Thread-safety: a handle is a plain value, like a Go slice: one thread at a time. Two
 * handles sharing a store may be freed from different threads (the store's count is
 * atomic), but concurrent writes to shared elements race exactly as they do in Go.
 */
#ifndef GORT_SLICE_H
#define GORT_SLICE_H

#include "base.h"
#include "heap.h"
#include "type.h"

GORT_BEGIN_DECLS

/* A slice handle. @since 1.0 */
typedef struct gort_slice gort_slice;

/*
 * make([]T, len, cap): a new slice of `len` zero values with capacity exactly `cap`, in
 * `heap` (NULL: default). Zero-size element types allocate nothing.
 * Returns GORT_OK; GORT_EINVAL for NULL type/out; GORT_ERANGE if len > cap;
 * GORT_EOVERFLOW if cap or cap * size exceeds GORT_MAX_ALLOC; GORT_ENOMEM.
 * A slice made with cap 0 is empty but not nil. @since 1.0
 */
GORT_API int gort_slice_make(gort_type *type, size_t len, size_t cap, gort_heap *heap,
                             gort_slice **out);

/* A nil slice of `type` (data NULL, len 0, cap 0). Errors: GORT_EINVAL, GORT_ENOMEM.
 * @since 1.0 */
GORT_API int gort_slice_nil(gort_type *type, gort_heap *heap, gort_slice **out);

/* Frees a handle, dropping its reference on the backing store. NULL-safe. @since 1.0 */
GORT_API void gort_slice_free(gort_slice *s);

/* len(s), cap(s); 0 for NULL. @since 1.0 */
GORT_API size_t gort_slice_len(const gort_slice *s);
GORT_API size_t gort_slice_cap(const gort_slice *s);

/* Returns 1 if s is a nil slice (or NULL), else 0. @since 1.0 */
GORT_API int gort_slice_is_nil(const gort_slice *s);

/* The element descriptor (borrowed), or NULL for NULL. @since 1.0 */
GORT_API gort_type *gort_slice_type(const gort_slice *s);

/*
 * A borrowed pointer to element 0 for bulk access: NULL for a nil slice, a non-NULL
 * address for an empty or zero-size one. Invalidated when s grows (append past cap,
 * grow) or is freed. Writing through it bypasses retain/release hooks. @since 1.0
 */
GORT_API void *gort_slice_data(const gort_slice *s);

/* Copies element i into *out (borrowed, see above). GORT_EINVAL, GORT_ERANGE (i >= len).
 * @since 1.0 */
GORT_API int gort_slice_get(const gort_slice *s, size_t i, void *out);

/* s[i] = *value: the new value is retained, the old one released. GORT_EINVAL,
 * GORT_ERANGE (i >= len), GORT_ENOMEM or GORT_EOVERFLOW (copying a string).
 * @since 1.0 */
GORT_API int gort_slice_set(gort_slice *s, size_t i, const void *value);

/* s = append(s, *value). value may be NULL only for a zero-size element type.
 * GORT_EINVAL, GORT_EOVERFLOW (the length would exceed GORT_MAX_ALLOC elements or bytes),
 * GORT_ENOMEM; on error s is unchanged. When growth can extend the array in place the
 * data pointer stays valid; otherwise it moves. @since 1.0 */
GORT_API int gort_slice_append(gort_slice *s, const void *value);

/*
 * s = append(s, values[0:n]...): the bulk path. `values` may point into s's own backing
 * store (memmove semantics). values may be NULL when n == 0 or the element size is 0.
 * Errors as gort_slice_append. @since 1.0
 */
GORT_API int gort_slice_append_n(gort_slice *s, const void *values, size_t n);

/* dst = append(dst, src...). src may share dst's store, or be dst itself. GORT_ETYPE if
 * the element types differ. Errors as gort_slice_append. @since 1.0 */
GORT_API int gort_slice_append_slice(gort_slice *dst, const gort_slice *src);

/*
 * t := s[lo:hi] (new handle sharing s's store; cap = cap(s) - lo) or the full form
 * t := s[lo:hi:max] (cap = max - lo). Requires lo <= hi <= max <= cap(s), else
 * GORT_ERANGE. Like Go, a result with cap 0 keeps s's base address, and a nil slice
 * sliced [0:0] stays nil. GORT_EINVAL, GORT_ENOMEM. @since 1.0
 */
GORT_API int gort_slice_sub(const gort_slice *s, size_t lo, size_t hi, gort_slice **out);
GORT_API int gort_slice_sub3(const gort_slice *s, size_t lo, size_t hi, size_t max,
                             gort_slice **out);

/* s = s[lo:hi:max] in place (no new handle). Same bounds rules as gort_slice_sub3.
 * @since 1.0 */
GORT_API int gort_slice_reslice(gort_slice *s, size_t lo, size_t hi, size_t max);

/*
 * copy(dst, src): copies min(len(dst), len(src)) elements with memmove semantics
 * (overlap is safe) and stores the count in *n_out (n_out may be NULL). GORT_ETYPE if
 * the types differ; GORT_ENOMEM (string copies) leaves dst unchanged. @since 1.0
 */
GORT_API int gort_slice_copy(gort_slice *dst, const gort_slice *src, size_t *n_out);

/* slices.Clone(s): a new slice with its own store holding copies of s's elements. A
 * nil s gives nil; an empty s gives an empty non-nil slice. @since 1.0 */
GORT_API int gort_slice_clone(const gort_slice *s, gort_slice **out);

/*
 * slices.Grow(s, n): ensures cap(s) - len(s) >= n, allocating at most once. The
 * elements between len and cap are preserved. GORT_EOVERFLOW if len + n is too large.
 * @since 1.0
 */
GORT_API int gort_slice_grow(gort_slice *s, size_t n);

/* slices.Clip(s): s = s[:len:len]. GORT_EINVAL for NULL. @since 1.0 */
GORT_API int gort_slice_clip(gort_slice *s);

/* clear(s): sets elements [0, len) to zero values, releasing the old ones. NULL-safe
 * no-op for nil. GORT_EINVAL for NULL. @since 1.0 */
GORT_API int gort_slice_clear(gort_slice *s);

/*
 * Calls visit(slot, ctx) for every non-NULL pointer word of every element in s's
 * backing store (all of it, [0, store capacity), since Go keeps the whole array alive
 * while any slice of it is). GORT_EINVAL for NULL s or visit. @since 1.0
 */
GORT_API int gort_slice_scan(const gort_slice *s, gort_visit_fn visit, void *ctx);

/* Bytes of backing store this view keeps alive (the whole store, whatever its len):
 * the memory-pinning cost of a small view of a big array. 0 for nil. @since 1.0 */
GORT_API size_t gort_slice_backing_bytes(const gort_slice *s);

GORT_END_DECLS

#endif /* GORT_SLICE_H */

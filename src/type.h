/*
 * Internal view of type descriptors, and the value operations every container uses:
 * clone (copy in, retaining), drop (release), scan (visit pointer words).
 */
#ifndef GORT_TYPE_INTERNAL_H
#define GORT_TYPE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "atomic.h"
#include "gort.h"

struct gort_type {
    gort__atomic refs;  /* unused for immortal (builtin) descriptors */
    bool immortal;
    uint8_t kind;       /* gort_kind */
    bool bytewise;      /* hash and compare the raw bytes */
    bool comparable;    /* may be a map key */
    bool owns_refs;     /* copying in retains and dropping releases: str, or hooks+ptrs */
    bool has_ptrs;      /* at least one bitmap bit is set */
    uint32_t flags;
    size_t size;
    size_t align;
    gort_hash_fn hash;
    gort_equal_fn equal;
    gort_ref_fn retain;
    gort_ref_fn release;
    void *ctx;
    size_t ptr_words;
    const uint64_t *ptr_bitmap; /* a private copy; NULL when ptr_words == 0 */
    const char *name;           /* a private copy, or a static string */
};

/* Seeded XXH3 of `len` bytes: the one hash function behind every builtin kind. */
uint64_t gort__hash_bytes(const void *data, size_t len, uint64_t seed);

/* The per-process random key every hash mixes in (set when the library loads). */
extern uint64_t gort__process_hash_key;

/* Whether a string's bytes can be read: GORT_EINVAL for {NULL, len > 0}, GORT_EOVERFLOW
 * for a length above GORT_MAX_ALLOC (no string can be that long), else GORT_OK. Checked
 * before anything hashes, compares or copies the bytes. */
int gort__str_check(const gort_str *s);

/* gort__str_check for a str value; GORT_OK for every other kind. */
int gort__value_check(const gort_type *type, const void *value);

/* A value's hash and equality under its descriptor, with Go's float rules (+0 == -0,
 * NaN never equal and hashed randomly). */
uint64_t gort__hash_value(const gort_type *type, const void *value, uint64_t seed);
bool gort__equal_values(const gort_type *type, const void *a, const void *b);

/* A fast, per-thread pseudo-random 64-bit number (seeds, NaN hashes); not for secrets
 * beyond hash flooding. */
uint64_t gort__random64(void);

/* True when a and b describe the same layout and behaviour (same pointer, or equal
 * fields), so values of one may be stored in a container of the other. */
bool gort__type_same(const gort_type *a, const gort_type *b);

/*
 * Copies n values from src to dst (which must not overlap), taking ownership the way a
 * container does: retain hooks for pointer words, a private copy of a str's bytes.
 * On GORT_ENOMEM nothing was retained or allocated and dst's contents are unspecified.
 */
int gort__values_clone(const gort_type *type, void *dst, const void *src, size_t n);

/*
 * Writes n values from src over dst, which may overlap src (memmove semantics) and may
 * hold values owned by a container: the new values are taken (retained, strings copied)
 * before the old ones are released, so a value that is both survives. On error nothing
 * changed. Scratch space for the taken values comes from `heap` only above 256 bytes.
 */
int gort__values_replace(const gort_type *type, gort_heap *heap, void *dst,
                         const void *src, size_t n);

/* Runs the retain hook on every pointer word of n values in place (nothing for str,
 * whose ownership is its bytes: clone those instead). Cannot fail. */
void gort__values_retain(const gort_type *type, const void *base, size_t n);

/* Releases n values in place (release hooks, or a str's bytes). Does not zero them. */
void gort__values_drop(const gort_type *type, void *base, size_t n);

/* Calls visit on every non-NULL pointer word of n values. */
void gort__values_scan(const gort_type *type, void *base, size_t n, gort_visit_fn visit,
                       void *ctx);

#endif /* GORT_TYPE_INTERNAL_H */

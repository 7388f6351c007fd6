/*
 * libgort — type descriptors.
 *
 * A descriptor describes one element type at run time, the way Go's runtime uses its
 * _type: size, alignment, hash, equality, and a pointer bitmap that tells libgort which
 * words of a value hold pointers. Containers keep a reference to their descriptors.
 * See docs/types.md.
 */
#ifndef GORT_TYPE_H
#define GORT_TYPE_H

#include "base.h"

GORT_BEGIN_DECLS

/* An immutable, reference-counted type descriptor. @since 1.0 */
typedef struct gort_type gort_type;

/*
 * Hash of the value at `value`, mixed with `seed`. Must return equal hashes for values
 * that `equal` calls equal. `ctx` is the descriptor's ctx. @since 1.0
 */
typedef uint64_t (*gort_hash_fn)(const void *value, uint64_t seed, void *ctx);

/* Returns non-zero when the values at `a` and `b` are equal. @since 1.0 */
typedef int (*gort_equal_fn)(const void *a, const void *b, void *ctx);

/*
 * A reference hook, called with the value of one non-NULL pointer word: `retain` when a
 * container takes a copy of a value, `release` when it drops one. @since 1.0
 */
typedef void (*gort_ref_fn)(void *ptr, void *ctx);

/*
 * Flags of a descriptor. @since 1.0
 * GORT_TYPE_INCOMPARABLE: the type has no equality (like a Go slice or func); it can be
 *   an element but never a map key.
 */
typedef enum gort_type_flags {
    GORT_TYPE_INCOMPARABLE = 1
} gort_type_flags;

/*
 * What a caller fills to create a descriptor. Set struct_size to
 * sizeof(gort_type_desc); fields are only ever added at the end.
 *
 *   size, align   value size and alignment in bytes; align is a power of two no larger
 *                 than 4096, size a multiple of align (as in C arrays). size 0 is allowed
 *                 (like Go's struct{}).
 *   hash, equal   both NULL: values are hashed and compared as bytes (the caller asserts
 *                 the type has no padding); both set: used for maps; one alone: invalid.
 *   ptr_bitmap,   bit i of ptr_bitmap (word i / 64, bit i % 64) set means the pointer-
 *   ptr_words     sized word at byte offset i * sizeof(void *) holds a pointer. ptr_words
 *                 words are covered; they must lie inside size, and a type with pointer
 *                 words needs align >= sizeof(void *). NULL/0: no pointers.
 *   retain,       optional hooks run on every non-NULL pointer word of a value copied
 *   release       into (retain) or dropped from (release) a container. Both or neither.
 *   ctx           passed to every callback.
 *   name          optional, for messages; copied.
 *   flags         gort_type_flags.
 * @since 1.0
 */
typedef struct gort_type_desc {
    size_t struct_size;
    size_t size;
    size_t align;
    gort_hash_fn hash;
    gort_equal_fn equal;
    const uint64_t *ptr_bitmap;
    size_t ptr_words;
    gort_ref_fn retain;
    gort_ref_fn release;
    void *ctx;
    const char *name;
    uint32_t flags;
} gort_type_desc;

/* Largest value size a descriptor may declare: 1 GiB. @since 1.0 */
#define GORT_TYPE_MAX_SIZE ((size_t)1 << 30)

/*
 * Creates a descriptor from `desc` (which is copied, bitmap and name included).
 * Returns GORT_OK and a descriptor holding one reference in *out;
 * GORT_EINVAL if desc or out is NULL, struct_size is too small, align is not a power of
 * two <= 4096, size is not a multiple of align, hash/equal or retain/release are given
 * singly, the bitmap does not fit inside size, pointer words are misaligned, flags has
 * unknown bits, or GORT_TYPE_INCOMPARABLE comes with an equal function;
 * GORT_EOVERFLOW if size > GORT_TYPE_MAX_SIZE; GORT_ENOMEM. On error *out is untouched.
 * Thread-safe. @since 1.0
 */
GORT_API int gort_type_create(const gort_type_desc *desc, gort_type **out);

/* Adds a reference; returns `type`. NULL-safe; builtins are immortal. @since 1.0 */
GORT_API gort_type *gort_type_retain(gort_type *type);

/* Drops a reference, freeing the descriptor with the last one. NULL-safe. @since 1.0 */
GORT_API void gort_type_release(gort_type *type);

/*
 * Builtin descriptors: static, never freed, no need to retain or release.
 * GORT_KIND_STR is a gort_str {ptr, len}: containers own a private copy of the bytes
 * (like Go's immutable strings). GORT_KIND_PTR is a raw pointer compared by identity:
 * scan functions visit it, but it has no hooks. Float kinds follow Go: +0 == -0,
 * NaN != NaN.
 * @since 1.0
 */
typedef enum gort_kind {
    GORT_KIND_CUSTOM = 0,
    GORT_KIND_BOOL = 1,
    GORT_KIND_I8 = 2,
    GORT_KIND_I16 = 3,
    GORT_KIND_I32 = 4,
    GORT_KIND_I64 = 5,
    GORT_KIND_U8 = 6,
    GORT_KIND_U16 = 7,
    GORT_KIND_U32 = 8,
    GORT_KIND_U64 = 9,
    GORT_KIND_F32 = 10,
    GORT_KIND_F64 = 11,
    GORT_KIND_UINTPTR = 12,
    GORT_KIND_PTR = 13,
    GORT_KIND_STR = 14
} gort_kind;

/* A string value: `len` bytes at `ptr` (not NUL-terminated; may hold NULs). Frozen: this
 * layout never changes. @since 1.0 */
typedef struct gort_str {
    const char *ptr;
    size_t len;
} gort_str;

/* Returns the builtin descriptor of `kind`, or NULL for GORT_KIND_CUSTOM or an unknown
 * kind. Thread-safe. @since 1.0 */
GORT_API gort_type *gort_type_builtin(int kind);

/* Getters. A NULL type yields 0 / GORT_KIND_CUSTOM / "". @since 1.0 */
GORT_API size_t gort_type_size(const gort_type *type);
GORT_API size_t gort_type_align(const gort_type *type);
GORT_API int gort_type_kind(const gort_type *type);
GORT_API const char *gort_type_name(const gort_type *type);

/* Returns non-zero if the type can be a map key (it has equality); 0 for NULL. @since 1.0 */
GORT_API int gort_type_comparable(const gort_type *type);

/*
 * Hashes the value at `value` with `seed` (builtin kinds use the seeded XXH3 with a
 * per-process random key; +0 and -0 hash alike; every NaN hashes randomly). Maps hash
 * with the same equality classes, but 4- and 8-byte keys with a cheaper function of
 * their own (docs/maps.md), so a map's hash of such a key is not this one. Returns
 * GORT_EINVAL for NULL arguments or a str {NULL, len > 0}, GORT_EOVERFLOW for a str
 * longer than GORT_MAX_ALLOC, GORT_ETYPE for an incomparable type. @since 1.0
 */
GORT_API int gort_type_hash(const gort_type *type, const void *value, uint64_t seed,
                            uint64_t *out);

/*
 * Compares two values of `type` as maps do; *out is 1 when equal, else 0.
 * Returns GORT_EINVAL for NULL arguments or a str {NULL, len > 0}, GORT_EOVERFLOW for
 * a str longer than GORT_MAX_ALLOC, GORT_ETYPE for an incomparable type. @since 1.0
 */
GORT_API int gort_type_equal(const gort_type *type, const void *a, const void *b, int *out);

/*
 * Drops a value the caller owns (one received from a channel, for instance): runs the
 * release hook on each non-NULL pointer word, or frees a gort_str's bytes, then zeroes
 * the value. NULL-safe (does nothing). @since 1.0
 */
GORT_API void gort_value_drop(const gort_type *type, void *value);

/*
 * Visitor for the scan functions: called with the address of each non-NULL pointer word
 * held in a container, so a host collector can trace (and may update) it. @since 1.0
 */
typedef void (*gort_visit_fn)(void **slot, void *ctx);

GORT_END_DECLS

#endif /* GORT_TYPE_H */

/*
 * Shared test fixtures: builtin type shorthands, heap accounting, an allocation counter
 * built on the failure-injection hook, and "tracked", an element type whose
 * retain/release hooks keep a reference count per pointed-to object, so tests can prove
 * every retain has its release.
 *
 * tracked element: { void *first; uint64_t tag; void *second; }  (24 bytes, align 8)
 * bitmap 0b101: words 0 and 2 are pointers, word 1 is plain data (never retained, even
 * when it happens to hold an address).
 */
#ifndef GORT_TEST_FIXTURES_H
#define GORT_TEST_FIXTURES_H

#include <stdlib.h>

#include "harness.h"
#include "heap.h" /* src/heap.h: gort__alloc_fail_after, gort__usable_size */

/* ---- builtin types and values --------------------------------------------------------- */

static gort_type *i64_type(void)
{
    return gort_type_builtin(GORT_KIND_I64);
}

static gort_type *u64_type(void)
{
    return gort_type_builtin(GORT_KIND_U64);
}

static gort_type *str_type(void)
{
    return gort_type_builtin(GORT_KIND_STR);
}

/* A gort_str borrowing a C string's bytes. */
/* Whether all n bytes at p are `byte` (all_zero: 0). */
static bool all_bytes(const void *p, size_t n, unsigned char byte)
{
    for (size_t i = 0; i < n; i++)
        if (((const unsigned char *)p)[i] != byte)
            return false;
    return true;
}

static bool all_zero(const void *p, size_t n)
{
    return all_bytes(p, n, 0);
}

static gort_str str_of(const char *text)
{
    return (gort_str){text, strlen(text)};
}

/* ---- heap accounting ---------------------------------------------------------------- */

static gort_heap_stats heap_stats(gort_heap *heap)
{
    gort_heap_stats stats = {.struct_size = sizeof stats};
    CHECK_OK(gort_heap_stats_get(heap, &stats));
    return stats;
}

/* Shim allocations not yet freed in `heap` (NULL: the default heap). */
static uint64_t live_blocks(gort_heap *heap)
{
    return heap_stats(heap).live_blocks;
}

static uint64_t live_objects(gort_heap *heap)
{
    return heap_stats(heap).live_objects;
}

/* Counting allocation attempts: arm the injection hook far beyond reach, then read back
 * how many allocations (including reallocations) were attempted. */
static void alloc_count_begin(void)
{
    gort__alloc_fail_after(1L << 40);
}

static long alloc_count_end(void)
{
    return gort__alloc_fail_after(-1);
}

static bool allocator_is_libc(void)
{
    return strcmp(gort_heap_allocator(), "libc") == 0;
}

/* ---- tracked: counting retain/release hooks ------------------------------------------ */

#define TRACKED_OBJECTS 64

typedef struct tracked {
    void *first;
    uint64_t tag;
    void *second;
} tracked;

static struct tracked_state {
    int refs[TRACKED_OBJECTS]; /* references containers hold on object i */
    long retains, releases;    /* hook calls since tracked_type() */
    long errors;               /* releases below zero, foreign pointers, wrong ctx */
} tracked_state;

static char tracked_objects[TRACKED_OBJECTS];

static void *obj(int i)
{
    return &tracked_objects[i];
}

static int tracked_index(void *ptr, void *ctx)
{
    ptrdiff_t i = (char *)ptr - tracked_objects;
    if (ctx != &tracked_state || i < 0 || i >= TRACKED_OBJECTS) {
        tracked_state.errors++;
        return -1;
    }
    return (int)i;
}

static void tracked_retain(void *ptr, void *ctx)
{
    int i = tracked_index(ptr, ctx);
    tracked_state.retains++;
    if (i >= 0)
        tracked_state.refs[i]++;
}

static void tracked_release(void *ptr, void *ctx)
{
    int i = tracked_index(ptr, ctx);
    tracked_state.releases++;
    if (i >= 0 && tracked_state.refs[i]-- == 0)
        tracked_state.errors++;
}

static const uint64_t tracked_bitmap[1] = {0x5};

/* The layout of `tracked` with the given hooks (tests vary the hooks and the state). */
static gort_type_desc tracked_desc(gort_ref_fn retain, gort_ref_fn release, void *ctx,
                                   const char *name)
{
    return (gort_type_desc){
        .struct_size = sizeof(gort_type_desc),
        .size = sizeof(tracked),
        .align = _Alignof(tracked),
        .ptr_bitmap = tracked_bitmap,
        .ptr_words = 3,
        .retain = retain,
        .release = release,
        .ctx = ctx,
        .name = name,
    };
}

/* A fresh descriptor for `tracked`, with the counters reset. Release it when done. */
static gort_type *tracked_type(void)
{
    memset(&tracked_state, 0, sizeof tracked_state);
    gort_type_desc desc = tracked_desc(tracked_retain, tracked_release, &tracked_state,
                                       "tracked");
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    return type;
}

static tracked track(int first, uint64_t tag, int second)
{
    return (tracked){first < 0 ? NULL : obj(first), tag, second < 0 ? NULL : obj(second)};
}

static int refs(int i)
{
    return tracked_state.refs[i];
}

/* True when containers hold no reference at all and no hook misbehaved. */
static bool tracked_balanced(void)
{
    for (int i = 0; i < TRACKED_OBJECTS; i++)
        if (tracked_state.refs[i] != 0)
            return false;
    return tracked_state.errors == 0 && tracked_state.retains == tracked_state.releases;
}

/* ---- randomness and environment ---------------------------------------------------------- */

/* splitmix64's finaliser: a bijection of uint64, used both as the generator's output
 * function and to derive seeds. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* splitmix64: small, fast, and reproducible from a printed seed. */
typedef struct rng {
    uint64_t state;
} rng;

static uint64_t rng_next(rng *r)
{
    r->state += 0x9e3779b97f4a7c15ull;
    return mix64(r->state);
}

/* Uniform enough in [0, n); 0 for n == 0. */
static uint64_t rng_below(rng *r, uint64_t n)
{
    return n ? rng_next(r) % n : 0;
}

static bool rng_one_in(rng *r, uint64_t n)
{
    return rng_below(r, n) == 0;
}

/* True under Valgrind: GORT_TEST_VALGRIND=1 (0 denies), else LD_PRELOAD naming its
 * preload library. Tests shrink their work there. */
static bool under_valgrind(void)
{
    const char *flag = getenv("GORT_TEST_VALGRIND");
    const char *preload = getenv("LD_PRELOAD");
    if (flag && *flag)
        return strcmp(flag, "0") != 0;
    return preload && strstr(preload, "vgpreload");
}

/* Which slow build this is: iteration counts shrink under sanitizers and Valgrind. */
#if defined(__SANITIZE_THREAD__)
#define TEST_BUILD_TSAN 1
#elif defined(__SANITIZE_ADDRESS__)
#define TEST_BUILD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_BUILD_TSAN 1
#elif __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define TEST_BUILD_ASAN 1
#endif
#endif

/* The factor a test multiplies its iteration counts by: GORT_TEST_SCALE when set to a
 * sane number, else the caller's factor for this build (1 for a plain build). */
static double test_scale(double asan, double tsan, double valgrind)
{
    const char *env = getenv("GORT_TEST_SCALE");
    if (env && *env) {
        double factor = strtod(env, NULL);
        if (factor > 0 && factor < 1e6)
            return factor;
    }
    (void)asan, (void)tsan; /* one of them is unused in every build */
    if (under_valgrind())
        return valgrind;
#if defined(TEST_BUILD_TSAN)
    return tsan;
#elif defined(TEST_BUILD_ASAN)
    return asan;
#else
    return 1.0;
#endif
}

/* ---- map contents --------------------------------------------------------------------- */

/*
 * A map's contents as sorted rows, one per entry: the key's bytes then the value's, a
 * str as its length and text (so two maps holding equal strings in different blocks
 * compare equal). Two maps hold the same entries, key bits included (a stored -0, the
 * newest spelling of a custom key), exactly when their rows are equal.
 */
#define ROW_TEXT 48

typedef struct map_rows {
    size_t n, width;
    unsigned char *bytes;
} map_rows;

static size_t row_part_size(const gort_type *type)
{
    return gort_type_kind(type) == GORT_KIND_STR ? sizeof(size_t) + ROW_TEXT
                                                 : gort_type_size(type);
}

static void row_part(const gort_type *type, const void *value, unsigned char *out)
{
    if (gort_type_kind(type) != GORT_KIND_STR) {
        memcpy(out, value, gort_type_size(type));
        return;
    }
    const gort_str *s = value;
    CHECK_TRUE(s->len <= ROW_TEXT);
    memset(out, 0, sizeof(size_t) + ROW_TEXT);
    memcpy(out, &s->len, sizeof s->len);
    if (s->len)
        memcpy(out + sizeof(size_t), s->ptr, s->len <= ROW_TEXT ? s->len : ROW_TEXT);
}

static size_t rows_width; /* for rows_compare: qsort has no context argument */

static int rows_compare(const void *a, const void *b)
{
    return memcmp(a, b, rows_width);
}

static map_rows rows_of(gort_map *m)
{
    const gort_type *kt = gort_map_key_type(m), *vt = gort_map_value_type(m);
    size_t key_width = row_part_size(kt);
    map_rows rows = {0, key_width + row_part_size(vt), NULL};
    rows.bytes = malloc(gort_map_len(m) * rows.width + 1);
    gort_map_iter it;
    const void *key;
    void *value;
    CHECK_OK(gort_map_iter_init(m, &it));
    while (gort_map_iter_next(&it, &key, &value) == 1 && CHECK_TRUE(rows.n < gort_map_len(m))) {
        unsigned char *row = rows.bytes + rows.n++ * rows.width;
        row_part(kt, key, row);
        row_part(vt, value, row + key_width);
    }
    gort_map_iter_finish(&it);
    rows_width = rows.width;
    qsort(rows.bytes, rows.n, rows.width, rows_compare);
    return rows;
}

static bool rows_hold(const map_rows *want, gort_map *m)
{
    map_rows got = rows_of(m);
    bool held = CHECK_EQ_SIZE(gort_map_len(m), want->n) && CHECK_EQ_SIZE(got.n, want->n) &&
                CHECK_EQ_MEM(got.bytes, want->bytes, want->n * want->width);
    free(got.bytes);
    return held;
}

#endif /* GORT_TEST_FIXTURES_H */

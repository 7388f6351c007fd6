/*
 * Conformance tests of src/slice.c against Go's slice semantics: every behaviour in
 * include/gort/slice.h, go-runtime.md §1 and the slice items 1-13 of the catalogue in
 * go-runtime.md §5 ("catalogue item N" below).
 *
 * Capacities after growth are asserted two ways: against Go's nextslicecap (written
 * again here from the research note, independently of src/slice.c) rounded up to the
 * allocator's usable size, and against literal sequences for each allocator.
 * Item 7 (argument evaluation order) has no C counterpart: C evaluates the arguments
 * before the call, so append cannot observe a side effect of its own arguments.
 */
#include <pthread.h>

#include "fixtures.h"

/* ---- helpers -------------------------------------------------------------------------- */

static gort_type *u8_type(void)
{
    return gort_type_builtin(GORT_KIND_U8);
}

static gort_slice *make_of(gort_type *type, size_t len, size_t cap)
{
    gort_slice *s = NULL;
    CHECK_OK(gort_slice_make(type, len, cap, NULL, &s));
    return s;
}

static gort_slice *nil_of(gort_type *type)
{
    gort_slice *s = NULL;
    CHECK_OK(gort_slice_nil(type, NULL, &s));
    return s;
}

static gort_slice *sub(const gort_slice *s, size_t lo, size_t hi)
{
    gort_slice *t = NULL;
    CHECK_OK(gort_slice_sub(s, lo, hi, &t));
    return t;
}

static gort_slice *sub3(const gort_slice *s, size_t lo, size_t hi, size_t max)
{
    gort_slice *t = NULL;
    CHECK_OK(gort_slice_sub3(s, lo, hi, max, &t));
    return t;
}

/* A view of s's whole capacity, [0:cap], to look at elements beyond len. */
static gort_slice *full_view(const gort_slice *s)
{
    return sub(s, 0, gort_slice_cap(s));
}

static int64_t i64_at(const gort_slice *s, size_t i)
{
    int64_t v = -12345;
    CHECK_OK(gort_slice_get(s, i, &v));
    return v;
}

static void append_i64(gort_slice *s, int64_t v)
{
    CHECK_OK(gort_slice_append(s, &v));
}

/* An int64 slice holding exactly the n values `values`. */
static gort_slice *i64_slice(const int64_t *values, size_t n)
{
    gort_slice *s = make_of(i64_type(), 0, n);
    CHECK_OK(gort_slice_append_n(s, values, n));
    return s;
}

/* An int64 slice [start, start + n) with len = cap = n. */
static gort_slice *i64_range(int64_t start, size_t n)
{
    gort_slice *s = make_of(i64_type(), n, n);
    int64_t *data = gort_slice_data(s);
    for (size_t i = 0; i < n; i++)
        data[i] = start + (int64_t)i;
    return s;
}

static bool i64_equals(const gort_slice *s, const int64_t *want, size_t n)
{
    if (!CHECK_EQ_SIZE(gort_slice_len(s), n))
        return false;
    return CHECK_EQ_MEM(gort_slice_data(s), want, n * sizeof(int64_t));
}

static gort_slice *bytes_slice(const char *text, size_t cap)
{
    size_t n = strlen(text);
    gort_slice *s = make_of(u8_type(), 0, cap);
    CHECK_OK(gort_slice_append_n(s, text, n));
    return s;
}

static bool bytes_equal(const gort_slice *s, const char *want)
{
    if (!CHECK_EQ_SIZE(gort_slice_len(s), strlen(want)))
        return false;
    return CHECK_EQ_MEM(gort_slice_data(s), want, strlen(want));
}

/* ---- Go's growth formula (go-runtime.md §1.2), independent of src/slice.c --------------- */

/* runtime.nextslicecap: newLen > 2*oldCap gets newLen; below 256 double; otherwise grow
 * by (newcap + 3*256) / 4 until newLen fits. */
static size_t go_nextslicecap(size_t new_len, size_t old_cap)
{
    size_t newcap = old_cap;
    if (new_len > 2 * old_cap)
        return new_len;
    if (old_cap < 256)
        return 2 * old_cap;
    do
        newcap += (newcap + 3 * 256) >> 2;
    while (newcap < new_len);
    return newcap;
}

/* libgort's promise: nextslicecap rounded up to the usable size of its allocation. */
static size_t expected_cap(const gort_type *type, size_t new_len, size_t old_cap)
{
    size_t size = gort_type_size(type), cap = go_nextslicecap(new_len, old_cap);
    return gort__usable_size(cap * size, gort_type_align(type)) / size;
}

/* Appends one element at a time from nil until len reaches `until`, recording each new
 * capacity and checking it against expected_cap. Returns the number recorded. */
static size_t record_caps(gort_type *type, size_t until, size_t *caps, size_t max_caps)
{
    if (!CHECK_TRUE(gort_type_size(type) <= 64))
        return 0;
    gort_slice *s = nil_of(type);
    size_t count = 0;
    unsigned char zero[64] = {0}; /* one value of any type used here */
    for (size_t len = 0; len < until; len++) {
        size_t old_cap = gort_slice_cap(s);
        CHECK_OK(gort_slice_append(s, zero));
        if (gort_slice_cap(s) == old_cap)
            continue;
        CHECK_EQ_SIZE(gort_slice_cap(s), expected_cap(type, len + 1, old_cap));
        if (count < max_caps)
            caps[count] = gort_slice_cap(s);
        count++;
    }
    gort_slice_free(s);
    return count;
}

static void print_caps(const size_t *caps, size_t n)
{
    printf("#     capacities:");
    for (size_t i = 0; i < n; i++)
        printf(" %zu", caps[i]);
    printf("\n");
}

/* ---- make and nil ------------------------------------------------------------------- */

TEST(make_gives_exact_cap_and_zeroed_elements)
{
    gort_slice *dirty = i64_range(-1000, 64); /* leave non-zero memory behind */
    gort_slice_free(dirty);
    gort_slice *s = make_of(i64_type(), 3, 5);
    CHECK_EQ_SIZE(gort_slice_len(s), 3);
    CHECK_EQ_SIZE(gort_slice_cap(s), 5); /* exactly cap, not rounded to a size class */
    CHECK_TRUE(all_zero(gort_slice_data(s), 5 * sizeof(int64_t)));
    CHECK_EQ_INT(gort_slice_is_nil(s), 0);
    CHECK_EQ_PTR(gort_slice_type(s), i64_type());
    gort_slice_free(s);

    s = make_of(u8_type(), 0, 7);
    CHECK_EQ_SIZE(gort_slice_cap(s), 7);
    gort_slice_free(s);
}

/* Go's makeslice: len > cap is "len out of range" (catalogue item 11). */
TEST(make_len_greater_than_cap_is_erange)
{
    uint64_t blocks = live_blocks(NULL);
    gort_slice *sentinel = (gort_slice *)&sentinel, *out = sentinel;
    CHECK_STATUS(gort_slice_make(i64_type(), 6, 5, NULL, &out), GORT_ERANGE);
    CHECK_STATUS(gort_slice_make(i64_type(), (size_t)-1, 0, NULL, &out), GORT_ERANGE);
    CHECK_STATUS(gort_slice_make(i64_type(), 1, 0, NULL, &out), GORT_ERANGE);
    CHECK_EQ_PTR(out, sentinel);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* Go's makeslice: cap*size overflowing or above maxAlloc is "cap out of range"
 * (catalogue item 11); nothing may be allocated. */
TEST(make_cap_overflow_is_eoverflow_without_allocating)
{
    uint64_t blocks = live_blocks(NULL);
    const size_t caps[] = {SIZE_MAX / 2, (size_t)-1, SIZE_MAX / 8 + 1,
                           (size_t)(GORT_MAX_ALLOC / 8) + 1};
    gort_slice *sentinel = (gort_slice *)&sentinel, *out = sentinel;
    for (size_t i = 0; i < HARNESS_COUNT(caps); i++) {
        CHECK_STATUS(gort_slice_make(i64_type(), 0, caps[i], NULL, &out), GORT_EOVERFLOW);
        CHECK_STATUS(gort_slice_make(i64_type(), caps[i], caps[i], NULL, &out), GORT_EOVERFLOW);
    }
    CHECK_STATUS(gort_slice_make(u8_type(), 0, (size_t)GORT_MAX_ALLOC + 1, NULL, &out),
                 GORT_EOVERFLOW);
    CHECK_EQ_PTR(out, sentinel);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

TEST(make_rejects_null_type_or_out)
{
    gort_slice *out = NULL;
    CHECK_STATUS(gort_slice_make(NULL, 0, 1, NULL, &out), GORT_EINVAL);
    CHECK_STATUS(gort_slice_make(i64_type(), 0, 1, NULL, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_slice_nil(NULL, NULL, &out), GORT_EINVAL);
    CHECK_STATUS(gort_slice_nil(i64_type(), NULL, NULL), GORT_EINVAL);
    CHECK_TRUE(out == NULL);
}

/* go-runtime.md §1.1: nil is {NULL, 0, 0}; make(0, 0) is empty but not nil. */
TEST(nil_and_empty_slices_differ_only_in_nilness)
{
    gort_slice *nil = nil_of(i64_type()), *empty = make_of(i64_type(), 0, 0);
    CHECK_EQ_INT(gort_slice_is_nil(nil), 1);
    CHECK_TRUE(gort_slice_data(nil) == NULL);
    CHECK_EQ_INT(gort_slice_is_nil(empty), 0);
    CHECK_TRUE(gort_slice_data(empty) != NULL);
    CHECK_EQ_SIZE(gort_slice_len(nil) + gort_slice_cap(nil), 0);
    CHECK_EQ_SIZE(gort_slice_len(empty) + gort_slice_cap(empty), 0);
    CHECK_EQ_SIZE(gort_slice_backing_bytes(nil), 0);
    CHECK_EQ_PTR(gort_slice_type(nil), i64_type());
    gort_slice_free(nil);
    gort_slice_free(empty);
}

/* ---- get, set, data ---------------------------------------------------------------- */

TEST(get_and_set_round_trip_within_len)
{
    gort_slice *s = make_of(i64_type(), 4, 8);
    for (size_t i = 0; i < 4; i++) {
        int64_t v = 100 + (int64_t)i;
        CHECK_OK(gort_slice_set(s, i, &v));
    }
    for (size_t i = 0; i < 4; i++)
        CHECK_EQ_INT(i64_at(s, i), 100 + (int64_t)i);
    gort_slice_free(s);
}

/* Go's index expressions panic outside [0, len), even below cap. */
TEST(get_and_set_out_of_bounds_are_erange)
{
    gort_slice *s = make_of(i64_type(), 4, 8), *nil = nil_of(i64_type());
    int64_t v = 77, out = 55;
    const size_t bad[] = {4, 7, 8, (size_t)-1};
    for (size_t i = 0; i < HARNESS_COUNT(bad); i++) {
        CHECK_STATUS(gort_slice_get(s, bad[i], &out), GORT_ERANGE);
        CHECK_STATUS(gort_slice_set(s, bad[i], &v), GORT_ERANGE);
    }
    CHECK_STATUS(gort_slice_get(nil, 0, &out), GORT_ERANGE);
    CHECK_STATUS(gort_slice_set(nil, 0, &v), GORT_ERANGE);
    CHECK_EQ_INT(out, 55);
    CHECK_TRUE(all_zero(gort_slice_data(s), 8 * sizeof(int64_t)));
    gort_slice_free(s);
    gort_slice_free(nil);
}

TEST(data_is_a_borrowed_pointer_to_element_zero)
{
    gort_slice *s = make_of(i64_type(), 3, 3);
    int64_t *data = gort_slice_data(s);
    data[1] = 42;
    CHECK_EQ_INT(i64_at(s, 1), 42);
    int64_t v = 9;
    CHECK_OK(gort_slice_set(s, 2, &v));
    CHECK_EQ_INT(data[2], 9);
    gort_slice *view = sub(s, 1, 3);
    CHECK_EQ_PTR(gort_slice_data(view), data + 1);
    gort_slice_free(view);
    gort_slice_free(s);
}

/* ---- append: aliasing and detaching --------------------------------------------------- */

/* Catalogue item 5: an append that fits in cap writes the shared array in place. */
TEST(append_in_place_is_visible_through_sharing_slice)
{
    gort_slice *a = make_of(i64_type(), 2, 4);
    gort_slice *b = sub(a, 0, 2); /* b := a[:2] */
    void *data = gort_slice_data(a);
    append_i64(b, 7);
    CHECK_EQ_PTR(gort_slice_data(b), data);
    gort_slice *a3 = sub(a, 0, 3);
    CHECK_EQ_INT(i64_at(a3, 2), 7);
    append_i64(a, 9); /* the pitfall: a's append overwrites b[2] */
    CHECK_EQ_INT(i64_at(b, 2), 9);
    CHECK_EQ_SIZE(gort_slice_len(a), 3);
    CHECK_EQ_SIZE(gort_slice_len(b), 3);
    gort_slice_free(a3);
    gort_slice_free(a);
    gort_slice_free(b);
}

/* go-runtime.md §1.2: growth allocates a new array; the old one is not modified. */
TEST(append_beyond_cap_detaches_and_leaves_old_slice_unchanged)
{
    const int64_t want[] = {1, 2, 3};
    gort_slice *s = i64_slice(want, 3);
    gort_slice *t = sub(s, 0, 3);
    append_i64(t, 4);
    CHECK_TRUE(gort_slice_data(t) != gort_slice_data(s));
    int64_t hundred = 100;
    CHECK_OK(gort_slice_set(t, 0, &hundred));
    i64_equals(s, want, 3);
    CHECK_EQ_SIZE(gort_slice_cap(s), 3);
    const int64_t want_t[] = {100, 2, 3, 4};
    i64_equals(t, want_t, 4);
    gort_slice_free(s);
    gort_slice_free(t);
}

/* The example of the Go spec, "Appending to and copying slices". */
TEST(go_spec_append_example)
{
    const int64_t zeros[] = {0, 0}, three_five_seven[] = {3, 5, 7};
    gort_slice *s0 = i64_slice(zeros, 2);
    gort_slice *s1 = sub(s0, 0, 2);
    append_i64(s1, 2); /* s1 := append(s0, 2) */
    gort_slice *s2 = sub(s1, 0, 3);
    CHECK_OK(gort_slice_append_n(s2, three_five_seven, 3)); /* s2 := append(s1, 3, 5, 7) */
    gort_slice *s3 = sub(s2, 0, 6);
    CHECK_OK(gort_slice_append_slice(s3, s0)); /* s3 := append(s2, s0...) */
    gort_slice *s4 = sub(s3, 3, 6), *s3_tail = sub(s3, 2, 8);
    CHECK_OK(gort_slice_append_slice(s4, s3_tail)); /* s4 := append(s3[3:6], s3[2:]...) */

    const int64_t w1[] = {0, 0, 2}, w2[] = {0, 0, 2, 3, 5, 7}, w3[] = {0, 0, 2, 3, 5, 7, 0, 0},
                  w4[] = {3, 5, 7, 2, 3, 5, 7, 0, 0};
    i64_equals(s0, zeros, 2);
    i64_equals(s1, w1, 3);
    i64_equals(s2, w2, 6);
    i64_equals(s3, w3, 8);
    i64_equals(s4, w4, 9);
    gort_slice *all[] = {s0, s1, s2, s3, s4, s3_tail};
    for (size_t i = 0; i < HARNESS_COUNT(all); i++)
        gort_slice_free(all[i]);
}

/* Catalogue item 6 (slice_test.go TestAppendOverlap): x = append(x[1:], x...). */
TEST(append_overlapping_source_gives_2341234)
{
    gort_slice *x = bytes_slice("1234", 4);
    gort_slice *t = sub(x, 1, 4); /* cap 3: the append reallocates */
    CHECK_OK(gort_slice_append_slice(t, x));
    bytes_equal(t, "2341234");
    bytes_equal(x, "1234");
    gort_slice_free(t);
    gort_slice_free(x);

    x = bytes_slice("1234", 8); /* cap 7 after [1:]: the append writes in place */
    t = sub(x, 1, 4);
    CHECK_OK(gort_slice_append_slice(t, x));
    bytes_equal(t, "2341234");
    CHECK_EQ_PTR(gort_slice_data(t), (char *)gort_slice_data(x) + 1);
    bytes_equal(x, "1234");
    gort_slice_free(t);
    gort_slice_free(x);
}

TEST(append_slice_to_itself_doubles_it)
{
    gort_slice *x = bytes_slice("abc", 3);
    CHECK_OK(gort_slice_append_slice(x, x)); /* exclusive store, source inside it */
    bytes_equal(x, "abcabc");
    CHECK_OK(gort_slice_append_slice(x, x));
    bytes_equal(x, "abcabcabcabc");
    gort_slice_free(x);
}

/* The spec: append's result is independent of overlap (memmove semantics). */
TEST(append_n_from_overlapping_memory_in_place)
{
    gort_slice *x = bytes_slice("12345678", 8);
    gort_slice *y = sub(x, 0, 2);
    CHECK_OK(gort_slice_append_n(y, (char *)gort_slice_data(x) + 1, 4)); /* [2,6) <- [1,5) */
    bytes_equal(y, "122345");
    bytes_equal(x, "12234578");
    gort_slice_free(y);
    gort_slice_free(x);
}

TEST(append_n_from_own_memory_past_cap)
{
    const int64_t values[] = {1, 2, 3, 4, 5};
    gort_slice *s = i64_slice(values, 5);
    CHECK_OK(gort_slice_append_n(s, gort_slice_data(s), 5));
    const int64_t want[] = {1, 2, 3, 4, 5, 1, 2, 3, 4, 5};
    i64_equals(s, want, 10);
    CHECK_OK(gort_slice_append_n(s, (int64_t *)gort_slice_data(s) + 8, 2));
    const int64_t want2[] = {1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 4, 5};
    i64_equals(s, want2, 12);
    gort_slice_free(s);
}

/* go-runtime.md §1.2: append(s) with no values returns s unchanged; nil stays nil. */
TEST(append_nothing_keeps_nil_nil)
{
    gort_slice *nil = nil_of(i64_type()), *empty = make_of(i64_type(), 0, 0);
    CHECK_OK(gort_slice_append_n(nil, NULL, 0));
    CHECK_EQ_INT(gort_slice_is_nil(nil), 1);
    CHECK_OK(gort_slice_append_slice(nil, empty));
    CHECK_EQ_INT(gort_slice_is_nil(nil), 1);
    CHECK_OK(gort_slice_append_slice(empty, nil));
    CHECK_EQ_INT(gort_slice_is_nil(empty), 0);
    CHECK_EQ_SIZE(gort_slice_len(empty), 0);
    gort_slice_free(nil);
    gort_slice_free(empty);
}

TEST(append_slice_with_other_type_is_etype)
{
    gort_slice *a = make_of(i64_type(), 1, 1);
    gort_slice *b = make_of(gort_type_builtin(GORT_KIND_U64), 1, 1);
    CHECK_STATUS(gort_slice_append_slice(a, b), GORT_ETYPE);
    CHECK_EQ_SIZE(gort_slice_len(a), 1);
    gort_slice_free(a);
    gort_slice_free(b);
}

/* Two descriptors created from the same description are the same type. */
TEST(append_slice_accepts_identical_custom_descriptors)
{
    gort_type_desc desc = {.struct_size = sizeof desc, .size = 4, .align = 4, .name = "a"};
    gort_type *t1 = NULL, *t2 = NULL;
    CHECK_OK(gort_type_create(&desc, &t1));
    desc.name = "b";
    CHECK_OK(gort_type_create(&desc, &t2));
    gort_slice *a = make_of(t1, 1, 1), *b = make_of(t2, 2, 2);
    CHECK_OK(gort_slice_append_slice(a, b));
    CHECK_EQ_SIZE(gort_slice_len(a), 3);
    gort_slice_free(a);
    gort_slice_free(b);
    gort_type_release(t1);
    gort_type_release(t2);
}

/* ---- append: capacities ---------------------------------------------------------------- */

/* Catalogue items 1 and 3: int64 one at a time. Go's own sequence (its size classes) is
 * 1, 2, ..., 512, 848, 1280, 1792, 2560, 3408, 5120; libgort rounds to jemalloc's size
 * classes instead, or not at all with libc. */
TEST(append_int64_capacity_sequence_matches_go_rounded)
{
    static const size_t go[] = {1,   2,   4,   8,    16,   32,   64,   128,
                                256, 512, 848, 1280, 1792, 2560, 3408, 5120};
    static const size_t jemalloc[] = {1,   2,   4,   8,    16,   32,   64,  128,
                                      256, 512, 896, 1536, 2560, 3584, 5120};
    static const size_t libc[] = {1,   2,   4,    8,    16,   32,   64,   128, 256,
                                  512, 832, 1232, 1732, 2357, 3138, 4114, 5334};
    const size_t *want = allocator_is_libc() ? libc : jemalloc;
    size_t n_want = allocator_is_libc() ? HARNESS_COUNT(libc) : HARNESS_COUNT(jemalloc);
    size_t caps[32];
    size_t n = record_caps(i64_type(), want[n_want - 1], caps, 32);
    if (!CHECK_EQ_SIZE(n, n_want) || !CHECK_EQ_MEM(caps, want, n_want * sizeof(size_t)))
        print_caps(caps, n < 32 ? n : 32);
    if (!allocator_is_libc()) /* jemalloc's classes are never smaller than Go's here */
        for (size_t i = 0; i < n_want && i < n; i++)
            CHECK_TRUE(caps[i] >= go[i]);
}

/* []byte one at a time (go-runtime.md §1.2 lists Go's: 8, 16, ..., 512, 896, 1408, ...):
 * 22,000 appends, the table of docs/slices.md. jemalloc's smallest class is 8 bytes, as
 * Go's is; libc does not round. */
TEST(append_byte_capacity_sequence_matches_formula_and_table)
{
    static const size_t jemalloc[] = {8,    16,   32,   64,   128,   256,   512,   896,  1536,
                                      2560, 3584, 5120, 7168, 10240, 14336, 20480, 28672};
    static const size_t libc[] = {1,    2,    4,    8,     16,    32,    64,   128,
                                  256,  512,  832,  1232,  1732,  2357,  3138, 4114,
                                  5334, 6859, 8765, 11148, 14127, 17850, 22504};
    const size_t *want = allocator_is_libc() ? libc : jemalloc;
    size_t n_want = allocator_is_libc() ? HARNESS_COUNT(libc) : HARNESS_COUNT(jemalloc);
    size_t caps[32];
    size_t n = record_caps(u8_type(), 22000, caps, 32);
    if (!CHECK_EQ_SIZE(n, n_want) || !CHECK_EQ_MEM(caps, want, n_want * sizeof(size_t)))
        print_caps(caps, n < 32 ? n : 32);
}

/* The same formula for 2-, 24- and 64-byte elements. */
TEST(append_capacity_sequences_of_other_sizes_match_formula)
{
    size_t caps[64];
    size_t n = record_caps(gort_type_builtin(GORT_KIND_U16), 5000, caps, 64);
    CHECK_TRUE(n >= 10);
    gort_type_desc desc = {.struct_size = sizeof desc, .size = 24, .align = 8};
    gort_type *t24 = NULL, *t64 = NULL;
    CHECK_OK(gort_type_create(&desc, &t24));
    n = record_caps(t24, 3072, caps, 64);
    CHECK_TRUE(n >= 10);
    gort_type_release(t24);

    /* docs/slices.md: 64-byte elements follow the int64 sequence under jemalloc */
    desc.size = 64;
    CHECK_OK(gort_type_create(&desc, &t64));
    size_t caps64[32], caps8[32];
    n = record_caps(t64, 5000, caps64, 32);
    CHECK_EQ_SIZE(record_caps(i64_type(), 5000, caps8, 32), n);
    CHECK_EQ_MEM(caps64, caps8, (n < 32 ? n : 32) * sizeof(size_t));
    gort_type_release(t64);
}

static size_t cap_after_append_n(size_t len, size_t cap, size_t n)
{
    gort_slice *s = make_of(i64_type(), len, cap);
    static int64_t values[4096];
    CHECK_OK(gort_slice_append_n(s, values, n));
    CHECK_EQ_SIZE(gort_slice_len(s), len + n);
    size_t got = gort_slice_cap(s);
    CHECK_EQ_SIZE(got, expected_cap(i64_type(), len + n, cap));
    gort_slice_free(s);
    return got;
}

/* Catalogue item 2, go-runtime.md §1.2 "Appending many at once": a request beyond double
 * the capacity gets exactly newLen before rounding. Go's values: 6, 6, 8, 10, 4096, 1024,
 * 848, 1536. */
TEST(append_many_at_once_gets_exact_then_rounded)
{
    static const struct {
        size_t len, cap, n, libc, jemalloc;
    } cases[] = {
        {0, 0, 5, 5, 6},  /* 40 B -> 48 B */
        {3, 3, 1, 6, 6},  /* doubling */
        {3, 3, 4, 7, 8},  /* nextslicecap 7, 56 B -> 64 B */
        {4, 4, 5, 9, 10}, /* 72 B -> 80 B */
        {1000, 1000, 3000, 4000, 4096},
        {0, 0, 1000, 1000, 1024},
        {512, 512, 1, 832, 896}, /* nextslicecap 832 (Go rounds to 848) */
        {1024, 1024, 1, 1472, 1536},
    };
    for (size_t i = 0; i < HARNESS_COUNT(cases); i++) {
        size_t got = cap_after_append_n(cases[i].len, cases[i].cap, cases[i].n);
        CHECK_EQ_SIZE(got, allocator_is_libc() ? cases[i].libc : cases[i].jemalloc);
        CHECK_EQ_SIZE(go_nextslicecap(cases[i].len + cases[i].n, cases[i].cap), cases[i].libc);
    }
}

/* go-runtime.md §1.2 step 6: the new array beyond newLen is zero, even where the old
 * array held values past the view's len. */
TEST(growth_zeroes_everything_beyond_new_len)
{
    gort_slice *s = i64_range(1, 10); /* exclusive store, values in all of [0, 10) */
    CHECK_OK(gort_slice_reslice(s, 0, 2, 10));
    const int64_t more[9] = {21, 22, 23, 24, 25, 26, 27, 28, 29};
    CHECK_OK(gort_slice_append_n(s, more, 9)); /* 11 > cap 10 */
    gort_slice *view = full_view(s);
    int64_t *data = gort_slice_data(view);
    CHECK_EQ_INT(data[0], 1);
    CHECK_EQ_INT(data[1], 2);
    CHECK_EQ_MEM(data + 2, more, sizeof more);
    CHECK_TRUE(all_zero(data + 11, (gort_slice_cap(s) - 11) * sizeof(int64_t)));
    gort_slice_free(view);
    gort_slice_free(s);

    /* A view with cap 6 of a 10-element exclusive store: growing it to 7 elements
     * (new cap 12) must not reveal the old elements 7..9 of the array it grew from. */
    s = i64_range(1, 10);
    CHECK_OK(gort_slice_reslice(s, 0, 2, 6));
    CHECK_OK(gort_slice_append_n(s, more, 5));
    CHECK_EQ_SIZE(gort_slice_cap(s), expected_cap(i64_type(), 7, 6));
    view = full_view(s);
    data = gort_slice_data(view);
    CHECK_EQ_MEM(data + 2, more, 5 * sizeof(int64_t));
    CHECK_TRUE(all_zero(data + 7, (gort_slice_cap(s) - 7) * sizeof(int64_t)));
    gort_slice_free(view);
    gort_slice_free(s);

    gort_slice *shared = i64_range(1, 10), *t = sub(shared, 0, 2);
    CHECK_OK(gort_slice_append_n(t, more, 9));
    view = full_view(t);
    CHECK_TRUE(all_zero((int64_t *)gort_slice_data(view) + 11,
                        (gort_slice_cap(t) - 11) * sizeof(int64_t)));
    gort_slice_free(view);
    gort_slice_free(t);
    gort_slice_free(shared);
}

/* slices.Clip then append: the classic way to force a copy. With the parent gone the
 * store is exclusive and the view smaller than the array it sits in. */
TEST(append_after_clip_of_exclusive_store_grows_from_view_cap)
{
    gort_slice *s = i64_range(1, 100);
    CHECK_OK(gort_slice_reslice(s, 0, 2, 100));
    CHECK_OK(gort_slice_clip(s));
    append_i64(s, 3);
    const int64_t want[] = {1, 2, 3};
    i64_equals(s, want, 3);
    CHECK_EQ_SIZE(gort_slice_cap(s), expected_cap(i64_type(), 3, 2));
    gort_slice *view = full_view(s);
    CHECK_TRUE(all_zero((int64_t *)gort_slice_data(view) + 3,
                        (gort_slice_cap(s) - 3) * sizeof(int64_t)));
    gort_slice_free(view);
    gort_slice_free(s);

    gort_slice *parent = i64_range(1, 50); /* the same through a cap-0 view at the end */
    gort_slice *tail = sub(parent, 50, 50);
    gort_slice_free(parent);
    append_i64(tail, 7);
    const int64_t seven[] = {7};
    i64_equals(tail, seven, 1);
    CHECK_EQ_SIZE(gort_slice_cap(tail), expected_cap(i64_type(), 1, 0));
    gort_slice_free(tail);
}

/* Catalogue item 12: a growth whose size overflows fails instead of corrupting memory. */
TEST(append_with_overflowing_size_is_eoverflow)
{
    gort_slice *s = i64_range(1, 4);
    void *data = gort_slice_data(s);
    int64_t values[1] = {0};
    CHECK_STATUS(gort_slice_append_n(s, values, SIZE_MAX), GORT_EOVERFLOW);
    CHECK_STATUS(gort_slice_append_n(s, values, SIZE_MAX / 8), GORT_EOVERFLOW);
    CHECK_STATUS(gort_slice_append_n(s, values, (size_t)(GORT_MAX_ALLOC / 8)), GORT_EOVERFLOW);
    CHECK_EQ_SIZE(gort_slice_len(s), 4);
    CHECK_EQ_SIZE(gort_slice_cap(s), 4);
    CHECK_EQ_PTR(gort_slice_data(s), data);
    gort_slice_free(s);
}

/* go-runtime.md §1.2 item 6, and DESIGN §6 in-place growth: many reallocations of an
 * exclusive store keep every value, through jemalloc's size classes, in-place
 * extension and (past 2 MiB) the mremap path of huge blocks. */
TEST(exclusive_growth_keeps_contents_over_many_reallocations)
{
    gort_slice *s = nil_of(i64_type());
    const size_t n = 400000;
    for (size_t i = 0; i < n; i++)
        append_i64(s, (int64_t)(i * 3));
    int64_t chunk[1000];
    for (size_t i = 0; i < 1000; i++)
        chunk[i] = -(int64_t)i;
    for (int round = 0; round < 20; round++)
        CHECK_OK(gort_slice_append_n(s, chunk, 1000));
    const int64_t *data = gort_slice_data(s);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += data[i] != (int64_t)(i * 3);
    for (size_t i = 0; i < 20000; i++)
        bad += data[n + i] != -(int64_t)(i % 1000);
    CHECK_EQ_SIZE(bad, 0);
    CHECK_EQ_SIZE(gort_slice_len(s), n + 20000);
    CHECK_TRUE(gort_slice_backing_bytes(s) >= (n + 20000) * sizeof(int64_t));
    gort_slice_free(s);
}

/* Growth of a shared store never changes what another handle sees. */
TEST(growth_of_shared_store_leaves_other_handle_alone)
{
    gort_slice *s = i64_range(0, 100);
    void *data = gort_slice_data(s);
    gort_slice *t = sub(s, 0, 100);
    for (int64_t v = 0; v < 5000; v++)
        append_i64(t, -v);
    CHECK_OK(gort_slice_grow(t, 100000));
    CHECK_EQ_PTR(gort_slice_data(s), data);
    CHECK_EQ_SIZE(gort_slice_len(s), 100);
    CHECK_EQ_SIZE(gort_slice_cap(s), 100);
    for (size_t i = 0; i < 100; i++)
        if (!CHECK_EQ_INT(i64_at(s, i), (int64_t)i))
            break;
    CHECK_EQ_INT(i64_at(t, 99), 99);
    CHECK_EQ_INT(i64_at(t, 5099), -4999);
    gort_slice_free(s);
    gort_slice_free(t);
}

/* ---- slicing ------------------------------------------------------------------------ */

/* Catalogue item 9: s[lo:hi] shares memory, len hi-lo, cap cap(s)-lo. */
TEST(sub_shares_memory_with_cap_minus_lo)
{
    gort_slice *s = i64_range(0, 10);
    gort_slice *t = sub(s, 2, 5);
    CHECK_EQ_SIZE(gort_slice_len(t), 3);
    CHECK_EQ_SIZE(gort_slice_cap(t), 8);
    CHECK_EQ_PTR(gort_slice_data(t), (int64_t *)gort_slice_data(s) + 2);
    CHECK_EQ_INT(i64_at(t, 0), 2);
    int64_t v = -2;
    CHECK_OK(gort_slice_set(t, 0, &v));
    CHECK_EQ_INT(i64_at(s, 2), -2);
    gort_slice *u = sub(t, 1, 8); /* reslicing up to cap(t), beyond len(t) */
    CHECK_EQ_SIZE(gort_slice_len(u), 7);
    CHECK_EQ_INT(i64_at(u, 6), 9);
    gort_slice_free(u);
    gort_slice_free(t);
    gort_slice_free(s);
}

/* Catalogue item 9: s[lo:hi:max] has cap max-lo, so an append past max detaches. */
TEST(sub3_limits_cap_to_max_minus_lo)
{
    gort_slice *s = i64_range(0, 10);
    gort_slice *t = sub3(s, 2, 5, 7);
    CHECK_EQ_SIZE(gort_slice_len(t), 3);
    CHECK_EQ_SIZE(gort_slice_cap(t), 5);
    append_i64(t, 50); /* s[5] */
    append_i64(t, 60); /* s[6] */
    CHECK_EQ_INT(i64_at(s, 5), 50);
    CHECK_EQ_INT(i64_at(s, 6), 60);
    append_i64(t, 70); /* len 6 > cap 5: new array; s[7] untouched */
    CHECK_EQ_INT(i64_at(s, 7), 7);
    CHECK_TRUE(gort_slice_data(t) != (int64_t *)gort_slice_data(s) + 2);
    gort_slice_free(t);
    gort_slice_free(s);
}

/* Catalogue item 9: any violation of 0 <= lo <= hi <= max <= cap is an error. */
TEST(slicing_bounds_violations_are_erange)
{
    gort_slice *s = make_of(i64_type(), 4, 8);
    uint64_t blocks = live_blocks(NULL);
    gort_slice *sentinel = (gort_slice *)&sentinel, *out = sentinel;
    const size_t M = (size_t)-1;
    const size_t bad3[][3] = {{3, 2, 8}, {0, 5, 4}, {0, 0, 9}, {0, 9, 9},
                              {M, 0, 8}, {0, M, 8}, {0, 0, M}, {9, 9, 9}};
    for (size_t i = 0; i < HARNESS_COUNT(bad3); i++)
        CHECK_STATUS(gort_slice_sub3(s, bad3[i][0], bad3[i][1], bad3[i][2], &out), GORT_ERANGE);
    CHECK_STATUS(gort_slice_sub(s, 3, 2, &out), GORT_ERANGE);
    CHECK_STATUS(gort_slice_sub(s, 0, 9, &out), GORT_ERANGE); /* hi > cap */
    CHECK_STATUS(gort_slice_sub(s, 9, 9, &out), GORT_ERANGE);
    CHECK_STATUS(gort_slice_reslice(s, 0, 9, 9), GORT_ERANGE);
    CHECK_STATUS(gort_slice_reslice(s, 2, 1, 8), GORT_ERANGE);
    CHECK_EQ_PTR(out, sentinel);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
    CHECK_EQ_SIZE(gort_slice_len(s), 4);
    CHECK_EQ_SIZE(gort_slice_cap(s), 8);
    gort_slice *edge = sub(s, 8, 8); /* lo == hi == cap is allowed */
    CHECK_EQ_SIZE(gort_slice_len(edge) + gort_slice_cap(edge), 0);
    gort_slice_free(edge);
    gort_slice_free(s);
}

/* Catalogue item 10 (test/slicecap.go, slice3.go): a cap-0 result keeps the base. */
TEST(cap_zero_result_keeps_base_pointer)
{
    gort_slice *s = i64_range(0, 5);
    int64_t *base = gort_slice_data(s);
    gort_slice *end = sub(s, 5, 5), *mid = sub3(s, 2, 2, 2), *one = sub3(s, 2, 2, 3);
    CHECK_EQ_PTR(gort_slice_data(end), base);
    CHECK_EQ_PTR(gort_slice_data(mid), base);
    CHECK_EQ_PTR(gort_slice_data(one), base + 2); /* cap != 0: base advances */
    CHECK_EQ_INT(gort_slice_is_nil(end), 0);
    CHECK_EQ_SIZE(gort_slice_cap(end), 0);
    gort_slice *view = sub(s, 1, 3);
    CHECK_OK(gort_slice_reslice(view, 4, 4, 4));
    CHECK_EQ_PTR(gort_slice_data(view), base + 1);
    gort_slice_free(view);
    gort_slice_free(end);
    gort_slice_free(mid);
    gort_slice_free(one);
    gort_slice_free(s);
}

/* go-runtime.md §1.1: a nil slice sliced [0:0] stays nil. */
TEST(nil_sliced_zero_zero_stays_nil)
{
    gort_slice *nil = nil_of(i64_type()), *out = NULL;
    gort_slice *t = sub(nil, 0, 0), *u = sub3(nil, 0, 0, 0);
    CHECK_EQ_INT(gort_slice_is_nil(t), 1);
    CHECK_EQ_INT(gort_slice_is_nil(u), 1);
    CHECK_STATUS(gort_slice_sub(nil, 0, 1, &out), GORT_ERANGE);
    gort_slice *empty = make_of(i64_type(), 0, 0), *e = sub(empty, 0, 0);
    CHECK_EQ_INT(gort_slice_is_nil(e), 0); /* and empty stays empty */
    gort_slice *all[] = {nil, t, u, empty, e};
    for (size_t i = 0; i < HARNESS_COUNT(all); i++)
        gort_slice_free(all[i]);
}

TEST(reslice_changes_the_handle_in_place)
{
    gort_slice *s = i64_range(0, 10);
    int64_t *base = gort_slice_data(s);
    CHECK_OK(gort_slice_reslice(s, 2, 4, 6));
    CHECK_EQ_SIZE(gort_slice_len(s), 2);
    CHECK_EQ_SIZE(gort_slice_cap(s), 4);
    CHECK_EQ_PTR(gort_slice_data(s), base + 2);
    CHECK_EQ_INT(i64_at(s, 1), 3);
    CHECK_STATUS(gort_slice_reslice(s, 0, 5, 5), GORT_ERANGE); /* beyond the new cap */
    CHECK_EQ_SIZE(gort_slice_len(s), 2);
    CHECK_EQ_PTR(gort_slice_data(s), base + 2);
    gort_slice_free(s);
}

/* slices.Clip(s) = s[:len:len] (go-runtime.md §1.3): a later append cannot overwrite the
 * parent's elements. */
TEST(clip_then_append_does_not_overwrite_parent)
{
    gort_slice *s = i64_range(0, 10);
    gort_slice *t = sub(s, 0, 2);
    void *data = gort_slice_data(t);
    CHECK_OK(gort_slice_clip(t));
    CHECK_EQ_SIZE(gort_slice_len(t), 2);
    CHECK_EQ_SIZE(gort_slice_cap(t), 2);
    CHECK_EQ_PTR(gort_slice_data(t), data);
    append_i64(t, 99);
    CHECK_EQ_INT(i64_at(s, 2), 2);
    CHECK_EQ_INT(i64_at(t, 2), 99);
    gort_slice_free(t);
    gort_slice_free(s);
}

/* ---- copy ------------------------------------------------------------------------------ */

/* Catalogue item 8: copy returns min(len(dst), len(src)). */
TEST(copy_returns_min_len)
{
    gort_slice *three = make_of(i64_type(), 3, 10), *five = i64_range(1, 5);
    size_t n = 99;
    CHECK_OK(gort_slice_copy(three, five, &n));
    CHECK_EQ_SIZE(n, 3);
    const int64_t want3[] = {1, 2, 3};
    i64_equals(three, want3, 3);
    gort_slice *view = full_view(three);
    CHECK_EQ_INT(i64_at(view, 3), 0); /* nothing written past len(dst) */
    gort_slice_free(view);

    gort_slice *two = i64_range(7, 2);
    CHECK_OK(gort_slice_copy(five, two, &n));
    CHECK_EQ_SIZE(n, 2);
    const int64_t want5[] = {7, 8, 3, 4, 5};
    i64_equals(five, want5, 5);

    gort_slice *nil = nil_of(i64_type());
    CHECK_OK(gort_slice_copy(nil, five, &n));
    CHECK_EQ_SIZE(n, 0);
    CHECK_OK(gort_slice_copy(five, nil, NULL)); /* n_out may be NULL */
    i64_equals(five, want5, 5);
    gort_slice *all[] = {three, five, two, nil};
    for (size_t i = 0; i < HARNESS_COUNT(all); i++)
        gort_slice_free(all[i]);
}

/* Catalogue item 8: memmove semantics in both directions. */
TEST(copy_handles_overlap_both_directions)
{
    gort_slice *s = bytes_slice("0123456789", 10);
    gort_slice *tail = sub(s, 2, 10);
    size_t n = 0;
    CHECK_OK(gort_slice_copy(tail, s, &n)); /* forward: dst after src */
    CHECK_EQ_SIZE(n, 8);
    bytes_equal(s, "0101234567");
    gort_slice_free(tail);
    gort_slice_free(s);

    s = bytes_slice("0123456789", 10);
    tail = sub(s, 2, 10);
    CHECK_OK(gort_slice_copy(s, tail, &n)); /* backward: dst before src */
    CHECK_EQ_SIZE(n, 8);
    bytes_equal(s, "2345678989");
    gort_slice_free(tail);
    gort_slice_free(s);
}

TEST(copy_with_other_type_is_etype)
{
    gort_slice *a = i64_range(1, 2);
    gort_slice *b = make_of(gort_type_builtin(GORT_KIND_U64), 2, 2);
    size_t n = 77;
    CHECK_STATUS(gort_slice_copy(b, a, &n), GORT_ETYPE);
    CHECK_EQ_SIZE(n, 77);
    CHECK_TRUE(all_zero(gort_slice_data(b), 16));
    gort_slice_free(a);
    gort_slice_free(b);
}

/* ---- clone, grow, clip, clear ------------------------------------------------------------ */

/* Catalogue item 13 (slices_test.go TestClone). */
TEST(clone_of_nil_is_nil_and_of_empty_is_empty_non_nil)
{
    gort_slice *nil = nil_of(i64_type()), *c = NULL;
    CHECK_OK(gort_slice_clone(nil, &c));
    CHECK_EQ_INT(gort_slice_is_nil(c), 1);
    gort_slice_free(c);

    gort_slice *empty = make_of(i64_type(), 0, 10);
    CHECK_OK(gort_slice_clone(empty, &c));
    CHECK_EQ_INT(gort_slice_is_nil(c), 0);
    CHECK_EQ_SIZE(gort_slice_len(c), 0);
    CHECK_TRUE(gort_slice_data(c) != NULL);
    gort_slice_free(c);
    gort_slice_free(empty);
    gort_slice_free(nil);
}

TEST(clone_copies_contents_into_independent_memory)
{
    gort_slice *s = i64_range(10, 20), *view = sub(s, 5, 15), *c = NULL;
    CHECK_OK(gort_slice_clone(view, &c));
    CHECK_EQ_MEM(gort_slice_data(c), gort_slice_data(view), 10 * sizeof(int64_t));
    CHECK_TRUE(gort_slice_data(c) != gort_slice_data(view));
    CHECK_EQ_SIZE(gort_slice_cap(c), expected_cap(i64_type(), 10, 0)); /* built by append */
    int64_t v = -1;
    CHECK_OK(gort_slice_set(c, 0, &v));
    CHECK_EQ_INT(i64_at(view, 0), 15);
    CHECK_OK(gort_slice_set(view, 1, &v));
    CHECK_EQ_INT(i64_at(c, 1), 16);
    gort_slice_free(s);
    gort_slice_free(view);
    CHECK_EQ_INT(i64_at(c, 9), 24); /* the clone outlives its source */
    gort_slice_free(c);
}

/* Catalogue item 13 (TestGrow): grow allocates once when short; then n appends fit. */
TEST(grow_allocates_once_then_appends_fit)
{
    gort_slice *s = i64_range(0, 5);
    alloc_count_begin();
    CHECK_OK(gort_slice_grow(s, 100));
    CHECK_TRUE(alloc_count_end() <= 1); /* exclusive: one reallocation, or an extension */
    CHECK_EQ_SIZE(gort_slice_len(s), 5);
    CHECK_EQ_SIZE(gort_slice_cap(s), expected_cap(i64_type(), 105, 5));
    void *data = gort_slice_data(s);
    alloc_count_begin();
    for (int64_t v = 5; v < 105; v++)
        append_i64(s, v);
    CHECK_EQ_INT(alloc_count_end(), 0);
    CHECK_EQ_PTR(gort_slice_data(s), data);
    CHECK_EQ_INT(i64_at(s, 104), 104);
    CHECK_EQ_INT(i64_at(s, 4), 4);
    gort_slice_free(s);

    s = nil_of(i64_type()); /* from nil: one array (and its store header) */
    alloc_count_begin();
    CHECK_OK(gort_slice_grow(s, 10));
    CHECK_TRUE(alloc_count_end() <= 2);
    CHECK_EQ_SIZE(gort_slice_cap(s), expected_cap(i64_type(), 10, 0));
    CHECK_EQ_SIZE(gort_slice_len(s), 0);
    CHECK_EQ_INT(gort_slice_is_nil(s), 0);
    gort_slice_free(s);
}

TEST(grow_with_enough_room_does_nothing)
{
    gort_slice *s = make_of(i64_type(), 2, 10);
    void *data = gort_slice_data(s);
    alloc_count_begin();
    CHECK_OK(gort_slice_grow(s, 8));
    CHECK_OK(gort_slice_grow(s, 0));
    CHECK_EQ_INT(alloc_count_end(), 0);
    CHECK_EQ_SIZE(gort_slice_cap(s), 10);
    CHECK_EQ_PTR(gort_slice_data(s), data);
    gort_slice_free(s);

    gort_slice *nil = nil_of(i64_type());
    CHECK_OK(gort_slice_grow(nil, 0));
    CHECK_EQ_INT(gort_slice_is_nil(nil), 1);
    gort_slice_free(nil);
}

/* Go's growth formula applies to grow: newLen = len + n against oldCap = cap. */
TEST(grow_capacity_follows_nextslicecap)
{
    gort_slice *s = make_of(i64_type(), 300, 400);
    CHECK_OK(gort_slice_grow(s, 101)); /* needs 401: nextslicecap(401, 400) = 692 */
    CHECK_EQ_SIZE(gort_slice_cap(s), expected_cap(i64_type(), 401, 400));
    CHECK_TRUE(gort_slice_cap(s) >= 692);
    gort_slice_free(s);
}

/* Elements in [len, cap) of the view at `view_offset` in a 10-element store must survive
 * growth; `keep_parent` makes the store shared (copy path) rather than exclusive. */
static void check_grow_preserves_tail(size_t view_offset, bool keep_parent)
{
    gort_slice *parent = i64_range(100, 10);
    gort_slice *s = sub(parent, view_offset, view_offset + 2);
    if (!keep_parent)
        gort_slice_free(parent);
    size_t cap = gort_slice_cap(s);
    CHECK_OK(gort_slice_grow(s, 50));
    CHECK_EQ_SIZE(gort_slice_len(s), 2);
    CHECK_TRUE(gort_slice_cap(s) >= 52);
    gort_slice *view = full_view(s);
    for (size_t i = 0; i < cap; i++)
        if (!CHECK_EQ_INT(i64_at(view, i), 100 + (int64_t)(view_offset + i)))
            break;
    CHECK_TRUE(all_zero((int64_t *)gort_slice_data(view) + cap,
                        (gort_slice_cap(s) - cap) * sizeof(int64_t)));
    gort_slice_free(view);
    gort_slice_free(s);
    if (keep_parent) {
        CHECK_EQ_INT(i64_at(parent, 9), 109);
        gort_slice_free(parent);
    }
}

/* slices_test.go TestGrow: "should not mutate elements between length and capacity". */
TEST(grow_preserves_elements_between_len_and_cap)
{
    check_grow_preserves_tail(0, false); /* exclusive, view at the base */
    check_grow_preserves_tail(3, false); /* exclusive, view inside the array */
    check_grow_preserves_tail(0, true);  /* shared */
    check_grow_preserves_tail(3, true);
}

TEST(grow_huge_is_eoverflow)
{
    gort_slice *s = i64_range(0, 3);
    void *data = gort_slice_data(s);
    CHECK_STATUS(gort_slice_grow(s, SIZE_MAX), GORT_EOVERFLOW);
    CHECK_STATUS(gort_slice_grow(s, SIZE_MAX - 2), GORT_EOVERFLOW);
    CHECK_STATUS(gort_slice_grow(s, (size_t)(GORT_MAX_ALLOC / 8)), GORT_EOVERFLOW);
    CHECK_EQ_SIZE(gort_slice_cap(s), 3);
    CHECK_EQ_PTR(gort_slice_data(s), data);
    gort_slice_free(s);
}

/* clear(s) zeroes [0, len) and leaves [len, cap) alone (go-runtime.md §1.3). */
TEST(clear_zeroes_len_only)
{
    gort_slice *s = i64_range(1, 4);
    CHECK_OK(gort_slice_reslice(s, 0, 2, 4));
    CHECK_OK(gort_slice_clear(s));
    gort_slice *view = full_view(s);
    const int64_t want[] = {0, 0, 3, 4};
    i64_equals(view, want, 4);
    CHECK_EQ_SIZE(gort_slice_len(s), 2);
    CHECK_EQ_SIZE(gort_slice_cap(s), 4);
    gort_slice_free(view);
    gort_slice_free(s);

    gort_slice *nil = nil_of(i64_type());
    CHECK_OK(gort_slice_clear(nil));
    CHECK_EQ_INT(gort_slice_is_nil(nil), 1);
    gort_slice_free(nil);
}

/* ---- zero-size elements (catalogue item 4) --------------------------------------------- */

static gort_type *zero_size_type(void)
{
    gort_type_desc desc = {
        .struct_size = sizeof desc, .size = 0, .align = 1, .name = "struct{}"};
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    return type;
}

/* growslice's zero-size branch: cap == newLen exactly, a non-NULL pointer, no allocation. */
TEST(zero_size_elements_never_allocate)
{
    gort_type *type = zero_size_type();
    uint64_t blocks = live_blocks(NULL);
    gort_slice *s = make_of(type, 3, 3);
    CHECK_EQ_U64(live_blocks(NULL), blocks + 1); /* the handle only */
    CHECK_TRUE(gort_slice_data(s) != NULL);
    char unit = 0;
    alloc_count_begin();
    for (size_t len = 4; len <= 100; len++) {
        CHECK_OK(gort_slice_append(s, &unit));
        if (!CHECK_EQ_SIZE(gort_slice_cap(s), len))
            break;
    }
    CHECK_OK(gort_slice_append_n(s, NULL, 1000));
    CHECK_EQ_SIZE(gort_slice_len(s), 1100);
    CHECK_EQ_SIZE(gort_slice_cap(s), 1100);
    CHECK_OK(gort_slice_grow(s, 50));
    CHECK_EQ_SIZE(gort_slice_cap(s), 1150);
    CHECK_EQ_INT(alloc_count_end(), 0);
    CHECK_OK(gort_slice_get(s, 1099, &unit));
    CHECK_STATUS(gort_slice_get(s, 1100, &unit), GORT_ERANGE);
    CHECK_EQ_SIZE(gort_slice_backing_bytes(s), 0);
    CHECK_OK(gort_slice_append(s, NULL)); /* no bytes to read: value may be NULL */
    CHECK_EQ_SIZE(gort_slice_len(s), 1101);
    gort_slice_free(s);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
    gort_type_release(type);
}

/* Lengths never exceed GORT_MAX_ALLOC, even where no byte is stored (slice.h). */
TEST(zero_size_lengths_are_bounded_by_max_alloc)
{
    gort_type *type = zero_size_type();
    gort_slice *s = NULL;
    const size_t max = (size_t)GORT_MAX_ALLOC;
    CHECK_STATUS(gort_slice_make(type, 0, max + 1, NULL, &s), GORT_EOVERFLOW);
    CHECK_OK(gort_slice_make(type, max, max, NULL, &s));
    CHECK_EQ_SIZE(gort_slice_len(s), max);
    char unit = 0;
    CHECK_STATUS(gort_slice_append(s, &unit), GORT_EOVERFLOW);
    CHECK_STATUS(gort_slice_append_n(s, NULL, SIZE_MAX), GORT_EOVERFLOW);
    CHECK_STATUS(gort_slice_grow(s, 1), GORT_EOVERFLOW);
    CHECK_EQ_SIZE(gort_slice_len(s), max);
    CHECK_EQ_SIZE(gort_slice_cap(s), max);
    gort_slice_free(s);
    gort_type_release(type);
}

TEST(zero_size_nil_append_gives_non_null_data)
{
    gort_type *type = zero_size_type();
    gort_slice *s = nil_of(type), *c = NULL;
    char unit = 0;
    CHECK_OK(gort_slice_append(s, &unit));
    CHECK_TRUE(gort_slice_data(s) != NULL); /* "append should not create a slice with nil
                                               pointer but non-zero len" */
    CHECK_EQ_SIZE(gort_slice_cap(s), 1);
    CHECK_OK(gort_slice_clone(s, &c));
    CHECK_EQ_SIZE(gort_slice_len(c), 1);
    CHECK_TRUE(gort_slice_data(c) != NULL);
    gort_slice *t = sub(s, 0, 1);
    CHECK_EQ_SIZE(gort_slice_len(t), 1);
    size_t n = 0;
    CHECK_OK(gort_slice_copy(t, c, &n));
    CHECK_EQ_SIZE(n, 1);
    gort_slice_free(t);
    gort_slice_free(c);
    gort_slice_free(s);
    gort_type_release(type);
}

/* ---- backing store ------------------------------------------------------------------- */

/* DESIGN §6: a small view pins the whole array; a clone severs the tie. */
TEST(backing_bytes_of_small_view_is_the_whole_array)
{
    const size_t big = 1 << 20;
    gort_slice *s = make_of(i64_type(), big, big), *view = sub(s, 500000, 500010), *c = NULL;
    size_t whole = gort_slice_backing_bytes(s);
    CHECK_TRUE(whole >= big * sizeof(int64_t));
    CHECK_EQ_SIZE(gort_slice_backing_bytes(view), whole);
    CHECK_OK(gort_slice_clone(view, &c));
    CHECK_TRUE(gort_slice_backing_bytes(c) >= 10 * sizeof(int64_t));
    CHECK_TRUE(gort_slice_backing_bytes(c) <= 16 * sizeof(int64_t));
    gort_slice_free(s);
    CHECK_EQ_SIZE(gort_slice_backing_bytes(view), whole); /* still pinned */
    gort_slice_free(view);
    gort_slice_free(c);
}

/* ---- retain/release hooks ------------------------------------------------------------ */

TEST(append_retains_and_free_releases)
{
    gort_type *type = tracked_type();
    gort_slice *s = nil_of(type);
    tracked a = track(1, 10, 2), b = track(1, 11, -1);
    CHECK_OK(gort_slice_append(s, &a));
    CHECK_OK(gort_slice_append(s, &b));
    CHECK_EQ_INT(refs(1), 2);
    CHECK_EQ_INT(refs(2), 1);
    tracked got;
    CHECK_OK(gort_slice_get(s, 0, &got)); /* get borrows: no retain */
    CHECK_EQ_PTR(got.second, obj(2));
    CHECK_EQ_INT(tracked_state.retains, 3);
    gort_slice_free(s);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

TEST(set_retains_new_value_and_releases_old)
{
    gort_type *type = tracked_type();
    gort_slice *s = make_of(type, 2, 2);
    tracked a = track(1, 0, 2), b = track(3, 0, -1);
    CHECK_OK(gort_slice_set(s, 0, &a));
    CHECK_EQ_INT(refs(1) + refs(2), 2);
    CHECK_OK(gort_slice_set(s, 0, &b));
    CHECK_EQ_INT(refs(1) + refs(2), 0);
    CHECK_EQ_INT(refs(3), 1);
    CHECK_OK(gort_slice_set(s, 0, gort_slice_data(s))); /* s[0] = s[0] keeps it alive */
    CHECK_EQ_INT(refs(3), 1);
    gort_slice_free(s);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

TEST(copy_retains_copied_values_and_releases_overwritten)
{
    gort_type *type = tracked_type();
    gort_slice *dst = make_of(type, 3, 3), *src = make_of(type, 0, 2);
    tracked old = track(5, 0, 5), x = track(1, 0, -1), y = track(2, 0, -1);
    CHECK_OK(gort_slice_set(dst, 0, &old));
    CHECK_OK(gort_slice_append(src, &x));
    CHECK_OK(gort_slice_append(src, &y));
    size_t n = 0;
    CHECK_OK(gort_slice_copy(dst, src, &n));
    CHECK_EQ_SIZE(n, 2);
    CHECK_EQ_INT(refs(5), 0);
    CHECK_EQ_INT(refs(1), 2);
    CHECK_EQ_INT(refs(2), 2);
    gort_slice *tail = sub(dst, 1, 3); /* overlapping copy inside one store */
    CHECK_OK(gort_slice_copy(tail, dst, &n));
    CHECK_EQ_INT(refs(1), 3); /* dst = {x, x, y}, src = {x, y} */
    CHECK_EQ_INT(refs(2), 2);
    gort_slice_free(tail);
    gort_slice_free(dst);
    gort_slice_free(src);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

TEST(clone_retains_every_element)
{
    gort_type *type = tracked_type();
    gort_slice *s = nil_of(type), *c = NULL;
    for (int i = 0; i < 10; i++) {
        tracked v = track(i, 0, 20 + i);
        CHECK_OK(gort_slice_append(s, &v));
    }
    CHECK_OK(gort_slice_clone(s, &c));
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(refs(i) + refs(20 + i), 4);
    gort_slice_free(s);
    CHECK_EQ_INT(refs(9), 1);
    gort_slice_free(c);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

TEST(clear_releases_and_zeroes)
{
    gort_type *type = tracked_type();
    gort_slice *s = make_of(type, 0, 4);
    for (int i = 0; i < 4; i++) {
        tracked v = track(i, 7, -1);
        CHECK_OK(gort_slice_append(s, &v));
    }
    CHECK_OK(gort_slice_reslice(s, 0, 3, 4));
    CHECK_OK(gort_slice_clear(s));
    CHECK_EQ_INT(refs(0) + refs(1) + refs(2), 0);
    CHECK_EQ_INT(refs(3), 1); /* beyond len: untouched */
    CHECK_TRUE(all_zero(gort_slice_data(s), 3 * sizeof(tracked)));
    gort_slice_free(s);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

/* DESIGN §4: moves inside the library (growth of an exclusive store) call no hooks. */
TEST(exclusive_growth_moves_values_without_retains)
{
    gort_type *type = tracked_type();
    gort_slice *s = nil_of(type);
    for (int i = 0; i < 40; i++) {
        tracked v = track(i, 0, -1);
        long retains = tracked_state.retains, releases = tracked_state.releases;
        CHECK_OK(gort_slice_append(s, &v)); /* grows at 1, 2, 3, 5, 9, ... */
        CHECK_EQ_INT(tracked_state.retains - retains, 1);
        CHECK_EQ_INT(tracked_state.releases - releases, 0);
    }
    for (int i = 0; i < 40; i++)
        CHECK_EQ_INT(refs(i), 1);
    gort_slice_free(s);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

/* Growth of a shared store copies: the new array takes its own references. */
TEST(shared_growth_retains_copied_values)
{
    gort_type *type = tracked_type();
    gort_slice *s = make_of(type, 0, 4);
    for (int i = 0; i < 4; i++) {
        tracked v = track(i, 0, -1);
        CHECK_OK(gort_slice_append(s, &v));
    }
    gort_slice *t = sub(s, 0, 4);
    tracked extra = track(10, 0, -1);
    long retains = tracked_state.retains;
    CHECK_OK(gort_slice_append(t, &extra));
    CHECK_EQ_INT(tracked_state.retains - retains, 5);
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(refs(i), 2);
    CHECK_OK(gort_slice_grow(s, 100)); /* s is exclusive again: a move */
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(refs(i), 2);
    gort_slice_free(s);
    gort_slice_free(t);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

/* When the last handle on a store is a view that starts inside it, growth moves the
 * view's values and releases every value the view cannot reach, before and after it. */
TEST(exclusive_growth_of_inner_view_releases_unreachable_values)
{
    gort_type *type = tracked_type();
    gort_slice *parent = make_of(type, 0, 8);
    for (int i = 0; i < 8; i++) {
        tracked v = track(i, 0, -1);
        CHECK_OK(gort_slice_append(parent, &v));
    }
    gort_slice *view = sub3(parent, 2, 4, 5); /* elements 2, 3 (and 4 within cap) */
    gort_slice_free(parent);
    for (int i = 0; i < 8; i++)
        CHECK_EQ_INT(refs(i), 1); /* the store still owns all eight */
    tracked v = track(20, 0, -1);
    long retains = tracked_state.retains;
    CHECK_OK(gort_slice_append(view, &v)); /* in place: overwrites element 4 */
    CHECK_OK(gort_slice_append(view, &v)); /* len 4 > cap 3: exclusive move */
    CHECK_EQ_INT(tracked_state.retains - retains, 2);
    CHECK_EQ_INT(refs(2) + refs(3), 2);
    CHECK_EQ_INT(refs(0) + refs(1) + refs(4) + refs(5) + refs(6) + refs(7), 0);
    CHECK_EQ_INT(refs(20), 2);
    gort_slice_free(view);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

/* Go keeps [len, cap) reachable: values there stay referenced until overwritten or until
 * the whole array goes. */
TEST(values_beyond_len_stay_owned_until_overwritten)
{
    gort_type *type = tracked_type();
    gort_slice *s = make_of(type, 0, 4);
    for (int i = 0; i < 3; i++) {
        tracked v = track(i, 0, -1);
        CHECK_OK(gort_slice_append(s, &v));
    }
    CHECK_OK(gort_slice_reslice(s, 0, 1, 4));
    CHECK_EQ_INT(refs(1) + refs(2), 2);
    tracked v = track(7, 0, -1);
    CHECK_OK(gort_slice_append(s, &v)); /* overwrites old element 1 */
    CHECK_EQ_INT(refs(1), 0);
    CHECK_EQ_INT(refs(2), 1);
    CHECK_EQ_INT(refs(7), 1);
    const tracked many[4] = {track(8, 0, -1), track(9, 0, -1), track(10, 0, -1),
                             track(11, 0, -1)};
    CHECK_OK(gort_slice_append_n(s, many, 4)); /* exclusive growth drops element 2 */
    CHECK_EQ_INT(refs(2), 0);
    gort_slice_free(s);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

TEST(views_share_references_until_the_last_handle_goes)
{
    gort_type *type = tracked_type();
    gort_slice *s = make_of(type, 0, 8);
    tracked v = track(4, 0, -1);
    CHECK_OK(gort_slice_append(s, &v));
    gort_slice *a = sub(s, 0, 1), *b = sub3(s, 0, 0, 0);
    CHECK_EQ_INT(refs(4), 1); /* slicing copies no value */
    gort_slice_free(s);
    gort_slice_free(a);
    CHECK_EQ_INT(refs(4), 1); /* b (cap 0) still holds the store */
    gort_slice_free(b);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

/* The overlap cases of catalogue item 6 with a type whose values own references: the
 * results follow memmove semantics and every reference is accounted for. */
TEST(overlapping_appends_with_hooks_stay_balanced)
{
    gort_type *type = tracked_type();
    gort_slice *s = make_of(type, 0, 16);
    for (int i = 0; i < 6; i++) {
        tracked v = track(i, (uint64_t)i, -1);
        CHECK_OK(gort_slice_append(s, &v));
    }
    gort_slice *y = sub(s, 0, 2);
    /* y = append(y, s[1:5]...) in place: the store becomes 0 1 1 2 3 4 */
    CHECK_OK(gort_slice_append_n(y, (tracked *)gort_slice_data(s) + 1, 4));
    CHECK_OK(gort_slice_append_slice(s, s)); /* s = 0 1 1 2 3 4 0 1 1 2 3 4, in place */
    gort_slice *t = sub(s, 1, 4);            /* t = 1 1 2, cap 15 */
    CHECK_OK(gort_slice_append_slice(t, s)); /* in place: store[4:16] = store[0:12] */
    CHECK_OK(gort_slice_append_slice(t, s)); /* 27 > 15: grows, store still shared */
    static const uint64_t want[27] = {1, 1, 2, 0, 1, 1, 2, 3, 4, 0, 1, 1, 2, 3,
                                      4, 0, 1, 1, 2, 0, 1, 1, 2, 3, 4, 0, 1};
    CHECK_EQ_SIZE(gort_slice_len(t), 27);
    for (size_t i = 0; i < 27 && i < gort_slice_len(t); i++) {
        tracked got;
        CHECK_OK(gort_slice_get(t, i, &got));
        if (!CHECK_EQ_U64(got.tag, want[i]) || !CHECK_EQ_PTR(got.first, obj((int)want[i])))
            break;
    }
    gort_slice_free(t);
    gort_slice_free(y);
    gort_slice_free(s);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

/* slice.h: handles sharing a store may be freed from different threads; the store's
 * count is atomic, so exactly one of them frees the strings. */
struct free_job {
    gort_slice *views[8];
};

static void *free_views(void *arg)
{
    struct free_job *job = arg;
    for (int i = 0; i < 8; i++)
        gort_slice_free(job->views[i]);
    return NULL;
}

TEST(views_of_one_store_may_be_freed_from_many_threads)
{
    uint64_t blocks = live_blocks(NULL);
    for (int round = 0; round < 20; round++) {
        gort_slice *s = nil_of(gort_type_builtin(GORT_KIND_STR));
        for (int i = 0; i < 100; i++) {
            gort_str v = {"shared bytes", 12};
            CHECK_OK(gort_slice_append(s, &v));
        }
        struct free_job jobs[4];
        for (int t = 0; t < 4; t++)
            for (int i = 0; i < 8; i++)
                jobs[t].views[i] = sub(s, (size_t)i, (size_t)(i + 10 * t));
        gort_slice_free(s);
        pthread_t threads[4];
        for (int t = 0; t < 4; t++)
            CHECK_EQ_INT(pthread_create(&threads[t], NULL, free_views, &jobs[t]), 0);
        for (int t = 0; t < 4; t++)
            pthread_join(threads[t], NULL);
    }
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* ---- strings --------------------------------------------------------------------------- */

static gort_str str_at(const gort_slice *s, size_t i)
{
    gort_str v = {NULL, 0};
    CHECK_OK(gort_slice_get(s, i, &v));
    return v;
}

static bool str_is(gort_str v, const char *want)
{
    return v.len == strlen(want) && (v.len == 0 || memcmp(v.ptr, want, v.len) == 0);
}

/* Like Go's immutable strings, a slice owns a private copy of the bytes. */
TEST(str_slices_own_their_bytes)
{
    gort_slice *s = nil_of(str_type());
    char buffer[] = "hello";
    gort_str v = {buffer, 5};
    CHECK_OK(gort_slice_append(s, &v));
    CHECK_OK(gort_slice_append_n(s, &v, 1));
    memcpy(buffer, "HELLO", 5);
    CHECK_TRUE(str_is(str_at(s, 0), "hello"));
    CHECK_TRUE(str_is(str_at(s, 1), "hello"));
    CHECK_TRUE(str_at(s, 0).ptr != buffer);
    CHECK_TRUE(str_at(s, 0).ptr != str_at(s, 1).ptr);
    CHECK_OK(gort_slice_set(s, 1, &v));
    memcpy(buffer, "world", 5);
    CHECK_TRUE(str_is(str_at(s, 1), "HELLO"));
    gort_slice_free(s);
}

TEST(str_clear_and_free_free_the_bytes)
{
    uint64_t blocks = live_blocks(NULL);
    gort_slice *s = nil_of(str_type());
    for (int i = 0; i < 50; i++) {
        char text[16];
        gort_str v = {text, (size_t)snprintf(text, sizeof text, "item %d", i)};
        CHECK_OK(gort_slice_append(s, &v));
    }
    gort_str empty = {NULL, 0};
    CHECK_OK(gort_slice_append(s, &empty)); /* an empty string owns nothing */
    uint64_t full = live_blocks(NULL);
    CHECK_OK(gort_slice_reslice(s, 0, 20, gort_slice_cap(s)));
    CHECK_OK(gort_slice_clear(s));
    CHECK_EQ_U64(live_blocks(NULL), full - 20);
    CHECK_TRUE(str_is(str_at(s, 0), ""));
    gort_slice_free(s);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

TEST(str_growth_copy_and_clone_keep_contents)
{
    uint64_t blocks = live_blocks(NULL);
    gort_slice *s = nil_of(str_type());
    char text[32];
    for (int i = 0; i < 300; i++) {
        gort_str v = {text, (size_t)snprintf(text, sizeof text, "string number %d", i)};
        CHECK_OK(gort_slice_append(s, &v));
    }
    gort_slice *c = NULL, *t = sub3(s, 0, 100, 100);
    CHECK_OK(gort_slice_clone(s, &c));
    CHECK_OK(gort_slice_append_slice(t, c)); /* past cap, shared: copies 100 + 300 */
    size_t n = 0;
    gort_slice *head = sub(s, 0, 200), *mid = sub(s, 100, 300);
    CHECK_OK(gort_slice_copy(head, mid, &n)); /* overlapping, 200 strings */
    CHECK_EQ_SIZE(n, 200);
    snprintf(text, sizeof text, "string number %d", 299);
    CHECK_TRUE(str_is(str_at(s, 199), text));
    CHECK_TRUE(str_is(str_at(c, 299), text));
    CHECK_TRUE(str_is(str_at(t, 399), text));
    snprintf(text, sizeof text, "string number %d", 0);
    CHECK_TRUE(str_is(str_at(t, 100), text));
    gort_slice *all[] = {s, c, t, head, mid};
    for (size_t i = 0; i < HARNESS_COUNT(all); i++)
        gort_slice_free(all[i]);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* ---- scan ---------------------------------------------------------------------------- */

struct scan_log {
    size_t visits;
    void *seen[64];
};

static void log_visit(void **slot, void *ctx)
{
    struct scan_log *log = ctx;
    if (log->visits < 64)
        log->seen[log->visits] = *slot;
    log->visits++;
}

/* Every non-NULL pointer word of the whole store, beyond len and beyond this view. */
TEST(scan_visits_exactly_the_non_null_pointer_words_of_the_store)
{
    gort_type *type = tracked_type();
    gort_slice *s = make_of(type, 0, 6);
    const tracked values[] = {track(1, 0xdead, 2), track(-1, 0, -1), track(3, 0, -1),
                              track(-1, 0, 4), track(5, 0, 6)};
    CHECK_OK(gort_slice_append_n(s, values, 5));
    gort_slice *view = sub(s, 1, 2);
    CHECK_OK(gort_slice_reslice(s, 0, 1, 6));
    struct scan_log log = {0};
    CHECK_OK(gort_slice_scan(view, log_visit, &log));
    CHECK_EQ_SIZE(log.visits, 6); /* words 0 and 2 of each element; tag never */
    int seen = 0;
    for (size_t i = 0; i < log.visits && i < 64; i++)
        seen |= 1 << ((char *)log.seen[i] - (char *)obj(0));
    CHECK_EQ_INT(seen, 0x7e); /* objects 1..6 */
    gort_slice_free(view);
    gort_slice_free(s);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

static void move_object(void **slot, void *ctx)
{
    if (*slot == ctx)
        *slot = (char *)ctx + 1; /* a moving collector updates the slot */
}

TEST(scan_visitor_may_update_slots)
{
    static const uint64_t bitmap[1] = {1};
    gort_type_desc desc = {.struct_size = sizeof desc,
                           .size = 8,
                           .align = 8,
                           .ptr_bitmap = bitmap,
                           .ptr_words = 1};
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    static char objects[2];
    void *p = &objects[0];
    gort_slice *s = nil_of(type);
    CHECK_OK(gort_slice_append(s, &p));
    CHECK_OK(gort_slice_scan(s, move_object, &objects[0]));
    void *got = NULL;
    CHECK_OK(gort_slice_get(s, 0, &got));
    CHECK_EQ_PTR(got, &objects[1]);
    gort_slice_free(s);
    gort_type_release(type);
}

/* GORT_KIND_PTR is scanned (one pointer word) but has no hooks (type.h). */
TEST(scan_visits_raw_pointers_of_builtin_ptr_kind)
{
    static char objects[3];
    gort_slice *s = make_of(gort_type_builtin(GORT_KIND_PTR), 4, 4);
    void *values[4] = {&objects[0], NULL, &objects[2], &objects[1]};
    for (size_t i = 0; i < 4; i++)
        CHECK_OK(gort_slice_set(s, i, &values[i]));
    struct scan_log log = {0};
    CHECK_OK(gort_slice_scan(s, log_visit, &log));
    CHECK_EQ_SIZE(log.visits, 3);
    CHECK_EQ_PTR(log.seen[0], &objects[0]);
    CHECK_EQ_PTR(log.seen[1], &objects[2]);
    CHECK_EQ_PTR(log.seen[2], &objects[1]);
    gort_slice_free(s);
}

TEST(scan_of_nil_or_pointer_free_slice_visits_nothing)
{
    struct scan_log log = {0};
    gort_slice *nil = nil_of(i64_type()), *ints = i64_range(1, 100);
    CHECK_OK(gort_slice_scan(nil, log_visit, &log));
    CHECK_OK(gort_slice_scan(ints, log_visit, &log));
    CHECK_EQ_SIZE(log.visits, 0);
    gort_slice_free(nil);
    gort_slice_free(ints);
}

/* ---- bad input --------------------------------------------------------------------------- */

TEST(null_handles_and_out_pointers_are_einval)
{
    gort_slice *s = i64_range(0, 3), *out = NULL;
    int64_t v = 1;
    size_t n = 0;
    CHECK_EQ_SIZE(gort_slice_len(NULL), 0);
    CHECK_EQ_SIZE(gort_slice_cap(NULL), 0);
    CHECK_EQ_INT(gort_slice_is_nil(NULL), 1);
    CHECK_TRUE(gort_slice_type(NULL) == NULL);
    CHECK_TRUE(gort_slice_data(NULL) == NULL);
    CHECK_EQ_SIZE(gort_slice_backing_bytes(NULL), 0);
    gort_slice_free(NULL);
    CHECK_STATUS(gort_slice_get(NULL, 0, &v), GORT_EINVAL);
    CHECK_STATUS(gort_slice_get(s, 0, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_slice_set(NULL, 0, &v), GORT_EINVAL);
    CHECK_STATUS(gort_slice_set(s, 0, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_slice_append(NULL, &v), GORT_EINVAL);
    CHECK_STATUS(gort_slice_append(s, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_slice_append_n(NULL, &v, 1), GORT_EINVAL);
    CHECK_STATUS(gort_slice_append_n(s, NULL, 2), GORT_EINVAL);
    CHECK_STATUS(gort_slice_append_slice(NULL, s), GORT_EINVAL);
    CHECK_STATUS(gort_slice_append_slice(s, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_slice_sub(NULL, 0, 0, &out), GORT_EINVAL);
    CHECK_STATUS(gort_slice_sub(s, 0, 0, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_slice_sub3(NULL, 0, 0, 0, &out), GORT_EINVAL);
    CHECK_STATUS(gort_slice_sub3(s, 0, 0, 0, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_slice_reslice(NULL, 0, 0, 0), GORT_EINVAL);
    CHECK_STATUS(gort_slice_copy(NULL, s, &n), GORT_EINVAL);
    CHECK_STATUS(gort_slice_copy(s, NULL, &n), GORT_EINVAL);
    CHECK_STATUS(gort_slice_clone(NULL, &out), GORT_EINVAL);
    CHECK_STATUS(gort_slice_clone(s, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_slice_grow(NULL, 1), GORT_EINVAL);
    CHECK_STATUS(gort_slice_clip(NULL), GORT_EINVAL);
    CHECK_STATUS(gort_slice_clear(NULL), GORT_EINVAL);
    CHECK_STATUS(gort_slice_scan(NULL, log_visit, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_slice_scan(s, NULL, NULL), GORT_EINVAL);
    CHECK_TRUE(out == NULL);
    const int64_t want[] = {0, 1, 2};
    i64_equals(s, want, 3);
    gort_slice_free(s);
}

int main(void)
{
    static const harness_test tests[] = {
        TEST_ENTRY(make_gives_exact_cap_and_zeroed_elements),
        TEST_ENTRY(make_len_greater_than_cap_is_erange),
        TEST_ENTRY(make_cap_overflow_is_eoverflow_without_allocating),
        TEST_ENTRY(make_rejects_null_type_or_out),
        TEST_ENTRY(nil_and_empty_slices_differ_only_in_nilness),
        TEST_ENTRY(get_and_set_round_trip_within_len),
        TEST_ENTRY(get_and_set_out_of_bounds_are_erange),
        TEST_ENTRY(data_is_a_borrowed_pointer_to_element_zero),
        TEST_ENTRY(append_in_place_is_visible_through_sharing_slice),
        TEST_ENTRY(append_beyond_cap_detaches_and_leaves_old_slice_unchanged),
        TEST_ENTRY(go_spec_append_example),
        TEST_ENTRY(append_overlapping_source_gives_2341234),
        TEST_ENTRY(append_slice_to_itself_doubles_it),
        TEST_ENTRY(append_n_from_overlapping_memory_in_place),
        TEST_ENTRY(append_n_from_own_memory_past_cap),
        TEST_ENTRY(append_nothing_keeps_nil_nil),
        TEST_ENTRY(append_slice_with_other_type_is_etype),
        TEST_ENTRY(append_slice_accepts_identical_custom_descriptors),
        TEST_ENTRY(append_int64_capacity_sequence_matches_go_rounded),
        TEST_ENTRY(append_byte_capacity_sequence_matches_formula_and_table),
        TEST_ENTRY(append_capacity_sequences_of_other_sizes_match_formula),
        TEST_ENTRY(append_many_at_once_gets_exact_then_rounded),
        TEST_ENTRY(growth_zeroes_everything_beyond_new_len),
        TEST_ENTRY(append_after_clip_of_exclusive_store_grows_from_view_cap),
        TEST_ENTRY(append_with_overflowing_size_is_eoverflow),
        TEST_ENTRY(exclusive_growth_keeps_contents_over_many_reallocations),
        TEST_ENTRY(growth_of_shared_store_leaves_other_handle_alone),
        TEST_ENTRY(sub_shares_memory_with_cap_minus_lo),
        TEST_ENTRY(sub3_limits_cap_to_max_minus_lo),
        TEST_ENTRY(slicing_bounds_violations_are_erange),
        TEST_ENTRY(cap_zero_result_keeps_base_pointer),
        TEST_ENTRY(nil_sliced_zero_zero_stays_nil),
        TEST_ENTRY(reslice_changes_the_handle_in_place),
        TEST_ENTRY(clip_then_append_does_not_overwrite_parent),
        TEST_ENTRY(copy_returns_min_len),
        TEST_ENTRY(copy_handles_overlap_both_directions),
        TEST_ENTRY(copy_with_other_type_is_etype),
        TEST_ENTRY(clone_of_nil_is_nil_and_of_empty_is_empty_non_nil),
        TEST_ENTRY(clone_copies_contents_into_independent_memory),
        TEST_ENTRY(grow_allocates_once_then_appends_fit),
        TEST_ENTRY(grow_with_enough_room_does_nothing),
        TEST_ENTRY(grow_capacity_follows_nextslicecap),
        TEST_ENTRY(grow_preserves_elements_between_len_and_cap),
        TEST_ENTRY(grow_huge_is_eoverflow),
        TEST_ENTRY(clear_zeroes_len_only),
        TEST_ENTRY(zero_size_elements_never_allocate),
        TEST_ENTRY(zero_size_nil_append_gives_non_null_data),
        TEST_ENTRY(zero_size_lengths_are_bounded_by_max_alloc),
        TEST_ENTRY(backing_bytes_of_small_view_is_the_whole_array),
        TEST_ENTRY(append_retains_and_free_releases),
        TEST_ENTRY(set_retains_new_value_and_releases_old),
        TEST_ENTRY(copy_retains_copied_values_and_releases_overwritten),
        TEST_ENTRY(clone_retains_every_element),
        TEST_ENTRY(clear_releases_and_zeroes),
        TEST_ENTRY(exclusive_growth_moves_values_without_retains),
        TEST_ENTRY(shared_growth_retains_copied_values),
        TEST_ENTRY(exclusive_growth_of_inner_view_releases_unreachable_values),
        TEST_ENTRY(values_beyond_len_stay_owned_until_overwritten),
        TEST_ENTRY(views_share_references_until_the_last_handle_goes),
        TEST_ENTRY(overlapping_appends_with_hooks_stay_balanced),
        TEST_ENTRY(views_of_one_store_may_be_freed_from_many_threads),
        TEST_ENTRY(str_slices_own_their_bytes),
        TEST_ENTRY(str_clear_and_free_free_the_bytes),
        TEST_ENTRY(str_growth_copy_and_clone_keep_contents),
        TEST_ENTRY(scan_visits_exactly_the_non_null_pointer_words_of_the_store),
        TEST_ENTRY(scan_visitor_may_update_slots),
        TEST_ENTRY(scan_visits_raw_pointers_of_builtin_ptr_kind),
        TEST_ENTRY(scan_of_nil_or_pointer_free_slice_visits_nothing),
        TEST_ENTRY(null_handles_and_out_pointers_are_einval),
    };
    return harness_run(tests, HARNESS_COUNT(tests));
}

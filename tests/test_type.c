/*
 * Tests of src/type.c: descriptor validation (every error in gort_type_create's
 * contract), the builtin kinds, Go's float and string semantics for hashing and
 * equality, descriptor reference counting, and gort_value_drop.
 */
#include <math.h>

#include "fixtures.h"

static gort_type_desc plain_desc(size_t size, size_t align)
{
    return (gort_type_desc){
        .struct_size = sizeof(gort_type_desc), .size = size, .align = align};
}

static uint64_t dummy_hash(const void *value, uint64_t seed, void *ctx)
{
    (void)value, (void)ctx;
    return seed;
}

static int dummy_equal(const void *a, const void *b, void *ctx)
{
    (void)a, (void)b, (void)ctx;
    return 1;
}

static void dummy_ref(void *ptr, void *ctx)
{
    (void)ptr, (void)ctx;
}

/* Creating from `desc` must fail with `want`, leave *out untouched and leak nothing. */
static void expect_create_fails(const gort_type_desc *desc, int want, const char *what)
{
    gort_type *sentinel = (gort_type *)&sentinel, *out = sentinel;
    uint64_t blocks = live_blocks(NULL);
    int status = gort_type_create(desc, &out);
    if (!CHECK_STATUS(status, want))
        printf("#     case: %s\n", what);
    CHECK_EQ_PTR(out, sentinel);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
    if (status == GORT_OK)
        gort_type_release(out);
}

static void count_visit(void **slot, void *ctx)
{
    (void)slot;
    ++*(size_t *)ctx;
}

/* ---- validation ------------------------------------------------------------------- */

TEST(create_rejects_null_arguments)
{
    gort_type_desc desc = plain_desc(8, 8);
    gort_type *out = NULL;
    CHECK_STATUS(gort_type_create(NULL, &out), GORT_EINVAL);
    CHECK_STATUS(gort_type_create(&desc, NULL), GORT_EINVAL);
    CHECK_TRUE(out == NULL);
}

TEST(create_rejects_struct_size_too_small)
{
    gort_type_desc desc = plain_desc(8, 8);
    desc.struct_size = sizeof desc - 1;
    expect_create_fails(&desc, GORT_EINVAL, "struct_size - 1");
    desc.struct_size = 0;
    expect_create_fails(&desc, GORT_EINVAL, "struct_size 0");
}

/* Fields are only ever added at the end: a caller built against a newer header passes a
 * bigger struct_size, which this version accepts. */
TEST(create_accepts_larger_struct_size)
{
    struct {
        gort_type_desc desc;
        uint64_t future_field;
    } newer = {plain_desc(8, 8), 0};
    newer.desc.struct_size = sizeof newer;
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&newer.desc, &type));
    CHECK_EQ_SIZE(gort_type_size(type), 8);
    gort_type_release(type);
}

TEST(create_rejects_bad_alignment)
{
    const size_t bad[] = {0, 3, 6, 12, 8192};
    for (size_t i = 0; i < HARNESS_COUNT(bad); i++) {
        gort_type_desc desc = plain_desc(bad[i] * 2, bad[i]);
        expect_create_fails(&desc, GORT_EINVAL, "align not a power of two <= 4096");
    }
}

TEST(create_accepts_every_power_of_two_alignment_up_to_4096)
{
    for (size_t align = 1; align <= 4096; align *= 2) {
        gort_type_desc desc = plain_desc(align, align);
        gort_type *type = NULL;
        CHECK_OK(gort_type_create(&desc, &type));
        CHECK_EQ_SIZE(gort_type_align(type), align);
        gort_type_release(type);
    }
}

TEST(create_rejects_size_not_multiple_of_align)
{
    gort_type_desc desc = plain_desc(12, 8);
    expect_create_fails(&desc, GORT_EINVAL, "size 12 align 8");
    desc = plain_desc(1, 2);
    expect_create_fails(&desc, GORT_EINVAL, "size 1 align 2");
}

TEST(create_rejects_size_beyond_max_with_eoverflow)
{
    gort_type_desc desc = plain_desc(GORT_TYPE_MAX_SIZE + 8, 8);
    expect_create_fails(&desc, GORT_EOVERFLOW, "size > GORT_TYPE_MAX_SIZE");
    desc = plain_desc(SIZE_MAX, 1);
    expect_create_fails(&desc, GORT_EOVERFLOW, "size SIZE_MAX");

    gort_type *type = NULL; /* exactly the maximum is allowed */
    desc = plain_desc(GORT_TYPE_MAX_SIZE, 8);
    CHECK_OK(gort_type_create(&desc, &type));
    CHECK_EQ_SIZE(gort_type_size(type), GORT_TYPE_MAX_SIZE);
    gort_type_release(type);
}

TEST(create_accepts_zero_size)
{
    gort_type_desc desc = plain_desc(0, 1); /* Go's struct{} */
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    CHECK_EQ_SIZE(gort_type_size(type), 0);
    CHECK_EQ_SIZE(gort_type_align(type), 1);
    gort_type_release(type);
}

TEST(create_rejects_hash_or_equal_alone)
{
    gort_type_desc desc = plain_desc(8, 8);
    desc.hash = dummy_hash;
    expect_create_fails(&desc, GORT_EINVAL, "hash without equal");
    desc.hash = NULL, desc.equal = dummy_equal;
    expect_create_fails(&desc, GORT_EINVAL, "equal without hash");
}

TEST(create_rejects_retain_or_release_alone)
{
    static const uint64_t bitmap[1] = {1};
    gort_type_desc desc = plain_desc(8, 8);
    desc.ptr_bitmap = bitmap, desc.ptr_words = 1;
    desc.retain = dummy_ref;
    expect_create_fails(&desc, GORT_EINVAL, "retain without release");
    desc.retain = NULL, desc.release = dummy_ref;
    expect_create_fails(&desc, GORT_EINVAL, "release without retain");
}

TEST(create_rejects_null_bitmap_with_ptr_words)
{
    gort_type_desc desc = plain_desc(16, 8);
    desc.ptr_words = 1;
    expect_create_fails(&desc, GORT_EINVAL, "bitmap NULL, ptr_words 1");
}

TEST(create_rejects_bitmap_bits_beyond_ptr_words)
{
    static const uint64_t bit2[1] = {0x4};
    gort_type_desc desc = plain_desc(32, 8);
    desc.ptr_bitmap = bit2, desc.ptr_words = 2;
    expect_create_fails(&desc, GORT_EINVAL, "bit 2 set, ptr_words 2");

    static const uint64_t bit64[2] = {0, 0x2}; /* bit 65 of a 65-word bitmap */
    desc = plain_desc(66 * 8, 8);
    desc.ptr_bitmap = bit64, desc.ptr_words = 65;
    expect_create_fails(&desc, GORT_EINVAL, "bit 65 set, ptr_words 65");
}

TEST(create_accepts_bitmap_spanning_two_words)
{
    static const uint64_t bits[2] = {0x1, 0x1}; /* words 0 and 64 */
    gort_type_desc desc = plain_desc(65 * 8, 8);
    desc.ptr_bitmap = bits, desc.ptr_words = 65;
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    gort_type_release(type);
}

TEST(create_rejects_ptr_words_beyond_size)
{
    static const uint64_t bitmap[1] = {0x1};
    gort_type_desc desc = plain_desc(16, 8);
    desc.ptr_bitmap = bitmap, desc.ptr_words = 3;
    expect_create_fails(&desc, GORT_EINVAL, "3 pointer words in 16 bytes");
}

TEST(create_rejects_pointer_words_with_small_alignment)
{
    static const uint64_t bitmap[1] = {0x1};
    gort_type_desc desc = plain_desc(16, 4);
    desc.ptr_bitmap = bitmap, desc.ptr_words = 1;
    expect_create_fails(&desc, GORT_EINVAL, "pointer word with align 4");
}

TEST(create_rejects_unknown_flags)
{
    gort_type_desc desc = plain_desc(8, 8);
    desc.flags = 2;
    expect_create_fails(&desc, GORT_EINVAL, "flags 2");
    desc.flags = 0x80000000u | GORT_TYPE_INCOMPARABLE;
    expect_create_fails(&desc, GORT_EINVAL, "flags with high bit");
}

TEST(create_rejects_incomparable_with_equal)
{
    gort_type_desc desc = plain_desc(8, 8);
    desc.flags = GORT_TYPE_INCOMPARABLE;
    desc.hash = dummy_hash, desc.equal = dummy_equal;
    expect_create_fails(&desc, GORT_EINVAL, "INCOMPARABLE with equal");
}

TEST(create_copies_name_and_bitmap)
{
    char name[] = "mine";
    uint64_t bitmap[1] = {0x1};
    gort_type_desc desc = plain_desc(16, 8);
    desc.name = name, desc.ptr_bitmap = bitmap, desc.ptr_words = 2;
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    name[0] = 'X', bitmap[0] = 0x2; /* the caller's copies change; the descriptor's not */
    CHECK_EQ_STR(gort_type_name(type), "mine");
    CHECK_EQ_INT(gort_type_kind(type), GORT_KIND_CUSTOM);

    int visits = 0;
    void *value[2] = {&visits, NULL}; /* pointer in word 0 only */
    gort_slice *s = NULL;
    CHECK_OK(gort_slice_make(type, 0, 1, NULL, &s));
    CHECK_OK(gort_slice_append(s, value));
    size_t n = 0;
    CHECK_OK(gort_slice_scan(s, count_visit, &n));
    CHECK_EQ_SIZE(n, 1); /* word 0 is still the pointer word */
    gort_slice_free(s);
    gort_type_release(type);
}

TEST(create_without_name_gives_empty_name)
{
    gort_type_desc desc = plain_desc(4, 4);
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    CHECK_EQ_STR(gort_type_name(type), "");
    gort_type_release(type);
}

/* ---- builtins ------------------------------------------------------------------------ */

TEST(builtin_kinds_have_c_size_align_and_go_name)
{
    static const struct {
        int kind;
        size_t size, align;
        const char *name;
    } kinds[] = {
        {GORT_KIND_BOOL, sizeof(_Bool), _Alignof(_Bool), "bool"},
        {GORT_KIND_I8, 1, 1, "int8"},
        {GORT_KIND_I16, 2, 2, "int16"},
        {GORT_KIND_I32, 4, 4, "int32"},
        {GORT_KIND_I64, 8, _Alignof(int64_t), "int64"},
        {GORT_KIND_U8, 1, 1, "uint8"},
        {GORT_KIND_U16, 2, 2, "uint16"},
        {GORT_KIND_U32, 4, 4, "uint32"},
        {GORT_KIND_U64, 8, _Alignof(uint64_t), "uint64"},
        {GORT_KIND_F32, 4, 4, "float32"},
        {GORT_KIND_F64, 8, _Alignof(double), "float64"},
        {GORT_KIND_UINTPTR, sizeof(uintptr_t), _Alignof(uintptr_t), "uintptr"},
        {GORT_KIND_PTR, sizeof(void *), _Alignof(void *), "pointer"},
        {GORT_KIND_STR, sizeof(gort_str), _Alignof(gort_str), "string"},
    };
    for (size_t i = 0; i < HARNESS_COUNT(kinds); i++) {
        gort_type *type = gort_type_builtin(kinds[i].kind);
        if (!CHECK_TRUE(type != NULL))
            continue;
        CHECK_EQ_INT(gort_type_kind(type), kinds[i].kind);
        CHECK_EQ_SIZE(gort_type_size(type), kinds[i].size);
        CHECK_EQ_SIZE(gort_type_align(type), kinds[i].align);
        CHECK_EQ_STR(gort_type_name(type), kinds[i].name);
        CHECK_TRUE(gort_type_comparable(type));
        CHECK_EQ_PTR(gort_type_builtin(kinds[i].kind), type); /* static, one per kind */
    }
}

TEST(builtin_of_custom_or_unknown_kind_is_null)
{
    const int bad[] = {GORT_KIND_CUSTOM, GORT_KIND_STR + 1, 100, -1, INT32_MIN};
    for (size_t i = 0; i < HARNESS_COUNT(bad); i++)
        CHECK_TRUE(gort_type_builtin(bad[i]) == NULL);
}

TEST(builtins_are_immortal)
{
    gort_type *type = gort_type_builtin(GORT_KIND_I64);
    for (int i = 0; i < 3; i++)
        gort_type_release(type); /* more releases than retains: nothing happens */
    CHECK_EQ_PTR(gort_type_retain(type), type);
    CHECK_EQ_SIZE(gort_type_size(type), 8);
    CHECK_EQ_STR(gort_type_name(type), "int64");
}

TEST(getters_of_null_type_return_neutral_values)
{
    CHECK_EQ_SIZE(gort_type_size(NULL), 0);
    CHECK_EQ_SIZE(gort_type_align(NULL), 0);
    CHECK_EQ_INT(gort_type_kind(NULL), GORT_KIND_CUSTOM);
    CHECK_EQ_STR(gort_type_name(NULL), "");
    CHECK_EQ_INT(gort_type_comparable(NULL), 0);
    CHECK_TRUE(gort_type_retain(NULL) == NULL);
    gort_type_release(NULL);
}

/* ---- hashing and equality ------------------------------------------------------------ */

static uint64_t hash_of(gort_type *type, const void *value, uint64_t seed)
{
    uint64_t h = 0;
    CHECK_OK(gort_type_hash(type, value, seed, &h));
    return h;
}

static int equal_of(gort_type *type, const void *a, const void *b)
{
    int eq = -1;
    CHECK_OK(gort_type_equal(type, a, b, &eq));
    return eq;
}

/* Go: +0 == -0, and both hash alike (go-runtime.md §2.10, catalogue item 20). */
TEST(float_zero_and_negative_zero_are_equal_and_hash_alike)
{
    gort_type *f64 = gort_type_builtin(GORT_KIND_F64), *f32 = gort_type_builtin(GORT_KIND_F32);
    double pz = 0.0, nz = -0.0;
    float pzf = 0.0f, nzf = -0.0f;
    CHECK_TRUE(signbit(nz) && !signbit(pz));
    CHECK_EQ_INT(equal_of(f64, &pz, &nz), 1);
    CHECK_EQ_U64(hash_of(f64, &pz, 7), hash_of(f64, &nz, 7));
    CHECK_EQ_INT(equal_of(f32, &pzf, &nzf), 1);
    CHECK_EQ_U64(hash_of(f32, &pzf, 7), hash_of(f32, &nzf, 7));
    double one = 1.0;
    CHECK_EQ_INT(equal_of(f64, &pz, &one), 0);
}

/* Go: NaN != NaN, and every NaN hashes randomly so NaN keys never collapse (§2.10).
 * Random hashes can collide by chance, so several tries must not all agree. */
TEST(float_nan_is_unequal_to_itself_and_hashes_randomly)
{
    gort_type *f64 = gort_type_builtin(GORT_KIND_F64), *f32 = gort_type_builtin(GORT_KIND_F32);
    double nan = NAN;
    float nanf = NAN;
    CHECK_EQ_INT(equal_of(f64, &nan, &nan), 0);
    CHECK_EQ_INT(equal_of(f32, &nanf, &nanf), 0);
    int differing64 = 0, differing32 = 0;
    for (int i = 0; i < 8; i++) {
        differing64 += hash_of(f64, &nan, 1) != hash_of(f64, &nan, 1);
        differing32 += hash_of(f32, &nanf, 1) != hash_of(f32, &nanf, 1);
    }
    CHECK_TRUE(differing64 > 0);
    CHECK_TRUE(differing32 > 0);
}

TEST(float_ordinary_values_hash_deterministically)
{
    gort_type *f64 = gort_type_builtin(GORT_KIND_F64);
    double a = 1.5, b = 1.5, c = 2.5;
    CHECK_EQ_U64(hash_of(f64, &a, 3), hash_of(f64, &b, 3));
    CHECK_TRUE(hash_of(f64, &a, 3) != hash_of(f64, &c, 3));
}

/* Strings compare and hash by content, not by pointer (Go's string semantics). */
TEST(str_equality_and_hash_are_by_content)
{
    gort_type *str = gort_type_builtin(GORT_KIND_STR);
    char buf1[] = "hello world", buf2[] = "hello world";
    gort_str a = {buf1, 11}, b = {buf2, 11}, c = {"hello worle", 11}, d = {buf1, 5};
    CHECK_EQ_INT(equal_of(str, &a, &b), 1);
    CHECK_EQ_U64(hash_of(str, &a, 9), hash_of(str, &b, 9));
    CHECK_EQ_INT(equal_of(str, &a, &c), 0);
    CHECK_EQ_INT(equal_of(str, &a, &d), 0); /* a prefix is not equal */
    CHECK_TRUE(hash_of(str, &a, 9) != hash_of(str, &c, 9));

    gort_str empty_null = {NULL, 0}, empty_ptr = {buf1, 0};
    CHECK_EQ_INT(equal_of(str, &empty_null, &empty_ptr), 1);
    CHECK_EQ_U64(hash_of(str, &empty_null, 9), hash_of(str, &empty_ptr, 9));

    char nul1[] = {'a', 0, 'b'}, nul2[] = {'a', 0, 'c'}; /* strings may hold NULs */
    gort_str e = {nul1, 3}, f = {nul2, 3};
    CHECK_EQ_INT(equal_of(str, &e, &f), 0);
}

TEST(hash_seed_changes_hash)
{
    gort_type *i64 = gort_type_builtin(GORT_KIND_I64);
    int64_t v = 42;
    CHECK_EQ_U64(hash_of(i64, &v, 1), hash_of(i64, &v, 1));
    int differing = 0;
    for (uint64_t seed = 2; seed < 10; seed++)
        differing += hash_of(i64, &v, 1) != hash_of(i64, &v, seed);
    CHECK_EQ_INT(differing, 8);
}

TEST(bytewise_custom_type_compares_bytes)
{
    gort_type_desc desc = plain_desc(16, 8);
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    uint64_t a[2] = {1, 2}, b[2] = {1, 2}, c[2] = {1, 3};
    CHECK_EQ_INT(equal_of(type, a, b), 1);
    CHECK_EQ_INT(equal_of(type, a, c), 0);
    CHECK_EQ_U64(hash_of(type, a, 5), hash_of(type, b, 5));
    gort_type_release(type);
}

struct call_counts {
    int hashes, equals;
};

static uint64_t counting_hash(const void *value, uint64_t seed, void *ctx)
{
    ((struct call_counts *)ctx)->hashes++;
    return (*(const uint32_t *)value % 10) ^ seed; /* equal mod 10 => equal hash */
}

static int counting_equal(const void *a, const void *b, void *ctx)
{
    ((struct call_counts *)ctx)->equals++;
    return *(const uint32_t *)a % 10 == *(const uint32_t *)b % 10;
}

TEST(custom_hash_and_equal_are_called_with_ctx)
{
    struct call_counts counts = {0, 0};
    gort_type_desc desc = plain_desc(4, 4);
    desc.hash = counting_hash, desc.equal = counting_equal, desc.ctx = &counts;
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    uint32_t a = 13, b = 23, c = 14;
    CHECK_EQ_INT(equal_of(type, &a, &b), 1); /* bytes differ, custom equality says equal */
    CHECK_EQ_INT(equal_of(type, &a, &c), 0);
    CHECK_EQ_U64(hash_of(type, &a, 0x100), 3 ^ 0x100);
    CHECK_EQ_INT(counts.equals, 2);
    CHECK_EQ_INT(counts.hashes, 1);
    gort_type_release(type);
}

TEST(incomparable_type_refuses_hash_and_equal)
{
    gort_type_desc desc = plain_desc(8, 8);
    desc.flags = GORT_TYPE_INCOMPARABLE;
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    CHECK_EQ_INT(gort_type_comparable(type), 0);
    uint64_t v = 1, h = 77;
    int eq = 77;
    CHECK_STATUS(gort_type_hash(type, &v, 0, &h), GORT_ETYPE);
    CHECK_STATUS(gort_type_equal(type, &v, &v, &eq), GORT_ETYPE);
    CHECK_EQ_U64(h, 77);
    CHECK_EQ_INT(eq, 77);
    gort_type_release(type);
}

TEST(hash_and_equal_reject_null_arguments)
{
    gort_type *i64 = gort_type_builtin(GORT_KIND_I64);
    int64_t v = 1;
    uint64_t h;
    int eq;
    CHECK_STATUS(gort_type_hash(NULL, &v, 0, &h), GORT_EINVAL);
    CHECK_STATUS(gort_type_hash(i64, NULL, 0, &h), GORT_EINVAL);
    CHECK_STATUS(gort_type_hash(i64, &v, 0, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_type_equal(NULL, &v, &v, &eq), GORT_EINVAL);
    CHECK_STATUS(gort_type_equal(i64, NULL, &v, &eq), GORT_EINVAL);
    CHECK_STATUS(gort_type_equal(i64, &v, NULL, &eq), GORT_EINVAL);
    CHECK_STATUS(gort_type_equal(i64, &v, &v, NULL), GORT_EINVAL);
}

/* ---- reference counting --------------------------------------------------------------- */

TEST(descriptor_is_freed_with_its_last_reference)
{
    uint64_t blocks = live_blocks(NULL);
    gort_type_desc desc = plain_desc(8, 8);
    desc.name = "counted";
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    CHECK_TRUE(live_blocks(NULL) > blocks);
    CHECK_EQ_PTR(gort_type_retain(type), type);
    gort_type_release(type);
    CHECK_TRUE(live_blocks(NULL) > blocks); /* one reference left */
    CHECK_EQ_STR(gort_type_name(type), "counted");
    gort_type_release(type);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

TEST(slice_keeps_its_descriptor_alive)
{
    uint64_t blocks = live_blocks(NULL);
    gort_type_desc desc = plain_desc(8, 8);
    gort_type *type = NULL;
    gort_slice *s = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    CHECK_OK(gort_slice_make(type, 3, 3, NULL, &s));
    gort_type_release(type); /* the caller's reference */
    CHECK_EQ_SIZE(gort_type_size(gort_slice_type(s)), 8);
    gort_slice_free(s);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* ---- gort_value_drop ---------------------------------------------------------------- */

TEST(value_drop_releases_each_non_null_pointer_word)
{
    gort_type *type = tracked_type();
    /* The caller owns one reference on objects 1 and 2. Word 1 (tag) holds an address
     * but is not a pointer word, so object 3 must not be released. */
    tracked_state.refs[1] = 1, tracked_state.refs[2] = 1;
    tracked value = track(1, (uint64_t)(uintptr_t)obj(3), -1);
    gort_value_drop(type, &value);
    CHECK_EQ_INT(tracked_state.releases, 1);
    CHECK_EQ_INT(refs(1), 0);
    CHECK_EQ_INT(refs(3), 0);
    CHECK_TRUE(value.first == NULL && value.tag == 0 && value.second == NULL);

    value = track(1, 0, 2);
    tracked_state.refs[1] = 1;
    gort_value_drop(type, &value);
    CHECK_EQ_INT(tracked_state.releases, 3);
    CHECK_EQ_INT(refs(1), 0);
    CHECK_EQ_INT(refs(2), 0);
    CHECK_EQ_INT(tracked_state.retains, 0);
    CHECK_EQ_INT(tracked_state.errors, 0);
    gort_type_release(type);
}

/* A str received from libgort owns bytes in the default heap; drop frees them. */
TEST(value_drop_frees_a_str)
{
    uint64_t blocks = live_blocks(NULL);
    char *bytes = gort__alloc(NULL, 5, 1);
    if (!CHECK_TRUE(bytes != NULL))
        return;
    memcpy(bytes, "hello", 5);
    gort_str value = {bytes, 5};
    CHECK_EQ_U64(live_blocks(NULL), blocks + 1);
    gort_value_drop(gort_type_builtin(GORT_KIND_STR), &value);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
    CHECK_TRUE(value.ptr == NULL && value.len == 0);
}

TEST(value_drop_zeroes_plain_values_and_is_null_safe)
{
    int64_t v = 99;
    gort_value_drop(gort_type_builtin(GORT_KIND_I64), &v);
    CHECK_EQ_INT(v, 0);
    v = 5;
    gort_value_drop(NULL, &v);
    CHECK_EQ_INT(v, 5);
    gort_value_drop(gort_type_builtin(GORT_KIND_I64), NULL);
}

int main(void)
{
    static const harness_test tests[] = {
        TEST_ENTRY(create_rejects_null_arguments),
        TEST_ENTRY(create_rejects_struct_size_too_small),
        TEST_ENTRY(create_accepts_larger_struct_size),
        TEST_ENTRY(create_rejects_bad_alignment),
        TEST_ENTRY(create_accepts_every_power_of_two_alignment_up_to_4096),
        TEST_ENTRY(create_rejects_size_not_multiple_of_align),
        TEST_ENTRY(create_rejects_size_beyond_max_with_eoverflow),
        TEST_ENTRY(create_accepts_zero_size),
        TEST_ENTRY(create_rejects_hash_or_equal_alone),
        TEST_ENTRY(create_rejects_retain_or_release_alone),
        TEST_ENTRY(create_rejects_null_bitmap_with_ptr_words),
        TEST_ENTRY(create_rejects_bitmap_bits_beyond_ptr_words),
        TEST_ENTRY(create_accepts_bitmap_spanning_two_words),
        TEST_ENTRY(create_rejects_ptr_words_beyond_size),
        TEST_ENTRY(create_rejects_pointer_words_with_small_alignment),
        TEST_ENTRY(create_rejects_unknown_flags),
        TEST_ENTRY(create_rejects_incomparable_with_equal),
        TEST_ENTRY(create_copies_name_and_bitmap),
        TEST_ENTRY(create_without_name_gives_empty_name),
        TEST_ENTRY(builtin_kinds_have_c_size_align_and_go_name),
        TEST_ENTRY(builtin_of_custom_or_unknown_kind_is_null),
        TEST_ENTRY(builtins_are_immortal),
        TEST_ENTRY(getters_of_null_type_return_neutral_values),
        TEST_ENTRY(float_zero_and_negative_zero_are_equal_and_hash_alike),
        TEST_ENTRY(float_nan_is_unequal_to_itself_and_hashes_randomly),
        TEST_ENTRY(float_ordinary_values_hash_deterministically),
        TEST_ENTRY(str_equality_and_hash_are_by_content),
        TEST_ENTRY(hash_seed_changes_hash),
        TEST_ENTRY(bytewise_custom_type_compares_bytes),
        TEST_ENTRY(custom_hash_and_equal_are_called_with_ctx),
        TEST_ENTRY(incomparable_type_refuses_hash_and_equal),
        TEST_ENTRY(hash_and_equal_reject_null_arguments),
        TEST_ENTRY(descriptor_is_freed_with_its_last_reference),
        TEST_ENTRY(slice_keeps_its_descriptor_alive),
        TEST_ENTRY(value_drop_releases_each_non_null_pointer_word),
        TEST_ENTRY(value_drop_frees_a_str),
        TEST_ENTRY(value_drop_zeroes_plain_values_and_is_null_safe),
    };
    return harness_run(tests, HARNESS_COUNT(tests));
}

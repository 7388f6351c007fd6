/*
 * Out-of-memory tests (SQLite's method): for N = 0, 1, 2, ... make the (N+1)-th
 * allocation fail, run the operation, and after every GORT_ENOMEM check that the object
 * is unchanged and still usable; stop at the first success. At the end nothing has
 * leaked (live_blocks back to its start) and every retain has its release.
 *
 * Each operation is run on the paths that allocate differently: an exclusive store
 * (resized in place or moved), a shared store (copied into a new store), and element
 * types that own memory (str: one allocation per string) or references (hooks). The last
 * test checks that every allocation call in src/ has been made to fail by the others.
 */
#include <dirent.h>

#include "fixtures.h"

/* Generous bound on the allocations one operation makes here. */
#define MAX_STEPS 2000

/* Arms the failure of the (n+1)-th allocation from now. */
static void fail_nth(long n)
{
    gort__alloc_fail_after(n);
}

/*
 * Disarms injection and judges one attempt: returns true when the loop is over (the
 * operation succeeded, or failed with something other than GORT_ENOMEM, which is a test
 * failure). Counts the ENOMEM failures in *failures.
 */
static long injected_failures; /* over the whole run, for the summary */

static bool attempt_done(int status, long n, long *failures)
{
    gort__alloc_fail_after(-1);
    if (status == GORT_OK)
        return true;
    if (!CHECK_STATUS(status, GORT_ENOMEM) || !CHECK_TRUE(n < MAX_STEPS))
        return true;
    ++*failures;
    injected_failures++;
    return false;
}

/* ---- snapshots: what "unchanged" means ------------------------------------------------- */

#define SNAPSHOT_BYTES 4096

typedef struct snapshot {
    size_t len, cap;
    void *data;
    size_t bytes; /* of contents captured, [0, cap) up to SNAPSHOT_BYTES */
    unsigned char contents[SNAPSHOT_BYTES];
    uint64_t live_blocks;
    int refs[TRACKED_OBJECTS];
} snapshot;

static void snapshot_take(snapshot *snap, const gort_slice *s)
{
    snap->len = gort_slice_len(s);
    snap->cap = gort_slice_cap(s);
    snap->data = gort_slice_data(s);
    snap->bytes = snap->cap * gort_type_size(gort_slice_type(s));
    if (snap->bytes > SNAPSHOT_BYTES)
        snap->bytes = SNAPSHOT_BYTES;
    if (snap->bytes)
        memcpy(snap->contents, snap->data, snap->bytes);
    snap->live_blocks = live_blocks(NULL);
    memcpy(snap->refs, tracked_state.refs, sizeof snap->refs);
}

/* The slice has its old header and contents, nothing leaked, no reference moved. For
 * str slices the contents compared are the {ptr, len} pairs: same pointers, so the
 * very same bytes. */
static bool snapshot_holds(const snapshot *snap, const gort_slice *s)
{
    bool held = CHECK_EQ_SIZE(gort_slice_len(s), snap->len) &&
                CHECK_EQ_SIZE(gort_slice_cap(s), snap->cap) &&
                CHECK_EQ_PTR(gort_slice_data(s), snap->data) &&
                CHECK_EQ_MEM(gort_slice_data(s), snap->contents, snap->bytes) &&
                CHECK_EQ_U64(live_blocks(NULL), snap->live_blocks);
    for (int i = 0; i < TRACKED_OBJECTS && held; i++)
        held = CHECK_EQ_INT(tracked_state.refs[i], snap->refs[i]);
    return held;
}

/* ---- fixtures ----------------------------------------------------------------------- */

static gort_slice *i64_range(size_t n, size_t cap)
{
    gort_slice *s = NULL;
    CHECK_OK(gort_slice_make(i64_type(), 0, cap, NULL, &s));
    for (int64_t v = 0; v < (int64_t)n; v++)
        CHECK_OK(gort_slice_append(s, &v));
    return s;
}

/* A str slice of n strings "text <i>", len == cap == n. */
static gort_slice *str_range(size_t n)
{
    gort_slice *s = NULL;
    CHECK_OK(gort_slice_make(str_type(), 0, n, NULL, &s));
    for (size_t i = 0; i < n; i++) {
        char text[32];
        gort_str v = {text, (size_t)snprintf(text, sizeof text, "text %zu", i)};
        CHECK_OK(gort_slice_append(s, &v));
    }
    return s;
}

static bool str_at_is(const gort_slice *s, size_t i, const char *want)
{
    gort_str v = {NULL, 0};
    CHECK_OK(gort_slice_get(s, i, &v));
    return CHECK_EQ_SIZE(v.len, strlen(want)) && CHECK_EQ_MEM(v.ptr, want, v.len);
}

/* A tracked slice of n values {obj(i % 8), i, obj(8 + i % 8)}, len == cap == n. */
static gort_slice *tracked_range(gort_type *type, size_t n)
{
    gort_slice *s = NULL;
    CHECK_OK(gort_slice_make(type, 0, n, NULL, &s));
    for (size_t i = 0; i < n; i++) {
        tracked v = track((int)(i % 8), i, 8 + (int)(i % 8));
        CHECK_OK(gort_slice_append(s, &v));
    }
    return s;
}

/* Usable after a failure: a read and an in-place write of the same value still work.
 * (Not for str, where the write would replace the string's bytes and so the snapshot.) */
static void check_usable(gort_slice *s)
{
    if (gort_slice_len(s) == 0)
        return;
    unsigned char value[64];
    CHECK_TRUE(gort_type_size(gort_slice_type(s)) <= sizeof value);
    CHECK_OK(gort_slice_get(s, 0, value));
    if (gort_type_kind(gort_slice_type(s)) != GORT_KIND_STR)
        CHECK_OK(gort_slice_set(s, 0, value));
}

/* ---- constructors -------------------------------------------------------------------- */

TEST(type_create_survives_every_allocation_failure)
{
    static const uint64_t bitmap[1] = {0x5};
    gort_type_desc desc = {.struct_size = sizeof desc,
                           .size = 24,
                           .align = 8,
                           .ptr_bitmap = bitmap,
                           .ptr_words = 3,
                           .name = "with bitmap"};
    uint64_t blocks = live_blocks(NULL);
    gort_type *sentinel = (gort_type *)&sentinel, *type = sentinel;
    long failures = 0;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_type_create(&desc, &type), n, &failures))
            break;
        CHECK_EQ_PTR(type, sentinel);
        CHECK_EQ_U64(live_blocks(NULL), blocks);
    }
    CHECK_EQ_INT(failures, 3); /* descriptor, name, bitmap */
    CHECK_EQ_STR(gort_type_name(type), "with bitmap");
    gort_type_release(type);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

TEST(heap_create_survives_allocation_failure)
{
    uint64_t blocks = live_blocks(NULL);
    gort_heap *sentinel = (gort_heap *)&sentinel, *heap = sentinel;
    long failures = 0;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_heap_create(&heap), n, &failures))
            break;
        CHECK_EQ_PTR(heap, sentinel);
        CHECK_EQ_U64(live_blocks(NULL), blocks);
    }
    CHECK_TRUE(failures >= 1);
    CHECK_OK(gort_heap_destroy(heap, 0));
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

static void check_make_fails_cleanly(gort_type *type, size_t len, size_t cap, gort_heap *heap,
                                     long want_failures)
{
    uint64_t blocks = live_blocks(heap), objects = live_objects(heap);
    gort_slice *sentinel = (gort_slice *)&sentinel, *s = sentinel;
    long failures = 0;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_slice_make(type, len, cap, heap, &s), n, &failures))
            break;
        CHECK_EQ_PTR(s, sentinel);
        CHECK_EQ_U64(live_blocks(heap), blocks);
        CHECK_EQ_U64(live_objects(heap), objects);
    }
    CHECK_EQ_INT(failures, want_failures);
    CHECK_EQ_SIZE(gort_slice_len(s), len);
    CHECK_EQ_SIZE(gort_slice_cap(s), cap);
    gort_slice_free(s);
    CHECK_EQ_U64(live_blocks(heap), blocks);
    CHECK_EQ_U64(live_objects(heap), objects);
}

TEST(slice_make_survives_every_allocation_failure)
{
    check_make_fails_cleanly(i64_type(), 10, 20, NULL, 3); /* handle, array, header */
    check_make_fails_cleanly(str_type(), 5, 5, NULL, 3);
    check_make_fails_cleanly(i64_type(), 0, 0, NULL, 1); /* no array for cap 0 */
    gort_heap *heap = NULL;
    CHECK_OK(gort_heap_create(&heap));
    check_make_fails_cleanly(i64_type(), 1000, 1000, heap, 3);
    CHECK_OK(gort_heap_destroy(heap, 0));
}

TEST(slice_nil_survives_allocation_failure)
{
    uint64_t blocks = live_blocks(NULL);
    gort_slice *sentinel = (gort_slice *)&sentinel, *s = sentinel;
    long failures = 0;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_slice_nil(i64_type(), NULL, &s), n, &failures))
            break;
        CHECK_EQ_PTR(s, sentinel);
        CHECK_EQ_U64(live_blocks(NULL), blocks);
    }
    CHECK_EQ_INT(failures, 1);
    CHECK_EQ_INT(gort_slice_is_nil(s), 1);
    gort_slice_free(s);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* ---- append ------------------------------------------------------------------------- */

/* Growth of an exclusive int64 store: one (re)allocation. */
TEST(append_growth_of_exclusive_store_survives_failure)
{
    uint64_t blocks = live_blocks(NULL);
    gort_slice *s = i64_range(64, 64);
    snapshot snap;
    snapshot_take(&snap, s);
    long failures = 0;
    int64_t v = 64;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_slice_append(s, &v), n, &failures))
            break;
        snapshot_holds(&snap, s);
        check_usable(s);
    }
    CHECK_EQ_INT(failures, 1);
    CHECK_EQ_SIZE(gort_slice_len(s), 65);
    CHECK_EQ_MEM(gort_slice_data(s), snap.contents, 64 * sizeof(int64_t));
    gort_slice_free(s);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* Growth of a store another handle shares: a new array and a new store header. */
TEST(append_n_growth_of_shared_store_survives_failure)
{
    uint64_t blocks = live_blocks(NULL);
    gort_slice *s = i64_range(50, 50), *other = NULL;
    CHECK_OK(gort_slice_sub(s, 0, 50, &other));
    snapshot snap, snap_other;
    snapshot_take(&snap, s);
    snapshot_take(&snap_other, other);
    const int64_t values[3] = {-1, -2, -3};
    long failures = 0;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_slice_append_n(s, values, 3), n, &failures))
            break;
        snapshot_holds(&snap, s);
        check_usable(s);
    }
    CHECK_EQ_INT(failures, 2);
    CHECK_EQ_SIZE(gort_slice_len(s), 53);
    CHECK_EQ_MEM((int64_t *)gort_slice_data(s) + 50, values, sizeof values);
    snap_other.live_blocks = live_blocks(NULL);
    snapshot_holds(&snap_other, other);
    gort_slice_free(s);
    gort_slice_free(other);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* A view that does not start at its store's base moves instead of resizing in place. */
TEST(append_growth_of_offset_view_survives_failure)
{
    uint64_t blocks = live_blocks(NULL);
    gort_slice *parent = i64_range(40, 40), *s = NULL;
    CHECK_OK(gort_slice_sub(parent, 10, 40, &s));
    gort_slice_free(parent);
    snapshot snap;
    snapshot_take(&snap, s);
    long failures = 0;
    int64_t v = 40;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_slice_append(s, &v), n, &failures))
            break;
        snapshot_holds(&snap, s);
    }
    CHECK_EQ_INT(failures, 1);
    int64_t got = 0;
    CHECK_OK(gort_slice_get(s, 30, &got));
    CHECK_EQ_INT(got, 40);
    CHECK_OK(gort_slice_get(s, 0, &got));
    CHECK_EQ_INT(got, 10);
    gort_slice_free(s);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* str growth: the array, then one allocation per incoming string (and, when shared,
 * the store header and a copy of every old string). */
static void check_str_append_n_survives(bool shared, long want_failures)
{
    uint64_t blocks = live_blocks(NULL);
    gort_slice *s = str_range(20), *other = NULL;
    if (shared)
        CHECK_OK(gort_slice_sub(s, 0, 20, &other));
    snapshot snap;
    snapshot_take(&snap, s);
    const gort_str values[3] = {{"alpha", 5}, {"", 0}, {"gamma", 5}};
    long failures = 0;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_slice_append_n(s, values, 3), n, &failures))
            break;
        snapshot_holds(&snap, s);
        str_at_is(s, 19, "text 19");
    }
    CHECK_EQ_INT(failures, want_failures);
    str_at_is(s, 0, "text 0");
    str_at_is(s, 20, "alpha");
    str_at_is(s, 21, "");
    str_at_is(s, 22, "gamma");
    if (shared)
        str_at_is(other, 19, "text 19");
    gort_slice_free(s);
    gort_slice_free(other);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

TEST(append_n_growth_of_str_slice_survives_failure)
{
    check_str_append_n_survives(false, 1 + 2);         /* array, 2 non-empty strings */
    check_str_append_n_survives(true, 1 + 1 + 2 + 20); /* + header, 20 old strings */
}

/* In-place str append: no growth, but each string is copied. */
TEST(append_n_in_place_str_survives_failure)
{
    uint64_t blocks = live_blocks(NULL);
    gort_slice *s = NULL;
    CHECK_OK(gort_slice_make(str_type(), 0, 100, NULL, &s));
    gort_str values[40];
    char texts[40][8];
    for (int i = 0; i < 40; i++)
        values[i] = (gort_str){texts[i], (size_t)snprintf(texts[i], 8, "v%d", i)};
    snapshot snap;
    snapshot_take(&snap, s);
    long failures = 0;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_slice_append_n(s, values, 40), n, &failures))
            break;
        snapshot_holds(&snap, s);
    }
    CHECK_EQ_INT(failures, 1 + 40); /* 640 bytes of staging, then 40 strings */
    str_at_is(s, 39, "v39");
    gort_slice_free(s);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* Hooked values: a failed growth must leave every reference count where it was. */
TEST(append_slice_with_hooks_survives_failure_balanced)
{
    gort_type *type = tracked_type();
    uint64_t blocks = live_blocks(NULL);
    gort_slice *s = tracked_range(type, 12), *src = tracked_range(type, 5), *other = NULL;
    CHECK_OK(gort_slice_sub(s, 0, 12, &other)); /* shared: the copy retains */
    snapshot snap;
    snapshot_take(&snap, s);
    long failures = 0;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_slice_append_slice(s, src), n, &failures))
            break;
        snapshot_holds(&snap, s);
    }
    CHECK_EQ_INT(failures, 2);
    CHECK_EQ_SIZE(gort_slice_len(s), 17);
    tracked got;
    CHECK_OK(gort_slice_get(s, 16, &got));
    CHECK_EQ_U64(got.tag, 4);
    gort_slice_free(s);
    gort_slice_free(other);
    gort_slice_free(src);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

TEST(append_slice_of_str_survives_failure)
{
    uint64_t blocks = live_blocks(NULL);
    gort_slice *s = str_range(4), *src = str_range(6);
    snapshot snap;
    snapshot_take(&snap, s);
    long failures = 0;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_slice_append_slice(s, src), n, &failures))
            break;
        snapshot_holds(&snap, s);
    }
    CHECK_EQ_INT(failures, 1 + 6);
    str_at_is(s, 9, "text 5");
    gort_slice_free(s);
    gort_slice_free(src);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* ---- slicing, clone, grow --------------------------------------------------------------- */

TEST(sub_and_sub3_survive_allocation_failure)
{
    uint64_t blocks = live_blocks(NULL);
    gort_slice *s = i64_range(10, 10);
    for (int three = 0; three < 2; three++) {
        snapshot snap;
        snapshot_take(&snap, s);
        gort_slice *sentinel = (gort_slice *)&sentinel, *view = sentinel;
        long failures = 0;
        for (long n = 0;; n++) {
            fail_nth(n);
            int status =
                three ? gort_slice_sub3(s, 2, 4, 6, &view) : gort_slice_sub(s, 2, 4, &view);
            if (attempt_done(status, n, &failures))
                break;
            CHECK_EQ_PTR(view, sentinel);
            snapshot_holds(&snap, s);
        }
        CHECK_EQ_INT(failures, 1);
        CHECK_EQ_SIZE(gort_slice_cap(view), three ? 4 : 8);
        gort_slice_free(view);
    }
    gort_slice_free(s);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

static void check_clone_survives(gort_slice *s, long want_failures)
{
    uint64_t blocks = live_blocks(NULL);
    snapshot snap;
    snapshot_take(&snap, s);
    gort_slice *sentinel = (gort_slice *)&sentinel, *c = sentinel;
    long failures = 0;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_slice_clone(s, &c), n, &failures))
            break;
        CHECK_EQ_PTR(c, sentinel);
        snapshot_holds(&snap, s);
    }
    CHECK_EQ_INT(failures, want_failures);
    CHECK_EQ_SIZE(gort_slice_len(c), gort_slice_len(s));
    gort_slice_free(c);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

TEST(clone_survives_every_allocation_failure)
{
    gort_slice *ints = i64_range(100, 100), *strs = str_range(10);
    check_clone_survives(ints, 3);      /* handle, array, header */
    check_clone_survives(strs, 3 + 10); /* and each string */
    gort_type *type = tracked_type();
    gort_slice *hooked = tracked_range(type, 9);
    check_clone_survives(hooked, 3);
    gort_slice_free(ints);
    gort_slice_free(strs);
    gort_slice_free(hooked);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

static void check_grow_survives(gort_slice *s, size_t n_more, long want_failures)
{
    snapshot snap;
    snapshot_take(&snap, s);
    long failures = 0;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_slice_grow(s, n_more), n, &failures))
            break;
        snapshot_holds(&snap, s);
        check_usable(s);
    }
    CHECK_EQ_INT(failures, want_failures);
    CHECK_TRUE(gort_slice_cap(s) - gort_slice_len(s) >= n_more);
    CHECK_EQ_SIZE(gort_slice_len(s), snap.len);
}

TEST(grow_survives_every_allocation_failure)
{
    uint64_t blocks = live_blocks(NULL);
    gort_slice *s = i64_range(30, 30), *other = NULL;
    check_grow_survives(s, 100, 1); /* exclusive: one reallocation */
    CHECK_OK(gort_slice_sub(s, 0, 30, &other));
    check_grow_survives(s, 1000, 2); /* shared: array and header */
    gort_slice_free(other);
    gort_slice_free(s);

    gort_slice *strs = str_range(8), *view = NULL;
    CHECK_OK(gort_slice_sub(strs, 0, 8, &view));
    check_grow_survives(strs, 10, 2 + 8); /* shared str: array, header, 8 strings */
    str_at_is(strs, 7, "text 7");
    str_at_is(view, 7, "text 7");
    gort_slice_free(view);
    gort_slice_free(strs);

    gort_type *type = tracked_type();
    gort_slice *hooked = tracked_range(type, 6);
    check_grow_survives(hooked, 20, 1); /* exclusive, owns references: a move */
    gort_slice_free(hooked);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* ---- set and copy on strings ------------------------------------------------------------ */

TEST(set_on_str_slice_survives_failure)
{
    uint64_t blocks = live_blocks(NULL);
    gort_slice *s = str_range(3);
    snapshot snap;
    snapshot_take(&snap, s);
    gort_str v = {"replacement", 11};
    long failures = 0;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_slice_set(s, 1, &v), n, &failures))
            break;
        snapshot_holds(&snap, s);
        str_at_is(s, 1, "text 1");
    }
    CHECK_EQ_INT(failures, 1);
    str_at_is(s, 1, "replacement");
    CHECK_EQ_U64(live_blocks(NULL), snap.live_blocks); /* old bytes freed, new allocated */
    gort_slice_free(s);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

static void check_str_copy_survives(size_t n_strings, long want_failures)
{
    uint64_t blocks = live_blocks(NULL);
    gort_slice *dst = str_range(n_strings), *src = NULL;
    CHECK_OK(gort_slice_clone(dst, &src));
    gort_str v = {"other", 5};
    for (size_t i = 0; i < n_strings; i++)
        CHECK_OK(gort_slice_set(src, i, &v));
    snapshot snap;
    snapshot_take(&snap, dst);
    size_t copied = 12345;
    long failures = 0;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_slice_copy(dst, src, &copied), n, &failures))
            break;
        snapshot_holds(&snap, dst);
        CHECK_EQ_SIZE(copied, 12345);
    }
    CHECK_EQ_INT(failures, want_failures);
    CHECK_EQ_SIZE(copied, n_strings);
    str_at_is(dst, n_strings - 1, "other");
    gort_slice_free(dst);
    gort_slice_free(src);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

TEST(copy_on_str_slice_survives_failure)
{
    check_str_copy_survives(4, 4);       /* staged on the stack: one per string */
    check_str_copy_survives(40, 1 + 40); /* 640 bytes: a staging buffer first */
}

/* ---- maps ------------------------------------------------------------------------------ */

static gort_map *map_of(gort_type *key_type, gort_type *value_type)
{
    gort_map *m = NULL;
    CHECK_OK(gort_map_create(key_type, value_type, 0, NULL, &m));
    return m;
}

/* A fingerprint of a map whose values start with a u64: len and a sum over iteration
 * of each entry's key hash mixed with its value (so corrupted keys show too). */
static uint64_t fingerprint(gort_map *m)
{
    gort_map_iter it;
    const void *key;
    void *value;
    uint64_t sum = gort_map_len(m);
    CHECK_OK(gort_map_iter_init(m, &it));
    while (gort_map_iter_next(&it, &key, &value) == 1) {
        uint64_t h = 0;
        CHECK_OK(gort_type_hash(gort_map_key_type(m), key, 0, &h));
        sum += (h ^ *(uint64_t *)value) * 31 + 7;
    }
    return sum;
}

typedef int (*map_op)(gort_map *m, uint64_t i);

/* Runs op with the 1st, 2nd, ... allocation failing until it succeeds; after each
 * GORT_ENOMEM the map's contents are unchanged. Returns the failures seen. */
static long fail_every_step(gort_map *m, map_op op, uint64_t i)
{
    long failures = 0;
    uint64_t before = fingerprint(m); /* each failed attempt must leave exactly this */
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(op(m, i), n, &failures))
            return failures;
        CHECK_EQ_U64(fingerprint(m), before);
    }
}

static int op_set_u64(gort_map *m, uint64_t i)
{
    return gort_map_set(m, &i, &i);
}

static int op_set_str(gort_map *m, uint64_t i)
{
    char text[24];
    snprintf(text, sizeof text, "s%llu", (unsigned long long)i);
    gort_str k = str_of(text);
    return gort_map_set(m, &k, &i);
}

static int op_clone(gort_map *m, uint64_t i)
{
    (void)i;
    gort_map *c = NULL;
    int status = gort_map_clone(m, &c);
    if (status == GORT_OK) {
        CHECK_EQ_U64(fingerprint(c), fingerprint(m));
        gort_map_release(c);
    }
    return status;
}

static int op_shrink(gort_map *m, uint64_t i)
{
    (void)i;
    return gort_map_shrink(m);
}

TEST(map_insert_grow_split_clone_shrink_survive_every_failure)
{
    uint64_t blocks = live_blocks(NULL);
    gort_map *m = map_of(u64_type(), u64_type());
    long failures = 0;
    for (uint64_t i = 0; i < 3000; i++) /* small, table creation, grows, splits */
        failures += fail_every_step(m, op_set_u64, i);
    CHECK_TRUE(failures >= 10);
    CHECK_TRUE(fail_every_step(m, op_clone, 0) >= 1);
    for (uint64_t k = 0; k < 3000; k += 2)
        CHECK_OK(gort_map_delete(m, &k));
    CHECK_TRUE(fail_every_step(m, op_shrink, 0) >= 1);
    gort_map_release(m);

    gort_map *s = map_of(str_type(), u64_type());
    for (uint64_t i = 0; i < 1500; i++)
        fail_every_step(s, op_set_str, i);
    CHECK_TRUE(fail_every_step(s, op_clone, 0) >= 2);
    /* a delete under an iterator that reads a retired table needs a grave */
    gort_map_iter it;
    const void *key;
    CHECK_OK(gort_map_iter_init(s, &it));
    CHECK_EQ_INT(gort_map_iter_next(&it, &key, NULL), 1);
    for (uint64_t i = 1500; i < 4000; i++)
        CHECK_OK(op_set_str(s, i));
    gort_str victim = str_of("s77");
    fail_nth(0);
    CHECK_STATUS(gort_map_delete(s, &victim), GORT_ENOMEM);
    fail_nth(-1);
    CHECK_EQ_SIZE(gort_map_len(s), 4000);
    CHECK_OK(gort_map_delete(s, &victim));
    gort_map_iter_finish(&it);
    gort_map_release(s);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

TEST(map_create_survives_failure_and_a_failed_presize_drops_the_hint)
{
    uint64_t blocks = live_blocks(NULL);
    gort_map *h = NULL;
    fail_nth(0);
    CHECK_STATUS(gort_map_create(u64_type(), u64_type(), 0, NULL, &h), GORT_ENOMEM);
    fail_nth(-1);
    CHECK_EQ_PTR(h, NULL);
    for (long n = 1; n <= 9; n++) { /* directory, then each of the 8 presized tables */
        fail_nth(n);
        CHECK_OK(gort_map_create(u64_type(), u64_type(), 5000, NULL, &h));
        fail_nth(-1);
        gort_map_stats st = {.struct_size = sizeof st};
        CHECK_OK(gort_map_stats_get(h, &st));
        CHECK_EQ_SIZE(st.capacity, 0);
        gort_map_release(h);
    }
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* Go stores keys and values above 128 bytes in blocks of their own: an insert that cannot
 * get the key's or the value's block inserts nothing. */
enum { BIG = 200 };
typedef struct big {
    uint64_t words[BIG / 8];
} big;

static uint64_t big_hash(const void *value, uint64_t seed, void *ctx)
{
    (void)ctx;
    return mix64(((const big *)value)->words[0] ^ seed);
}

static int big_equal(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    return memcmp(a, b, sizeof(big)) == 0;
}

static gort_type *big_type(void)
{
    gort_type_desc desc = {.struct_size = sizeof desc, .size = sizeof(big),
                           .align = _Alignof(big), .hash = big_hash, .equal = big_equal,
                           .name = "big"};
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    return type;
}

static int op_set_big(gort_map *m, uint64_t i)
{
    big key = {{i, i * 3}}, value = {{i * 2, i}};
    return gort_map_set(m, &key, &value);
}

TEST(map_insert_of_indirect_keys_and_values_survives_every_failure)
{
    uint64_t blocks = live_blocks(NULL);
    gort_type *type = big_type();
    gort_map *m = map_of(type, type);
    long failures = 0;
    for (uint64_t i = 0; i < 300; i++)
        failures += fail_every_step(m, op_set_big, i);
    CHECK_TRUE(failures >= 600); /* at least the key's and the value's block each time */
    CHECK_EQ_SIZE(gort_map_len(m), 300);
    CHECK_TRUE(fail_every_step(m, op_clone, 0) >= 1);
    gort_map_release(m);
    gort_type_release(type);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* Replacing a value that owns memory copies the new one in before releasing the old: a
 * failure leaves the old value in place. (Scratch space for a value this small is on the
 * stack; slice tests fail the heap scratch of large values, the same code.) */
TEST(map_update_of_an_owning_value_survives_every_failure)
{
    uint64_t blocks = live_blocks(NULL);
    gort_map *m = map_of(u64_type(), str_type());
    uint64_t key = 5;
    gort_str old = str_of("the old value"), fresh = str_of("a new value");
    CHECK_OK(gort_map_set(m, &key, &old));
    long failures = 0;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_map_set(m, &key, &fresh), n, &failures))
            break;
        gort_str got = {NULL, 0}; /* borrowed */
        int found = 0;
        CHECK_OK(gort_map_get(m, &key, &got, &found));
        CHECK_TRUE(found && got.len == old.len && memcmp(got.ptr, old.ptr, old.len) == 0);
    }
    CHECK_EQ_INT(failures, 1); /* the copy of the new value's bytes */
    gort_str got = {NULL, 0};
    CHECK_OK(gort_map_get(m, &key, &got, NULL)); /* borrowed: not dropped */
    CHECK_EQ_SIZE(got.len, fresh.len);
    CHECK_EQ_MEM(got.ptr, fresh.ptr, fresh.len);
    gort_map_release(m);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* A directory that changes while an iterator is live is kept for it (Go keeps the old
 * tables reachable). When keeping it fails, the insert fails and the iterator still
 * produces every entry present throughout exactly once. */
TEST(map_growth_under_a_live_iterator_survives_every_failure)
{
    enum { BEFORE = 100, AFTER = 4000 };
    uint64_t blocks = live_blocks(NULL);
    gort_map *m = map_of(u64_type(), u64_type());
    for (uint64_t i = 0; i < BEFORE; i++)
        CHECK_OK(op_set_u64(m, i));
    gort_map_iter it;
    const void *key;
    CHECK_OK(gort_map_iter_init(m, &it));
    unsigned char seen[AFTER] = {0};
    CHECK_EQ_INT(gort_map_iter_next(&it, &key, NULL), 1);
    seen[*(const uint64_t *)key]++;
    long failures = 0;
    for (uint64_t i = BEFORE; i < AFTER; i++)
        failures += fail_every_step(m, op_set_u64, i);
    CHECK_TRUE(failures >= 10);
    while (gort_map_iter_next(&it, &key, NULL) == 1)
        seen[*(const uint64_t *)key]++;
    gort_map_iter_finish(&it);
    for (uint64_t i = 0; i < BEFORE; i++)
        CHECK_EQ_INT(seen[i], 1);
    gort_map_release(m);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* ---- batched map writes: gort_map_set_n, gort_map_delete_n ---------------------------- */

/*
 * gort_map_set_n(m, keys, values, n) with the 1st, 2nd, ... allocation failing until it
 * succeeds. After each GORT_ENOMEM, m holds exactly the entries it held before and each
 * tracked object has its old reference count (the batch retained nothing). The call that
 * succeeds must return how many entries `reference` (a map equal to m) gains from the
 * same pairs set one at a time, and leave m equal to it. Returns the failures.
 */
static long set_n_fails_cleanly(gort_map *m, gort_map *reference, const void *keys,
                                const void *values, size_t n)
{
    map_rows before = rows_of(m);
    int refs_before[TRACKED_OBJECTS];
    memcpy(refs_before, tracked_state.refs, sizeof refs_before);
    long failures = 0;
    int64_t added = 0;
    for (long k = 0;; k++) {
        fail_nth(k);
        added = gort_map_set_n(m, keys, values, n);
        if (attempt_done(added < 0 ? (int)added : GORT_OK, k, &failures))
            break;
        bool held = rows_hold(&before, m);
        for (int i = 0; i < TRACKED_OBJECTS && held; i++)
            held = CHECK_EQ_INT(tracked_state.refs[i], refs_before[i]);
        if (!held) {
            printf("#     after the failure of allocation %ld of the batch\n", k + 1);
            break;
        }
    }
    free(before.bytes);
    size_t key_size = gort_type_size(gort_map_key_type(m));
    size_t value_size = gort_type_size(gort_map_value_type(m));
    size_t len = gort_map_len(reference);
    for (size_t i = 0; i < n; i++)
        CHECK_OK(gort_map_set(reference, (const char *)keys + i * key_size,
                              values ? (const char *)values + i * value_size : NULL));
    CHECK_EQ_INT(added, (int64_t)(gort_map_len(reference) - len));
    map_rows want = rows_of(reference);
    rows_hold(&want, m);
    free(want.bytes);
    return failures;
}

static gort_map_stats map_stats(const gort_map *m)
{
    gort_map_stats st = {.struct_size = sizeof st};
    CHECK_OK(gort_map_stats_get(m, &st));
    return st;
}

/* Plain uint64 pairs: scratch space (hashes, the count of new keys), the small group,
 * the move to a table, grows and splits, and under an iterator the old directory. */
TEST(map_set_n_survives_every_allocation_failure)
{
    enum { BEFORE = 2000, BATCH = 3000 };
    uint64_t blocks = live_blocks(NULL);
    static uint64_t keys[BATCH], values[BATCH];
    for (uint64_t j = 0; j < BATCH; j++) {
        keys[j] = j % 3 ? BEFORE + j : (j * 7) % (BEFORE + j); /* a third overwrite */
        values[j] = j * 3 + 1;
    }
    /* never allocated: a batch that fits the small group needs only the group */
    gort_map *m = map_of(u64_type(), u64_type()), *ref = map_of(u64_type(), u64_type());
    CHECK_EQ_INT(set_n_fails_cleanly(m, ref, keys, values, 6), 1);
    CHECK_EQ_SIZE(map_stats(m).directory_len, 0);
    /* small into a table inside the batch (with repeats: 12 pairs, 10 keys) */
    static const uint64_t small_keys[12] = {0, 1, 2, 3, 3, 1, 100, 101, 102, 103, 104, 105};
    CHECK_TRUE(set_n_fails_cleanly(m, ref, small_keys, values, 12) >= 4);
    CHECK_EQ_SIZE(gort_map_len(m), 6 + 9);
    CHECK_TRUE(map_stats(m).directory_len > 0);
    gort_map_release(m);
    gort_map_release(ref);
    /* 3000 pairs into 2000 entries: grows and splits, in rounds */
    m = map_of(u64_type(), u64_type()), ref = map_of(u64_type(), u64_type());
    for (uint64_t i = 0; i < BEFORE; i++)
        CHECK_OK(gort_map_set(m, &i, &i)), CHECK_OK(gort_map_set(ref, &i, &i));
    size_t tables = map_stats(m).tables;
    CHECK_TRUE(set_n_fails_cleanly(m, ref, keys, values, BATCH) >= 8);
    CHECK_TRUE(gort_map_len(m) >= BEFORE + 2000);
    CHECK_TRUE(map_stats(m).tables > tables);
    /* again under a live iterator: it must still produce every old entry once (every
     * key so far is below BEFORE + BATCH) */
    gort_map_iter it;
    const void *key;
    static unsigned char seen[BEFORE + BATCH];
    static bool old[BEFORE + BATCH];
    memset(seen, 0, sizeof seen);
    size_t old_entries = 0;
    for (uint64_t k = 0; k < BEFORE + BATCH; k++) {
        int found = 0;
        CHECK_OK(gort_map_get(m, &k, NULL, &found));
        old[k] = found, old_entries += (size_t)found;
    }
    CHECK_EQ_SIZE(old_entries, gort_map_len(m));
    CHECK_OK(gort_map_iter_init(m, &it));
    CHECK_EQ_INT(gort_map_iter_next(&it, &key, NULL), 1);
    seen[*(const uint64_t *)key]++;
    for (uint64_t j = 0; j < BATCH; j++)
        keys[j] = j % 2 ? 1000000 + j : j; /* half new: more splits */
    CHECK_TRUE(set_n_fails_cleanly(m, ref, keys, values, BATCH) >= 4);
    while (gort_map_iter_next(&it, &key, NULL) == 1) {
        uint64_t k = *(const uint64_t *)key;
        if (k < BEFORE + BATCH)
            seen[k]++;
    }
    gort_map_iter_finish(&it);
    for (uint64_t k = 0; k < BEFORE + BATCH; k++)
        if (old[k] && seen[k] != 1) /* present throughout: produced exactly once */
            CHECK_EQ_INT(seen[k], 1);
    gort_map_release(m);
    gort_map_release(ref);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* str keys and values: each pair's two strings are copied (staged) before anything
 * changes, so each copy is a failure point; the map also grows. */
TEST(map_set_n_of_str_pairs_survives_every_allocation_failure)
{
    enum { BEFORE = 400, BATCH = 300 };
    uint64_t blocks = live_blocks(NULL);
    gort_map *m = map_of(str_type(), str_type()), *ref = map_of(str_type(), str_type());
    static char key_text[BATCH][24], value_text[BATCH][24];
    static gort_str keys[BATCH], values[BATCH];
    for (int i = 0; i < BEFORE; i++) {
        char k[24], v[24];
        gort_str key = {k, (size_t)snprintf(k, sizeof k, "key %d", i)};
        gort_str value = {v, (size_t)snprintf(v, sizeof v, "old %d", i)};
        CHECK_OK(gort_map_set(m, &key, &value));
        CHECK_OK(gort_map_set(ref, &key, &value));
    }
    for (int j = 0; j < BATCH; j++) {
        int number = j % 3 ? BEFORE + j : (j * 11) % (BEFORE + j); /* overwrites, repeats */
        keys[j] = (gort_str){key_text[j], (size_t)snprintf(key_text[j], 24, "key %d", number)};
        values[j] = (gort_str){value_text[j], (size_t)snprintf(value_text[j], 24, "new %d", j)};
    }
    long failures = set_n_fails_cleanly(m, ref, keys, values, BATCH);
    CHECK_TRUE(failures >= 2 + 2 * BATCH); /* hashes, staging, every string */
    CHECK_TRUE(gort_map_len(m) >= BEFORE + 200);
    gort_map_release(m);
    gort_map_release(ref);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* Keys and values above 128 bytes live in blocks of their own, staged like strings;
 * big's custom equality also makes an overwrite store the newer key. */
TEST(map_set_n_of_indirect_keys_and_values_survives_every_failure)
{
    enum { BEFORE = 300, BATCH = 300 };
    uint64_t blocks = live_blocks(NULL);
    gort_type *type = big_type();
    static big keys[BATCH], values[BATCH];
    for (int indirect_keys = 0; indirect_keys < 2; indirect_keys++) {
        gort_type *key_type = indirect_keys ? type : u64_type();
        size_t key_size = gort_type_size(key_type);
        gort_map *m = map_of(key_type, type), *ref = map_of(key_type, type);
        for (uint64_t i = 0; i < BEFORE; i++) {
            big key = {{i, i * 3}}, value = {{i * 2, i}};
            CHECK_OK(gort_map_set(m, &key, &value));
            CHECK_OK(gort_map_set(ref, &key, &value));
        }
        char *key_bytes = (char *)keys;
        for (uint64_t j = 0; j < BATCH; j++) {
            uint64_t number = j % 2 ? BEFORE + j : (j * 5) % (BEFORE + j);
            big key = {{number, number * 3}};
            memcpy(key_bytes + j * key_size, &key, key_size);
            values[j] = (big){{j, ~j}};
        }
        long failures = set_n_fails_cleanly(m, ref, keys, values, BATCH);
        CHECK_TRUE(failures >= 2 + (1 + indirect_keys) * BATCH);
        CHECK_TRUE(gort_map_len(m) >= BEFORE + BATCH / 2);
        gort_map_release(m);
        gort_map_release(ref);
    }
    gort_type_release(type);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* Hooked keys and values: staging retains each pair; a failure must release exactly
 * those retains (set_n_fails_cleanly compares every object's count). */
TEST(map_set_n_of_hooked_pairs_survives_every_failure_balanced)
{
    enum { BEFORE = 500, BATCH = 700 };
    uint64_t blocks = live_blocks(NULL);
    gort_type *type = tracked_type();
    gort_map *m = map_of(type, type), *ref = map_of(type, type);
    static tracked keys[BATCH], values[BATCH];
    for (uint64_t i = 0; i < BEFORE; i++) {
        tracked key = track((int)(i % 64), i, -1), value = track((int)(i % 7), i, 9);
        CHECK_OK(gort_map_set(m, &key, &value));
        CHECK_OK(gort_map_set(ref, &key, &value));
    }
    for (uint64_t j = 0; j < BATCH; j++) {
        uint64_t tag = j % 2 ? BEFORE + j / 2 : (j * 3) % BEFORE; /* new, repeats, old */
        keys[j] = track((int)(tag % 64), tag, -1);
        values[j] = track((int)(j % 13), j, (int)(j % 5));
    }
    long failures = set_n_fails_cleanly(m, ref, keys, values, BATCH);
    CHECK_TRUE(failures >= 2);
    CHECK_EQ_SIZE(gort_map_len(m), BEFORE + BATCH / 2);
    gort_map_release(m);
    gort_map_release(ref);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* The number in a key "s<number>" (op_set_str's), UINT64_MAX for any other. */
static uint64_t str_number(const void *key)
{
    const gort_str *s = key;
    char text[24] = {0};
    if (s->len < 2 || s->len >= sizeof text || s->ptr[0] != 's')
        return UINT64_MAX;
    memcpy(text, s->ptr + 1, s->len - 1);
    return strtoull(text, NULL, 10);
}

/* A delete of an owning key while an iterator reads a retired table needs a grave per
 * key; delete_n takes them all before deleting anything, so a failure deletes nothing.
 * Without such an iterator it allocates nothing. */
TEST(map_delete_n_under_a_live_iterator_survives_every_failure)
{
    enum { BEFORE = 1500, AFTER = 4000, BATCH = 300 };
    uint64_t blocks = live_blocks(NULL);
    gort_map *m = map_of(str_type(), u64_type());
    for (uint64_t i = 0; i < BEFORE; i++)
        CHECK_OK(op_set_str(m, i));
    gort_map_iter it;
    const void *key;
    static unsigned char seen[AFTER];
    memset(seen, 0, sizeof seen);
    CHECK_OK(gort_map_iter_init(m, &it));
    CHECK_EQ_INT(gort_map_iter_next(&it, &key, NULL), 1);
    uint64_t first = str_number(key);
    if (!CHECK_TRUE(first < BEFORE))
        return;
    seen[first]++;
    for (uint64_t i = BEFORE; i < AFTER; i++) /* retires the tables the iterator reads */
        CHECK_OK(op_set_str(m, i));
    /* 250 present keys (multiples of 6, not `first`), 30 absent ones, 20 repeats */
    static char texts[BATCH][24];
    static gort_str keys[BATCH];
    static bool doomed[AFTER];
    size_t n = 0;
    int64_t present = 0;
    for (uint64_t i = 0; present < 250; i += 6) {
        if (i == first)
            continue;
        int len = snprintf(texts[n], 24, "s%llu", (unsigned long long)i);
        keys[n] = (gort_str){texts[n], (size_t)len};
        doomed[i] = true, present++, n++;
    }
    for (uint64_t i = 0; i < 30; i++) {
        int len = snprintf(texts[n], 24, "absent %llu", (unsigned long long)i);
        keys[n] = (gort_str){texts[n], (size_t)len};
        n++;
    }
    for (uint64_t i = 0; i < 20; i++, n++)
        keys[n] = keys[i * 7];
    map_rows before = rows_of(m);
    uint64_t with_entries = live_blocks(NULL);
    long failures = 0;
    int64_t deleted = 0;
    for (long k = 0;; k++) {
        fail_nth(k);
        deleted = gort_map_delete_n(m, keys, n);
        if (attempt_done(deleted < 0 ? (int)deleted : GORT_OK, k, &failures))
            break;
        if (!rows_hold(&before, m) || !CHECK_EQ_U64(live_blocks(NULL), with_entries))
            break;
    }
    free(before.bytes);
    CHECK_EQ_INT(failures, BATCH); /* a grave per key, taken one by one */
    CHECK_EQ_INT(deleted, present);
    CHECK_EQ_SIZE(gort_map_len(m), AFTER - 250);
    while (gort_map_iter_next(&it, &key, NULL) == 1) {
        uint64_t k = str_number(key);
        if (CHECK_TRUE(k < AFTER))
            seen[k]++;
    }
    gort_map_iter_finish(&it);
    for (uint64_t k = 0; k < BEFORE; k++) {
        int want = doomed[k] ? 0 : 1; /* deleted before they were reached, or once */
        if (seen[k] != want)
            CHECK_EQ_INT(seen[k], want);
    }
    /* no iterator: no grave, no allocation at all */
    for (size_t i = 0; i < 250; i++) /* put the deleted keys back */
        CHECK_OK(gort_map_set(m, &keys[i], &(uint64_t){0}));
    fail_nth(0);
    CHECK_EQ_INT(gort_map_delete_n(m, keys, n), present);
    CHECK_EQ_INT(gort__alloc_fail_after(-1), 0);
    gort_map_release(m);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* ---- channels --------------------------------------------------------------------------- */

static gort_chan *chan_of(gort_type *type, int64_t cap)
{
    gort_chan *c = NULL;
    CHECK_OK(gort_chan_create(type, cap, NULL, &c));
    return c;
}

/* Creates a channel with the (n+1)-th allocation failing for n = 0, 1, ... until it
 * succeeds: every failure is ENOMEM, leaves *out untouched and frees what it took; the
 * channel finally made works, and its release (and the descriptor's) returns the heap to
 * where it was. Returns the number of failures. */
static long check_chan_create_fails_cleanly(gort_type *type, int64_t cap, gort_heap *heap)
{
    uint64_t blocks = live_blocks(heap), default_blocks = live_blocks(NULL);
    gort_chan *sentinel = (gort_chan *)&sentinel, *c = sentinel;
    long failures = 0;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_chan_create(type, cap, heap, &c), n, &failures))
            break;
        CHECK_EQ_PTR(c, sentinel);
        CHECK_EQ_U64(live_blocks(heap), blocks);
        CHECK_EQ_U64(live_blocks(NULL), default_blocks);
    }
    if (!CHECK_TRUE(c != sentinel))
        return failures;
    CHECK_EQ_SIZE(gort_chan_cap(c), (size_t)cap);
    CHECK_EQ_PTR(gort_chan_elem_type(c), type);
    if (cap > 0) {
        _Alignas(16) unsigned char value[64] = {0};
        CHECK_OK(gort_chan_try_send(c, value));
        CHECK_EQ_SIZE(gort_chan_len(c), 1);
        CHECK_OK(gort_chan_try_recv(c, value, NULL));
        gort_value_drop(type, value);
    }
    gort_chan_release(c);
    CHECK_EQ_U64(live_blocks(heap), blocks);
    CHECK_EQ_U64(live_blocks(NULL), default_blocks);
    return failures;
}

/* chan.h: a pointer-free element type gets its buffer inside the channel's own
 * allocation, a zero-size type allocates no buffer, so those channels take exactly one
 * allocation; types with pointers (hooks, str) at least one. */
TEST(chan_create_survives_every_allocation_failure)
{
    uint64_t blocks = live_blocks(NULL);
    CHECK_EQ_INT(check_chan_create_fails_cleanly(i64_type(), 0, NULL), 1);
    CHECK_EQ_INT(check_chan_create_fails_cleanly(i64_type(), 1, NULL), 1);
    CHECK_EQ_INT(check_chan_create_fails_cleanly(i64_type(), 1000, NULL), 1);
    CHECK_EQ_INT(check_chan_create_fails_cleanly(gort_type_builtin(GORT_KIND_U8), 100000, NULL),
                 1);
    CHECK_TRUE(check_chan_create_fails_cleanly(str_type(), 5, NULL) >= 1);
    CHECK_TRUE(check_chan_create_fails_cleanly(str_type(), 0, NULL) >= 1);

    gort_type_desc empty = {.struct_size = sizeof empty, .size = 0, .align = 1};
    gort_type *zero_size = NULL;
    CHECK_OK(gort_type_create(&empty, &zero_size));
    CHECK_EQ_INT(check_chan_create_fails_cleanly(zero_size, 3, NULL), 1);
    gort_type_release(zero_size);

    gort_type *type = tracked_type(); /* retained by the channel only on success */
    CHECK_TRUE(check_chan_create_fails_cleanly(type, 10, NULL) >= 1);
    CHECK_TRUE(check_chan_create_fails_cleanly(type, 0, NULL) >= 1);
    gort_heap *heap = NULL;
    CHECK_OK(gort_heap_create(&heap));
    uint64_t heap_blocks = live_blocks(heap);
    CHECK_TRUE(check_chan_create_fails_cleanly(type, 10, heap) >= 1);
    CHECK_EQ_INT(check_chan_create_fails_cleanly(i64_type(), 64, heap), 1);
    CHECK_EQ_U64(live_blocks(heap), heap_blocks);
    CHECK_OK(gort_heap_destroy(heap, 0));
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type); /* the last reference: frees the descriptor */
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* A str send copies the bytes first; when that fails the send is ENOMEM, nothing is
 * buffered or leaked, and the channel still works. Plain, non-blocking, timed and select
 * sends alike. */
TEST(str_send_survives_allocation_failure)
{
    uint64_t blocks = live_blocks(NULL);
    gort_chan *c = chan_of(str_type(), 4), *never = chan_of(str_type(), 0);
    uint64_t with_chans = live_blocks(NULL);
    gort_str v = {"needs a copy", 12};
    for (int how = 0; how < 4; how++) {
        long failures = 0;
        for (long n = 0;; n++) {
            fail_nth(n);
            gort_select_case cases[2] = {{never, GORT_SELECT_SEND, 0, &v},
                                         {c, GORT_SELECT_SEND, 0, &v}};
            size_t chosen = 99;
            int status = how == 0   ? gort_chan_send(c, &v)
                         : how == 1 ? gort_chan_try_send(c, &v)
                         : how == 2 ? gort_chan_send_timeout(c, &v, 1000000)
                                    : gort_select(cases, 2, -1, &chosen, NULL);
            if (attempt_done(status, n, &failures))
                break;
            CHECK_EQ_SIZE(gort_chan_len(c), (size_t)how);
            CHECK_EQ_U64(live_blocks(NULL), with_chans + (uint64_t)how);
        }
        if (how < 3)
            CHECK_EQ_INT(failures, 1);
        else /* a select may copy the string of every send case before choosing */
            CHECK_TRUE(failures >= 1 && failures <= 2);
        CHECK_EQ_SIZE(gort_chan_len(c), (size_t)how + 1);
    }
    for (int i = 0; i < 4; i++) {
        gort_str got = {NULL, 0};
        CHECK_OK(gort_chan_recv(c, &got, NULL));
        CHECK_EQ_SIZE(got.len, 12);
        CHECK_EQ_MEM(got.ptr, "needs a copy", 12);
        gort_value_drop(str_type(), &got);
    }
    gort_chan_release(c);
    gort_chan_release(never);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* A select of more than 32 cases takes scratch space from the heap; when that fails it
 * returns ENOMEM having committed nothing (the ready value is still buffered). */
TEST(select_of_many_cases_survives_allocation_failure)
{
    enum { N = 40 };
    uint64_t blocks = live_blocks(NULL);
    gort_chan *chans[N];
    gort_select_case cases[N];
    int64_t out = -1;
    for (int i = 0; i < N; i++) {
        chans[i] = chan_of(i64_type(), 1);
        cases[i] = (gort_select_case){chans[i], GORT_SELECT_RECV, 0, &out};
    }
    uint64_t with_chans = live_blocks(NULL);
    int64_t v = 31;
    CHECK_OK(gort_chan_send(chans[17], &v));
    long failures = 0;
    size_t chosen = 99;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_select(cases, N, -1, &chosen, NULL), n, &failures))
            break;
        CHECK_EQ_INT(out, -1);
        CHECK_EQ_SIZE(gort_chan_len(chans[17]), 1);
        CHECK_EQ_U64(live_blocks(NULL), with_chans);
    }
    CHECK_TRUE(failures >= 1);
    CHECK_EQ_SIZE(chosen, 17);
    CHECK_EQ_INT(out, 31);
    CHECK_EQ_SIZE(gort_chan_len(chans[17]), 0);
    CHECK_EQ_U64(live_blocks(NULL), with_chans);
    for (int i = 0; i < N; i++)
        gort_chan_release(chans[i]);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}


/* A receive that discards (out == NULL) a value owning references must drop it outside
 * the channel's lock, so an element too big for the stack gets a heap buffer; when that
 * fails, nothing is received and the value stays buffered. */
TEST(discarding_receive_of_a_large_owning_value_survives_failure)
{
    enum { SIZE = 2048 };
    uint64_t blocks = live_blocks(NULL);
    memset(&tracked_state, 0, sizeof tracked_state);
    gort_type_desc desc = tracked_desc(tracked_retain, tracked_release, &tracked_state, "big");
    desc.size = SIZE;
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    gort_chan *c = chan_of(type, 2);
    _Alignas(16) unsigned char value[SIZE] = {0};
    tracked head = track(3, 7, 4);
    memcpy(value, &head, sizeof head);
    CHECK_OK(gort_chan_send(c, value));
    CHECK_EQ_INT(refs(3), 1);
    uint64_t with_value = live_blocks(NULL);
    long failures = 0;
    for (long n = 0;; n++) {
        fail_nth(n);
        if (attempt_done(gort_chan_try_recv(c, NULL, NULL), n, &failures))
            break;
        CHECK_EQ_SIZE(gort_chan_len(c), 1);
        CHECK_EQ_INT(refs(3), 1);
        CHECK_EQ_U64(live_blocks(NULL), with_value);
    }
    CHECK_EQ_INT(failures, 1);
    CHECK_EQ_SIZE(gort_chan_len(c), 0);
    CHECK_EQ_INT(refs(3), 0);
    gort_chan_release(c);
    gort_type_release(type);
    CHECK_TRUE(tracked_balanced());
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* ---- every allocation site ------------------------------------------------------------ */

/*
 * The tests above must make every allocation call in src/ fail at least once, so that no
 * error path is left unexercised. The shim records the call sites (file:line) where
 * injection fired; this scans the sources for the calls and compares. GCC names a call
 * spanning lines by its first line, clang by its last: either matches.
 */
static const char *source_dir; /* argv[1]: the src/ directory */

typedef struct alloc_call {
    char file[64]; /* relative to src/, e.g. "map/map.c" */
    int first_line, last_line;
} alloc_call;

enum { MAX_CALLS = 128 };
static alloc_call calls[MAX_CALLS];
static size_t n_calls;

static bool is_alloc_call(const char *line)
{
    while (*line == ' ')
        line++;
    if (*line == '#' || *line == '*' || strncmp(line, "/*", 2) == 0)
        return false; /* the macros themselves, comments */
    return strstr(line, "gort__alloc(") || strstr(line, "gort__alloc_zeroed(") ||
           strstr(line, "gort__realloc(");
}

/* Records the calls in one file; a call ends on the line where its parentheses close. */
static void scan_file(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s%s", source_dir, dir, name);
    FILE *f = fopen(path, "r");
    if (!CHECK_TRUE(f != NULL))
        return;
    char line[512];
    int number = 0, depth = 0;
    alloc_call *open_call = NULL;
    while (fgets(line, sizeof line, f)) {
        number++;
        if (!open_call && is_alloc_call(line) && CHECK_TRUE(n_calls < MAX_CALLS)) {
            open_call = &calls[n_calls++];
            snprintf(open_call->file, sizeof open_call->file, "%s%s", dir, name);
            open_call->first_line = number;
            depth = 0;
            const char *at = strstr(line, "gort__");
            memmove(line, at, strlen(at) + 1); /* count parentheses from the call on */
        }
        for (const char *p = line; open_call && *p; p++)
            depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
        if (open_call && depth <= 0) {
            open_call->last_line = number;
            open_call = NULL;
        }
    }
    fclose(f);
}

/* Scans every .c file under src/dir, subdirectories included (dir is "" or "x/"). */
static void scan_dir(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", source_dir, dir);
    DIR *d = opendir(path);
    if (!CHECK_TRUE(d != NULL))
        return;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (e->d_type == DT_DIR && e->d_name[0] != '.') {
            char sub[512];
            int n = snprintf(sub, sizeof sub, "%s%s/", dir, e->d_name);
            if (CHECK_TRUE(n > 0 && (size_t)n < sizeof sub))
                scan_dir(sub);
        } else if (len > 2 && strcmp(e->d_name + len - 2, ".c") == 0) {
            scan_file(dir, e->d_name);
        }
    }
    closedir(d);
}

/* True when the shim recorded a failure at this call ("../src/map/map.c:251"). */
static bool call_failed(const alloc_call *call, const char **sites, size_t n_sites)
{
    for (size_t i = 0; i < n_sites; i++) {
        const char *src = strstr(sites[i], "src/");
        const char *colon = strrchr(sites[i], ':');
        if (!src || !colon)
            continue;
        src += 4;
        int line = atoi(colon + 1);
        if ((size_t)(colon - src) == strlen(call->file) &&
            strncmp(src, call->file, strlen(call->file)) == 0 &&
            (line == call->first_line || line == call->last_line))
            return true;
    }
    return false;
}

TEST(every_allocation_site_in_the_library_has_failed)
{
    if (!CHECK_TRUE(source_dir != NULL))
        return;
    scan_dir("");
    const char *sites[MAX_CALLS];
    size_t n_sites = gort__alloc_failed_sites(sites, MAX_CALLS);
    size_t failed = 0;
    for (size_t i = 0; i < n_calls; i++) {
        if (call_failed(&calls[i], sites, n_sites))
            failed++;
        else
            printf("# never failed: src/%s:%d\n", calls[i].file, calls[i].first_line);
    }
    printf("# allocation sites in src/: %zu, each failed by injection: %zu; injected failures: %ld\n",
           n_calls, failed, injected_failures);
    CHECK_TRUE(n_calls >= 20);
    CHECK_EQ_SIZE(failed, n_calls);
}

int main(int argc, char **argv)
{
    static const harness_test tests[] = {
        TEST_ENTRY(type_create_survives_every_allocation_failure),
        TEST_ENTRY(heap_create_survives_allocation_failure),
        TEST_ENTRY(slice_make_survives_every_allocation_failure),
        TEST_ENTRY(slice_nil_survives_allocation_failure),
        TEST_ENTRY(append_growth_of_exclusive_store_survives_failure),
        TEST_ENTRY(append_n_growth_of_shared_store_survives_failure),
        TEST_ENTRY(append_growth_of_offset_view_survives_failure),
        TEST_ENTRY(append_n_growth_of_str_slice_survives_failure),
        TEST_ENTRY(append_n_in_place_str_survives_failure),
        TEST_ENTRY(append_slice_with_hooks_survives_failure_balanced),
        TEST_ENTRY(append_slice_of_str_survives_failure),
        TEST_ENTRY(sub_and_sub3_survive_allocation_failure),
        TEST_ENTRY(clone_survives_every_allocation_failure),
        TEST_ENTRY(grow_survives_every_allocation_failure),
        TEST_ENTRY(set_on_str_slice_survives_failure),
        TEST_ENTRY(copy_on_str_slice_survives_failure),
        TEST_ENTRY(chan_create_survives_every_allocation_failure),
        TEST_ENTRY(str_send_survives_allocation_failure),
        TEST_ENTRY(select_of_many_cases_survives_allocation_failure),
        TEST_ENTRY(discarding_receive_of_a_large_owning_value_survives_failure),
        TEST_ENTRY(map_insert_grow_split_clone_shrink_survive_every_failure),
        TEST_ENTRY(map_create_survives_failure_and_a_failed_presize_drops_the_hint),
        TEST_ENTRY(map_insert_of_indirect_keys_and_values_survives_every_failure),
        TEST_ENTRY(map_update_of_an_owning_value_survives_every_failure),
        TEST_ENTRY(map_growth_under_a_live_iterator_survives_every_failure),
        TEST_ENTRY(map_set_n_survives_every_allocation_failure),
        TEST_ENTRY(map_set_n_of_str_pairs_survives_every_allocation_failure),
        TEST_ENTRY(map_set_n_of_indirect_keys_and_values_survives_every_failure),
        TEST_ENTRY(map_set_n_of_hooked_pairs_survives_every_failure_balanced),
        TEST_ENTRY(map_delete_n_under_a_live_iterator_survives_every_failure),
        TEST_ENTRY(every_allocation_site_in_the_library_has_failed), /* last */
    };
    source_dir = argc > 1 ? argv[1] : NULL;
    return harness_run(tests, HARNESS_COUNT(tests));
}

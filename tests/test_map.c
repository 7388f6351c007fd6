/*
 * Map conformance tests: Go's behaviours (research note §5, items 14-43) with Go's
 * numbers, libgort's additions (shrink, stats, iter_delete, abort hook, batched lookup,
 * batched writes), ownership (strings, hooks, indirect blocks), bad input and allocation
 * failure at every step.
 * The randomized differential test against a reference model is test_map_model.c.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "fixtures.h"

static gort_map *new_u64_map(size_t hint)
{
    gort_map *m = NULL;
    CHECK_OK(gort_map_create(u64_type(), u64_type(), hint, NULL, &m));
    return m;
}

static gort_map_stats stats_of(const gort_map *m)
{
    gort_map_stats st = {.struct_size = sizeof st};
    CHECK_OK(gort_map_stats_get(m, &st));
    return st;
}

static void put(gort_map *m, uint64_t k, uint64_t v)
{
    CHECK_OK(gort_map_set(m, &k, &v));
}

/* The value for k, or UINT64_MAX when absent. */
static uint64_t lookup(const gort_map *m, uint64_t k)
{
    uint64_t v = 0;
    int found = -1;
    CHECK_OK(gort_map_get(m, &k, &v, &found));
    return found ? v : UINT64_MAX;
}

static void put_range(gort_map *m, uint64_t lo, uint64_t hi)
{
    for (uint64_t k = lo; k < hi; k++)
        put(m, k, k * 10);
}

/* ---- small maps, growth thresholds and hints (items 14-17) ----------------------- */

TEST(small_map_has_no_table_and_allocates_lazily)
{
    gort_map *m = new_u64_map(0);
    gort_map_stats st = stats_of(m);
    CHECK_EQ_SIZE(st.capacity, 0); /* hint <= 8 allocates nothing until the first put */
    size_t header = st.bytes;
    for (uint64_t k = 0; k < 8; k++) {
        put(m, k, k);
        st = stats_of(m);
        CHECK_EQ_SIZE(st.tables, 0);
        CHECK_EQ_SIZE(st.directory_len, 0);
        CHECK_EQ_SIZE(st.capacity, 8); /* all 8 slots usable: no probe sequence */
    }
    CHECK_TRUE(stats_of(m).bytes > header);
    put(m, 8, 8);
    st = stats_of(m);
    CHECK_EQ_SIZE(st.tables, 1);
    CHECK_EQ_SIZE(st.capacity, 16);
    CHECK_EQ_SIZE(st.directory_len, 1);
    gort_map_release(m);
}

TEST(growth_thresholds_match_go)
{
    /* TestTableGroupCount: inserts -> capacity of the single table */
    static const struct {
        uint64_t inserts;
        size_t capacity;
    } steps[] = {{9, 16}, {15, 32}, {29, 64}, {57, 128}, {113, 256}, {225, 512}, {449, 1024}};
    gort_map *m = new_u64_map(0);
    uint64_t done = 0;
    size_t previous = 8;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        put_range(m, done, steps[i].inserts - 1);
        CHECK_EQ_SIZE(stats_of(m).capacity, previous);
        put_range(m, steps[i].inserts - 1, steps[i].inserts);
        gort_map_stats st = stats_of(m);
        CHECK_EQ_SIZE(st.capacity, steps[i].capacity);
        CHECK_EQ_SIZE(st.tables, 1);
        done = steps[i].inserts;
        previous = steps[i].capacity;
    }
    gort_map_release(m);
}

TEST(the_897th_insert_splits_the_table)
{
    gort_map *m = new_u64_map(0);
    put_range(m, 0, 896);
    gort_map_stats st = stats_of(m);
    CHECK_EQ_SIZE(st.tables, 1);
    CHECK_EQ_SIZE(st.capacity, 1024);
    CHECK_EQ_SIZE(st.growth_left, 0);
    put_range(m, 896, 897);
    st = stats_of(m);
    CHECK_EQ_SIZE(st.tables, 2);
    CHECK_EQ_SIZE(st.global_depth, 1);
    CHECK_EQ_SIZE(st.directory_len, 2);
    /* libgort's halves are sized to their ~448 entries plus headroom, not Go's 2 x 1024 */
    CHECK_TRUE(st.capacity >= 2 * 560 && st.capacity < 2048);
    for (uint64_t k = 0; k < 897; k++)
        CHECK_EQ_U64(lookup(m, k), k * 10);
    gort_map_release(m);
}

TEST(hints_presize_like_go)
{
    static const struct {
        size_t hint, tables, capacity_each;
    } cases[] = {{9, 1, 16},      {14, 1, 16},      {15, 1, 32},    {100, 1, 128},
                 {448, 1, 512},   {449, 1, 1024},   {896, 1, 1024}, {897, 2, 512},
                 {1000, 2, 1024}, {5000, 8, 1024}, {100000, 128, 1024}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gort_map *m = new_u64_map(cases[i].hint);
        gort_map_stats st = stats_of(m);
        CHECK_EQ_SIZE(st.tables, cases[i].tables);
        CHECK_EQ_SIZE(st.capacity, cases[i].tables * cases[i].capacity_each);
        gort_map_release(m);
    }
    gort_map *m = new_u64_map(8);
    CHECK_EQ_SIZE(stats_of(m).capacity, 0);
    gort_map_release(m);
}

TEST(presized_map_does_not_grow_for_hint_entries)
{
    gort_map *m = new_u64_map(1000);
    size_t capacity = stats_of(m).capacity;
    put_range(m, 0, 1000);
    CHECK_EQ_SIZE(stats_of(m).capacity, capacity);
    gort_map_release(m);
}

TEST(bogus_hints_are_ignored)
{
    /* TestIgnoreBogusMapHint: -1 and 1<<62; also more than this machine's memory */
    size_t hints[] = {(size_t)-1, (size_t)1 << 62, (size_t)1 << 44, GORT_MAX_ALLOC};
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
        gort_map *m = new_u64_map(hints[i]);
        CHECK_EQ_SIZE(stats_of(m).capacity, 0);
        put_range(m, 0, 100);
        CHECK_EQ_U64(lookup(m, 99), 990);
        gort_map_release(m);
    }
}

TEST(put_and_get_31_keys_through_growth)
{
    gort_map *m = new_u64_map(0);
    for (uint64_t k = 0; k < 31; k++) {
        put(m, k, k * 10);
        for (uint64_t j = 0; j <= k; j++)
            CHECK_EQ_U64(lookup(m, j), j * 10);
    }
    CHECK_EQ_SIZE(gort_map_len(m), 31);
    gort_map_release(m);
}

TEST(keys_survive_many_splits)
{
    gort_map *m = new_u64_map(0);
    put_range(m, 0, 200000);
    gort_map_stats st = stats_of(m);
    CHECK_TRUE(st.tables > 128);
    CHECK_EQ_SIZE(st.directory_len, (size_t)1 << st.global_depth);
    CHECK_TRUE(st.avg_probe >= 1.0 && st.avg_probe < 1.5);
    for (uint64_t k = 0; k < 200000; k++)
        if (lookup(m, k) != k * 10)
            CHECK_EQ_U64(lookup(m, k), k * 10);
    CHECK_EQ_U64(lookup(m, 200000), UINT64_MAX);
    gort_map_release(m);
}

TEST(overwrite_keeps_len_and_replaces_value)
{
    gort_map *m = new_u64_map(0);
    put_range(m, 0, 100);
    put(m, 42, 7);
    CHECK_EQ_SIZE(gort_map_len(m), 100);
    CHECK_EQ_U64(lookup(m, 42), 7);
    uint64_t k = 43;
    CHECK_OK(gort_map_set(m, &k, NULL)); /* NULL value: the zero value */
    CHECK_EQ_U64(lookup(m, 43), 0);
    gort_map_release(m);
}

/* ---- delete, tombstones, clear (items 18, 19, 23, 24, 36) ------------------------ */

TEST(deleting_every_key_empties_the_map)
{
    gort_map *m = new_u64_map(0);
    put_range(m, 0, 5000);
    for (uint64_t k = 0; k < 5000; k++)
        CHECK_OK(gort_map_delete(m, &k));
    CHECK_EQ_SIZE(gort_map_len(m), 0);
    for (uint64_t k = 0; k < 5000; k++)
        if (lookup(m, k) != UINT64_MAX)
            CHECK_EQ_U64(lookup(m, k), UINT64_MAX);
    uint64_t absent = 1u << 20;
    CHECK_OK(gort_map_delete(m, &absent)); /* a missing key is a no-op */
    gort_map_release(m);
}

TEST(reinserting_a_deleted_key_reuses_its_tombstone)
{
    gort_map *m = new_u64_map(100); /* one table of 128 slots */
    put_range(m, 0, 112);           /* growth_left reaches 0 */
    gort_map_stats before = stats_of(m);
    CHECK_EQ_SIZE(before.growth_left, 0);
    for (uint64_t k = 0; k < 112; k++) {
        CHECK_OK(gort_map_delete(m, &k));
        gort_map_stats st = stats_of(m);
        if (st.tombstones == 0) {
            put(m, k, k * 10); /* an empty slot: reinsert and try the next key */
            continue;
        }
        CHECK_EQ_SIZE(st.tombstones, 1);
        put(m, k, 5);
        gort_map_stats after = stats_of(m);
        CHECK_EQ_SIZE(after.tombstones, 0);
        CHECK_EQ_SIZE(after.growth_left, 0);
        CHECK_EQ_SIZE(after.capacity, before.capacity); /* not replaced */
        CHECK_EQ_U64(lookup(m, k), 5);
        gort_map_release(m);
        return;
    }
    CHECK_TRUE(!"no delete made a tombstone in a full table");
    gort_map_release(m);
}

TEST(constant_size_churn_does_not_keep_growing)
{
    /* TestTombstoneGrow / issue 70886: delete one, insert one, 100000 times */
    static const size_t sizes[] = {16, 32, 64, 128, 256};
    static const double loads[] = {0.25, 0.5, 0.875};
    for (size_t s = 0; s < 5; s++) {
        for (size_t l = 0; l < 3; l++) {
            size_t n = (size_t)((double)sizes[s] * loads[l]);
            n = n >= sizes[s] * 7 / 8 ? sizes[s] * 7 / 8 : n;
            gort_map *m = new_u64_map(sizes[s] * 7 / 8);
            put_range(m, 0, n);
            alloc_count_begin();
            for (uint64_t i = 0; i < 100000; i++) {
                uint64_t old = i, fresh = i + n;
                CHECK_OK(gort_map_delete(m, &old));
                put(m, fresh, i);
            }
            long allocs = alloc_count_end();
            CHECK_TRUE(allocs <= (l == 2 ? 8 : 6));
            CHECK_EQ_SIZE(gort_map_len(m), n);
            gort_map_release(m);
        }
    }
}

TEST(deleted_value_reads_as_zero_when_the_slot_is_reused)
{
    /* TestIncrementAfterDelete: a reused slot never shows the old value */
    gort_map *m = new_u64_map(0);
    put(m, 1, 77);
    uint64_t k1 = 1, k2 = 2;
    CHECK_OK(gort_map_delete(m, &k1));
    CHECK_OK(gort_map_set(m, &k2, NULL));
    CHECK_EQ_U64(lookup(m, 2), 0);
    gort_map_release(m);
}

TEST(clear_empties_keeps_tables_and_removes_nans)
{
    gort_map *m = NULL;
    gort_type *f64 = gort_type_builtin(GORT_KIND_F64);
    CHECK_OK(gort_map_create(f64, u64_type(), 0, NULL, &m));
    for (int i = 0; i < 100; i++) {
        double k = i == 50 ? NAN : i;
        uint64_t v = (uint64_t)i;
        CHECK_OK(gort_map_set(m, &k, &v));
    }
    size_t capacity = stats_of(m).capacity;
    CHECK_OK(gort_map_clear(m));
    gort_map_stats st = stats_of(m);
    CHECK_EQ_SIZE(gort_map_len(m), 0);
    CHECK_EQ_SIZE(st.capacity, capacity);
    CHECK_EQ_SIZE(st.tombstones, 0);
    double k = 3;
    int found = 1;
    CHECK_OK(gort_map_get(m, &k, NULL, &found));
    CHECK_EQ_INT(found, 0);
    gort_map_release(m);
}

/* ---- float keys (items 20-22, 29) ------------------------------------------------ */

static gort_map *new_f64_map(void)
{
    gort_map *m = NULL;
    CHECK_OK(gort_map_create(gort_type_builtin(GORT_KIND_F64), u64_type(), 0, NULL, &m));
    return m;
}

static void put_f(gort_map *m, double k, uint64_t v)
{
    CHECK_OK(gort_map_set(m, &k, &v));
}

/* The only key of a one-entry map, via iteration. */
static double only_key(gort_map *m)
{
    gort_map_iter it;
    const void *key = NULL;
    CHECK_OK(gort_map_iter_init(m, &it));
    CHECK_EQ_INT(gort_map_iter_next(&it, &key, NULL), 1);
    double k = key ? *(const double *)key : 0;
    CHECK_EQ_INT(gort_map_iter_next(&it, &key, NULL), 0);
    return k;
}

TEST(negative_zero_overwrites_positive_zero_and_is_stored)
{
    gort_map *m = new_f64_map();
    put_f(m, 0.0, 1);
    put_f(m, -0.0, 2);
    CHECK_EQ_SIZE(gort_map_len(m), 1);
    CHECK_TRUE(signbit(only_key(m)));
    put_f(m, 0.0, 3);
    CHECK_TRUE(!signbit(only_key(m)));
    double k = -0.0;
    uint64_t v;
    CHECK_OK(gort_map_get(m, &k, &v, NULL));
    CHECK_EQ_U64(v, 3);
    /* through growth too (TestTableKeyUpdate) */
    for (int i = 1; i < 2000; i++)
        put_f(m, i, (uint64_t)i);
    put_f(m, -0.0, 4);
    CHECK_EQ_SIZE(gort_map_len(m), 2000);
    gort_map_release(m);
}

TEST(every_nan_insert_adds_an_entry_lookups_miss)
{
    gort_map *m = new_f64_map();
    for (uint64_t i = 0; i < 3; i++)
        put_f(m, NAN, 1u << i);
    CHECK_EQ_SIZE(gort_map_len(m), 3);
    double nan = NAN;
    int found = 1;
    CHECK_OK(gort_map_get(m, &nan, NULL, &found));
    CHECK_EQ_INT(found, 0);
    CHECK_OK(gort_map_delete(m, &nan)); /* a no-op */
    CHECK_EQ_SIZE(gort_map_len(m), 3);
    gort_map_iter it;
    const void *key;
    void *value;
    uint64_t sum = 0;
    int n = 0;
    CHECK_OK(gort_map_iter_init(m, &it));
    while (gort_map_iter_next(&it, &key, &value) == 1) {
        CHECK_TRUE(isnan(*(const double *)key));
        sum += *(uint64_t *)value, n++;
    }
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_U64(sum, 7);
    /* maplinear: many NaNs stay cheap (each a fresh random hash) */
    for (int i = 0; i < 30000; i++)
        put_f(m, NAN, 0);
    CHECK_EQ_SIZE(gort_map_len(m), 30003);
    gort_map_release(m);
}

TEST(nan_entries_survive_growth_during_iteration)
{
    /* TestGrowWithNaN: each NaN produced once, with its value, across growth */
    for (int round = 0; round < 50; round++) {
        gort_map *m = new_f64_map();
        put_f(m, NAN, 1), put_f(m, NAN, 2), put_f(m, NAN, 4);
        gort_map_iter it;
        const void *key;
        void *value;
        uint64_t nan_sum = 0;
        int nans = 0, produced = 0;
        CHECK_OK(gort_map_iter_init(m, &it));
        while (gort_map_iter_next(&it, &key, &value) == 1) {
            if (produced++ == 0)
                for (int i = 0; i < 2000; i++)
                    put_f(m, 100 + i, 0);
            if (isnan(*(const double *)key))
                nan_sum += *(uint64_t *)value, nans++;
        }
        CHECK_EQ_INT(nans, 3);
        CHECK_EQ_U64(nan_sum, 7);
        gort_map_release(m);
    }
}

TEST(update_after_growth_mid_iteration_yields_new_key_and_value)
{
    /* TestGrowWithNegativeZero */
    for (int round = 0; round < 50; round++) {
        gort_map *m = new_f64_map();
        for (int i = 0; i < 8; i++)
            put_f(m, i, (uint64_t)i); /* +0 is key 0 */
        gort_map_iter it;
        const void *key;
        void *value;
        int produced = 0, later_zeros = 0;
        bool zero_first = false;
        CHECK_OK(gort_map_iter_init(m, &it));
        while (gort_map_iter_next(&it, &key, &value) == 1) {
            double k = *(const double *)key;
            if (produced++ == 0) {
                zero_first = k == 0;
                for (int i = 0; i < 3000; i++)
                    put_f(m, 1000 + i, 0); /* small -> table -> split */
                put_f(m, -0.0, 99);
                continue;
            }
            if (k == 0) {
                later_zeros++;
                CHECK_TRUE(signbit(k));
                CHECK_EQ_U64(*(uint64_t *)value, 99);
            }
        }
        /* present from the start and never deleted: produced exactly once */
        CHECK_EQ_INT(later_zeros, zero_first ? 0 : 1);
        gort_map_release(m);
    }
}

/* ---- iteration (items 25-33) ------------------------------------------------------ */

/* Iterates m fully, counting how often each key below `limit` is produced. */
static void count_all(gort_map *m, uint8_t *seen, uint64_t limit)
{
    gort_map_iter it;
    const void *key;
    void *value;
    memset(seen, 0, limit);
    CHECK_OK(gort_map_iter_init(m, &it));
    while (gort_map_iter_next(&it, &key, &value) == 1) {
        uint64_t k = *(const uint64_t *)key;
        CHECK_TRUE(k < limit);
        if (k < limit && seen[k] < 255)
            seen[k]++;
        CHECK_EQ_U64(*(uint64_t *)value, k * 10);
    }
}

TEST(iteration_yields_every_entry_exactly_once)
{
    static const uint64_t sizes[] = {0, 1, 7, 8, 9, 100, 897, 5000, 40000};
    uint8_t *seen = malloc(40000);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        gort_map *m = new_u64_map(0);
        put_range(m, 0, sizes[s]);
        count_all(m, seen, 40000);
        for (uint64_t k = 0; k < 40000; k++)
            if (seen[k] != (k < sizes[s]))
                CHECK_EQ_INT(seen[k], k < sizes[s]);
        gort_map_release(m);
    }
    free(seen);
}

TEST(sparse_map_iterates_each_survivor_once)
{
    /* TestMapIterDuplicate: 1000 inserted, 980 deleted, 1000 runs */
    gort_map *m = new_u64_map(0);
    put_range(m, 0, 1000);
    for (uint64_t k = 20; k < 1000; k++)
        CHECK_OK(gort_map_delete(m, &k));
    uint8_t seen[1000];
    for (int run = 0; run < 1000; run++) {
        count_all(m, seen, 1000);
        for (uint64_t k = 0; k < 1000; k++)
            if (seen[k] != (k < 20))
                CHECK_EQ_INT(seen[k], k < 20);
    }
    gort_map_release(m);
}

TEST(entries_deleted_before_they_are_reached_are_not_produced)
{
    for (int round = 0; round < 100; round++) {
        for (uint64_t n = 8; n <= 2000; n = n * 5 + 3) {
            gort_map *m = new_u64_map(0);
            put_range(m, 0, n);
            gort_map_iter it;
            const void *key;
            uint8_t seen[4000] = {0};
            uint64_t first = UINT64_MAX;
            CHECK_OK(gort_map_iter_init(m, &it));
            while (gort_map_iter_next(&it, &key, NULL) == 1) {
                uint64_t k = *(const uint64_t *)key;
                seen[k]++;
                if (first == UINT64_MAX) {
                    first = k;
                    for (uint64_t d = 0; d < n; d += 2)
                        if (d != k)
                            CHECK_OK(gort_map_delete(m, &d));
                }
            }
            for (uint64_t k = 0; k < n; k++) {
                int want = k == first || k % 2 == 1;
                if (seen[k] != want)
                    CHECK_EQ_INT(seen[k], want);
            }
            gort_map_release(m);
        }
    }
}

TEST(grow_then_delete_during_iteration_hides_deleted_keys)
{
    /* TestIterGrowAndDelete: grow from 100 to 1000, delete every odd key */
    for (int round = 0; round < 50; round++) {
        gort_map *m = new_u64_map(0);
        put_range(m, 0, 100);
        gort_map_iter it;
        const void *key;
        void *value;
        int produced = 0;
        CHECK_OK(gort_map_iter_init(m, &it));
        while (gort_map_iter_next(&it, &key, &value) == 1) {
            uint64_t k = *(const uint64_t *)key;
            if (produced++ == 0) {
                put_range(m, 100, 1000);
                for (uint64_t d = 1; d < 1000; d += 2)
                    if (d != k)
                        CHECK_OK(gort_map_delete(m, &d));
                for (uint64_t u = 0; u < 1000; u += 2)
                    put(m, u, u * 10 + 1); /* values produced later are current */
                continue;
            }
            CHECK_TRUE(k % 2 == 0);
            CHECK_EQ_U64(*(uint64_t *)value, k * 10 + 1);
        }
        gort_map_release(m);
    }
}

/* Every key present at the start, and never deleted, is produced exactly once while
 * each step inserts `per_step` new keys (growth, splits, directory doubling). */
static void check_exactly_once_under_growth(uint64_t initial, uint64_t per_step)
{
    gort_map *m = new_u64_map(0);
    put_range(m, 0, initial);
    uint64_t next = 1u << 30;
    uint8_t *seen = calloc(initial, 1);
    gort_map_iter it;
    const void *key;
    void *value;
    CHECK_OK(gort_map_iter_init(m, &it));
    while (gort_map_iter_next(&it, &key, &value) == 1) {
        uint64_t k = *(const uint64_t *)key;
        if (k < initial)
            seen[k]++;
        else
            CHECK_TRUE(k >= 1u << 30);
        for (uint64_t i = 0; i < per_step; i++, next++)
            put(m, next, 0);
    }
    for (uint64_t k = 0; k < initial; k++)
        if (seen[k] != 1)
            CHECK_EQ_INT(seen[k], 1);
    free(seen);
    gort_map_release(m);
}

TEST(growth_and_splits_during_iteration_produce_each_entry_once)
{
    /* TestTableIterationGrowDuplicate, over many random starts */
    for (int round = 0; round < 40; round++) {
        check_exactly_once_under_growth(8, 3);      /* small -> table -> ... */
        check_exactly_once_under_growth(100, 2);    /* grows */
        check_exactly_once_under_growth(890, 1);    /* splits */
        check_exactly_once_under_growth(3000, 5);   /* splits, directory doubles */
    }
}

TEST(clear_during_iteration_produces_nothing_that_existed_before)
{
    /* issue 59411 / 70189, NaN keys included, small and large maps */
    static const int sizes[] = {5, 8, 100, 3000};
    for (int round = 0; round < 30; round++) {
        for (size_t s = 0; s < 4; s++) {
            gort_map *m = new_f64_map();
            for (int i = 0; i < sizes[s]; i++)
                put_f(m, i % 3 == 0 ? NAN : i, 1);
            gort_map_iter it;
            const void *key;
            void *value;
            int produced = 0;
            CHECK_OK(gort_map_iter_init(m, &it));
            while (gort_map_iter_next(&it, &key, &value) == 1) {
                if (produced++ == 0) {
                    if (round % 2)
                        for (int i = 0; i < 2000; i++)
                            put_f(m, 1e6 + i, 1); /* retire tables first */
                    CHECK_OK(gort_map_clear(m));
                    put_f(m, -5, 2); /* new after the clear: may be produced */
                    continue;
                }
                CHECK_EQ_U64(*(uint64_t *)value, 2);
            }
            gort_map_release(m);
        }
    }
}

TEST(iteration_order_is_randomised)
{
    /* TestMapIterOrder: 3, 7, 9, 15 entries show two orders within 100 tries */
    static const uint64_t sizes[] = {3, 7, 9, 15};
    for (size_t s = 0; s < 4; s++) {
        gort_map *m = new_u64_map(0);
        put_range(m, 0, sizes[s]);
        uint64_t first_order[16], order[16];
        bool differs = false;
        for (int run = 0; run < 100 && !differs; run++) {
            gort_map_iter it;
            const void *key;
            int n = 0;
            CHECK_OK(gort_map_iter_init(m, &it));
            while (gort_map_iter_next(&it, &key, NULL) == 1)
                order[n++] = *(const uint64_t *)key;
            if (run == 0)
                memcpy(first_order, order, sizeof order);
            else
                differs = memcmp(first_order, order, sizes[s] * sizeof order[0]) != 0;
        }
        CHECK_TRUE(differs);
        gort_map_release(m);
    }
}

TEST(delete_and_reinsert_during_iteration_loses_nothing)
{
    /* TestMapIterDeleteReplace */
    for (int round = 0; round < 50; round++) {
        gort_map *m = new_u64_map(0);
        put_range(m, 0, 500);
        gort_map_iter it;
        const void *key;
        CHECK_OK(gort_map_iter_init(m, &it));
        while (gort_map_iter_next(&it, &key, NULL) == 1) {
            uint64_t k = *(const uint64_t *)key;
            CHECK_OK(gort_map_delete(m, &k));
            put(m, k, 1);
        }
        for (uint64_t k = 0; k < 500; k++)
            if (lookup(m, k) != 1)
                CHECK_EQ_U64(lookup(m, k), 1);
        gort_map_release(m);
    }
}

TEST(batched_iteration_produces_the_same_entries)
{
    for (uint64_t n = 0; n < 20000; n = n * 4 + 3) {
        gort_map *m = new_u64_map(0);
        put_range(m, 0, n);
        uint8_t *seen = calloc(n + 1, 1);
        gort_map_iter it;
        const void *keys[37];
        void *values[37];
        int64_t got, total = 0;
        CHECK_OK(gort_map_iter_init(m, &it));
        while ((got = gort_map_iter_next_n(&it, keys, values, 37)) > 0) {
            for (int64_t j = 0; j < got; j++) {
                uint64_t k = *(const uint64_t *)keys[j];
                CHECK_EQ_U64(*(uint64_t *)values[j], k * 10);
                if (k < n)
                    seen[k]++; /* keys added between batches may show up too */
                else
                    CHECK_TRUE(k >= 1u << 20);
            }
            total += got;
            if (got == 37 && total % 2)
                put_range(m, 1u << 20, (1u << 20) + 50); /* growth between batches */
        }
        CHECK_EQ_INT(got, 0);
        CHECK_STATUS(gort_map_iter_next_n(&it, keys, values, 37), GORT_EINVAL); /* finished */
        for (uint64_t k = 0; k < n; k++)
            if (seen[k] != 1)
                CHECK_EQ_INT(seen[k], 1);
        free(seen);
        gort_map_release(m);
    }
    gort_map *m = new_u64_map(0);
    put_range(m, 0, 10);
    gort_map_iter it;
    CHECK_OK(gort_map_iter_init(m, &it));
    CHECK_EQ_INT(gort_map_iter_next_n(&it, NULL, NULL, 4), 4); /* counting only */
    CHECK_EQ_INT(gort_map_iter_next_n(&it, NULL, NULL, 100), 6);
    CHECK_EQ_INT(gort_map_iter_next_n(&it, NULL, NULL, 100), 0);
    CHECK_STATUS(gort_map_iter_next_n(NULL, NULL, NULL, 1), GORT_EINVAL);
    gort_map_release(m);
}

TEST(iter_delete_removes_the_produced_entry)
{
    gort_map *m = new_u64_map(0);
    put_range(m, 0, 3000);
    gort_map_iter it;
    const void *key;
    CHECK_OK(gort_map_iter_init(m, &it));
    CHECK_STATUS(gort_map_iter_delete(&it), GORT_EINVAL); /* nothing produced yet */
    int produced = 0;
    while (gort_map_iter_next(&it, &key, NULL) == 1) {
        uint64_t k = *(const uint64_t *)key;
        produced++;
        if (k % 3 == 0) {
            CHECK_OK(gort_map_iter_delete(&it));
            CHECK_STATUS(gort_map_iter_delete(&it), GORT_EINVAL); /* only once */
        }
    }
    CHECK_EQ_INT(produced, 3000);
    CHECK_EQ_SIZE(gort_map_len(m), 2000);
    CHECK_EQ_U64(lookup(m, 3), UINT64_MAX);
    CHECK_EQ_U64(lookup(m, 4), 40);
    gort_map_release(m);
}

/* A batch cut short by the end of the iteration (0 < k < n entries) still has a last
 * entry: iter_delete deletes it (found by fuzz_map). Small map and table map alike. */
TEST(iter_delete_after_a_batch_that_reached_the_end)
{
    for (uint64_t n = 5; n <= 2000; n += 1995) {
        gort_map *m = new_u64_map(0);
        put_range(m, 0, n);
        gort_map_iter it;
        const void *keys[4096];
        CHECK_OK(gort_map_iter_init(m, &it));
        CHECK_EQ_INT(gort_map_iter_next_n(&it, keys, NULL, 4096), (int64_t)n);
        uint64_t last = *(const uint64_t *)keys[n - 1];
        CHECK_OK(gort_map_iter_delete(&it));
        CHECK_EQ_SIZE(gort_map_len(m), n - 1);
        CHECK_EQ_U64(lookup(m, last), UINT64_MAX);
        CHECK_EQ_INT(gort_map_iter_next_n(&it, keys, NULL, 4096), 0);
        gort_map_release(m);
    }
}

TEST(finished_copied_and_stale_iterators_are_refused)
{
    gort_map *m = new_u64_map(0);
    put_range(m, 0, 20);
    gort_map_iter it, copy;
    const void *key;
    memset(&it, 0xa5, sizeof it);
    CHECK_STATUS(gort_map_iter_next(&it, &key, NULL), GORT_EINVAL); /* never initialised */
    CHECK_OK(gort_map_iter_init(m, &it));
    CHECK_EQ_INT(gort_map_iter_next(&it, &key, NULL), 1);
    memcpy(&copy, &it, sizeof it);
    CHECK_STATUS(gort_map_iter_next(&copy, &key, NULL), GORT_EINVAL); /* moved */
    put(m, 100, 1);
    CHECK_STATUS(gort_map_iter_delete(&it), GORT_EINVAL); /* the map changed since */
    gort_map_iter_finish(&it);
    gort_map_iter_finish(&it); /* idempotent */
    CHECK_STATUS(gort_map_iter_next(&it, &key, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_map_iter_delete(&it), GORT_EINVAL);
    gort_map_iter_finish(NULL);
    gort_map_release(m);
}

TEST(iterator_on_an_empty_map_stays_done)
{
    gort_map *m = new_u64_map(0);
    gort_map_iter it;
    const void *key;
    CHECK_OK(gort_map_iter_init(m, &it));
    put(m, 1, 1);
    CHECK_EQ_INT(gort_map_iter_next(&it, &key, NULL), 0);
    gort_map_release(m);
}

TEST(retired_tables_live_until_the_last_iterator_finishes)
{
    gort_heap *heap = NULL;
    CHECK_OK(gort_heap_create(&heap));
    gort_map *m = NULL;
    CHECK_OK(gort_map_create(u64_type(), u64_type(), 0, heap, &m));
    uint64_t empty = live_blocks(heap);
    put_range(m, 0, 100);
    gort_map_iter a, b;
    const void *key;
    CHECK_OK(gort_map_iter_init(m, &a));
    CHECK_OK(gort_map_iter_init(m, &b));
    CHECK_EQ_INT(gort_map_iter_next(&a, &key, NULL), 1);
    put_range(m, 100, 5000); /* retires tables a and b may read */
    uint64_t held = live_blocks(heap);
    gort_map_iter_finish(&a);
    CHECK_EQ_U64(live_blocks(heap), held); /* b may still read them */
    gort_map_iter_finish(&b);
    CHECK_TRUE(live_blocks(heap) < held);
    /* what is left is exactly the live layout: the directory and each table */
    CHECK_EQ_U64(live_blocks(heap) - empty, stats_of(m).tables + 1);
    gort_map_release(m);
    CHECK_EQ_U64(live_blocks(heap), 0);
    CHECK_OK(gort_heap_destroy(heap, 0));
}

/* ---- key and value kinds (items 34, 35, 37, 39) --------------------------------- */

static gort_type *bytes_type(size_t size, size_t align)
{
    gort_type_desc desc = {.struct_size = sizeof desc, .size = size, .align = align};
    gort_type *t = NULL;
    CHECK_OK(gort_type_create(&desc, &t));
    return t;
}

TEST(zero_size_keys_and_values)
{
    gort_type *unit = bytes_type(0, 1);
    gort_map *m = NULL;
    CHECK_OK(gort_map_create(unit, unit, 0, NULL, &m));
    char nothing = 0;
    CHECK_OK(gort_map_set(m, &nothing, &nothing));
    CHECK_OK(gort_map_set(m, &nothing, NULL));
    CHECK_EQ_SIZE(gort_map_len(m), 1);
    void *value = NULL;
    CHECK_OK(gort_map_get_ptr(m, &nothing, &value));
    CHECK_TRUE(value != NULL);
    CHECK_OK(gort_map_delete(m, &nothing));
    CHECK_EQ_SIZE(gort_map_len(m), 0);
    gort_map_release(m);
    gort_type_release(unit);
}

TEST(keys_and_values_over_128_bytes_are_stored_indirectly)
{
    gort_type *big_key = bytes_type(200, 8), *big_value = bytes_type(4000, 8);
    gort_map *m = NULL;
    CHECK_OK(gort_map_create(big_key, big_value, 0, NULL, &m));
    static uint64_t key[25], value[500], out[500];
    for (uint64_t i = 0; i < 2000; i++) {
        memset(key, 0, sizeof key), key[24] = i;
        value[0] = i, value[499] = ~i;
        CHECK_OK(gort_map_set(m, key, value));
    }
    gort_map *c = NULL;
    CHECK_OK(gort_map_clone(m, &c));
    for (uint64_t i = 0; i < 2000; i++) {
        key[24] = i;
        int found = 0;
        CHECK_OK(gort_map_get(m, key, out, &found));
        if (!found || out[0] != i || out[499] != ~i)
            CHECK_EQ_U64(out[0], i);
        value[0] = 7;
        CHECK_OK(gort_map_set(m, key, value)); /* the clone keeps its own copy */
        CHECK_OK(gort_map_get(c, key, out, &found));
        if (out[0] != i)
            CHECK_EQ_U64(out[0], i);
    }
    memset(out, 0xaa, sizeof out);
    key[24] = 99999;
    int found = 1;
    CHECK_OK(gort_map_get(m, key, out, &found)); /* TestMapHugeZero */
    CHECK_EQ_INT(found, 0);
    CHECK_EQ_U64(out[0] | out[250] | out[499], 0);
    for (uint64_t i = 0; i < 2000; i += 2) {
        key[24] = i;
        CHECK_OK(gort_map_delete(m, key));
    }
    CHECK_EQ_SIZE(gort_map_len(m), 1000);
    CHECK_EQ_SIZE(gort_map_len(c), 2000);
    gort_map_release(c);
    gort_map_release(m);
    gort_type_release(big_key);
    gort_type_release(big_value);
}

TEST(string_keys_are_owned_copies)
{
    gort_type *str = gort_type_builtin(GORT_KIND_STR);
    uint64_t blocks = live_blocks(NULL);
    gort_map *m = NULL;
    CHECK_OK(gort_map_create(str, u64_type(), 0, NULL, &m));
    char buffer[32];
    for (uint64_t i = 0; i < 3000; i++) {
        snprintf(buffer, sizeof buffer, "key-%llu", (unsigned long long)i);
        gort_str k = str_of(buffer);
        CHECK_OK(gort_map_set(m, &k, &i));
    }
    memset(buffer, 'x', sizeof buffer); /* the map kept its own bytes */
    for (uint64_t i = 0; i < 3000; i += 7) {
        char probe[32];
        snprintf(probe, sizeof probe, "key-%llu", (unsigned long long)i);
        gort_str k = str_of(probe);
        uint64_t v = 0;
        int found = 0;
        CHECK_OK(gort_map_get(m, &k, &v, &found));
        CHECK_TRUE(found && v == i);
        CHECK_OK(gort_map_delete(m, &k));
    }
    gort_str empty = {NULL, 0};
    uint64_t one = 1;
    CHECK_OK(gort_map_set(m, &empty, &one));
    gort_str also_empty = {"ignored", 0}; /* an empty string whatever its pointer */
    uint64_t got = 0;
    int found = 0;
    CHECK_OK(gort_map_get(m, &also_empty, &got, &found));
    CHECK_TRUE(found && got == 1);
    gort_map_release(m);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

TEST(small_string_maps_find_keys_of_equal_and_long_lengths)
{
    /* TestSingleBucketMapStringKeys_DupLen / _NoDupLen, and 128-byte keys */
    gort_type *str = gort_type_builtin(GORT_KIND_STR);
    static char keys[8][200];
    for (int variant = 0; variant < 3; variant++) {
        gort_map *m = NULL;
        CHECK_OK(gort_map_create(str, u64_type(), 0, NULL, &m));
        size_t lens[8];
        for (int i = 0; i < 8; i++) {
            lens[i] = variant == 0 ? 10 : variant == 1 ? (size_t)(i * 20 + 1) : 128;
            memset(keys[i], 'a', lens[i]);
            keys[i][lens[i] / 2] = (char)('0' + i); /* differ only in the middle */
            gort_str k = {keys[i], lens[i]};
            uint64_t v = (uint64_t)i;
            CHECK_OK(gort_map_set(m, &k, &v));
        }
        CHECK_EQ_SIZE(stats_of(m).tables, 0);
        for (int i = 0; i < 8; i++) {
            gort_str k = {keys[i], lens[i]};
            uint64_t v = 99;
            int found = 0;
            CHECK_OK(gort_map_get(m, &k, &v, &found));
            CHECK_TRUE(found && v == (uint64_t)i);
        }
        gort_str miss = {keys[0], lens[0] - 1};
        int found = 1;
        CHECK_OK(gort_map_get(m, &miss, NULL, &found));
        CHECK_EQ_INT(found, 0);
        gort_map_release(m);
    }
}

TEST(uint32_keys_take_their_own_path)
{
    gort_map *m = NULL;
    gort_type *u32 = gort_type_builtin(GORT_KIND_U32);
    CHECK_OK(gort_map_create(u32, u32, 0, NULL, &m));
    for (uint32_t k = 0; k < 20000; k++) {
        uint32_t v = k ^ 0x5555;
        CHECK_OK(gort_map_set(m, &k, &v));
    }
    for (uint32_t k = 0; k < 20000; k += 3) {
        uint32_t v = 0;
        int found = 0;
        CHECK_OK(gort_map_get(m, &k, &v, &found));
        if (!found || v != (k ^ 0x5555))
            CHECK_EQ_U64(v, k ^ 0x5555);
    }
    gort_map_release(m);
}

/*
 * Small maps file 4- and 8-byte keys under a 7-bit fingerprint of the key. Random keys
 * share fingerprints often (12 keys, 128 values: 2 pools in 5 hold a pair), so thousands of
 * small maps run against an array model — sets, one-key batched sets, deletes, lookups
 * of near misses (one bit off) and shrinks from a table back to a small map — cover keys
 * that share a control byte and every path that writes one.
 */
enum { WORD_POOL = 12 };

static void word_pool_make(rng *r, size_t key_size, char keys[WORD_POOL][8])
{
    for (int i = 0; i < WORD_POOL; i++) {
        bool repeat;
        do {
            uint64_t k = rng_next(r);
            memcpy(keys[i], &k, 8);
            repeat = false;
            for (int j = 0; j < i; j++)
                repeat |= !memcmp(keys[j], keys[i], key_size);
        } while (repeat);
    }
}

static void word_map_check(gort_map *m, rng *r, size_t key_size, char keys[WORD_POOL][8],
                           const bool *present, const uint64_t *values)
{
    for (int i = 0; i < WORD_POOL; i++) {
        uint64_t got = 0;
        int found = -1;
        CHECK_OK(gort_map_get(m, keys[i], &got, &found));
        CHECK_EQ_INT(found, present[i]);
        if (present[i])
            CHECK_EQ_U64(got, values[i]);
        char near[8];
        memcpy(near, keys[i], 8);
        near[rng_below(r, key_size)] ^= (char)(1u << rng_below(r, 8));
        bool expect = false;
        for (int j = 0; j < WORD_POOL; j++)
            expect |= present[j] && !memcmp(keys[j], near, key_size);
        CHECK_OK(gort_map_get(m, near, NULL, &found));
        CHECK_EQ_INT(found, expect);
    }
}

static void word_keys_agree_with_a_model(int kind, size_t key_size)
{
    rng r = {(uint64_t)kind * 7919};
    for (int round = 0; round < 3000; round++) {
        gort_map *m = NULL;
        CHECK_OK(gort_map_create(gort_type_builtin(kind), u64_type(), 0, NULL, &m));
        char keys[WORD_POOL][8];
        word_pool_make(&r, key_size, keys);
        bool present[WORD_POOL] = {false};
        uint64_t values[WORD_POOL] = {0};
        for (int op = 0; op < 30; op++) {
            int i = (int)rng_below(&r, WORD_POOL);
            uint64_t v = rng_next(&r);
            switch (rng_below(&r, 4)) {
            case 0:
                CHECK_OK(gort_map_set(m, keys[i], &v));
                present[i] = true, values[i] = v;
                break;
            case 1:
                CHECK_EQ_INT((int)gort_map_set_n(m, keys[i], &v, 1), !present[i]);
                present[i] = true, values[i] = v;
                break;
            case 2:
                CHECK_OK(gort_map_delete(m, keys[i]));
                present[i] = false;
                break;
            default:
                CHECK_OK(gort_map_shrink(m));
            }
            word_map_check(m, &r, key_size, keys, present, values);
        }
        gort_map_release(m);
    }
}

TEST(small_word_maps_find_keys_that_share_a_fingerprint)
{
    word_keys_agree_with_a_model(GORT_KIND_U64, 8);
    word_keys_agree_with_a_model(GORT_KIND_U32, 4);
}

/* A custom key: 24 bytes compared case-insensitively on its text. */
typedef struct name_key {
    char text[16];
    uint64_t unused;
} name_key;

static uint64_t name_hash(const void *value, uint64_t seed, void *ctx)
{
    (void)ctx;
    const name_key *k = value;
    uint64_t h = seed ^ 0xcbf29ce484222325u;
    for (int i = 0; i < 16 && k->text[i]; i++)
        h = (h ^ (uint64_t)(k->text[i] | 0x20)) * 0x100000001b3u;
    return h ^ (h >> 29);
}

static int name_equal(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    const name_key *x = a, *y = b;
    for (int i = 0; i < 16; i++) {
        if ((x->text[i] | 0x20) != (y->text[i] | 0x20))
            return 0;
        if (!x->text[i])
            return 1;
    }
    return 1;
}

TEST(custom_equality_keys_store_the_newest_key)
{
    gort_type_desc desc = {.struct_size = sizeof desc, .size = sizeof(name_key),
                           .align = 8, .hash = name_hash, .equal = name_equal};
    gort_type *key_type = NULL;
    CHECK_OK(gort_type_create(&desc, &key_type));
    gort_map *m = NULL;
    CHECK_OK(gort_map_create(key_type, u64_type(), 0, NULL, &m));
    name_key lower = {"hello", 0}, upper = {"HELLO", 0};
    uint64_t v = 1;
    CHECK_OK(gort_map_set(m, &lower, &v));
    v = 2;
    CHECK_OK(gort_map_set(m, &upper, &v));
    CHECK_EQ_SIZE(gort_map_len(m), 1);
    gort_map_iter it;
    const void *key;
    void *value;
    CHECK_OK(gort_map_iter_init(m, &it));
    CHECK_EQ_INT(gort_map_iter_next(&it, &key, &value), 1);
    CHECK_EQ_STR(((const name_key *)key)->text, "HELLO");
    CHECK_EQ_U64(*(uint64_t *)value, 2);
    gort_map_iter_finish(&it);
    for (int i = 0; i < 5000; i++) {
        name_key k = {{0}, 0};
        snprintf(k.text, sizeof k.text, "n%d", i);
        v = (uint64_t)i;
        CHECK_OK(gort_map_set(m, &k, &v));
    }
    name_key probe = {"N4321", 0};
    CHECK_OK(gort_map_get(m, &probe, &v, NULL));
    CHECK_EQ_U64(v, 4321);
    gort_map_release(m);
    gort_type_release(key_type);
}

static uint64_t constant_hash(const void *value, uint64_t seed, void *ctx)
{
    (void)value, (void)seed, (void)ctx;
    return 0x1234; /* every key collides: splits cannot separate anything */
}

static int word_equal(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    return memcmp(a, b, 8) == 0;
}

TEST(a_hash_that_cannot_split_still_works)
{
    gort_type_desc desc = {.struct_size = sizeof desc, .size = 8, .align = 8,
                           .hash = constant_hash, .equal = word_equal};
    gort_type *key_type = NULL;
    CHECK_OK(gort_type_create(&desc, &key_type));
    gort_map *m = NULL;
    CHECK_OK(gort_map_create(key_type, u64_type(), 0, NULL, &m));
    put_range(m, 0, 3000);
    gort_map_stats st = stats_of(m);
    CHECK_EQ_SIZE(st.tables, 1); /* one oversize table, not a runaway directory */
    CHECK_TRUE(st.capacity > 1024);
    for (uint64_t k = 0; k < 3000; k += 7)
        CHECK_EQ_U64(lookup(m, k), k * 10);
    uint8_t seen[3000];
    count_all(m, seen, 3000);
    for (uint64_t k = 0; k < 3000; k++)
        if (seen[k] != 1)
            CHECK_EQ_INT(seen[k], 1);
    for (uint64_t k = 0; k < 3000; k += 2)
        CHECK_OK(gort_map_delete(m, &k));
    CHECK_OK(gort_map_shrink(m));
    CHECK_EQ_SIZE(gort_map_len(m), 1500);
    CHECK_EQ_U64(lookup(m, 2999), 29990);
    CHECK_EQ_U64(lookup(m, 2998), UINT64_MAX);
    gort_map_release(m);
    gort_type_release(key_type);
}

/* ---- batched lookup: gort_map_get_n (1.1) ---------------------------------------- */

/* Sizes around the lookup pipeline's depth: its stages run 16 and 32 keys apart. */
static const size_t batch_sizes[] = {0, 1, 15, 16, 17, 31, 32, 33, 1000};

/* One gort_map_get_n over keys[0..n) agrees with n calls of gort_map_get: the found
 * flags, the values (a miss overwrites the 0xAA fill with the zero value) and the count,
 * also with values_out, found_out or both NULL. Returns the count. */
static int64_t check_get_n_batch(const gort_map *m, const void *keys, size_t n)
{
    size_t key_size = gort_type_size(gort_map_key_type(m));
    size_t value_size = gort_type_size(gort_map_value_type(m));
    unsigned char *want_values = malloc(n * value_size + 1),
                  *values = malloc(n * value_size + 1);
    int *want_found = malloc((n + 1) * sizeof(int)), *found = malloc((n + 1) * sizeof(int));
    int64_t want_hits = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK_OK(gort_map_get(m, (const char *)keys + i * key_size,
                              want_values + i * value_size, &want_found[i]));
        want_hits += want_found[i];
    }
    for (int form = 0; form < 4; form++) {
        bool with_values = !(form & 1), with_found = !(form & 2);
        memset(values, 0xaa, n * value_size);
        memset(found, 0xaa, n * sizeof(int));
        bool ok = CHECK_EQ_INT(
            gort_map_get_n(m, keys, n, with_values ? values : NULL, with_found ? found : NULL),
            want_hits);
        if (with_values)
            ok = CHECK_EQ_MEM(values, want_values, n * value_size) && ok;
        if (with_found)
            ok = CHECK_EQ_MEM(found, want_found, n * sizeof(int)) && ok;
        for (size_t i = 0; with_values && i < n; i++)
            if (!want_found[i] && !all_zero(values + i * value_size, value_size))
                ok = CHECK_TRUE(!"a miss writes the zero value") && ok;
        if (!ok)
            printf("#     a batch of %zu keys; values_out %s, found_out %s\n", n,
                   with_values ? "given" : "NULL", with_found ? "given" : "NULL");
    }
    free(want_values), free(values), free(want_found), free(found);
    return want_hits;
}

/* Looks keys[0..n_keys) up in consecutive batches of each size in batch_sizes in turn,
 * then all in one batch. Returns how many of them are present. */
static int64_t check_get_n(const gort_map *m, const void *keys, size_t n_keys)
{
    size_t key_size = gort_type_size(gort_map_key_type(m)), at = 0;
    for (size_t i = 0; at < n_keys; i++) {
        size_t n = batch_sizes[i % HARNESS_COUNT(batch_sizes)];
        n = n < n_keys - at ? n : n_keys - at;
        check_get_n_batch(m, (const char *)keys + at * key_size, n);
        at += n;
    }
    return check_get_n_batch(m, keys, n_keys);
}

TEST(get_n_agrees_with_get_in_every_map_mode)
{
    static const struct {
        const char *mode;
        size_t hint;
        uint64_t entries, delete_every; /* keys 0, d, 2d, ... deleted; 0: none */
    } modes[] = {
        {"never written", 0, 0, 0},
        {"presized, empty", 5000, 0, 0},
        {"small", 0, 5, 0},
        {"small, full", 0, 8, 0},
        {"5000 entries", 0, 5000, 0},
        {"100000 entries", 0, 100000, 0},
        {"a third deleted", 0, 100000, 3},
        {"emptied by deletes", 0, 5000, 1},
    };
    static uint64_t keys[2400];
    rng r = {1};
    for (size_t i = 0; i < HARNESS_COUNT(modes); i++) {
        uint64_t entries = modes[i].entries, every = modes[i].delete_every;
        gort_map *m = new_u64_map(modes[i].hint);
        put_range(m, 0, entries);
        for (uint64_t k = 0; every && k < entries; k += every)
            CHECK_OK(gort_map_delete(m, &k));
        gort_map_stats st = stats_of(m);
        if (entries <= 8 && modes[i].hint == 0)
            CHECK_EQ_SIZE(st.directory_len, 0);
        if (entries >= 5000)
            CHECK_TRUE(st.global_depth > 0);
        if (every == 3)
            CHECK_TRUE(st.tombstones > 0);
        int64_t want = 0;
        for (size_t j = 0; j < HARNESS_COUNT(keys); j++) {
            keys[j] = rng_below(&r, 2 * entries + 16); /* about half present */
            want += keys[j] < entries && !(every && keys[j] % every == 0);
        }
        if (!CHECK_EQ_INT(check_get_n(m, keys, HARNESS_COUNT(keys)), want))
            printf("#   mode: %s\n", modes[i].mode);
        gort_map_release(m);
    }
}

/* Key number i of several key kinds. A str key points into `text`, KEY_TEXT bytes. */
#define KEY_TEXT 40

typedef struct key_family {
    const char *name;
    gort_type *key_type, *value_type;
    void (*make)(uint64_t i, void *key, char *text);
} key_family;

static void u32_key(uint64_t i, void *key, char *text)
{
    uint32_t k = (uint32_t)i * 2654435761u; /* odd: distinct keys, spread over 32 bits */
    (void)text;
    memcpy(key, &k, sizeof k);
}

static void i32_key(uint64_t i, void *key, char *text)
{
    int32_t k = (int32_t)i - 5000; /* negative and positive */
    (void)text;
    memcpy(key, &k, sizeof k);
}

static void str_key(uint64_t i, void *key, char *text)
{
    /* short keys, and keys of 16 bytes or more (compared by their ends first) */
    int len = snprintf(text, KEY_TEXT, i % 3 ? "k%llu" : "a longer key, number %llu",
                       (unsigned long long)i);
    gort_str s = {text, (size_t)len};
    memcpy(key, &s, sizeof s);
}

static void f64_key(uint64_t i, void *key, char *text)
{
    double k = (double)i * 0.5; /* key 0 is +0 */
    (void)text;
    memcpy(key, &k, sizeof k);
}

static void custom_key(uint64_t i, void *key, char *text)
{
    name_key k = {{0}, ~i}; /* name_equal ignores `unused` */
    (void)text;
    snprintf(k.text, sizeof k.text, i % 2 ? "n%llu" : "N%llu", (unsigned long long)i);
    memcpy(key, &k, sizeof k);
}

static void big_key(uint64_t i, void *key, char *text)
{
    uint64_t words[25] = {i};
    (void)text;
    words[24] = ~i;
    memcpy(key, words, sizeof words);
}

/* A value for key number i: its size in 8-byte words, each distinct. */
static void fill_value(uint64_t i, unsigned char *value, size_t size)
{
    for (size_t at = 0; at + 8 <= size; at += 8) {
        uint64_t word = i * 10 + 1 + at;
        memcpy(value + at, &word, sizeof word);
    }
}

/* A map of keys 0..entries-1 of one kind, looked up by 1200 random key numbers. */
/* A map of f's keys 0..entries-1, key i holding value fill_value(i). */
static gort_map *family_map(const key_family *f, uint64_t entries)
{
    size_t key_size = gort_type_size(f->key_type), value_size = gort_type_size(f->value_type);
    char *key = malloc(key_size), *text = malloc(KEY_TEXT);
    unsigned char *value = malloc(value_size);
    gort_map *m = NULL;
    CHECK_OK(gort_map_create(f->key_type, f->value_type, 0, NULL, &m));
    for (uint64_t i = 0; i < entries; i++) {
        f->make(i, key, text);
        fill_value(i, value, value_size);
        CHECK_OK(gort_map_set(m, key, value));
    }
    free(key);
    free(text);
    free(value);
    return m;
}

static void check_get_n_family(const key_family *f, uint64_t entries, rng *r)
{
    enum { N_KEYS = 1200 };
    size_t key_size = gort_type_size(f->key_type), value_size = gort_type_size(f->value_type);
    char *keys = malloc(N_KEYS * key_size), *text = malloc(N_KEYS * KEY_TEXT);
    unsigned char *value = malloc(value_size);
    gort_map *m = family_map(f, entries);
    /* small or table mode (several tables, unless name_hash's top bits happen to agree
     * for the first 896 keys: then one oversize table) */
    CHECK_EQ_INT(stats_of(m).directory_len > 0, entries > 8);
    if (entries >= 40000) /* the pipeline's side of get_n (LOOKUP_CACHED_BYTES) */
        CHECK_TRUE(stats_of(m).bytes > 256 << 10);
    int64_t want = 0;
    for (size_t j = 0; j < N_KEYS; j++) {
        uint64_t i = rng_below(r, 2 * entries + 16);
        f->make(i, keys + j * key_size, text + j * KEY_TEXT);
        want += i < entries;
    }
    if (!CHECK_EQ_INT(check_get_n(m, keys, N_KEYS), want))
        printf("#   %s keys, %llu entries\n", f->name, (unsigned long long)entries);
    gort_map_release(m);
    free(keys), free(text), free(value);
}

TEST(get_n_agrees_with_get_for_every_key_kind)
{
    gort_type_desc desc = {.struct_size = sizeof desc, .size = sizeof(name_key),
                           .align = 8, .hash = name_hash, .equal = name_equal};
    gort_type *name_type = NULL, *big = bytes_type(200, 8); /* big keys and values: indirect */
    CHECK_OK(gort_type_create(&desc, &name_type));
    const key_family families[] = {
        {"uint32", gort_type_builtin(GORT_KIND_U32), u64_type(), u32_key},
        {"int32", gort_type_builtin(GORT_KIND_I32), u64_type(), i32_key},
        {"str", str_type(), u64_type(), str_key},
        {"float64", gort_type_builtin(GORT_KIND_F64), u64_type(), f64_key},
        {"custom", name_type, u64_type(), custom_key},
        {"200-byte", big, big, big_key},
    };
    /* never written, small, several tables in cache (get_n looks them up key by key), and
     * past 256 KiB (get_n's prefetching pipeline: checked in check_get_n_family) */
    static const uint64_t sizes[] = {0, 6, 5000, 40000};
    rng r = {2};
    for (size_t f = 0; f < HARNESS_COUNT(families); f++)
        for (size_t s = 0; s < HARNESS_COUNT(sizes); s++)
            check_get_n_family(&families[f], sizes[s], &r);
    gort_map *m = NULL; /* the custom equality decides: "HELLO" finds "hello" */
    CHECK_OK(gort_map_create(name_type, u64_type(), 0, NULL, &m));
    name_key lower = {"hello", 0}, batch[2] = {{"HELLO", 0}, {"HELLO!", 0}};
    uint64_t v = 7, values[2];
    int found[2];
    CHECK_OK(gort_map_set(m, &lower, &v));
    CHECK_EQ_INT(gort_map_get_n(m, batch, 2, values, found), 1);
    CHECK_TRUE(found[0] == 1 && values[0] == 7 && found[1] == 0 && values[1] == 0);
    gort_map_release(m);
    gort_type_release(name_type);
    gort_type_release(big);
}

TEST(get_n_follows_go_float_key_rules)
{
    /* NaN is never found; -0 finds +0 in round 0, +0 finds -0 in round 1 (a table map) */
    const double batch[] = {-0.0, NAN, 1.5, -NAN, 2.5, 0.0};
    static const int want_found[] = {1, 0, 1, 0, 0, 1};
    static const uint64_t want_values[] = {1, 0, 2, 0, 0, 1};
    gort_map *m = new_f64_map();
    put_f(m, 0.0, 1), put_f(m, 1.5, 2), put_f(m, NAN, 3);
    for (int round = 0; round < 2; round++) {
        uint64_t values[6];
        int found[6];
        memset(values, 0xaa, sizeof values), memset(found, 0xaa, sizeof found);
        CHECK_EQ_INT(gort_map_get_n(m, batch, 6, values, found), 3);
        CHECK_EQ_MEM(found, want_found, sizeof found);
        CHECK_EQ_MEM(values, want_values, sizeof values);
        if (round > 0)
            break;
        for (int i = 0; i < 2000; i++)
            put_f(m, 1000 + i, 0);
        put_f(m, -0.0, 1); /* the stored zero is -0 now (see the ±0 test above) */
        CHECK_TRUE(stats_of(m).directory_len > 0); /* round 1 looks up in tables */
    }
    gort_map_release(m);
}

TEST(get_n_refuses_bad_input_and_writes_nothing)
{
    gort_map *m = new_u64_map(0);
    put_range(m, 0, 100);
    uint64_t keys[3] = {1, 2, 3}, values[4];
    int found[4];
    memset(values, 0xaa, sizeof values), memset(found, 0xaa, sizeof found);
    CHECK_EQ_INT(gort_map_get_n(NULL, keys, 3, values, found), GORT_EINVAL);
    CHECK_EQ_INT(gort_map_get_n(m, NULL, 1, values, found), GORT_EINVAL);
    CHECK_EQ_INT(gort_map_get_n(m, NULL, 0, values, found), 0);
    CHECK_EQ_INT(gort_map_get_n(m, keys, 0, values, found), 0);
    CHECK_EQ_INT(gort_map_get_n(m, keys, SIZE_MAX, NULL, NULL), GORT_EINVAL);
    /* not past INT64_MAX, but 8-byte keys that many do not fit in the address space */
    CHECK_EQ_INT(gort_map_get_n(m, keys, SIZE_MAX / 8 + 1, values, found), GORT_EINVAL);
    CHECK_TRUE(all_bytes(values, sizeof values, 0xaa));
    CHECK_TRUE(all_bytes(found, sizeof found, 0xaa));
    gort_map_release(m);
    /* past INT64_MAX: 1-byte keys and values that many would fit, the count would not */
    gort_type *u8 = gort_type_builtin(GORT_KIND_U8);
    uint8_t byte_keys[2] = {1, 2};
    CHECK_OK(gort_map_create(u8, u8, 0, NULL, &m));
    CHECK_OK(gort_map_set(m, &byte_keys[0], &byte_keys[1]));
    CHECK_EQ_INT(gort_map_get_n(m, byte_keys, (size_t)INT64_MAX + 1, values, found),
                 GORT_EINVAL);
    CHECK_TRUE(all_bytes(values, sizeof values, 0xaa));
    CHECK_TRUE(all_bytes(found, sizeof found, 0xaa));
    gort_map_release(m);
    /* a bad str key anywhere in the batch (last here, after keys that are present) */
    gort_map *s = NULL;
    CHECK_OK(gort_map_create(str_type(), u64_type(), 0, NULL, &s));
    gort_str skeys[4] = {str_of("alpha"), str_of("beta"), str_of(""), {NULL, 3}};
    for (uint64_t i = 0; i < 3; i++)
        CHECK_OK(gort_map_set(s, &skeys[i], &i));
    for (int round = 0; round < 2; round++) { /* small, then a table map */
        memset(values, 0xaa, sizeof values), memset(found, 0xaa, sizeof found);
        skeys[3] = (gort_str){NULL, 3};
        CHECK_EQ_INT(gort_map_get_n(s, skeys, 4, values, found), GORT_EINVAL);
        skeys[3] = (gort_str){"x", (size_t)GORT_MAX_ALLOC + 1};
        CHECK_EQ_INT(gort_map_get_n(s, skeys, 4, values, found), GORT_EOVERFLOW);
        CHECK_TRUE(all_bytes(values, sizeof values, 0xaa));
    CHECK_TRUE(all_bytes(found, sizeof found, 0xaa));
        skeys[3] = (gort_str){NULL, 0}; /* the empty string, like {"", 0} */
        CHECK_EQ_INT(gort_map_get_n(s, skeys, 4, values, found), 4);
        CHECK_EQ_MEM(found, ((int[]){1, 1, 1, 1}), 4 * sizeof(int));
        CHECK_EQ_MEM(values, ((uint64_t[]){0, 1, 2, 2}), 4 * sizeof(uint64_t));
        char text[16];
        for (int i = 0; i < 100; i++) {
            gort_str k = {text, (size_t)snprintf(text, sizeof text, "more-%d", i)};
            CHECK_OK(gort_map_set(s, &k, NULL));
        }
    }
    gort_map_release(s);
}

/* ---- batched writes: gort_map_set_n, gort_map_delete_n (1.2) ---------------------- */

/* Same len, and the same entries with the same key and value bytes. */
static bool same_contents(gort_map *want, gort_map *got)
{
    map_rows rows = rows_of(want);
    bool same = rows_hold(&rows, got);
    free(rows.bytes);
    return same;
}

/* Sizes around the write pipeline (stores run 16 keys behind the prefetches) and the 64
 * hashes set_n keeps on the stack before it takes scratch space. */
static const size_t write_batch_sizes[] = {0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000};

/* n pairs into `loop` by gort_map_set and into `batched` by one gort_map_set_n (values
 * NULL: zero values); the return value must be how many entries the loop added. */
static int64_t set_n_like_a_loop(gort_map *loop, gort_map *batched, const char *keys,
                                 const char *values, size_t n)
{
    size_t key_size = gort_type_size(gort_map_key_type(loop));
    size_t value_size = gort_type_size(gort_map_value_type(loop));
    size_t before = gort_map_len(loop);
    for (size_t i = 0; i < n; i++)
        CHECK_OK(
            gort_map_set(loop, keys + i * key_size, values ? values + i * value_size : NULL));
    int64_t added = (int64_t)(gort_map_len(loop) - before);
    CHECK_EQ_INT(gort_map_set_n(batched, keys, values, n), added);
    CHECK_EQ_SIZE(gort_map_len(batched), gort_map_len(loop));
    return added;
}

/* The pairs go into `loop` one by one, into `chunked` by set_n in consecutive batches of
 * each of write_batch_sizes in turn, and into `whole` by one set_n; then all three maps
 * must hold the same entries. Returns how many entries the pairs added. */
static int64_t check_set_n(gort_map *loop, gort_map *chunked, gort_map *whole, const void *keys,
                           const void *values, size_t n)
{
    size_t key_size = gort_type_size(gort_map_key_type(loop));
    size_t value_size = gort_type_size(gort_map_value_type(loop));
    size_t before = gort_map_len(loop), at = 0;
    for (size_t i = 0; at < n; i++) {
        size_t count = write_batch_sizes[i % HARNESS_COUNT(write_batch_sizes)];
        count = count < n - at ? count : n - at;
        set_n_like_a_loop(loop, chunked, (const char *)keys + at * key_size,
                          values ? (const char *)values + at * value_size : NULL, count);
        at += count;
    }
    int64_t added = (int64_t)(gort_map_len(loop) - before);
    CHECK_EQ_INT(gort_map_set_n(whole, keys, values, n), added);
    same_contents(loop, chunked);
    same_contents(loop, whole);
    return added;
}

/* With a hash that tells keys apart no table exceeds 1024 slots (map.h: "tables of at
 * most 1024 slots addressed through an extendible-hashing directory"); only a hash that
 * cannot split a full table makes it larger. */
static bool tables_within_max(const gort_map *m)
{
    gort_map_stats st = stats_of(m);
    return CHECK_TRUE(st.capacity <= (st.tables ? st.tables : 1) * 1024);
}

/* What a mode's batch must do to the map's layout. */
enum { STAYS_SMALL, BECOMES_TABLE, SPLITS, GROWS, NO_GROWTH };

TEST(set_n_agrees_with_set_in_every_map_mode)
{
    static const struct {
        const char *mode;
        size_t hint;
        uint64_t entries, batch;
        int expect;
    } modes[] = {
        {"empty, a small batch", 0, 0, 6, STAYS_SMALL},
        {"empty, a large batch", 0, 0, 3000, BECOMES_TABLE},
        {"small", 0, 3, 5, STAYS_SMALL}, /* at most 3 + 5 keys */
        {"small, into a table inside the batch", 0, 6, 12, BECOMES_TABLE},
        {"one table", 0, 300, 200, NO_GROWTH},
        {"grows and splits", 0, 100, 6000, SPLITS},
        {"several tables", 0, 5000, 8000, GROWS},
        {"presized", 5000, 0, 4000, NO_GROWTH},
        {"presized for less, a large batch", 100, 0, 3000, GROWS},
    };
    rng r = {3};
    for (size_t i = 0; i < HARNESS_COUNT(modes); i++) {
        uint64_t entries = modes[i].entries, n = modes[i].batch;
        gort_map *maps[3];
        for (int j = 0; j < 3; j++) {
            maps[j] = new_u64_map(modes[i].hint);
            put_range(maps[j], 0, entries);
        }
        gort_map_stats before = stats_of(maps[2]);
        uint64_t *keys = malloc(n * sizeof *keys), *values = malloc(n * sizeof *values);
        for (uint64_t j = 0; j < n; j++) {
            /* half new keys, half overwrites of the map's or the batch's earlier keys */
            keys[j] = rng_one_in(&r, 2) ? entries + j : rng_below(&r, entries + j + 1);
            values[j] = rng_next(&r);
        }
        int64_t added = check_set_n(maps[0], maps[1], maps[2], keys, values, n);
        CHECK_TRUE(added > 0 && (uint64_t)added < n); /* both kinds happened */
        gort_map_stats after = stats_of(maps[2]);
        bool held = true;
        switch (modes[i].expect) {
        case STAYS_SMALL:
            held = CHECK_EQ_SIZE(after.directory_len, 0) && CHECK_EQ_SIZE(after.capacity, 8);
            break;
        case BECOMES_TABLE:
            held = CHECK_EQ_SIZE(before.directory_len, 0) && CHECK_TRUE(after.tables > 0);
            break;
        case SPLITS:
            held = CHECK_TRUE(before.tables <= 1) && CHECK_TRUE(after.tables >= 2) &&
                   CHECK_TRUE(after.global_depth >= 1);
            break;
        case GROWS:
            held =
                CHECK_TRUE(before.tables > 0) && CHECK_TRUE(after.capacity > before.capacity);
            break;
        default:
            held =
                CHECK_TRUE(before.tables > 0) && CHECK_EQ_SIZE(after.capacity, before.capacity);
        }
        if (!held)
            printf("#   mode: %s\n", modes[i].mode);
        for (uint64_t k = 0; k < entries + n; k++) /* and lookups agree */
            if (lookup(maps[2], k) != lookup(maps[0], k))
                CHECK_EQ_U64(lookup(maps[2], k), lookup(maps[0], k));
        for (int j = 0; j < 3; j++)
            gort_map_release(maps[j]);
        free(keys), free(values);
    }
}

TEST(set_n_keeps_tables_within_1024_slots_however_empty_the_map)
{
    /* A batch makes room before it inserts. Growing a table that holds few entries or
     * none must still end in splits, as inserting one key at a time does, and not in an
     * oversize table (which only ever grows after that, never splits). */
    enum { N = 20000 };
    static uint64_t keys[N];
    for (uint64_t i = 0; i < N; i++)
        keys[i] = i;
    static const char *starts[] = {"empty", "small (5 entries)", "presized for 100",
                                   "cleared after 1000 entries"};
    for (int start = 0; start < 4; start++) {
        gort_map *m = new_u64_map(start == 2 ? 100 : 0);
        put_range(m, 0, start == 1 ? 5 : start == 3 ? 1000 : 0);
        if (start == 3)
            CHECK_OK(gort_map_clear(m));
        CHECK_EQ_INT(gort_map_set_n(m, keys, keys, N), N - (start == 1 ? 5 : 0));
        gort_map_stats st = stats_of(m);
        bool held = tables_within_max(m) && CHECK_TRUE(st.tables > N / 896);
        put_range(m, N, 2 * N); /* single inserts go on splitting */
        held = tables_within_max(m) && held;
        if (!held)
            printf("#   start: %s: %zu entries in %zu tables of %zu slots in all\n",
                   starts[start], stats_of(m).entries, stats_of(m).tables,
                   stats_of(m).capacity);
        for (uint64_t k = 0; k < 2 * N; k += 97)
            CHECK_EQ_U64(lookup(m, k), k < N ? k : k * 10);
        gort_map_release(m);
    }
}

static void u64_key(uint64_t i, void *key, char *text)
{
    uint64_t k = i * 0x9e3779b97f4a7c15u; /* odd: distinct keys, spread over 64 bits */
    (void)text;
    memcpy(key, &k, sizeof k);
}

/* Key number i of the custom family in the other letter case: an equal key with other
 * bytes, which set_n must store over the old one as gort_map_set does. */
static void custom_key_other_case(uint64_t i, void *key, char *text)
{
    custom_key(i, key, text);
    name_key *k = key;
    k->text[0] ^= 0x20; /* 'n' <-> 'N' */
}

/* A 200-byte key (stored out of line) whose equality reads only its first word: the
 * other words may differ between equal keys, and the newest one is stored. */
static uint64_t first_word_hash(const void *value, uint64_t seed, void *ctx)
{
    (void)ctx;
    return mix64(*(const uint64_t *)value ^ seed);
}

static int first_word_equal(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    return *(const uint64_t *)a == *(const uint64_t *)b;
}

static void big_custom_key(uint64_t i, void *key, char *text)
{
    big_key(i, key, text); /* words 0 and 24 */
}

static void big_custom_key_other(uint64_t i, void *key, char *text)
{
    big_custom_key(i, key, text);
    ((uint64_t *)key)[24] ^= 0xffff;
}

static void constant_hash_key(uint64_t i, void *key, char *text)
{
    (void)text;
    memcpy(key, &i, sizeof i);
}

/* Key number i of family f; for the families whose equal keys may differ in their bytes,
 * half the time in the other spelling. */
static void make_key(const key_family *f, uint64_t i, void *key, char *text, rng *r)
{
    if (f->make == custom_key && rng_one_in(r, 2))
        custom_key_other_case(i, key, text);
    else if (f->make == big_custom_key && rng_one_in(r, 2))
        big_custom_key_other(i, key, text);
    else
        f->make(i, key, text);
}

/* A map of keys 0..entries-1 of one kind, then 1500 pairs of random key numbers (about
 * half present; many repeated within the batch) in three ways, compared. */
static void check_set_n_family(const key_family *f, uint64_t entries, rng *r)
{
    enum { N_KEYS = 1500 };
    size_t key_size = gort_type_size(f->key_type), value_size = gort_type_size(f->value_type);
    char *keys = malloc(N_KEYS * key_size), *text = malloc(N_KEYS * KEY_TEXT);
    unsigned char *values = malloc(N_KEYS * value_size);
    gort_map *maps[3] = {family_map(f, entries), family_map(f, entries), family_map(f, entries)};
    for (size_t j = 0; j < N_KEYS; j++) {
        uint64_t i = rng_below(r, 2 * entries + 16);
        make_key(f, i, keys + j * key_size, text + j * KEY_TEXT, r);
        fill_value(1000000 + j, values + j * value_size, value_size); /* a later pair wins */
    }
    int64_t added = check_set_n(maps[0], maps[1], maps[2], keys, values, N_KEYS);
    /* name_hash may leave one oversize table (see check_get_n_family); a constant hash
     * always does */
    bool held =
        f->make == custom_key || f->make == constant_hash_key || tables_within_max(maps[2]);
    if (!CHECK_TRUE(added > 0 && added <= (int64_t)(entries + 16)) || !held)
        printf("#   %s keys, %llu entries\n", f->name, (unsigned long long)entries);
    for (int j = 0; j < 3; j++)
        gort_map_release(maps[j]);
    free(keys), free(text), free(values);
}

/* The key kinds the batched-write tests run: every builtin path, a custom equality,
 * keys and values stored out of line (200 bytes), and a hash that tells no key apart. */
typedef struct write_families {
    gort_type *made[4]; /* released by write_families_release */
    key_family family[8];
} write_families;

static write_families write_families_make(void)
{
    gort_type_desc name = {.struct_size = sizeof name, .size = sizeof(name_key), .align = 8,
                           .hash = name_hash, .equal = name_equal};
    gort_type_desc big_custom = {.struct_size = sizeof big_custom, .size = 200, .align = 8,
                                 .hash = first_word_hash, .equal = first_word_equal};
    gort_type_desc constant = {.struct_size = sizeof constant, .size = 8, .align = 8,
                               .hash = constant_hash, .equal = word_equal};
    write_families w = {.made = {bytes_type(200, 8)}};
    CHECK_OK(gort_type_create(&name, &w.made[1]));
    CHECK_OK(gort_type_create(&big_custom, &w.made[2]));
    CHECK_OK(gort_type_create(&constant, &w.made[3]));
    gort_type *big = w.made[0];
    const key_family family[] = {
        {"uint64", u64_type(), u64_type(), u64_key},
        {"uint32", gort_type_builtin(GORT_KIND_U32), u64_type(), u32_key},
        {"str", str_type(), u64_type(), str_key},
        {"float64", gort_type_builtin(GORT_KIND_F64), u64_type(), f64_key},
        {"custom", w.made[1], u64_type(), custom_key},
        {"200-byte", big, big, big_key},
        {"200-byte custom", w.made[2], big, big_custom_key},
        {"constant hash", w.made[3], u64_type(), constant_hash_key},
    };
    _Static_assert(sizeof family == sizeof w.family, "write_families.family size");
    memcpy(w.family, family, sizeof family);
    return w;
}

static void write_families_release(write_families *w)
{
    for (size_t i = 0; i < HARNESS_COUNT(w->made); i++)
        gort_type_release(w->made[i]);
}

TEST(set_n_agrees_with_set_for_every_key_kind)
{
    write_families w = write_families_make();
    static const uint64_t sizes[] = {0, 6, 5000}; /* empty, small, several tables */
    rng r = {4};
    uint64_t blocks = live_blocks(NULL);
    for (size_t f = 0; f < HARNESS_COUNT(w.family); f++)
        for (size_t s = 0; s < HARNESS_COUNT(sizes); s++)
            check_set_n_family(&w.family[f], sizes[s], &r);
    CHECK_EQ_U64(live_blocks(NULL), blocks); /* strings and indirect blocks all freed */
    write_families_release(&w);
}

TEST(set_n_applies_pairs_in_order_and_counts_each_new_key_once)
{
    for (int table = 0; table < 2; table++) {
        gort_map *m = new_u64_map(0);
        put_range(m, 0, table ? 1000 : 4);
        const uint64_t keys[] = {5000, 2, 5000, 2, 5001, 5000}, values[] = {1, 2, 3, 4, 5, 6};
        size_t len = gort_map_len(m);
        CHECK_EQ_INT(gort_map_set_n(m, keys, values, 6), 2); /* 5000 and 5001 */
        CHECK_EQ_SIZE(gort_map_len(m), len + 2);
        CHECK_EQ_U64(lookup(m, 5000), 6);
        CHECK_EQ_U64(lookup(m, 2), 4);
        CHECK_EQ_U64(lookup(m, 5001), 5);
        CHECK_EQ_U64(lookup(m, 3), 30);
        if (!table)
            CHECK_EQ_SIZE(stats_of(m).directory_len, 0); /* 6 entries: still small */
        gort_map_release(m);
    }
    /* one key 3000 times: one entry, and no table grown for the 2999 repeats */
    enum { REPEATS = 3000 };
    static uint64_t same[REPEATS], values[REPEATS];
    for (uint64_t i = 0; i < REPEATS; i++)
        same[i] = 7, values[i] = i;
    gort_map *m = new_u64_map(0);
    CHECK_EQ_INT(gort_map_set_n(m, same, values, REPEATS), 1);
    CHECK_EQ_SIZE(gort_map_len(m), 1);
    CHECK_EQ_U64(lookup(m, 7), REPEATS - 1);
    gort_map_stats st = stats_of(m);
    CHECK_EQ_SIZE(st.tables, 0);
    CHECK_EQ_SIZE(st.directory_len, 0);
    CHECK_EQ_SIZE(st.capacity, 8);
    CHECK_EQ_INT(gort_map_set_n(m, same, values, REPEATS), 0); /* present: overwrites */
    gort_map_release(m);
    m = new_u64_map(0);
    put_range(m, 0, 1000);
    for (int present = 0; present < 2; present++) {
        gort_map_stats before = stats_of(m);
        for (uint64_t i = 0; i < REPEATS; i++)
            same[i] = 5000;
        CHECK_EQ_INT(gort_map_set_n(m, same, values, REPEATS), present ? 0 : 1);
        st = stats_of(m);
        CHECK_EQ_SIZE(st.entries, 1001);
        CHECK_TRUE(st.tables <= before.tables + 1); /* at most the one table it lands in */
        CHECK_TRUE(st.directory_len <= 2 * before.directory_len);
        CHECK_TRUE(st.capacity <= before.capacity + 1024);
        CHECK_EQ_U64(lookup(m, 5000), REPEATS - 1);
    }
    gort_map_release(m);
}

TEST(set_n_with_null_values_stores_zero_values)
{
    gort_map *m = new_u64_map(0);
    put_range(m, 0, 20);
    const uint64_t keys[] = {5, 30, 5, 31};
    CHECK_EQ_INT(gort_map_set_n(m, keys, NULL, 4), 2);
    CHECK_EQ_SIZE(gort_map_len(m), 22);
    CHECK_EQ_U64(lookup(m, 5), 0); /* overwritten with the zero value: found, 0 */
    CHECK_EQ_U64(lookup(m, 30), 0);
    CHECK_EQ_U64(lookup(m, 31), 0);
    CHECK_EQ_U64(lookup(m, 6), 60);
    gort_map_release(m);

    /* values that own memory or references, and values stored out of line */
    uint64_t blocks = live_blocks(NULL);
    gort_type *t = tracked_type(), *big = bytes_type(200, 8);
    gort_type *value_types[] = {str_type(), t, big};
    static unsigned char value[200], got[200];
    for (size_t v = 0; v < HARNESS_COUNT(value_types); v++) {
        CHECK_OK(gort_map_create(u64_type(), value_types[v], 0, NULL, &m));
        gort_str text = str_of("the old value");
        tracked held = track(3, 9, 4);
        memset(value, 0xee, sizeof value); /* the 200-byte value */
        if (v == 0)
            memcpy(value, &text, sizeof text);
        else if (v == 1)
            memcpy(value, &held, sizeof held);
        for (uint64_t k = 0; k < 12; k++) /* a table */
            CHECK_OK(gort_map_set(m, &k, value));
        CHECK_EQ_INT(refs(3), v == 1 ? 12 : 0);
        const uint64_t zero_keys[] = {1, 2, 100, 1};
        CHECK_EQ_INT(gort_map_set_n(m, zero_keys, NULL, 4), 1);
        CHECK_EQ_SIZE(gort_map_len(m), 13);
        size_t size = gort_type_size(value_types[v]);
        for (uint64_t k = 0; k <= 100; k += k < 3 ? 1 : 97) { /* 0, 1, 2, 3, 100 */
            int found = 0;
            memset(got, 0xaa, sizeof got);
            CHECK_OK(gort_map_get(m, &k, got, &found));
            CHECK_TRUE(found);
            bool zeroed = k == 1 || k == 2 || k == 100;
            if (zeroed ? !all_zero(got, size) : all_zero(got, size))
                CHECK_EQ_INT(all_zero(got, size), zeroed);
        }
        CHECK_EQ_INT(refs(3), v == 1 ? 10 : 0); /* keys 1 and 2 released their values */
        gort_map_release(m);
    }
    CHECK_TRUE(tracked_balanced());
    gort_type_release(t);
    gort_type_release(big);
    CHECK_EQ_U64(live_blocks(NULL), blocks); /* the overwritten strings were freed */
}

/* The only zero key of a float map (found by iteration), or 1 when it has none. */
static double zero_key(gort_map *m)
{
    gort_map_iter it;
    const void *key;
    double zero = 1;
    CHECK_OK(gort_map_iter_init(m, &it));
    while (gort_map_iter_next(&it, &key, NULL) == 1)
        if (*(const double *)key == 0)
            zero = *(const double *)key;
    return zero;
}

TEST(set_n_follows_go_float_key_rules)
{
    /* +0 then -0 in one batch: one entry, the later key's bits and value (as with set) */
    for (int table = 0; table < 2; table++) {
        gort_map *m = new_f64_map();
        for (int i = 1; table && i < 2000; i++)
            put_f(m, i, 0);
        const double keys[] = {0.0, -0.0, 5.0};
        const uint64_t values[] = {1, 2, 3};
        CHECK_EQ_INT(gort_map_set_n(m, keys, values, 3), table ? 1 : 2);
        CHECK_TRUE(signbit(zero_key(m)));
        double k = 0.0;
        uint64_t v = 0;
        CHECK_OK(gort_map_get(m, &k, &v, NULL));
        CHECK_EQ_U64(v, 2);
        const double back[] = {-0.0, 0.0};
        CHECK_EQ_INT(gort_map_set_n(m, back, values, 2), 0);
        CHECK_TRUE(zero_key(m) == 0 && !signbit(zero_key(m)));
        CHECK_EQ_SIZE(gort_map_len(m), table ? 2000 : 2);
        gort_map_release(m);
    }
    /* every NaN adds an entry: n NaNs, n entries, in small and table mode and across the
     * switch between them; lookups never find them */
    static const size_t nan_counts[] = {1, 3, 8, 9, 3000};
    for (size_t c = 0; c < HARNESS_COUNT(nan_counts); c++) {
        size_t n = nan_counts[c];
        double *keys = malloc(n * sizeof *keys);
        uint64_t *values = malloc(n * sizeof *values), sum = 0;
        for (size_t i = 0; i < n; i++)
            keys[i] = i % 2 ? -NAN : NAN, values[i] = i + 1, sum += i + 1;
        gort_map *m = new_f64_map();
        CHECK_EQ_INT(gort_map_set_n(m, keys, values, n), (int64_t)n);
        CHECK_EQ_INT(gort_map_set_n(m, keys, values, n), (int64_t)n); /* again: n more */
        CHECK_EQ_SIZE(gort_map_len(m), 2 * n);
        CHECK_EQ_INT(gort_map_get_n(m, keys, n, NULL, NULL), 0);
        gort_map_iter it;
        const void *key;
        void *value;
        uint64_t got_sum = 0;
        CHECK_OK(gort_map_iter_init(m, &it));
        while (gort_map_iter_next(&it, &key, &value) == 1) {
            CHECK_TRUE(isnan(*(const double *)key));
            got_sum += *(uint64_t *)value;
        }
        CHECK_EQ_U64(got_sum, 2 * sum);
        gort_map_release(m);
        free(keys), free(values);
    }
}

/* References the map's entries hold on each tracked object, counted from its contents. */
static void refs_in_contents(gort_map *m, int *count)
{
    memset(count, 0, TRACKED_OBJECTS * sizeof *count);
    gort_map_iter it;
    const void *key;
    void *value;
    CHECK_OK(gort_map_iter_init(m, &it));
    while (gort_map_iter_next(&it, &key, &value) == 1) {
        const tracked *parts[2] = {key, value};
        for (int p = 0; p < 2; p++) {
            void *words[2] = {parts[p]->first, parts[p]->second};
            for (int w = 0; w < 2; w++)
                if (words[w])
                    count[(char *)words[w] - tracked_objects]++;
        }
    }
}

/* Every reference the hooks counted is one the map's entries hold, and no more. */
static bool refs_match_contents(gort_map *m)
{
    int count[TRACKED_OBJECTS];
    refs_in_contents(m, count);
    for (int i = 0; i < TRACKED_OBJECTS; i++)
        if (!CHECK_EQ_INT(refs(i), count[i]))
            return false;
    return CHECK_EQ_INT(tracked_state.errors, 0);
}

/* tracked key number `tag` (equal tags, equal keys) and a value for pair j. */
static tracked tracked_key(uint64_t tag)
{
    return track((int)(tag % 64), tag, tag % 5 ? (int)(tag % 7) : -1);
}

static tracked tracked_value(uint64_t j)
{
    return track((int)((j + 1) % 64), j, j % 3 ? (int)(j % 11) : -1);
}

TEST(set_n_copies_strings_and_balances_hooks)
{
    /* str keys and values are copied: the caller's bytes may change after the call */
    enum { N = 600 };
    uint64_t blocks = live_blocks(NULL);
    gort_map *m = NULL;
    CHECK_OK(gort_map_create(str_type(), str_type(), 0, NULL, &m));
    static char key_text[N][24], value_text[N][24];
    static gort_str keys[N], values[N];
    for (int i = 0; i < N; i++) {
        keys[i] = (gort_str){key_text[i], (size_t)snprintf(key_text[i], 24, "key-%d", i)};
        values[i] = (gort_str){value_text[i], (size_t)snprintf(value_text[i], 24, "v%d", i)};
    }
    CHECK_EQ_INT(gort_map_set_n(m, keys, values, N), N); /* small, table, grows */
    memset(key_text, 'x', sizeof key_text);
    memset(value_text, 'y', sizeof value_text);
    uint64_t with_entries = live_blocks(NULL);
    char probe[24], want[24];
    for (int i = 0; i < N; i++) {
        gort_str k = {probe, (size_t)snprintf(probe, sizeof probe, "key-%d", i)}, v = {0};
        int found = 0;
        CHECK_OK(gort_map_get(m, &k, &v, &found));
        int len = snprintf(want, sizeof want, "v%d", i);
        if (!found || v.len != (size_t)len || memcmp(v.ptr, want, v.len) != 0)
            CHECK_TRUE(!"a stored string changed with the caller's buffer");
    }
    /* overwrites within and across batches: every key's old value is freed, every
     * staged key copy of an overwrite too (the block count stays where it was) */
    for (int i = 0; i < N; i++) {
        int number = i % 2 ? i : (i * 7) % N; /* even pairs repeat some keys */
        keys[i].len = (size_t)snprintf(key_text[i], 24, "key-%d", number);
        values[i].len = (size_t)snprintf(value_text[i], 24, "new %d", i);
    }
    CHECK_EQ_INT(gort_map_set_n(m, keys, values, N), 0);
    CHECK_EQ_SIZE(gort_map_len(m), N);
    CHECK_EQ_U64(live_blocks(NULL), with_entries);
    gort_map_release(m);
    CHECK_EQ_U64(live_blocks(NULL), blocks);

    /* custom keys with str values (staged pairs): an overwrite stores the newest key */
    gort_type_desc desc = {.struct_size = sizeof desc, .size = sizeof(name_key),
                           .align = 8, .hash = name_hash, .equal = name_equal};
    gort_type *name_type = NULL;
    CHECK_OK(gort_type_create(&desc, &name_type));
    gort_map *maps[3];
    name_key hello = {"hello", 1};
    gort_str first = str_of("first");
    for (int j = 0; j < 3; j++) {
        CHECK_OK(gort_map_create(name_type, str_type(), 0, NULL, &maps[j]));
        CHECK_OK(gort_map_set(maps[j], &hello, &first));
    }
    const name_key nkeys[3] = {{"HELLO", 2}, {"Hello", 3}, {"other", 4}};
    const gort_str nvalues[3] = {str_of("second"), str_of("third"), str_of("fourth")};
    CHECK_EQ_INT(check_set_n(maps[0], maps[1], maps[2], nkeys, nvalues, 3), 1);
    gort_map_iter it;
    const void *key;
    void *value;
    CHECK_OK(gort_map_iter_init(maps[2], &it));
    while (gort_map_iter_next(&it, &key, &value) == 1) {
        const name_key *k = key;
        const gort_str *v = value;
        bool is_hello = name_equal(k, &hello, NULL);
        CHECK_EQ_STR(k->text, is_hello ? "Hello" : "other");
        CHECK_EQ_U64(k->unused, is_hello ? 3 : 4);
        CHECK_TRUE(v->len == (is_hello ? 5u : 6u) &&
                   memcmp(v->ptr, is_hello ? "third" : "fourth", v->len) == 0);
    }
    for (int j = 0; j < 3; j++)
        gort_map_release(maps[j]);
    gort_type_release(name_type);
    CHECK_EQ_U64(live_blocks(NULL), blocks);

    /* hooks: each retain has its release, whatever overwrote what */
    gort_type *t = tracked_type();
    static tracked tkeys[3000], tvalues[3000];
    for (int small = 1; small >= 0; small--) {
        CHECK_OK(gort_map_create(t, t, 0, NULL, &m));
        static const struct {
            size_t n;
            uint64_t tags;
        } small_batches[] = {{5, 5}, {6, 3}, {8, 7}}, /* 7 keys at most: stays small */
            table_batches[] = {{50, 30}, {3000, 1500}, {700, 2000}}; /* grows, overwrites */
        for (size_t b = 0; b < 3; b++) {
            size_t n = small ? small_batches[b].n : table_batches[b].n;
            uint64_t tags = small ? small_batches[b].tags : table_batches[b].tags;
            size_t before = gort_map_len(m);
            int64_t fresh = 0;
            for (size_t j = 0; j < n; j++) {
                tkeys[j] = tracked_key((j * 13 + b) % tags);
                tvalues[j] = tracked_value(j + b * 10000);
                int found = 1;
                CHECK_OK(gort_map_get(m, &tkeys[j], NULL, &found));
                bool earlier = false;
                for (size_t e = 0; e < j && !found && !earlier; e++)
                    earlier = tkeys[e].tag == tkeys[j].tag;
                fresh += !found && !earlier;
            }
            CHECK_EQ_INT(gort_map_set_n(m, tkeys, tvalues, n), fresh);
            CHECK_EQ_SIZE(gort_map_len(m), before + (size_t)fresh);
            refs_match_contents(m);
            tracked got;
            CHECK_OK(gort_map_get(m, &tkeys[n - 1], &got, NULL));
            CHECK_EQ_U64(got.tag, tvalues[n - 1].tag);
        }
        CHECK_EQ_SIZE(stats_of(m).directory_len > 0, !small);
        /* delete_n releases too (the small round's keys past its 8 are all-zero: absent) */
        CHECK_EQ_INT(gort_map_delete_n(m, tkeys, 100), small ? 7 : 100);
        refs_match_contents(m);
        gort_map_release(m);
        CHECK_TRUE(tracked_balanced());
    }
    gort_type_release(t);
}

/* The value of a str key, or UINT64_MAX when absent. */
static uint64_t lookup_str(const gort_map *m, const char *text)
{
    gort_str k = str_of(text);
    uint64_t v = 0;
    int found = -1;
    CHECK_OK(gort_map_get(m, &k, &v, &found));
    return found ? v : UINT64_MAX;
}

TEST(set_n_and_delete_n_refuse_bad_input_and_change_nothing)
{
    gort_map *m = new_u64_map(0);
    put_range(m, 0, 100);
    const uint64_t keys[3] = {1, 200, 3}, values[3] = {7, 7, 7};
    CHECK_EQ_INT(gort_map_set_n(NULL, keys, values, 3), GORT_EINVAL);
    CHECK_EQ_INT(gort_map_set_n(m, NULL, values, 1), GORT_EINVAL);
    CHECK_EQ_INT(gort_map_set_n(m, NULL, NULL, 0), 0);
    CHECK_EQ_INT(gort_map_set_n(m, keys, values, 0), 0);
    CHECK_EQ_INT(gort_map_set_n(m, keys, values, SIZE_MAX), GORT_EINVAL);
    CHECK_EQ_INT(gort_map_set_n(m, keys, values, SIZE_MAX / 8 + 1), GORT_EINVAL);
    CHECK_EQ_INT(gort_map_delete_n(NULL, keys, 3), GORT_EINVAL);
    CHECK_EQ_INT(gort_map_delete_n(m, NULL, 1), GORT_EINVAL);
    CHECK_EQ_INT(gort_map_delete_n(m, NULL, 0), 0);
    CHECK_EQ_INT(gort_map_delete_n(m, keys, 0), 0);
    CHECK_EQ_INT(gort_map_delete_n(m, keys, SIZE_MAX / 8 + 1), GORT_EINVAL);
    CHECK_EQ_SIZE(gort_map_len(m), 100);
    CHECK_EQ_U64(lookup(m, 1), 10);
    CHECK_EQ_U64(lookup(m, 200), UINT64_MAX);
    gort_map_release(m);
    /* past INT64_MAX: 1-byte keys and values that many would fit, the count would not */
    gort_type *u8 = gort_type_builtin(GORT_KIND_U8);
    uint8_t byte_keys[2] = {1, 2};
    CHECK_OK(gort_map_create(u8, u8, 0, NULL, &m));
    CHECK_EQ_INT(gort_map_set_n(m, byte_keys, byte_keys, (size_t)INT64_MAX + 1), GORT_EINVAL);
    CHECK_EQ_INT(gort_map_delete_n(m, byte_keys, (size_t)INT64_MAX + 1), GORT_EINVAL);
    CHECK_EQ_SIZE(gort_map_len(m), 0);
    gort_map_release(m);

    /* a bad str at position 1 of 2, as key or as value: nothing happens, not even to the
     * good first pair (a new key, then a present one), and nothing is retained or leaks */
    uint64_t blocks = live_blocks(NULL);
    const gort_str bad[2] = {{NULL, 3}, {"x", (size_t)GORT_MAX_ALLOC + 1}};
    const int why[2] = {GORT_EINVAL, GORT_EOVERFLOW};
    gort_map *s = NULL, *ss = NULL;
    CHECK_OK(gort_map_create(str_type(), u64_type(), 0, NULL, &s));
    CHECK_OK(gort_map_create(str_type(), str_type(), 0, NULL, &ss));
    gort_str old_value = str_of("old");
    for (int round = 0; round < 2; round++) { /* small maps, then tables */
        for (int first = 0; first < 2; first++) {
            gort_str good = str_of(first ? "present" : "fresh");
            CHECK_OK(gort_map_set(s, &(gort_str){"present", 7}, &(uint64_t){5}));
            CHECK_OK(gort_map_set(ss, &(gort_str){"present", 7}, &old_value));
            map_rows before = rows_of(s), before_ss = rows_of(ss);
            uint64_t with_entries = live_blocks(NULL);
            for (int b = 0; b < 2; b++) {
                const gort_str bad_keys[2] = {good, bad[b]}, good_keys[2] = {good, good};
                const gort_str bad_values[2] = {str_of("new"), bad[b]};
                const uint64_t u64_values[2] = {9, 9};
                CHECK_EQ_INT(gort_map_set_n(s, bad_keys, u64_values, 2), why[b]);
                CHECK_EQ_INT(gort_map_set_n(ss, bad_keys, bad_values, 2), why[b]);
                CHECK_EQ_INT(gort_map_set_n(ss, good_keys, bad_values, 2), why[b]);
                CHECK_EQ_INT(gort_map_delete_n(s, bad_keys, 2), why[b]);
                CHECK_EQ_INT(gort_map_delete_n(ss, bad_keys, 2), why[b]);
            }
            map_rows after = rows_of(s), after_ss = rows_of(ss);
            CHECK_EQ_SIZE(after.n, before.n);
            CHECK_EQ_MEM(after.bytes, before.bytes, before.n * before.width);
            CHECK_EQ_SIZE(after_ss.n, before_ss.n);
            CHECK_EQ_MEM(after_ss.bytes, before_ss.bytes, before_ss.n * before_ss.width);
            free(before.bytes), free(after.bytes), free(before_ss.bytes), free(after_ss.bytes);
            CHECK_EQ_U64(lookup_str(s, "fresh"), UINT64_MAX);
            CHECK_EQ_U64(lookup_str(s, "present"), 5);
            CHECK_EQ_U64(live_blocks(NULL), with_entries);
        }
        CHECK_EQ_SIZE(stats_of(s).directory_len > 0, round);
        char text[16];
        for (int i = 0; round == 0 && i < 100; i++) {
            gort_str k = {text, (size_t)snprintf(text, sizeof text, "more-%d", i)};
            CHECK_OK(gort_map_set(s, &k, NULL));
            CHECK_OK(gort_map_set(ss, &k, &old_value));
        }
    }
    gort_map_release(s);
    gort_map_release(ss);
    /* a hooked value beside a bad key: not retained */
    gort_type *t = tracked_type();
    CHECK_OK(gort_map_create(str_type(), t, 0, NULL, &s));
    const gort_str tkeys[2] = {str_of("a"), {NULL, 1}};
    const tracked tvalues[2] = {track(1, 0, 2), track(3, 0, 4)};
    CHECK_EQ_INT(gort_map_set_n(s, tkeys, tvalues, 2), GORT_EINVAL);
    CHECK_EQ_INT(tracked_state.retains, 0);
    CHECK_EQ_SIZE(gort_map_len(s), 0);
    gort_map_release(s);
    gort_type_release(t);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* Every key present at the start and never deleted is produced exactly once while one
 * set_n adds `first_batch` new keys after the first entry and, at every later step, one
 * adds `per_step` more (growth, splits, directory doubling); each also rewrites two
 * present keys with their own values. */
static void check_exactly_once_under_set_n(uint64_t initial, uint64_t first_batch,
                                           uint64_t per_step)
{
    gort_map *m = new_u64_map(0);
    put_range(m, 0, initial);
    uint64_t next = 1u << 30, most = first_batch > per_step ? first_batch : per_step;
    uint8_t *seen = calloc(initial, 1);
    uint64_t *keys = malloc((most + 2) * sizeof *keys);
    uint64_t *values = malloc((most + 2) * sizeof *values);
    gort_map_iter it;
    const void *key;
    void *value;
    int produced = 0;
    CHECK_OK(gort_map_iter_init(m, &it));
    while (gort_map_iter_next(&it, &key, &value) == 1) {
        uint64_t k = *(const uint64_t *)key;
        CHECK_EQ_U64(*(uint64_t *)value, k < initial ? k * 10 : k + 1); /* current */
        if (k < initial)
            seen[k]++;
        else
            CHECK_TRUE(k >= 1u << 30);
        uint64_t n = produced++ ? per_step : first_batch;
        for (uint64_t i = 0; i < n; i++, next++)
            keys[i] = next, values[i] = next + 1;
        uint64_t present[2] = {k < initial ? k : 0, (k * 7 + 3) % initial};
        for (uint64_t i = 0; i < 2; i++)
            keys[n + i] = present[i], values[n + i] = present[i] * 10;
        CHECK_EQ_INT(gort_map_set_n(m, keys, values, n + 2), (int64_t)n);
    }
    for (uint64_t k = 0; k < initial; k++)
        if (seen[k] != 1)
            CHECK_EQ_INT(seen[k], 1);
    free(seen), free(keys), free(values);
    gort_map_release(m);
}

TEST(set_n_during_iteration_produces_each_entry_once)
{
    for (int round = 0; round < 30; round++) {
        check_exactly_once_under_set_n(8, 3, 3);       /* small -> table -> ... */
        check_exactly_once_under_set_n(100, 2, 2);     /* grows */
        check_exactly_once_under_set_n(890, 1, 1);     /* splits */
        check_exactly_once_under_set_n(3000, 5, 5);    /* splits, directory doubles */
        check_exactly_once_under_set_n(5, 2000, 0);    /* small -> tables in one batch */
        check_exactly_once_under_set_n(1000, 5000, 0); /* several splits in one batch */
    }
}

TEST(delete_n_during_iteration_hides_deleted_keys)
{
    /* as TestIterGrowAndDelete, in batches: grow from 100 to 1000 (or not), delete every
     * odd key, rewrite every even one; later entries are even with current values */
    static uint64_t keys[1000], values[1000];
    for (int round = 0; round < 60; round++) {
        bool grow = round % 2;
        gort_map *m = new_u64_map(0);
        put_range(m, 0, grow ? 100 : 1000);
        gort_map_iter it;
        const void *key;
        void *value;
        uint8_t seen[1000] = {0};
        int produced = 0;
        CHECK_OK(gort_map_iter_init(m, &it));
        while (gort_map_iter_next(&it, &key, &value) == 1) {
            uint64_t k = *(const uint64_t *)key;
            CHECK_TRUE(k < 1000);
            if (k < 1000)
                seen[k]++;
            if (produced++ > 0) {
                CHECK_TRUE(k % 2 == 0);
                CHECK_EQ_U64(*(uint64_t *)value, k * 10 + 1);
                continue;
            }
            size_t n = 0;
            for (uint64_t i = 100; grow && i < 1000; i++)
                keys[n] = i, values[n++] = i * 10;
            CHECK_EQ_INT(gort_map_set_n(m, keys, values, n), (int64_t)n);
            if (grow) /* a write since k was produced: iter_delete refuses */
                CHECK_STATUS(gort_map_iter_delete(&it), GORT_EINVAL);
            n = 0;
            for (uint64_t d = 1; d < 1000; d += 2)
                if (d != k)
                    keys[n++] = d;
            keys[n++] = 5000;           /* absent */
            keys[n++] = k == 1 ? 5 : 1; /* a repeat */
            CHECK_EQ_INT(gort_map_delete_n(m, keys, n), (int64_t)(k % 2 ? 499 : 500));
            CHECK_STATUS(gort_map_iter_delete(&it), GORT_EINVAL);
            n = 0;
            for (uint64_t u = 0; u < 1000; u += 2)
                keys[n] = u, values[n++] = u * 10 + 1;
            CHECK_EQ_INT(gort_map_set_n(m, keys, values, n), 0);
        }
        for (uint64_t k = 0; k < (grow ? 100 : 1000); k += 2) /* present throughout: once */
            if (seen[k] != 1)
                CHECK_EQ_INT(seen[k], 1);
        gort_map_release(m);
    }
}

/* The number in a key "s<number>". */
static uint64_t str_number(const void *key)
{
    const gort_str *s = key;
    char text[24] = {0};
    if (!CHECK_TRUE(s->len > 1 && s->len < sizeof text && s->ptr[0] == 's'))
        return UINT64_MAX;
    memcpy(text, s->ptr + 1, s->len - 1);
    return strtoull(text, NULL, 10);
}

/* str keys "s<i>" for i in [lo, lo + n * step) stepping by step, skipping `except`,
 * into keys[] (text from texts[], 24 bytes each). Returns how many. */
static size_t str_keys(gort_str *keys, char (*texts)[24], uint64_t lo, size_t n, uint64_t step,
                       uint64_t except)
{
    size_t count = 0;
    for (uint64_t i = lo; i < lo + n * step; i += step) {
        if (i == except)
            continue;
        int len = snprintf(texts[count], 24, "s%llu", (unsigned long long)i);
        keys[count] = (gort_str){texts[count], (size_t)len};
        count++;
    }
    return count;
}

TEST(delete_n_of_str_keys_while_an_iterator_reads_retired_tables)
{
    /* Keys deleted while the iterator still reads a retired copy of their table must
     * stay readable (graves): under ASan a freed key read by the iterator would show. */
    enum { BEFORE = 100, AFTER = 3000 };
    static gort_str keys[AFTER];
    static char texts[AFTER][24];
    static uint64_t values[AFTER];
    for (uint64_t i = 0; i < AFTER; i++)
        values[i] = i;
    uint64_t blocks = live_blocks(NULL);
    for (int round = 0; round < 20; round++) {
        gort_map *m = NULL;
        CHECK_OK(gort_map_create(str_type(), u64_type(), 0, NULL, &m));
        size_t n = str_keys(keys, texts, 0, BEFORE, 1, UINT64_MAX);
        CHECK_EQ_INT(gort_map_set_n(m, keys, values, n), BEFORE);
        gort_map_iter it;
        const void *key;
        void *value;
        uint8_t seen[AFTER] = {0};
        CHECK_OK(gort_map_iter_init(m, &it));
        CHECK_EQ_INT(gort_map_iter_next(&it, &key, &value), 1);
        uint64_t first = str_number(key);
        seen[first < AFTER ? first : 0]++;
        n = str_keys(keys, texts, BEFORE, AFTER - BEFORE, 1, UINT64_MAX);
        CHECK_EQ_INT(gort_map_set_n(m, keys, values + BEFORE, n), AFTER - BEFORE);
        n = str_keys(keys, texts, 0, AFTER / 2, 2, first); /* the even keys */
        CHECK_EQ_INT(gort_map_delete_n(m, keys, n), (int64_t)n);
        memset(texts, 'x', sizeof texts); /* the map's keys are its own */
        while (gort_map_iter_next(&it, &key, &value) == 1) {
            uint64_t k = str_number(key);
            if (!CHECK_TRUE(k < AFTER))
                break;
            seen[k]++;
            CHECK_EQ_U64(*(uint64_t *)value, k);
            CHECK_TRUE(k % 2 == 1 || k == first);
        }
        for (uint64_t k = 1; k < BEFORE; k += 2)
            if (seen[k] != 1)
                CHECK_EQ_INT(seen[k], 1);
        CHECK_EQ_SIZE(gort_map_len(m), AFTER / 2 + (first % 2 == 0));
        gort_map_release(m);
    }
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* n keys deleted from `loop` by gort_map_delete and from `batched` by one
 * gort_map_delete_n, whose return value must be how many the loop removed. */
static void delete_n_like_a_loop(gort_map *loop, gort_map *batched, const char *keys, size_t n)
{
    size_t key_size = gort_type_size(gort_map_key_type(loop));
    size_t before = gort_map_len(loop);
    for (size_t i = 0; i < n; i++)
        CHECK_OK(gort_map_delete(loop, keys + i * key_size));
    CHECK_EQ_INT(gort_map_delete_n(batched, keys, n), (int64_t)(before - gort_map_len(loop)));
    CHECK_EQ_SIZE(gort_map_len(batched), gort_map_len(loop));
}

/* As check_set_n_family, deleting: keys 0..entries-1, then 3000 random key numbers
 * (about half present, many repeated) deleted one by one, in batches of each of
 * write_batch_sizes, and in one batch. */
static void check_delete_n_family(const key_family *f, uint64_t entries, rng *r)
{
    enum { N_KEYS = 3000 };
    size_t key_size = gort_type_size(f->key_type), value_size = gort_type_size(f->value_type);
    char *keys = malloc(N_KEYS * key_size), *text = malloc(N_KEYS * KEY_TEXT);
    unsigned char *value = malloc(value_size);
    gort_map *maps[3] = {family_map(f, entries), family_map(f, entries), family_map(f, entries)};
    for (size_t j = 0; j < N_KEYS; j++) {
        uint64_t i = rng_below(r, 2 * entries + 16);
        make_key(f, i, keys + j * key_size, text + j * KEY_TEXT, r);
    }
    size_t at = 0;
    for (size_t i = 0; at < N_KEYS; i++) {
        size_t count = write_batch_sizes[i % HARNESS_COUNT(write_batch_sizes)];
        count = count < N_KEYS - at ? count : N_KEYS - at;
        delete_n_like_a_loop(maps[0], maps[1], keys + at * key_size, count);
        at += count;
    }
    size_t left = gort_map_len(maps[0]);
    CHECK_EQ_INT(gort_map_delete_n(maps[2], keys, N_KEYS), (int64_t)(entries - left));
    if (!CHECK_TRUE(left < entries && (entries < 100 || left > 0)))
        printf("#   %s keys, %llu entries\n", f->name, (unsigned long long)entries);
    same_contents(maps[0], maps[1]);
    same_contents(maps[0], maps[2]);
    for (int j = 0; j < 3; j++)
        gort_map_release(maps[j]);
    free(keys), free(text), free(value);
}

TEST(delete_n_agrees_with_delete_in_small_and_table_mode)
{
    write_families w = write_families_make();
    static const uint64_t sizes[] = {6, 8, 5000}; /* small, full small, several tables */
    rng r = {5};
    uint64_t blocks = live_blocks(NULL);
    for (size_t f = 0; f < HARNESS_COUNT(w.family); f++)
        for (size_t s = 0; s < HARNESS_COUNT(sizes); s++)
            check_delete_n_family(&w.family[f], sizes[s], &r);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
    write_families_release(&w);
}

TEST(delete_n_of_every_key_empties_the_map_and_leaves_it_usable)
{
    /* the batch empties the map part way (which reseeds it): the keys after that point,
     * present a moment ago or never, are no-ops */
    static const uint64_t sizes[] = {1, 5, 8, 9, 100, 5000};
    static uint64_t keys[3 * 5000 + 3];
    for (size_t s = 0; s < HARNESS_COUNT(sizes); s++) {
        uint64_t entries = sizes[s];
        gort_map *m = new_u64_map(0);
        put_range(m, 0, entries);
        size_t n = 0;
        for (uint64_t k = 0; k < entries; k++)
            keys[n++] = entries - 1 - k;
        for (uint64_t k = 0; k < entries; k++)
            keys[n++] = k, keys[n++] = k + entries; /* deleted already, never present */
        CHECK_EQ_INT(gort_map_delete_n(m, keys, n), (int64_t)entries);
        CHECK_EQ_SIZE(gort_map_len(m), 0);
        CHECK_EQ_INT(gort_map_get_n(m, keys, n, NULL, NULL), 0);
        CHECK_EQ_INT(gort_map_delete_n(m, keys, n), 0);
        /* usable: batches and single calls put keys back where lookups find them */
        CHECK_EQ_INT(gort_map_set_n(m, keys, keys, n), (int64_t)(2 * entries));
        put(m, 3 * entries, 1);
        CHECK_EQ_SIZE(gort_map_len(m), 2 * entries + 1);
        for (uint64_t k = 0; k < 2 * entries; k++)
            if (lookup(m, k) != k)
                CHECK_EQ_U64(lookup(m, k), k);
        CHECK_EQ_U64(lookup(m, 3 * entries), 1);
        gort_map_release(m);
    }
    /* str keys: every key's bytes are freed with it */
    enum { N = 3000 };
    static gort_str skeys[2 * N];
    static char texts[2 * N][24];
    static uint64_t values[N];
    uint64_t blocks = live_blocks(NULL);
    for (int small = 0; small < 2; small++) {
        size_t entries = small ? 7 : N;
        gort_map *m = NULL;
        CHECK_OK(gort_map_create(str_type(), u64_type(), 0, NULL, &m));
        size_t n = str_keys(skeys, texts, 0, entries, 1, UINT64_MAX);
        CHECK_EQ_INT(gort_map_set_n(m, skeys, values, n), (int64_t)entries);
        uint64_t with_strings = live_blocks(NULL);
        n += str_keys(skeys + n, texts + n, 0, entries, 1, UINT64_MAX); /* again */
        CHECK_EQ_INT(gort_map_delete_n(m, skeys, n), (int64_t)entries);
        CHECK_EQ_SIZE(gort_map_len(m), 0);
        CHECK_EQ_U64(live_blocks(NULL), with_strings - entries); /* one block per key */
        CHECK_EQ_INT(gort_map_set_n(m, skeys, values, entries), (int64_t)entries);
        CHECK_EQ_INT(gort_map_get_n(m, skeys, n, NULL, NULL), (int64_t)n);
        gort_map_release(m);
    }
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* ---- ownership: hooks and scan ---------------------------------------------------- */

TEST(hooks_balance_over_every_operation)
{
    gort_type *t = tracked_type();
    gort_map *m = NULL;
    CHECK_OK(gort_map_create(t, t, 0, NULL, &m));
    for (int i = 0; i < 2000; i++) {
        tracked k = track(i % 64, (uint64_t)i, -1), v = track((i + 1) % 64, 0, i % 7);
        CHECK_OK(gort_map_set(m, &k, &v));
    }
    CHECK_EQ_INT(refs(0) > 0, 1);
    tracked k = track(5, 5, -1), v = track(-1, 0, -1);
    CHECK_OK(gort_map_set(m, &k, &v)); /* overwrite: the old value is released */
    CHECK_OK(gort_map_delete(m, &k));
    gort_map *c = NULL;
    CHECK_OK(gort_map_clone(m, &c));
    gort_map_iter it;
    const void *key;
    CHECK_OK(gort_map_iter_init(m, &it));
    CHECK_EQ_INT(gort_map_iter_next(&it, &key, NULL), 1);
    for (int i = 2000; i < 6000; i++) { /* growth under an iterator: graves, limbo */
        tracked nk = track(i % 64, (uint64_t)i, i % 5), nv = track(3, 0, -1);
        CHECK_OK(gort_map_set(m, &nk, &nv));
        tracked old = track((i - 2000) % 64, (uint64_t)(i - 2000), -1);
        CHECK_OK(gort_map_delete(m, &old));
    }
    gort_map_iter_finish(&it);
    CHECK_OK(gort_map_shrink(m));
    CHECK_OK(gort_map_clear(c));
    gort_map_release(c);
    gort_map_release(m);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(t);
}

static void count_visit(void **slot, void *ctx)
{
    (void)slot;
    ++*(size_t *)ctx;
}

TEST(scan_visits_every_pointer_word_of_every_entry)
{
    gort_type *t = tracked_type();
    gort_map *m = NULL;
    CHECK_OK(gort_map_create(t, t, 0, NULL, &m));
    size_t expected = 0;
    for (int i = 0; i < 1000; i++) {
        tracked k = track(i % 64, (uint64_t)i, i % 2 ? 1 : -1), v = track(2, 0, -1);
        CHECK_OK(gort_map_set(m, &k, &v));
        expected += 1 + (i % 2) + 1;
    }
    size_t visits = 0;
    CHECK_OK(gort_map_scan(m, count_visit, &visits));
    CHECK_EQ_SIZE(visits, expected);
    gort_map_release(m);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(t);
}

/* ---- clone and shrink (item 38) ---------------------------------------------------- */

TEST(clone_is_an_independent_copy)
{
    for (uint64_t n = 0; n < 5000; n = n * 3 + 5) {
        gort_map *m = new_u64_map(0);
        put_range(m, 0, n);
        for (uint64_t k = 0; k < n; k += 4)
            CHECK_OK(gort_map_delete(m, &k)); /* tombstones are copied too */
        gort_map *c = NULL;
        CHECK_OK(gort_map_clone(m, &c));
        CHECK_EQ_SIZE(gort_map_len(c), gort_map_len(m));
        put(m, 1, 0);
        put_range(c, n, n + 100);
        for (uint64_t k = 0; k < n; k++) {
            uint64_t want = k % 4 == 0 ? UINT64_MAX : k * 10;
            if (lookup(c, k) != want)
                CHECK_EQ_U64(lookup(c, k), want);
        }
        gort_map_release(m);
        gort_map_release(c);
    }
}

TEST(shrink_returns_memory_and_keeps_every_entry)
{
    gort_map *m = new_u64_map(0);
    put_range(m, 0, 100000);
    size_t full = stats_of(m).bytes;
    for (uint64_t k = 0; k < 100000; k++)
        if (k % 100)
            CHECK_OK(gort_map_delete(m, &k));
    CHECK_EQ_SIZE(stats_of(m).bytes, full); /* Go never shrinks */
    CHECK_OK(gort_map_shrink(m));
    gort_map_stats st = stats_of(m);
    CHECK_TRUE(st.bytes * 20 < full);
    CHECK_EQ_SIZE(st.entries, 1000);
    for (uint64_t k = 0; k < 100000; k++) {
        uint64_t want = k % 100 ? UINT64_MAX : k * 10;
        if (lookup(m, k) != want)
            CHECK_EQ_U64(lookup(m, k), want);
    }
    put_range(m, 0, 100000); /* grows again normally */
    CHECK_EQ_SIZE(gort_map_len(m), 100000);
    for (uint64_t k = 8; k < 100000; k++)
        CHECK_OK(gort_map_delete(m, &k));
    CHECK_OK(gort_map_shrink(m));
    st = stats_of(m);
    CHECK_EQ_SIZE(st.tables, 0); /* back to a small map */
    CHECK_EQ_SIZE(st.capacity, 8);
    CHECK_EQ_U64(lookup(m, 7), 70);
    CHECK_OK(gort_map_clear(m));
    CHECK_OK(gort_map_shrink(m));
    CHECK_EQ_SIZE(stats_of(m).capacity, 0);
    put(m, 1, 1);
    CHECK_EQ_U64(lookup(m, 1), 1);
    gort_map_release(m);
}

TEST(shrink_during_iteration_keeps_the_guarantees)
{
    for (int round = 0; round < 40; round++) {
        gort_map *m = new_u64_map(0);
        put_range(m, 0, 4000);
        gort_map_iter it;
        const void *key;
        void *value;
        uint8_t seen[4000] = {0};
        int produced = 0;
        CHECK_OK(gort_map_iter_init(m, &it));
        while (gort_map_iter_next(&it, &key, &value) == 1) {
            uint64_t k = *(const uint64_t *)key;
            CHECK_TRUE(k < 4000);
            seen[k]++;
            if (++produced == 10 + round) {
                for (uint64_t d = 0; d < 4000; d++)
                    if (d % 2 && !seen[d])
                        CHECK_OK(gort_map_delete(m, &d));
                CHECK_OK(gort_map_shrink(m));
                if (round % 2) {
                    for (uint64_t d = 0; d < 4000; d += 2)
                        if (!seen[d] && d % 10)
                            CHECK_OK(gort_map_delete(m, &d));
                    CHECK_OK(gort_map_shrink(m)); /* twice, to the small map */
                }
            }
        }
        for (uint64_t k = 0; k < 4000; k++) {
            bool live = lookup(m, k) != UINT64_MAX;
            /* produced once if it survived; a deleted one only if reached first */
            if (live && seen[k] != 1)
                CHECK_EQ_INT(seen[k], 1);
            if (!live && seen[k] > 1)
                CHECK_EQ_INT(seen[k], 1);
        }
        gort_map_release(m);
    }
}

/* ---- misuse: the writing toggle, concurrent readers (items 40, 41) --------------- */

static const char *last_fatal;
static gort_map *reentered;
static int reenter_mode;

static void record_fatal(const char *message, void *ctx)
{
    (void)ctx;
    last_fatal = message;
}

/* An equality callback that touches the map while a write is in progress: the only
 * deterministic way to race a writer from one thread. */
static int reentrant_equal(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    if (reentered) {
        gort_map *m = reentered;
        uint64_t k = 1;
        reentered = NULL;
        if (reenter_mode == 0) {
            (void)gort_map_set(m, &k, &k);
        } else if (reenter_mode == 1) {
            (void)gort_map_get(m, &k, NULL, NULL);
        } else {
            gort_map_iter it;
            const void *key;
            (void)gort_map_iter_init(m, &it);
            (void)gort_map_iter_next(&it, &key, NULL);
            gort_map_iter_finish(&it);
        }
    }
    return memcmp(a, b, 8) == 0;
}

static uint64_t word_hash(const void *value, uint64_t seed, void *ctx)
{
    (void)ctx;
    uint64_t v;
    memcpy(&v, value, 8);
    return (v ^ seed) * 0x9e3779b97f4a7c15u;
}

/* What the abort hook says for each reenter_mode. */
static const char *const reenter_messages[] = {"concurrent map writes",
                                               "concurrent map read and map write",
                                               "concurrent map iteration and map write"};

/* An 8-byte key type whose equality runs reentrant_equal. */
static gort_type *reentrant_key_type(void)
{
    gort_type_desc desc = {.struct_size = sizeof desc, .size = 8, .align = 8,
                           .hash = word_hash, .equal = reentrant_equal};
    gort_type *key_type = NULL;
    CHECK_OK(gort_type_create(&desc, &key_type));
    return key_type;
}

TEST(concurrent_writes_reads_and_iteration_reach_the_abort_hook)
{
    gort_type *key_type = reentrant_key_type();
    gort_map_set_abort_hook(record_fatal, NULL);
    for (reenter_mode = 0; reenter_mode < 3; reenter_mode++) {
        gort_map *m = NULL;
        CHECK_OK(gort_map_create(key_type, u64_type(), 0, NULL, &m));
        uint64_t k = 1, v = 1;
        CHECK_OK(gort_map_set(m, &k, &v));
        last_fatal = NULL;
        reentered = m;
        CHECK_OK(gort_map_set(m, &k, &v)); /* compares against the stored key 1 */
        CHECK_TRUE(last_fatal && strcmp(last_fatal, reenter_messages[reenter_mode]) == 0);
        gort_map_release(m);
    }
    gort_map_set_abort_hook(NULL, NULL);
    gort_type_release(key_type);
}

TEST(set_n_and_delete_n_report_map_access_from_their_callbacks)
{
    gort_type *key_type = reentrant_key_type();
    gort_map_set_abort_hook(record_fatal, NULL);
    for (reenter_mode = 0; reenter_mode < 3; reenter_mode++) {
        for (int op = 0; op < 2; op++) {
            gort_map *m = NULL;
            CHECK_OK(gort_map_create(key_type, u64_type(), 0, NULL, &m));
            uint64_t k = 1, v = 1;
            CHECK_OK(gort_map_set(m, &k, &v));
            last_fatal = NULL;
            reentered = m;
            /* compares against the stored key 1 while the batch writes */
            CHECK_EQ_INT(op ? gort_map_delete_n(m, &k, 1) : gort_map_set_n(m, &k, &v, 1), op);
            CHECK_TRUE(last_fatal && strcmp(last_fatal, reenter_messages[reenter_mode]) == 0);
            gort_map_release(m);
        }
    }
    gort_map_set_abort_hook(NULL, NULL);
    gort_type_release(key_type);
}

struct reader_args {
    gort_map *m;
    uint64_t n;
    uint64_t sum;
};

static void *reader(void *arg)
{
    struct reader_args *r = arg;
    for (int pass = 0; pass < 3; pass++) {
        for (uint64_t k = 0; k < r->n; k++)
            r->sum += lookup(r->m, k);
        gort_map_iter it;
        const void *key;
        void *value;
        CHECK_OK(gort_map_iter_init(r->m, &it));
        while (gort_map_iter_next(&it, &key, &value) == 1)
            r->sum += *(uint64_t *)value;
    }
    return NULL;
}

TEST(concurrent_readers_after_growth_are_safe)
{
    /* TestConcurrentReadsAfterGrowth: lookups and iteration from 4 threads */
    for (uint64_t n = 10; n <= 20000; n *= 10) {
        gort_map *m = new_u64_map(0);
        put_range(m, 0, n);
        pthread_t threads[4];
        struct reader_args args[4];
        for (int i = 0; i < 4; i++) {
            args[i] = (struct reader_args){m, n, 0};
            CHECK_EQ_INT(pthread_create(&threads[i], NULL, reader, &args[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(threads[i], NULL);
            CHECK_EQ_U64(args[i].sum, 3 * 2 * 10 * (n * (n - 1) / 2));
        }
        gort_map_release(m);
    }
}

/* ---- bad input -------------------------------------------------------------------- */

TEST(null_arguments_and_incomparable_keys_are_refused)
{
    gort_map *m = new_u64_map(0);
    uint64_t k = 1, v = 1;
    void *p;
    gort_map *out = NULL;
    CHECK_STATUS(gort_map_create(NULL, u64_type(), 0, NULL, &out), GORT_EINVAL);
    CHECK_STATUS(gort_map_create(u64_type(), NULL, 0, NULL, &out), GORT_EINVAL);
    CHECK_STATUS(gort_map_create(u64_type(), u64_type(), 0, NULL, NULL), GORT_EINVAL);
    gort_type_desc desc = {.struct_size = sizeof desc, .size = 8, .align = 8,
                           .flags = GORT_TYPE_INCOMPARABLE};
    gort_type *opaque = NULL;
    CHECK_OK(gort_type_create(&desc, &opaque));
    CHECK_STATUS(gort_map_create(opaque, u64_type(), 0, NULL, &out), GORT_ETYPE);
    CHECK_TRUE(out == NULL);
    gort_type_release(opaque);
    CHECK_STATUS(gort_map_set(NULL, &k, &v), GORT_EINVAL);
    CHECK_STATUS(gort_map_set(m, NULL, &v), GORT_EINVAL);
    CHECK_STATUS(gort_map_get(NULL, &k, &v, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_map_get(m, NULL, &v, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_map_get_ptr(m, &k, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_map_get_ptr(NULL, &k, &p), GORT_EINVAL);
    CHECK_STATUS(gort_map_delete(NULL, &k), GORT_EINVAL);
    CHECK_STATUS(gort_map_delete(m, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_map_clear(NULL), GORT_EINVAL);
    CHECK_STATUS(gort_map_clone(NULL, &out), GORT_EINVAL);
    CHECK_STATUS(gort_map_clone(m, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_map_shrink(NULL), GORT_EINVAL);
    CHECK_STATUS(gort_map_scan(m, NULL, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_map_scan(NULL, count_visit, NULL), GORT_EINVAL);
    gort_map_stats st = {.struct_size = 8};
    CHECK_STATUS(gort_map_stats_get(m, &st), GORT_EINVAL);
    CHECK_STATUS(gort_map_stats_get(m, NULL), GORT_EINVAL);
    gort_map_iter it;
    CHECK_STATUS(gort_map_iter_init(NULL, &it), GORT_EINVAL);
    CHECK_STATUS(gort_map_iter_init(m, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_map_iter_next(NULL, NULL, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_map_iter_delete(NULL), GORT_EINVAL);
    CHECK_EQ_SIZE(gort_map_len(NULL), 0);
    CHECK_TRUE(gort_map_key_type(NULL) == NULL && gort_map_value_type(NULL) == NULL);
    CHECK_TRUE(gort_map_key_type(m) == u64_type());
    CHECK_TRUE(gort_map_retain(NULL) == NULL);
    gort_map_release(NULL);
    CHECK_TRUE(gort_map_retain(m) == m);
    gort_map_release(m);
    CHECK_EQ_SIZE(gort_map_len(m), 0);
    gort_map_release(m);
}

int main(void)
{
    static const harness_test tests[] = {
        TEST_ENTRY(small_map_has_no_table_and_allocates_lazily),
        TEST_ENTRY(growth_thresholds_match_go),
        TEST_ENTRY(the_897th_insert_splits_the_table),
        TEST_ENTRY(hints_presize_like_go),
        TEST_ENTRY(presized_map_does_not_grow_for_hint_entries),
        TEST_ENTRY(bogus_hints_are_ignored),
        TEST_ENTRY(put_and_get_31_keys_through_growth),
        TEST_ENTRY(keys_survive_many_splits),
        TEST_ENTRY(overwrite_keeps_len_and_replaces_value),
        TEST_ENTRY(deleting_every_key_empties_the_map),
        TEST_ENTRY(reinserting_a_deleted_key_reuses_its_tombstone),
        TEST_ENTRY(constant_size_churn_does_not_keep_growing),
        TEST_ENTRY(deleted_value_reads_as_zero_when_the_slot_is_reused),
        TEST_ENTRY(clear_empties_keeps_tables_and_removes_nans),
        TEST_ENTRY(negative_zero_overwrites_positive_zero_and_is_stored),
        TEST_ENTRY(every_nan_insert_adds_an_entry_lookups_miss),
        TEST_ENTRY(nan_entries_survive_growth_during_iteration),
        TEST_ENTRY(update_after_growth_mid_iteration_yields_new_key_and_value),
        TEST_ENTRY(iteration_yields_every_entry_exactly_once),
        TEST_ENTRY(sparse_map_iterates_each_survivor_once),
        TEST_ENTRY(entries_deleted_before_they_are_reached_are_not_produced),
        TEST_ENTRY(grow_then_delete_during_iteration_hides_deleted_keys),
        TEST_ENTRY(growth_and_splits_during_iteration_produce_each_entry_once),
        TEST_ENTRY(clear_during_iteration_produces_nothing_that_existed_before),
        TEST_ENTRY(iteration_order_is_randomised),
        TEST_ENTRY(delete_and_reinsert_during_iteration_loses_nothing),
        TEST_ENTRY(batched_iteration_produces_the_same_entries),
        TEST_ENTRY(iter_delete_removes_the_produced_entry),
        TEST_ENTRY(iter_delete_after_a_batch_that_reached_the_end),
        TEST_ENTRY(finished_copied_and_stale_iterators_are_refused),
        TEST_ENTRY(iterator_on_an_empty_map_stays_done),
        TEST_ENTRY(retired_tables_live_until_the_last_iterator_finishes),
        TEST_ENTRY(zero_size_keys_and_values),
        TEST_ENTRY(keys_and_values_over_128_bytes_are_stored_indirectly),
        TEST_ENTRY(string_keys_are_owned_copies),
        TEST_ENTRY(small_string_maps_find_keys_of_equal_and_long_lengths),
        TEST_ENTRY(uint32_keys_take_their_own_path),
        TEST_ENTRY(small_word_maps_find_keys_that_share_a_fingerprint),
        TEST_ENTRY(custom_equality_keys_store_the_newest_key),
        TEST_ENTRY(a_hash_that_cannot_split_still_works),
        TEST_ENTRY(get_n_agrees_with_get_in_every_map_mode),
        TEST_ENTRY(get_n_agrees_with_get_for_every_key_kind),
        TEST_ENTRY(get_n_follows_go_float_key_rules),
        TEST_ENTRY(get_n_refuses_bad_input_and_writes_nothing),
        TEST_ENTRY(set_n_agrees_with_set_in_every_map_mode),
        TEST_ENTRY(set_n_agrees_with_set_for_every_key_kind),
        TEST_ENTRY(set_n_keeps_tables_within_1024_slots_however_empty_the_map),
        TEST_ENTRY(set_n_applies_pairs_in_order_and_counts_each_new_key_once),
        TEST_ENTRY(set_n_with_null_values_stores_zero_values),
        TEST_ENTRY(set_n_follows_go_float_key_rules),
        TEST_ENTRY(set_n_copies_strings_and_balances_hooks),
        TEST_ENTRY(set_n_and_delete_n_refuse_bad_input_and_change_nothing),
        TEST_ENTRY(set_n_during_iteration_produces_each_entry_once),
        TEST_ENTRY(delete_n_during_iteration_hides_deleted_keys),
        TEST_ENTRY(delete_n_of_str_keys_while_an_iterator_reads_retired_tables),
        TEST_ENTRY(delete_n_agrees_with_delete_in_small_and_table_mode),
        TEST_ENTRY(delete_n_of_every_key_empties_the_map_and_leaves_it_usable),
        TEST_ENTRY(hooks_balance_over_every_operation),
        TEST_ENTRY(scan_visits_every_pointer_word_of_every_entry),
        TEST_ENTRY(clone_is_an_independent_copy),
        TEST_ENTRY(shrink_returns_memory_and_keeps_every_entry),
        TEST_ENTRY(shrink_during_iteration_keeps_the_guarantees),
        TEST_ENTRY(concurrent_writes_reads_and_iteration_reach_the_abort_hook),
        TEST_ENTRY(set_n_and_delete_n_report_map_access_from_their_callbacks),
        TEST_ENTRY(concurrent_readers_after_growth_are_safe),
        TEST_ENTRY(null_arguments_and_incomparable_keys_are_refused),
    };
    return harness_run(tests, HARNESS_COUNT(tests));
}

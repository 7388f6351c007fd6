/*
 * Map conformance tests: Go's behaviours (research note §5, items 14-43) with Go's
 * numbers, libgort's additions (shrink, stats, iter_delete, abort hook, batched lookup),
 * ownership (strings, hooks, indirect blocks), bad input and allocation failure at every
 * step.
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
static void check_get_n_family(const key_family *f, uint64_t entries, rng *r)
{
    enum { N_KEYS = 1200 };
    size_t key_size = gort_type_size(f->key_type), value_size = gort_type_size(f->value_type);
    char *keys = malloc(N_KEYS * key_size), *text = malloc(N_KEYS * KEY_TEXT);
    unsigned char *value = malloc(value_size);
    gort_map *m = NULL;
    CHECK_OK(gort_map_create(f->key_type, f->value_type, 0, NULL, &m));
    for (uint64_t i = 0; i < entries; i++) {
        f->make(i, keys, text);
        fill_value(i, value, value_size);
        CHECK_OK(gort_map_set(m, keys, value));
    }
    /* small or table mode (several tables, unless name_hash's top bits happen to agree
     * for the first 896 keys: then one oversize table) */
    CHECK_EQ_INT(stats_of(m).directory_len > 0, entries > 8);
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
    static const uint64_t sizes[] = {0, 6, 5000}; /* never written, small, several tables */
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

TEST(concurrent_writes_reads_and_iteration_reach_the_abort_hook)
{
    static const char *messages[] = {"concurrent map writes",
                                     "concurrent map read and map write",
                                     "concurrent map iteration and map write"};
    gort_type_desc desc = {.struct_size = sizeof desc, .size = 8, .align = 8,
                           .hash = word_hash, .equal = reentrant_equal};
    gort_type *key_type = NULL;
    CHECK_OK(gort_type_create(&desc, &key_type));
    gort_map_set_abort_hook(record_fatal, NULL);
    for (reenter_mode = 0; reenter_mode < 3; reenter_mode++) {
        gort_map *m = NULL;
        CHECK_OK(gort_map_create(key_type, u64_type(), 0, NULL, &m));
        uint64_t k = 1, v = 1;
        CHECK_OK(gort_map_set(m, &k, &v));
        last_fatal = NULL;
        reentered = m;
        CHECK_OK(gort_map_set(m, &k, &v)); /* compares against the stored key 1 */
        CHECK_TRUE(last_fatal && strcmp(last_fatal, messages[reenter_mode]) == 0);
        gort_map_release(m);
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
        TEST_ENTRY(custom_equality_keys_store_the_newest_key),
        TEST_ENTRY(a_hash_that_cannot_split_still_works),
        TEST_ENTRY(get_n_agrees_with_get_in_every_map_mode),
        TEST_ENTRY(get_n_agrees_with_get_for_every_key_kind),
        TEST_ENTRY(get_n_follows_go_float_key_rules),
        TEST_ENTRY(get_n_refuses_bad_input_and_writes_nothing),
        TEST_ENTRY(hooks_balance_over_every_operation),
        TEST_ENTRY(scan_visits_every_pointer_word_of_every_entry),
        TEST_ENTRY(clone_is_an_independent_copy),
        TEST_ENTRY(shrink_returns_memory_and_keeps_every_entry),
        TEST_ENTRY(shrink_during_iteration_keeps_the_guarantees),
        TEST_ENTRY(concurrent_writes_reads_and_iteration_reach_the_abort_hook),
        TEST_ENTRY(concurrent_readers_after_growth_are_safe),
        TEST_ENTRY(null_arguments_and_incomparable_keys_are_refused),
    };
    return harness_run(tests, HARNESS_COUNT(tests));
}

/*
 * libgort's side of the benchmarks (WORKLOADS.md), measured only through the public C
 * API in <gort.h>, the way a user calls it: one function per workload, registered in
 * `workloads` below; the peers in peers/ implement the same workloads the same way.
 * Each function is one repetition: set-up, then the timed loop, then an untimed
 * read-back that yields the checksum, then tear-down.
 */
#define _POSIX_C_SOURCE 200809L

#include "bench_chan.h"

#include <gort.h>

static int gort_failed(const char *what, int status)
{
    fprintf(stderr, "bench_gort: %s: %s\n", what, gort_strerror(status));
    return 1;
}

/* Read-back shared by the slice rows: len + sum of every 64-bit word of s[0:len]. */
static uint64_t slice_checksum(const gort_slice *s, size_t words_per_elem)
{
    size_t len = gort_slice_len(s);
    const uint64_t *words = (const uint64_t *)gort_slice_data(s);
    return len ? bench_checksum_words(words, len * words_per_elem, len) : 0;
}

/* slice_append_int_10m: s = append(s, int64(i)) for i in [0, n), from a nil slice. */
static int slice_append_int(uint64_t n, bench_sample *out)
{
    gort_slice *s = NULL;
    int status = gort_slice_nil(gort_type_builtin(GORT_KIND_I64), NULL, &s);
    if (status != GORT_OK)
        return gort_failed("gort_slice_nil", status);

    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n && status == GORT_OK; i++) {
        int64_t v = (int64_t)i;
        status = gort_slice_append(s, &v);
    }
    uint64_t t1 = bench_now_ns();

    if (status != GORT_OK) {
        gort_slice_free(s);
        return gort_failed("gort_slice_append", status);
    }
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = slice_checksum(s, 1);
    gort_slice_free(s);
    return 0;
}

/* The 64-byte element of slice_append_struct64_1m; element i holds {i, i+1, ..., i+7}. */
typedef struct struct64 {
    uint64_t f[8];
} struct64;

static int struct64_type(gort_type **out)
{
    gort_type_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.struct_size = sizeof(gort_type_desc);
    desc.size = sizeof(struct64);
    desc.align = 8;
    desc.name = "bench.struct64";
    return gort_type_create(&desc, out); /* no hash/equal, no pointer words, no hooks */
}

/* slice_append_struct64_1m: s = append(s, struct64{i, ..., i+7}) for i in [0, n). */
static int slice_append_struct64(uint64_t n, bench_sample *out)
{
    gort_type *type = NULL;
    gort_slice *s = NULL;
    int status = struct64_type(&type);
    if (status != GORT_OK)
        return gort_failed("gort_type_create", status);
    status = gort_slice_nil(type, NULL, &s);
    if (status != GORT_OK) {
        gort_type_release(type);
        return gort_failed("gort_slice_nil", status);
    }

    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n && status == GORT_OK; i++) {
        struct64 v;
        for (uint64_t k = 0; k < 8; k++)
            v.f[k] = i + k;
        status = gort_slice_append(s, &v);
    }
    uint64_t t1 = bench_now_ns();

    if (status == GORT_OK) {
        out->value = bench_ns_per_op(t0, t1, n);
        out->checksum = slice_checksum(s, 8);
    }
    gort_slice_free(s);
    gort_type_release(type);
    return status == GORT_OK ? 0 : gort_failed("gort_slice_append", status);
}

/*
 * The map rows: uint64 -> uint64 maps (gort_type_builtin(GORT_KIND_U64) for both) and
 * string -> uint64 maps (GORT_KIND_STR keys: gort_str {ptr, len}, whose bytes the map
 * copies in), on the inputs of bench_common.h: keys[i] -> i.
 */
static gort_type *u64_type(void)
{
    return gort_type_builtin(GORT_KIND_U64);
}

/*
 * The same uint64 key as a user would describe it through gort_type_create: hash and
 * equality callbacks (a murmur3 finaliser of the key mixed with the map's seed), so every
 * hash and every candidate comparison is an indirect call. The *_custom rows compare this
 * path with the builtin one (issue 3: within 1.5x).
 */
static uint64_t user_u64_hash(const void *value, uint64_t seed, void *ctx)
{
    (void)ctx;
    uint64_t x;
    memcpy(&x, value, sizeof x);
    x ^= seed;
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    return x ^ (x >> 33);
}

static int user_u64_equal(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    return memcmp(a, b, sizeof(uint64_t)) == 0;
}

static gort_type *user_u64_type(void)
{
    static gort_type *type;
    if (!type) {
        gort_type_desc desc = {.struct_size = sizeof desc, .size = 8, .align = 8,
                               .hash = user_u64_hash, .equal = user_u64_equal,
                               .name = "user_u64"};
        int status = gort_type_create(&desc, &type);
        if (status != GORT_OK)
            gort_failed("gort_type_create", status);
    }
    return type;
}

/* The *_batch workloads take BENCH_BATCH keys per call of gort_map_get_n, set_n,
 * delete_n or iter_next_n: the same work as the one-call-per-key rows. */
#define BENCH_BATCH 256

/* m[keys[i]] = i for i in [0, n), in order: the insert rows' timed loop, and the
 * untimed set-up of the others. */
static int map_fill(gort_map *m, const uint64_t *keys, uint64_t n)
{
    int status = GORT_OK;
    for (uint64_t i = 0; i < n && status == GORT_OK; i++)
        status = gort_map_set(m, &keys[i], &i);
    return status;
}

/* map_fill with one gort_map_set_n per BENCH_BATCH pairs (keys key_size bytes apart). */
static int map_fill_batched(gort_map *m, const void *keys, size_t key_size, uint64_t n)
{
    for (uint64_t j = 0; j < n; j += BENCH_BATCH) {
        uint64_t values[BENCH_BATCH];
        size_t count = n - j < BENCH_BATCH ? (size_t)(n - j) : BENCH_BATCH;
        for (size_t k = 0; k < count; k++)
            values[k] = j + k;
        int64_t added = gort_map_set_n(m, (const char *)keys + j * key_size, values, count);
        if (added < 0)
            return (int)added;
    }
    return GORT_OK;
}

/* A new map with key_type keys in `heap` (NULL: the default one), no hint, holding
 * keys[i] -> i, i < n. */
static int map_make_filled_with(gort_type *key_type, const uint64_t *keys, uint64_t n,
                                gort_heap *heap, gort_map **out)
{
    int status = gort_map_create(key_type, u64_type(), 0, heap, out);
    if (status != GORT_OK)
        return gort_failed("gort_map_create", status);
    status = map_fill(*out, keys, n);
    if (status != GORT_OK) {
        gort_map_release(*out);
        return gort_failed("gort_map_set", status);
    }
    return 0;
}

static int map_make_filled(const uint64_t *keys, uint64_t n, gort_heap *heap, gort_map **out)
{
    return map_make_filled_with(u64_type(), keys, n, heap, out);
}

/* A map key as the number the checksums add up: the uint64 itself, or a 16-char hex
 * string parsed back. */
static uint64_t u64_key_number(const void *key)
{
    return *(const uint64_t *)key;
}

static uint64_t str_key_number(const void *key)
{
    const gort_str *s = key;
    return s->len == 16 ? bench_parse_hex16(s->ptr) : 0;
}

/* Untimed read-back of the insert and memory rows: len + sum of (key number + value)
 * over every entry, by iteration. Returns GORT_OK or the iterator's error. */
static int map_checksum_entries(gort_map *m, uint64_t (*key_number)(const void *key),
                                uint64_t *out)
{
    gort_map_iter it;
    const void *key;
    void *value;
    uint64_t sum = gort_map_len(m);
    int status = gort_map_iter_init(m, &it);
    while (status == GORT_OK && (status = gort_map_iter_next(&it, &key, &value)) == 1) {
        sum += key_number(key) + *(const uint64_t *)value;
        status = GORT_OK;
    }
    *out = sum;
    return status;
}

/* Looks up the n keys at `keys` (key_size bytes apart, each map value a uint64) with one
 * gort_map_get per key; adds how many were present to *found and the values read (zero
 * when absent) to *sum. */
static inline int lookup_each(const gort_map *m, const char *keys, size_t key_size, uint64_t n,
                              uint64_t *found, uint64_t *sum)
{
    uint64_t hits = 0, total = 0;
    int status = GORT_OK;
    for (uint64_t j = 0; j < n && status == GORT_OK; j++) {
        uint64_t value;
        int present;
        status = gort_map_get(m, keys + j * key_size, &value, &present);
        hits += (uint64_t)present;
        total += value;
    }
    *found += hits;
    *sum += total;
    return status;
}

/* lookup_each with one gort_map_get_n per BENCH_BATCH keys. */
static inline int lookup_batched(const gort_map *m, const char *keys, size_t key_size,
                                 uint64_t n, uint64_t *found, uint64_t *sum)
{
    uint64_t hits = 0, total = 0;
    for (uint64_t j = 0; j < n; j += BENCH_BATCH) {
        uint64_t values[BENCH_BATCH];
        size_t count = n - j < BENCH_BATCH ? (size_t)(n - j) : BENCH_BATCH;
        int64_t present = gort_map_get_n(m, keys + j * key_size, count, values, NULL);
        if (present < 0)
            return (int)present;
        hits += (uint64_t)present;
        for (size_t k = 0; k < count; k++)
            total += values[k];
    }
    *found += hits;
    *sum += total;
    return GORT_OK;
}

static int map_lookup_keys(const gort_map *m, const void *keys, size_t key_size, uint64_t n,
                           int batch, uint64_t *found, uint64_t *sum)
{
    return batch ? lookup_batched(m, keys, key_size, n, found, sum)
                 : lookup_each(m, keys, key_size, n, found, sum);
}

/* Looks up keys[0..n), adding to *found how many were present and to *sum the values read
 * (the zero value when absent). */
static int map_lookup_all(const gort_map *m, const uint64_t *keys, uint64_t n, int batch,
                          uint64_t *found, uint64_t *sum)
{
    return map_lookup_keys(m, keys, sizeof *keys, n, batch, found, sum);
}

/* map_insert_1m / map_insert_presized_1m / map_insert_1m_custom: m[keys[i]] = i,
 * i in [0, n), into make(map[key_type]uint64, hint) (with `batch`, through set_n). */
static int map_insert_hinted(uint64_t n, gort_type *key_type, size_t hint, int batch,
                             bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    gort_map *m = NULL;
    if (!in || !key_type)
        return 1;
    int status = gort_map_create(key_type, u64_type(), hint, NULL, &m);
    if (status != GORT_OK)
        return gort_failed("gort_map_create", status);

    uint64_t t0 = bench_now_ns();
    status = batch ? map_fill_batched(m, in->keys, sizeof *in->keys, n) : map_fill(m, in->keys, n);
    uint64_t t1 = bench_now_ns();

    if (status == GORT_OK) {
        out->value = bench_ns_per_op(t0, t1, n);
        status = map_checksum_entries(m, u64_key_number, &out->checksum);
    }
    gort_map_release(m);
    return status == GORT_OK ? 0 : gort_failed("map_insert", status);
}

static int map_insert(uint64_t n, bench_sample *out)
{
    return map_insert_hinted(n, u64_type(), 0, 0, out);
}

static int map_insert_batch(uint64_t n, bench_sample *out)
{
    return map_insert_hinted(n, u64_type(), 0, 1, out);
}

static int map_insert_presized(uint64_t n, bench_sample *out)
{
    return map_insert_hinted(n, u64_type(), (size_t)n, 0, out);
}

static int map_insert_presized_batch(uint64_t n, bench_sample *out)
{
    return map_insert_hinted(n, u64_type(), (size_t)n, 1, out);
}

static int map_insert_custom(uint64_t n, bench_sample *out)
{
    return map_insert_hinted(n, user_u64_type(), 0, 0, out);
}

/* map_hit_1m (present = 1): look up every key in shuffled order; checksum = found + sum
 * of values. map_miss_1m (present = 0): look up the n misses; checksum = not found +
 * sum of values read (zero values), plus, read back untimed, every key's found + value
 * (so a map that finds nothing fails). map_hit_1m_custom: map_hit_1m with user_u64 keys.
 * The *_batch rows look the same keys up through gort_map_get_n. */
static int map_lookup_row(uint64_t n, gort_type *key_type, int present, int batch,
                          bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    gort_map *m = NULL;
    uint64_t found = 0, sum = 0;
    if (!in || !key_type || map_make_filled_with(key_type, in->keys, n, NULL, &m) != 0)
        return 1;

    const uint64_t *probe = present ? in->shuffled : in->misses;
    uint64_t t0 = bench_now_ns();
    int status = map_lookup_all(m, probe, n, batch, &found, &sum);
    uint64_t t1 = bench_now_ns();
    uint64_t readback = 0;
    if (status == GORT_OK && !present)
        status = map_lookup_all(m, in->keys, n, 0, &readback, &sum);

    gort_map_release(m);
    if (status != GORT_OK)
        return gort_failed("gort_map_get", status);
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = (present ? found : n - found + readback) + sum;
    return 0;
}

static int map_hit(uint64_t n, bench_sample *out)
{
    return map_lookup_row(n, u64_type(), 1, 0, out);
}

static int map_miss(uint64_t n, bench_sample *out)
{
    return map_lookup_row(n, u64_type(), 0, 0, out);
}

static int map_hit_batch(uint64_t n, bench_sample *out)
{
    return map_lookup_row(n, u64_type(), 1, 1, out);
}

static int map_miss_batch(uint64_t n, bench_sample *out)
{
    return map_lookup_row(n, u64_type(), 0, 1, out);
}

static int map_hit_custom(uint64_t n, bench_sample *out)
{
    return map_lookup_row(n, user_u64_type(), 1, 0, out);
}

/* delete every key of keys[0, n) from m, BENCH_BATCH per gort_map_delete_n call. */
static int map_delete_batched(gort_map *m, const uint64_t *keys, uint64_t n)
{
    for (uint64_t j = 0; j < n; j += BENCH_BATCH) {
        size_t count = n - j < BENCH_BATCH ? (size_t)(n - j) : BENCH_BATCH;
        int64_t deleted = gort_map_delete_n(m, keys + j, count);
        if (deleted < 0)
            return (int)deleted;
    }
    return GORT_OK;
}

/* map_delete_1m: delete every key in shuffled order (with `batch`, through delete_n);
 * checksum = len before - len after, plus, looked up untimed afterwards, the keys not
 * found + the values read (zero). */
static int map_delete_row(uint64_t n, int batch, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    gort_map *m = NULL;
    int status = GORT_OK;
    if (!in || map_make_filled(in->keys, n, NULL, &m) != 0)
        return 1;
    size_t len_before = gort_map_len(m);

    uint64_t t0 = bench_now_ns();
    if (batch)
        status = map_delete_batched(m, in->shuffled, n);
    for (uint64_t j = 0; !batch && j < n && status == GORT_OK; j++)
        status = gort_map_delete(m, &in->shuffled[j]);
    uint64_t t1 = bench_now_ns();

    const char *failed = batch ? "gort_map_delete_n" : "gort_map_delete";
    uint64_t left = 0, sum = 0;
    if (status == GORT_OK) {
        failed = "gort_map_get";
        status = map_lookup_all(m, in->keys, n, 0, &left, &sum);
    }
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = (uint64_t)(len_before - gort_map_len(m)) + (n - left) + sum;
    gort_map_release(m);
    return status == GORT_OK ? 0 : gort_failed(failed, status);
}

static int map_delete(uint64_t n, bench_sample *out)
{
    return map_delete_row(n, 0, out);
}

static int map_delete_batch(uint64_t n, bench_sample *out)
{
    return map_delete_row(n, 1, out);
}

/* map_iter_1m: for _, v := range m { sum += v }; checksum = entries produced + sum.
 * With `batch`, BENCH_BATCH entries per gort_map_iter_next_n call. */
static int map_iter_row(uint64_t n, int batch, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    gort_map *m = NULL;
    gort_map_iter it;
    void *values[BENCH_BATCH];
    uint64_t count = 0, sum = 0;
    if (!in || map_make_filled(in->keys, n, NULL, &m) != 0)
        return 1;

    uint64_t t0 = bench_now_ns();
    int64_t got = gort_map_iter_init(m, &it); /* then: entries produced, 0 at the end */
    if (batch) {
        while (got >= 0 && (got = gort_map_iter_next_n(&it, NULL, values, BENCH_BATCH)) > 0) {
            for (int64_t k = 0; k < got; k++)
                sum += *(const uint64_t *)values[k];
            count += (uint64_t)got;
        }
    } else {
        while (got >= 0 && (got = gort_map_iter_next(&it, NULL, values)) == 1) {
            sum += *(const uint64_t *)values[0];
            count++;
        }
    }
    uint64_t t1 = bench_now_ns();

    gort_map_release(m);
    if (got < 0)
        return gort_failed(batch ? "gort_map_iter_next_n" : "gort_map_iter_next", (int)got);
    out->value = bench_ns_per_op(t0, t1, count);
    out->checksum = count + sum;
    return 0;
}

static int map_iter(uint64_t n, bench_sample *out)
{
    return map_iter_row(n, 0, out);
}

static int map_iter_batch(uint64_t n, bench_sample *out)
{
    return map_iter_row(n, 1, out);
}

/* map_hit_1k: a 1,000-key map; n lookups cycling through its keys in shuffled order
 * (with `batch`, through gort_map_get_n). */
static int map_hit_1k_row(uint64_t n, int batch, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(BENCH_HIT_1K_KEYS);
    gort_map *m = NULL;
    uint64_t found = 0, sum = 0;
    int status = GORT_OK;
    if (!in || map_make_filled(in->keys, BENCH_HIT_1K_KEYS, NULL, &m) != 0)
        return 1;

    uint64_t t0 = bench_now_ns();
    for (uint64_t j = 0; j < n && status == GORT_OK; j += BENCH_HIT_1K_KEYS) {
        uint64_t count = n - j < BENCH_HIT_1K_KEYS ? n - j : BENCH_HIT_1K_KEYS;
        status = map_lookup_keys(m, in->shuffled, sizeof *in->shuffled, count, batch, &found,
                                 &sum);
    }
    uint64_t t1 = bench_now_ns();

    gort_map_release(m);
    if (status != GORT_OK)
        return gort_failed(batch ? "gort_map_get_n" : "gort_map_get", status);
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = found + sum;
    return 0;
}

static int map_hit_1k(uint64_t n, bench_sample *out)
{
    return map_hit_1k_row(n, 0, out);
}

static int map_hit_1k_batch(uint64_t n, bench_sample *out)
{
    return map_hit_1k_row(n, 1, out);
}

/* churn_one's 8 inserts and 8 lookups as one gort_map_set_n and one gort_map_get_n. */
static int churn_batched(gort_map *m, const uint64_t *pool, uint64_t base, uint64_t *checksum)
{
    uint64_t values[BENCH_CHURN_KEYS];
    for (uint64_t t = 0; t < BENCH_CHURN_KEYS; t++)
        values[t] = base + t;
    int64_t got = gort_map_set_n(m, &pool[base], values, BENCH_CHURN_KEYS);
    if (got >= 0)
        got = gort_map_get_n(m, &pool[base], BENCH_CHURN_KEYS, values, NULL);
    if (got < 0)
        return (int)got;
    *checksum += (uint64_t)got;
    for (uint64_t t = 0; t < BENCH_CHURN_KEYS; t++)
        *checksum += values[t];
    return GORT_OK;
}

/* One map of map_small_churn: make, insert pool[base + t] -> base + t (t < 8), look
 * the 8 keys up (adding found + value to *checksum), release. */
static int churn_one(const uint64_t *pool, uint64_t base, int batch, uint64_t *checksum)
{
    gort_map *m = NULL;
    int status = gort_map_create(u64_type(), u64_type(), 0, NULL, &m);
    if (batch && status == GORT_OK) {
        status = churn_batched(m, pool, base, checksum);
        gort_map_release(m);
        return status;
    }
    for (uint64_t idx = base; idx < base + BENCH_CHURN_KEYS && status == GORT_OK; idx++)
        status = gort_map_set(m, &pool[idx], &idx);
    for (uint64_t idx = base; idx < base + BENCH_CHURN_KEYS && status == GORT_OK; idx++) {
        uint64_t value;
        int present;
        status = gort_map_get(m, &pool[idx], &value, &present);
        *checksum += (uint64_t)present + value;
    }
    gort_map_release(m);
    return status;
}

/* map_small_churn: n x (create, insert 8, look up 8, destroy); map i uses the 8 keys at
 * (8 i) % 4096 of a 4,096-key pool. */
static int map_small_churn_row(uint64_t n, int batch, bench_sample *out)
{
    const bench_map_input *pool = bench_map_input_get(BENCH_CHURN_POOL);
    uint64_t checksum = 0;
    int status = GORT_OK;
    if (!pool)
        return 1;

    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n && status == GORT_OK; i++)
        status = churn_one(pool->keys, (i * BENCH_CHURN_KEYS) % BENCH_CHURN_POOL, batch,
                           &checksum);
    uint64_t t1 = bench_now_ns();

    if (status != GORT_OK)
        return gort_failed("map_small_churn", status);
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = checksum;
    return 0;
}

static int map_small_churn(uint64_t n, bench_sample *out)
{
    return map_small_churn_row(n, 0, out);
}

static int map_small_churn_batch(uint64_t n, bench_sample *out)
{
    return map_small_churn_row(n, 1, out);
}

/* The str rows' keys as gort_str: strs[i] is key i's 16 hex digits (in in->hex, which
 * outlives the map: the map copies the bytes anyway), shuffled[j] = strs[perm[j]]. */
static int str_keys_make(const bench_map_input *in, gort_str **strs, gort_str **shuffled)
{
    const char *hex = bench_map_input_hex(in);
    size_t count = in->n ? (size_t)in->n : 1;
    *strs = (gort_str *)malloc(count * sizeof(gort_str));
    *shuffled = (gort_str *)malloc(count * sizeof(gort_str));
    if (!hex || !*strs || !*shuffled) {
        free(*strs);
        free(*shuffled);
        fprintf(stderr, "bench_gort: out of memory\n");
        return 1;
    }
    for (uint64_t i = 0; i < in->n; i++) {
        (*strs)[i].ptr = hex + i * BENCH_HEX_STRIDE;
        (*strs)[i].len = 16;
    }
    for (uint64_t j = 0; j < in->n; j++)
        (*shuffled)[j] = (*strs)[in->perm[j]];
    return 0;
}

/* m[strs[i]] = i for i in [0, n): the str insert row's timed loop. */
static int str_map_fill(gort_map *m, const gort_str *strs, uint64_t n)
{
    int status = GORT_OK;
    for (uint64_t i = 0; i < n && status == GORT_OK; i++)
        status = gort_map_set(m, &strs[i], &i);
    return status;
}

/* map_str_insert_1m (lookup = 0): insert the n hex keys into an empty map (no hint);
 * map_str_lookup_1m (lookup = 1): then look all of them up in shuffled order
 * (checksum = found + sum of values). `batch` times set_n or get_n. */
static int str_map_row(uint64_t n, int lookup, int batch, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    gort_str *strs = NULL, *shuffled = NULL;
    gort_map *m = NULL;
    uint64_t found = 0, sum = 0, t0 = 0, t1 = 0;
    if (!in || str_keys_make(in, &strs, &shuffled) != 0)
        return 1;
    int status = gort_map_create(gort_type_builtin(GORT_KIND_STR), u64_type(), 0, NULL, &m);

    if (status == GORT_OK) {
        t0 = bench_now_ns();
        status = batch && !lookup ? map_fill_batched(m, strs, sizeof *strs, n)
                                  : str_map_fill(m, strs, n);
        t1 = bench_now_ns();
    }
    if (status == GORT_OK && lookup) {
        t0 = bench_now_ns();
        status = map_lookup_keys(m, shuffled, sizeof *shuffled, n, batch, &found, &sum);
        t1 = bench_now_ns();
        out->checksum = found + sum;
    } else if (status == GORT_OK) {
        status = map_checksum_entries(m, str_key_number, &out->checksum);
    }
    out->value = bench_ns_per_op(t0, t1, n);
    gort_map_release(m);
    free(strs);
    free(shuffled);
    return status == GORT_OK ? 0 : gort_failed("str map", status);
}

static int map_str_insert(uint64_t n, bench_sample *out)
{
    return str_map_row(n, 0, 0, out);
}

static int map_str_insert_batch(uint64_t n, bench_sample *out)
{
    return str_map_row(n, 0, 1, out);
}

static int map_str_lookup(uint64_t n, bench_sample *out)
{
    return str_map_row(n, 1, 0, out);
}

static int map_str_lookup_batch(uint64_t n, bench_sample *out)
{
    return str_map_row(n, 1, 1, out);
}

static uint64_t heap_allocated(gort_heap *heap)
{
    gort_heap_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    return gort_heap_stats_get(heap, &stats) == GORT_OK ? stats.allocated : 0;
}

/* Prints the map's own view of its memory (gort_map_stats) to stderr, for context. */
static void print_map_stats(const gort_map *m, uint64_t n, uint64_t heap_bytes)
{
    gort_map_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    if (gort_map_stats_get(m, &stats) != GORT_OK)
        return;
    fprintf(stderr,
            "bench_gort: map_mem: n=%" PRIu64 " heap allocated %" PRIu64
            " B; gort_map_stats: bytes %zu (%.2f B/entry), capacity %zu, tables %zu, "
            "directory_len %zu, growth_left %zu\n",
            n, heap_bytes, stats.bytes, n ? (double)stats.bytes / (double)n : 0.0,
            stats.capacity, stats.tables, stats.directory_len, stats.growth_left);
}

/* map_mem_1m: bytes per entry of a map of n u64 -> u64 entries inserted with no hint,
 * built alone in a dedicated heap: the growth of jemalloc's allocated bytes for that
 * heap (its private arena), from before gort_map_create to after the last insert. */
static int map_mem(uint64_t n, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    gort_heap *heap = NULL;
    gort_map *m = NULL;
    if (!in)
        return 1;
    int status = gort_heap_create(&heap);
    if (status != GORT_OK)
        return gort_failed("gort_heap_create", status);

    uint64_t before = heap_allocated(heap);
    if (map_make_filled(in->keys, n, heap, &m) != 0) {
        gort_heap_destroy(heap, 0);
        return 1;
    }
    uint64_t bytes = heap_allocated(heap) - before;
    print_map_stats(m, n, bytes);

    out->value = n ? (double)bytes / (double)n : 0.0;
    status = map_checksum_entries(m, u64_key_number, &out->checksum);
    gort_map_release(m);
    int destroyed = gort_heap_destroy(heap, 0);
    if (status != GORT_OK)
        return gort_failed("gort_map_iter_next", status);
    return destroyed == GORT_OK ? 0 : gort_failed("gort_heap_destroy", destroyed);
}

/*
 * The channel rows (bench_chan.h): uint64 messages through gort_chan (element type
 * gort_type_builtin(GORT_KIND_U64), default heap), with the blocking gort_chan_send and
 * gort_chan_recv, gort_select, and gort_chan_try_send/try_recv. Every return code is
 * checked; a failure in a worker thread ends the process (bench_chan_die).
 */
#define GORT_IMPL "bench_gort"

static gort_chan *chan_make(int64_t cap)
{
    gort_chan *c = NULL;
    int status = gort_chan_create(u64_type(), cap, NULL, &c);
    if (status != GORT_OK)
        bench_chan_die(GORT_IMPL, "gort_chan_create failed");
    return c;
}

static void chan_check(int status, const char *what)
{
    if (status != GORT_OK) {
        fprintf(stderr, GORT_IMPL ": %s: %s\n", what, gort_strerror(status));
        exit(1);
    }
}

/* Producer `first` of `step`: c <- first, first + step, ... below n. */
typedef struct chan_producer {
    gort_chan *c;
    uint64_t first, step, n;
} chan_producer;

static void chan_produce(void *arg, bench_tally *tally)
{
    (void)tally;
    const chan_producer *p = (const chan_producer *)arg;
    for (uint64_t v = p->first; v < p->n; v += p->step)
        chan_check(gort_chan_send(p->c, &v), "gort_chan_send");
}

/* Consumer: for v := range c { tally(v) }. */
typedef struct chan_consumer {
    gort_chan *c;
    uint64_t mask;
} chan_consumer;

static void chan_consume(void *arg, bench_tally *tally)
{
    const chan_consumer *k = (const chan_consumer *)arg;
    uint64_t v;
    int ok = 0;
    for (;;) {
        chan_check(gort_chan_recv(k->c, &v, &ok), "gort_chan_recv");
        if (!ok)
            break;
        bench_tally_add(tally, v, k->mask);
    }
}

static void chan_close_all(void *arg)
{
    gort_chan **chans = (gort_chan **)arg;
    for (size_t i = 0; chans[i]; i++)
        chan_check(gort_chan_close(chans[i]), "gort_chan_close");
}

/* np producers and nc consumers on one channel of capacity cap; close(c) once the
 * producers are done; the consumers range over c until it is closed and drained. */
static int chan_team_row(uint64_t n, int64_t cap, size_t np, size_t nc, bench_sample *out)
{
    gort_chan *chans[2] = {chan_make(cap), NULL};
    chan_producer producers[BENCH_CHAN_MAX_PRODUCERS];
    chan_consumer consumers[BENCH_CHAN_MAX_PRODUCERS];
    bench_worker pw[BENCH_CHAN_MAX_PRODUCERS], cw[BENCH_CHAN_MAX_PRODUCERS];
    for (size_t i = 0; i < np; i++) {
        producers[i] = (chan_producer){chans[0], i, np, n};
        pw[i] = (bench_worker){chan_produce, &producers[i]};
    }
    for (size_t i = 0; i < nc; i++) {
        consumers[i] = (chan_consumer){chans[0], np - 1};
        cw[i] = (bench_worker){chan_consume, &consumers[i]};
    }
    int status = bench_team_run(GORT_IMPL, pw, np, cw, nc, chan_close_all, chans, n, out);
    gort_chan_release(chans[0]);
    return status;
}

/* chan_spsc_buf1024: cap 1024, 1 producer thread, 1 consumer thread. */
static int chan_spsc(uint64_t n, bench_sample *out)
{
    return chan_team_row(n, BENCH_CHAN_CAP, 1, 1, out);
}

/* chan_mpmc_4x4_buf1024: cap 1024, 4 producers, 4 consumers. */
static int chan_mpmc(uint64_t n, bench_sample *out)
{
    return chan_team_row(n, BENCH_CHAN_CAP, 4, 4, out);
}

/* chan_unbuf_pingpong: the pinger sends i on ping and waits for it back on pong; the
 * ponger echoes n values. Both channels unbuffered. */
typedef struct chan_pingpong {
    gort_chan *ping, *pong;
    uint64_t n;
} chan_pingpong;

static void chan_pinger(void *arg, bench_tally *tally)
{
    const chan_pingpong *pp = (const chan_pingpong *)arg;
    for (uint64_t i = 0; i < pp->n; i++) {
        uint64_t v;
        int ok = 0;
        chan_check(gort_chan_send(pp->ping, &i), "gort_chan_send");
        chan_check(gort_chan_recv(pp->pong, &v, &ok), "gort_chan_recv");
        if (!ok || v != i)
            bench_chan_die(GORT_IMPL, "ping-pong: wrong value back");
        bench_tally_add(tally, v, 0);
    }
}

static void chan_ponger(void *arg, bench_tally *tally)
{
    const chan_pingpong *pp = (const chan_pingpong *)arg;
    (void)tally;
    for (uint64_t i = 0; i < pp->n; i++) {
        uint64_t v;
        int ok = 0;
        chan_check(gort_chan_recv(pp->ping, &v, &ok), "gort_chan_recv");
        if (!ok)
            bench_chan_die(GORT_IMPL, "ping-pong: ping closed");
        chan_check(gort_chan_send(pp->pong, &v), "gort_chan_send");
    }
}

static int chan_pingpong_row(uint64_t n, bench_sample *out)
{
    chan_pingpong pp = {chan_make(0), chan_make(0), n};
    bench_worker pinger = {chan_pinger, &pp}, ponger = {chan_ponger, &pp};
    int status = bench_team_run(GORT_IMPL, &pinger, 1, &ponger, 1, NULL, NULL, n, out);
    gort_chan_release(pp.ping);
    gort_chan_release(pp.pong);
    return status;
}

/* chan_select2: producers 0 and 1 feed channels 0 and 1 (cap 128 each); one consumer
 * selects over both receives until both are closed and drained, disabling (NULL) the
 * case of a channel once it reports closed, as Go code sets it to nil. */
typedef struct chan_selector {
    gort_chan *c[2];
} chan_selector;

static void chan_select_consume(void *arg, bench_tally *tally)
{
    const chan_selector *s = (const chan_selector *)arg;
    uint64_t v;
    gort_select_case cases[2];
    memset(cases, 0, sizeof cases);
    for (size_t i = 0; i < 2; i++) {
        cases[i].chan = s->c[i];
        cases[i].op = GORT_SELECT_RECV;
        cases[i].value = &v;
    }
    for (size_t open = 2; open > 0;) {
        size_t chosen = 0;
        int ok = 0;
        chan_check(gort_select(cases, 2, -1, &chosen, &ok), "gort_select");
        if (ok) {
            bench_tally_add(tally, v, 1);
        } else {
            cases[chosen].chan = NULL;
            open--;
        }
    }
}

static int chan_select2(uint64_t n, bench_sample *out)
{
    gort_chan *chans[3] = {chan_make(BENCH_CHAN_SELECT_CAP), chan_make(BENCH_CHAN_SELECT_CAP),
                           NULL};
    chan_producer producers[2] = {{chans[0], 0, 2, n}, {chans[1], 1, 2, n}};
    bench_worker pw[2] = {{chan_produce, &producers[0]}, {chan_produce, &producers[1]}};
    chan_selector sel = {{chans[0], chans[1]}};
    bench_worker cw = {chan_select_consume, &sel};
    int status = bench_team_run(GORT_IMPL, pw, 2, &cw, 1, chan_close_all, chans, n, out);
    gort_chan_release(chans[0]);
    gort_chan_release(chans[1]);
    return status;
}

/* chan_uncontended_pair: one thread, cap 1024: n x (try_send i; try_recv), each of which
 * must succeed and give i back. */
static int chan_uncontended_pair(uint64_t n, bench_sample *out)
{
    gort_chan *c = chan_make(BENCH_CHAN_CAP);
    bench_tally tally;
    int status = GORT_OK, ok = 1;
    uint64_t v = 0;
    memset(&tally, 0, sizeof tally);

    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        status = gort_chan_try_send(c, &i);
        if (status != GORT_OK)
            break;
        status = gort_chan_try_recv(c, &v, &ok);
        if (status != GORT_OK || !ok || v != i)
            break;
        bench_tally_add(&tally, v, 0);
    }
    uint64_t t1 = bench_now_ns();

    gort_chan_release(c);
    if (status != GORT_OK)
        return gort_failed("gort_chan_try_send/try_recv", status);
    if (tally.count != n) { /* the loop stopped early: !ok or a wrong value */
        fprintf(stderr, GORT_IMPL ": try_recv gave back the wrong value\n");
        return 1;
    }
    out->value = bench_ns_per_op(t0, t1, n);
    return bench_tally_check(GORT_IMPL, &tally, 1, n, out);
}

static void print_info(void)
{
    printf("INFO version %s\n", gort_version_string());
    printf("INFO allocator %s\n", gort_heap_allocator());
#ifdef __VERSION__
    printf("INFO compiler %s\n", __VERSION__);
#endif
}

static const bench_workload workloads[] = {
    {"slice_append_int_10m", slice_append_int},
    {"slice_append_struct64_1m", slice_append_struct64},
    {"map_insert_1m", map_insert},
    {"map_insert_1m_batch", map_insert_batch},
    {"map_insert_presized_1m", map_insert_presized},
    {"map_insert_presized_1m_batch", map_insert_presized_batch},
    {"map_hit_1m", map_hit},
    {"map_hit_1m_batch", map_hit_batch},
    {"map_miss_1m", map_miss},
    {"map_miss_1m_batch", map_miss_batch},
    {"map_delete_1m", map_delete},
    {"map_delete_1m_batch", map_delete_batch},
    {"map_iter_1m", map_iter},
    {"map_iter_1m_batch", map_iter_batch},
    {"map_hit_1k", map_hit_1k},
    {"map_hit_1k_batch", map_hit_1k_batch},
    {"map_small_churn", map_small_churn},
    {"map_small_churn_batch", map_small_churn_batch},
    {"map_str_insert_1m", map_str_insert},
    {"map_str_insert_1m_batch", map_str_insert_batch},
    {"map_str_lookup_1m", map_str_lookup},
    {"map_str_lookup_1m_batch", map_str_lookup_batch},
    {"map_mem_1m", map_mem},
    {"map_insert_1m_custom", map_insert_custom},
    {"map_hit_1m_custom", map_hit_custom},
    {"chan_spsc_buf1024", chan_spsc},
    {"chan_mpmc_4x4_buf1024", chan_mpmc},
    {"chan_unbuf_pingpong", chan_pingpong_row},
    {"chan_select2", chan_select2},
    {"chan_uncontended_pair", chan_uncontended_pair},
};

int main(int argc, char **argv)
{
    return bench_main(argc, argv, "libgort", workloads, sizeof workloads / sizeof workloads[0],
                      print_info);
}

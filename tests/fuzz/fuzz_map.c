/*
 * Fuzz target: gort_map against a reference model, with iteration interleaved with
 * mutation and growth.
 *
 * Model. Every key a run may use has a number, its index, in [0, universe); a key kind
 * maps indices to keys and decodes a key the map produced back to its index, so the model
 * is a few arrays indexed by it: present, value, and an incarnation counter bumped each
 * time the key goes from absent to present. Three key kinds, one per run: uint64 -> uint64
 * (a bijection of the index, so any key decodes or is known foreign), str -> str (decimal
 * index, then filler bytes, NULs included; values are fuzz_str_encode strings), and float64
 * -> uint64 with Go's rules: +0 == -0 (index 0; an overwrite stores the newer key's sign),
 * ±Inf, and NaN keys, each insert a new entry (indices past the universe, recognised by
 * their value) that lookups never find, delete never removes, and only clear drops.
 *
 * Input: byte 0 chooses the key kind (bits 0-1), the universe (bits 2-3: 64, 256, 2048 or
 * 4096 keys; the wide ones let bulk inserts split tables past 1024 slots) and map 0's size
 * hint (bits 4-6), byte 1 salts the keys; then operations, each an opcode byte and its
 * arguments (see the op_* functions), on three map slots and four iterator slots. At most
 * FUZZ_MAX_OPS operations and WORK_BUDGET units of work (bulk elements, iteration steps,
 * full checks) run.
 *
 * Checked: len after every operation; every get/get_ptr/get_n (hits, misses with a zeroed
 * value, get_n's count); set_n's count of new entries and delete_n's of deleted ones, the
 * model having applied the batch pair by pair (a repeated key's later pair wins; a NaN key
 * in a batch adds an entry, or deletes nothing); stats consistency (shrink returning to
 * small mode, no table over 1024 slots); full comparisons (iterate everything once, look
 * up every present key and some absent ones); and Go's iteration guarantees for
 * every live iterator while the maps change under it: a produced key was inserted and is
 * present now with its current value (so nothing deleted before it was reached, nothing from
 * before a clear); no incarnation of a key is produced twice; at the end, every entry present
 * throughout was produced; an iterator started on an empty map produces nothing; iter_delete
 * works only right after next and an ended, finished or never-initialised iterator is
 * GORT_EINVAL. Keys and values are passed in buffers scrubbed after each set. At the end
 * both heaps hold nothing more than at the start.
 */
#include <math.h>

#include "fuzz.h"

#define MAP_SLOTS 3
#define ITER_SLOTS 4
#define NAN_MAX 64                    /* NaN entries per map between clears */
#define WORK_BUDGET 120000            /* map calls per run, roughly */
#define NAN_TAG 0x4e614e0000000000ull /* the value of NaN entry i is NAN_TAG | i */
#define MIX_ODD 0x9e3779b97f4a7c15ull
#define KEY_STR_MAX 48
#define GET_N_MAX 128    /* keys per get_n batch, exclusive */
#define WRITE_N_MAX 2048 /* pairs per set_n batch, keys per delete_n batch, exclusive */

enum key_kind { KIND_U64, KIND_STR, KIND_F64 };
enum iter_state { ITER_UNUSED, ITER_LIVE, ITER_ENDED };

typedef struct map_model {
    gort_map *handle;
    bool *present;         /* [indices] */
    uint64_t *value;       /* [indices] */
    uint32_t *incarnation; /* [indices] */
    size_t len;            /* entries, NaN ones included */
    size_t nans;           /* NaN indices used since the last clear */
    bool negative_zero;    /* float keys: the stored zero key is -0 */
} map_model;

typedef struct iter_model {
    gort_map_iter it;
    int state;
    int map;            /* the slot it iterates */
    bool started_empty; /* must stay done */
    bool may_delete;    /* produced an entry, and the map saw no write since */
    size_t last_index;  /* the entry last produced */
    bool *alive;        /* [indices] present at the start and never deleted since */
    uint32_t *produced; /* [indices] incarnation last produced, 0 for none */
} iter_model;

typedef struct map_run {
    fuzz_input in;
    fuzz_ctx ctx;
    gort_heap *heap;
    int kind;
    size_t universe, indices; /* ordinary keys; all indices (NaN ones after) */
    uint64_t salt, mix_inverse;
    gort_type *key_type, *value_type;
    map_model maps[MAP_SLOTS];
    iter_model iters[ITER_SLOTS];
    long work;
    size_t max_len, max_tables, produced, ended_iterations; /* verbose summary */
} map_run;

/* A key or value in the library's representation, with room for a string's bytes. */
typedef struct cell {
    union {
        uint64_t u64;
        double f64;
        gort_str str;
    } as;
    char bytes[KEY_STR_MAX];
} cell;

/* ---- keys ------------------------------------------------------------------------------- */

static bool is_nan_index(const map_run *r, size_t index)
{
    return index >= r->universe;
}

static size_t str_key_encode(const map_run *r, size_t index, char *buf)
{
    size_t len = (size_t)snprintf(buf, KEY_STR_MAX, "%zu:", index);
    uint64_t h = fuzz_mix64(index ^ r->salt);
    size_t filler = (size_t)(h % 33);
    for (size_t i = 0; i < filler; i++)
        buf[len + i] = (char)(h % 5 == 0 ? 0 : 'a' + (h >> (i % 56)) % 26);
    return len + filler;
}

/* The key of ordinary index `index` (variant 1: -0 for the float zero) in *key. */
static void key_encode(const map_run *r, size_t index, int variant, cell *key)
{
    if (r->kind == KIND_U64) {
        key->as.u64 = (index * MIX_ODD) ^ r->salt;
    } else if (r->kind == KIND_STR) {
        key->as.str = (gort_str){key->bytes, str_key_encode(r, index, key->bytes)};
    } else if (index <= 2) { /* ±0 (by variant), +Inf, -Inf */
        key->as.f64 = index == 0 ? (variant ? -0.0 : 0.0) : index == 1 ? INFINITY : -INFINITY;
    } else { /* ±index/4, negative for odd indices */
        key->as.f64 = index & 1 ? -(double)index / 4 : (double)index / 4;
    }
}

static size_t str_key_decode(const map_run *r, const gort_str *s)
{
    size_t index = 0, i = 0;
    for (; i < s->len && i < 8 && s->ptr[i] >= '0' && s->ptr[i] <= '9'; i++)
        index = index * 10 + (size_t)(s->ptr[i] - '0');
    char want[KEY_STR_MAX];
    if (i == 0 || index >= r->universe || str_key_encode(r, index, want) != s->len ||
        memcmp(want, s->ptr, s->len) != 0)
        return SIZE_MAX;
    return index;
}

static size_t f64_key_decode(const map_run *r, double d, uint64_t value)
{
    if (isnan(d)) {
        size_t index = (size_t)(value & ~NAN_TAG);
        return (value & NAN_TAG) == NAN_TAG && index >= r->universe && index < r->indices
                   ? index
                   : SIZE_MAX;
    }
    if (d == 0)
        return 0;
    if (isinf(d))
        return d > 0 ? 1 : 2;
    double scaled = fabs(d) * 4;
    size_t index = scaled < (double)r->universe ? (size_t)scaled : SIZE_MAX;
    if (index < 3 || (double)index != scaled || (index & 1) != (d < 0))
        return SIZE_MAX;
    return index;
}

/* The index of a key the map produced (its value helps for NaN), or SIZE_MAX. */
static size_t key_decode(const map_run *r, const void *key, const void *value)
{
    uint64_t k, v = 0;
    if (r->kind == KIND_STR)
        return str_key_decode(r, key);
    memcpy(&k, key, sizeof k);
    if (r->kind == KIND_U64) {
        uint64_t index = (k ^ r->salt) * r->mix_inverse;
        return index < r->universe ? (size_t)index : SIZE_MAX;
    }
    double d;
    memcpy(&d, key, sizeof d);
    if (value)
        memcpy(&v, value, sizeof v);
    return f64_key_decode(r, d, v);
}

/* ---- values ----------------------------------------------------------------------------- */

static void value_encode(const map_run *r, uint64_t v, cell *out)
{
    if (r->kind == KIND_STR)
        out->as.str = (gort_str){out->bytes, fuzz_str_encode(v, out->bytes)};
    else
        out->as.u64 = v;
}

static bool value_is(const map_run *r, const void *got, uint64_t want)
{
    if (r->kind == KIND_STR)
        return fuzz_str_is(got, want);
    uint64_t v;
    memcpy(&v, got, sizeof v);
    return v == want;
}

static bool zero_value(const map_run *r, const void *got)
{
    static const char zeros[sizeof(gort_str)];
    return memcmp(got, zeros, r->kind == KIND_STR ? sizeof(gort_str) : sizeof(uint64_t)) == 0;
}

/* ---- the model -------------------------------------------------------------------------- */

static void *model_alloc(map_run *r, size_t count, size_t size)
{
    void *p = calloc(count, size);
    if (!p)
        fuzz_fail(&r->ctx, "model out of memory");
    return p;
}

static void model_init(map_run *r, map_model *m)
{
    m->present = model_alloc(r, r->indices, sizeof *m->present);
    m->value = model_alloc(r, r->indices, sizeof *m->value);
    m->incarnation = model_alloc(r, r->indices, sizeof *m->incarnation);
}

static void model_free(map_model *m)
{
    free(m->present);
    free(m->value);
    free(m->incarnation);
}

/* Every write to map `slot` ends the chance to iter_delete on its iterators. */
static void model_wrote(map_run *r, int slot)
{
    for (int i = 0; i < ITER_SLOTS; i++)
        if (r->iters[i].map == slot)
            r->iters[i].may_delete = false;
}

static void model_put(map_run *r, int slot, size_t index, uint64_t value)
{
    map_model *m = &r->maps[slot];
    if (!m->present[index]) {
        m->present[index] = true;
        m->incarnation[index]++;
        m->len++;
    }
    m->value[index] = value;
    r->max_len = m->len > r->max_len ? m->len : r->max_len;
}

static void model_delete(map_run *r, int slot, size_t index)
{
    map_model *m = &r->maps[slot];
    if (!m->present[index] || is_nan_index(r, index))
        return;
    m->present[index] = false;
    m->len--;
    for (int i = 0; i < ITER_SLOTS; i++)
        if (r->iters[i].map == slot && r->iters[i].state == ITER_LIVE)
            r->iters[i].alive[index] = false;
}

static void model_clear(map_run *r, int slot)
{
    map_model *m = &r->maps[slot];
    memset(m->present, 0, r->indices * sizeof *m->present);
    m->len = 0;
    m->nans = 0;
    for (int i = 0; i < ITER_SLOTS; i++)
        if (r->iters[i].map == slot && r->iters[i].state == ITER_LIVE)
            memset(r->iters[i].alive, 0, r->indices * sizeof *r->iters[i].alive);
}

/* ---- checks ----------------------------------------------------------------------------- */

static void check_len(map_run *r, int slot)
{
    const map_model *m = &r->maps[slot];
    size_t got = gort_map_len(m->handle);
    FUZZ_EXPECT(&r->ctx, got == m->len, "map %d: len %zu, model %zu", slot, got, m->len);
}

/* A produced or looked-up float key must show the sign the model stored. */
static void check_key_form(map_run *r, int slot, size_t index, const void *key)
{
    if (r->kind != KIND_F64 || index != 0)
        return;
    double d;
    memcpy(&d, key, sizeof d);
    FUZZ_EXPECT(&r->ctx, (signbit(d) != 0) == r->maps[slot].negative_zero,
                "map %d: zero key stored as %s, model says %s", slot, signbit(d) ? "-0" : "+0",
                r->maps[slot].negative_zero ? "-0" : "+0");
}

/* An entry the map produced: decodable, present, current value, right key form. */
static size_t check_entry(map_run *r, int slot, const void *key, const void *value)
{
    const map_model *m = &r->maps[slot];
    size_t index = key_decode(r, key, value);
    FUZZ_EXPECT(&r->ctx, index != SIZE_MAX, "map %d: produced a key that was never inserted",
                slot);
    FUZZ_EXPECT(&r->ctx, m->present[index],
                "map %d: produced key #%zu, which is not in the map (deleted before being "
                "reached, or cleared)",
                slot, index);
    FUZZ_EXPECT(&r->ctx, !value || value_is(r, value, m->value[index]),
                "map %d: key #%zu produced with a stale or wrong value (model %#llx)", slot,
                index, (unsigned long long)m->value[index]);
    check_key_form(r, slot, index, key);
    return index;
}

/* One entry from an iterator: Go's guarantees on top of check_entry. */
static void iter_produced(map_run *r, int iter, const void *key, const void *value)
{
    iter_model *it = &r->iters[iter];
    FUZZ_EXPECT(&r->ctx, !it->started_empty,
                "iterator %d started on an empty map but produced an entry", iter);
    size_t index = check_entry(r, it->map, key, value);
    uint32_t incarnation = r->maps[it->map].incarnation[index];
    FUZZ_EXPECT(&r->ctx, it->produced[index] != incarnation,
                "iterator %d produced key #%zu twice", iter, index);
    it->produced[index] = incarnation;
    it->may_delete = true;
    it->last_index = index;
    r->produced++;
}

/* The iteration ended: every entry present throughout must have been produced. */
static void iter_ended(map_run *r, int iter)
{
    iter_model *it = &r->iters[iter];
    const map_model *m = &r->maps[it->map];
    for (size_t index = 0; index < r->indices; index++)
        FUZZ_EXPECT(&r->ctx, !it->alive[index] || it->produced[index] == m->incarnation[index],
                    "iterator %d ended without producing key #%zu, present throughout", iter,
                    index);
    it->state = ITER_ENDED;
    it->may_delete = false;
    r->ended_iterations++;
}

static void check_stats_shape(map_run *r, int slot, const gort_map_stats *s)
{
    FUZZ_EXPECT(&r->ctx, s->entries == r->maps[slot].len,
                "map %d: stats.entries %zu, model %zu", slot, s->entries, r->maps[slot].len);
    if (s->directory_len == 0) {
        FUZZ_EXPECT(&r->ctx, s->tables == 0 && s->capacity <= 8 && s->entries <= 8,
                    "map %d: small mode with %zu tables, capacity %zu, %zu entries", slot,
                    s->tables, s->capacity, s->entries);
    } else {
        FUZZ_EXPECT(&r->ctx,
                    s->global_depth < 64 && s->directory_len == (size_t)1 << s->global_depth &&
                        s->tables >= 1 && s->tables <= s->directory_len,
                    "map %d: directory of %zu entries at depth %zu over %zu tables", slot,
                    s->directory_len, s->global_depth, s->tables);
        /* map.h: "tables of at most 1024 slots"; only keys whose hashes cannot be told
         * apart could make one larger, and these keys' hashes can */
        FUZZ_EXPECT(&r->ctx, s->capacity <= s->tables * 1024,
                    "map %d: %zu slots in %zu tables, so a table has more than 1024", slot,
                    s->capacity, s->tables);
    }
    FUZZ_EXPECT(&r->ctx, s->entries + s->tombstones <= s->capacity,
                "map %d: %zu entries and %zu tombstones in %zu slots", slot, s->entries,
                s->tombstones, s->capacity);
    FUZZ_EXPECT(&r->ctx,
                s->max_probe == 0 ? s->avg_probe == 0
                                  : s->avg_probe >= 1 && s->avg_probe <= (double)s->max_probe,
                "map %d: avg_probe %g, max_probe %zu", slot, s->avg_probe, s->max_probe);
    r->max_tables = s->tables > r->max_tables ? s->tables : r->max_tables;
}

static gort_map_stats map_stats(map_run *r, int slot)
{
    gort_map_stats stats = {.struct_size = sizeof stats};
    fuzz_expect_status(&r->ctx, gort_map_stats_get(r->maps[slot].handle, &stats), GORT_OK,
                       "gort_map_stats_get");
    check_stats_shape(r, slot, &stats);
    return stats;
}

/* A lookup of ordinary key `index` must agree with the model. */
static void check_lookup(map_run *r, int slot, size_t index, int variant)
{
    const map_model *m = &r->maps[slot];
    cell key, out;
    key_encode(r, index, variant, &key);
    memset(&out, 0xEE, sizeof out);
    int found = -1;
    fuzz_expect_status(&r->ctx, gort_map_get(m->handle, &key.as, &out.as, &found), GORT_OK,
                       "gort_map_get");
    FUZZ_EXPECT(&r->ctx, found == (int)m->present[index],
                "map %d: get(#%zu) found %d, model %d", slot, index, found,
                (int)m->present[index]);
    if (found)
        FUZZ_EXPECT(&r->ctx, value_is(r, &out.as, m->value[index]),
                    "map %d: get(#%zu) gave a wrong value (model %#llx)", slot, index,
                    (unsigned long long)m->value[index]);
    else
        FUZZ_EXPECT(&r->ctx, zero_value(r, &out.as),
                    "map %d: get(#%zu) missed but did not store the zero value", slot, index);
}

/* A whole iteration with a private iterator: every entry exactly once. */
static void check_iterate_all(map_run *r, int slot)
{
    const map_model *m = &r->maps[slot];
    uint32_t *seen = model_alloc(r, r->indices, sizeof *seen);
    gort_map_iter it;
    const void *key;
    void *value;
    size_t count = 0;
    fuzz_expect_status(&r->ctx, gort_map_iter_init(m->handle, &it), GORT_OK,
                       "gort_map_iter_init");
    while (gort_map_iter_next(&it, &key, &value) == 1) {
        size_t index = check_entry(r, slot, key, value);
        FUZZ_EXPECT(&r->ctx, !seen[index]++, "map %d: a full iteration produced #%zu twice",
                    slot, index);
        count++;
    }
    FUZZ_EXPECT(&r->ctx, count == m->len,
                "map %d: a full iteration produced %zu of %zu entries", slot, count, m->len);
    fuzz_expect_status(&r->ctx, gort_map_iter_next(&it, &key, &value), GORT_EINVAL,
                       "gort_map_iter_next after the end");
    free(seen);
    r->work += (long)r->indices;
}

/* Len, stats, a whole iteration, a lookup of every present key and of about 64 absent
 * ones (the iteration already showed there is nothing else). */
static void check_map(map_run *r, int slot)
{
    const map_model *m = &r->maps[slot];
    size_t stride = r->universe / 64;
    check_len(r, slot);
    map_stats(r, slot);
    check_iterate_all(r, slot);
    for (size_t index = 0; index < r->universe; index++)
        if (m->present[index] || index % stride == 0)
            check_lookup(r, slot, index, (int)(r->ctx.op & 1)); /* ±0 by turns */
    r->work += (long)m->len;
}

/* ---- operand decoding ------------------------------------------------------------------- */

static int take_map(map_run *r)
{
    return fuzz_u8(&r->in) % MAP_SLOTS;
}

static int take_iter(map_run *r)
{
    return fuzz_u8(&r->in) % ITER_SLOTS;
}

/* An ordinary key index (one byte for small universes, two for wide ones) and its
 * variant (the float zero's sign) from the bits above it. */
static size_t take_key(map_run *r, int *variant)
{
    size_t x = r->universe <= 256 ? fuzz_u8(&r->in) : fuzz_u16(&r->in);
    *variant = (int)(x / r->universe) & 1;
    return x % r->universe;
}

/* ---- map operations --------------------------------------------------------------------- */

/* Sets ordinary key `index` to model value v (0: passes a NULL value, the zero value). */
static void do_set(map_run *r, int slot, size_t index, int variant, uint64_t v)
{
    cell key, value;
    key_encode(r, index, variant, &key);
    value_encode(r, v, &value);
    fuzz_expect_status(&r->ctx,
                       gort_map_set(r->maps[slot].handle, &key.as, v ? &value.as : NULL),
                       GORT_OK, "gort_map_set");
    fuzz_scrub(&key, sizeof key);
    fuzz_scrub(&value, sizeof value);
    model_put(r, slot, index, v);
    if (r->kind == KIND_F64 && index == 0)
        r->maps[slot].negative_zero = variant;
    model_wrote(r, slot);
}

static void do_delete(map_run *r, int slot, size_t index, int variant)
{
    cell key;
    key_encode(r, index, variant, &key);
    fuzz_expect_status(&r->ctx, gort_map_delete(r->maps[slot].handle, &key.as), GORT_OK,
                       "gort_map_delete");
    model_delete(r, slot, index);
    model_wrote(r, slot);
}

/* set: map, key, value seed. */
static void op_set(map_run *r)
{
    int slot = take_map(r), variant;
    size_t index = take_key(r, &variant);
    do_set(r, slot, index, variant, fuzz_value(r->ctx.op, 0, fuzz_u8(&r->in)));
}

/* NaN set (float keys; other kinds do an ordinary set): map, NaN payload. Every NaN
 * insert is a new entry. */
static void op_set_nan(map_run *r)
{
    int slot = take_map(r);
    uint8_t payload = fuzz_u8(&r->in);
    map_model *m = &r->maps[slot];
    if (r->kind != KIND_F64) {
        do_set(r, slot, payload % r->universe, 0, fuzz_value(r->ctx.op, 1, payload));
        return;
    }
    if (m->nans == NAN_MAX)
        return;
    size_t index = r->universe + m->nans++;
    uint64_t bits =
        0x7ff8000000000000ull | (uint64_t)payload << 3 | (uint64_t)(payload & 1) << 63;
    cell key = {.as.u64 = bits}, value = {.as.u64 = NAN_TAG | index};
    fuzz_expect_status(&r->ctx, gort_map_set(m->handle, &key.as, &value.as), GORT_OK,
                       "gort_map_set(NaN)");
    model_put(r, slot, index, NAN_TAG | index);
    model_wrote(r, slot);
}

/* get: map, key. */
static void op_get(map_run *r)
{
    int slot = take_map(r), variant;
    size_t index = take_key(r, &variant);
    check_lookup(r, slot, index, variant);
}

/* get_ptr: map, key, write byte (odd: write a new value through the pointer, for uint64
 * values). */
static void op_get_ptr(map_run *r)
{
    int slot = take_map(r), variant;
    size_t index = take_key(r, &variant);
    uint8_t write = fuzz_u8(&r->in);
    map_model *m = &r->maps[slot];
    cell key;
    void *ptr = (void *)&key;
    key_encode(r, index, variant, &key);
    fuzz_expect_status(&r->ctx, gort_map_get_ptr(m->handle, &key.as, &ptr), GORT_OK,
                       "gort_map_get_ptr");
    FUZZ_EXPECT(&r->ctx, (ptr != NULL) == m->present[index],
                "map %d: get_ptr(#%zu) %s, model %s", slot, index, ptr ? "found" : "missed",
                m->present[index] ? "present" : "absent");
    if (!ptr)
        return;
    FUZZ_EXPECT(&r->ctx, value_is(r, ptr, m->value[index]),
                "map %d: get_ptr(#%zu) points at a wrong value", slot, index);
    if (r->kind != KIND_STR && (write & 1)) {
        uint64_t v = fuzz_value(r->ctx.op, 2, write);
        memcpy(ptr, &v, sizeof v);
        m->value[index] = v;
    }
}

/* get_n: map, n (0..127: past the lookup pipeline's 64-key ring), first key, flags (bit 0:
 * no values_out, bit 1: no found_out, bits 2-7: stride - 1). Looks up keys first, first +
 * stride, ... (wrapping around the universe, so a batch may repeat a key) in one call; each
 * result and the count must be the model's. */
static void op_get_n(map_run *r)
{
    int slot = take_map(r), variant;
    size_t n = fuzz_u8(&r->in) % GET_N_MAX, first = take_key(r, &variant);
    uint8_t flags = fuzz_u8(&r->in);
    size_t stride = (size_t)(flags >> 2) + 1, size = r->kind == KIND_STR ? sizeof(gort_str) : 8;
    const map_model *m = &r->maps[slot];
    cell cells[GET_N_MAX];
    _Alignas(16) unsigned char keys[GET_N_MAX * sizeof(gort_str)],
        values[GET_N_MAX * sizeof(gort_str)];
    int found[GET_N_MAX];
    int64_t want = 0;
    for (size_t i = 0; i < n; i++) {
        size_t index = (first + i * stride) % r->universe;
        key_encode(r, index, variant, &cells[i]);
        memcpy(keys + i * size, &cells[i].as, size);
        want += m->present[index];
    }
    memset(values, 0xEE, sizeof values);
    memset(found, 0xEE, sizeof found);
    int64_t got =
        gort_map_get_n(m->handle, keys, n, flags & 1 ? NULL : values, flags & 2 ? NULL : found);
    FUZZ_EXPECT(&r->ctx, got == want, "map %d: get_n of %zu keys returned %lld, model %lld",
                slot, n, (long long)got, (long long)want);
    for (size_t i = 0; i < n; i++) {
        size_t index = (first + i * stride) % r->universe;
        const void *value = values + i * size;
        FUZZ_EXPECT(&r->ctx, (flags & 2) || found[i] == (int)m->present[index],
                    "map %d: get_n key %zu (#%zu) found %d, model %d", slot, i, index, found[i],
                    (int)m->present[index]);
        FUZZ_EXPECT(&r->ctx,
                    (flags & 1) || (m->present[index] ? value_is(r, value, m->value[index])
                                                      : zero_value(r, value)),
                    "map %d: get_n key %zu (#%zu) gave a wrong value (model: %s)", slot, i,
                    index, m->present[index] ? "present" : "absent, the zero value");
    }
    r->work += (long)n;
}

/* ---- batched writes --------------------------------------------------------------------- */

/* A set_n or delete_n batch as its operand bytes describe it. */
typedef struct write_args {
    int slot, variant;
    size_t n, first, stride;
    bool repeats;  /* odd positions repeat the key before them */
    bool low_flag; /* flags bit 0: set_n, NULL values; delete_n, NaN keys among the keys */
    uint8_t seed;  /* set_n's value seed */
} write_args;

/* The caller's side of a batch: keys and values (with their strings' bytes) and the
 * arrays handed over. Static, as they are large; a run is single-threaded. */
static struct batch_buffers {
    cell keys[WRITE_N_MAX], values[WRITE_N_MAX];
    _Alignas(16) unsigned char key_array[WRITE_N_MAX * sizeof(gort_str)];
    _Alignas(16) unsigned char value_array[WRITE_N_MAX * sizeof(gort_str)];
} batch;

/* map, count (0..127: n, past the write pipeline's 16-key lookahead and more than a small
 * map or a nearly full table has room for; 128 + k: n = 16k, up to 2032, more than a
 * table of the largest size takes), first key, flags (bit 0: see low_flag; bit 1:
 * repeats; bits 2-7: stride - 1). */
static write_args take_write_args(map_run *r)
{
    write_args a = {.slot = take_map(r)};
    uint8_t count = fuzz_u8(&r->in);
    a.n = count < 128 ? count : (size_t)(count - 128) * 16;
    a.first = take_key(r, &a.variant);
    uint8_t flags = fuzz_u8(&r->in);
    a.low_flag = flags & 1;
    a.repeats = flags & 2;
    a.stride = (size_t)(flags >> 2) + 1;
    return a;
}

/* Key i of a batch: first + i * stride (wrapping around the universe, so long batches
 * repeat keys too), or with repeats at an odd i the key before it, with the other variant
 * (the other zero, for float keys). */
static size_t write_key_index(const map_run *r, const write_args *a, size_t i, int *variant)
{
    bool repeat = a->repeats && (i & 1);
    *variant = repeat ? !a->variant : a->variant;
    return (a->first + (repeat ? i - 1 : i) * a->stride) % r->universe;
}

/* A quiet NaN with bits from i, for batches of float keys. */
static uint64_t batch_nan_bits(size_t i)
{
    return 0x7ff8000000000000ull | (uint64_t)(i + 1) << 3;
}

/* Pair i of a set_n batch into *key and *value, and into the model at once, so that of
 * two equal keys the later pair wins. With `nans`, every eighth pair is a NaN insert while
 * the map has NaN indices left. Returns 1 if the pair adds an entry. */
static int set_n_pair(map_run *r, const write_args *a, bool nans, size_t i, cell *key,
                      cell *value)
{
    map_model *m = &r->maps[a->slot];
    uint64_t v = a->low_flag ? 0 : fuzz_value(r->ctx.op, 3 + (unsigned)i, a->seed | 1);
    size_t index;
    int variant;
    if (nans && i % 8 == 7 && m->nans < NAN_MAX) {
        index = r->universe + m->nans++;
        v = NAN_TAG | index;
        key->as.u64 = batch_nan_bits(i);
    } else {
        index = write_key_index(r, a, i, &variant);
        key_encode(r, index, variant, key);
        if (r->kind == KIND_F64 && index == 0)
            m->negative_zero = variant; /* a new key or an overwrite: the pair's sign */
    }
    value_encode(r, v, value);
    int added = !m->present[index];
    model_put(r, a->slot, index, v);
    return added;
}

/* set_n: take_write_args's operands (flags bit 0: values NULL, the zero values), value
 * seed (bit 7, float keys: NaN inserts). The pairs go to the map in one call and to the
 * model one by one; the count of new entries must be the model's. */
static void op_set_n(map_run *r)
{
    write_args a = take_write_args(r);
    a.seed = fuzz_u8(&r->in);
    bool nans = r->kind == KIND_F64 && !a.low_flag && (a.seed & 0x80);
    size_t size = r->kind == KIND_STR ? sizeof(gort_str) : 8;
    int64_t want = 0;
    for (size_t i = 0; i < a.n; i++) {
        want += set_n_pair(r, &a, nans, i, &batch.keys[i], &batch.values[i]);
        memcpy(batch.key_array + i * size, &batch.keys[i].as, size);
        memcpy(batch.value_array + i * size, &batch.values[i].as, size);
    }
    int64_t got = gort_map_set_n(r->maps[a.slot].handle, batch.key_array,
                                 a.low_flag ? NULL : batch.value_array, a.n);
    fuzz_scrub(batch.keys, a.n * sizeof(cell));
    fuzz_scrub(batch.values, a.n * sizeof(cell));
    fuzz_scrub(batch.key_array, a.n * size);
    fuzz_scrub(batch.value_array, a.n * size);
    FUZZ_EXPECT(&r->ctx, got == want, "map %d: set_n of %zu pairs returned %lld, model %lld",
                a.slot, a.n, (long long)got, (long long)want);
    model_wrote(r, a.slot);
    r->work += (long)a.n;
}

/* delete_n: take_write_args's operands (flags bit 0, float keys: every eighth key is a
 * NaN, which deletes nothing). The model deletes the keys one by one, so a repeated key
 * counts once; the count must be the model's. */
static void op_delete_n(map_run *r)
{
    write_args a = take_write_args(r);
    map_model *m = &r->maps[a.slot];
    bool nans = r->kind == KIND_F64 && a.low_flag;
    size_t size = r->kind == KIND_STR ? sizeof(gort_str) : 8;
    int64_t want = 0;
    for (size_t i = 0; i < a.n; i++) {
        int variant;
        size_t index = write_key_index(r, &a, i, &variant);
        if (nans && i % 8 == 7) {
            batch.keys[i].as.u64 = batch_nan_bits(i);
        } else {
            key_encode(r, index, variant, &batch.keys[i]);
            want += m->present[index];
            model_delete(r, a.slot, index);
        }
        memcpy(batch.key_array + i * size, &batch.keys[i].as, size);
    }
    int64_t got = gort_map_delete_n(m->handle, batch.key_array, a.n);
    fuzz_scrub(batch.keys, a.n * sizeof(cell));
    fuzz_scrub(batch.key_array, a.n * size);
    FUZZ_EXPECT(&r->ctx, got == want, "map %d: delete_n of %zu keys returned %lld, model %lld",
                a.slot, a.n, (long long)got, (long long)want);
    model_wrote(r, a.slot);
    r->work += (long)a.n;
}

/* delete: map, key (a missing key is a no-op). */
static void op_delete(map_run *r)
{
    int slot = take_map(r), variant;
    size_t index = take_key(r, &variant);
    do_delete(r, slot, index, variant);
}

/* clear: map. */
static void op_clear(map_run *r)
{
    int slot = take_map(r);
    fuzz_expect_status(&r->ctx, gort_map_clear(r->maps[slot].handle), GORT_OK,
                       "gort_map_clear");
    model_clear(r, slot);
    model_wrote(r, slot);
}

/* shrink: map. A map of 8 entries or fewer goes back to small mode, an empty one to none. */
static void op_shrink(map_run *r)
{
    int slot = take_map(r);
    fuzz_expect_status(&r->ctx, gort_map_shrink(r->maps[slot].handle), GORT_OK,
                       "gort_map_shrink");
    model_wrote(r, slot);
    gort_map_stats s = map_stats(r, slot);
    FUZZ_EXPECT(&r->ctx, s.entries > 8 || s.directory_len == 0,
                "map %d: shrink left %zu entries in a directory of %zu", slot, s.entries,
                s.directory_len);
    FUZZ_EXPECT(&r->ctx, s.entries > 0 || s.capacity == 0,
                "map %d: shrink of an empty map kept %zu slots", slot, s.capacity);
}

/* stats: map. */
static void op_stats(map_run *r)
{
    map_stats(r, take_map(r));
}

/* bulk set: map, first key, count / 8, value seed. Enough keys to grow and split. */
static void op_bulk_set(map_run *r)
{
    int slot = take_map(r), variant;
    size_t first = take_key(r, &variant), count = (size_t)fuzz_u8(&r->in) * 8;
    uint8_t seed = fuzz_u8(&r->in);
    for (size_t i = 0; i < count && i < r->universe; i++)
        do_set(r, slot, (first + i) % r->universe, variant,
               fuzz_value(r->ctx.op, (unsigned)i, seed | 1));
    r->work += (long)count;
}

/* bulk delete: map, first key, count / 8. */
static void op_bulk_delete(map_run *r)
{
    int slot = take_map(r), variant;
    size_t first = take_key(r, &variant), count = (size_t)fuzz_u8(&r->in) * 8;
    for (size_t i = 0; i < count && i < r->universe; i++)
        do_delete(r, slot, (first + i) % r->universe, variant);
    r->work += (long)count;
}

/* Hints: none, small, Go's thresholds (9 allocates a table, 897 two), large presizes. */
static const size_t hints[8] = {0, 1, 8, 9, 100, 897, 2000, 5000};

static void finish_iterators_of(map_run *r, int slot)
{
    for (int i = 0; i < ITER_SLOTS; i++) {
        if (r->iters[i].map != slot)
            continue;
        gort_map_iter_finish(&r->iters[i].it);
        r->iters[i].state = ITER_ENDED;
        r->iters[i].map = -1;
        r->iters[i].may_delete = false;
    }
}

/* Replaces slot's map (finishing its iterators first) with `handle`, whose contents are
 * those of model `from` (NULL: empty; it may be the slot's own model). */
static void map_replace(map_run *r, int slot, gort_map *handle, const map_model *from)
{
    map_model *m = &r->maps[slot];
    finish_iterators_of(r, slot);
    gort_map_release(m->handle);
    m->handle = handle;
    m->len = from ? from->len : 0;
    m->nans = from ? from->nans : 0;
    m->negative_zero = from ? from->negative_zero : false;
    memset(m->incarnation, 0, r->indices * sizeof *m->incarnation);
    if (from) {
        memmove(m->present, from->present, r->indices * sizeof *m->present);
        memmove(m->value, from->value, r->indices * sizeof *m->value);
        for (size_t i = 0; i < r->indices; i++)
            m->incarnation[i] = m->present[i];
    } else {
        memset(m->present, 0, r->indices * sizeof *m->present);
    }
}

static gort_map *map_create(map_run *r, size_t hint)
{
    gort_map *m = NULL;
    fuzz_expect_status(&r->ctx, gort_map_create(r->key_type, r->value_type, hint, r->heap, &m),
                       GORT_OK, "gort_map_create");
    return m;
}

/* renew: map, hint. Releases the map (with whatever it holds) and makes a new one. */
static void op_renew(map_run *r)
{
    int slot = take_map(r);
    map_replace(r, slot, map_create(r, hints[fuzz_u8(&r->in) % 8]), NULL);
}

/* clone: source map, target map (may be the source: the clone replaces it). */
static void op_clone(map_run *r)
{
    int from = take_map(r), to = take_map(r);
    gort_map *copy = NULL;
    fuzz_expect_status(&r->ctx, gort_map_clone(r->maps[from].handle, &copy), GORT_OK,
                       "gort_map_clone");
    map_replace(r, to, copy, &r->maps[from]);
    r->work += (long)r->maps[to].len;
}

/* retain + release: the map must survive its extra reference's release. */
static void op_retain(map_run *r)
{
    int slot = take_map(r);
    gort_map *m = r->maps[slot].handle;
    FUZZ_EXPECT(&r->ctx, gort_map_retain(m) == m, "gort_map_retain returned another handle");
    gort_map_release(m);
}

/* full check: map. */
static void op_check(map_run *r)
{
    check_map(r, take_map(r));
}

/* ---- iterator operations ---------------------------------------------------------------- */

/* iter_init: iterator, map. A live iterator there is finished first. */
static void op_iter_init(map_run *r)
{
    int iter = take_iter(r), slot = take_map(r);
    iter_model *it = &r->iters[iter];
    const map_model *m = &r->maps[slot];
    gort_map_iter_finish(&it->it);
    fuzz_expect_status(&r->ctx, gort_map_iter_init(m->handle, &it->it), GORT_OK,
                       "gort_map_iter_init");
    it->state = ITER_LIVE;
    it->map = slot;
    it->started_empty = m->len == 0;
    it->may_delete = false;
    memcpy(it->alive, m->present, r->indices * sizeof *it->alive);
    memset(it->produced, 0, r->indices * sizeof *it->produced);
    r->work += (long)r->indices / 16;
}

/* A call on an iterator the model says is not live must be GORT_EINVAL. */
static bool iter_usable(map_run *r, int iter, int status, const char *what)
{
    if (r->iters[iter].state == ITER_LIVE)
        return true;
    fuzz_expect_status(&r->ctx, status, GORT_EINVAL, what);
    return false;
}

/* iter_next: iterator, steps (1..16; stops at the end). */
static void op_iter_next(map_run *r)
{
    int iter = take_iter(r), steps = fuzz_u8(&r->in) % 16 + 1;
    iter_model *it = &r->iters[iter];
    for (int step = 0; step < steps; step++) {
        const void *key;
        void *value;
        int got = gort_map_iter_next(&it->it, &key, &value);
        r->work++;
        if (!iter_usable(r, iter, got, "gort_map_iter_next"))
            return;
        FUZZ_EXPECT(&r->ctx, got == 0 || got == 1, "gort_map_iter_next returned %d", got);
        if (got == 0) {
            iter_ended(r, iter);
            return;
        }
        iter_produced(r, iter, key, value);
    }
}

/* iter_next_n: iterator, n (0..31), flags (bit 0: no values wanted, except with float keys,
 * whose NaN entries are known by their values). */
static void op_iter_next_n(map_run *r)
{
    int iter = take_iter(r);
    size_t n = fuzz_u8(&r->in) % 32;
    bool keys_only = (fuzz_u8(&r->in) & 1) && r->kind != KIND_F64; /* a NaN needs its value */
    iter_model *it = &r->iters[iter];
    const void *keys[32];
    void *values[32];
    int64_t got = gort_map_iter_next_n(&it->it, keys, keys_only ? NULL : values, n);
    r->work += (long)n;
    if (!iter_usable(r, iter, (int)got, "gort_map_iter_next_n"))
        return;
    FUZZ_EXPECT(&r->ctx, got >= 0 && (size_t)got <= n,
                "gort_map_iter_next_n(%zu) returned %lld", n, (long long)got);
    for (int64_t i = 0; i < got; i++)
        iter_produced(r, iter, keys[i], keys_only ? NULL : values[i]);
    if (got == 0 && n > 0)
        iter_ended(r, iter);
}

/* iter_delete: iterator. Valid only right after the iterator produced an entry (the last
 * of a next_n batch, also one the end cut short). */
static void op_iter_delete(map_run *r)
{
    int iter = take_iter(r);
    iter_model *it = &r->iters[iter];
    bool valid = it->state == ITER_LIVE && it->may_delete;
    fuzz_expect_status(&r->ctx, gort_map_iter_delete(&it->it), valid ? GORT_OK : GORT_EINVAL,
                       "gort_map_iter_delete");
    if (!valid)
        return;
    model_delete(r, it->map, it->last_index); /* by key: a NaN entry stays */
    model_wrote(r, it->map);
}

/* iter_finish: iterator (idempotent; a never-initialised one is left alone). */
static void op_iter_finish(map_run *r)
{
    iter_model *it = &r->iters[take_iter(r)];
    if (it->state == ITER_UNUSED)
        return;
    gort_map_iter_finish(&it->it);
    it->state = ITER_ENDED;
    it->may_delete = false;
}

typedef struct map_op {
    const char *name;
    void (*run)(map_run *r);
} map_op;

static const map_op map_ops[] = {
    {"set", op_set},
    {"set", op_set},
    {"set_nan", op_set_nan},
    {"get", op_get},
    {"get_ptr", op_get_ptr},
    {"delete", op_delete},
    {"delete", op_delete},
    {"clear", op_clear},
    {"shrink", op_shrink},
    {"stats", op_stats},
    {"bulk_set", op_bulk_set},
    {"bulk_delete", op_bulk_delete},
    {"renew", op_renew},
    {"clone", op_clone},
    {"retain", op_retain},
    {"check", op_check},
    {"iter_init", op_iter_init},
    {"iter_next", op_iter_next},
    {"iter_next", op_iter_next},
    {"iter_next_n", op_iter_next_n},
    {"iter_delete", op_iter_delete},
    {"iter_finish", op_iter_finish},
    {"get_n", op_get_n},
    {"set_n", op_set_n},
    {"delete_n", op_delete_n},
};

#define N_MAP_OPS (sizeof map_ops / sizeof map_ops[0])

/* ---- the run ---------------------------------------------------------------------------- */

static const size_t universes[4] = {64, 256, 2048, 4096};

/* MIX_ODD's inverse modulo 2^64 (Newton's iteration doubles the correct bits). */
static uint64_t odd_inverse(uint64_t odd)
{
    uint64_t inverse = odd;
    for (int i = 0; i < 5; i++)
        inverse *= 2 - odd * inverse;
    return inverse;
}

static void run_setup(map_run *r)
{
    uint8_t config = fuzz_u8(&r->in);
    r->kind = (config & 3) % 3;
    r->universe = universes[(config >> 2) & 3];
    r->indices = r->universe + (r->kind == KIND_F64 ? NAN_MAX : 0);
    r->salt = fuzz_mix64(fuzz_u8(&r->in));
    r->mix_inverse = odd_inverse(MIX_ODD);
    int key_kind = r->kind == KIND_U64   ? GORT_KIND_U64
                   : r->kind == KIND_STR ? GORT_KIND_STR
                                         : GORT_KIND_F64;
    r->key_type = gort_type_builtin(key_kind);
    r->value_type = gort_type_builtin(r->kind == KIND_STR ? GORT_KIND_STR : GORT_KIND_U64);
    for (int slot = 0; slot < MAP_SLOTS; slot++) {
        model_init(r, &r->maps[slot]);
        r->maps[slot].handle = map_create(r, slot == 0 ? hints[(config >> 4) % 8] : 0);
    }
    for (int i = 0; i < ITER_SLOTS; i++) {
        r->iters[i].map = -1;
        r->iters[i].alive = model_alloc(r, r->indices, sizeof(bool));
        r->iters[i].produced = model_alloc(r, r->indices, sizeof(uint32_t));
    }
}

/* Final full comparison of every map, then everything is released. */
static void run_teardown(map_run *r)
{
    for (int slot = 0; slot < MAP_SLOTS; slot++)
        check_map(r, slot);
    for (int slot = 0; slot < MAP_SLOTS; slot++) {
        finish_iterators_of(r, slot);
        gort_map_release(r->maps[slot].handle);
        model_free(&r->maps[slot]);
    }
    for (int i = 0; i < ITER_SLOTS; i++) {
        free(r->iters[i].alive);
        free(r->iters[i].produced);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    map_run *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->in = (fuzz_input){data, size, 0};
    r->ctx = (fuzz_ctx){"fuzz_map", 0, "setup"};
    fuzz_heaps heaps;
    fuzz_heaps_open(&heaps, &r->ctx);
    r->heap = heaps.heap;
    int verbose = fuzz_verbose();
    run_setup(r);
    for (; fuzz_more(&r->in) && r->ctx.op < FUZZ_MAX_OPS && r->work < WORK_BUDGET;
         r->ctx.op++) {
        const map_op *op = &map_ops[fuzz_u8(&r->in) % N_MAP_OPS];
        r->ctx.op_name = op->name;
        fuzz_trace(&r->ctx, verbose);
        op->run(r);
        r->work++;
        for (int slot = 0; slot < MAP_SLOTS; slot++)
            check_len(r, slot);
    }
    r->ctx.op_name = "teardown";
    run_teardown(r);
    fuzz_heaps_close(&heaps, &r->ctx);
    if (verbose)
        fprintf(stderr,
                "fuzz_map: kind %d, universe %zu, %zu ops, peak len %zu, peak tables %zu, "
                "%zu entries produced, %zu iterations ended\n",
                r->kind, r->universe, r->ctx.op, r->max_len, r->max_tables, r->produced,
                r->ended_iterations);
    free(r);
    return 0;
}

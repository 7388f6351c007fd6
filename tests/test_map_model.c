/*
 * Randomised differential test of gort_map against a reference model, for four key
 * kinds: uint64, str, a custom 24-byte key with its own hash and equality (and a tracked
 * value type with retain/release hooks), and float64 with Go's ±0 and NaN rules.
 *
 * The model is deliberately naive. Every key a case may use is numbered 0..slots-1 (a
 * "key index"), and the model is a handful of arrays indexed by it: present or not, the
 * stored value, the stored key "variant" (the part of a key that equality ignores and an
 * overwrite replaces: a float's ±0 or NaN bits, a custom key's note pointer), and an
 * incarnation counter bumped every time the key goes from absent to present. Each key
 * kind maps an index to a key and maps a key the map produced back to its index, and the
 * decoder re-encodes to check the round trip, so the model needs no hashing of its own.
 * NaN entries (float keys) get indices past the universe, one per insert, and carry
 * their own index in their value, since a NaN key cannot name its entry.
 *
 * What is checked:
 *   1. Mixed set / overwrite / get (hit, miss) / get_ptr (read, write through) / get_n
 *      (a batch of 0..40 keys, present, absent and NaN entries mixed) / set_n (a batch of
 *      0..40 pairs, one in eight up to 256, one in 64 up to 2048; keys repeated in it, NaN
 *      inserts, all values NULL one time in eight; its count of new entries) / delete_n
 *      (present, absent, repeated and NaN keys; its count of deleted entries) / delete
 *      (hit, miss) / clear / clone / shrink, with len compared after every op and a full
 *      comparison (iterate: every entry once with the model's value; look up every model
 *      key; stats, tables of at most 1024 slots) every 512 + 2*len ops. A batch is applied
 *      to the model pair by pair, as that many calls of set or delete would be. A clear is
 *      followed half of the time by one batch of 2048 pairs (into the kept tables), and a
 *      large map's life starts with one (into the empty map). Universes of 12, 64, 1000,
 *      5000 and 2^20 keys.
 *   2. Iteration interleaved with mutation (inserts enough to grow and split tables,
 *      deletes, updates, delete+reinsert, clear, shrink, clone, iter_delete, a second
 *      iterator), checking Go's guarantees: an entry present at the start and never
 *      deleted is produced exactly once; no incarnation of a key is produced twice; a
 *      produced key is present in the model at that moment (so nothing deleted before
 *      being reached, and nothing from before a clear, is produced) with the model's
 *      current value and key representation.
 *   3. The same with str keys (handed over in stack buffers that are scrubbed right after
 *      every set, so the map must own copies) and with custom keys (equality ignores their
 *      note word; an overwrite stores the new note only when the key has no hooks, as
 *      map.h says: see HOOKED_CUSTOM_KEYS_REPLACED)
 *      and tracked values: the hooks' reference counts equal what the model holds after
 *      every full comparison, and everything is released at the end.
 *   4. float64 keys: +0 == -0 (the newer key's bits are stored), every NaN insert adds an
 *      entry that lookups never find and delete never removes, clear removes them, and
 *      iteration produces each NaN entry; and rounds of shrinking maps of up to 21000 NaN
 *      entries, whose placement a rehash cannot predict.
 * After every case the map is released and its private heap must hold no block, and the
 * default heap (where str bytes live) must be back where it started.
 *
 * Environment:
 *   GORT_TEST_SEED=n    replays a run's ops; the seed is printed first as a TAP comment. A
 *                       case that fails prints its own seed, the op number and its last
 *                       ops. The map's own randomness (hash seeds, NaN hashes, iteration
 *                       start) is not replayed: a failure that depends on it may take a
 *                       few runs of the same seed to show again.
 *   GORT_TEST_SCALE=x   multiplies every op count and case count (a replay needs the same
 *                       scale). Default 1: about 7 million random map ops (not counting
 *                       the lookups of the full comparisons), about 3 s in a debugoptimized
 *                       build. Without it, sanitizer builds (detected at compile time) use
 *                       ASAN_SCALE or TSAN_SCALE, and a run under Valgrind (LD_PRELOAD
 *                       naming vgpreload, or GORT_TEST_VALGRIND=1) uses VALGRIND_SCALE.
 *   GORT_TEST_VERBOSE=1 prints what each case reached: peak size, tables and depth,
 *                       clears/clones/shrinks, iterations and how many saw the map grow.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "fixtures.h"
#include "gort/map.h"

/* Default scales for slower runs, measured to stay near 5 s (ASan+UBSan), 12 s (TSan) and
 * 25 s (Valgrind memcheck) on one core, against 3 s for the default build. */
#define ASAN_SCALE 0.5
#define TSAN_SCALE 0.25
#define VALGRIND_SCALE 0.25

/* ---- environment: seed and scale --------------------------------------------------------- */

static uint64_t base_seed;
static double op_scale;
static bool verbose; /* GORT_TEST_VERBOSE: one summary line per case */
static uint64_t case_serial;

static void read_environment(void)
{
    const char *seed = getenv("GORT_TEST_SEED");
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    base_seed = mix64(((uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec) ^
                      ((uint64_t)getpid() << 40));
    if (seed && *seed)
        base_seed = strtoull(seed, NULL, 0);
    op_scale = test_scale(ASAN_SCALE, TSAN_SCALE, VALGRIND_SCALE);
    verbose = getenv("GORT_TEST_VERBOSE") && *getenv("GORT_TEST_VERBOSE");
    printf("# seed %llu (GORT_TEST_SEED=%llu replays this run), scale %g\n",
           (unsigned long long)base_seed, (unsigned long long)base_seed, op_scale);
}

static uint64_t next_case_seed(void)
{
    return mix64(base_seed ^ mix64(++case_serial));
}

/* n scaled by GORT_TEST_SCALE, at least `floor`. */
static uint64_t scaled(uint64_t n, uint64_t floor)
{
    double s = (double)n * op_scale;
    return s < (double)floor ? floor : (uint64_t)s;
}

static double seconds_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* ---- key kinds --------------------------------------------------------------------------- */

typedef struct keyspace keyspace;

/* How one kind of key maps key indices to keys and back. */
typedef struct key_kind {
    const char *name;
    size_t value_size;
    size_t plain_offset; /* a uint64 of plain data in the value, written through get_ptr */
    bool tracked;        /* keys and values hold tracked objects: check reference counts */
    /* Builds the key for index/variant in *key; `bytes` holds a str key's contents. */
    void (*make_key)(const keyspace *space, size_t index, uint64_t variant, void *key,
                     char *bytes);
    uint64_t (*pick_variant)(const keyspace *space, size_t index, rng *r);
    /* The index of a key the map produced (value: its value), or SIZE_MAX. */
    size_t (*decode)(const keyspace *space, const void *key, const void *value);
    /* Whether the produced key's representation is the stored variant. */
    bool (*key_matches)(const keyspace *space, const void *key, size_t index, uint64_t variant);
    void (*make_value)(rng *r, void *value);
    void (*describe)(const keyspace *space, size_t index, uint64_t variant, char *out,
                     size_t size);
} key_kind;

enum key_layout { LAYOUT_MIX, LAYOUT_SEQ, LAYOUT_ROT };

struct keyspace {
    const key_kind *kind;
    gort_type *key_type, *value_type;
    size_t universe;  /* ordinary keys: indices [0, universe) */
    size_t nan_slots; /* float: indices [universe, universe + nan_slots) are NaN entries */
    int layout;       /* uint64 keys */
    uint64_t salt;    /* uint64 keys */
    bool hooked_keys; /* custom keys: the note is retained and released */
};

static bool is_nan_slot(const keyspace *space, size_t index)
{
    return index >= space->universe;
}

static uint64_t no_variant(const keyspace *space, size_t index, rng *r)
{
    (void)space, (void)index, (void)r;
    return 0;
}

static bool any_key_matches(const keyspace *space, const void *key, size_t index,
                            uint64_t variant)
{
    (void)space, (void)key, (void)index, (void)variant;
    return true;
}

static void u64_make_value(rng *r, void *value)
{
    uint64_t v = rng_next(r);
    if (rng_one_in(r, 32))
        v = rng_one_in(r, 2) ? 0 : UINT64_MAX;
    memcpy(value, &v, sizeof v);
}

static uint64_t load_u64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* -- uint64 keys: three bijections of uint64, so a key always decodes to one index -- */

#define MIX_ODD 0x9e3779b97f4a7c15ull
static uint64_t mix_odd_inverse; /* MIX_ODD^-1 mod 2^64, computed in main */

static uint64_t rotl64(uint64_t x, unsigned r)
{
    return x << r | x >> (64 - r);
}

static uint64_t u64_key_of(const keyspace *space, size_t index)
{
    switch (space->layout) {
    case LAYOUT_SEQ: /* consecutive keys; the salt may make them wrap past UINT64_MAX */
        return space->salt + index;
    case LAYOUT_ROT: /* keys that differ only in their high bits */
        return rotl64(space->salt + index, 40);
    default: /* scattered */
        return (index * MIX_ODD) ^ space->salt;
    }
}

static uint64_t u64_index_of(const keyspace *space, uint64_t key)
{
    switch (space->layout) {
    case LAYOUT_SEQ:
        return key - space->salt;
    case LAYOUT_ROT:
        return rotl64(key, 24) - space->salt;
    default:
        return (key ^ space->salt) * mix_odd_inverse;
    }
}

static void u64_make_key(const keyspace *space, size_t index, uint64_t variant, void *key,
                         char *bytes)
{
    uint64_t k = u64_key_of(space, index);
    (void)variant, (void)bytes;
    memcpy(key, &k, sizeof k);
}

static size_t u64_decode(const keyspace *space, const void *key, const void *value)
{
    uint64_t k = load_u64(key), index = u64_index_of(space, k);
    (void)value;
    if (index >= space->universe || u64_key_of(space, (size_t)index) != k)
        return SIZE_MAX;
    return (size_t)index;
}

static void u64_describe(const keyspace *space, size_t index, uint64_t variant, char *out,
                         size_t size)
{
    (void)variant;
    snprintf(out, size, "key#%zu (0x%016llx)", index,
             (unsigned long long)u64_key_of(space, index));
}

static const key_kind u64_kind = {
    .name = "u64",
    .value_size = sizeof(uint64_t),
    .make_key = u64_make_key,
    .pick_variant = no_variant,
    .decode = u64_decode,
    .key_matches = any_key_matches,
    .make_value = u64_make_value,
    .describe = u64_describe,
};

/* -- float64 keys: index 0 is ±0 (variant: the bits), 1..6 specials, then ±k/4;
 *    indices past the universe are NaN entries (variant: the NaN's bits) -- */

#define SIGN_BIT 0x8000000000000000ull
#define NAN_VALUE_TAG 0x4e614e0000000000ull /* a NaN entry's value: tag ^ its index */
#define NAN_VALUE_MASK 0xffffff0000000000ull

static const uint64_t float_specials[] = {
    0x0000000000000000ull, /* ±0, bits from the variant */
    0x7ff0000000000000ull, /* +inf */
    0xfff0000000000000ull, /* -inf */
    0x0000000000000001ull, /* smallest subnormal */
    0x8000000000000001ull, /* its negative */
    0x7fefffffffffffffull, /* largest finite */
    0x0010000000000000ull, /* smallest normal */
};
#define FLOAT_SPECIALS (sizeof float_specials / sizeof float_specials[0])

static const uint64_t nan_patterns[] = {
    0x7ff8000000000000ull, 0xfff8000000000000ull, 0x7ff0000000000001ull,
    0x7fffffffffffffffull, 0xfff40000c0ffee00ull, 0x7ff80000deadbeefull,
};

static bool bits_are_nan(uint64_t bits)
{
    return (bits & 0x7ff0000000000000ull) == 0x7ff0000000000000ull &&
           (bits & 0x000fffffffffffffull) != 0;
}

static uint64_t double_bits(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

static double bits_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* The bits of ordinary key `index` (>= 1): specials, then -1/4, +1/4, -2/4, +2/4, ... */
static uint64_t float_bits_of(size_t index)
{
    if (index < FLOAT_SPECIALS)
        return float_specials[index];
    uint64_t m = index - FLOAT_SPECIALS + 1;
    double magnitude = (double)((m + 1) / 2) * 0.25;
    return double_bits(m % 2 ? -magnitude : magnitude);
}

/* Inverse of float_bits_of for a non-NaN key (±0 is index 0); SIZE_MAX if none. */
static size_t float_index_of(uint64_t bits)
{
    if ((bits & ~SIGN_BIT) == 0)
        return 0;
    for (size_t i = 1; i < FLOAT_SPECIALS; i++)
        if (bits == float_specials[i])
            return i;
    double quarters = bits_double(bits) * 4.0;
    if (!(quarters >= -1e15 && quarters <= 1e15) || quarters != (double)(int64_t)quarters)
        return SIZE_MAX;
    int64_t n = (int64_t)quarters;
    uint64_t m = n < 0 ? (uint64_t)-n * 2 - 1 : (uint64_t)n * 2;
    size_t index = (size_t)(m - 1 + FLOAT_SPECIALS);
    return float_bits_of(index) == bits ? index : SIZE_MAX;
}

static void f64_make_key(const keyspace *space, size_t index, uint64_t variant, void *key,
                         char *bytes)
{
    uint64_t bits = index == 0 || is_nan_slot(space, index) ? variant : float_bits_of(index);
    (void)bytes;
    memcpy(key, &bits, sizeof bits);
}

static uint64_t f64_pick_variant(const keyspace *space, size_t index, rng *r)
{
    if (index == 0)
        return rng_one_in(r, 2) ? SIGN_BIT : 0;
    if (is_nan_slot(space, index))
        return nan_patterns[rng_below(r, sizeof nan_patterns / sizeof nan_patterns[0])];
    return 0;
}

static size_t f64_decode(const keyspace *space, const void *key, const void *value)
{
    uint64_t bits = load_u64(key);
    if (bits_are_nan(bits)) {
        uint64_t v = load_u64(value), index = v ^ NAN_VALUE_TAG;
        if ((v & NAN_VALUE_MASK) != NAN_VALUE_TAG || index < space->universe ||
            index >= space->universe + space->nan_slots)
            return SIZE_MAX;
        return (size_t)index;
    }
    size_t index = float_index_of(bits);
    return index < space->universe ? index : SIZE_MAX;
}

static bool f64_key_matches(const keyspace *space, const void *key, size_t index,
                            uint64_t variant)
{
    if (index == 0 || is_nan_slot(space, index))
        return load_u64(key) == variant;
    return true;
}

static void f64_describe(const keyspace *space, size_t index, uint64_t variant, char *out,
                         size_t size)
{
    uint64_t bits;
    f64_make_key(space, index, variant, &bits, NULL);
    snprintf(out, size, "key#%zu (%g, bits 0x%016llx)", index, bits_double(bits),
             (unsigned long long)bits);
}

static const key_kind f64_kind = {
    .name = "f64",
    .value_size = sizeof(uint64_t),
    .make_key = f64_make_key,
    .pick_variant = f64_pick_variant,
    .decode = f64_decode,
    .key_matches = f64_key_matches,
    .make_value = u64_make_value,
    .describe = f64_describe,
};

/* -- str keys: "" for index 0; otherwise [LONGKEY:]<hex index>#<filler>[:END!!!!], with
 *    filler bytes that include NULs; long keys share length, prefix and suffix -- */

#define STR_BYTES_MAX 512

static size_t str_build(size_t index, char *out)
{
    static const size_t long_lengths[] = {72, 72, 130, 300};
    if (index == 0)
        return 0;
    uint64_t h = mix64(index * 0x2545f4914f6cdd1dull + 17);
    bool long_key = index % 4 == 3;
    size_t n = 0, total;
    if (long_key) {
        memcpy(out, "LONGKEY:", 8);
        n = 8;
    }
    n += (size_t)sprintf(out + n, "%zx#", index);
    if (long_key)
        total = long_lengths[h % 4];
    else
        total = h % 3 == 0 ? n + 16 + (h >> 8) % 49 : n + (h >> 8) % 8;
    size_t filler_end = long_key ? total - 8 : total;
    for (size_t i = n; i < filler_end; i++)
        out[i] = (char)(mix64(h + i) % 5 == 0 ? 0 : mix64(h ^ i) & 0xff);
    if (long_key)
        memcpy(out + filler_end, ":END!!!!", 8);
    return total;
}

static void str_make_key(const keyspace *space, size_t index, uint64_t variant, void *key,
                         char *bytes)
{
    gort_str s = {bytes, str_build(index, bytes)};
    (void)space;
    if (s.len == 0 && variant) /* the zero gort_str is the empty string too */
        s.ptr = NULL;
    memcpy(key, &s, sizeof s);
}

static uint64_t str_pick_variant(const keyspace *space, size_t index, rng *r)
{
    (void)space;
    return index == 0 && rng_one_in(r, 2);
}

static size_t str_decode(const keyspace *space, const void *key, const void *value)
{
    gort_str s;
    char expect[STR_BYTES_MAX];
    size_t at = 0, index = 0, digits = 0;
    (void)value;
    memcpy(&s, key, sizeof s);
    if (s.len == 0)
        return 0;
    if (s.len > STR_BYTES_MAX || !s.ptr)
        return SIZE_MAX;
    if (s.len >= 8 && memcmp(s.ptr, "LONGKEY:", 8) == 0)
        at = 8;
    for (; at < s.len && digits < 16 && s.ptr[at] != '#'; at++, digits++) {
        char c = s.ptr[at];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return SIZE_MAX;
        index = index * 16 + (size_t)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    if (digits == 0 || index == 0 || index >= space->universe)
        return SIZE_MAX;
    if (str_build(index, expect) != s.len || memcmp(expect, s.ptr, s.len) != 0)
        return SIZE_MAX;
    return index;
}

static void str_describe(const keyspace *space, size_t index, uint64_t variant, char *out,
                         size_t size)
{
    char bytes[STR_BYTES_MAX];
    (void)space, (void)variant;
    snprintf(out, size, "key#%zu (str of %zu bytes)", index, str_build(index, bytes));
}

static const key_kind str_kind = {
    .name = "str",
    .value_size = sizeof(uint64_t),
    .make_key = str_make_key,
    .pick_variant = str_pick_variant,
    .decode = str_decode,
    .key_matches = any_key_matches,
    .make_value = u64_make_value,
    .describe = str_describe,
};

/* -- custom keys: {id, note, check}; equal compares id and check only, so an overwrite
 *    stores the new note when the key has no hooks (with hooks the stored key stays).
 *    The value is fixtures.h's tracked. -- */

/* map.h (gort_map_set): custom-equality keys that own no references are replaced on
 * overwrite; keys with retain/release hooks keep the stored key (docs/maps.md). 1 would
 * expect hooked keys to be replaced too. */
#ifndef HOOKED_CUSTOM_KEYS_REPLACED
#define HOOKED_CUSTOM_KEYS_REPLACED 0
#endif

typedef struct custom_key {
    uint64_t id;
    void *note; /* ignored by equality and hash; a pointer word with hooks */
    uint64_t check;
} custom_key;

#define CUSTOM_ID_SALT 0x5bd1e9955bd1e995ull
#define NOTE_NONE TRACKED_OBJECTS /* variant meaning "note is NULL" */

static const uint64_t custom_key_bitmap[1] = {0x2};

/* Coarse mode: four consecutive ids share a hash, so H2 matches often fail on equality. */
static bool custom_hash_coarse;
static long custom_callback_errors;

static uint64_t custom_hash(const void *value, uint64_t seed, void *ctx)
{
    const custom_key *k = value;
    if (ctx != &tracked_state)
        custom_callback_errors++;
    if (custom_hash_coarse)
        return mix64((k->id >> 2) ^ seed);
    return mix64(mix64(k->id ^ seed) + k->check);
}

static int custom_equal(const void *a, const void *b, void *ctx)
{
    const custom_key *x = a, *y = b;
    if (ctx != &tracked_state)
        custom_callback_errors++;
    return x->id == y->id && x->check == y->check;
}

static void custom_make_key(const keyspace *space, size_t index, uint64_t variant, void *key,
                            char *bytes)
{
    custom_key k = {index ^ CUSTOM_ID_SALT, variant < NOTE_NONE ? obj((int)variant) : NULL,
                    mix64(index + 1)};
    (void)space, (void)bytes;
    memcpy(key, &k, sizeof k);
}

static uint64_t custom_pick_variant(const keyspace *space, size_t index, rng *r)
{
    (void)space, (void)index;
    return rng_below(r, NOTE_NONE + 1);
}

static size_t custom_decode(const keyspace *space, const void *key, const void *value)
{
    custom_key k;
    (void)value;
    memcpy(&k, key, sizeof k);
    uint64_t index = k.id ^ CUSTOM_ID_SALT;
    if (index >= space->universe || k.check != mix64(index + 1))
        return SIZE_MAX;
    return (size_t)index;
}

static bool custom_key_matches(const keyspace *space, const void *key, size_t index,
                               uint64_t variant)
{
    custom_key k;
    (void)space, (void)index;
    memcpy(&k, key, sizeof k);
    return k.note == (variant < NOTE_NONE ? obj((int)variant) : NULL);
}

static void tracked_make_value(rng *r, void *value)
{
    int first = rng_one_in(r, 5) ? -1 : (int)rng_below(r, TRACKED_OBJECTS);
    int second = rng_one_in(r, 3) ? -1 : (int)rng_below(r, TRACKED_OBJECTS);
    tracked v = track(first, rng_next(r), second);
    memcpy(value, &v, sizeof v);
}

static void custom_describe(const keyspace *space, size_t index, uint64_t variant, char *out,
                            size_t size)
{
    (void)space;
    snprintf(out, size, "key#%zu (note %d)", index, variant < NOTE_NONE ? (int)variant : -1);
}

static const key_kind custom_kind = {
    .name = "custom",
    .value_size = sizeof(tracked),
    .plain_offset = offsetof(tracked, tag),
    .tracked = true,
    .make_key = custom_make_key,
    .pick_variant = custom_pick_variant,
    .decode = custom_decode,
    .key_matches = custom_key_matches,
    .make_value = tracked_make_value,
    .describe = custom_describe,
};

/* ---- the reference model ----------------------------------------------------------------- */

typedef struct model {
    const keyspace *space;
    size_t slots; /* universe + nan_slots */
    size_t value_size;
    size_t len;
    uint8_t *present;
    uint64_t *variant;
    unsigned char *values;
    uint32_t *incarnation; /* bumped on every absent -> present */
    size_t *dense;         /* the present indices, in no particular order */
    size_t *dense_pos;     /* index -> its position in dense, while present */
} model;

static void *checked_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        printf("Bail out! out of memory for the model\n");
        exit(1);
    }
    return p;
}

static void model_init(model *m, const keyspace *space)
{
    memset(m, 0, sizeof *m);
    m->space = space;
    m->slots = space->universe + space->nan_slots;
    m->value_size = space->kind->value_size;
    m->present = checked_calloc(m->slots, 1);
    m->variant = checked_calloc(m->slots, sizeof *m->variant);
    m->values = checked_calloc(m->slots, m->value_size);
    m->incarnation = checked_calloc(m->slots, sizeof *m->incarnation);
    m->dense = checked_calloc(m->slots, sizeof *m->dense);
    m->dense_pos = checked_calloc(m->slots, sizeof *m->dense_pos);
}

static void model_free(model *m)
{
    free(m->present), free(m->variant), free(m->values);
    free(m->incarnation), free(m->dense), free(m->dense_pos);
    memset(m, 0, sizeof *m);
}

static void model_copy(model *dst, const model *src)
{
    dst->len = src->len;
    memcpy(dst->present, src->present, src->slots);
    memcpy(dst->variant, src->variant, src->slots * sizeof *src->variant);
    memcpy(dst->values, src->values, src->slots * src->value_size);
    memcpy(dst->incarnation, src->incarnation, src->slots * sizeof *src->incarnation);
    memcpy(dst->dense, src->dense, src->slots * sizeof *src->dense);
    memcpy(dst->dense_pos, src->dense_pos, src->slots * sizeof *src->dense_pos);
}

static unsigned char *model_value(const model *m, size_t index)
{
    return m->values + index * m->value_size;
}

/* m[index] = value (NULL: the zero value); the stored key becomes `variant` (on an
 * overwrite too, except for hooked custom keys if the header says so). */
static void model_put(model *m, size_t index, uint64_t variant, const void *value)
{
    bool replace_key = !m->space->hooked_keys || HOOKED_CUSTOM_KEYS_REPLACED;
    if (!m->present[index]) {
        m->present[index] = 1;
        m->incarnation[index]++;
        m->dense_pos[index] = m->len;
        m->dense[m->len++] = index;
        replace_key = true;
    }
    if (replace_key)
        m->variant[index] = variant;
    if (value)
        memcpy(model_value(m, index), value, m->value_size);
    else
        memset(model_value(m, index), 0, m->value_size);
}

static void model_remove(model *m, size_t index)
{
    if (!m->present[index])
        return;
    size_t pos = m->dense_pos[index], last = m->dense[m->len - 1];
    m->dense[pos] = last;
    m->dense_pos[last] = pos;
    m->len--;
    m->present[index] = 0;
    memset(model_value(m, index), 0, m->value_size);
}

static void model_clear(model *m)
{
    while (m->len)
        model_remove(m, m->dense[m->len - 1]);
}

/* Whether a lookup of `index` must find it: present, and not a NaN entry. */
static bool model_findable(const model *m, size_t index)
{
    return m->present[index] && !is_nan_slot(m->space, index);
}

/* ---- a run: one map, its model, the op log ----------------------------------------------- */

enum op_code {
    OP_SET_NEW,
    OP_OVERWRITE,
    OP_REINSERT, /* delete then set again */
    OP_GET_HIT,
    OP_GET_MISS,
    OP_PTR_HIT,
    OP_PTR_MISS,
    OP_GET_N,    /* gort_map_get_n over a batch of random keys */
    OP_SET_N,    /* gort_map_set_n: a batch of pairs, repeats and NaN inserts among them */
    OP_DELETE_N, /* gort_map_delete_n: a batch of present, absent and repeated keys */
    OP_DELETE_HIT,
    OP_DELETE_MISS,
    OP_SET_NAN,
    OP_CLEAR,
    OP_CLONE,
    OP_SHRINK,
    OP_COUNT
};

typedef struct op_mix {
    unsigned weight[OP_COUNT];
} op_mix;

#define LOG_DEPTH 24

typedef struct op_record {
    const char *op;
    size_t index;
    uint64_t variant;
    uint64_t detail; /* the first word of a value written, when there is one */
    size_t len_before;
} op_record;

typedef struct run {
    const char *label;
    uint64_t seed;
    rng r;
    const keyspace *space;
    gort_heap *heap;
    gort_map *map;
    model m;
    const model *other;   /* a clone's model while the clone is alive (reference counts) */
    int active_iterators; /* deferred releases make reference counts inexact meanwhile */
    uint64_t ops, last_verify;
    double fill_target;  /* churn steers len towards fill_target * universe; 0: off */
    uint64_t rare_every; /* churn: a clear, clone or shrink about once per this many ops */
    uint64_t default_blocks_at_start;
    uint32_t *seen; /* per index: the epoch of the full comparison that produced it */
    uint32_t epoch;
    bool failed;
    long nan_iter_deletes_removed, nan_iter_deletes_kept;
    /* what the case reached, for GORT_TEST_VERBOSE */
    size_t peak_len, peak_tables, peak_depth, iterations, produced, grown_under_iterator;
    size_t iterations_with_clear;
    uint64_t whole_map_ops[3]; /* clear, clone, shrink */
    op_record log[LOG_DEPTH];
    /* What is handed to the map; scrubbed after every set to prove the map copied it. */
    _Alignas(16) unsigned char key[32];
    _Alignas(16) unsigned char value[32];
    char bytes[STR_BYTES_MAX];
} run;

static void log_op(run *t, const char *op, size_t index, uint64_t variant, uint64_t detail)
{
    t->log[t->ops % LOG_DEPTH] = (op_record){op, index, variant, detail, t->m.len};
    t->ops++;
}

static void dump_log(const run *t)
{
    uint64_t first = t->ops > LOG_DEPTH ? t->ops - LOG_DEPTH : 0;
    char key[96];
    printf("#   case %s, kind %s, universe %zu, case seed %llu: failed after op %llu; "
           "the last ops:\n",
           t->label, t->space->kind->name, t->space->universe, (unsigned long long)t->seed,
           (unsigned long long)t->ops);
    for (uint64_t i = first; i < t->ops; i++) {
        const op_record *rec = &t->log[i % LOG_DEPTH];
        strcpy(key, "-");
        if (rec->index != SIZE_MAX)
            t->space->kind->describe(t->space, rec->index, rec->variant, key, sizeof key);
        printf("#     op %llu: %s %s, detail 0x%llx (len before %zu)\n", (unsigned long long)i,
               rec->op, key, (unsigned long long)rec->detail, rec->len_before);
    }
}

/* Records the outcome of a check; the first failure of a case prints the op log. */
static bool held(run *t, bool ok)
{
    if (!ok && !t->failed) {
        t->failed = true;
        dump_log(t);
    }
    return ok;
}

static void explain(const run *t, const char *what, size_t index, uint64_t variant)
{
    char key[96];
    t->space->kind->describe(t->space, index, variant, key, sizeof key);
    printf("#     %s: %s\n", what, key);
}

static const void *key_for(run *t, size_t index, uint64_t variant)
{
    t->space->kind->make_key(t->space, index, variant, t->key, t->bytes);
    return t->key;
}

static void scrub(run *t)
{
    memset(t->key, 0xa5, sizeof t->key);
    memset(t->value, 0xc3, sizeof t->value);
    memset(t->bytes, 0x5a, sizeof t->bytes);
}

static uint64_t variant_for(run *t, size_t index)
{
    return t->space->kind->pick_variant(t->space, index, &t->r);
}

static bool check_len(run *t)
{
    return held(t, CHECK_EQ_SIZE(gort_map_len(t->map), t->m.len));
}

/* ---- checking one map against one model -------------------------------------------------- */

/* Checks an entry the map produced; returns its index, or SIZE_MAX after a failed check. */
static size_t check_produced(run *t, const model *m, const void *key, const void *value)
{
    const key_kind *kind = m->space->kind;
    size_t index = kind->decode(m->space, key, value);
    if (!held(t, CHECK_TRUE(index != SIZE_MAX))) {
        printf("#     produced key's first word: 0x%016llx\n",
               (unsigned long long)load_u64(key));
        return SIZE_MAX;
    }
    if (!held(t, CHECK_TRUE(m->present[index]))) {
        explain(t, "produced, but absent from the model", index, m->variant[index]);
        return SIZE_MAX;
    }
    if (!held(t, CHECK_TRUE(kind->key_matches(m->space, key, index, m->variant[index])))) {
        printf("#     produced key's first words: 0x%016llx 0x%016llx\n",
               (unsigned long long)load_u64(key),
               (unsigned long long)load_u64((const char *)key + 8));
        explain(t, "produced with a stale key representation; the model stores", index,
                m->variant[index]);
        return SIZE_MAX;
    }
    if (!held(t, CHECK_EQ_MEM(value, model_value(m, index), m->value_size))) {
        explain(t, "produced with a value that is not the current one", index,
                m->variant[index]);
        return SIZE_MAX;
    }
    return index;
}

/* get in one of three forms (both outputs, no value, no found flag). */
static bool check_get(run *t, gort_map *map, const model *m, size_t index, uint64_t variant)
{
    _Alignas(16) unsigned char out[32];
    int found = -1, form = (int)rng_below(&t->r, 4);
    bool want = model_findable(m, index);
    memset(out, 0xee, sizeof out);
    if (!held(t, CHECK_OK(gort_map_get(map, key_for(t, index, variant), form == 1 ? NULL : out,
                                       form == 2 ? NULL : &found))))
        return false;
    if (form != 2 && !held(t, CHECK_EQ_INT(found, want))) {
        explain(t, want ? "get missed" : "get found", index, variant);
        return false;
    }
    if (form == 1)
        return true;
    if (want)
        return held(t, CHECK_EQ_MEM(out, model_value(m, index), m->value_size));
    memset(t->value, 0, m->value_size);
    return held(t, CHECK_EQ_MEM(out, t->value, m->value_size)); /* zero value when absent */
}

static bool check_get_ptr(run *t, gort_map *map, const model *m, size_t index, uint64_t variant,
                          void **out)
{
    void *p = (void *)&p;
    bool want = model_findable(m, index);
    if (!held(t, CHECK_OK(gort_map_get_ptr(map, key_for(t, index, variant), &p))))
        return false;
    *out = p;
    if (!held(t, CHECK_EQ_INT(p != NULL, want))) {
        explain(t, want ? "get_ptr missed" : "get_ptr found", index, variant);
        return false;
    }
    return !want || held(t, CHECK_EQ_MEM(p, model_value(m, index), m->value_size));
}

static void note_peaks(run *t, const gort_map_stats *st)
{
    if (st->entries > t->peak_len)
        t->peak_len = st->entries;
    if (st->tables > t->peak_tables)
        t->peak_tables = st->tables;
    if (st->global_depth > t->peak_depth)
        t->peak_depth = st->global_depth;
}

/* The run's map's capacity (and peaks noted). */
static size_t sample_capacity(run *t)
{
    gort_map_stats st = {.struct_size = sizeof st};
    if (gort_map_stats_get(t->map, &st) != GORT_OK)
        return 0;
    note_peaks(t, &st);
    return st.capacity;
}

static bool verify_stats(run *t, gort_map *map, const model *m)
{
    gort_map_stats st = {.struct_size = sizeof st};
    if (!held(t, CHECK_OK(gort_map_stats_get(map, &st))))
        return false;
    note_peaks(t, &st);
    bool small = st.tables == 0;
    bool ok = held(t, CHECK_EQ_SIZE(st.entries, m->len)) &&
              held(t, CHECK_TRUE(st.capacity >= st.entries)) &&
              held(t, CHECK_TRUE(st.growth_left <= st.capacity)) &&
              held(t, CHECK_TRUE(st.tombstones <= st.capacity)) &&
              held(t, CHECK_EQ_INT(small, st.directory_len == 0)) &&
              held(t, CHECK_TRUE(small ? st.capacity <= 8
                                       : st.directory_len == (size_t)1 << st.global_depth &&
                                             st.tables <= st.directory_len)) &&
              /* map.h: "tables of at most 1024 slots" (no key kind here has hashes that
               * cannot be told apart, which alone could make a table larger) */
              held(t, CHECK_TRUE(st.capacity <= (small ? 8 : st.tables * 1024)));
    if (!ok)
        printf("#     stats: entries %zu, tables %zu, directory_len %zu, global_depth %zu, "
               "capacity %zu, growth_left %zu, tombstones %zu\n",
               st.entries, st.tables, st.directory_len, st.global_depth, st.capacity,
               st.growth_left, st.tombstones);
    return ok;
}

/* Every entry is produced once, each one the model's, and nothing else. */
static bool verify_by_iteration(run *t, gort_map *map, const model *m)
{
    gort_map_iter it;
    const void *key;
    void *value;
    size_t produced = 0;
    int rc;
    t->epoch++;
    if (!held(t, CHECK_OK(gort_map_iter_init(map, &it))))
        return false;
    while ((rc = gort_map_iter_next(&it, &key, &value)) == 1) {
        size_t index = check_produced(t, m, key, value);
        if (index == SIZE_MAX || !held(t, CHECK_TRUE(t->seen[index] != t->epoch))) {
            if (index != SIZE_MAX)
                explain(t, "produced twice by one iteration", index, m->variant[index]);
            gort_map_iter_finish(&it);
            return false;
        }
        t->seen[index] = t->epoch;
        produced++;
    }
    return held(t, CHECK_EQ_INT(rc, 0)) && held(t, CHECK_EQ_SIZE(produced, m->len)) &&
           held(t, CHECK_STATUS(gort_map_iter_next(&it, NULL, NULL), GORT_EINVAL));
}

/* Every model key is found (NaN entries never are) with its value, by get and get_ptr.
 * The lookup key's variant is random: ±0 both find zero, a custom key's note is ignored. */
static bool verify_by_lookup(run *t, gort_map *map, const model *m)
{
    void *p;
    for (size_t i = 0; i < m->len; i++) {
        size_t index = m->dense[i];
        uint64_t variant = variant_for(t, index);
        if (!check_get(t, map, m, index, variant) ||
            !check_get_ptr(t, map, m, index, variant, &p))
            return false;
    }
    return true;
}

static void count_tracked(const void *ptr, int *want)
{
    if (ptr)
        want[(const char *)ptr - (const char *)obj(0)]++;
}

static void add_model_refs(const model *m, int *want)
{
    for (size_t i = 0; i < m->len; i++) {
        size_t index = m->dense[i];
        tracked v;
        memcpy(&v, model_value(m, index), sizeof v);
        if (m->space->hooked_keys && m->variant[index] < NOTE_NONE)
            want[m->variant[index]]++;
        count_tracked(v.first, want);
        count_tracked(v.second, want);
    }
}

/* The hooks' counts equal the references the live maps' models hold. */
static bool verify_refs(run *t)
{
    int want[TRACKED_OBJECTS] = {0};
    if (!t->space->kind->tracked || t->active_iterators > 0)
        return true;
    add_model_refs(&t->m, want);
    if (t->other)
        add_model_refs(t->other, want);
    for (int i = 0; i < TRACKED_OBJECTS; i++)
        if (!held(t, CHECK_EQ_INT(refs(i), want[i]))) {
            printf("#     references to tracked object %d\n", i);
            return false;
        }
    return held(t, CHECK_EQ_INT(tracked_state.errors, 0)) &&
           held(t, CHECK_EQ_INT(custom_callback_errors, 0));
}

static bool verify_map(run *t, gort_map *map, const model *m)
{
    t->last_verify = t->ops;
    return held(t, CHECK_EQ_SIZE(gort_map_len(map), m->len)) && verify_stats(t, map, m) &&
           verify_by_iteration(t, map, m) && verify_by_lookup(t, map, m) && verify_refs(t);
}

static bool verify_if_due(run *t)
{
    if (t->ops - t->last_verify < 512 + 2 * (uint64_t)t->m.len)
        return true;
    return verify_map(t, t->map, &t->m);
}

/* ---- operations: each does the op on the map and the model, then checks ------------------ */

static bool do_set(run *t, size_t index, uint64_t variant, bool zero_value)
{
    const void *value = zero_value ? NULL : t->value;
    if (is_nan_slot(t->space, index)) { /* a NaN entry names itself by its value */
        uint64_t tagged = NAN_VALUE_TAG ^ index;
        memcpy(t->value, &tagged, sizeof tagged);
        value = t->value;
    } else if (!zero_value) {
        t->space->kind->make_value(&t->r, t->value);
    }
    log_op(t, value ? "set" : "set(zero value)", index, variant,
           value ? load_u64(t->value) : 0);
    int rc = gort_map_set(t->map, key_for(t, index, variant), value);
    model_put(&t->m, index, variant, value);
    scrub(t);
    return held(t, CHECK_OK(rc)) && check_len(t);
}

static bool do_get(run *t, size_t index, uint64_t variant)
{
    log_op(t, "get", index, variant, 0);
    return check_get(t, t->map, &t->m, index, variant) && check_len(t);
}

static bool do_get_ptr(run *t, size_t index, uint64_t variant, bool write)
{
    void *p;
    log_op(t, write ? "get_ptr+write" : "get_ptr", index, variant, 0);
    if (!check_get_ptr(t, t->map, &t->m, index, variant, &p))
        return false;
    if (write && p) { /* plain data only: writing through bypasses the hooks */
        uint64_t word = rng_next(&t->r);
        size_t at = t->space->kind->plain_offset;
        memcpy((char *)p + at, &word, sizeof word);
        memcpy(model_value(&t->m, index) + at, &word, sizeof word);
    }
    return check_len(t);
}

static bool do_delete(run *t, size_t index, uint64_t variant)
{
    log_op(t, "delete", index, variant, 0);
    int rc = gort_map_delete(t->map, key_for(t, index, variant));
    if (model_findable(&t->m, index)) /* deleting a NaN key removes nothing */
        model_remove(&t->m, index);
    return held(t, CHECK_OK(rc)) && check_len(t);
}

static bool do_clear(run *t)
{
    log_op(t, "clear", SIZE_MAX, 0, 0);
    t->whole_map_ops[0]++;
    int rc = gort_map_clear(t->map);
    model_clear(&t->m);
    return held(t, CHECK_OK(rc)) && check_len(t) && verify_stats(t, t->map, &t->m);
}

/* After shrink: an empty map is table-less again, and a map that lost most of its
 * entries holds a capacity in proportion to what is left (a loose bound). */
static bool do_shrink(run *t)
{
    gort_map_stats st = {.struct_size = sizeof st};
    log_op(t, "shrink", SIZE_MAX, 0, 0);
    t->whole_map_ops[2]++;
    if (!held(t, CHECK_OK(gort_map_shrink(t->map))) || !check_len(t) ||
        !held(t, CHECK_OK(gort_map_stats_get(t->map, &st))))
        return false;
    if (t->m.len == 0 && !held(t, CHECK_EQ_SIZE(st.tables, 0)))
        return false;
    if (!held(t, CHECK_TRUE(st.capacity <= 16 * st.entries + 16))) {
        printf("#     %zu entries, capacity %zu after shrink\n", st.entries, st.capacity);
        return false;
    }
    return verify_map(t, t->map, &t->m);
}

static bool random_op(run *t, const op_mix *mix);

/* Makes the run's map and model the other ones (a clone's), and back. */
static void swap_map_and_model(run *t, gort_map **map, model *m)
{
    gort_map *map_tmp = t->map;
    model m_tmp = t->m;
    t->map = *map, *map = map_tmp;
    t->m = *m, *m = m_tmp;
}

/* Both maps after a clone must equal their models after each was changed alone. */
static bool mutate_both_and_verify(run *t, gort_map **copy, model *copy_model)
{
    static const op_mix point_ops = {{[OP_SET_NEW] = 4,
                                      [OP_OVERWRITE] = 3,
                                      [OP_SET_N] = 1,
                                      [OP_DELETE_HIT] = 3,
                                      [OP_DELETE_N] = 1,
                                      [OP_PTR_HIT] = 1}};
    bool ok = true;
    for (int i = 0; ok && i < 6; i++)
        ok = random_op(t, &point_ops);
    swap_map_and_model(t, copy, copy_model);
    for (int i = 0; ok && i < 6; i++)
        ok = random_op(t, &point_ops);
    swap_map_and_model(t, copy, copy_model);
    return ok && verify_map(t, t->map, &t->m) && verify_map(t, *copy, copy_model);
}

static bool do_clone(run *t)
{
    gort_map *copy = NULL;
    model copy_model;
    log_op(t, "clone", SIZE_MAX, 0, 0);
    t->whole_map_ops[1]++;
    if (!held(t, CHECK_OK(gort_map_clone(t->map, &copy))))
        return false;
    model_init(&copy_model, t->space);
    model_copy(&copy_model, &t->m);
    t->other = &copy_model;
    bool ok = verify_map(t, copy, &copy_model) && mutate_both_and_verify(t, &copy, &copy_model);
    gort_map_release(copy);
    t->other = NULL;
    model_free(&copy_model);
    return ok && verify_refs(t);
}

static enum op_code pick_op(rng *r, const op_mix *mix)
{
    unsigned total = 0, roll;
    int op;
    for (op = 0; op < OP_COUNT; op++)
        total += mix->weight[op];
    roll = (unsigned)rng_below(r, total);
    for (op = 0; roll >= mix->weight[op]; op++)
        roll -= mix->weight[op];
    return (enum op_code)op;
}

static bool pick_present(run *t, size_t *out)
{
    if (t->m.len == 0)
        return false;
    *out = t->m.dense[rng_below(&t->r, t->m.len)];
    return true;
}

/* A present key that is not a NaN entry (those cannot be overwritten or deleted). */
static bool pick_present_ordinary(run *t, size_t *out)
{
    for (int tries = 0; tries < 8; tries++)
        if (pick_present(t, out) && !is_nan_slot(t->space, *out))
            return true;
    return false;
}

static bool pick_absent(run *t, size_t lo, size_t hi, size_t *out)
{
    for (int tries = 0; hi > lo && tries < 64; tries++) {
        size_t index = lo + (size_t)rng_below(&t->r, hi - lo);
        if (!t->m.present[index]) {
            *out = index;
            return true;
        }
    }
    return false;
}

/* Inserts and deletes balance at any fill, so without steering len would wander; steering
 * turns half the inserts above the target into deletes and half the deletes below it into
 * inserts. */
static enum op_code steer(run *t, enum op_code op)
{
    double fill = (double)t->m.len / (double)t->space->universe;
    if (t->fill_target <= 0 || !rng_one_in(&t->r, 2))
        return op;
    if (op == OP_SET_NEW && fill > t->fill_target)
        return OP_DELETE_HIT;
    if (op == OP_DELETE_HIT && fill < t->fill_target)
        return OP_SET_NEW;
    if (op == OP_SET_N && fill > t->fill_target)
        return OP_DELETE_N;
    if (op == OP_DELETE_N && fill < t->fill_target)
        return OP_SET_N;
    return op;
}

#define GET_N_MAX 40

/* A key for a batch: present half of the time (a NaN entry too, which is never found),
 * else any key of the universe. */
static size_t batch_index(run *t)
{
    size_t index;
    if (rng_one_in(&t->r, 2) && pick_present(t, &index))
        return index;
    return (size_t)rng_below(&t->r, t->space->universe);
}

/* gort_map_get_n over 0..GET_N_MAX keys, values_out and found_out each given or NULL:
 * each flag and value (the zero value over the 0xee fill for a miss) is the model's, and
 * so is the count. */
static bool do_get_n(run *t)
{
    static char bytes[GET_N_MAX][STR_BYTES_MAX]; /* each str key's own bytes */
    static const unsigned char zero_value[32];
    _Alignas(16) unsigned char keys[GET_N_MAX * 32], values[GET_N_MAX * 32];
    size_t n = (size_t)rng_below(&t->r, GET_N_MAX + 1), index[GET_N_MAX];
    size_t key_size = gort_type_size(t->space->key_type), value_size = t->m.value_size;
    uint64_t variant[GET_N_MAX];
    int found[GET_N_MAX], form = (int)rng_below(&t->r, 4);
    int64_t want = 0;
    for (size_t i = 0; i < n; i++) {
        index[i] = batch_index(t);
        variant[i] = variant_for(t, index[i]);
        t->space->kind->make_key(t->space, index[i], variant[i], keys + i * key_size, bytes[i]);
        want += model_findable(&t->m, index[i]);
    }
    log_op(t, "get_n", SIZE_MAX, 0, n);
    memset(values, 0xee, sizeof values);
    memset(found, 0xee, sizeof found);
    if (!held(t, CHECK_EQ_INT(gort_map_get_n(t->map, keys, n, form & 1 ? NULL : values,
                                             form & 2 ? NULL : found),
                              want)))
        return false;
    for (size_t i = 0; i < n; i++) {
        bool hit = model_findable(&t->m, index[i]);
        const void *want_value = hit ? model_value(&t->m, index[i]) : zero_value;
        if ((!(form & 2) && !held(t, CHECK_EQ_INT(found[i], hit))) ||
            (!(form & 1) &&
             !held(t, CHECK_EQ_MEM(values + i * value_size, want_value, value_size)))) {
            printf("#     key %zu of a batch of %zu\n", i, n);
            explain(t, hit ? "get_n missed, or a wrong value" : "get_n found", index[i],
                    variant[i]);
            return false;
        }
    }
    return check_len(t);
}

/* ---- batched writes: each pair is applied to the model in order, as n calls would be -- */

#define WRITE_N_MAX 2048

/* A write batch as the caller hands it over: n keys (str keys' bytes in batch_bytes) and,
 * for set_n, n values; index and variant say which model key each one is. Static: the
 * test is single-threaded and the arrays are large. */
static struct batch_buffers {
    size_t n;
    size_t index[WRITE_N_MAX];
    uint64_t variant[WRITE_N_MAX];
    _Alignas(16) unsigned char keys[WRITE_N_MAX * 32];
    _Alignas(16) unsigned char values[WRITE_N_MAX * 32];
} batch;
static char batch_bytes[WRITE_N_MAX][STR_BYTES_MAX];

/* Mostly 0..GET_N_MAX pairs; one batch in eight up to 256, more than a small map's group
 * or a table's room holds, so set_n must grow or split tables (in several rounds) before
 * it writes; one in 64 up to WRITE_N_MAX, more than a table of the largest size (1024
 * slots) takes, so a table the batch alone fills must split. */
static size_t write_batch_size(run *t)
{
    size_t max = rng_one_in(&t->r, 64) ? WRITE_N_MAX : rng_one_in(&t->r, 8) ? 256 : GET_N_MAX;
    return (size_t)rng_below(&t->r, max + 1);
}

/* Key i of the batch: one in four repeats an earlier key of the batch (with a variant of
 * its own: the other zero, another note), else `fresh` picks one. NaN entries are never
 * repeated: a NaN key is a new entry every time. */
static size_t batch_key_index(run *t, size_t i, size_t (*fresh)(run *t))
{
    if (i > 0 && rng_one_in(&t->r, 4)) {
        size_t earlier = batch.index[rng_below(&t->r, i)];
        if (!is_nan_slot(t->space, earlier))
            return earlier;
    }
    return fresh(t);
}

/* A key for set_n: present (an overwrite) a third of the time, else any key of the
 * universe. Not a NaN entry: setting its key would add another. */
static size_t set_batch_index(run *t)
{
    size_t index;
    if (rng_one_in(&t->r, 3) && pick_present_ordinary(t, &index))
        return index;
    return (size_t)rng_below(&t->r, t->space->universe);
}

static void batch_make_key(run *t, size_t i, size_t index)
{
    batch.index[i] = index;
    batch.variant[i] = variant_for(t, index);
    t->space->kind->make_key(t->space, index, batch.variant[i],
                             batch.keys + i * gort_type_size(t->space->key_type),
                             batch_bytes[i]);
}

/* The map must have copied every key and value: the caller's buffers are scrubbed. */
static void batch_scrub(void)
{
    memset(batch.keys, 0xa5, sizeof batch.keys);
    memset(batch.values, 0xc3, sizeof batch.values);
    for (size_t i = 0; i < batch.n; i++)
        memset(batch_bytes[i], 0x5a, sizeof batch_bytes[i]);
}

/* Pair i of a set_n batch, applied to the model at once (so a later repeat of the key
 * overwrites it, and NaN inserts take distinct entries). Returns 1 if it adds an entry. */
static int64_t set_batch_pair(run *t, size_t i, bool zero_values)
{
    const keyspace *space = t->space;
    unsigned char *value = batch.values + i * t->m.value_size;
    size_t index;
    bool nan = space->nan_slots && !zero_values && rng_one_in(&t->r, 16) &&
               pick_absent(t, space->universe, space->universe + space->nan_slots, &index);
    if (nan) { /* a NaN entry names itself by its value */
        uint64_t tagged = NAN_VALUE_TAG ^ index;
        memcpy(value, &tagged, sizeof tagged);
    } else {
        index = batch_key_index(t, i, set_batch_index);
        if (!zero_values)
            space->kind->make_value(&t->r, value);
    }
    batch_make_key(t, i, index);
    int64_t added = !t->m.present[index];
    model_put(&t->m, index, batch.variant[i], zero_values ? NULL : value);
    return added;
}

/* gort_map_set_n over a batch of n pairs (values NULL one time in eight: zero values):
 * the count of new entries is the model's; the full comparisons check the rest. */
static bool do_set_n(run *t, size_t n)
{
    bool zero_values = rng_one_in(&t->r, 8);
    int64_t want = 0;
    batch.n = n;
    for (size_t i = 0; i < batch.n; i++)
        want += set_batch_pair(t, i, zero_values);
    log_op(t, zero_values ? "set_n(zero values)" : "set_n", SIZE_MAX, 0, batch.n);
    int64_t got =
        gort_map_set_n(t->map, batch.keys, zero_values ? NULL : batch.values, batch.n);
    batch_scrub();
    if (!held(t, CHECK_EQ_INT(got, want))) {
        printf("#     set_n of %zu pairs: %lld new entries, the model says %lld\n", batch.n,
               (long long)got, (long long)want);
        return false;
    }
    return check_len(t);
}

/* gort_map_delete_n over a batch of keys, in order: a repeated key deletes once, a NaN
 * key nothing; the count is the model's. */
static bool do_delete_n(run *t)
{
    int64_t want = 0;
    batch.n = write_batch_size(t);
    for (size_t i = 0; i < batch.n; i++) {
        batch_make_key(t, i, batch_key_index(t, i, batch_index));
        if (model_findable(&t->m, batch.index[i])) {
            model_remove(&t->m, batch.index[i]);
            want++;
        }
    }
    log_op(t, "delete_n", SIZE_MAX, 0, batch.n);
    int64_t got = gort_map_delete_n(t->map, batch.keys, batch.n);
    batch_scrub();
    if (!held(t, CHECK_EQ_INT(got, want))) {
        printf("#     delete_n of %zu keys: %lld deleted, the model says %lld\n", batch.n,
               (long long)got, (long long)want);
        return false;
    }
    return check_len(t);
}

static bool random_op(run *t, const op_mix *mix)
{
    const keyspace *space = t->space;
    size_t index;
    switch (steer(t, pick_op(&t->r, mix))) {
    case OP_SET_NEW:
        return !pick_absent(t, 0, space->universe, &index) ||
               do_set(t, index, variant_for(t, index), rng_one_in(&t->r, 16));
    case OP_OVERWRITE:
        return !pick_present_ordinary(t, &index) ||
               do_set(t, index, variant_for(t, index), rng_one_in(&t->r, 16));
    case OP_REINSERT:
        return !pick_present_ordinary(t, &index) ||
               (do_delete(t, index, variant_for(t, index)) &&
                do_set(t, index, variant_for(t, index), false));
    case OP_GET_HIT:
        return !pick_present(t, &index) || do_get(t, index, variant_for(t, index));
    case OP_GET_MISS:
        return !pick_absent(t, 0, space->universe, &index) ||
               do_get(t, index, variant_for(t, index));
    case OP_PTR_HIT:
        return !pick_present(t, &index) ||
               do_get_ptr(t, index, variant_for(t, index), rng_one_in(&t->r, 2));
    case OP_PTR_MISS:
        return !pick_absent(t, 0, space->universe, &index) ||
               do_get_ptr(t, index, variant_for(t, index), false);
    case OP_GET_N:
        return do_get_n(t);
    case OP_SET_N:
        return do_set_n(t, write_batch_size(t));
    case OP_DELETE_N:
        return do_delete_n(t);
    case OP_DELETE_HIT: /* for float keys this may pick a NaN entry: a no-op */
        return !pick_present(t, &index) || do_delete(t, index, variant_for(t, index));
    case OP_DELETE_MISS:
        return !pick_absent(t, 0, space->universe, &index) ||
               do_delete(t, index, variant_for(t, index));
    case OP_SET_NAN:
        return !pick_absent(t, space->universe, space->universe + space->nan_slots, &index) ||
               do_set(t, index, variant_for(t, index), false);
    case OP_CLEAR:
        return do_clear(t);
    case OP_CLONE:
        return do_clone(t);
    case OP_SHRINK:
        return do_shrink(t);
    default:
        return held(t, CHECK_TRUE(!"unknown op"));
    }
}

/* ---- cases ------------------------------------------------------------------------------- */

/* A make() hint: mostly none or small, sometimes presized, sometimes absurd (ignored). */
static size_t random_hint(rng *r, size_t universe)
{
    switch (rng_below(r, 8)) {
    case 0:
    case 1:
    case 2:
        return 0;
    case 3:
        return 1 + (size_t)rng_below(r, 8);
    case 4:
        return rng_one_in(r, 2) ? SIZE_MAX : (size_t)1 << 62;
    default:
        return 9 + (size_t)rng_below(r, universe < 4096 ? universe : 4096);
    }
}

static bool case_begin(run *t, const char *label, const keyspace *space, gort_heap *heap)
{
    memset(t, 0, sizeof *t);
    t->label = label;
    t->seed = next_case_seed();
    t->r.state = t->seed;
    t->space = space;
    t->heap = heap;
    t->default_blocks_at_start = live_blocks(NULL);
    model_init(&t->m, space);
    t->seen = checked_calloc(t->m.slots, sizeof *t->seen);
    size_t hint = random_hint(&t->r, space->universe);
    return held(
        t, CHECK_OK(gort_map_create(space->key_type, space->value_type, hint, heap, &t->map)));
}

/* GORT_TEST_VERBOSE: iteration plans run thousands of cases, summed up in one line. */
static bool summing;
static struct {
    size_t cases, peak_len, peak_tables, iterations, produced, grown, across_clear;
    uint64_t ops, whole_map_ops[3];
} summary;

static void add_to_summary(const run *t)
{
    summary.cases++;
    summary.ops += t->ops;
    summary.peak_len = t->peak_len > summary.peak_len ? t->peak_len : summary.peak_len;
    summary.peak_tables =
        t->peak_tables > summary.peak_tables ? t->peak_tables : summary.peak_tables;
    summary.iterations += t->iterations;
    summary.produced += t->produced;
    summary.grown += t->grown_under_iterator;
    summary.across_clear += t->iterations_with_clear;
    for (int i = 0; i < 3; i++)
        summary.whole_map_ops[i] += t->whole_map_ops[i];
}

static void print_summary(const char *label, const char *kind)
{
    printf("# %s (%s): %zu cases, %llu ops, peak len %zu, peak tables %zu; "
           "clear/clone/shrink %llu/%llu/%llu; %zu iterations producing %zu, %zu of them "
           "while the map grew, %zu across a clear\n",
           label, kind, summary.cases, (unsigned long long)summary.ops, summary.peak_len,
           summary.peak_tables, (unsigned long long)summary.whole_map_ops[0],
           (unsigned long long)summary.whole_map_ops[1],
           (unsigned long long)summary.whole_map_ops[2], summary.iterations, summary.produced,
           summary.grown, summary.across_clear);
    memset(&summary, 0, sizeof summary);
}

/* Releases the map: nothing may stay allocated or referenced. Returns whether the case
 * passed. */
static bool case_end(run *t, uint64_t *total_ops)
{
    gort_map_release(t->map);
    t->map = NULL;
    if (verbose && summing)
        add_to_summary(t);
    else if (verbose)
        printf("# %s (%s, universe %zu): %llu ops, peak len %zu, tables %zu, depth %zu; "
               "clear/clone/shrink %lu/%lu/%lu; %zu iterations producing %zu, %zu of them "
               "while the map grew, %zu across a clear\n",
               t->label, t->space->kind->name, t->space->universe, (unsigned long long)t->ops,
               t->peak_len, t->peak_tables, t->peak_depth, (unsigned long)t->whole_map_ops[0],
               (unsigned long)t->whole_map_ops[1], (unsigned long)t->whole_map_ops[2],
               t->iterations, t->produced, t->grown_under_iterator, t->iterations_with_clear);
    bool ok = !t->failed && held(t, CHECK_EQ_U64(live_blocks(t->heap), 0)) &&
              held(t, CHECK_EQ_U64(live_blocks(NULL), t->default_blocks_at_start)) &&
              (!t->space->kind->tracked || held(t, CHECK_TRUE(tracked_balanced())));
    *total_ops += t->ops;
    model_free(&t->m);
    free(t->seen);
    return ok;
}

typedef struct phase {
    const op_mix *mix;
    unsigned percent; /* of the case's ops */
} phase;

static bool rare_op_if_drawn(run *t)
{
    if (!t->rare_every || !rng_one_in(&t->r, t->rare_every))
        return true;
    switch (rng_below(&t->r, 4)) {
    case 0: /* refilled by one large batch half of the time: the cleared tables stay */
        return do_clear(t) && (rng_one_in(&t->r, 2) || do_set_n(t, WRITE_N_MAX)) &&
               verify_map(t, t->map, &t->m);
    case 1:
        return do_clone(t);
    default:
        return do_shrink(t);
    }
}

/* Runs each phase's share of n_ops (counted from the case's current op count). */
static bool run_phases(run *t, const phase *phases, size_t n_phases, uint64_t n_ops)
{
    uint64_t target = t->ops;
    for (size_t p = 0; p < n_phases; p++) {
        target += n_ops * phases[p].percent / 100;
        for (uint64_t attempts = 0; t->ops < target && attempts < 4 * n_ops; attempts++)
            if (!random_op(t, phases[p].mix) || !rare_op_if_drawn(t) || !verify_if_due(t))
                return false;
    }
    return verify_map(t, t->map, &t->m);
}

/* Mixed point ops; whole-map ops are drawn separately (rare_every). */
static const op_mix churn_mix = {{
    [OP_SET_NEW] = 2000,
    [OP_OVERWRITE] = 1000,
    [OP_REINSERT] = 200,
    [OP_GET_HIT] = 1500,
    [OP_GET_MISS] = 1000,
    [OP_PTR_HIT] = 800,
    [OP_PTR_MISS] = 200,
    [OP_GET_N] = 150,
    [OP_SET_N] = 40,
    [OP_DELETE_N] = 40,
    [OP_DELETE_HIT] = 2000,
    [OP_DELETE_MISS] = 500,
    [OP_SET_NAN] = 300,
}};

/* A batch op is about 50 pairs on average: one in 500 ops keeps the maps' sizes and the
 * run time close to those of single-key ops alone. */
static const op_mix grow_mix = {{
    [OP_SET_NEW] = 600,
    [OP_OVERWRITE] = 50,
    [OP_GET_HIT] = 100,
    [OP_GET_MISS] = 80,
    [OP_PTR_HIT] = 30,
    [OP_GET_N] = 10,
    [OP_SET_N] = 2,
    [OP_DELETE_N] = 2,
    [OP_DELETE_HIT] = 100,
    [OP_DELETE_MISS] = 20,
    [OP_SET_NAN] = 20,
}};

static const op_mix drain_mix = {{
    [OP_SET_NEW] = 50,
    [OP_OVERWRITE] = 30,
    [OP_GET_HIT] = 150,
    [OP_GET_MISS] = 100,
    [OP_PTR_HIT] = 30,
    [OP_GET_N] = 10,
    [OP_SET_N] = 2,
    [OP_DELETE_N] = 2,
    [OP_DELETE_HIT] = 620,
    [OP_DELETE_MISS] = 20,
}};

/* A large map's life: one batch into the empty map (more keys than a table of the
 * largest size holds), grow, clone and shrink it at its largest, churn, drain it, shrink
 * it (memory must come back), clear it. */
static bool lifecycle(run *t, uint64_t n_ops)
{
    static const phase grow[] = {{&grow_mix, 45}};
    static const phase churn_then_drain[] = {{&churn_mix, 15}, {&drain_mix, 40}};
    return do_set_n(t, WRITE_N_MAX) && verify_map(t, t->map, &t->m) &&
           run_phases(t, grow, 1, n_ops) && do_clone(t) && do_shrink(t) &&
           run_phases(t, churn_then_drain, 2, n_ops) && do_shrink(t) && do_clear(t) &&
           verify_map(t, t->map, &t->m);
}

/* Churn around a random fill level (from nearly empty to completely full), with a
 * clear, clone or shrink about every 8 * universe ops, so a cleared map has time to
 * refill. */
static bool churn(run *t, uint64_t n_ops)
{
    static const phase churn_only[] = {{&churn_mix, 100}};
    static const double fills[] = {0.1, 0.5, 0.85, 1.0};
    t->fill_target = fills[rng_below(&t->r, 4)];
    t->rare_every = 8 * (uint64_t)t->space->universe + 2000;
    return run_phases(t, churn_only, 1, n_ops);
}

/* One model case: churn, or a lifecycle. */
static bool model_case(const keyspace *space, gort_heap *heap, const char *label,
                       uint64_t n_ops, bool as_lifecycle, uint64_t *total_ops)
{
    run t;
    bool ok = case_begin(&t, label, space, heap) &&
              (as_lifecycle ? lifecycle(&t, n_ops) : churn(&t, n_ops));
    return case_end(&t, total_ops) && ok;
}

/* ---- iteration interleaved with mutation ------------------------------------------------- */

typedef struct iter_track {
    gort_map_iter it;
    uint32_t *start_incarnation;    /* per index: incarnation at init, 0 if absent */
    uint32_t *produced_incarnation; /* per index: the last incarnation produced, 0 none */
    bool started, active;
    size_t produced;
    size_t capacity_at_start;
    uint64_t clears_at_start;
} iter_track;

static bool track_begin(run *t, iter_track *tr)
{
    tr->start_incarnation = checked_calloc(t->m.slots, sizeof(uint32_t));
    tr->produced_incarnation = checked_calloc(t->m.slots, sizeof(uint32_t));
    for (size_t i = 0; i < t->m.len; i++)
        tr->start_incarnation[t->m.dense[i]] = t->m.incarnation[t->m.dense[i]];
    tr->started = tr->active = true;
    tr->capacity_at_start = sample_capacity(t);
    tr->clears_at_start = t->whole_map_ops[0];
    t->active_iterators++;
    log_op(t, "iter_init", SIZE_MAX, 0, 0);
    return held(t, CHECK_OK(gort_map_iter_init(t->map, &tr->it)));
}

static void track_stop(run *t, iter_track *tr)
{
    if (tr->active)
        t->active_iterators--;
    tr->active = false;
    gort_map_iter_finish(&tr->it);
}

static void track_free(run *t, iter_track *tr)
{
    if (tr->started)
        track_stop(t, tr);
    free(tr->start_incarnation);
    free(tr->produced_incarnation);
}

/* The iteration ended: every entry present at the start and never deleted since (same
 * incarnation) was produced. */
static bool track_end(run *t, iter_track *tr)
{
    const model *m = &t->m;
    track_stop(t, tr);
    log_op(t, "iter_end", SIZE_MAX, 0, tr->produced);
    t->iterations++;
    t->produced += tr->produced;
    if (sample_capacity(t) > tr->capacity_at_start)
        t->grown_under_iterator++;
    if (t->whole_map_ops[0] > tr->clears_at_start)
        t->iterations_with_clear++;
    for (size_t i = 0; i < m->slots; i++) {
        uint32_t start = tr->start_incarnation[i];
        if (start && m->present[i] && m->incarnation[i] == start &&
            !held(t, CHECK_EQ_U64(tr->produced_incarnation[i], start))) {
            explain(t, "present throughout the iteration but never produced", i, m->variant[i]);
            return false;
        }
    }
    return held(t, CHECK_STATUS(gort_map_iter_next(&tr->it, NULL, NULL), GORT_EINVAL));
}

/* One next(): returns false on a failed check; *index is the produced entry or
 * SIZE_MAX when the iteration ended. */
static bool track_next(run *t, iter_track *tr, size_t *index)
{
    const void *key = NULL;
    void *value = NULL;
    int rc = gort_map_iter_next(&tr->it, &key, &value);
    *index = SIZE_MAX;
    if (rc == 0)
        return track_end(t, tr);
    if (!held(t, CHECK_EQ_INT(rc, 1)))
        return false;
    size_t i = check_produced(t, &t->m, key, value);
    if (i == SIZE_MAX)
        return false;
    log_op(t, "iter_next", i, t->m.variant[i], load_u64(value));
    uint32_t now = t->m.incarnation[i];
    if (!held(t, CHECK_TRUE(tr->produced_incarnation[i] != now))) {
        explain(t, "produced twice (same incarnation)", i, t->m.variant[i]);
        return false;
    }
    tr->produced_incarnation[i] = now;
    tr->produced++;
    *index = i;
    return true;
}

/* iter_delete on the entry just produced. Deleting a NaN entry this way is not pinned down
 * by map.h (the entry is named, but "only clear removes NaNs"): either outcome is accepted
 * and counted, and the model follows the map's len. */
static bool track_delete(run *t, iter_track *tr, size_t index)
{
    size_t before = gort_map_len(t->map);
    log_op(t, "iter_delete", index, t->m.variant[index], 0);
    if (!held(t, CHECK_OK(gort_map_iter_delete(&tr->it))))
        return false;
    if (!is_nan_slot(t->space, index))
        model_remove(&t->m, index);
    else if (gort_map_len(t->map) + 1 == before)
        model_remove(&t->m, index), t->nan_iter_deletes_removed++;
    else
        t->nan_iter_deletes_kept++;
    if (!check_len(t))
        return false;
    /* a second delete without a new next() is refused */
    return !rng_one_in(&t->r, 8) ||
           held(t, CHECK_STATUS(gort_map_iter_delete(&tr->it), GORT_EINVAL));
}

typedef struct iter_plan {
    const char *label;
    size_t universe, nan_slots;
    size_t prefill_min, prefill_max;
    unsigned max_mutations; /* per step, uniform in 0..max */
    const op_mix *mix;
    unsigned iter_delete_percent;
} iter_plan;

static bool iteration_step(run *t, iter_track *tr, const iter_plan *plan)
{
    size_t index;
    if (!track_next(t, tr, &index))
        return false;
    if (index != SIZE_MAX && rng_below(&t->r, 100) < plan->iter_delete_percent)
        return track_delete(t, tr, index);
    if (tr->active && rng_one_in(&t->r, 4000)) { /* abandon it: finish releases its hold */
        log_op(t, "iter_finish", SIZE_MAX, 0, tr->produced);
        track_stop(t, tr);
    }
    return true;
}

static bool mutate(run *t, const iter_plan *plan)
{
    unsigned n = (unsigned)rng_below(&t->r, plan->max_mutations + 1);
    for (unsigned i = 0; i < n; i++)
        if (!random_op(t, plan->mix))
            return false;
    return true;
}

static bool prefill(run *t, size_t target)
{
    for (uint64_t attempts = 0; t->m.len < target && attempts < 16 * target + 64; attempts++)
        if (!random_op(t, &grow_mix))
            return false;
    return true;
}

/* Iterates with mutation between next() calls, sometimes with a second iterator started
 * part-way through, until both iterations end. */
static bool iterate_while_mutating(run *t, const iter_plan *plan)
{
    iter_track tr[2] = {{.started = false}, {.started = false}};
    bool second = rng_one_in(&t->r, 3), ok = track_begin(t, &tr[0]);
    uint64_t steps = 0, mutate_until = 4 * ((uint64_t)t->m.slots + t->m.len) + 64;
    uint64_t limit = mutate_until + 64 * ((uint64_t)t->m.slots + 16);
    while (ok && (tr[0].active || tr[1].active)) {
        if (second && !tr[1].started && rng_one_in(&t->r, 8))
            ok = track_begin(t, &tr[1]);
        for (int i = 0; ok && i < 2; i++)
            if (tr[i].active)
                ok = iteration_step(t, &tr[i], plan);
        ok = ok && (steps >= mutate_until || mutate(t, plan));
        if (ok && ++steps > limit)
            ok = held(t, CHECK_TRUE(!"the iteration does not end"));
    }
    track_free(t, &tr[0]);
    track_free(t, &tr[1]);
    return ok;
}

static bool iteration_case(const keyspace *space, gort_heap *heap, const iter_plan *plan,
                           uint64_t *total_ops)
{
    run t;
    bool ok = case_begin(&t, plan->label, space, heap);
    size_t target =
        plan->prefill_min + (size_t)rng_below(&t.r, plan->prefill_max - plan->prefill_min + 1);
    ok = ok && prefill(&t, target) && iterate_while_mutating(&t, plan) &&
         verify_map(&t, t.map, &t.m);
    return case_end(&t, total_ops) && ok;
}

/* Inserts dominate so that tables grow and split under the iterator. */
static const op_mix iter_large_mix = {{
    [OP_SET_NEW] = 60000,
    [OP_OVERWRITE] = 12000,
    [OP_REINSERT] = 3000,
    [OP_GET_HIT] = 2000,
    [OP_PTR_HIT] = 3000,
    [OP_GET_N] = 500,
    [OP_SET_N] = 300,
    [OP_DELETE_N] = 200,
    [OP_DELETE_HIT] = 14000,
    [OP_DELETE_MISS] = 1000,
    [OP_SET_NAN] = 3000,
    [OP_CLEAR] = 4,
    [OP_CLONE] = 4,
    [OP_SHRINK] = 10,
}};

static const op_mix iter_small_mix = {{
    [OP_SET_NEW] = 30000,
    [OP_OVERWRITE] = 15000,
    [OP_REINSERT] = 5000,
    [OP_GET_HIT] = 3000,
    [OP_PTR_HIT] = 4000,
    [OP_GET_N] = 1000,
    [OP_SET_N] = 600,
    [OP_DELETE_N] = 600,
    [OP_DELETE_HIT] = 30000,
    [OP_DELETE_MISS] = 1000,
    [OP_SET_NAN] = 4000,
    [OP_CLEAR] = 1500,
    [OP_CLONE] = 500,
    [OP_SHRINK] = 1000,
}};

/* Small maps (table-less mode, growing into a table under the iterator), single tables,
 * maps that split several times while being iterated, iterations that start on a
 * directory whose tables have different depths, and maps drained (and shrunk) while
 * being iterated. */
static const op_mix iter_drain_mix = {{
    [OP_SET_NEW] = 15000,
    [OP_OVERWRITE] = 10000,
    [OP_REINSERT] = 3000,
    [OP_GET_HIT] = 5000,
    [OP_PTR_HIT] = 5000,
    [OP_GET_N] = 1000,
    [OP_SET_N] = 200,
    [OP_DELETE_N] = 600,
    [OP_DELETE_HIT] = 50000,
    [OP_SET_NAN] = 1000,
    [OP_CLEAR] = 2,
    [OP_CLONE] = 2,
    [OP_SHRINK] = 150,
}};

static const iter_plan iter_plans[] = {
    {"iterate small map", 12, 0, 0, 8, 2, &iter_small_mix, 15},
    {"iterate small map (universe 24)", 24, 0, 1, 8, 3, &iter_small_mix, 10},
    {"iterate one table", 1000, 0, 9, 400, 3, &iter_large_mix, 5},
    {"iterate across splits", 16384, 0, 300, 1500, 10, &iter_large_mix, 3},
    {"iterate from any size", 16384, 0, 0, 6000, 2, &iter_large_mix, 3},
    {"iterate while draining", 16384, 0, 1500, 5000, 6, &iter_drain_mix, 5},
};

/* A salt for `layout`: SEQ sometimes wraps through UINT64_MAX and 0; ROT keeps the
 * varying bits low before the rotation puts them high. */
static uint64_t layout_salt(rng *r, int layout, size_t universe)
{
    if (layout == LAYOUT_SEQ && rng_one_in(r, 2))
        return UINT64_MAX - universe / 2;
    if (layout == LAYOUT_ROT)
        return rng_below(r, 1u << 20);
    return rng_next(r);
}

/* Runs `plan` n times, each on a keyspace like `base` with the plan's universe. */
static bool iteration_cases(const keyspace *base, gort_heap *heap, const iter_plan *plan,
                            uint64_t n, uint64_t *total_ops)
{
    keyspace space = *base;
    bool ok = true;
    space.universe = plan->universe;
    space.nan_slots = base->nan_slots ? plan->universe / 4 + 8 : 0;
    summing = true;
    for (uint64_t i = 0; ok && i < n; i++) {
        rng pick = {next_case_seed()};
        space.layout = (int)rng_below(&pick, 3);
        space.salt = layout_salt(&pick, space.layout, space.universe);
        ok = iteration_case(&space, heap, plan, total_ops);
    }
    summing = false;
    if (verbose)
        print_summary(plan->label, base->kind->name);
    return ok;
}

/* Case counts per plan at scale 1. */
static const uint64_t iter_plan_cases[] = {2500, 1500, 150, 24, 48, 12};

static bool all_iteration_plans(const keyspace *base, gort_heap *heap, unsigned divisor,
                                uint64_t *total_ops)
{
    for (size_t p = 0; p < sizeof iter_plans / sizeof iter_plans[0]; p++)
        if (!iteration_cases(base, heap, &iter_plans[p],
                             scaled(iter_plan_cases[p] / divisor, 2), total_ops))
            return false;
    return true;
}

/* ---- per-test plumbing ------------------------------------------------------------------- */

typedef struct test_clock {
    const char *name;
    double start;
    uint64_t ops;
    uint64_t default_blocks;
    gort_heap *heap;
} test_clock;

static test_clock test_begin(const char *name)
{
    test_clock c = {name, seconds_now(), 0, live_blocks(NULL), NULL};
    CHECK_OK(gort_heap_create(&c.heap));
    return c;
}

static void test_end(test_clock *c)
{
    printf("# %s: %llu ops in %.2f s\n", c->name, (unsigned long long)c->ops,
           seconds_now() - c->start);
    CHECK_EQ_U64(live_blocks(c->heap), 0);
    CHECK_OK(gort_heap_destroy(c->heap, 0));
    CHECK_EQ_U64(live_blocks(NULL), c->default_blocks);
}

static keyspace u64_space(size_t universe, int layout, uint64_t salt)
{
    gort_type *u64 = gort_type_builtin(GORT_KIND_U64);
    return (keyspace){.kind = &u64_kind,
                      .key_type = u64,
                      .value_type = u64,
                      .universe = universe,
                      .layout = layout,
                      .salt = salt};
}

/* ---- the tests --------------------------------------------------------------------------- */

TEST(u64_model_small_universes)
{
    static const struct {
        size_t universe;
        uint64_t ops;
    } plans[] = {{12, 150000}, {64, 450000}, {1000, 500000}, {5000, 500000}};
    test_clock c = test_begin("u64 model, universes 12/64/1000/5000");
    bool ok = true;
    for (size_t p = 0; ok && p < sizeof plans / sizeof plans[0]; p++)
        for (int layout = 0; ok && layout < 3; layout++) {
            rng pick = {next_case_seed()};
            keyspace space = u64_space(plans[p].universe, layout,
                                       layout_salt(&pick, layout, plans[p].universe));
            ok = model_case(&space, c.heap, "u64 churn", scaled(plans[p].ops / 3, 2000), false,
                            &c.ops);
        }
    test_end(&c);
}

TEST(u64_model_large_universe_grow_churn_drain)
{
    test_clock c = test_begin("u64 model, universe 2^20");
    rng pick = {next_case_seed()};
    int layout = (int)rng_below(&pick, 3);
    keyspace space = u64_space((size_t)1 << 20, layout, layout_salt(&pick, layout, 1u << 20));
    model_case(&space, c.heap, "u64 grow/churn/drain", scaled(1200000, 20000), true, &c.ops);
    test_end(&c);
}

TEST(u64_iteration_with_mutation)
{
    test_clock c = test_begin("u64 iteration with mutation");
    keyspace base = u64_space(0, LAYOUT_MIX, 0);
    all_iteration_plans(&base, c.heap, 1, &c.ops);
    test_end(&c);
}

static keyspace str_space(size_t universe)
{
    return (keyspace){.kind = &str_kind,
                      .key_type = gort_type_builtin(GORT_KIND_STR),
                      .value_type = gort_type_builtin(GORT_KIND_U64),
                      .universe = universe};
}

TEST(str_keys_model_and_iteration)
{
    static const struct {
        size_t universe;
        uint64_t ops;
    } plans[] = {{12, 40000}, {64, 120000}, {1000, 150000}, {5000, 150000}};
    test_clock c = test_begin("str keys");
    bool ok = true;
    for (size_t p = 0; ok && p < sizeof plans / sizeof plans[0]; p++) {
        keyspace space = str_space(plans[p].universe);
        ok = model_case(&space, c.heap, "str churn", scaled(plans[p].ops, 2000), false, &c.ops);
    }
    if (ok) {
        keyspace space = str_space(1 << 16);
        ok = model_case(&space, c.heap, "str grow/churn/drain", scaled(150000, 5000), true,
                        &c.ops);
    }
    if (ok) {
        keyspace base = str_space(0);
        all_iteration_plans(&base, c.heap, 4, &c.ops);
    }
    test_end(&c);
}

/* Custom keys (with or without hooks on the note) for tracked values; hooks are
 * fixtures.h's counting ones. */
static gort_type *custom_key_type(bool hooked)
{
    gort_type_desc desc = {
        .struct_size = sizeof desc,
        .size = sizeof(custom_key),
        .align = _Alignof(custom_key),
        .hash = custom_hash,
        .equal = custom_equal,
        .ptr_bitmap = custom_key_bitmap,
        .ptr_words = 3,
        .retain = hooked ? tracked_retain : NULL,
        .release = hooked ? tracked_release : NULL,
        .ctx = &tracked_state,
        .name = "custom_key",
    };
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    return type;
}

TEST(custom_keys_tracked_values_model_and_iteration)
{
    static const struct {
        size_t universe;
        uint64_t ops;
        bool coarse;
    } plans[] = {
        {12, 40000, false}, {64, 120000, true}, {1000, 120000, false}, {5000, 120000, true}};
    uint64_t default_blocks = live_blocks(NULL);
    gort_type *value_type = tracked_type(); /* resets the counters first */
    gort_type *key_type = custom_key_type(true), *plain_key_type = custom_key_type(false);
    custom_callback_errors = 0;
    test_clock c = test_begin("custom keys, tracked values");
    bool ok = key_type && plain_key_type && value_type;
    for (size_t p = 0; ok && p < sizeof plans / sizeof plans[0]; p++) {
        keyspace space = {.kind = &custom_kind,
                          .key_type = key_type,
                          .value_type = value_type,
                          .universe = plans[p].universe,
                          .hooked_keys = true};
        custom_hash_coarse = plans[p].coarse;
        ok = model_case(&space, c.heap,
                        plans[p].coarse ? "custom churn (coarse hash)" : "custom churn",
                        scaled(plans[p].ops, 2000), false, &c.ops);
    }
    if (ok) { /* the same key without hooks: replaced on overwrite by every account */
        keyspace space = {.kind = &custom_kind,
                          .key_type = plain_key_type,
                          .value_type = value_type,
                          .universe = 1000};
        ok = model_case(&space, c.heap, "custom churn (key without hooks)", scaled(60000, 2000),
                        false, &c.ops);
    }
    keyspace base = {.kind = &custom_kind,
                     .key_type = key_type,
                     .value_type = value_type,
                     .hooked_keys = true};
    for (int coarse = 0; ok && coarse < 2; coarse++) {
        custom_hash_coarse = coarse;
        ok = all_iteration_plans(&base, c.heap, 6, &c.ops);
    }
    custom_hash_coarse = false;
    test_end(&c);
    gort_type_release(key_type);
    gort_type_release(plain_key_type);
    gort_type_release(value_type);
    CHECK_TRUE(tracked_balanced());
    CHECK_EQ_INT(custom_callback_errors, 0);
    CHECK_EQ_U64(live_blocks(NULL), default_blocks);
}

/* Rounds of filling a float map with mostly NaN entries (8000 to 21000 of them), then
 * shrink and clear. A shrink counts each new table's entries by hash and then moves them
 * by hash again; a NaN hashes differently every time, so a table sized by the count must
 * still hold whatever arrives (growth_left <= capacity, checked by every verify). */
static bool nan_flood(const keyspace *space, gort_heap *heap, uint64_t rounds,
                      uint64_t *total_ops)
{
    static const op_mix flood_mix = {{
        [OP_SET_NAN] = 800,
        [OP_SET_NEW] = 50,
        [OP_OVERWRITE] = 50,
        [OP_GET_HIT] = 50,
        [OP_GET_N] = 10,
        [OP_SET_N] = 2,
        [OP_DELETE_N] = 2,
        [OP_DELETE_HIT] = 50,
    }};
    static const phase flood[] = {{&flood_mix, 100}};
    run t;
    bool ok = case_begin(&t, "f64 NaN flood, shrink, clear", space, heap);
    for (uint64_t i = 0; ok && i < rounds; i++)
        ok = run_phases(&t, flood, 1, 10000 + rng_below(&t.r, 16001)) && do_shrink(&t) &&
             do_clear(&t);
    return case_end(&t, total_ops) && ok;
}

static keyspace f64_space(size_t universe, size_t nan_slots)
{
    return (keyspace){.kind = &f64_kind,
                      .key_type = gort_type_builtin(GORT_KIND_F64),
                      .value_type = gort_type_builtin(GORT_KIND_U64),
                      .universe = universe,
                      .nan_slots = nan_slots};
}

TEST(float64_keys_model_and_iteration)
{
    static const struct {
        size_t universe, nan_slots;
        uint64_t ops;
    } plans[] = {{12, 16, 60000}, {64, 64, 150000}, {1000, 256, 150000}};
    test_clock c = test_begin("float64 keys");
    bool ok = true;
    for (size_t p = 0; ok && p < sizeof plans / sizeof plans[0]; p++) {
        keyspace space = f64_space(plans[p].universe, plans[p].nan_slots);
        ok = model_case(&space, c.heap, "f64 churn", scaled(plans[p].ops, 2000), false, &c.ops);
    }
    if (ok) {
        keyspace space = f64_space(64, 32000);
        ok = nan_flood(&space, c.heap, scaled(60, 3), &c.ops);
    }
    if (ok) {
        keyspace base = f64_space(0, 1);
        all_iteration_plans(&base, c.heap, 4, &c.ops);
    }
    test_end(&c);
}

/* The float rules spelled out once, without randomness. */
TEST(float64_zero_and_nan_basics)
{
    gort_map *m = NULL;
    double plus_zero = 0.0, minus_zero = bits_double(SIGN_BIT),
           nan = bits_double(nan_patterns[0]);
    uint64_t v, seen_nan_values = 0;
    int found;
    if (!CHECK_OK(gort_map_create(gort_type_builtin(GORT_KIND_F64),
                                  gort_type_builtin(GORT_KIND_U64), 0, NULL, &m)))
        return;
    v = 1;
    CHECK_OK(gort_map_set(m, &plus_zero, &v));
    v = 2;
    CHECK_OK(gort_map_set(m, &minus_zero, &v));
    CHECK_EQ_SIZE(gort_map_len(m), 1);
    CHECK_OK(gort_map_get(m, &plus_zero, &v, &found));
    CHECK_EQ_INT(found, 1);
    CHECK_EQ_U64(v, 2);
    for (v = 100; v < 103; v++)
        CHECK_OK(gort_map_set(m, &nan, &v));
    CHECK_EQ_SIZE(gort_map_len(m), 4);
    CHECK_OK(gort_map_get(m, &nan, &v, &found));
    CHECK_EQ_INT(found, 0);
    CHECK_OK(gort_map_delete(m, &nan));
    CHECK_EQ_SIZE(gort_map_len(m), 4);
    gort_map_iter it;
    const void *key;
    void *value;
    CHECK_OK(gort_map_iter_init(m, &it));
    while (gort_map_iter_next(&it, &key, &value) == 1) {
        uint64_t bits = load_u64(key), val = load_u64(value);
        if (bits_are_nan(bits)) {
            CHECK_EQ_U64(bits, nan_patterns[0]);
            if (CHECK_TRUE(val >= 100 && val < 103)) {
                CHECK_TRUE(!(seen_nan_values & (1u << (val - 100)))); /* once each */
                seen_nan_values |= 1u << (val - 100);
            }
        } else {
            CHECK_EQ_U64(bits, SIGN_BIT); /* -0 was stored last */
            CHECK_EQ_U64(val, 2);
        }
    }
    CHECK_EQ_U64(seen_nan_values, 7);
    CHECK_OK(gort_map_clear(m));
    CHECK_EQ_SIZE(gort_map_len(m), 0);
    CHECK_OK(gort_map_iter_init(m, &it));
    CHECK_EQ_INT(gort_map_iter_next(&it, &key, &value), 0);
    gort_map_release(m);
}

/* iter_delete needs an entry produced since init or the last iter_delete; a finished
 * iterator refuses next(); finish is idempotent. */
TEST(iterator_delete_and_finish_contract)
{
    gort_map *m = NULL;
    gort_type *u64 = gort_type_builtin(GORT_KIND_U64);
    gort_map_iter it;
    const void *key;
    void *value;
    size_t produced = 0;
    if (!CHECK_OK(gort_map_create(u64, u64, 0, NULL, &m)))
        return;
    for (uint64_t k = 0; k < 20; k++)
        CHECK_OK(gort_map_set(m, &k, &k));
    CHECK_OK(gort_map_iter_init(m, &it));
    CHECK_STATUS(gort_map_iter_delete(&it), GORT_EINVAL);
    while (gort_map_iter_next(&it, &key, &value) == 1) {
        CHECK_EQ_U64(load_u64(key), load_u64(value));
        produced++;
        if (load_u64(key) % 2 == 0) {
            CHECK_OK(gort_map_iter_delete(&it));
            CHECK_STATUS(gort_map_iter_delete(&it), GORT_EINVAL);
        }
    }
    CHECK_EQ_SIZE(produced, 20);
    CHECK_EQ_SIZE(gort_map_len(m), 10);
    CHECK_STATUS(gort_map_iter_next(&it, &key, &value), GORT_EINVAL);
    gort_map_iter_finish(&it);
    gort_map_iter_finish(&it);
    CHECK_OK(gort_map_iter_init(m, &it));
    CHECK_EQ_INT(gort_map_iter_next(&it, &key, &value), 1);
    gort_map_iter_finish(&it);
    CHECK_STATUS(gort_map_iter_next(&it, &key, &value), GORT_EINVAL);
    gort_map_release(m);
}

/* MIX_ODD's inverse by Newton's iteration: each step doubles the correct low bits. */
static void compute_mix_inverse(void)
{
    uint64_t x = MIX_ODD;
    for (int i = 0; i < 6; i++)
        x *= 2 - MIX_ODD * x;
    mix_odd_inverse = x;
}

int main(void)
{
    static const harness_test tests[] = {
        TEST_ENTRY(float64_zero_and_nan_basics),
        TEST_ENTRY(iterator_delete_and_finish_contract),
        TEST_ENTRY(u64_model_small_universes),
        TEST_ENTRY(u64_model_large_universe_grow_churn_drain),
        TEST_ENTRY(u64_iteration_with_mutation),
        TEST_ENTRY(str_keys_model_and_iteration),
        TEST_ENTRY(custom_keys_tracked_values_model_and_iteration),
        TEST_ENTRY(float64_keys_model_and_iteration),
    };
    read_environment();
    compute_mix_inverse();
    if (MIX_ODD * mix_odd_inverse != 1) {
        printf("Bail out! no inverse of MIX_ODD\n");
        return 1;
    }
    return harness_run(tests, HARNESS_COUNT(tests));
}

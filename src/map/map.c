/*
 * Maps: Go 1.24's swiss-table map behind the public API (see map.h for the layout,
 * table.c for probing and rehash, iter.c for iteration and retirement).
 *
 * Invariants, whenever no write is in progress:
 *   - m->used is the number of entries; small mode (dir_len == 0) keeps at most 8 of
 *     them in m->small, a one-group table with no tombstones and no empty-slot rule;
 *   - table mode: dir has 2^global_depth entries; a table with local depth d is pointed
 *     at by the 2^(global_depth - d) consecutive entries starting at its index, and
 *     holds exactly the keys whose top d hash bits select that run;
 *   - every full slot owns its key and value (retained, or a private string copy, or
 *     an indirect block); free slots own nothing;
 *   - small maps with 4-/8-byte or string keys never hash: their control bytes only
 *     mark slots full, and lookups compare keys directly (Go's fast32/64/str).
 * A write toggles `writing` around the whole operation, the key type's hash and
 * equality callbacks included: a callback that writes to the same map is reported as a
 * concurrent write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../heap.h"
#include "../internal.h"
#include "../type.h"
#include "map.h"

/* ---- misuse ---------------------------------------------------------------------- */

static gort_abort_fn abort_hook;
static void *abort_ctx;

void gort_map_set_abort_hook(gort_abort_fn hook, void *ctx)
{
    abort_hook = hook;
    abort_ctx = ctx;
}

void gort__map_fatal(const char *message)
{
    if (abort_hook) {
        abort_hook(message, abort_ctx);
        return;
    }
    fprintf(stderr, "libgort: fatal error: %s\n", message);
    abort();
}

/* Go's `writing` toggle: a toggle rather than a set, so two racing writers are more
 * likely both to notice. Plain bytes: detection is best-effort by design. */
static void write_begin(gort_map *m)
{
    if (m->writing)
        gort__map_fatal("concurrent map writes");
    m->writing ^= 1;
}

static void write_end(gort_map *m)
{
    if (!m->writing)
        gort__map_fatal("concurrent map writes");
    m->writing ^= 1;
    m->mutation_seq++;
}

static void check_read(const gort_map *m)
{
    if (GORT_UNLIKELY(m->writing))
        gort__map_fatal("concurrent map read and map write");
}

/* ---- hashing --------------------------------------------------------------------- */

static void reseed(gort_map *m)
{
    m->seed = gort__random64();
    m->fast_seed = m->seed ^ gort__process_hash_key;
}

uint64_t gort__map_hash(const gort_map *m, const void *key)
{
    return map_hash_kind(m, key, m->layout.key_kind);
}

bool gort__map_key_equal(const gort_map *m, const void *a, const void *b)
{
    return gort__equal_values(m->key_type, a, b);
}

uint64_t gort__map_slot_hash(const gort_map *m, char *slot)
{
    const void *key = slot_key(&m->layout, slot);
    if (!map_key_self_equal(m, key)) {
        uintptr_t address = (uintptr_t)slot;
        return gort__hash_bytes(&address, sizeof address, m->seed);
    }
    return gort__map_hash(m, key);
}

/* ---- layout ---------------------------------------------------------------------- */

static size_t max_size(size_t a, size_t b)
{
    return a > b ? a : b;
}

static int key_kind(const gort_type *key)
{
    if (key->kind == GORT_KIND_STR)
        return KEY_STR;
    if (key->kind == GORT_KIND_F32 || key->kind == GORT_KIND_F64)
        return KEY_GENERIC; /* +0 == -0 and NaN: not bytewise equality (Go agrees) */
    if (key->bytewise && key->size == 8)
        return KEY_WORD64;
    if (key->bytewise && key->size == 4)
        return KEY_WORD32;
    return KEY_GENERIC;
}

/* The layout of every map with 8-byte bytewise keys and 8-byte values stored in the
 * slot (uint64 -> uint64, -> double, -> pointer...), as a constant: code that reads its
 * sizes and offsets from here instead of m->layout gets them folded into instructions. */
static const struct map_layout pair_layout = {
    .key_size = 8,
    .value_size = 8,
    .value_offset = 8,
    .slot_size = 16,
    .group_size = sizeof(ctrl_word) + GROUP_SLOTS * 16,
    .group_align = 8,
    .table_offset = sizeof(struct map_table), /* a multiple of 8: it holds pointers */
    .key_kind = KEY_WORD64,
};

static bool is_pair_layout(const struct map_layout *lay)
{
    return lay->key_kind == KEY_WORD64 && !lay->value_indirect &&
           lay->value_size == pair_layout.value_size &&
           lay->value_offset == pair_layout.value_offset &&
           lay->slot_size == pair_layout.slot_size &&
           lay->group_size == pair_layout.group_size &&
           lay->table_offset == pair_layout.table_offset;
}

static void compute_layout(struct map_layout *lay, const gort_type *key,
                           const gort_type *value)
{
    lay->key_size = key->size;
    lay->value_size = value->size;
    lay->key_indirect = key->size > MAX_INLINE_BYTES;
    lay->value_indirect = value->size > MAX_INLINE_BYTES;
    size_t key_align = lay->key_indirect ? _Alignof(void *) : key->align;
    size_t value_align = lay->value_indirect ? _Alignof(void *) : value->align;
    size_t key_bytes = lay->key_indirect ? sizeof(void *) : key->size;
    size_t value_bytes = lay->value_indirect ? sizeof(void *) : value->size;
    size_t slot_align = max_size(key_align, value_align);
    lay->value_offset = gort__align_up(key_bytes, value_align);
    lay->slot_size = gort__align_up(lay->value_offset + value_bytes, slot_align);
    lay->group_align = max_size(_Alignof(ctrl_word), slot_align);
    /* zero-size slots still get a byte, so slot pointers stay inside the group */
    size_t slots_start = gort__align_up(sizeof(ctrl_word), slot_align);
    size_t group = slots_start + GROUP_SLOTS * max_size(lay->slot_size, 1);
    lay->group_size = gort__align_up(group, lay->group_align);
    lay->table_offset = gort__align_up(sizeof(struct map_table), lay->group_align);
    lay->key_kind = (uint8_t)key_kind(key);
    lay->key_update = key->kind == GORT_KIND_F32 || key->kind == GORT_KIND_F64 ||
                      (!key->bytewise && !key->owns_refs && key->kind != GORT_KIND_STR);
    lay->plain = !key->owns_refs && !value->owns_refs && !lay->key_indirect &&
                 !lay->value_indirect;
    lay->key_callbacks = key->kind == GORT_KIND_CUSTOM && !key->bytewise;
    lay->pair = is_pair_layout(lay);
}

/* ---- small mode ------------------------------------------------------------------ */

static bool small_hashes(const gort_map *m)
{
    return m->layout.key_kind == KEY_GENERIC;
}

static bool str_quick_equal(const gort_str *a, const gort_str *b)
{
    if (a->len != b->len)
        return false;
    if (a->len >= 16 && (memcmp(a->ptr, b->ptr, 8) != 0 ||
                         memcmp(a->ptr + a->len - 8, b->ptr + b->len - 8, 8) != 0))
        return false;
    return a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0;
}

/*
 * Small maps with 4-/8-byte keys do not hash (neither do Go's fast small maps): they file
 * each key under a 7-bit fingerprint of the key itself, one multiply with no seed, in
 * place of H2. A lookup then compares only the slots whose control byte matches rather
 * than every full slot (measured: ~30 fewer instructions per small-map set or get).
 * Without a seed, chosen keys can share a fingerprint; that costs at most the 8 compares
 * of a plain scan, so nothing to defend. small_direct_hash is the one place that picks
 * the hash such a map files a key under: the fingerprint as a hash whose H2 it is (H1 0:
 * there is one group), or 0 for string keys, which compare every full slot.
 */
static inline uint8_t word_tag(uint64_t word)
{
    return (uint8_t)((word * UINT64_C(0x9e3779b97f4a7c15)) >> 57);
}

static inline uint8_t small_key_tag(const void *key, int kind)
{
    if (kind == KEY_WORD32) {
        uint32_t w;
        memcpy(&w, key, 4);
        return word_tag(w);
    }
    uint64_t w;
    memcpy(&w, key, 8);
    return word_tag(w);
}

static uint64_t small_direct_hash(const gort_map *m, const void *key)
{
    switch (m->layout.key_kind) {
    case KEY_WORD64:
        return small_key_tag(key, KEY_WORD64);
    case KEY_WORD32:
        return small_key_tag(key, KEY_WORD32);
    default:
        GORT_ASSERT(m->layout.key_kind == KEY_STR); /* generic keys hash: small_hashes */
        return 0;
    }
}

/* Go's fast small-map lookups: no hash, a direct compare of every full slot whose
 * fingerprint matches (every full slot for string keys). One body per key kind (`kind`
 * is a constant in each caller): no switch per slot. */
static inline __attribute__((always_inline)) char *
small_find_kind(const gort_map *m, const void *key, int kind)
{
    const struct map_layout *lay = &m->layout;
    char *group = group_at(&m->layout, m->small, 0);
    ctrl_word ctrl = *group_ctrl(group);
    slot_bits candidates =
        kind == KEY_STR ? match_full(ctrl) : match_h2(ctrl, small_key_tag(key, kind));
    for (slot_bits f = candidates; f; f = slot_bits_drop_first(f)) {
        char *slot = slot_at(lay, group, slot_bits_first(f));
        if (kind == KEY_STR ? str_quick_equal((const gort_str *)(void *)slot, key)
                            : key_matches(m, slot, key, kind))
            return slot;
    }
    return NULL;
}

static char *small_find_direct(const gort_map *m, const void *key)
{
    switch (m->layout.key_kind) {
    case KEY_WORD64:
        return small_find_kind(m, key, KEY_WORD64);
    case KEY_WORD32:
        return small_find_kind(m, key, KEY_WORD32);
    default:
        GORT_ASSERT(m->layout.key_kind == KEY_STR); /* generic keys hash: small_find */
        return small_find_kind(m, key, KEY_STR);
    }
}

static char *small_find_hashed(const gort_map *m, const void *key, uint64_t h)
{
    const struct map_layout *lay = &m->layout;
    char *group = group_at(&m->layout, m->small, 0);
    for (slot_bits c = match_h2(*group_ctrl(group), hash_h2(h)); c;
         c = slot_bits_drop_first(c)) {
        char *slot = slot_at(lay, group, slot_bits_first(c));
        if (gort__map_key_equal(m, slot_key(lay, slot), key))
            return slot;
    }
    return NULL;
}

static char *small_find(const gort_map *m, const void *key, uint64_t h)
{
    return small_hashes(m) ? small_find_hashed(m, key, h) : small_find_direct(m, key);
}

/* The rest of a probe that the key's home group did not settle: rare, so out of line,
 * which keeps the callers' bodies short. */
static __attribute__((noinline)) char *
table_find_on(const gort_map *m, const struct map_dir_entry *e, const void *key, uint64_t h)
{
    switch (m->layout.key_kind) {
    case KEY_WORD64:
        return table_find_kind(m, e, key, h, KEY_WORD64);
    case KEY_WORD32:
        return table_find_kind(m, e, key, h, KEY_WORD32);
    case KEY_STR:
        return table_find_kind(m, e, key, h, KEY_STR);
    default:
        return table_find_kind(m, e, key, h, KEY_GENERIC);
    }
}

/* Table-mode lookup of a key whose hash is h and whose home group, in the table e names,
 * is `home`: that group here, further groups (a miss in a full group, a key displaced by
 * collisions) in table_find_on. */
static inline __attribute__((always_inline)) char *
home_find_kind(const gort_map *m, const struct map_dir_entry *e, char *home, const void *key,
               uint64_t h, int kind)
{
    ctrl_word ctrl = *group_ctrl(home);
    char *slot = group_find_kind(m, &m->layout, home, ctrl, key, hash_h2(h), kind);
    return slot || match_empty(ctrl) ? slot : table_find_on(m, e, key, h);
}

static inline __attribute__((always_inline)) char *
dir_find_kind(const gort_map *m, const void *key, uint64_t h, int kind)
{
    const struct map_dir_entry *e = &m->dir[dir_index(m, h)];
    char *home = home_group(&m->layout, e, h);
    group_prefetch(&m->layout, home);
    return home_find_kind(m, e, home, key, h, kind);
}

/* Lookup, one body per key kind (`kind` is a constant in each caller): no indirect
 * call and no hashing for small maps with 4-/8-byte or string keys. *hash_out gets the
 * hash when one was computed (table mode), for callers that go on to erase. */
static inline __attribute__((always_inline)) char *
find_kind(const gort_map *m, const void *key, int kind, uint64_t *hash_out)
{
    if (m->used == 0)
        return NULL; /* Go: a lookup in an empty map does not even hash */
    if (m->dir_len == 0)
        return kind == KEY_GENERIC ? small_find_hashed(m, key, gort__map_hash(m, key))
                                   : small_find_kind(m, key, kind);
    uint64_t h = map_hash_kind(m, key, kind);
    *hash_out = h;
    return dir_find_kind(m, key, h, kind);
}

static inline __attribute__((always_inline)) char *
find_entry(const gort_map *m, const void *key, uint64_t *hash_out)
{
    switch (m->layout.key_kind) {
    case KEY_WORD64:
        return find_kind(m, key, KEY_WORD64, hash_out);
    case KEY_WORD32:
        return find_kind(m, key, KEY_WORD32, hash_out);
    case KEY_STR:
        return find_kind(m, key, KEY_STR, hash_out);
    default:
        return find_kind(m, key, KEY_GENERIC, hash_out);
    }
}

char *gort__map_find(const gort_map *m, const void *key)
{
    uint64_t h;
    return find_entry(m, key, &h);
}

/* Locates a full slot's group and index (for erase). */
static void slot_position(const gort_map *m, const struct map_table *t, char *slot,
                          char **group, unsigned *i)
{
    *group = group_at(&m->layout, t, slot_group_index(&m->layout, t, slot));
    *i = (unsigned)((size_t)(slot - *group - sizeof(ctrl_word)) /
                    max_size(m->layout.slot_size, 1));
}

/* ---- entries: copy in, drop ------------------------------------------------------ */

static int store_one(gort_map *m, gort_type *type, bool indirect, void *at,
                     const void *src)
{
    void *dst = at;
    if (indirect) {
        dst = gort__alloc(m->heap, type->size, type->align);
        if (!dst)
            return GORT_ENOMEM;
        gort__map_count_bytes(m, type->size, 0);
    }
    int status = src ? gort__values_clone(type, dst, src, 1)
                     : (memset(dst, 0, type->size), GORT_OK);
    if (status != GORT_OK) {
        if (indirect) {
            gort__free(m->heap, dst, type->size, type->align);
            gort__map_count_bytes(m, 0, type->size);
        }
        return status;
    }
    if (indirect)
        *(void **)at = dst;
    return GORT_OK;
}

static void drop_one(gort_map *m, gort_type *type, bool indirect, void *at)
{
    void *value = indirect ? *(void **)at : at;
    gort__values_drop(type, value, 1);
    if (indirect) {
        gort__free(m->heap, value, type->size, type->align);
        gort__map_count_bytes(m, 0, type->size);
        *(void **)at = NULL;
    } else if (type->size) {
        memset(value, 0, type->size); /* Go: a deleted value reads as zero */
    }
}

/* entry_fill for keys or values that own references or live out of line. On error
 * nothing is retained or allocated. */
static __attribute__((noinline)) int entry_fill_owned(gort_map *m, char *slot,
                                                      const void *key, const void *value)
{
    const struct map_layout *lay = &m->layout;
    int status = store_one(m, m->key_type, lay->key_indirect, slot, key);
    if (status != GORT_OK)
        return status;
    status = store_one(m, m->value_type, lay->value_indirect, slot + lay->value_offset,
                       value);
    if (status != GORT_OK)
        drop_one(m, m->key_type, lay->key_indirect, slot);
    return status;
}

/* Stores a value of a plain layout into a slot (value NULL: the zero value). */
static inline void plain_value_store(const struct map_layout *lay, char *slot,
                                     const void *value)
{
    if (value)
        copy_bytes(slot + lay->value_offset, value, lay->value_size);
    else
        memset(slot + lay->value_offset, 0, lay->value_size);
}

/* Copies a new entry into a free slot (value NULL: the zero value). Inline for plain
 * layouts: an insert of a uint64 pair is then two moves, not a call. */
static inline int entry_fill(gort_map *m, char *slot, const void *key, const void *value)
{
    const struct map_layout *lay = &m->layout;
    if (!lay->plain)
        return entry_fill_owned(m, slot, key, value);
    copy_bytes(slot, key, lay->key_size);
    plain_value_store(lay, slot, value);
    return GORT_OK;
}

static bool key_owns(const struct map_layout *lay, const gort_type *key)
{
    return key->owns_refs || lay->key_indirect;
}

static struct map_grave *grave_alloc(gort_map *m)
{
    return gort__alloc(m->heap, sizeof(struct map_grave) + key_storage_size(&m->layout),
                       _Alignof(max_align_t));
}

static void grave_free(gort_map *m, struct map_grave *grave)
{
    gort__free(m->heap, grave, sizeof *grave + key_storage_size(&m->layout),
               _Alignof(max_align_t));
}

/* Defers a key drop while a retired table may still hold a copy of the slot: an
 * iterator reading that copy hashes and compares the key. */
static int bury_key(gort_map *m, char *slot)
{
    size_t storage = key_storage_size(&m->layout);
    struct map_grave *grave = m->spare_graves; /* delete_n's, allocated up front */
    if (grave)
        m->spare_graves = grave->next;
    else if (!(grave = grave_alloc(m)))
        return GORT_ENOMEM;
    memcpy(grave + 1, slot, storage);
    limbo_push(&m->graves, grave, (void **)&grave->next);
    return GORT_OK;
}

void gort__grave_bury(gort_map *m, struct map_grave *grave)
{
    drop_one(m, m->key_type, m->layout.key_indirect, grave + 1);
    grave_free(m, grave);
}

int gort__entry_drop(gort_map *m, char *slot, bool clearing)
{
    const struct map_layout *lay = &m->layout;
    if (lay->plain) {
        memset(slot + lay->value_offset, 0, lay->value_size);
        return GORT_OK;
    }
    if (key_owns(lay, m->key_type)) {
        if (!clearing && map_has_retired(m)) {
            int status = bury_key(m, slot);
            if (status != GORT_OK)
                return status;
        } else {
            drop_one(m, m->key_type, lay->key_indirect, slot);
        }
    }
    drop_one(m, m->value_type, lay->value_indirect, slot + lay->value_offset);
    return GORT_OK;
}

/* Overwrites an entry's value (and, for float or custom-equality keys, its key). */
static int entry_update(gort_map *m, char *slot, const void *key, const void *value)
{
    const struct map_layout *lay = &m->layout;
    void *stored = slot_value(lay, slot);
    if (value) {
        int status = gort__values_replace(m->value_type, m->heap, stored, value, 1);
        if (status != GORT_OK)
            return status;
    } else {
        gort__values_drop(m->value_type, stored, 1);
        memset(stored, 0, lay->value_size);
    }
    if (lay->key_update)
        memcpy(slot_key(lay, slot), key, lay->key_size);
    return GORT_OK;
}

/* ---- creation and presizing ------------------------------------------------------ */

static size_t physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (size_t)pages * (size_t)page : GORT_MAX_ALLOC;
}

struct presize {
    uint8_t global_depth;
    uint32_t groups; /* per table */
};

/* Go's NewMap sizing: hint*8/7 slots over ceil(that/1024) tables (a power of two), each
 * rounded up to a power of two. False for a hint Go would ignore, or one whose tables
 * would not fit in this machine's memory (an absurd hint is ignored, never an error). */
static bool presize_for(const gort_map *m, size_t hint, struct presize *out)
{
    size_t target, slots = MAX_TABLE_GROUPS * GROUP_SLOTS;
    if (hint <= GROUP_SLOTS || !gort__size_mul(hint, 8, &target))
        return false;
    target /= 7;
    size_t dir_len = 1;
    while (dir_len * slots < target)
        dir_len *= 2;
    size_t bytes;
    if (!gort__size_mul(dir_len * slots, m->layout.group_size / GROUP_SLOTS + 1, &bytes) ||
        bytes > physical_memory())
        return false;
    size_t per_table = target / dir_len, capacity = GROUP_SLOTS;
    while (capacity < per_table)
        capacity *= 2;
    out->global_depth = (uint8_t)__builtin_ctzll(dir_len);
    out->groups = (uint32_t)(capacity / GROUP_SLOTS);
    return true;
}

/* Installs a directory of 2^depth tables of `groups` each. GORT_ENOMEM: unchanged. */
static int install_tables(gort_map *m, uint8_t depth, uint32_t groups)
{
    size_t dir_len = (size_t)1 << depth;
    struct map_dir_entry *dir = gort__alloc_zeroed(m->heap, dir_len * sizeof *dir, DIR_ALIGN);
    if (!dir)
        return GORT_ENOMEM;
    for (size_t i = 0; i < dir_len; i++) {
        struct map_table *t = gort__table_new(m, groups, depth, i);
        if (!t) {
            while (i-- > 0) /* one table per entry here */
                gort__table_free(m, dir[i].table);
            gort__free(m->heap, dir, dir_len * sizeof *dir, DIR_ALIGN);
            return GORT_ENOMEM;
        }
        dir[i] = dir_entry(t);
    }
    m->dir = dir;
    m->dir_len = dir_len;
    m->global_depth = depth;
    m->global_shift = (uint8_t)(64 - depth);
    gort__map_count_bytes(m, dir_len * sizeof *dir, 0);
    return GORT_OK;
}

int gort_map_create(gort_type *key_type, gort_type *value_type, size_t hint,
                    gort_heap *heap, gort_map **out)
{
    if (!key_type || !value_type || !out)
        return GORT_EINVAL;
    if (!key_type->comparable)
        return GORT_ETYPE;
    heap = gort__heap_resolve(heap);
    gort_map *m = gort__alloc_zeroed(heap, sizeof *m, _Alignof(gort_map));
    if (!m)
        return GORT_ENOMEM;
    m->heap = heap;
    m->key_type = gort_type_retain(key_type);
    m->value_type = gort_type_retain(value_type);
    gort__map_count_bytes(m, sizeof *m, 0);
    gort__atomic_store_relaxed(&m->refs, 1);
    compute_layout(&m->layout, key_type, value_type);
    reseed(m);
    struct presize size;
    if (presize_for(m, hint, &size))
        (void)install_tables(m, size.global_depth, size.groups); /* ENOMEM: lazy */
    gort__heap_object_born(heap);
    *out = m;
    return GORT_OK;
}

gort_map *gort_map_retain(gort_map *m)
{
    if (m)
        gort__atomic_fetch_add(&m->refs, 1);
    return m;
}

static void drop_slot(const gort_map *m, char *slot, void *arg)
{
    (void)arg;
    (void)gort__entry_drop((gort_map *)m, slot, true);
}

/* Drops every entry of t (keys now: no iterator can be left at this point or after a
 * clear), leaving the slots free but the control bytes as they were. */
static void drop_entries(gort_map *m, struct map_table *t)
{
    if (!m->layout.plain)
        gort__table_each(m, t, drop_slot, NULL);
}

typedef void (*table_fn)(gort_map *m, struct map_table *t, void *arg);

/* Calls fn once for each distinct table of a directory of 2^depth entries (a table
 * fills the run of 2^(depth - local_depth) entries from its first one), stopping at a
 * NULL entry: a directory still being filled in order. */
static void each_dir_table(gort_map *m, const struct map_dir_entry *dir, size_t len,
                           uint8_t depth, table_fn fn, void *arg)
{
    for (size_t i = 0; i < len && dir[i].table;) {
        struct map_table *t = dir[i].table;
        i += (size_t)1 << (depth - t->local_depth);
        fn(m, t, arg);
    }
}

/* Calls fn once for each distinct live table (the small one included). */
static void each_table(const gort_map *m, table_fn fn, void *arg)
{
    if (m->dir_len)
        each_dir_table((gort_map *)m, m->dir, m->dir_len, m->global_depth, fn, arg);
    else if (m->small)
        fn((gort_map *)m, m->small, arg);
}

static void destroy_table(gort_map *m, struct map_table *t, void *arg)
{
    (void)arg;
    drop_entries(m, t);
    gort__table_free(m, t);
}

void gort_map_release(gort_map *m)
{
    if (!m || gort__atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    gort__map_free_limbo(m);
    each_table(m, destroy_table, NULL);
    if (m->dir)
        gort__free(m->heap, m->dir, m->dir_len * sizeof *m->dir, DIR_ALIGN);
    gort_heap *heap = m->heap;
    gort_type_release(m->key_type);
    gort_type_release(m->value_type);
    gort__free(heap, m, sizeof *m, _Alignof(gort_map));
    gort__heap_object_died(heap);
}

gort_type *gort_map_key_type(const gort_map *m)
{
    return m ? m->key_type : NULL;
}

gort_type *gort_map_value_type(const gort_map *m)
{
    return m ? m->value_type : NULL;
}

size_t gort_map_len(const gort_map *m)
{
    return m ? m->used : 0;
}

/* ---- lookup ---------------------------------------------------------------------- */

/* A key every entry point may hash: m and key present, and a str key's bytes readable. */
static int key_check(const gort_map *m, const void *key)
{
    return !m || !key ? GORT_EINVAL : gort__value_check(m->key_type, key);
}

/* gort_map_get's result: the value (or the zero value) and the found flag. */
static inline void get_result(const gort_map *m, const char *slot, void *value_out,
                              int *found)
{
    if (value_out) {
        if (slot)
            copy_bytes(value_out, slot_value(&m->layout, (char *)slot), m->layout.value_size);
        else
            zero_bytes(value_out, m->layout.value_size);
    }
    if (found)
        *found = slot != NULL;
}

static __attribute__((noinline)) int map_get_any(const gort_map *m, const void *key,
                                                 void *value_out, int *found)
{
    int status = key_check(m, key);
    if (status != GORT_OK)
        return status;
    check_read(m);
    uint64_t h;
    get_result(m, find_entry(m, key, &h), value_out, found);
    return GORT_OK;
}

/* A key type with the user's hash and equal callbacks: a body of its own, as short as
 * the 8-byte keys' one below. A lookup in a big map is bound by memory latency, and how
 * many lookups overlap depends on how few instructions each takes; through map_get_any
 * (which carries every key kind and the value check) a custom key took ~180 instructions
 * per hit and ran at twice the builtin key's time. */
static __attribute__((noinline)) int map_get_custom(const gort_map *m, const void *key,
                                                    void *value_out, int *found)
{
    char *slot = NULL;
    if (m->used) {
        const gort_type *type = m->key_type;
        uint64_t h = type->hash(key, m->seed, type->ctx);
        slot =
            m->dir_len ? dir_find_kind(m, key, h, KEY_GENERIC) : small_find_hashed(m, key, h);
    }
    get_result(m, slot, value_out, found);
    return GORT_OK;
}

/* The common case, 8-byte keys, on its own: a small body that needs few registers (no
 * frame to save), where the general one carries every key kind. */
int gort_map_get(const gort_map *m, const void *key, void *value_out, int *found)
{
    if (!m || !key || m->writing)
        return map_get_any(m, key, value_out, found);
    if (m->layout.key_kind != KEY_WORD64)
        return m->layout.key_callbacks ? map_get_custom(m, key, value_out, found)
                                       : map_get_any(m, key, value_out, found);
    char *slot;
    if (m->dir_len) {
        slot = dir_find_kind(m, key, map_hash_kind(m, key, KEY_WORD64), KEY_WORD64);
    } else {
        slot = m->used ? small_find_kind(m, key, KEY_WORD64) : NULL;
    }
    get_result(m, slot, value_out, found);
    return GORT_OK;
}

int gort_map_get_ptr(const gort_map *m, const void *key, void **out)
{
    int status = out ? key_check(m, key) : GORT_EINVAL;
    if (status != GORT_OK)
        return status;
    check_read(m);
    uint64_t h;
    char *slot = find_entry(m, key, &h);
    *out = slot ? slot_value(&m->layout, slot) : NULL;
    return GORT_OK;
}

/* ---- batched lookup -------------------------------------------------------------- */

/*
 * gort_map_get_n runs its keys through a software pipeline, so that the cache misses of
 * dozens of lookups overlap instead of following one another. Each stage works on a key
 * AHEAD behind the one before it, whose line it asked for:
 *   1. hash key i, read its directory entry (which holds the table's geometry: no
 *      header load), find its home group and ask for the group's control word;
 *   2. match the control word: ask for the line of the first slot whose H2 matches (the
 *      key, nearly always, when present), or, when the group has neither a match nor an
 *      empty slot (a miss that must probe on), for the next group's control word;
 *   3. compare the key and write the result.
 * Only the lines a lookup reads are asked for: a miss costs one line, not the three a
 * 136-byte group spans. String keys have two more misses, both to bytes outside the
 * table: the caller's key bytes, asked for AHEAD keys before they are hashed, and the
 * stored key's bytes, asked for in a stage between 2 and 3.
 * A call per key cannot do this: the processor's window holds two or three lookups of
 * ~70 instructions each. The last stage falls back to the ordinary probe, so a key
 * whose home group does not settle it, or whose prefetches came too late, is still
 * found, only more slowly.
 */
enum { LOOKUP_AHEAD = 16, LOOKUP_RING = 64 }; /* RING > 3 * AHEAD, a power of two */

/* A map of at most this many bytes is looked up key by key: its lines are in cache, where
 * the pipeline's bookkeeping costs more than it hides (docs/maps.md, measured between
 * 16,000 and 32,000 entries on a 1 MiB L2; this leaves room for smaller caches). */
enum { LOOKUP_CACHED_BYTES = 256 << 10 };

struct lookup_batch {
    const char *keys;
    char *values; /* NULL: not wanted */
    int *found;   /* NULL: not wanted */
    int64_t hits;
    /* key i's state lives at i % LOOKUP_RING */
    uint64_t hash[LOOKUP_RING];
    const struct map_dir_entry *entry[LOOKUP_RING];
    char *home[LOOKUP_RING]; /* the home group */
};

static inline __attribute__((always_inline)) void
lookup_emit(const gort_map *m, struct lookup_batch *b, size_t i, const char *slot)
{
    get_result(m, slot, b->values ? b->values + i * m->layout.value_size : NULL,
               b->found ? b->found + i : NULL);
    b->hits += slot != NULL;
}

static inline __attribute__((always_inline)) void
lookup_stage_hash(const gort_map *m, struct lookup_batch *b, size_t i, int kind)
{
    size_t r = i % LOOKUP_RING;
    uint64_t h = map_hash_kind(m, b->keys + i * m->layout.key_size, kind);
    const struct map_dir_entry *e = &m->dir[dir_index(m, h)];
    b->hash[r] = h;
    b->entry[r] = e;
    b->home[r] = home_group(&m->layout, e, h);
    __builtin_prefetch(b->home[r]);
}

static inline __attribute__((always_inline)) void
lookup_stage_ctrl(const gort_map *m, const struct lookup_batch *b, size_t i)
{
    size_t r = i % LOOKUP_RING;
    const struct map_layout *lay = &m->layout;
    ctrl_word ctrl = *group_ctrl(b->home[r]);
    slot_bits match = match_h2(ctrl, hash_h2(b->hash[r]));
    if (match) {
        const char *slot = slot_at(lay, b->home[r], slot_bits_first(match));
        __builtin_prefetch(slot);
        __builtin_prefetch(slot + lay->slot_size - 1);
    } else if (!match_empty(ctrl)) {
        const struct map_dir_entry *e = b->entry[r];
        struct probe p = probe_start(&e->geom, b->hash[r]);
        probe_next(&e->geom, &p);
        __builtin_prefetch(entry_group(lay, e, p.group));
    }
}

/* String keys only: the stored key's bytes live in their own block. Ask for the bytes
 * of the home group's first H2 match, whose slot stage 2 brought in. */
static inline __attribute__((always_inline)) void
lookup_stage_key_bytes(const gort_map *m, const struct lookup_batch *b, size_t i)
{
    size_t r = i % LOOKUP_RING;
    char *group = b->home[r];
    slot_bits match = match_h2(*group_ctrl(group), hash_h2(b->hash[r]));
    if (match) {
        const gort_str *stored = (const gort_str *)(void *)slot_at(
            &m->layout, group, slot_bits_first(match));
        __builtin_prefetch(stored->ptr);
    }
}

static inline __attribute__((always_inline)) void
lookup_stage_probe(const gort_map *m, struct lookup_batch *b, size_t i, int kind)
{
    size_t r = i % LOOKUP_RING;
    const char *key = b->keys + i * m->layout.key_size;
    lookup_emit(m, b, i, home_find_kind(m, b->entry[r], b->home[r], key, b->hash[r], kind));
}

/*
 * get_n of 8-byte keys and values in a table-mode map held in cache (map_hit_1k): the
 * general loop's ~100 instructions per key were mostly bookkeeping, the layout's sizes
 * reloaded after every store to the caller's arrays (which may alias anything) and the
 * value copied through a size switch. Here the map's fields live in locals and the
 * layout is a constant; a probe past the home group still goes to table_find_on.
 */
static void lookup_pairs(const gort_map *m, struct lookup_batch *b, size_t n)
{
    const struct map_layout *lay = &pair_layout;
    const struct map_dir_entry *dir = m->dir;
    const uint64_t seed = m->fast_seed;
    const unsigned shift = m->global_depth ? m->global_shift : 0;
    const uint64_t dir_mask = m->global_depth ? ~UINT64_C(0) : 0; /* depth 0: entry 0 */
    char *values = b->values;
    int *found = b->found;
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        const char *key = b->keys + i * sizeof(uint64_t);
        uint64_t word;
        memcpy(&word, key, sizeof word);
        uint64_t h = hash_word(word, seed);
        const struct map_dir_entry *e = &dir[(h >> shift) & dir_mask];
        char *group = home_group(lay, e, h);
        ctrl_word ctrl = *group_ctrl(group);
        char *slot = group_find_kind(m, lay, group, ctrl, key, hash_h2(h), KEY_WORD64);
        if (!slot && !match_empty(ctrl))
            slot = table_find_on(m, e, key, h);
        uint64_t value = 0;
        if (slot)
            memcpy(&value, slot + lay->value_offset, sizeof value);
        if (values)
            memcpy(values + i * sizeof value, &value, sizeof value);
        if (found)
            found[i] = slot != NULL;
        hits += slot != NULL;
    }
    b->hits += hits;
}

static inline __attribute__((always_inline)) void
lookup_all_kind(const gort_map *m, struct lookup_batch *b, size_t n, int kind)
{
    bool cached = gort__atomic_load_relaxed(&m->bytes) <= LOOKUP_CACHED_BYTES;
    if (kind == KEY_WORD64 && m->layout.pair && m->dir_len && cached) {
        lookup_pairs(m, b, n);
        return;
    }
    /* small or empty (one group, in cache after the first key), or all in cache */
    if (m->dir_len == 0 || cached) {
        for (size_t i = 0; i < n; i++) {
            uint64_t h;
            lookup_emit(m, b, i, find_kind(m, b->keys + i * m->layout.key_size, kind, &h));
        }
        return;
    }
    /* i - lag wraps around to a huge index (skipped) while the pipeline fills */
    const size_t bytes_lag = 2 * LOOKUP_AHEAD;
    const size_t probe_lag = (kind == KEY_STR ? 3 : 2) * LOOKUP_AHEAD;
    for (size_t i = 0; i < n + probe_lag; i++) {
        if (kind == KEY_STR && i + LOOKUP_AHEAD < n)
            __builtin_prefetch(((const gort_str *)(const void *)b->keys)[i + LOOKUP_AHEAD].ptr);
        if (i < n)
            lookup_stage_hash(m, b, i, kind);
        if (i - LOOKUP_AHEAD < n)
            lookup_stage_ctrl(m, b, i - LOOKUP_AHEAD);
        if (kind == KEY_STR && i - bytes_lag < n)
            lookup_stage_key_bytes(m, b, i - bytes_lag);
        if (i - probe_lag < n)
            lookup_stage_probe(m, b, i - probe_lag, kind);
    }
}

/* The checks every batched call makes before it reads or writes an entry: the arrays
 * fit in memory and every key (and value) is one gort_map_set would take. */
static int batch_check(const gort_map *m, const void *keys, const void *values, size_t n)
{
    if (!m || (!keys && n > 0) || n > INT64_MAX)
        return GORT_EINVAL;
    size_t widest = max_size(max_size(m->layout.key_size, m->layout.value_size), 1);
    if (n > SIZE_MAX / widest)
        return GORT_EINVAL; /* no such array fits in memory */
    bool keys_str = m->key_type->kind == GORT_KIND_STR;
    bool values_str = values && m->value_type->kind == GORT_KIND_STR;
    for (size_t i = 0; (keys_str || values_str) && i < n; i++) {
        int status = gort__value_check(m->key_type, (const char *)keys + i * m->layout.key_size);
        if (status == GORT_OK && values)
            status = gort__value_check(m->value_type,
                                       (const char *)values + i * m->layout.value_size);
        if (status != GORT_OK)
            return status;
    }
    return GORT_OK;
}

int64_t gort_map_get_n(const gort_map *m, const void *keys, size_t n, void *values_out,
                       int *found_out)
{
    int status = batch_check(m, keys, NULL, n);
    if (status != GORT_OK)
        return status;
    if (found_out && n > SIZE_MAX / sizeof(int))
        return GORT_EINVAL; /* no such array fits in memory */
    check_read(m);
    struct lookup_batch b; /* the rings are written before they are read: not zeroed */
    b.keys = keys;
    b.values = values_out;
    b.found = found_out;
    b.hits = 0;
    switch (m->layout.key_kind) {
    case KEY_WORD64:
        lookup_all_kind(m, &b, n, KEY_WORD64);
        break;
    case KEY_WORD32:
        lookup_all_kind(m, &b, n, KEY_WORD32);
        break;
    case KEY_STR:
        lookup_all_kind(m, &b, n, KEY_STR);
        break;
    default:
        lookup_all_kind(m, &b, n, KEY_GENERIC);
    }
    return b.hits;
}

/* ---- insertion ------------------------------------------------------------------- */

static int small_alloc(gort_map *m)
{
    m->small = gort__table_new(m, 1, 0, 0);
    return m->small ? GORT_OK : GORT_ENOMEM;
}

/* Go's growToTable: 8 entries move into a 16-slot table behind a 1-entry directory. */
static int small_to_table(gort_map *m)
{
    struct map_dir_entry *dir = gort__alloc(m->heap, sizeof *dir, DIR_ALIGN);
    if (!dir)
        return GORT_ENOMEM;
    struct map_table *t = gort__table_new(m, 2, 0, 0);
    if (!t) {
        gort__free(m->heap, dir, sizeof *dir, DIR_ALIGN);
        return GORT_ENOMEM;
    }
    gort__table_move_all(m, m->small, t);
    dir[0] = dir_entry(t);
    gort__map_count_bytes(m, sizeof *dir, 0);
    struct map_table *small = m->small;
    m->dir = dir;
    m->dir_len = 1;
    m->global_depth = 0;
    m->global_shift = 64;
    m->small = NULL;
    gort__map_retire_table(m, small);
    return GORT_OK;
}

/* A small map's first free slot (there is one: used < GROUP_SLOTS). */
static unsigned small_free_slot(const gort_map *m)
{
    return slot_bits_first(match_empty_or_deleted(*group_ctrl(group_at(&m->layout, m->small, 0))));
}

/* Marks slot i of the small map full, once its entry is written. */
static void small_commit(gort_map *m, unsigned i, uint64_t h)
{
    ctrl_word *ctrl = group_ctrl(group_at(&m->layout, m->small, 0));
    /* h: the hash small_find matches (small_direct_hash's for keys small maps do not
     * hash) */
    *ctrl = ctrl_set(*ctrl, i, hash_h2(h));
    m->small->used++;
    m->used++;
}

/* Adds a key small_find did not find to a small map with a free slot. */
static inline int small_insert(gort_map *m, const void *key, const void *value, uint64_t h)
{
    unsigned i = small_free_slot(m);
    int status = entry_fill(m, slot_at(&m->layout, group_at(&m->layout, m->small, 0), i), key,
                            value);
    if (status == GORT_OK)
        small_commit(m, i, h);
    return status;
}

/* Finds the key's slot or claims a free one, growing the table as needed. */
static char *table_claim(gort_map *m, const void *key, uint64_t h,
                         struct map_claim *claim, struct map_table **table, int *status)
{
    for (;;) {
        const struct map_dir_entry *e = &m->dir[dir_index(m, h)];
        struct map_table *t = e->table;
        char *slot = gort__table_put(m, e, key, h, claim);
        if (slot) {
            *table = t;
            return slot;
        }
        gort__table_prune(m, t);
        if (t->growth_left == 0 && (*status = gort__table_rehash(m, t, 0)) != GORT_OK)
            return NULL;
    }
}

static int table_put(gort_map *m, const void *key, const void *value, uint64_t h)
{
    struct map_claim claim;
    struct map_table *t;
    int status = GORT_OK;
    char *slot = table_claim(m, key, h, &claim, &t, &status);
    if (!slot)
        return status;
    if (!claim.group)
        return entry_update(m, slot, key, value);
    status = entry_fill(m, slot, key, value);
    if (status != GORT_OK)
        return status;
    table_commit(t, &claim, h);
    m->used++;
    return GORT_OK;
}

static int map_put(gort_map *m, const void *key, const void *value)
{
    bool direct_small = m->dir_len == 0 && !small_hashes(m);
    uint64_t h =
        direct_small ? small_direct_hash(m, key) : map_hash_kind(m, key, m->layout.key_kind);
    if (m->dir_len == 0) {
        if (!m->small && small_alloc(m) != GORT_OK)
            return GORT_ENOMEM;
        char *slot = small_find(m, key, h);
        if (slot)
            return entry_update(m, slot, key, value);
        if (m->used < GROUP_SLOTS)
            return small_insert(m, key, value, h);
        int status = small_to_table(m);
        if (status != GORT_OK)
            return status;
        if (direct_small)
            h = map_hash_kind(m, key, m->layout.key_kind);
    }
    return table_put(m, key, value, h);
}

/* gort_map_set's commonest small case on its own: 8-byte keys, a plain layout (no hooks,
 * nothing out of line: nothing here can fail) and an allocated group that holds the key
 * or has room. The general path's dispatch on key kind and hashing decisions cost more
 * than the scan itself. False: not handled, nothing changed. */
static bool small_set_word64(gort_map *m, const void *key, const void *value)
{
    GORT_ASSERT(m->dir_len == 0); /* a small group exists only in small mode */
    char *slot = small_find_kind(m, key, KEY_WORD64);
    if (slot)
        plain_value_store(&m->layout, slot, value);
    else if (m->used == GROUP_SLOTS)
        return false;
    else
        (void)small_insert(m, key, value, small_key_tag(key, KEY_WORD64)); /* plain */
    return true;
}

int gort_map_set(gort_map *m, const void *key, const void *value)
{
    int status = key_check(m, key);
    if (status != GORT_OK)
        return status;
    write_begin(m);
    bool fast = m->small && m->layout.plain && m->layout.key_kind == KEY_WORD64;
    if (!fast || !small_set_word64(m, key, value))
        status = map_put(m, key, value);
    write_end(m);
    return status;
}

/* ---- deletion and clear ---------------------------------------------------------- */

static struct map_table *table_of(const gort_map *m, uint64_t h)
{
    return m->dir_len ? m->dir[dir_index(m, h)].table : m->small;
}

/* Deletes the entry in `slot`, found by a lookup with hash h. */
static int erase_found(gort_map *m, char *slot, uint64_t h)
{
    struct map_table *t = table_of(m, h);
    char *group;
    unsigned i;
    slot_position(m, t, slot, &group, &i);
    int status = gort__entry_drop(m, slot, false);
    if (status != GORT_OK)
        return status;
    if (m->dir_len) {
        gort__table_erase(m, t, group, i);
    } else {
        *group_ctrl(group) = ctrl_set(*group_ctrl(group), i, CTRL_EMPTY); /* no probes */
        t->used--;
    }
    if (--m->used == 0)
        reseed(m); /* Go issue 25237: an emptied map forgets its seed */
    return GORT_OK;
}

int gort__map_delete(gort_map *m, const void *key)
{
    uint64_t h = 0;
    char *slot = find_entry(m, key, &h);
    return slot ? erase_found(m, slot, h) : GORT_OK;
}

int gort_map_delete(gort_map *m, const void *key)
{
    int status = key_check(m, key);
    if (status != GORT_OK)
        return status;
    write_begin(m);
    status = gort__map_delete(m, key);
    write_end(m);
    return status;
}

/* ---- batched writes -------------------------------------------------------------- */

/*
 * gort_map_set_n is all or nothing: whatever can fail happens before any entry
 * changes.
 *   1. hash every key (a NaN key draws its random hash here, once);
 *   2. stage: for layouts that retain, copy strings or store out of line, copy every key
 *      and value into scratch slots (the one step that can fail per entry);
 *   3. reserve: grow or split each table the new keys will land in until it has room
 *      for all of them. Growth moves entries but changes no contents, so stopping here
 *      on GORT_ENOMEM leaves the map's contents as they were;
 *   4. fill: the puts, which can no longer fail, prefetching WRITE_AHEAD keys ahead
 *      as gort_map_get_n does.
 * gort_map_delete_n needs no reservation (deletes never grow); its one allocation, a
 * grave for a key dropped while an iterator reads a retired table, is made up front.
 */
enum { WRITE_AHEAD = 16, WRITE_RING = 32, STACK_HASHES = 64 };

struct write_batch {
    const char *keys;
    const char *values; /* NULL: zero values */
    size_t n;
    uint64_t *hash;     /* n */
    char *staged;       /* n staged slots; NULL for plain layouts (copied as they go) */
    uint8_t *is_new;    /* NULL until needed: 1 for the first of each key the map lacks */
};

static const char *batch_key(const gort_map *m, const struct write_batch *b, size_t i)
{
    return b->keys + i * m->layout.key_size;
}

static const char *batch_value(const gort_map *m, const struct write_batch *b, size_t i)
{
    return b->values ? b->values + i * m->layout.value_size : NULL;
}

/* count elements of `size` bytes from the map's heap; NULL on overflow or ENOMEM. */
static void *scratch_alloc(gort_map *m, size_t count, size_t size, size_t align, bool zeroed)
{
    size_t bytes;
    if (!gort__size_mul(count, size, &bytes) || bytes == 0)
        return NULL;
    return zeroed ? gort__alloc_zeroed(m->heap, bytes, align)
                  : gort__alloc(m->heap, bytes, align);
}

static void scratch_free(gort_map *m, void *p, size_t count, size_t size, size_t align)
{
    if (p)
        gort__free(m->heap, p, count * size, align);
}

static inline __attribute__((always_inline)) void
hash_all_kind(const gort_map *m, struct write_batch *b, int kind)
{
    for (size_t i = 0; i < b->n; i++)
        b->hash[i] = map_hash_kind(m, batch_key(m, b, i), kind);
}

static void hash_all(const gort_map *m, struct write_batch *b)
{
    switch (m->layout.key_kind) {
    case KEY_WORD64:
        hash_all_kind(m, b, KEY_WORD64);
        break;
    case KEY_WORD32:
        hash_all_kind(m, b, KEY_WORD32);
        break;
    case KEY_STR:
        hash_all_kind(m, b, KEY_STR);
        break;
    default:
        hash_all_kind(m, b, KEY_GENERIC);
    }
}

/* Drops staged slots [0, end): keys and values copied in but never used. */
static void unstage(gort_map *m, struct write_batch *b, size_t end)
{
    const struct map_layout *lay = &m->layout;
    for (size_t i = 0; i < end; i++) {
        char *slot = b->staged + i * lay->slot_size;
        drop_one(m, m->key_type, lay->key_indirect, slot);
        drop_one(m, m->value_type, lay->value_indirect, slot + lay->value_offset);
    }
}

/* Step 2: retains, string copies and out-of-line blocks for every pair, or nothing. */
static int stage_all(gort_map *m, struct write_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        int status = entry_fill_owned(m, b->staged + i * m->layout.slot_size,
                                      batch_key(m, b, i), batch_value(m, b, i));
        if (status != GORT_OK) {
            unstage(m, b, i);
            return status;
        }
    }
    return GORT_OK;
}

/* Marks in b->is_new the keys that would add an entry: absent from the map and not
 * equal to an earlier key of the batch (found through a scratch open-addressing set of
 * indices + 1). Only needed when a table looks short of room: counting every key could
 * grow tables for keys that are overwrites, and split without end for one key repeated
 * a thousand times. With `marked_only`, only the keys bound for tables with a nonzero
 * batch_need are looked up; the others count as new (their tables have room anyway). */
static int find_new_keys(gort_map *m, struct write_batch *b, bool marked_only)
{
    size_t slots = 16;
    while (slots < 2 * b->n)
        slots *= 2;
    b->is_new = scratch_alloc(m, b->n, 1, 1, false);
    size_t *seen = scratch_alloc(m, slots, sizeof *seen, _Alignof(size_t), true);
    if (!b->is_new || !seen) {
        scratch_free(m, seen, slots, sizeof *seen, _Alignof(size_t));
        return GORT_ENOMEM; /* the caller frees is_new with the rest */
    }
    for (size_t i = 0; i < b->n; i++) {
        const char *key = batch_key(m, b, i);
        b->is_new[i] = 1;
        if (marked_only && !m->dir[dir_index(m, b->hash[i])].table->batch_need)
            continue;
        b->is_new[i] = !gort__map_find(m, key);
        for (size_t j = b->hash[i] & (slots - 1); b->is_new[i]; j = (j + 1) & (slots - 1)) {
            if (!seen[j]) {
                seen[j] = i + 1;
                break;
            }
            size_t k = seen[j] - 1;
            b->is_new[i] = b->hash[k] != b->hash[i] ||
                           !gort__map_key_equal(m, batch_key(m, b, k), key);
        }
    }
    scratch_free(m, seen, slots, sizeof *seen, _Alignof(size_t));
    return GORT_OK;
}

static size_t count_new_keys(const struct write_batch *b)
{
    size_t count = 0;
    for (size_t i = 0; i < b->n; i++)
        count += b->is_new[i];
    return count;
}

/* Step 3 for a small map: room in its one group, or a table. */
static int reserve_small(gort_map *m, struct write_batch *b)
{
    if (!m->small && small_alloc(m) != GORT_OK)
        return GORT_ENOMEM;
    if (m->used + b->n <= GROUP_SLOTS)
        return GORT_OK;
    int status = find_new_keys(m, b, false);
    if (status != GORT_OK || m->used + count_new_keys(b) <= GROUP_SLOTS)
        return status;
    return small_to_table(m);
}

/* The tables without room for the batch's new keys, each once, after pruning their
 * tombstones, into *short_of (allocated on the first one; NULL if none). Counts the keys
 * that may be new in each table in its batch_need (every key until find_new_keys has
 * run), and leaves every count at 0 again. Returns how many are short of room, or
 * GORT_ENOMEM. */
static int64_t tables_short_of_room(gort_map *m, const struct write_batch *b,
                                    struct map_table ***short_of)
{
    for (size_t i = 0; i < b->n; i++) {
        struct map_table *t = m->dir[dir_index(m, b->hash[i])].table;
        if ((!b->is_new || b->is_new[i]) && t->batch_need < UINT32_MAX)
            t->batch_need++;
    }
    int64_t count = 0;
    for (size_t i = 0; i < b->n; i++) {
        struct map_table *t = m->dir[dir_index(m, b->hash[i])].table;
        if (t->batch_need > t->growth_left)
            gort__table_prune(m, t);
        if (t->batch_need > t->growth_left && count >= 0) {
            if (!*short_of && !(*short_of = scratch_alloc(m, m->dir_len, sizeof **short_of,
                                                          _Alignof(void *), false)))
                count = GORT_ENOMEM; /* go on: every count must return to 0 */
            else
                (*short_of)[count++] = t; /* at most one per table: dir_len bounds them */
        }
        t->batch_need = 0; /* this table is decided */
    }
    return count;
}

/* Marks each short table's batch_need (nonzero: find_new_keys looks its keys up) with
 * the split sides its new keys take (bits 0 and 1): a nearly empty table has no entries
 * to tell apart, but the keys on their way may be. */
static void mark_incoming_sides(gort_map *m, const struct write_batch *b,
                                struct map_table **short_of, int64_t count)
{
    enum { MARK = 4 };
    for (int64_t k = 0; k < count; k++)
        short_of[k]->batch_need = MARK;
    for (size_t i = 0; i < b->n; i++) {
        struct map_table *t = m->dir[dir_index(m, b->hash[i])].table;
        if (t->batch_need && (!b->is_new || b->is_new[i]))
            t->batch_need |= 1u << table_split_side(t, b->hash[i]);
    }
}

/* Step 3 in table mode: rounds of growing (or splitting) every table short of room,
 * until none is. A round costs two passes over the batch; a batch of a few hundred keys
 * into a large map takes one or two. */
static int reserve_tables(gort_map *m, struct write_batch *b)
{
    for (;;) {
        size_t len = m->dir_len;
        struct map_table **short_of = NULL;
        int64_t count = tables_short_of_room(m, b, &short_of);
        int status = count < 0 ? (int)count : GORT_OK;
        bool recount = count > 0 && !b->is_new; /* count the short ones again, exactly */
        if (count > 0)
            mark_incoming_sides(m, b, short_of, count);
        if (recount)
            status = find_new_keys(m, b, true);
        for (int64_t k = 0; k < count; k++) {
            unsigned incoming = short_of[k]->batch_need & 3;
            short_of[k]->batch_need = 0; /* before: a rehash frees the table */
            if (status == GORT_OK && !recount)
                status = gort__table_rehash(m, short_of[k], incoming);
        }
        scratch_free(m, short_of, len, sizeof *short_of, _Alignof(void *));
        if (status != GORT_OK || count == 0)
            return status;
    }
}

static int reserve_room(gort_map *m, struct write_batch *b)
{
    int status = m->dir_len == 0 ? reserve_small(m, b) : GORT_OK;
    return status == GORT_OK && m->dir_len ? reserve_tables(m, b) : status;
}

/* Writes pair i into slot: a new entry (`fresh`) or over an existing one. Cannot fail:
 * staged pairs move in, plain ones are copies. */
static inline __attribute__((always_inline)) void
batch_write(gort_map *m, const struct write_batch *b, size_t i, char *slot, bool fresh)
{
    const struct map_layout *lay = &m->layout;
    if (b->staged) {
        char *from = b->staged + i * lay->slot_size;
        if (fresh) {
            memcpy(slot, from, lay->slot_size);
            return;
        }
        drop_one(m, m->value_type, lay->value_indirect, slot + lay->value_offset);
        memcpy(slot + lay->value_offset, from + lay->value_offset,
               lay->value_indirect ? sizeof(void *) : lay->value_size);
        if (lay->key_update)
            memcpy(slot_key(lay, slot), slot_key(lay, from), lay->key_size);
        drop_one(m, m->key_type, lay->key_indirect, from);
        return;
    }
    const char *key = batch_key(m, b, i), *value = batch_value(m, b, i);
    if (fresh) {
        (void)entry_fill(m, slot, key, value); /* plain: a copy */
        return;
    }
    plain_value_store(lay, slot, value);
    if (lay->key_update)
        memcpy(slot_key(lay, slot), key, lay->key_size);
}

static void batch_put_small(gort_map *m, const struct write_batch *b, size_t i)
{
    char *slot = small_find(m, batch_key(m, b, i), b->hash[i]);
    if (slot) {
        batch_write(m, b, i, slot, false);
        return;
    }
    unsigned free_slot = small_free_slot(m);
    batch_write(m, b, i, slot_at(&m->layout, group_at(&m->layout, m->small, 0), free_slot),
                true);
    small_commit(m, free_slot,
                 small_hashes(m) ? b->hash[i] : small_direct_hash(m, batch_key(m, b, i)));
}

static void batch_put_table(gort_map *m, const struct write_batch *b, size_t i)
{
    uint64_t h = b->hash[i];
    const struct map_dir_entry *e = &m->dir[dir_index(m, h)];
    struct map_claim claim;
    char *slot = gort__table_put(m, e, batch_key(m, b, i), h, &claim);
    GORT_ASSERT(slot); /* reserve_room made room */
    batch_write(m, b, i, slot, claim.group != NULL);
    if (claim.group) {
        table_commit(e->table, &claim, h);
        m->used++;
    }
}

/* Asks for every line of h's home group. Inline by force: GCC finds that a function
 * doing nothing but prefetch has no side effects and drops every call to it (measured:
 * set_n's fill ran without a single prefetch, 90 ns per presized insert instead of 44). */
static inline __attribute__((always_inline)) void prefetch_home(const gort_map *m,
                                                           uint64_t h)
{
    group_prefetch_all(&m->layout, home_group(&m->layout, &m->dir[dir_index(m, h)], h));
}

/* Step 4, in order: a later pair overwrites an earlier one with an equal key. */
static void fill_all(gort_map *m, const struct write_batch *b)
{
    if (m->dir_len == 0) {
        for (size_t i = 0; i < b->n; i++)
            batch_put_small(m, b, i);
        return;
    }
    for (size_t i = 0; i < b->n + WRITE_AHEAD; i++) {
        if (i < b->n)
            prefetch_home(m, b->hash[i]);
        if (i >= WRITE_AHEAD)
            batch_put_table(m, b, i - WRITE_AHEAD);
    }
}

/* A batch small_set_word64 takes whole: the map is small (or empty) with 8-byte keys and
 * a plain layout, and n new keys would still fit in its group, so no step can fail
 * after the group exists — all or nothing without hashing, staging or reserving. */
static bool small_fits_word64(const gort_map *m, size_t n)
{
    return m->dir_len == 0 && m->layout.plain && m->layout.key_kind == KEY_WORD64 &&
           n <= GROUP_SLOTS - m->used;
}

static int64_t small_set_all_word64(gort_map *m, const char *keys, const char *values, size_t n)
{
    if (!m->small && small_alloc(m) != GORT_OK)
        return GORT_ENOMEM;
    size_t before = m->used;
    for (size_t i = 0; i < n; i++)
        (void)small_set_word64(m, keys + i * 8,
                               values ? values + i * m->layout.value_size : NULL);
    return (int64_t)(m->used - before);
}

/* Steps 1-4 once the map is marked as being written. */
static int64_t set_all(gort_map *m, struct write_batch *b)
{
    uint64_t stack_hash[STACK_HASHES];
    b->hash = b->n <= STACK_HASHES ? stack_hash
                                   : scratch_alloc(m, b->n, 8, _Alignof(uint64_t), false);
    if (!m->layout.plain)
        b->staged = scratch_alloc(m, b->n, m->layout.slot_size, m->layout.group_align, true);
    int status = !b->hash || (!m->layout.plain && !b->staged) ? GORT_ENOMEM : GORT_OK;
    if (status == GORT_OK) {
        hash_all(m, b);
        status = b->staged ? stage_all(m, b) : GORT_OK;
        if (status == GORT_OK && (status = reserve_room(m, b)) != GORT_OK && b->staged)
            unstage(m, b, b->n);
    }
    size_t before = m->used;
    if (status == GORT_OK)
        fill_all(m, b);
    scratch_free(m, b->is_new, b->n, 1, 1);
    scratch_free(m, b->staged, b->n, m->layout.slot_size, m->layout.group_align);
    if (b->hash != stack_hash)
        scratch_free(m, b->hash, b->n, 8, _Alignof(uint64_t));
    return status == GORT_OK ? (int64_t)(m->used - before) : status;
}

int64_t gort_map_set_n(gort_map *m, const void *keys, const void *values, size_t n)
{
    int status = batch_check(m, keys, values, n);
    if (status != GORT_OK || n == 0)
        return status;
    write_begin(m);
    int64_t added;
    if (small_fits_word64(m, n)) {
        added = small_set_all_word64(m, keys, values, n);
    } else {
        struct write_batch b = {.keys = keys, .values = values, .n = n};
        added = set_all(m, &b);
    }
    write_end(m);
    return added;
}

/* Graves for delete_n's key drops, one per key, taken before anything is deleted:
 * needed only for keys that own memory while an iterator reads a retired table. */
static int graves_reserve(gort_map *m, size_t n)
{
    if (!key_owns(&m->layout, m->key_type) || !map_has_retired(m))
        return GORT_OK;
    for (size_t i = 0; i < n && i < m->used; i++) {
        struct map_grave *grave = grave_alloc(m);
        if (!grave)
            return GORT_ENOMEM; /* the caller frees the ones made */
        grave->next = m->spare_graves;
        m->spare_graves = grave;
    }
    return GORT_OK;
}

static void graves_release(gort_map *m)
{
    while (m->spare_graves) {
        struct map_grave *grave = m->spare_graves;
        m->spare_graves = grave->next;
        grave_free(m, grave);
    }
}

static inline __attribute__((always_inline)) size_t
delete_all_kind(gort_map *m, const char *keys, size_t n, int kind)
{
    size_t before = m->used;
    if (m->dir_len == 0) { /* one group: nothing to prefetch */
        for (size_t i = 0; i < n && m->used; i++)
            (void)gort__map_delete(m, keys + i * m->layout.key_size); /* a grave is ready */
        return before - m->used;
    }
    uint64_t hash[WRITE_RING];
    /* an emptied map is reseeded, so the hashes ahead are stale: stop (the rest are
     * absent anyway) */
    for (size_t i = 0; i < n + WRITE_AHEAD && m->used; i++) {
        if (i < n) {
            hash[i % WRITE_RING] = map_hash_kind(m, keys + i * m->layout.key_size, kind);
            prefetch_home(m, hash[i % WRITE_RING]);
        }
        if (i >= WRITE_AHEAD) {
            const char *key = keys + (i - WRITE_AHEAD) * m->layout.key_size;
            uint64_t h = hash[(i - WRITE_AHEAD) % WRITE_RING];
            char *slot = table_find_kind(m, &m->dir[dir_index(m, h)], key, h, kind);
            if (slot)
                (void)erase_found(m, slot, h); /* a grave is ready */
        }
    }
    return before - m->used;
}

int64_t gort_map_delete_n(gort_map *m, const void *keys, size_t n)
{
    int status = batch_check(m, keys, NULL, n);
    if (status != GORT_OK || n == 0 || !m->used)
        return status;
    write_begin(m);
    size_t deleted = 0;
    if ((status = graves_reserve(m, n)) == GORT_OK) {
        switch (m->layout.key_kind) {
        case KEY_WORD64:
            deleted = delete_all_kind(m, keys, n, KEY_WORD64);
            break;
        case KEY_WORD32:
            deleted = delete_all_kind(m, keys, n, KEY_WORD32);
            break;
        case KEY_STR:
            deleted = delete_all_kind(m, keys, n, KEY_STR);
            break;
        default:
            deleted = delete_all_kind(m, keys, n, KEY_GENERIC);
        }
    }
    graves_release(m);
    write_end(m);
    return status == GORT_OK ? (int64_t)deleted : status;
}

static void clear_table(gort_map *m, struct map_table *t, void *arg)
{
    (void)arg;
    drop_entries(m, t);
    for (uint32_t g = 0; g < t->geom.groups; g++)
        *group_ctrl(group_at(&m->layout, t, g)) = CTRL_GROUP_EMPTY; /* tombstones too */
    t->used = 0;
    t->growth_left = gort__table_max_growth(t->capacity);
}

int gort_map_clear(gort_map *m)
{
    if (!m)
        return GORT_EINVAL;
    if (m->used == 0 && !m->tombstone_possible)
        return GORT_OK;
    write_begin(m);
    each_table(m, clear_table, NULL);
    m->used = 0;
    m->tombstone_possible = false;
    m->clear_seq++;
    reseed(m);
    write_end(m);
    return GORT_OK;
}

/* ---- clone ----------------------------------------------------------------------- */

/* Copies a full slot's entry into the same position of the clone's table. */
static int clone_entry(gort_map *c, char *to, char *from)
{
    const struct map_layout *lay = &c->layout;
    return entry_fill(c, to, slot_key(lay, from), slot_value(lay, from));
}

static int clone_group(gort_map *c, char *to, char *from)
{
    ctrl_word ctrl = *group_ctrl(from);
    for (slot_bits f = match_full(ctrl); f; f = slot_bits_drop_first(f)) {
        unsigned i = slot_bits_first(f);
        int status = clone_entry(c, slot_at(&c->layout, to, i), slot_at(&c->layout, from, i));
        if (status != GORT_OK)
            return status;
        /* mark each entry as it lands, so a failure drops exactly what was copied */
        *group_ctrl(to) = ctrl_set(*group_ctrl(to), i, ctrl_get(ctrl, i));
    }
    *group_ctrl(to) = ctrl; /* tombstones are copied as they are, like Go */
    return GORT_OK;
}

static struct map_table *clone_table(gort_map *c, const struct map_table *t, int *status)
{
    struct map_table *ct = gort__table_new(c, t->geom.groups, t->local_depth, t->index);
    *status = GORT_ENOMEM;
    if (!ct)
        return NULL;
    if (c->layout.plain) {
        memcpy(group_at(&c->layout, ct, 0), group_at(&c->layout, t, 0),
               (size_t)t->geom.groups * c->layout.group_size);
    } else {
        for (uint32_t g = 0; g < t->geom.groups; g++) {
            *status = clone_group(c, group_at(&c->layout, ct, g), group_at(&c->layout, t, g));
            if (*status != GORT_OK) {
                destroy_table(c, ct, NULL);
                return NULL;
            }
        }
    }
    ct->used = t->used;
    ct->growth_left = t->growth_left;
    *status = GORT_OK;
    return ct;
}

static int clone_directory(gort_map *c, const gort_map *m)
{
    c->dir = gort__alloc_zeroed(c->heap, m->dir_len * sizeof *c->dir, DIR_ALIGN);
    if (!c->dir)
        return GORT_ENOMEM;
    gort__map_count_bytes(c, m->dir_len * sizeof *c->dir, 0);
    for (size_t i = 0; i < m->dir_len;) {
        int status;
        struct map_table *ct = clone_table(c, m->dir[i].table, &status);
        if (!ct)
            return status;
        size_t run = (size_t)1 << (m->global_depth - ct->local_depth);
        for (size_t j = 0; j < run; j++)
            c->dir[i + j] = dir_entry(ct);
        i += run;
    }
    return GORT_OK;
}

/* Frees a clone that failed part way: its directory fills in order, so the first NULL
 * entry ends the copied tables. */
static void clone_abandon(gort_map *c)
{
    if (c->dir) {
        each_dir_table(c, c->dir, c->dir_len, c->global_depth, destroy_table, NULL);
        gort__free(c->heap, c->dir, c->dir_len * sizeof *c->dir, DIR_ALIGN);
    } else if (c->small) {
        destroy_table(c, c->small, NULL);
    }
    gort_type_release(c->key_type);
    gort_type_release(c->value_type);
    gort__free(c->heap, c, sizeof *c, _Alignof(gort_map));
}

int gort_map_clone(const gort_map *m, gort_map **out)
{
    if (!m || !out)
        return GORT_EINVAL;
    if (m->writing)
        gort__map_fatal("concurrent map clone and map write");
    gort_map *c = gort__alloc(m->heap, sizeof *c, _Alignof(gort_map));
    if (!c)
        return GORT_ENOMEM;
    /* the same seed and layout as Go's maps.Clone, so tables copy group by group */
    *c = (gort_map){.used = m->used, .seed = m->seed, .fast_seed = m->fast_seed,
                    .dir_len = m->dir_len, .global_depth = m->global_depth,
                    .global_shift = m->global_shift,
                    .tombstone_possible = m->tombstone_possible, .heap = m->heap,
                    .key_type = gort_type_retain(m->key_type),
                    .value_type = gort_type_retain(m->value_type),
                    .layout = m->layout};
    gort__atomic_store_relaxed(&c->refs, 1);
    gort__map_count_bytes(c, sizeof *c, 0);
    int status = GORT_OK;
    if (m->dir_len)
        status = clone_directory(c, m);
    else if (m->small)
        c->small = clone_table(c, m->small, &status);
    if (status != GORT_OK) {
        clone_abandon(c);
        return status;
    }
    gort__heap_object_born(c->heap);
    *out = c;
    return GORT_OK;
}

/* ---- shrink ---------------------------------------------------------------------- */

struct rebuild {
    struct map_dir_entry *dir;
    size_t dir_len;
    uint8_t depth;
    struct map_table *small;
};

static void rebuild_free(gort_map *m, struct rebuild *r)
{
    for (size_t i = 0; r->dir && i < r->dir_len && r->dir[i].table; i++)
        gort__table_free(m, r->dir[i].table);
    if (r->dir) {
        gort__free(m->heap, r->dir, r->dir_len * sizeof *r->dir, DIR_ALIGN);
        gort__map_count_bytes(m, 0, r->dir_len * sizeof *r->dir);
    }
    if (r->small)
        gort__table_free(m, r->small);
}

/* The rebuilt directory's entry for hash h. */
static size_t rebuild_index(const struct rebuild *r, uint64_t h)
{
    return r->depth ? (size_t)(h >> (64 - r->depth)) : 0;
}

static void count_slot(const gort_map *m, char *slot, void *arg)
{
    struct rebuild *r = arg;
    size_t i = rebuild_index(r, gort__map_slot_hash(m, slot));
    ((uint32_t *)(void *)r->dir)[i]++; /* the directory doubles as a count array */
}

static void count_table(gort_map *m, struct map_table *t, void *r)
{
    gort__table_each(m, t, count_slot, r);
}

static void count_entries(gort_map *m, struct rebuild *r)
{
    memset(r->dir, 0, r->dir_len * sizeof *r->dir);
    each_table(m, count_table, r);
}

/* A directory deep enough that every table's share fits one table comfortably, and a
 * table per entry sized to its share. */
static int rebuild_tables(gort_map *m, struct rebuild *r)
{
    for (r->depth = 0; (m->used >> r->depth) > 512; r->depth++)
        ;
    for (uint32_t previous = UINT32_MAX;;) {
        r->dir_len = (size_t)1 << r->depth;
        r->dir = gort__alloc(m->heap, r->dir_len * sizeof *r->dir, DIR_ALIGN);
        if (!r->dir)
            return GORT_ENOMEM;
        gort__map_count_bytes(m, r->dir_len * sizeof *r->dir, 0);
        count_entries(m, r);
        uint32_t *counts = (uint32_t *)(void *)r->dir, most = 0;
        for (size_t i = 0; i < r->dir_len; i++)
            most = counts[i] > most ? counts[i] : most;
        /* deeper only while that spreads the entries (a bad hash may not) */
        if (most <= 800 || most >= previous || r->depth >= 40)
            break;
        previous = most;
        gort__free(m->heap, r->dir, r->dir_len * sizeof *r->dir, DIR_ALIGN);
        gort__map_count_bytes(m, 0, r->dir_len * sizeof *r->dir);
        r->dir = NULL;
        r->depth++;
    }
    /* counts live in the first quarter of the array (entry i covers counts 4i..4i+3,
     * all read by then); fill tables from the back */
    uint32_t *counts = (uint32_t *)(void *)r->dir;
    for (size_t i = r->dir_len; i-- > 0;) {
        uint32_t groups = gort__table_groups_for(m, counts[i]);
        struct map_table *t = gort__table_new(m, groups, r->depth, i);
        if (!t) {
            for (size_t j = i + 1; j < r->dir_len; j++)
                gort__table_free(m, r->dir[j].table);
            memset(r->dir, 0, r->dir_len * sizeof *r->dir);
            return GORT_ENOMEM;
        }
        r->dir[i] = dir_entry(t);
    }
    return GORT_OK;
}

static void move_into_rebuild(const gort_map *m, char *slot, void *arg)
{
    struct rebuild *r = arg;
    bool tagged = r->small && !small_hashes(m); /* filed as map_put files it */
    uint64_t h = tagged ? small_direct_hash(m, slot_key(&m->layout, slot))
                        : gort__map_slot_hash(m, slot);
    struct map_table *t = r->small ? r->small : r->dir[rebuild_index(r, h)].table;
    copy_bytes(gort__table_put_new(m, t, h), slot, m->layout.slot_size);
}

static void add_table_bytes(gort_map *m, struct map_table *t, void *bytes)
{
    (void)m;
    *(size_t *)bytes += t->bytes;
}

static size_t tables_bytes(gort_map *m)
{
    size_t bytes = m->dir_len * sizeof *m->dir;
    each_table(m, add_table_bytes, &bytes);
    return bytes;
}

static size_t rebuild_bytes(const struct rebuild *r)
{
    if (r->small)
        return r->small->bytes;
    size_t bytes = r->dir ? r->dir_len * sizeof *r->dir : 0;
    for (size_t i = 0; i < r->dir_len; i++)
        bytes += r->dir[i].table->bytes;
    return bytes;
}

/* Moves a table's entries into the rebuilt layout, then retires it. */
static void rebuild_from(gort_map *m, struct map_table *t, void *r)
{
    gort__table_each(m, t, move_into_rebuild, r);
    gort__map_retire_table(m, t);
}

static void install_rebuild(gort_map *m, struct rebuild *r, struct map_old_dir *old)
{
    each_table(m, rebuild_from, r);
    gort__map_retire_dir(m, old);
    m->dir = r->dir;
    m->dir_len = r->small || m->used == 0 ? 0 : r->dir_len;
    m->small = r->small;
    m->global_depth = m->dir_len ? r->depth : 0;
    m->global_shift = (uint8_t)(64 - m->global_depth);
    m->layout_seq++;
}

static int shrink_tables(gort_map *m)
{
    struct rebuild r = {0};
    int status = GORT_OK;
    if (m->used > GROUP_SLOTS)
        status = rebuild_tables(m, &r);
    else if (m->used > 0 && !(r.small = gort__table_new(m, 1, 0, 0)))
        status = GORT_ENOMEM;
    if (status == GORT_OK && rebuild_bytes(&r) >= tables_bytes(m))
        status = GORT_EAGAIN; /* nothing to gain */
    struct map_old_dir *old = NULL;
    if (status == GORT_OK)
        status = gort__map_old_dir_alloc(m, &old);
    if (status != GORT_OK) {
        rebuild_free(m, &r);
        return status == GORT_EAGAIN ? GORT_OK : status;
    }
    install_rebuild(m, &r, old);
    return GORT_OK;
}

int gort_map_shrink(gort_map *m)
{
    if (!m)
        return GORT_EINVAL;
    write_begin(m);
    int status = GORT_OK;
    if (m->dir_len) {
        status = shrink_tables(m);
    } else if (m->used == 0 && m->small) {
        gort__map_retire_table(m, m->small);
        m->small = NULL;
    }
    write_end(m);
    return status;
}

/* ---- stats and scan -------------------------------------------------------------- */

struct stat_walk {
    gort_map_stats *out;
    const struct map_table *table;
    size_t probes, probed;
};

static void stat_slot(const gort_map *m, char *slot, void *arg)
{
    struct stat_walk *w = arg;
    size_t length = m->dir_len ? gort__table_probe_length(m, w->table, slot) : 1;
    if (length == 0)
        return; /* a NaN-like key: it has no probe sequence */
    w->probes += length;
    w->probed++;
    if (length > w->out->max_probe)
        w->out->max_probe = length;
}

static void stat_table(gort_map *m, struct map_table *t, void *arg)
{
    struct stat_walk *w = arg;
    w->out->tables += m->dir_len ? 1 : 0;
    w->out->capacity += t->capacity;
    if (m->dir_len) {
        w->out->growth_left += t->growth_left;
        w->out->tombstones += table_tombstones(t);
    } else {
        w->out->growth_left += GROUP_SLOTS - t->used;
    }
    w->table = t;
    gort__table_each(m, t, stat_slot, w);
}

int gort_map_stats_get(const gort_map *m, gort_map_stats *out)
{
    if (!m || !out || out->struct_size < sizeof *out)
        return GORT_EINVAL;
    check_read(m);
    size_t struct_size = out->struct_size;
    memset(out, 0, sizeof *out);
    out->struct_size = struct_size;
    out->entries = m->used;
    out->directory_len = m->dir_len;
    out->global_depth = m->global_depth;
    out->bytes = gort__atomic_load_relaxed(&m->bytes);
    struct stat_walk w = {.out = out};
    each_table(m, stat_table, &w);
    out->avg_probe = w.probed ? (double)w.probes / (double)w.probed : 0.0;
    return GORT_OK;
}

struct scan_walk {
    gort_visit_fn visit;
    void *ctx;
};

static void scan_slot(const gort_map *m, char *slot, void *arg)
{
    struct scan_walk *w = arg;
    gort__values_scan(m->key_type, slot_key(&m->layout, slot), 1, w->visit, w->ctx);
    gort__values_scan(m->value_type, slot_value(&m->layout, slot), 1, w->visit, w->ctx);
}

static void scan_table(gort_map *m, struct map_table *t, void *w)
{
    gort__table_each(m, t, scan_slot, w);
}

int gort_map_scan(const gort_map *m, gort_visit_fn visit, void *ctx)
{
    if (!m || !visit)
        return GORT_EINVAL;
    check_read(m);
    struct scan_walk w = {visit, ctx};
    each_table(m, scan_table, &w);
    return GORT_OK;
}

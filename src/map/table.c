/*
 * Map tables: open addressing over 8-slot groups (Go 1.24's internal/runtime/maps).
 *
 * A key's hash h splits into H1 = h >> 7, which picks the first group, and H2 = h & 0x7f,
 * stored in the control byte to filter candidates. Probing walks groups triangularly:
 * g, g+1, g+3, g+6, ... modulo the next power of two P of the group count, skipping
 * positions >= groups, so every group is visited exactly once whether or not the count
 * is a power of two. (Go's tables are always powers of two; libgort's split halves are
 * sized to their contents instead, see gort__table_groups_for.)
 *
 * Invariants of a table t:
 *   - t->used full slots; t->growth_left more may be filled before a rehash;
 *     tombstones = max_growth(capacity) - used - growth_left;
 *   - at least one slot is empty (growth stops one short), so every probe ends;
 *   - a tombstone only ever sits in a group with no empty slot: a probe that reaches a
 *     group with an empty slot has seen every slot its key could occupy;
 *   - entries never move inside a live table (only rehash moves them, into new
 *     tables), which is what iteration relies on.
 */
#include <string.h>

#include "../heap.h"
#include "../internal.h"
#include "map.h"

/* ---- allocation ------------------------------------------------------------------ */

uint32_t gort__table_max_growth(uint32_t capacity)
{
    /* one group: keep one slot empty; otherwise a maximum load of 7/8 */
    return capacity <= GROUP_SLOTS ? capacity - 1 : capacity / 8 * 7;
}

static uint32_t pow2_at_least(uint32_t n)
{
    return n <= 1 ? 1 : UINT32_C(1) << (32 - __builtin_clz(n - 1));
}

static bool table_bytes(const struct map_layout *lay, uint32_t groups, size_t *out)
{
    size_t group_bytes;
    return gort__size_mul(groups, lay->group_size, &group_bytes) &&
           gort__size_add(lay->table_offset, group_bytes, out);
}

struct map_table *gort__table_new(gort_map *m, uint32_t groups, uint8_t local_depth,
                                  size_t index)
{
    const struct map_layout *lay = &m->layout;
    size_t bytes;
    if (!table_bytes(lay, groups, &bytes))
        return NULL;
    struct map_table *t = gort__alloc(m->heap, bytes, lay->group_align);
    if (!t)
        return NULL;
    *t = (struct map_table){
        .capacity = groups * GROUP_SLOTS,
        .geom = {groups, pow2_at_least(groups) - 1},
        .local_depth = local_depth,
        .index = index,
        .bytes = bytes,
    };
    t->growth_left = gort__table_max_growth(t->capacity);
    for (uint32_t g = 0; g < groups; g++)
        *group_ctrl(group_at(lay, t, g)) = CTRL_GROUP_EMPTY;
    gort__map_count_bytes(m, bytes, 0);
    return t;
}

void gort__table_free(gort_map *m, struct map_table *t)
{
    gort__map_count_bytes(m, 0, t->bytes);
    gort__free(m->heap, t, t->bytes, m->layout.group_align);
}

/* ---- insertion ------------------------------------------------------------------- */

static inline __attribute__((always_inline)) char *put_new(const gort_map *m,
                                                           struct map_table *t, uint64_t h)
{
    const struct map_layout *lay = &m->layout;
    GORT_ASSERT(t->used < t->capacity - (t->capacity > GROUP_SLOTS)); /* room was counted */
    for (struct probe p = probe_start(&t->geom, h);; probe_next(&t->geom, &p)) {
        char *group = group_at(lay, t, p.group);
        slot_bits free_slots = match_empty_or_deleted(*group_ctrl(group));
        if (free_slots) {
            unsigned i = slot_bits_first(free_slots);
            if (ctrl_get(*group_ctrl(group), i) == CTRL_EMPTY)
                t->growth_left--;
            table_occupy(t, group, i, h);
            return slot_at(lay, group, i);
        }
    }
}

char *gort__table_put_new(const gort_map *m, struct map_table *t, uint64_t h)
{
    return put_new(m, t, h);
}

static inline __attribute__((always_inline)) char *
put_kind(gort_map *m, const struct map_dir_entry *e, const void *key, uint64_t h,
         struct map_claim *claim, int kind)
{
    const struct map_layout *lay = &m->layout;
    uint8_t h2 = hash_h2(h);
    char *tomb_group = NULL;
    unsigned tomb_slot = 0;
    for (struct probe p = probe_start(&e->geom, h);; probe_next(&e->geom, &p)) {
        char *group = entry_group(lay, e, p.group);
        group_prefetch(lay, group);
        ctrl_word ctrl = *group_ctrl(group);
        char *slot = group_find_kind(m, lay, group, ctrl, key, h2, kind);
        if (slot) {
            claim->group = NULL;
            return slot;
        }
        slot_bits empty = match_empty(ctrl);
        if (!empty) {
            slot_bits deleted = match_empty_or_deleted(ctrl);
            if (deleted && !tomb_group)
                tomb_group = group, tomb_slot = slot_bits_first(deleted);
            continue;
        }
        /* the key is absent: reuse the first tombstone passed (no growth used up),
         * else take this group's first empty slot if the table may still grow */
        if (tomb_group) {
            *claim = (struct map_claim){tomb_group, tomb_slot, true};
        } else if (e->table->growth_left == 0) {
            return NULL;
        } else {
            *claim = (struct map_claim){group, slot_bits_first(empty), false};
        }
        return slot_at(lay, claim->group, claim->slot);
    }
}

char *gort__table_put(gort_map *m, const struct map_dir_entry *e, const void *key,
                      uint64_t h, struct map_claim *claim)
{
    switch (m->layout.key_kind) {
    case KEY_WORD64:
        return put_kind(m, e, key, h, claim, KEY_WORD64);
    case KEY_WORD32:
        return put_kind(m, e, key, h, claim, KEY_WORD32);
    case KEY_STR:
        return put_kind(m, e, key, h, claim, KEY_STR);
    default:
        return put_kind(m, e, key, h, claim, KEY_GENERIC);
    }
}

void gort__table_erase(gort_map *m, struct map_table *t, char *group, unsigned i)
{
    ctrl_word *ctrl = group_ctrl(group);
    if (match_empty(*ctrl)) {
        /* no probe sequence passes through a group with an empty slot */
        *ctrl = ctrl_set(*ctrl, i, CTRL_EMPTY);
        t->growth_left++;
    } else {
        *ctrl = ctrl_set(*ctrl, i, CTRL_DELETED);
        m->tombstone_possible = true;
    }
    t->used--;
}

void gort__table_each(const gort_map *m, const struct map_table *t,
                      void (*fn)(const gort_map *m, char *slot, void *arg), void *arg)
{
    const struct map_layout *lay = &m->layout;
    for (uint32_t g = 0; g < t->geom.groups; g++) {
        char *group = group_at(lay, t, g);
        for (slot_bits f = match_full(*group_ctrl(group)); f; f = slot_bits_drop_first(f))
            fn(m, slot_at(lay, group, slot_bits_first(f)), arg);
    }
}

size_t gort__table_probe_length(const gort_map *m, const struct map_table *t, char *slot)
{
    const void *key = slot_key(&m->layout, slot);
    if (!map_key_self_equal(m, key))
        return 0;
    uint32_t home = slot_group_index(&m->layout, t, slot);
    size_t length = 1;
    for (struct probe p = probe_start(&t->geom, gort__map_hash(m, key)); p.group != home;
         probe_next(&t->geom, &p))
        length++;
    return length;
}

/* ---- tombstone pruning ----------------------------------------------------------- */

/* Marks every tombstone-bearing group that the key in `slot` probes through before
 * reaching its own group `home`. */
static void mark_probe_path(const gort_map *m, const struct map_table *t, char *slot,
                            uint32_t home, uint64_t *needed)
{
    const void *key = slot_key(&m->layout, slot);
    if (!map_key_self_equal(m, key))
        return; /* NaN-like keys are never looked up, so they need no path */
    for (struct probe p = probe_start(&t->geom, gort__map_hash(m, key)); p.group != home;
         probe_next(&t->geom, &p)) {
        ctrl_word ctrl = *group_ctrl(group_at(&m->layout, t, p.group));
        if (match_empty_or_deleted(ctrl))
            needed[p.group / 64] |= UINT64_C(1) << (p.group % 64);
    }
}

static uint32_t unneeded_tombstones(const gort_map *m, const struct map_table *t,
                                    const uint64_t *needed)
{
    uint32_t count = 0;
    for (uint32_t g = 0; g < t->geom.groups; g++) {
        if (!(needed[g / 64] >> (g % 64) & 1)) {
            ctrl_word ctrl = *group_ctrl(group_at(&m->layout, t, g));
            count += slot_bits_count(match_empty_or_deleted(ctrl) & ~match_empty(ctrl));
        }
    }
    return count;
}

void gort__table_prune(gort_map *m, struct map_table *t)
{
    if (t->geom.groups > MAX_TABLE_GROUPS || (uint64_t)table_tombstones(t) * 10 < t->capacity)
        return;
    const struct map_layout *lay = &m->layout;
    uint64_t needed[MAX_TABLE_GROUPS / 64] = {0};
    for (uint32_t g = 0; g < t->geom.groups; g++) {
        char *group = group_at(lay, t, g);
        for (slot_bits f = match_full(*group_ctrl(group)); f; f = slot_bits_drop_first(f))
            mark_probe_path(m, t, slot_at(lay, group, slot_bits_first(f)), g, needed);
    }
    uint32_t freed = unneeded_tombstones(m, t, needed);
    if ((uint64_t)freed * 10 < t->capacity)
        return; /* not worth it: the caller grows instead */
    for (uint32_t g = 0; g < t->geom.groups; g++) {
        if (needed[g / 64] >> (g % 64) & 1)
            continue;
        ctrl_word *ctrl = group_ctrl(group_at(lay, t, g));
        for (slot_bits d = match_empty_or_deleted(*ctrl) & ~match_empty(*ctrl); d;
             d = slot_bits_drop_first(d))
            *ctrl = ctrl_set(*ctrl, slot_bits_first(d), CTRL_EMPTY);
    }
    t->growth_left += freed;
}

/* ---- rehash: grow or split ------------------------------------------------------- */

/* The hash of the key in a full slot: inline for the word and string kinds (whose keys
 * are always equal to themselves). */
static inline __attribute__((always_inline)) uint64_t slot_hash_kind(const gort_map *m,
                                                                     char *slot, int kind)
{
    return kind == KEY_GENERIC ? gort__map_slot_hash(m, slot) : map_hash_kind(m, slot, kind);
}

/*
 * Rehash's inner loops, one body per key kind like the lookups': a rehash moves up to
 * 896 entries, and through a callback per entry, a generic hash and an out-of-line put
 * each move cost three calls. hashes[g * 8 + i] is the hash of group g's slot i.
 */
static inline __attribute__((always_inline)) void
hash_entries_kind(const gort_map *m, const struct map_table *t, uint64_t *hashes,
                  uint32_t count[2], int kind)
{
    const struct map_layout *lay = &m->layout;
    for (uint32_t g = 0; g < t->geom.groups; g++) {
        char *group = group_at(lay, t, g);
        for (slot_bits f = match_full(*group_ctrl(group)); f; f = slot_bits_drop_first(f)) {
            unsigned i = slot_bits_first(f);
            uint64_t h = slot_hash_kind(m, slot_at(lay, group, i), kind);
            hashes[g * GROUP_SLOTS + i] = h;
            count[table_split_side(t, h)]++;
        }
    }
}

/* Moves every entry of `from` into to[0] or, given the hashes, to its split side. */
static inline __attribute__((always_inline)) void
move_entries_kind(const gort_map *m, const struct map_table *from, struct map_table *const *to,
                  const uint64_t *hashes, int kind)
{
    const struct map_layout *lay = &m->layout;
    for (uint32_t g = 0; g < from->geom.groups; g++) {
        char *group = group_at(lay, from, g);
        for (slot_bits f = match_full(*group_ctrl(group)); f; f = slot_bits_drop_first(f)) {
            unsigned i = slot_bits_first(f);
            char *slot = slot_at(lay, group, i);
            uint64_t h = hashes ? hashes[g * GROUP_SLOTS + i] : slot_hash_kind(m, slot, kind);
            struct map_table *dest = to[hashes ? table_split_side(from, h) : 0];
            copy_bytes(put_new(m, dest, h), slot, lay->slot_size);
        }
    }
}

static void hash_entries(const gort_map *m, const struct map_table *t, uint64_t *hashes,
                         uint32_t count[2])
{
    switch (m->layout.key_kind) {
    case KEY_WORD64:
        hash_entries_kind(m, t, hashes, count, KEY_WORD64);
        break;
    case KEY_WORD32:
        hash_entries_kind(m, t, hashes, count, KEY_WORD32);
        break;
    case KEY_STR:
        hash_entries_kind(m, t, hashes, count, KEY_STR);
        break;
    default:
        hash_entries_kind(m, t, hashes, count, KEY_GENERIC);
    }
}

static void move_entries(const gort_map *m, const struct map_table *from,
                         struct map_table *const *to, const uint64_t *hashes)
{
    switch (m->layout.key_kind) {
    case KEY_WORD64:
        move_entries_kind(m, from, to, hashes, KEY_WORD64);
        break;
    case KEY_WORD32:
        move_entries_kind(m, from, to, hashes, KEY_WORD32);
        break;
    case KEY_STR:
        move_entries_kind(m, from, to, hashes, KEY_STR);
        break;
    default:
        move_entries_kind(m, from, to, hashes, KEY_GENERIC);
    }
}

void gort__table_move_all(const gort_map *m, const struct map_table *from,
                          struct map_table *to)
{
    move_entries(m, from, &to, NULL);
}

static void point_directory(gort_map *m, struct map_table *t)
{
    size_t run = (size_t)1 << (m->global_depth - t->local_depth);
    for (size_t j = 0; j < run; j++)
        m->dir[t->index + j] = dir_entry(t);
}

static int grow(gort_map *m, struct map_table *t, uint32_t groups)
{
    struct map_table *bigger = gort__table_new(m, groups, t->local_depth, t->index);
    if (!bigger)
        return GORT_ENOMEM;
    gort__table_move_all(m, t, bigger);
    point_directory(m, bigger);
    gort__map_retire_table(m, t);
    return GORT_OK;
}

/*
 * Groups for a split half (or a shrunk table) holding n entries. Go gives each half a
 * full 1024 slots, so every table starts its life at 7/16 load and a 1M-entry map sits
 * near 35 bytes per entry. libgort sizes a half for n plus 25% headroom, then turns the
 * allocator's size-class slack into extra groups; the half grows to the maximum later,
 * like any table. Average load stays well above one half (docs/maps.md, "Memory").
 */
uint32_t gort__table_groups_for(const gort_map *m, uint32_t n)
{
    uint32_t want = (n + n / 4 + 6) / 7 + 1; /* 7 usable slots per group */
    if (want < 2)
        want = 2;
    if (want >= MAX_TABLE_GROUPS) /* oversize only when a bad hash leaves no choice */
        return n > MAX_TABLE_GROUPS / 8 * 7 * GROUP_SLOTS ? want : MAX_TABLE_GROUPS;
    size_t bytes;
    if (!table_bytes(&m->layout, want, &bytes))
        return want;
    size_t usable = gort__usable_size(bytes, m->layout.group_align);
    size_t fit = (usable - m->layout.table_offset) / m->layout.group_size;
    return fit > MAX_TABLE_GROUPS ? MAX_TABLE_GROUPS : (uint32_t)fit;
}

/* Doubles the directory: entry i becomes entries 2i and 2i+1. */
static void double_directory(gort_map *m, struct map_dir_entry *bigger)
{
    for (size_t i = 0; i < m->dir_len; i++) {
        struct map_table *t = m->dir[i].table;
        bigger[2 * i] = bigger[2 * i + 1] = m->dir[i];
        if (t->index == i)
            t->index = 2 * i; /* once per table: at its first entry */
    }
    gort__free(m->heap, m->dir, m->dir_len * sizeof *m->dir, DIR_ALIGN);
    gort__map_count_bytes(m, m->dir_len * sizeof *m->dir, 0);
    m->dir = bigger;
    m->dir_len *= 2;
    m->global_depth++;
    m->global_shift--;
}

/* Splits a table of MAX_TABLE_GROUPS groups into two halves by the hash bit below its
 * local depth, or grows it past the maximum when that bit cannot tell its keys apart:
 * the keys in it and, from set_n, those about to come (`incoming`: bit s set when one
 * goes to side s). */
static int split(gort_map *m, struct map_table *t, unsigned incoming)
{
    uint64_t hashes[MAX_TABLE_GROUPS * GROUP_SLOTS];
    uint32_t count[2] = {0, 0};
    GORT_ASSERT(t->geom.groups == MAX_TABLE_GROUPS);
    hash_entries(m, t, hashes, count);
    bool one_sided = (count[0] == 0 && !(incoming & 1)) || (count[1] == 0 && !(incoming & 2));
    if (one_sided || t->local_depth == 63)
        return grow(m, t, t->geom.groups * 2); /* the hash cannot tell them apart: oversize */
    struct map_dir_entry *bigger = NULL;
    if (t->local_depth == m->global_depth) {
        size_t bytes;
        if (!gort__size_mul(m->dir_len * 2, sizeof *m->dir, &bytes) ||
            !(bigger = gort__alloc(m->heap, bytes, DIR_ALIGN)))
            return GORT_ENOMEM;
    }
    uint8_t depth = t->local_depth + 1;
    struct map_table *half[2];
    half[0] = gort__table_new(m, gort__table_groups_for(m, count[0]), depth, 0);
    half[1] = half[0] ? gort__table_new(m, gort__table_groups_for(m, count[1]), depth, 0) : NULL;
    if (!half[1]) {
        if (half[0])
            gort__table_free(m, half[0]);
        if (bigger)
            gort__free(m->heap, bigger, m->dir_len * 2 * sizeof *m->dir, DIR_ALIGN);
        return GORT_ENOMEM;
    }
    move_entries(m, t, half, hashes);
    if (bigger)
        double_directory(m, bigger);
    size_t run = (size_t)1 << (m->global_depth - depth);
    half[0]->index = t->index;
    half[1]->index = t->index + run;
    point_directory(m, half[0]);
    point_directory(m, half[1]);
    gort__map_retire_table(m, t);
    return GORT_OK;
}

int gort__table_rehash(gort_map *m, struct map_table *t, unsigned incoming)
{
    if (t->geom.groups < MAX_TABLE_GROUPS) {
        uint32_t groups = t->geom.groups * 2;
        return grow(m, t, groups > MAX_TABLE_GROUPS ? MAX_TABLE_GROUPS : groups);
    }
    if (t->geom.groups > MAX_TABLE_GROUPS)
        return grow(m, t, t->geom.groups * 2); /* an oversize table stays oversize */
    return split(m, t, incoming);
}

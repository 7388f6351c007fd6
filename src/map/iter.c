/*
 * Map iteration (Go's Iter.Init/Next) and the retirement of replaced tables.
 *
 * An iterator visits the directory from a random position and each table from a random
 * slot (a rotation, like Go). It keeps the table it is in even after that table is
 * replaced: a replaced (stale) table then only says which keys to visit, and each one
 * is looked up in the live map, so deleted entries are skipped and values are current.
 * Keys that are not equal to themselves (NaN) cannot be looked up; they cannot change
 * either (only clear removes them), so they are produced from the stale copy unless a
 * clear happened since the iterator started. After a clear nothing is read from stale
 * tables at all, which is why a clear may drop keys at once.
 *
 * Retirement: while m->iterators > 0, replaced tables, directories replaced by shrink
 * and keys deleted while such tables exist (an iterator may still hash and compare the
 * stale copy) go onto the map's limbo lists instead of being freed. The iterator whose
 * finish brings the count to zero frees the lists.
 *
 * Concurrency: iteration is a read. Readers (and finishing iterators) may run together
 * but never alongside a writer, so the only concurrent updates are the iterator count
 * (atomic increments) and the limbo lists, which writers push to and the last finisher
 * takes whole with an atomic exchange; an iterator that starts after that exchange
 * only ever sees live tables.
 */
#include <string.h>

#include "../heap.h"
#include "../internal.h"
#include "../type.h"
#include "map.h"

struct map_iter {
    uint64_t check;            /* ITER_MAGIC ^ its own address; 0 once finished */
    gort_map *m;
    struct map_table *tab;     /* the table being visited; NULL between tables */
    struct map_dir_entry *dir; /* NULL: the live directory; else one shrink retired */
    const void *last_key;      /* the entry last produced, for iter_delete */
    uint64_t entry_offset;
    uint64_t dir_offset;
    uint64_t clear_seq;
    uint64_t layout_seq;
    uint64_t mutation_seq;     /* m->mutation_seq when last_key was produced */
    size_t dir_idx;
    size_t dir_len;            /* of dir, when set */
    char *group;               /* the group `pending` refers to */
    slot_bits pending;         /* its full slots not yet produced (live tables only) */
    uint32_t entry_idx;
    uint32_t tab_offset;       /* entry_offset reduced modulo tab->capacity */
    uint32_t group_base;       /* entry_idx of the group's slot 0, modulo 2^32 */
    uint8_t global_depth;
    bool small;                /* started on a small map: one table, then done */
    bool counted;              /* holds a count in m->iterators */
};

_Static_assert(sizeof(struct map_iter) <= sizeof(gort_map_iter),
               "gort_map_iter is frozen at 128 bytes");
_Static_assert(_Alignof(struct map_iter) <= _Alignof(gort_map_iter),
               "gort_map_iter alignment");

#define ITER_MAGIC UINT64_C(0x6d61702d69746572) /* "map-iter" */
#define ITER_PREFETCH_GROUPS 4 /* how far ahead of the group being read to prefetch */

static struct map_iter *iter_of(gort_map_iter *it)
{
    struct map_iter *i = (struct map_iter *)(void *)it;
    return it && i->check == (ITER_MAGIC ^ (uint64_t)(uintptr_t)it) ? i : NULL;
}

/* ---- limbo ----------------------------------------------------------------------- */

static bool iterators_live(const gort_map *m)
{
    return gort__atomic_load_relaxed(&m->iterators) != 0;
}

void gort__map_retire_table(gort_map *m, struct map_table *t)
{
    t->stale = true;
    if (iterators_live(m))
        limbo_push(&m->retired_tables, t, (void **)&t->next_retired);
    else
        gort__table_free(m, t);
}

int gort__map_old_dir_alloc(gort_map *m, struct map_old_dir **out)
{
    *out = NULL;
    if (!iterators_live(m) || !m->dir)
        return GORT_OK;
    *out = gort__alloc(m->heap, sizeof **out, _Alignof(struct map_old_dir));
    return *out ? GORT_OK : GORT_ENOMEM;
}

static void free_dir(gort_map *m, struct map_dir_entry *dir, size_t len)
{
    gort__free(m->heap, dir, len * sizeof *dir, DIR_ALIGN);
    gort__map_count_bytes(m, 0, len * sizeof *dir);
}

void gort__map_retire_dir(gort_map *m, struct map_old_dir *old)
{
    if (!m->dir)
        return;
    if (!old) {
        free_dir(m, m->dir, m->dir_len);
        return;
    }
    *old = (struct map_old_dir){.layout_seq = m->layout_seq, .len = m->dir_len,
                                .global_depth = m->global_depth, .entries = m->dir};
    limbo_push(&m->retired_dirs, old, (void **)&old->next);
}

void gort__map_free_limbo(gort_map *m)
{
    struct map_table *t = (void *)gort__atomic_exchange(&m->retired_tables, 0);
    while (t) {
        struct map_table *next = t->next_retired;
        gort__table_free(m, t);
        t = next;
    }
    struct map_old_dir *d = (void *)gort__atomic_exchange(&m->retired_dirs, 0);
    while (d) {
        struct map_old_dir *next = d->next;
        free_dir(m, d->entries, d->len);
        gort__free(m->heap, d, sizeof *d, _Alignof(struct map_old_dir));
        d = next;
    }
    struct map_grave *g = (void *)gort__atomic_exchange(&m->graves, 0);
    while (g) {
        struct map_grave *next = g->next;
        gort__grave_bury(m, g);
        g = next;
    }
}

/* ---- iteration ------------------------------------------------------------------- */

int gort_map_iter_init(gort_map *m, gort_map_iter *it)
{
    if (!m || !it)
        return GORT_EINVAL;
    struct map_iter *i = (struct map_iter *)(void *)it;
    memset(it, 0, sizeof *it);
    i->check = ITER_MAGIC ^ (uint64_t)(uintptr_t)it;
    i->m = m;
    if (m->used == 0) {
        i->small = true; /* Go: an empty map's iterator is done, even if m fills up */
        return GORT_OK;
    }
    gort__atomic_fetch_add(&m->iterators, 1);
    i->counted = true;
    i->entry_offset = gort__random64();
    i->dir_offset = gort__random64();
    i->clear_seq = m->clear_seq;
    i->layout_seq = m->layout_seq;
    i->global_depth = m->global_depth;
    if (m->dir_len == 0) {
        i->small = true;
        i->tab = m->small;
        i->tab_offset = (uint32_t)(i->entry_offset % GROUP_SLOTS);
    }
    return GORT_OK;
}

void gort_map_iter_finish(gort_map_iter *it)
{
    struct map_iter *i = iter_of(it);
    if (!i)
        return;
    i->check = 0;
    if (i->counted && gort__atomic_fetch_sub(&i->m->iterators, 1) == 1)
        gort__map_free_limbo(i->m);
}

static void produce(struct map_iter *i, char *slot, const void **key, void **value)
{
    const struct map_layout *lay = &i->m->layout;
    i->last_key = slot_key(lay, slot);
    i->mutation_seq = i->m->mutation_seq;
    if (key)
        *key = i->last_key;
    if (value)
        *value = slot_value(lay, slot);
}

/* The live entry for a key found in a stale table: its current slot, the stale slot
 * itself for a NaN-like key (immutable until a clear), or NULL if it was deleted. */
static char *live_slot(const struct map_iter *i, char *stale_slot)
{
    const gort_map *m = i->m;
    const void *key = slot_key(&m->layout, stale_slot);
    if (!map_key_self_equal(m, key))
        return stale_slot;
    return gort__map_find(m, key);
}

/* The group holding the current table's next unvisited slot in rotated order (requires
 * entry_idx < capacity), and its full slots among the unvisited ones, [first, limit)
 * of the group. The iterator is not moved. */
struct visit {
    char *group;
    slot_bits full;
    unsigned first, limit;
};

/* always inline: as an out-of-line call, shared by both callers, it cost the one-entry
 * iteration ~10% (measured) */
static inline __attribute__((always_inline)) struct visit visit_group(const struct map_iter *i)
{
    const struct map_table *t = i->tab;
    const struct map_layout *lay = &i->m->layout;
    uint32_t s = i->entry_idx + i->tab_offset;
    if (s >= t->capacity)
        s -= t->capacity;
    uint32_t g = s / GROUP_SLOTS, groups = t->capacity / GROUP_SLOTS;
    struct visit v = {.group = group_at(lay, t, g), .first = s % GROUP_SLOTS};
    uint32_t left = t->capacity - i->entry_idx;
    v.limit = left < GROUP_SLOTS - v.first ? v.first + left : GROUP_SLOTS;
    /* a table is a few pages walked from a random group, wrapping at its end: the
     * hardware prefetcher, which stops at page ends, trains too late, so ask for the
     * group visited ITER_PREFETCH_GROUPS later now */
    uint32_t ahead = g + ITER_PREFETCH_GROUPS;
    if (ahead >= groups)
        ahead %= groups; /* near the wrap, or a tiny table (sizes are not powers of 2) */
    group_prefetch_all(lay, group_at(lay, t, ahead));
    v.full = match_full(*group_ctrl(v.group)) & slot_range(v.first, v.limit);
    return v;
}

/* The next full slot of the current table in rotated order, or NULL at its end. The
 * group's other unvisited full slots are left in i->pending for the fast path. */
static char *next_full_slot(struct map_iter *i)
{
    const struct map_layout *lay = &i->m->layout;
    while (i->entry_idx < i->tab->capacity) {
        struct visit v = visit_group(i);
        if (!v.full) {
            i->entry_idx += v.limit - v.first;
            continue;
        }
        unsigned hit = slot_bits_first(v.full);
        i->group = v.group;
        i->pending = slot_bits_drop_first(v.full);
        i->group_base = i->entry_idx - v.first;
        i->entry_idx += hit - v.first + 1;
        return slot_at(lay, v.group, hit);
    }
    return NULL;
}

/* Produces the next entry of the current table; false when the table is done. */
static bool next_in_table(struct map_iter *i, const void **key, void **value)
{
    if (!i->tab->stale) {
        char *slot = next_full_slot(i);
        if (slot)
            produce(i, slot, key, value);
        return slot != NULL;
    }
    if (i->clear_seq != i->m->clear_seq)
        return false; /* cleared: nothing that was in a stale table may appear */
    for (char *slot; (slot = next_full_slot(i));) {
        i->pending = 0; /* stale slots are never produced without a lookup */
        char *live = live_slot(i, slot);
        if (live) {
            produce(i, live, key, value);
            return true;
        }
    }
    return false;
}

/* Follows directory changes since the last call: growth doubles every position (Go),
 * and a shrink leaves this iterator on the directory it started with. */
static void follow_directory(struct map_iter *i)
{
    const gort_map *m = i->m;
    uint8_t depth = m->global_depth;
    if (!i->dir && i->layout_seq != m->layout_seq) {
        struct map_old_dir *d = (void *)gort__atomic_load_relaxed(&m->retired_dirs);
        while (d->layout_seq != i->layout_seq)
            d = d->next;
        i->dir = d->entries;
        i->dir_len = d->len;
        depth = d->global_depth;
    } else if (i->dir) {
        return;
    }
    if (i->global_depth != depth) {
        unsigned orders = depth - i->global_depth;
        i->dir_idx <<= orders;
        i->dir_offset <<= orders;
        i->global_depth = depth;
    }
}

/* Moves to the table at the current directory position; false past the end. */
static bool resolve_table(struct map_iter *i)
{
    const struct map_dir_entry *dir = i->dir ? i->dir : i->m->dir;
    size_t len = i->dir ? i->dir_len : i->m->dir_len;
    if (i->dir_idx >= len)
        return false;
    size_t pos = (i->dir_idx + i->dir_offset) & (len - 1);
    struct map_table *t = dir[pos].table;
    if (t->index != pos) {
        /* only on the first call: a random start inside a table's run of entries */
        i->dir_offset -= pos - t->index;
    }
    i->tab = t;
    i->entry_idx = 0;
    i->tab_offset = (uint32_t)(i->entry_offset % t->capacity);
    return true;
}

static int iter_done(gort_map_iter *it)
{
    gort_map_iter_finish(it);
    return 0;
}

/*
 * Fast path: the rest of the group the previous call scanned, while the map has not
 * been written since (any write bumps mutation_seq, which produce() recorded). The
 * table is then still live and those slots still hold the same entries.
 */
static bool pending_usable(const struct map_iter *i)
{
    return i->pending && i->mutation_seq == i->m->mutation_seq && !i->m->writing;
}

static bool next_pending(struct map_iter *i, const void **key, void **value)
{
    const gort_map *m = i->m;
    if (!pending_usable(i))
        return false;
    unsigned hit = slot_bits_first(i->pending);
    i->pending = slot_bits_drop_first(i->pending);
    i->entry_idx = i->group_base + hit + 1;
    produce(i, slot_at(&m->layout, i->group, hit), key, value);
    return true;
}

/* One step of iteration: 1 with an entry, 0 at the end. Stays at 0 once there, so a
 * batch can stop early and the next call still sees the end. */
static int iter_step(struct map_iter *i, const void **key, void **value)
{
    if (next_pending(i, key, value))
        return 1;
    if (!i->counted)
        return 0;
    if (i->m->writing)
        gort__map_fatal("concurrent map iteration and map write");
    i->pending = 0;
    if (i->small)
        return next_in_table(i, key, value);
    follow_directory(i);
    for (;;) {
        if (!i->tab && !resolve_table(i))
            return 0;
        if (next_in_table(i, key, value))
            return 1;
        i->dir_idx += (size_t)1 << (i->global_depth - i->tab->local_depth);
        i->tab = NULL;
    }
}

int gort_map_iter_next(gort_map_iter *it, const void **key, void **value)
{
    struct map_iter *i = iter_of(it);
    if (!i)
        return GORT_EINVAL;
    return iter_step(i, key, value) ? 1 : iter_done(it);
}

/* A live table the batch may read whole groups of (drain_table), as iter_step would. */
static bool table_drainable(const struct map_iter *i)
{
    return i->counted && i->tab && !i->tab->stale && !i->m->writing;
}

/*
 * The batch's fast path through a live table: whole groups straight into the arrays,
 * where iter_step produces one entry per call. Nothing writes the map during the call
 * (iteration is a read), so the table stays live and its slots keep their entries
 * throughout. A group cut short by the end of the arrays leaves the rest in pending.
 */
static size_t drain_table(struct map_iter *i, const void **keys, void **values, size_t n)
{
    const struct map_layout *lay = &i->m->layout;
    size_t got = 0;
    char *slot = NULL;
    i->pending = 0; /* the scan from entry_idx covers whatever of it is still usable */
    while (got < n && i->entry_idx < i->tab->capacity) {
        struct visit v = visit_group(i);
        uint32_t base = i->entry_idx - v.first;
        unsigned hit = 0;
        for (; v.full && got < n; v.full = slot_bits_drop_first(v.full), got++) {
            hit = slot_bits_first(v.full);
            slot = slot_at(lay, v.group, hit);
            if (keys)
                keys[got] = slot_key(lay, slot);
            if (values)
                values[got] = slot_value(lay, slot);
        }
        i->entry_idx = v.full ? base + hit + 1 : base + v.limit;
        if (v.full) {
            i->group = v.group;
            i->pending = v.full;
            i->group_base = base;
        }
    }
    if (slot) {
        i->last_key = slot_key(lay, slot);
        i->mutation_seq = i->m->mutation_seq;
    }
    return got;
}

int64_t gort_map_iter_next_n(gort_map_iter *it, const void **keys, void **values, size_t n)
{
    struct map_iter *i = iter_of(it);
    if (!i || n > (size_t)INT64_MAX)
        return GORT_EINVAL;
    size_t got = 0;
    while (got < n) {
        /* a pending group still usable (see next_pending) is in a live table: drain_table
         * takes it from there */
        if (table_drainable(i)) {
            got +=
                drain_table(i, keys ? keys + got : NULL, values ? values + got : NULL, n - got);
            if (got == n)
                break;
        }
        /* at the end, iter_step leaves last_key alone: a batch cut short keeps its last
         * entry as the one iter_delete deletes */
        if (!iter_step(i, keys ? &keys[got] : NULL, values ? &values[got] : NULL))
            break;
        got++;
    }
    if (got == 0 && n > 0)
        return iter_done(it);
    return (int64_t)got;
}

int gort_map_iter_delete(gort_map_iter *it)
{
    struct map_iter *i = iter_of(it);
    if (!i || !i->last_key || i->mutation_seq != i->m->mutation_seq)
        return GORT_EINVAL;
    int status = gort_map_delete(i->m, i->last_key);
    i->last_key = NULL;
    return status;
}

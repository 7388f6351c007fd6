/*
 * Internal interface of the map module (src/map/): the layout every part agrees on.
 *
 *   gort_map ──dir──> [table*, geometry] x 2^global_depth   (table mode)
 *            ──small─> table with 1 group                   (small mode, dir_len == 0)
 *
 *   map_table: header, then `groups` groups of group_size bytes in the same block:
 *     | ctrl word | slot 0 | ... | slot 7 |  slot = key (or pointer to it), value (or ptr)
 *
 * A table owns the entries of the directory run [index, index + 2^(global - local)).
 * Retired tables (replaced by grow, split, shrink or small-to-table) and the directories
 * shrink replaced are kept on the map's limbo lists while any iterator may read them.
 */
#ifndef GORT_MAP_INTERNAL_H
#define GORT_MAP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "../atomic.h"
#include "../type.h"
#include "gort.h"
#include "group.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

/* Go's limits: a table holds at most 1024 slots; keys and values above 128 bytes are
 * stored out of line. */
#define MAX_TABLE_GROUPS 128u
#define MAX_INLINE_BYTES 128u

/* The dispatch the hot paths switch on: raw compares and no indirect calls for 4- and
 * 8-byte bytewise keys and for strings. */
enum map_key_kind { KEY_GENERIC, KEY_WORD32, KEY_WORD64, KEY_STR };

struct map_layout {
    size_t key_size;     /* the key type's size */
    size_t value_size;
    size_t value_offset; /* within a slot */
    size_t slot_size;
    size_t group_size;   /* ctrl word + 8 slots, padded to group_align */
    size_t group_align;
    size_t table_offset; /* where group 0 starts after the table header */
    bool key_indirect;   /* > 128 bytes: the slot holds a pointer to a block */
    bool value_indirect;
    bool key_update;     /* overwrite stores the new key (floats, custom equality) */
    bool plain;          /* nothing to retain/release/free per entry */
    bool key_callbacks;  /* a custom key type: its own hash and equal, called directly */
    bool pair;           /* 8-byte word keys, 8-byte inline values (map.c's pair_layout) */
    uint8_t key_kind;
};

/* What probing needs of a table: fixed when the table is made. */
struct map_geometry {
    uint32_t groups;      /* 1..128, not always a power of two (see table.c) */
    uint32_t probe_mask;  /* next power of two of groups, minus one */
};

struct map_table {
    uint32_t used;
    uint32_t capacity;    /* groups * 8 */
    uint32_t growth_left;
    struct map_geometry geom;
    uint8_t local_depth;
    bool stale;           /* replaced: only iterators still read it */
    uint32_t batch_need;  /* set_n's count of keys bound here; 0 outside set_n */
    size_t index;         /* first directory entry pointing here */
    size_t bytes;         /* this block's size, for the allocator */
    struct map_table *next_retired;
    /* the groups follow at layout.table_offset (group_at) */
};

/* A directory entry: the table, and a copy of its geometry so that a lookup computes
 * its group's address without first loading the table's header (a dependent cache miss
 * less per lookup; docs/maps.md). A table's geometry never changes, so the copy is
 * written once, with the pointer (dir_entry). */
struct map_dir_entry {
    struct map_table *table;
    struct map_geometry geom;
};

#define DIR_ALIGN _Alignof(struct map_dir_entry)

static inline struct map_dir_entry dir_entry(struct map_table *t)
{
    return (struct map_dir_entry){t, t->geom};
}

/* A directory shrink replaced, kept for iterators that started on it. */
struct map_old_dir {
    struct map_old_dir *next;
    uint64_t layout_seq; /* the layout it belonged to */
    size_t len;
    uint8_t global_depth;
    struct map_dir_entry *entries;
};

/* A key dropped while iterators may still read a retired copy of its slot. */
struct map_grave {
    struct map_grave *next;
    /* followed by the slot's key storage (the key, or the pointer to its block) */
};

struct gort_map {
    size_t used;
    uint64_t seed;
    uint64_t fast_seed;           /* seed mixed with the process key, for inline hashes */
    struct map_dir_entry *dir;    /* NULL in small mode */
    size_t dir_len;               /* 0 in small mode */
    struct map_table *small;      /* small mode's table, NULL until the first insert */
    uint8_t global_depth;
    uint8_t global_shift;
    uint8_t writing;              /* Go's best-effort concurrent-write detector */
    bool tombstone_possible;
    uint64_t clear_seq;           /* bumped by clear: iterators skip what came before */
    uint64_t layout_seq;          /* bumped by shrink: iterators keep the old directory */
    uint64_t mutation_seq;        /* bumped by every write: validates iter_delete */
    gort__atomic refs;
    gort__atomic iterators;       /* live iterators: while > 0, retire instead of free */
    gort__atomic retired_tables;  /* struct map_table *, linked by next_retired */
    gort__atomic retired_dirs;    /* struct map_old_dir * */
    gort__atomic graves;          /* struct map_grave * */
    struct map_grave *spare_graves; /* gort_map_delete_n's, while it runs */
    gort_type *key_type;
    gort_type *value_type;
    gort_heap *heap;
    gort__atomic bytes;           /* allocated by the map (stats); see count_bytes */
    struct map_layout layout;
};

/* ---- slots ----------------------------------------------------------------------- */

static inline char *group_at(const struct map_layout *lay, const struct map_table *t,
                             size_t g)
{
    return (char *)t + lay->table_offset + g * lay->group_size;
}

/* The index in t of the group holding `slot`, one of t's slots. */
static inline uint32_t slot_group_index(const struct map_layout *lay, const struct map_table *t,
                                        const char *slot)
{
    return (uint32_t)((size_t)(slot - group_at(lay, t, 0)) / lay->group_size);
}

static inline ctrl_word *group_ctrl(char *group)
{
    return (ctrl_word *)(void *)group;
}

static inline char *slot_at(const struct map_layout *lay, char *group, unsigned i)
{
    return group + sizeof(ctrl_word) + i * lay->slot_size;
}

/* The key and value a slot holds, following indirection. */
static inline void *slot_key(const struct map_layout *lay, char *slot)
{
    return lay->key_indirect ? *(void **)(void *)slot : slot;
}

static inline void *slot_value(const struct map_layout *lay, char *slot)
{
    char *v = slot + lay->value_offset;
    return lay->value_indirect ? *(void **)(void *)v : v;
}

/* memcpy with the common small sizes as fixed-size moves (no libc call per entry). */
static inline void copy_bytes(void *dst, const void *src, size_t size)
{
    if (size == 8) { /* the commonest by far: a compare, not the switch's jump table */
        memcpy(dst, src, 8);
        return;
    }
    switch (size) {
    case 4:
        memcpy(dst, src, 4);
        break;
    case 8:
        memcpy(dst, src, 8);
        break;
    case 16:
        memcpy(dst, src, 16);
        break;
    case 24:
        memcpy(dst, src, 24);
        break;
    case 32:
        memcpy(dst, src, 32);
        break;
    default:
        memcpy(dst, src, size);
    }
}

/* memset to zero, likewise. */
static inline void zero_bytes(void *dst, size_t size)
{
    static const char zeros[32];
    if (size <= sizeof zeros)
        copy_bytes(dst, zeros, size);
    else
        memset(dst, 0, size);
}

/* Bytes of the key's storage in a slot (the key, or its block pointer). */
static inline size_t key_storage_size(const struct map_layout *lay)
{
    return lay->key_indirect ? sizeof(void *) : lay->key_size;
}

/* Accounts for allocations in m->bytes. Writers are exclusive, but the iterator that
 * frees the limbo may run beside readers of the figure: relaxed atomic accesses keep
 * that well-defined (not a read-modify-write: nothing else writes concurrently). */
static inline void gort__map_count_bytes(gort_map *m, size_t add, size_t sub)
{
    gort__atomic_store_relaxed(&m->bytes, gort__atomic_load_relaxed(&m->bytes) + add - sub);
}

/* ---- hashing and equality (map.c) ------------------------------------------------ */

uint64_t gort__map_hash(const gort_map *m, const void *key);
bool gort__map_key_equal(const gort_map *m, const void *a, const void *b);

/* The hash that places an existing entry during rehash, split or shrink. A key that is
 * not equal to itself (NaN) hashes randomly every time, but a split or shrink counts
 * entries and then places them in two passes that must agree; such a key (never found
 * by lookup anyway) is placed by its slot's address instead. */
uint64_t gort__map_slot_hash(const gort_map *m, char *slot);

/* False for a key not equal to itself (a NaN, or a custom equality that says so): no
 * lookup finds it. Only generic keys can be such; the other kinds compare bytes. */
static inline bool map_key_self_equal(const gort_map *m, const void *key)
{
    return m->layout.key_kind != KEY_GENERIC || gort__map_key_equal(m, key, key);
}

/* Two rounds of a folded multiply (the 128-bit product's halves xor-ed, as in wyhash
 * and Go's memhash64 fallback): every output bit depends on every key and seed bit, in
 * 8 instructions where XXH3 of 8 bytes takes about 25. Keys of 4 and 8 bytes only.
 * Targets without a 128-bit product get a weaker 64-bit fold (low bits mix less). */
#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 map_u128;

static inline uint64_t fold_multiply(uint64_t a, uint64_t b)
{
    map_u128 p = (map_u128)a * b;
    return (uint64_t)p ^ (uint64_t)(p >> 64);
}
#else
/* No 64x64->128 multiply: a 64-bit multiply folded with its own high half. */
static inline uint64_t fold_multiply(uint64_t a, uint64_t b)
{
    uint64_t p = a * (b | 1);
    return p ^ (p >> 32);
}
#endif

static inline uint64_t hash_word(uint64_t word, uint64_t seed)
{
    uint64_t x = fold_multiply(word ^ seed, UINT64_C(0x9e3779b97f4a7c15));
    return fold_multiply(x ^ (seed >> 32 | seed << 32), UINT64_C(0xbf58476d1ce4e5b9));
}

/* The hash of a key of a known kind: 4-/8-byte keys hash_word, string keys inline XXH3
 * (the same bytes and seed as gort__hash_bytes would use), others call the
 * descriptor's hash. */
static inline __attribute__((always_inline)) uint64_t map_hash_kind(const gort_map *m,
                                                                    const void *key,
                                                                    int kind)
{
    switch (kind) {
    case KEY_WORD64: {
        uint64_t word;
        memcpy(&word, key, 8);
        return hash_word(word, m->fast_seed);
    }
    case KEY_WORD32: {
        uint32_t word;
        memcpy(&word, key, 4);
        return hash_word(word, m->fast_seed);
    }
    case KEY_STR: {
        const gort_str *s = key;
        return XXH3_64bits_withSeed(s->ptr, s->len, m->fast_seed);
    }
    default:
        if (m->layout.key_callbacks)
            return m->key_type->hash(key, m->seed, m->key_type->ctx); /* the user's, direct */
        return gort__hash_value(m->key_type, key, m->seed);
    }
}

/* ---- probing (inline: the lookup paths in map.c and table.c share them) ------------ */

struct probe {
    uint32_t group;
    uint32_t step;
};

static inline struct probe probe_start(const struct map_geometry *g, uint64_t h)
{
    uint64_t h1 = h >> 7;
    /* Lemire's range reduction: uniform over [0, groups) with one multiply (a power of
     * two needs no special case: it takes h1's top bits instead of its low ones) */
    return (struct probe){(uint32_t)(((uint64_t)(uint32_t)h1 * g->groups) >> 32), 0};
}

static inline void probe_next(const struct map_geometry *g, struct probe *p)
{
    do {
        p->step++;
        p->group = (p->group + p->step) & g->probe_mask;
    } while (p->group >= g->groups);
}

static inline uint8_t hash_h2(uint64_t h)
{
    return (uint8_t)(h & 0x7f);
}

static inline bool key_matches(const gort_map *m, const void *stored, const void *key,
                               int kind)
{
    switch (kind) {
    case KEY_WORD64: {
        uint64_t a, b;
        memcpy(&a, stored, 8), memcpy(&b, key, 8);
        return a == b;
    }
    case KEY_WORD32: {
        uint32_t a, b;
        memcpy(&a, stored, 4), memcpy(&b, key, 4);
        return a == b;
    }
    case KEY_STR: {
        const gort_str *a = stored, *b = key;
        return a->len == b->len && (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
    }
    default:
        if (m->layout.key_callbacks)
            return m->key_type->equal(stored, key, m->key_type->ctx) != 0;
        return gort__map_key_equal(m, stored, key);
    }
}

/* Asks for a group's second and last cache lines, beside the control word's first. A
 * group is wider than a line (136 bytes for uint64 -> uint64), so the slot a lookup
 * compares is usually on another line than the control word; without this its miss
 * would start only once the control word had arrived and been matched: two memory
 * latencies in a row instead of one. (Groups of wide slots span more lines; the middle
 * ones are left to the hardware.) */
static inline void group_prefetch(const struct map_layout *lay, const char *group)
{
    __builtin_prefetch(group + 64);
    __builtin_prefetch(group + lay->group_size - 1);
}

/* group_prefetch, and the control word's line too: for a group not read at once. */
static inline void group_prefetch_all(const struct map_layout *lay, const char *group)
{
    __builtin_prefetch(group);
    group_prefetch(lay, group);
}

/* Group g of the table a directory entry names: an address from the entry alone. */
static inline char *entry_group(const struct map_layout *lay, const struct map_dir_entry *e,
                                uint32_t g)
{
    return group_at(lay, e->table, g);
}

/* The first group a probe for hash h visits in the table e names. */
static inline char *home_group(const struct map_layout *lay, const struct map_dir_entry *e,
                               uint64_t h)
{
    return entry_group(lay, e, probe_start(&e->geom, h).group);
}

/* The slot of `group` (whose control word is ctrl) holding key, or NULL. lay is m's
 * layout, or a constant equal to it (map.c's pair_layout). */
static inline __attribute__((always_inline)) char *
group_find_kind(const gort_map *m, const struct map_layout *lay, char *group, ctrl_word ctrl,
                const void *key, uint8_t h2, int kind)
{
    for (slot_bits c = match_h2(ctrl, h2); c; c = slot_bits_drop_first(c)) {
        char *slot = slot_at(lay, group, slot_bits_first(c));
        if (key_matches(m, kind == KEY_GENERIC ? slot_key(lay, slot) : slot, key, kind))
            return slot;
    }
    return NULL;
}

/* One body per key kind: `kind` is a constant in each caller, so the compare inlines.
 * It reads nothing of the table's header: a lookup's only dependent miss is its group. */
static inline __attribute__((always_inline)) char *
table_find_kind(const gort_map *m, const struct map_dir_entry *e, const void *key,
                uint64_t h, int kind)
{
    const struct map_layout *lay = &m->layout;
    for (struct probe p = probe_start(&e->geom, h);; probe_next(&e->geom, &p)) {
        char *group = entry_group(lay, e, p.group);
        group_prefetch(lay, group);
        ctrl_word ctrl = *group_ctrl(group);
        char *slot = group_find_kind(m, lay, group, ctrl, key, hash_h2(h), kind);
        if (slot || match_empty(ctrl))
            return slot;
    }
}

/* ---- tables (table.c) ------------------------------------------------------------ */

struct map_table *gort__table_new(gort_map *m, uint32_t groups, uint8_t local_depth,
                                  size_t index);
void gort__table_free(gort_map *m, struct map_table *t);
uint32_t gort__table_max_growth(uint32_t capacity);

/* Tombstones in a table (table mode; see table.c's invariants). */
static inline uint32_t table_tombstones(const struct map_table *t)
{
    return gort__table_max_growth(t->capacity) - t->used - t->growth_left;
}

/* A slot for a key known to be absent, during rehash (no duplicate check, no growth
 * check: the caller sized the table). Marks it full with H2 and counts it. */
char *gort__table_put_new(const gort_map *m, struct map_table *t, uint64_t h);

/* A free slot put has chosen for a new key, not yet marked full. */
struct map_claim {
    char *group; /* NULL: put found the key itself */
    unsigned slot;
    bool tombstone; /* reusing a tombstone: no growth is used up */
};

/* Put, in the table directory entry e names (probing from the entry's copy of the
 * geometry, as lookups do): the key's slot (claim->group == NULL), or a free slot for it
 * described by *claim (commit it once the entry is written), or NULL when the table
 * needs room (prune or rehash). Nothing changes until the commit. */
char *gort__table_put(gort_map *m, const struct map_dir_entry *e, const void *key,
                      uint64_t h, struct map_claim *claim);
/* Marks slot i of group full with H2 of h and counts it. */
static inline void table_occupy(struct map_table *t, char *group, unsigned i, uint64_t h)
{
    ctrl_word *ctrl = group_ctrl(group);
    *ctrl = ctrl_set(*ctrl, i, hash_h2(h));
    t->used++;
}

/* Commits a slot put claimed, once the entry is written there. */
static inline void table_commit(struct map_table *t, const struct map_claim *claim,
                                uint64_t h)
{
    if (!claim->tombstone)
        t->growth_left--;
    table_occupy(t, claim->group, claim->slot, h);
}

/* Marks a full slot free (empty, or a tombstone in a full group) and uncounts it. */
void gort__table_erase(gort_map *m, struct map_table *t, char *group, unsigned i);

/* Turns tombstones no probe sequence needs back into empty slots (Go's
 * pruneTombstones). Never moves entries. */
void gort__table_prune(gort_map *m, struct map_table *t);

/* Replaces t by a bigger table (grow) or two tables (split). `incoming` names the split
 * sides of keys about to arrive (bit s: some key goes to side s; set_n's reservation),
 * so that a nearly empty table splits rather than growing past the maximum; 0 for none.
 * GORT_ENOMEM: unchanged. */
int gort__table_rehash(gort_map *m, struct map_table *t, unsigned incoming);

/* Which half of a split a hash goes to: the bit just below the local depth. */
static inline unsigned table_split_side(const struct map_table *t, uint64_t h)
{
    return (unsigned)(h >> (63 - t->local_depth)) & 1;
}

/* Groups for a table about to receive n entries: n plus 25% headroom, plus whatever
 * the allocator's size class leaves over, at most MAX_TABLE_GROUPS. */
uint32_t gort__table_groups_for(const gort_map *m, uint32_t n);

/* How many groups a lookup of the key in `slot` visits (1: its home group), or 0 for a
 * key that is not equal to itself (NaN). */
size_t gort__table_probe_length(const gort_map *m, const struct map_table *t, char *slot);

/* Moves every entry of `from` into `to` (sized to hold them): moved, not copied, so no
 * hooks run and indirect blocks are reused. */
void gort__table_move_all(const gort_map *m, const struct map_table *from,
                          struct map_table *to);

/* Calls fn on every full slot of t. */
void gort__table_each(const gort_map *m, const struct map_table *t,
                      void (*fn)(const gort_map *m, char *slot, void *arg), void *arg);

/* The directory entry for hash h, and the table there. */
static inline size_t dir_index(const gort_map *m, uint64_t h)
{
    return m->global_depth ? (size_t)(h >> m->global_shift) : 0;
}

/* ---- retirement (iter.c) --------------------------------------------------------- */

/* Frees t, or keeps it for iterators that may be reading it. */
void gort__map_retire_table(gort_map *m, struct map_table *t);

/* Shrink replaces the directory: *out is a record to keep the old one in for live
 * iterators (NULL when there are none). GORT_ENOMEM: nothing changed. */
int gort__map_old_dir_alloc(gort_map *m, struct map_old_dir **out);

/* Frees m->dir, or keeps it in `old` (from gort__map_old_dir_alloc) for iterators. */
void gort__map_retire_dir(gort_map *m, struct map_old_dir *old);

/* Pushes node (whose link field is *next) onto a limbo list. The lists are atomics
 * because the last finishing iterator takes them with an exchange while other readers
 * may run; pushing with a CAS keeps every access to them atomic. */
static inline void limbo_push(gort__atomic *head, void *node, void **next)
{
    size_t old;
    do {
        old = gort__atomic_load_relaxed(head);
        *next = (void *)old;
    } while (!gort__atomic_cas(head, old, (size_t)node));
}

/* True while a retired table may be read by an iterator (key drops must wait). */
static inline bool map_has_retired(const gort_map *m)
{
    return gort__atomic_load_relaxed(&m->retired_tables) != 0;
}

/* Frees everything on the limbo lists (no iterator left). */
void gort__map_free_limbo(gort_map *m);

/* ---- entries (map.c) ------------------------------------------------------------- */

/* Releases the key and value a slot holds and frees their blocks (now or, for the key
 * while retired tables exist, later through a grave). GORT_ENOMEM only for the grave. */
int gort__entry_drop(gort_map *m, char *slot, bool clearing);

/* Releases a grave's key (called when the limbo is freed). */
void gort__grave_bury(gort_map *m, struct map_grave *grave);

/* The slot for key in the live map, or NULL. */
char *gort__map_find(const gort_map *m, const void *key);

/* Deletes the entry for key, if present. */
int gort__map_delete(gort_map *m, const void *key);

/* Go's fatal-error path (the abort hook). */
void gort__map_fatal(const char *message);

#endif /* GORT_MAP_INTERNAL_H */

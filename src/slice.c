/*
 * Slices: Go's three-word header over a shared, reference-counted backing store.
 *
 * A store is a small header block pointing at the element array, a block of its own so
 * that array sizes are exact element multiples (Go's capacities, rounded only by the
 * allocator's size classes) and the array can be resized with rallocx.
 *
 *   gort_slice {store, data, len, cap}       slice_store {refs, array, bytes}
 *        |        `---------------.                            |
 *        `---> slice_store         v                           v
 *                        array: | elem 0 | ... | data[0] ... | elem capacity-1 |
 *
 * Invariants:
 *   - nil slice:  store == NULL, data == NULL, len == cap == 0;
 *   - no store but data != NULL: an empty slice or a zero-size element type, and data is
 *     the static zerobase (Go's zerobase: non-NULL, never dereferenced);
 *   - otherwise array <= data and data + cap * size <= array + bytes (a cap-0 view
 *     keeps its parent's data, as Go does, and may sit at the end);
 *   - the store owns every value in its whole array: values beyond any handle's len
 *     stay referenced until overwritten or until the last handle lets go (Go keeps
 *     them reachable too), so drops on the store cover all of [0, capacity).
 * Growth never mutates an array another handle can see: a shared store is copied
 * (values retained) into a new store; an exclusive one keeps its header and moves its
 * values to a new array, or, when they own nothing (no hooks, no strings) and nothing
 * aliases it, is resized in place with rallocx.
 */
#include <stdalign.h>
#include <string.h>

#include "atomic.h"
#include "heap.h"
#include "internal.h"
#include "type.h"

struct slice_store {
    gort__atomic refs;
    char *array;
    size_t bytes; /* the array block's usable size: what gort__free is told */
};

struct gort_slice {
    struct slice_store *store;
    char *data;
    size_t len;
    size_t cap;
    size_t elem_size; /* type->size and !type->owns_refs, cached for the append */
    bool plain;       /* hot path: one cache line, no pointer chase into the type */
    gort_type *type;
    gort_heap *heap;
};

static max_align_t zerobase;

/* ---- stores ---------------------------------------------------------------------- */

static char *store_base(const gort_slice *s)
{
    return s->store->array;
}

/* Elements the whole store holds (its capacity, not any view's). */
static size_t store_capacity(const gort_slice *s)
{
    return s->store->bytes / s->type->size;
}

/* The array size for `cap` elements, rounded up to the allocator's usable size so that
 * slack becomes capacity. Returns 0 on overflow. */
static size_t array_bytes_for(const gort_type *type, size_t cap)
{
    size_t bytes;
    if (!gort__size_mul(cap, type->size, &bytes))
        return 0;
    return gort__usable_size(bytes, type->align);
}

static char *array_new(const gort_slice *s, size_t bytes)
{
    return gort__alloc_zeroed(s->heap, bytes, s->type->align);
}

static void array_free(const gort_slice *s, char *array, size_t bytes)
{
    gort__free(s->heap, array, bytes, s->type->align);
}

static struct slice_store *header_new(const gort_slice *s, char *array, size_t bytes)
{
    struct slice_store *store = gort__alloc(s->heap, sizeof *store, alignof(struct slice_store));
    if (store)
        *store = (struct slice_store){1, array, bytes};
    return store;
}

static void header_free(const gort_slice *s, struct slice_store *store)
{
    gort__free(s->heap, store, sizeof *store, alignof(struct slice_store));
}

/* A store with a zeroed array for at least cap elements. */
static int store_new(gort_slice *s, size_t cap)
{
    size_t bytes = array_bytes_for(s->type, cap);
    if (!bytes)
        return GORT_EOVERFLOW;
    char *array = array_new(s, bytes);
    if (!array)
        return GORT_ENOMEM;
    struct slice_store *store = header_new(s, array, bytes);
    if (!store) {
        array_free(s, array, bytes);
        return GORT_ENOMEM;
    }
    s->store = store;
    s->data = array;
    return GORT_OK;
}

/* Drops one reference; the last one releases every value and frees the store. */
static void store_release(const gort_slice *s)
{
    if (!s->store || gort__atomic_fetch_sub(&s->store->refs, 1) != 1)
        return;
    gort__values_drop(s->type, store_base(s), store_capacity(s));
    array_free(s, s->store->array, s->store->bytes);
    header_free(s, s->store);
}

/* True when no other handle can see the store, so it may be moved or resized.
 * Acquire pairs with the full barrier of another handle's final decrement. */
static bool store_exclusive(const gort_slice *s)
{
    return s->store && gort__atomic_load_acquire(&s->store->refs) == 1;
}

/* ---- Go's growth formula ----------------------------------------------------------- */

/* runtime.nextslicecap: double below 256 elements, then grow by cap/4 + 192, smoothly
 * tending to 1.25x; a request beyond double the old capacity gets exactly what it asks. */
static size_t next_slice_cap(size_t new_len, size_t old_cap)
{
    size_t double_cap = old_cap + old_cap;
    if (new_len > double_cap || double_cap < old_cap)
        return new_len;
    const size_t threshold = 256;
    if (old_cap < threshold)
        return double_cap;
    size_t cap = old_cap;
    while (cap < new_len) {
        size_t step = (cap + 3 * threshold) >> 2;
        if (cap + step < cap)
            return new_len;
        cap += step;
    }
    return cap;
}

/* Capacity to grow to for min_cap elements, clamped so that cap * size <= MAX_ALLOC. */
static size_t growth_target(const gort_slice *s, size_t min_cap)
{
    size_t cap = next_slice_cap(min_cap, s->cap);
    size_t limit = (size_t)GORT_MAX_ALLOC / s->type->size;
    return cap > limit ? limit : cap;
}

/* ---- writing values ------------------------------------------------------------------ */

static bool ranges_overlap(const void *a, size_t a_len, const void *b, size_t b_len)
{
    uintptr_t a0 = (uintptr_t)a, b0 = (uintptr_t)b;
    return a0 < b0 + b_len && b0 < a0 + a_len;
}

/* ---- relocation (growth) -------------------------------------------------------------- */

/* Resizing the array itself is safe only when no one else sees the store, the view
 * starts at its base, values need no ownership work, the incoming values do not live in
 * the array, and the array grows: a clipped view (cap below the store's capacity) may
 * target fewer bytes than the array has, and shrinking it would drop values the memset
 * in resize_in_place still reaches. */
static bool can_resize_in_place(const gort_slice *s, size_t bytes, const void *values,
                                size_t n)
{
    return !s->type->owns_refs && store_exclusive(s) && s->data == store_base(s) &&
           bytes > s->store->bytes &&
           !(n && ranges_overlap(values, n * s->type->size, s->store->array, s->store->bytes));
}

/* Grows the array to `bytes`: in place when the allocator can extend it (xallocx, or
 * mremap for huge blocks), so the data pointer stays valid, else by moving it. */
static char *grow_array(gort_slice *s, size_t bytes)
{
    struct slice_store *store = s->store;
    size_t got = gort__expand_in_place(s->heap, store->array, store->bytes, bytes, s->type->align);
    if (got >= bytes) {
        store->bytes = got;
        return store->array;
    }
    char *array = gort__realloc(s->heap, store->array, store->bytes, bytes, s->type->align, true);
    if (array)
        store->bytes = bytes;
    return array;
}

static int resize_in_place(gort_slice *s, size_t bytes, size_t keep, const void *values,
                           size_t n)
{
    size_t old_capacity = store_capacity(s), size = s->type->size;
    char *array = grow_array(s, bytes);
    if (!array)
        return GORT_ENOMEM;
    s->store->array = s->data = array;
    /* Values past `keep` in the old array would show through the new capacity. */
    if (old_capacity > keep)
        memset(array + keep * size, 0, (old_capacity - keep) * size);
    if (n)
        memcpy(array + keep * size, values, n * size);
    s->cap = store_capacity(s);
    return GORT_OK;
}

/* Fills a new array: n incoming values at index keep, then the view's first keep
 * values, moved when the old store is exclusive, else retained. On error the new
 * array holds nothing that needs releasing. */
static int fill_new_array(const gort_slice *s, char *array, size_t keep, const void *values,
                          size_t n, bool exclusive)
{
    size_t size = s->type->size;
    int status = gort__values_clone(s->type, array + keep * size, values, n);
    if (status != GORT_OK || keep == 0)
        return status;
    if (exclusive) {
        memcpy(array, s->data, keep * size);
        return GORT_OK;
    }
    status = gort__values_clone(s->type, array, s->data, keep);
    if (status != GORT_OK)
        gort__values_drop(s->type, array + keep * size, n);
    return status;
}

/* An exclusive store gives up its old array: the values the view moved out are not
 * released, every other value in it is. */
static void drop_old_array(const gort_slice *s, size_t moved)
{
    size_t offset = (size_t)(s->data - store_base(s)) / s->type->size;
    gort__values_drop(s->type, store_base(s), offset);
    gort__values_drop(s->type, s->data + moved * s->type->size,
                      store_capacity(s) - offset - moved);
    array_free(s, s->store->array, s->store->bytes);
}

/*
 * `exclusive` is decided once: a shared store may become exclusive meanwhile (another
 * thread frees its handle), and deciding again would leak the references the copy
 * retained. An exclusive store keeps its header; a shared one is left to its other
 * handles and this view gets a new store.
 */
static int move_to_new_array(gort_slice *s, size_t bytes, size_t keep, const void *values,
                             size_t n)
{
    bool exclusive = store_exclusive(s);
    char *array = array_new(s, bytes);
    if (!array)
        return GORT_ENOMEM;
    struct slice_store *store = exclusive ? s->store : header_new(s, array, bytes);
    int status = store ? fill_new_array(s, array, keep, values, n, exclusive) : GORT_ENOMEM;
    if (status != GORT_OK) {
        array_free(s, array, bytes);
        if (store && !exclusive)
            header_free(s, store);
        return status;
    }
    if (exclusive)
        drop_old_array(s, keep);
    else
        store_release(s);
    store->array = s->data = array;
    store->bytes = bytes;
    s->store = store;
    s->cap = store_capacity(s);
    return GORT_OK;
}

/*
 * Gives s a new array of capacity >= min_cap holding its first `keep` elements, then
 * writes n incoming values at index keep. Used by append (keep = len) and grow
 * (keep = cap, n = 0). On error s is unchanged.
 */
static int relocate(gort_slice *s, size_t min_cap, size_t keep, const void *values,
                    size_t n)
{
    size_t bytes = array_bytes_for(s->type, growth_target(s, min_cap));
    if (!bytes)
        return GORT_EOVERFLOW;
    if (can_resize_in_place(s, bytes, values, n))
        return resize_in_place(s, bytes, keep, values, n);
    return move_to_new_array(s, bytes, keep, values, n);
}

/* ---- handles ------------------------------------------------------------------------ */

static int new_handle(gort_type *type, gort_heap *heap, gort_slice **out)
{
    heap = gort__heap_resolve(heap);
    gort_slice *s = gort__alloc(heap, sizeof *s, alignof(gort_slice));
    if (!s)
        return GORT_ENOMEM;
    *s = (gort_slice){.elem_size = type->size,
                      .plain = !type->owns_refs,
                      .type = gort_type_retain(type),
                      .heap = heap};
    gort__heap_object_born(heap);
    *out = s;
    return GORT_OK;
}

int gort_slice_nil(gort_type *type, gort_heap *heap, gort_slice **out)
{
    if (!type || !out)
        return GORT_EINVAL;
    return new_handle(type, heap, out);
}

int gort_slice_make(gort_type *type, size_t len, size_t cap, gort_heap *heap,
                    gort_slice **out)
{
    if (!type || !out)
        return GORT_EINVAL;
    if (len > cap)
        return GORT_ERANGE;
    size_t bytes;
    if (cap > GORT_MAX_ALLOC || !gort__size_mul(cap, type->size, &bytes))
        return GORT_EOVERFLOW; /* lengths never exceed GORT_MAX_ALLOC, even of size 0 */
    gort_slice *s;
    int status = new_handle(type, heap, &s);
    if (status != GORT_OK)
        return status;
    if (bytes == 0) {
        s->data = (char *)&zerobase;
    } else if ((status = store_new(s, cap)) != GORT_OK) {
        gort_slice_free(s);
        return status;
    }
    s->len = len;
    s->cap = cap;
    *out = s;
    return GORT_OK;
}

void gort_slice_free(gort_slice *s)
{
    if (!s)
        return;
    store_release(s);
    gort_type_release(s->type);
    gort__heap_object_died(s->heap);
    gort__free(s->heap, s, sizeof *s, alignof(gort_slice));
}

size_t gort_slice_len(const gort_slice *s)
{
    return s ? s->len : 0;
}

size_t gort_slice_cap(const gort_slice *s)
{
    return s ? s->cap : 0;
}

int gort_slice_is_nil(const gort_slice *s)
{
    return !s || s->data == NULL;
}

gort_type *gort_slice_type(const gort_slice *s)
{
    return s ? s->type : NULL;
}

void *gort_slice_data(const gort_slice *s)
{
    return s ? s->data : NULL;
}

size_t gort_slice_backing_bytes(const gort_slice *s)
{
    return s && s->store ? s->store->bytes : 0;
}

/* ---- element access ---------------------------------------------------------------- */

int gort_slice_get(const gort_slice *s, size_t i, void *out)
{
    if (!s || !out)
        return GORT_EINVAL;
    if (i >= s->len)
        return GORT_ERANGE;
    memcpy(out, s->data + i * s->type->size, s->type->size);
    return GORT_OK;
}

int gort_slice_set(gort_slice *s, size_t i, const void *value)
{
    if (!s || !value)
        return GORT_EINVAL;
    if (i >= s->len)
        return GORT_ERANGE;
    return gort__values_replace(s->type, s->heap, s->data + i * s->type->size, value, 1);
}

/* ---- append ------------------------------------------------------------------------ */

int gort_slice_append_n(gort_slice *s, const void *values, size_t n)
{
    if (!s || (!values && n && s->type->size))
        return GORT_EINVAL;
    if (n == 0)
        return GORT_OK; /* append(s) is s, and nil stays nil */
    size_t new_len, bytes, size = s->type->size;
    if (!gort__size_add(s->len, n, &new_len) || !gort__size_mul(new_len, size, &bytes))
        return GORT_EOVERFLOW;
    if (size == 0) { /* Go: capacity exactly new_len, data non-NULL, nothing allocated */
        s->data = (char *)&zerobase;
        s->cap = s->cap > new_len ? s->cap : new_len;
        s->len = new_len;
        return GORT_OK;
    }
    int status = new_len <= s->cap
                     ? gort__values_replace(s->type, s->heap, s->data + s->len * size, values, n)
                     : relocate(s, new_len, s->len, values, n);
    if (status == GORT_OK)
        s->len = new_len;
    return status;
}

/* Copies one plain value. An if-chain, not a switch: a switch compiles to an indirect
 * jump that cost ~1 ns per append in the profile; fixed sizes become one load+store. */
static inline void copy_plain(char *slot, const void *value, size_t size)
{
    if (size == 8)
        memcpy(slot, value, 8);
    else if (size == 4)
        memcpy(slot, value, 4);
    else if (size == 16)
        memcpy(slot, value, 16);
    else if (size != 0) /* a zero-size value may be NULL, and memcpy's never may */
        memcpy(slot, value, size);
}

/* Everything but the hot path, kept out of line so that path stays a leaf function. */
__attribute__((noinline, cold)) static int append_slow(gort_slice *s, const void *value)
{
    if (!s || (!value && s->elem_size))
        return GORT_EINVAL;
    return gort_slice_append_n(s, value, 1);
}

int gort_slice_append(gort_slice *s, const void *value)
{
    /* Hot path: room in cap and a value that owns nothing is a plain copy. */
    if (GORT_LIKELY(s && value && s->len < s->cap && s->plain)) {
        copy_plain(s->data + s->len * s->elem_size, value, s->elem_size);
        s->len++;
        return GORT_OK;
    }
    return append_slow(s, value);
}

int gort_slice_append_slice(gort_slice *dst, const gort_slice *src)
{
    if (!dst || !src)
        return GORT_EINVAL;
    if (!gort__type_same(dst->type, src->type))
        return GORT_ETYPE;
    return gort_slice_append_n(dst, src->data, src->len);
}

/* ---- slicing ------------------------------------------------------------------------ */

/* Applies s[lo:hi:max] to the view `v` (bounds already checked). */
static void apply_bounds(gort_slice *v, size_t lo, size_t hi, size_t max)
{
    /* Go never advances the base of a cap-0 result, so it cannot point past the end. */
    if (max - lo > 0)
        v->data += lo * v->type->size;
    v->len = hi - lo;
    v->cap = max - lo;
}

static bool bounds_ok(const gort_slice *s, size_t lo, size_t hi, size_t max)
{
    return lo <= hi && hi <= max && max <= s->cap;
}

int gort_slice_sub3(const gort_slice *s, size_t lo, size_t hi, size_t max, gort_slice **out)
{
    if (!s || !out)
        return GORT_EINVAL;
    if (!bounds_ok(s, lo, hi, max))
        return GORT_ERANGE;
    gort_slice *view;
    int status = new_handle(s->type, s->heap, &view);
    if (status != GORT_OK)
        return status;
    view->store = s->store;
    view->data = s->data;
    view->cap = s->cap;
    if (view->store)
        gort__atomic_fetch_add(&view->store->refs, 1);
    apply_bounds(view, lo, hi, max);
    *out = view;
    return GORT_OK;
}

int gort_slice_sub(const gort_slice *s, size_t lo, size_t hi, gort_slice **out)
{
    return gort_slice_sub3(s, lo, hi, s ? s->cap : 0, out);
}

int gort_slice_reslice(gort_slice *s, size_t lo, size_t hi, size_t max)
{
    if (!s)
        return GORT_EINVAL;
    if (!bounds_ok(s, lo, hi, max))
        return GORT_ERANGE;
    apply_bounds(s, lo, hi, max);
    return GORT_OK;
}

int gort_slice_clip(gort_slice *s)
{
    return gort_slice_reslice(s, 0, gort_slice_len(s), gort_slice_len(s));
}

/* ---- copy, clone, grow, clear ------------------------------------------------------- */

int gort_slice_copy(gort_slice *dst, const gort_slice *src, size_t *n_out)
{
    if (!dst || !src)
        return GORT_EINVAL;
    if (!gort__type_same(dst->type, src->type))
        return GORT_ETYPE;
    size_t n = dst->len < src->len ? dst->len : src->len;
    int status = GORT_OK;
    if (n && dst->type->size)
        status = gort__values_replace(dst->type, dst->heap, dst->data, src->data, n);
    if (status == GORT_OK && n_out)
        *n_out = n;
    return status;
}

int gort_slice_clone(const gort_slice *s, gort_slice **out)
{
    if (!s || !out)
        return GORT_EINVAL;
    gort_slice *copy;
    int status = new_handle(s->type, s->heap, &copy);
    if (status != GORT_OK)
        return status;
    if (s->data && s->len == 0)
        copy->data = (char *)&zerobase; /* empty stays empty-but-not-nil */
    else if ((status = gort_slice_append_n(copy, s->data, s->len)) != GORT_OK) {
        gort_slice_free(copy);
        return status;
    }
    *out = copy;
    return GORT_OK;
}

int gort_slice_grow(gort_slice *s, size_t n)
{
    if (!s)
        return GORT_EINVAL;
    size_t min_cap, bytes;
    if (!gort__size_add(s->len, n, &min_cap) || !gort__size_mul(min_cap, s->type->size, &bytes))
        return GORT_EOVERFLOW;
    if (min_cap <= s->cap)
        return GORT_OK;
    if (s->type->size == 0) {
        s->data = (char *)&zerobase;
        s->cap = min_cap;
        return GORT_OK;
    }
    return relocate(s, min_cap, s->cap, NULL, 0);
}

int gort_slice_clear(gort_slice *s)
{
    if (!s)
        return GORT_EINVAL;
    if (s->len && s->type->size) {
        gort__values_drop(s->type, s->data, s->len);
        memset(s->data, 0, s->len * s->type->size);
    }
    return GORT_OK;
}

int gort_slice_scan(const gort_slice *s, gort_visit_fn visit, void *ctx)
{
    if (!s || !visit)
        return GORT_EINVAL;
    if (s->store)
        gort__values_scan(s->type, store_base(s), store_capacity(s), visit, ctx);
    return GORT_OK;
}

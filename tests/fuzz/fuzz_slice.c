/*
 * Fuzz target: gort_slice against a model of Go's slice semantics.
 *
 * Model. A backing array is a plain C array of uint64 "model values" (0 is the zero value)
 * with a count of the views on it; a view is {array, offset, len, cap, nil}, Go's slice
 * header. Six handle slots hold views of int64 elements (even slots at the start), of
 * GORT_KIND_STR elements (model value v stands for the string fuzz_str_encode(v)) or of a
 * zero-size type (no values and no array, lengths up to GORT_MAX_ALLOC, growth to
 * exactly the length needed, every view at one static address, as Go's zerobase). An
 * append that fits in cap writes into the shared array, visible through every view of it;
 * an append past cap, grow and clone give the view a fresh array holding what Go's
 * growslice keeps (the view's first len elements, or all cap of them for grow) followed
 * by the new values and zeros. Other views keep the old array.
 *
 * Input: a sequence of operations, each an opcode byte followed by its argument bytes
 * (slot numbers, bounds, index, value seeds: see the op_* functions); bytes past the end
 * read as 0. At most FUZZ_MAX_OPS operations run, and no view grows past MAX_LEN.
 *
 * Checked after every operation, for every handle: len, cap, is_nil, the element type,
 * backing_bytes covering the view, the data pointer (every view of one array agrees on
 * where its element 0 is), a get at index len failing with GORT_ERANGE, and every element
 * in [0, cap), read through the data pointer, of each view whose array the operation
 * touched (of every view every FULL_CHECK_EVERY operations and at the end). Checked per call:
 * the status (GORT_ERANGE for bad bounds and indices, GORT_ETYPE for mixed element types,
 * GORT_EOVERFLOW for absurd sizes, GORT_EINVAL for NULL values), a capacity after growth of at
 * least Go's nextslicecap, copy's count, and that string bytes were copied (the caller's
 * buffers are scrubbed after each call). At the end every handle is freed and the private heap
 * and the default heap (string bytes) must hold nothing more than at the start.
 */
#include "fuzz.h"

#define SLOTS 6
#define MAX_LEN 1024        /* operations that would make a view longer are skipped */
#define MAX_VALUES 256      /* values in one append_n */
#define FULL_CHECK_EVERY 16 /* operations between comparisons of every element */
#define SCRATCH 8192        /* model values one copy or append may read (caps stay far below) */
#define KIND_I64 0
#define KIND_STR 1
#define KIND_UNIT 2 /* a zero-size type (Go's struct{}): no values, lengths up to 2^48 */
#define MAX_ALLOC ((size_t)GORT_MAX_ALLOC)

typedef struct model_array {
    uint64_t *values; /* cap model values */
    size_t cap;
    int views;        /* views sharing it */
    const char *base; /* the library's address of its element 0, once a view showed it */
    bool dirty;       /* new, written, or a view of it changed since the last check */
} model_array;

typedef struct view {
    gort_slice *handle; /* NULL: the slot is empty */
    int kind;
    model_array *array; /* NULL for nil and for an empty make */
    size_t off, len, cap;
    bool nil;
} view;

/* Values handed to the library in one call, in both element representations. */
typedef struct batch {
    uint64_t model[MAX_VALUES];
    int64_t i64[MAX_VALUES];
    gort_str str[MAX_VALUES];
    char bytes[MAX_VALUES][FUZZ_STR_MAX];
} batch;

typedef struct slice_run {
    fuzz_input in;
    fuzz_ctx ctx;
    gort_heap *heap;
    gort_type *unit_type;
    const char *unit_data; /* where every non-nil zero-size view points (Go's zerobase) */
    view views[SLOTS];
    batch values;
    uint64_t scratch[SCRATCH];
    size_t growths, max_cap; /* for the verbose summary */
} slice_run;

/* ---- element types ---------------------------------------------------------------------- */

static gort_type *kind_type(const slice_run *r, int kind)
{
    if (kind == KIND_UNIT)
        return r->unit_type;
    return gort_type_builtin(kind == KIND_I64 ? GORT_KIND_I64 : GORT_KIND_STR);
}

static size_t kind_size(int kind)
{
    return kind == KIND_I64 ? sizeof(int64_t) : kind == KIND_STR ? sizeof(gort_str) : 0;
}

/* An element kind from an input byte: bit 0 str, else bit 3 the zero-size type. */
static int kind_of(uint8_t b)
{
    return b & 1 ? KIND_STR : b & 8 ? KIND_UNIT : KIND_I64;
}

/* Whether the library element at `slot` is model value `want`. */
static bool elem_is(int kind, const void *slot, uint64_t want)
{
    if (kind == KIND_UNIT)
        return true;
    if (kind == KIND_I64) {
        int64_t got;
        memcpy(&got, slot, sizeof got);
        return (uint64_t)got == want;
    }
    gort_str got;
    memcpy(&got, slot, sizeof got);
    return fuzz_str_is(&got, want);
}

/* Encodes batch->model[0, n) for the library; returns the array to pass. */
static const void *batch_encode(batch *b, int kind, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        b->i64[i] = (int64_t)b->model[i];
        b->str[i] = (gort_str){b->bytes[i], fuzz_str_encode(b->model[i], b->bytes[i])};
    }
    return kind == KIND_STR ? (const void *)b->str : (const void *)b->i64;
}

static void batch_scrub(batch *b, size_t n)
{
    fuzz_scrub(b->i64, n * sizeof b->i64[0]);
    fuzz_scrub(b->str, n * sizeof b->str[0]);
    fuzz_scrub(b->bytes, n * sizeof b->bytes[0]);
}

/* n values derived from the input into batch->model. */
static void batch_from_input(slice_run *r, size_t n)
{
    uint8_t seed = fuzz_u8(&r->in);
    for (size_t i = 0; i < n; i++)
        r->values.model[i] = fuzz_value(r->ctx.op, (unsigned)i, seed);
}

/* ---- model arrays --------------------------------------------------------------------- */

static model_array *array_new(slice_run *r, size_t cap)
{
    model_array *a = calloc(1, sizeof *a);
    if (a)
        a->values = calloc(cap ? cap : 1, sizeof a->values[0]);
    if (!a || !a->values)
        fuzz_fail(&r->ctx, "model out of memory");
    a->cap = cap;
    a->dirty = true;
    return a;
}

static void array_attach(view *v, model_array *a)
{
    v->array = a;
    if (a)
        a->views++;
}

/* The elements view v shows must be compared again at the next check. */
static void touched(const view *v)
{
    if (v->array)
        v->array->dirty = true;
}

static void array_detach(view *v)
{
    model_array *a = v->array;
    v->array = NULL;
    if (a && --a->views == 0) {
        free(a->values);
        free(a);
    }
}

/* Puts a new view (its array already in `fresh`, not yet attached) in `slot`, then frees
 * what the slot held: the new view may share the old one's array. */
static void view_replace(slice_run *r, int slot, gort_slice *handle, view fresh)
{
    view old = r->views[slot];
    model_array *a = fresh.array;
    fresh.handle = handle;
    array_attach(&fresh, a);
    touched(&fresh);
    r->views[slot] = fresh;
    gort_slice_free(old.handle);
    array_detach(&old);
}

static void view_free(slice_run *r, int slot)
{
    view *v = &r->views[slot];
    gort_slice_free(v->handle);
    array_detach(v);
    *v = (view){0};
}

/* Model values of view v's elements [lo, lo + n) into r->scratch: a source may share
 * its array with the target, and Go reads it whole before writing (memmove). */
static void snapshot(slice_run *r, const view *v, size_t lo, size_t n)
{
    if (v->kind == KIND_UNIT)
        return; /* nothing to read, and its lengths may be huge */
    FUZZ_EXPECT(&r->ctx, n <= SCRATCH, "model scratch too small for %zu values", n);
    if (n)
        memcpy(r->scratch, v->array->values + v->off + lo, n * sizeof r->scratch[0]);
}

/* ---- growth ----------------------------------------------------------------------------- */

/* Go's runtime.nextslicecap: the least capacity a growth to new_len may give. */
static size_t next_slice_cap(size_t new_len, size_t old_cap)
{
    if (new_len > 2 * old_cap)
        return new_len;
    if (old_cap < 256)
        return 2 * old_cap;
    size_t cap = old_cap;
    while (cap < new_len)
        cap += (cap + 768) / 4;
    return cap;
}

/* The capacity the library chose is Go's, rounded up to an allocator size class. */
static void expect_growth(slice_run *r, const view *v, size_t min_cap, size_t got)
{
    if (v->kind == KIND_UNIT) { /* Go: a zero-size slice grows to exactly what it needs */
        FUZZ_EXPECT(&r->ctx, got == min_cap, "zero-size: grew cap %zu to %zu, not to %zu",
                    v->cap, got, min_cap);
        return;
    }
    size_t want = next_slice_cap(min_cap, v->cap), size = kind_size(v->kind);
    FUZZ_EXPECT(&r->ctx, got >= want && got * size <= 2 * want * size + 64,
                "grew cap %zu to %zu for %zu elements; Go's nextslicecap gives %zu", v->cap,
                got, min_cap, want);
}

/* The library moved view `slot` to a new array: model it as Go's growslice, keeping the
 * view's first `keep` elements, then n incoming values, then zeros. */
static void model_regrow(slice_run *r, int slot, size_t min_cap, size_t keep,
                         const uint64_t *incoming, size_t n)
{
    view *v = &r->views[slot];
    size_t new_cap = gort_slice_cap(v->handle);
    expect_growth(r, v, min_cap, new_cap);
    r->growths++;
    r->max_cap = new_cap > r->max_cap ? new_cap : r->max_cap;
    if (v->kind == KIND_UNIT) {
        v->cap = new_cap;
        v->nil = false;
        return;
    }
    model_array *a = array_new(r, new_cap);
    if (keep)
        memcpy(a->values, v->array->values + v->off, keep * sizeof a->values[0]);
    if (n)
        memcpy(a->values + keep, incoming, n * sizeof a->values[0]);
    array_detach(v);
    array_attach(v, a);
    v->off = 0;
    v->cap = new_cap;
    v->nil = false;
}

/* Go's append(v, incoming...): in place within cap, else into a new array. */
static void model_append(slice_run *r, int slot, const uint64_t *incoming, size_t n)
{
    view *v = &r->views[slot];
    size_t new_len = v->len + n;
    if (n == 0)
        return;
    if (new_len <= v->cap) {
        if (v->array)
            memcpy(v->array->values + v->off + v->len, incoming, n * sizeof *incoming);
        touched(v);
    } else
        model_regrow(r, slot, new_len, v->len, incoming, n);
    v->len = new_len;
}

/* ---- checks ----------------------------------------------------------------------------- */

static void check_header(slice_run *r, int slot)
{
    const view *v = &r->views[slot];
    gort_slice *s = v->handle;
    FUZZ_EXPECT(&r->ctx, gort_slice_len(s) == v->len && gort_slice_cap(s) == v->cap,
                "slot %d: len %zu cap %zu, model len %zu cap %zu", slot, gort_slice_len(s),
                gort_slice_cap(s), v->len, v->cap);
    FUZZ_EXPECT(&r->ctx, gort_slice_is_nil(s) == (int)v->nil, "slot %d: is_nil %d, model %d",
                slot, gort_slice_is_nil(s), (int)v->nil);
    FUZZ_EXPECT(&r->ctx, gort_slice_type(s) == kind_type(r, v->kind), "slot %d: wrong type",
                slot);
    char out[sizeof(gort_str)];
    fuzz_expect_status(&r->ctx, gort_slice_get(s, v->len, out), GORT_ERANGE, "get(len)");
}

/* Every view of one array must place its element 0 at the same address. A cap-0 view
 * keeps its parent's address, as in Go, and the model its parent's offset, so it obeys
 * the same rule (make(0, 0) and empty clones have no array: nothing to compare). */
static void check_data(slice_run *r, int slot)
{
    view *v = &r->views[slot];
    const char *data = gort_slice_data(v->handle);
    size_t size = kind_size(v->kind), backing = gort_slice_backing_bytes(v->handle);
    if (v->nil) {
        FUZZ_EXPECT(&r->ctx, !data && backing == 0, "slot %d: nil with data %p, %zu bytes",
                    slot, (const void *)data, backing);
        return;
    }
    FUZZ_EXPECT(&r->ctx, data != NULL, "slot %d: not nil but data is NULL", slot);
    if (v->kind == KIND_UNIT) {
        if (!r->unit_data)
            r->unit_data = data;
        FUZZ_EXPECT(&r->ctx, data == r->unit_data, "slot %d: zero-size data at %p, not %p",
                    slot, (const void *)data, (const void *)r->unit_data);
        return;
    }
    if (!v->array)
        return;
    const char *base = data - v->off * size;
    if (!v->array->base)
        v->array->base = base;
    FUZZ_EXPECT(&r->ctx, base == v->array->base,
                "slot %d: its array starts at %p, another view of it says %p", slot,
                (const void *)base, (const void *)v->array->base);
    FUZZ_EXPECT(&r->ctx, backing >= (v->off + v->cap) * size,
                "slot %d: backing_bytes %zu below the view's end %zu", slot, backing,
                (v->off + v->cap) * size);
}

/* Elements [0, cap), read through the data pointer: what lies past len is visible to a
 * reslice, so it must match too. */
static void check_elements(slice_run *r, int slot)
{
    const view *v = &r->views[slot];
    const char *data = gort_slice_data(v->handle);
    size_t size = kind_size(v->kind);
    if (!v->array)
        return; /* nil, empty, or zero-size */
    for (size_t i = 0; i < v->cap; i++) {
        uint64_t want = v->array->values[v->off + i];
        if (!elem_is(v->kind, data + i * size, want))
            fuzz_fail(&r->ctx,
                      "slot %d: element %zu (len %zu cap %zu) is not model value %#llx", slot,
                      i, v->len, v->cap, (unsigned long long)want);
    }
}

/* Every handle's header and address; the elements of views whose array is dirty, or of
 * all views when `full` (every FULL_CHECK_EVERY operations and at the end: an array the
 * model did not touch must not change either). */
static void check_all(slice_run *r, bool full)
{
    for (int slot = 0; slot < SLOTS; slot++) {
        const view *v = &r->views[slot];
        if (!v->handle)
            continue;
        check_header(r, slot);
        check_data(r, slot);
        if (full || (v->array && v->array->dirty))
            check_elements(r, slot);
    }
    for (int slot = 0; slot < SLOTS; slot++)
        if (r->views[slot].array)
            r->views[slot].array->dirty = false;
}

/* ---- operand decoding ------------------------------------------------------------------- */

static int take_slot(slice_run *r)
{
    return fuzz_u8(&r->in) % SLOTS;
}

/* The slot's view, or NULL (the operation is then skipped) when the slot is empty. */
static view *take_view(slice_run *r, int *slot)
{
    *slot = take_slot(r);
    return r->views[*slot].handle ? &r->views[*slot] : NULL;
}

/* Three bounds in [0, cap + 1] (cap + 1 is always out of range), sorted unless the flag
 * byte says otherwise, so that valid triples are common but not the rule (flags: bits 0-1
 * sort, bit 2 max = cap, bit 3 hi = max = cap). */
static void take_bounds(slice_run *r, size_t cap, size_t *lo, size_t *hi, size_t *max)
{
    uint8_t flags = fuzz_u8(&r->in);
    size_t b[3];
    for (int i = 0; i < 3; i++)
        b[i] = fuzz_u16(&r->in) % (cap + 2);
    if (flags & 3) {
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2 - i; j++)
                if (b[j] > b[j + 1]) {
                    size_t t = b[j];
                    b[j] = b[j + 1];
                    b[j + 1] = t;
                }
    }
    if (flags & 4)
        b[2] = cap; /* the two-index form's max */
    if (flags & 8)
        b[1] = b[2] = cap; /* s[lo:cap:cap], the only way to huge zero-size lengths */
    *lo = b[0], *hi = b[1], *max = b[2];
}

static int bounds_status(size_t lo, size_t hi, size_t max, size_t cap)
{
    return lo <= hi && hi <= max && max <= cap ? GORT_OK : GORT_ERANGE;
}

/* ---- operations ------------------------------------------------------------------------- */

/* Sizes whose bytes exceed GORT_MAX_ALLOC (or size_t) for 8- and 16-byte elements; the
 * first three are lengths a zero-size slice may have. */
static const size_t huge_sizes[8] = {
    (size_t)1 << 46, (size_t)1 << 48, ((size_t)1 << 46) + 1, (size_t)1 << 49,
    (size_t)1 << 62, SIZE_MAX / 2,    SIZE_MAX - 1,          SIZE_MAX,
};

/* Whether growing view v by n would pass MAX_LEN: such operations are skipped (zero-size
 * views cost the model nothing, so they run up to the library's own limit). */
static bool too_long(const view *v, size_t n)
{
    return v->kind != KIND_UNIT && v->len + n > MAX_LEN;
}

/* What growing v by n elements returns: no length exceeds GORT_MAX_ALLOC elements (nor
 * bytes, which too_long keeps far away for the other kinds). */
static int length_status(const view *v, size_t n)
{
    return n > MAX_ALLOC - v->len ? GORT_EOVERFLOW : GORT_OK;
}

/* make: slot, mode (kind_of; bits 1-2: small, small, medium, absurd cap), cap, len. */
static void op_make(slice_run *r)
{
    int slot = take_slot(r);
    uint8_t mode = fuzz_u8(&r->in);
    int kind = kind_of(mode), size_class = (mode >> 1) & 3;
    size_t cap = size_class == 2 ? fuzz_u16(&r->in) % 600 : fuzz_u8(&r->in) % 40, len;
    if (size_class == 3)
        cap = huge_sizes[fuzz_u8(&r->in) % 8];
    len = fuzz_u8(&r->in) % (cap < 300 ? cap + 2 : 300);
    int want = len > cap ? GORT_ERANGE : GORT_OK;
    if (size_class == 3)
        want = kind == KIND_UNIT && cap <= MAX_ALLOC ? GORT_OK : GORT_EOVERFLOW;
    gort_slice *s = NULL;
    fuzz_expect_status(&r->ctx, gort_slice_make(kind_type(r, kind), len, cap, r->heap, &s),
                       want, "gort_slice_make");
    if (want != GORT_OK)
        return;
    bool values = cap && kind != KIND_UNIT;
    view fresh = {
        .kind = kind, .array = values ? array_new(r, cap) : NULL, .len = len, .cap = cap};
    view_replace(r, slot, s, fresh);
}

/* nil: slot, kind (kind_of). */
static void op_nil(slice_run *r)
{
    int slot = take_slot(r), kind = kind_of(fuzz_u8(&r->in));
    gort_slice *s = NULL;
    fuzz_expect_status(&r->ctx, gort_slice_nil(kind_type(r, kind), r->heap, &s), GORT_OK,
                       "gort_slice_nil");
    view_replace(r, slot, s, (view){.kind = kind, .nil = true});
}

/* append: slot, value seed. */
static void op_append(slice_run *r)
{
    int slot;
    view *v = take_view(r, &slot);
    batch_from_input(r, 1);
    if (!v || too_long(v, 1))
        return;
    const void *values = batch_encode(&r->values, v->kind, 1);
    int want = length_status(v, 1);
    fuzz_expect_status(&r->ctx, gort_slice_append(v->handle, values), want,
                       "gort_slice_append");
    batch_scrub(&r->values, 1);
    if (want == GORT_OK)
        model_append(r, slot, r->values.model, 1);
}

/* append_n of n values from the caller: slot, n, value seed. n >= 0xF0 passes NULL for
 * (n & 15) + 1 values, which must fail with GORT_EINVAL (unless the values are zero-size). */
static void append_values(slice_run *r, size_t max_n)
{
    int slot;
    view *v = take_view(r, &slot);
    uint8_t n_byte = fuzz_u8(&r->in);
    size_t n = n_byte % (max_n + 1);
    batch_from_input(r, n);
    if (!v)
        return;
    if (n_byte >= 0xF0 && max_n < 0xF0) {
        size_t count = (n_byte & 15) + 1u;
        int want = v->kind == KIND_UNIT ? length_status(v, count) : GORT_EINVAL;
        fuzz_expect_status(&r->ctx, gort_slice_append_n(v->handle, NULL, count), want,
                           "gort_slice_append_n(NULL)");
        if (want == GORT_OK)
            model_append(r, slot, r->values.model, count);
        return;
    }
    if (too_long(v, n))
        return;
    const void *values = batch_encode(&r->values, v->kind, n);
    int want = length_status(v, n);
    fuzz_expect_status(&r->ctx, gort_slice_append_n(v->handle, values, n), want,
                       "gort_slice_append_n");
    batch_scrub(&r->values, n);
    if (want == GORT_OK)
        model_append(r, slot, r->values.model, n);
}

static void op_append_n(slice_run *r)
{
    append_values(r, 16);
}

static void op_append_bulk(slice_run *r)
{
    append_values(r, MAX_VALUES - 1);
}

/* append_slice: dst slot, src slot (may be dst itself or share its array). */
static void op_append_slice(slice_run *r)
{
    int dst_slot, src_slot;
    view *dst = take_view(r, &dst_slot), *src = take_view(r, &src_slot);
    if (!dst || !src)
        return;
    if (dst->kind != src->kind) {
        fuzz_expect_status(&r->ctx, gort_slice_append_slice(dst->handle, src->handle),
                           GORT_ETYPE, "gort_slice_append_slice");
        return;
    }
    size_t n = src->len;
    if (too_long(dst, n))
        return;
    snapshot(r, src, 0, n);
    int want = length_status(dst, n);
    fuzz_expect_status(&r->ctx, gort_slice_append_slice(dst->handle, src->handle), want,
                       "gort_slice_append_slice");
    if (want == GORT_OK)
        model_append(r, dst_slot, r->scratch, n);
}

/* append_n with values that live in a slice's own backing array (memmove semantics):
 * dst slot, src slot, first index, count. */
static void op_append_from_data(slice_run *r)
{
    int dst_slot, src_slot;
    view *dst = take_view(r, &dst_slot), *src = take_view(r, &src_slot);
    uint8_t first = fuzz_u8(&r->in), count = fuzz_u8(&r->in);
    if (!dst || !src || dst->kind != src->kind || src->len == 0)
        return;
    size_t lo = first % src->len, n = count % (src->len - lo + 1);
    if (too_long(dst, n))
        return;
    const char *values = (const char *)gort_slice_data(src->handle) + lo * kind_size(src->kind);
    snapshot(r, src, lo, n);
    int want = length_status(dst, n);
    fuzz_expect_status(&r->ctx, gort_slice_append_n(dst->handle, values, n), want,
                       "gort_slice_append_n(own data)");
    if (want == GORT_OK)
        model_append(r, dst_slot, r->scratch, n);
}

/* set: slot, index (up to len + 1), value seed. */
static void op_set(slice_run *r)
{
    int slot;
    view *v = take_view(r, &slot);
    uint16_t index = fuzz_u16(&r->in);
    batch_from_input(r, 1);
    if (!v)
        return;
    size_t i = index % (v->len + 2);
    const void *value = batch_encode(&r->values, v->kind, 1);
    fuzz_expect_status(&r->ctx, gort_slice_set(v->handle, i, value),
                       i < v->len ? GORT_OK : GORT_ERANGE, "gort_slice_set");
    batch_scrub(&r->values, 1);
    if (i < v->len && v->array)
        v->array->values[v->off + i] = r->values.model[0];
    touched(v);
}

/* get: slot, index (up to len + 1). */
static void op_get(slice_run *r)
{
    int slot;
    view *v = take_view(r, &slot);
    uint16_t index = fuzz_u16(&r->in);
    if (!v)
        return;
    size_t i = index % (v->len + 2);
    char out[sizeof(gort_str)];
    fuzz_expect_status(&r->ctx, gort_slice_get(v->handle, i, out),
                       i < v->len ? GORT_OK : GORT_ERANGE, "gort_slice_get");
    if (i < v->len && v->array && !elem_is(v->kind, out, v->array->values[v->off + i]))
        fuzz_fail(&r->ctx, "slot %d: get(%zu) is not model value %#llx", slot, i,
                  (unsigned long long)v->array->values[v->off + i]);
}

/* The view s[lo:hi:max] of `src`, as Go makes it (a cap-0 result keeps src's address). */
static view subview(const view *src, size_t lo, size_t hi, size_t max)
{
    view sub = *src;
    sub.handle = NULL;
    if (max - lo > 0)
        sub.off += lo;
    sub.len = hi - lo;
    sub.cap = max - lo;
    return sub;
}

/* sub / sub3: dst slot, src slot, bounds (see take_bounds). */
static void sub_op(slice_run *r, bool three_index)
{
    int dst_slot = take_slot(r), src_slot;
    view *src = take_view(r, &src_slot);
    size_t lo, hi, max;
    take_bounds(r, src ? src->cap : 0, &lo, &hi, &max);
    if (!src)
        return;
    if (!three_index)
        max = src->cap;
    gort_slice *s = NULL;
    int want = bounds_status(lo, hi, max, src->cap);
    int got = three_index ? gort_slice_sub3(src->handle, lo, hi, max, &s)
                          : gort_slice_sub(src->handle, lo, hi, &s);
    fuzz_expect_status(&r->ctx, got, want, three_index ? "gort_slice_sub3" : "gort_slice_sub");
    if (want == GORT_OK)
        view_replace(r, dst_slot, s, subview(src, lo, hi, max));
}

static void op_sub(slice_run *r)
{
    sub_op(r, false);
}

static void op_sub3(slice_run *r)
{
    sub_op(r, true);
}

/* reslice: slot, bounds. */
static void op_reslice(slice_run *r)
{
    int slot;
    view *v = take_view(r, &slot);
    size_t lo, hi, max;
    take_bounds(r, v ? v->cap : 0, &lo, &hi, &max);
    if (!v)
        return;
    int want = bounds_status(lo, hi, max, v->cap);
    fuzz_expect_status(&r->ctx, gort_slice_reslice(v->handle, lo, hi, max), want,
                       "gort_slice_reslice");
    if (want == GORT_OK) {
        view handle_kept = subview(v, lo, hi, max);
        handle_kept.handle = v->handle;
        *v = handle_kept; /* same array, same attachment */
        touched(v);
    }
}

/* copy: dst slot, src slot, whether to ask for the count. Overlapping views of one array
 * copy as memmove does. */
static void op_copy(slice_run *r)
{
    int dst_slot, src_slot;
    view *dst = take_view(r, &dst_slot), *src = take_view(r, &src_slot);
    bool want_count = fuzz_u8(&r->in) & 1;
    if (!dst || !src)
        return;
    size_t n = dst->len < src->len ? dst->len : src->len, got = SIZE_MAX;
    int want = dst->kind == src->kind ? GORT_OK : GORT_ETYPE;
    if (want == GORT_OK)
        snapshot(r, src, 0, n);
    fuzz_expect_status(&r->ctx,
                       gort_slice_copy(dst->handle, src->handle, want_count ? &got : NULL),
                       want, "gort_slice_copy");
    if (want != GORT_OK)
        return;
    FUZZ_EXPECT(&r->ctx, !want_count || got == n, "copy reported %zu elements, model %zu", got,
                n);
    if (n && dst->array)
        memcpy(dst->array->values + dst->off, r->scratch, n * sizeof r->scratch[0]);
    touched(dst);
}

/* clone: dst slot, src slot. nil gives nil, empty gives empty, else a fresh array. */
static void op_clone(slice_run *r)
{
    int dst_slot = take_slot(r), src_slot;
    view *src = take_view(r, &src_slot);
    if (!src)
        return;
    gort_slice *s = NULL;
    fuzz_expect_status(&r->ctx, gort_slice_clone(src->handle, &s), GORT_OK, "gort_slice_clone");
    view fresh = {.kind = src->kind, .nil = src->nil};
    if (src->len) { /* append(nil, src...): growth from cap 0 */
        expect_growth(r, &fresh, src->len, gort_slice_cap(s));
        fresh.len = src->len;
        fresh.cap = gort_slice_cap(s);
        if (src->array) {
            fresh.array = array_new(r, fresh.cap);
            memcpy(fresh.array->values, src->array->values + src->off,
                   src->len * sizeof fresh.array->values[0]);
        }
    }
    view_replace(r, dst_slot, s, fresh);
}

/* grow: slot, n (>= 0xF8: an absurd n, GORT_EOVERFLOW except for some zero-size ones). */
static void op_grow(slice_run *r)
{
    int slot;
    view *v = take_view(r, &slot);
    uint8_t n_byte = fuzz_u8(&r->in);
    if (!v)
        return;
    size_t n = n_byte >= 0xF8 ? huge_sizes[n_byte & 7] : n_byte % 200;
    if (too_long(v, n) && n_byte < 0xF8)
        return;
    int want = v->kind == KIND_UNIT || n_byte < 0xF8 ? length_status(v, n) : GORT_EOVERFLOW;
    fuzz_expect_status(&r->ctx, gort_slice_grow(v->handle, n), want, "gort_slice_grow");
    if (want == GORT_OK && v->len + n > v->cap) /* slices.Grow keeps all of [0, cap) */
        model_regrow(r, slot, v->len + n, v->cap, NULL, 0);
}

/* clip: slot. */
static void op_clip(slice_run *r)
{
    int slot;
    view *v = take_view(r, &slot);
    if (!v)
        return;
    fuzz_expect_status(&r->ctx, gort_slice_clip(v->handle), GORT_OK, "gort_slice_clip");
    v->cap = v->len;
    touched(v);
}

/* clear: slot. */
static void op_clear(slice_run *r)
{
    int slot;
    view *v = take_view(r, &slot);
    if (!v)
        return;
    fuzz_expect_status(&r->ctx, gort_slice_clear(v->handle), GORT_OK, "gort_slice_clear");
    if (v->len && v->array)
        memset(v->array->values + v->off, 0, v->len * sizeof v->array->values[0]);
    touched(v);
}

/* free: slot. */
static void op_free(slice_run *r)
{
    view_free(r, take_slot(r));
}

typedef struct slice_op {
    const char *name;
    void (*run)(slice_run *r);
} slice_op;

static const slice_op slice_ops[] = {
    {"make", op_make},
    {"nil", op_nil},
    {"append", op_append},
    {"append_n", op_append_n},
    {"append_bulk", op_append_bulk},
    {"append_slice", op_append_slice},
    {"append_from_data", op_append_from_data},
    {"set", op_set},
    {"get", op_get},
    {"sub", op_sub},
    {"sub3", op_sub3},
    {"reslice", op_reslice},
    {"copy", op_copy},
    {"clone", op_clone},
    {"grow", op_grow},
    {"clip", op_clip},
    {"clear", op_clear},
    {"free", op_free},
};

#define N_SLICE_OPS (sizeof slice_ops / sizeof slice_ops[0])

/* ---- the run ---------------------------------------------------------------------------- */

/* The zero-size element type (Go's struct{}), one per run, and every slot a nil slice:
 * int64 in even slots, str in odd ones. */
static void run_setup(slice_run *r)
{
    gort_type_desc unit = {.struct_size = sizeof unit, .size = 0, .align = 1, .name = "unit"};
    fuzz_expect_status(&r->ctx, gort_type_create(&unit, &r->unit_type), GORT_OK,
                       "gort_type_create");
    for (int slot = 0; slot < SLOTS; slot++) {
        gort_slice *s = NULL;
        fuzz_expect_status(&r->ctx, gort_slice_nil(kind_type(r, slot & 1), r->heap, &s),
                           GORT_OK, "gort_slice_nil");
        r->views[slot] = (view){.handle = s, .kind = slot & 1, .nil = true};
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    slice_run *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->in = (fuzz_input){data, size, 0};
    r->ctx = (fuzz_ctx){"fuzz_slice", 0, "setup"};
    fuzz_heaps heaps;
    fuzz_heaps_open(&heaps, &r->ctx);
    r->heap = heaps.heap;
    int verbose = fuzz_verbose();
    run_setup(r);
    for (; fuzz_more(&r->in) && r->ctx.op < FUZZ_MAX_OPS; r->ctx.op++) {
        const slice_op *op = &slice_ops[fuzz_u8(&r->in) % N_SLICE_OPS];
        r->ctx.op_name = op->name;
        fuzz_trace(&r->ctx, verbose);
        op->run(r);
        check_all(r, r->ctx.op % FULL_CHECK_EVERY == FULL_CHECK_EVERY - 1);
    }
    r->ctx.op_name = "teardown";
    check_all(r, true);
    for (int slot = 0; slot < SLOTS; slot++)
        view_free(r, slot);
    gort_type_release(r->unit_type);
    fuzz_heaps_close(&heaps, &r->ctx);
    if (verbose)
        fprintf(stderr, "fuzz_slice: %zu ops, %zu growths, largest cap %zu\n", r->ctx.op,
                r->growths, r->max_cap);
    free(r);
    return 0;
}

/*
 * Type descriptors: validation, the builtin kinds, hashing and equality, and the value
 * operations (clone, drop, scan) driven by the pointer bitmap.
 *
 * Invariants of every descriptor, checked once at creation so containers never re-check:
 *   - align is a power of two <= 4096, size a multiple of align, size <= 1 GiB;
 *   - every set bitmap bit lies below ptr_words, and ptr_words words fit in size;
 *   - hash/equal are both set or both NULL (NULL: bytewise), likewise retain/release;
 *   - owns_refs == (kind is str) || (has pointer words && hooks are set).
 * Descriptors are immutable after creation; only the reference count changes.
 */
#include "type.h"

#include <stdalign.h>
#include <stddef.h>
#include <string.h>
#include <sys/random.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "heap.h"
#include "internal.h"

#define WORD_BITS 64
#define MAX_ALIGN 4096

/* ---- hashing --------------------------------------------------------------------- */

uint64_t gort__process_hash_key;

/* Reads the per-process key when the library is loaded. getrandom cannot fail for 8
 * bytes once the pool is initialised; the fallback still differs between processes. */
__attribute__((constructor)) static void init_hash_key(void)
{
    uint64_t key;
    if (getrandom(&key, sizeof key, 0) != (ssize_t)sizeof key)
        key = (uint64_t)(uintptr_t)&key ^ XXH3_64bits(&key, sizeof key);
    gort__process_hash_key = key;
}

uint64_t gort__hash_bytes(const void *data, size_t len, uint64_t seed)
{
    return XXH3_64bits_withSeed(data, len, seed ^ gort__process_hash_key);
}

/* Go hashes every NaN randomly, so NaN keys never collide into one entry; maps draw
 * their seeds here too. */
uint64_t gort__random64(void)
{
    static _Thread_local uint64_t state;
    if (!state)
        state = (uint64_t)(uintptr_t)&state; /* each thread starts its own sequence */
    state += 0x9e3779b97f4a7c15u;            /* splitmix64 */
    uint64_t z = state ^ gort__process_hash_key;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t hash_f64(double v, uint64_t seed)
{
    if (v != v)
        return gort__random64();
    if (v == 0)
        v = 0; /* -0 hashes as +0 */
    return gort__hash_bytes(&v, sizeof v, seed);
}

static uint64_t hash_f32(float v, uint64_t seed)
{
    if (v != v)
        return gort__random64();
    if (v == 0)
        v = 0;
    return gort__hash_bytes(&v, sizeof v, seed);
}

uint64_t gort__hash_value(const gort_type *type, const void *value, uint64_t seed)
{
    switch (type->kind) {
    case GORT_KIND_F32: {
        float v;
        memcpy(&v, value, sizeof v);
        return hash_f32(v, seed);
    }
    case GORT_KIND_F64: {
        double v;
        memcpy(&v, value, sizeof v);
        return hash_f64(v, seed);
    }
    case GORT_KIND_STR: {
        const gort_str *s = value;
        return gort__hash_bytes(s->ptr, s->len, seed);
    }
    default:
        if (type->bytewise)
            return gort__hash_bytes(value, type->size, seed);
        return type->hash(value, seed, type->ctx);
    }
}

bool gort__equal_values(const gort_type *type, const void *a, const void *b)
{
    switch (type->kind) {
    case GORT_KIND_F32: {
        float x, y;
        memcpy(&x, a, sizeof x), memcpy(&y, b, sizeof y);
        return x == y;
    }
    case GORT_KIND_F64: {
        double x, y;
        memcpy(&x, a, sizeof x), memcpy(&y, b, sizeof y);
        return x == y;
    }
    case GORT_KIND_STR: {
        const gort_str *x = a, *y = b;
        return x->len == y->len && (x->len == 0 || memcmp(x->ptr, y->ptr, x->len) == 0);
    }
    default:
        if (type->bytewise)
            return memcmp(a, b, type->size) == 0;
        return type->equal(a, b, type->ctx) != 0;
    }
}

/* ---- builtin descriptors --------------------------------------------------------- */

static const uint64_t one_pointer_word[1] = {1};

#define BUILTIN(kind_, ctype, name_)                                                    \
    [kind_] = {.immortal = true, .kind = kind_, .bytewise = true, .comparable = true,     \
               .size = sizeof(ctype), .align = _Alignof(ctype), .name = name_}

static struct gort_type builtins[] = {
    BUILTIN(GORT_KIND_BOOL, _Bool, "bool"),
    BUILTIN(GORT_KIND_I8, int8_t, "int8"),
    BUILTIN(GORT_KIND_I16, int16_t, "int16"),
    BUILTIN(GORT_KIND_I32, int32_t, "int32"),
    BUILTIN(GORT_KIND_I64, int64_t, "int64"),
    BUILTIN(GORT_KIND_U8, uint8_t, "uint8"),
    BUILTIN(GORT_KIND_U16, uint16_t, "uint16"),
    BUILTIN(GORT_KIND_U32, uint32_t, "uint32"),
    BUILTIN(GORT_KIND_U64, uint64_t, "uint64"),
    BUILTIN(GORT_KIND_F32, float, "float32"),
    BUILTIN(GORT_KIND_F64, double, "float64"),
    BUILTIN(GORT_KIND_UINTPTR, uintptr_t, "uintptr"),
    /* A raw pointer: scanned (one pointer word) but never retained or released. */
    [GORT_KIND_PTR] = {.immortal = true, .kind = GORT_KIND_PTR, .bytewise = true,
                       .comparable = true, .has_ptrs = true, .size = sizeof(void *),
                       .align = _Alignof(void *), .ptr_words = 1,
                       .ptr_bitmap = one_pointer_word, .name = "pointer"},
    [GORT_KIND_STR] = {.immortal = true, .kind = GORT_KIND_STR, .comparable = true,
                       .owns_refs = true, .size = sizeof(gort_str),
                       .align = _Alignof(gort_str), .name = "string"},
};

#define BUILTIN_COUNT (sizeof builtins / sizeof builtins[0])

gort_type *gort_type_builtin(int kind)
{
    if (kind <= GORT_KIND_CUSTOM || (size_t)kind >= BUILTIN_COUNT)
        return NULL;
    return &builtins[kind];
}

/* ---- validation and creation ----------------------------------------------------- */

static bool is_power_of_two(size_t n)
{
    return n != 0 && (n & (n - 1)) == 0;
}

static size_t bitmap_words(size_t ptr_words)
{
    return (ptr_words + WORD_BITS - 1) / WORD_BITS;
}

/* Checks the bitmap's fit; reports whether any bit is set. */
static int check_bitmap(const gort_type_desc *desc, bool *has_ptrs)
{
    *has_ptrs = false;
    if (desc->ptr_words == 0)
        return GORT_OK;
    if (!desc->ptr_bitmap || desc->ptr_words > desc->size / sizeof(void *))
        return GORT_EINVAL;
    size_t words = bitmap_words(desc->ptr_words);
    size_t spare_bits = words * WORD_BITS - desc->ptr_words;
    uint64_t last = desc->ptr_bitmap[words - 1];
    if (spare_bits && (last >> (WORD_BITS - spare_bits)) != 0)
        return GORT_EINVAL; /* a bit set past ptr_words */
    for (size_t i = 0; i < words; i++)
        *has_ptrs |= desc->ptr_bitmap[i] != 0;
    if (*has_ptrs && desc->align < sizeof(void *))
        return GORT_EINVAL;
    return GORT_OK;
}

static int validate(const gort_type_desc *desc, bool *has_ptrs)
{
    if (desc->struct_size < sizeof(gort_type_desc))
        return GORT_EINVAL;
    if (!is_power_of_two(desc->align) || desc->align > MAX_ALIGN)
        return GORT_EINVAL;
    if (desc->size > GORT_TYPE_MAX_SIZE)
        return GORT_EOVERFLOW;
    if (desc->size % desc->align != 0)
        return GORT_EINVAL;
    if (!desc->hash != !desc->equal || !desc->retain != !desc->release)
        return GORT_EINVAL;
    if (desc->flags & ~(uint32_t)GORT_TYPE_INCOMPARABLE)
        return GORT_EINVAL;
    if ((desc->flags & GORT_TYPE_INCOMPARABLE) && desc->equal)
        return GORT_EINVAL;
    return check_bitmap(desc, has_ptrs);
}

static char *copy_name(const char *name)
{
    size_t len = strlen(name ? name : "") + 1;
    char *copy = gort__alloc(NULL, len, 1);
    if (copy)
        memcpy(copy, name ? name : "", len);
    return copy;
}

static uint64_t *copy_bitmap(const gort_type_desc *desc)
{
    size_t bytes = bitmap_words(desc->ptr_words) * sizeof(uint64_t);
    uint64_t *copy = gort__alloc(NULL, bytes, _Alignof(uint64_t));
    if (copy)
        memcpy(copy, desc->ptr_bitmap, bytes);
    return copy;
}

static void free_type(gort_type *type)
{
    if (type->ptr_bitmap)
        gort__free(NULL, (void *)type->ptr_bitmap,
                   bitmap_words(type->ptr_words) * sizeof(uint64_t), _Alignof(uint64_t));
    if (type->name)
        gort__free(NULL, (void *)type->name, strlen(type->name) + 1, 1);
    gort__free(NULL, type, sizeof *type, _Alignof(gort_type));
}

static void fill_type(gort_type *type, const gort_type_desc *desc, bool has_ptrs)
{
    type->refs = 1;
    type->kind = GORT_KIND_CUSTOM;
    type->bytewise = desc->equal == NULL;
    type->comparable = !(desc->flags & GORT_TYPE_INCOMPARABLE);
    type->has_ptrs = has_ptrs;
    type->owns_refs = has_ptrs && desc->retain != NULL;
    type->flags = desc->flags;
    type->size = desc->size;
    type->align = desc->align;
    type->hash = desc->hash;
    type->equal = desc->equal;
    type->retain = desc->retain;
    type->release = desc->release;
    type->ctx = desc->ctx;
    type->ptr_words = has_ptrs ? desc->ptr_words : 0;
}

int gort_type_create(const gort_type_desc *desc, gort_type **out)
{
    if (!desc || !out)
        return GORT_EINVAL;
    bool has_ptrs;
    int status = validate(desc, &has_ptrs);
    if (status != GORT_OK)
        return status;
    gort_type *type = gort__alloc_zeroed(NULL, sizeof *type, _Alignof(gort_type));
    if (!type)
        return GORT_ENOMEM;
    fill_type(type, desc, has_ptrs);
    type->name = copy_name(desc->name);
    if (has_ptrs)
        type->ptr_bitmap = copy_bitmap(desc);
    if (!type->name || (has_ptrs && !type->ptr_bitmap)) {
        free_type(type);
        return GORT_ENOMEM;
    }
    *out = type;
    return GORT_OK;
}

gort_type *gort_type_retain(gort_type *type)
{
    if (type && !type->immortal)
        gort__atomic_fetch_add(&type->refs, 1);
    return type;
}

void gort_type_release(gort_type *type)
{
    if (type && !type->immortal && gort__atomic_fetch_sub(&type->refs, 1) == 1)
        free_type(type);
}

/* ---- getters and public hashing -------------------------------------------------- */

size_t gort_type_size(const gort_type *type)
{
    return type ? type->size : 0;
}

size_t gort_type_align(const gort_type *type)
{
    return type ? type->align : 0;
}

int gort_type_kind(const gort_type *type)
{
    return type ? type->kind : GORT_KIND_CUSTOM;
}

const char *gort_type_name(const gort_type *type)
{
    return type ? type->name : "";
}

int gort_type_comparable(const gort_type *type)
{
    return type && type->comparable;
}

int gort__str_check(const gort_str *s)
{
    if (s->len > GORT_MAX_ALLOC)
        return GORT_EOVERFLOW;
    return s->len && !s->ptr ? GORT_EINVAL : GORT_OK;
}

int gort__value_check(const gort_type *type, const void *value)
{
    return type->kind == GORT_KIND_STR ? gort__str_check(value) : GORT_OK;
}

int gort_type_hash(const gort_type *type, const void *value, uint64_t seed, uint64_t *out)
{
    if (!type || !value || !out)
        return GORT_EINVAL;
    if (!type->comparable)
        return GORT_ETYPE;
    int status = gort__value_check(type, value);
    if (status != GORT_OK)
        return status;
    *out = gort__hash_value(type, value, seed);
    return GORT_OK;
}

int gort_type_equal(const gort_type *type, const void *a, const void *b, int *out)
{
    if (!type || !a || !b || !out)
        return GORT_EINVAL;
    if (!type->comparable)
        return GORT_ETYPE;
    int status = gort__value_check(type, a);
    if (status == GORT_OK)
        status = gort__value_check(type, b);
    if (status != GORT_OK)
        return status;
    *out = gort__equal_values(type, a, b);
    return GORT_OK;
}

bool gort__type_same(const gort_type *a, const gort_type *b)
{
    if (a == b)
        return true;
    if (a->kind != b->kind || a->size != b->size || a->align != b->align ||
        a->bytewise != b->bytewise || a->hash != b->hash || a->equal != b->equal ||
        a->retain != b->retain || a->release != b->release || a->ctx != b->ctx ||
        a->flags != b->flags || a->ptr_words != b->ptr_words)
        return false;
    return a->ptr_words == 0 ||
           memcmp(a->ptr_bitmap, b->ptr_bitmap,
                  bitmap_words(a->ptr_words) * sizeof(uint64_t)) == 0;
}

/* ---- value operations ------------------------------------------------------------ */

/* Calls fn on each non-NULL pointer word of one value, in bitmap order. */
static void each_pointer(const gort_type *type, void *value,
                         void (*fn)(void **slot, const gort_type *type, void *arg), void *arg)
{
    void **words = value;
    for (size_t w = 0; w < bitmap_words(type->ptr_words); w++) {
        for (uint64_t bits = type->ptr_bitmap[w]; bits; bits &= bits - 1) {
            void **slot = &words[w * WORD_BITS + (size_t)__builtin_ctzll(bits)];
            if (*slot)
                fn(slot, type, arg);
        }
    }
}

static void retain_slot(void **slot, const gort_type *type, void *arg)
{
    (void)arg;
    type->retain(*slot, type->ctx);
}

static void release_slot(void **slot, const gort_type *type, void *arg)
{
    (void)arg;
    type->release(*slot, type->ctx);
}

struct visit_closure {
    gort_visit_fn visit;
    void *ctx;
};

static void visit_slot(void **slot, const gort_type *type, void *arg)
{
    (void)type;
    struct visit_closure *closure = arg;
    closure->visit(slot, closure->ctx);
}

static void str_free(gort_str *s)
{
    if (s->len)
        gort__free(NULL, (void *)s->ptr, s->len, 1);
}

/* String bytes always live in the default heap: a received string outlives the channel
 * (and heap) it came through, and gort_value_drop needs no heap to free it. */
static int str_clone(gort_str *dst, const gort_str *src)
{
    if (src->len == 0) {
        dst->ptr = NULL, dst->len = 0;
        return GORT_OK;
    }
    int status = gort__str_check(src);
    if (status != GORT_OK)
        return status;
    char *bytes = gort__alloc(NULL, src->len, 1);
    if (!bytes)
        return GORT_ENOMEM;
    memcpy(bytes, src->ptr, src->len);
    dst->ptr = bytes, dst->len = src->len;
    return GORT_OK;
}

static int strs_clone(gort_str *dst, const gort_str *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int status = str_clone(&dst[i], &src[i]);
        if (status != GORT_OK) {
            for (size_t j = 0; j < i; j++)
                str_free(&dst[j]);
            return status;
        }
    }
    return GORT_OK;
}

int gort__values_clone(const gort_type *type, void *dst, const void *src, size_t n)
{
    if (n == 0)
        return GORT_OK; /* src may be NULL then */
    if (type->kind == GORT_KIND_STR)
        return strs_clone(dst, src, n);
    memcpy(dst, src, n * type->size);
    if (type->owns_refs) {
        for (size_t i = 0; i < n; i++)
            each_pointer(type, (char *)dst + i * type->size, retain_slot, NULL);
    }
    return GORT_OK;
}

int gort__values_replace(const gort_type *type, gort_heap *heap, void *dst,
                         const void *src, size_t n)
{
    if (!type->owns_refs) {
        memmove(dst, src, n * type->size);
        return GORT_OK;
    }
    size_t bytes = n * type->size;
    alignas(max_align_t) char small[256]; /* sets and short appends allocate nothing */
    void *taken = bytes <= sizeof small && type->align <= alignof(max_align_t)
                      ? small
                      : gort__alloc(heap, bytes, type->align);
    if (!taken)
        return GORT_ENOMEM;
    int status = gort__values_clone(type, taken, src, n);
    if (status == GORT_OK) {
        gort__values_drop(type, dst, n);
        memcpy(dst, taken, bytes);
    }
    if (taken != small)
        gort__free(heap, taken, bytes, type->align);
    return status;
}

void gort__values_retain(const gort_type *type, const void *base, size_t n)
{
    if (!type->owns_refs || type->kind == GORT_KIND_STR)
        return;
    for (size_t i = 0; i < n; i++)
        each_pointer(type, (char *)base + i * type->size, retain_slot, NULL);
}

void gort__values_drop(const gort_type *type, void *base, size_t n)
{
    if (!type->owns_refs)
        return;
    for (size_t i = 0; i < n; i++) {
        void *value = (char *)base + i * type->size;
        if (type->kind == GORT_KIND_STR)
            str_free(value);
        else
            each_pointer(type, value, release_slot, NULL);
    }
}

void gort__values_scan(const gort_type *type, void *base, size_t n, gort_visit_fn visit,
                       void *ctx)
{
    if (!type->has_ptrs)
        return;
    struct visit_closure closure = {visit, ctx};
    for (size_t i = 0; i < n; i++)
        each_pointer(type, (char *)base + i * type->size, visit_slot, &closure);
}

void gort_value_drop(const gort_type *type, void *value)
{
    if (!type || !value)
        return;
    gort__values_drop(type, value, 1);
    memset(value, 0, type->size);
}

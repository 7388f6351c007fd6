/*
 * The bad-input table's runner: every exported function called with NULL and invalid
 * arguments (the rows come from bad_calls.c, generated from src/libgort.map and the
 * headers by gen_bad_calls.py, so a new function cannot be left out).
 *
 * For each row it builds a fresh set of fixtures (bad_input.h), makes the one call, and
 * checks what docs/errors.md promises for misuse:
 *   - the documented outcome (the exact status, or the getter's answer for NULL);
 *   - "On error the object is unchanged": every fixture object compared with its state
 *     before the call (slices: len, cap, data pointer, backing bytes, the whole array;
 *     maps: len, every entry, an iteration's count; channels: len, cap, closed and the
 *     buffered values in order, which can be drained because the fixture is discarded
 *     right after; iterators: still produce every entry); tracked reference counts
 *     exactly as they were; no visitor or abort hook called;
 *   - "No function writes an out-parameter unless it returns GORT_OK": the caller's
 *     out-buffers byte-for-byte as they were, and input buffers never written;
 *   - no allocation left behind: after the fixtures are released, the private heap
 *     holds no block, the default heap as many as before, and every tracked retain has
 *     its release.
 * Rows the header declares legitimate (a NULL heap, a NULL value to send) are checked for
 * their documented result and for leaks; the fixture comparisons are skipped for those
 * that change a fixture by design (sending a zero value).
 *
 * usage: test_bad_input MANIFEST   (the manifest is read again for a coverage check)
 * Set BAD_INPUT_TRACE=1 to print each call before it is made (to name a crashing one).
 */
#include <stdlib.h>

#include "bad_input.h"
#include "../fixtures.h"

_Static_assert(sizeof(tracked) == sizeof(tracked_words), "tracked_words mirrors tracked");

/* Static, not on the stack: an iterator records its own address. */
static bad_fixtures fx;

/* The byte every out-buffer is filled with before a call. */
#define SENTINEL 0xa5

/* ---- fixture contents ------------------------------------------------------------------- */

static const int64_t s_i64_values[] = {10, 20, 30}; /* cap 4 */
static const int64_t s_i64_src_values[] = {40, 50};
static const char *const s_str_values[] = {"alpha", "beta"};
static const uint64_t m_u64_keys[] = {1, 2, 3}, m_u64_values[] = {100, 200, 300};
static const char *const m_str_keys[] = {"alpha", "beta"};
static const int64_t c_buf_values[] = {7, 8}; /* cap 4 */
static const char c_str_value[] = "delta";    /* cap 2 */

/* Tracked values and the objects they reference (fixtures.h's obj(i)). */
static tracked s_tracked_value(size_t i)
{
    static const int first[] = {0, 2, -1}, second[] = {1, -1, 3};
    return track(first[i], 100 + i, second[i]);
}

static tracked m_str_value(size_t i)
{
    return track(4 + 2 * (int)i, 200 + i, 5 + 2 * (int)i);
}

static tracked c_closed_value(void)
{
    return track(8, 300, 9);
}

/* ---- building the fixtures -------------------------------------------------------------- */

static void must(int status, const char *what)
{
    if (status != GORT_OK) {
        printf("Bail out! fixture %s: %s\n", what, gort_strerror(status));
        exit(1);
    }
}

static gort_slice *make_slice(gort_type *type, size_t cap, const void *values, size_t n)
{
    gort_slice *s = NULL;
    must(gort_slice_make(type, 0, cap, fx.heap, &s), "gort_slice_make");
    must(gort_slice_append_n(s, values, n), "gort_slice_append_n");
    return s;
}

static gort_type *make_type(size_t size, size_t align, uint32_t flags)
{
    gort_type_desc desc = {
        .struct_size = sizeof desc, .size = size, .align = align, .flags = flags};
    gort_type *type = NULL;
    must(gort_type_create(&desc, &type), "gort_type_create");
    return type;
}

static void create_types(void)
{
    fx.t_i64 = gort_type_builtin(GORT_KIND_I64);
    fx.t_u64 = gort_type_builtin(GORT_KIND_U64);
    fx.t_str = gort_type_builtin(GORT_KIND_STR);
    fx.t_tracked = tracked_type(); /* resets the tracked counters */
    fx.t_incomparable = make_type(8, 8, GORT_TYPE_INCOMPARABLE);
    fx.t_empty = make_type(0, 1, 0);
    fx.desc = tracked_desc(tracked_retain, tracked_release, &tracked_state, "bad-input");
    fx.desc_sz0 = fx.desc;
    fx.desc_sz0.struct_size = 0;
    fx.desc_sz1 = fx.desc;
    fx.desc_sz1.struct_size = 1;
}

static void create_slices(void)
{
    gort_str strs[2] = {str_of(s_str_values[0]), str_of(s_str_values[1])};
    tracked values[3] = {s_tracked_value(0), s_tracked_value(1), s_tracked_value(2)};
    fx.s_i64 = make_slice(fx.t_i64, 4, s_i64_values, 3);
    fx.s_i64_src = make_slice(fx.t_i64, 2, s_i64_src_values, 2);
    fx.s_str = make_slice(fx.t_str, 2, strs, 2);
    fx.s_tracked = make_slice(fx.t_tracked, 3, values, 3);
}

static void create_maps(void)
{
    must(gort_map_create(fx.t_u64, fx.t_u64, 0, fx.heap, &fx.m_u64), "gort_map_create");
    for (size_t i = 0; i < 3; i++)
        must(gort_map_set(fx.m_u64, &m_u64_keys[i], &m_u64_values[i]), "gort_map_set");
    must(gort_map_create(fx.t_str, fx.t_tracked, 0, fx.heap, &fx.m_str), "gort_map_create");
    for (size_t i = 0; i < 2; i++) {
        gort_str key = str_of(m_str_keys[i]);
        tracked value = m_str_value(i);
        must(gort_map_set(fx.m_str, &key, &value), "gort_map_set");
    }
}

static void create_chans(void)
{
    tracked value = c_closed_value();
    must(gort_chan_create(fx.t_i64, 4, fx.heap, &fx.c_buf), "gort_chan_create");
    for (size_t i = 0; i < 2; i++)
        must(gort_chan_try_send(fx.c_buf, &c_buf_values[i]), "gort_chan_try_send");
    must(gort_chan_create(fx.t_i64, 0, fx.heap, &fx.c_unbuf), "gort_chan_create");
    must(gort_chan_create(fx.t_tracked, 2, fx.heap, &fx.c_closed), "gort_chan_create");
    must(gort_chan_try_send(fx.c_closed, &value), "gort_chan_try_send");
    must(gort_chan_close(fx.c_closed), "gort_chan_close");
    gort_str text = str_of(c_str_value);
    must(gort_chan_create(fx.t_str, 2, fx.heap, &fx.c_str), "gort_chan_create");
    must(gort_chan_try_send(fx.c_str, &text), "gort_chan_try_send");
}

static void create_iterators(void)
{
    must(gort_map_iter_init(fx.m_u64, &fx.it), "gort_map_iter_init");
    memset(&fx.it_zero, 0, sizeof fx.it_zero);
    must(gort_map_iter_init(fx.m_u64, &fx.it_done), "gort_map_iter_init");
    while (gort_map_iter_next(&fx.it_done, NULL, NULL) == 1)
        ;
    must(gort_map_iter_init(fx.m_u64, &fx.it_finished), "gort_map_iter_init");
    gort_map_iter_finish(&fx.it_finished);
    must(gort_map_iter_init(fx.m_u64, &fx.it_orig), "gort_map_iter_init");
    memcpy(&fx.it_copy, &fx.it_orig, sizeof fx.it_copy);
}

static void create_cases(void)
{
    const gort_select_case ready = {fx.c_buf, GORT_SELECT_RECV, 0, &fx.out.elem};
    fx.cases[0] = ready;
    fx.cases_nil_chan[0] = ready;
    fx.cases_nil_chan[0].chan = NULL;
    fx.cases_op_zero[0] = ready;
    fx.cases_op_zero[0].op = 0;
    fx.cases_op_max[0] = ready;
    fx.cases_op_max[0].op = UINT32_MAX;
    fx.cases_reserved[0] = ready;
    fx.cases_reserved[0].reserved = 1;
    fx.cases_send_null_str[0] =
        (gort_select_case){fx.c_str, GORT_SELECT_SEND, 0, &fx.in.str_null_bytes};
}

/* Caller memory: inputs with valid values, outputs filled with the sentinel. */
static void fill_caller_memory(void)
{
    tracked value = track(10, 400, 11), owned = track(12, 500, -1);
    tracked values[2] = {track(13, 600, 14), track(-1, 601, 15)};
    fx.in = (bad_inputs){.word = 42, .key = 2, .words = {60, 61}};
    memcpy(&fx.in.value, &value, sizeof value);
    memcpy(fx.in.values, values, sizeof values);
    fx.in.str = str_of("gamma");
    fx.in.str_null_bytes = (gort_str){NULL, 3};
    fx.in.str_too_long = (gort_str){"x", (size_t)GORT_MAX_ALLOC + 1};
    fx.in.strs_null_second[0] = fx.in.str;
    fx.in.strs_null_second[1] = fx.in.str_null_bytes;
    fx.in.strs_long_second[0] = fx.in.str;
    fx.in.strs_long_second[1] = fx.in.str_too_long;
    fx.in.strs_present_null_second[0] = str_of(m_str_keys[0]);
    fx.in.strs_present_null_second[1] = fx.in.str_null_bytes;
    fx.in.strs_present_long_second[0] = str_of(m_str_keys[0]);
    fx.in.strs_present_long_second[1] = fx.in.str_too_long;
    memset(&fx.out, SENTINEL, sizeof fx.out);
    memcpy(&fx.out.owned, &owned, sizeof owned);
    fx.out.heap_stats.struct_size = sizeof fx.out.heap_stats;
    fx.out.heap_stats_sz0.struct_size = 0;
    fx.out.heap_stats_sz1.struct_size = 1;
    fx.out.map_stats.struct_size = sizeof fx.out.map_stats;
    fx.out.map_stats_sz0.struct_size = 0;
    fx.out.map_stats_sz1.struct_size = 1;
}

static void fixtures_create(void)
{
    must(gort_heap_create(&fx.empty_heap), "gort_heap_create");
    fill_caller_memory();
    create_types();
    create_slices();
    create_maps();
    create_chans();
    create_iterators();
    create_cases();
}

/* ---- snapshots of the fixtures ---------------------------------------------------------- */

typedef struct slice_print {
    size_t len, cap, backing;
    void *data;
    gort_type *type;
    int nil;
    unsigned char array[128]; /* elements [0, cap) */
} slice_print;

typedef struct fixture_prints {
    slice_print s_i64, s_i64_src, s_str, s_tracked;
    int refs[TRACKED_OBJECTS];
    long retains, releases;
    uint64_t heap_blocks, default_blocks;
    bad_inputs in;
    bad_outs out;
} fixture_prints;

static slice_print print_slice(const gort_slice *s)
{
    slice_print p = {.len = gort_slice_len(s),
                     .cap = gort_slice_cap(s),
                     .backing = gort_slice_backing_bytes(s),
                     .data = gort_slice_data(s),
                     .type = gort_slice_type(s),
                     .nil = gort_slice_is_nil(s)};
    size_t bytes = p.cap * gort_type_size(p.type);
    if (!CHECK_TRUE(bytes <= sizeof p.array))
        bytes = sizeof p.array;
    if (p.data)
        memcpy(p.array, p.data, bytes);
    return p;
}

static void take_prints(fixture_prints *p)
{
    p->s_i64 = print_slice(fx.s_i64);
    p->s_i64_src = print_slice(fx.s_i64_src);
    p->s_str = print_slice(fx.s_str);
    p->s_tracked = print_slice(fx.s_tracked);
    memcpy(p->refs, tracked_state.refs, sizeof p->refs);
    p->retains = tracked_state.retains;
    p->releases = tracked_state.releases;
    p->heap_blocks = live_blocks(fx.heap);
    p->default_blocks = live_blocks(NULL);
    /* memcpy, not assignment: padding bytes must be copied too, for memcmp */
    memcpy(&p->in, &fx.in, sizeof p->in);
    memcpy(&p->out, &fx.out, sizeof p->out);
}

/* ---- checking that nothing changed ------------------------------------------------------ */

static void check_slice(const char *name, const gort_slice *s, const slice_print *before)
{
    slice_print now = print_slice(s);
    size_t bytes = now.cap * gort_type_size(now.type);
    bool same = CHECK_EQ_SIZE(now.len, before->len);
    same &= CHECK_EQ_SIZE(now.cap, before->cap);
    same &= CHECK_EQ_PTR(now.data, before->data);
    same &= CHECK_EQ_PTR(now.type, before->type);
    same &= CHECK_EQ_SIZE(now.backing, before->backing);
    same &= CHECK_EQ_INT(now.nil, before->nil);
    same &= CHECK_EQ_MEM(now.array, before->array,
                         bytes < sizeof now.array ? bytes : sizeof now.array);
    if (!same)
        printf("#   slice fixture %s changed\n", name);
}

static void check_slice_strings(void)
{
    for (size_t i = 0; i < 2; i++) {
        gort_str got = {NULL, 0};
        if (CHECK_OK(gort_slice_get(fx.s_str, i, &got)) &&
            CHECK_EQ_SIZE(got.len, strlen(s_str_values[i])))
            CHECK_EQ_MEM(got.ptr, s_str_values[i], got.len);
    }
}

static size_t count_entries(gort_map_iter *it)
{
    size_t n = 0;
    int step;
    while ((step = gort_map_iter_next(it, NULL, NULL)) == 1)
        n++;
    CHECK_EQ_INT(step, 0);
    return n;
}

static size_t map_entries(gort_map *m)
{
    gort_map_iter it;
    if (!CHECK_OK(gort_map_iter_init(m, &it)))
        return 0;
    return count_entries(&it);
}

static void check_map_u64(void)
{
    CHECK_EQ_SIZE(gort_map_len(fx.m_u64), 3);
    CHECK_EQ_PTR(gort_map_key_type(fx.m_u64), fx.t_u64);
    CHECK_EQ_PTR(gort_map_value_type(fx.m_u64), fx.t_u64);
    for (size_t i = 0; i < 3; i++) {
        uint64_t value = 0;
        int found = 0;
        CHECK_OK(gort_map_get(fx.m_u64, &m_u64_keys[i], &value, &found));
        CHECK_EQ_INT(found, 1);
        CHECK_EQ_U64(value, m_u64_values[i]);
    }
    CHECK_EQ_SIZE(map_entries(fx.m_u64), 3);
}

static void check_map_str(void)
{
    CHECK_EQ_SIZE(gort_map_len(fx.m_str), 2);
    for (size_t i = 0; i < 2; i++) {
        gort_str key = str_of(m_str_keys[i]);
        tracked value = {0}, want = m_str_value(i);
        int found = 0;
        CHECK_OK(gort_map_get(fx.m_str, &key, &value, &found));
        CHECK_EQ_INT(found, 1);
        CHECK_EQ_MEM(&value, &want, sizeof value);
    }
    CHECK_EQ_SIZE(map_entries(fx.m_str), 2);
}

/* Receives everything buffered (the fixture is released right after, so draining is
 * harmless) and compares it with `want`; then the channel must be empty, or closed. */
static void check_chan_i64(gort_chan *c, const int64_t *want, size_t n, size_t cap)
{
    CHECK_EQ_SIZE(gort_chan_len(c), n);
    CHECK_EQ_SIZE(gort_chan_cap(c), cap);
    CHECK_EQ_INT(gort_chan_is_closed(c), 0);
    CHECK_EQ_PTR(gort_chan_elem_type(c), fx.t_i64);
    for (size_t i = 0; i < n; i++) {
        int64_t got = -1;
        int ok = -1;
        CHECK_OK(gort_chan_try_recv(c, &got, &ok));
        CHECK_EQ_INT(ok, 1);
        CHECK_EQ_INT(got, want[i]);
    }
    int64_t extra = 0;
    CHECK_STATUS(gort_chan_try_recv(c, &extra, NULL), GORT_EAGAIN);
}

static void check_chan_closed(void)
{
    tracked got = {0}, want = c_closed_value();
    int ok = -1;
    CHECK_EQ_SIZE(gort_chan_len(fx.c_closed), 1);
    CHECK_EQ_SIZE(gort_chan_cap(fx.c_closed), 2);
    CHECK_EQ_INT(gort_chan_is_closed(fx.c_closed), 1);
    CHECK_OK(gort_chan_try_recv(fx.c_closed, &got, &ok));
    CHECK_EQ_INT(ok, 1);
    CHECK_EQ_MEM(&got, &want, sizeof got);
    gort_value_drop(fx.t_tracked, &got); /* received: ours to drop */
    CHECK_OK(gort_chan_try_recv(fx.c_closed, &got, &ok));
    CHECK_EQ_INT(ok, 0);
}

static void check_chan_str(void)
{
    gort_str got = {NULL, 0};
    int ok = -1;
    CHECK_EQ_SIZE(gort_chan_len(fx.c_str), 1);
    CHECK_EQ_INT(gort_chan_is_closed(fx.c_str), 0);
    CHECK_OK(gort_chan_try_recv(fx.c_str, &got, &ok));
    if (CHECK_EQ_INT(ok, 1) && CHECK_EQ_SIZE(got.len, strlen(c_str_value)))
        CHECK_EQ_MEM(got.ptr, c_str_value, got.len);
    gort_value_drop(fx.t_str, &got); /* received: ours to drop */
    CHECK_STATUS(gort_chan_try_recv(fx.c_str, &got, &ok), GORT_EAGAIN);
}

/* Names the fields of bad_outs/bad_inputs a call wrote. */
/* clang-format off */
#define FIELD(type, name) {#name, offsetof(type, name), sizeof(((type *)0)->name)}
/* clang-format on */
typedef struct field_span {
    const char *name;
    size_t offset, size;
} field_span;

static const field_span out_fields[] = {
    FIELD(bad_outs, slice),          FIELD(bad_outs, map),
    FIELD(bad_outs, chan),           FIELD(bad_outs, type),
    FIELD(bad_outs, heap),           FIELD(bad_outs, elem),
    FIELD(bad_outs, owned),          FIELD(bad_outs, int_out),
    FIELD(bad_outs, size_out),       FIELD(bad_outs, u64_out),
    FIELD(bad_outs, ptr_out),        FIELD(bad_outs, keys),
    FIELD(bad_outs, values),         FIELD(bad_outs, found),
    FIELD(bad_outs, iter),           FIELD(bad_outs, heap_stats),
    FIELD(bad_outs, heap_stats_sz0), FIELD(bad_outs, heap_stats_sz1),
    FIELD(bad_outs, map_stats),      FIELD(bad_outs, map_stats_sz0),
    FIELD(bad_outs, map_stats_sz1),
};

static const field_span in_fields[] = {
    FIELD(bad_inputs, word),
    FIELD(bad_inputs, key),
    FIELD(bad_inputs, words),
    FIELD(bad_inputs, value),
    FIELD(bad_inputs, str),
    FIELD(bad_inputs, str_null_bytes),
    FIELD(bad_inputs, str_too_long),
    FIELD(bad_inputs, strs_null_second),
    FIELD(bad_inputs, strs_long_second),
    FIELD(bad_inputs, strs_present_null_second),
    FIELD(bad_inputs, strs_present_long_second),
    FIELD(bad_inputs, values),
};

static void check_memory(const char *what, const void *now, const void *before, size_t size,
                         const field_span *fields, size_t n_fields)
{
    if (memcmp(now, before, size) == 0)
        return;
    bool named = false;
    for (size_t i = 0; i < n_fields; i++) {
        const char *a = (const char *)now + fields[i].offset;
        const char *b = (const char *)before + fields[i].offset;
        if (memcmp(a, b, fields[i].size) != 0) {
            printf("#   the call wrote %s.%s\n", what, fields[i].name);
            named = true;
        }
    }
    if (!named)
        printf("#   the call wrote padding in %s\n", what);
    CHECK_TRUE(!"caller memory unchanged");
}

static void check_tracked_refs(const fixture_prints *before)
{
    for (int i = 0; i < TRACKED_OBJECTS; i++)
        if (!CHECK_EQ_INT(refs(i), before->refs[i]))
            printf("#   references on tracked object %d changed\n", i);
    /* Net, not per hook: a send that fails may retain and then release (chan.h: "Retain
     * hooks run before any lock is taken (and release hooks if the send then fails)"). */
    CHECK_EQ_INT(tracked_state.retains - tracked_state.releases,
                 before->retains - before->releases);
    CHECK_EQ_INT(tracked_state.errors, 0);
}

/* Everything a failed (or no-op) call must have left alone. */
static void check_unchanged(const bad_call *c, const fixture_prints *before, bool wrote_outs)
{
    check_memory("inputs", &fx.in, &before->in, sizeof fx.in, in_fields,
                 HARNESS_COUNT(in_fields));
    if (!wrote_outs)
        check_memory("outs", &fx.out, &before->out, sizeof fx.out, out_fields,
                     HARNESS_COUNT(out_fields));
    if (c->mutates)
        return;
    check_tracked_refs(before);
    if (c->kind != BAD_ROW_LEGIT) {
        CHECK_EQ_U64(live_blocks(fx.heap), before->heap_blocks);
        CHECK_EQ_U64(live_blocks(NULL), before->default_blocks);
    }
    check_slice("s_i64", fx.s_i64, &before->s_i64);
    check_slice("s_i64_src", fx.s_i64_src, &before->s_i64_src);
    check_slice("s_str", fx.s_str, &before->s_str);
    check_slice("s_tracked", fx.s_tracked, &before->s_tracked);
    check_slice_strings();
    check_map_u64();
    check_map_str();
    CHECK_EQ_SIZE(count_entries(&fx.it), 3);
    CHECK_EQ_SIZE(count_entries(&fx.it_orig), 3);
    check_chan_i64(fx.c_buf, c_buf_values, 2, 4);
    check_chan_i64(fx.c_unbuf, NULL, 0, 0);
    check_chan_closed();
    check_chan_str();
}

/* ---- the outcome ------------------------------------------------------------------------ */

static long visits, aborts;

void bad_visit(void **slot, void *ctx)
{
    (void)slot;
    (void)ctx;
    visits++;
}

void bad_abort_hook(const char *message, void *ctx)
{
    (void)ctx;
    printf("#   abort hook: %s\n", message);
    aborts++;
}

/* "GORT_ERANGE" from "GORT_ERANGE: index or size out of range"; the number otherwise. */
static const char *status_name(long long value, char *buf, size_t size)
{
    const char *text = gort_strerror((int)value);
    const char *colon = strchr(text, ':');
    if (value <= 0 && value >= INT_MIN && strncmp(text, "GORT_", 5) == 0 && colon)
        snprintf(buf, size, "%.*s", (int)(colon - text), text);
    else
        snprintf(buf, size, "%lld", value);
    return buf;
}

static bool string_allowed(const char *got, const char *allowed)
{
    if (!allowed)
        return true;
    size_t len = strlen(got);
    for (const char *p = allowed;; p = strchr(p, '|') + 1) {
        const char *end = strchr(p, '|');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && strncmp(p, got, n) == 0)
            return true;
        if (!end)
            return false;
    }
}

/* Checks the result; describes it in `buf` for the TAP line. */
static bool check_result(const bad_call *c, const bad_result *r, char *buf, size_t size)
{
    bool held = false;
    switch (c->expect) {
    case BAD_EXPECT_STATUS:
        for (int i = 0; i < c->n_codes; i++)
            held |= r->value == c->codes[i];
        status_name(r->value, buf, size);
        break;
    case BAD_EXPECT_VALUE:
        held = r->value == c->value;
        snprintf(buf, size, "%lld", r->value);
        break;
    case BAD_EXPECT_NULL:
    case BAD_EXPECT_NONNULL:
        held = (r->ptr == NULL) == (c->expect == BAD_EXPECT_NULL);
        snprintf(buf, size, "%s", r->ptr ? "non-NULL" : "NULL");
        break;
    case BAD_EXPECT_STRING:
        held = r->ptr && string_allowed(r->ptr, c->strings);
        snprintf(buf, size, "\"%s\"", r->ptr ? (const char *)r->ptr : "(NULL)");
        break;
    case BAD_EXPECT_VOID:
        held = true;
        snprintf(buf, size, "returns");
        break;
    }
    return held;
}

static void report_expected(const bad_call *c)
{
    char name[32];
    printf("#   expected:");
    if (c->expect == BAD_EXPECT_STATUS)
        for (int i = 0; i < c->n_codes; i++)
            printf(" %s", status_name(c->codes[i], name, sizeof name));
    else if (c->expect == BAD_EXPECT_VALUE)
        printf(" %lld", c->value);
    else if (c->expect == BAD_EXPECT_STRING)
        printf(" a string%s%s", c->strings ? " among " : "", c->strings ? c->strings : "");
    else
        printf(" %s", c->expect == BAD_EXPECT_NULL ? "NULL" : "non-NULL");
    printf("\n");
    if (c->reason)
        printf("#   because %s\n", c->reason);
}

/* Whether the call succeeded as documented (then it may write its out-parameters). */
static bool legit_success(const bad_call *c, const bad_result *r)
{
    if (c->kind != BAD_ROW_LEGIT && c->kind != BAD_ROW_PLAIN)
        return false;
    return c->expect != BAD_EXPECT_STATUS || r->value >= 0;
}

/* ---- teardown --------------------------------------------------------------------------- */

static bool is_sentinel(const void *p)
{
    void *sentinel;
    memset(&sentinel, SENTINEL, sizeof sentinel);
    return p == sentinel;
}

/* Objects a call created through the out-buffers (legitimately or not). */
static void release_outs(void)
{
    if (fx.out.slice && !is_sentinel(fx.out.slice))
        gort_slice_free(fx.out.slice);
    if (fx.out.map && !is_sentinel(fx.out.map))
        gort_map_release(fx.out.map);
    if (fx.out.chan && !is_sentinel(fx.out.chan))
        gort_chan_release(fx.out.chan);
    if (fx.out.type && !is_sentinel(fx.out.type))
        gort_type_release(fx.out.type);
    if (fx.out.heap && !is_sentinel(fx.out.heap))
        CHECK_OK(gort_heap_destroy(fx.out.heap, 0));
    gort_map_iter_finish(&fx.out.iter); /* a no-op unless a call initialised it */
}

static void fixtures_release(void)
{
    gort_map_iter_finish(&fx.it);
    gort_map_iter_finish(&fx.it_done);
    gort_map_iter_finish(&fx.it_finished);
    gort_map_iter_finish(&fx.it_orig);
    gort_slice_free(fx.s_i64);
    gort_slice_free(fx.s_i64_src);
    gort_slice_free(fx.s_str);
    gort_slice_free(fx.s_tracked);
    gort_map_release(fx.m_u64);
    gort_map_release(fx.m_str);
    gort_chan_release(fx.c_buf);
    gort_chan_release(fx.c_unbuf);
    gort_chan_release(fx.c_closed);
    gort_chan_release(fx.c_str);
    gort_type_release(fx.t_tracked);
    gort_type_release(fx.t_incomparable);
    gort_type_release(fx.t_empty);
    if (fx.empty_heap)
        CHECK_OK(gort_heap_destroy(fx.empty_heap, 0));
}

/* ---- one row ---------------------------------------------------------------------------- */

/* The outcome and everything the call must have left alone; `got` describes the result. */
static void check_call(const bad_call *c, const bad_result *r, const fixture_prints *before,
                       char *got, size_t size)
{
    bool held = check_result(c, r, got, size);
    if (!CHECK_TRUE(held))
        report_expected(c);
    if (!fx.heap) {
        printf("Bail out! %s(%s) destroyed the busy fixture heap\n", c->function, c->args);
        exit(1);
    }
    check_unchanged(c, before, held && legit_success(c, r));
    CHECK_EQ_INT(visits, 0);
    CHECK_EQ_INT(aborts, 0);
}

/* After the fixtures and whatever the call created are released: nothing left over. */
static void check_released(uint64_t default_baseline)
{
    CHECK_EQ_U64(live_blocks(fx.heap), 0);
    CHECK_EQ_U64(live_blocks(NULL), default_baseline);
    if (!CHECK_TRUE(tracked_balanced()))
        printf("#   retains %ld, releases %ld, hook errors %ld\n", tracked_state.retains,
               tracked_state.releases, tracked_state.errors);
}

static bool run_row(size_t number, const bad_call *c)
{
    fixture_prints before;
    bad_result r = {0, NULL};
    char got[96];
    uint64_t default_baseline = live_blocks(NULL);
    harness_failed_checks = 0;
    visits = aborts = 0;
    fixtures_create();
    take_prints(&before);
    if (getenv("BAD_INPUT_TRACE"))
        printf("# calling %zu: %s(%s)\n", number, c->function, c->args);
    c->call(&fx, &r);
    check_call(c, &r, &before, got, sizeof got);
    release_outs();
    fixtures_release();
    check_released(default_baseline);
    bool ok = harness_failed_checks == 0;
    printf("%s %zu - %s(%s) -> %s%s\n", ok ? "ok" : "not ok", number, c->function, c->args, got,
           c->kind == BAD_ROW_LEGIT ? " (legitimate)" : "");
    return ok;
}

/* ---- manifest coverage ------------------------------------------------------------------ */

static char *read_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof chunk, file)) > 0) {
        if (len + n + 1 > cap) {
            char *bigger = realloc(text, cap = 2 * (len + n + 1));
            if (!bigger)
                break;
            text = bigger;
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(file);
    if (text)
        text[len] = '\0';
    return text;
}

static void blank_comments(char *text)
{
    for (char *open = strstr(text, "/*"); open; open = strstr(open, "/*")) {
        char *close = strstr(open + 2, "*/");
        char *end = close ? close + 2 : open + strlen(open);
        memset(open, ' ', (size_t)(end - open));
        open = end;
    }
}

static bool table_has(const char *name, size_t len)
{
    for (size_t i = 0; i < bad_calls_count; i++)
        if (strlen(bad_calls[i].function) == len &&
            strncmp(bad_calls[i].function, name, len) == 0)
            return true;
    return false;
}

/* Every lower-case gort_ name in the manifest (node names are GORT_x.y) has a row. */
static bool check_manifest(size_t number, const char *path)
{
    harness_failed_checks = 0;
    char *text = path ? read_file(path) : NULL;
    size_t names = 0;
    if (!CHECK_TRUE(text != NULL)) {
        printf("#   cannot read the manifest '%s' (pass its path as the argument)\n",
               path ? path : "(none)");
    } else {
        blank_comments(text);
        for (char *p = strstr(text, "gort_"); p; p = strstr(p, "gort_")) {
            size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
            if (p == text || !strchr("abcdefghijklmnopqrstuvwxyz0123456789_", p[-1])) {
                names++;
                if (!CHECK_TRUE(table_has(p, len)))
                    printf("#   %.*s is in the manifest but has no bad-input row\n", (int)len,
                           p);
            }
            p += len;
        }
        CHECK_EQ_SIZE(names, bad_manifest_count);
    }
    free(text);
    bool ok = harness_failed_checks == 0;
    printf("%s %zu - manifest coverage: %zu functions in %s, each with a row\n",
           ok ? "ok" : "not ok", number, names, path ? path : "(none)");
    return ok;
}

/* ---- main ------------------------------------------------------------------------------- */

static size_t distinct_functions(void)
{
    size_t n = 0;
    for (size_t i = 0; i < bad_calls_count; i++)
        n += i == 0 || strcmp(bad_calls[i].function, bad_calls[i - 1].function) != 0;
    return n;
}

static bool check_heap_destroyed(size_t number)
{
    harness_failed_checks = 0;
    CHECK_EQ_U64(live_objects(fx.heap), 0);
    CHECK_OK(gort_heap_destroy(fx.heap, 0));
    bool ok = harness_failed_checks == 0;
    printf("%s %zu - every fixture released: the private heap is empty and destroyed\n",
           ok ? "ok" : "not ok", number);
    return ok;
}

int main(int argc, char **argv)
{
    size_t failed = 0, number = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("1..%zu\n", bad_calls_count + 2);
    failed += !check_manifest(++number, argc > 1 ? argv[1] : NULL);
    must(gort_heap_create(&fx.heap), "gort_heap_create");
    for (size_t i = 0; i < bad_calls_count; i++)
        failed += !run_row(++number, &bad_calls[i]);
    failed += !check_heap_destroyed(++number);
    printf("# bad-input calls made: %zu over %zu functions\n", bad_calls_count,
           distinct_functions());
    if (failed)
        printf("# %zu of %zu tests failed\n", failed, number);
    return failed ? 1 : 0;
}

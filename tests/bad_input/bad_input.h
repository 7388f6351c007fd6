/*
 * The bad-input table's shared vocabulary: what the generated bad_calls.c (written at
 * build time by gen_bad_calls.py from src/libgort.map and the headers) and the hand-
 * written runner test_bad_input.c agree on.
 *
 * A row of the table is one call of one exported function with one bad argument (or all
 * of them at once, or a NULL the header declares legitimate), every other argument
 * valid, and the outcome the header documents. The generated code only knows the names
 * below: the runner builds a fresh set of fixtures before every call, hands them to the
 * row's call function, and then checks the outcome, that every fixture object is
 * unchanged, that no caller memory was written on error, and that nothing leaked.
 *
 * Invariant: every argument a row passes is either one of these fixtures, a constant,
 * or a pointer into bad_inputs/bad_outs, so whatever a call writes lands somewhere the
 * runner compares against a snapshot.
 */
#ifndef GORT_TEST_BAD_INPUT_H
#define GORT_TEST_BAD_INPUT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gort.h"

/* Capacity of the key and value arrays handed to gort_map_iter_next_n (and, as bytes
 * and flags, to gort_map_get_n). */
#define BAD_BATCH 8

/* Most status codes one row accepts (an all-bad call: any of its bad arguments' codes). */
#define BAD_MAX_CODES 4

/* The layout of fixtures.h's `tracked` {first, tag, second}, which this header cannot
 * include: fixtures.h defines functions and must be included by one file only. */
typedef struct tracked_words {
    void *first;
    uint64_t tag;
    void *second;
} tracked_words;

/* Memory the caller passes in for libgort to read. No function may write it. */
typedef struct bad_inputs {
    int64_t word;                 /* a valid element value (slices, channels) */
    uint64_t key;                 /* a key present in m_u64 */
    int64_t words[2];             /* gort_slice_append_n's values */
    tracked_words value;          /* a tracked element value (not referenced by anyone) */
    gort_str str;                 /* a valid string value */
    gort_str str_null_bytes;      /* len > 0 with ptr == NULL: GORT_EINVAL */
    gort_str str_too_long;        /* len > GORT_MAX_ALLOC: GORT_EOVERFLOW */
    gort_str strs_null_second[2]; /* {valid, str_null_bytes}: a bulk copy failing midway */
    gort_str strs_long_second[2]; /* {valid, str_too_long} */
    /* The same with a first key m_str holds ("alpha"), which a batch that checks every
     * key first must neither overwrite nor delete. */
    gort_str strs_present_null_second[2];
    gort_str strs_present_long_second[2];
    tracked_words values[2]; /* gort_map_set_n's values for m_str (not referenced by anyone) */
} bad_inputs;

/* An element-sized out-buffer large enough for every fixture's element type. */
typedef union bad_elem {
    int64_t word;
    gort_str str;
    tracked_words value;
    unsigned char bytes[32];
} bad_elem;

/*
 * Memory the caller passes for libgort to write. The runner fills it with a sentinel
 * byte before each call (struct_size fields excepted) and, unless the call legitimately
 * succeeded, requires it byte-for-byte unchanged afterwards: docs/errors.md, "No function
 * writes an out-parameter unless it returns GORT_OK".
 */
typedef struct bad_outs {
    gort_slice *slice;
    gort_map *map;
    gort_chan *chan;
    gort_type *type;
    gort_heap *heap;
    bad_elem elem;       /* void *out, value_out */
    tracked_words owned; /* a value the caller owns, for gort_value_drop */
    int int_out;         /* found, ok, recv_ok, equal, fd */
    size_t size_out;     /* n_out, chosen */
    uint64_t u64_out;    /* hash */
    void *ptr_out;       /* gort_map_get_ptr */
    const void *keys[BAD_BATCH];
    void *values[BAD_BATCH];
    int found[BAD_BATCH]; /* gort_map_get_n's found_out */
    gort_map_iter iter;   /* gort_map_iter_init's iterator */
    gort_heap_stats heap_stats, heap_stats_sz0, heap_stats_sz1;
    gort_map_stats map_stats, map_stats_sz0, map_stats_sz1;
} bad_outs;

/*
 * One fresh set of valid objects per call. Every handle's content is fixed (see
 * fixtures_create in test_bad_input.c) so the runner can tell when a call changed one.
 */
typedef struct bad_fixtures {
    gort_heap *heap;       /* private: every fixture container lives here */
    gort_heap *empty_heap; /* private and empty: gort_heap_destroy's valid argument */
    gort_type *t_i64, *t_u64, *t_str;        /* builtins */
    gort_type *t_tracked;                    /* fixtures.h's counting type */
    gort_type *t_incomparable;               /* 8 bytes, GORT_TYPE_INCOMPARABLE */
    gort_type *t_empty;                      /* size 0 (Go's struct{}) */
    gort_slice *s_i64;                       /* {10, 20, 30}, cap 4 */
    gort_slice *s_i64_src;                   /* {40, 50}, cap 2 */
    gort_slice *s_str;                       /* {"alpha", "beta"} */
    gort_slice *s_tracked;                   /* three tracked values holding references */
    gort_map *m_u64;                         /* {1: 100, 2: 200, 3: 300} */
    gort_map *m_str;                         /* {"alpha": tracked, "beta": tracked} */
    gort_chan *c_buf;                        /* int64, cap 4, holding 7 and 8 */
    gort_chan *c_unbuf;                      /* int64, unbuffered, open */
    gort_chan *c_closed;                     /* tracked, cap 2, one value buffered, closed */
    gort_chan *c_str;                        /* str, cap 2, holding "delta" */
    gort_map_iter it;                        /* initialised over m_u64, nothing produced yet */
    gort_map_iter it_zero;                   /* zeroed, never initialised */
    gort_map_iter it_done;                   /* run to its end over m_u64 */
    gort_map_iter it_finished;               /* initialised, then gort_map_iter_finish */
    gort_map_iter it_orig;                   /* initialised over m_u64; it_copy is its copy */
    gort_map_iter it_copy;                   /* a byte copy of it_orig */
    gort_type_desc desc;                     /* a valid descriptor (tracked's layout) */
    gort_type_desc desc_sz0, desc_sz1;       /* desc with struct_size 0 and 1 */
    gort_select_case cases[1];               /* a ready receive from c_buf into out.elem */
    gort_select_case cases_nil_chan[1];      /* a receive from a NULL channel */
    gort_select_case cases_op_zero[1];       /* op 0 */
    gort_select_case cases_op_max[1];        /* op UINT32_MAX */
    gort_select_case cases_reserved[1];      /* reserved != 0 */
    gort_select_case cases_send_null_str[1]; /* a send of in.str_null_bytes to c_str */
    bad_inputs in;
    bad_outs out;
} bad_fixtures;

/* What a call returned: `value` for integer results, `ptr` for pointer results. */
typedef struct bad_result {
    long long value;
    const void *ptr;
} bad_result;

typedef enum bad_expect {
    BAD_EXPECT_STATUS,  /* an int/int64_t status: one of codes[0..n_codes) */
    BAD_EXPECT_VALUE,   /* a getter: exactly `value` */
    BAD_EXPECT_NULL,    /* a pointer getter: NULL */
    BAD_EXPECT_NONNULL, /* a pointer: not NULL */
    BAD_EXPECT_STRING, /* const char *: not NULL, and one of `strings` ('|'-separated) if set */
    BAD_EXPECT_VOID    /* returns, and changes nothing */
} bad_expect;

typedef enum bad_row_kind {
    BAD_ROW_ONE,   /* one bad argument, every other valid */
    BAD_ROW_ALL,   /* every argument that has a bad value takes its first */
    BAD_ROW_EXTRA, /* a semantic bad call the argument types cannot express */
    BAD_ROW_LEGIT, /* a NULL or extreme value the header declares legitimate */
    BAD_ROW_PLAIN  /* a function without parameters: its documented result */
} bad_row_kind;

typedef struct bad_call {
    const char *function; /* as in the manifest */
    const char *args;     /* "i=SIZE_MAX": what makes the call bad */
    bad_row_kind kind;
    void (*call)(bad_fixtures *f, bad_result *r);
    bad_expect expect;
    int n_codes;
    int codes[BAD_MAX_CODES];
    long long value;
    const char *strings;
    bool mutates;       /* a legitimate success that changes fixtures or out-buffers */
    const char *reason; /* why this expectation, quoting the header (or NULL) */
} bad_call;

/* The generated table and the manifest the generator read. */
extern const bad_call bad_calls[];
extern const size_t bad_calls_count;
extern const char *const bad_manifest_functions[];
extern const size_t bad_manifest_count;

/* Valid function-pointer arguments, provided by the runner: they count their calls, and a
 * bad call must never reach them. */
void bad_visit(void **slot, void *ctx);
void bad_abort_hook(const char *message, void *ctx);

#endif /* GORT_TEST_BAD_INPUT_H */

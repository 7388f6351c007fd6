/*
 * _gort_speedups — the optional C accelerator of the Python package `gort`.
 *
 * What the files share. The module never links libgort: the Python side has already
 * loaded the one libgort of the process (gort/_lib.py) and hands over, at import, the
 * addresses of the few functions the accelerator calls (gpy_lib). Their types come from
 * the public header through __typeof__, so a changed signature fails to compile here.
 *
 * Files and prefixes (everything here is internal to the module):
 *   module.c  the module: init (the function table), install (the Chan methods)
 *   refs.c    gpy_refs_*   the `object` type's hooks, the deferred-release queue, the
 *                          exceptions kept from __hash__/__eq__
 *   codec.c   gpy_codec_*  Python value <-> element bytes, per element kind
 *   chan.c    gpy_chan_*   send, try_send, recv, try_recv and iteration of gort.Chan
 *
 * Threads: every function here runs with the GIL held, except the libgort hooks in
 * refs.c, which may run on any thread (one that released the GIL, or a C thread).
 */
#ifndef GORT_PY_SPEEDUPS_H
#define GORT_PY_SPEEDUPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <gort.h>

/* ---- libgort, through the addresses gort/_lib.py gives (module.c) ---- */

typedef struct gpy_lib {
    __typeof__(gort_chan_try_send) *chan_try_send;
    __typeof__(gort_chan_send_timeout) *chan_send_timeout;
    __typeof__(gort_chan_try_recv) *chan_try_recv;
    __typeof__(gort_chan_recv_timeout) *chan_recv_timeout;
    __typeof__(gort_chan_retain) *chan_retain;
    __typeof__(gort_chan_release) *chan_release;
    __typeof__(gort_value_drop) *value_drop;
} gpy_lib;

/* Filled once by init(); every pointer is non-NULL afterwards. */
extern gpy_lib gpy;

/* ---- the object type's hooks (refs.c) ---- */

/* Module state of refs.c: the `pending` object and the hook addresses. -1 on error. */
int gpy_refs_setup(PyObject *module);

/* Drops the references libgort released (GIL held). Cheap when none are queued. */
void gpy_refs_drain(void);

/*
 * A send of a Python object pays its retain in advance: gpy_refs_prepay takes the
 * reference the channel will own (GIL held) and marks it for this thread, so the retain
 * hook, which libgort runs inside the send, consumes it without touching the GIL — the
 * send may then release the GIL. gpy_refs_settle (GIL held) drops the reference if
 * libgort did not take it (the send failed before staging the value).
 */
void gpy_refs_prepay(PyObject *object);
void gpy_refs_settle(void);

/* ---- element conversion (codec.c) ---- */

typedef enum gpy_kind {
    GPY_BOOL,
    GPY_I8,
    GPY_I16,
    GPY_I32,
    GPY_I64,
    GPY_U8,
    GPY_U16,
    GPY_U32,
    GPY_U64,
    GPY_F32,
    GPY_F64,
    GPY_BYTES,
    GPY_STR,
    GPY_OBJECT
} gpy_kind;

/* One element value, as libgort stores it (the largest is a gort_str). */
typedef union gpy_elem {
    uint8_t b;
    int8_t i8;
    int16_t i16;
    int32_t i32;
    int64_t i64;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    float f32;
    double f64;
    gort_str str;
    PyObject *object;
} gpy_elem;

/* How a gort.Type crosses: a Python object (_gort_speedups.Codec) per element type. */
/* clang-format does not know Python's macros */
/* clang-format off */
typedef struct gpy_codec {
    PyObject_HEAD
    gpy_kind kind;
    gort_type *type; /* the descriptor (for gort_value_drop); outlives the codec */
    char name[16];   /* the type's name in error messages, as the ctypes path spells it */
} gpy_codec;
/* clang-format on */

extern PyTypeObject gpy_codec_type;

/*
 * An encoded argument: `elem` is what libgort copies from; `keep` (or NULL) owns the
 * bytes a str or bytes element points into, until gpy_encoded_done.
 */
typedef struct gpy_encoded {
    gpy_elem elem;
    PyObject *keep;
} gpy_encoded;

/* Encodes `value` for `codec` (raises TypeError / OverflowError like the ctypes path):
 * 0, or -1 with an exception set. An object element borrows `value`. */
int gpy_codec_encode(const gpy_codec *codec, PyObject *value, gpy_encoded *out);

static inline void gpy_encoded_done(gpy_encoded *encoded)
{
    Py_CLEAR(encoded->keep);
}

/* The Python value of an element libgort handed over owned (a receive): takes it over,
 * so the element is consumed even when this fails (NULL with an exception). */
PyObject *gpy_codec_take(const gpy_codec *codec, gpy_elem *elem);

/* ---- channels (chan.c) ---- */

/* Puts send, try_send, recv, try_recv and __iter__ on `chan_class` (gort.Chan). */
int gpy_chan_install(PyObject *chan_class, PyObject *channel_closed);

/* The identity of the thread whose waits are cut into slices (Python's main thread). */
void gpy_chan_set_main_thread(unsigned long ident);

/* Module state of chan.c: the iterator type. -1 on error. */
int gpy_chan_setup(PyObject *module);

#endif /* GORT_PY_SPEEDUPS_H */

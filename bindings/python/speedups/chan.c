/*
 * gort.Chan's hot paths in C: send, try_send, recv, try_recv and iteration, installed
 * on the Python class as method descriptors (like methods of a C type), in place of the
 * ctypes versions in gort/_chan.py, whose behaviour they keep:
 *
 *   - every operation first tries without blocking, with the GIL held: the common case
 *     on a busy channel is one C call and no GIL traffic;
 *   - a wait takes a channel reference of its own (a concurrent release() cannot free
 *     the channel under it) and releases the GIL around gort_chan_send_timeout /
 *     gort_chan_recv_timeout; on the main thread it waits in 0.1 s slices and checks
 *     for signals between them, so Ctrl-C raises KeyboardInterrupt;
 *   - failures raise what Chan._failed builds (the same exceptions and messages), and a
 *     receive from a closed, drained channel raises ChannelClosed("<op>: channel closed");
 *   - references libgort released during the call are dropped before returning.
 *
 * Why a call and a release() on another thread cannot interleave: the handle is read
 * from the Chan (its `_h` slot, a ctypes c_void_p that release() sets to NULL) with the
 * GIL held, after the value was converted (conversion may run Python code), and the
 * non-blocking call that uses it keeps the GIL — the object hooks it may run never give
 * the GIL away (a prepaid retain, a queued release). Only a wait releases the GIL, and
 * it holds its own reference.
 */
#include "speedups.h"

#include <math.h>
#include <structmember.h>
#include <time.h>

enum { SLICE_NS = 100 * 1000 * 1000 }; /* main-thread waits: signals seen within 0.1 s */

/* Set by gpy_chan_install: where gort.Chan keeps its handle (`_h`, from Handle) and its
 * element codec (`_codec`), read as CPython reads __slots__; and gort.ChannelClosed. */
static Py_ssize_t handle_offset = -1, codec_offset = -1;
static PyObject *channel_closed;
static unsigned long main_thread_ident;
static PyObject *zero; /* the int 0, for `timeout != 0` */

void gpy_chan_set_main_thread(unsigned long ident)
{
    main_thread_ident = ident;
}

/* ---- reading a Chan --------------------------------------------------------------- */

static PyObject *slot_of(PyObject *self, Py_ssize_t offset)
{
    return *(PyObject **)((char *)self + offset);
}

static const gpy_codec *codec_of(PyObject *self)
{
    PyObject *codec = slot_of(self, codec_offset);
    if (!codec || !Py_IS_TYPE(codec, &gpy_codec_type)) {
        PyErr_SetString(PyExc_ValueError, "gort.Chan is not initialised");
        return NULL;
    }
    return (const gpy_codec *)codec;
}

/* The C handle in self._h (NULL once released): 0, or -1 with an exception. */
static int handle_of(PyObject *self, gort_chan **out)
{
    PyObject *cell = slot_of(self, handle_offset);
    *out = NULL;
    if (!cell)
        return 0;
    Py_buffer view;
    if (PyObject_GetBuffer(cell, &view, PyBUF_SIMPLE) < 0)
        return -1;
    int ok = view.len == (Py_ssize_t)sizeof *out;
    if (ok)
        memcpy(out, view.buf, sizeof *out);
    PyBuffer_Release(&view);
    if (!ok)
        PyErr_SetString(PyExc_TypeError, "gort.Chan._h is not a c_void_p");
    return ok ? 0 : -1;
}

/* A reference of our own for a GIL-releasing wait; ValueError once released. */
static gort_chan *hold(PyObject *self)
{
    gort_chan *handle;
    if (handle_of(self, &handle) < 0)
        return NULL;
    gort_chan *ref = gpy.chan_retain(handle);
    if (!ref)
        PyErr_SetString(PyExc_ValueError, "Chan used after release");
    return ref;
}

/* ---- errors ----------------------------------------------------------------------- */

/* Raises self._failed(status, what): the exception the ctypes path raises. */
static void raise_failed(PyObject *self, int status, const char *what)
{
    PyObject *exc = PyObject_CallMethod(self, "_failed", "is", status, what);
    if (!exc)
        return;
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
}

static void raise_closed(const char *what)
{
    PyErr_Format(channel_closed, "%s: channel closed", what);
}

/* ---- timeouts and waiting --------------------------------------------------------- */

/* Python's `timeout != 0`: 1, 0, or -1 with an exception. */
static int wants_to_wait(PyObject *timeout)
{
    if (timeout == Py_None)
        return 1;
    return PyObject_RichCompareBool(timeout, zero, Py_NE);
}

static int bad_timeout(PyObject *timeout)
{
    PyErr_Format(PyExc_ValueError, "timeout must be a number of seconds or None, not %R",
                 timeout);
    return -1;
}

/* Seconds (None: for ever) to nanoseconds, -1 for ever, as _chan._timeout_ns. */
static int timeout_ns_of(PyObject *timeout, int64_t *out)
{
    *out = -1;
    if (timeout == Py_None)
        return 0;
    if (!PyLong_Check(timeout) && !PyFloat_Check(timeout))
        return bad_timeout(timeout);
    double seconds = PyFloat_AsDouble(timeout);
    if (seconds == -1.0 && PyErr_Occurred())
        return -1;
    if (isnan(seconds))
        return bad_timeout(timeout);
    double ns = seconds * 1e9;
    if (isinf(ns)) {
        PyErr_SetString(PyExc_OverflowError, "cannot convert float infinity to integer");
        return -1;
    }
    *out = ns <= 0 ? 0 : ns >= 9.2e18 ? INT64_MAX : (int64_t)ns;
    return 0;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One operation: a send of *elem or a receive into *elem; `chan` is the reference a
 * wait holds (set by wait_held). */
typedef struct wait_op {
    gort_chan *chan;
    const gpy_codec *codec;
    gpy_elem *elem;
    int is_send;
    int ok; /* a receive's ok */
} wait_op;

/* One call that waits at most timeout_ns with the GIL released (held on entry and
 * exit). A sent object's retain is prepaid, so the hook needs no GIL. */
/* clang-format does not know Python's macros */
/* clang-format off */
static int wait_once(wait_op *op, int64_t timeout_ns)
{
    int status;
    if (!op->is_send) {
        Py_BEGIN_ALLOW_THREADS
        status = gpy.chan_recv_timeout(op->chan, op->elem, &op->ok, timeout_ns);
        Py_END_ALLOW_THREADS
        return status;
    }
    int prepay = op->codec->kind == GPY_OBJECT;
    if (prepay)
        gpy_refs_prepay(op->elem->object);
    Py_BEGIN_ALLOW_THREADS
    status = gpy.chan_send_timeout(op->chan, op->elem, timeout_ns);
    Py_END_ALLOW_THREADS
    if (prepay)
        gpy_refs_settle();
    return status;
}
/* clang-format on */

/* The deadline of a main-thread wait, -1 for none (for ever, or too far to matter). */
static int64_t deadline_after(int64_t timeout_ns)
{
    int64_t now = now_ns();
    return timeout_ns < 0 || timeout_ns > INT64_MAX - now ? -1 : now + timeout_ns;
}

/*
 * Waits at most timeout_ns (-1: for ever) and stores the call's status: 0, or -1 when a
 * signal handler raised (KeyboardInterrupt) between two slices. Off the main thread one
 * call does it; on the main thread, slices of 0.1 s: a slice that times out has no
 * effect, so cutting the wait changes nothing but how soon a signal is seen.
 */
static int wait_for(wait_op *op, int64_t timeout_ns, int *status)
{
    if (PyThread_get_thread_ident() != main_thread_ident) {
        *status = wait_once(op, timeout_ns);
        return 0;
    }
    int64_t deadline = deadline_after(timeout_ns);
    for (;;) {
        int64_t step = SLICE_NS;
        if (deadline >= 0) {
            int64_t left = deadline - now_ns();
            step = left < step ? (left > 0 ? left : 0) : step;
        }
        *status = wait_once(op, step);
        if (*status != GORT_ETIMEDOUT || (deadline >= 0 && now_ns() >= deadline))
            return 0;
        if (PyErr_CheckSignals() < 0)
            return -1;
    }
}

/* Holds the channel, converts the timeout, waits: 0 and *status, or -1. */
static int wait_held(PyObject *self, wait_op *op, PyObject *timeout, int *status)
{
    op->chan = hold(self);
    if (!op->chan)
        return -1;
    int64_t timeout_ns;
    int result = timeout_ns_of(timeout, &timeout_ns);
    if (result == 0)
        result = wait_for(op, timeout_ns, status);
    gpy.chan_release(op->chan);
    return result;
}

/* ---- send ------------------------------------------------------------------------- */

/* gort_chan_try_send with the GIL held (an object's retain prepaid: no GIL round trip). */
static int try_send(const gpy_codec *codec, gort_chan *handle, gpy_elem *elem)
{
    if (codec->kind != GPY_OBJECT)
        return gpy.chan_try_send(handle, elem);
    gpy_refs_prepay(elem->object);
    int status = gpy.chan_try_send(handle, elem);
    gpy_refs_settle();
    return status;
}

/*
 * One send or receive (op, without its channel): first without blocking, then, unless
 * timeout is NULL (try_*) or 0, a wait; then the references libgort released are
 * dropped. 0 with *status (what the ctypes path looked at before raising), or -1 with an
 * exception.
 */
static int op_status(PyObject *self, wait_op *op, PyObject *timeout, int *status)
{
    gort_chan *handle;
    if (handle_of(self, &handle) < 0)
        return -1;
    *status = op->is_send ? try_send(op->codec, handle, op->elem)
                          : gpy.chan_try_recv(handle, op->elem, &op->ok);
    int result = 0;
    if (*status == GORT_EAGAIN && timeout) {
        result = wants_to_wait(timeout);
        if (result > 0)
            result = wait_held(self, op, timeout, status);
    }
    gpy_refs_drain();
    return result;
}

/* Chan.send (timeout given) and Chan.try_send (timeout NULL): 1 sent, 0 would block
 * (try_send only), -1 with an exception. */
static int send(PyObject *self, PyObject *value, PyObject *timeout, const char *what)
{
    const gpy_codec *codec = codec_of(self);
    gpy_encoded encoded;
    if (!codec || gpy_codec_encode(codec, value, &encoded) < 0)
        return -1;
    int status;
    wait_op op = {.codec = codec, .elem = &encoded.elem, .is_send = 1};
    int result = op_status(self, &op, timeout, &status);
    gpy_encoded_done(&encoded);
    if (result < 0)
        return -1;
    if (status == GORT_OK)
        return 1;
    if (status == GORT_EAGAIN && !timeout)
        return 0;
    raise_failed(self, status, what);
    return -1;
}

/* ---- receive ---------------------------------------------------------------------- */

typedef enum received {
    RECEIVED_ERROR = -1,
    RECEIVED_VALUE = 0,
    RECEIVED_CLOSED = 1, /* closed and drained */
    RECEIVED_NOTHING = 2 /* try_recv only: nothing ready */
} received;

/* The value a successful receive left in *elem (taken over), or the channel closed. */
static received take(const gpy_codec *codec, gpy_elem *elem, int ok, PyObject **out)
{
    if (!ok)
        return RECEIVED_CLOSED;
    *out = gpy_codec_take(codec, elem);
    return *out ? RECEIVED_VALUE : RECEIVED_ERROR;
}

/* Chan.recv (timeout given: may wait) and Chan.try_recv (timeout NULL). */
static received receive(PyObject *self, PyObject *timeout, const char *what, PyObject **out)
{
    const gpy_codec *codec = codec_of(self);
    if (!codec)
        return RECEIVED_ERROR;
    gpy_elem elem;
    int status;
    wait_op op = {.codec = codec, .elem = &elem};
    if (op_status(self, &op, timeout, &status) < 0)
        return RECEIVED_ERROR;
    if (status == GORT_OK)
        return take(codec, &elem, op.ok, out);
    if (status == GORT_EAGAIN && !timeout)
        return RECEIVED_NOTHING;
    raise_failed(self, status, what);
    return RECEIVED_ERROR;
}

/* ---- argument parsing (METH_FASTCALL | METH_KEYWORDS) --------------------------- */

/*
 * Python's rules for f(self, names[0], ..., names[n_params - 1]): the first n_required
 * are required, the others default to None; each may be passed by position or keyword.
 */
static int parse_args(const char *function, const char *const *names, int n_required,
                      int n_params, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                      PyObject **out)
{
    if (nargs > n_params) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %d arguments (%zd given)", function,
                     n_params, nargs);
        return -1;
    }
    for (int i = 0; i < n_params; i++)
        out[i] = i < nargs ? args[i] : NULL;
    Py_ssize_t n_keywords = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < n_keywords; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        int i = 0;
        while (i < n_params && PyUnicode_CompareWithASCIIString(key, names[i]) != 0)
            i++;
        if (i == n_params || out[i]) {
            PyErr_Format(PyExc_TypeError, "%s() got %s argument '%U'", function,
                         i == n_params ? "an unexpected keyword" : "multiple values for", key);
            return -1;
        }
        out[i] = args[nargs + k];
    }
    for (int i = 0; i < n_params; i++) {
        if (!out[i] && i < n_required) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", function,
                         names[i]);
            return -1;
        }
        if (!out[i])
            out[i] = Py_None;
    }
    return 0;
}

/* ---- the methods ------------------------------------------------------------------ */

static PyObject *chan_send(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                           PyObject *kwnames)
{
    static const char *const names[] = {"value", "timeout"};
    PyObject *params[2];
    if (parse_args("send", names, 1, 2, args, nargs, kwnames, params) < 0)
        return NULL;
    if (send(self, params[0], params[1], "send") < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *chan_try_send(PyObject *self, PyObject *value)
{
    int sent = send(self, value, NULL, "try_send");
    return sent < 0 ? NULL : PyBool_FromLong(sent);
}

static PyObject *chan_recv(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                           PyObject *kwnames)
{
    static const char *const names[] = {"timeout"};
    PyObject *timeout;
    if (parse_args("recv", names, 0, 1, args, nargs, kwnames, &timeout) < 0)
        return NULL;
    PyObject *value = NULL;
    if (receive(self, timeout, "recv", &value) == RECEIVED_CLOSED)
        raise_closed("recv");
    return value;
}

static PyObject *chan_try_recv(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyObject *value = NULL;
    switch (receive(self, NULL, "try_recv", &value)) {
    case RECEIVED_VALUE:
        return Py_BuildValue("(NO)", value, Py_True);
    case RECEIVED_NOTHING:
        return Py_BuildValue("(OO)", Py_None, Py_False);
    case RECEIVED_CLOSED:
        raise_closed("try_recv");
        return NULL;
    default:
        return NULL;
    }
}

/* ---- iteration: receives until the channel is closed and drained ----------------- */

/* clang-format does not know Python's macros */
/* clang-format off */
typedef struct chan_iter {
    PyObject_HEAD
    PyObject *chan;
} chan_iter;
/* clang-format on */

static PyObject *chan_iter_next(PyObject *self)
{
    PyObject *value = NULL;
    receive(((chan_iter *)self)->chan, Py_None, "recv", &value);
    return value; /* NULL without an exception when closed: StopIteration */
}

static int chan_iter_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(((chan_iter *)self)->chan);
    return 0;
}

static int chan_iter_clear(PyObject *self)
{
    Py_CLEAR(((chan_iter *)self)->chan);
    return 0;
}

static void chan_iter_dealloc(PyObject *self)
{
    PyObject_GC_UnTrack(self);
    chan_iter_clear(self);
    PyObject_GC_Del(self);
}

/* clang-format does not know Python's macros */
/* clang-format off */
static PyTypeObject chan_iter_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_gort_speedups.ChanIterator",
    .tp_basicsize = sizeof(chan_iter),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Receives from a gort.Chan until it is closed and drained.",
    .tp_traverse = chan_iter_traverse,
    .tp_clear = chan_iter_clear,
    .tp_dealloc = chan_iter_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = chan_iter_next,
};
/* clang-format on */

static PyObject *chan_iter_new(PyObject *self, PyObject *unused)
{
    (void)unused;
    chan_iter *it = PyObject_GC_New(chan_iter, &chan_iter_type);
    if (!it)
        return NULL;
    it->chan = Py_NewRef(self);
    PyObject_GC_Track(it);
    return (PyObject *)it;
}

static PyMethodDef chan_methods[] = {
    {"send", (PyCFunction)(void (*)(void))chan_send, METH_FASTCALL | METH_KEYWORDS,
     "send(self, value, timeout=None)\n--\n\n"
     "ch <- value. Raises ChannelClosed, or TimeoutError when `timeout` expires."},
    {"try_send", chan_try_send, METH_O,
     "try_send(self, value)\n--\n\n"
     "Sends without waiting: True if sent, False if it would block."},
    {"recv", (PyCFunction)(void (*)(void))chan_recv, METH_FASTCALL | METH_KEYWORDS,
     "recv(self, timeout=None)\n--\n\n"
     "<-ch. Raises ChannelClosed once closed and drained, or TimeoutError."},
    {"try_recv", chan_try_recv, METH_NOARGS,
     "try_recv(self)\n--\n\n"
     "Receives without waiting: (value, True), or (None, False) if nothing is ready.\n"
     "Raises ChannelClosed once closed and drained."},
    {"__iter__", chan_iter_new, METH_NOARGS,
     "__iter__(self)\n--\n\nReceives until the channel is closed and drained."},
    {NULL, NULL, 0, NULL},
};

/* ---- installation ----------------------------------------------------------------- */

/* The offset of the object slot `name` of `cls` (a __slots__ entry), or -1. */
static Py_ssize_t slot_offset(PyObject *cls, const char *name)
{
    PyObject *descr = PyObject_GetAttrString(cls, name);
    if (!descr)
        return -1;
    Py_ssize_t offset = -1;
    if (Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
        PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
        if (member->type == T_OBJECT_EX)
            offset = member->offset;
    }
    Py_DECREF(descr);
    if (offset < 0)
        PyErr_Format(PyExc_TypeError, "%R.%s is not a __slots__ entry", cls, name);
    return offset;
}

int gpy_chan_install(PyObject *chan_class, PyObject *closed_class)
{
    if (!PyType_Check(chan_class) || !PyExceptionClass_Check(closed_class)) {
        PyErr_SetString(PyExc_TypeError, "install(Chan, ChannelClosed) needs two classes");
        return -1;
    }
    Py_ssize_t handle = slot_offset(chan_class, "_h");
    Py_ssize_t codec = handle < 0 ? -1 : slot_offset(chan_class, "_codec");
    if (codec < 0)
        return -1;
    handle_offset = handle;
    codec_offset = codec;
    Py_XSETREF(channel_closed, Py_NewRef(closed_class));
    for (PyMethodDef *def = chan_methods; def->ml_name; def++) {
        PyObject *descr = PyDescr_NewMethod((PyTypeObject *)chan_class, def);
        int status = descr ? PyObject_SetAttrString(chan_class, def->ml_name, descr) : -1;
        Py_XDECREF(descr);
        if (status < 0)
            return -1;
    }
    return 0;
}

int gpy_chan_setup(PyObject *module)
{
    (void)module;
    zero = PyLong_FromLong(0);
    if (!zero)
        return -1;
    return PyType_Ready(&chan_iter_type);
}

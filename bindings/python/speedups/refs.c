/*
 * The `object` element type's hooks in C: retain, release, hash and equal for values
 * that are PyObject pointers, with the rules gort/_refs.py states for its ctypes
 * callbacks, and results identical to theirs.
 *
 *   retain   takes the GIL (PyGILState_Ensure: right on any thread, including a C thread
 *            and one waiting with the GIL released) and adds a reference — unless the
 *            sending thread paid for it in advance (gpy_refs_prepay), then it only takes
 *            that prepaid reference over, without the GIL.
 *   release  never drops a reference at once: dropping may run __del__, which must not
 *            touch a container libgort is in the middle of changing. The pointer goes on
 *            a queue (under queue_lock, no GIL needed) and gpy_refs_drain drops it once
 *            the C call has returned, on the next call into the binding, or at exit.
 *   hash,    Python's hash() and ==, with the GIL. They cannot raise through C: the
 *   equal    first exception is kept per thread and re-raised by reraise() when the C
 *            call returns. hash mixes hash(x) ^ seed with SplitMix64's finaliser, as
 *            gort/_refs.py does.
 *
 * Invariants: queue_len counts the pointers in queue_items, each owning one reference;
 * both change only under queue_lock. pending_hint mirrors queue_len for lock-free
 * "anything to drain?" checks: a stale read only delays a drain to the next call. The
 * prepaid slot is per thread and is non-empty only between gpy_refs_prepay and
 * gpy_refs_settle on that thread.
 */
#include "speedups.h"

#include <pthread.h>
#include <stdatomic.h>

/* ---- the deferred-release queue ------------------------------------------------- */

enum { QUEUE_FIRST_CAP = 64 };

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static PyObject **queue_items; /* guarded by queue_lock */
static size_t queue_len, queue_cap;
static atomic_size_t pending_hint;

/* Room for one more pointer (queue_lock held). PyMem_Raw* needs no GIL. */
static int queue_reserve(void)
{
    if (queue_len < queue_cap)
        return 0;
    size_t cap = queue_cap ? queue_cap * 2 : QUEUE_FIRST_CAP;
    PyObject **items = PyMem_RawRealloc(queue_items, cap * sizeof *items);
    if (!items)
        return -1;
    queue_items = items;
    queue_cap = cap;
    return 0;
}

static void object_release(void *ptr, void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&queue_lock);
    /* Out of memory, the reference is leaked: dropping it now could run __del__ in the
     * middle of a container change, which is worse than a leak. */
    if (queue_reserve() == 0) {
        queue_items[queue_len++] = ptr;
        atomic_store_explicit(&pending_hint, queue_len, memory_order_relaxed);
    }
    pthread_mutex_unlock(&queue_lock);
}

/* The most recently queued pointer, taken off the queue; NULL when it is empty. */
static PyObject *queue_pop(void)
{
    PyObject *object = NULL;
    pthread_mutex_lock(&queue_lock);
    if (queue_len) {
        object = queue_items[--queue_len];
        atomic_store_explicit(&pending_hint, queue_len, memory_order_relaxed);
    }
    pthread_mutex_unlock(&queue_lock);
    return object;
}

/* Non-zero while released references wait in the queue (a snapshot, no lock). */
static int queue_pending(void)
{
    return atomic_load_explicit(&pending_hint, memory_order_relaxed) != 0;
}

/* fork() while another thread holds queue_lock would leave it locked for ever in the
 * child: hold it across the fork, and release it on both sides. */
static void queue_lock_before_fork(void)
{
    pthread_mutex_lock(&queue_lock);
}

static void queue_unlock_after_fork(void)
{
    pthread_mutex_unlock(&queue_lock);
}

/* One pointer at a time, the lock released before each drop: a __del__ may call into
 * libgort and queue more releases (drained by this same loop), and must not find the
 * lock held. */
void gpy_refs_drain(void)
{
    if (!queue_pending())
        return;
    PyObject *object;
    while ((object = queue_pop()) != NULL)
        Py_DECREF(object);
}

/* ---- retain, and its prepaid form ----------------------------------------------- */

static _Thread_local struct {
    PyObject *object; /* the value being sent by this thread, or NULL */
    int count;        /* prepaid references left for libgort to take (0 or 1) */
} prepaid;

void gpy_refs_prepay(PyObject *object)
{
    Py_INCREF(object);
    prepaid.object = object;
    prepaid.count = 1;
}

void gpy_refs_settle(void)
{
    PyObject *object = prepaid.object;
    int unused = prepaid.count;
    prepaid.object = NULL;
    prepaid.count = 0;
    if (unused)
        Py_DECREF(object); /* never the last reference: the sender holds its own */
}

static void object_retain(void *ptr, void *ctx)
{
    (void)ctx;
    if (ptr == (void *)prepaid.object && prepaid.count > 0) {
        prepaid.count--;
        return;
    }
    PyGILState_STATE gil = PyGILState_Ensure();
    Py_INCREF((PyObject *)ptr);
    PyGILState_Release(gil);
}

/* ---- exceptions from __hash__ and __eq__ ----------------------------------------- */

/* Owned; type NULL when nothing is kept. gort.Map calls reraise() after each get, set
 * and delete on an object-keyed map, so an exception is rarely kept for long. */
static _Thread_local struct {
    PyObject *type, *value, *traceback;
} kept;

/*
 * Takes the current exception off the thread and keeps it for reraise() (the first one
 * only, as gort/_refs.py does). A thread that had no Python thread state before the hook
 * (a C thread) never returns to the binding to re-raise, so its exception is reported as
 * unraisable instead of being kept.
 */
static void keep_exception(int foreign_thread, PyObject *object)
{
    if (foreign_thread) {
        PyErr_WriteUnraisable(object);
        return;
    }
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    if (kept.type) {
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(traceback);
        return;
    }
    kept.type = type;
    kept.value = value;
    kept.traceback = traceback;
}

/* reraise(): raises the exception a hash or == hook kept on this thread, if any. */
static PyObject *refs_reraise(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    if (!kept.type)
        Py_RETURN_NONE;
    PyErr_Restore(kept.type, kept.value, kept.traceback);
    kept.type = kept.value = kept.traceback = NULL;
    return NULL;
}

/* ---- hash and equal ------------------------------------------------------------- */

/* The object stored in a slot, as a new reference; None for NULL (object's zero value). */
static PyObject *object_in(const void *slot)
{
    PyObject *object = *(PyObject *const *)slot;
    return Py_NewRef(object ? object : Py_None);
}

/* SplitMix64's finaliser: Python's hash of an int is the int itself, and a swiss table
 * needs every bit of the hash to depend on every bit of the key. */
static uint64_t mix(uint64_t x)
{
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

static uint64_t object_hash(const void *slot, uint64_t seed, void *ctx)
{
    (void)ctx;
    int foreign = PyGILState_GetThisThreadState() == NULL;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *object = object_in(slot);
    Py_hash_t hash = PyObject_Hash(object);
    uint64_t result = 0;
    if (hash == -1 && PyErr_Occurred())
        keep_exception(foreign, object);
    else
        result = mix((uint64_t)hash ^ seed);
    Py_DECREF(object);
    PyGILState_Release(gil);
    return result;
}

static int object_equal(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    int foreign = PyGILState_GetThisThreadState() == NULL;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *x = object_in(a), *y = object_in(b);
    int equal = PyObject_RichCompareBool(x, y, Py_EQ); /* x is y counts as equal */
    if (equal < 0) {
        keep_exception(foreign, x);
        equal = 0;
    }
    Py_DECREF(x);
    Py_DECREF(y);
    PyGILState_Release(gil);
    return equal;
}

/* ---- the Python-facing part ----------------------------------------------------- */

/* `pending`: true while released references wait to be dropped; gort/_refs.py uses it
 * in place of its list (`if _refs._pending: _refs.drain()`). */
static int pending_bool(PyObject *self)
{
    (void)self;
    return queue_pending();
}

static PyNumberMethods pending_as_number = {.nb_bool = pending_bool};

/* clang-format does not know Python's macros */
/* clang-format off */
static PyTypeObject pending_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_gort_speedups.Pending",
    .tp_basicsize = sizeof(PyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The queue of references libgort released: true while it is not empty.",
    .tp_as_number = &pending_as_number,
};
/* clang-format on */

static PyObject *refs_drain(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    gpy_refs_drain();
    Py_RETURN_NONE;
}

/* object_hooks(): the addresses of hash, equal, retain and release, for the `object`
 * descriptor gort/_types.py creates. */
static PyObject *refs_object_hooks(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return Py_BuildValue("(NNNN)", PyLong_FromVoidPtr((void *)(uintptr_t)object_hash),
                         PyLong_FromVoidPtr((void *)(uintptr_t)object_equal),
                         PyLong_FromVoidPtr((void *)(uintptr_t)object_retain),
                         PyLong_FromVoidPtr((void *)(uintptr_t)object_release));
}

static PyMethodDef refs_functions[] = {
    {"drain", refs_drain, METH_NOARGS,
     "drain()\n--\n\nDrops the references libgort has released."},
    {"reraise", refs_reraise, METH_NOARGS,
     "reraise()\n--\n\nRaises the exception a hash or == hook met on this thread, if any."},
    {"object_hooks", refs_object_hooks, METH_NOARGS,
     "object_hooks()\n--\n\n(hash, equal, retain, release): the hook addresses."},
    {NULL, NULL, 0, NULL},
};

int gpy_refs_setup(PyObject *module)
{
    if (pthread_atfork(queue_lock_before_fork, queue_unlock_after_fork,
                       queue_unlock_after_fork) != 0) {
        PyErr_SetString(PyExc_RuntimeError, "pthread_atfork failed");
        return -1;
    }
    if (PyType_Ready(&pending_type) < 0)
        return -1;
    PyObject *pending = PyObject_New(PyObject, &pending_type);
    if (!pending)
        return -1;
    if (PyModule_AddObject(module, "pending", pending) < 0) {
        Py_DECREF(pending);
        return -1;
    }
    return PyModule_AddFunctions(module, refs_functions);
}

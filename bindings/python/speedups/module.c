/*
 * _gort_speedups: the module object and the table of libgort functions.
 *
 * gort/_accel.py imports this module (unless GORT_PYTHON_PURE=1) and calls, once:
 *   init({name: address for name in FUNCTIONS}, main_thread_ident)
 *   install(gort.Chan, gort.ChannelClosed)
 * The addresses are those of the libgort that gort/_lib.py loaded: this module does not
 * link libgort, so the process holds exactly one copy of the library and of its state
 * (the default heap, the hash key). API_VERSION changes whenever this interface does, so
 * a stale build is refused (the package then stays on its ctypes code).
 */
#include "speedups.h"

#include <stddef.h>

enum { API_VERSION = 1 };

gpy_lib gpy;

static const struct {
    const char *name;
    size_t offset;
} lib_entries[] = {
    {"gort_chan_try_send", offsetof(gpy_lib, chan_try_send)},
    {"gort_chan_send_timeout", offsetof(gpy_lib, chan_send_timeout)},
    {"gort_chan_try_recv", offsetof(gpy_lib, chan_try_recv)},
    {"gort_chan_recv_timeout", offsetof(gpy_lib, chan_recv_timeout)},
    {"gort_chan_retain", offsetof(gpy_lib, chan_retain)},
    {"gort_chan_release", offsetof(gpy_lib, chan_release)},
    {"gort_value_drop", offsetof(gpy_lib, value_drop)},
};

enum { N_LIB_ENTRIES = sizeof lib_entries / sizeof lib_entries[0] };

/* Stores functions[name] (a non-zero address) into the table slot at `offset`. */
static int load_entry(PyObject *functions, const char *name, size_t offset, gpy_lib *table)
{
    PyObject *address = PyDict_GetItemString(functions, name); /* borrowed */
    if (!address || !PyLong_Check(address)) {
        PyErr_Format(PyExc_KeyError, "init: no address for %s", name);
        return -1;
    }
    void *pointer = PyLong_AsVoidPtr(address);
    if (!pointer) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_ValueError, "init: NULL address for %s", name);
        return -1;
    }
    /* POSIX: object and function pointers share a representation (dlsym relies on it). */
    memcpy((char *)table + offset, &pointer, sizeof pointer);
    return 0;
}

/* init(functions, main_thread_ident): the table is replaced only when complete. */
static PyObject *module_init(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *functions;
    unsigned long main_thread;
    if (!PyArg_ParseTuple(args, "O!k:init", &PyDict_Type, &functions, &main_thread))
        return NULL;
    gpy_lib table;
    for (size_t i = 0; i < N_LIB_ENTRIES; i++) {
        if (load_entry(functions, lib_entries[i].name, lib_entries[i].offset, &table) < 0)
            return NULL;
    }
    gpy = table;
    gpy_chan_set_main_thread(main_thread);
    Py_RETURN_NONE;
}

/* set_main_thread(ident): after a fork, the thread that forked is the child's main. */
static PyObject *module_set_main_thread(PyObject *module, PyObject *ident)
{
    (void)module;
    unsigned long value = PyLong_AsUnsignedLong(ident);
    if (value == (unsigned long)-1 && PyErr_Occurred())
        return NULL;
    gpy_chan_set_main_thread(value);
    Py_RETURN_NONE;
}

static PyObject *module_install(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *chan_class, *closed_class;
    if (!PyArg_ParseTuple(args, "OO:install", &chan_class, &closed_class))
        return NULL;
    if (!gpy.chan_try_send) {
        PyErr_SetString(PyExc_RuntimeError, "install() before init()");
        return NULL;
    }
    if (gpy_chan_install(chan_class, closed_class) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *function_names(void)
{
    PyObject *names = PyTuple_New(N_LIB_ENTRIES);
    for (size_t i = 0; names && i < N_LIB_ENTRIES; i++) {
        PyObject *name = PyUnicode_FromString(lib_entries[i].name);
        if (!name) {
            Py_CLEAR(names);
            break;
        }
        PyTuple_SET_ITEM(names, (Py_ssize_t)i, name);
    }
    return names;
}

static PyMethodDef module_functions[] = {
    {"init", module_init, METH_VARARGS,
     "init(functions, main_thread_ident)\n--\n\n"
     "Takes the libgort function addresses (a dict keyed by the names in FUNCTIONS)."},
    {"set_main_thread", module_set_main_thread, METH_O,
     "set_main_thread(ident)\n--\n\nThe thread whose waits are cut into 0.1 s slices."},
    {"install", module_install, METH_VARARGS,
     "install(Chan, ChannelClosed)\n--\n\nPuts the C channel methods on gort.Chan."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_gort_speedups",
    .m_doc = "The C accelerator of the gort package (see gort/_accel.py).",
    .m_size = -1, /* one libgort per process: the state is process-wide */
    .m_methods = module_functions,
};

static int add_constants(PyObject *module)
{
    if (PyType_Ready(&gpy_codec_type) < 0)
        return -1;
    if (PyModule_AddObjectRef(module, "Codec", (PyObject *)&gpy_codec_type) < 0)
        return -1;
    if (PyModule_AddIntConstant(module, "API_VERSION", API_VERSION) < 0)
        return -1;
    PyObject *names = function_names();
    if (!names)
        return -1;
    int status = PyModule_AddObjectRef(module, "FUNCTIONS", names);
    Py_DECREF(names);
    return status;
}

PyMODINIT_FUNC PyInit__gort_speedups(void); /* the one export (-Wmissing-prototypes) */

PyMODINIT_FUNC PyInit__gort_speedups(void)
{
    PyObject *module = PyModule_Create(&module_def);
    if (!module)
        return NULL;
    if (add_constants(module) < 0 || gpy_refs_setup(module) < 0 || gpy_chan_setup(module) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}

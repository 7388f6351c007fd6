/*
 * Element conversion: a Python value to the bytes libgort copies from, and an element a
 * receive handed over back to a Python value. One Codec object per gort.Type says which
 * conversion applies.
 *
 * The rules are the ctypes path's (gort/_types.py), with the same exceptions and
 * messages: ints accept int and objects with __index__ (as struct.pack does), with
 * OverflowError "<v> does not fit in <type>" for an int out of range; floats accept int
 * and float (float32 rounds as a C cast: too large becomes inf); bool only True and False;
 * bytes accepts bytes, bytearray and memoryview; str a str, encoded as UTF-8 with lone
 * surrogates passed through; object anything.
 *
 * No copies on the way in: an ASCII str and an exact bytes object lend their own
 * buffers (libgort copies the bytes during the call). Other strings are encoded into a
 * temporary bytes object the gpy_encoded keeps until the call has returned.
 */
#include "speedups.h"

#include <string.h>

/* ---- errors, worded as gort/_types.py words them ----------------------------------- */

/* TypeError "<name> value must be <expected>, not <type of value>". */
static int type_error(const char *name, const char *expected, PyObject *value)
{
    PyObject *type_name = PyType_GetName(Py_TYPE(value));
    if (!type_name)
        return -1;
    PyErr_Format(PyExc_TypeError, "%s value must be %s, not %U", name, expected, type_name);
    Py_DECREF(type_name);
    return -1;
}

static int overflow_error(const gpy_codec *codec, PyObject *value)
{
    PyErr_Format(PyExc_OverflowError, "%S does not fit in %s", value, codec->name);
    return -1;
}

/* ---- integers -------------------------------------------------------------------- */

static const struct {
    int64_t lo, hi;
} signed_range[] = {
    [GPY_I8] = {INT8_MIN, INT8_MAX},    [GPY_I16] = {INT16_MIN, INT16_MAX},
    [GPY_I32] = {INT32_MIN, INT32_MAX}, [GPY_I64] = {INT64_MIN, INT64_MAX},
    [GPY_U8] = {0, UINT8_MAX},          [GPY_U16] = {0, UINT16_MAX},
    [GPY_U32] = {0, UINT32_MAX},
};

static void store_int(gpy_kind kind, int64_t x, gpy_elem *out)
{
    switch (kind) {
    case GPY_I8:
        out->i8 = (int8_t)x;
        break;
    case GPY_I16:
        out->i16 = (int16_t)x;
        break;
    case GPY_I32:
        out->i32 = (int32_t)x;
        break;
    case GPY_U8:
        out->u8 = (uint8_t)x;
        break;
    case GPY_U16:
        out->u16 = (uint16_t)x;
        break;
    case GPY_U32:
        out->u32 = (uint32_t)x;
        break;
    default:
        out->i64 = x;
        break;
    }
}

/* uint64 beyond INT64_MAX: 1 and the value stored, 0 if it does not fit, -1 on error. */
static int store_big_u64(PyObject *number, gpy_elem *out)
{
    unsigned long long x = PyLong_AsUnsignedLongLong(number);
    if (x == (unsigned long long)-1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError))
            return -1;
        PyErr_Clear();
        return 0;
    }
    out->u64 = x;
    return 1;
}

/* Stores the int `number` if the codec's range holds it: 1, 0 if not, -1 on error. */
static int store_in_range(const gpy_codec *codec, PyObject *number, gpy_elem *out)
{
    int overflow;
    long long x = PyLong_AsLongLongAndOverflow(number, &overflow);
    if (x == -1 && !overflow && PyErr_Occurred())
        return -1;
    if (codec->kind == GPY_U64) {
        if (overflow > 0)
            return store_big_u64(number, out);
        if (overflow < 0 || x < 0)
            return 0;
        out->u64 = (uint64_t)x;
        return 1;
    }
    if (overflow || x < signed_range[codec->kind].lo || x > signed_range[codec->kind].hi)
        return 0;
    store_int(codec->kind, x, out);
    return 1;
}

/* An int, or an object with __index__ (struct.pack's rule, which the ctypes path uses;
 * out of range, such an object gets the ctypes path's TypeError, an int OverflowError). */
static int encode_int(const gpy_codec *codec, PyObject *value, gpy_elem *out)
{
    int is_int = PyLong_Check(value);
    if (!is_int && !PyIndex_Check(value))
        return type_error(codec->name, "an int", value);
    PyObject *number = is_int ? Py_NewRef(value) : PyNumber_Index(value);
    if (!number)
        return -1;
    int fits = store_in_range(codec, number, out);
    Py_DECREF(number);
    if (fits < 0)
        return -1;
    if (!fits)
        return is_int ? overflow_error(codec, value) : type_error(codec->name, "an int", value);
    return 0;
}

/* ---- floats and bool ------------------------------------------------------------- */

static int encode_float(const gpy_codec *codec, PyObject *value, gpy_elem *out)
{
    if (!PyFloat_Check(value) && !PyLong_Check(value))
        return type_error(codec->name, "a float", value);
    double x = PyFloat_AsDouble(value); /* an int too large: OverflowError, as struct */
    if (x == -1.0 && PyErr_Occurred())
        return -1;
    if (codec->kind == GPY_F64) {
        out->f64 = x;
        return 0;
    }
    out->f32 = (float)x; /* struct's native 'f' does the same: beyond float, +-inf */
    return 0;
}

static int encode_bool(PyObject *value, gpy_elem *out)
{
    if (value != Py_True && value != Py_False)
        return type_error("bool", "a bool", value);
    out->b = value == Py_True;
    return 0;
}

/* ---- bytes and str --------------------------------------------------------------- */

/* Points the element at the bytes of `data`, a bytes object kept alive by the caller. */
static void lend_bytes(PyObject *data, gpy_elem *out)
{
    out->str.ptr = PyBytes_AS_STRING(data);
    out->str.len = (size_t)PyBytes_GET_SIZE(data);
}

static int encode_bytes(PyObject *value, gpy_encoded *out)
{
    if (PyBytes_CheckExact(value)) {
        lend_bytes(value, &out->elem); /* the caller's reference keeps it alive */
        return 0;
    }
    if (!PyBytes_Check(value) && !PyByteArray_Check(value) && !PyMemoryView_Check(value))
        return type_error("bytes", "bytes-like", value);
    out->keep = PyObject_Bytes(value); /* bytes(value), as the ctypes path does */
    if (!out->keep)
        return -1;
    lend_bytes(out->keep, &out->elem);
    return 0;
}

static int encode_str(PyObject *value, gpy_encoded *out)
{
    if (!PyUnicode_Check(value))
        return type_error("str", "a str", value);
    if (PyUnicode_READY(value) < 0)
        return -1;
    if (PyUnicode_IS_ASCII(value)) { /* its one-byte form is already UTF-8 */
        out->elem.str.ptr = PyUnicode_DATA(value);
        out->elem.str.len = (size_t)PyUnicode_GET_LENGTH(value);
        return 0;
    }
    out->keep = PyUnicode_AsEncodedString(value, "utf-8", "surrogatepass");
    if (!out->keep)
        return -1;
    lend_bytes(out->keep, &out->elem);
    return 0;
}

int gpy_codec_encode(const gpy_codec *codec, PyObject *value, gpy_encoded *out)
{
    out->keep = NULL;
    switch (codec->kind) {
    case GPY_OBJECT:
        out->elem.object = value;
        return 0;
    case GPY_STR:
        return encode_str(value, out);
    case GPY_BYTES:
        return encode_bytes(value, out);
    case GPY_BOOL:
        return encode_bool(value, &out->elem);
    case GPY_F32:
    case GPY_F64:
        return encode_float(codec, value, &out->elem);
    default:
        return encode_int(codec, value, &out->elem);
    }
}

/* ---- received elements ----------------------------------------------------------- */

/* A received str or bytes element: the Python value, and the element's private copy of
 * the bytes freed whatever happens (a C sender may have sent invalid UTF-8). */
static PyObject *take_string(const gpy_codec *codec, gpy_elem *elem)
{
    const char *ptr = elem->str.ptr;
    Py_ssize_t len = (Py_ssize_t)elem->str.len;
    PyObject *value;
    if (codec->kind == GPY_BYTES)
        value = PyBytes_FromStringAndSize(len ? ptr : "", len);
    else
        value = PyUnicode_DecodeUTF8(len ? ptr : "", len, "surrogatepass");
    gpy.value_drop(codec->type, &elem->str);
    return value;
}

PyObject *gpy_codec_take(const gpy_codec *codec, gpy_elem *elem)
{
    switch (codec->kind) {
    case GPY_OBJECT: /* the channel's reference becomes the caller's */
        return elem->object ? elem->object : Py_NewRef(Py_None);
    case GPY_STR:
    case GPY_BYTES:
        return take_string(codec, elem);
    case GPY_BOOL:
        return PyBool_FromLong(elem->b != 0);
    case GPY_I8:
        return PyLong_FromLong(elem->i8);
    case GPY_I16:
        return PyLong_FromLong(elem->i16);
    case GPY_I32:
        return PyLong_FromLong(elem->i32);
    case GPY_I64:
        return PyLong_FromLongLong(elem->i64);
    case GPY_U8:
        return PyLong_FromLong(elem->u8);
    case GPY_U16:
        return PyLong_FromLong(elem->u16);
    case GPY_U32:
        return PyLong_FromUnsignedLong(elem->u32);
    case GPY_U64:
        return PyLong_FromUnsignedLongLong(elem->u64);
    case GPY_F32:
        return PyFloat_FromDouble(elem->f32);
    case GPY_F64:
        return PyFloat_FromDouble(elem->f64);
    }
    PyErr_SetString(PyExc_SystemError, "gort: unknown element kind");
    return NULL;
}

/* ---- the Codec type -------------------------------------------------------------- */

static const char *const kind_names[] = {
    [GPY_BOOL] = "bool",  [GPY_I8] = "int8",       [GPY_I16] = "int16",   [GPY_I32] = "int32",
    [GPY_I64] = "int64",  [GPY_U8] = "uint8",      [GPY_U16] = "uint16",  [GPY_U32] = "uint32",
    [GPY_U64] = "uint64", [GPY_F32] = "float32",   [GPY_F64] = "float64", [GPY_BYTES] = "bytes",
    [GPY_STR] = "str",    [GPY_OBJECT] = "object",
};

static int kind_of(const char *name, gpy_kind *out)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++) {
        if (strcmp(kind_names[i], name) == 0) {
            *out = (gpy_kind)i;
            return 0;
        }
    }
    PyErr_Format(PyExc_ValueError, "unknown element kind '%s'", name);
    return -1;
}

/* Codec(kind, type, name): kind one of kind_names; type the gort_type * address;
 * name what messages call the type. */
static PyObject *codec_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    const char *kind_name, *name;
    PyObject *address;
    static char *keywords[] = {"kind", "type", "name", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "sO!s:Codec", keywords, &kind_name,
                                     &PyLong_Type, &address, &name))
        return NULL;
    gpy_kind kind;
    if (kind_of(kind_name, &kind) < 0)
        return NULL;
    void *descriptor = PyLong_AsVoidPtr(address);
    if (!descriptor) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "Codec needs a non-NULL gort_type address");
        return NULL;
    }
    if (strlen(name) >= sizeof((gpy_codec *)NULL)->name) {
        PyErr_Format(PyExc_ValueError, "type name too long: %s", name);
        return NULL;
    }
    gpy_codec *codec = (gpy_codec *)type->tp_alloc(type, 0);
    if (!codec)
        return NULL;
    codec->kind = kind;
    codec->type = descriptor;
    strcpy(codec->name, name);
    return (PyObject *)codec;
}

static PyObject *codec_repr(PyObject *self)
{
    const gpy_codec *codec = (const gpy_codec *)self;
    return PyUnicode_FromFormat("<_gort_speedups.Codec %s (%s)>", kind_names[codec->kind],
                                codec->name);
}

/* clang-format does not know Python's macros */
/* clang-format off */
PyTypeObject gpy_codec_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_gort_speedups.Codec",
    .tp_basicsize = sizeof(gpy_codec),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Codec(kind, type, name): how values of one gort element type cross.",
    .tp_new = codec_new,
    .tp_repr = codec_repr,
};
/* clang-format on */

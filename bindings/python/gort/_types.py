"""Element types: a libgort descriptor plus how a Python value crosses into C and back.

A Type turns a Python value into a ctypes buffer libgort copies from (`encode`), reads a
value libgort lends (`decode`, `decode_at`: a copy for Python, the container keeps its
own), and takes over a value libgort hands out owned, as a receive does (`adopt`). For
the calls that take or fill n values at once, `pack` lays out a list as one C array and
`unpack` reads one back.
"""
import ctypes
import struct

from . import _accel, _lib, _refs
from ._errors import check

KIND = {"bool": 1, "int8": 2, "int16": 3, "int32": 4, "int64": 5, "uint8": 6,
        "uint16": 7, "uint32": 8, "uint64": 9, "float32": 10, "float64": 11, "str": 14}


class Type:
    """An element type. Use the module's instances (gort.int64, gort.str_, gort.object_,
    ...) or the Python types int, float, bool, bytes, str and object."""
    ctype = None
    owns_refs = False  # values hold references the receiver must drop
    is_object = False
    codec_kind = None  # the accelerator's name for the conversion (None: the type's name)
    format = None  # the struct format of one value, where there is one (numbers, bool)

    def __init__(self, name, ptr):
        self.name = name
        self.ptr = ptr  # gort_type *: builtins are static, object_ lives as long as we do
        self.size = ctypes.sizeof(self.ctype)  # bytes per value in a C array
        # How the C accelerator converts values of this type (None without it).
        self.codec = _accel.codec(self.codec_kind or name, ptr, name)
        # Out: where libgort writes one value and a flag (a receive's ok, a lookup's
        # found): one ctypes object per call, addressed with plain ints (the cheapest
        # way through ctypes).
        self.Out = type(f"Out_{name}", (ctypes.Structure,),
                        {"_fields_": [("value", self.ctype), ("flag", ctypes.c_int)]})
        self.flag_offset = self.Out.flag.offset
        self._outs = []  # Outs given back: reused, saving a ctypes allocation per call

    def __repr__(self):
        return f"gort.{self.name}"

    def encode(self, value):
        """A ctypes object holding `value`, for libgort to copy from."""
        raise NotImplementedError

    def arg(self, value):
        """`value` as the argument of a `const void *value` parameter: the hot paths'
        encode (packed bytes where the type allows: half the cost of a ctypes object)."""
        return ctypes.byref(self.encode(value))

    def pack(self, values):
        """`values` (a list) as one C array of this type, to pass where libgort reads n
        values (gort_map_get_n's keys). Raises what arg raises, for the first value it
        refuses. As with arg, an object's pointer is borrowed: the caller keeps `values`
        alive until the call returns."""
        return b"".join(map(self.arg, values))  # arg packs every type but str and bytes

    def unpack(self, array):
        """The Python values in `array`, a ctypes array of n * size bytes that libgort
        filled with values borrowed from a container (copies for Python)."""
        if self.format:
            return memoryview(array).cast("B").cast(self.format).tolist()
        address = ctypes.addressof(array)
        return [self.decode_at(address + offset)
                for offset in range(0, ctypes.sizeof(array), self.size)]

    def out(self):
        """(Out, its address, the address of its flag), from the pool when it can;
        give it back with give_back once its value has been taken."""
        try:
            return self._outs.pop()  # atomic under the GIL, like append
        except IndexError:
            out = self.Out()
            address = ctypes.addressof(out)
            return out, address, address + self.flag_offset

    def give_back(self, entry):
        self._outs.append(entry)

    def get(self, out):
        """The Python value in out.value, borrowed from a container (a copy for Python)."""
        return out.value

    def take(self, out):
        """The Python value in out.value, owned (from a receive): takes it over."""
        return self.get(out)

    def decode_at(self, address):
        """The Python value stored at `address` (borrowed from a container)."""
        return self.ctype.from_address(address).value


class _Int(Type):
    def __init__(self, name, ptr, ctype, bits, signed):
        self.ctype = ctype
        super().__init__(name, ptr)
        self.lo = -(1 << (bits - 1)) if signed else 0
        self.hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
        self.format = ({8: "b", 16: "h", 32: "i", 64: "q"} if signed else
                       {8: "B", 16: "H", 32: "I", 64: "Q"})[bits]
        self._pack = struct.Struct(self.format).pack

    def arg(self, value):
        try:
            return self._pack(value)  # checks the type and the range in one C call
        except struct.error:
            self.encode(value)  # raises the precise TypeError or OverflowError
            raise

    def pack(self, values):
        try:
            return struct.pack(f"{len(values)}{self.format}", *values)  # a sixth of arg's cost
        except struct.error:
            return super().pack(values)  # value by value: raises arg's precise error

    def encode(self, value):
        if value.__class__ is not int and not isinstance(value, int):
            raise TypeError(f"{self.name} value must be an int, not {type(value).__name__}")
        if not self.lo <= value <= self.hi:
            raise OverflowError(f"{value} does not fit in {self.name}")
        return self.ctype(value)


class _Float(Type):
    def __init__(self, name, ptr, ctype):
        self.ctype = ctype
        super().__init__(name, ptr)
        self.format = "f" if ctype is ctypes.c_float else "d"
        self._pack = struct.Struct(self.format).pack

    def arg(self, value):
        if value.__class__ is not float:
            self.encode(value)  # the type check: struct would take any __float__
        try:
            return self._pack(value)
        except struct.error:  # an int too large for a float: float() says so
            float(value)
            raise

    def encode(self, value):
        if value.__class__ is not float and not isinstance(value, (int, float)):
            raise TypeError(f"{self.name} value must be a float, not {type(value).__name__}")
        return self.ctype(value)


class _Bool(Type):
    ctype = ctypes.c_bool
    codec_kind = "bool"
    format = "?"

    def encode(self, value):
        if value.__class__ is not bool:
            raise TypeError(f"bool value must be a bool, not {type(value).__name__}")
        return ctypes.c_bool(value)

    def arg(self, value):
        if value is True:
            return b"\x01"
        if value is False:
            return b"\x00"
        return self.encode(value)  # raises TypeError


# CPython keeps a bytes object's data inline, after a fixed header: ob_sval is the last
# member, so it starts one byte before the end of the basic size. Taking the address this
# way (as ctypes' own c_char_p does internally) costs a tenth of ctypes.cast.
_BYTES_DATA = bytes.__basicsize__ - 1
_pack_str = struct.Struct("PN").pack
_unpack_str = struct.Struct("PN").unpack_from
_iter_unpack_str = struct.Struct("PN").iter_unpack


class _StrArg:
    """A gort_str argument, or an array of them: ctypes passes _as_parameter_ (the packed
    {ptr, len} pairs); `data` keeps the bytes alive until the call has read them."""
    __slots__ = ("_as_parameter_", "data")

    def __init__(self, packed, data):
        self._as_parameter_ = packed
        self.data = data


class _Bytes(Type):
    """GORT_KIND_STR holding Python bytes: containers own a private copy of the bytes."""
    ctype = _lib.GortStr
    owns_refs = True
    codec_kind = "bytes"

    def to_bytes(self, value):
        if value.__class__ is bytes:
            return value
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"bytes value must be bytes-like, not {type(value).__name__}")
        return bytes(value)

    def from_bytes(self, data):
        return data

    def encode(self, value):
        data = self.to_bytes(value)
        buf = _lib.GortStr(id(data) + _BYTES_DATA, len(data))
        buf.keep = data  # libgort copies the bytes; they must live until the call returns
        return buf

    def arg(self, value):
        data = self.to_bytes(value)
        return _StrArg(_pack_str(id(data) + _BYTES_DATA, len(data)), data)

    def pack(self, values):
        data = [self.to_bytes(v) for v in values]
        return _StrArg(b"".join([_pack_str(id(d) + _BYTES_DATA, len(d)) for d in data]), data)

    def get(self, out):
        ptr, length = _unpack_str(out)  # out.value is at offset 0
        return self.from_bytes(ctypes.string_at(ptr, length) if length else b"")

    def unpack(self, array):
        string_at, from_bytes = ctypes.string_at, self.from_bytes  # as get does, inlined
        return [from_bytes(string_at(ptr, length) if length else b"")
                for ptr, length in _iter_unpack_str(array)]

    def take(self, out):
        try:
            return self.get(out)  # may raise: a C sender's bytes need not be UTF-8
        finally:
            _lib.py.gort_value_drop(self.ptr, ctypes.addressof(out))

    def decode_at(self, address):
        return self.get(_lib.GortStr.from_address(address))


class _Text(_Bytes):
    """GORT_KIND_STR holding Python str as UTF-8 (lone surrogates round-trip)."""
    codec_kind = "str"

    def to_bytes(self, value):
        if value.__class__ is not str and not isinstance(value, str):
            raise TypeError(f"str value must be a str, not {type(value).__name__}")
        return value.encode("utf-8", "surrogatepass")

    def from_bytes(self, data):
        return data.decode("utf-8", "surrogatepass")


class _Object(Type):
    """Any Python object, stored as its PyObject pointer with one reference per copy
    (see _refs). Hashed with hash() and compared with == when used as a map key."""
    ctype = ctypes.c_void_p
    owns_refs = True
    is_object = True
    codec_kind = "object"

    def encode(self, value):
        return ctypes.c_void_p(id(value))  # the caller's reference keeps it alive

    def arg(self, value, _pack=struct.Struct("P").pack):
        return _pack(id(value))

    def get(self, out):
        return _refs.object_at(ctypes.addressof(out))

    def take(self, out):
        pointer = out.value
        if not pointer:
            return None
        value = ctypes.py_object.from_address(ctypes.addressof(out)).value  # a new reference
        _lib.Py_DecRef(pointer)  # the one the channel handed over
        return value

    def decode_at(self, address):
        return _refs.object_at(address)


def _builtin(kind):
    return _lib.py.gort_type_builtin(KIND[kind])


def _object_type():
    hash_fn, equal_fn, retain, release = _refs.hooks()  # addresses: C or ctypes callbacks
    bitmap = (ctypes.c_uint64 * 1)(1)  # the value is one word, and it is a pointer
    desc = _lib.TypeDesc(struct_size=ctypes.sizeof(_lib.TypeDesc), size=8, align=8,
                         hash=hash_fn, equal=equal_fn,
                         ptr_bitmap=ctypes.addressof(bitmap), ptr_words=1,
                         retain=retain, release=release, name=b"object")
    out = ctypes.c_void_p()
    check(_lib.py.gort_type_create(ctypes.byref(desc), ctypes.byref(out)),
          "gort_type_create")
    return _Object("object_", out.value)  # never released: it outlives every container


bool_ = _Bool("bool_", _builtin("bool"))
int8 = _Int("int8", _builtin("int8"), ctypes.c_int8, 8, True)
int16 = _Int("int16", _builtin("int16"), ctypes.c_int16, 16, True)
int32 = _Int("int32", _builtin("int32"), ctypes.c_int32, 32, True)
int64 = _Int("int64", _builtin("int64"), ctypes.c_int64, 64, True)
uint8 = _Int("uint8", _builtin("uint8"), ctypes.c_uint8, 8, False)
uint16 = _Int("uint16", _builtin("uint16"), ctypes.c_uint16, 16, False)
uint32 = _Int("uint32", _builtin("uint32"), ctypes.c_uint32, 32, False)
uint64 = _Int("uint64", _builtin("uint64"), ctypes.c_uint64, 64, False)
float32 = _Float("float32", _builtin("float32"), ctypes.c_float)
float64 = _Float("float64", _builtin("float64"), ctypes.c_double)
bytes_ = _Bytes("bytes_", _builtin("str"))
str_ = _Text("str_", _builtin("str"))
object_ = _object_type()

_PYTHON_TYPES = {int: int64, float: float64, bool: bool_, bytes: bytes_, str: str_,
                 object: object_}


def as_type(spec):
    """The Type for `spec`: a Type, or one of int, float, bool, bytes, str, object."""
    if isinstance(spec, Type):
        return spec
    try:
        return _PYTHON_TYPES[spec]
    except (KeyError, TypeError):
        raise TypeError(f"not an element type: {spec!r} (use int, float, bool, bytes, "
                        "str, object or a gort type such as gort.int32)") from None

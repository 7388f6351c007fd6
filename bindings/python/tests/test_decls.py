"""The binding's declarations against the header, so the two never drift.

Runs the header through `cc -E -P -DGORT_CDEF` (plain declarations, no macros), then
checks that every function of the header is in gort._lib.DECLS with the same return and
parameter types (and nothing else is), that every symbol the library exports is declared,
and that the ctypes structures have the header's fields, in order, with matching types."""
import ctypes
import os
import re
import subprocess
import unittest

from gort import _lib

INCLUDE = os.environ.get("GORT_INCLUDE") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "include")
MANIFEST = os.path.join(INCLUDE, "..", "src", "libgort.map")


def preprocessed_header():
    cc = os.environ.get("CC", "cc")
    return subprocess.run([cc, "-E", "-P", "-DGORT_CDEF", os.path.join(INCLUDE, "gort.h")],
                          capture_output=True, text=True, check=True).stdout


def c_type(text, named=True):
    """A declaration's type in DECLS' spelling: 'const gort_type *' for
    'const gort_type *type' (the parameter name dropped when `named`)."""
    tokens = re.findall(r"\w+|\*", text)
    if named and len(tokens) > 1 and tokens[-1] != "*":
        tokens.pop()
    words = [t for t in tokens if t != "*"]
    stars = "".join(t for t in tokens if t == "*")
    return " ".join(words) + (" " + stars if stars else "")


def header_functions(text):
    functions = {}
    pattern = r"([\w \*]+?)\b(gort_\w+)\s*\(([^;{}()]*)\)\s*;"
    for ret, name, params in re.findall(pattern, text):
        ret = ret.replace("typedef", "").strip()
        functions[name] = (c_type(ret + " x"), [c_type(p) for p in params.split(",")])
    return functions


def header_structs(text):
    structs = {}
    for name, body in re.findall(r"typedef struct (gort_\w+) \{([^}]*)\}", text):
        fields = []
        for decl in filter(None, (d.strip() for d in body.split(";"))):
            m = re.match(r"(.*?)(\w+)(?:\[(\d+)\])?$", decl)
            fields.append((m.group(2), c_type(m.group(1) + " x"), m.group(3)))
        structs[name] = fields
    return structs


CTYPE_OF_FIELD = {"size_t": ctypes.c_size_t, "uint32_t": ctypes.c_uint32,
                  "uint64_t": ctypes.c_uint64, "double": ctypes.c_double}


class Declarations(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.text = preprocessed_header()

    def test_functions_match_the_header(self):
        header = header_functions(self.text)
        self.assertGreater(len(header), 80)
        self.assertEqual(sorted(set(header) - set(_lib.DECLS)), [], "not declared")
        self.assertEqual(sorted(set(_lib.DECLS) - set(header)), [], "not in the header")
        for name, (ret, params) in header.items():
            with self.subTest(function=name):
                self.assertEqual(_lib.DECLS[name], (ret, params))

    def test_every_exported_symbol_is_declared(self):
        with open(MANIFEST) as f:
            exported = set(re.findall(r"\b(gort_\w+);", f.read()))
        self.assertEqual(exported, set(_lib.DECLS))

    def test_structs_match_the_header(self):
        header = header_structs(self.text)
        self.assertEqual(set(header), set(_lib.STRUCTS))
        for name, fields in header.items():
            with self.subTest(struct=name):
                ours = _lib.STRUCTS[name]._fields_
                self.assertEqual([f[0] for f in fields], [f[0] for f in ours])
                for (field, ctype_text, length), (_, ours_type) in zip(fields, ours):
                    expect = CTYPE_OF_FIELD.get(ctype_text)
                    if ctype_text == "const char *" and ours_type is ctypes.c_char_p:
                        continue
                    if expect is None:  # pointers, function pointers, handles
                        expect = ctypes.c_void_p
                    if length:
                        expect = expect * int(length)
                    self.assertEqual(ctypes.sizeof(ours_type), ctypes.sizeof(expect), field)
                    self.assertEqual(getattr(ours_type, "_type_", None),
                                     getattr(expect, "_type_", None), field)


if __name__ == "__main__":
    unittest.main()

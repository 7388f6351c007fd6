#!/usr/bin/env python3
"""Generates the bad-input table (bad_calls.c) from the ABI manifest and the headers.

Why generated: the table must cover every exported function, including the ones added
after it was written. So the function list comes from src/libgort.map (every node, 1.0
and later), each prototype from the headers as the C preprocessor sees them
(cc -E -P -DGORT_CDEF), and the bad arguments from each parameter's C type. The script
FAILS, naming the function, when a manifest function has no prototype, a parameter has a
type (or, for the few types whose meaning decides what is safe to pass, a name) it has no
rule for, or a function would end up with no call at all: a new function cannot slip in
untested.

For each function: one call per bad value of each parameter with every other argument
valid; one "all-bad" call with every parameter at its worst (bad, or a legitimate NULL or
extreme that must not matter once a bad argument is rejected); the NULLs and extremes the
header declares legitimate, checked for their documented result; and a few semantic bad
calls the types cannot express (mismatched descriptors, a closed channel, a busy heap).
Expected outcomes come from the return type (int status: GORT_EINVAL; size_t: 0;
pointer: NULL; const char *: a string; void: returns) unless EXPECT below says
otherwise, each exception quoting the header it comes from.

usage: gen_bad_calls.py --manifest MAP --include DIR --output FILE [--depfile FILE]
                        [-- CC [CC-ARGS...]]
Standard library only.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field


class GenError(Exception):
    """A reason the table cannot be generated; printed and turned into exit status 1."""


# ---- what the manifest and the headers say ---------------------------------------------

@dataclass
class Param:
    name: str
    base: str      # the type without qualifiers and stars: "gort_slice", "void", "size_t"
    depth: int     # number of '*'
    const: bool    # a const anywhere in the type (const gort_slice *, const void **)
    ctype: str     # as written, normalised: "const gort_slice *"


@dataclass
class Proto:
    name: str
    ret: str
    params: list


def manifest_functions(text):
    """Every name in a global: section of every node (GORT_1.0 { ... }; GORT_1.1 { ... }
    GORT_1.0; ...), in order. Wildcards cannot be enumerated, so they are an error."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"#[^\n]*", " ", text)
    names = []
    nodes = re.findall(r"([A-Za-z_][\w.]*)\s*\{(.*?)\}\s*[\w.]*\s*;", text, flags=re.S)
    if not nodes:
        raise GenError("no version node found in the manifest")
    for node, body in nodes:
        for section in re.finditer(r"global\s*:(.*?)(?=\b(?:local|global)\s*:|$)", body,
                                   flags=re.S):
            for name in (n.strip() for n in section.group(1).split(";")):
                if not name:
                    continue
                if not re.fullmatch(r"[A-Za-z_]\w*", name):
                    raise GenError(f"manifest node {node}: cannot enumerate '{name}'")
                if name not in names:
                    names.append(name)
    return names


def run_cc(cc, args):
    try:
        result = subprocess.run(cc + args, check=False, capture_output=True, text=True)
    except OSError as err:
        raise GenError(f"cannot run the C compiler {cc}: {err}") from err
    if result.returncode != 0:
        raise GenError(f"{' '.join(cc + args)} failed:\n{result.stderr}")
    return result.stdout


def cdef_text(cc, include_dir):
    header = os.path.join(include_dir, "gort.h")
    return run_cc(cc, ["-E", "-P", "-DGORT_CDEF", "-I", include_dir, header])


def header_dependencies(cc, include_dir):
    """The files the preprocessor read, for the build's depfile (cc -M)."""
    header = os.path.join(include_dir, "gort.h")
    rule = run_cc(cc, ["-M", "-DGORT_CDEF", "-I", include_dir, header])
    return list(dict.fromkeys(rule.replace("\\\n", " ").split(":", 1)[1].split()))


def strip_bodies(text):
    """Removes {...} (struct and enum bodies) so the text splits into statements on ';'."""
    while True:
        stripped = re.sub(r"\{[^{}]*\}", " ", text)
        if stripped == text:
            return text
        text = stripped


def parse_type(text, where):
    tokens = re.findall(r"[A-Za-z_]\w*|\*|\S", text)
    if any(not (t == "*" or re.fullmatch(r"[A-Za-z_]\w*", t)) for t in tokens):
        raise GenError(f"{where}: cannot parse the type '{text}'")
    words = [t for t in tokens if t not in ("*", "const", "volatile", "restrict")]
    if not words:
        raise GenError(f"{where}: no type in '{text}'")
    depth = tokens.count("*")
    ctype = " ".join(t for t in tokens if t != "*") + (" " + "*" * depth if depth else "")
    return " ".join(words), depth, "const" in tokens, ctype


def parse_params(fn, text):
    text = text.strip()
    if text in ("", "void"):
        return []
    params = []
    for raw in text.split(","):
        match = re.fullmatch(r"(.*?[\s*])([A-Za-z_]\w*)", raw.strip())
        if not match or not match.group(1).strip():
            raise GenError(f"{fn}: parameter '{raw.strip()}' has no name (or is not a "
                           "plain declaration); the rules are keyed by parameter names")
        base, depth, const, ctype = parse_type(match.group(1), f"{fn}({raw.strip()})")
        params.append(Param(match.group(2), base, depth, const, ctype))
    return params


def parse_prototypes(text):
    """(prototypes by name, names of function-pointer typedefs)."""
    protos, fnptrs = {}, set()
    for stmt in strip_bodies(text).split(";"):
        stmt = " ".join(stmt.split())
        typedef_fn = re.fullmatch(r"typedef .*?\(\s*\*\s*(\w+)\s*\)\s*\(.*\)", stmt)
        if typedef_fn:
            fnptrs.add(typedef_fn.group(1))
            continue
        if stmt.startswith("typedef") or "(" not in stmt:
            continue
        match = re.fullmatch(r"(?:extern )?([\w\s*]+?)\s*\b(gort_\w+)\s*\(([^()]*)\)", stmt)
        if not match:
            continue
        name = match.group(2)
        ret = parse_type(match.group(1), name)[3]
        protos[name] = Proto(name, ret, parse_params(name, match.group(3)))
    return protos, fnptrs


# ---- outcomes ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Expect:
    kind: str                 # STATUS VALUE NULL NONNULL STRING VOID (bad_input.h)
    codes: tuple = ()         # STATUS: acceptable results
    value: str = "0"          # VALUE: a C expression
    strings: str = None       # STRING: '|'-separated acceptable strings, or None for any
    reason: str = None


def status(*codes, reason=None):
    return Expect("STATUS", codes=tuple(codes), reason=reason)


OK = status("GORT_OK")
MAX_CODES = 4  # BAD_MAX_CODES in bad_input.h
VOID = Expect("VOID")

# Defaults by return type: errors.md, "Every fallible function returns int: GORT_OK or a
# negative gort_status ... Functions that cannot fail (getters) ... answer 0, NULL or ""
# for a NULL handle", and "Destructors accept NULL".
DEFAULT_BY_RETURN = {
    "int": status("GORT_EINVAL"),
    "int64_t": status("GORT_EINVAL"),
    "size_t": Expect("VALUE", value="0"),
    "const char *": Expect("STRING"),
    "void": VOID,
}

RANGE = 'slice.h: "Requires lo <= hi <= max <= cap(s), else GORT_ERANGE"'

# Expected outcomes that are not the return type's default, keyed by (function,
# parameter, bad-value label), (function, parameter) or (function, "*").
EXPECT = {
    ("gort_strerror", "*"): Expect(
        "STRING", strings="unknown libgort status",
        reason='base.h: "Unknown codes yield \\"unknown libgort status\\". Never returns '
               'NULL"'),
    ("gort_type_builtin", "*"): Expect(
        "NULL", reason='type.h: "or NULL for GORT_KIND_CUSTOM or an unknown kind"'),
    ("gort_type_kind", "*"): Expect(
        "VALUE", value="GORT_KIND_CUSTOM",
        reason='type.h: "A NULL type yields 0 / GORT_KIND_CUSTOM / \\"\\""'),
    ("gort_type_name", "*"): Expect(
        "STRING", strings="",
        reason='type.h: "A NULL type yields 0 / GORT_KIND_CUSTOM / \\"\\""'),
    ("gort_type_comparable", "*"): Expect(
        "VALUE", value="0",
        reason='errors.md: getters "answer 0, NULL or \\"\\" for a NULL handle" (type.h is '
               'silent)'),
    ("gort_slice_is_nil", "*"): Expect(
        "VALUE", value="1", reason='slice.h: "Returns 1 if s is a nil slice (or NULL)"'),
    ("gort_chan_is_closed", "*"): Expect("VALUE", value="0", reason='chan.h: "0 for NULL"'),
    ("gort_slice_make", "len"): status("GORT_ERANGE",
                                       reason='slice.h: "GORT_ERANGE if len > cap"'),
    ("gort_slice_make", "cap"): status(
        "GORT_EOVERFLOW",
        reason='slice.h: "GORT_EOVERFLOW if cap or cap * size exceeds GORT_MAX_ALLOC"'),
    ("gort_slice_get", "i"): status("GORT_ERANGE", reason='slice.h: "GORT_ERANGE (i >= len)"'),
    ("gort_slice_set", "i"): status("GORT_ERANGE", reason='slice.h: "GORT_ERANGE (i >= len)"'),
    ("gort_slice_append_n", "n"): status(
        "GORT_EOVERFLOW", reason='slice.h: "GORT_EOVERFLOW (the length would exceed '
                                 'GORT_MAX_ALLOC elements or bytes)"'),
    ("gort_slice_grow", "n"): status(
        "GORT_EOVERFLOW", reason='slice.h: "GORT_EOVERFLOW if len + n is too large"'),
    ("gort_slice_sub", "lo"): status("GORT_ERANGE", reason=RANGE),
    ("gort_slice_sub", "hi"): status("GORT_ERANGE", reason=RANGE),
    ("gort_slice_sub3", "lo"): status("GORT_ERANGE", reason=RANGE),
    ("gort_slice_sub3", "hi"): status("GORT_ERANGE", reason=RANGE),
    ("gort_slice_sub3", "max"): status("GORT_ERANGE", reason=RANGE),
    ("gort_slice_reslice", "lo"): status("GORT_ERANGE", reason=RANGE),
    ("gort_slice_reslice", "hi"): status("GORT_ERANGE", reason=RANGE),
    ("gort_slice_reslice", "max"): status("GORT_ERANGE", reason=RANGE),
    ("gort_chan_create", "cap", "-1"): status(
        "GORT_ERANGE", reason='chan.h: "GORT_ERANGE if cap < 0"'),
    ("gort_chan_create", "cap", "INT64_MIN"): status(
        "GORT_ERANGE", reason='chan.h: "GORT_ERANGE if cap < 0"'),
    ("gort_chan_create", "cap"): status(
        "GORT_EOVERFLOW",
        reason='chan.h: "GORT_EOVERFLOW if cap * size exceeds GORT_MAX_ALLOC"'),
    ("gort_select", "n_cases"): status(
        "GORT_ERANGE", reason='chan.h: "GORT_ERANGE if n_cases > GORT_SELECT_MAX_CASES"'),
    ("gort_map_iter_next_n", "n"): status(
        "GORT_EINVAL",
        reason='map.h is silent on n > INT64_MAX (the int64_t result cannot count that far); '
               'errors.md: GORT_EINVAL for an invalid argument'),
    ("gort_map_get_n", "n"): status(
        "GORT_EINVAL", reason='map.h: "GORT_EINVAL for ... n > INT64_MAX or an array larger '
                              'than the address space"'),
    ("gort_map_set_n", "n"): status(
        "GORT_EINVAL", reason='map.h: "GORT_EINVAL for ... n > INT64_MAX or an array larger '
                              'than the address space"'),
    ("gort_map_delete_n", "n"): status(
        "GORT_EINVAL", reason='map.h (delete_n): "GORT_EINVAL/GORT_EOVERFLOW as for '
                              'gort_map_set_n"'),
}

# Functions without parameters: their one call checks the documented result.
PLAIN = {
    "gort_version": Expect(
        "VALUE", value="((long long)GORT_VERSION_MAJOR << 16 | GORT_VERSION_MINOR << 8 | "
                       "GORT_VERSION_PATCH)",
        reason='base.h: "Returns the library version as (major << 16) | (minor << 8) | patch"'),
    "gort_version_string": Expect(
        "STRING", reason='base.h: "Returns the library version as a static string"'),
    "gort_heap_default": Expect(
        "NONNULL", reason='heap.h: "Returns the process-wide default heap"'),
    "gort_heap_allocator": Expect(
        "STRING", strings="jemalloc-bundled|jemalloc-system|libc",
        reason='heap.h: "\\"jemalloc-bundled\\", \\"jemalloc-system\\" or \\"libc\\""'),
}


def expectation(proto, param, label):
    for key in ((proto.name, param, label), (proto.name, param), (proto.name, "*")):
        if key in EXPECT:
            return EXPECT[key]
    if proto.ret in DEFAULT_BY_RETURN:
        return DEFAULT_BY_RETURN[proto.ret]
    if proto.ret.endswith("*"):
        return Expect("NULL")
    raise GenError(f"{proto.name}: no default outcome for return type '{proto.ret}'; add "
                   f"an EXPECT entry for ({proto.name!r}, {param!r})")


# ---- bad values by parameter type -------------------------------------------------------

@dataclass
class Bad:
    label: str
    expr: str


@dataclass
class Legit:
    label: str
    expr: str
    expect: Expect
    mutates: bool  # the call succeeds and changes a fixture


@dataclass
class Rule:
    valid: str
    bads: list = field(default_factory=list)
    legit: list = field(default_factory=list)
    # Legitimate on its own but extreme (a timeout that waits forever): passed only in the
    # all-bad call, where a correct library must reject another argument before using it.
    extreme: Bad = None


NULL = Bad("NULL", "NULL")
SIZE_EXTREMES = [Bad("SIZE_MAX", "SIZE_MAX"), Bad("SIZE_MAX/2+1", "(SIZE_MAX / 2 + 1)")]
INT_EXTREMES = [Bad("-1", "-1"), Bad("INT_MAX", "INT_MAX"), Bad("INT_MIN", "INT_MIN")]
INT64_EXTREMES = [Bad("-1", "-1"), Bad("INT64_MIN", "INT64_MIN"), Bad("INT64_MAX", "INT64_MAX")]
FLAG_EXTREMES = [Bad("UINT32_MAX", "UINT32_MAX"), Bad("0x80000000", "UINT32_C(0x80000000)")]

# Fixtures (bad_input.h) for each handle type; the fixture that is the valid argument.
HANDLES = {
    "gort_slice": "f->s_i64",
    "gort_map": "f->m_u64",
    "gort_chan": "f->c_buf",
    "gort_type": "f->t_i64",
    "gort_heap": "f->heap",
}
HANDLE_OVERRIDES = {
    ("gort_slice_append_slice", "src"): "f->s_i64_src",
    ("gort_slice_copy", "src"): "f->s_i64_src",
    ("gort_value_drop", "type"): "f->t_tracked",
    ("gort_heap_destroy", "heap"): "f->empty_heap",
}
HEAP_NULL = {
    "gort_heap_destroy": 'heap.h: "NULL is accepted and does nothing" (errors.md: returns '
                         'GORT_OK)',
    "gort_heap_stats_get": 'heap.h: "Fills *out for heap (NULL: the default heap)"',
}
HEAP_NULL_DEFAULT = 'heap.h: "The default heap (pass NULL wherever a heap is asked for)"'

# Caller-filled structs that start with struct_size: (valid, struct_size 0, struct_size 1).
CALLER_STRUCTS = {
    "gort_heap_stats": ("&f->out.heap_stats", "&f->out.heap_stats_sz0",
                        "&f->out.heap_stats_sz1"),
    "gort_map_stats": ("&f->out.map_stats", "&f->out.map_stats_sz0", "&f->out.map_stats_sz1"),
    "gort_type_desc": ("&f->desc", "&f->desc_sz0", "&f->desc_sz1"),
}

VALID_FNPTRS = {"gort_visit_fn": "bad_visit", "gort_abort_fn": "bad_abort_hook"}

# Plain data pointers: the valid argument, by C type and parameter name.
DATA_POINTERS = {
    ("void", True, 1): {"value": "&f->in.word", "a": "&f->in.word", "key": "&f->in.key",
                        "b": "&f->in.key", "values": "f->in.words", "keys": "&f->in.key"},
    ("void", False, 1): {"out": "&f->out.elem", "value_out": "&f->out.elem",
                         "value": "&f->out.owned", "values_out": "&f->out.elem"},
    ("void", True, 2): {"key": "&f->out.keys[0]", "keys": "f->out.keys"},
    ("void", False, 2): {"out": "&f->out.ptr_out", "value": "&f->out.values[0]",
                         "values": "f->out.values"},
    ("int", False, 1): {"found_out": "f->out.found", "*": "&f->out.int_out"},
    ("size_t", False, 1): {"*": "&f->out.size_out"},
    ("uint64_t", False, 1): {"*": "&f->out.u64_out"},
}

# NULLs the headers declare legitimate: (function, parameter) -> outcome, mutates, reason.
SENDS_ZERO = 'chan.h: "value may be NULL to send the zero value"'
RECV_OUT = 'chan.h: "out NULL drops it"'
RECV_OK = 'chan.h: "ok may be NULL"'
ITER_OUT = 'map.h: "*key and *value (each may be NULL if not wanted)"'
BATCH_OUT = 'map.h: "into keys[0..) and values[0..) (either array may be NULL)"'
BATCH_GET_OUT = ('map.h: "values_out and found_out may each be NULL. Returns how many keys '
                 'were present" (one: the fixture key 2)')
LEGIT_NULL = {
    ("gort_chan_send", "value"): (OK, True, SENDS_ZERO),
    ("gort_chan_try_send", "value"): (OK, True, SENDS_ZERO),
    ("gort_chan_send_timeout", "value"): (OK, True, SENDS_ZERO),
    ("gort_chan_recv", "out"): (OK, True, RECV_OUT),
    ("gort_chan_recv", "ok"): (OK, True, RECV_OK),
    ("gort_chan_try_recv", "out"): (OK, True, RECV_OUT),
    ("gort_chan_try_recv", "ok"): (OK, True, RECV_OK),
    ("gort_chan_recv_timeout", "out"): (OK, True, RECV_OUT),
    ("gort_chan_recv_timeout", "ok"): (OK, True, RECV_OK),
    ("gort_map_set", "value"): (OK, True, 'map.h: "value may be NULL to store the zero value"'),
    ("gort_map_get", "value_out"): (OK, False, 'map.h: "value_out and found may each be NULL"'),
    ("gort_map_get", "found"): (OK, False, 'map.h: "value_out and found may each be NULL"'),
    ("gort_map_get_n", "values_out"): (Expect("VALUE", value="1"), False, BATCH_GET_OUT),
    ("gort_map_get_n", "found_out"): (Expect("VALUE", value="1"), False, BATCH_GET_OUT),
    ("gort_map_set_n", "values"): (
        Expect("VALUE", value="0"), True,
        'map.h: "values of n values (NULL: every value is the zero value)"; "Returns how many '
        'entries were added" (none: the fixture key 2 is present)'),
    ("gort_map_iter_next", "key"): (Expect("VALUE", value="1"), True, ITER_OUT),
    ("gort_map_iter_next", "value"): (Expect("VALUE", value="1"), True, ITER_OUT),
    ("gort_map_iter_next_n", "keys"): (Expect("VALUE", value="3"), True, BATCH_OUT),
    ("gort_map_iter_next_n", "values"): (Expect("VALUE", value="3"), True, BATCH_OUT),
    ("gort_slice_copy", "n_out"): (OK, True, 'slice.h: "n_out may be NULL"'),
    ("gort_select", "recv_ok"): (OK, True, 'chan.h: "recv_ok may be NULL"'),
    ("gort_map_set_abort_hook", "hook"): (VOID, False, 'map.h: "NULL restores the default"'),
}

# size_t parameters: (valid value, [(label, just-past-the-valid-range expression)]).
# The name decides what "past the range" means, so a new name is an error.
SIZE_PARAMS = {
    ("gort_slice_make", "len"): ("2", [("cap+1", "(size_t)5")]),
    ("gort_slice_make", "cap"): ("4", [("MAX_ALLOC/8+1",
                                        "(size_t)(GORT_MAX_ALLOC / sizeof(int64_t) + 1)")]),
    ("gort_slice_get", "i"): ("1", [("len(s)", "gort_slice_len(f->s_i64)")]),
    ("gort_slice_set", "i"): ("1", [("len(s)", "gort_slice_len(f->s_i64)")]),
    ("gort_slice_append_n", "n"): ("2", [("MAX_ALLOC/8-len(s)+1",
                                          "(size_t)(GORT_MAX_ALLOC / sizeof(int64_t)) - "
                                          "gort_slice_len(f->s_i64) + 1")]),
    ("gort_slice_grow", "n"): ("1", [("MAX_ALLOC/8-len(s)+1",
                                      "(size_t)(GORT_MAX_ALLOC / sizeof(int64_t)) - "
                                      "gort_slice_len(f->s_i64) + 1")]),
    ("gort_slice_sub", "lo"): ("1", [("hi+1", "(size_t)3")]),
    ("gort_slice_sub", "hi"): ("2", [("cap(s)+1", "gort_slice_cap(f->s_i64) + 1")]),
    ("gort_slice_sub3", "lo"): ("1", [("hi+1", "(size_t)3")]),
    ("gort_slice_sub3", "hi"): ("2", [("max+1", "(size_t)4")]),
    ("gort_slice_sub3", "max"): ("3", [("cap(s)+1", "gort_slice_cap(f->s_i64) + 1")]),
    ("gort_slice_reslice", "lo"): ("1", [("hi+1", "(size_t)3")]),
    ("gort_slice_reslice", "hi"): ("2", [("max+1", "(size_t)4")]),
    ("gort_slice_reslice", "max"): ("3", [("cap(s)+1", "gort_slice_cap(f->s_i64) + 1")]),
    ("gort_map_iter_next_n", "n"): ("BAD_BATCH", []),
    ("gort_map_get_n", "n"): ("1", [("SIZE_MAX/8+1 (8-byte keys past the address space)",
                                     "(SIZE_MAX / 8 + 1)")]),
    ("gort_map_set_n", "n"): ("1", [("SIZE_MAX/8+1 (8-byte keys past the address space)",
                                     "(SIZE_MAX / 8 + 1)")]),
    ("gort_map_delete_n", "n"): ("1", [("SIZE_MAX/8+1 (8-byte keys past the address space)",
                                        "(SIZE_MAX / 8 + 1)")]),
    ("gort_select", "n_cases"): ("1", [("MAX_CASES+1", "(size_t)GORT_SELECT_MAX_CASES + 1")]),
}
# size_t parameters for which every value is valid: tested with extremes as legitimate.
SIZE_ANY = {
    ("gort_map_create", "hint"): (
        "0", 'map.h: "an absurd hint (one whose tables would exceed GORT_MAX_ALLOC) is '
             'ignored, exactly like Go\'s"'),
}

# int and uint32_t parameters: (valid, extra bad values, replace the generic extremes).
INT_PARAMS = {
    ("gort_strerror", "status"): ("GORT_OK", [("INT_MIN", "INT_MIN"), ("INT_MAX", "INT_MAX"),
                                              ("1", "1"), ("GORT_ETYPE-1", "GORT_ETYPE - 1")],
                                  True),  # -1 is GORT_ENOMEM, a valid code
    ("gort_type_builtin", "kind"): ("GORT_KIND_I64",
                                    [("GORT_KIND_STR+1", "GORT_KIND_STR + 1"),
                                     ("GORT_KIND_CUSTOM", "GORT_KIND_CUSTOM")], False),
    ("gort_chan_fd", "dir"): ("GORT_CHAN_RECV_READY",
                              [("0", "0"), ("RECV|SEND",
                                            "GORT_CHAN_RECV_READY | GORT_CHAN_SEND_READY")],
                              False),
    ("gort_heap_destroy", "flags"): ("0", [("2 (unknown bit)", "UINT32_C(2)")], False),
}

# int64_t parameters, by name: a capacity takes negative and huge values; a timeout has no
# bad value, and its valid value 0 never waits.
TIMEOUT_REASON = ('chan.h: "Negative: wait forever. Zero: do not wait ... Positive: wait at '
                  'most that long": every value is valid, and the extremes block')


def size_rule(fn, p):
    if (fn, p.name) in SIZE_ANY:
        valid, reason = SIZE_ANY[(fn, p.name)]
        return Rule(valid, [], [Legit(f"{p.name}={b.label}", b.expr, Expect(
            "STATUS", codes=("GORT_OK",), reason=reason), False) for b in SIZE_EXTREMES],
            extreme=SIZE_EXTREMES[0])
    if (fn, p.name) not in SIZE_PARAMS:
        raise GenError(f"{fn}: size_t parameter '{p.name}' has no rule; say in SIZE_PARAMS "
                       "(gen_bad_calls.py) its valid value and what lies just past its range")
    valid, past = SIZE_PARAMS[(fn, p.name)]
    return Rule(valid, SIZE_EXTREMES + [Bad(label, expr) for label, expr in past])


def int_rule(fn, p, extremes):
    if (fn, p.name) not in INT_PARAMS:
        raise GenError(f"{fn}: {p.base} parameter '{p.name}' has no rule; list its valid "
                       "value and out-of-range values in INT_PARAMS (gen_bad_calls.py)")
    valid, extra, replace = INT_PARAMS[(fn, p.name)]
    bads = [] if replace else list(extremes)
    return Rule(valid, bads + [Bad(label, expr) for label, expr in extra])


def int64_rule(fn, p):
    if p.name == "cap":
        past = Bad("MAX_ALLOC/8+1", "(int64_t)(GORT_MAX_ALLOC / sizeof(int64_t)) + 1")
        wraps = Bad("2^61 (cap*8 wraps to 0)", "INT64_C(1) << 61")
        return Rule("2", INT64_EXTREMES + [past, wraps])
    if p.name == "timeout_ns":
        return Rule("0", extreme=Bad("INT64_MIN (forever)", "INT64_MIN"))
    raise GenError(f"{fn}: int64_t parameter '{p.name}' is neither a capacity nor a "
                   "timeout_ns; add a rule (a wrong guess could block the test forever)")


def scalar_rule(fn, p, fnptrs):
    if p.base in fnptrs:
        if p.base not in VALID_FNPTRS:
            raise GenError(f"{fn}: no valid function for the pointer type {p.base}; add one "
                           "to VALID_FNPTRS and the runner")
        return Rule(VALID_FNPTRS[p.base], [NULL])
    if p.base == "size_t":
        return size_rule(fn, p)
    if p.base == "int64_t":
        return int64_rule(fn, p)
    if p.base == "int":
        return int_rule(fn, p, INT_EXTREMES)
    if p.base == "uint32_t":
        return int_rule(fn, p, FLAG_EXTREMES)
    if p.base == "uint64_t" and p.name == "seed":
        return Rule("UINT64_C(42)", extreme=Bad("UINT64_MAX", "UINT64_MAX"))  # any is valid
    raise GenError(f"{fn}: parameter '{p.ctype} {p.name}' has a type with no bad-value rule")


def pointer_rule(fn, p):
    if p.depth == 1 and p.base in HANDLES:
        valid = HANDLE_OVERRIDES.get((fn, p.name), HANDLES[p.base])
        if p.base == "gort_heap":
            return Rule(valid, [], [Legit(f"{p.name}=NULL", "NULL", Expect(
                "STATUS", codes=("GORT_OK",), reason=HEAP_NULL.get(fn, HEAP_NULL_DEFAULT)),
                False)])
        return Rule(valid, [NULL])
    if p.depth == 2 and p.base in HANDLES:
        return Rule(f"&f->out.{p.base[len('gort_'):]}", [NULL])
    if p.depth == 1 and p.base in CALLER_STRUCTS:
        valid, size0, size1 = CALLER_STRUCTS[p.base]
        return Rule(valid, [NULL, Bad("{struct_size=0}", size0), Bad("{struct_size=1}", size1)])
    if p.depth == 1 and p.base == "gort_map_iter":
        if fn == "gort_map_iter_init":  # the iterator is an out-parameter there
            return Rule("&f->out.iter", [NULL])
        return Rule("&f->it", [NULL, Bad("zeroed", "&f->it_zero"),
                               Bad("ran-out", "&f->it_done"),
                               Bad("finished", "&f->it_finished"),
                               Bad("copied", "&f->it_copy")])
    if p.depth == 1 and p.base == "gort_select_case":
        return Rule("f->cases", [NULL, Bad("{op=0}", "f->cases_op_zero"),
                                 Bad("{op=UINT32_MAX}", "f->cases_op_max"),
                                 Bad("{reserved=1}", "f->cases_reserved")])
    if p.base == "void" and p.depth == 1 and p.name == "ctx":
        return Rule("NULL")  # passed through to the callback, never dereferenced
    by_name = DATA_POINTERS.get((p.base, p.const, p.depth))
    valid = by_name and (by_name.get(p.name) or by_name.get("*"))
    if not valid:
        raise GenError(f"{fn}: pointer parameter '{p.ctype} {p.name}' has no rule; add its "
                       "valid buffer to DATA_POINTERS (gen_bad_calls.py)")
    return Rule(valid, [NULL])


def param_rule(fn, p, fnptrs):
    rule = pointer_rule(fn, p) if p.depth else scalar_rule(fn, p, fnptrs)
    if (fn, p.name) in LEGIT_NULL:
        expect, mutates, reason = LEGIT_NULL[(fn, p.name)]
        if NULL not in rule.bads:
            raise GenError(f"{fn}: LEGIT_NULL lists '{p.name}', which takes no NULL")
        rule.bads.remove(NULL)
        rule.legit.append(Legit(f"{p.name}=NULL", "NULL",
                                Expect(expect.kind, expect.codes, expect.value, reason=reason),
                                mutates))
    return rule


# ---- semantic bad calls the types cannot express ------------------------------------

@dataclass
class Extra:
    function: str
    label: str
    args: list
    expect: Expect
    setup: str = ""
    mutates: bool = False
    legit: bool = False


def create_fails(change, quote, code="GORT_EINVAL"):
    """gort_type_create with the valid descriptor d changed by `change` (C statements); the
    label is the change itself: "desc.align=3"."""
    label = ", ".join(re.sub(r"^d\.(\w+) = (.*);.*$", r"desc.\1=\2", stmt.strip())
                      for stmt in change.split("\n"))
    return Extra("gort_type_create", label, ["&d", "&f->out.type"],
                 status(code, reason="type.h: " + quote),
                 "gort_type_desc d = f->desc;\n    " + change)


def fails(function, label, args, code, reason, **kw):
    return Extra(function, label, args, status(code, reason=reason), **kw)


def succeeds(function, label, args, expect, reason, mutates=False):
    return Extra(function, label, args, Expect(expect.kind, expect.codes, expect.value,
                                               reason=reason), mutates=mutates, legit=True)


ALIGN = '"GORT_EINVAL if ... align is not a power of two <= 4096"'
STR_NULL = ('errors.md: GORT_EINVAL for "a gort_str with len > 0 and ptr == NULL copied into '
            'a container"')
STR_LONG = 'errors.md: GORT_EOVERFLOW for "a string longer than 2^48"'
STR_READ_NULL = 'map.h, type.h: "GORT_EINVAL for ... a str key {NULL, len > 0}"'
STR_READ_LONG = 'map.h, type.h: "GORT_EOVERFLOW for a str key longer than GORT_MAX_ALLOC"'
CLOSED = 'chan.h: "GORT_ECLOSED if c is closed"'
CLOSED_NO_WAIT = CLOSED + "; a closed channel never makes a sender wait"
INCOMPARABLE = 'type.h: "GORT_ETYPE for an incomparable type"'
UNTOUCHED = 'chan.h: "On GORT_EAGAIN or GORT_ETIMEDOUT *out and *ok are untouched"'
NO_OVERFLOW = ("a ready channel never waits, and the largest timeout must not overflow a "
               "deadline")
READY_RECV = ["f->cases", "1", "INT64_MAX", "&f->out.size_out", "&f->out.int_out"]
NIL_CASE = ('chan.h: "NULL makes a case that is never ready"; "GORT_EAGAIN timeout_ns == 0 and '
            'no case was ready"')
BATCH_CHECKED_FIRST = ('; map.h: "Every key is checked before anything is written, so on '
                       'error the arrays are untouched"')
NO_CASES = ('chan.h: GORT_EINVAL only for "cases NULL with n_cases > 0"; "timeout_ns 0 is '
            'Go\'s default case"')
SET_N_NEW = ('; map.h (set_n): "All or nothing: on any error the map\'s contents are unchanged '
             'and nothing was retained" (the first key, "gamma", is not inserted)')
SET_N_PRESENT = ('; map.h (set_n): "Every key and value is checked ... before any entry '
                 'changes" (the first key, "alpha", keeps its value)')
DELETE_N_FIRST = ('; map.h (delete_n): "GORT_EINVAL/GORT_EOVERFLOW as for gort_map_set_n, '
                  'checked before anything is deleted" (the first key, "alpha", stays)')

EXTRAS = [
    create_fails("d.align = 3;", ALIGN),
    create_fails("d.align = 8192;", ALIGN),
    create_fails("d.align = 0;", ALIGN),
    create_fails("d.size = 20;", '"GORT_EINVAL if ... size is not a multiple of align"'),
    create_fails("d.hash = bad_hash;", '"GORT_EINVAL if ... hash/equal ... are given singly"'),
    create_fails("d.release = NULL;", '"GORT_EINVAL if ... retain/release are given singly"'),
    create_fails("d.ptr_words = 4;",
                 '"GORT_EINVAL if ... the bitmap does not fit inside size"'),
    create_fails("d.ptr_words = SIZE_MAX;",
                 '"GORT_EINVAL if ... the bitmap does not fit inside size"'),
    create_fails("d.align = 4; /* with pointer words */",
                 '"GORT_EINVAL if ... pointer words are misaligned"'),
    create_fails("d.flags = UINT32_C(0x80000000);",
                 '"GORT_EINVAL if ... flags has unknown bits"'),
    create_fails("d.flags = GORT_TYPE_INCOMPARABLE;\n    d.hash = bad_hash;\n"
                 "    d.equal = bad_equal;",
                 '"GORT_EINVAL if ... GORT_TYPE_INCOMPARABLE comes with an equal function"'),
    create_fails("d.size = GORT_TYPE_MAX_SIZE + 8;",
                 '"GORT_EOVERFLOW if size > GORT_TYPE_MAX_SIZE"', "GORT_EOVERFLOW"),
    fails("gort_type_hash", "type=incomparable",
          ["f->t_incomparable", "&f->in.key", "UINT64_C(42)", "&f->out.u64_out"],
          "GORT_ETYPE", INCOMPARABLE),
    fails("gort_type_equal", "type=incomparable",
          ["f->t_incomparable", "&f->in.key", "&f->in.key", "&f->out.int_out"],
          "GORT_ETYPE", INCOMPARABLE),
    fails("gort_heap_destroy", "heap=default", ["gort_heap_default()", "0"], "GORT_EINVAL",
          'heap.h: "GORT_EINVAL for the default heap"'),
    fails("gort_heap_destroy", "heap=busy", ["f->heap", "0"], "GORT_EBUSY",
          'heap.h: "GORT_EBUSY if anything is still allocated in it ... (the heap is then '
          'unchanged)"'),
    fails("gort_slice_make", "type=zero-size, cap=MAX_ALLOC+1",
          ["f->t_empty", "0", "(size_t)GORT_MAX_ALLOC + 1", "f->heap", "&f->out.slice"],
          "GORT_EOVERFLOW", 'slice.h: "GORT_EOVERFLOW if cap or cap * size exceeds '
                            'GORT_MAX_ALLOC"'),
    fails("gort_slice_set", "s=[]str, value={NULL, 3}",
          ["f->s_str", "0", "&f->in.str_null_bytes"], "GORT_EINVAL", STR_NULL),
    fails("gort_slice_append", "s=[]str, value={NULL, 3}",
          ["f->s_str", "&f->in.str_null_bytes"], "GORT_EINVAL", STR_NULL),
    fails("gort_slice_append", "s=[]str, value.len=MAX_ALLOC+1",
          ["f->s_str", "&f->in.str_too_long"], "GORT_EOVERFLOW", STR_LONG),
    fails("gort_slice_append", "s=[]tracked, value=NULL", ["f->s_tracked", "NULL"],
          "GORT_EINVAL", 'slice.h: "value may be NULL only for a zero-size element type"'),
    fails("gort_slice_append_slice", "src=[]str", ["f->s_i64", "f->s_str"], "GORT_ETYPE",
          'slice.h: "GORT_ETYPE if the element types differ"'),
    fails("gort_slice_copy", "src=[]str", ["f->s_i64", "f->s_str", "&f->out.size_out"],
          "GORT_ETYPE", 'slice.h: "GORT_ETYPE if the types differ"'),
    fails("gort_map_create", "key_type=incomparable",
          ["f->t_incomparable", "f->t_i64", "0", "f->heap", "&f->out.map"], "GORT_ETYPE",
          'map.h: "GORT_ETYPE if key_type has no equality"'),
    fails("gort_map_set", "m=map[str], key={NULL, 3}",
          ["f->m_str", "&f->in.str_null_bytes", "&f->in.value"], "GORT_EINVAL", STR_NULL),
    fails("gort_map_set", "m=map[str], key.len=MAX_ALLOC+1",
          ["f->m_str", "&f->in.str_too_long", "&f->in.value"], "GORT_EOVERFLOW",
          STR_LONG + '; map.h: "on error the map is unchanged and nothing was retained"'),
    fails("gort_map_iter_delete", "it=nothing produced yet", ["&f->it"], "GORT_EINVAL",
          'map.h: "GORT_EINVAL ... when no entry was produced since init"'),
    fails("gort_chan_expect_type", "type=str", ["f->c_buf", "f->t_str"], "GORT_ETYPE",
          'chan.h: "GORT_ETYPE otherwise"'),
    fails("gort_chan_send", "c=closed", ["f->c_closed", "&f->in.value"], "GORT_ECLOSED",
          CLOSED + ': "nothing was sent and the value\'s references are the caller\'s again"'),
    fails("gort_chan_try_send", "c=closed", ["f->c_closed", "&f->in.value"], "GORT_ECLOSED",
          CLOSED),
    fails("gort_chan_send_timeout", "c=closed", ["f->c_closed", "&f->in.value", "0"],
          "GORT_ECLOSED", CLOSED),
    fails("gort_chan_send_timeout", "c=closed, timeout_ns=INT64_MIN (forever)",
          ["f->c_closed", "&f->in.value", "INT64_MIN"], "GORT_ECLOSED", CLOSED_NO_WAIT),
    fails("gort_chan_send_timeout", "c=closed, timeout_ns=INT64_MAX",
          ["f->c_closed", "&f->in.value", "INT64_MAX"], "GORT_ECLOSED", CLOSED_NO_WAIT),
    fails("gort_chan_close", "c=closed", ["f->c_closed"], "GORT_ECLOSED",
          'chan.h: "GORT_ECLOSED if c was already closed"'),
    fails("gort_chan_try_send", "c=unbuffered, no receiver", ["f->c_unbuf", "&f->in.word"],
          "GORT_EAGAIN", 'chan.h: "GORT_EAGAIN if no receiver is waiting and the buffer is '
                         'full"'),
    fails("gort_chan_try_recv", "c=unbuffered, no sender",
          ["f->c_unbuf", "&f->out.elem", "&f->out.int_out"], "GORT_EAGAIN",
          'chan.h: "GORT_EAGAIN if no value is buffered, no sender is waiting and c is open '
          '(*out and *ok untouched)"'),
    fails("gort_chan_recv_timeout", "c=unbuffered, timeout_ns=0",
          ["f->c_unbuf", "&f->out.elem", "&f->out.int_out", "0"], "GORT_EAGAIN", UNTOUCHED),
    fails("gort_chan_recv_timeout", "c=unbuffered, timeout_ns=1",
          ["f->c_unbuf", "&f->out.elem", "&f->out.int_out", "1"], "GORT_ETIMEDOUT", UNTOUCHED),
    succeeds("gort_chan_recv_timeout", "c=ready, timeout_ns=INT64_MAX",
             ["f->c_buf", "&f->out.elem", "&f->out.int_out", "INT64_MAX"], OK,
             "chan.h: " + NO_OVERFLOW, mutates=True),
    succeeds("gort_chan_recv_timeout", "c=ready, timeout_ns=INT64_MIN (forever)",
             ["f->c_buf", "&f->out.elem", "&f->out.int_out", "INT64_MIN"], OK,
             'chan.h: "Negative: wait forever", but a value is buffered', mutates=True),
    succeeds("gort_select", "cases={ready recv}, timeout_ns=INT64_MAX", READY_RECV, OK,
             "chan.h: " + NO_OVERFLOW, mutates=True),
    succeeds("gort_select", "cases={recv from NULL chan}",
             ["f->cases_nil_chan", "1", "0", "&f->out.size_out", "&f->out.int_out"],
             status("GORT_EAGAIN"), NIL_CASE),
    succeeds("gort_select", "cases=NULL, n_cases=0",
             ["NULL", "0", "0", "&f->out.size_out", "&f->out.int_out"], status("GORT_EAGAIN"),
             NO_CASES),
    fails("gort_slice_append_n", "s=[]str, values={valid, {NULL, 3}}",
          ["f->s_str", "f->in.strs_null_second", "2"], "GORT_EINVAL",
          STR_NULL + '; "Partial copies are rolled back"'),
    fails("gort_slice_append_n", "s=[]str, values={valid, len MAX_ALLOC+1}",
          ["f->s_str", "f->in.strs_long_second", "2"], "GORT_EOVERFLOW",
          STR_LONG + '; "Partial copies are rolled back"'),
    fails("gort_chan_send", "c=chan str, value={NULL, 3}", ["f->c_str", "&f->in.str_null_bytes"],
          "GORT_EINVAL", STR_NULL),
    fails("gort_chan_try_send", "c=chan str, value.len=MAX_ALLOC+1",
          ["f->c_str", "&f->in.str_too_long"], "GORT_EOVERFLOW",
          STR_LONG + '; chan.h: "GORT_ENOMEM or GORT_EOVERFLOW if copying a string\'s bytes '
                     'fails"'),
    fails("gort_select", "cases={send {NULL, 3} on chan str}",
          ["f->cases_send_null_str", "1", "0", "&f->out.size_out", "&f->out.int_out"],
          "GORT_EINVAL", STR_NULL + '; chan.h: "On every error except GORT_ECLOSED, no case has '
                                    'committed"'),
    fails("gort_type_hash", "type=str, value={NULL, 3}",
          ["f->t_str", "&f->in.str_null_bytes", "UINT64_C(42)", "&f->out.u64_out"],
          "GORT_EINVAL", STR_READ_NULL),
    fails("gort_type_hash", "type=str, value.len=MAX_ALLOC+1",
          ["f->t_str", "&f->in.str_too_long", "UINT64_C(42)", "&f->out.u64_out"],
          "GORT_EOVERFLOW", STR_READ_LONG),
    fails("gort_type_equal", "type=str, a={NULL, 3}",
          ["f->t_str", "&f->in.str_null_bytes", "&f->in.str", "&f->out.int_out"],
          "GORT_EINVAL", STR_READ_NULL),
    fails("gort_type_equal", "type=str, b.len=MAX_ALLOC+1",
          ["f->t_str", "&f->in.str", "&f->in.str_too_long", "&f->out.int_out"],
          "GORT_EOVERFLOW", STR_READ_LONG),
    fails("gort_map_get", "m=map[str], key={NULL, 3}",
          ["f->m_str", "&f->in.str_null_bytes", "&f->out.elem", "&f->out.int_out"],
          "GORT_EINVAL", STR_READ_NULL),
    fails("gort_map_get", "m=map[str], key.len=MAX_ALLOC+1",
          ["f->m_str", "&f->in.str_too_long", "&f->out.elem", "&f->out.int_out"],
          "GORT_EOVERFLOW", STR_READ_LONG),
    fails("gort_map_get_ptr", "m=map[str], key={NULL, 3}",
          ["f->m_str", "&f->in.str_null_bytes", "&f->out.ptr_out"], "GORT_EINVAL",
          STR_READ_NULL),
    fails("gort_map_delete", "m=map[str], key={NULL, 3}",
          ["f->m_str", "&f->in.str_null_bytes"], "GORT_EINVAL", STR_READ_NULL),
    fails("gort_map_delete", "m=map[str], key.len=MAX_ALLOC+1",
          ["f->m_str", "&f->in.str_too_long"], "GORT_EOVERFLOW", STR_READ_LONG),
    succeeds("gort_slice_append_n", "values=NULL, n=0", ["f->s_i64", "NULL", "0"], OK,
             'slice.h: "values may be NULL when n == 0"'),
    succeeds("gort_slice_make", "type=zero-size, cap=MAX_ALLOC",
             ["f->t_empty", "0", "(size_t)GORT_MAX_ALLOC", "f->heap", "&f->out.slice"], OK,
             'slice.h: "GORT_EOVERFLOW if cap or cap * size exceeds GORT_MAX_ALLOC": 0 bytes do '
             'not; "Zero-size element types allocate nothing"'),
    succeeds("gort_chan_create", "elem_type=zero-size, cap=INT64_MAX",
             ["f->t_empty", "INT64_MAX", "f->heap", "&f->out.chan"], OK,
             'chan.h: "GORT_EOVERFLOW if cap * size exceeds GORT_MAX_ALLOC": 0 bytes do not; '
             '"zero-size types allocate no buffer"'),
    succeeds("gort_map_iter_next_n", "n=0", ["&f->it", "f->out.keys", "f->out.values", "0"],
             Expect("VALUE", value="0"), 'map.h: "Returns how many were produced"'),
    fails("gort_map_get_n", "m=map[str], keys={valid, {NULL, 3}}",
          ["f->m_str", "f->in.strs_null_second", "2", "f->out.values", "f->out.found"],
          "GORT_EINVAL", STR_READ_NULL + BATCH_CHECKED_FIRST),
    fails("gort_map_get_n", "m=map[str], keys={valid, len MAX_ALLOC+1}",
          ["f->m_str", "f->in.strs_long_second", "2", "f->out.values", "f->out.found"],
          "GORT_EOVERFLOW", STR_READ_LONG + BATCH_CHECKED_FIRST),
    succeeds("gort_map_get_n", "keys=NULL, n=0",
             ["f->m_u64", "NULL", "0", "&f->out.elem", "f->out.found"],
             Expect("VALUE", value="0"), 'map.h: GORT_EINVAL only for "NULL keys with n > 0"; '
                                         '"Returns how many keys were present (0..n)"'),
    fails("gort_map_set_n", "m=map[str], keys={new, {NULL, 3}}",
          ["f->m_str", "f->in.strs_null_second", "f->in.values", "2"], "GORT_EINVAL",
          STR_NULL + SET_N_NEW),
    fails("gort_map_set_n", "m=map[str], keys={new, len MAX_ALLOC+1}",
          ["f->m_str", "f->in.strs_long_second", "f->in.values", "2"], "GORT_EOVERFLOW",
          STR_LONG + SET_N_NEW),
    fails("gort_map_set_n", "m=map[str], keys={present, {NULL, 3}}",
          ["f->m_str", "f->in.strs_present_null_second", "f->in.values", "2"], "GORT_EINVAL",
          STR_NULL + SET_N_PRESENT),
    fails("gort_map_set_n", "m=map[str], keys={present, len MAX_ALLOC+1}",
          ["f->m_str", "f->in.strs_present_long_second", "f->in.values", "2"],
          "GORT_EOVERFLOW", STR_LONG + SET_N_PRESENT),
    fails("gort_map_set_n", "m=map[str], keys={present, {NULL, 3}}, values=NULL",
          ["f->m_str", "f->in.strs_present_null_second", "NULL", "2"], "GORT_EINVAL",
          STR_NULL + SET_N_PRESENT + ', not the zero value'),
    fails("gort_map_delete_n", "m=map[str], keys={present, {NULL, 3}}",
          ["f->m_str", "f->in.strs_present_null_second", "2"], "GORT_EINVAL",
          STR_READ_NULL + DELETE_N_FIRST),
    fails("gort_map_delete_n", "m=map[str], keys={present, len MAX_ALLOC+1}",
          ["f->m_str", "f->in.strs_present_long_second", "2"], "GORT_EOVERFLOW",
          STR_READ_LONG + DELETE_N_FIRST),
    succeeds("gort_map_set_n", "m=map[str], keys=NULL, n=0",
             ["f->m_str", "NULL", "f->in.values", "0"], Expect("VALUE", value="0"),
             'map.h: GORT_EINVAL for "NULL keys with n > 0"; "Returns how many entries were '
             'added (0..n)"'),
    succeeds("gort_map_set_n", "m=map[str], keys=NULL, values=NULL, n=0",
             ["f->m_str", "NULL", "NULL", "0"], Expect("VALUE", value="0"),
             'map.h: GORT_EINVAL for "NULL keys with n > 0"; "Returns how many entries were '
             'added (0..n)"'),
    succeeds("gort_map_delete_n", "m=map[str], keys=NULL, n=0", ["f->m_str", "NULL", "0"],
             Expect("VALUE", value="0"),
             'map.h (delete_n): GORT_EINVAL "as for gort_map_set_n" (NULL keys with n > 0); '
             '"Returns how many entries were deleted (0..n)"'),
]

# Legitimate NULLs left out of the all-bad call because the header does not say which
# check comes first.
ALL_BAD_SKIP = {
    ("gort_heap_destroy", "heap"): 'heap.h orders neither "NULL is accepted and does nothing" '
                                   'nor "GORT_EINVAL for ... unknown flags" first',
}

# Arguments that a successful call consumes: the runner must not free them again.
CONSUMES = {"gort_heap_destroy": "heap"}


# ---- rows ------------------------------------------------------------------------------------

@dataclass
class Row:
    function: str
    label: str
    kind: str        # ONE ALL EXTRA LEGIT PLAIN
    args: list
    expect: Expect
    setup: str = ""
    mutates: bool = False


def union_expect(proto, expects):
    """The all-bad call may stop at any one of its bad arguments: any of their outcomes."""
    kinds = {e.kind for e in expects}
    if kinds != {"STATUS"}:
        if len(set(expects)) != 1:
            raise GenError(f"{proto.name}: bad arguments disagree on the outcome kind")
        return expects[0]
    codes = []
    for e in expects:
        codes += [c for c in e.codes if c not in codes]
    if len(codes) > MAX_CODES:
        raise GenError(f"{proto.name}: the all-bad call accepts {len(codes)} codes; "
                       f"bad_call.codes holds {MAX_CODES}")
    return status(*codes, reason="any of the single bad arguments' codes (the header does not "
                                 "order the checks)")


def rows_for(proto, fnptrs):
    if not proto.params:
        expect = PLAIN.get(proto.name) or (
            DEFAULT_BY_RETURN["const char *"] if proto.ret == "const char *" else None)
        if expect is None:
            raise GenError(f"{proto.name} takes no parameters: add its documented result to "
                           "PLAIN (gen_bad_calls.py)")
        return [Row(proto.name, "no arguments", "PLAIN", [], expect)]
    rules = [param_rule(proto.name, p, fnptrs) for p in proto.params]
    valid = [r.valid for r in rules]
    rows = []
    for i, (p, rule) in enumerate(zip(proto.params, rules)):
        for bad in rule.bads:
            args = valid[:i] + [bad.expr] + valid[i + 1:]
            rows.append(Row(proto.name, f"{p.name}={bad.label}", "ONE", args,
                            expectation(proto, p.name, bad.label)))
        for legit in rule.legit:
            args = valid[:i] + [legit.expr] + valid[i + 1:]
            rows.append(Row(proto.name, legit.label, "LEGIT", args, legit.expect,
                            mutates=legit.mutates))
    all_bad = all_bad_row(proto, rules)
    return rows + ([all_bad] if all_bad else [])


def all_bad_row(proto, rules):
    """Every parameter at its first bad value; the others at their legitimate NULL or
    extreme, which must not matter once a bad argument is rejected."""
    args, labels, expects = [], [], []
    for p, rule in zip(proto.params, rules):
        if rule.bads:
            bad = rule.bads[0]
            expects.append(expectation(proto, p.name, bad.label))
        elif (proto.name, p.name) in ALL_BAD_SKIP:
            bad = None
        elif rule.legit and rule.legit[0].expr == "NULL":
            bad = Bad("NULL", "NULL")
        else:
            bad = rule.extreme
        args.append(bad.expr if bad else rule.valid)
        if bad:
            labels.append(f"{p.name}={bad.label}")
    if not expects or len(labels) < 2:
        return None
    return Row(proto.name, ", ".join(labels), "ALL", args, union_expect(proto, expects))


def extra_rows(protos):
    rows = []
    for extra in EXTRAS:
        proto = protos.get(extra.function)
        if proto is None:
            raise GenError(f"EXTRAS names {extra.function}, which is not in the manifest")
        if len(extra.args) != len(proto.params):
            raise GenError(f"EXTRAS: {extra.function} takes {len(proto.params)} arguments, "
                           f"the row '{extra.label}' passes {len(extra.args)}")
        rows.append(Row(extra.function, extra.label, "LEGIT" if extra.legit else "EXTRA",
                        extra.args, extra.expect, extra.setup, extra.mutates))
    return rows


def build_rows(functions, protos, fnptrs):
    missing = [name for name in functions if name not in protos]
    if missing:
        raise GenError("manifest functions without a prototype in the headers: "
                       + ", ".join(missing))
    rows, problems = [], []
    for name in functions:
        try:
            rows += rows_for(protos[name], fnptrs)
        except GenError as err:
            problems.append(str(err))
    if problems:
        raise GenError("\n".join(problems))
    manifest_protos = {name: protos[name] for name in functions}
    rows += extra_rows(manifest_protos)
    seen, unique = set(), []
    for row in rows:
        key = (row.function, tuple(row.args), row.setup)
        if key not in seen:
            seen.add(key)
            unique.append(row)
    order = {name: i for i, name in enumerate(functions)}
    unique.sort(key=lambda r: order[r.function])  # stable: a function's rows stay together
    uncovered = [name for name in functions if name not in {r.function for r in unique}]
    if uncovered:
        raise GenError("manifest functions with no generated call: " + ", ".join(uncovered))
    return unique


# ---- C output ----------------------------------------------------------------------------

def c_string(text):
    if text is None:
        return "NULL"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def call_body(row, proto):
    call = f"{row.function}({', '.join(row.args)})"
    if proto.ret == "void":
        stmt = f"{call};"
    elif proto.ret.endswith("*"):
        stmt = f"r->ptr = {call};"
    else:
        stmt = f"r->value = (long long){call};"
    lines = [row.setup] if row.setup else []
    lines.append(stmt)
    consumed = CONSUMES.get(row.function)
    if consumed:
        arg = row.args[[p.name for p in proto.params].index(consumed)]
        if arg.startswith("f->"):
            lines.append(f"if (r->value == GORT_OK)\n        {arg} = NULL; /* gone */")
    return "\n    ".join(lines)


def table_entry(index, row):
    e = row.expect
    fields = [f".function = {c_string(row.function)}", f".args = {c_string(row.label)}",
              f".kind = BAD_ROW_{row.kind}", f".call = bad_call_{index}",
              f".expect = BAD_EXPECT_{e.kind}"]
    if e.kind == "STATUS":
        fields += [f".n_codes = {len(e.codes)}", ".codes = {" + ", ".join(e.codes) + "}"]
    if e.kind == "VALUE":
        fields.append(f".value = {e.value}")
    if e.strings is not None:
        fields.append(f".strings = {c_string(e.strings)}")
    if row.mutates:
        fields.append(".mutates = true")
    if e.reason:
        fields.append(f".reason = {c_string(e.reason)}")
    return "    {" + ",\n     ".join(fields) + "},"


def render(functions, rows, protos, sources):
    out = [
        "/*",
        " * GENERATED by tests/bad_input/gen_bad_calls.py -- do not edit; edit the generator.",
        f" * From {', '.join(sources)}.",
        f" * {len(rows)} calls over {len({r.function for r in rows})} functions; the rows and "
        "their meaning are",
        " * described in bad_input.h.",
        " */",
        "#include <limits.h>",
        "#include <stdint.h>",
        "",
        '#include "bad_input.h"',
        "",
        f'_Static_assert(BAD_MAX_CODES == {MAX_CODES}, "MAX_CODES in gen_bad_calls.py");',
        "",
        "/* A hash and an equality function for descriptors that need one. */",
        "static uint64_t bad_hash(const void *value, uint64_t seed, void *ctx)",
        "{",
        "    (void)value;",
        "    (void)ctx;",
        "    return seed;",
        "}",
        "",
        "static int bad_equal(const void *a, const void *b, void *ctx)",
        "{",
        "    (void)ctx;",
        "    return a == b;",
        "}",
        "",
    ]
    for i, row in enumerate(rows):
        body = call_body(row, protos[row.function])
        unused = [f"    (void){name};" for name, used in (("f", "f->" in body),
                                                          ("r", "r->" in body)) if not used]
        out += [f"/* {row.function}({row.label}) */",
                f"static void bad_call_{i}(bad_fixtures *f, bad_result *r)", "{"]
        out += unused + ["    " + body, "}", ""]
    out.append("const bad_call bad_calls[] = {")
    out += [table_entry(i, row) for i, row in enumerate(rows)]
    out += ["};", "", "const size_t bad_calls_count = sizeof bad_calls / sizeof bad_calls[0];",
            "", "const char *const bad_manifest_functions[] = {"]
    out += [f"    {c_string(name)}," for name in functions]
    out += ["};", "", "const size_t bad_manifest_count = "
            "sizeof bad_manifest_functions / sizeof bad_manifest_functions[0];", ""]
    return "\n".join(out)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--manifest", required=True, help="src/libgort.map")
    parser.add_argument("--include", required=True, help="the include/ directory")
    parser.add_argument("--output", required=True, help="the C file to write")
    parser.add_argument("--depfile", help="write a Makefile dependency rule here")
    parser.add_argument("cc", nargs="*", help="C compiler command (default: $CC or cc)")
    args = parser.parse_args(argv)
    cc = args.cc or shlex.split(os.environ.get("CC", "cc"))
    try:
        with open(args.manifest, encoding="utf-8") as f:
            functions = manifest_functions(f.read())
        protos, fnptrs = parse_prototypes(cdef_text(cc, args.include))
        rows = build_rows(functions, protos, fnptrs)
        deps = header_dependencies(cc, args.include) if args.depfile else []
    except (GenError, OSError) as err:
        print(f"gen_bad_calls.py: error: {err}", file=sys.stderr)
        return 1
    text = render(functions, rows, protos, [os.path.basename(args.manifest), "include/gort.h"])
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    if args.depfile:
        with open(args.depfile, "w", encoding="utf-8") as f:
            f.write(f"{args.output}: {args.manifest} {' '.join(deps)}\n")
    print(f"gen_bad_calls.py: {len(rows)} calls over {len(functions)} functions",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""ABI checks: libgort.so exports exactly the symbols of the version script (the ABI
manifest, every version node), each with the version of the node that lists it, every
GORT_API declaration in the headers is in the manifest with the node its `@since` names,
the nodes form one chain ending at the library's major.minor version, and the headers
preprocessed with -DGORT_CDEF give plain declarations an FFI parser accepts.

usage: test_abi.py LIBGORT_SO LIBGORT_MAP INCLUDE_DIR
"""
import ctypes
import re
import subprocess
import sys
import tempfile
from pathlib import Path


def manifest_nodes(map_path):
    """{symbol: version node} over every node (GORT_1.0 { global: ...; local: *; };
    GORT_1.1 { global: ...; } GORT_1.0; ...)."""
    text = re.sub(r"/\*.*?\*/", "", Path(map_path).read_text(), flags=re.S)
    nodes = {}
    for node, body in re.findall(r"([A-Za-z_][\w.]*)\s*\{(.*?)\}\s*[\w.]*\s*;", text, re.S):
        for section in re.findall(r"global\s*:(.*?)(?=\blocal\s*:|$)", body, re.S):
            nodes.update((name.strip(), node) for name in section.split(";") if name.strip())
    return nodes


def node_chain(map_path):
    """[(node, the node it inherits or None)] in the order the manifest lists them."""
    text = re.sub(r"/\*.*?\*/", "", Path(map_path).read_text(), flags=re.S)
    return [(node, parent or None) for node, parent in
            re.findall(r"([A-Za-z_][\w.]*)\s*\{.*?\}\s*([\w.]*)\s*;", text, re.S)]


def chain_problems(chain, lib):
    """Each node after the first inherits the one before it, and the last is
    GORT_<major>.<minor> of the version the library reports (gort_version): a release
    that adds functions adds one node and bumps the minor version, never one without
    the other."""
    problems = [f"{node} inherits {parent}, not {chain[i - 1][0] if i else None}"
                for i, (node, parent) in enumerate(chain)
                if parent != (chain[i - 1][0] if i else None)]
    gort_version = ctypes.CDLL(lib).gort_version
    gort_version.restype = ctypes.c_uint32  # major << 16 | minor << 8 | patch
    version = gort_version()
    newest = f"GORT_{version >> 16}.{(version >> 8) & 0xff}"
    if not chain or chain[-1][0] != newest:
        problems.append(f"newest node {chain[-1][0] if chain else None}, library {newest}")
    return problems


def declared_since(include_dir):
    """{function: "GORT_X.Y"} from the `@since X.Y` of the comment that documents each
    GORT_API function (the last one before its declaration: a comment may document a
    group of declarations, as for gort_map_key_type and gort_map_value_type)."""
    since = {}
    for header in Path(include_dir).rglob("*.h"):
        text = header.read_text()
        for match in re.finditer(r"GORT_API\s+[^;(]*?\b(gort_\w+)\s*\(", text):
            versions = re.findall(r"@since\s+(\d+\.\d+)", text[:match.start()])
            since[match.group(1)] = f"GORT_{versions[-1]}" if versions else None
    return since


def symbol_versions(lib):
    """{symbol: version} of the defined dynamic gort_ symbols (objdump -T)."""
    out = subprocess.run(["objdump", "-T", lib], check=True, capture_output=True,
                         text=True).stdout
    versions = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[-1].startswith("gort_") and "*UND*" not in line:
            versions[parts[-1]] = parts[-2].strip("()")
    return versions


def exported_symbols(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TtDdBbRrVvWwi":
            names.add(parts[2].split("@")[0])
    return names


def declared_symbols(include_dir):
    names = set()
    for header in Path(include_dir).rglob("*.h"):
        for match in re.finditer(r"GORT_API\s+[^;(]*?\b(gort_\w+)\s*\(", header.read_text()):
            names.add(match.group(1))
    return names


def soname(lib):
    out = subprocess.run(["objdump", "-p", lib], check=True, capture_output=True,
                         text=True).stdout
    fields = [line.split() for line in out.splitlines() if line.strip().startswith("SONAME")]
    return fields[0][1] if fields else None


def check_cdef(include_dir):
    """cc -E -P -DGORT_CDEF must yield pure declarations: no preprocessor lines, no
    attributes, nothing from system headers; with stdint/stddef types they compile."""
    out = subprocess.run(["cc", "-E", "-P", "-DGORT_CDEF", "-I", include_dir,
                          str(Path(include_dir) / "gort.h")],
                         check=True, capture_output=True, text=True).stdout
    problems = [l for l in out.splitlines() if l.startswith("#") or "__attribute__" in l]
    if "typedef struct gort_slice gort_slice;" not in out:
        problems.append("missing gort_slice typedef")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "cdef.c"
        src.write_text("#include <stddef.h>\n#include <stdint.h>\n" + out)
        result = subprocess.run(["cc", "-std=c99", "-pedantic", "-Werror", "-fsyntax-only",
                                 str(src)], capture_output=True, text=True)
        if result.returncode != 0:
            problems.append("cdef output does not compile:\n" + result.stderr)
    return problems


def main():
    lib, map_path, include_dir = sys.argv[1:4]
    nodes = manifest_nodes(map_path)
    manifest, exported = set(nodes), exported_symbols(lib)
    versions = symbol_versions(lib)
    misversioned = sorted(f"{name}@{versions.get(name)} (manifest: {node})"
                          for name, node in nodes.items() if versions.get(name) != node)
    declared = declared_symbols(include_dir)
    wrong_since = sorted(f"{name}: @since {since} (manifest: {nodes.get(name)})"
                         for name, since in declared_since(include_dir).items()
                         if since != nodes.get(name))
    chain = node_chain(map_path)
    broken_chain = chain_problems(chain, lib)
    failures = 0
    checks = [
        ("exported symbols equal the manifest", exported == manifest,
         f"extra: {sorted(exported - manifest)} missing: {sorted(manifest - exported)}"),
        ("every declared GORT_API function is in the manifest", declared == manifest,
         f"undeclared: {sorted(manifest - declared)} unlisted: {sorted(declared - manifest)}"),
        ("no jemalloc or internal symbol leaks",
         not [n for n in exported if not n.startswith("gort_") or n.startswith("gort__")],
         str(sorted(n for n in exported if not n.startswith("gort_")))),
        ("every symbol carries the version node that lists it", not misversioned,
         "; ".join(misversioned)),
        ("every function's @since names the node that lists it", not wrong_since,
         "; ".join(wrong_since)),
        ("the nodes form one chain ending at the library's version", not broken_chain,
         "; ".join(broken_chain)),
        ("SONAME is libgort.so.1", soname(lib) == "libgort.so.1", f"SONAME {soname(lib)}"),
    ]
    cdef_problems = check_cdef(include_dir)
    checks.append(("GORT_CDEF preprocessing gives FFI-parseable declarations",
                   not cdef_problems, "\n".join(cdef_problems)))
    print(f"1..{len(checks)}")
    for i, (name, ok, detail) in enumerate(checks, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if not ok:
            failures += 1
            print("# " + detail.replace("\n", "\n# "))
    print(f"# {len(manifest)} symbols in the manifest, nodes "
          f"{' <- '.join(node for node, _ in chain)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

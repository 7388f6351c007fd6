#!/usr/bin/env python3
"""ABI checks: libgort.so exports exactly the symbols of the version script (the ABI
manifest, every version node), each with the version of the node that lists it, every
GORT_API declaration in the headers is in the manifest, and the headers preprocessed with
-DGORT_CDEF give plain declarations an FFI parser accepts.

usage: test_abi.py LIBGORT_SO LIBGORT_MAP INCLUDE_DIR
"""
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
          f"{', '.join(sorted(set(nodes.values())))}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

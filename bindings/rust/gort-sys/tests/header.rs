//! The declarations check: gort-sys must declare exactly what include/gort.h declares.
//!
//! The header is read the way the other bindings read it, `cc -E -P -DGORT_CDEF gort.h`
//! (plus `cc -E -dM` for the macro constants), and compared item by item with the
//! source of src/lib.rs: every function (name, parameter names and types, return type),
//! every struct (opaque or field by field), every enumerator and integer macro (value),
//! every function-pointer typedef. Sizes and alignments of the structs are compared with
//! what a C compiler reports, the function list with src/libgort.map (the ABI manifest)
//! and with the symbols the loaded library exports.
//!
//! The header is found through GORT_INCLUDE (set by meson), else the include directory
//! pkg-config reported when gort-sys was built, else the source tree around this crate.

mod decl;

use decl::{c, rust, Decls, Ty};
use std::collections::BTreeSet;
use std::env;
use std::ffi::CString;
use std::fs;
use std::mem::{align_of, size_of};
use std::os::raw::{c_char, c_void};
use std::path::{Path, PathBuf};
use std::process::Command;

const SYS_SOURCE: &str = include_str!("../src/lib.rs");

fn include_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        env::var_os("GORT_INCLUDE").map(PathBuf::from),
        Some(PathBuf::from(env!("GORT_SYS_INCLUDE"))),
        Some(manifest.join("../../../include")),
    ];
    for dir in candidates.iter().flatten() {
        if dir.join("gort.h").is_file() {
            return dir.clone();
        }
    }
    panic!("cannot find gort.h: set GORT_INCLUDE to libgort's include directory");
}

/// Runs the C compiler ($CC, else cc) and returns its standard output.
fn run_cc(args: &[&str]) -> String {
    let cc = env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let out = Command::new(&cc)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler `{}`: {}", cc, e));
    assert!(out.status.success(), "{} {:?} failed:\n{}", cc, args, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("compiler output is not UTF-8")
}

fn header_text() -> (String, String) {
    let header = include_dir().join("gort.h");
    let header = header.to_str().expect("non-UTF-8 include path");
    let preprocessed = run_cc(&["-E", "-P", "-DGORT_CDEF", header]);
    let macros = run_cc(&["-E", "-dM", "-DGORT_CDEF", header]);
    (preprocessed, macros)
}

fn parse_header(preprocessed: &str, macros: &str) -> Decls {
    let mut decls = c::parse_header(preprocessed).unwrap_or_else(|e| panic!("parsing the header: {}", e));
    c::add_macros(macros, "GORT_", &["GORT_CDEF"], &mut decls);
    decls
}

fn parse_sys(source: &str) -> Decls {
    rust::parse_source(source).unwrap_or_else(|e| panic!("parsing gort-sys: {}", e))
}

/// Every difference between the header's declarations and gort-sys's, one line each.
fn compare(c: &Decls, rs: &Decls) -> Vec<String> {
    let mut diffs = Vec::new();
    compare_functions(c, rs, &mut diffs);
    compare_structs(c, rs, &mut diffs);
    compare_constants(c, rs, &mut diffs);
    compare_aliases(c, rs, &mut diffs);
    diffs
}

fn compare_functions(c: &Decls, rs: &Decls, diffs: &mut Vec<String>) {
    for (name, cf) in &c.functions {
        let rf = match rs.functions.get(name) {
            Some(rf) => rf,
            None => {
                diffs.push(format!("function {} is not declared in gort-sys", name));
                continue;
            }
        };
        if cf.ret != rf.ret {
            diffs.push(format!("function {} returns {} in C, {} in gort-sys", name, cf.ret, rf.ret));
        }
        if cf.params.len() != rf.params.len() {
            diffs.push(format!(
                "function {} takes {} parameters in C, {} in gort-sys",
                name,
                cf.params.len(),
                rf.params.len()
            ));
            continue;
        }
        for (i, (cp, rp)) in cf.params.iter().zip(&rf.params).enumerate() {
            if cp != rp {
                diffs.push(format!(
                    "function {} parameter {}: `{}: {}` in C, `{}: {}` in gort-sys",
                    name, i, cp.name, cp.ty, rp.name, rp.ty
                ));
            }
        }
    }
    for name in rs.functions.keys().filter(|n| !c.functions.contains_key(*n)) {
        diffs.push(format!("gort-sys declares function {}, which the header does not", name));
    }
}

fn compare_structs(c: &Decls, rs: &Decls, diffs: &mut Vec<String>) {
    for (name, cs) in &c.structs {
        let rstruct = match rs.structs.get(name) {
            Some(r) => r,
            None => {
                diffs.push(format!("struct {} is not declared in gort-sys", name));
                continue;
            }
        };
        if !rs.repr_c.contains(name) {
            diffs.push(format!("struct {} lacks #[repr(C)] in gort-sys", name));
        }
        match (cs, rstruct) {
            (None, None) => {}
            (Some(cf), Some(rf)) if cf == rf => {}
            (Some(cf), Some(rf)) => diffs.push(format!(
                "struct {} fields differ:\n    C:        {}\n    gort-sys: {}",
                name,
                fields(cf),
                fields(rf)
            )),
            (None, Some(_)) => {
                diffs.push(format!("struct {} is opaque in C but has public fields in gort-sys", name))
            }
            (Some(_), None) => {
                diffs.push(format!("struct {} has fields in C but is opaque in gort-sys", name))
            }
        }
    }
    for name in rs.structs.keys().filter(|n| !c.structs.contains_key(*n)) {
        diffs.push(format!("gort-sys declares struct {}, which the header does not", name));
    }
}

fn fields(list: &[decl::Field]) -> String {
    let parts: Vec<String> = list.iter().map(|f| format!("{}: {}", f.name, f.ty)).collect();
    parts.join(", ")
}

fn compare_constants(c: &Decls, rs: &Decls, diffs: &mut Vec<String>) {
    for (name, value) in &c.constants {
        match rs.constants.get(name) {
            None => diffs.push(format!("constant {} = {} is not declared in gort-sys", name, value)),
            Some(v) if v != value => {
                diffs.push(format!("constant {} is {} in C, {} in gort-sys", name, value, v))
            }
            Some(_) => {}
        }
    }
    for name in rs.constants.keys().filter(|n| !c.constants.contains_key(*n)) {
        diffs.push(format!("gort-sys declares constant {}, which the header does not", name));
    }
}

/// Function-pointer typedefs must be equal; each C enum must have a Rust alias of an
/// integer type; gort-sys may declare no other alias.
fn compare_aliases(c: &Decls, rs: &Decls, diffs: &mut Vec<String>) {
    const INTEGERS: [&str; 4] = ["c_int", "c_uint", "u32", "i32"];
    for (name, cty) in &c.aliases {
        match rs.aliases.get(name) {
            None => diffs.push(format!("typedef {} is not declared in gort-sys", name)),
            Some(rty) if rty != cty => {
                diffs.push(format!("typedef {} is {} in C, {} in gort-sys", name, cty, rty))
            }
            Some(_) => {}
        }
    }
    for name in c.enums.keys() {
        match rs.aliases.get(name) {
            Some(Ty::Named(int)) if INTEGERS.contains(&int.as_str()) => {}
            other => diffs
                .push(format!("enum {} needs an integer type alias in gort-sys, found {:?}", name, other)),
        }
    }
    for name in rs.aliases.keys().filter(|n| !c.aliases.contains_key(*n) && !c.enums.contains_key(*n)) {
        diffs.push(format!("gort-sys declares type {}, which the header does not", name));
    }
}

#[test]
fn gort_sys_declares_exactly_the_header() {
    let (preprocessed, macros) = header_text();
    let c = parse_header(&preprocessed, &macros);
    let rs = parse_sys(SYS_SOURCE);
    let diffs = compare(&c, &rs);
    assert!(diffs.is_empty(), "gort-sys differs from gort.h:\n  {}", diffs.join("\n  "));
    // Guard against a parser that silently reads nothing.
    assert!(c.functions.len() >= 82, "only {} functions parsed from the header", c.functions.len());
    assert_eq!(c.structs.values().filter(|s| s.is_none()).count(), 5, "opaque handles");
    assert_eq!(c.structs.values().filter(|s| s.is_some()).count(), 6, "structs with fields");
    assert!(c.constants.contains_key("GORT_MAX_ALLOC") && c.constants.contains_key("GORT_ETYPE"));
    println!(
        "checked {} functions, {} structs, {} constants, {} typedefs, {} enums",
        c.functions.len(),
        c.structs.len(),
        c.constants.len(),
        c.aliases.len(),
        c.enums.len()
    );
}

/// The checker itself: every kind of drift must be reported.
#[test]
fn the_check_reports_every_kind_of_difference() {
    let (preprocessed, macros) = header_text();
    let c = parse_header(&preprocessed, &macros);
    let expect_diff = |source: String, what: &str| {
        let diffs = compare(&c, &parse_sys(&source));
        assert!(diffs.iter().any(|d| d.contains(what)), "no difference mentioning {} in {:?}", what, diffs);
    };
    let edit = |from: &str, to: &str| {
        assert!(SYS_SOURCE.contains(from), "test edit target missing: {}", from);
        SYS_SOURCE.replacen(from, to, 1)
    };
    expect_diff(
        edit("pub fn gort_chan_len(c: *const gort_chan)", "pub fn gort_chan_len(c: *mut gort_chan)"),
        "gort_chan_len",
    );
    expect_diff(edit("pub fn gort_version() -> u32;", ""), "gort_version");
    expect_diff(
        edit(
            "pub fn gort_map_len(m: *const gort_map) -> usize;",
            "pub fn gort_map_len(m: *const gort_map) -> u32;",
        ),
        "gort_map_len",
    );
    expect_diff(
        edit("pub const GORT_ETYPE: c_int = -9;", "pub const GORT_ETYPE: c_int = -10;"),
        "GORT_ETYPE",
    );
    expect_diff(
        edit("pub const GORT_MAX_ALLOC: u64 = 1 << 48;", "pub const GORT_MAX_ALLOC: u64 = 1 << 47;"),
        "GORT_MAX_ALLOC",
    );
    expect_diff(
        edit("    pub op: u32,\n    pub reserved: u32,", "    pub reserved: u32,\n    pub op: u32,"),
        "gort_select_case",
    );
    expect_diff(edit("pub opaque: [u64; 16],", "pub opaque: [u64; 15],"), "gort_map_iter");
    expect_diff(
        edit("seed: u64, ctx: *mut c_void) -> u64>", "seed: u32, ctx: *mut c_void) -> u64>"),
        "gort_hash_fn",
    );
    expect_diff(
        edit(
            "#[repr(C)]\n#[derive(Debug, Clone, Copy)]\npub struct gort_str",
            "#[derive(Debug, Clone, Copy)]\npub struct gort_str",
        ),
        "repr(C)",
    );
    expect_diff(format!("{}\nextern \"C\" {{ pub fn gort_extra(); }}\n", SYS_SOURCE), "gort_extra");

    // And from the other side: a header that changes.
    let sys = parse_sys(SYS_SOURCE);
    let changed = preprocessed.replacen(
        "size_t gort_slice_len(const gort_slice *s)",
        "size_t gort_slice_len(gort_slice *s)",
        1,
    );
    assert_ne!(changed, preprocessed);
    let diffs = compare(&parse_header(&changed, &macros), &sys);
    assert!(diffs.iter().any(|d| d.contains("gort_slice_len")), "{:?}", diffs);
    let changed =
        macros.replacen("#define GORT_SELECT_MAX_CASES 65536", "#define GORT_SELECT_MAX_CASES 65535", 1);
    assert_ne!(changed, macros);
    let diffs = compare(&parse_header(&preprocessed, &changed), &sys);
    assert!(diffs.iter().any(|d| d.contains("GORT_SELECT_MAX_CASES")), "{:?}", diffs);
}

macro_rules! layout {
    ($($name:ident),* $(,)?) => {
        vec![$((stringify!($name).to_string(), size_of::<gort_sys::$name>(), align_of::<gort_sys::$name>())),*]
    };
}

/// Sizes and alignments agree with the C compiler's for every struct with fields.
#[test]
fn struct_layouts_match_the_c_compiler() {
    let (preprocessed, macros) = header_text();
    let c = parse_header(&preprocessed, &macros);
    let structs: Vec<&String> = c.structs.iter().filter(|(_, f)| f.is_some()).map(|(n, _)| n).collect();

    let mut program = String::from("#include <stdio.h>\n#include \"gort.h\"\nint main(void) {\n");
    for name in &structs {
        program += &format!("    printf(\"{0} %zu %zu\\n\", sizeof({0}), _Alignof({0}));\n", name);
    }
    program += "    return 0;\n}\n";
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let source = dir.join("gort_layout.c");
    let binary = dir.join("gort_layout");
    fs::write(&source, program).unwrap();
    let include = format!("-I{}", include_dir().display());
    run_cc(&["-std=c11", &include, source.to_str().unwrap(), "-o", binary.to_str().unwrap()]);
    let out = Command::new(&binary).output().expect("running the layout program");
    let c_layouts: BTreeSet<(String, usize, usize)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let parts: Vec<&str> = line.split(' ').collect();
            (parts[0].to_string(), parts[1].parse().unwrap(), parts[2].parse().unwrap())
        })
        .collect();

    let rust_layouts: BTreeSet<(String, usize, usize)> =
        layout!(gort_type_desc, gort_str, gort_heap_stats, gort_map_stats, gort_map_iter, gort_select_case,)
            .into_iter()
            .collect();
    assert_eq!(c_layouts.len(), structs.len());
    assert_eq!(c_layouts, rust_layouts);
}

/// The names listed in the `global:` part of a linker version script.
fn version_script_names(script: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut global = false;
    for line in script.lines().map(str::trim) {
        if line.starts_with("global:") {
            global = true;
        } else if line.starts_with("local:") || line.starts_with('}') {
            global = false; // the end of a node: "};" or "} GORT_1.0;"
        } else if global && line.ends_with(';') && !line.starts_with("/*") && !line.starts_with('*') {
            names.insert(line.trim_end_matches(';').to_string());
        }
    }
    names
}

/// src/libgort.map lists exactly the header's functions, which gort-sys declares. The
/// manifest ships with the source tree only: the test needs it whenever GORT_INCLUDE
/// points into a source tree (meson) and skips, saying so, for an installed header.
#[test]
fn functions_match_the_abi_manifest() {
    let map = include_dir().join("../src/libgort.map");
    let script = match fs::read_to_string(&map) {
        Ok(script) => script,
        Err(e) => {
            assert!(env::var_os("GORT_INCLUDE").is_none(), "{}: {}", map.display(), e);
            println!("skipped: no {} next to an installed header", map.display());
            return;
        }
    };
    let listed = version_script_names(&script);
    let (preprocessed, macros) = header_text();
    let header: BTreeSet<String> = parse_header(&preprocessed, &macros).functions.keys().cloned().collect();
    let sys: BTreeSet<String> = parse_sys(SYS_SOURCE).functions.keys().cloned().collect();
    assert_eq!(listed, header, "libgort.map and gort.h disagree");
    assert_eq!(listed, sys, "libgort.map and gort-sys disagree");
}

extern "C" {
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
}

/// Every function gort-sys declares is exported by the library this test runs against.
#[test]
fn the_loaded_library_exports_every_function() {
    // SAFETY: gort_version has no preconditions; calling it also makes the linker keep
    // libgort as a dependency of this test, so dlsym can search it.
    let version = unsafe { gort_sys::gort_version() };
    assert_eq!(version >> 16, gort_sys::GORT_VERSION_MAJOR);
    let sys = parse_sys(SYS_SOURCE);
    let missing: Vec<&String> = sys
        .functions
        .keys()
        .filter(|name| {
            let symbol = CString::new(name.as_str()).unwrap();
            // SAFETY: RTLD_DEFAULT (a null handle on glibc) searches the loaded objects;
            // `symbol` is a valid C string.
            unsafe { dlsym(std::ptr::null_mut(), symbol.as_ptr()).is_null() }
        })
        .collect();
    assert!(missing.is_empty(), "not exported by the loaded libgort: {:?}", missing);
}

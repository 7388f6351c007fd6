//! Finds libgort with the `pkg-config` program (no crate needed) and tells cargo how to
//! link it. Honours PKG_CONFIG (the program to run) and PKG_CONFIG_PATH, so a build tree
//! works with `PKG_CONFIG_PATH=<build>/meson-uninstalled`.
//!
//! Emits, besides the link flags:
//!   - `cargo:include=<dir>`: the directory holding gort.h (DEP_GORT_INCLUDE for crates
//!     that depend on gort-sys), also given to this crate's tests as GORT_SYS_INCLUDE;
//!   - `cargo:libdir=<dir>`: where the library was found (DEP_GORT_LIBDIR).

use std::env;
use std::path::Path;
use std::process::Command;

/// The libgort ABI this crate declares: any 1.x library will do.
const ABI_MAJOR: u32 = 1;

fn main() {
    for var in ["PKG_CONFIG", "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR", "PKG_CONFIG_SYSROOT_DIR"] {
        println!("cargo:rerun-if-env-changed={}", var);
    }
    println!("cargo:rerun-if-changed=build.rs");

    check_version(&pkg_config(&["--modversion"]));

    let libs = pkg_config(&["--libs"]);
    let mut libdir = String::new();
    for flag in libs.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={}", dir);
            if libdir.is_empty() {
                libdir = dir.to_string();
            }
        } else if let Some(name) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib=dylib={}", name);
        }
    }
    println!("cargo:libdir={}", libdir);

    let cflags = pkg_config(&["--cflags-only-I"]);
    let include = cflags
        .split_whitespace()
        .filter_map(|flag| flag.strip_prefix("-I"))
        .find(|dir| Path::new(dir).join("gort.h").is_file())
        .unwrap_or("");
    println!("cargo:include={}", include);
    println!("cargo:rustc-env=GORT_SYS_INCLUDE={}", include);
}

/// Runs `pkg-config <args> libgort` and returns its standard output, or stops the build
/// with a message that says what to do.
fn pkg_config(args: &[&str]) -> String {
    let program = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let output = match Command::new(&program).args(args).arg("libgort").output() {
        Ok(output) => output,
        Err(err) => panic!(
            "\n\ngort-sys: could not run `{}` ({}).\n\
             Install pkg-config (Debian: apt install pkg-config), or set PKG_CONFIG to its path.\n\n",
            program, err
        ),
    };
    if !output.status.success() {
        panic!(
            "\n\ngort-sys: pkg-config could not find libgort:\n{}\n\
             Install libgort (its libgort.pc must be on pkg-config's search path), or point\n\
             PKG_CONFIG_PATH at a directory holding libgort.pc; for a meson build tree:\n\
             \n    PKG_CONFIG_PATH=<build>/meson-uninstalled cargo build\n\n\
             (PKG_CONFIG_PATH is currently {:?})\n\n",
            String::from_utf8_lossy(&output.stderr).trim(),
            env::var("PKG_CONFIG_PATH").unwrap_or_default()
        );
    }
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn check_version(version: &str) {
    let major = version.split('.').next().and_then(|m| m.parse::<u32>().ok());
    if major != Some(ABI_MAJOR) {
        panic!(
            "\n\ngort-sys: found libgort {}, but this crate declares the libgort {}.x ABI\n\n",
            version, ABI_MAJOR
        );
    }
}

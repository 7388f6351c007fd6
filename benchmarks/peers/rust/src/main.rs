//! Rust peer: std's `Vec`, std's `HashMap` (SipHash and Fx), hashbrown's `HashMap`, and
//! the channels of crossbeam-channel and std (`sync_channel`). One function per workload,
//! registered in `workloads()`, mirroring bench_gort.c; the map workloads are in maps.rs,
//! the channel workloads in chans.rs. The driver protocol is documented at the top of
//! run.py:
//!
//!   bench_rust info                    INFO lines, then "WORKLOADS <name>..."
//!   bench_rust <workload> <n> <reps>   "RESULT <workload> rust <v1,...,vreps> <checksum>"

mod chans;
mod counting_alloc;
mod fx;
mod maps;

use std::process::ExitCode;
use std::time::Instant;

/// glibc malloc through a wrapper that can count bytes (for map_mem_1m).
#[global_allocator]
static GLOBAL: counting_alloc::CountingAlloc = counting_alloc::CountingAlloc;

/// One repetition: the figure in the row's unit and a checksum of what was read back.
struct Sample {
    value: f64,
    checksum: u64,
}

type RunFn = fn(u64) -> Result<Sample, String>;

fn workloads() -> Vec<(String, RunFn)> {
    let mut table: Vec<(String, RunFn)> = vec![
        ("slice_append_int_10m".to_string(), slice_append_int),
        ("slice_append_struct64_1m".to_string(), slice_append_struct64),
    ];
    maps::workloads(&mut table);
    chans::workloads(&mut table);
    table
}

fn ns_per_op(t0: Instant, ops: u64) -> f64 {
    let ns = t0.elapsed().as_nanos() as f64;
    if ops == 0 { 0.0 } else { ns / ops as f64 }
}

/// len + wrapping sum of every 64-bit word read back (the C programs' bench_checksum_words).
fn checksum_words<'a>(words: impl Iterator<Item = &'a u64>, len: usize) -> u64 {
    words.fold(len as u64, |sum, w| sum.wrapping_add(*w))
}

/// slice_append_int_10m: v.push(i as i64) for i in [0, n), from Vec::new().
fn slice_append_int(n: u64) -> Result<Sample, String> {
    let mut v: Vec<i64> = Vec::new();
    let t0 = Instant::now();
    for i in 0..n {
        v.push(i as i64);
    }
    let value = ns_per_op(t0, n);
    let checksum = v.iter().fold(v.len() as u64, |sum, &x| sum.wrapping_add(x as u64));
    Ok(Sample { value, checksum })
}

/// The 64-byte element; element i holds {i, i+1, ..., i+7}.
#[derive(Clone, Copy)]
#[repr(C)]
struct Struct64 {
    f: [u64; 8],
}

/// slice_append_struct64_1m: v.push(Struct64{i, ..., i+7}) for i in [0, n).
fn slice_append_struct64(n: u64) -> Result<Sample, String> {
    let mut v: Vec<Struct64> = Vec::new();
    let t0 = Instant::now();
    for i in 0..n {
        let mut e = Struct64 { f: [0; 8] };
        for k in 0..8 {
            e.f[k] = i + k as u64;
        }
        v.push(e);
    }
    let value = ns_per_op(t0, n);
    let checksum = checksum_words(v.iter().flat_map(|e| e.f.iter()), v.len());
    Ok(Sample { value, checksum })
}

fn run(name: &str, f: RunFn, n: u64, reps: u64) -> Result<(), String> {
    let mut values = Vec::with_capacity(reps as usize);
    let mut checksum = None;
    for r in 1..=reps {
        let s = f(n).map_err(|e| format!("{name} failed in repetition {r}: {e}"))?;
        if let Some(c) = checksum {
            if c != s.checksum {
                return Err(format!("{name}: checksum changed between repetitions ({c} then {})",
                                   s.checksum));
            }
        }
        checksum = Some(s.checksum);
        values.push(format!("{}", s.value));
    }
    println!("RESULT {name} rust {} {}", values.join(","), checksum.unwrap_or(0));
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let table = workloads();
    if args.len() == 2 && args[1] == "info" {
        println!("INFO impl rust");
        println!("INFO hashbrown 0.12 (Debian librust-hashbrown-dev, default hasher aHash)");
        println!("INFO crossbeam-channel 0.5 (Debian librust-crossbeam-channel-dev)");
        let names: Vec<&str> = table.iter().map(|w| w.0.as_str()).collect();
        println!("WORKLOADS {}", names.join(" "));
        return ExitCode::SUCCESS;
    }
    // No let-else: this must also build with Debian 12's rustc 1.63.
    let parsed = if args.len() == 4 {
        args[2].parse::<u64>().ok().zip(args[3].parse::<u64>().ok())
    } else {
        None
    };
    let (n, reps) = match parsed.filter(|&(_, r)| (1..=1000).contains(&r)) {
        Some(v) => v,
        None => {
            eprintln!("usage: bench_rust info | bench_rust <workload> <n> <reps 1..1000>");
            return ExitCode::from(2);
        }
    };
    let (name, f) = match table.iter().find(|w| w.0 == args[1]) {
        Some((name, f)) => (name.as_str(), *f),
        None => {
            eprintln!("rust: unknown workload '{}'", args[1]);
            return ExitCode::from(2);
        }
    };
    match run(name, f, n, reps) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rust: {e}");
            ExitCode::FAILURE
        }
    }
}

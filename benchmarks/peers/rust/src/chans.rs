//! Channel workloads of the Rust peer, on two channels: crossbeam-channel's `bounded`
//! (Debian's librust-crossbeam-channel-dev 0.5.6), registered as "<row>.crossbeam", and
//! std's `sync_channel`, registered as "<row>.std_mpsc".
//!
//! The scheme mirrors bench_chan.h exactly: messages are u64; producer p of P sends p,
//! p + P, p + 2P, ... below n in increasing order; every receiver keeps a `Tally` (count,
//! wrapping sum, values out of per-producer order), and the merged tallies must give
//! count n, sum n (n - 1) / 2 and no disorder; the checksum is count + sum. Threads are
//! OS threads (`std::thread`), created before the clock starts and released together
//! through a gate; the clock stops once every thread is joined. The "close" is dropping
//! the last `Sender`, which the driver thread holds until it has joined the producers.
//!
//! std's `Receiver` cannot be cloned (it is `Send` but not `Sync`), so the MPMC row's four
//! consumers share one receiver behind a `Mutex`, each holding the lock while it waits
//! in `recv`. std has no select, so chan_select2 is crossbeam's only. A failed channel
//! operation ends the process (`die`): a partner could otherwise wait forever.

use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Instant;

use crossbeam_channel as cb;

use crate::{RunFn, Sample};

const MAX_PRODUCERS: usize = 4; // values' low 2 bits name the producer
const CAP: usize = 1024; // chan_spsc_buf1024, chan_mpmc_4x4_buf1024, chan_uncontended_pair
const SELECT_CAP: usize = 128; // chan_select2: each of the 2 channels

pub fn workloads(table: &mut Vec<(String, RunFn)>) {
    let rows: [(&str, RunFn, Option<RunFn>); 5] = [
        ("chan_spsc_buf1024", cb_spsc, Some(std_spsc)),
        ("chan_mpmc_4x4_buf1024", cb_mpmc, Some(std_mpmc)),
        ("chan_unbuf_pingpong", cb_pingpong, Some(std_pingpong)),
        ("chan_select2", cb_select2, None), // std has no select
        ("chan_uncontended_pair", cb_uncontended_pair, Some(std_uncontended_pair)),
    ];
    for (row, cb_fn, std_fn) in rows.iter() {
        table.push((format!("{row}.crossbeam"), *cb_fn));
        if let Some(f) = std_fn {
            table.push((format!("{row}.std_mpsc"), *f));
        }
    }
}

fn die(what: &str) -> ! {
    eprintln!("rust: {what}");
    std::process::exit(1);
}

/// What one receiver got (bench_chan.h's bench_tally). mask = producers - 1.
#[derive(Clone, Copy, Default)]
struct Tally {
    count: u64,
    sum: u64,
    disorder: u64,
    next: [u64; MAX_PRODUCERS], // least value still allowed, per producer
}

impl Tally {
    #[inline]
    fn add(&mut self, v: u64, mask: u64) {
        let p = (v & mask & (MAX_PRODUCERS as u64 - 1)) as usize;
        self.disorder += (v < self.next[p]) as u64;
        self.next[p] = v + 1;
        self.count += 1;
        self.sum = self.sum.wrapping_add(v);
    }
}

/// Merges the tallies, checks them against the n messages 0..n and makes the sample.
fn check(tallies: &[Tally], n: u64, elapsed_ns: f64) -> Result<Sample, String> {
    let (mut count, mut sum, mut disorder) = (0u64, 0u64, 0u64);
    for t in tallies {
        count += t.count;
        sum = sum.wrapping_add(t.sum);
        disorder += t.disorder;
    }
    let want_sum = if n % 2 == 0 { (n / 2).wrapping_mul(n.wrapping_sub(1)) }
                   else { n.wrapping_mul((n - 1) / 2) };
    if count != n || sum != want_sum || disorder != 0 {
        return Err(format!("received {count} messages summing to {sum} ({disorder} out of \
                            order); sent {n} summing to {want_sum}"));
    }
    let value = if n == 0 { 0.0 } else { elapsed_ns / n as f64 };
    Ok(Sample { value, checksum: count.wrapping_add(sum) })
}

/// The start gate: threads check in, then wait until the driver thread opens it.
struct Gate {
    state: Mutex<(usize, bool)>, // (threads waiting, open)
    cond: Condvar,
}

impl Gate {
    fn pass(&self) {
        let mut s = self.state.lock().unwrap();
        s.0 += 1;
        self.cond.notify_all();
        while !s.1 {
            s = self.cond.wait(s).unwrap();
        }
    }
}

type Worker = Box<dyn FnOnce() -> Tally + Send>;

/// bench_team_run: runs every producer and consumer on its own thread, started together;
/// calls `close` once the producers are joined; returns every thread's tally (a producer
/// returns an empty one unless it also receives) and the nanoseconds from opening the
/// gate to joining the last consumer.
fn run_team(producers: Vec<Worker>, consumers: Vec<Worker>, close: impl FnOnce())
            -> (Vec<Tally>, f64) {
    let total = producers.len() + consumers.len();
    let gate = Arc::new(Gate { state: Mutex::new((0, false)), cond: Condvar::new() });
    let spawn = |w: Worker| {
        let gate = Arc::clone(&gate);
        thread::spawn(move || {
            gate.pass();
            w()
        })
    };
    let p_threads: Vec<_> = producers.into_iter().map(spawn).collect();
    let c_threads: Vec<_> = consumers.into_iter().map(spawn).collect();

    let t0;
    {
        let mut s = gate.state.lock().unwrap();
        while s.0 < total {
            s = gate.cond.wait(s).unwrap();
        }
        t0 = Instant::now();
        s.1 = true;
        gate.cond.notify_all();
    }
    let mut tallies: Vec<Tally> = p_threads
        .into_iter()
        .map(|t| t.join().unwrap_or_else(|_| die("a producer thread panicked")))
        .collect();
    close();
    for t in c_threads {
        tallies.push(t.join().unwrap_or_else(|_| die("a consumer thread panicked")));
    }
    (tallies, t0.elapsed().as_nanos() as f64)
}

/// Producer `first` of `step`: send(first), send(first + step), ... below n.
#[inline]
fn produce(first: u64, step: u64, n: u64, mut send: impl FnMut(u64) -> bool) -> Tally {
    let mut v = first;
    while v < n {
        if !send(v) {
            die("send failed");
        }
        v += step;
    }
    Tally::default()
}

/// A consumer: tallies every value received until the channel is closed and drained.
#[inline]
fn consume(received: impl Iterator<Item = u64>, mask: u64) -> Tally {
    let mut t = Tally::default();
    for v in received {
        t.add(v, mask);
    }
    t
}

/// The pinger: n x (send i on ping; receive it back on pong).
#[inline]
fn ping(n: u64, mut send: impl FnMut(u64) -> bool, mut recv: impl FnMut() -> Option<u64>)
        -> Tally {
    let mut t = Tally::default();
    for i in 0..n {
        if !send(i) {
            die("ping-pong: send failed");
        }
        match recv() {
            Some(v) if v == i => t.add(v, 0),
            _ => die("ping-pong: wrong value back"),
        }
    }
    t
}

/// The ponger: echoes n values.
#[inline]
fn pong(n: u64, mut send: impl FnMut(u64) -> bool, mut recv: impl FnMut() -> Option<u64>)
        -> Tally {
    for _ in 0..n {
        let v = recv().unwrap_or_else(|| die("ping-pong: receive failed"));
        if !send(v) {
            die("ping-pong: send failed");
        }
    }
    Tally::default()
}

/// chan_uncontended_pair: n x (try_send i; try_recv), each must succeed and give i back.
#[inline]
fn pairs(n: u64, mut try_send: impl FnMut(u64) -> bool,
         mut try_recv: impl FnMut() -> Option<u64>) -> Result<Sample, String> {
    let mut t = Tally::default();
    let t0 = Instant::now();
    for i in 0..n {
        if !try_send(i) {
            return Err(format!("try_send failed at message {i}"));
        }
        match try_recv() {
            Some(v) if v == i => t.add(v, 0),
            _ => return Err(format!("try_recv did not give back message {i}")),
        }
    }
    let ns = t0.elapsed().as_nanos() as f64;
    check(&[t], n, ns)
}

// ---- crossbeam-channel --------------------------------------------------------------

/// np producers and nc consumers on one `bounded(cap)` channel; the consumers iterate
/// until every sender is dropped.
fn cb_team(n: u64, np: u64, nc: usize) -> Result<Sample, String> {
    let (tx, rx) = cb::bounded::<u64>(CAP);
    let mut producers: Vec<Worker> = Vec::new();
    for p in 0..np {
        let tx = tx.clone();
        producers.push(Box::new(move || produce(p, np, n, |v| tx.send(v).is_ok())));
    }
    let mut consumers: Vec<Worker> = Vec::new();
    for _ in 0..nc {
        let rx = rx.clone();
        consumers.push(Box::new(move || consume(rx.iter(), np - 1)));
    }
    drop(rx);
    let (tallies, ns) = run_team(producers, consumers, move || drop(tx));
    check(&tallies, n, ns)
}

fn cb_spsc(n: u64) -> Result<Sample, String> {
    cb_team(n, 1, 1)
}

fn cb_mpmc(n: u64) -> Result<Sample, String> {
    cb_team(n, 4, 4)
}

/// Two `bounded(0)` (rendezvous) channels.
fn cb_pingpong(n: u64) -> Result<Sample, String> {
    let (ping_tx, ping_rx) = cb::bounded::<u64>(0);
    let (pong_tx, pong_rx) = cb::bounded::<u64>(0);
    let pinger: Worker =
        Box::new(move || ping(n, |v| ping_tx.send(v).is_ok(), || pong_rx.recv().ok()));
    let ponger: Worker =
        Box::new(move || pong(n, |v| pong_tx.send(v).is_ok(), || ping_rx.recv().ok()));
    let (tallies, ns) = run_team(vec![pinger], vec![ponger], || {});
    check(&tallies, n, ns)
}

/// Producers 0 and 1 feed two `bounded(128)` channels; one consumer runs `select!` over
/// both receives until both are disconnected and drained, swapping a disconnected one for
/// `never()` (Go's nil channel).
fn cb_select2(n: u64) -> Result<Sample, String> {
    let (tx0, rx0) = cb::bounded::<u64>(SELECT_CAP);
    let (tx1, rx1) = cb::bounded::<u64>(SELECT_CAP);
    let mut producers: Vec<Worker> = Vec::new();
    for (p, tx) in [tx0.clone(), tx1.clone()].into_iter().enumerate() {
        producers.push(Box::new(move || produce(p as u64, 2, n, |v| tx.send(v).is_ok())));
    }
    let consumer: Worker = Box::new(move || {
        let never = cb::never::<u64>();
        let (mut open0, mut open1) = (true, true);
        let mut t = Tally::default();
        while open0 || open1 {
            let r0 = if open0 { &rx0 } else { &never };
            let r1 = if open1 { &rx1 } else { &never };
            cb::select! {
                recv(r0) -> m => match m {
                    Ok(v) => t.add(v, 1),
                    Err(_) => open0 = false,
                },
                recv(r1) -> m => match m {
                    Ok(v) => t.add(v, 1),
                    Err(_) => open1 = false,
                },
            }
        }
        t
    });
    let (tallies, ns) = run_team(producers, vec![consumer], move || {
        drop(tx0);
        drop(tx1);
    });
    check(&tallies, n, ns)
}

fn cb_uncontended_pair(n: u64) -> Result<Sample, String> {
    let (tx, rx) = cb::bounded::<u64>(CAP);
    pairs(n, |v| tx.try_send(v).is_ok(), || rx.try_recv().ok())
}

// ---- std::sync::mpsc::sync_channel --------------------------------------------------

/// np producers and nc consumers on one `sync_channel(cap)`; with several consumers they
/// share the receiver behind a mutex (std's receiver cannot be cloned).
fn std_team(n: u64, np: u64, nc: usize) -> Result<Sample, String> {
    let (tx, rx) = mpsc::sync_channel::<u64>(CAP);
    let mut producers: Vec<Worker> = Vec::new();
    for p in 0..np {
        let tx = tx.clone();
        producers.push(Box::new(move || produce(p, np, n, |v| tx.send(v).is_ok())));
    }
    let mut consumers: Vec<Worker> = Vec::new();
    if nc == 1 {
        consumers.push(Box::new(move || consume(rx.iter(), np - 1)));
    } else {
        let shared = Arc::new(Mutex::new(rx));
        for _ in 0..nc {
            let rx = Arc::clone(&shared);
            // Each receive locks the receiver; the guard is dropped as the closure returns,
            // before the value is tallied.
            let received = std::iter::from_fn(move || {
                rx.lock().unwrap_or_else(|_| die("poisoned mutex")).recv().ok()
            });
            consumers.push(Box::new(move || consume(received, np - 1)));
        }
    }
    let (tallies, ns) = run_team(producers, consumers, move || drop(tx));
    check(&tallies, n, ns)
}

fn std_spsc(n: u64) -> Result<Sample, String> {
    std_team(n, 1, 1)
}

fn std_mpmc(n: u64) -> Result<Sample, String> {
    std_team(n, 4, 4)
}

/// Two `sync_channel(0)` (rendezvous) channels.
fn std_pingpong(n: u64) -> Result<Sample, String> {
    let (ping_tx, ping_rx) = mpsc::sync_channel::<u64>(0);
    let (pong_tx, pong_rx) = mpsc::sync_channel::<u64>(0);
    let pinger: Worker =
        Box::new(move || ping(n, |v| ping_tx.send(v).is_ok(), || pong_rx.recv().ok()));
    let ponger: Worker =
        Box::new(move || pong(n, |v| pong_tx.send(v).is_ok(), || ping_rx.recv().ok()));
    let (tallies, ns) = run_team(vec![pinger], vec![ponger], || {});
    check(&tallies, n, ns)
}

fn std_uncontended_pair(n: u64) -> Result<Sample, String> {
    let (tx, rx) = mpsc::sync_channel::<u64>(CAP);
    pairs(n, |v| tx.try_send(v).is_ok(), || rx.try_recv().ok())
}

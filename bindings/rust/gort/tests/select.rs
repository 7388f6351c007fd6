//! Select: the builder over send and receive cases, timeouts and default.

use gort::{Chan, Error, Select};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

#[derive(Debug, PartialEq)]
enum Event {
    A(Option<i64>),
    B(Option<String>),
    Sent(gort::Result<()>),
}

#[test]
fn receives_from_the_ready_channel() {
    let a = Chan::<i64>::new(1).unwrap();
    let b = Chan::<String>::new(1).unwrap();
    b.send("hello").unwrap();
    let event = Select::new().recv(&a, Event::A).recv(&b, Event::B).wait().unwrap();
    assert_eq!(event, Event::B(Some("hello".into())));
    assert!(b.is_empty(), "exactly one case committed");
}

#[test]
fn default_and_timeout() {
    let a = Chan::<i64>::new(0).unwrap();
    let r = Select::new().recv(&a, Event::A).try_wait();
    assert_eq!(r.unwrap_err(), Error::WouldBlock, "default: nothing ready");
    let start = Instant::now();
    let r = Select::new().recv(&a, Event::A).wait_timeout(Duration::from_millis(30));
    assert_eq!(r.unwrap_err(), Error::TimedOut);
    assert!(start.elapsed() >= Duration::from_millis(25));
}

#[test]
fn send_case_commits_and_keeps_unsent_values() {
    let full = Chan::<String>::new(1).unwrap();
    full.send("x").unwrap();
    let room = Chan::<String>::new(1).unwrap();
    let event = Select::new()
        .send(&full, "never", Event::Sent)
        .send(&room, String::from("sent"), Event::Sent)
        .wait()
        .unwrap();
    assert_eq!(event, Event::Sent(Ok(())));
    assert_eq!(room.recv().unwrap(), "sent");
    assert_eq!(full.recv().unwrap(), "x", "the full channel got nothing");

    // Values staged for cases that were not chosen are given back exactly.
    let count = Arc::new(());
    let sink = Chan::<Arc<()>>::new(0).unwrap();
    let ready = Chan::<i64>::new(1).unwrap();
    ready.send(1).unwrap();
    let r = Select::new().send(&sink, &count, |_| 0).recv(&ready, |v| v.unwrap()).wait().unwrap();
    assert_eq!(r, 1);
    assert_eq!(Arc::strong_count(&count), 1);
}

#[test]
fn closed_channels_in_select() {
    let c = Chan::<i64>::new(1).unwrap();
    c.close().unwrap();
    // A receive case on a closed channel is ready, with None (Go's ok == false).
    assert_eq!(Select::new().recv(&c, Event::A).wait().unwrap(), Event::A(None));
    // A send case on a closed channel is chosen and reports Closed to its closure.
    let r = Select::new().send(&c, 5, Event::Sent).wait().unwrap();
    assert_eq!(r, Event::Sent(Err(Error::Closed)));
}

#[test]
fn nil_cases_are_never_ready() {
    let a = Chan::<i64>::new(1).unwrap();
    a.send(3).unwrap();
    let off: Option<&Chan<i64>> = None;
    for _ in 0..50 {
        let r = Select::new()
            .recv(off, |_| "nil")
            .send(off, 1, |_| "nil send")
            .recv(&a, |_| "a")
            .try_wait()
            .unwrap();
        assert_eq!(r, "a");
        a.send(3).unwrap();
    }
    let r = Select::new().recv(off, |_: Option<i64>| ()).wait_timeout(Duration::from_millis(5));
    assert_eq!(r.unwrap_err(), Error::TimedOut);
}

#[test]
fn ready_cases_are_chosen_fairly() {
    // Both always ready: Go picks uniformly. 2000 rounds, each side well above 800.
    let a = Chan::<u8>::new(1).unwrap();
    let b = Chan::<u8>::new(1).unwrap();
    let mut counts = [0u32; 2];
    for _ in 0..2000 {
        a.try_send(0).ok();
        b.try_send(1).ok();
        let i =
            Select::new().recv(&a, |v| v.unwrap() as usize).recv(&b, |v| v.unwrap() as usize).wait().unwrap();
        counts[i] += 1;
    }
    assert!(counts[0] > 800 && counts[1] > 800, "{:?}", counts);
}

#[test]
fn select_across_threads_counts_every_message() {
    let jobs = Chan::<i64>::new(16).unwrap();
    let quit = Chan::<()>::new(0).unwrap();
    let results = Chan::<i64>::new(16).unwrap();
    let worker = {
        let (jobs, quit, results) = (jobs.clone(), quit.clone(), results.clone());
        thread::spawn(move || loop {
            let stop = Select::new()
                .recv(&jobs, |j| {
                    results.send(j.unwrap() * 2).unwrap();
                    false
                })
                .recv(&quit, |_| true)
                .wait()
                .unwrap();
            if stop {
                return;
            }
        })
    };
    let mut sum = 0;
    for i in 0..500 {
        jobs.send(i).unwrap();
        sum += results.recv().unwrap();
    }
    quit.send(()).unwrap();
    worker.join().unwrap();
    assert_eq!(sum, (0..500).map(|i| i * 2).sum::<i64>());
}

#[test]
fn too_many_cases_is_out_of_range() {
    let c = Chan::<u8>::new(1).unwrap();
    let mut sel = Select::new();
    for _ in 0..=gort::sys::GORT_SELECT_MAX_CASES {
        sel = sel.recv(&c, |_| ());
    }
    assert_eq!(sel.try_wait().unwrap_err(), Error::OutOfRange);
}

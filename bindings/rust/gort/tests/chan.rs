//! Chan<T>: Go channel semantics, errors and ownership through the safe API.

mod common;

use common::{assert_no_leaks, live};
use gort::{Chan, Error};
use std::os::raw::{c_int, c_short};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

#[test]
fn buffered_fifo_len_cap() {
    let c = Chan::<i64>::new(3).unwrap();
    assert_eq!((c.len(), c.cap(), c.is_empty(), c.is_closed()), (0, 3, true, false));
    c.send(1).unwrap();
    c.send(2).unwrap();
    c.try_send(3).unwrap();
    assert_eq!(c.len(), 3);
    assert_eq!(c.try_send(4).unwrap_err(), Error::WouldBlock, "full buffer");
    assert_eq!(c.recv().unwrap(), 1);
    assert_eq!(c.try_recv().unwrap(), 2);
    assert_eq!(c.recv_timeout(Duration::from_millis(10)).unwrap(), 3);
    assert_eq!(c.try_recv().unwrap_err(), Error::WouldBlock, "empty and open");
    assert!(format!("{:?}", c).contains("int64"));
}

#[test]
fn close_semantics() {
    let c = Chan::<String>::new(4).unwrap();
    c.send("a").unwrap();
    c.send("b").unwrap();
    c.close().unwrap();
    assert!(c.is_closed());
    assert_eq!(c.close().unwrap_err(), Error::Closed, "double close");
    assert_eq!(c.send("c").unwrap_err(), Error::Closed, "send after close");
    assert_eq!(c.try_send("c").unwrap_err(), Error::Closed);
    assert_eq!(c.send_timeout("c", Duration::from_millis(1)).unwrap_err(), Error::Closed);
    // Buffered values stay receivable, then every receive reports closed, at once.
    assert_eq!(c.recv().unwrap(), "a");
    assert_eq!(c.iter().collect::<Vec<_>>(), vec!["b"]);
    assert_eq!(c.recv().unwrap_err(), Error::Closed);
    assert_eq!(c.try_recv().unwrap_err(), Error::Closed);
    assert_eq!(c.recv_timeout(Duration::from_secs(10)).unwrap_err(), Error::Closed);
}

#[test]
fn timeouts_wait_then_give_up() {
    let c = Chan::<u8>::new(0).unwrap();
    let start = Instant::now();
    assert_eq!(c.recv_timeout(Duration::from_millis(30)).unwrap_err(), Error::TimedOut);
    assert!(start.elapsed() >= Duration::from_millis(25));
    assert_eq!(c.send_timeout(1, Duration::from_millis(5)).unwrap_err(), Error::TimedOut);
    // A zero timeout does not wait: "would block", exactly like try_.
    assert_eq!(c.recv_timeout(Duration::ZERO).unwrap_err(), Error::WouldBlock);
    assert_eq!(c.send_timeout(1, Duration::ZERO).unwrap_err(), Error::WouldBlock);
}

#[test]
fn unbuffered_handoff_between_threads() {
    let c = Chan::<u64>::new(0).unwrap();
    assert_eq!(c.try_send(1).unwrap_err(), Error::WouldBlock, "no receiver waiting");
    let tx = c.clone();
    let producer = thread::spawn(move || {
        for i in 0..1000u64 {
            tx.send(i).unwrap();
        }
        tx.close().unwrap();
    });
    let got: Vec<u64> = c.iter().collect();
    producer.join().unwrap();
    assert_eq!(got, (0..1000).collect::<Vec<_>>(), "FIFO, nothing lost");
}

#[test]
fn blocked_receiver_is_woken_by_close() {
    let c = Chan::<i32>::new(0).unwrap();
    let rx = c.clone();
    let waiter = thread::spawn(move || rx.recv());
    thread::sleep(Duration::from_millis(20));
    c.close().unwrap();
    assert_eq!(waiter.join().unwrap().unwrap_err(), Error::Closed);
}

#[test]
fn blocked_sender_fails_on_close_and_keeps_its_value() {
    let c = Chan::<Arc<i32>>::new(0).unwrap();
    let value = Arc::new(5);
    let tx = c.clone();
    let v = value.clone();
    let sender = thread::spawn(move || {
        let r = tx.send(&v);
        (r, Arc::strong_count(&v))
    });
    thread::sleep(Duration::from_millis(20));
    c.close().unwrap();
    let (result, count) = sender.join().unwrap();
    assert_eq!(result.unwrap_err(), Error::Closed);
    assert_eq!(count, 2, "a failed send retains nothing");
    assert_eq!(Arc::strong_count(&value), 1);
}

#[test]
fn unit_channel_as_a_signal() {
    let done = Chan::<()>::new(0).unwrap();
    let d = done.clone();
    let t = thread::spawn(move || d.send(()).unwrap());
    done.recv().unwrap();
    t.join().unwrap();
}

#[test]
fn arc_counts_follow_send_receive_and_drop() {
    let a = Arc::new(String::from("payload"));
    let c = Chan::<Arc<String>>::new(8).unwrap();
    c.send(&a).unwrap();
    c.send(&a).unwrap();
    c.send(a.clone()).unwrap();
    assert_eq!(Arc::strong_count(&a), 4, "the channel holds one count per buffered value");
    let got = c.recv().unwrap();
    assert_eq!(Arc::strong_count(&a), 4, "a receive moves the channel's count to us");
    drop(got);
    assert_eq!(Arc::strong_count(&a), 3);
    let drained: Vec<Arc<String>> = c.try_iter().take(1).collect();
    assert_eq!(drained.len(), 1);
    drop(drained);
    assert_eq!(Arc::strong_count(&a), 2);
    let clone = c.clone();
    drop(c);
    assert_eq!(Arc::strong_count(&a), 2, "a clone keeps the channel and its buffer");
    drop(clone);
    assert_eq!(Arc::strong_count(&a), 1, "the last release drops buffered values");

    // Option<Arc<T>>: None travels as Go's nil.
    let o = Chan::<Option<Arc<String>>>::new(2).unwrap();
    o.send(None).unwrap();
    o.send(&a).unwrap();
    assert_eq!(o.recv().unwrap(), None);
    assert!(Arc::ptr_eq(&o.recv().unwrap().unwrap(), &a));
    assert_eq!(Arc::strong_count(&a), 1);
}

#[test]
fn strings_are_owned_by_the_receiver() {
    let c = Chan::<String>::new(1).unwrap();
    let mut s = String::from("mutable");
    c.send(&s).unwrap();
    s.clear();
    assert_eq!(c.recv().unwrap(), "mutable");
    let v = Chan::<Vec<u8>>::new(1).unwrap();
    v.send(&[0u8, 255, 0][..]).unwrap();
    assert_eq!(v.recv().unwrap(), vec![0, 255, 0]);
}

#[test]
fn capacity_errors() {
    assert_eq!(Chan::<i64>::new(usize::MAX).unwrap_err(), Error::OutOfRange);
    assert_eq!(Chan::<[u64; 1024]>::new(1 << 40).unwrap_err(), Error::Overflow);
}

#[repr(C)]
struct PollFd {
    fd: c_int,
    events: c_short,
    revents: c_short,
}

extern "C" {
    fn poll(fds: *mut PollFd, nfds: u64, timeout: c_int) -> c_int;
}

fn readable(fd: c_int) -> bool {
    let mut p = PollFd { fd, events: 1 /* POLLIN */, revents: 0 };
    // SAFETY: one valid pollfd, no waiting.
    let n = unsafe { poll(&mut p, 1, 0) };
    assert!(n >= 0);
    n == 1 && p.revents & 1 != 0
}

#[test]
fn pollable_fds_track_readiness() {
    let c = Chan::<i32>::new(1).unwrap();
    let rfd = c.recv_ready_fd().unwrap();
    let sfd = c.send_ready_fd().unwrap();
    assert_eq!(rfd, c.recv_ready_fd().unwrap(), "the same fd every time");
    assert!(!readable(rfd) && readable(sfd));
    c.send(1).unwrap();
    assert!(readable(rfd) && !readable(sfd));
    c.recv().unwrap();
    assert!(!readable(rfd));
    c.close().unwrap();
    assert!(readable(rfd) && readable(sfd), "closed: both operations complete at once");
}

#[test]
fn raw_handles_check_the_element_type() {
    let c = Chan::<i64>::new(1).unwrap();
    c.send(9).unwrap();
    let raw = c.clone().into_raw();
    // SAFETY: raw carries one reference of ours; a refused adoption leaves it with us.
    unsafe {
        assert_eq!(Chan::<String>::from_raw(raw).unwrap_err(), Error::TypeMismatch);
        assert_eq!(Chan::<f64>::from_raw(raw).unwrap_err(), Error::TypeMismatch);
        assert_eq!(Chan::<i64>::from_raw(std::ptr::null_mut()).unwrap_err(), Error::Invalid);
        let adopted = Chan::<i64>::from_raw(raw).unwrap();
        assert_eq!(adopted.as_ptr(), c.as_ptr());
        assert_eq!(adopted.recv().unwrap(), 9);
    }
    assert_eq!(c.descriptor().name(), "int64");
}

#[test]
fn no_leaks_in_a_private_heap() {
    let a = Arc::new(0u32);
    assert_no_leaks(|heap| {
        let c = Chan::<Arc<u32>>::new_in(16, heap).unwrap();
        let b = Chan::<u64>::new_in(0, heap).unwrap();
        for _ in 0..10 {
            c.send(&a).unwrap();
        }
        assert!(live(heap).live_blocks > 0);
        let _ = c.recv().unwrap();
        drop(b);
        drop(c); // nine values still buffered
    });
    assert_eq!(Arc::strong_count(&a), 1);
}

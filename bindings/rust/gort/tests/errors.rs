//! Error mapping: every status code, its message from gort_strerror, and the errors each
//! kind of bad input produces (never a crash).

use gort::sys;
use gort::{Chan, Error, Heap, Map, Select, Slice};
use std::time::Duration;

const ALL: [(Error, i32, &str); 9] = [
    (Error::OutOfMemory, sys::GORT_ENOMEM, "GORT_ENOMEM"),
    (Error::Invalid, sys::GORT_EINVAL, "GORT_EINVAL"),
    (Error::OutOfRange, sys::GORT_ERANGE, "GORT_ERANGE"),
    (Error::Closed, sys::GORT_ECLOSED, "GORT_ECLOSED"),
    (Error::WouldBlock, sys::GORT_EAGAIN, "GORT_EAGAIN"),
    (Error::TimedOut, sys::GORT_ETIMEDOUT, "GORT_ETIMEDOUT"),
    (Error::Overflow, sys::GORT_EOVERFLOW, "GORT_EOVERFLOW"),
    (Error::Busy, sys::GORT_EBUSY, "GORT_EBUSY"),
    (Error::TypeMismatch, sys::GORT_ETYPE, "GORT_ETYPE"),
];

#[test]
fn codes_round_trip_and_display_uses_strerror() {
    for (err, code, name) in ALL.iter() {
        assert_eq!(err.code(), *code);
        assert_eq!(Error::from_code(*code), Some(*err));
        let text = err.to_string();
        assert!(text.starts_with(name), "{} should start with {}", text, name);
        assert!(text.len() > name.len() + 2, "a description follows the name: {}", text);
    }
    assert_eq!(Error::from_code(sys::GORT_OK), None);
    assert_eq!(Error::from_code(-100), Some(Error::Unknown(-100)));
    assert_eq!(Error::Unknown(-100).code(), -100);
    assert_eq!(Error::Unknown(-100).to_string(), "unknown libgort status");
    let boxed: Box<dyn std::error::Error> = Box::new(Error::Closed);
    assert!(boxed.to_string().contains("closed"));
}

#[test]
fn errors_from_every_container() {
    // Slices: index and bounds out of range, sizes that overflow.
    let mut s = Slice::<i64>::from_values(&[1i64, 2]).unwrap();
    assert_eq!(s.get(2).unwrap_err(), Error::OutOfRange);
    assert_eq!(s.set(2, 0).unwrap_err(), Error::OutOfRange);
    assert_eq!(s.sub(1, 0).unwrap_err(), Error::OutOfRange);
    assert_eq!(s.grow(usize::MAX).unwrap_err(), Error::Overflow);
    assert_eq!(s.to_vec(), vec![1, 2], "a failed call leaves the slice unchanged");

    // Channels: closed, would block, timed out.
    let c = Chan::<u8>::new(1).unwrap();
    c.send(1).unwrap();
    assert_eq!(c.try_send(2).unwrap_err(), Error::WouldBlock);
    assert_eq!(c.send_timeout(2, Duration::from_millis(1)).unwrap_err(), Error::TimedOut);
    c.close().unwrap();
    assert_eq!(c.send(3).unwrap_err(), Error::Closed);
    assert_eq!(c.close().unwrap_err(), Error::Closed);
    assert_eq!(c.recv().unwrap(), 1, "use after close is defined: the buffer drains");
    assert_eq!(c.recv().unwrap_err(), Error::Closed);
    assert_eq!(Select::new().send(&c, 1, |r| r).wait().unwrap().unwrap_err(), Error::Closed);

    // Maps: absent keys are None, not errors; the map stays usable.
    let mut m = Map::<String, i32>::new().unwrap();
    assert_eq!(m.get("missing"), None);
    assert_eq!(m.remove("missing").unwrap(), None);

    // Heaps work independently and report stats.
    let heap = Heap::new().unwrap();
    assert_eq!(heap.stats().unwrap().live_objects, 0);
    assert!(gort::default_heap_stats().is_ok());
}

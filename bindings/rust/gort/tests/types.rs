//! The type mapping: descriptors, Go float and string semantics, Pod structs, a wrong
//! user implementation of Elem, hashing and equality.

use gort::sys;
use gort::{Chan, Descriptor, Elem, Error, Map, Pod, Slice};

#[test]
fn builtin_descriptors() {
    let cases: [(Descriptor, i32, usize, &str); 14] = [
        (Descriptor::of::<bool>().unwrap(), sys::GORT_KIND_BOOL, 1, "bool"),
        (Descriptor::of::<i8>().unwrap(), sys::GORT_KIND_I8, 1, "int8"),
        (Descriptor::of::<i16>().unwrap(), sys::GORT_KIND_I16, 2, "int16"),
        (Descriptor::of::<i32>().unwrap(), sys::GORT_KIND_I32, 4, "int32"),
        (Descriptor::of::<i64>().unwrap(), sys::GORT_KIND_I64, 8, "int64"),
        (Descriptor::of::<u8>().unwrap(), sys::GORT_KIND_U8, 1, "uint8"),
        (Descriptor::of::<u16>().unwrap(), sys::GORT_KIND_U16, 2, "uint16"),
        (Descriptor::of::<u32>().unwrap(), sys::GORT_KIND_U32, 4, "uint32"),
        (Descriptor::of::<u64>().unwrap(), sys::GORT_KIND_U64, 8, "uint64"),
        (Descriptor::of::<f32>().unwrap(), sys::GORT_KIND_F32, 4, "float32"),
        (Descriptor::of::<f64>().unwrap(), sys::GORT_KIND_F64, 8, "float64"),
        (Descriptor::of::<usize>().unwrap(), sys::GORT_KIND_UINTPTR, 8, "uintptr"),
        (Descriptor::of::<String>().unwrap(), sys::GORT_KIND_STR, 16, "string"),
        (Descriptor::of::<Vec<u8>>().unwrap(), sys::GORT_KIND_STR, 16, "string"),
    ];
    for (desc, kind, size, name) in cases.iter() {
        assert_eq!((desc.kind(), desc.size(), desc.name().as_str()), (*kind, *size, *name));
        assert!(desc.comparable());
        assert_eq!(Some(*desc), Descriptor::builtin(*kind));
    }
    assert_eq!(Descriptor::of::<isize>().unwrap().kind(), sys::GORT_KIND_I64);
    assert_eq!(Descriptor::builtin(sys::GORT_KIND_CUSTOM), None);
    assert_eq!(Descriptor::builtin(99), None);
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Point {
    x: i32,
    y: i32,
}
// SAFETY: repr(C) with two i32s: no padding, no pointers, every bit pattern valid.
unsafe impl Pod for Point {}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Big {
    words: [u64; 40], // 320 bytes: stored out of line in map slots
}
// SAFETY: an array of u64: no padding, no pointers.
unsafe impl Pod for Big {}

#[test]
fn pod_structs_are_byte_compared_custom_types() {
    let desc = Descriptor::of::<Point>().unwrap();
    assert_eq!((desc.kind(), desc.size(), desc.align()), (sys::GORT_KIND_CUSTOM, 8, 4));
    assert!(desc.name().ends_with("Point"), "{}", desc.name());
    assert_eq!(Descriptor::of::<Point>().unwrap(), desc, "one descriptor per type");

    let mut m = Map::<Point, Big>::new().unwrap();
    for i in 0..100 {
        m.insert(Point { x: i, y: -i }, Big { words: [i as u64; 40] }).unwrap();
    }
    assert_eq!(m.get(Point { x: 7, y: -7 }).unwrap().words[39], 7);
    assert_eq!(m.get(Point { x: 7, y: 7 }), None);
    m.get_mut(Point { x: 1, y: -1 }).unwrap().words[0] = 1000;
    assert_eq!(m.get(Point { x: 1, y: -1 }).unwrap().words[..2], [1000, 1]);

    let mut s = Slice::<Point>::make(2, 2).unwrap();
    assert_eq!(s.get(1).unwrap(), Point { x: 0, y: 0 }, "zero value");
    s.as_mut_slice()[1].y = 5;
    assert_eq!(s.to_vec(), vec![Point { x: 0, y: 0 }, Point { x: 0, y: 5 }]);

    let c = Chan::<Point>::new(1).unwrap();
    c.send(Point { x: 3, y: 4 }).unwrap();
    assert_eq!(c.recv().unwrap(), Point { x: 3, y: 4 });
}

#[test]
fn arrays_of_plain_values_are_pod() {
    let mut m = Map::<[u8; 3], u8>::new().unwrap();
    m.insert([1, 2, 3], 6).unwrap();
    assert_eq!(m.get([1, 2, 3]), Some(6));
    assert_eq!(Descriptor::of::<[u16; 5]>().unwrap().size(), 10);
}

#[test]
fn floats_follow_go() {
    assert!(gort::equal::<f64, _, _>(0.0, -0.0).unwrap(), "+0 == -0");
    assert!(!gort::equal::<f64, _, _>(f64::NAN, f64::NAN).unwrap(), "NaN != NaN");
    assert_eq!(gort::hash::<f64, _>(0.0, 1).unwrap(), gort::hash::<f64, _>(-0.0, 1).unwrap());
    assert_ne!(gort::hash::<f32, _>(f32::NAN, 1).unwrap(), gort::hash::<f32, _>(f32::NAN, 1).unwrap());
    let mut m = Map::<f32, u8>::new().unwrap();
    m.insert(-0.0f32, 1).unwrap();
    assert_eq!(m.get(0.0f32), Some(1));
    // Inside a Pod struct floats are bytes: +0 and -0 differ there (documented).
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct F(f64);
    // SAFETY: one f64: no padding; any bits are a valid f64.
    unsafe impl Pod for F {}
    assert!(!gort::equal::<F, _, _>(F(0.0), F(-0.0)).unwrap());
}

#[test]
fn strings_hash_by_contents_and_bools_round_trip() {
    assert!(gort::equal::<String, _, _>("abc", String::from("abc")).unwrap());
    assert!(!gort::equal::<String, _, _>("abc", "abd").unwrap());
    assert_eq!(
        gort::hash::<String, _>("abc", 7).unwrap(),
        gort::hash::<String, _>(&String::from("abc"), 7).unwrap()
    );
    assert_ne!(
        gort::hash::<String, _>("abc", 7).unwrap(),
        gort::hash::<String, _>("abc", 8).unwrap(),
        "seeded"
    );

    let mut s = Slice::<bool>::make(2, 2).unwrap();
    s.set(1, true).unwrap();
    assert_eq!(s.to_vec(), vec![false, true]);
    let mut m = Map::<bool, bool>::new().unwrap();
    m.insert(true, false).unwrap();
    assert_eq!(m.get(true), Some(false));
}

#[test]
fn text_that_is_not_utf8_is_read_lossily_as_string_and_exactly_as_bytes() {
    let c = Chan::<Vec<u8>>::new(1).unwrap();
    c.send(&b"ok\xff"[..]).unwrap();
    // The same channel seen as carrying Strings (both are GORT_KIND_STR).
    // SAFETY: raw carries one reference of ours; String and Vec<u8> share a descriptor.
    let as_string = unsafe { Chan::<String>::from_raw(c.clone().into_raw()) }.unwrap();
    assert_eq!(as_string.recv().unwrap(), "ok\u{fffd}");
}

/// A wrong user implementation: Raw is 8 bytes but the descriptor says 4.
#[derive(Debug)]
struct Liar;
// SAFETY: deliberately wrong layout, to check that containers refuse it before any
// value is copied (Descriptor::of checks size and alignment).
unsafe impl Elem for Liar {
    type Raw = u64;
    fn descriptor() -> gort::Result<Descriptor> {
        Ok(Descriptor::builtin(sys::GORT_KIND_U32).unwrap())
    }
    fn to_raw(&self) -> u64 {
        0
    }
    unsafe fn from_borrowed(_: &u64) -> Liar {
        Liar
    }
}

#[test]
fn a_layout_mismatch_is_a_type_error_not_a_crash() {
    assert_eq!(Descriptor::of::<Liar>().unwrap_err(), Error::TypeMismatch);
    assert_eq!(Slice::<Liar>::new().unwrap_err(), Error::TypeMismatch);
    assert_eq!(Map::<Liar, i32>::new().unwrap_err(), Error::TypeMismatch);
    assert_eq!(Map::<i32, Liar>::new().unwrap_err(), Error::TypeMismatch);
    assert_eq!(Chan::<Liar>::new(1).unwrap_err(), Error::TypeMismatch);
    assert_eq!(gort::hash::<Liar, _>(Liar, 0).unwrap_err(), Error::TypeMismatch);
}

#[test]
fn version() {
    let (major, minor, patch) = gort::version();
    assert_eq!(major, sys::GORT_VERSION_MAJOR);
    assert_eq!(gort::version_string(), format!("{}.{}.{}", major, minor, patch));
    assert!(["jemalloc-bundled", "jemalloc-system", "libc"].contains(&gort::allocator()));
}

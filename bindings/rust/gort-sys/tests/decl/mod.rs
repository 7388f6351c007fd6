//! A model of the declarations in a C header or in gort-sys's source, and the tokenizer
//! both parsers share. Types are normalised to one Rust-like form (`Ty`) so a C
//! declaration and its Rust translation compare with `==`.

pub mod c;
pub mod rust;

use std::collections::BTreeMap;
use std::fmt;

/// A type, in the form both languages are normalised to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    /// `()`: a C `void` return.
    Unit,
    /// A scalar or typedef name, already in its Rust spelling (`usize`, `c_int`, `gort_map`).
    Named(String),
    /// `*const T` (`mutable` false) or `*mut T`.
    Ptr { mutable: bool, to: Box<Ty> },
    /// `[T; N]`.
    Array(Box<Ty>, u64),
    /// A nullable function pointer: C `R (*)(P...)`, Rust `Option<unsafe extern "C" fn(P...) -> R>`.
    FnPtr(Vec<Ty>, Box<Ty>),
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Unit => write!(f, "()"),
            Ty::Named(name) => write!(f, "{}", name),
            Ty::Ptr { mutable, to } => write!(f, "*{} {}", if *mutable { "mut" } else { "const" }, to),
            Ty::Array(elem, n) => write!(f, "[{}; {}]", elem, n),
            Ty::FnPtr(params, ret) => {
                let params: Vec<String> = params.iter().map(|p| p.to_string()).collect();
                write!(f, "Option<unsafe extern \"C\" fn({}) -> {}>", params.join(", "), ret)
            }
        }
    }
}

/// A named parameter or field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub ty: Ty,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Func {
    pub params: Vec<Field>,
    pub ret: Ty,
}

/// Everything one side declares.
#[derive(Default, Debug)]
pub struct Decls {
    pub functions: BTreeMap<String, Func>,
    /// Struct name to its fields; `None` for an opaque handle.
    pub structs: BTreeMap<String, Option<Vec<Field>>>,
    /// Type aliases: function-pointer typedefs (both sides) and, in Rust, the aliases
    /// that stand for C enums.
    pub aliases: BTreeMap<String, Ty>,
    /// C enums and their enumerators (empty on the Rust side).
    pub enums: BTreeMap<String, Vec<String>>,
    /// Integer constants: enumerators and `#define`s on the C side, `pub const` in Rust.
    pub constants: BTreeMap<String, i128>,
    /// Rust structs carrying `#[repr(C)]` (unused on the C side).
    pub repr_c: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    Ident(String),
    Num(String),
    Str(String),
    Punct(char),
}

impl Tok {
    pub fn is_punct(&self, c: char) -> bool {
        *self == Tok::Punct(c)
    }
    pub fn is_ident(&self, word: &str) -> bool {
        matches!(self, Tok::Ident(s) if s == word)
    }
    pub fn ident(&self) -> Option<&str> {
        match self {
            Tok::Ident(s) => Some(s),
            _ => None,
        }
    }
}

/// Splits C or Rust source into tokens, dropping whitespace and comments. Every
/// punctuation character is its own token (`->` is `-` then `>`).
pub fn tokenize(src: &str) -> Vec<Tok> {
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == '"' {
            let start = i + 1;
            i = start;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            toks.push(Tok::Str(chars[start..i].iter().collect()));
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            toks.push(Tok::Ident(chars[start..i].iter().collect()));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            toks.push(Tok::Num(chars[start..i].iter().collect()));
        } else {
            toks.push(Tok::Punct(c));
            i += 1;
        }
    }
    toks
}

/// Splits `toks` at occurrences of `sep` outside (), [] and {}. (Rust generics, which
/// may hold commas inside <>, are split by the Rust parser's own helper.)
pub fn split_top(toks: &[Tok], sep: char) -> Vec<&[Tok]> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Punct('(') | Tok::Punct('[') | Tok::Punct('{') => depth += 1,
            Tok::Punct(')') | Tok::Punct(']') | Tok::Punct('}') => depth -= 1,
            Tok::Punct(c) if *c == sep && depth == 0 => {
                parts.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < toks.len() {
        parts.push(&toks[start..]);
    }
    parts
}

/// Index of the bracket closing the one opened at `toks[open]`.
pub fn matching(toks: &[Tok], open: usize) -> usize {
    let (o, c) = match toks[open] {
        Tok::Punct('(') => ('(', ')'),
        Tok::Punct('[') => ('[', ']'),
        Tok::Punct('{') => ('{', '}'),
        Tok::Punct('<') => ('<', '>'),
        ref t => panic!("no bracket at {:?}", t),
    };
    let mut depth = 0;
    for (i, t) in toks.iter().enumerate().skip(open) {
        if t.is_punct(o) {
            depth += 1;
        } else if t.is_punct(c) {
            depth -= 1;
            if depth == 0 {
                return i;
            }
        }
    }
    panic!("unbalanced {:?} in {:?}", o, toks)
}

/// Evaluates an integer constant expression as written in `#define`s and Rust consts:
/// numbers (decimal or hex, with C or Rust suffixes), casts `(type)x`, parentheses,
/// unary minus, `+`, `-`, `|` and `<<`. Returns None for anything else (e.g. an empty
/// macro or an include guard).
pub fn eval(toks: &[Tok]) -> Option<i128> {
    let mut pos = 0;
    let value = eval_or(toks, &mut pos)?;
    if pos == toks.len() {
        Some(value)
    } else {
        None
    }
}

fn eval_or(t: &[Tok], pos: &mut usize) -> Option<i128> {
    let mut v = eval_shift(t, pos)?;
    while t.get(*pos).map_or(false, |x| x.is_punct('|')) {
        *pos += 1;
        v |= eval_shift(t, pos)?;
    }
    Some(v)
}

fn eval_shift(t: &[Tok], pos: &mut usize) -> Option<i128> {
    let mut v = eval_add(t, pos)?;
    while t.get(*pos).map_or(false, |x| x.is_punct('<')) && t.get(*pos + 1).map_or(false, |x| x.is_punct('<'))
    {
        *pos += 2;
        v <<= eval_add(t, pos)?;
    }
    Some(v)
}

fn eval_add(t: &[Tok], pos: &mut usize) -> Option<i128> {
    let mut v = eval_unary(t, pos)?;
    loop {
        match t.get(*pos) {
            Some(Tok::Punct('+')) => {
                *pos += 1;
                v += eval_unary(t, pos)?;
            }
            Some(Tok::Punct('-')) => {
                *pos += 1;
                v -= eval_unary(t, pos)?;
            }
            _ => return Some(v),
        }
    }
}

fn eval_unary(t: &[Tok], pos: &mut usize) -> Option<i128> {
    match t.get(*pos)? {
        Tok::Punct('-') => {
            *pos += 1;
            Some(-eval_unary(t, pos)?)
        }
        Tok::Num(n) => {
            *pos += 1;
            parse_int(n)
        }
        Tok::Punct('(') => {
            let close = matching(t, *pos);
            let is_cast = close == *pos + 2 && t[*pos + 1].ident().is_some();
            if is_cast {
                *pos = close + 1;
                eval_unary(t, pos)
            } else {
                let v = eval(&t[*pos + 1..close])?;
                *pos = close + 1;
                Some(v)
            }
        }
        _ => None,
    }
}

fn parse_int(literal: &str) -> Option<i128> {
    let digits: String = literal.chars().filter(|c| *c != '_').collect();
    let (radix, body) = match digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        Some(hex) => (16, hex.to_string()),
        None => (10, digits),
    };
    let end = body.find(|c: char| !c.is_digit(radix)).unwrap_or(body.len());
    let suffix = &body[end..];
    let known_suffix = ["", "u", "U", "l", "L", "ul", "UL", "ull", "ULL", "ll", "LL"].contains(&suffix)
        || ["u8", "u16", "u32", "u64", "usize", "i8", "i16", "i32", "i64", "isize"].contains(&suffix);
    if !known_suffix {
        return None;
    }
    i128::from_str_radix(&body[..end], radix).ok()
}

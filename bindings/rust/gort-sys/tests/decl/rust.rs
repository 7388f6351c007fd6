//! Parses gort-sys's `src/lib.rs`: `pub const`, `pub type`, `#[repr(C)] pub struct` and
//! the `pub fn` items of `extern "C"` blocks. Items of any other shape are an error, so
//! a declaration cannot hide from the comparison by being written differently.

use super::{eval, matching, split_top, tokenize, Decls, Field, Func, Tok, Ty};

/// Rust keywords a C parameter may be named after; gort-sys appends `_` to them.
const KEYWORDS: [&str; 6] = ["type", "fn", "ref", "in", "match", "loop"];

pub fn parse_source(src: &str) -> Result<Decls, String> {
    let toks = tokenize(src);
    let mut decls = Decls::default();
    let mut pos = 0;
    let mut repr_c = false;
    while pos < toks.len() {
        let t = &toks[pos..];
        if t[0].is_punct('#') {
            // An attribute: #[...] or #![...].
            let open = if t[1].is_punct('!') { 2 } else { 1 };
            let close = matching(t, open);
            let body = &t[open + 1..close];
            repr_c |= body.len() >= 4 && body[0].is_ident("repr") && body[2].is_ident("C");
            pos += close + 1;
            continue;
        }
        let consumed = if t[0].is_ident("use") || (t[0].is_ident("pub") && t[1].is_ident("use")) {
            position(t, ';')? + 1
        } else if t[0].is_ident("pub") && t[1].is_ident("const") {
            parse_const(t, &mut decls)?
        } else if t[0].is_ident("pub") && t[1].is_ident("type") {
            parse_alias(t, &mut decls)?
        } else if t[0].is_ident("pub") && t[1].is_ident("struct") {
            let n = parse_struct(t, &mut decls)?;
            if repr_c {
                decls.repr_c.push(t[2].ident().unwrap_or_default().to_string());
            }
            n
        } else if t[0].is_ident("extern") {
            parse_extern_block(t, &mut decls)?
        } else {
            return Err(format!("unsupported item starting at {:?}", &t[..t.len().min(6)]));
        };
        repr_c = false;
        pos += consumed;
    }
    Ok(decls)
}

/// `pub const NAME: TYPE = EXPR;`
fn parse_const(t: &[Tok], decls: &mut Decls) -> Result<usize, String> {
    let end = position(t, ';')?;
    let name = t[2].ident().ok_or("const without a name")?.to_string();
    let eq = position(t, '=')?;
    let value = eval(&t[eq + 1..end]).ok_or_else(|| format!("const {} is not an integer", name))?;
    decls.constants.insert(name, value);
    Ok(end + 1)
}

/// `pub type NAME = TYPE;`
fn parse_alias(t: &[Tok], decls: &mut Decls) -> Result<usize, String> {
    let end = position(t, ';')?;
    let name = t[2].ident().ok_or("type alias without a name")?.to_string();
    decls.aliases.insert(name, parse_type(&t[4..end])?);
    Ok(end + 1)
}

/// `pub struct NAME { [pub] field: TYPE, ... }`: fields that are all private make an
/// opaque handle.
fn parse_struct(t: &[Tok], decls: &mut Decls) -> Result<usize, String> {
    let name = t[2].ident().ok_or("struct without a name")?.to_string();
    let open = 3;
    if !t[open].is_punct('{') {
        return Err(format!("struct {} is not a braced struct", name));
    }
    let close = matching(t, open);
    let mut fields = Vec::new();
    let mut private = 0;
    for field in split_generic_top(&t[open + 1..close]) {
        if field[0].is_ident("pub") {
            fields.push(parse_field(&field[1..])?);
        } else {
            private += 1;
        }
    }
    if private > 0 && !fields.is_empty() {
        return Err(format!("struct {} mixes public and private fields", name));
    }
    decls.structs.insert(name, if private > 0 { None } else { Some(fields) });
    Ok(close + 1)
}

/// `extern "C" { pub fn name(params) -> RET; ... }`
fn parse_extern_block(t: &[Tok], decls: &mut Decls) -> Result<usize, String> {
    if t[1] != Tok::Str("C".to_string()) || !t[2].is_punct('{') {
        return Err("only extern \"C\" blocks are supported".to_string());
    }
    let close = matching(t, 2);
    for item in split_top(&t[3..close], ';') {
        if !(item[0].is_ident("pub") && item[1].is_ident("fn")) {
            return Err(format!("unsupported extern item {:?}", item));
        }
        let name = item[2].ident().ok_or("fn without a name")?.to_string();
        let params_end = matching(item, 3);
        let mut params = Vec::new();
        for param in split_generic_top(&item[4..params_end]) {
            params.push(parse_field(param)?);
        }
        let ret = parse_return(&item[params_end + 1..])?;
        decls.functions.insert(name, Func { params, ret });
    }
    Ok(close + 1)
}

/// `name: TYPE`, with a keyword-escaping trailing `_` removed from the name.
fn parse_field(t: &[Tok]) -> Result<Field, String> {
    let raw = t[0].ident().ok_or_else(|| format!("expected a name in {:?}", t))?;
    let name = match raw.strip_suffix('_') {
        Some(stem) if KEYWORDS.contains(&stem) => stem,
        _ => raw,
    };
    if !t[1].is_punct(':') {
        return Err(format!("expected `:` after {}", raw));
    }
    Ok(Field { name: name.to_string(), ty: parse_type(&t[2..])? })
}

/// `-> TYPE` or nothing.
fn parse_return(t: &[Tok]) -> Result<Ty, String> {
    if t.is_empty() {
        Ok(Ty::Unit)
    } else if t.len() > 2 && t[0].is_punct('-') && t[1].is_punct('>') {
        parse_type(&t[2..])
    } else {
        Err(format!("bad return type {:?}", t))
    }
}

/// A Rust type as gort-sys writes them: `*const T`, `*mut T`, `[T; N]`, `()`, a path
/// (its last segment counts), or `Option<unsafe extern "C" fn(..) -> R>`.
fn parse_type(t: &[Tok]) -> Result<Ty, String> {
    if t.is_empty() {
        return Err("missing type".to_string());
    }
    if t[0].is_punct('*') {
        let mutable = t[1].is_ident("mut");
        if !mutable && !t[1].is_ident("const") {
            return Err(format!("bad pointer type {:?}", t));
        }
        return Ok(Ty::Ptr { mutable, to: Box::new(parse_type(&t[2..])?) });
    }
    if t[0].is_punct('[') {
        let close = matching(t, 0);
        let parts = split_top(&t[1..close], ';');
        let n = eval(parts[1]).ok_or("bad array length")?;
        return Ok(Ty::Array(Box::new(parse_type(parts[0])?), n as u64));
    }
    if t.len() == 2 && t[0].is_punct('(') && t[1].is_punct(')') {
        return Ok(Ty::Unit);
    }
    if t[0].is_ident("Option") {
        return parse_fn_pointer(t);
    }
    // A path: a::b::Name.
    let segments: Vec<&str> = t.iter().filter_map(Tok::ident).collect();
    let path_ok = t.iter().all(|x| x.ident().is_some() || x.is_punct(':'));
    match segments.last() {
        Some(last) if path_ok => Ok(Ty::Named(last.to_string())),
        _ => Err(format!("unsupported type {:?}", t)),
    }
}

fn parse_fn_pointer(t: &[Tok]) -> Result<Ty, String> {
    // The whole type is Option<...>; `matching` cannot find the `>` (a `->` may precede it).
    let close = t.len() - 1;
    if !(t[1].is_punct('<') && t[close].is_punct('>')) {
        return Err(format!("bad Option type {:?}", t));
    }
    let inner = &t[2..close];
    let shape_ok = inner.len() > 4
        && inner[0].is_ident("unsafe")
        && inner[1].is_ident("extern")
        && inner[2] == Tok::Str("C".to_string())
        && inner[3].is_ident("fn");
    if !shape_ok {
        return Err(format!("only Option<unsafe extern \"C\" fn(..)> is supported: {:?}", t));
    }
    let params_end = matching(inner, 4);
    let mut params = Vec::new();
    for param in split_generic_top(&inner[5..params_end]) {
        params.push(parse_field(param)?.ty);
    }
    let ret = parse_return(&inner[params_end + 1..])?;
    Ok(Ty::FnPtr(params, Box::new(ret)))
}

/// Splits at top-level commas, also treating `<...>` as brackets (generic arguments may
/// contain commas), and drops a trailing empty part.
fn split_generic_top(t: &[Tok]) -> Vec<&[Tok]> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, x) in t.iter().enumerate() {
        match x {
            Tok::Punct('(') | Tok::Punct('[') | Tok::Punct('{') | Tok::Punct('<') => depth += 1,
            Tok::Punct(')') | Tok::Punct(']') | Tok::Punct('}') => depth -= 1,
            // `->` is not a closing angle bracket.
            Tok::Punct('>') if i == 0 || !t[i - 1].is_punct('-') => depth -= 1,
            Tok::Punct(',') if depth == 0 => {
                parts.push(&t[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < t.len() {
        parts.push(&t[start..]);
    }
    parts
}

fn position(t: &[Tok], c: char) -> Result<usize, String> {
    t.iter().position(|x| x.is_punct(c)).ok_or_else(|| format!("no `{}` in {:?}", c, t))
}

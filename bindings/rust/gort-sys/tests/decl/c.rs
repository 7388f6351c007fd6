//! Parses the plain declarations `cc -E -P -DGORT_CDEF include/gort.h` emits (typedefs of
//! enums, structs and function pointers, and function prototypes), and the integer
//! macros `cc -E -dM` lists. This is the subset of C the header is written in (an ABI
//! rule of the project: no varargs, no bit-fields, no inline functions); anything else
//! is reported as an error rather than skipped.

use super::{eval, matching, split_top, tokenize, Decls, Field, Func, Tok, Ty};

pub fn parse_header(preprocessed: &str) -> Result<Decls, String> {
    let toks = tokenize(preprocessed);
    let mut decls = Decls::default();
    for stmt in split_top(&toks, ';') {
        if stmt.is_empty() {
            continue;
        }
        if stmt[0].is_ident("typedef") {
            parse_typedef(&stmt[1..], &mut decls)?;
        } else {
            let (name, ty) = parse_declaration(stmt)?;
            let name = name.ok_or_else(|| format!("unnamed declaration {:?}", stmt))?;
            match ty {
                Decl::Func(func) => {
                    decls.functions.insert(name, func);
                }
                Decl::Value(_) => return Err(format!("unexpected variable declaration `{}`", name)),
            }
        }
    }
    Ok(decls)
}

/// Adds the `#define NAME <integer expression>` lines of `cc -dM` output whose name
/// starts with `prefix` to `decls.constants`; other macros (include guards, the export
/// macro, those given on the command line in `skip`) have no integer value and are left out.
pub fn add_macros(dm_output: &str, prefix: &str, skip: &[&str], decls: &mut Decls) {
    for line in dm_output.lines() {
        let toks = tokenize(line.trim_start_matches('#'));
        if toks.len() < 2 || !toks[0].is_ident("define") {
            continue;
        }
        let name = match toks[1].ident() {
            Some(name) if name.starts_with(prefix) && !skip.contains(&name) => name,
            _ => continue,
        };
        if let Some(value) = eval(&toks[2..]) {
            decls.constants.insert(name.to_string(), value);
        }
    }
}

fn parse_typedef(toks: &[Tok], decls: &mut Decls) -> Result<(), String> {
    let has_body = toks.iter().any(|t| t.is_punct('{'));
    if toks[0].is_ident("enum") && has_body {
        let open = position(toks, '{')?;
        let close = matching(toks, open);
        let name = last_ident(&toks[close + 1..])?;
        let mut members = Vec::new();
        for item in split_top(&toks[open + 1..close], ',') {
            let member = item[0].ident().ok_or("bad enumerator")?.to_string();
            let value = eval(&item[2..]).ok_or_else(|| format!("enumerator {} has no value", member))?;
            decls.constants.insert(member.clone(), value);
            members.push(member);
        }
        decls.enums.insert(name, members);
    } else if toks[0].is_ident("struct") && has_body {
        let open = position(toks, '{')?;
        let close = matching(toks, open);
        let name = last_ident(&toks[close + 1..])?;
        let mut fields = Vec::new();
        for member in split_top(&toks[open + 1..close], ';') {
            let (field, decl) = parse_declaration(member)?;
            match (field, decl) {
                (Some(field), Decl::Value(ty)) => fields.push(Field { name: field, ty }),
                _ => return Err(format!("unsupported struct member in {}: {:?}", name, member)),
            }
        }
        decls.structs.insert(name, Some(fields));
    } else if toks[0].is_ident("struct") && toks.len() == 3 {
        decls.structs.insert(last_ident(toks)?, None);
    } else {
        let (name, decl) = parse_declaration(toks)?;
        let name = name.ok_or("unnamed typedef")?;
        match decl {
            Decl::Value(ty) => {
                decls.aliases.insert(name, ty);
            }
            Decl::Func(_) => return Err(format!("typedef of a function type `{}`", name)),
        }
    }
    Ok(())
}

enum Decl {
    Value(Ty),
    Func(Func),
}

/// Parses `specifiers declarator`: a variable, field or parameter (`const void *value`,
/// `uint64_t opaque[16]`), a function-pointer declarator (`void (*hook)(void *, void *)`)
/// or a function prototype (`int f(int x)`). Returns the declared name, if any.
fn parse_declaration(toks: &[Tok]) -> Result<(Option<String>, Decl), String> {
    let ((mut ty, mut pointee_const), mut pos) = parse_specifiers(toks)?;
    // Each `*` makes a pointer to what precedes it; a `const` after a `*` qualifies that
    // pointer, i.e. the pointee of the next one.
    while pos < toks.len() && toks[pos].is_punct('*') {
        ty = Ty::Ptr { mutable: !pointee_const, to: Box::new(ty) };
        pos += 1;
        pointee_const = pos < toks.len() && toks[pos].is_ident("const");
        if pointee_const {
            pos += 1;
        }
    }
    if pos == toks.len() {
        return Ok((None, Decl::Value(ty)));
    }
    if toks[pos].is_punct('(') && toks.get(pos + 1).map_or(false, |t| t.is_punct('*')) {
        // A function-pointer declarator: R (*name)(params).
        let close = matching(toks, pos);
        let name = toks[pos + 2].ident().map(str::to_string);
        let params = parse_params(&toks[close + 1..])?;
        let params = params.into_iter().map(|p| p.ty).collect();
        return Ok((name, Decl::Value(Ty::FnPtr(params, Box::new(void_to_unit(ty))))));
    }
    let name = toks[pos].ident().ok_or_else(|| format!("expected a name in {:?}", toks))?;
    let rest = &toks[pos + 1..];
    let decl = if rest.is_empty() {
        Decl::Value(ty)
    } else if rest[0].is_punct('[') {
        let n = eval(&rest[1..rest.len() - 1]).ok_or("bad array length")?;
        Decl::Value(Ty::Array(Box::new(ty), n as u64))
    } else if rest[0].is_punct('(') {
        Decl::Func(Func { params: parse_params(rest)?, ret: void_to_unit(ty) })
    } else {
        return Err(format!("unsupported declarator {:?}", toks));
    };
    Ok((Some(name.to_string()), decl))
}

/// Parses `( params )` into named parameters; `(void)` is none.
fn parse_params(toks: &[Tok]) -> Result<Vec<Field>, String> {
    let close = matching(toks, 0);
    if close + 1 != toks.len() {
        return Err(format!("trailing tokens after parameters: {:?}", &toks[close + 1..]));
    }
    let inner = &toks[1..close];
    if inner.len() == 1 && inner[0].is_ident("void") {
        return Ok(Vec::new());
    }
    let mut params = Vec::new();
    for param in split_top(inner, ',') {
        let (name, decl) = parse_declaration(param)?;
        match decl {
            Decl::Value(ty) => params.push(Field { name: name.unwrap_or_default(), ty }),
            Decl::Func(_) => return Err(format!("function-typed parameter {:?}", param)),
        }
    }
    Ok(params)
}

/// Reads the declaration specifiers (qualifiers and one base type, possibly several
/// words like `unsigned long`). Returns the base type, whether it is const, and the
/// position after the specifiers.
fn parse_specifiers(toks: &[Tok]) -> Result<((Ty, bool), usize), String> {
    const WORDS: [&str; 6] = ["unsigned", "signed", "long", "short", "int", "char"];
    let mut is_const = false;
    let mut words: Vec<String> = Vec::new();
    let mut pos = 0;
    while pos < toks.len() {
        let word = match toks[pos].ident() {
            Some(word) => word,
            None => break,
        };
        if word == "const" {
            is_const = true;
        } else if word == "struct" || word == "enum" {
            // `struct tag` names the typedef of the same name in this header.
        } else if words.is_empty()
            || (WORDS.contains(&word) && words.iter().all(|w| WORDS.contains(&w.as_str())))
        {
            words.push(word.to_string());
        } else {
            break; // the declarator's name
        }
        pos += 1;
    }
    if words.is_empty() {
        return Err(format!("no type in {:?}", toks));
    }
    Ok(((Ty::Named(rust_scalar(&words.join(" "))), is_const), pos))
}

/// The Rust spelling gort-sys uses for a C scalar type; typedef names are kept.
fn rust_scalar(c: &str) -> String {
    let fixed = match c {
        "void" => "c_void",
        "char" => "c_char",
        "int" | "signed int" | "signed" => "c_int",
        "unsigned int" | "unsigned" => "c_uint",
        "long" | "long int" => "c_long",
        "unsigned long" | "unsigned long int" => "c_ulong",
        "float" => "f32",
        "double" => "f64",
        "_Bool" => "bool",
        "size_t" | "uintptr_t" => "usize",
        "ptrdiff_t" | "intptr_t" => "isize",
        other => {
            // intN_t / uintN_t
            if let Some(bits) = other.strip_prefix("uint").and_then(|r| r.strip_suffix("_t")) {
                return format!("u{}", bits);
            }
            if let Some(bits) = other.strip_prefix("int").and_then(|r| r.strip_suffix("_t")) {
                return format!("i{}", bits);
            }
            other
        }
    };
    fixed.to_string()
}

fn void_to_unit(ty: Ty) -> Ty {
    if ty == Ty::Named("c_void".to_string()) {
        Ty::Unit
    } else {
        ty
    }
}

fn position(toks: &[Tok], c: char) -> Result<usize, String> {
    toks.iter().position(|t| t.is_punct(c)).ok_or_else(|| format!("no `{}` in {:?}", c, toks))
}

fn last_ident(toks: &[Tok]) -> Result<String, String> {
    toks.iter()
        .rev()
        .find_map(|t| t.ident())
        .map(str::to_string)
        .ok_or_else(|| format!("no name in {:?}", toks))
}

//! Reading an `.entry`'s parameter list from PTX text.
//!
//! `cuLaunchKernel` reads one value per declared parameter through the pointer array it is
//! given, so a launch whose parameters do not match the entry would make the driver read past
//! it. The launcher therefore checks the parameters against the declaration first.

/// A declared `.entry`: its name (a slice of the module text) and parameter sizes in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EntrySig {
    /// The entry's name, borrowed from the module text.
    pub name: &'static str,
    /// Each parameter's PTX type (`.u64`, `.f32`, ...) and size in bytes.
    pub params: Vec<(String, usize)>,
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '%')
}

/// Byte size of a PTX fundamental type such as `.u64` or `.f32`.
fn type_size(ty: &str) -> Option<usize> {
    let bits = ty.strip_prefix('.')?.get(1..)?;
    if !matches!(ty.get(1..2)?, "u" | "s" | "b" | "f") {
        return None;
    }
    match bits {
        "8" => Some(1),
        "16" => Some(2),
        "32" => Some(4),
        "64" => Some(8),
        _ => None,
    }
}

/// Parses one `.param TYPE [qualifiers] name[N]` declaration.
fn parse_param(decl: &str) -> Option<(String, usize)> {
    let mut words = decl.split_whitespace();
    if words.next()? != ".param" {
        return None;
    }
    let mut ty = None;
    let mut name = None;
    while let Some(w) = words.next() {
        if w == ".align" {
            words.next()?;
        } else if w.starts_with(".ptr") || w.starts_with(".global") || w.starts_with(".const") {
            // Pointer qualifiers of a `.u64` parameter.
        } else if ty.is_none() {
            ty = Some(w);
        } else if name.is_none() {
            name = Some(w);
        } else {
            return None;
        }
    }
    let ty = ty?;
    let size = type_size(ty)?;
    let name = name?;
    let count = match name.find('[') {
        None => 1,
        Some(i) => name
            .get(i + 1..)?
            .strip_suffix(']')?
            .trim()
            .parse::<usize>()
            .ok()?,
    };
    Some((ty.to_string(), size.checked_mul(count)?))
}

/// Removes `//` and `/* */` comments from a parameter list.
fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.find('\n').map_or("", |i| &r[i..]);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.find("*/").map_or("", |i| &r[i + 2..]);
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Finds `.entry name (...)` in `ptx`. `Ok(None)`: no such entry; `Err`: it is there but its
/// parameter list cannot be read.
pub(super) fn find_entry(ptx: &'static str, name: &str) -> Result<Option<EntrySig>, String> {
    let mut from = 0;
    while let Some(i) = ptx.get(from..).and_then(|s| s.find(".entry")) {
        let at = from + i;
        from = at + ".entry".len();
        let before_ok = ptx[..at].chars().next_back().is_none_or(|c| c.is_whitespace());
        let rest = &ptx[from..];
        let trimmed = rest.trim_start();
        if !before_ok || trimmed.len() == rest.len() {
            continue;
        }
        let len = trimmed.find(|c: char| !is_ident_char(c)).unwrap_or(trimmed.len());
        if &trimmed[..len] != name || name.is_empty() {
            continue;
        }
        let start = ptx.len() - trimmed.len();
        let sig_name = &ptx[start..start + len];
        let after = trimmed[len..].trim_start();
        let Some(list) = after.strip_prefix('(') else {
            // `.entry name` without parameters.
            return Ok(Some(EntrySig {
                name: sig_name,
                params: Vec::new(),
            }));
        };
        let close = list
            .find(')')
            .ok_or_else(|| format!("`.entry {name}`: unterminated parameter list"))?;
        let body = strip_comments(&list[..close]);
        let mut params = Vec::new();
        for decl in body.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            params.push(
                parse_param(decl)
                    .ok_or_else(|| format!("`.entry {name}`: cannot read parameter `{decl}`"))?,
            );
        }
        return Ok(Some(EntrySig {
            name: sig_name,
            params,
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PTX: &str = "//\n.version 7.0\n.target sm_70\n.address_size 64\n\
        .func (.param .align 8 .b8 ret[32]) fn0(.param .f64 a0);\n\
        .visible .entry axpy_twice(\n\t.param .u64 n_items\n)\n{\n\tret;\n}\n\
        .visible .entry axpy(\n\t.param .u64 n_items,\n\t.param .u64 .ptr.global .align 8 fault, // rec\n\
        \t.param .f32 g,\n\t.param .b8 flag,\n\t.param .align 8 .b8 blob[16]\n)\n{\n\tret;\n}\n\
        .entry bare\n{\n\tret;\n}\n.entry broken(.param .q64 x)\n{\n}\n";

    #[test]
    fn entries_and_parameters_are_read() {
        let sig = find_entry(PTX, "axpy").unwrap().unwrap();
        assert_eq!(sig.name, "axpy");
        let sizes: Vec<usize> = sig.params.iter().map(|p| p.1).collect();
        assert_eq!(sizes, [8, 8, 4, 1, 16]);
        assert_eq!(sig.params[2].0, ".f32");
        let twice = find_entry(PTX, "axpy_twice").unwrap().unwrap();
        assert_eq!(twice.params, [(".u64".to_string(), 8)]);
        assert!(find_entry(PTX, "bare").unwrap().unwrap().params.is_empty());
        assert_eq!(find_entry(PTX, "axp").unwrap(), None);
        assert_eq!(find_entry(PTX, "").unwrap(), None);
        assert_eq!(find_entry(PTX, "fn0").unwrap(), None);
        assert!(find_entry(PTX, "broken").is_err());
        assert!(find_entry(".entry x(.param .u64 a", "x").is_err());
        assert_eq!(find_entry(".entry", "x").unwrap(), None);
    }
}

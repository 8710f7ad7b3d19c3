//! Tokenizer for PTX source text.

use crate::emulator::error::Error;

/// A lexical token.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// Identifier, possibly starting with `%`, `$` or `_` (`%rd1`, `$L__BB0_2`, `add`).
    Ident(String),
    /// A dotted word: directive or modifier without the dot (`.f64` -> `f64`).
    Dot(String),
    /// Integer literal (value as written, before any negation).
    Int(u64),
    /// `0dXXXXXXXXXXXXXXXX` double literal, as raw bits.
    F64Bits(u64),
    /// `0fXXXXXXXX` single literal, as raw bits.
    F32Bits(u32),
    /// Decimal floating literal (`1.5`, `2e3`).
    Float(f64),
    /// Single punctuation character.
    Punct(char),
}

/// A token with its 1-based source line.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// 1-based line number.
    pub line: u32,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$' || c == '%'
}
fn is_ident_cont(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// Splits PTX text into tokens, skipping whitespace and comments.
pub fn tokenize(src: &str) -> Result<Vec<Token>, Error> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1u32;
    let err = |line: u32, msg: String| Error::Parse { line, msg };
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            let start = line;
            i += 2;
            loop {
                if i + 1 >= chars.len() {
                    return Err(err(start, "unterminated block comment".into()));
                }
                if chars[i] == '*' && chars[i + 1] == '/' {
                    i += 2;
                    break;
                }
                if chars[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
        } else if c == '.' && chars.get(i + 1).is_some_and(|&d| is_ident_start(d)) {
            let s = i + 1;
            i += 1;
            while i < chars.len() && is_ident_cont(chars[i]) {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Dot(chars[s..i].iter().collect()),
                line,
            });
        } else if is_ident_start(c) {
            let s = i;
            i += 1;
            while i < chars.len() && is_ident_cont(chars[i]) {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Ident(chars[s..i].iter().collect()),
                line,
            });
        } else if c.is_ascii_digit() {
            let s = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                // allow exponent sign in decimal floats
                if (chars[i] == 'e' || chars[i] == 'E')
                    && !chars[s..i].iter().any(|&d| d == 'x' || d == 'X')
                    && matches!(chars.get(i + 1), Some('+') | Some('-'))
                {
                    i += 1;
                }
                i += 1;
            }
            let text: String = chars[s..i].iter().collect();
            out.push(Token {
                tok: number(&text).ok_or_else(|| err(line, format!("bad number literal `{text}`")))?,
                line,
            });
        } else if "[](){},;:+-@!<>|=".contains(c) {
            out.push(Token {
                tok: Tok::Punct(c),
                line,
            });
            i += 1;
        } else {
            return Err(err(line, format!("unexpected character `{c}`")));
        }
    }
    Ok(out)
}

fn number(t: &str) -> Option<Tok> {
    let lower = t.to_ascii_lowercase();
    if let Some(h) = lower.strip_prefix("0d") {
        return (h.len() == 16).then(|| u64::from_str_radix(h, 16).ok().map(Tok::F64Bits))?;
    }
    if let Some(h) = lower.strip_prefix("0f") {
        return (h.len() == 8).then(|| u32::from_str_radix(h, 16).ok().map(Tok::F32Bits))?;
    }
    let body = lower.strip_suffix('u').unwrap_or(&lower);
    if let Some(h) = body.strip_prefix("0x") {
        return u64::from_str_radix(h, 16).ok().map(Tok::Int);
    }
    if let Some(b) = body.strip_prefix("0b") {
        return u64::from_str_radix(b, 2).ok().map(Tok::Int);
    }
    if body.contains('.') || body.contains('e') {
        return t.parse::<f64>().ok().map(Tok::Float);
    }
    if body.len() > 1 && body.starts_with('0') {
        return u64::from_str_radix(&body[1..], 8).ok().map(Tok::Int);
    }
    body.parse::<u64>().ok().map(Tok::Int)
}

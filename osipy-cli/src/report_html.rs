//! `report.html`: the Markdown report rendered as one self-contained HTML page (the figures
//! embedded as base64 `data:` URIs, no external resources), written beside `report.md`.

use std::path::Path;

use super::outdir::io_err;
use super::CliError;

/// Writes `md` as `dir/report.md` and its HTML rendering as `dir/report.html`, with every
/// image `![alt](file.png)` of `dir` embedded.
pub(crate) fn write_reports(dir: &Path, md: &str) -> Result<(), CliError> {
    let path = dir.join("report.md");
    std::fs::write(&path, md).map_err(|e| io_err(&path, "write", e))?;
    let html = render(md, &|name| std::fs::read(dir.join(name)).ok());
    let path = dir.join("report.html");
    std::fs::write(&path, html).map_err(|e| io_err(&path, "write", e))
}

/// Standard base64 (RFC 4648, with padding).
pub(crate) fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(c.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(c.get(2).copied().unwrap_or(0));
        for k in 0..4 {
            if k <= c.len() {
                out.push(char::from(A[(n >> (18 - 6 * k)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Inline Markdown: `code`, `![alt](file)` images (embedded through `image`), escapes `\|`;
/// everything else as text.
fn inline(s: &str, image: &dyn Fn(&str) -> Option<Vec<u8>>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('`') {
            if let Some(end) = r.find('`') {
                out.push_str(&format!("<code>{}</code>", escape(&r[..end])));
                rest = &r[end + 1..];
                continue;
            }
        }
        if let Some(r) = rest.strip_prefix("![") {
            if let Some((alt, tail)) = r.split_once("](") {
                if let Some((src, after)) = tail.split_once(')') {
                    match image(src) {
                        Some(b) => out.push_str(&format!(
                            "<img alt=\"{}\" src=\"data:image/png;base64,{}\">",
                            escape(alt),
                            base64(&b)
                        )),
                        None => out.push_str(&format!("[{} ({}): not found]", escape(alt), escape(src))),
                    }
                    rest = after;
                    continue;
                }
            }
        }
        if let Some(r) = rest.strip_prefix("\\|") {
            out.push('|');
            rest = r;
            continue;
        }
        let ch = rest.chars().next().unwrap_or(' ');
        out.push_str(&escape(&ch.to_string()));
        rest = &rest[ch.len_utf8()..];
    }
    out
}

/// The cells of a table row `| a | b |` (`\|` inside a cell kept).
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut out = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'|') {
            if let Some(s) = out.last_mut() {
                s.push_str("\\|");
            }
            chars.next();
        } else if c == '|' {
            out.push(String::new());
        } else if let Some(s) = out.last_mut() {
            s.push(c);
        }
    }
    out.into_iter().map(|s| s.trim().to_string()).collect()
}

/// The HTML page of the Markdown `md` (the subset the reports use: headings, paragraphs,
/// tables, lists, inline code, images); `image(name)` gives an image's bytes.
pub(crate) fn render(md: &str, image: &dyn Fn(&str) -> Option<Vec<u8>>) -> String {
    let title = md
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .unwrap_or("osipy report");
    let mut body = String::new();
    let lines: Vec<&str> = md.lines().collect();
    let mut i = 0;
    let mut para: Vec<&str> = Vec::new();
    let flush = |para: &mut Vec<&str>, body: &mut String| {
        if !para.is_empty() {
            body.push_str(&format!("<p>{}</p>\n", inline(&para.join(" "), image)));
            para.clear();
        }
    };
    while i < lines.len() {
        let l = lines[i];
        let t = l.trim_start();
        if t.is_empty() {
            flush(&mut para, &mut body);
            i += 1;
        } else if let Some((level, text)) = (1..=4)
            .rev()
            .find_map(|k| t.strip_prefix(&format!("{} ", "#".repeat(k))).map(|s| (k, s)))
        {
            flush(&mut para, &mut body);
            body.push_str(&format!("<h{level}>{}</h{level}>\n", inline(text, image)));
            i += 1;
        } else if t.starts_with('|') {
            flush(&mut para, &mut body);
            body.push_str("<table>\n");
            let mut header = true;
            while i < lines.len() && lines[i].trim_start().starts_with('|') {
                let row = cells(lines[i]);
                let is_rule = row
                    .iter()
                    .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':')));
                if is_rule {
                    header = false;
                } else {
                    let tag = if header
                        && lines.get(i + 1).is_some_and(|n| {
                            cells(n)
                                .iter()
                                .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':')))
                        }) {
                        "th"
                    } else {
                        "td"
                    };
                    body.push_str("<tr>");
                    for c in &row {
                        body.push_str(&format!("<{tag}>{}</{tag}>", inline(c, image)));
                    }
                    body.push_str("</tr>\n");
                }
                i += 1;
            }
            body.push_str("</table>\n");
        } else if let Some(item) = t.strip_prefix("- ") {
            flush(&mut para, &mut body);
            body.push_str("<ul>\n");
            let mut item = Some(item);
            while let Some(it) = item {
                body.push_str(&format!("<li>{}</li>\n", inline(it, image)));
                i += 1;
                item = lines.get(i).and_then(|n| n.trim_start().strip_prefix("- "));
            }
            body.push_str("</ul>\n");
        } else {
            para.push(t);
            i += 1;
        }
    }
    flush(&mut para, &mut body);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body {{ font-family: sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }}\n\
         table {{ border-collapse: collapse; margin: 0.5em 0 1em; }}\n\
         th, td {{ border: 1px solid #bbb; padding: 0.2em 0.6em; text-align: left; }}\n\
         th {{ background: #eee; }}\n img {{ max-width: 100%; display: block; margin: 0.5em 0; }}\n\
         code {{ background: #f3f3f3; padding: 0 0.2em; }}\n</style>\n</head>\n<body>\n{}</body>\n</html>\n",
        inline(title, &|_| None),
        body
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn render_gives_headings_tables_lists_and_embedded_images() {
        let md = "# osipy t1: fit\n\nInput `a<b>.nii` ok.\n\n| map | median |\n|---|---|\n| t1 | 1.2 \\| 3 |\n\n- `x.png`\n- y\n\n![Fit](fig.png)\n\n![Gone](none.png)\n";
        let html = render(md, &|n| (n == "fig.png").then(|| b"foo".to_vec()));
        assert!(html.contains("<title>osipy t1: fit</title>"));
        assert!(html.contains("<h1>osipy t1: fit</h1>"));
        assert!(html.contains("<p>Input <code>a&lt;b&gt;.nii</code> ok.</p>"));
        assert!(html.contains("<tr><th>map</th><th>median</th></tr>\n<tr><td>t1</td><td>1.2 | 3</td></tr>"));
        assert!(html.contains("<ul>\n<li><code>x.png</code></li>\n<li>y</li>\n</ul>"));
        assert!(html.contains("<img alt=\"Fit\" src=\"data:image/png;base64,Zm9v\">"));
        assert!(html.contains("[Gone (none.png): not found]"));
        assert!(!html.contains("http"));
    }
}

//! A bound on how deep and how large HTML may be before any tree is built from it. Feed notes,
//! blog posts and pages are written by strangers: 20,000 nested `<div>`s overflow the stack of
//! every recursive walk (the parser's own tree drop among them) and make the HTML parser's scope
//! checks quadratic. One linear pass over the text drops the start tags that would nest past
//! [`MAX_DEPTH`] (and their end tags), so everything after it works on a tree no deeper than that.
//! Real pages nest a few dozen levels; nothing a reader sees is lost below the cap. The same pass
//! keeps at most [`MAX_ATTRIBUTES`] attributes on a tag: the parser checks each new attribute
//! against all before it, so one tag with 30,000 attributes took half a minute.

use std::borrow::Cow;
use std::collections::HashMap;

/// Deepest element nesting passed on. Every tree walk in Earmark stays far from the stack's end
/// at this depth, even on a 256 KB thread stack.
pub const MAX_DEPTH: usize = 128;

/// Most attributes kept on one tag; real tags have a handful.
pub const MAX_ATTRIBUTES: usize = 100;

/// Largest HTML handed to a parser; the rest is cut at a character boundary. Far above any real
/// post or page (they are tens to hundreds of KB), far below what would stall the app.
pub const MAX_HTML_BYTES: usize = 8 * 1024 * 1024;

/// `raw` cut to [`MAX_HTML_BYTES`] with nesting deeper than [`MAX_DEPTH`] flattened. Borrows when
/// nothing had to change, which is every real document.
pub fn bounded(raw: &str) -> Cow<'_, str> {
    let cut = cut_at_char(raw, MAX_HTML_BYTES);
    match flatten(cut, MAX_DEPTH) {
        Some(out) => Cow::Owned(out),
        None => Cow::Borrowed(cut),
    }
}

fn cut_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Elements that never have content.
const VOID: [&str; 16] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "param",
    "keygen", "frame",
];

/// Elements an HTML parser closes by itself when a sibling starts (`<p>`, `<li>`, table cells):
/// counting them would make ordinary unclosed paragraphs look deep. The containers around them
/// (lists, tables) are counted, so they cannot nest deeply either.
const SELF_CLOSING_SIBLINGS: [&str; 17] = [
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot", "rb", "rt", "rp", "rtc",
    "colgroup",
];

/// Elements whose content is text up to their end tag, never markup.
const RAW_TEXT: [&str; 9] = [
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
];

/// The flattened text, or `None` when no tag had to go.
fn flatten(html: &str, max_depth: usize) -> Option<String> {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    let mut open: Vec<String> = Vec::with_capacity(max_depth);
    let mut dropped: HashMap<String, usize> = HashMap::new();
    let mut changed = false;
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'<', &bytes[i..]) {
        let lt = i + at;
        out.push_str(&html[i..lt]);
        let rest = &bytes[lt..];
        if rest.starts_with(b"<!--") {
            let end = memchr::memmem::find(&rest[4..], b"-->").map_or(bytes.len(), |e| lt + 4 + e + 3);
            out.push_str(&html[lt..end]);
            i = end;
            continue;
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            let end = memchr::memchr(b'>', rest).map_or(bytes.len(), |e| lt + e + 1);
            out.push_str(&html[lt..end]);
            i = end;
            continue;
        }
        let closing = rest.get(1) == Some(&b'/');
        let name_start = lt + 1 + usize::from(closing);
        // A tag's name runs to a space, `/` or `>`, as the HTML tokenizer reads it: `</time\u{97}x>`
        // is no end tag for `time`, and counting it as one let 20,000 `time`s nest.
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| !matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>'))
            .count();
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            // A lone '<' is text.
            out.push('<');
            i = lt + 1;
            continue;
        }
        let name = html[name_start..name_start + name_len].to_ascii_lowercase();
        let end = tag_end(bytes, name_start + name_len);
        let attrs_end = if closing {
            None
        } else {
            too_many_attributes(&bytes[name_start + name_len..end])
        };
        let shortened;
        let tag = match attrs_end {
            Some(k) => {
                changed = true;
                shortened = format!("{}>", &html[lt..name_start + name_len + k]);
                shortened.as_str()
            }
            None => &html[lt..end],
        };
        i = end;
        if closing {
            if let Some(n) = dropped.get_mut(&name).filter(|n| **n > 0) {
                *n -= 1;
                changed = true;
                continue;
            }
            if let Some(pos) = open.iter().rposition(|o| *o == name) {
                open.truncate(pos);
            }
            out.push_str(tag);
            continue;
        }
        if RAW_TEXT.contains(&name.as_str()) {
            // Copy the start tag, the text and the end tag as they are.
            let close = format!("</{name}");
            let stop = find_ignoring_case(&bytes[end..], close.as_bytes())
                .map_or(bytes.len(), |at| tag_end(bytes, end + at + close.len()));
            out.push_str(&html[lt..stop]);
            i = stop;
            continue;
        }
        if VOID.contains(&name.as_str()) || SELF_CLOSING_SIBLINGS.contains(&name.as_str()) {
            out.push_str(tag);
            continue;
        }
        if open.len() >= max_depth {
            *dropped.entry(name).or_insert(0) += 1;
            changed = true;
            continue;
        }
        open.push(name);
        out.push_str(tag);
    }
    out.push_str(&html[i..]);
    changed.then_some(out)
}

/// Where `needle` (which starts with `<`) first occurs in `hay`, ignoring ASCII case.
fn find_ignoring_case(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'<', hay).find(|&at| {
        hay.get(at..at + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    })
}

/// Where in `attrs` (a start tag's text after its name) attribute number [`MAX_ATTRIBUTES`] + 1
/// begins, when there is one. Attributes start at a non-space after a space, outside quotes.
fn too_many_attributes(attrs: &[u8]) -> Option<usize> {
    let mut quote: Option<u8> = None;
    let mut after_space = false;
    let mut count = 0;
    for (k, &b) in attrs.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b.is_ascii_whitespace() => after_space = true,
            None => {
                if after_space && b != b'>' && b != b'/' && b != b'=' {
                    count += 1;
                    if count > MAX_ATTRIBUTES {
                        return Some(k);
                    }
                }
                after_space = false;
                if b == b'"' || b == b'\'' {
                    quote = Some(b);
                }
            }
        }
    }
    None
}

/// Where the tag whose name ends at `from` ends: just past its `>`, skipping quoted attribute
/// values; the end of the text when it never closes.
pub(crate) fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote: Option<u8> = None;
    for (k, &b) in bytes.iter().enumerate().skip(from) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return k + 1,
            _ => {}
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}deep{}", "<div>".repeat(depth), "</div>".repeat(depth))
    }

    fn depth_of(html: &str) -> usize {
        let doc = scraper::Html::parse_fragment(html);
        doc.tree.nodes().map(|n| n.ancestors().count()).max().unwrap_or(0)
    }

    #[test]
    fn ordinary_html_is_borrowed_unchanged() {
        let html = "<p>One<p>Two <b>bold</b><ul><li>a<li>b</ul><script>if (a<b) {}</script>";
        assert!(matches!(bounded(html), Cow::Borrowed(_)));
        let many_paragraphs = "<p>unclosed paragraph".repeat(5_000);
        assert!(matches!(bounded(&many_paragraphs), Cow::Borrowed(_)));
        let many_siblings = "<div>x</div>".repeat(5_000);
        assert!(matches!(bounded(&many_siblings), Cow::Borrowed(_)));
    }

    #[test]
    fn deep_nesting_is_flattened_and_the_text_kept() {
        let out = bounded(&nested(20_000)).into_owned();
        assert!(out.contains("deep"));
        assert_eq!(out.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(out.matches("</div>").count(), MAX_DEPTH);
        assert!(depth_of(&out) <= MAX_DEPTH + 4, "{}", depth_of(&out));
    }

    #[test]
    fn unclosed_and_self_closed_tags_are_capped_too() {
        let unclosed = format!("{}text", "<span>".repeat(10_000));
        assert!(depth_of(&bounded(&unclosed)) <= MAX_DEPTH + 4);
        let slashed = format!("{}text", "<div/>".repeat(10_000));
        assert!(depth_of(&bounded(&slashed)) <= MAX_DEPTH + 4);
        let mixed = format!("{}text", "<b><i><u><em><section>".repeat(3_000));
        assert!(depth_of(&bounded(&mixed)) <= MAX_DEPTH + 4);
    }

    #[test]
    fn comments_scripts_and_quoted_brackets_are_not_read_as_tags() {
        let body = format!(
            "<!-- {} --><script>{}</script><a title=\"<div>\">x</a>",
            "<div>".repeat(500),
            "<div>".repeat(500)
        );
        let html = format!("{body}{}", "<p>".repeat(200));
        assert!(matches!(bounded(&html), Cow::Borrowed(_)));
    }

    #[test]
    fn oversized_html_is_cut_on_a_character_boundary() {
        let big = "é".repeat(MAX_HTML_BYTES);
        let out = bounded(&big);
        assert!(out.len() <= MAX_HTML_BYTES);
        assert!(out.len() >= MAX_HTML_BYTES - 1);
    }

    #[test]
    fn a_tag_keeps_at_most_the_attribute_cap() {
        let attrs: String = (0..30_000).map(|n| format!(" a{n}=\"v>{n}\"")).collect();
        let html = format!("<p{attrs}>kept text</p>");
        let out = bounded(&html).into_owned();
        assert!(out.contains("kept text"));
        assert!(out.contains(" a99="));
        assert!(!out.contains(" a100="));
        let doc = scraper::Html::parse_fragment(&out);
        let p = doc
            .select(&scraper::Selector::parse("p").expect("sel"))
            .next()
            .expect("p");
        assert_eq!(p.value().attrs().count(), MAX_ATTRIBUTES);
        let few = "<a href=\"x\" title='y z' data-a=1 hidden>link</a>";
        assert!(matches!(bounded(few), Cow::Borrowed(_)));
    }

    #[test]
    fn end_tags_are_named_as_the_tokenizer_names_them() {
        let html = "<cite>A<\u{fffd}/cite><time>0:05</time\u{fffd}/cite>".repeat(5_000);
        assert!(depth_of(&bounded(&html)) <= MAX_DEPTH + 4);
    }

    #[test]
    fn a_lone_angle_bracket_stays_text() {
        let html = format!("{}a < b <3 </>", "<div>".repeat(300));
        let out = bounded(&html);
        assert!(out.contains("a < b <3 </>"), "{out}");
    }
}

//! Feed HTML is hostile. It is stored as the feed gave it and passes through [`sanitize`] on every
//! way out to a display; [`to_text`] makes the plain text that search and linking read.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Makes show-note HTML safe to insert into the app's page: no scripts, no event handlers, no
/// `javascript:` or relative URLs, no forms or frames; links marked so the UI opens them outside.
pub fn sanitize(raw: &str) -> String {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    let cleaner = CLEANER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.url_schemes(HashSet::from(["http", "https", "mailto"]))
            .url_relative(ammonia::UrlRelative::Deny)
            .link_rel(Some("noopener noreferrer nofollow"))
            .add_tag_attributes("a", &["target"])
            .set_tag_attribute_value("a", "target", "_blank");
        b
    });
    let html = if looks_like_html(raw) {
        raw.to_owned()
    } else {
        text_to_html(raw)
    };
    cleaner.clean(&html).to_string()
}

/// Plain show notes (no tags at all) keep their line breaks when shown as HTML.
fn text_to_html(text: &str) -> String {
    let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    escaped
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", p.trim().replace('\n', "<br>")))
        .collect::<Vec<_>>()
        .join("")
}

fn looks_like_html(s: &str) -> bool {
    let tag = s
        .as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'));
    tag || s.contains("&lt;") || s.contains("&amp;") || s.contains("&#")
}

/// The text a reader sees in an HTML fragment, whitespace collapsed: tags dropped (block tags become
/// spaces), `script`/`style` bodies dropped, character references decoded. Hand-written rather
/// than a full HTML parse because it runs on every item of every feed ingest.
pub fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut pending_space = false;
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let Some(end) = rest.find('>') else {
                    // A lone '<' is text.
                    push_char(&mut out, '<', &mut pending_space);
                    rest = &rest[1..];
                    continue;
                };
                let tag = &rest[1..end];
                let name: String = tag
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_lowercase();
                rest = &rest[end + 1..];
                if (name == "script" || name == "style") && !tag.starts_with('/') {
                    let close = format!("</{name}");
                    let lower = rest.to_ascii_lowercase();
                    rest = match lower.find(&close) {
                        Some(i) => rest[i..].find('>').map_or("", |j| &rest[i + j + 1..]),
                        None => "",
                    };
                }
                if !is_inline(&name) {
                    pending_space = true;
                }
            }
            '&' => {
                let (decoded, used) = decode_entity(rest);
                match decoded {
                    Some(d) => push_char(&mut out, d, &mut pending_space),
                    None => push_char(&mut out, '&', &mut pending_space),
                }
                rest = &rest[used..];
            }
            c => {
                push_char(&mut out, c, &mut pending_space);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

fn push_char(out: &mut String, c: char, pending_space: &mut bool) {
    if c.is_whitespace() || c == '\u{a0}' {
        *pending_space = true;
        return;
    }
    if *pending_space && !out.is_empty() {
        out.push(' ');
    }
    *pending_space = false;
    out.push(c);
}

fn is_inline(name: &str) -> bool {
    matches!(
        name,
        "a" | "b"
            | "i"
            | "em"
            | "strong"
            | "span"
            | "u"
            | "s"
            | "small"
            | "sub"
            | "sup"
            | "code"
            | "abbr"
            | "mark"
            | "font"
    )
}

/// Decodes the character reference at the start of `s` (which starts with '&'); returns the char
/// and how many bytes it used, or `None` and 1 when it is not a reference.
fn decode_entity(s: &str) -> (Option<char>, usize) {
    let Some(semi) = s[1..].find(';').filter(|&i| i <= 10) else {
        return (None, 1);
    };
    let body = &s[1..1 + semi];
    let used = semi + 2;
    let c = if let Some(num) = body.strip_prefix('#') {
        let n = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse::<u32>().ok(),
        };
        n.and_then(char::from_u32)
    } else {
        Some(match body {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => ' ',
            "ndash" => '–',
            "mdash" => '—',
            "lsquo" => '‘',
            "rsquo" => '’',
            "ldquo" => '“',
            "rdquo" => '”',
            "hellip" => '…',
            "copy" => '©',
            "reg" => '®',
            "trade" => '™',
            "pound" => '£',
            "euro" => '€',
            _ => return (None, 1),
        })
    };
    match c {
        Some(c) => (Some(c), used),
        None => (None, 1),
    }
}

/// A title as plain text: feeds put markup and entities in titles more often than one would hope.
pub fn title_text(raw: &str) -> String {
    if raw.contains('<') || raw.contains('&') {
        to_text(raw)
    } else {
        raw.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_drops_scripts_handlers_and_javascript_links() {
        let raw = r#"<p onclick="x()">Hi<script>alert(1)</script><img src="x" onerror="alert(2)"><a href="javascript:alert(3)">j</a><a href="https://e.org/">ok</a><iframe src="https://e.org"></iframe></p>"#;
        let clean = sanitize(raw);
        assert!(!clean.contains("script"), "{clean}");
        assert!(!clean.contains("onerror"), "{clean}");
        assert!(!clean.contains("onclick"), "{clean}");
        assert!(!clean.contains("javascript"), "{clean}");
        assert!(!clean.contains("iframe"), "{clean}");
        assert!(clean.contains(r#"href="https://e.org/""#), "{clean}");
        assert!(clean.contains("noopener"), "{clean}");
    }

    #[test]
    fn plain_notes_keep_paragraphs() {
        assert_eq!(sanitize("a < b\n\nnext\nline"), "<p>a &lt; b</p><p>next<br>line</p>");
    }

    #[test]
    fn text_of_html() {
        assert_eq!(
            to_text("<p>Hello&nbsp;<b>big</b> world</p><p>Next &amp; last&#33;</p>"),
            "Hello big world Next & last!"
        );
        assert_eq!(to_text("a<script>var x = '<p>';</script>b"), "a b");
        assert_eq!(to_text("x &bogus; y &#x41;"), "x &bogus; y A");
        assert_eq!(to_text("1 < 2"), "1 < 2");
        assert_eq!(title_text("  Ep 1: <i>Hi</i> &amp; bye "), "Ep 1: Hi & bye");
    }
}

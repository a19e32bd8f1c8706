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
    let raw = crate::html_depth::bounded(raw);
    let html = if looks_like_html(&raw) {
        raw
    } else {
        text_to_html(&raw).into()
    };
    cleaner.clean(&html).to_string()
}

/// A whole HTML document as a tree, after [`crate::html_depth::bounded`]: the one way Earmark
/// parses a page, so no page can nest deep enough to crash a walk over it.
pub(crate) fn parse_document(raw: &str) -> scraper::Html {
    scraper::Html::parse_document(&crate::html_depth::bounded(raw))
}

/// An HTML fragment (a post body, show notes) as a tree, bounded like [`parse_document`].
pub(crate) fn parse_fragment(raw: &str) -> scraper::Html {
    scraper::Html::parse_fragment(&crate::html_depth::bounded(raw))
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
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    let mut pending_space = false;
    // Once no '>' follows, none follows any later '<' either: without this, a text of many '<'
    // and no '>' was searched to its end once per '<' (quadratic).
    let mut no_more_tags = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => {
                let rest = &html[i..];
                let found = if no_more_tags {
                    None
                } else {
                    memchr::memchr(b'>', rest.as_bytes())
                };
                let Some(end) = found else {
                    // A lone '<' is text.
                    no_more_tags = true;
                    push_text(&mut out, "<", &mut pending_space);
                    i += 1;
                    continue;
                };
                let tag = &rest[1..end];
                let closing = tag.starts_with('/');
                let bare = tag.trim_start_matches('/');
                let name_len = bare.bytes().take_while(u8::is_ascii_alphanumeric).count();
                let name = &bare[..name_len];
                i += end + 1;
                let raw_text = ["</script", "</style"]
                    .into_iter()
                    .find(|n| name.eq_ignore_ascii_case(&n[2..]));
                if let (Some(close), false) = (raw_text, closing) {
                    // Skip the body up to the closing tag (or to the end if it never closes).
                    i = match find_ci(&bytes[i..], close.as_bytes()) {
                        Some(at) => memchr::memchr(b'>', &bytes[i + at..]).map_or(bytes.len(), |j| i + at + j + 1),
                        None => bytes.len(),
                    };
                }
                if !is_inline(name) {
                    pending_space = true;
                }
            }
            b'&' => {
                let (decoded, used) = decode_entity(&html[i..]);
                let c = decoded.unwrap_or('&');
                if c.is_whitespace() {
                    // `&nbsp;` and friends separate words like a space.
                    pending_space = true;
                } else {
                    let mut buf = [0u8; 4];
                    push_text(&mut out, c.encode_utf8(&mut buf), &mut pending_space);
                }
                i += used;
            }
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                pending_space = true;
                i += 1;
            }
            _ => {
                // A run of ordinary characters, copied at once.
                let start = i;
                while i < bytes.len() {
                    let b = bytes[i];
                    if b < 0x80 {
                        if matches!(b, b'<' | b'&' | b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
                            break;
                        }
                        i += 1;
                    } else {
                        let Some(c) = html[i..].chars().next() else { break };
                        if c.is_whitespace() {
                            break;
                        }
                        i += c.len_utf8();
                    }
                }
                if i == start {
                    // Unicode whitespace (no-break space and the like).
                    pending_space = true;
                    i += html[i..].chars().next().map_or(1, char::len_utf8);
                } else {
                    push_text(&mut out, &html[start..i], &mut pending_space);
                }
            }
        }
    }
    out
}

/// Where `needle` first occurs in `hay`, ignoring ASCII case. The needle's first two bytes are
/// matched exactly (they are punctuation such as `<!` or `</`), so the search jumps between
/// their occurrences: in documents of megabytes they are far rarer than any single byte.
pub(crate) fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let finder = memchr::memmem::Finder::new(&needle[..2]);
    let mut from = 0;
    while let Some(at) = finder.find(&hay[from..]) {
        let start = from + at;
        if hay
            .get(start..start + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        {
            return Some(start);
        }
        from = start + 2;
    }
    None
}

/// Appends text that holds no whitespace, with one space first if whitespace came before it.
fn push_text(out: &mut String, text: &str, pending_space: &mut bool) {
    if *pending_space && !out.is_empty() {
        out.push(' ');
    }
    *pending_space = false;
    out.push_str(text);
}

fn is_inline(name: &str) -> bool {
    const INLINE: [&str; 15] = [
        "a", "b", "i", "em", "strong", "span", "u", "s", "small", "sub", "sup", "code", "abbr", "mark", "font",
    ];
    INLINE.iter().any(|n| name.eq_ignore_ascii_case(n))
}

/// Decodes the character reference at the start of `s` (which starts with '&'); returns the char
/// and how many bytes it used, or `None` and 1 when it is not a reference.
fn decode_entity(s: &str) -> (Option<char>, usize) {
    // Only a short name can follow: look no further than that for the ';'.
    let window = &s.as_bytes()[1..s.len().min(12)];
    let Some(semi) = window.iter().position(|&b| b == b';') else {
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

    #[test]
    fn text_of_awkward_html() {
        // Case-insensitive raw-text tags, one never closed; inline tags join words, block tags split them.
        assert_eq!(to_text("a<SCRIPT>x</Script >b<style>p{}</STYLE>c"), "a b c");
        assert_eq!(to_text("before<script>never closed"), "before");
        assert_eq!(to_text("<B>bold</B>er <DIV>block</DIV>end"), "bolder block end");
        // Unicode whitespace collapses; other non-ASCII text is kept whole.
        assert_eq!(
            to_text("caf\u{e9}\u{a0}\u{a0}na\u{ef}ve\u{2003}\u{3000}\u{65e5}\u{672c}"),
            "caf\u{e9} na\u{ef}ve \u{65e5}\u{672c}"
        );
        // An ampersand with no ';' nearby is text, and costs no search to the end of the notes.
        let long = format!("AT&T {}", "word ".repeat(10_000));
        assert!(to_text(&long).starts_with("AT&T word word"));
        assert_eq!(to_text("&nbsp;&nbsp;x&nbsp;"), "x");
        assert_eq!(to_text(""), "");
    }
}

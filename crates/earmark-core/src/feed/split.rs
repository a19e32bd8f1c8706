//! Cutting a big RSS document into pieces that each parse on their own, so a feed of many
//! megabytes is parsed on every core instead of one.
//!
//! A piece is a run of whole `<item>` elements. Each later piece is given the document's own
//! `<rss …>` and `<channel …>` start tags in front (so the namespace prefixes it uses are declared
//! the same way) and every piece but the last is closed with `</channel></rss>`. The cut points
//! are found by a light scan that understands just enough XML to never cut inside a comment, a
//! CDATA section, a processing instruction or a tag (quoted attribute values included). Anything
//! it does not expect ends the scan, and the caller parses the document whole.

use memchr::{memchr, memmem};

/// Where to cut: the byte offsets at which later pieces start, each the `<` of a
/// `<rss><channel>`-level `<item>` start tag, and the start tags every later piece needs.
#[derive(Debug, PartialEq)]
pub struct Cuts<'a> {
    /// Offsets into the document, increasing.
    pub at: Vec<usize>,
    /// The document's `<rss …>` and `<channel …>` start tags, verbatim.
    pub head: [&'a str; 2],
}

/// The closing tags that end every piece but the last.
pub const TAIL: &str = "</channel></rss>";

/// The pieces of `text` cut at `cuts`, each as the four strings to read one after another:
/// the start tags it needs, its run of the document, and the closing tags it needs.
pub fn pieces<'a>(text: &'a str, cuts: &Cuts<'a>) -> Vec<[&'a str; 4]> {
    let mut out = Vec::with_capacity(cuts.at.len() + 1);
    let mut start = 0;
    for &end in &cuts.at {
        let head = if start == 0 { ["", ""] } else { cuts.head };
        out.push([head[0], head[1], &text[start..end], TAIL]);
        start = end;
    }
    out.push([cuts.head[0], cuts.head[1], &text[start..], ""]);
    out
}

/// Finds up to `pieces - 1` cut points near equal fractions of `text`. `None` when the document
/// is not an `<rss><channel>` document this scan understands or has no item past a target.
pub fn cuts(text: &str, pieces: usize) -> Option<Cuts<'_>> {
    if pieces < 2 {
        return None;
    }
    let bytes = text.as_bytes();
    let mut targets = (1..pieces).map(|k| bytes.len() / pieces * k).peekable();
    let mut at = Vec::new();
    let mut head: [&str; 2] = ["", ""];
    // How many elements are open; only the outer two (`rss`, `channel`) are told apart.
    let mut depth = 0usize;
    let mut items = 0usize;
    let mut pos = 0usize;
    while let Some(found) = memchr(b'<', &bytes[pos..]) {
        let lt = pos + found;
        let rest = &bytes[lt..];
        if rest.starts_with(b"<!--") {
            pos = lt + 4 + memmem::find(&rest[4..], b"-->")? + 3;
        } else if rest.starts_with(b"<![CDATA[") {
            pos = lt + 9 + memmem::find(&rest[9..], b"]]>")? + 3;
        } else if rest.starts_with(b"<?") {
            pos = lt + 2 + memmem::find(&rest[2..], b"?>")? + 2;
        } else if rest.starts_with(b"<!") {
            // A DOCTYPE or other declaration: not something to cut around.
            return None;
        } else if rest.starts_with(b"</") {
            pos = lt + memchr(b'>', rest)? + 1;
            depth = depth.checked_sub(1)?;
            if depth < 2 {
                // The channel (or the root) closed: no more items to cut before.
                break;
            }
        } else {
            let end = lt + tag_end(rest)?;
            let self_closing = bytes[end - 1] == b'/';
            let name = tag_name(&bytes[lt + 1..end]);
            match depth {
                0 if name == b"rss" => head[0] = text.get(lt..=end)?,
                0 => return None,
                1 if name == b"channel" => head[1] = text.get(lt..=end)?,
                1 => return None,
                2 if name == b"item" => {
                    items += 1;
                    if let Some(&target) = targets.peek() {
                        // Never before the first item: a piece without items helps no one.
                        if lt >= target && items > 1 {
                            at.push(lt);
                            while targets.next_if(|t| *t <= lt).is_some() {}
                            if targets.peek().is_none() {
                                break;
                            }
                        }
                    }
                }
                _ => {}
            }
            pos = end + 1;
            if !self_closing {
                depth += 1;
            }
        }
    }
    (!at.is_empty() && !head[1].is_empty()).then_some(Cuts { at, head })
}

/// The offset of the `>` that ends the tag starting at `tag[0]`, past quoted attribute values.
fn tag_end(tag: &[u8]) -> Option<usize> {
    let mut i = 1;
    while i < tag.len() {
        match tag[i] {
            b'>' => return Some(i),
            q @ (b'"' | b'\'') => i += 1 + memchr(q, &tag[i + 1..])?,
            b'<' => return None,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The element name at the start of a tag's inside (`item`, `itunes:image`).
fn tag_name(inside: &[u8]) -> &[u8] {
    let end = inside
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b == b'/' || *b == b'>')
        .unwrap_or(inside.len());
    &inside[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(items: usize) -> String {
        let mut s = String::from(
            "<?xml version=\"1.0\"?>\n<!-- a <item> in a comment -->\n\
             <rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\">\
             <channel a=\"x > y\"><title>T</title>",
        );
        for i in 0..items {
            s.push_str(&format!(
                "<item><title>{i}</title><description><![CDATA[<item>not one</item> <p>x</p>]]></description>\
                 <enclosure url=\"http://e/{i}.mp3\" type='audio/mpeg'/></item>\n"
            ));
        }
        s.push_str("</channel></rss>\n");
        s
    }

    #[test]
    fn cuts_fall_on_item_start_tags_and_the_pieces_hold_every_item_once() {
        let text = doc(40);
        let c = cuts(&text, 3).expect("cuts");
        assert_eq!(c.at.len(), 2);
        assert!(c.head[0].starts_with("<rss ") && c.head[0].ends_with('>'));
        assert_eq!(c.head[1], "<channel a=\"x > y\">");
        let mut titles = Vec::new();
        for (k, parts) in pieces(&text, &c).into_iter().enumerate() {
            if k > 0 {
                assert!(parts[2].starts_with("<item>"));
            }
            let piece = parts.concat();
            let ch = rss::Channel::read_from(piece.as_bytes()).expect("piece parses");
            titles.extend(ch.items.iter().map(|i| i.title().unwrap_or_default().to_owned()));
        }
        let want: Vec<String> = (0..40).map(|i| i.to_string()).collect();
        assert_eq!(titles, want);
    }

    #[test]
    fn documents_it_does_not_understand_are_not_cut() {
        assert_eq!(cuts(&doc(40), 1), None);
        assert_eq!(cuts(&doc(1), 2), None, "no item past the middle");
        assert_eq!(cuts("<feed><entry/></feed>", 2), None);
        assert_eq!(cuts("<rss><channel><item><![CDATA[ never closed", 2), None);
        assert_eq!(
            cuts("<rss><channel><item a=\"unterminated></item></channel></rss>", 2),
            None
        );
        let doctype = format!("<!DOCTYPE rss>{}", doc(10));
        assert_eq!(cuts(&doctype, 2), None);
    }
}

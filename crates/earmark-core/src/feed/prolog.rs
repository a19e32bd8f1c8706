//! What happens before an XML parser sees a feed: refusing entity declarations (no external entity
//! is resolved and no entity bomb can expand), and decoding the declared text encoding to UTF-8.

use std::borrow::Cow;

use crate::error::FeedError;

/// Refuses documents whose DOCTYPE declares entities. Legitimate feeds never need them; entity
/// bombs ("billion laughs") and external-entity tricks always do.
///
/// Run it on the raw bytes and again on the text when decoding changed it: in UTF-16 the
/// declaration is invisible to a byte search. Keywords are matched case-insensitively, and
/// quoted literals are skipped when looking for the internal subset; once a DOCTYPE has one, any
/// `<!ENTITY` after it refuses the document (a `]` hidden in a comment cannot end the subset
/// early).
pub fn refuse_entities(bytes: &[u8]) -> Result<(), FeedError> {
    let Some(start) = crate::html::find_ci(bytes, b"<!DOCTYPE") else {
        return Ok(());
    };
    let mut quote = None;
    for (i, &b) in bytes[start..].iter().enumerate() {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return Ok(()),
            (None, b'[') => {
                return match crate::html::find_ci(&bytes[start + i..], b"<!ENTITY") {
                    Some(_) => Err(FeedError::EntitiesRefused),
                    None => Ok(()),
                };
            }
            (None, _) => {}
        }
    }
    Ok(())
}

/// The deepest element nesting a feed may have. Real feeds nest about six levels (rss, channel,
/// item, media:group, media:content, media:thumbnail); the XML crates walk extension elements
/// recursively, and a few thousand levels overflow the stack.
pub const MAX_XML_DEPTH: usize = 100;

/// Refuses documents whose elements nest deeper than [`MAX_XML_DEPTH`], in one linear pass that
/// skips comments, CDATA, processing instructions, declarations and quoted attribute values.
pub fn refuse_deep_nesting(text: &str) -> Result<(), FeedError> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'<', &bytes[i..]) {
        let lt = i + at;
        let rest = &bytes[lt..];
        let skip_to = |end: &[u8], from: usize| {
            memchr::memmem::find(&bytes[lt + from..], end).map_or(bytes.len(), |e| lt + from + e + end.len())
        };
        i = if rest.starts_with(b"<!--") {
            skip_to(b"-->", 4)
        } else if rest.starts_with(b"<![CDATA[") {
            skip_to(b"]]>", 9)
        } else if rest.starts_with(b"<?") {
            skip_to(b"?>", 2)
        } else if rest.starts_with(b"<!") {
            skip_to(b">", 2)
        } else {
            let end = crate::html_depth::tag_end(bytes, lt + 1);
            let tag = &bytes[lt..end];
            if rest.get(1) == Some(&b'/') {
                depth = depth.saturating_sub(1);
            } else if !tag.ends_with(b"/>") {
                depth += 1;
                if depth > MAX_XML_DEPTH {
                    return Err(FeedError::Malformed(format!(
                        "elements nest deeper than {MAX_XML_DEPTH} levels"
                    )));
                }
            }
            end
        };
    }
    Ok(())
}

/// Decodes the document to UTF-8 following its BOM or XML declaration, and rewrites the
/// declaration so the XML parser does not decode it a second time.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, FeedError> {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Ok(Cow::Owned(rewrite_declaration(text.into_owned())));
    }
    let head = &bytes[..bytes.len().min(256)];
    let declared = declared_encoding(head);
    let enc = match declared.as_deref() {
        None => encoding_rs::UTF_8,
        Some(label) => encoding_rs::Encoding::for_label(label.as_bytes())
            .ok_or_else(|| FeedError::UnknownEncoding(label.to_owned()))?,
    };
    if enc == encoding_rs::UTF_8 {
        // Already what the parser wants: valid UTF-8 is used in place, without a copy. (The strict
        // check first: it runs several times faster than the lossy one over a big feed.)
        return Ok(match std::str::from_utf8(bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        });
    }
    Ok(Cow::Owned(rewrite_declaration(
        enc.decode_without_bom_handling(bytes).0.into_owned(),
    )))
}

fn declared_encoding(head: &[u8]) -> Option<String> {
    let head = std::str::from_utf8(head).ok().or_else(|| {
        // The declaration itself is ASCII; cut at the first non-UTF-8 byte.
        let valid = std::str::from_utf8(head).err()?.valid_up_to();
        std::str::from_utf8(&head[..valid]).ok()
    })?;
    let decl_end = head.find("?>")?;
    let decl = head.strip_prefix("<?xml")?.get(..decl_end.checked_sub(5)?)?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    let end = value.find(quote)?;
    Some(value[..end].trim().to_owned())
}

fn rewrite_declaration(text: String) -> String {
    let trimmed = text.trim_start_matches('\u{feff}');
    if trimmed.starts_with("<?xml") {
        if let Some(end) = trimmed.find("?>") {
            return format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{}", &trimmed[end + 2..]);
        }
    }
    trimmed.to_owned()
}

/// The name of the document's root element (`rss`, `feed`, `rdf:RDF`, …), if it has one.
pub fn root_element(text: &str) -> Option<String> {
    let mut rest = text;
    loop {
        let i = rest.find('<')?;
        rest = &rest[i..];
        if rest.starts_with("<?") {
            rest = &rest[rest.find("?>")? + 2..];
        } else if rest.starts_with("<!--") {
            rest = &rest[rest.find("-->")? + 3..];
        } else if rest.starts_with("<!") {
            // DOCTYPE (entity-free by now): skip an internal subset if present.
            let gt = rest.find('>')?;
            let skip = match rest[..gt].find('[') {
                Some(_) => rest.find("]>").map_or(gt, |j| j + 1),
                None => gt,
            };
            rest = &rest[skip + 1..];
        } else {
            let name: String = rest[1..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
                .collect();
            return (!name.is_empty()).then_some(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_and_real_shapes_are_not() {
        let real = r#"<?xml version="1.0"?><!-- <a><a><a> --><rss><channel><item><media:group>
<media:content url="x"><media:thumbnail url="y"/></media:content></media:group>
<description><![CDATA[<div><div><div>]]></description><a title="<b><b>">x</a></item></channel></rss>"#;
        assert!(refuse_deep_nesting(real).is_ok());
        let deep = format!("<rss>{}</rss>", "<x>".repeat(MAX_XML_DEPTH + 1));
        let err = refuse_deep_nesting(&deep).expect_err("refused");
        assert!(err.to_string().contains("nest deeper"), "{err}");
        let wide = format!("<rss>{}</rss>", "<x></x><y/>".repeat(50_000));
        assert!(refuse_deep_nesting(&wide).is_ok());
    }

    #[test]
    fn entity_declarations_are_refused() {
        let bomb = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><rss/>"#;
        assert!(matches!(refuse_entities(bomb), Err(FeedError::EntitiesRefused)));
        let plain = br#"<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "x.dtd"><rss/>"#;
        assert!(refuse_entities(plain).is_ok());
    }

    #[test]
    fn latin1_is_decoded_and_declaration_rewritten() {
        let bytes = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><t>caf\xe9</t></rss>";
        let text = decode(bytes).expect("decodes");
        assert!(text.contains("café"), "{text}");
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    }

    #[test]
    fn unknown_encoding_is_an_error() {
        assert!(matches!(
            decode(b"<?xml version='1.0' encoding='x-klingon'?><rss/>"),
            Err(FeedError::UnknownEncoding(_))
        ));
    }

    #[test]
    fn root_names() {
        assert_eq!(
            root_element("<?xml version='1.0'?><!-- c --><rss version='2.0'>").as_deref(),
            Some("rss")
        );
        assert_eq!(
            root_element("\n<feed xmlns='http://www.w3.org/2005/Atom'>").as_deref(),
            Some("feed")
        );
        assert_eq!(root_element("<html><head>").as_deref(), Some("html"));
        assert_eq!(root_element("   ").as_deref(), None);
    }
}

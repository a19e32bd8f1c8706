//! A web page's main content: what a reader came for, without the site's menus, sidebars,
//! footers, widgets and comments. Pure functions over the fetched bytes.
//!
//! The main block is the first of the usual content containers that holds real text
//! (`.entry-content`, `.post-content`, `article`, `[role=main]`, `main`, `#content`); failing those,
//! the element whose paragraphs hold the most text (the "densest" block).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::clean::{self, Strip};
use super::DocError;

/// A page reduced to what Earmark keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractedPage {
    /// Title, plain text.
    pub title: String,
    /// `article:published_time`, else the first `<time datetime>` in the content.
    pub published: Option<DateTime<Utc>>,
    /// `article:modified_time`.
    pub modified: Option<DateTime<Utc>>,
    /// `<meta name="author">`.
    pub author: Option<String>,
    /// The main block's HTML, furniture removed but not yet sanitised.
    pub main_html: String,
    /// The sanitised main block.
    pub html_clean: String,
    /// Its plain text.
    pub text: String,
}

/// The containers tried in order, most specific first.
const MAIN_SELECTORS: &[&str] = &[
    ".entry-content",
    ".post-content",
    ".page-content",
    ".article-content",
    "article",
    "[role=main]",
    "main",
    "#content",
];

/// A container with less text than this is passed over for the next one.
const MIN_MAIN_TEXT: usize = 40;

/// Turns a fetched body into text, following the `Content-Type` charset, else `<meta charset>`,
/// else UTF-8 (invalid bytes replaced). Refuses what is plainly not a web page.
pub fn decode_html(body: &[u8], content_type: Option<&str>, url: &Url) -> Result<String, DocError> {
    if let Some(ct) = content_type {
        let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let htmlish = mime.is_empty()
            || mime == "text/html"
            || mime == "application/xhtml+xml"
            || mime == "text/plain"
            || mime.ends_with("/xml");
        if !htmlish {
            return Err(DocError::NotHtml {
                url: url.to_string(),
                detail: format!("the server sent {mime}"),
            });
        }
    }
    let label = content_type
        .and_then(|ct| ct.split(';').find_map(|p| p.trim().strip_prefix("charset=")))
        .map(|s| s.trim_matches('"').to_owned())
        .or_else(|| meta_charset(&body[..body.len().min(2048)]));
    let enc = label
        .and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = enc.decode(body);
    // Binary junk decodes to control characters and replacement marks, not to a page.
    let suspicious = text
        .chars()
        .take(4096)
        .filter(|&c| c == '\u{fffd}' || (c.is_control() && !c.is_whitespace()))
        .count();
    let sample = text.chars().take(4096).count().max(1);
    if suspicious * 10 > sample {
        return Err(DocError::NotHtml {
            url: url.to_string(),
            detail: "the body is binary, not HTML".into(),
        });
    }
    Ok(text.into_owned())
}

fn meta_charset(head: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let i = head.find("charset=")?;
    let rest = head[i + 8..].trim_start_matches(['"', '\'']);
    let label: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!label.is_empty()).then_some(label)
}

/// Extracts the main content of a page at `url`.
pub fn extract(html: &str, url: &Url) -> Result<ExtractedPage, DocError> {
    let doc = crate::html::parse_document(html);
    let meta = metas(&doc);
    let main = find_main(&doc).ok_or_else(|| DocError::NoContent(url.to_string()))?;
    let mut main_html = String::new();
    clean::serialize_main(main, &mut main_html);
    let html_clean = clean::sanitize(&main_html, url);
    let text = crate::html::to_text(&html_clean);
    if text.trim().is_empty() {
        return Err(DocError::NoContent(url.to_string()));
    }
    let title = meta
        .get("og:title")
        .cloned()
        .or_else(|| first_text(main, "h1"))
        .or_else(|| first_text(doc.root_element(), "title"))
        .map(|t| crate::html::title_text(&t))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| url.to_string());
    let date = |k: &str| meta.get(k).and_then(|d| parse_date(d));
    let published = date("article:published_time").or_else(|| {
        let sel = Selector::parse("time[datetime]").ok()?;
        main.select(&sel)
            .find_map(|t| t.value().attr("datetime").and_then(parse_date))
    });
    Ok(ExtractedPage {
        title,
        published,
        modified: date("article:modified_time"),
        author: meta.get("author").cloned().filter(|a| !a.trim().is_empty()),
        main_html,
        html_clean,
        text,
    })
}

/// `<meta property|name=K content=V>`, keys lower-cased; the first of each wins.
fn metas(doc: &Html) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let Ok(sel) = Selector::parse("meta[content]") else {
        return out;
    };
    for m in doc.select(&sel) {
        let v = m.value();
        let key = v.attr("property").or_else(|| v.attr("name"));
        if let (Some(k), Some(c)) = (key, v.attr("content")) {
            out.entry(k.to_ascii_lowercase()).or_insert_with(|| c.trim().to_owned());
        }
    }
    out
}

fn first_text(root: ElementRef<'_>, tag: &str) -> Option<String> {
    let sel = Selector::parse(tag).ok()?;
    root.select(&sel)
        .map(|e| e.text().collect::<String>())
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|t| !t.is_empty())
}

fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| crate::feed::dates::parse(s))
}

/// The text inside an element that a reader would see (furniture and non-content left out).
fn visible_text_len(el: ElementRef<'_>) -> usize {
    let mut n = 0;
    for node in el.descendants() {
        if let Some(t) = node.value().as_text() {
            // Skip text inside dropped elements.
            let inside_dropped = node
                .ancestors()
                .take_while(|a| a.id() != el.id())
                .filter_map(ElementRef::wrap)
                .any(|a| clean::dropped(a, Strip::Page));
            if !inside_dropped {
                n += t.trim().chars().count();
            }
        }
    }
    n
}

fn find_main(doc: &Html) -> Option<ElementRef<'_>> {
    for css in MAIN_SELECTORS {
        let Ok(sel) = Selector::parse(css) else { continue };
        // Several matches (a list of articles): the one with the most text.
        let best = doc
            .select(&sel)
            .filter(|e| !clean::is_chrome(*e) || css.starts_with('.'))
            .map(|e| (visible_text_len(e), e))
            .max_by_key(|(n, _)| *n);
        if let Some((n, e)) = best {
            if n >= MIN_MAIN_TEXT {
                return Some(e);
            }
        }
    }
    densest(doc)
}

/// Whether an ancestor of `el` is furniture a page drops, remembering the answer for every element
/// on the way up.
fn in_chrome(el: ElementRef<'_>, memo: &mut HashMap<ego_tree::NodeId, bool>) -> bool {
    let mut path = Vec::new();
    let mut answer = false;
    let mut node = el.parent();
    while let Some(n) = node {
        if let Some(&known) = memo.get(&n.id()) {
            answer = known;
            break;
        }
        if ElementRef::wrap(n).is_some_and(|e| clean::dropped(e, Strip::Page)) {
            answer = true;
            path.push(n.id());
            break;
        }
        path.push(n.id());
        node = n.parent();
    }
    for id in path {
        memo.insert(id, answer);
    }
    answer
}

/// The element whose own paragraphs hold the most text; the body when there are no paragraphs.
fn densest(doc: &Html) -> Option<ElementRef<'_>> {
    let p = Selector::parse("p, pre, blockquote, li").ok()?;
    let mut score: HashMap<ego_tree::NodeId, usize> = HashMap::new();
    // Whether each element sits in page furniture, worked out once per element: asking every
    // paragraph's ancestors again made thousands of list items in deep lists cost seconds.
    let mut chrome: HashMap<ego_tree::NodeId, bool> = HashMap::new();
    for para in doc.select(&p) {
        if in_chrome(para, &mut chrome) {
            continue;
        }
        let len = para.text().map(|t| t.trim().chars().count()).sum::<usize>();
        if len < 20 {
            continue;
        }
        if let Some(parent) = para.parent() {
            *score.entry(parent.id()).or_default() += len;
            if let Some(grand) = parent.parent() {
                *score.entry(grand.id()).or_default() += len / 2;
            }
        }
    }
    let best = score
        .into_iter()
        .max_by_key(|(id, n)| (*n, std::cmp::Reverse(*id)))
        .and_then(|(id, _)| doc.tree.get(id))
        .and_then(ElementRef::wrap);
    best.or_else(|| {
        let body = Selector::parse("body").ok()?;
        doc.select(&body).next()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://site.example/campaign/overview/").expect("url")
    }

    const CHROME: &str = r#"<header class="site-header"><nav><a href="/">Home</a><a href="/blog">Blog</a></nav></header>
        <aside id="secondary" class="widget-area"><section class="widget"><h2>Recent posts</h2><ul><li>Sidebar item one that is long enough</li></ul></section></aside>
        <footer class="site-footer">Copyright notice and footer links</footer>"#;

    #[test]
    fn prefers_entry_content_and_drops_furniture() {
        let html = format!(
            r#"<html><head><title>Overview – Site</title><meta property="og:title" content="An Overview">
            <meta property="article:published_time" content="2020-03-01T10:00:00+00:00"></head><body>{CHROME}
            <main><article><h1>An Overview</h1><div class="entry-content"><p>In Dad's Shoes is a campaign about fathers in the family courts.</p>
            <div class="sharedaddy"><a href="https://twitter.example/share">Share</a></div>
            <p>Second paragraph with more words.</p></div><div id="comments">A comment</div></article></main></body></html>"#
        );
        let page = extract(&html, &url()).expect("extract");
        assert_eq!(page.title, "An Overview");
        assert!(page.text.contains("fathers in the family courts"), "{}", page.text);
        for gone in ["Home", "Recent posts", "Copyright", "Share", "A comment", "Sidebar"] {
            assert!(!page.text.contains(gone), "{gone} kept: {}", page.text);
        }
        assert_eq!(page.published.map(|d| d.timestamp()), Some(1_583_056_800));
    }

    #[test]
    fn densest_block_without_semantic_markup() {
        let html = format!(
            r#"<html><body>{CHROME}<div id="wrap"><div class="left"><p>short</p></div>
            <div class="c"><p>This is the real text of the page, long enough to count as content.</p>
            <p>And another paragraph of it, which makes the block the densest on the page.</p></div></div></body></html>"#
        );
        let page = extract(&html, &url()).expect("extract");
        assert!(page.text.starts_with("This is the real text"), "{}", page.text);
        assert!(!page.text.contains("Copyright"), "{}", page.text);
    }

    #[test]
    fn truncated_html_still_reads() {
        let page = extract(
            "<html><body><article><p>Half a paragraph that was cut off in the middle of a sente",
            &url(),
        )
        .expect("extract");
        assert!(page.text.contains("Half a paragraph"));
    }

    #[test]
    fn empty_and_binary_pages_are_refused() {
        assert!(matches!(
            extract("<html><body><nav>menu only</nav></body></html>", &url()),
            Err(DocError::NoContent(_))
        ));
        let junk: Vec<u8> = (0..2000u32).map(|i| (i * 7 % 256) as u8).collect();
        assert!(matches!(
            decode_html(&junk, Some("text/html"), &url()),
            Err(DocError::NotHtml { .. })
        ));
        assert!(matches!(
            decode_html(b"GIF89a", Some("image/gif"), &url()),
            Err(DocError::NotHtml { .. })
        ));
        let latin = decode_html(b"<p>caf\xe9</p>", Some("text/html; charset=iso-8859-1"), &url()).expect("decode");
        assert!(latin.contains("café"));
    }
}

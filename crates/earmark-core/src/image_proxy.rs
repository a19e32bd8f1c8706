//! Where remote images in shown HTML are pointed: at the app's `remoteimg:` scheme, never at their
//! own servers (the `remote_images` module says why, and holds the library's side). Pure text work:
//! ids are plain numbers here so that this module needs neither the library nor the documents.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The URI scheme the app serves proxied images on.
pub const SCHEME: &str = "remoteimg";

/// Whose choice it is to load remote images: the podcast for show notes, the blog source for its
/// posts, the page itself for a page added on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
#[ts(export)]
pub enum ImageOwner {
    /// Show notes of a podcast's episodes (the podcast's id).
    Podcast(#[ts(type = "number")] i64),
    /// Posts of a blog source (the source's id).
    Source(#[ts(type = "number")] i64),
    /// A page added by URL (the document's id).
    Page(#[ts(type = "number")] i64),
}

impl ImageOwner {
    /// The library setting that holds the owner's choice.
    pub(crate) fn setting_key(self) -> String {
        match self {
            ImageOwner::Podcast(p) => format!("remote_images:podcast:{p}"),
            ImageOwner::Source(s) => format!("remote_images:source:{s}"),
            ImageOwner::Page(d) => format!("remote_images:page:{d}"),
        }
    }
}

/// Which document a proxied image belongs to, as written in its `remoteimg:` address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageHolder {
    /// An episode's show notes (the episode's id).
    Episode(i64),
    /// A post's or page's text (the document's id).
    Document(i64),
}

impl ImageHolder {
    fn path(self) -> String {
        match self {
            ImageHolder::Episode(e) => format!("e/{e}"),
            ImageHolder::Document(d) => format!("d/{d}"),
        }
    }

    /// Reads `e/12` or `d/7` (the path of a `remoteimg:` address).
    pub fn parse(path: &str) -> Option<ImageHolder> {
        let (kind, id) = path.trim_matches('/').split_once('/')?;
        let id: i64 = id.parse().ok().filter(|i| *i > 0)?;
        match kind {
            "e" => Some(ImageHolder::Episode(id)),
            "d" => Some(ImageHolder::Document(id)),
            _ => None,
        }
    }
}

/// The address the page loads a remote image through.
pub fn proxy_url(holder: ImageHolder, url: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
    format!("{SCHEME}://localhost/{}?u={encoded}", holder.path())
}

/// Points every http(s) `<img src>` of sanitised HTML at [`proxy_url`]; returns the HTML and the
/// remote addresses found. With `held`, each such image is also marked `data-held`, so the page
/// can leave a space for it rather than a broken picture. Works on ammonia's output, whose
/// attributes are always double-quoted and whose `&` are written `&amp;`.
pub fn proxy_images(html: &str, holder: ImageHolder, held: bool) -> (String, Vec<String>) {
    let mut out = String::with_capacity(html.len());
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<img") {
        let Some(tag_len) = rest[at..].find('>') else { break };
        let tag = &rest[at..at + tag_len];
        out.push_str(&rest[..at]);
        match tag.find(" src=\"") {
            Some(s) => {
                let value_start = s + 6;
                let value_len = tag[value_start..].find('"').unwrap_or(tag.len() - value_start);
                let raw = &tag[value_start..value_start + value_len];
                let url = raw.replace("&amp;", "&");
                let lower = url.to_ascii_lowercase();
                if lower.starts_with("http://") || lower.starts_with("https://") {
                    if held {
                        out.push_str("<img data-held=\"\"");
                        out.push_str(&tag[4..value_start]);
                    } else {
                        out.push_str(&tag[..value_start]);
                    }
                    out.push_str(&proxy_url(holder, &url).replace('&', "&amp;"));
                    out.push_str(&tag[value_start + value_len..]);
                    found.push(url);
                } else {
                    out.push_str(tag);
                }
            }
            None => out.push_str(tag),
        }
        rest = &rest[at + tag_len..];
    }
    out.push_str(rest);
    (out, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_images_go_through_the_proxy_and_others_stay() {
        let html = r#"<p>a<img src="https://t.example/p.gif?a=1&amp;b=2" alt="x"><img src="docimg://localhost/k.png"><img alt="no src"><img src="HTTP://LAN/x.png"></p>"#;
        let (out, found) = proxy_images(html, ImageHolder::Episode(7), false);
        assert_eq!(found, vec!["https://t.example/p.gif?a=1&b=2", "HTTP://LAN/x.png"]);
        assert!(!out.contains("https://t.example"), "{out}");
        assert!(out.contains(
            r#"<img src="remoteimg://localhost/e/7?u=https%3A%2F%2Ft.example%2Fp.gif%3Fa%3D1%26b%3D2" alt="x">"#
        ));
        assert!(out.contains(r#"<img src="docimg://localhost/k.png">"#));
        assert!(out.contains(r#"<img alt="no src">"#));
        let (held, _) = proxy_images(html, ImageHolder::Episode(7), true);
        assert_eq!(
            held.matches("<img data-held=\"\" src=\"remoteimg://").count(),
            2,
            "{held}"
        );
        assert!(held.contains(r#"<img src="docimg://localhost/k.png">"#));
    }

    #[test]
    fn holders_read_back_from_their_paths() {
        assert_eq!(ImageHolder::parse("/e/12"), Some(ImageHolder::Episode(12)));
        assert_eq!(ImageHolder::parse("d/3"), Some(ImageHolder::Document(3)));
        assert_eq!(ImageHolder::parse("x/3"), None);
        assert_eq!(ImageHolder::parse("e/-1"), None);
        assert_eq!(ImageHolder::parse("e/../../etc"), None);
    }
}

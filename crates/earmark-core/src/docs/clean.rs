//! From hostile web HTML to what the app may show: a walk over the parsed tree that leaves out
//! what is never content (scripts, forms, frames, tracking pixels, and, for whole pages, the
//! site's chrome), then ammonia with relative URLs resolved against the document's address.
//!
//! The walk runs first because ammonia judges one attribute at a time: it cannot see that an
//! image is 1x1, nor drop a whole `<nav>` with its links.

use std::collections::HashSet;

use ego_tree::NodeRef;
use scraper::{ElementRef, Node};
use url::Url;

/// Elements that never hold readable content; left out with everything inside them.
const NEVER_CONTENT: &[&str] = &[
    "script", "style", "noscript", "template", "iframe", "frame", "frameset", "object", "embed", "applet", "form",
    "input", "button", "select", "textarea", "svg", "canvas", "link", "meta", "head", "title", "base", "dialog",
];

/// Elements that are a site's furniture rather than the page's content.
const CHROME_TAGS: &[&str] = &["nav", "header", "footer", "aside", "menu"];

/// ARIA roles of furniture.
const CHROME_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
    "menu",
    "menubar",
    "dialog",
];

/// Words in a class or id that mark furniture (menus, sidebars, widgets, comments, sharing).
const CHROME_WORDS: &[&str] = &[
    "menu",
    "nav",
    "sidebar",
    "widget",
    "comment",
    "share",
    "sharing",
    "social",
    "related",
    "breadcrumb",
    "cookie",
    "newsletter",
    "subscribe",
    "advert",
    "ads",
    "promo",
    "skip-link",
    "screen-reader",
    "masthead",
    "site-header",
    "site-footer",
    "footer",
    "header",
    "popup",
    "modal",
    "jp-relatedposts",
    "sharedaddy",
    "wpcnt",
];

/// Hosts (and their subdomains) that serve tracking pixels and beacons.
const TRACKER_HOSTS: &[&str] = &[
    "pixel.wp.com",
    "stats.wp.com",
    "google-analytics.com",
    "googletagmanager.com",
    "doubleclick.net",
    "googlesyndication.com",
    "facebook.com",
    "facebook.net",
    "scorecardresearch.com",
    "quantserve.com",
    "bat.bing.com",
    "analytics.twitter.com",
    "t.co",
    "ct.pinterest.com",
    "px.ads.linkedin.com",
    "mc.yandex.ru",
    "feedburner.com",
    "feedsportal.com",
    "list-manage.com",
    "mailchimp.com",
    "hubspot.com",
    "hs-analytics.net",
    "pixel.mathtag.com",
    "adsrvr.org",
    "amazon-adsystem.com",
];

/// What the walk leaves out besides what is never content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strip {
    /// A post body: only non-content and trackers go.
    Fragment,
    /// A whole page's main block: furniture goes too.
    Page,
}

/// Sanitises a post body (a fragment of HTML) for display.
pub fn clean_fragment(raw: &str, base: &Url) -> String {
    let doc = crate::html::parse_fragment(raw);
    let mut out = String::with_capacity(raw.len());
    for child in doc.root_element().children() {
        write_node(child, Strip::Fragment, &mut out);
    }
    sanitize(&out, base)
}

/// Writes the HTML of `root` (the chosen main block of a page) without its furniture.
pub(crate) fn serialize_main(root: ElementRef<'_>, out: &mut String) {
    for child in root.children() {
        write_node(child, Strip::Page, out);
    }
}

/// ammonia with our rules: http(s)/mailto links only, relative URLs resolved against `base`,
/// links opened outside with `rel="noopener noreferrer nofollow"`.
pub(crate) fn sanitize(html: &str, base: &Url) -> String {
    let mut b = ammonia::Builder::default();
    b.url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()))
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_tag_attributes("a", &["target"])
        .set_tag_attribute_value("a", "target", "_blank")
        .attribute_filter(|element, attribute, value| {
            // A tracker host in an image or source URL: the image would phone home when shown.
            if matches!(attribute, "src" | "srcset") && is_tracker_url(value) {
                return None;
            }
            if element == "img" && attribute == "srcset" {
                return None;
            }
            Some(value.into())
        });
    b.clean(&crate::html_depth::bounded(html)).to_string()
}

fn write_node(node: NodeRef<'_, Node>, strip: Strip, out: &mut String) {
    match node.value() {
        Node::Text(t) => escape_text(t, out),
        Node::Element(_) => {
            let Some(el) = ElementRef::wrap(node) else { return };
            if dropped(el, strip) {
                return;
            }
            let name = el.value().name();
            out.push('<');
            out.push_str(name);
            for (k, v) in el.value().attrs() {
                // Event handlers would be removed by ammonia too; never even pass them on.
                if k.starts_with("on") {
                    continue;
                }
                out.push(' ');
                out.push_str(k);
                out.push_str("=\"");
                escape_attr(v, out);
                out.push('"');
            }
            out.push('>');
            if is_void(name) {
                return;
            }
            for child in node.children() {
                write_node(child, strip, out);
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
        _ => {}
    }
}

/// Whether an element (and all inside it) is left out.
pub(crate) fn dropped(el: ElementRef<'_>, strip: Strip) -> bool {
    let v = el.value();
    let name = v.name();
    if NEVER_CONTENT.contains(&name) {
        return true;
    }
    if name == "img" && is_tracking_image(el) {
        return true;
    }
    if v.attr("hidden").is_some() || v.attr("aria-hidden") == Some("true") {
        return true;
    }
    if strip == Strip::Page && is_chrome(el) {
        return true;
    }
    false
}

/// Whether an element is a site's furniture: by tag, ARIA role, or a class/id word.
pub(crate) fn is_chrome(el: ElementRef<'_>) -> bool {
    let v = el.value();
    if CHROME_TAGS.contains(&v.name()) {
        return true;
    }
    if v.attr("role").is_some_and(|r| CHROME_ROLES.contains(&r.trim())) {
        return true;
    }
    v.classes().chain(v.id()).any(|c| {
        let c = c.to_ascii_lowercase();
        c.split(['-', '_']).any(|w| CHROME_WORDS.contains(&w))
            || CHROME_WORDS.iter().any(|w| w.contains('-') && c.contains(w))
    })
}

/// A 1x1 (or 0x0, or hidden) image, or one served by a known tracker: a beacon, not a picture.
fn is_tracking_image(el: ElementRef<'_>) -> bool {
    let v = el.value();
    let tiny = |a: &str| {
        v.attr(a)
            .map(|s| s.trim().trim_end_matches("px").trim())
            .and_then(|s| s.parse::<f64>().ok())
            .is_some_and(|n| n <= 1.0)
    };
    if tiny("width") || tiny("height") {
        return true;
    }
    if let Some(style) = v.attr("style") {
        let s: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if s.contains("display:none")
            || s.contains("visibility:hidden")
            || s.contains("width:1px")
            || s.contains("height:1px")
            || s.contains("width:0")
            || s.contains("height:0")
        {
            return true;
        }
    }
    v.attr("src").is_some_and(is_tracker_url)
}

/// Whether a URL points at a known tracking host (absolute or protocol-relative).
pub(crate) fn is_tracker_url(url: &str) -> bool {
    let url = url.trim();
    let parsed = if url.starts_with("//") {
        Url::parse(&format!("https:{url}"))
    } else {
        Url::parse(url)
    };
    let Ok(parsed) = parsed else { return false };
    let Some(host) = parsed.host_str() else { return false };
    let host = host.to_ascii_lowercase();
    TRACKER_HOSTS
        .iter()
        .any(|t| host == *t || host.ends_with(&format!(".{t}")))
}

fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area" | "br" | "col" | "embed" | "hr" | "img" | "input" | "source" | "track" | "wbr" | "param"
    )
}

fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

fn escape_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://blog.example/2024/01/post/").expect("url")
    }

    #[test]
    fn hostile_fragment_is_defused() {
        let raw = r#"<p onclick="steal()">Hello <a href="javascript:alert(1)">x</a> <a href="/about">about</a>
            <img src="https://pixel.wp.com/g.gif?x=1" alt="t"><img src="https://cdn.example/a.png" width="1" height="1">
            <img src="//stats.wp.com/b.gif"><img src="https://cdn.example/photo.jpg" alt="photo" onerror="x()">
            <script>alert(2)</script><style>p{}</style><iframe src="https://evil.example"></iframe>
            <form action="https://evil.example"><input name="q"></form><svg onload="x()"></svg></p>"#;
        let clean = clean_fragment(raw, &base());
        for bad in [
            "onclick",
            "javascript",
            "pixel.wp.com",
            "stats.wp.com",
            "width=\"1\"",
            "script",
            "alert",
            "iframe",
            "form",
            "input",
            "svg",
            "onerror",
            "onload",
        ] {
            assert!(!clean.contains(bad), "{bad} survived: {clean}");
        }
        assert!(clean.contains(r#"href="https://blog.example/about""#), "{clean}");
        assert!(clean.contains("noopener noreferrer"), "{clean}");
        assert!(clean.contains("https://cdn.example/photo.jpg"), "{clean}");
    }

    #[test]
    fn tracker_urls() {
        assert!(is_tracker_url("https://www.google-analytics.com/collect?v=1"));
        assert!(is_tracker_url("//pixel.wp.com/g.gif"));
        assert!(!is_tracker_url("https://notfacebook.com.example/x.png"));
        assert!(!is_tracker_url("https://researchingreform.example/img.jpg"));
        assert!(!is_tracker_url("not a url"));
    }

    #[test]
    fn chrome_words_match_whole_parts() {
        let html = scraper::Html::parse_fragment(
            r#"<div class="site-sidebar">a</div><div class="entry-content">b</div><div id="main-menu">c</div><div class="navigation-x">d</div><div class="commentary-text">e</div>"#,
        );
        let sel = scraper::Selector::parse("div").expect("selector");
        let chrome: Vec<bool> = html.select(&sel).map(is_chrome).collect();
        assert_eq!(chrome, vec![true, false, true, false, false]);
    }
}

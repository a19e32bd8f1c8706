//! Reading what a WordPress site sends, without any I/O: where its REST API and feed are (from the
//! home page's `<link>`s), REST answers (posts, pages, terms), and pages of its RSS feed.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use scraper::Selector;
use serde::Deserialize;
use url::Url;

use super::{clean, DocError, DocKind, NewDocument};

/// The link relation WordPress puts on every page to announce its REST API root.
pub const API_REL: &str = "https://api.w.org/";

/// The REST API root announced by a home page (`<link rel="https://api.w.org/" href=…>`).
pub fn api_root_from_html(html: &str, page: &Url) -> Option<Url> {
    let doc = crate::html::parse_document(html);
    let sel = Selector::parse("link[rel][href]").ok()?;
    doc.select(&sel)
        .find(|l| {
            l.value()
                .attr("rel")
                .is_some_and(|r| r.split_whitespace().any(|r| r == API_REL))
        })
        .and_then(|l| l.value().attr("href"))
        .and_then(|h| page.join(h.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// The posts feed announced by a home page (the first RSS alternate that is not a comments feed).
pub fn feed_from_html(html: &str, page: &Url) -> Option<Url> {
    let doc = crate::html::parse_document(html);
    let sel = Selector::parse("link[rel=alternate][href]").ok()?;
    doc.select(&sel)
        .filter(|l| {
            let v = l.value();
            v.attr("type").is_some_and(|t| t.contains("rss") || t.contains("atom"))
                && !v.attr("href").unwrap_or("").contains("comments")
                && !v.attr("title").unwrap_or("").to_ascii_lowercase().contains("comments")
        })
        .filter_map(|l| l.value().attr("href"))
        .find_map(|h| page.join(h.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// Whether a `/wp-json/` answer is a WordPress API index offering the `wp/v2` routes.
pub fn is_api_index(body: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Index {
        #[serde(default)]
        namespaces: Vec<String>,
    }
    serde_json::from_slice::<Index>(body).is_ok_and(|i| i.namespaces.iter().any(|n| n == "wp/v2"))
}

/// The URL of a REST route under an API root, with query parameters. Handles both the pretty
/// root (`…/wp-json/`) and the plain-permalink one (`…/?rest_route=/`).
pub fn route_url(api: &Url, route: &str, params: &[(&str, String)]) -> Url {
    let mut url = if api.query_pairs().any(|(k, _)| k == "rest_route") {
        let mut u = api.clone();
        let others: Vec<(String, String)> = api
            .query_pairs()
            .filter(|(k, _)| k != "rest_route")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        u.query_pairs_mut()
            .clear()
            .extend_pairs(others)
            .append_pair("rest_route", &format!("/{route}"));
        u
    } else {
        let mut base = api.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        base.join(route).unwrap_or(base)
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    url
}

/// `{"rendered": "…"}`, as WordPress wraps titles and bodies.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Rendered {
    /// The HTML.
    #[serde(default)]
    pub rendered: String,
}

/// One post or page from `/wp/v2/posts` or `/wp/v2/pages`: the fields Earmark keeps.
#[derive(Debug, Clone, Deserialize)]
pub struct WpItem {
    /// WordPress's id.
    pub id: i64,
    /// Publication time in UTC, without a zone (`2024-01-02T03:04:05`).
    #[serde(default)]
    pub date_gmt: Option<String>,
    /// Publication time in the site's zone; used when `date_gmt` is missing.
    #[serde(default)]
    pub date: Option<String>,
    /// Last modification in UTC.
    #[serde(default)]
    pub modified_gmt: Option<String>,
    /// The permalink.
    pub link: String,
    /// Title.
    #[serde(default)]
    pub title: Rendered,
    /// Body.
    #[serde(default)]
    pub content: Rendered,
    /// Author's user id.
    #[serde(default)]
    pub author: Option<i64>,
    /// Category ids (posts only).
    #[serde(default)]
    pub categories: Vec<i64>,
    /// Tag ids (posts only).
    #[serde(default)]
    pub tags: Vec<i64>,
}

impl WpItem {
    /// Last modification (else publication) time.
    pub fn modified(&self) -> Option<DateTime<Utc>> {
        self.modified_gmt
            .as_deref()
            .and_then(wp_date)
            .or_else(|| self.published())
    }

    /// Publication time.
    pub fn published(&self) -> Option<DateTime<Utc>> {
        self.date_gmt
            .as_deref()
            .and_then(wp_date)
            .or_else(|| self.date.as_deref().and_then(wp_date))
    }
}

/// A term (category or tag) or a user: an id and a display name.
#[derive(Debug, Clone, Deserialize)]
pub struct WpTerm {
    /// Its id.
    pub id: i64,
    /// Its name (may hold entities such as `&amp;`).
    #[serde(default)]
    pub name: String,
}

/// WordPress's zone-less UTC times, or a full RFC 3339 time.
pub fn wp_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .map(|n| n.and_utc())
        .ok()
        .or_else(|| DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc)))
}

/// Parses a page of `/wp/v2/posts` or `/wp/v2/pages`.
pub fn parse_items(body: &[u8], url: &Url) -> Result<Vec<WpItem>, DocError> {
    serde_json::from_slice(body).map_err(|e| DocError::BadApi {
        url: url.to_string(),
        detail: e.to_string(),
    })
}

/// Parses a term or user list.
pub fn parse_terms(body: &[u8], url: &Url) -> Result<Vec<WpTerm>, DocError> {
    serde_json::from_slice(body).map_err(|e| DocError::BadApi {
        url: url.to_string(),
        detail: e.to_string(),
    })
}

/// Names for term and user ids, filled as they are looked up.
#[derive(Debug, Default)]
pub struct Names {
    /// Category id → name.
    pub categories: HashMap<i64, String>,
    /// Tag id → name.
    pub tags: HashMap<i64, String>,
    /// User id → display name (absent when the site hides its users).
    pub users: HashMap<i64, String>,
}

/// A REST item as a document to store.
pub fn item_document(item: &WpItem, kind: DocKind, names: &Names) -> Option<NewDocument> {
    let url = Url::parse(item.link.trim()).ok()?;
    let raw = item.content.rendered.clone();
    let html_clean = clean::clean_fragment(&raw, &url);
    let text = crate::html::to_text(&html_clean);
    let pick = |ids: &[i64], map: &HashMap<i64, String>| -> Vec<String> {
        ids.iter()
            .filter_map(|i| map.get(i))
            .filter(|n| !n.is_empty())
            .map(|n| crate::html::title_text(n))
            .collect()
    };
    Some(NewDocument {
        kind,
        url: url.to_string(),
        remote_id: Some(item.id.to_string()),
        title: crate::html::title_text(&item.title.rendered),
        published: item.published(),
        modified: item.modified(),
        author: item
            .author
            .and_then(|a| names.users.get(&a))
            .filter(|n| !n.is_empty())
            .map(|n| crate::html::title_text(n)),
        categories: pick(&item.categories, &names.categories),
        tags: pick(&item.tags, &names.tags),
        html_raw: raw,
        html_clean,
        text,
    })
}

/// One page of a blog's RSS feed: the channel title and its items as posts.
pub fn parse_rss_page(body: &[u8], url: &Url) -> Result<(String, Vec<NewDocument>), DocError> {
    let bad = |detail: String| DocError::BadFeed {
        url: url.to_string(),
        detail,
    };
    crate::feed::prolog::refuse_entities(body).map_err(|e| bad(e.to_string()))?;
    let text = crate::feed::prolog::decode(body).map_err(|e| bad(e.to_string()))?;
    crate::feed::prolog::refuse_entities(text.as_bytes()).map_err(|e| bad(e.to_string()))?;
    let channel = rss::Channel::read_from(text.as_bytes()).map_err(|e| bad(e.to_string()))?;
    let mut docs = Vec::with_capacity(channel.items().len());
    for item in channel.items() {
        let Some(link) = item
            .link()
            .and_then(|l| url.join(l.trim()).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
        else {
            continue;
        };
        let raw = item
            .content()
            .or_else(|| item.description())
            .unwrap_or_default()
            .to_owned();
        let html_clean = clean::clean_fragment(&raw, &link);
        let text = crate::html::to_text(&html_clean);
        let author = item
            .dublin_core_ext()
            .and_then(|dc| dc.creators().first().cloned())
            .or_else(|| item.author().map(str::to_owned))
            .map(|a| crate::html::title_text(&a))
            .filter(|a| !a.is_empty());
        let published = item.pub_date().and_then(crate::feed::dates::parse);
        // WordPress feeds carry the post id in the guid (`?p=123`).
        let remote_id = item
            .guid()
            .and_then(|g| Url::parse(g.value()).ok())
            .and_then(|g| g.query_pairs().find(|(k, _)| k == "p").map(|(_, v)| v.into_owned()));
        docs.push(NewDocument {
            kind: DocKind::Post,
            url: link.to_string(),
            remote_id,
            title: crate::html::title_text(item.title().unwrap_or_default()),
            published,
            modified: None,
            author,
            categories: item
                .categories()
                .iter()
                .map(|c| crate::html::title_text(c.name()))
                .collect(),
            tags: Vec::new(),
            html_raw: raw,
            html_clean,
            text,
        });
    }
    Ok((crate::html::title_text(channel.title()), docs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_root_and_feed_are_discovered() {
        let home = Url::parse("https://blog.example/").expect("url");
        let html = r#"<html><head><link rel="alternate" type="application/rss+xml" title="Blog &raquo; Comments Feed" href="https://blog.example/comments/feed/">
            <link rel="alternate" type="application/rss+xml" title="Blog &raquo; Feed" href="/feed/">
            <link rel='https://api.w.org/' href='https://blog.example/wp-json/' /></head></html>"#;
        assert_eq!(
            api_root_from_html(html, &home).map(|u| u.to_string()).as_deref(),
            Some("https://blog.example/wp-json/")
        );
        assert_eq!(
            feed_from_html(html, &home).map(|u| u.to_string()).as_deref(),
            Some("https://blog.example/feed/")
        );
        assert_eq!(api_root_from_html("<html></html>", &home), None);
        assert_eq!(
            api_root_from_html(r#"<link rel="https://api.w.org/" href="javascript:x">"#, &home),
            None
        );
    }

    #[test]
    fn routes_under_both_api_roots() {
        let pretty = Url::parse("https://b.example/wp-json/").expect("url");
        let u = route_url(&pretty, "wp/v2/posts", &[("page", "2".into())]);
        assert_eq!(u.as_str(), "https://b.example/wp-json/wp/v2/posts?page=2");
        let plain = Url::parse("https://b.example/?rest_route=/").expect("url");
        let u = route_url(&plain, "wp/v2/posts", &[("page", "2".into())]);
        assert_eq!(u.as_str(), "https://b.example/?rest_route=%2Fwp%2Fv2%2Fposts&page=2");
    }

    #[test]
    fn rest_items_become_documents() {
        let url = Url::parse("https://b.example/wp-json/wp/v2/posts").expect("url");
        let body = br#"[{"id":7,"date":"2024-01-02T04:04:05","date_gmt":"2024-01-02T03:04:05","modified_gmt":"2024-02-01T00:00:00",
            "link":"https://b.example/2024/01/dads/","title":{"rendered":"Dad&#8217;s Shoes"},
            "content":{"rendered":"<p>Body <script>x()</script></p>"},"author":3,"categories":[1,2],"tags":[9],"extra":true}]"#;
        let items = parse_items(body, &url).expect("parse");
        let mut names = Names::default();
        names.categories.insert(1, "Family &amp; Courts".into());
        names.tags.insert(9, "fathers".into());
        names.users.insert(3, "Natasha".into());
        let d = item_document(&items[0], DocKind::Post, &names).expect("doc");
        assert_eq!(d.title, "Dad’s Shoes");
        assert_eq!(d.categories, vec!["Family & Courts"]);
        assert_eq!(d.tags, vec!["fathers"]);
        assert_eq!(d.author.as_deref(), Some("Natasha"));
        assert_eq!(d.published.map(|p| p.timestamp()), Some(1_704_164_645));
        assert!(d.modified > d.published);
        assert!(!d.html_clean.contains("script") && d.text == "Body", "{d:?}");
        assert!(matches!(parse_items(b"<html>", &url), Err(DocError::BadApi { .. })));
    }

    #[test]
    fn rss_pages_become_posts() {
        let url = Url::parse("https://b.example/feed/").expect("url");
        let body = br#"<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
            <channel><title>Researching Reform</title><item><title>A post</title><link>https://b.example/a-post/</link>
            <guid isPermaLink="false">https://b.example/?p=42</guid><pubDate>Tue, 02 Jan 2024 10:00:00 +0000</pubDate>
            <dc:creator><![CDATA[Natasha]]></dc:creator><category>Adoption</category>
            <content:encoded><![CDATA[<p>Full text <img src="https://pixel.wp.com/t.gif"></p>]]></content:encoded></item></channel></rss>"#;
        let (title, docs) = parse_rss_page(body, &url).expect("parse");
        assert_eq!(title, "Researching Reform");
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].remote_id.as_deref(), Some("42"));
        assert_eq!(docs[0].author.as_deref(), Some("Natasha"));
        assert_eq!(docs[0].categories, vec!["Adoption"]);
        assert!(!docs[0].html_clean.contains("pixel"));
        let bomb = br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss><channel><title>&a;</title></channel></rss>"#;
        assert!(matches!(parse_rss_page(bomb, &url), Err(DocError::BadFeed { .. })));
    }
}

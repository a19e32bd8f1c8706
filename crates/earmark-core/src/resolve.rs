//! Subscribing: turning what a user typed (a feed URL, a web page, an Apple Podcasts link or id)
//! into a feed URL, then storing the first fetch.

use chrono::{DateTime, Utc};
use url::Url;

use crate::error::{Error, FeedError, FetchError, Result};
use crate::feed::{self, ParsedFeed};
use crate::fetch::{Fetched, Fetcher, Validators};
use crate::library::{FetchMeta, Library};
use crate::model::Subscription;

/// Apple Podcasts id of *Voice of the Child Podcasts* by Researching Reform: the podcast a new
/// library offers.
pub const DEFAULT_PODCAST_ID: u64 = 1505737900;

/// Where the iTunes lookup API lives; tests and `EARMARK_ITUNES_BASE` point elsewhere.
pub const ITUNES_BASE: &str = "https://itunes.apple.com/";

/// What a user's input refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A URL to fetch: a feed, or a page that links to one.
    Url(Url),
    /// An Apple Podcasts id, to resolve through the lookup API.
    AppleId(u64),
}

/// Reads a user's input: digits (or `id123`) are an Apple id; Apple Podcasts URLs give their id;
/// an existing local path becomes a `file://` URL; a bare domain gets `https://`.
pub fn classify(input: &str) -> Result<Target> {
    let s = input.trim();
    if s.is_empty() {
        return Err(Error::Invalid(
            "give a feed URL, a web page URL, or an Apple Podcasts URL or id".into(),
        ));
    }
    let digits = s.strip_prefix("id").unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits
            .parse()
            .map(Target::AppleId)
            .map_err(|_| Error::Invalid(format!("{s:?} is not a valid id")));
    }
    let url = match Url::parse(s) {
        Ok(u) => u,
        Err(_) => {
            let path = std::path::Path::new(s);
            if path.exists() {
                let abs = std::fs::canonicalize(path).map_err(|source| Error::Io {
                    path: path.to_owned(),
                    source,
                })?;
                Url::from_file_path(&abs).map_err(|()| Error::Invalid(format!("{s:?} is not a usable path")))?
            } else if s.contains('.') && !s.contains(' ') {
                Url::parse(&format!("https://{s}")).map_err(|_| FetchError::InvalidUrl(s.to_owned()))?
            } else {
                return Err(FetchError::InvalidUrl(s.to_owned()).into());
            }
        }
    };
    if let Some(host) = url.host_str() {
        if host.ends_with("podcasts.apple.com") || host.ends_with("itunes.apple.com") {
            if let Some(id) = apple_id_in_path(url.path()) {
                return Ok(Target::AppleId(id));
            }
        }
    }
    match url.scheme() {
        "http" | "https" | "file" => Ok(Target::Url(url)),
        other => Err(FetchError::UnsupportedScheme(other.to_owned()).into()),
    }
}

/// Whether a feed address may come from someone else (a sync server, an OPML file): only web
/// addresses. A `file:` feed is honoured only when the user chose that file on this computer,
/// since a local feed's own `file:` enclosures, transcripts and covers are read from disk.
pub fn is_web_feed(url: &str) -> bool {
    Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

fn apple_id_in_path(path: &str) -> Option<u64> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix("id"))
        .find_map(|d| d.parse().ok())
}

/// Resolves inputs to feeds.
pub struct Resolver {
    fetcher: Fetcher,
    itunes_base: Url,
}

/// A feed found for an input: where it lives, what it says, and the validators of its fetch.
/// The raw body is not kept: once parsed it would only hold memory while the episodes are stored.
pub struct Resolved {
    /// The URL to store and refresh from.
    pub feed_url: Url,
    /// The fetch's ETag and Last-Modified, for the first refresh's conditional GET.
    pub validators: Validators,
    /// Its parsed contents.
    pub feed: ParsedFeed,
}

impl Resolver {
    /// A resolver using `fetcher`, with the lookup API at `itunes_base`.
    pub fn new(fetcher: Fetcher, itunes_base: Url) -> Self {
        Resolver { fetcher, itunes_base }
    }

    /// Asks the iTunes lookup API for the feed URL of an Apple Podcasts id.
    pub fn lookup(&self, id: u64) -> Result<Url> {
        let mut url = self
            .itunes_base
            .join("lookup")
            .map_err(|_| FetchError::InvalidUrl(self.itunes_base.to_string()))?;
        url.query_pairs_mut()
            .append_pair("id", &id.to_string())
            .append_pair("entity", "podcast");
        let body = self.fetcher.get(&url)?.body;
        let json: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| Error::Invalid(format!("the Apple Podcasts lookup answered something unreadable: {e}")))?;
        let feed = json
            .get("results")
            .and_then(|r| r.as_array())
            .and_then(|r| r.iter().find_map(|p| p.get("feedUrl").and_then(|f| f.as_str())))
            .ok_or_else(|| Error::NotFound(format!("a podcast feed for Apple Podcasts id {id}")))?;
        Url::parse(feed).map_err(|_| FetchError::InvalidUrl(feed.to_owned()).into())
    }

    /// Finds and fetches the feed an input refers to.
    pub fn resolve(&self, input: &str) -> Result<Resolved> {
        let url = match classify(input)? {
            Target::Url(u) => u,
            Target::AppleId(id) => self.lookup(id)?,
        };
        let fetched = self.fetcher.get(&url)?;
        let base = fetched.final_url.clone();
        match feed::parse(&fetched.body, &base) {
            Ok(feed) => Ok(Resolved {
                feed_url: stored_url(&url, &fetched),
                validators: fetched.validators,
                feed,
            }),
            Err(FeedError::Malformed(why)) => {
                let text = String::from_utf8_lossy(&fetched.body);
                let looks_html = feed::prolog::root_element(&text).is_some_and(|r| r.eq_ignore_ascii_case("html"))
                    || fetched.content_type.as_deref().is_some_and(|c| c.contains("html"));
                if !looks_html {
                    return Err(FeedError::Malformed(why).into());
                }
                let candidate = discover(&text, &base)
                    .into_iter()
                    .next()
                    .ok_or_else(|| FeedError::NoFeedFound(url.to_string()))?;
                let fetched = self.fetcher.get(&candidate)?;
                let feed = feed::parse(&fetched.body, &fetched.final_url)?;
                Ok(Resolved {
                    feed_url: stored_url(&candidate, &fetched),
                    validators: fetched.validators,
                    feed,
                })
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The address to keep: where a permanent redirect led, else what was asked for.
fn stored_url(asked: &Url, fetched: &Fetched) -> Url {
    fetched.moved_permanently_to.clone().unwrap_or_else(|| asked.clone())
}

/// Feed links a web page advertises (`<link rel="alternate" type="application/rss+xml">`), RSS
/// before Atom, in page order.
pub fn discover(html: &str, base: &Url) -> Vec<Url> {
    let doc = crate::html::parse_document(html);
    let Ok(sel) = scraper::Selector::parse("link[href]") else {
        return Vec::new();
    };
    let mut rss = Vec::new();
    let mut atom = Vec::new();
    for el in doc.select(&sel) {
        let v = el.value();
        let rel_alt = v
            .attr("rel")
            .is_some_and(|r| r.split_whitespace().any(|t| t.eq_ignore_ascii_case("alternate")));
        let ty = v.attr("type").unwrap_or("").trim().to_ascii_lowercase();
        let Some(href) = v.attr("href").and_then(|h| base.join(h.trim()).ok()) else {
            continue;
        };
        if !rel_alt {
            continue;
        }
        match ty.as_str() {
            "application/rss+xml" => rss.push(href),
            "application/atom+xml" => atom.push(href),
            _ => {}
        }
    }
    rss.extend(atom);
    rss
}

/// Subscribes to what `input` names and stores its episodes. Subscribing twice refreshes the
/// existing podcast instead of adding a copy.
pub fn subscribe(lib: &mut Library, resolver: &Resolver, input: &str, now: DateTime<Utc>) -> Result<Subscription> {
    let resolved = resolver.resolve(input)?;
    let (id, created) = lib.add_podcast(resolved.feed_url.as_str(), &resolved.feed.title, now)?;
    if !created {
        // Subscribing again to a show unsubscribed earlier (here or on another device) takes it back.
        lib.set_subscribed(id, true, now)?;
    }
    let meta = FetchMeta {
        etag: resolved.validators.etag,
        last_modified: resolved.validators.last_modified,
        new_feed_url: None,
    };
    let stored = lib.store_feed_unindexed(id, &resolved.feed, &meta, now)?;
    // A new subscription is searchable at once.
    lib.index_pending()?;
    Ok(Subscription {
        podcast: lib.podcast(id)?,
        created,
        new_episodes: stored.new,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_classified() {
        assert_eq!(classify("1505737900").ok(), Some(Target::AppleId(1505737900)));
        assert_eq!(classify("id1505737900").ok(), Some(Target::AppleId(1505737900)));
        assert_eq!(
            classify("https://podcasts.apple.com/gb/podcast/voice-of-the-child-podcasts/id1505737900").ok(),
            Some(Target::AppleId(1505737900))
        );
        assert!(matches!(classify("https://example.org/feed.xml"), Ok(Target::Url(_))));
        assert!(matches!(classify("example.org/feed"), Ok(Target::Url(u)) if u.scheme() == "https"));
        assert!(classify("ftp://example.org/x").is_err());
        assert!(classify("not a url").is_err());
        assert!(classify("").is_err());
    }

    #[test]
    fn discovery_prefers_rss_and_resolves_relative() {
        let base = Url::parse("https://blog.example/page/").expect("url");
        let html = r#"<html><head><link rel="alternate" type="application/atom+xml" href="/atom">
            <link rel="stylesheet" href="/s.css"><link rel="alternate" type="application/rss+xml" href="feed/"></head></html>"#;
        let found: Vec<String> = discover(html, &base).into_iter().map(String::from).collect();
        assert_eq!(
            found,
            vec!["https://blog.example/page/feed/", "https://blog.example/atom"]
        );
    }
}

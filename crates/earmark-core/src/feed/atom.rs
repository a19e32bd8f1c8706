//! Atom feeds through `atom_syndication`, mapped to the same model as RSS. Enclosures are the
//! entry's `rel="enclosure"` links.

use url::Url;

use super::{absolute, dates, identity, non_empty, ParsedFeed, ParsedItem};
use crate::error::FeedError;
use crate::html;

/// Parses Atom text (already UTF-8, entity-free).
pub fn parse(text: &str, base: &Url) -> Result<ParsedFeed, FeedError> {
    let feed = atom_syndication::Feed::read_from(text.as_bytes()).map_err(|e| FeedError::Malformed(e.to_string()))?;
    let alternate = |links: &[atom_syndication::Link]| {
        links
            .iter()
            .find(|l| l.rel() == "alternate")
            .or_else(|| links.iter().find(|l| l.rel() != "self" && l.rel() != "enclosure"))
            .and_then(|l| absolute(base, Some(l.href())))
    };
    let items = feed
        .entries()
        .iter()
        .map(|e| {
            let enclosure = e.links().iter().find(|l| l.rel() == "enclosure");
            let enclosure_url = enclosure.and_then(|l| absolute(base, Some(l.href())));
            let link = alternate(e.links());
            let title = html::title_text(e.title().as_str());
            let date = e.published().copied().unwrap_or_else(|| *e.updated());
            let notes_raw = e
                .content()
                .and_then(|c| c.value())
                .and_then(|v| non_empty(Some(v)))
                .or_else(|| e.summary().and_then(|s| non_empty(Some(s.as_str()))))
                .unwrap_or_default();
            ParsedItem {
                guid: identity(
                    Some(e.id()),
                    enclosure_url.as_deref(),
                    link.as_deref(),
                    &title,
                    Some(&date.to_rfc3339()),
                ),
                title,
                link,
                published: dates::parse(&date.to_rfc3339()),
                enclosure_url,
                enclosure_type: enclosure.and_then(|l| non_empty(l.mime_type())),
                enclosure_length: enclosure
                    .and_then(|l| l.length())
                    .and_then(|n| n.trim().parse().ok())
                    .filter(|n: &i64| *n > 0),
                notes_raw,
                author: e.authors().first().map(|a| a.name().to_owned()),
                ..ParsedItem::default()
            }
        })
        .collect();
    Ok(ParsedFeed {
        title: html::title_text(feed.title().as_str()),
        link: alternate(feed.links()),
        description: feed.subtitle().map(|s| s.as_str().to_owned()).unwrap_or_default(),
        author: feed.authors().first().map(|a| a.name().to_owned()),
        image_url: absolute(base, feed.logo()).or_else(|| absolute(base, feed.icon())),
        language: feed.lang().map(str::to_owned),
        items,
        duplicates_dropped: 0,
        ..ParsedFeed::default()
    })
}

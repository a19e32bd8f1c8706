//! The Podcasting 2.0 namespace (`podcast:`), read from the extension maps the `rss` crate keeps.

use rss::extension::{Extension, ExtensionMap};
use url::Url;

use super::{absolute, non_empty};
use crate::model::{Funding, LinkedFile, Person, Podcast20, Soundbite, Transcript};

/// The namespace URIs the podcast index has used.
const NAMESPACES: &[&str] = &[
    "https://podcastindex.org/namespace/1.0",
    "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
];

/// Which prefix the document bound the namespace to (usually `podcast`).
pub fn prefix(namespaces: &std::collections::BTreeMap<String, String>) -> String {
    namespaces
        .iter()
        .find(|(_, uri)| {
            NAMESPACES
                .iter()
                .any(|n| uri.trim_end_matches('/') == n.trim_end_matches('/'))
        })
        .map_or_else(|| "podcast".to_owned(), |(p, _)| p.clone())
}

/// Collects the elements Earmark keeps from one item's or channel's extensions.
pub fn read(ext: &ExtensionMap, prefix: &str, base: &Url) -> Podcast20 {
    let Some(map) = ext.get(prefix) else {
        return Podcast20::default();
    };
    let all = |name: &str| map.get(name).map(Vec::as_slice).unwrap_or(&[]);
    let attr = |e: &Extension, k: &str| non_empty(e.attrs().get(k).map(String::as_str));
    Podcast20 {
        chapters: all("chapters").iter().find_map(|e| {
            Some(LinkedFile {
                url: absolute(base, e.attrs().get("url").map(String::as_str))?,
                mime_type: attr(e, "type"),
            })
        }),
        transcripts: all("transcript")
            .iter()
            .filter_map(|e| {
                Some(Transcript {
                    url: absolute(base, e.attrs().get("url").map(String::as_str))?,
                    mime_type: attr(e, "type"),
                    language: attr(e, "language"),
                    rel: attr(e, "rel"),
                })
            })
            .collect(),
        soundbites: all("soundbite")
            .iter()
            .filter_map(|e| {
                let start = attr(e, "startTime")?
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)?;
                let duration = attr(e, "duration")?
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v > 0.0)?;
                Some(Soundbite {
                    start_secs: start,
                    duration_secs: duration,
                    title: non_empty(e.value()),
                })
            })
            .collect(),
        persons: all("person")
            .iter()
            .filter_map(|e| {
                Some(Person {
                    name: non_empty(e.value())?,
                    role: attr(e, "role").map(|r| r.to_lowercase()),
                    href: absolute(base, e.attrs().get("href").map(String::as_str)),
                    img: absolute(base, e.attrs().get("img").map(String::as_str)),
                })
            })
            .collect(),
        funding: all("funding")
            .iter()
            .filter_map(|e| {
                Some(Funding {
                    url: absolute(base, e.attrs().get("url").map(String::as_str))?,
                    text: non_empty(e.value()),
                })
            })
            .collect(),
    }
}

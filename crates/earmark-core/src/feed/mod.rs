//! Turning a fetched document into a [`ParsedFeed`]: safety checks and text decoding first
//! ([`prolog`]), then RSS through the `rss` crate or Atom through `atom_syndication`, then the
//! rules that make items comparable across refreshes (identity, dates, durations, URLs).
//! Pure functions over bytes: no I/O, no clock.

mod atom;
pub mod dates;
pub mod duration;
mod podcast20;
pub mod prolog;
mod rss_map;
mod split;

use url::Url;
use xxhash_rust::xxh3::Xxh3;

use crate::error::FeedError;
use crate::model::Podcast20;

/// A feed as Earmark keeps it: channel fields and items in feed order, duplicates removed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFeed {
    /// Channel title, plain text.
    pub title: String,
    /// Web site.
    pub link: Option<String>,
    /// Channel description (raw).
    pub description: String,
    /// iTunes author, else managing editor.
    pub author: Option<String>,
    /// Cover art, absolute.
    pub image_url: Option<String>,
    /// Language code.
    pub language: Option<String>,
    /// iTunes explicit flag.
    pub explicit: Option<bool>,
    /// `itunes:new-feed-url`, absolute: the publisher moved the feed.
    pub new_feed_url: Option<String>,
    /// Channel-level Podcasting 2.0 data.
    pub podcast20: Podcast20,
    /// Items in feed order, unique by `guid`.
    pub items: Vec<ParsedItem>,
    /// Items dropped as copies of another (same guid, same media): said in the refresh's log.
    pub duplicates_dropped: usize,
}

/// One item of a feed, normalised.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedItem {
    /// Identity within the podcast: guid, else enclosure URL, else link, else a hash of title and date.
    pub guid: String,
    /// Title, plain text.
    pub title: String,
    /// Episode page, absolute.
    pub link: Option<String>,
    /// Publication time; `None` when missing or unreadable (the item is kept).
    pub published: Option<chrono::DateTime<chrono::Utc>>,
    /// Length in seconds.
    pub duration_secs: Option<f64>,
    /// Media URL, absolute.
    pub enclosure_url: Option<String>,
    /// Media MIME type.
    pub enclosure_type: Option<String>,
    /// Claimed media size in bytes.
    pub enclosure_length: Option<i64>,
    /// Show notes as the feed gave them (content:encoded, else description, else itunes:summary).
    pub notes_raw: String,
    /// Episode art, absolute.
    pub image_url: Option<String>,
    /// Episode author.
    pub author: Option<String>,
    /// iTunes episode number.
    pub episode_number: Option<i64>,
    /// iTunes season.
    pub season: Option<i64>,
    /// full, trailer or bonus.
    pub episode_type: Option<String>,
    /// iTunes explicit flag.
    pub explicit: Option<bool>,
    /// Item-level Podcasting 2.0 data.
    pub podcast20: Podcast20,
}

impl ParsedItem {
    /// A fingerprint of everything stored for the item, so an unchanged item costs no write.
    pub fn content_hash(&self) -> i64 {
        let mut h = Xxh3::new();
        let mut put = |s: &str| {
            h.update(s.as_bytes());
            h.update(&[0xff]);
        };
        put(&self.title);
        put(self.link.as_deref().unwrap_or(""));
        put(&self.published.map(|d| d.timestamp().to_string()).unwrap_or_default());
        put(&self.duration_secs.map(|d| d.to_string()).unwrap_or_default());
        put(self.enclosure_url.as_deref().unwrap_or(""));
        put(self.enclosure_type.as_deref().unwrap_or(""));
        put(&self.enclosure_length.map(|d| d.to_string()).unwrap_or_default());
        put(&self.notes_raw);
        put(self.image_url.as_deref().unwrap_or(""));
        put(self.author.as_deref().unwrap_or(""));
        put(&format!(
            "{:?}{:?}{:?}{:?}",
            self.episode_number, self.season, self.episode_type, self.explicit
        ));
        put(&serde_json::to_string(&self.podcast20).unwrap_or_default());
        // Stored as SQLite INTEGER: reinterpret the bits.
        h.digest() as i64
    }
}

/// Parses a fetched feed. `base` is the URL it was fetched from: relative URLs resolve against it.
pub fn parse(bytes: &[u8], base: &Url) -> Result<ParsedFeed, FeedError> {
    prolog::refuse_entities(bytes)?;
    let text = prolog::decode(bytes)?;
    // Again on the text when it was decoded: a UTF-16 document hides its DOCTYPE from the byte
    // search. (UTF-8 is used in place, so those bytes were just searched.)
    if matches!(text, std::borrow::Cow::Owned(_)) {
        prolog::refuse_entities(text.as_bytes())?;
    }
    prolog::refuse_deep_nesting(&text)?;
    let mut feed = match prolog::root_element(&text).as_deref() {
        Some("feed") => atom::parse(&text, base)?,
        Some("rss") | Some("rdf:RDF") | Some("RDF") => rss_map::parse(&text, base)?,
        Some(other) => {
            return Err(FeedError::Malformed(format!(
                "not a feed: the document's root is <{other}>"
            )))
        }
        None => return Err(FeedError::Malformed("empty or not XML".into())),
    };
    feed.duplicates_dropped = keep_usable_once(&mut feed.items);
    Ok(feed)
}

/// Drops items no person could use (no title, no media, no link, no notes) and settles items
/// that share a guid. Publishers reuse a guid by mistake (a template's placeholder, a copied
/// item): when the items behind it are different episodes (different media, else different
/// pages) each is kept under the identity rule's next key, its media URL or page, so none is
/// lost and the choice does not depend on the feed's order. Copies of one episode collapse to the
/// first (feeds list newest first, and the first is what the publisher shows). Returns how many
/// copies were dropped.
fn keep_usable_once(items: &mut Vec<ParsedItem>) -> usize {
    items.retain(|i| {
        !(i.title.is_empty() && i.enclosure_url.is_none() && i.link.is_none() && i.notes_raw.trim().is_empty())
    });
    let mut groups: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (k, i) in items.iter().enumerate() {
        groups.entry(i.guid.as_str()).or_default().push(k);
    }
    let next_key = |i: &ParsedItem| i.enclosure_url.clone().or_else(|| i.link.clone());
    let mut rekey: Vec<(usize, String)> = Vec::new();
    for members in groups.values().filter(|m| m.len() > 1) {
        let keys: std::collections::HashSet<Option<String>> = members.iter().map(|&k| next_key(&items[k])).collect();
        if keys.len() > 1 {
            rekey.extend(members.iter().filter_map(|&k| next_key(&items[k]).map(|key| (k, key))));
        }
    }
    for (k, key) in rekey {
        items[k].guid = key;
    }
    let before = items.len();
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    items.retain(|i| seen.insert(i.guid.clone()));
    before - items.len()
}

/// Resolves a URL from the feed against the feed's own URL; garbage comes back as `None`, and so
/// does a `file:` URL in a feed that is not itself a local file: a server must never make Earmark
/// read, play or show the listener's own files.
pub(crate) fn absolute(base: &Url, raw: Option<&str>) -> Option<String> {
    let raw = raw?.trim();
    if raw.is_empty() {
        return None;
    }
    let url = base.join(raw).ok()?;
    let allowed =
        !crate::local_files::is_file_url(url.as_str()) || crate::local_files::feed_may_name_files(base.as_str());
    allowed.then(|| String::from(url))
}

/// Empty strings mean absent.
pub(crate) fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The identity rule shared by RSS and Atom items.
pub(crate) fn identity(
    guid: Option<&str>,
    enclosure: Option<&str>,
    link: Option<&str>,
    title: &str,
    date: Option<&str>,
) -> String {
    if let Some(g) = guid.map(str::trim).filter(|g| !g.is_empty()) {
        return g.to_owned();
    }
    if let Some(e) = enclosure.filter(|e| !e.is_empty()) {
        return e.to_owned();
    }
    if let Some(l) = link.filter(|l| !l.is_empty()) {
        return l.to_owned();
    }
    let mut h = Xxh3::new();
    h.update(title.as_bytes());
    h.update(&[0]);
    h.update(date.unwrap_or("").as_bytes());
    format!("earmark:{:016x}", h.digest())
}

/// iTunes-style explicit flags in their many spellings.
pub(crate) fn explicit_flag(s: Option<&str>) -> Option<bool> {
    match s?.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "explicit" => Some(true),
        "no" | "false" | "clean" => Some(false),
        _ => None,
    }
}

/// A positive integer field, or nothing.
pub(crate) fn number(s: Option<&str>) -> Option<i64> {
    s?.trim().parse::<i64>().ok().filter(|n| *n >= 0)
}

/// full, trailer or bonus; anything else is dropped.
pub(crate) fn episode_type(s: Option<&str>) -> Option<String> {
    let t = s?.trim().to_ascii_lowercase();
    matches!(t.as_str(), "full" | "trailer" | "bonus").then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(guid: &str, title: &str) -> ParsedItem {
        ParsedItem {
            guid: guid.into(),
            title: title.into(),
            ..ParsedItem::default()
        }
    }

    #[test]
    fn empty_items_go_before_duplicates_collapse_to_the_first() {
        let mut items = vec![
            item("a", ""), // nothing usable: dropped, and does not claim "a"
            item("a", "first a"),
            item("b", "first b"),
            item("a", "second a"),
            item("b", "second b"),
            item("c", "only c"),
        ];
        keep_usable_once(&mut items);
        let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(titles, ["first a", "first b", "only c"]);

        // Nothing to drop: the list is left as it was.
        let mut clean = vec![item("x", "x"), item("y", "y")];
        assert_eq!(keep_usable_once(&mut clean), 0);
        assert_eq!(clean.len(), 2);
    }

    #[test]
    fn one_guid_on_different_episodes_keeps_them_all() {
        let with_media = |guid: &str, title: &str, media: &str| ParsedItem {
            enclosure_url: Some(format!("https://cdn.example/{media}.mp3")),
            ..item(guid, title)
        };
        let mut items: Vec<ParsedItem> = (1..=5)
            .map(|n| with_media("same", &format!("Episode {n}"), &format!("e{n}")))
            .collect();
        items.push(with_media("same", "Episode 5 again", "e5"));
        assert_eq!(keep_usable_once(&mut items), 1);
        let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(
            titles,
            ["Episode 1", "Episode 2", "Episode 3", "Episode 4", "Episode 5"]
        );
        assert_eq!(items[0].guid, "https://cdn.example/e1.mp3");
        // The same keys whatever the order.
        let mut reversed: Vec<ParsedItem> = items
            .iter()
            .rev()
            .cloned()
            .map(|i| ParsedItem {
                guid: "same".into(),
                ..i
            })
            .collect();
        keep_usable_once(&mut reversed);
        let mut a: Vec<String> = items.iter().map(|i| i.guid.clone()).collect();
        let mut b: Vec<String> = reversed.iter().map(|i| i.guid.clone()).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }
}

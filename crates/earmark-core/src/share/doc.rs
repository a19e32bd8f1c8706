//! The shared archive as one Automerge document, and its items in the canonical form both sides
//! are compared in:
//!
//! ```text
//! { format: 1, name: "…",
//!   subscriptions: { <feed URL>: { alive, by, at, url } },
//!   bookmarks:     { <uid>: { alive, by, at, feed, guid, start, end, title, note (text), tags } },
//!   decisions:     { <feed>\n<guid>\n<doc URL>: { alive, by, at, feed, guid, url, note,
//!                    decision: "{state, manual, at, by}", history: ["{…}", …] } },
//!   tags:          { episode\n<feed>\n<guid>\n<tag> | document\n<doc URL>\n<tag>:
//!                    { alive, by, at, on, feed, guid, url, name } },
//!   sources:       { <blog home URL>: { alive, by, at, url, campaign } },
//!   pages:         { <page URL>: { alive, by, at, url, campaign } },
//!   collections:   { <name, lower-cased>: { alive, by, at, name, kind,
//!                    documents: [<doc URL>, …], episodes: [<feed>\n<guid>, …] } } }
//! ```
//!
//! A collection's members are Automerge lists, so two people adding to one campaign at once both
//! keep theirs and a move is a removal and an insertion the engine merges; a member two machines
//! added at once appears twice in the list and is read once, where it first appears.
//!
//! A tag is one item per (thing, tag), so two people tagging the same episode differently both
//! keep theirs; the key holds the tag lower-cased (tags are case-insensitive), the item its
//! spelling. Archives shared before tags and sources travelled have no such map until a machine
//! first writes one; if two make it at once, both maps are read (see [`read_all`]).
//!
//! `alive` is false once an item is deleted (else the time of its last change). When two machines wrote it concurrently (one deleted,
//! one edited) the engine keeps both values and we read "alive" if either is true: the edit wins.
//! Concurrent decisions likewise keep both values; the later by its own time wins.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value, ROOT};
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{ShareError, FORMAT};

/// The kinds of shared item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Subscription,
    Bookmark,
    Decision,
    Tag,
    Source,
    Page,
    Collection,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Subscription,
        Kind::Bookmark,
        Kind::Decision,
        Kind::Tag,
        Kind::Source,
        Kind::Page,
        Kind::Collection,
    ];

    /// Kinds a library only ever adds to (a blog, a page or a collection is never removed by
    /// hand), so a key missing here is never sent as a removal.
    pub fn add_only(self) -> bool {
        matches!(self, Kind::Source | Kind::Page | Kind::Collection)
    }

    /// Kinds an archive shared by an older build may lack until a machine first writes one.
    fn came_later(self) -> bool {
        matches!(self, Kind::Tag | Kind::Source | Kind::Page | Kind::Collection)
    }

    /// The key under the document's root, and the kind's name in the library.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Subscription => "subscriptions",
            Kind::Bookmark => "bookmarks",
            Kind::Decision => "decisions",
            Kind::Tag => "tags",
            Kind::Source => "sources",
            Kind::Page => "pages",
            Kind::Collection => "collections",
        }
    }
}

/// A bookmark as shared: its episode by feed URL and guid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SharedBookmark {
    pub feed: String,
    pub guid: String,
    pub start: f64,
    pub end: Option<f64>,
    pub title: String,
    pub note: String,
    pub tags: Vec<String>,
}

/// A person's decision on a link: accepted or rejected, manual or not, with its note.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SharedDecision {
    pub feed: String,
    pub guid: String,
    pub url: String,
    pub state: String,
    pub manual: bool,
    pub note: Option<String>,
}

/// A staff tag on an episode (by feed URL and guid) or a document (by its URL).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SharedTag {
    /// `episode` or `document`.
    pub on: String,
    pub feed: Option<String>,
    pub guid: Option<String>,
    pub url: Option<String>,
    /// The tag as spelt.
    pub name: String,
}

/// A blog whose archive the library keeps, by its home URL, or a page added by its URL; with the
/// campaign it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SharedSource {
    pub url: String,
    pub campaign: Option<String>,
}

/// A campaign or topic with its members in order: documents by URL, episodes by feed URL and
/// guid (`<feed>\n<guid>`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SharedCollection {
    /// The name as spelt (the key holds it lower-cased: names are case-insensitive).
    pub name: String,
    /// `campaign` or `topic`.
    pub kind: String,
    pub documents: Vec<String>,
    pub episodes: Vec<String>,
}

/// One shared item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub(crate) enum Item {
    Subscription { url: String },
    Bookmark(SharedBookmark),
    Decision(SharedDecision),
    Tag(SharedTag),
    Source(SharedSource),
    Page(SharedSource),
    Collection(SharedCollection),
}

impl Item {
    /// The hash both sides are compared by.
    pub fn hash(&self) -> i64 {
        // One buffer sized for a typical item: an idle sync hashes every shared item in the
        // library, and the buffer's regrowth was a measurable part of that.
        let mut json = Vec::with_capacity(384);
        // Writing to a Vec cannot fail, and the items hold only strings, numbers and lists.
        let _ = serde_json::to_writer(&mut json, self);
        xxhash_rust::xxh3::xxh3_64(&json) as i64
    }
}

/// An item as the document holds it: `None` once deleted, with who changed it last and when.
#[derive(Debug, Clone)]
pub(crate) struct Shared {
    pub item: Option<Item>,
    pub by: String,
    pub at: String,
}

#[derive(Serialize, Deserialize)]
struct Decision {
    state: String,
    manual: bool,
    at: String,
    by: String,
}

fn am(e: automerge::AutomergeError) -> ShareError {
    ShareError::Damaged(e.to_string())
}

/// A new archive document.
pub(crate) fn new_doc(name: &str) -> Result<AutoCommit, ShareError> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "format", FORMAT).map_err(am)?;
    doc.put(ROOT, "name", name).map_err(am)?;
    for kind in Kind::ALL {
        doc.put_object(ROOT, kind.as_str(), ObjType::Map).map_err(am)?;
    }
    Ok(doc)
}

/// Checks that a merged document is an archive this build reads.
pub(crate) fn check(doc: &AutoCommit) -> Result<(), ShareError> {
    match doc.get(ROOT, "format") {
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Int(f) if *f <= FORMAT => Ok(()),
            ScalarValue::Int(f) => Err(ShareError::TooNew { found: *f }),
            _ => Err(ShareError::Foreign(
                "the shared folder's document is not an Earmark archive".into(),
            )),
        },
        _ => Err(ShareError::Empty),
    }
}

/// The archive's name, as its creator gave it.
pub(crate) fn name(doc: &AutoCommit) -> String {
    text(doc, &ROOT, "name").unwrap_or_default()
}

fn child(doc: &AutoCommit, parent: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(parent, key) {
        Ok(Some((Value::Object(_), id))) => Some(id),
        _ => None,
    }
}

fn text(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(t) => Some(t.to_string()),
            _ => None,
        },
        (Value::Object(ObjType::Text), id) => doc.text(&id).ok(),
        _ => None,
    }
}

fn number(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<f64> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::F64(f) => Some(*f),
            ScalarValue::Int(i) => Some(*i as f64),
            _ => None,
        },
        _ => None,
    }
}

/// Every value `key` holds, concurrent ones included, as text.
fn all_texts(doc: &AutoCommit, obj: &ObjId, key: &str) -> Vec<String> {
    doc.get_all(obj, key)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(v, _)| match v {
            Value::Scalar(s) => match s.as_ref() {
                ScalarValue::Str(t) => Some(t.to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn put_if_changed(doc: &mut AutoCommit, obj: &ObjId, key: &str, value: ScalarValue) -> Result<(), ShareError> {
    let same = matches!(doc.get(obj, key), Ok(Some((Value::Scalar(ref s), _))) if s.as_ref() == &value)
        && doc.get_all(obj, key).map(|v| v.len()).unwrap_or(0) == 1;
    if !same {
        doc.put(obj, key, value).map_err(am)?;
    }
    Ok(())
}

/// Writes one item (or its deletion) as this library's change, touching only what differs, so
/// concurrent edits of other fields (and other parts of a note) merge.
pub(crate) fn write(
    doc: &mut AutoCommit,
    kind: Kind,
    key: &str,
    item: Option<&Item>,
    by: &str,
    at: &str,
) -> Result<(), ShareError> {
    let maps = kind_maps(doc, kind);
    // The item where it is, in whichever map holds it (see `read_all`).
    let obj = match maps.iter().find_map(|m| child(doc, m, key)) {
        Some(o) => o,
        None if item.is_none() => return Ok(()),
        None => {
            let map = match child(doc, &ROOT, kind.as_str()) {
                Some(map) => map,
                // An archive shared before this kind travelled: its first item makes the map.
                None if kind.came_later() => doc.put_object(ROOT, kind.as_str(), ObjType::Map).map_err(am)?,
                None => return Err(ShareError::Damaged(format!("no {}", kind.as_str()))),
            };
            doc.put_object(&map, key, ObjType::Map).map_err(am)?
        }
    };
    // A live item's `alive` is the time of its last change (the engine drops a put of the value a
    // key already holds, so a plain `true` would not be written again); a deleted one's is
    // `false`. An edit made while another machine deletes the item then leaves a concurrent value
    // beside that `false`, and the edit wins (see read_all).
    match item {
        Some(_) => doc.put(&obj, "alive", format!("{at} {by}")).map_err(am)?,
        None => doc.put(&obj, "alive", false).map_err(am)?,
    }
    doc.put(&obj, "by", by).map_err(am)?;
    doc.put(&obj, "at", at).map_err(am)?;
    let str_ = |s: &str| ScalarValue::Str(s.into());
    match item {
        None => {}
        Some(Item::Subscription { url }) => put_if_changed(doc, &obj, "url", str_(url))?,
        Some(Item::Bookmark(b)) => {
            put_if_changed(doc, &obj, "feed", str_(&b.feed))?;
            put_if_changed(doc, &obj, "guid", str_(&b.guid))?;
            put_if_changed(doc, &obj, "start", ScalarValue::F64(b.start))?;
            put_if_changed(doc, &obj, "end", b.end.map_or(ScalarValue::Null, ScalarValue::F64))?;
            put_if_changed(doc, &obj, "title", str_(&b.title))?;
            let tags = serde_json::to_string(&b.tags).unwrap_or_default();
            put_if_changed(doc, &obj, "tags", str_(&tags))?;
            let note = match doc.get(&obj, "note") {
                Ok(Some((Value::Object(ObjType::Text), id))) => id,
                _ => doc.put_object(&obj, "note", ObjType::Text).map_err(am)?,
            };
            if doc.text(&note).map_err(am)? != b.note {
                doc.update_text(&note, &b.note).map_err(am)?;
            }
        }
        Some(Item::Decision(d)) => {
            put_if_changed(doc, &obj, "feed", str_(&d.feed))?;
            put_if_changed(doc, &obj, "guid", str_(&d.guid))?;
            put_if_changed(doc, &obj, "url", str_(&d.url))?;
            put_if_changed(doc, &obj, "note", d.note.as_deref().map_or(ScalarValue::Null, str_))?;
            let decision = serde_json::to_string(&Decision {
                state: d.state.clone(),
                manual: d.manual,
                at: at.to_owned(),
                by: by.to_owned(),
            })
            .unwrap_or_default();
            doc.put(&obj, "decision", decision.as_str()).map_err(am)?;
            let history = match doc.get(&obj, "history") {
                Ok(Some((Value::Object(ObjType::List), id))) => id,
                _ => doc.put_object(&obj, "history", ObjType::List).map_err(am)?,
            };
            let n = doc.length(&history);
            doc.insert(&history, n, decision.as_str()).map_err(am)?;
        }
        Some(Item::Tag(t)) => {
            let opt = |v: &Option<String>| v.as_deref().map_or(ScalarValue::Null, str_);
            put_if_changed(doc, &obj, "on", str_(&t.on))?;
            put_if_changed(doc, &obj, "feed", opt(&t.feed))?;
            put_if_changed(doc, &obj, "guid", opt(&t.guid))?;
            put_if_changed(doc, &obj, "url", opt(&t.url))?;
            put_if_changed(doc, &obj, "name", str_(&t.name))?;
        }
        Some(Item::Source(src) | Item::Page(src)) => {
            put_if_changed(doc, &obj, "url", str_(&src.url))?;
            let campaign = src.campaign.as_deref().map_or(ScalarValue::Null, str_);
            put_if_changed(doc, &obj, "campaign", campaign)?;
        }
        Some(Item::Collection(c)) => {
            put_if_changed(doc, &obj, "name", str_(&c.name))?;
            put_if_changed(doc, &obj, "kind", str_(&c.kind))?;
            write_list(doc, &obj, "documents", &c.documents)?;
            write_list(doc, &obj, "episodes", &c.episodes)?;
        }
    }
    Ok(())
}

/// Makes the list under `key` read as `want` (each member once) with as few removals and
/// insertions as the two differ by (their longest common run is kept), so a teammate's concurrent insertions elsewhere
/// in the list survive the merge.
fn write_list(doc: &mut AutoCommit, obj: &ObjId, key: &str, want: &[String]) -> Result<(), ShareError> {
    let list = match doc.get(obj, key) {
        Ok(Some((Value::Object(ObjType::List), id))) => id,
        _ => doc.put_object(obj, key, ObjType::List).map_err(am)?,
    };
    let have = list_texts(doc, &list);
    let keep = common_run(&have, want);
    let kept_have: std::collections::HashSet<usize> = keep.iter().map(|&(h, _)| h).collect();
    let kept_want: std::collections::HashSet<usize> = keep.iter().map(|&(_, w)| w).collect();
    // Removals from the end, so earlier indices stay put.
    for i in (0..have.len()).rev() {
        if !kept_have.contains(&i) {
            doc.delete(&list, i).map_err(am)?;
        }
    }
    // What is left is the common run, in order; insert the rest of `want` around it.
    for (i, w) in want.iter().enumerate() {
        if !kept_want.contains(&i) {
            doc.insert(&list, i, w.as_str()).map_err(am)?;
        }
    }
    Ok(())
}

/// The pairs (index in `a`, index in `b`) of a longest common subsequence of the two, where `b`
/// holds each member once (a member `a` holds twice, as a concurrent double addition leaves it,
/// matches at most once). With unique members this is the longest increasing run of `b`'s indices
/// taken in `a`'s order: O(n log n), so a campaign of thousands of posts costs nothing.
fn common_run(a: &[String], b: &[String]) -> Vec<(usize, usize)> {
    let place: HashMap<&str, usize> = b.iter().enumerate().map(|(j, m)| (m.as_str(), j)).collect();
    let mut used = std::collections::HashSet::new();
    let pairs: Vec<(usize, usize)> = a
        .iter()
        .enumerate()
        .filter_map(|(i, m)| place.get(m.as_str()).map(|&j| (i, j)))
        .filter(|&(_, j)| used.insert(j))
        .collect();
    // Patience: `tails[k]` is the pair ending the best run of length k + 1 found so far.
    let mut tails: Vec<usize> = Vec::new();
    let mut before: Vec<Option<usize>> = vec![None; pairs.len()];
    for (p, &(_, j)) in pairs.iter().enumerate() {
        let k = tails.partition_point(|&t| pairs[t].1 < j);
        before[p] = k.checked_sub(1).map(|k| tails[k]);
        if k == tails.len() {
            tails.push(p);
        } else {
            tails[k] = p;
        }
    }
    let mut out = Vec::with_capacity(tails.len());
    let mut at = tails.last().copied();
    while let Some(p) = at {
        out.push(pairs[p]);
        at = before[p];
    }
    out.reverse();
    out
}

/// A list's text values in order (anything else is skipped).
fn list_texts(doc: &AutoCommit, list: &ObjId) -> Vec<String> {
    (0..doc.length(list))
        .filter_map(|i| match doc.get(list, i) {
            Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
                ScalarValue::Str(t) => Some(t.to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// A member list as read: each member once, where it first appears (two machines that added it at
/// once left it twice).
fn members(doc: &AutoCommit, obj: &ObjId, key: &str) -> Vec<String> {
    let Some(list) = child(doc, obj, key) else {
        return Vec::new();
    };
    let mut seen = std::collections::HashSet::new();
    list_texts(doc, &list)
        .into_iter()
        .filter(|m| seen.insert(m.clone()))
        .collect()
}

/// Every map the document holds for a kind: one, unless two machines made it at once.
fn kind_maps(doc: &AutoCommit, kind: Kind) -> Vec<ObjId> {
    doc.get_all(ROOT, kind.as_str())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(v, id)| matches!(v, Value::Object(ObjType::Map)).then_some(id))
        .collect()
}

/// Every item of a kind in the merged document.
pub(crate) fn read_all(doc: &AutoCommit, kind: Kind) -> Vec<(String, Shared)> {
    // Two machines that made a kind's map at once leave two maps under one key; the engine shows
    // one, so every one is read, or the other machine's items would look deleted.
    let maps = kind_maps(doc, kind);
    let mut out = Vec::new();
    let mut done = std::collections::HashSet::new();
    for map in &maps {
        read_map(doc, kind, map, &mut done, &mut out);
    }
    out
}

fn read_map(
    doc: &AutoCommit,
    kind: Kind,
    map: &ObjId,
    done: &mut std::collections::HashSet<String>,
    out: &mut Vec<(String, Shared)>,
) {
    for key in doc.keys(map) {
        if !done.insert(key.clone()) {
            continue;
        }
        if let Some(shared) = read_key(doc, kind, map, &key) {
            out.push((key, shared));
        }
    }
}

/// One item as the merged document holds it, if it does (alive or deleted): to tell whether what
/// this library would send is already there, word for word.
pub(crate) fn read_one(doc: &AutoCommit, kind: Kind, key: &str) -> Option<Shared> {
    let maps = kind_maps(doc, kind);
    let map = maps.iter().find(|m| child(doc, m, key).is_some())?;
    read_key(doc, kind, map, key)
}

/// The item under `key` in `map`; `None` when there is none, or it is alive but this build cannot
/// read it (damaged, or from a newer format), which is then left alone.
fn read_key(doc: &AutoCommit, kind: Kind, map: &ObjId, key: &str) -> Option<Shared> {
    // Two machines may have created the same item at once (the same link decided on both):
    // every object the key holds is read, and the latest decision among them wins.
    let objects: Vec<ObjId> = doc
        .get_all(map, key)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(v, id)| matches!(v, Value::Object(ObjType::Map)).then_some(id))
        .collect();
    let obj = child(doc, map, key)?;
    let alive = objects.iter().any(|o| {
        doc.get_all(o, "alive").unwrap_or_default().iter().any(|(v, _)| {
            matches!(v, Value::Scalar(s) if matches!(s.as_ref(), ScalarValue::Str(_) | ScalarValue::Boolean(true)))
        })
    });
    let by = text(doc, &obj, "by").unwrap_or_default();
    let at = text(doc, &obj, "at").unwrap_or_default();
    let item = if alive {
        Some(read_item(doc, kind, &objects, &obj)?)
    } else {
        None
    };
    Some(Shared { item, by, at })
}

fn read_item(doc: &AutoCommit, kind: Kind, objects: &[ObjId], obj: &ObjId) -> Option<Item> {
    match kind {
        Kind::Subscription => Some(Item::Subscription {
            url: text(doc, obj, "url")?,
        }),
        Kind::Bookmark => {
            let tags: Vec<String> =
                serde_json::from_str(&text(doc, obj, "tags").unwrap_or_default()).unwrap_or_default();
            Some(Item::Bookmark(SharedBookmark {
                feed: text(doc, obj, "feed")?,
                guid: text(doc, obj, "guid")?,
                start: number(doc, obj, "start")?,
                end: number(doc, obj, "end"),
                title: text(doc, obj, "title").unwrap_or_default(),
                note: text(doc, obj, "note").unwrap_or_default(),
                tags,
            }))
        }
        Kind::Decision => {
            let latest = objects
                .iter()
                .flat_map(|o| all_texts(doc, o, "decision"))
                .filter_map(|t| serde_json::from_str::<Decision>(&t).ok())
                .max_by(|a, b| (&a.at, &a.by).cmp(&(&b.at, &b.by)))?;
            Some(Item::Decision(SharedDecision {
                feed: text(doc, obj, "feed")?,
                guid: text(doc, obj, "guid")?,
                url: text(doc, obj, "url")?,
                state: latest.state,
                manual: latest.manual,
                note: text(doc, obj, "note"),
            }))
        }
        Kind::Tag => Some(Item::Tag(SharedTag {
            on: text(doc, obj, "on")?,
            feed: text(doc, obj, "feed"),
            guid: text(doc, obj, "guid"),
            url: text(doc, obj, "url"),
            name: text(doc, obj, "name")?,
        })),
        Kind::Source => Some(Item::Source(SharedSource {
            url: text(doc, obj, "url")?,
            campaign: text(doc, obj, "campaign"),
        })),
        Kind::Page => Some(Item::Page(SharedSource {
            url: text(doc, obj, "url")?,
            campaign: text(doc, obj, "campaign"),
        })),
        Kind::Collection => Some(Item::Collection(SharedCollection {
            name: text(doc, obj, "name")?,
            kind: text(doc, obj, "kind")?,
            documents: members(doc, obj, "documents"),
            episodes: members(doc, obj, "episodes"),
        })),
    }
}

/// A decision's history, oldest first, as (state, by, at).
pub(crate) fn history(doc: &AutoCommit, key: &str) -> Vec<(String, String, String)> {
    let Some(map) = child(doc, &ROOT, Kind::Decision.as_str()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (v, o) in doc.get_all(&map, key).unwrap_or_default() {
        if !matches!(v, Value::Object(ObjType::Map)) {
            continue;
        }
        let Some(list) = child(doc, &o, "history") else {
            continue;
        };
        for i in 0..doc.length(&list) {
            if let Ok(Some((Value::Scalar(s), _))) = doc.get(&list, i) {
                if let ScalarValue::Str(t) = s.as_ref() {
                    if let Ok(d) = serde_json::from_str::<Decision>(t) {
                        out.push((d.state, d.by, d.at));
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| a.2.cmp(&b.2));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn tag(name: &str) -> Item {
        Item::Tag(SharedTag {
            on: "episode".into(),
            feed: Some("https://feed.example/rss".into()),
            guid: Some("ep-1".into()),
            url: None,
            name: name.into(),
        })
    }

    fn alive(doc: &AutoCommit) -> Vec<String> {
        let mut keys: Vec<String> = read_all(doc, Kind::Tag)
            .into_iter()
            .filter(|(_, s)| s.item.is_some())
            .map(|(k, _)| k)
            .collect();
        keys.sort();
        keys
    }

    /// An archive from before tags travelled has no `tags` map; two machines tagging at once each
    /// make one. Both machines' tags must survive the merge, and a removal must reach a tag in
    /// either map.
    #[test]
    fn an_item_hashes_as_its_json_did_so_stored_hashes_still_compare() {
        let item = Item::Subscription {
            url: "https://example.org/feed \"quoted\" é".into(),
        };
        let json = serde_json::to_vec(&item).unwrap();
        assert_eq!(item.hash(), xxhash_rust::xxh3::xxh3_64(&json) as i64);
    }

    #[test]
    fn two_machines_making_the_tags_map_at_once_lose_nothing() {
        let mut old = AutoCommit::new();
        old.put(ROOT, "format", FORMAT).unwrap();
        for kind in [Kind::Subscription, Kind::Bookmark, Kind::Decision] {
            old.put_object(ROOT, kind.as_str(), ObjType::Map).unwrap();
        }
        let mut ann = old.fork();
        let mut bea = old.fork();
        write(&mut ann, Kind::Tag, "k-custody", Some(&tag("custody")), "Ann", "t1").unwrap();
        write(&mut bea, Kind::Tag, "k-press", Some(&tag("press")), "Bea", "t1").unwrap();
        ann.merge(&mut bea).unwrap();
        assert_eq!(doc_maps(&ann), 2, "the engine keeps both maps");
        assert_eq!(alive(&ann), ["k-custody", "k-press"]);

        write(&mut ann, Kind::Tag, "k-press", None, "Ann", "t2").unwrap();
        write(&mut ann, Kind::Tag, "k-custody", None, "Ann", "t2").unwrap();
        assert!(alive(&ann).is_empty(), "{:?}", alive(&ann));
    }

    fn campaign(docs: &[&str]) -> Item {
        Item::Collection(SharedCollection {
            name: "In Dad's Shoes".into(),
            kind: "campaign".into(),
            documents: docs.iter().map(|d| (*d).to_owned()).collect(),
            episodes: Vec::new(),
        })
    }

    fn read_campaign(doc: &AutoCommit) -> Vec<String> {
        match read_all(doc, Kind::Collection).pop().and_then(|(_, s)| s.item) {
            Some(Item::Collection(c)) => c.documents,
            other => panic!("{other:?}"),
        }
    }

    /// Writing a list is a diff: the new order reads back exactly, whatever the change.
    #[test]
    fn a_member_list_reads_back_as_written() {
        let mut doc = new_doc("t").unwrap();
        let orders: [&[&str]; 6] = [
            &["a", "b", "c"],
            &["a", "c", "b"],
            &["d", "a", "c", "b"],
            &["b"],
            &[],
            &["c", "b", "a", "d", "e"],
        ];
        for order in orders {
            write(&mut doc, Kind::Collection, "k", Some(&campaign(order)), "Ann", "t").unwrap();
            assert_eq!(read_campaign(&doc), order);
        }
    }

    /// Ann appends a page while Bea moves one to the top: the merge keeps both changes, on both
    /// machines alike; a page both added at once is read once.
    #[test]
    fn concurrent_additions_and_moves_merge() {
        let mut base = new_doc("t").unwrap();
        write(
            &mut base,
            Kind::Collection,
            "k",
            Some(&campaign(&["a", "b", "c"])),
            "Ann",
            "t0",
        )
        .unwrap();
        let mut ann = base.fork();
        let mut bea = base.fork();
        write(
            &mut ann,
            Kind::Collection,
            "k",
            Some(&campaign(&["a", "b", "c", "d", "x"])),
            "Ann",
            "t1",
        )
        .unwrap();
        write(
            &mut bea,
            Kind::Collection,
            "k",
            Some(&campaign(&["c", "a", "b", "x"])),
            "Bea",
            "t1",
        )
        .unwrap();
        ann.merge(&mut bea).unwrap();
        bea.merge(&mut ann.clone()).unwrap();
        let merged = read_campaign(&ann);
        assert_eq!(merged, read_campaign(&bea));
        let mut sorted = merged.clone();
        sorted.sort();
        assert_eq!(sorted, ["a", "b", "c", "d", "x"], "{merged:?}");
        assert_eq!(merged[0], "c", "Bea's move holds: {merged:?}");
    }

    /// A long list with a change in the middle is written as that change, not rewritten whole.
    #[test]
    fn a_change_in_a_long_list_touches_only_what_changed() {
        let long: Vec<String> = (0..5000).map(|i| format!("https://blog.example/{i}")).collect();
        let mut a = long.clone();
        a.remove(2500);
        a.insert(10, "https://blog.example/new".into());
        let run = common_run(&long, &a);
        assert_eq!(run.len(), long.len() - 1);
    }

    fn doc_maps(doc: &AutoCommit) -> usize {
        kind_maps(doc, Kind::Tag).len()
    }
}

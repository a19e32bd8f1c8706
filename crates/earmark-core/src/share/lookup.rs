//! The lookups a merge makes for nearly every item it writes, answered from memory after the
//! first few: merging 10,000 bookmarks otherwise asked SQLite for the same episodes and tags
//! thousands of times (about 40% of writing them).

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension, Transaction};

use crate::error::Result;

/// Lookups in one feed answered one at a time before its whole episode list is read instead: a
/// sync bringing a bookmark or two should not read a feed of thousands of episodes.
const SINGLE_LOOKUPS_PER_FEED: u32 = 16;

enum Feed {
    /// Looked up this many times, one episode at a time.
    Asked(u32),
    /// Every episode of the feed by guid.
    Read(HashMap<String, i64>),
}

/// Episode and tag ids found so far while one transaction writes merged items. They stay true
/// for the whole transaction: a merge adds no episodes and removes no tags.
#[derive(Default)]
pub(super) struct Lookups {
    feeds: HashMap<String, Feed>,
    tags: HashMap<String, i64>,
}

impl Lookups {
    /// The episode a feed URL (or an address the feed had before it moved) and guid name here.
    pub(super) fn episode(&mut self, tx: &Transaction<'_>, feed: &str, guid: &str) -> Result<Option<i64>> {
        let asked = match self.feeds.get_mut(feed) {
            Some(Feed::Read(episodes)) => return Ok(episodes.get(guid).copied()),
            Some(Feed::Asked(n)) => {
                *n += 1;
                *n
            }
            None => {
                self.feeds.insert(feed.to_owned(), Feed::Asked(1));
                1
            }
        };
        if asked <= SINGLE_LOOKUPS_PER_FEED {
            return episode_id(tx, feed, guid);
        }
        let episodes = whole_feed(tx, feed)?;
        let id = episodes.get(guid).copied();
        self.feeds.insert(feed.to_owned(), Feed::Read(episodes));
        Ok(id)
    }

    /// The id of the tag `name`, made if the library has no such tag yet.
    pub(super) fn tag(&mut self, tx: &Transaction<'_>, name: &str) -> Result<i64> {
        if let Some(id) = self.tags.get(name) {
            return Ok(*id);
        }
        let id = crate::bookmarks::store::tag_id(tx, name)?;
        self.tags.insert(name.to_owned(), id);
        Ok(id)
    }
}

/// The episode a feed URL and guid name here: by the feed's address, else by one it had before.
pub(super) fn episode_id(tx: &Transaction<'_>, feed: &str, guid: &str) -> Result<Option<i64>> {
    // Two statements rather than one UNION ALL … LIMIT 1: SQLite ran that at about twice the cost.
    let direct = tx
        .prepare_cached(
            "SELECT e.id FROM episodes e JOIN podcasts p ON p.id = e.podcast_id WHERE p.feed_url = ?1 AND e.guid = ?2",
        )?
        .query_row(params![feed, guid], |r| r.get(0))
        .optional()?;
    if direct.is_some() {
        return Ok(direct);
    }
    Ok(tx
        .prepare_cached(
            "SELECT e.id FROM episodes e JOIN podcast_url_aliases a ON a.podcast_id = e.podcast_id \
             WHERE a.url = ?1 AND e.guid = ?2 LIMIT 1",
        )?
        .query_row(params![feed, guid], |r| r.get(0))
        .optional()?)
}

/// The document at `url` here, if the library has it (a document's identity across machines).
pub(super) fn document_id(tx: &Transaction<'_>, url: &str) -> Result<Option<i64>> {
    Ok(tx
        .prepare_cached("SELECT id FROM documents WHERE url = ?1")?
        .query_row([url], |r| r.get(0))
        .optional()?)
}

/// Every episode of the feed at `feed` (or that had that address), by guid; the feed's own
/// episodes win over those of a podcast that once had its address.
fn whole_feed(tx: &Transaction<'_>, feed: &str) -> Result<HashMap<String, i64>> {
    let mut out = HashMap::new();
    let mut direct = tx.prepare_cached(
        "SELECT e.guid, e.id FROM episodes e JOIN podcasts p ON p.id = e.podcast_id WHERE p.feed_url = ?1",
    )?;
    for row in direct.query_map([feed], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (guid, id) = row?;
        out.insert(guid, id);
    }
    let mut moved = tx.prepare_cached(
        "SELECT e.guid, e.id FROM episodes e JOIN podcast_url_aliases a ON a.podcast_id = e.podcast_id WHERE a.url = ?1",
    )?;
    for row in moved.query_map([feed], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (guid, id) = row?;
        out.entry(guid).or_insert(id);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::Library;

    /// A library with one feed of `n` episodes (guids g0…), and an old address that feed had.
    fn library(n: usize) -> (tempfile::TempDir, Library) {
        let dir = tempfile::tempdir().expect("tempdir");
        let lib = Library::open(dir.path()).expect("open");
        lib.conn()
            .execute_batch(
                "INSERT INTO podcasts (id, feed_url, title, added_at) VALUES (1, 'https://a.example/feed', 'A', '2026-01-01T00:00:00Z');
                 INSERT INTO podcasts (id, feed_url, title, added_at) VALUES (2, 'https://b.example/feed', 'B', '2026-01-01T00:00:00Z');
                 INSERT INTO podcast_url_aliases (url, podcast_id) VALUES ('https://old.example/feed', 1);",
            )
            .expect("podcasts");
        for i in 0..n {
            lib.conn()
                .execute(
                    "INSERT INTO episodes (podcast_id, guid, title, first_seen, updated_at) \
                     VALUES (1, ?1, ?1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                    [format!("g{i}")],
                )
                .expect("episode");
        }
        (dir, lib)
    }

    #[test]
    fn answers_from_memory_match_single_lookups_before_and_after_the_feed_is_read() {
        let (_dir, mut lib) = library(40);
        let tx = lib.conn_mut().transaction().expect("tx");
        let mut lookups = Lookups::default();
        for round in 0..3 {
            for i in 0..40 {
                let guid = format!("g{i}");
                for feed in ["https://a.example/feed", "https://old.example/feed"] {
                    let expected = episode_id(&tx, feed, &guid).expect("single");
                    assert!(expected.is_some(), "{feed} {guid}");
                    assert_eq!(
                        lookups.episode(&tx, feed, &guid).expect("lookup"),
                        expected,
                        "round {round}"
                    );
                }
            }
            for (feed, guid) in [
                ("https://a.example/feed", "missing"),
                ("https://b.example/feed", "g1"),
                ("https://c.example/feed", "g1"),
            ] {
                assert_eq!(lookups.episode(&tx, feed, guid).expect("lookup"), None);
            }
        }
        assert!(matches!(lookups.feeds.get("https://a.example/feed"), Some(Feed::Read(m)) if m.len() == 40));
    }

    #[test]
    fn a_tag_is_made_once_and_found_again_in_any_case() {
        let (_dir, mut lib) = library(0);
        let tx = lib.conn_mut().transaction().expect("tx");
        let mut lookups = Lookups::default();
        let first = lookups.tag(&tx, "custody").expect("tag");
        assert_eq!(lookups.tag(&tx, "custody").expect("again"), first);
        assert_eq!(lookups.tag(&tx, "Custody").expect("other case"), first);
        let count: i64 = tx
            .query_row("SELECT COUNT(*) FROM tags", [], |r| r.get(0))
            .expect("count");
        assert_eq!(count, 1);
    }
}

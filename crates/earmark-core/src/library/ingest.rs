//! Storing a parsed feed: new and changed episodes in one `IMMEDIATE` transaction, then their text
//! into the search index.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, TransactionBehavior};

use crate::error::Result;
use crate::feed::{ParsedFeed, ParsedItem};
use crate::model::{Podcast20, PodcastId};

use super::{rfc3339, text_column, Library, READ_CACHE_KIB};

/// The page cache while a big feed is stored.
const WRITE_CACHE_KIB: i64 = -2_000;

/// Feeds with more items than this have their content hashes worked out on several threads.
const PARALLEL_HASH_ITEMS: usize = 500;

/// Feeds with more items than this are stored with the small cache.
const BIG_FEED_ITEMS: usize = 500;

/// What a feed's items did to the stored episodes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StoreOutcome {
    /// Episodes inserted.
    pub new: u64,
    /// Episodes whose feed data changed.
    pub updated: u64,
    /// Episodes no longer in the feed (kept, marked).
    pub gone_from_feed: u64,
}

/// Feed-level metadata to keep beside a stored fetch.
#[derive(Debug, Default, Clone)]
pub struct FetchMeta {
    /// The `ETag` the server sent, for the next conditional GET.
    pub etag: Option<String>,
    /// The `Last-Modified` the server sent.
    pub last_modified: Option<String>,
    /// A new feed URL to store (permanent redirect or `itunes:new-feed-url`).
    pub new_feed_url: Option<String>,
}

/// Every item's change-detection hash. A big feed's are worked out on all cores: they are the
/// one part of storing a feed that needs no database.
fn content_hashes(items: &[ParsedItem]) -> Vec<i64> {
    let threads = crate::worker_threads(8);
    if items.len() <= PARALLEL_HASH_ITEMS || threads < 2 {
        return items.iter().map(ParsedItem::content_hash).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(ParsedItem::content_hash).collect::<Vec<i64>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

fn item_podcast20(item: &ParsedItem) -> Option<String> {
    if item.podcast20 == Podcast20::default() {
        None
    } else {
        serde_json::to_string(&item.podcast20).ok()
    }
}

impl Library {
    /// Stores a parsed feed that came without fetch metadata (a local folder, a file, a test's
    /// feed: no ETag or Last-Modified to keep) in one transaction (channel fields, new and changed
    /// episodes, and the in-feed flag of episodes that vanished), then brings the search index up
    /// to date in a second. Listening state, and anything else a person made, is never touched. A
    /// feed fetched over HTTP goes through [`Library::store_feed_unindexed`] with its
    /// [`FetchMeta`], so the next refresh can ask the server whether it changed.
    pub fn store_feed(&mut self, id: PodcastId, feed: &ParsedFeed, now: DateTime<Utc>) -> Result<StoreOutcome> {
        let out = self.store_feed_unindexed(id, feed, &FetchMeta::default(), now)?;
        self.index_pending()?;
        Ok(out)
    }

    /// Stores a parsed feed with the fetch metadata it came with, like [`Library::store_feed`],
    /// but leaves its new episodes, and changed ones whose title or notes changed, out of the
    /// search index, listed as pending, until [`Library::index_pending`] runs. A caller storing
    /// many feeds can index them all in one pass, and a big feed's episodes are listed before its
    /// index is built. The list is in the library, so a crash in between loses nothing: opening
    /// the library indexes what is pending.
    pub fn store_feed_unindexed(
        &mut self,
        id: PodcastId,
        feed: &ParsedFeed,
        meta: &FetchMeta,
        now: DateTime<Utc>,
    ) -> Result<StoreOutcome> {
        let now_s = rfc3339(now);
        // A big feed writes tens of megabytes in one transaction. With the reading cache's 32 MB
        // every written page would stay in memory until the commit; a small cache spills them to
        // the WAL as it goes, which costs little, and the reading cache comes back afterwards.
        let big = feed.items.len() > BIG_FEED_ITEMS;
        self.with_write_cache(big, |lib| lib.store_feed_in_tx(id, feed, meta, &now_s))
    }

    /// Adds the episodes stored since the last call to the search index, in one transaction;
    /// returns how many. The plain text of each episode's show notes is made here, from the
    /// notes as the feed gave them, and kept only inside the index.
    pub fn index_pending(&mut self) -> Result<usize> {
        let pending: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM search_pending", [], |r| r.get(0))?;
        if pending == 0 {
            return Ok(0);
        }
        let big = pending > BIG_FEED_ITEMS as i64;
        self.with_write_cache(big, |lib| {
            let tx = lib.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut done = 0;
            {
                let mut read = tx.prepare(
                    "SELECT e.id, e.title, e.notes_raw FROM search_pending p JOIN episodes e ON e.id = p.episode_id \
                     ORDER BY p.episode_id",
                )?;
                // One row at a time, not one statement for all: a plain INSERT opens no
                // savepoint, so FTS5 keeps gathering the index in memory between rows.
                let mut add = tx.prepare("INSERT INTO episode_fts (rowid, title, notes_text) VALUES (?1, ?2, ?3)")?;
                let mut rows = read.query([])?;
                while let Some(row) = rows.next()? {
                    let eid: i64 = row.get(0)?;
                    let title = text_column(row, 1)?;
                    let text = crate::html::to_text(text_column(row, 2)?);
                    add.execute(params![eid, title, text])?;
                    done += 1;
                }
            }
            tx.execute("DELETE FROM search_pending", [])?;
            tx.commit()?;
            Ok(done)
        })
    }

    /// Runs `f` with the small writing page cache when `big`, restoring the reading cache after.
    fn with_write_cache<T>(&mut self, big: bool, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if big {
            self.conn.pragma_update(None, "cache_size", WRITE_CACHE_KIB)?;
        }
        let result = f(self);
        if big {
            self.conn.pragma_update(None, "cache_size", READ_CACHE_KIB)?;
        }
        result
    }

    fn store_feed_in_tx(
        &mut self,
        id: PodcastId,
        feed: &ParsedFeed,
        meta: &FetchMeta,
        now_s: &str,
    ) -> Result<StoreOutcome> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let p20 = serde_json::to_string(&feed.podcast20).ok();
        tx.execute(
            "UPDATE podcasts SET title = ?2, link = ?3, description = ?4, author = ?5, image_url = ?6, language = ?7, \
             explicit = ?8, podcast20 = ?9, etag = ?10, last_modified = ?11, last_refresh = ?12, last_error = NULL \
             WHERE id = ?1",
            params![
                id.0,
                feed.title,
                feed.link,
                feed.description,
                feed.author,
                feed.image_url,
                feed.language,
                feed.explicit,
                p20,
                meta.etag,
                meta.last_modified,
                now_s
            ],
        )?;
        if let Some(url) = &meta.new_feed_url {
            // Only move when no other subscription already owns that URL.
            tx.execute(
                "UPDATE podcasts SET feed_url = ?2 WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM podcasts WHERE feed_url = ?2)",
                params![id.0, url],
            )?;
        }

        let mut known: HashMap<String, (i64, i64)> = HashMap::new();
        {
            let mut stmt = tx.prepare_cached("SELECT guid, id, content_hash FROM episodes WHERE podcast_id = ?1")?;
            let rows = stmt.query_map([id.0], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?))))?;
            for row in rows {
                let (guid, v) = row?;
                known.insert(guid, v);
            }
        }
        let mut out = StoreOutcome::default();
        let mut seen: Vec<i64> = Vec::with_capacity(feed.items.len());
        // The search index is kept in step here and by `index_pending`, not by row triggers: a
        // trigger makes every INSERT open a savepoint, and FTS5 writes its pending index to disk at
        // each one (5,000 tiny segments, then merging them, for a 5,000-item feed).
        let hashes = content_hashes(&feed.items);
        // Changed episodes whose title or notes changed too: only those are indexed again (a new
        // media URL or duration leaves the words, and the index, as they were).
        let mut reindex: Vec<i64> = Vec::new();
        let mut to_index: Vec<i64> = Vec::new();
        {
            let mut words = tx.prepare_cached("SELECT title = ?2 AND notes_raw = ?3 FROM episodes WHERE id = ?1")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO episodes (podcast_id, guid, title, link, published, published_ts, feed_position, \
                 duration_secs, enclosure_url, enclosure_type, enclosure_length, notes_raw, image_url, \
                 author, episode_number, season, episode_type, explicit, podcast20, content_hash, in_feed, first_seen, \
                 updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
                 ?19, ?20, 1, ?21, ?21)",
            )?;
            // The same numbering as `insert` from ?2 on, so both take one list of values.
            let mut update = tx.prepare_cached(
                "UPDATE episodes SET title = ?3, link = ?4, published = ?5, published_ts = ?6, feed_position = ?7, \
                 duration_secs = ?8, enclosure_url = ?9, enclosure_type = ?10, enclosure_length = ?11, notes_raw = ?12, \
                 image_url = ?13, author = ?14, episode_number = ?15, season = ?16, \
                 episode_type = ?17, explicit = ?18, podcast20 = ?19, content_hash = ?20, in_feed = 1, updated_at = ?21 \
                 WHERE id = ?1 AND guid = ?2",
            )?;
            let mut touch = tx.prepare_cached(
                "UPDATE episodes SET in_feed = 1, feed_position = ?2 WHERE id = ?1 AND (in_feed = 0 OR feed_position <> ?2)",
            )?;
            // Oldest first, so row ids (and the search index's order) grow with time.
            for (pos, item) in feed.items.iter().enumerate().rev() {
                let hash = hashes[pos];
                let position = pos as i64;
                let published = item.published.map(rfc3339);
                let published_ts = item.published.map(|d| d.timestamp());
                let p20 = item_podcast20(item);
                // ?1 is the podcast for a new episode; a changed one puts its own id there.
                let mut values: [&dyn rusqlite::ToSql; 21] = [
                    &id.0,
                    &item.guid,
                    &item.title,
                    &item.link,
                    &published,
                    &published_ts,
                    &position,
                    &item.duration_secs,
                    &item.enclosure_url,
                    &item.enclosure_type,
                    &item.enclosure_length,
                    &item.notes_raw,
                    &item.image_url,
                    &item.author,
                    &item.episode_number,
                    &item.season,
                    &item.episode_type,
                    &item.explicit,
                    &p20,
                    &hash,
                    &now_s,
                ];
                match known.get(&item.guid) {
                    Some(&(eid, old_hash)) if old_hash == hash => {
                        touch.execute(params![eid, position])?;
                        seen.push(eid);
                    }
                    Some(&(eid, _)) => {
                        if !words.query_row(params![eid, item.title, item.notes_raw], |r| r.get::<_, bool>(0))? {
                            reindex.push(eid);
                        }
                        values[0] = &eid;
                        update.execute(&values[..])?;
                        seen.push(eid);
                        out.updated += 1;
                    }
                    None => {
                        insert.execute(&values[..])?;
                        let eid = tx.last_insert_rowid();
                        to_index.push(eid);
                        known.insert(item.guid.clone(), (eid, hash));
                        seen.push(eid);
                        out.new += 1;
                    }
                }
            }
        }
        if !reindex.is_empty() {
            // Out of the index now (an episode still pending was never in it); back in when
            // `index_pending` reads the new text.
            tx.execute(
                "DELETE FROM episode_fts WHERE rowid IN (SELECT value FROM json_each(?1)) \
                 AND rowid NOT IN (SELECT episode_id FROM search_pending)",
                [serde_json::to_string(&reindex).unwrap_or_default()],
            )?;
        }
        {
            // Row by row through one prepared statement: for a 5,000-item feed, a third of the time
            // of one statement over a JSON list of ids.
            let mut pend = tx.prepare_cached("INSERT OR IGNORE INTO search_pending (episode_id) VALUES (?1)")?;
            for eid in reindex.iter().chain(&to_index) {
                pend.execute([eid])?;
            }
        }
        // Episodes that left the feed stay in the archive, marked.
        if known.len() > seen.len() {
            let seen_set: std::collections::HashSet<i64> = seen.into_iter().collect();
            let mut mark = tx.prepare_cached("UPDATE episodes SET in_feed = 0 WHERE id = ?1 AND in_feed = 1")?;
            for (eid, _) in known.values() {
                if !seen_set.contains(eid) {
                    out.gone_from_feed += mark.execute([eid])? as u64;
                }
            }
        }
        tx.commit()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::test_support::t0;

    #[test]
    fn store_counts_new_updated_and_vanished_and_keeps_state() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lib = Library::open(dir.path()).expect("open");
        let (id, created) = lib.add_podcast("https://a.example/feed", "", t0()).expect("add");
        assert!(created);
        let item = |guid: &str, title: &str| ParsedItem {
            guid: guid.into(),
            title: title.into(),
            ..ParsedItem::default()
        };
        let mut feed = ParsedFeed {
            title: "Show".into(),
            items: vec![item("a", "A"), item("b", "B")],
            ..ParsedFeed::default()
        };
        let out = lib.store_feed(id, &feed, t0()).expect("store");
        assert_eq!((out.new, out.updated, out.gone_from_feed), (2, 0, 0));
        let a = lib
            .episodes(Some(id))
            .expect("eps")
            .into_iter()
            .find(|e| e.guid == "a")
            .expect("a");
        lib.conn()
            .execute(
                "INSERT INTO episode_state (episode_id, position_secs, played, updated_at) VALUES (?1, 12.0, 1, 'x')",
                [a.id.0],
            )
            .expect("state");

        feed.items = vec![item("a", "A renamed"), item("c", "C")];
        let out = lib.store_feed(id, &feed, t0()).expect("store");
        assert_eq!((out.new, out.updated, out.gone_from_feed), (1, 1, 1));
        let eps = lib.episodes(Some(id)).expect("eps");
        assert_eq!(eps.len(), 3, "nothing is deleted");
        assert!(!eps.iter().find(|e| e.guid == "b").expect("b").in_feed);
        let played: i64 = lib
            .conn()
            .query_row(
                "SELECT played FROM episode_state WHERE episode_id = ?1",
                [a.id.0],
                |r| r.get(0),
            )
            .expect("state kept");
        assert_eq!(played, 1);

        // The same feed again changes nothing.
        let out = lib.store_feed(id, &feed, t0()).expect("store");
        assert_eq!((out.new, out.updated, out.gone_from_feed), (0, 0, 0));
    }
}

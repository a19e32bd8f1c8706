//! The share's SQL: the stored document, what was merged, what both sides last agreed on, and the
//! library's items in their shared form, read and written back.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

use super::doc::{Item, Kind, SharedBookmark, SharedDecision, SharedSource, SharedTag};
use super::lookup::{document_id, Lookups};
use crate::bookmarks::store::{clean_tags, set_tags_with};
use crate::error::Result;
use crate::library::{rfc3339, Library};
use crate::model::Changed;
use crate::resolve::is_web_feed;

/// The share as the library keeps it.
pub(crate) struct ShareRow {
    pub folder: String,
    pub name: String,
    pub archive_id: String,
    pub actor: String,
    pub person: String,
    pub heads: Vec<String>,
    pub published: Vec<String>,
    pub waiting: u32,
    pub last_sync: Option<String>,
    pub last_error: Option<String>,
    /// The change count (`share_dirt`) at which the library last agreed with `share_synced`.
    pub checked: Option<i64>,
}

/// What writing one shared item back into the library did.
pub(crate) enum Applied {
    Done,
    /// The item needs something this library does not have yet (its episode or post).
    Waiting,
}

/// The key a tag is shared under: what it is on, and the tag lower-cased (tags are
/// case-insensitive, so "Custody" and "custody" are one tag).
pub(crate) fn tag_key(t: &SharedTag) -> String {
    let name = t.name.to_lowercase();
    match (&t.feed, &t.guid, &t.url) {
        (Some(feed), Some(guid), _) => format!("episode\n{feed}\n{guid}\n{name}"),
        (_, _, Some(url)) => format!("document\n{url}\n{name}"),
        _ => format!("{}\n{name}", t.on),
    }
}

/// The key a decision is shared under.
pub(crate) fn decision_key(feed: &str, guid: &str, url: &str) -> String {
    format!("{feed}\n{guid}\n{url}")
}

impl Library {
    pub(crate) fn share_row(&self) -> Result<Option<ShareRow>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT folder, name, archive_id, actor, person, published, last_sync, last_error, heads, waiting, \
                 checked FROM share WHERE id = 1",
                [],
                |r| {
                    Ok(ShareRow {
                        folder: r.get(0)?,
                        name: r.get(1)?,
                        archive_id: r.get(2)?,
                        actor: r.get(3)?,
                        person: r.get(4)?,
                        published: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or_default(),
                        last_sync: r.get(6)?,
                        last_error: r.get(7)?,
                        heads: serde_json::from_str(&r.get::<_, String>(8)?).unwrap_or_default(),
                        waiting: r.get(9)?,
                        checked: r.get(10)?,
                    })
                },
            )
            .optional()?)
    }

    /// The stored document (megabytes for a big archive), read only when a sync has work to do:
    /// its last whole save and the chunks of changes appended since, in order.
    pub(crate) fn share_doc(&self) -> Result<(Vec<u8>, Vec<Vec<u8>>)> {
        let conn = self.conn();
        let whole = conn.query_row("SELECT doc FROM share WHERE id = 1", [], |r| r.get(0))?;
        let mut stmt = conn.prepare("SELECT bytes FROM share_doc_chunks ORDER BY seq")?;
        let chunks = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok((whole, chunks))
    }

    /// How the stored document stands: (chunks appended, their bytes, the whole save's bytes), to
    /// decide when to fold the chunks into a new whole save.
    pub(crate) fn share_doc_size(&self) -> Result<(i64, i64, i64)> {
        Ok(self.conn().query_row(
            "SELECT (SELECT COUNT(*) FROM share_doc_chunks), \
             (SELECT COALESCE(SUM(length(bytes)), 0) FROM share_doc_chunks), \
             (SELECT length(doc) FROM share WHERE id = 1)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<i64>>(2)?.unwrap_or(0))),
        )?)
    }

    /// How many shared items of each kind this library holds, as agreed at the last sync.
    pub(crate) fn share_counts(&self) -> Result<HashMap<String, u32>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT kind, COUNT(*) FROM share_synced GROUP BY kind")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn insert_share(&mut self, row: &ShareRow, doc: &[u8]) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        tx.execute("DELETE FROM share_files_seen", [])?;
        tx.execute("DELETE FROM share_synced", [])?;
        tx.execute("DELETE FROM share_doc_chunks", [])?;
        tx.execute(
            "INSERT INTO share (id, folder, name, archive_id, actor, person, doc, published, heads) \
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![
                row.folder,
                row.name,
                row.archive_id,
                row.actor,
                row.person,
                doc,
                serde_json::to_string(&row.published).unwrap_or_default()
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn delete_share(&mut self) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        tx.execute("DELETE FROM share", [])?;
        tx.execute("DELETE FROM share_files_seen", [])?;
        tx.execute("DELETE FROM share_synced", [])?;
        tx.execute("DELETE FROM share_doc_chunks", [])?;
        tx.commit()?;
        Ok(())
    }

    /// A sync that found nothing to do.
    pub(crate) fn record_share_idle(&mut self, now: DateTime<Utc>) -> Result<()> {
        self.conn().execute(
            "UPDATE share SET last_sync = ?1, last_error = NULL WHERE id = 1",
            [rfc3339(now)],
        )?;
        Ok(())
    }

    /// How many writes have touched what a share carries (kept by the triggers of migration
    /// 0023): equal to the share's `checked` when nothing shared changed since a sync compared.
    pub(crate) fn share_dirt(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT n FROM share_dirt WHERE id = 1", [], |r| r.get(0))?)
    }

    /// Records that the library agreed with what both sides last agreed on as of `dirt`.
    pub(crate) fn share_mark_checked(&mut self, dirt: i64) -> Result<()> {
        self.conn()
            .execute("UPDATE share SET checked = ?1 WHERE id = 1", [dirt])?;
        Ok(())
    }

    pub(crate) fn record_share_error(&mut self, error: &str) -> Result<()> {
        self.conn()
            .execute("UPDATE share SET last_error = ?1 WHERE id = 1", [error])?;
        Ok(())
    }

    pub(crate) fn files_seen(&self) -> Result<HashSet<String>> {
        let mut stmt = self.conn().prepare("SELECT name FROM share_files_seen")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// What both sides last agreed on: (kind, key) -> hash.
    pub(crate) fn share_synced(&self) -> Result<HashMap<(String, String), i64>> {
        let mut stmt = self.conn().prepare("SELECT kind, key, hash FROM share_synced")?;
        let rows = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Who changed a shared item last and when (for the window's "changed by").
    pub fn share_authorship(&self, kind: &str, key: &str) -> Result<Option<super::Authorship>> {
        Ok(match self.changed_raw(kind, key)? {
            Changed {
                by: Some(by),
                at: Some(at),
            } => Some(super::Authorship { by, at }),
            _ => None,
        })
    }

    /// Who changed a shared item last and when, as the lists carry it: both `None` outside a
    /// share, or for an item no sync has carried yet.
    pub(crate) fn changed(&self, kind: Kind, key: &str) -> Result<Changed> {
        self.changed_raw(kind.as_str(), key)
    }

    fn changed_raw(&self, kind: &str, key: &str) -> Result<Changed> {
        Ok(self
            .conn()
            .prepare_cached("SELECT by, at FROM share_synced WHERE kind = ?1 AND key = ?2 AND by IS NOT NULL")?
            .query_row(params![kind, key], |r| Changed::from_row(r, 0))
            .optional()?
            .unwrap_or_default())
    }

    /// The library's items of a kind in their shared form.
    pub(crate) fn local_items(&self, kind: Kind) -> Result<HashMap<String, Item>> {
        let conn = self.conn();
        let mut out = HashMap::new();
        match kind {
            Kind::Subscription => {
                let mut stmt = conn.prepare("SELECT feed_url FROM podcasts WHERE subscribed = 1")?;
                for url in stmt.query_map([], |r| r.get::<_, String>(0))? {
                    let url = url?;
                    // A feed read from a file on this computer names a path here; it means nothing
                    // (or something else) on a teammate's machine, so it is never shared.
                    if is_web_feed(&url) {
                        out.insert(url.clone(), Item::Subscription { url });
                    }
                }
            }
            Kind::Bookmark => {
                // Tags in one pass beside the bookmarks, not a subquery per bookmark: an idle
                // sync reads every bookmark, and the subquery was a third of that.
                let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
                let mut stmt = conn
                    .prepare("SELECT bt.bookmark_id, t.name FROM bookmark_tags bt JOIN tags t ON t.id = bt.tag_id")?;
                for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
                    let (id, name) = row?;
                    tags.entry(id).or_default().push(name);
                }
                let mut stmt = conn.prepare(
                    "SELECT b.id, b.uid, p.feed_url, e.guid, b.start_secs, b.end_secs, b.title, b.note \
                     FROM bookmarks b JOIN episodes e ON e.id = b.episode_id JOIN podcasts p ON p.id = e.podcast_id",
                )?;
                let rows = stmt.query_map([], |r| {
                    let tags = match tags.get(&r.get::<_, i64>(0)?) {
                        Some(names) => {
                            let mut tags = clean_tags(names);
                            tags.sort();
                            tags
                        }
                        None => Vec::new(),
                    };
                    Ok((
                        r.get::<_, String>(1)?,
                        SharedBookmark {
                            feed: r.get(2)?,
                            guid: r.get(3)?,
                            start: r.get(4)?,
                            end: r.get(5)?,
                            title: r.get(6)?,
                            note: r.get(7)?,
                            tags,
                        },
                    ))
                })?;
                for row in rows {
                    let (uid, b) = row?;
                    out.insert(uid, Item::Bookmark(b));
                }
            }
            Kind::Decision => {
                let mut stmt = conn.prepare(
                    "SELECT p.feed_url, e.guid, d.url, l.state, l.kind = 'manual', l.note FROM links l \
                     JOIN episodes e ON e.id = l.episode_id JOIN podcasts p ON p.id = e.podcast_id \
                     JOIN documents d ON d.id = l.document_id WHERE l.decided = 1",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok(SharedDecision {
                        feed: r.get(0)?,
                        guid: r.get(1)?,
                        url: r.get(2)?,
                        state: r.get(3)?,
                        manual: r.get(4)?,
                        note: r.get(5)?,
                    })
                })?;
                for row in rows {
                    let d = row?;
                    out.insert(decision_key(&d.feed, &d.guid, &d.url), Item::Decision(d));
                }
            }
            Kind::Tag => {
                let mut stmt = conn.prepare(
                    "SELECT 'episode', p.feed_url, e.guid, NULL, t.name FROM episode_tags et \
                     JOIN tags t ON t.id = et.tag_id JOIN episodes e ON e.id = et.episode_id \
                     JOIN podcasts p ON p.id = e.podcast_id \
                     UNION ALL SELECT 'document', NULL, NULL, d.url, t.name FROM document_tags dt \
                     JOIN tags t ON t.id = dt.tag_id JOIN documents d ON d.id = dt.document_id",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok(SharedTag {
                        on: r.get(0)?,
                        feed: r.get(1)?,
                        guid: r.get(2)?,
                        url: r.get(3)?,
                        name: r.get(4)?,
                    })
                })?;
                for row in rows {
                    let t = row?;
                    out.insert(tag_key(&t), Item::Tag(t));
                }
            }
            Kind::Source => {
                for src in web_addresses(
                    conn,
                    "SELECT s.home_url, c.name FROM sources s LEFT JOIN collections c ON c.id = s.collection_id",
                )? {
                    out.insert(src.url.clone(), Item::Source(src));
                }
            }
            Kind::Page => {
                // Pages added by URL, and those a teammate shared that wait for the next refresh
                // (else this library would seem to have dropped them).
                for page in web_addresses(
                    conn,
                    "SELECT d.url, (SELECT c.name FROM collection_documents cd JOIN collections c \
                     ON c.id = cd.collection_id WHERE cd.document_id = d.id ORDER BY c.id LIMIT 1) \
                     FROM documents d WHERE d.source_id IS NULL AND d.kind = 'page' \
                     UNION SELECT url, campaign FROM pages_to_fetch",
                )? {
                    out.entry(page.url.clone()).or_insert(Item::Page(page));
                }
            }
            Kind::Collection => out = super::members::local_collections(conn)?,
        }
        Ok(out)
    }

    /// Saves the document, what this library sent (now agreed), what it found already in the
    /// archive as it is here (agreed, with the name of whoever put it there), and nothing else:
    /// the first of a sync's two commits, made before anything reaches the folder.
    pub(crate) fn share_commit_sent(
        &mut self,
        doc: Option<&DocSave>,
        heads: &[String],
        sent: &[(Kind, String, Option<i64>)],
        known: &[(Kind, String, i64, String, String)],
        by: &str,
        at: &str,
    ) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        if let Some(doc) = doc {
            store_doc(&tx, doc)?;
            tx.execute(
                "UPDATE share SET heads = ?1 WHERE id = 1",
                [serde_json::to_string(heads).unwrap_or_default()],
            )?;
        }
        set_synced(&tx, sent, by, at)?;
        for (kind, key, hash, by, at) in known {
            let item = [(*kind, key.clone(), Some(*hash))];
            // An item an older build wrote without its author's name is agreed with no name.
            match by.is_empty() {
                true => set_synced_plain(&tx, &item)?,
                false => set_synced(&tx, &item, by, at)?,
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Writes what came from other machines into the library, with the merged document, the
    /// files merged and the heads now published: the second commit of a sync.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn share_commit_received(
        &mut self,
        doc: Option<&DocSave>,
        published: &[String],
        files: &[String],
        incoming: &[(Kind, String, Option<Item>, String, String)],
        agreed: &[(Kind, String, Option<i64>)],
        now: DateTime<Utc>,
    ) -> Result<(u32, u32, [u32; 7])> {
        let tx = self.conn_mut().transaction()?;
        let (mut done, mut waiting, mut per_kind) = (0, 0, [0u32; 7]);
        let mut lookups = Lookups::default();
        for (kind, key, item, by, at) in incoming {
            match apply(&tx, &mut lookups, *kind, key, item.as_ref(), now)? {
                Applied::Done => {
                    done += 1;
                    per_kind[*kind as usize] += 1;
                    set_synced(&tx, &[(*kind, key.clone(), item.as_ref().map(Item::hash))], by, at)?;
                }
                Applied::Waiting => waiting += 1,
            }
        }
        set_synced_plain(&tx, agreed)?;
        {
            let mut seen = tx.prepare("INSERT OR IGNORE INTO share_files_seen (name) VALUES (?1)")?;
            for f in files {
                seen.execute([f])?;
            }
        }
        if let Some(doc) = doc {
            store_doc(&tx, doc)?;
        }
        let published = serde_json::to_string(published).unwrap_or_default();
        tx.execute(
            "UPDATE share SET heads = ?1, published = ?1, waiting = ?2, last_sync = ?3, last_error = NULL WHERE id = 1",
            params![published, waiting, rfc3339(now)],
        )?;
        tx.commit()?;
        Ok((done, waiting, per_kind))
    }

    /// Forgets files that compaction removed.
    pub(crate) fn forget_files(&mut self, names: &[String], snapshot: &str) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        {
            let mut del = tx.prepare("DELETE FROM share_files_seen WHERE name = ?1")?;
            for n in names {
                del.execute([n])?;
            }
            tx.execute("INSERT OR IGNORE INTO share_files_seen (name) VALUES (?1)", [snapshot])?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// How a sync stores the document: a whole save (which replaces the chunks), or the changes since
/// the stored heads appended as a chunk.
pub(crate) enum DocSave {
    Whole(Vec<u8>),
    Append(Vec<u8>),
}

fn store_doc(tx: &Transaction<'_>, doc: &DocSave) -> Result<()> {
    match doc {
        DocSave::Whole(bytes) => {
            tx.execute("UPDATE share SET doc = ?1 WHERE id = 1", [bytes])?;
            tx.execute("DELETE FROM share_doc_chunks", [])?;
        }
        DocSave::Append(bytes) if bytes.is_empty() => {}
        DocSave::Append(bytes) => {
            tx.execute("INSERT INTO share_doc_chunks (bytes) VALUES (?1)", [bytes])?;
        }
    }
    Ok(())
}

fn set_synced(tx: &Transaction<'_>, items: &[(Kind, String, Option<i64>)], by: &str, at: &str) -> Result<()> {
    let mut put = tx.prepare_cached(
        "INSERT INTO share_synced (kind, key, hash, by, at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (kind, key) DO UPDATE SET hash = excluded.hash, by = excluded.by, at = excluded.at",
    )?;
    let mut del = tx.prepare_cached("DELETE FROM share_synced WHERE kind = ?1 AND key = ?2")?;
    for (kind, key, hash) in items {
        match hash {
            Some(h) => put.execute(params![kind.as_str(), key, h, by, at])?,
            None => del.execute(params![kind.as_str(), key])?,
        };
    }
    Ok(())
}

fn set_synced_plain(tx: &Transaction<'_>, items: &[(Kind, String, Option<i64>)]) -> Result<()> {
    let mut put = tx.prepare_cached(
        "INSERT INTO share_synced (kind, key, hash) VALUES (?1, ?2, ?3) \
         ON CONFLICT (kind, key) DO UPDATE SET hash = excluded.hash",
    )?;
    let mut del = tx.prepare_cached("DELETE FROM share_synced WHERE kind = ?1 AND key = ?2")?;
    for (kind, key, hash) in items {
        match hash {
            Some(h) => put.execute(params![kind.as_str(), key, h])?,
            None => del.execute(params![kind.as_str(), key])?,
        };
    }
    Ok(())
}

/// Writes one shared item (or its deletion) into the library.
fn apply(
    tx: &Transaction<'_>,
    lookups: &mut Lookups,
    kind: Kind,
    key: &str,
    item: Option<&Item>,
    now: DateTime<Utc>,
) -> Result<Applied> {
    let now_s = rfc3339(now);
    match (kind, item) {
        // Only web feeds travel (see `local_items`): a file URL from the folder, written by an
        // older build or by hand, is never subscribed to or unsubscribed from here.
        (Kind::Subscription, None) if !is_web_feed(key) => {}
        (_, Some(Item::Subscription { url })) if !is_web_feed(url) => {}
        (Kind::Subscription, None) => {
            tx.prepare_cached("UPDATE podcasts SET subscribed = 0 WHERE feed_url = ?1")?
                .execute([key])?;
        }
        (_, Some(Item::Subscription { url })) => {
            let n = tx
                .prepare_cached("UPDATE podcasts SET subscribed = 1 WHERE feed_url = ?1")?
                .execute([url])?;
            if n == 0 {
                // The next refresh fetches its episodes.
                tx.prepare_cached("INSERT INTO podcasts (feed_url, title, added_at) VALUES (?1, ?1, ?2)")?
                    .execute(params![url, now_s])?;
            }
        }
        (Kind::Bookmark, None) => {
            tx.prepare_cached("DELETE FROM bookmarks WHERE uid = ?1")?
                .execute([key])?;
        }
        (_, Some(Item::Bookmark(b))) => {
            let Some(episode) = lookups.episode(tx, &b.feed, &b.guid)? else {
                return Ok(Applied::Waiting);
            };
            let id: Option<i64> = tx
                .prepare_cached("SELECT id FROM bookmarks WHERE uid = ?1")?
                .query_row([key], |r| r.get(0))
                .optional()?;
            let (id, fresh) = match id {
                Some(id) => {
                    tx.prepare_cached(
                        "UPDATE bookmarks SET episode_id = ?2, start_secs = ?3, end_secs = ?4, title = ?5, note = ?6, \
                         updated = ?7 WHERE id = ?1",
                    )?
                    .execute(params![id, episode, b.start, b.end, b.title, b.note, now_s])?;
                    (id, false)
                }
                None => {
                    tx.prepare_cached(
                        "INSERT INTO bookmarks (uid, episode_id, start_secs, end_secs, title, note, created, updated) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                    )?
                    .execute(params![key, episode, b.start, b.end, b.title, b.note, now_s])?;
                    (tx.last_insert_rowid(), true)
                }
            };
            set_tags_with(tx, id, &b.tags, fresh, &mut |name| lookups.tag(tx, name))?;
        }
        // Removing a blog is not something this library does (its documents and links stay), so
        // a removal from the folder changes nothing; a new blog is kept here and its archive read
        // by the next refresh. Only web addresses: a file URL never names a path here.
        (Kind::Source, None) => {}
        (_, Some(Item::Source(src))) => {
            if !is_web_feed(&src.url) {
                return Ok(Applied::Done);
            }
            let collection: Option<i64> = match usable_campaign(&src.campaign) {
                Some(name) => {
                    tx.prepare_cached(
                        "INSERT OR IGNORE INTO collections (name, kind, created_at) VALUES (?1, 'campaign', ?2)",
                    )?
                    .execute(params![name, now_s])?;
                    tx.prepare_cached("SELECT id FROM collections WHERE name = ?1")?
                        .query_row([name], |r| r.get(0))
                        .optional()?
                }
                _ => None,
            };
            tx.prepare_cached(
                "INSERT INTO sources (home_url, collection_id, added_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (home_url) DO UPDATE SET collection_id = COALESCE(excluded.collection_id, collection_id)",
            )?
            .execute(params![src.url, collection, now_s])?;
        }
        (Kind::Page, None) => {}
        // A collection is never removed through the archive (as blogs and pages are not); its
        // members are, one by one, inside the item.
        (Kind::Collection, None) => {}
        (_, Some(Item::Collection(c))) => super::members::apply_collection(tx, c, now)?,
        (_, Some(Item::Page(page))) => {
            if document_id(tx, &page.url)?.is_none() && is_web_feed(&page.url) {
                let campaign = usable_campaign(&page.campaign);
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO pages_to_fetch (url, campaign, added_at) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![page.url, campaign, now_s])?;
            }
        }
        (Kind::Tag, None) => {
            // Gone there: taken off here too (a thing or tag this library lacks has nothing to remove).
            let Some(t) = tag_from_key(key) else {
                return Ok(Applied::Done);
            };
            if let Some((table, column, id)) = tag_target(tx, lookups, &t)? {
                tx.prepare_cached(&format!(
                    "DELETE FROM {table} WHERE {column} = ?1 AND tag_id = (SELECT id FROM tags WHERE name = ?2)"
                ))?
                .execute(params![id, t.name])?;
            }
        }
        (_, Some(Item::Tag(t))) => {
            // Tags are made by the same rules everywhere; one that breaks them came from a
            // damaged or hostile file and is left out.
            if t.name.trim().is_empty() || t.name.chars().count() > 100 || t.name.chars().any(char::is_control) {
                return Ok(Applied::Done);
            }
            let Some((table, column, id)) = tag_target(tx, lookups, t)? else {
                return Ok(Applied::Waiting);
            };
            let tag = lookups.tag(tx, &t.name)?;
            tx.prepare_cached(&format!(
                "INSERT OR IGNORE INTO {table} ({column}, tag_id) VALUES (?1, ?2)"
            ))?
            .execute(params![id, tag])?;
        }
        (Kind::Decision, None) => {
            let mut parts = key.split('\n');
            let (Some(feed), Some(guid), Some(url)) = (parts.next(), parts.next(), parts.next()) else {
                return Ok(Applied::Done);
            };
            let Some(episode) = lookups.episode(tx, feed, guid)? else {
                return Ok(Applied::Done);
            };
            tx.prepare_cached(
                "DELETE FROM links WHERE episode_id = ?1 AND kind = 'manual' \
                 AND document_id = (SELECT id FROM documents WHERE url = ?2)",
            )?
            .execute(params![episode, url])?;
            tx.prepare_cached(
                "UPDATE links SET decided = 0, state = 'suggested', updated_at = ?3 WHERE episode_id = ?1 \
                 AND document_id = (SELECT id FROM documents WHERE url = ?2)",
            )?
            .execute(params![episode, url, now_s])?;
        }
        (_, Some(Item::Decision(d))) => {
            let Some(episode) = lookups.episode(tx, &d.feed, &d.guid)? else {
                return Ok(Applied::Waiting);
            };
            let Some(document) = document_id(tx, &d.url)? else {
                return Ok(Applied::Waiting);
            };
            tx.prepare_cached(
                "INSERT INTO links (episode_id, document_id, kind, state, note, decided, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6) ON CONFLICT (episode_id, document_id) DO UPDATE SET \
                 kind = CASE WHEN excluded.kind = 'manual' THEN 'manual' ELSE links.kind END, \
                 state = excluded.state, note = excluded.note, decided = 1, updated_at = excluded.updated_at",
            )?
            .execute(params![
                episode,
                document,
                if d.manual { "manual" } else { "suggested" },
                d.state,
                d.note,
                now_s
            ])?;
        }
    }
    Ok(Applied::Done)
}

/// (URL, campaign) rows from `sql`, keeping only web addresses: a file URL never travels.
fn web_addresses(conn: &rusqlite::Connection, sql: &str) -> Result<Vec<SharedSource>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| {
        Ok(SharedSource {
            url: r.get(0)?,
            campaign: r.get(1)?,
        })
    })?;
    let mut out = Vec::new();
    for row in rows {
        let src = row?;
        if is_web_feed(&src.url) {
            out.push(src);
        }
    }
    Ok(out)
}

/// A campaign name from the folder, if it is one a person could have made (not blank, not huge).
fn usable_campaign(campaign: &Option<String>) -> Option<&str> {
    campaign
        .as_deref()
        .filter(|c| !c.trim().is_empty() && c.chars().count() <= 200)
}

/// Where a shared tag goes in this library: the episode or document's tag table and row, or
/// `None` while that episode or document is not here yet.
fn tag_target(
    tx: &Transaction<'_>,
    lookups: &mut Lookups,
    t: &SharedTag,
) -> Result<Option<(&'static str, &'static str, i64)>> {
    Ok(match (&t.feed, &t.guid, &t.url) {
        (Some(feed), Some(guid), _) => lookups
            .episode(tx, feed, guid)?
            .map(|id| ("episode_tags", "episode_id", id)),
        (_, _, Some(url)) => document_id(tx, url)?.map(|id| ("document_tags", "document_id", id)),
        _ => None,
    })
}

/// A shared tag's key read back: what it is on and the tag (lower-cased), for a removal.
fn tag_from_key(key: &str) -> Option<SharedTag> {
    let parts: Vec<&str> = key.split('\n').collect();
    match parts.as_slice() {
        ["episode", feed, guid, name] => Some(SharedTag {
            on: "episode".into(),
            feed: Some((*feed).to_owned()),
            guid: Some((*guid).to_owned()),
            url: None,
            name: (*name).to_owned(),
        }),
        ["document", url, name] => Some(SharedTag {
            on: "document".into(),
            feed: None,
            guid: None,
            url: Some((*url).to_owned()),
            name: (*name).to_owned(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn subscribed(lib: &Library) -> Vec<(String, bool)> {
        let mut stmt = lib
            .conn()
            .prepare("SELECT feed_url, subscribed FROM podcasts ORDER BY feed_url")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// A folder item naming a file on this computer, as an older build (or a hand) could write:
    /// it is neither subscribed to nor, as a removal, allowed to unsubscribe a local feed here.
    #[test]
    fn a_shared_subscription_to_a_local_file_changes_nothing_here() {
        let dir = tempfile::tempdir().unwrap();
        let mut lib = Library::open(dir.path()).unwrap();
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        lib.add_podcast("file:///home/ann/feeds/local.xml", "Local", now)
            .unwrap();
        let before = subscribed(&lib);
        assert!(!lib
            .local_items(Kind::Subscription)
            .unwrap()
            .contains_key("file:///home/ann/feeds/local.xml"));

        let tx = lib.conn_mut().transaction().unwrap();
        let passwd = Item::Subscription {
            url: "file:///etc/passwd".into(),
        };
        assert!(matches!(
            apply(
                &tx,
                &mut Lookups::default(),
                Kind::Subscription,
                "file:///etc/passwd",
                Some(&passwd),
                now
            )
            .unwrap(),
            Applied::Done
        ));
        apply(
            &tx,
            &mut Lookups::default(),
            Kind::Subscription,
            "file:///home/ann/feeds/local.xml",
            None,
            now,
        )
        .unwrap();
        tx.commit().unwrap();
        assert_eq!(subscribed(&lib), before);
    }
}

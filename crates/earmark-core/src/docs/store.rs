//! The documents and sources tables: storing what a fetch brought (one IMMEDIATE transaction per
//! batch), listing, and one document for display.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::model::{CollectionId, DocKind, DocumentDetail, DocumentId, DocumentRow, Source, SourceId, SourceMethod};
use super::NewDocument;
use crate::error::{Error, Result};
use crate::library::{rfc3339, Library};
use crate::model::{Changed, Window};

/// What storing one document did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It was not in the library.
    New,
    /// It was, with different content; it was updated in place (same id).
    Updated,
    /// It was, unchanged: nothing was written.
    Unchanged,
}

/// Which documents to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct DocQuery<'a> {
    /// Only those in this collection (by name, case-insensitive), in its order.
    pub campaign: Option<&'a str>,
    /// Only posts or only pages.
    pub kind: Option<DocKind>,
    /// Only those from this source.
    pub source: Option<SourceId>,
}

const SOURCE_SELECT: &str = "SELECT s.id, s.home_url, s.title, s.method, c.name, \
     (SELECT COUNT(*) FROM documents d WHERE d.source_id = s.id), s.last_refresh, s.high_water, s.last_error, \
     (SELECT by FROM share_synced WHERE kind = 'sources' AND key = s.home_url), \
     (SELECT at FROM share_synced WHERE kind = 'sources' AND key = s.home_url) \
     FROM sources s LEFT JOIN collections c ON c.id = s.collection_id";

fn source_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Source> {
    let method: Option<String> = r.get(3)?;
    Ok(Source {
        id: SourceId(r.get(0)?),
        home_url: r.get(1)?,
        title: r.get(2)?,
        method: method.as_deref().and_then(SourceMethod::parse),
        campaign: r.get(4)?,
        document_count: r.get(5)?,
        last_refresh: r.get(6)?,
        high_water: r.get(7)?,
        last_error: r.get(8)?,
        changed: Changed::from_row(r, 9)?,
    })
}

/// The first campaign (by name) holding a document, for list rows.
const CAMPAIGN_OF: &str = "(SELECT c.name FROM collection_documents cd JOIN collections c ON c.id = cd.collection_id \
     WHERE cd.document_id = d.id AND c.kind = 'campaign' ORDER BY c.name COLLATE NOCASE LIMIT 1)";

pub(crate) fn row_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<DocumentRow> {
    let kind: String = r.get(1)?;
    Ok(DocumentRow {
        id: DocumentId(r.get(0)?),
        kind: DocKind::parse(&kind),
        title: r.get(2)?,
        url: r.get(3)?,
        published: r.get(4)?,
        campaign: r.get(5)?,
    })
}

impl Library {
    /// Adds a blog source (or finds it by home URL), joining `collection` when given.
    pub fn source_upsert(
        &mut self,
        home_url: &str,
        collection: Option<CollectionId>,
        now: DateTime<Utc>,
    ) -> Result<SourceId> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO sources (home_url, collection_id, added_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (home_url) DO UPDATE SET collection_id = COALESCE(excluded.collection_id, collection_id)",
            params![home_url, collection.map(|c| c.0), rfc3339(now)],
        )?;
        let id = conn.query_row("SELECT id FROM sources WHERE home_url = ?1", [home_url], |r| r.get(0))?;
        Ok(SourceId(id))
    }

    /// Every blog source, in the order they were added.
    pub fn sources(&self) -> Result<Vec<Source>> {
        let mut stmt = self.conn().prepare_cached(&format!("{SOURCE_SELECT} ORDER BY s.id"))?;
        let rows = stmt.query_map([], source_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One blog source.
    pub fn source(&self, id: SourceId) -> Result<Source> {
        self.conn()
            .prepare_cached(&format!("{SOURCE_SELECT} WHERE s.id = ?1"))?
            .query_row([id.0], source_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("source {}", id.0)))
    }

    /// The collection a source's documents join, if any.
    pub(crate) fn source_collection(&self, id: SourceId) -> Result<Option<CollectionId>> {
        let c: Option<i64> = self
            .conn()
            .query_row("SELECT collection_id FROM sources WHERE id = ?1", [id.0], |r| r.get(0))?;
        Ok(c.map(CollectionId))
    }

    /// Records a successful fetch of a source: how it was read, its name, the new high-water mark.
    pub fn source_fetched(
        &mut self,
        id: SourceId,
        method: SourceMethod,
        title: &str,
        high_water: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn().execute(
            "UPDATE sources SET method = ?2, title = CASE WHEN ?3 = '' THEN title ELSE ?3 END, \
             high_water = COALESCE(?4, high_water), last_refresh = ?5, last_error = NULL WHERE id = ?1",
            params![id.0, method.as_str(), title, high_water.map(rfc3339), rfc3339(now)],
        )?;
        Ok(())
    }

    /// Records why a source's refresh failed (what was stored before stays).
    pub fn source_failed(&mut self, id: SourceId, message: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE sources SET last_error = ?2 WHERE id = ?1",
            params![id.0, message],
        )?;
        Ok(())
    }

    /// Stores documents in one transaction: new ones inserted, changed ones updated in place
    /// (matched by URL, so re-adding never duplicates), unchanged ones left alone. Each joins
    /// `collection` when given (appended to its order).
    pub fn store_documents(
        &mut self,
        source: Option<SourceId>,
        docs: &[NewDocument],
        collection: Option<CollectionId>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(DocumentId, Change)>> {
        let fetched = rfc3339(now);
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(docs.len());
        {
            let mut find = tx.prepare_cached("SELECT id, content_hash FROM documents WHERE url = ?1")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO documents (source_id, kind, url, remote_id, title, published, published_ts, modified, \
                 author, categories, tags, html_raw, html_clean, text, content_hash, fetched_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE documents SET source_id = COALESCE(?1, source_id), kind = ?2, remote_id = ?4, title = ?5, \
                 published = ?6, published_ts = ?7, modified = ?8, author = ?9, categories = ?10, tags = ?11, \
                 html_raw = ?12, html_clean = ?13, text = ?14, content_hash = ?15, fetched_at = ?16, last_error = NULL \
                 WHERE url = ?3",
            )?;
            let mut join = tx.prepare_cached(&format!(
                "INSERT OR IGNORE INTO collection_documents (collection_id, document_id, position) VALUES (?1, ?2, {})",
                super::collections::next_position_sql("collection_documents", "document")
            ))?;
            for d in docs {
                let hash = d.content_hash();
                let existing: Option<(i64, i64)> =
                    find.query_row([&d.url], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
                let categories = serde_json::to_string(&d.categories).unwrap_or_else(|_| "[]".into());
                let tags = serde_json::to_string(&d.tags).unwrap_or_else(|_| "[]".into());
                let values = params![
                    source.map(|s| s.0),
                    d.kind.as_str(),
                    d.url,
                    d.remote_id,
                    d.title,
                    d.published.map(rfc3339),
                    d.published.map(|p| p.timestamp()),
                    d.modified.map(rfc3339),
                    d.author,
                    categories,
                    tags,
                    d.html_raw,
                    d.html_clean,
                    d.text,
                    hash,
                    fetched,
                ];
                let (id, change) = match existing {
                    None => {
                        insert.execute(values)?;
                        (tx.last_insert_rowid(), Change::New)
                    }
                    Some((id, old)) if old != hash => {
                        update.execute(values)?;
                        (id, Change::Updated)
                    }
                    Some((id, _)) => (id, Change::Unchanged),
                };
                if let Some(c) = collection {
                    join.execute(params![c.0, id])?;
                }
                out.push((DocumentId(id), change));
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Pages a teammate shared through the team archive that this library has not read yet, with
    /// their campaign, oldest first: the next refresh reads them.
    pub fn pages_waiting(&self) -> Result<Vec<(String, Option<String>)>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT url, campaign FROM pages_to_fetch ORDER BY added_at, url")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A shared page has been read (or refused for good): it no longer waits.
    pub(crate) fn page_no_longer_waiting(&mut self, url: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM pages_to_fetch WHERE url = ?1", [url])?;
        Ok(())
    }

    /// The document stored at `url`, if any.
    pub fn document_id_by_url(&self, url: &str) -> Result<Option<DocumentId>> {
        Ok(self
            .conn()
            .query_row("SELECT id FROM documents WHERE url = ?1", [url], |r| r.get(0))
            .optional()?
            .map(DocumentId))
    }

    /// One document as lists show it.
    pub fn document_row(&self, id: DocumentId) -> Result<DocumentRow> {
        self.conn()
            .prepare_cached(&format!(
                "SELECT d.id, d.kind, d.title, d.url, d.published, {CAMPAIGN_OF} FROM documents d WHERE d.id = ?1"
            ))?
            .query_row([id.0], row_from)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("document {}", id.0)))
    }

    /// Documents, newest first (undated ones last); in a campaign's own order when listing one.
    /// Naming a campaign that does not exist is an error, not an empty list.
    pub fn documents(&self, q: &DocQuery<'_>) -> Result<Vec<DocumentRow>> {
        Ok(self.document_window(q, 0, u32::MAX)?.items)
    }

    /// One window of `documents` with the list's length, for the archive's list that loads as it
    /// scrolls; count and slice come from one read.
    pub fn document_window(&self, q: &DocQuery<'_>, offset: u64, limit: u32) -> Result<Window<DocumentRow>> {
        let tx = self.conn().unchecked_transaction()?;
        let collection: Option<(i64, String)> = match q.campaign {
            Some(name) => Some(
                tx.query_row("SELECT id, name FROM collections WHERE name = ?1", [name], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?
                .ok_or_else(|| Error::NotFound(format!("campaign {name:?}")))?,
            ),
            None => None,
        };
        let kind = q.kind.map(DocKind::as_str);
        let source = q.source.map(|s| s.0);
        let at = i64::try_from(offset).unwrap_or(i64::MAX);
        let (total, items) = match collection {
            Some((cid, name)) => {
                let total: i64 = tx.query_row(
                    "SELECT COUNT(*) FROM collection_documents cd JOIN documents d ON d.id = cd.document_id \
                     WHERE cd.collection_id = ?1 AND (?2 IS NULL OR d.kind = ?2) AND (?3 IS NULL OR d.source_id = ?3)",
                    params![cid, kind, source],
                    |r| r.get(0),
                )?;
                let mut stmt = tx.prepare_cached(
                    "SELECT d.id, d.kind, d.title, d.url, d.published, ?1 FROM collection_documents cd \
                     JOIN documents d ON d.id = cd.document_id WHERE cd.collection_id = ?2 \
                     AND (?3 IS NULL OR d.kind = ?3) AND (?4 IS NULL OR d.source_id = ?4) \
                     ORDER BY cd.position, d.id LIMIT ?5 OFFSET ?6",
                )?;
                let rows = stmt.query_map(params![name, cid, kind, source, limit, at], row_from)?;
                (total, rows.collect::<rusqlite::Result<Vec<_>>>()?)
            }
            None => {
                let total: i64 = tx.query_row(
                    "SELECT COUNT(*) FROM documents d WHERE (?1 IS NULL OR d.kind = ?1) AND (?2 IS NULL OR d.source_id = ?2)",
                    params![kind, source],
                    |r| r.get(0),
                )?;
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT d.id, d.kind, d.title, d.url, d.published, {CAMPAIGN_OF} FROM documents d \
                     WHERE (?1 IS NULL OR d.kind = ?1) AND (?2 IS NULL OR d.source_id = ?2) \
                     ORDER BY d.published_ts IS NULL, d.published_ts DESC, d.id LIMIT ?3 OFFSET ?4"
                ))?;
                let rows = stmt.query_map(params![kind, source, limit, at], row_from)?;
                (total, rows.collect::<rusqlite::Result<Vec<_>>>()?)
            }
        };
        tx.finish()?;
        Ok(Window::counted(total, offset, items))
    }

    /// One document, with its sanitised HTML, ready to show (and to read offline).
    pub fn document(&self, id: DocumentId) -> Result<DocumentDetail> {
        let conn = self.conn();
        let detail = conn
            .query_row(
                "SELECT id, kind, title, url, published, modified, author, categories, tags, source_id, html_clean, \
                 text, fetched_at, \
                 (SELECT by FROM share_synced WHERE kind = 'pages' AND key = documents.url), \
                 (SELECT at FROM share_synced WHERE kind = 'pages' AND key = documents.url) \
                 FROM documents WHERE id = ?1",
                [id.0],
                |r| {
                    let kind: String = r.get(1)?;
                    let cats: String = r.get(7)?;
                    let tags: String = r.get(8)?;
                    Ok(DocumentDetail {
                        id: DocumentId(r.get(0)?),
                        kind: DocKind::parse(&kind),
                        title: r.get(2)?,
                        url: r.get(3)?,
                        published: r.get(4)?,
                        modified: r.get(5)?,
                        author: r.get(6)?,
                        categories: serde_json::from_str(&cats).unwrap_or_default(),
                        site_tags: serde_json::from_str(&tags).unwrap_or_default(),
                        tags: Vec::new(),
                        collections: Vec::new(),
                        source_id: r.get::<_, Option<i64>>(9)?.map(SourceId),
                        html: r.get(10)?,
                        text: r.get(11)?,
                        fetched_at: r.get(12)?,
                        remote_images: 0,
                        remote_images_allowed: false,
                        changed: Changed::from_row(r, 13)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("document {}", id.0)))?;
        let mut stmt = conn.prepare_cached(
            "SELECT c.name FROM collection_documents cd JOIN collections c ON c.id = cd.collection_id \
             WHERE cd.document_id = ?1 ORDER BY c.name COLLATE NOCASE",
        )?;
        let collections = stmt
            .query_map([id.0], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(DocumentDetail {
            tags: self.document_tags(id)?,
            collections,
            ..detail
        })
    }
}

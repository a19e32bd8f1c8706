//! Shared by the link tests: a library with a podcast stored from a feed file, and documents
//! inserted with plain SQL (the linker relies only on the `documents` table, not on how the
//! blog ingest fills it).

#![allow(dead_code)] // each test file uses part of this

use std::path::Path;

use earmark_core::chrono::{DateTime, Utc};
use earmark_core::feed;
use earmark_core::library::{Library, DB_FILE};
use earmark_core::model::PodcastId;

pub fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).expect("time")
}

/// Parses and stores a feed as if it had been fetched from `url`.
pub fn store_feed(lib: &mut Library, url: &str, xml: &str) -> PodcastId {
    let base = url::Url::parse(url).expect("url");
    let parsed = feed::parse(xml.as_bytes(), &base).expect("feed parses");
    let (id, _) = lib.add_podcast(url, "", t0()).expect("add podcast");
    lib.store_feed(id, &parsed, t0()).expect("store");
    id
}

/// A document as the blog ingest would store it.
pub struct Doc<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub url: &'a str,
    pub published: Option<&'a str>,
    pub html: &'a str,
    /// JSON arrays of names, as the blog ingest stores them.
    pub categories: &'a str,
    pub tags: &'a str,
}

/// Inserts documents through a second connection to the library file; returns their ids.
pub fn insert_docs(dir: &Path, docs: &[Doc<'_>]) -> Vec<i64> {
    let mut conn = rusqlite::Connection::open(dir.join(DB_FILE)).expect("open db");
    conn.busy_timeout(std::time::Duration::from_secs(10)).expect("timeout");
    let tx = conn.transaction().expect("tx");
    let mut ids = Vec::new();
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO documents (kind, url, title, published, published_ts, html_raw, html_clean, text, \
                 categories, tags, fetched_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, '2024-01-01T00:00:00Z')",
            )
            .expect("prepare");
        for d in docs {
            let ts = d
                .published
                .and_then(|p| DateTime::parse_from_rfc3339(p).ok())
                .map(|t| t.timestamp());
            let text = earmark_core::html::to_text(d.html);
            // The linker never reads html_clean; sanitising deeply nested hostile HTML is the
            // blog ingest's concern (and slow in a debug build).
            let clean = "";
            stmt.execute(rusqlite::params![
                d.kind,
                d.url,
                d.title,
                d.published,
                ts,
                d.html,
                clean,
                text,
                d.categories,
                d.tags
            ])
            .expect("insert document");
            ids.push(tx.last_insert_rowid());
        }
    }
    tx.commit().expect("commit");
    ids
}

/// Changes a document's body, as a blog refresh would.
pub fn update_doc_html(dir: &Path, id: i64, html: &str) {
    let conn = rusqlite::Connection::open(dir.join(DB_FILE)).expect("open db");
    conn.execute(
        "UPDATE documents SET html_raw = ?2, text = ?3 WHERE id = ?1",
        rusqlite::params![id, html, earmark_core::html::to_text(html)],
    )
    .expect("update");
}

/// Gives document `id` a new title, as a refresh that found it retitled would.
pub fn update_doc_title(dir: &Path, id: i64, title: &str) {
    let conn = rusqlite::Connection::open(dir.join(DB_FILE)).expect("open db");
    conn.execute(
        "UPDATE documents SET title = ?2 WHERE id = ?1",
        rusqlite::params![id, title],
    )
    .expect("update");
}

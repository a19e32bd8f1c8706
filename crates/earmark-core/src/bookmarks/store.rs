//! Bookmarks in the library: add, edit, delete, get, and the library-wide view with its
//! filters. Every write is one `IMMEDIATE` transaction; the full-text index follows by trigger.

use chrono::{DateTime, Utc};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, TransactionBehavior};

use super::model::{
    Bookmark, BookmarkBody, BookmarkEdit, BookmarkFilter, BookmarkId, BookmarkOrder, BookmarkRow, NewBookmark,
};
use super::{uid, validate_times, BookmarkError};
use crate::error::{Error, Result};
use crate::library::{rfc3339, Library};
use crate::model::{Changed, EpisodeId, PodcastId, Window};

/// The columns every bookmark read selects, in the order [`row_from`] reads them. Tags come as
/// one string joined by U+001F (a character no one types into a tag).
const SELECT: &str = "SELECT b.id, b.episode_id, b.start_secs, b.end_secs, b.title, b.note, \
     (SELECT group_concat(t.name, char(31)) FROM bookmark_tags bt JOIN tags t ON t.id = bt.tag_id \
      WHERE bt.bookmark_id = b.id), \
     b.created, b.updated, b.uid, e.podcast_id, p.title, e.title, ss.by, ss.at \
     FROM bookmarks b LEFT JOIN share_synced ss ON ss.kind = 'bookmarks' AND ss.key = b.uid JOIN episodes e ON e.id = b.episode_id JOIN podcasts p ON p.id = e.podcast_id";

fn row_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<BookmarkRow> {
    let tags: Option<String> = r.get(6)?;
    let mut tags: Vec<String> = tags
        .map(|t| t.split('\u{1f}').map(str::to_owned).collect())
        .unwrap_or_default();
    tags.sort_by_key(|t| t.to_lowercase());
    Ok(BookmarkRow {
        bookmark: Bookmark {
            id: BookmarkId(r.get(0)?),
            episode_id: EpisodeId(r.get(1)?),
            body: BookmarkBody {
                start_secs: r.get(2)?,
                end_secs: r.get(3)?,
                title: r.get(4)?,
                note: r.get(5)?,
                tags,
                created: r.get(7)?,
                updated: r.get(8)?,
            },
        },
        uid: r.get(9)?,
        podcast_id: PodcastId(r.get(10)?),
        podcast_title: r.get(11)?,
        episode_title: r.get(12)?,
        changed: Changed::from_row(r, 13)?,
    })
}

/// Tags as stored: trimmed, empty ones dropped, the first spelling of each name kept.
pub(crate) fn clean_tags(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim();
        if !t.is_empty() && !out.iter().any(|o| o.to_lowercase() == t.to_lowercase()) {
            out.push(t.to_owned());
        }
    }
    out
}

/// The episode's length if it is in the library (`None` when it is not; `Some(None)` when its
/// length is unknown).
pub(crate) fn episode_duration(conn: &Connection, id: EpisodeId) -> Result<Option<Option<f64>>> {
    Ok(conn
        .prepare_cached("SELECT duration_secs FROM episodes WHERE id = ?1")?
        .query_row([id.0], |r| r.get::<_, Option<f64>>(0))
        .optional()?)
}

/// Replaces a bookmark's tags, looking each up by name (case-insensitive) or creating it.
pub(crate) fn set_tags(conn: &Connection, bookmark: i64, tags: &[String]) -> Result<()> {
    set_tags_with(conn, bookmark, tags, false, &mut |name| tag_id(conn, name))
}

/// [`set_tags`] with the tag ids found by `find` (a merge keeps them in memory); `fresh` says
/// the bookmark was just made, so it has no tags to take off first.
pub(crate) fn set_tags_with(
    conn: &Connection,
    bookmark: i64,
    tags: &[String],
    fresh: bool,
    find: &mut dyn FnMut(&str) -> Result<i64>,
) -> Result<()> {
    if !fresh {
        conn.prepare_cached("DELETE FROM bookmark_tags WHERE bookmark_id = ?1")?
            .execute([bookmark])?;
    }
    let mut link = conn.prepare_cached("INSERT OR IGNORE INTO bookmark_tags (bookmark_id, tag_id) VALUES (?1, ?2)")?;
    for tag in clean_tags(tags) {
        link.execute([bookmark, find(&tag)?])?;
    }
    Ok(())
}

/// The id of the tag `name` (tags are case-insensitive), made if the library has none yet.
pub(crate) fn tag_id(conn: &Connection, name: &str) -> Result<i64> {
    conn.prepare_cached("INSERT INTO tags (name) VALUES (?1) ON CONFLICT (name) DO NOTHING")?
        .execute([name])?;
    Ok(conn
        .prepare_cached("SELECT id FROM tags WHERE name = ?1")?
        .query_row([name], |r| r.get(0))?)
}

/// Reads one bookmark with its context.
pub(crate) fn read_row(conn: &Connection, id: i64) -> Result<Option<BookmarkRow>> {
    Ok(conn
        .prepare_cached(&format!("{SELECT} WHERE b.id = ?1"))?
        .query_row([id], row_from)
        .optional()?)
}

/// An RFC 3339 time normalised to the stored form (UTC, whole seconds), so string comparison
/// in SQL orders correctly.
pub(crate) fn normalise_time(what: &str, s: &str) -> Result<String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| rfc3339(t.with_timezone(&Utc)))
        .map_err(|_| {
            Error::Invalid(format!(
                "{what} {s:?} is not an RFC 3339 time (like 2024-05-01T12:00:00Z)"
            ))
        })
}

impl Library {
    /// Makes a bookmark. The episode must exist; the times must be in order and, when the
    /// episode's length is known, within it.
    pub fn add_bookmark(&mut self, new: &NewBookmark, now: DateTime<Utc>) -> Result<Bookmark> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let duration = episode_duration(&tx, new.episode_id)?.ok_or(BookmarkError::UnknownEpisode(new.episode_id.0))?;
        validate_times(new.start_secs, new.end_secs, duration)?;
        let now_s = rfc3339(now);
        tx.execute(
            "INSERT INTO bookmarks (uid, episode_id, start_secs, end_secs, title, note, created, updated) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![
                uid::new_uid(now),
                new.episode_id.0,
                new.start_secs,
                new.end_secs,
                new.title.trim(),
                new.note,
                now_s
            ],
        )?;
        let id = tx.last_insert_rowid();
        set_tags(&tx, id, &new.tags)?;
        let row = read_row(&tx, id)?.ok_or(BookmarkError::NotFound(id))?;
        tx.commit()?;
        Ok(row.bookmark)
    }

    /// Changes the fields given in `edit` and nothing else; the result is validated as a whole
    /// (moving the start past the stored end is refused).
    pub fn edit_bookmark(&mut self, id: BookmarkId, edit: &BookmarkEdit, now: DateTime<Utc>) -> Result<Bookmark> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let old = read_row(&tx, id.0)?.ok_or(BookmarkError::NotFound(id.0))?.bookmark;
        let start = edit.start_secs.unwrap_or(old.body.start_secs);
        let end = if edit.clear_end {
            None
        } else {
            edit.end_secs.or(old.body.end_secs)
        };
        let duration = episode_duration(&tx, old.episode_id)?.flatten();
        validate_times(start, end, duration)?;
        let title = edit.title.as_deref().map_or(old.body.title.as_str(), str::trim);
        let note = edit.note.as_deref().unwrap_or(&old.body.note);
        tx.execute(
            "UPDATE bookmarks SET start_secs = ?2, end_secs = ?3, title = ?4, note = ?5, updated = ?6 WHERE id = ?1",
            params![id.0, start, end, title, note, rfc3339(now)],
        )?;
        if let Some(tags) = &edit.tags {
            set_tags(&tx, id.0, tags)?;
        }
        let row = read_row(&tx, id.0)?.ok_or(BookmarkError::NotFound(id.0))?;
        tx.commit()?;
        Ok(row.bookmark)
    }

    /// Deletes a bookmark (its tags stay for other uses).
    pub fn delete_bookmark(&mut self, id: BookmarkId) -> Result<()> {
        let n = self.conn().execute("DELETE FROM bookmarks WHERE id = ?1", [id.0])?;
        if n == 0 {
            return Err(BookmarkError::NotFound(id.0).into());
        }
        Ok(())
    }

    /// One bookmark.
    pub fn bookmark(&self, id: BookmarkId) -> Result<Bookmark> {
        Ok(self.bookmark_row(id)?.bookmark)
    }

    /// One bookmark with its podcast and episode titles and its uid.
    pub fn bookmark_row(&self, id: BookmarkId) -> Result<BookmarkRow> {
        Ok(read_row(self.conn(), id.0)?.ok_or(BookmarkError::NotFound(id.0))?)
    }

    /// The library-wide bookmarks view: every bookmark that passes all the filters given, in the
    /// order asked for.
    pub fn bookmarks(&self, filter: &BookmarkFilter) -> Result<Vec<BookmarkRow>> {
        let (sql, args) = bookmarks_query(filter)?;
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), row_from)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One window of the bookmarks view (`bookmarks` with the same filter), with its length; count
    /// and slice come from one read.
    pub fn bookmark_window(&self, filter: &BookmarkFilter, offset: u64, limit: u32) -> Result<Window<BookmarkRow>> {
        let (sql, args) = bookmarks_query(filter)?;
        let tx = self.conn().unchecked_transaction()?;
        let total: i64 = tx
            .prepare_cached(&format!("SELECT COUNT(*) FROM ({sql})"))?
            .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
        let n = args.len();
        let mut stmt = tx.prepare_cached(&format!("{sql} LIMIT ?{} OFFSET ?{}", n + 1, n + 2))?;
        let mut all = args;
        all.push(i64::from(limit).into());
        all.push(i64::try_from(offset).unwrap_or(i64::MAX).into());
        let items = stmt
            .query_map(params_from_iter(all), row_from)?
            .collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        tx.finish()?;
        Ok(Window::counted(total, offset, items))
    }

    /// Every tag name used by at least one bookmark, sorted, for the view's tag filter.
    pub fn bookmark_tags(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT t.name FROM tags t WHERE EXISTS (SELECT 1 FROM bookmark_tags bt WHERE bt.tag_id = t.id) \
             ORDER BY t.name COLLATE NOCASE",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// The bookmarks view's query and its arguments for `filter`, in the order it asks for.
fn bookmarks_query(filter: &BookmarkFilter) -> Result<(String, Vec<rusqlite::types::Value>)> {
    let mut sql = String::from(SELECT);
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let mut clauses: Vec<String> = Vec::new();
    let mut arg = |v: rusqlite::types::Value| {
        args.push(v);
        format!("?{}", args.len())
    };
    if let Some(ep) = filter.episode_id {
        clauses.push(format!("b.episode_id = {}", arg(ep.0.into())));
    }
    if let Some(tag) = filter.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        clauses.push(format!(
            "b.id IN (SELECT bt.bookmark_id FROM bookmark_tags bt WHERE bt.tag_id = \
             (SELECT id FROM tags WHERE name = {}))",
            arg(tag.to_owned().into())
        ));
    }
    if let Some(q) = filter.query.as_deref().and_then(crate::search::fts_query) {
        clauses.push(format!(
            "b.id IN (SELECT rowid FROM bookmark_fts WHERE bookmark_fts MATCH {})",
            arg(q.into())
        ));
    }
    if let Some(from) = &filter.created_from {
        clauses.push(format!("b.created >= {}", arg(normalise_time("from", from)?.into())));
    }
    if let Some(to) = &filter.created_to {
        clauses.push(format!("b.created < {}", arg(normalise_time("to", to)?.into())));
    }
    if !clauses.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&clauses.join(" AND "));
    }
    sql.push_str(match filter.order {
        BookmarkOrder::Date => " ORDER BY b.created DESC, b.id DESC",
        BookmarkOrder::Episode => {
            " ORDER BY p.title COLLATE NOCASE, p.id, e.published_ts IS NULL, e.published_ts DESC, e.feed_position, e.id, \
             b.start_secs, b.id"
        }
    });
    Ok((sql, args))
}

//! Podcasts: reading them, adding one by feed URL, and noting how each refresh went.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use crate::error::{Error, Result};
use crate::model::{AutoDownload, Changed, Podcast, PodcastId};

use super::{rfc3339, Library};

const PODCAST_SELECT: &str = "SELECT p.id, p.title, p.feed_url, p.link, p.image_url, p.author, \
     (SELECT COUNT(*) FROM episodes e WHERE e.podcast_id = p.id), p.last_refresh, p.last_error, p.gone, \
     p.auto_download, p.auto_download_count, p.subscribed, \
     (SELECT by FROM share_synced WHERE kind = 'subscriptions' AND key = p.feed_url), \
     (SELECT at FROM share_synced WHERE kind = 'subscriptions' AND key = p.feed_url) FROM podcasts p";

fn podcast_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Podcast> {
    Ok(Podcast {
        id: PodcastId(r.get(0)?),
        title: r.get(1)?,
        feed_url: r.get(2)?,
        link: r.get(3)?,
        image_url: r.get(4)?,
        author: r.get(5)?,
        episode_count: r.get(6)?,
        last_refresh: r.get(7)?,
        last_error: r.get(8)?,
        gone: r.get(9)?,
        auto_download: AutoDownload::from_columns(&r.get::<_, String>(10)?, r.get(11)?),
        subscribed: r.get(12)?,
        changed: Changed::from_row(r, 13)?,
    })
}

impl Library {
    /// All podcasts, by title.
    pub fn podcasts(&self) -> Result<Vec<Podcast>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{PODCAST_SELECT} ORDER BY p.title COLLATE NOCASE, p.id"))?;
        let rows = stmt.query_map([], podcast_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One podcast.
    pub fn podcast(&self, id: PodcastId) -> Result<Podcast> {
        self.conn
            .prepare_cached(&format!("{PODCAST_SELECT} WHERE p.id = ?1"))?
            .query_row([id.0], podcast_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("podcast {}", id.0)))
    }

    /// The podcast whose feed is at `feed_url`, if subscribed.
    pub fn podcast_by_feed_url(&self, feed_url: &str) -> Result<Option<Podcast>> {
        Ok(self
            .conn
            .prepare_cached(&format!("{PODCAST_SELECT} WHERE p.feed_url = ?1"))?
            .query_row([feed_url], podcast_from_row)
            .optional()?)
    }

    /// The validators for a conditional GET of this podcast's feed.
    pub fn conditional(&self, id: PodcastId) -> Result<(Option<String>, Option<String>)> {
        Ok(self
            .conn
            .query_row("SELECT etag, last_modified FROM podcasts WHERE id = ?1", [id.0], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?)
    }

    /// Adds a podcast row for `feed_url` (no episodes yet); returns the existing one if present.
    pub fn add_podcast(&mut self, feed_url: &str, title: &str, now: DateTime<Utc>) -> Result<(PodcastId, bool)> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<i64> = tx
            .query_row("SELECT id FROM podcasts WHERE feed_url = ?1", [feed_url], |r| r.get(0))
            .optional()?;
        let out = match existing {
            Some(id) => (PodcastId(id), false),
            None => {
                tx.execute(
                    "INSERT INTO podcasts (feed_url, title, added_at) VALUES (?1, ?2, ?3)",
                    params![feed_url, title, rfc3339(now)],
                )?;
                (PodcastId(tx.last_insert_rowid()), true)
            }
        };
        tx.commit()?;
        Ok(out)
    }

    /// Records a successful check that found nothing new (HTTP 304).
    pub fn mark_checked(&mut self, id: PodcastId, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE podcasts SET last_refresh = ?2, last_error = NULL WHERE id = ?1",
            params![id.0, rfc3339(now)],
        )?;
        Ok(())
    }

    /// Records a failed refresh; the podcast's episodes are left as they were.
    pub fn mark_failed(&mut self, id: PodcastId, message: &str, gone: bool) -> Result<()> {
        self.conn.execute(
            "UPDATE podcasts SET last_error = ?2, gone = gone OR ?3 WHERE id = ?1",
            params![id.0, message, gone],
        )?;
        Ok(())
    }
}

//! Auto-download: each podcast's choice of what a refresh fetches for offline listening, and
//! the episodes that choice asks for after a refresh. The transfers themselves go through
//! [`crate::download::queue::DownloadQueue`] like any other download.

use std::str::FromStr;

use rusqlite::params;

use crate::error::{Error, Result};
use crate::library::Library;
use crate::model::{EpisodeId, PodcastId, RefreshReport, RefreshStatus};

pub use crate::model::AutoDownload;

/// The most episodes "latest N" may keep; a guard against a typo filling the disk.
pub const MAX_LATEST: u32 = 1000;

impl FromStr for AutoDownload {
    type Err = Error;

    /// `off`, `all` or `latest:N` (1 ≤ N ≤ [`MAX_LATEST`]), as the CLI takes it.
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "off" => return Ok(AutoDownload::Off),
            "all" => return Ok(AutoDownload::All),
            _ => {}
        }
        let count = s
            .strip_prefix("latest:")
            .and_then(|n| n.trim().parse::<u32>().ok())
            .filter(|n| (1..=MAX_LATEST).contains(n))
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "auto-download must be off, all or latest:N with N from 1 to {MAX_LATEST} (got {s:?})"
                ))
            })?;
        Ok(AutoDownload::Latest { count })
    }
}

/// Episodes that are already on disk, or whose enclosure the server said is gone, are never
/// asked for again by a policy.
const NOT_WANTED: &str = "EXISTS (SELECT 1 FROM downloads d WHERE d.episode_id = e.id \
     AND (d.state = 'done' OR d.missing_url = e.enclosure_url))";

/// Newest first, the order the episode lists use.
const NEWEST_FIRST: &str = "e.published_ts IS NULL, e.published_ts DESC, e.feed_position, e.id";

impl Library {
    /// Sets what refreshes download for a podcast.
    pub fn set_auto_download(&mut self, podcast: PodcastId, policy: AutoDownload) -> Result<()> {
        if let AutoDownload::Latest { count } = policy {
            if !(1..=MAX_LATEST).contains(&count) {
                return Err(Error::Invalid(format!(
                    "latest:N needs N from 1 to {MAX_LATEST} (got {count})"
                )));
            }
        }
        let (mode, count) = policy.to_columns();
        let n = self.conn().execute(
            "UPDATE podcasts SET auto_download = ?2, auto_download_count = ?3 WHERE id = ?1",
            params![podcast.0, mode, count],
        )?;
        if n == 0 {
            return Err(Error::NotFound(format!("podcast {}", podcast.0)));
        }
        Ok(())
    }

    /// The newest episode row right now. Take it just before a refresh and pass it to
    /// [`Library::auto_downloads_after_refresh`]: rows stored after it are the ones that refresh
    /// found for the first time (row ids only grow), however quickly refreshes follow each other.
    pub fn episode_watermark(&self) -> Result<EpisodeId> {
        Ok(EpisodeId(self.conn().query_row(
            "SELECT COALESCE(MAX(id), 0) FROM episodes",
            [],
            |r| r.get(0),
        )?))
    }

    /// The episodes to download after a refresh that produced `reports`, per each podcast's
    /// [`AutoDownload`] policy, newest first; `before` is [`Library::episode_watermark`] from
    /// just before the refresh. Podcasts whose refresh failed are skipped. "All" takes the
    /// episodes that refresh stored for the first time; "latest N" looks at the N newest in-feed
    /// episodes whatever the refresh found, so changing a policy takes effect at the next refresh.
    pub fn auto_downloads_after_refresh(&self, reports: &[RefreshReport], before: EpisodeId) -> Result<Vec<EpisodeId>> {
        let mut out = Vec::new();
        for r in reports.iter().filter(|r| r.status != RefreshStatus::Error) {
            let policy = self.podcast(r.podcast_id)?.auto_download;
            let ids: Vec<EpisodeId> = match policy {
                AutoDownload::Off => Vec::new(),
                AutoDownload::All if r.new == 0 => Vec::new(),
                AutoDownload::All => {
                    let sql = format!(
                        "SELECT e.id FROM episodes e WHERE e.podcast_id = ?1 AND e.in_feed = 1 \
                         AND e.enclosure_url IS NOT NULL AND e.id > ?2 AND NOT {NOT_WANTED} \
                         ORDER BY {NEWEST_FIRST}"
                    );
                    let mut stmt = self.conn().prepare_cached(&sql)?;
                    let rows = stmt.query_map(params![r.podcast_id.0, before.0], |row| Ok(EpisodeId(row.get(0)?)))?;
                    rows.collect::<rusqlite::Result<_>>()?
                }
                AutoDownload::Latest { count } => {
                    let sql = format!(
                        "SELECT e.id FROM (SELECT * FROM episodes e WHERE e.podcast_id = ?1 AND e.in_feed = 1 \
                         AND e.enclosure_url IS NOT NULL ORDER BY {NEWEST_FIRST} LIMIT ?2) e \
                         LEFT JOIN episode_state s ON s.episode_id = e.id \
                         WHERE COALESCE(s.played, 0) = 0 AND NOT {NOT_WANTED} ORDER BY {NEWEST_FIRST}"
                    );
                    let mut stmt = self.conn().prepare_cached(&sql)?;
                    let rows = stmt.query_map(params![r.podcast_id.0, i64::from(count)], |row| {
                        Ok(EpisodeId(row.get(0)?))
                    })?;
                    rows.collect::<rusqlite::Result<_>>()?
                }
            };
            out.extend(ids);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_and_print() {
        assert_eq!("off".parse::<AutoDownload>().ok(), Some(AutoDownload::Off));
        assert_eq!(" ALL ".parse::<AutoDownload>().ok(), Some(AutoDownload::All));
        assert_eq!(
            "latest:3".parse::<AutoDownload>().ok(),
            Some(AutoDownload::Latest { count: 3 })
        );
        for bad in ["", "latest", "latest:0", "latest:-1", "latest:x", "latest:1001", "some"] {
            let err = bad.parse::<AutoDownload>().expect_err(bad);
            assert_eq!(err.code(), "invalid", "{bad}");
        }
        for p in [AutoDownload::Off, AutoDownload::All, AutoDownload::Latest { count: 7 }] {
            assert_eq!(p.to_string().parse::<AutoDownload>().ok(), Some(p));
        }
        let json = serde_json::to_string(&AutoDownload::Latest { count: 2 }).unwrap_or_default();
        assert_eq!(json, r#"{"mode":"latest","count":2}"#);
        assert_eq!(
            serde_json::to_string(&AutoDownload::Off).unwrap_or_default(),
            r#"{"mode":"off"}"#
        );
    }
}

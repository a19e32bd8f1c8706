//! The library's record of downloaded media: where each episode's file is and how far its
//! download got. The transfer itself is in [`crate::download`].

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use crate::download::transfer::media_file_name;
use crate::error::{Error, Result};
use crate::library::{rfc3339, Library};
use crate::model::{DownloadRow, DownloadState, DownloadStatus, EpisodeId, PodcastId};

impl Library {
    /// The URL to fetch and the file to write for an episode's media.
    pub fn download_target(&self, id: EpisodeId) -> Result<(url::Url, PathBuf)> {
        let d = self.episode_unprepared(id)?.without_notes();
        let url = d
            .episode
            .enclosure_url
            .clone()
            .ok_or_else(|| Error::Invalid(format!("episode {} has no media file", id.0)))?;
        let url = url::Url::parse(&url).map_err(|_| Error::Invalid(format!("episode {} has a bad media URL", id.0)))?;
        let existing: Option<String> = self
            .conn()
            .query_row("SELECT file_name FROM downloads WHERE episode_id = ?1", [id.0], |r| {
                r.get(0)
            })
            .optional()?;
        let name = existing.unwrap_or_else(|| {
            media_file_name(
                &d.podcast_title,
                &d.episode.title,
                id.0,
                d.episode.enclosure_type.as_deref(),
                url.as_str(),
            )
        });
        Ok((url, self.media_path(&name)))
    }

    /// Adopts media that reached this computer another way (a stream heard to its end) as the
    /// episode's finished download, unless it already has one. `write` puts the file at the path
    /// it is given (whose folder exists) and returns its length, or `None` when it has nothing
    /// whole to write. Returns the length kept, if anything was.
    pub fn adopt_download(
        &mut self,
        id: EpisodeId,
        write: impl FnOnce(&std::path::Path) -> std::io::Result<Option<u64>>,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>> {
        if self.downloaded_file(id)?.is_some() {
            return Ok(None);
        }
        let (_, dest) = self.download_target(id)?;
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                path: dir.to_owned(),
                source,
            })?;
        }
        let Some(bytes) = write(&dest).map_err(|source| Error::Io {
            path: dest.clone(),
            source,
        })?
        else {
            return Ok(None);
        };
        self.set_download(id, DownloadState::Done, bytes, Some(bytes), None, now)?;
        Ok(Some(bytes))
    }

    /// Records how a download stands.
    pub fn set_download(
        &mut self,
        id: EpisodeId,
        state: DownloadState,
        bytes: u64,
        total: Option<u64>,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (_, dest) = self.download_target(id)?;
        let file_name = dest.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        self.conn().execute(
            "INSERT INTO downloads (episode_id, state, file_name, bytes, total, error, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (episode_id) DO UPDATE SET state = excluded.state, \
             bytes = excluded.bytes, total = excluded.total, error = excluded.error, updated_at = excluded.updated_at, \
             missing_url = NULL",
            params![
                id.0,
                state.as_str(),
                file_name,
                bytes as i64,
                total.map(|t| t as i64),
                error,
                rfc3339(now)
            ],
        )?;
        Ok(())
    }

    /// Records that the server answered 404 or 410 for the episode's enclosure at `url`: the
    /// download is `failed` with `message`, and bulk downloads ([`Library::undownloaded_episodes`],
    /// auto-download) leave it alone until the feed gives the episode another enclosure URL. An
    /// explicit download of the episode still tries once more.
    pub fn mark_media_missing(&mut self, id: EpisodeId, url: &str, message: &str, now: DateTime<Utc>) -> Result<()> {
        self.set_download(id, DownloadState::Failed, 0, None, Some(message), now)?;
        self.conn().execute(
            "UPDATE downloads SET missing_url = ?2 WHERE episode_id = ?1",
            params![id.0, url],
        )?;
        Ok(())
    }

    /// Where an episode's download stands, if it has one. A download recorded as under way
    /// while no download queue runs on this library was stopped by a killed process: it is
    /// paused (its `.part` file resumes), and says so.
    pub fn download_state(&self, id: EpisodeId) -> Result<Option<DownloadState>> {
        let state: Option<String> = self
            .conn()
            .query_row("SELECT state FROM downloads WHERE episode_id = ?1", [id.0], |r| {
                r.get(0)
            })
            .optional()?;
        let running = state.as_deref() == Some("downloading") && self.queue_running();
        Ok(state.as_deref().map(|s| shown_state(s, running)))
    }

    /// Whether a download queue (this process's or another's) works on this library now: each
    /// holds a shared lock on [`QUEUE_LOCK`] for its whole life, so an exclusive try fails.
    pub(crate) fn queue_running(&self) -> bool {
        let Ok(file) = open_queue_lock(self.dir()) else {
            return true;
        };
        match file.try_lock() {
            Ok(()) => false,
            // Held by a queue, or a system that cannot say: keep the recorded state.
            Err(_) => true,
        }
    }

    /// Downloads an earlier run left queued or under way, newest change first (the order
    /// [`Library::downloads`] lists them in).
    pub fn unfinished_downloads(&self) -> Result<Vec<EpisodeId>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT episode_id FROM downloads WHERE state IN ('queued', 'downloading') ORDER BY updated_at DESC, episode_id",
        )?;
        let rows = stmt.query_map([], |r| Ok(EpisodeId(r.get(0)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every download the library knows, newest change first.
    pub fn downloads(&self) -> Result<Vec<DownloadRow>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT episode_id, state, file_name, bytes, total, error FROM downloads ORDER BY updated_at DESC, episode_id",
        )?;
        let path_of = self.media_paths();
        let mut running: Option<bool> = None;
        let rows = stmt.query_map([], |r| {
            let state: String = r.get(1)?;
            let file: String = r.get(2)?;
            let queue_running = state == "downloading" && *running.get_or_insert_with(|| self.queue_running());
            Ok(DownloadRow {
                status: DownloadStatus {
                    episode_id: EpisodeId(r.get(0)?),
                    state: shown_state(&state, queue_running),
                    bytes: r.get::<_, i64>(3)?.max(0) as u64,
                    total: r.get::<_, Option<i64>>(4)?.map(|t| t.max(0) as u64),
                    error: r.get(5)?,
                },
                path: path_of(&file).display().to_string(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Episodes with media that is not downloaded yet, newest first: every such episode of one
    /// podcast, or (`only_new`) the ones nobody has started or finished, which is what "download
    /// everything new" means. Enclosures the server said are gone (404/410) are left out while
    /// the feed still points at the same URL, so bulk downloads do not keep asking for them.
    pub fn undownloaded_episodes(&self, podcast: Option<PodcastId>, only_new: bool) -> Result<Vec<EpisodeId>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT e.id FROM episodes e LEFT JOIN episode_state s ON s.episode_id = e.id \
             WHERE e.enclosure_url IS NOT NULL AND e.in_feed = 1 \
               AND (?1 IS NULL OR e.podcast_id = ?1) \
               AND (?2 = 0 OR (COALESCE(s.played, 0) = 0 AND COALESCE(s.position_secs, 0) = 0)) \
               AND NOT EXISTS (SELECT 1 FROM downloads d WHERE d.episode_id = e.id \
                               AND (d.state = 'done' OR d.missing_url = e.enclosure_url)) \
             ORDER BY e.published_ts DESC, e.feed_position",
        )?;
        let rows = stmt.query_map(params![podcast.map(|p| p.0), only_new], |r| Ok(EpisodeId(r.get(0)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The episode's media on this computer, if any: its finished download, or the file itself
    /// when the feed points at a local file. Playing offline, waveforms and clips all read this.
    pub fn local_media(&self, id: EpisodeId) -> Result<Option<PathBuf>> {
        if let Some(p) = self.downloaded_file(id)? {
            return Ok(Some(p));
        }
        let d = self.episode_unprepared(id)?.without_notes();
        Ok(d.episode
            .enclosure_url
            .as_deref()
            .and_then(file_url_path)
            .filter(|p| p.is_file()))
    }

    /// The finished file for an episode, if it was downloaded and is still on disk.
    pub fn downloaded_file(&self, id: EpisodeId) -> Result<Option<PathBuf>> {
        let name: Option<String> = self
            .conn()
            .query_row(
                "SELECT file_name FROM downloads WHERE episode_id = ?1 AND state = 'done'",
                [id.0],
                |r| r.get(0),
            )
            .optional()?;
        Ok(name.map(|n| self.media_path(&n)).filter(|p| p.is_file()))
    }

    /// Deletes an episode's download (the file, any partial file, and the record); the episode,
    /// its position and everything made about it stay.
    pub fn delete_download(&mut self, id: EpisodeId) -> Result<bool> {
        let name: Option<String> = self
            .conn()
            .query_row("SELECT file_name FROM downloads WHERE episode_id = ?1", [id.0], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(name) = name else { return Ok(false) };
        let path = self.media_path(&name);
        for p in [path.clone(), crate::download::transfer::part_path(&path)] {
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(Error::Io { path: p, source }),
            }
        }
        let mut meta = path.as_os_str().to_owned();
        meta.push(".part.meta");
        let _ = std::fs::remove_file(PathBuf::from(meta));
        self.conn()
            .execute("DELETE FROM downloads WHERE episode_id = ?1", [id.0])?;
        Ok(true)
    }
}

/// The file in a library folder that running download queues hold a shared lock on.
pub const QUEUE_LOCK: &str = "downloads.lock";

/// Opens (creating) the library's [`QUEUE_LOCK`] file.
pub(crate) fn open_queue_lock(library_dir: &std::path::Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(library_dir.join(QUEUE_LOCK))
}

/// A stored state as the user should see it: `downloading` with no queue running is `paused`.
fn shown_state(stored: &str, queue_running: bool) -> DownloadState {
    match DownloadState::parse(stored) {
        DownloadState::Downloading if !queue_running => DownloadState::Paused,
        s => s,
    }
}

/// The path a `file://` URL names; `None` for any other address.
pub(crate) fn file_url_path(url: &str) -> Option<PathBuf> {
    url::Url::parse(url)
        .ok()
        .filter(|u| u.scheme() == "file")
        .and_then(|u| u.to_file_path().ok())
}

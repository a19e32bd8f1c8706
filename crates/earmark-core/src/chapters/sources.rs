//! Where an episode's chapters come from, read in two steps so a shell can let go of the library
//! before any network wait: [`ChapterSources::of`] reads the library (quick), [`ChapterSources::read`]
//! reads the file or fetches the document (maybe slow, never under a lock).

use std::path::PathBuf;

use url::Url;

use super::{from_id3, from_json, Chapter};
use crate::error::Result;
use crate::fetch::Fetcher;
use crate::library::Library;
use crate::model::EpisodeId;

/// The largest chapters document fetched: thousands of chapters fit in a fraction of this.
const CHAPTERS_MAX_BYTES: u64 = 4 * 1024 * 1024;

/// The places an episode's chapters may be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterSources {
    /// The episode's own media file on this computer, whose ID3 tag may hold chapters.
    pub local_file: Option<PathBuf>,
    /// The feed's `podcast:chapters` document.
    pub document: Option<String>,
    /// The feed that named the document: a remote feed may not name a local file.
    pub feed_url: String,
}

impl ChapterSources {
    /// Reads from the library where the chapters of episode `id` may be.
    pub fn of(lib: &Library, id: EpisodeId) -> Result<ChapterSources> {
        let detail = lib.episode_unprepared(id)?.without_notes();
        let feed_url = lib.podcast(detail.episode.podcast_id)?.feed_url;
        let local_file = detail
            .episode
            .enclosure_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .filter(|u| u.scheme() == "file")
            .and_then(|u| u.to_file_path().ok());
        Ok(ChapterSources {
            local_file,
            document: detail.podcast20.chapters.map(|f| f.url),
            feed_url,
        })
    }

    /// The chapters: the local file's ID3 chapters, else the document's. No chapters is an empty
    /// list; so is unreadable chapter data, which is logged, because it must never stop playback
    /// or the episode page.
    pub fn read(&self, fetcher: &Fetcher) -> Vec<Chapter> {
        if let Some(path) = &self.local_file {
            match from_id3(path) {
                Ok(found) if !found.is_empty() => return found,
                Ok(_) => {}
                Err(e) => tracing::warn!("chapters in {}: {e}", path.display()),
            }
        }
        let Some(document) = &self.document else {
            return Vec::new();
        };
        // Local or remote, through the fetcher: its size cap, deadline and the rule that a remote
        // feed cannot name a local file hold for both.
        let bytes = Url::parse(document).map_err(|e| e.to_string()).and_then(|u| {
            fetcher
                .with_max_bytes(CHAPTERS_MAX_BYTES)
                .named_by(&self.feed_url)
                .get(&u)
                .map(|f| f.body)
                .map_err(|e| e.to_string())
        });
        match bytes.and_then(|b| from_json(&b).map_err(|e| e.to_string())) {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!("chapters file {document}: {e}");
                Vec::new()
            }
        }
    }
}

//! A bookmarked segment as a clip to cut: which file, which span, which tags and which name. The
//! app's Export button and `earmark-cli clip` both cut clips; what a clip is gets decided here
//! once, and `earmark-player::clip` does the cutting.

use std::path::PathBuf;

use super::model::BookmarkId;
use super::BookmarkError;
use crate::error::Result;
use crate::library::Library;
use crate::model::EpisodeId;

/// Everything a shell needs to cut one bookmark's segment.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipRequest {
    /// The bookmark cut.
    pub bookmark: BookmarkId,
    /// Its episode.
    pub episode_id: EpisodeId,
    /// The episode's media on this computer (a finished download or a local file).
    pub source: PathBuf,
    /// Where the clip starts, seconds into the episode.
    pub start_secs: f64,
    /// Where it ends: the bookmark's end, or the end the caller gave for it.
    pub end_secs: f64,
    /// The clip's title tag: the bookmark's title, when it has one.
    pub title: Option<String>,
    /// The episode's title, for the clip's album-like tag.
    pub episode_title: String,
    /// The podcast's title, for the clip's artist-like tag.
    pub podcast_title: String,
    /// The bookmark's note, for the clip's comment, when it has one.
    pub comment: Option<String>,
}

impl ClipRequest {
    /// A file name made only from the bookmark's id and times (never its title, never anything
    /// from the network), so clips of one bookmark at other times sit side by side. `ext` is the
    /// container, `wav` or `flac`.
    pub fn file_name(&self, ext: &str) -> String {
        format!(
            "bookmark-{}-{}ms-{}ms.{ext}",
            self.bookmark.0,
            (self.start_secs * 1000.0).round() as i64,
            (self.end_secs * 1000.0).round() as i64
        )
    }
}

impl Library {
    /// What cutting bookmark `id` needs. `end` stands in for the bookmark's own end (a moment has
    /// none; the CLI lets one be given). Refused with a typed error when the bookmark is a moment
    /// with no end given, the times do not make a segment, or the episode is not on this computer.
    pub fn clip_request(&self, id: BookmarkId, end: Option<f64>) -> Result<ClipRequest> {
        let row = self.bookmark_row(id)?;
        let b = row.bookmark;
        let end_secs = end.or(b.body.end_secs).ok_or(BookmarkError::NotASegment(id.0))?;
        super::validate_times(b.body.start_secs, Some(end_secs), None)?;
        let source = self
            .local_media(b.episode_id)?
            .ok_or_else(|| BookmarkError::NotDownloaded {
                episode_id: b.episode_id.0,
                title: row.episode_title.clone(),
            })?;
        let text = |s: String| (!s.trim().is_empty()).then_some(s);
        Ok(ClipRequest {
            bookmark: id,
            episode_id: b.episode_id,
            source,
            start_secs: b.body.start_secs,
            end_secs,
            title: text(b.body.title),
            episode_title: row.episode_title,
            podcast_title: row.podcast_title,
            comment: text(b.body.note),
        })
    }
}

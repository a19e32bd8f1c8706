//! `earmark-cli clip <BOOKMARK> --out FILE.wav|.flac`: cuts a bookmarked segment out of the
//! episode's local file, sample-accurate, tagged with the episode, podcast and times.

use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, Result};
use earmark_core::bookmarks::model::BookmarkId;
use earmark_core::bookmarks::BookmarkError;
use earmark_core::{Error, Library};
use earmark_player::clip::{export_clip, ClipTags};

/// Writes the clip; `end` overrides (or supplies, for a point bookmark) the segment's end.
pub fn run(lib: &Library, bookmark: i64, out: &Path, end: Option<f64>) -> Result<()> {
    let clip = lib.clip_request(BookmarkId(bookmark), end).map_err(|e| match e {
        Error::Bookmark(BookmarkError::NotASegment(_)) => anyhow!(
            "bookmark {bookmark} is a moment, not a segment: give it an end (`earmark-cli bookmark edit {bookmark} --end …`) or pass --end"
        ),
        Error::Bookmark(BookmarkError::NotDownloaded { episode_id, title }) => {
            anyhow!("{title} is not on this computer: run `earmark-cli download {episode_id}` first")
        }
        other => other.into(),
    })?;
    let tags = ClipTags {
        title: clip.title,
        episode: Some(clip.episode_title),
        podcast: Some(clip.podcast_title),
        comment: clip.comment,
    };
    let info = export_clip(
        &clip.source,
        Duration::from_secs_f64(clip.start_secs),
        Duration::from_secs_f64(clip.end_secs),
        out,
        &tags,
    )?;
    say!(
        "Wrote {} ({} frames at {} Hz, {} channel{}) to {}",
        earmark_core::bookmarks::times::format_precise(clip.start_secs)
            + "–"
            + &earmark_core::bookmarks::times::format_precise(clip.end_secs),
        info.frames,
        info.sample_rate,
        info.channels,
        if info.channels == 1 { "" } else { "s" },
        out.display()
    );
    Ok(())
}

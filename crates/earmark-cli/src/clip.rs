//! `earmark-cli clip <BOOKMARK> --out FILE.wav|.flac`: cuts a bookmarked segment out of the
//! episode's local file, sample-accurate, tagged with the episode, podcast and times.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use earmark_core::bookmarks::model::BookmarkId;
use earmark_core::Library;
use earmark_player::clip::{export_clip, ClipTags};

/// Writes the clip; `end` overrides (or supplies, for a point bookmark) the segment's end.
pub fn run(lib: &Library, bookmark: i64, out: &Path, end: Option<f64>) -> Result<()> {
    let row = lib.bookmark_row(BookmarkId(bookmark))?;
    let b = &row.bookmark;
    let Some(end) = end.or(b.end_secs) else {
        bail!(
            "bookmark {bookmark} is a moment, not a segment: give it an end (`earmark-cli bookmark edit {bookmark} --end …`) or pass --end"
        );
    };
    let source = lib.local_media(b.episode_id)?.with_context(|| {
        format!(
            "{} is not on this computer: run `earmark-cli download {}` first",
            row.episode_title, b.episode_id.0
        )
    })?;
    let tags = ClipTags {
        title: (!b.title.trim().is_empty()).then(|| b.title.clone()),
        episode: Some(row.episode_title.clone()),
        podcast: Some(row.podcast_title.clone()),
        comment: (!b.note.trim().is_empty()).then(|| b.note.clone()),
    };
    let info = export_clip(
        &source,
        Duration::from_secs_f64(b.start_secs.max(0.0)),
        Duration::from_secs_f64(end.max(0.0)),
        out,
        &tags,
    )?;
    println!(
        "Wrote {} ({} frames at {} Hz, {} channel{}) to {}",
        earmark_core::bookmarks::times::format_precise(b.start_secs)
            + "–"
            + &earmark_core::bookmarks::times::format_precise(end),
        info.frames,
        info.sample_rate,
        info.channels,
        if info.channels == 1 { "" } else { "s" },
        out.display()
    );
    Ok(())
}

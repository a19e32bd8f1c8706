//! Podcast chapters, from the two places they come from: ID3v2 `CHAP`/`CTOC` frames inside an MP3
//! file, and Podcasting 2.0 `podcast:chapters` JSON documents. Both are read from untrusted
//! sources (a downloaded episode, a feed's URL), so every reader here is total: no panics, bounded
//! memory and time, and times, titles and links checked before the UI sees them. The navigation
//! helpers ([`current`], [`next_start`], [`previous_start`]) are kept here so the player and every
//! shell agree on what "next chapter" means.
//!
//! Choices worth knowing:
//! * Only `http://` and `https://` links survive, because the UI opens chapter links in a browser
//!   and fetches chapter images; `file:`, `javascript:` or relative links from a feed must not.
//! * JSON chapters with `"toc": false` are dropped. The spec says they are not shown in the table
//!   of contents nor used as jump points; they only change artwork or a link mid-chapter, which a
//!   [`Chapter`] has no way to mark, and keeping them would make "next chapter" stop where the
//!   publisher said it should not. They also do not end the visible chapter before them.
//! * A chapter without a title keeps an empty title; the UI numbers it.
//! * ID3 chapter images embedded as picture data are not returned (only `APIC` frames whose MIME
//!   type is `-->`, i.e. that carry a link, give an [`Chapter::image_url`]).

mod id3_tag;
mod json;
mod sources;

pub use id3_tag::{from_id3, from_id3_bytes};
pub use json::from_json;
pub use sources::ChapterSources;

use std::path::PathBuf;

/// At most this many chapters are returned; more is a broken or hostile file, and the UI's chapter
/// list must stay usable.
pub const MAX_CHAPTERS: usize = 10_000;

/// Chapter times beyond a week are nonsense (a `u32` of milliseconds reaches 49 days) and dropped.
pub const MAX_CHAPTER_SECS: f64 = 7.0 * 24.0 * 3600.0;

/// How far into a chapter "previous" goes back to that chapter's start rather than to the chapter
/// before, like a CD player.
pub const PREVIOUS_RESTARTS_AFTER_SECS: f64 = 3.0;

/// A chapter that starts within this much after the position counts as already reached, so that a
/// seek landing a few milliseconds short of a chapter start does not make "next" return the same
/// chapter again.
const NAV_TOLERANCE_SECS: f64 = 0.05;

/// Longer titles are cut (at a character boundary) so one hostile title cannot swamp the UI.
const MAX_TITLE_CHARS: usize = 500;
/// Longer links are dropped.
const MAX_URL_BYTES: usize = 4096;

/// One chapter.
///
/// Times are seconds from the start of the episode, so ID3 (milliseconds) and JSON (seconds) look
/// the same to the player.
#[derive(Debug, Clone, PartialEq)]
pub struct Chapter {
    /// Where the chapter starts; finite, `0..=MAX_CHAPTER_SECS`.
    pub start_secs: f64,
    /// Where it ends: as given when sane, else the next chapter's start, else `None` (the last
    /// chapter runs to the end of the episode).
    pub end_secs: Option<f64>,
    /// Trimmed, control characters replaced, at most 500 characters; may be empty.
    pub title: String,
    /// A web page about the chapter (`http`/`https` only).
    pub url: Option<String>,
    /// An image for the chapter (`http`/`https` only).
    pub image_url: Option<String>,
}

/// Why chapters could not be read, as a type the shells can match and explain.
#[derive(Debug, thiserror::Error)]
pub enum ChapterError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file has an ID3v2 tag, but it is damaged or of an unknown version.
    #[error("the ID3 tag is damaged: {0}")]
    Id3(String),
    /// The chapters document is not JSON at all.
    #[error("the chapters file is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// The chapters document is JSON, but not a `podcast:chapters` document.
    #[error("the chapters file is not a podcast:chapters document: {0}")]
    NotChapters(String),
    /// The chapters document is far bigger than any real one.
    #[error("the chapters file is too large ({0} bytes)")]
    TooLarge(usize),
}

/// The chapter playing at `secs` (index), for "current chapter" display and next/previous.
///
/// It is the chapter with the latest start among those that have started and not ended (starts are
/// inclusive, ends exclusive, so on a boundary the later chapter is current). `None` before the
/// first chapter, in a gap between chapters, after the last one's end, or for a NaN position. The
/// slice need not be sorted.
pub fn current(chapters: &[Chapter], secs: f64) -> Option<usize> {
    if secs.is_nan() {
        return None;
    }
    let mut best: Option<usize> = None;
    for (i, c) in chapters.iter().enumerate() {
        let playing = c.start_secs <= secs && c.end_secs.is_none_or(|end| secs < end);
        if playing && best.is_none_or(|b| c.start_secs > chapters[b].start_secs) {
            best = Some(i);
        }
    }
    best
}

/// Where "next chapter" jumps from `secs`, so every shell's next button behaves the same.
///
/// It is the first chapter start after `secs` (a start less than 50 ms ahead counts as reached, so
/// a seek that lands just short does not repeat). `None` when no chapter starts later: the shell
/// may then go to the next episode. The slice need not be sorted.
pub fn next_start(chapters: &[Chapter], secs: f64) -> Option<f64> {
    if secs.is_nan() {
        return None;
    }
    chapters
        .iter()
        .map(|c| c.start_secs)
        .filter(|start| *start > secs + NAV_TOLERANCE_SECS)
        .min_by(f64::total_cmp)
}

/// Where "previous chapter" jumps from `secs`, like a CD player: the start of the current chapter
/// if more than 3 s into it, else the start of the one before.
///
/// "Current" here is the latest chapter started (even if it has ended, so from a gap "previous"
/// goes back into the chapter before it); in the first chapter, "the one before" is its own start. `None` before the first chapter or for a NaN position: the shell may seek to
/// the beginning of the episode. The slice need not be sorted.
pub fn previous_start(chapters: &[Chapter], secs: f64) -> Option<f64> {
    if secs.is_nan() {
        return None;
    }
    let here = chapters
        .iter()
        .map(|c| c.start_secs)
        .filter(|start| *start <= secs + NAV_TOLERANCE_SECS)
        .max_by(f64::total_cmp)?;
    if secs - here > PREVIOUS_RESTARTS_AFTER_SECS {
        return Some(here);
    }
    let before = chapters
        .iter()
        .map(|c| c.start_secs)
        .filter(|start| *start < here)
        .max_by(f64::total_cmp);
    Some(before.unwrap_or(here))
}

// ---------------------------------------------------------------------------------------------

/// A time is usable when finite, not negative and not absurdly large.
fn sane_secs(secs: f64) -> Option<f64> {
    (secs.is_finite() && (0.0..=MAX_CHAPTER_SECS).contains(&secs)).then_some(secs)
}

/// Trims, turns control characters (line breaks, NULs separating ID3 values) into single spaces,
/// and caps the length.
fn clean_title(raw: &str) -> String {
    let spaced: String = raw.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let mut title = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((cut, _)) = title.char_indices().nth(MAX_TITLE_CHARS) {
        title.truncate(cut);
        title.truncate(title.trim_end().len());
    }
    title
}

/// Keeps a link only if it is a plausible absolute `http`/`https` URL.
fn clean_url(raw: &str) -> Option<String> {
    let url = raw.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    if url.is_empty() || url.len() > MAX_URL_BYTES || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let web = (lower.starts_with("http://") && url.len() > 7) || (lower.starts_with("https://") && url.len() > 8);
    web.then(|| url.to_owned())
}

/// Gives every chapter without an end the next later start among all chapters (any order).
fn fill_missing_ends(chapters: &mut [Chapter]) {
    let mut starts: Vec<f64> = chapters.iter().map(|c| c.start_secs).collect();
    starts.sort_by(f64::total_cmp);
    for c in chapters.iter_mut().filter(|c| c.end_secs.is_none()) {
        let later = starts.partition_point(|s| *s <= c.start_secs);
        c.end_secs = starts.get(later).copied();
    }
}

/// Chapters as (start, end, title), what the sources' tests compare.
#[cfg(test)]
pub(crate) fn spans(chapters: &[Chapter]) -> Vec<(f64, Option<f64>, &str)> {
    chapters
        .iter()
        .map(|c| (c.start_secs, c.end_secs, c.title.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn chapters(spans: &[(f64, Option<f64>)]) -> Vec<Chapter> {
        spans
            .iter()
            .map(|(start, end)| Chapter {
                start_secs: *start,
                end_secs: *end,
                title: format!("at {start}"),
                url: None,
                image_url: None,
            })
            .collect()
    }

    #[test]
    fn navigation_on_an_empty_list() {
        assert_eq!(current(&[], 10.0), None);
        assert_eq!(next_start(&[], 10.0), None);
        assert_eq!(previous_start(&[], 10.0), None);
    }

    #[test]
    fn current_chapter_edges() {
        let ch = chapters(&[(5.0, Some(20.0)), (20.0, Some(40.0)), (45.0, Some(60.0))]);
        assert_eq!(current(&ch, 0.0), None, "before the first chapter");
        assert_eq!(current(&ch, 5.0), Some(0), "exactly on the first start");
        assert_eq!(current(&ch, 19.999), Some(0));
        assert_eq!(current(&ch, 20.0), Some(1), "a boundary belongs to the later chapter");
        assert_eq!(current(&ch, 42.0), None, "in a gap");
        assert_eq!(current(&ch, 59.0), Some(2));
        assert_eq!(current(&ch, 60.0), None, "past the last chapter's end");
        assert_eq!(current(&ch, f64::NAN), None);
        assert_eq!(current(&ch, -1.0), None);

        let open_ended = chapters(&[(0.0, Some(10.0)), (10.0, None)]);
        assert_eq!(
            current(&open_ended, 1e6),
            Some(1),
            "the last chapter without an end never ends"
        );

        let unsorted = chapters(&[(20.0, Some(40.0)), (5.0, Some(20.0))]);
        assert_eq!(current(&unsorted, 10.0), Some(1));
        assert_eq!(current(&unsorted, 25.0), Some(0));
    }

    #[test]
    fn next_chapter_edges() {
        let ch = chapters(&[(5.0, Some(20.0)), (20.0, Some(40.0)), (45.0, Some(60.0))]);
        assert_eq!(next_start(&ch, 0.0), Some(5.0), "before the first chapter");
        assert_eq!(next_start(&ch, 5.0), Some(20.0), "on a start goes to the following one");
        assert_eq!(
            next_start(&ch, 19.98),
            Some(45.0),
            "a start a few ms ahead counts as reached"
        );
        assert_eq!(next_start(&ch, 19.9), Some(20.0));
        assert_eq!(next_start(&ch, 42.0), Some(45.0), "from a gap");
        assert_eq!(next_start(&ch, 45.0), None, "in the last chapter");
        assert_eq!(next_start(&ch, 100.0), None, "past the end");
        assert_eq!(next_start(&ch, f64::NAN), None);
    }

    #[test]
    fn previous_chapter_edges() {
        let ch = chapters(&[(5.0, Some(20.0)), (20.0, Some(40.0)), (45.0, Some(60.0))]);
        assert_eq!(previous_start(&ch, 0.0), None, "before the first chapter");
        assert_eq!(
            previous_start(&ch, 6.0),
            Some(5.0),
            "early in the first chapter restarts it"
        );
        assert_eq!(previous_start(&ch, 15.0), Some(5.0));
        assert_eq!(previous_start(&ch, 20.0), Some(5.0), "on a boundary: the one before");
        assert_eq!(
            previous_start(&ch, 19.98),
            Some(5.0),
            "just short of a start counts as on it"
        );
        assert_eq!(
            previous_start(&ch, 23.0),
            Some(5.0),
            "exactly 3 s in is not more than 3 s"
        );
        assert_eq!(
            previous_start(&ch, 23.5),
            Some(20.0),
            "more than 3 s in restarts the chapter"
        );
        assert_eq!(previous_start(&ch, 42.0), Some(20.0), "from a gap");
        assert_eq!(previous_start(&ch, 100.0), Some(45.0), "past the end");
        assert_eq!(previous_start(&ch, f64::NAN), None);
    }
}

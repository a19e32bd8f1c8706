//! Segment bookmarks: a moment (or a span) of an episode with a title, a note and tags, kept in
//! the library, searchable, and exported or imported as Markdown, CSV and JSON.
//!
//! Bookmarks belong to the person, not to the feed: a refresh never deletes an episode, and
//! deleting a download leaves the episode (and so its bookmarks) in place.

pub mod clip;
pub mod export;
pub mod model;
pub(crate) mod store;
pub mod times;
mod uid;

use crate::error_code::ErrorCode;

pub use model::{
    Bookmark, BookmarkBody, BookmarkEdit, BookmarkFilter, BookmarkId, BookmarkOrder, BookmarkRow, ImportReport,
    MissingEpisode, NewBookmark,
};

/// Why a bookmark was refused. Each variant is something the person can fix.
#[derive(Debug, thiserror::Error)]
pub enum BookmarkError {
    /// A typed time could not be read.
    #[error(transparent)]
    Time(#[from] times::TimeError),
    /// A time that is not a number (NaN or infinite), which only a program can send.
    #[error("{0} is not a finite time")]
    NotFinite(&'static str),
    /// A time before the start of the episode.
    #[error("{what} is negative ({secs} s); times count from the start of the episode")]
    Negative {
        /// `start` or `end`.
        what: &'static str,
        /// The time given.
        secs: f64,
    },
    /// The end of a segment is not after its start.
    #[error("the end ({}) must be after the start ({})", times::format_precise(*.end), times::format_precise(*.start))]
    EndNotAfterStart {
        /// Start, seconds.
        start: f64,
        /// End, seconds.
        end: f64,
    },
    /// A time past the end of an episode whose length is known.
    #[error("{what} ({}) is past the end of the episode ({})", times::format_precise(*.secs), times::format_precise(*.duration))]
    PastEnd {
        /// `start` or `end`.
        what: &'static str,
        /// The time given.
        secs: f64,
        /// The episode's length.
        duration: f64,
    },
    /// The episode is not in the library.
    #[error("episode {0} is not in the library")]
    UnknownEpisode(i64),
    /// No bookmark has this id.
    #[error("bookmark {0} not found")]
    NotFound(i64),
    /// An import file that cannot be used; nothing was imported.
    #[error("bookmark import refused, nothing was changed: {0}")]
    BadImport(String),
    /// A clip was asked of a moment: it needs an end first.
    #[error("bookmark {0} is a moment, not a segment: give it an end first")]
    NotASegment(i64),
    /// A clip was asked of an episode whose media is not on this computer.
    #[error("{title} is not on this computer: download it first")]
    NotDownloaded {
        /// The episode.
        episode_id: i64,
        /// Its title, for the message.
        title: String,
    },
}

impl BookmarkError {
    /// A short stable code for shells that match on the kind of error.
    pub fn code(&self) -> ErrorCode {
        match self {
            BookmarkError::Time(_) => ErrorCode::BadTime,
            BookmarkError::NotFinite(_) | BookmarkError::Negative { .. } => ErrorCode::BadTime,
            BookmarkError::EndNotAfterStart { .. } => ErrorCode::EndNotAfterStart,
            BookmarkError::PastEnd { .. } => ErrorCode::PastEnd,
            BookmarkError::UnknownEpisode(_) => ErrorCode::UnknownEpisode,
            BookmarkError::NotFound(_) => ErrorCode::NotFound,
            BookmarkError::BadImport(_) => ErrorCode::BadImport,
            BookmarkError::NotASegment(_) => ErrorCode::NotASegment,
            BookmarkError::NotDownloaded { .. } => ErrorCode::NotDownloaded,
        }
    }
}

/// How far past a feed's stated duration a time may go: feeds round durations to whole
/// seconds, so a moment in the last second must not be refused.
pub const DURATION_SLACK_SECS: f64 = 1.0;

/// Checks a start and optional end against each other and against the episode's length.
pub fn validate_times(start: f64, end: Option<f64>, duration: Option<f64>) -> Result<(), BookmarkError> {
    let check = |what: &'static str, secs: f64| {
        if !secs.is_finite() {
            return Err(BookmarkError::NotFinite(what));
        }
        if secs < 0.0 {
            return Err(BookmarkError::Negative { what, secs });
        }
        if let Some(d) = duration.filter(|d| d.is_finite() && *d > 0.0) {
            if secs > d + DURATION_SLACK_SECS {
                return Err(BookmarkError::PastEnd {
                    what,
                    secs,
                    duration: d,
                });
            }
        }
        Ok(())
    };
    check("start", start)?;
    if let Some(end) = end {
        check("end", end)?;
        if end <= start {
            return Err(BookmarkError::EndNotAfterStart { start, end });
        }
    }
    Ok(())
}

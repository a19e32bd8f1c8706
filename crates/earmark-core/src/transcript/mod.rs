//! Episode transcripts (`podcast:transcript`): the best file an episode offers is fetched,
//! parsed into timed cues, and stored with its raw text so it works offline. Cue text is in the
//! full-text search with its time, and the app asks for the cue at the playhead to scroll.

mod fetch;
pub mod parse;
mod store;

use crate::error_code::ErrorCode;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use fetch::{best_offer, ensure_transcript, fetch_transcript, ParsedTranscript};

/// One timed line of a transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TranscriptCue {
    /// Where the line starts, seconds (0 for HTML and text transcripts without times).
    pub start_secs: f64,
    /// Where it ends, when the file says.
    pub end_secs: Option<f64>,
    /// Who speaks, when the file says.
    pub speaker: Option<String>,
    /// What is said (plain text).
    pub text: String,
}

/// The file formats of `podcast:transcript`, best first for reading along.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    TS,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
#[strum(serialize_all = "snake_case")]
pub enum TranscriptFormat {
    /// Podcasting 2.0 JSON: timed segments with speakers.
    Json,
    /// WebVTT: timed cues, speakers in `<v>` tags.
    Vtt,
    /// SubRip: timed cues.
    Srt,
    /// HTML with `<cite>`, `<time>` and `<p>`: times are often missing.
    Html,
    /// Plain text: no times at all.
    Text,
}

impl TranscriptFormat {
    /// The word stored in the library.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Reads the stored word.
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }

    /// The format a MIME type names (parameters such as `; charset=utf-8` ignored).
    pub fn from_mime(mime: &str) -> Option<Self> {
        let m = mime.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        Some(match m.as_str() {
            "text/vtt" | "text/webvtt" => TranscriptFormat::Vtt,
            "text/html" | "application/xhtml+xml" => TranscriptFormat::Html,
            "text/plain" => TranscriptFormat::Text,
            _ if m.contains("json") => TranscriptFormat::Json,
            _ if m.contains("srt") || m.contains("subrip") => TranscriptFormat::Srt,
            _ => return None,
        })
    }

    /// The format a URL's file extension suggests.
    pub fn from_url(url: &str) -> Option<Self> {
        let path = url.split(['?', '#']).next().unwrap_or("");
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "json" => TranscriptFormat::Json,
            "vtt" => TranscriptFormat::Vtt,
            "srt" => TranscriptFormat::Srt,
            "html" | "htm" => TranscriptFormat::Html,
            "txt" => TranscriptFormat::Text,
            _ => return None,
        })
    }
}

/// What the library holds about an episode's transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StoredTranscript {
    /// Where it was fetched from.
    pub url: String,
    /// Its format.
    pub format: TranscriptFormat,
    /// When it was fetched (RFC 3339).
    pub fetched_at: String,
    /// How many cues it has.
    #[ts(type = "number")]
    pub cues: u64,
}

/// Why a transcript could not be had. A failed fetch or parse stores nothing, so an older good
/// transcript stays in place.
#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    /// The episode's feed entry has no `podcast:transcript`.
    #[error("episode {0} has no transcript in its feed")]
    NoneOffered(i64),
    /// The feed offers transcripts only in formats Earmark cannot read.
    #[error("episode {episode}'s transcript is in a format Earmark cannot read ({mime})")]
    Unsupported {
        /// The episode.
        episode: i64,
        /// The MIME types offered.
        mime: String,
    },
    /// The file was fetched but is not a readable transcript of its format.
    #[error("the {} transcript is damaged: {detail}", .format.as_str())]
    Corrupt {
        /// The format it was read as.
        format: TranscriptFormat,
        /// What is wrong, with a line or segment number where there is one.
        detail: String,
    },
}

impl TranscriptError {
    /// A short stable code for shells that match on the kind of error.
    pub fn code(&self) -> ErrorCode {
        match self {
            TranscriptError::NoneOffered(_) => ErrorCode::NoTranscript,
            TranscriptError::Unsupported { .. } => ErrorCode::TranscriptUnsupported,
            TranscriptError::Corrupt { .. } => ErrorCode::TranscriptCorrupt,
        }
    }
}

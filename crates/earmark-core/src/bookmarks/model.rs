//! The bookmark records the shells print and send to the UI. `Bookmark`'s field names are the
//! `earmark-cli bookmarks --json` contract.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{Changed, EpisodeId, PodcastId};

/// A bookmark's row id, typed so it cannot be mixed up with an episode's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BookmarkId(#[ts(type = "number")] pub i64);

/// A moment (no end) or a segment of an episode that someone wanted to keep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Bookmark {
    /// Row id.
    pub id: BookmarkId,
    /// The episode it marks.
    pub episode_id: EpisodeId,
    /// What it says; its fields sit beside `id` in the JSON.
    #[serde(flatten)]
    pub body: BookmarkBody,
}

/// What a bookmark says, in this library or in an export file: the two carry the same fields,
/// and an import compares them field by field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct BookmarkBody {
    /// Where it starts, seconds from the start of the episode.
    pub start_secs: f64,
    /// Where it ends; null for a point.
    pub end_secs: Option<f64>,
    /// A short title.
    pub title: String,
    /// A longer note (plain text).
    pub note: String,
    /// Tags, sorted by name (case-insensitive).
    pub tags: Vec<String>,
    /// When it was made (RFC 3339, UTC).
    pub created: String,
    /// When it last changed (RFC 3339, UTC): on import, the newer side wins.
    pub updated: String,
}

/// A bookmark as the library-wide view shows it: with where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BookmarkRow {
    /// The bookmark.
    pub bookmark: Bookmark,
    /// Its stable id across export and import.
    pub uid: String,
    /// The episode's podcast.
    pub podcast_id: PodcastId,
    /// The podcast's title.
    pub podcast_title: String,
    /// The episode's title.
    pub episode_title: String,
    /// In a shared archive: who changed it last, and when.
    #[serde(flatten)]
    pub changed: Changed,
}

/// What the person gives to make a bookmark (times already parsed, see [`super::times`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NewBookmark {
    /// The episode.
    pub episode_id: EpisodeId,
    /// Start, seconds.
    pub start_secs: f64,
    /// End, seconds; none for a point.
    pub end_secs: Option<f64>,
    /// Title.
    pub title: String,
    /// Note.
    #[serde(default)]
    pub note: String,
    /// Tags (looked up or created by name, case-insensitively).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A partial change: only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BookmarkEdit {
    /// New start.
    #[serde(default)]
    pub start_secs: Option<f64>,
    /// New end (makes a point a segment, or moves the end).
    #[serde(default)]
    pub end_secs: Option<f64>,
    /// Turns a segment into a point (wins over `end_secs`).
    #[serde(default)]
    pub clear_end: bool,
    /// New title.
    #[serde(default)]
    pub title: Option<String>,
    /// New note.
    #[serde(default)]
    pub note: Option<String>,
    /// New tags, replacing all the old ones.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

/// How the library-wide view is sorted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BookmarkOrder {
    /// Newest first (by when they were made).
    #[default]
    Date,
    /// Grouped by podcast and episode (newest episode first), then by time in the episode.
    Episode,
}

/// Which bookmarks to list. Every filter given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BookmarkFilter {
    /// Only this episode's.
    #[serde(default)]
    pub episode_id: Option<EpisodeId>,
    /// Only those with this tag (case-insensitive).
    #[serde(default)]
    pub tag: Option<String>,
    /// Only those whose title or note match these words (prefixes, all words).
    #[serde(default)]
    pub query: Option<String>,
    /// Made at or after this time (RFC 3339).
    #[serde(default)]
    pub created_from: Option<String>,
    /// Made before this time (RFC 3339).
    #[serde(default)]
    pub created_to: Option<String>,
    /// Sort order.
    #[serde(default)]
    pub order: BookmarkOrder,
}

/// An episode named by an import file that this library does not have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MissingEpisode {
    /// The feed the episode belongs to.
    pub podcast_feed_url: String,
    /// Its guid in that feed.
    pub guid: String,
    /// Its title as exported.
    pub title: String,
    /// How many bookmarks of the file point at it (none of them imported).
    #[ts(type = "number")]
    pub bookmarks: u64,
}

/// What an import did (`earmark-cli bookmarks import --json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ImportReport {
    /// New bookmarks made.
    #[ts(type = "number")]
    pub added: u64,
    /// Bookmarks replaced by a newer version from the file.
    #[ts(type = "number")]
    pub updated: u64,
    /// Bookmarks already here, as new or newer than the file's.
    #[ts(type = "number")]
    pub skipped: u64,
    /// Episodes not in this library; their bookmarks were not imported.
    pub missing_episodes: Vec<MissingEpisode>,
}

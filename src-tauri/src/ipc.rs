//! Types that exist only at the IPC boundary.

use earmark_core::model::EpisodeId;
use earmark_core::ErrorCode;
use serde::Serialize;
use ts_rs::TS;

/// An error as the UI sees it: a stable code to branch on and a sentence to show.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ApiError {
    /// What kind of failure (from `earmark_core::Error::code`, or the window's own).
    pub code: ErrorCode,
    /// A sentence for the user.
    pub message: String,
}

impl From<earmark_core::Error> for ApiError {
    fn from(e: earmark_core::Error) -> Self {
        ApiError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl ApiError {
    /// An error of our own making at the boundary.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
}

/// Pushed as the `refresh-progress` event after each feed of a refresh.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RefreshProgress {
    /// Feeds finished so far.
    pub done: u32,
    /// Feeds in this refresh.
    pub total: u32,
    /// The feed just finished.
    pub title: String,
}

/// Facts about the open library for the UI's empty state and about box.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct LibraryInfo {
    /// The library folder.
    pub library_dir: String,
    /// Subscribed podcasts.
    pub podcast_count: u32,
    /// Apple Podcasts id of the podcast a new library offers.
    #[ts(type = "number")]
    pub default_podcast_id: u64,
    /// The app's version, for the About box (the same as `earmark --version`).
    pub version: String,
}

/// A change to the "up next" queue.
#[derive(Debug, Clone, serde::Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum QueueEdit {
    /// Add episodes at the end, or first with `next`.
    Add {
        /// Episode ids.
        ids: Vec<EpisodeId>,
        /// Put them first.
        next: bool,
    },
    /// Take one off.
    Remove {
        /// Episode id.
        id: EpisodeId,
    },
    /// Move one to a place (0 = first).
    Move {
        /// Episode id.
        id: EpisodeId,
        /// New index.
        index: u32,
    },
    /// Empty it.
    Clear,
}

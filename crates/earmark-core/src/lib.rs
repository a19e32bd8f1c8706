//! Earmark's domain logic: the library on disk, feeds and how they are fetched, parsed and stored,
//! search and OPML. Both the desktop app and the command-line tool are thin shells over this crate,
//! so everything a user can do is testable here without a window.
//!
//! Architecture invariant: this crate never depends on Tauri or on any UI toolkit.
#![warn(missing_docs)]

pub mod applink;
pub mod backup;
pub mod bookmarks;
pub mod chapters;
pub mod config;
pub mod docs;
pub mod download;
pub mod error;
mod error_code;
pub mod feed;
pub mod fetch;
pub mod html;
pub mod html_depth;
pub mod image_proxy;
pub mod library;
pub mod link;
pub mod local_files;
pub mod local_import;
pub mod model;
pub mod net_guard;
pub mod opml;
pub mod playable;
pub mod playlists;
pub mod queue;
pub mod refresh;
pub mod refresh_all;
pub mod remote_images;
pub mod resolve;
mod schema_check;
pub mod search;
pub mod share;
pub mod skip;
pub mod sound;
pub mod stats;
pub mod storage;
pub mod sync;
pub mod transcript;

pub use chrono;
pub use error::{Error, ErrorCode, FeedError, FetchError, Result};
pub use library::Library;

/// How many threads to spread CPU-bound work over: one per core, at most `max` (more threads than
/// that stop paying for their start-up and the memory each holds).
pub(crate) fn worker_threads(max: usize) -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(max)
}

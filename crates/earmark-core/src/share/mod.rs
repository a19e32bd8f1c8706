//! A shared team archive: what people make (subscriptions, bookmarks, link decisions, tags, blogs, pages,
//! collections with their members in order) merged
//! across libraries by Automerge, offline-first, through a shared folder (Nextcloud, Dropbox,
//! Syncthing, a network drive). Concurrent changes are resolved by the engine; this module maps
//! the library to and from one Automerge document and moves that document's changes through the
//! folder as immutable, content-addressed files.
//!
//! A sync, in order: (1) what changed here since the last sync is written into the document as
//! this library's changes and saved to the folder as one new file; (2) every file of the folder not
//! merged yet is merged; (3) the merged document is written back into the library. Writing local
//! changes before merging makes concurrent edits concurrent in the engine (two notes edited at
//! once merge as text), instead of one overwriting the other.
//!
//! Rules the engine leaves to us, decided here: a bookmark deleted on one machine and edited on
//! another at the same time is kept (losing nothing: the edit wins); of two concurrent decisions
//! on a link, the later by its own time wins, and both stay in the link's history.

mod doc;
pub(crate) use doc::Kind;
mod folder;
mod lookup;
mod members;
mod run;
mod server;
mod store;

use crate::error_code::ErrorCode;
use serde::Serialize;
use ts_rs::TS;

pub use run::{compact, create, join, leave, sync, sync_keeping, tidy, KeptDoc, TIDY_AFTER_FILES};

/// The folder format this build writes and reads.
pub const FORMAT: i64 = 1;

/// Why sharing could not go on. Nothing is written to the library before a check passes.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    /// The library shares nothing yet.
    #[error("this library is not shared: earmark-cli share create FOLDER --name NAME, or share join FOLDER")]
    NotShared,
    /// The library already shares an archive.
    #[error("this library already shares {0:?}; share leave first")]
    AlreadyShared(String),
    /// The shared folder is gone (unmounted, deleted, renamed).
    #[error("the shared folder {0} is not there any more; sharing stopped (nothing here was changed)")]
    FolderGone(String),
    /// The folder holds another archive, or is no archive.
    #[error("{0}")]
    Foreign(String),
    /// The folder was written by a newer Earmark.
    #[error("the shared folder is in format {found}; this Earmark reads up to {FORMAT}. Upgrade Earmark to share it")]
    TooNew {
        /// The format found.
        found: i64,
    },
    /// The folder holds no archive document yet (still being copied).
    #[error("the shared folder holds no archive yet; wait until it has finished syncing and try again")]
    Empty,
    /// Reading or writing the folder failed.
    #[error("the shared folder: {0}")]
    Io(String),
    /// The archive's sync server could not be reached or broke off (nothing here is lost: what
    /// changed here is sent at the next sync).
    #[error("the sync server: {0}")]
    Server(String),
    /// The sync server holds no archive at the address given.
    #[error("the sync server has no archive at {0}; check the address your team gave you")]
    NotOnServer(String),
    /// The stored document could not be read.
    #[error("the shared archive in this library is damaged ({0}); share leave and join again")]
    Damaged(String),
}

impl ShareError {
    /// A stable name for shells and JSON output.
    pub fn code(&self) -> ErrorCode {
        match self {
            ShareError::NotShared => ErrorCode::NotShared,
            ShareError::AlreadyShared(_) => ErrorCode::AlreadyShared,
            ShareError::FolderGone(_) => ErrorCode::FolderGone,
            ShareError::Foreign(_) => ErrorCode::ForeignFolder,
            ShareError::TooNew { .. } => ErrorCode::FormatTooNew,
            ShareError::Empty => ErrorCode::ShareEmpty,
            ShareError::Io(_) => ErrorCode::ShareIo,
            ShareError::Damaged(_) => ErrorCode::ShareDamaged,
            ShareError::Server(_) => ErrorCode::ShareServer,
            ShareError::NotOnServer(_) => ErrorCode::ShareEmpty,
        }
    }
}

/// Counts of one kind of item in one direction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ShareCounts {
    /// Subscriptions (feed URLs).
    pub subscriptions: u32,
    /// Bookmarks (added, edited or deleted).
    pub bookmarks: u32,
    /// Link decisions (accepted, rejected, manual).
    pub decisions: u32,
    /// Tags on episodes and documents (each tag on each thing counts once).
    pub tags: u32,
    /// Blogs whose archives are kept (by home URL, with their campaign).
    pub sources: u32,
    /// Pages added by URL (with their campaign); a teammate's next refresh reads them.
    pub pages: u32,
    /// Campaigns and topics, each with its members in order (a change of members or order counts
    /// the collection once).
    pub collections: u32,
}

/// What one sync did: the contract of `earmark-cli share sync --json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ShareReport {
    /// Items changed here and written to the folder.
    pub sent: ShareCounts,
    /// Items changed elsewhere and written into this library.
    pub received: ShareCounts,
    /// Files of the folder merged in this sync.
    pub files_merged: u32,
    /// The file this sync wrote (none when nothing changed here).
    pub file_written: Option<String>,
    /// Files skipped, each with why (half-copied, damaged, not ours); tried again or ignored.
    pub skipped: Vec<String>,
    /// Shared items waiting for something this library lacks (an episode or a post not here yet).
    pub waiting: u32,
}

/// What `earmark-cli share status --json` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ShareStatus {
    /// Whether this library shares an archive.
    pub shared: bool,
    /// The archive's name.
    pub name: Option<String>,
    /// The shared folder, or the sync server's address of the archive.
    pub folder: Option<String>,
    /// The archive lives on a sync server: `folder` is then its address, which teammates join
    /// with, rather than a folder each of them syncs a copy of. Said here so no shell re-decides it.
    pub on_server: bool,
    /// Who this library's changes are shown as made by.
    pub person: Option<String>,
    /// When the last sync finished (RFC 3339).
    pub last_sync: Option<String>,
    /// Why the last sync stopped, in words.
    pub last_error: Option<String>,
    /// Shared items this library holds, as agreed with the archive at the last sync.
    pub items: ShareCounts,
    /// Change and snapshot files in the folder.
    pub folder_files: u32,
    /// Their size in bytes.
    #[ts(type = "number")]
    pub folder_bytes: u64,
}

/// Who changed a shared item last, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Authorship {
    /// The person's name as their library gives it.
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
}

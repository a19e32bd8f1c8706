//! Listening state in step with the listener's other apps (AntennaPod, Kasts, gPodder) through the
//! gPodder sync API, as gPodder servers (gpodder.net, podsync, opodsync) and the Nextcloud
//! "gPodder Sync" app serve it. Subscriptions, play positions, played state, downloads and deletes
//! go both ways; media, bookmarks and links never leave the library this way.
//!
//! The rules: the newest action by its own time wins and an older one never moves a position back;
//! whatever changes locally is recorded in the library (triggers fill the `sync_pending_*` tables)
//! and stays there until a server has taken it, so offline changes are sent later and a resend is
//! harmless; an answer is checked whole before it touches the library.

mod http;
mod matching;
mod run;
mod secret;
mod store;
pub mod wire;

use crate::error_code::ErrorCode;
use serde::Serialize;
use ts_rs::TS;

pub use http::Server;
pub use matching::normal_url;
pub use run::{device_caption, device_id_for, host_name, login, logout, sync, LoginRequest};
pub use secret::{SecretStore, Secrets};

/// Which API a server speaks, found from its answers at login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Flavour {
    /// The gPodder API v2 (gpodder.net, podsync, opodsync, mygpo): devices, `since` counted in
    /// upload time.
    Gpodder,
    /// The Nextcloud gPodder Sync app: no devices, only play actions kept, `since` counted in the
    /// actions' own time.
    Nextcloud,
}

impl Flavour {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Flavour::Gpodder => "gpodder",
            Flavour::Nextcloud => "nextcloud",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "gpodder" => Some(Flavour::Gpodder),
            "nextcloud" => Some(Flavour::Nextcloud),
            _ => None,
        }
    }
}

/// Why a sync could not go on. Every kind keeps what waits to be sent.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// No account is set up in this library.
    #[error("no sync account: log in first (earmark-cli sync login URL --user NAME, or Settings → Sync)")]
    NotLoggedIn,
    /// The server refused the user name and password (401/403): wrong, changed or expired.
    #[error(
        "the sync server refused the login (wrong or expired password); log in again. Nothing was lost: \
         local changes wait for the next sync"
    )]
    LoginRefused,
    /// The server could not be reached, timed out or cut the answer off.
    #[error("the sync server could not be reached ({0}); local changes are kept and sent at the next sync")]
    Unreachable(String),
    /// The server failed (5xx).
    #[error("the sync server failed (HTTP {0}); local changes are kept and sent at the next sync")]
    ServerFailed(u16),
    /// Any other HTTP status.
    #[error("the sync server answered HTTP {status} for {url}")]
    Status {
        /// The status code.
        status: u16,
        /// The URL asked for (no password).
        url: String,
    },
    /// An answer that is not what the API promises (wrong types, too big, times out of range).
    #[error("the sync server's answer is not usable ({0}); nothing was changed")]
    BadAnswer(String),
    /// The URL answers neither API.
    #[error("{0} answers neither the gPodder API nor the Nextcloud gPodder Sync app; check the address")]
    NotASyncServer(String),
    /// A setting given by the user cannot be used.
    #[error("{0}")]
    Invalid(String),
    /// The password could not be stored or read.
    #[error("the sync password: {0}")]
    Secret(String),
}

impl SyncError {
    /// A stable name for shells and JSON output.
    pub fn code(&self) -> ErrorCode {
        match self {
            SyncError::NotLoggedIn => ErrorCode::NotLoggedIn,
            SyncError::LoginRefused => ErrorCode::LoginRefused,
            SyncError::Unreachable(_) => ErrorCode::Unreachable,
            SyncError::ServerFailed(_) => ErrorCode::ServerFailed,
            SyncError::Status { .. } => ErrorCode::BadStatus,
            SyncError::BadAnswer(_) => ErrorCode::BadAnswer,
            SyncError::NotASyncServer(_) => ErrorCode::NotASyncServer,
            SyncError::Invalid(_) => ErrorCode::Invalid,
            SyncError::Secret(_) => ErrorCode::Secret,
        }
    }
}

/// The account this library syncs with (never the password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Account {
    /// The server's base URL.
    pub server: String,
    /// The user name on it.
    pub user: String,
    /// This device's id on the server.
    pub device: String,
    /// The API it speaks.
    pub flavour: Flavour,
}

impl Account {
    /// The API's name in words, for messages.
    pub fn flavour_name(&self) -> &'static str {
        match self.flavour {
            Flavour::Gpodder => "gPodder",
            Flavour::Nextcloud => "Nextcloud gPodder Sync",
        }
    }
}

/// Counts in one direction of a sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SyncCounts {
    /// Subscriptions added (sent, or added here from the server).
    pub subscriptions_added: u32,
    /// Subscriptions removed.
    pub subscriptions_removed: u32,
    /// Episode actions (play, download, delete, new).
    pub actions: u32,
}

/// What one sync did: the contract of `earmark-cli sync --json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SyncReport {
    /// What went to the server.
    pub sent: SyncCounts,
    /// What came from the server.
    pub received: SyncCounts,
    /// Episodes whose position moved because of the server.
    pub positions_moved: u32,
    /// Episodes marked played, or unplayed, because of the server.
    pub played_changed: u32,
    /// Actions from the server for episodes this library does not have (yet); kept and matched
    /// again at each sync.
    pub unmatched: u32,
    /// Local changes still waiting to be sent after this sync (0 when it finished).
    pub queued: u32,
    /// Subscriptions from the server that could not be added (the feed failed), each with why;
    /// tried again at the next sync.
    pub failed_subscriptions: Vec<String>,
    /// Requests made.
    pub requests: u32,
}

/// What `earmark-cli sync status --json` and Settings show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SyncStatus {
    /// The account, when one is set up.
    pub account: Option<Account>,
    /// When the last sync finished (RFC 3339).
    pub last_sync: Option<String>,
    /// Why the last sync stopped, in words (`None` when it finished).
    pub last_error: Option<String>,
    /// Subscription changes waiting to be sent.
    pub pending_subscriptions: u32,
    /// Episode actions waiting to be sent (positions, played, downloads, deletes).
    pub pending_actions: u32,
    /// Actions from the server waiting for their episode.
    pub unmatched: u32,
}

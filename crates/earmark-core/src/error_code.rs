//! The stable codes errors carry to the shells: the window branches on them (hints, retries) and
//! `--json` prints them, so they are a contract. One list makes the Rust enum, its wire names and
//! the TypeScript union, which the UI's compiler then checks every comparison against.

macro_rules! error_codes {
    ($($(#[doc = $doc:literal])+ $variant:ident = $name:literal,)+) => {
        /// What kind of failure an error is, as the shells match on it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, ts_rs::TS)]
        #[ts(export)]
        pub enum ErrorCode {
            $($(#[doc = $doc])+ #[serde(rename = $name)] $variant,)+
        }

        impl ErrorCode {
            /// Every code, for checks that must cover them all.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The code's wire name (what JSON and the UI see).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)+
                }
            }
        }
    };
}

error_codes! {
    /// SQLite refused an operation.
    Db = "db",
    /// The library was written by a newer Earmark.
    SchemaTooNew = "schema_too_new",
    /// A file or folder could not be read or written.
    Io = "io",
    /// Not a URL Earmark can fetch.
    BadUrl = "bad_url",
    /// The server could not be reached at all.
    Offline = "offline",
    /// A public document pointed at an address on the user's own network.
    PrivateAddress = "private_address",
    /// A fetch ran out of time, or crawled.
    Timeout = "timeout",
    /// The TLS handshake failed.
    Tls = "tls",
    /// A redirect loop, or too many redirects.
    Redirects = "redirects",
    /// The answer was larger than Earmark reads.
    TooLarge = "too_large",
    /// The server says the address is gone for good.
    Gone = "gone",
    /// The server answered with an error status.
    HttpStatus = "http_status",
    /// A local file named by URL could not be read.
    File = "file",
    /// Any other fetch failure.
    Fetch = "fetch",
    /// A feed that could not be read as RSS or Atom.
    BadFeed = "bad_feed",
    /// No such item.
    NotFound = "not_found",
    /// The request itself is not acceptable.
    Invalid = "invalid",
    /// The episode has no media file.
    NoMedia = "no_media",
    /// The media cannot be played.
    NotPlayable = "not_playable",
    /// A remote feed named a file on this computer.
    LocalFileRefused = "local_file_refused",
    /// A local file the library refers to was moved or deleted.
    LocalFileMissing = "local_file_missing",
    /// A page that is not HTML.
    NotHtml = "not_html",
    /// A page with no readable content.
    NoContent = "no_content",
    /// A site's API answered something unexpected.
    BadApi = "bad_api",
    /// An OPML file that could not be read.
    Opml = "opml",
    /// The disk is full; what was there is kept.
    DiskFull = "disk_full",
    /// A download's length differs from what the server announced.
    LengthMismatch = "length_mismatch",
    /// A download keeps ending early.
    Truncated = "truncated",
    /// The server says the media file is gone.
    MediaMissing = "media_missing",
    /// An export file that is damaged or not one of ours.
    DamagedExport = "damaged_export",
    /// No sync account is set up.
    NotLoggedIn = "not_logged_in",
    /// The sync server refused the name or password.
    LoginRefused = "login_refused",
    /// The sync server could not be reached.
    Unreachable = "unreachable",
    /// The sync server failed.
    ServerFailed = "server_failed",
    /// The sync server answered with an unexpected status.
    BadStatus = "bad_status",
    /// The sync server's answer could not be read.
    BadAnswer = "bad_answer",
    /// The address is not a gPodder sync server.
    NotASyncServer = "not_a_sync_server",
    /// The password store failed.
    Secret = "secret",
    /// This library shares nothing yet.
    NotShared = "not_shared",
    /// This library already shares a folder.
    AlreadyShared = "already_shared",
    /// The shared folder is gone.
    FolderGone = "folder_gone",
    /// The folder is not an Earmark shared archive.
    ForeignFolder = "foreign_folder",
    /// The shared archive was written by a newer Earmark.
    FormatTooNew = "format_too_new",
    /// The shared folder holds nothing to join.
    ShareEmpty = "share_empty",
    /// The shared folder could not be read or written.
    ShareIo = "share_io",
    /// A file in the shared folder is damaged.
    ShareDamaged = "share_damaged",
    /// The archive's sync server could not be reached, or answered in a way it should not.
    ShareServer = "share_server",
    /// A time that cannot be read or is out of range.
    BadTime = "bad_time",
    /// A segment whose end is not after its start.
    EndNotAfterStart = "end_not_after_start",
    /// A time past the episode's end.
    PastEnd = "past_end",
    /// A bookmark for an episode the library does not have.
    UnknownEpisode = "unknown_episode",
    /// A bookmarks file that could not be imported.
    BadImport = "bad_import",
    /// A bookmark that marks a point, where a segment is needed.
    NotASegment = "not_a_segment",
    /// The episode must be downloaded first.
    NotDownloaded = "not_downloaded",
    /// The episode offers no transcript.
    NoTranscript = "no_transcript",
    /// A transcript in a format Earmark does not read.
    TranscriptUnsupported = "transcript_unsupported",
    /// A transcript that could not be read.
    TranscriptCorrupt = "transcript_corrupt",
    /// The window's: a clip could not be written.
    Clip = "clip",
    /// The window's: a waveform could not be made.
    Waveform = "waveform",
    /// The window's: a file could not be opened with the desktop's own application.
    OpenFailed = "open_failed",
    /// The player: there is no audio output device.
    NoOutput = "no_output",
    /// The player: playback failed.
    Playback = "playback",
    /// The window's: the thing asked about is still busy (a download stopping); try again soon.
    Busy = "busy",
    /// A shell's own failure that the user cannot act on.
    Internal = "internal",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lets tests and shells compare a code with its wire name directly.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;
    use std::collections::HashSet;

    #[test]
    fn wire_names_are_unique_snake_case_and_match_serde() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} twice");
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{name}");
            let json = serde_json::to_string(code).expect("serialise");
            assert_eq!(json, format!("\"{name}\""));
        }
    }
}

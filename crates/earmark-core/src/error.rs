//! Typed errors for everything the library can refuse, so shells can show a clear message and
//! tests can match the kind of failure rather than its wording.

use std::path::PathBuf;

pub use crate::error_code::ErrorCode;

/// The result type of every fallible library call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Anything a library operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite refused an operation (locked past the busy timeout, disk full, corrupt file, …).
    #[error("library database: {0}")]
    Db(#[from] rusqlite::Error),
    /// The library file was written by a newer Earmark; opening it would risk damaging it.
    #[error(
        "this library was written by a newer version of Earmark (schema {found}, this build knows up to {known}); \
         upgrade Earmark to open it. Nothing was changed."
    )]
    SchemaTooNew {
        /// The schema version found in the file.
        found: i64,
        /// The newest schema this build can read.
        known: i64,
    },
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Fetching something from the network (or a `file://` URL) failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// A document was fetched but is not a usable feed.
    #[error(transparent)]
    Feed(#[from] FeedError),
    /// The thing asked for is not in the library.
    #[error("{0} not found")]
    NotFound(String),
    /// The user's input cannot be used (with the reason).
    #[error("{0}")]
    Invalid(String),
    /// The episode is text only: its feed gives no media file.
    #[error("{0:?} has no media file: it is a text-only entry")]
    NoMedia(String),
    /// The media address is neither on this computer nor on the web (http or https).
    #[error("this episode's media address cannot be played ({url}); only downloads, local files and http(s) work")]
    NotPlayable {
        /// The enclosure URL.
        url: String,
    },
    /// A feed from the web names a file on this computer; such files are used only from feeds
    /// that are themselves local files the user chose.
    #[error("a feed from the web names a file on this computer ({url}); Earmark reads local files only for feeds that are local files")]
    LocalFileRefused {
        /// The `file:` URL.
        url: String,
    },
    /// A local file an episode plays from was moved or deleted.
    #[error("the file for this episode is gone from {path}: it was moved or deleted. Put it back, or import it again from where it is now")]
    LocalFileMissing {
        /// Where the file was.
        path: PathBuf,
    },
    /// A post, page or blog archive was fetched but could not be used.
    #[error(transparent)]
    Doc(#[from] crate::docs::DocError),
    /// An OPML file could not be read.
    #[error("OPML: {0}")]
    Opml(String),
    /// The disk is full; a partial download is kept for a later resume.
    #[error("the disk is full while writing {path}; free some space and resume")]
    DiskFull {
        /// The file being written.
        path: PathBuf,
    },
    /// An export failed its checks; nothing was imported.
    #[error("the export is damaged; nothing was imported. Bad files: {}", bad.join(", "))]
    DamagedExport {
        /// Each bad file with what is wrong with it.
        bad: Vec<String>,
    },
    /// A bookmark was refused (bad times, unknown episode, a bad import file).
    #[error(transparent)]
    Bookmark(#[from] crate::bookmarks::BookmarkError),
    /// Syncing with a gPodder server stopped (nothing waiting to be sent is lost).
    #[error(transparent)]
    Sync(#[from] crate::sync::SyncError),
    /// Sharing an archive through a folder stopped (nothing in the library was damaged).
    #[error(transparent)]
    Share(#[from] crate::share::ShareError),
    /// A transcript could not be fetched or read.
    #[error(transparent)]
    Transcript(#[from] crate::transcript::TranscriptError),
    /// The server sent more bytes than it announced.
    #[error("the download is longer than announced ({got} bytes, expected {expected}); it was discarded")]
    LengthMismatch {
        /// Bytes announced.
        expected: u64,
        /// Bytes received.
        got: u64,
    },
    /// The server says the episode's media file is not there (404) or gone for good (410).
    #[error(
        "the media file is gone from the server (HTTP {status} for {url}); it is not tried again automatically \
         until the feed gives it a new address"
    )]
    MediaMissing {
        /// 404 or 410.
        status: u16,
        /// The enclosure URL.
        url: String,
    },
    /// Every attempt ended well short of the feed's enclosure length with no length from the
    /// server to say otherwise; the partial file is kept for a later resume.
    #[error(
        "the download keeps ending early ({got} bytes; the feed says {expected}) and the server gives no length \
         to check it against; the partial file is kept, try again later"
    )]
    Truncated {
        /// Bytes the feed declared.
        expected: u64,
        /// Bytes received by the last attempt.
        got: u64,
    },
}

/// Turns an I/O failure at `path` into the library's error: a full disk becomes
/// [`Error::DiskFull`], which says what the user can do about it; anything else is [`Error::Io`]
/// with the path. Shared by every module that writes files, so they all say it the same way.
pub(crate) fn io_at(path: &std::path::Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| {
        if source.kind() == std::io::ErrorKind::StorageFull {
            Error::DiskFull { path: path.to_owned() }
        } else {
            Error::Io {
                path: path.to_owned(),
                source,
            }
        }
    }
}

impl Error {
    /// A short stable code for the kind of error, for shells that match on it (the UI, JSON output).
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Db(_) => ErrorCode::Db,
            Error::SchemaTooNew { .. } => ErrorCode::SchemaTooNew,
            Error::Io { .. } => ErrorCode::Io,
            Error::Fetch(e) => e.code(),
            Error::Feed(_) => ErrorCode::BadFeed,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::Invalid(_) => ErrorCode::Invalid,
            Error::NoMedia(_) => ErrorCode::NoMedia,
            Error::NotPlayable { .. } => ErrorCode::NotPlayable,
            Error::LocalFileRefused { .. } => ErrorCode::LocalFileRefused,
            Error::LocalFileMissing { .. } => ErrorCode::LocalFileMissing,
            Error::Doc(e) => e.code(),
            Error::Opml(_) => ErrorCode::Opml,
            Error::DiskFull { .. } => ErrorCode::DiskFull,
            Error::LengthMismatch { .. } => ErrorCode::LengthMismatch,
            Error::Truncated { .. } => ErrorCode::Truncated,
            Error::MediaMissing { .. } => ErrorCode::MediaMissing,
            Error::DamagedExport { .. } => ErrorCode::DamagedExport,
            Error::Sync(e) => e.code(),
            Error::Share(e) => e.code(),
            Error::Bookmark(e) => e.code(),
            Error::Transcript(e) => e.code(),
        }
    }
}

/// Why a fetch failed. Each variant is one thing a user can act on differently.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The text given is not a URL we can fetch.
    #[error("not a valid URL: {0}")]
    InvalidUrl(String),
    /// Only http, https and file URLs are fetched.
    #[error("unsupported URL scheme {0:?} (use http, https or file)")]
    UnsupportedScheme(String),
    /// A server redirected to something other than http or https (a `file:` URL among them):
    /// a server never decides what is read on this computer.
    #[error("{url} redirects to a {scheme:?} URL; only http and https redirects are followed")]
    RedirectScheme {
        /// The URL that redirected.
        url: String,
        /// The scheme it pointed to.
        scheme: String,
    },
    /// A document on the public web named an address on the user's own network (loopback,
    /// private, link-local), directly or through a redirect; Earmark does not go there for it.
    #[error(
        "refused to fetch {url}: a document on the public web pointed it at a loopback, private or link-local address"
    )]
    PrivateAddress {
        /// The URL refused.
        url: String,
    },
    /// The server could not be reached at all (offline, DNS, refused).
    #[error("could not connect to {host}: {detail} (are you offline?)")]
    Connect {
        /// Host name or address.
        host: String,
        /// What the network stack said.
        detail: String,
    },
    /// The server did not answer in time.
    #[error("timed out after {} waiting for {url}", human_duration(*.limit))]
    Timeout {
        /// The URL being fetched.
        url: String,
        /// The limit that was hit.
        limit: std::time::Duration,
    },
    /// The body came too slowly: the whole transfer ran past its deadline while sending less
    /// than the minimum rate (a server trickling bytes would otherwise hold a refresh for ever).
    #[error("timed out: {url} sent {} in {}, too slowly to finish", human_bytes(*.received), human_duration(*.after))]
    TooSlow {
        /// The URL being fetched.
        url: String,
        /// Bytes received before giving up.
        received: u64,
        /// How long the transfer had run.
        after: std::time::Duration,
    },
    /// The TLS handshake or certificate check failed.
    #[error("secure connection to {url} failed: {detail}")]
    Tls {
        /// The URL being fetched.
        url: String,
        /// What the TLS layer said.
        detail: String,
    },
    /// Redirects led back to a URL already visited.
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    /// More redirects than we follow.
    #[error("too many redirects (more than {0})")]
    TooManyRedirects(usize),
    /// The body is larger than we accept.
    #[error("response larger than the {} limit", human_bytes(*.limit_bytes))]
    TooLarge {
        /// The cap in bytes.
        limit_bytes: u64,
    },
    /// The server answered 410 Gone: the feed was removed for good.
    #[error("the server says this feed is gone for good (410)")]
    Gone,
    /// Any other unsuccessful HTTP status.
    #[error("server answered HTTP {status} for {url}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The URL being fetched.
        url: String,
    },
    /// Reading a local file failed.
    #[error("cannot read {path}: {detail}")]
    File {
        /// The local path.
        path: String,
        /// What the operating system said.
        detail: String,
    },
    /// Anything else the HTTP client reported.
    #[error("fetching {url} failed: {detail}")]
    Other {
        /// The URL being fetched.
        url: String,
        /// What the client said.
        detail: String,
    },
}

impl FetchError {
    /// A short stable code for the kind of failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            FetchError::InvalidUrl(_) | FetchError::UnsupportedScheme(_) | FetchError::RedirectScheme { .. } => {
                ErrorCode::BadUrl
            }
            FetchError::Connect { .. } => ErrorCode::Offline,
            FetchError::PrivateAddress { .. } => ErrorCode::PrivateAddress,
            FetchError::Timeout { .. } | FetchError::TooSlow { .. } => ErrorCode::Timeout,
            FetchError::Tls { .. } => ErrorCode::Tls,
            FetchError::RedirectLoop(_) | FetchError::TooManyRedirects(_) => ErrorCode::Redirects,
            FetchError::TooLarge { .. } => ErrorCode::TooLarge,
            FetchError::Gone => ErrorCode::Gone,
            FetchError::Status { .. } => ErrorCode::HttpStatus,
            FetchError::File { .. } => ErrorCode::File,
            FetchError::Other { .. } => ErrorCode::Fetch,
        }
    }
}

/// Why a fetched document could not be used as a feed.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The XML is broken or is not RSS/Atom.
    #[error("malformed feed: {0}")]
    Malformed(String),
    /// The document declares its own entities; we refuse these outright (entity bombs, external entities).
    #[error("feed declares XML entities (DOCTYPE with ENTITY), which Earmark refuses for safety")]
    EntitiesRefused,
    /// The document is a web page with no feed link in it.
    #[error("no podcast feed found at {0} (the page has no RSS or Atom link)")]
    NoFeedFound(String),
    /// The XML prolog names an encoding we cannot decode.
    #[error("unknown text encoding {0:?}")]
    UnknownEncoding(String),
}

fn human_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{secs:.1} s")
    }
}

fn human_bytes(n: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if n >= MB && n.is_multiple_of(MB) {
        format!("{} MB", n / MB)
    } else if n >= 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_naturally() {
        let t = |ms| {
            FetchError::Timeout {
                url: "u".into(),
                limit: std::time::Duration::from_millis(ms),
            }
            .to_string()
        };
        assert_eq!(t(500), "timed out after 500 ms waiting for u");
        assert_eq!(t(30_000), "timed out after 30 s waiting for u");
        assert_eq!(t(1_500), "timed out after 1.5 s waiting for u");
        let b = |n| FetchError::TooLarge { limit_bytes: n }.to_string();
        assert_eq!(b(50 * 1024 * 1024), "response larger than the 50 MB limit");
        assert_eq!(b(4096), "response larger than the 4.0 KB limit");
        assert_eq!(b(100), "response larger than the 100 bytes limit");
    }
}

//! The records the library hands out. These are what the CLI prints as JSON and what crosses the
//! IPC boundary to the UI, so their field names are a contract: the TypeScript types in
//! `ui/src/bindings/` are generated from them (`cargo test -p earmark-core` writes them).

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A podcast's row id, typed so it cannot be mixed up with an episode's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PodcastId(#[ts(type = "number")] pub i64);

/// An episode's row id, typed so it cannot be mixed up with a podcast's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EpisodeId(#[ts(type = "number")] pub i64);

/// One subscribed podcast as lists show it (`earmark-cli podcasts --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Podcast {
    /// Row id.
    pub id: PodcastId,
    /// Channel title (plain text).
    pub title: String,
    /// Where the feed is fetched from; follows permanent redirects.
    pub feed_url: String,
    /// The podcast's web site.
    pub link: Option<String>,
    /// Cover art URL.
    pub image_url: Option<String>,
    /// The channel author (iTunes author, else managing editor).
    pub author: Option<String>,
    /// Episodes in the library, including those no longer in the feed.
    #[ts(type = "number")]
    pub episode_count: i64,
    /// When the feed was last checked successfully (RFC 3339).
    pub last_refresh: Option<String>,
    /// The last refresh's error, if the last attempt failed.
    pub last_error: Option<String>,
    /// True once the server said 410 Gone: the feed is no longer refreshed.
    pub gone: bool,
    /// False once unsubscribed (here or on another device through sync): refresh skips it, and
    /// everything made about it stays.
    pub subscribed: bool,
    /// What refreshes download for offline listening.
    pub auto_download: AutoDownload,
    /// In a shared archive: who changed the subscription (subscribed to it) last, and when.
    #[serde(flatten)]
    pub changed: Changed,
}

/// Who changed a shared record last and when: the same pair on every list row a shared archive
/// carries (podcasts, documents, sources, collections, tags, links, bookmarks), so the app words
/// "changed by" one way. Both are `None` outside a share, or before a sync has carried the item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Changed {
    /// In a shared archive: who changed it last, as their library names them.
    #[serde(rename = "changed_by", default)]
    pub by: Option<String>,
    /// In a shared archive: when they changed it (RFC 3339).
    #[serde(rename = "changed_at", default)]
    pub at: Option<String>,
}

impl Changed {
    /// Reads the pair from two adjacent columns of a row (who, then when): every list query
    /// selects them side by side from `share_synced`.
    pub(crate) fn from_row(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Self> {
        Ok(Changed {
            by: r.get(first)?,
            at: r.get(first + 1)?,
        })
    }
}

/// A slice of a long list and the size of the whole: the app's long lists (episodes, posts and
/// pages, bookmarks) load by windows as they scroll, so a library of 100,000 episodes sends one
/// screen's worth at start, not every row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Window<T> {
    /// How many rows the list holds in all (the scroll bar's length).
    #[ts(type = "number")]
    pub total: u64,
    /// The place in the list of the first row here.
    #[ts(type = "number")]
    pub offset: u64,
    /// The rows from `offset` on, in list order; fewer than asked for at the end of the list.
    pub items: Vec<T>,
}

impl<T> Window<T> {
    /// A window from SQLite's `COUNT(*)` (an `i64`, never negative) and the rows read at `offset`.
    pub(crate) fn counted(total: i64, offset: u64, items: Vec<T>) -> Self {
        Window {
            total: u64::try_from(total).unwrap_or(0),
            offset,
            items,
        }
    }
}

/// One episode as lists show it (`earmark-cli episodes --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Episode {
    /// Row id.
    pub id: EpisodeId,
    /// The podcast it belongs to.
    pub podcast_id: PodcastId,
    /// Its identity within the podcast: the feed's guid, else enclosure URL, else link, else a hash.
    pub guid: String,
    /// Title as plain text.
    pub title: String,
    /// Publication time (RFC 3339), or null when the feed gave none or an unreadable one.
    pub published: Option<String>,
    /// Length in seconds, when the feed says.
    pub duration_secs: Option<f64>,
    /// The media file.
    pub enclosure_url: Option<String>,
    /// Its MIME type (audio or video).
    pub enclosure_type: Option<String>,
    /// Its size in bytes, as the feed claims.
    #[ts(type = "number | null")]
    pub enclosure_length: Option<i64>,
    /// The episode's web page.
    pub link: Option<String>,
    /// False once the episode has disappeared from its feed (it stays in the archive).
    pub in_feed: bool,
    /// Where the listener stopped, in seconds (0 when never started).
    pub position_secs: f64,
    /// Whether the episode counts as played (reached its end, or marked by hand).
    pub played: bool,
    /// Whether its media is downloaded and playable offline.
    pub downloaded: bool,
}

/// Everything about one episode, for its page in the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EpisodeDetail {
    /// The list fields.
    pub episode: Episode,
    /// Title of its podcast.
    pub podcast_title: String,
    /// Show notes, sanitised: safe to put into the page.
    pub notes_html: String,
    /// Episode art, else none (the UI falls back to the podcast's).
    pub image_url: Option<String>,
    /// Episode author (iTunes).
    pub author: Option<String>,
    /// iTunes episode number.
    #[ts(type = "number | null")]
    pub episode_number: Option<i64>,
    /// iTunes season number.
    #[ts(type = "number | null")]
    pub season: Option<i64>,
    /// iTunes episode type: full, trailer or bonus.
    pub episode_type: Option<String>,
    /// iTunes explicit flag.
    pub explicit: Option<bool>,
    /// Podcasting 2.0 data kept for later features.
    pub podcast20: Podcast20,
    /// Images in the notes on other servers: shown through the app's proxy, and only once
    /// `remote_images_allowed` (see `remote_images`).
    pub remote_images: u32,
    /// Whether the podcast's remote images are loaded.
    pub remote_images_allowed: bool,
}

/// The Podcasting 2.0 namespace elements of an item or channel that Earmark keeps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Podcast20 {
    /// `podcast:chapters`: a JSON chapters file.
    pub chapters: Option<LinkedFile>,
    /// `podcast:transcript` entries.
    pub transcripts: Vec<Transcript>,
    /// `podcast:soundbite` entries.
    pub soundbites: Vec<Soundbite>,
    /// `podcast:person` entries.
    pub persons: Vec<Person>,
    /// `podcast:funding` entries.
    pub funding: Vec<Funding>,
}

/// A file linked from the feed with its MIME type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LinkedFile {
    /// Absolute URL.
    pub url: String,
    /// MIME type as given.
    pub mime_type: Option<String>,
}

/// A transcript file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Transcript {
    /// Absolute URL.
    pub url: String,
    /// MIME type (SRT, WebVTT, JSON, HTML).
    pub mime_type: Option<String>,
    /// Language code.
    pub language: Option<String>,
    /// `captions` when the file is meant as captions.
    pub rel: Option<String>,
}

/// A highlight the publisher picked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Soundbite {
    /// Start, seconds.
    pub start_secs: f64,
    /// Length, seconds.
    pub duration_secs: f64,
    /// Its title, if any.
    pub title: Option<String>,
}

/// A person taking part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Person {
    /// Their name.
    pub name: String,
    /// Role (host, guest, …).
    pub role: Option<String>,
    /// Their page.
    pub href: Option<String>,
    /// Their picture.
    pub img: Option<String>,
}

/// A way to support the show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Funding {
    /// Where to give.
    pub url: String,
    /// The call to action.
    pub text: Option<String>,
}

/// What a refresh did to one feed (`earmark-cli refresh --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RefreshReport {
    /// The podcast refreshed.
    pub podcast_id: PodcastId,
    /// Its title, for messages.
    pub title: String,
    /// What happened.
    pub status: RefreshStatus,
    /// Episodes added.
    #[ts(type = "number")]
    pub new: u64,
    /// Episodes whose feed entry changed.
    #[ts(type = "number")]
    pub updated: u64,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

/// The outcome of refreshing one feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RefreshStatus {
    /// The feed was fetched and stored.
    Updated,
    /// The server said 304: nothing changed.
    NotModified,
    /// The fetch or parse failed; the library is as it was.
    Error,
}

/// What kind of thing a search hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SearchKind {
    /// An episode (title or show notes matched).
    Episode,
    /// A podcast (its title or description matched).
    Podcast,
    /// A blog post (its title or text matched).
    Post,
    /// A web page (its title or text matched).
    Page,
    /// A bookmark (its title or note matched); `at_secs` is its start.
    Bookmark,
    /// A line of an episode's transcript; `id` is the episode, `at_secs` the line's time.
    Transcript,
}

/// One search result (`earmark-cli search QUERY --json`), best first. For a bookmark, `id` is
/// the bookmark's; for a transcript line, the episode's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SearchHit {
    /// Episode, podcast, post or page.
    pub kind: SearchKind,
    /// The episode's, podcast's or document's id.
    #[ts(type = "number")]
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Matching text with the hit marked by `[` and `]`.
    pub snippet: String,
    /// Where in the episode the hit is, seconds (bookmark and transcript hits), else null.
    pub at_secs: Option<f64>,
    /// The episode a bookmark or transcript hit belongs to, else null.
    pub episode_id: Option<EpisodeId>,
}

/// The result of subscribing: the podcast and what its first fetch brought.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Subscription {
    /// The podcast as stored.
    pub podcast: Podcast,
    /// False when the feed was already in the library (it was refreshed instead).
    pub created: bool,
    /// Episodes added by this fetch.
    #[ts(type = "number")]
    pub new_episodes: u64,
}

/// Where a download stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
#[strum(serialize_all = "snake_case")]
pub enum DownloadState {
    /// Waiting its turn.
    Queued,
    /// Bytes are arriving.
    Downloading,
    /// Stopped by the user; the partial file is kept.
    Paused,
    /// Complete and verified.
    Done,
    /// Stopped by an error (see `error`); the partial file is kept where resuming makes sense.
    Failed,
}

impl DownloadState {
    /// The word stored in the library.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Reads the stored word (anything unknown reads as failed).
    pub fn parse(s: &str) -> Self {
        s.parse().unwrap_or(DownloadState::Failed)
    }
}

/// Where one episode's download stands: what a stored download and a live progress report share,
/// so the views that show both read the same fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DownloadStatus {
    /// The episode.
    pub episode_id: EpisodeId,
    /// Where it stands.
    pub state: DownloadState,
    /// Bytes on disk.
    #[ts(type = "number")]
    pub bytes: u64,
    /// Full size, when known (the server said, or the file is complete).
    #[ts(type = "number | null")]
    pub total: Option<u64>,
    /// Why it failed, in words for the user.
    pub error: Option<String>,
}

impl DownloadStatus {
    /// A status with no error: a state change, progress, or a finished file.
    pub fn new(episode_id: EpisodeId, state: DownloadState, bytes: u64, total: Option<u64>) -> Self {
        DownloadStatus {
            episode_id,
            state,
            bytes,
            total,
            error: None,
        }
    }
}

/// One download (`earmark-cli downloads --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DownloadRow {
    /// Where it stands.
    #[serde(flatten)]
    pub status: DownloadStatus,
    /// The file (complete when `state` is done).
    pub path: String,
}

/// What a refresh downloads for one podcast.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "mode", rename_all = "snake_case")]
#[ts(export)]
pub enum AutoDownload {
    /// Nothing: downloads happen only when asked for.
    #[default]
    Off,
    /// Every episode that a refresh finds for the first time.
    All,
    /// Keep the newest episodes at hand: of the `count` newest in-feed episodes, those neither
    /// downloaded nor played. Older ones are never fetched to make up the number.
    Latest {
        /// How many of the newest episodes.
        count: u32,
    },
}

impl fmt::Display for AutoDownload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AutoDownload::Off => f.write_str("off"),
            AutoDownload::All => f.write_str("all"),
            AutoDownload::Latest { count } => write!(f, "latest:{count}"),
        }
    }
}

impl AutoDownload {
    /// Builds the policy from its two columns (`podcasts.auto_download`, `auto_download_count`).
    pub(crate) fn from_columns(mode: &str, count: i64) -> Self {
        match mode {
            "all" => AutoDownload::All,
            "latest" => AutoDownload::Latest {
                count: u32::try_from(count).unwrap_or(0),
            },
            _ => AutoDownload::Off,
        }
    }

    pub(crate) fn to_columns(self) -> (&'static str, i64) {
        match self {
            AutoDownload::Off => ("off", 0),
            AutoDownload::All => ("all", 0),
            AutoDownload::Latest { count } => ("latest", i64::from(count)),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::docs::{CollectionKind, DocKind, SourceMethod};
    use crate::link::model::{LinkKind, LinkState};
    use crate::link::urls::Reference;
    use crate::sync::wire::ActionKind;
    use crate::transcript::TranscriptFormat;

    use super::DownloadState;

    /// The words are in libraries on disk and on sync servers: a derive that spelled one
    /// differently would orphan every stored row, so each is pinned here literally, along with
    /// the JSON spelling the UI reads (the same word).
    #[test]
    fn stored_words_are_the_ones_libraries_hold() {
        fn check<T>(pairs: &[(T, &str)], as_str: fn(T) -> &'static str, parse: fn(&str) -> Option<T>)
        where
            T: Copy + PartialEq + std::fmt::Debug,
        {
            for &(v, word) in pairs {
                assert_eq!(as_str(v), word);
                assert_eq!(parse(word), Some(v), "{word}");
            }
        }
        check(
            &[
                (DownloadState::Queued, "queued"),
                (DownloadState::Downloading, "downloading"),
                (DownloadState::Paused, "paused"),
                (DownloadState::Done, "done"),
                (DownloadState::Failed, "failed"),
            ],
            DownloadState::as_str,
            |s| Some(DownloadState::parse(s)),
        );
        check(
            &[
                (LinkKind::Explicit, "explicit"),
                (LinkKind::Suggested, "suggested"),
                (LinkKind::Manual, "manual"),
            ],
            LinkKind::as_str,
            |s| Some(LinkKind::parse(s)),
        );
        check(
            &[
                (LinkState::Suggested, "suggested"),
                (LinkState::Accepted, "accepted"),
                (LinkState::Rejected, "rejected"),
            ],
            LinkState::as_str,
            |s| Some(LinkState::parse(s)),
        );
        check(
            &[(DocKind::Post, "post"), (DocKind::Page, "page")],
            DocKind::as_str,
            |s| Some(DocKind::parse(s)),
        );
        check(
            &[(CollectionKind::Campaign, "campaign"), (CollectionKind::Topic, "topic")],
            CollectionKind::as_str,
            |s| Some(CollectionKind::parse(s)),
        );
        check(
            &[(SourceMethod::Rest, "rest"), (SourceMethod::Rss, "rss")],
            SourceMethod::as_str,
            SourceMethod::parse,
        );
        check(
            &[
                (TranscriptFormat::Json, "json"),
                (TranscriptFormat::Vtt, "vtt"),
                (TranscriptFormat::Srt, "srt"),
                (TranscriptFormat::Html, "html"),
                (TranscriptFormat::Text, "text"),
            ],
            TranscriptFormat::as_str,
            TranscriptFormat::parse,
        );
        check(
            &[
                (ActionKind::Play, "play"),
                (ActionKind::Download, "download"),
                (ActionKind::Delete, "delete"),
                (ActionKind::New, "new"),
            ],
            ActionKind::as_str,
            |s| s.parse().ok(),
        );
        assert_eq!(Reference::Link.as_str(), "link");
        assert_eq!(Reference::Embed.as_str(), "embed");
    }

    /// What older rows or other servers may hold reads as the documented fallback, and gPodder
    /// servers that answer in upper case are still understood.
    #[test]
    fn unknown_words_read_as_their_fallback() {
        assert_eq!(DownloadState::parse("exploded"), DownloadState::Failed);
        assert_eq!(LinkKind::parse(""), LinkKind::Suggested);
        assert_eq!(LinkState::parse("maybe"), LinkState::Suggested);
        assert_eq!(DocKind::parse("attachment"), DocKind::Page);
        assert_eq!(CollectionKind::parse("CAMPAIGN"), CollectionKind::Campaign);
        assert_eq!(SourceMethod::parse("atom"), None);
        assert_eq!(TranscriptFormat::parse("JSON"), None);
        assert_eq!("PLAY".parse::<ActionKind>().ok(), Some(ActionKind::Play));
        assert_eq!("Delete".parse::<ActionKind>().ok(), Some(ActionKind::Delete));
    }
}

//! What to play for an episode, and from where in it: the one decision the app and the CLI
//! both make before they hand anything to the player, so the two cannot disagree.

use std::path::PathBuf;

use rusqlite::OptionalExtension;

use crate::download::records::file_url_path;
use crate::error::{Error, Result};
use crate::library::{Library, STATE_JOIN};
use crate::local_files;
use crate::model::EpisodeId;

/// Within this many seconds of the end an episode counts as played: finishing there marks it
/// played, and opening it again starts from the top rather than at its closing seconds.
pub const PLAYED_MARGIN_SECS: f64 = 15.0;

/// Where an episode's audio comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file on this computer: the episode's download, else its own `file://` enclosure.
    File(PathBuf),
    /// Streamed from the web; the temporary copy goes into `cache_dir`, beside the downloads, so a
    /// stream that arrives whole can become the download.
    Web {
        /// The enclosure URL (http or https).
        url: String,
        /// The media folder.
        cache_dir: PathBuf,
        /// The feed that named it: a stream is held to the rules for addresses it names
        /// (`net_guard::MediaGuard`).
        named_by: String,
    },
}

/// An episode ready to be handed to the player.
#[derive(Debug, Clone, PartialEq)]
pub struct Playable {
    /// Where the audio comes from.
    pub source: Source,
    /// Where listening resumes (seconds): the saved place, or the top for an episode that is
    /// played or all but finished.
    pub resume_secs: f64,
    /// For the player's display.
    pub title: String,
    /// How it should sound (trimmed silence, gain).
    pub sound: crate::sound::EpisodeSound,
}

/// Title, enclosure URL, duration, saved position, played, the podcast's feed URL.
type Stored = (String, Option<String>, Option<f64>, f64, bool, String);

impl Library {
    /// The episode's audio source and resume point; reads only the few columns it needs (an
    /// episode page cleans the show notes, which playing has no use for).
    pub fn playable(&self, id: EpisodeId) -> Result<Playable> {
        let row: Option<Stored> = self
            .conn()
            .query_row(
                &format!(
                    "SELECT e.title, e.enclosure_url, e.duration_secs, COALESCE(s.position_secs, 0), \
                     COALESCE(s.played, 0), p.feed_url FROM episodes e {STATE_JOIN} \
                     JOIN podcasts p ON p.id = e.podcast_id WHERE e.id = ?1"
                ),
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
            )
            .optional()?;
        let (title, url, duration_secs, saved, played, feed_url) =
            row.ok_or_else(|| Error::NotFound(format!("episode {}", id.0)))?;
        let url = url.ok_or_else(|| Error::NoMedia(title.clone()))?;
        // A remote feed's `file:` enclosure is never played (see `local_files`).
        if local_files::is_file_url(&url) && !local_files::feed_may_name_files(&feed_url) {
            return Err(Error::LocalFileRefused { url });
        }
        let source = match (self.downloaded_file(id)?, file_url_path(&url)) {
            (Some(path), _) => Source::File(path),
            // A file of the listener's own (a local podcast) may have been moved or deleted.
            (None, Some(path)) if !path.is_file() => return Err(Error::LocalFileMissing { path }),
            (None, Some(path)) => Source::File(path),
            (None, None) if url::Url::parse(&url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) => {
                Source::Web {
                    url,
                    cache_dir: self.media_dir(),
                    named_by: feed_url,
                }
            }
            (None, None) => return Err(Error::NotPlayable { url }),
        };
        let near_end = duration_secs.is_some_and(|d| saved >= d - PLAYED_MARGIN_SECS);
        Ok(Playable {
            source,
            resume_secs: if played || near_end { 0.0 } else { saved },
            title,
            sound: self.episode_sound(id)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::{ParsedFeed, ParsedItem};

    fn t0() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
    }

    /// A library with one episode per enclosure (in order), each 600 s long.
    fn library(enclosures: &[Option<&str>]) -> (tempfile::TempDir, Library, Vec<EpisodeId>) {
        library_of("https://a.example/feed", enclosures)
    }

    /// [`library`] for the feed at `feed_url`.
    fn library_of(feed_url: &str, enclosures: &[Option<&str>]) -> (tempfile::TempDir, Library, Vec<EpisodeId>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lib = Library::open(dir.path()).expect("open");
        let (podcast, _) = lib.add_podcast(feed_url, "", t0()).expect("podcast");
        let items = enclosures
            .iter()
            .enumerate()
            .map(|(i, e)| ParsedItem {
                guid: format!("g{i}"),
                title: format!("Episode {i}"),
                published: chrono::DateTime::from_timestamp(1_600_000_000 + i as i64 * 3600, 0),
                enclosure_url: e.map(str::to_owned),
                duration_secs: Some(600.0),
                ..ParsedItem::default()
            })
            .collect();
        let feed = ParsedFeed {
            title: "Show".into(),
            items,
            ..ParsedFeed::default()
        };
        lib.store_feed(podcast, &feed, t0()).expect("store");
        // In the order given, whatever ids the store chose.
        let mut stored = lib.episodes(None).expect("episodes");
        stored.sort_by_key(|e| e.guid.clone());
        let ids = stored.into_iter().map(|e| e.id).collect();
        (dir, lib, ids)
    }

    #[test]
    fn the_source_is_a_local_file_else_the_web_else_a_clear_error() {
        let media = tempfile::tempdir().expect("tempdir");
        let file = media.path().join("talk.mp3");
        std::fs::write(&file, b"not really audio").expect("file");
        let file_url = url::Url::from_file_path(&file).expect("file url").to_string();
        let feed = url::Url::from_file_path(media.path().join("feed.xml")).expect("feed url");
        let (_dir, lib, ids) = library_of(
            feed.as_str(),
            &[
                Some(&file_url),
                Some("https://cdn.example/a.mp3"),
                Some("ftp://old.example/a.mp3"),
                None,
            ],
        );
        assert_eq!(lib.playable(ids[0]).expect("local").source, Source::File(file));
        assert_eq!(
            lib.playable(ids[1]).expect("web").source,
            Source::Web {
                url: "https://cdn.example/a.mp3".into(),
                cache_dir: lib.media_dir(),
                named_by: feed.to_string(),
            }
        );
        let err = lib.playable(ids[2]).expect_err("ftp");
        assert_eq!(err.code(), "not_playable");
        assert!(err.to_string().contains("ftp://old.example/a.mp3"), "{err}");
        assert_eq!(lib.playable(ids[3]).expect_err("no enclosure").code(), "no_media");
        assert_eq!(lib.playable(EpisodeId(999)).expect_err("missing").code(), "not_found");
    }

    #[test]
    fn a_web_feed_never_plays_a_local_file() {
        let media = tempfile::tempdir().expect("tempdir");
        let file = media.path().join("secret.mp3");
        std::fs::write(&file, b"private").expect("file");
        let file_url = url::Url::from_file_path(&file).expect("file url").to_string();
        let (_dir, lib, ids) = library(&[Some(&file_url)]);
        let err = lib.playable(ids[0]).expect_err("refused");
        assert_eq!(err.code(), "local_file_refused");
        assert_eq!(lib.local_media(ids[0]).expect("local media"), None);
        assert_eq!(lib.episode(ids[0]).expect("episode").episode.enclosure_url, None);
    }

    #[test]
    fn a_download_on_disk_comes_before_the_web() {
        let (_dir, mut lib, ids) = library(&[Some("https://cdn.example/a.mp3")]);
        let name = "downloaded.mp3";
        std::fs::create_dir_all(lib.media_dir()).expect("media dir");
        std::fs::write(lib.media_dir().join(name), b"audio").expect("file");
        lib.conn_mut()
            .execute(
                "INSERT INTO downloads (episode_id, state, file_name, bytes, updated_at) VALUES (?1, 'done', ?2, 5, 'x')",
                rusqlite::params![ids[0].0, name],
            )
            .expect("download row");
        assert_eq!(
            lib.playable(ids[0]).expect("playable").source,
            Source::File(lib.media_dir().join(name))
        );
        // A download whose file has gone streams again rather than failing.
        std::fs::remove_file(lib.media_dir().join(name)).expect("remove");
        assert!(matches!(
            lib.playable(ids[0]).expect("playable").source,
            Source::Web { .. }
        ));
    }

    #[test]
    fn listening_resumes_where_it_stopped_unless_played_or_nearly_finished() {
        let (_dir, mut lib, ids) = library(&[Some("https://cdn.example/a.mp3")]);
        let id = ids[0];
        assert_eq!(lib.playable(id).expect("new").resume_secs, 0.0);
        lib.save_position(id, 93.5, t0()).expect("save");
        assert_eq!(lib.playable(id).expect("started").resume_secs, 93.5);
        lib.save_position(id, 600.0 - PLAYED_MARGIN_SECS + 1.0, t0())
            .expect("save");
        assert_eq!(lib.playable(id).expect("nearly done").resume_secs, 0.0);
        lib.save_position(id, 200.0, t0()).expect("save");
        lib.set_played(id, true, t0()).expect("played");
        assert_eq!(lib.playable(id).expect("played").resume_secs, 0.0);
        assert_eq!(lib.playable(id).expect("played").title, "Episode 0");
    }
}

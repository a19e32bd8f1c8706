//! The library: one SQLite file (WAL) per library folder. All SQL lives in this module and in
//! `search`; nothing else in the crate or the shells speaks SQL.
//!
//! Several processes may open the same library at once (the app and the CLI): WAL lets readers
//! run beside a writer, the busy timeout makes a second writer wait instead of failing, and every
//! write transaction starts `IMMEDIATE` so two writers never deadlock on a lock upgrade.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::error::{Error, Result};
use crate::feed::{ParsedFeed, ParsedItem};
use crate::html;
use crate::model::{AutoDownload, Episode, EpisodeDetail, EpisodeId, Podcast, Podcast20, PodcastId, Window};

/// Runs `f` again while SQLite reports the database busy or locked, for up to [`BUSY_TIMEOUT`].
/// The busy timeout covers most waits, but SQLite skips it where waiting could deadlock (such as
/// two connections switching a new file to WAL), answering "locked" at once.
fn retry_busy<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// The page cache for reading (negative: KiB), as SQLite's `cache_size` takes it.
const READ_CACHE_KIB: i64 = -32_000;
/// The page cache while a big feed is stored.
const WRITE_CACHE_KIB: i64 = -2_000;
/// The page size of a new library file.
const PAGE_SIZE: i64 = 16 * 1024;
/// Feeds with more items than this have their content hashes worked out on several threads.
const PARALLEL_HASH_ITEMS: usize = 500;
/// Feeds with more items than this are stored with the small cache.
const BIG_FEED_ITEMS: usize = 500;

/// The schema steps, in order; `PRAGMA user_version` counts how many have been applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_podcasts_episodes.sql"),
    include_str!("../migrations/0002_search.sql"),
    include_str!("../migrations/0003_queue.sql"),
    include_str!("../migrations/0004_downloads.sql"),
    include_str!("../migrations/0005_documents_links.sql"),
    include_str!("../migrations/0006_bookmarks_transcripts.sql"),
    include_str!("../migrations/0007_auto_download.sql"),
    include_str!("../migrations/0008_document_images.sql"),
    include_str!("../migrations/0009_fts_in_bulk.sql"),
    include_str!("../migrations/0010_contentless_search.sql"),
    include_str!("../migrations/0011_search_delete_merge.sql"),
    include_str!("../migrations/0012_sync.sql"),
    include_str!("../migrations/0013_share.sql"),
    include_str!("../migrations/0014_link_evidence.sql"),
    include_str!("../migrations/0015_listening.sql"),
    include_str!("../migrations/0016_playlists.sql"),
    include_str!("../migrations/0017_sound.sql"),
    include_str!("../migrations/0018_sound_only.sql"),
];

/// Every migration step, in order: import compares a library's schema with what they make.
pub(crate) fn migration_steps() -> &'static [&'static str] {
    MIGRATIONS
}

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The file name of the database inside a library folder.
pub const DB_FILE: &str = "library.sqlite3";

/// How long a writer waits for another process's write to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// An open library. Not `Sync`: each thread or process opens its own.
pub struct Library {
    conn: Connection,
    dir: PathBuf,
}

/// An existing library about to be brought to this build's schema (see [`Library::open_reporting`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaUpgrade {
    /// The schema version the file has.
    pub from: i64,
    /// The version it is being upgraded to.
    pub to: i64,
}

impl SchemaUpgrade {
    /// The upgrade a file at `version` needs: none for a new file (0), a current or a newer one.
    fn from_version(version: i64) -> Option<Self> {
        (version > 0 && version < SCHEMA_VERSION).then_some(SchemaUpgrade {
            from: version,
            to: SCHEMA_VERSION,
        })
    }
}

/// What a feed's items did to the stored episodes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StoreOutcome {
    /// Episodes inserted.
    pub new: u64,
    /// Episodes whose feed data changed.
    pub updated: u64,
    /// Episodes no longer in the feed (kept, marked).
    pub gone_from_feed: u64,
}

/// Feed-level metadata to keep beside a stored fetch.
#[derive(Debug, Default, Clone)]
pub struct FetchMeta {
    /// The `ETag` the server sent, for the next conditional GET.
    pub etag: Option<String>,
    /// The `Last-Modified` the server sent.
    pub last_modified: Option<String>,
    /// A new feed URL to store (permanent redirect or `itunes:new-feed-url`).
    pub new_feed_url: Option<String>,
}

/// An episode read from the library whose show notes are still as the feed gave them; only
/// [`UnpreparedEpisode::prepared`] makes it something to show. Needs no library.
#[derive(Debug, Clone)]
pub struct UnpreparedEpisode(EpisodeDetail);

impl UnpreparedEpisode {
    /// The episode without its show notes (empty), for the many uses that need everything else
    /// and should not pay for sanitising.
    pub fn without_notes(self) -> EpisodeDetail {
        EpisodeDetail {
            notes_html: String::new(),
            ..self.0
        }
    }

    /// The episode with its notes sanitised and remote images pointed at the app's proxy.
    pub fn prepared(self) -> EpisodeDetail {
        let detail = self.0;
        // Remote images load only through the app's proxy, and only once the user allows them.
        let (notes_html, remote) = crate::image_proxy::proxy_images(
            &html::sanitize(&detail.notes_html),
            crate::image_proxy::ImageHolder::Episode(detail.episode.id.0),
            !detail.remote_images_allowed,
        );
        EpisodeDetail {
            notes_html,
            remote_images: remote.len() as u32,
            ..detail
        }
    }
}

impl Library {
    /// The default library folder: the platform's data dir (e.g. `~/.local/share/earmark`).
    pub fn default_dir() -> Result<PathBuf> {
        dirs::data_dir()
            .map(|d| d.join("earmark"))
            .ok_or_else(|| Error::Invalid("no data directory on this system; pass --library DIR".into()))
    }

    /// Opens (creating if needed) the library in `dir`, migrating it to the current schema.
    /// A library from a newer Earmark is refused before anything is written to it.
    pub fn open(dir: &Path) -> Result<Self> {
        Self::open_reporting(dir, &mut |_| {})
    }

    /// As [`Library::open`], telling `on_upgrade` before an existing library's schema is upgraded:
    /// a one-time step that takes seconds on a library of 100,000 episodes, which a front end
    /// should say rather than look hung. Not called for a new library or a current one.
    pub fn open_reporting(dir: &Path, on_upgrade: &mut dyn FnMut(SchemaUpgrade)) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join(DB_FILE);
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let mut lib = Library {
            conn,
            dir: dir.to_owned(),
        };
        lib.prepare(on_upgrade)?;
        // Episodes a crashed process stored but did not index.
        lib.index_pending()?;
        Ok(lib)
    }

    /// The upgrade that opening the library in `dir` would make, found without writing anything
    /// (nor creating the file): a front end can put up a window saying so before it opens the
    /// library. `None` for a missing, new, current or too-new file (opening refuses the last).
    pub fn pending_upgrade(dir: &Path) -> Result<Option<SchemaUpgrade>> {
        let path = dir.join(DB_FILE);
        if !path.is_file() {
            return Ok(None);
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let version: i64 = retry_busy(|| conn.query_row("PRAGMA user_version", [], |r| r.get(0)))?;
        Ok(SchemaUpgrade::from_version(version))
    }

    /// The folder this library lives in (downloads and caches go beside the database).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn prepare(&self, on_upgrade: &mut dyn FnMut(SchemaUpgrade)) -> Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        // Reading the version first: nothing is written to a file we are going to refuse.
        let version: i64 = retry_busy(|| self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)))?;
        if version > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew {
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        // A new library gets 16 KiB pages (ignored for an existing file): show notes of a few KiB
        // then sit inside their row instead of spilling to overflow pages, and a big feed is
        // written in a quarter of the page writes. Must come before the first write.
        self.conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        // Two processes creating the same library at once race to switch it to WAL; SQLite answers
        // the loser "busy" at once, without waiting, so wait here.
        retry_busy(|| self.conn.pragma_update(None, "journal_mode", "WAL"))?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        // Search and list queries read the same index pages again and again: keep them at hand.
        self.conn.pragma_update(None, "cache_size", READ_CACHE_KIB)?;
        self.conn.pragma_update(None, "mmap_size", 256 * 1024 * 1024)?;
        if let Some(upgrade) = SchemaUpgrade::from_version(version) {
            on_upgrade(upgrade);
        }
        // A current library is not touched: a write lock here would make every start wait
        // behind another process's long write (a refresh in the CLI).
        if version < SCHEMA_VERSION {
            self.migrate()?;
        }
        Ok(())
    }

    fn migrate(&self) -> Result<()> {
        loop {
            // Each step runs in its own immediate transaction and re-reads the version inside it,
            // so two processes opening an old library at once apply each step exactly once.
            let tx = retry_busy(|| rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate))?;
            let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if version > SCHEMA_VERSION {
                return Err(Error::SchemaTooNew {
                    found: version,
                    known: SCHEMA_VERSION,
                });
            }
            let Some(step) = usize::try_from(version).ok().and_then(|v| MIGRATIONS.get(v)) else {
                return Ok(());
            };
            tx.execute_batch(step)?;
            tx.pragma_update(None, "user_version", version + 1)?;
            tx.commit()?;
            tracing::info!(to = version + 1, "library schema migrated");
        }
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// The raw connection, for the search and queue modules and for tests in this crate.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The raw connection, for writes in sibling modules.
    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// All podcasts, by title.
    pub fn podcasts(&self) -> Result<Vec<Podcast>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{PODCAST_SELECT} ORDER BY p.title COLLATE NOCASE, p.id"))?;
        let rows = stmt.query_map([], podcast_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One podcast.
    pub fn podcast(&self, id: PodcastId) -> Result<Podcast> {
        self.conn
            .prepare_cached(&format!("{PODCAST_SELECT} WHERE p.id = ?1"))?
            .query_row([id.0], podcast_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("podcast {}", id.0)))
    }

    /// The podcast whose feed is at `feed_url`, if subscribed.
    pub fn podcast_by_feed_url(&self, feed_url: &str) -> Result<Option<Podcast>> {
        Ok(self
            .conn
            .prepare_cached(&format!("{PODCAST_SELECT} WHERE p.feed_url = ?1"))?
            .query_row([feed_url], podcast_from_row)
            .optional()?)
    }

    /// The validators for a conditional GET of this podcast's feed.
    pub fn conditional(&self, id: PodcastId) -> Result<(Option<String>, Option<String>)> {
        Ok(self
            .conn
            .query_row("SELECT etag, last_modified FROM podcasts WHERE id = ?1", [id.0], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?)
    }

    /// Episodes, newest first (undated ones by their place in the feed), optionally of one podcast.
    pub fn episodes(&self, podcast: Option<PodcastId>) -> Result<Vec<Episode>> {
        let mut stmt = self.conn.prepare_cached(&episodes_sql(podcast.is_some()))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(podcast.map(|p| p.0)), episode_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One window of the episode list `episodes` gives (optionally one podcast's, optionally only
    /// the downloaded ones), with the list's length. Count and slice come from one read, so they
    /// agree even while a refresh writes.
    pub fn episode_window(
        &self,
        podcast: Option<PodcastId>,
        offline_only: bool,
        offset: u64,
        limit: u32,
    ) -> Result<Window<Episode>> {
        let mut filters = Vec::new();
        if podcast.is_some() {
            filters.push("e.podcast_id = :podcast");
        }
        if offline_only {
            filters.push("EXISTS (SELECT 1 FROM downloads d WHERE d.episode_id = e.id AND d.state = 'done')");
        }
        let filter = if filters.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", filters.join(" AND "))
        };
        let podcast_id = podcast.map(|p| p.0);
        let mut named: Vec<(&str, &dyn rusqlite::ToSql)> = Vec::new();
        if podcast.is_some() {
            named.push((":podcast", &podcast_id));
        }
        let tx = self.conn.unchecked_transaction()?;
        let total: i64 = tx
            .prepare_cached(&format!("SELECT COUNT(*) FROM episodes e {filter}"))?
            .query_row(named.as_slice(), |r| r.get(0))?;
        // Past the end of an i64 there is nothing to list; SQLite's OFFSET takes an i64.
        let at = i64::try_from(offset).unwrap_or(i64::MAX);
        named.push((":offset", &at));
        named.push((":limit", &limit));
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {EPISODE_COLUMNS} FROM episodes e {STATE_JOIN} {filter} \
             ORDER BY e.published_ts DESC, e.feed_position, e.id LIMIT :limit OFFSET :offset"
        ))?;
        let items = stmt
            .query_map(named.as_slice(), episode_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        tx.finish()?;
        Ok(Window::counted(total, offset, items))
    }

    /// Everything about one episode; the show notes come out sanitised.
    pub fn episode(&self, id: EpisodeId) -> Result<EpisodeDetail> {
        Ok(self.episode_unprepared(id)?.prepared())
    }

    /// [`Library::episode`] with the show notes not yet sanitised: a shell that holds a lock the
    /// window waits on reads this under the lock and calls [`UnpreparedEpisode::prepared`] after
    /// letting go, so a big or hostile set of notes never holds up a list or a search.
    pub fn episode_unprepared(&self, id: EpisodeId) -> Result<UnpreparedEpisode> {
        let sql = format!(
            "SELECT {EPISODE_COLUMNS}, p.title, e.notes_raw, e.image_url, e.author, e.episode_number, e.season, \
             e.episode_type, e.explicit, e.podcast20, p.feed_url FROM episodes e {STATE_JOIN} JOIN podcasts p ON p.id = e.podcast_id WHERE e.id = ?1"
        );
        let (detail, feed_url) = self
            .conn
            .query_row(&sql, [id.0], |r| {
                let episode = episode_from_row(r)?;
                let raw: String = r.get(15)?;
                let p20: Option<String> = r.get(22)?;
                let feed_url: String = r.get(23)?;
                let detail = EpisodeDetail {
                    episode,
                    podcast_title: r.get(14)?,
                    notes_html: raw,
                    image_url: r.get(16)?,
                    author: r.get(17)?,
                    episode_number: r.get(18)?,
                    season: r.get(19)?,
                    episode_type: r.get(20)?,
                    explicit: r.get(21)?,
                    podcast20: p20.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default(),
                    remote_images: 0,
                    remote_images_allowed: false,
                };
                Ok((detail, feed_url))
            })
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("episode {}", id.0)))?;
        let owner = crate::image_proxy::ImageOwner::Podcast(detail.episode.podcast_id.0);
        let mut detail = EpisodeDetail {
            remote_images_allowed: self.remote_images_allowed(owner)?,
            ..detail
        };
        // Libraries made before feeds were checked, or imported from elsewhere, may still hold
        // local paths a remote feed named: they never leave the library.
        if !crate::local_files::feed_may_name_files(&feed_url) {
            crate::local_files::drop_from_episode(&mut detail);
        }
        Ok(UnpreparedEpisode(detail))
    }

    /// An episode's show notes as the feed gave them (not sanitised: never for display).
    pub(crate) fn episode_notes_raw(&self, id: EpisodeId) -> Result<String> {
        self.conn
            .query_row("SELECT notes_raw FROM episodes WHERE id = ?1", [id.0], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("episode {}", id.0)))
    }

    /// Where the listener is in an episode (seconds) and whether it counts as played.
    pub fn listening_state(&self, id: EpisodeId) -> Result<(f64, bool)> {
        let exists: Option<(f64, bool)> = self
            .conn
            .query_row(
                "SELECT COALESCE(s.position_secs, 0), COALESCE(s.played, 0) FROM episodes e \
                 LEFT JOIN episode_state s ON s.episode_id = e.id WHERE e.id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        exists.ok_or_else(|| Error::NotFound(format!("episode {}", id.0)))
    }

    /// Saves the listening position (called every few seconds while playing, and on pause, stop
    /// and quit), so a killed process resumes close to where it was.
    pub fn save_position(&mut self, id: EpisodeId, secs: f64, now: DateTime<Utc>) -> Result<()> {
        let secs = if secs.is_finite() { secs.max(0.0) } else { 0.0 };
        let n = self.conn.execute(
            "INSERT INTO episode_state (episode_id, position_secs, played, updated_at) \
             SELECT id, ?2, 0, ?3 FROM episodes WHERE id = ?1 \
             ON CONFLICT (episode_id) DO UPDATE SET position_secs = excluded.position_secs, updated_at = excluded.updated_at",
            params![id.0, secs, rfc3339(now)],
        )?;
        if n == 0 {
            return Err(Error::NotFound(format!("episode {}", id.0)));
        }
        Ok(())
    }

    /// Records that an episode was listened to the end, or marked played by hand: played, and the
    /// position back at the start so the next play begins from the top. One statement, so a crash
    /// cannot leave a played episode that resumes near its end. Both shells (the app's player and
    /// its "played" button, `earmark-cli play` and `mark`) finish an episode through this.
    pub fn finish_episode(&mut self, id: EpisodeId, now: DateTime<Utc>) -> Result<()> {
        let n = self.conn.execute(
            "INSERT INTO episode_state (episode_id, position_secs, played, updated_at) \
             SELECT id, 0, 1, ?2 FROM episodes WHERE id = ?1 \
             ON CONFLICT (episode_id) DO UPDATE SET played = 1, position_secs = 0, updated_at = excluded.updated_at",
            params![id.0, rfc3339(now)],
        )?;
        if n == 0 {
            return Err(Error::NotFound(format!("episode {}", id.0)));
        }
        Ok(())
    }

    /// Marks an episode played or unplayed by hand (or when playback reaches its end).
    pub fn set_played(&mut self, id: EpisodeId, played: bool, now: DateTime<Utc>) -> Result<()> {
        let n = self.conn.execute(
            "INSERT INTO episode_state (episode_id, position_secs, played, updated_at) \
             SELECT id, 0, ?2, ?3 FROM episodes WHERE id = ?1 \
             ON CONFLICT (episode_id) DO UPDATE SET played = excluded.played, updated_at = excluded.updated_at",
            params![id.0, played, rfc3339(now)],
        )?;
        if n == 0 {
            return Err(Error::NotFound(format!("episode {}", id.0)));
        }
        Ok(())
    }

    /// Adds a podcast row for `feed_url` (no episodes yet); returns the existing one if present.
    pub fn add_podcast(&mut self, feed_url: &str, title: &str, now: DateTime<Utc>) -> Result<(PodcastId, bool)> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<i64> = tx
            .query_row("SELECT id FROM podcasts WHERE feed_url = ?1", [feed_url], |r| r.get(0))
            .optional()?;
        let out = match existing {
            Some(id) => (PodcastId(id), false),
            None => {
                tx.execute(
                    "INSERT INTO podcasts (feed_url, title, added_at) VALUES (?1, ?2, ?3)",
                    params![feed_url, title, rfc3339(now)],
                )?;
                (PodcastId(tx.last_insert_rowid()), true)
            }
        };
        tx.commit()?;
        Ok(out)
    }

    /// Records a successful check that found nothing new (HTTP 304).
    pub fn mark_checked(&mut self, id: PodcastId, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE podcasts SET last_refresh = ?2, last_error = NULL WHERE id = ?1",
            params![id.0, rfc3339(now)],
        )?;
        Ok(())
    }

    /// Records a failed refresh; the podcast's episodes are left as they were.
    pub fn mark_failed(&mut self, id: PodcastId, message: &str, gone: bool) -> Result<()> {
        self.conn.execute(
            "UPDATE podcasts SET last_error = ?2, gone = gone OR ?3 WHERE id = ?1",
            params![id.0, message, gone],
        )?;
        Ok(())
    }

    /// Stores a parsed feed for a podcast in one transaction (channel fields, new and changed
    /// episodes, and the in-feed flag of episodes that vanished), then brings the search index up to
    /// date in a second. Listening state, and anything else a person made, is never touched.
    pub fn store_feed(
        &mut self,
        id: PodcastId,
        feed: &ParsedFeed,
        meta: &FetchMeta,
        now: DateTime<Utc>,
    ) -> Result<StoreOutcome> {
        let out = self.store_feed_unindexed(id, feed, meta, now)?;
        self.index_pending()?;
        Ok(out)
    }

    /// Stores a parsed feed like [`Library::store_feed`] but leaves its new episodes, and changed
    /// ones whose title or notes changed, out of the search index, listed as pending, until
    /// [`Library::index_pending`] runs. A caller
    /// storing many feeds can index them all in one pass, and a big feed's episodes are listed
    /// before its index is built. The list is in the library, so a crash in between loses nothing:
    /// opening the library indexes what is pending.
    pub fn store_feed_unindexed(
        &mut self,
        id: PodcastId,
        feed: &ParsedFeed,
        meta: &FetchMeta,
        now: DateTime<Utc>,
    ) -> Result<StoreOutcome> {
        let now_s = rfc3339(now);
        // A big feed writes tens of megabytes in one transaction. With the reading cache's 32 MB
        // every written page would stay in memory until the commit; a small cache spills them to
        // the WAL as it goes, which costs little, and the reading cache comes back afterwards.
        let big = feed.items.len() > BIG_FEED_ITEMS;
        self.with_write_cache(big, |lib| lib.store_feed_in_tx(id, feed, meta, &now_s))
    }

    /// Adds the episodes stored since the last call to the search index, in one transaction;
    /// returns how many. The plain text of each episode's show notes is made here, from the
    /// notes as the feed gave them, and kept only inside the index.
    pub fn index_pending(&mut self) -> Result<usize> {
        let pending: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM search_pending", [], |r| r.get(0))?;
        if pending == 0 {
            return Ok(0);
        }
        let big = pending > BIG_FEED_ITEMS as i64;
        self.with_write_cache(big, |lib| {
            let tx = lib.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut done = 0;
            {
                let mut read = tx.prepare(
                    "SELECT e.id, e.title, e.notes_raw FROM search_pending p JOIN episodes e ON e.id = p.episode_id \
                     ORDER BY p.episode_id",
                )?;
                // One row at a time, not one statement for all: a plain INSERT opens no
                // savepoint, so FTS5 keeps gathering the index in memory between rows.
                let mut add = tx.prepare("INSERT INTO episode_fts (rowid, title, notes_text) VALUES (?1, ?2, ?3)")?;
                let mut rows = read.query([])?;
                while let Some(row) = rows.next()? {
                    let eid: i64 = row.get(0)?;
                    let title = text_column(row, 1)?;
                    let text = crate::html::to_text(text_column(row, 2)?);
                    add.execute(params![eid, title, text])?;
                    done += 1;
                }
            }
            tx.execute("DELETE FROM search_pending", [])?;
            tx.commit()?;
            Ok(done)
        })
    }

    /// Runs `f` with the small writing page cache when `big`, restoring the reading cache after.
    fn with_write_cache<T>(&mut self, big: bool, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if big {
            self.conn.pragma_update(None, "cache_size", WRITE_CACHE_KIB)?;
        }
        let result = f(self);
        if big {
            self.conn.pragma_update(None, "cache_size", READ_CACHE_KIB)?;
        }
        result
    }

    fn store_feed_in_tx(
        &mut self,
        id: PodcastId,
        feed: &ParsedFeed,
        meta: &FetchMeta,
        now_s: &str,
    ) -> Result<StoreOutcome> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let p20 = serde_json::to_string(&feed.podcast20).ok();
        tx.execute(
            "UPDATE podcasts SET title = ?2, link = ?3, description = ?4, author = ?5, image_url = ?6, language = ?7, \
             explicit = ?8, podcast20 = ?9, etag = ?10, last_modified = ?11, last_refresh = ?12, last_error = NULL \
             WHERE id = ?1",
            params![
                id.0,
                feed.title,
                feed.link,
                feed.description,
                feed.author,
                feed.image_url,
                feed.language,
                feed.explicit,
                p20,
                meta.etag,
                meta.last_modified,
                now_s
            ],
        )?;
        if let Some(url) = &meta.new_feed_url {
            // Only move when no other subscription already owns that URL.
            tx.execute(
                "UPDATE podcasts SET feed_url = ?2 WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM podcasts WHERE feed_url = ?2)",
                params![id.0, url],
            )?;
        }

        let mut known: HashMap<String, (i64, i64)> = HashMap::new();
        {
            let mut stmt = tx.prepare_cached("SELECT guid, id, content_hash FROM episodes WHERE podcast_id = ?1")?;
            let rows = stmt.query_map([id.0], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?))))?;
            for row in rows {
                let (guid, v) = row?;
                known.insert(guid, v);
            }
        }
        let mut out = StoreOutcome::default();
        let mut seen: Vec<i64> = Vec::with_capacity(feed.items.len());
        // The search index is kept in step here and by `index_pending`, not by row triggers: a
        // trigger makes every INSERT open a savepoint, and FTS5 writes its pending index to disk at
        // each one (5,000 tiny segments, then merging them, for a 5,000-item feed).
        let hashes = content_hashes(&feed.items);
        // Changed episodes whose title or notes changed too: only those are indexed again (a new
        // media URL or duration leaves the words, and the index, as they were).
        let mut reindex: Vec<i64> = Vec::new();
        let mut to_index: Vec<i64> = Vec::new();
        {
            let mut words = tx.prepare_cached("SELECT title = ?2 AND notes_raw = ?3 FROM episodes WHERE id = ?1")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO episodes (podcast_id, guid, title, link, published, published_ts, feed_position, \
                 duration_secs, enclosure_url, enclosure_type, enclosure_length, notes_raw, image_url, \
                 author, episode_number, season, episode_type, explicit, podcast20, content_hash, in_feed, first_seen, \
                 updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
                 ?19, ?20, 1, ?21, ?21)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE episodes SET title = ?2, link = ?3, published = ?4, published_ts = ?5, feed_position = ?6, \
                 duration_secs = ?7, enclosure_url = ?8, enclosure_type = ?9, enclosure_length = ?10, notes_raw = ?11, \
                 image_url = ?12, author = ?13, episode_number = ?14, season = ?15, \
                 episode_type = ?16, explicit = ?17, podcast20 = ?18, content_hash = ?19, in_feed = 1, updated_at = ?20 \
                 WHERE id = ?1",
            )?;
            let mut touch = tx.prepare_cached(
                "UPDATE episodes SET in_feed = 1, feed_position = ?2 WHERE id = ?1 AND (in_feed = 0 OR feed_position <> ?2)",
            )?;
            // Oldest first, so row ids (and the search index's order) grow with time.
            for (pos, item) in feed.items.iter().enumerate().rev() {
                let hash = hashes[pos];
                let position = pos as i64;
                let published = item.published.map(rfc3339);
                let published_ts = item.published.map(|d| d.timestamp());
                let p20 = item_podcast20(item);
                match known.get(&item.guid) {
                    Some(&(eid, old_hash)) if old_hash == hash => {
                        touch.execute(params![eid, position])?;
                        seen.push(eid);
                    }
                    Some(&(eid, _)) => {
                        if !words.query_row(params![eid, item.title, item.notes_raw], |r| r.get::<_, bool>(0))? {
                            reindex.push(eid);
                        }
                        update.execute(params![
                            eid,
                            item.title,
                            item.link,
                            published,
                            published_ts,
                            position,
                            item.duration_secs,
                            item.enclosure_url,
                            item.enclosure_type,
                            item.enclosure_length,
                            item.notes_raw,
                            item.image_url,
                            item.author,
                            item.episode_number,
                            item.season,
                            item.episode_type,
                            item.explicit,
                            p20,
                            hash,
                            now_s
                        ])?;
                        seen.push(eid);
                        out.updated += 1;
                    }
                    None => {
                        insert.execute(params![
                            id.0,
                            item.guid,
                            item.title,
                            item.link,
                            published,
                            published_ts,
                            position,
                            item.duration_secs,
                            item.enclosure_url,
                            item.enclosure_type,
                            item.enclosure_length,
                            item.notes_raw,
                            item.image_url,
                            item.author,
                            item.episode_number,
                            item.season,
                            item.episode_type,
                            item.explicit,
                            p20,
                            hash,
                            now_s
                        ])?;
                        let eid = tx.last_insert_rowid();
                        to_index.push(eid);
                        known.insert(item.guid.clone(), (eid, hash));
                        seen.push(eid);
                        out.new += 1;
                    }
                }
            }
        }
        if !reindex.is_empty() {
            // Out of the index now (an episode still pending was never in it); back in when
            // `index_pending` reads the new text.
            tx.execute(
                "DELETE FROM episode_fts WHERE rowid IN (SELECT value FROM json_each(?1)) \
                 AND rowid NOT IN (SELECT episode_id FROM search_pending)",
                [serde_json::to_string(&reindex).unwrap_or_default()],
            )?;
        }
        {
            // Row by row through one prepared statement: for a 5,000-item feed, a third of the time
            // of one statement over a JSON list of ids.
            let mut pend = tx.prepare_cached("INSERT OR IGNORE INTO search_pending (episode_id) VALUES (?1)")?;
            for eid in reindex.iter().chain(&to_index) {
                pend.execute([eid])?;
            }
        }
        // Episodes that left the feed stay in the archive, marked.
        if known.len() > seen.len() {
            let seen_set: std::collections::HashSet<i64> = seen.into_iter().collect();
            let mut mark = tx.prepare_cached("UPDATE episodes SET in_feed = 0 WHERE id = ?1 AND in_feed = 1")?;
            for (eid, _) in known.values() {
                if !seen_set.contains(eid) {
                    out.gone_from_feed += mark.execute([eid])? as u64;
                }
            }
        }
        tx.commit()?;
        Ok(out)
    }
}

/// A text column borrowed from the row, not copied (show notes run to megabytes per feed).
fn text_column<'r>(row: &'r rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<&'r str> {
    row.get_ref(idx)?
        .as_str()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e)))
}

/// Every item's change-detection hash. A big feed's are worked out on all cores: they are the
/// one part of storing a feed that needs no database.
fn content_hashes(items: &[ParsedItem]) -> Vec<i64> {
    let threads = crate::worker_threads(8);
    if items.len() <= PARALLEL_HASH_ITEMS || threads < 2 {
        return items.iter().map(ParsedItem::content_hash).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(ParsedItem::content_hash).collect::<Vec<i64>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

fn item_podcast20(item: &ParsedItem) -> Option<String> {
    if item.podcast20 == Podcast20::default() {
        None
    } else {
        serde_json::to_string(&item.podcast20).ok()
    }
}

/// Formats a time the way the library stores and prints it.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

const PODCAST_SELECT: &str = "SELECT p.id, p.title, p.feed_url, p.link, p.image_url, p.author, \
     (SELECT COUNT(*) FROM episodes e WHERE e.podcast_id = p.id), p.last_refresh, p.last_error, p.gone, \
     p.auto_download, p.auto_download_count, p.subscribed FROM podcasts p";

fn podcast_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Podcast> {
    Ok(Podcast {
        id: PodcastId(r.get(0)?),
        title: r.get(1)?,
        feed_url: r.get(2)?,
        link: r.get(3)?,
        image_url: r.get(4)?,
        author: r.get(5)?,
        episode_count: r.get(6)?,
        last_refresh: r.get(7)?,
        last_error: r.get(8)?,
        gone: r.get(9)?,
        auto_download: AutoDownload::from_columns(&r.get::<_, String>(10)?, r.get(11)?),
        subscribed: r.get(12)?,
    })
}

pub(crate) const EPISODE_COLUMNS: &str = "e.id, e.podcast_id, e.guid, e.title, e.published, e.duration_secs, \
     e.enclosure_url, e.enclosure_type, e.enclosure_length, e.link, e.in_feed, \
     COALESCE(s.position_secs, 0), COALESCE(s.played, 0), \
     EXISTS (SELECT 1 FROM downloads d WHERE d.episode_id = e.id AND d.state = 'done')";

/// The episode list's query: two statements, so each walks its index in order (one `?1 IS NULL
/// OR podcast_id = ?1` made one podcast's list scan every episode in the library). A NULL date
/// sorts last under DESC in SQLite, so undated episodes still follow the dated ones.
fn episodes_sql(one_podcast: bool) -> String {
    let filter = if one_podcast { "WHERE e.podcast_id = ?1" } else { "" };
    format!("SELECT {EPISODE_COLUMNS} FROM episodes e {STATE_JOIN} {filter} ORDER BY e.published_ts DESC, e.feed_position, e.id")
}

/// Listening state sits in its own table; episodes without a row have not been started.
pub(crate) const STATE_JOIN: &str = "LEFT JOIN episode_state s ON s.episode_id = e.id";

pub(crate) fn episode_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Episode> {
    Ok(Episode {
        id: EpisodeId(r.get(0)?),
        podcast_id: PodcastId(r.get(1)?),
        guid: r.get(2)?,
        title: r.get(3)?,
        published: r.get(4)?,
        duration_secs: r.get(5)?,
        enclosure_url: r.get(6)?,
        enclosure_type: r.get(7)?,
        enclosure_length: r.get(8)?,
        link: r.get(9)?,
        in_feed: r.get(10)?,
        position_secs: r.get(11)?,
        played: r.get(12)?,
        downloaded: r.get(13)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
    }

    /// Builds a library file as a build with only the first `version` migrations would have left it,
    /// with a podcast and an episode in it when the schema has room for them.
    fn library_at_version(dir: &Path, version: usize) {
        let conn = Connection::open(dir.join(DB_FILE)).expect("open");
        for step in &MIGRATIONS[..version] {
            conn.execute_batch(step).expect("migration step");
        }
        conn.pragma_update(None, "user_version", version as i64)
            .expect("version");
        if version >= 1 {
            conn.execute(
                "INSERT INTO podcasts (id, feed_url, title, added_at) VALUES (1, 'https://a.example/feed', 'Old Show', 'x')",
                [],
            )
            .expect("podcast");
            // Until migration 10 the plain text had a column of its own; from 10 on an episode is
            // stored with its notes as given and listed for the index, as `store_feed_unindexed` does.
            let (column, notes, list) = if version < 10 {
                ("notes_text", "adoption hearing notes", "")
            } else {
                (
                    "notes_raw",
                    "<p>adoption hearing notes</p>",
                    "INSERT INTO search_pending (episode_id) VALUES (7);",
                )
            };
            conn.execute_batch(&format!(
                "INSERT INTO episodes (id, podcast_id, guid, title, {column}, first_seen, updated_at) \
                 VALUES (7, 1, 'g1', 'Kept through upgrades', '{notes}', 'x', 'x'); {list}"
            ))
            .expect("episode");
            conn.execute(
                "INSERT INTO episode_state (episode_id, position_secs, updated_at) VALUES (7, 93.5, 'x')",
                [],
            )
            .expect("state");
        }
    }

    #[test]
    fn episode_lists_walk_their_index_without_sorting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lib = Library::open(dir.path()).expect("open");
        for (one, index) in [
            (true, "episodes_by_date (podcast_id=?)"),
            (false, "episodes_all_by_date"),
        ] {
            let mut stmt = lib
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {}", episodes_sql(one)))
                .expect("plan");
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(one.then_some(1_i64)), |r| {
                    r.get::<_, String>(3)
                })
                .expect("plan rows")
                .collect::<rusqlite::Result<_>>()
                .expect("plan rows");
            let plan = plan.join("\n");
            assert!(plan.contains(index), "one podcast: {one}\n{plan}");
            assert!(!plan.contains("TEMP B-TREE"), "one podcast: {one}\n{plan}");
        }
    }

    #[test]
    fn episode_windows_are_slices_of_the_list_with_its_length() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lib = Library::open(dir.path()).expect("open");
        let mut shows = Vec::new();
        for (url, n) in [("https://a.example/feed", 25), ("https://b.example/feed", 10)] {
            let (id, _) = lib.add_podcast(url, "", t0()).expect("add");
            let items = (0..n)
                .map(|i| ParsedItem {
                    guid: format!("{url}#{i}"),
                    title: format!("{url} {i}"),
                    // Some undated, which sort after the dated ones.
                    published: (i % 4 != 0).then(|| t0() + chrono::Duration::hours(i64::from(i) * 7)),
                    ..ParsedItem::default()
                })
                .collect();
            let feed = ParsedFeed {
                title: url.into(),
                items,
                ..ParsedFeed::default()
            };
            lib.store_feed(id, &feed, &FetchMeta::default(), t0()).expect("store");
            shows.push(id);
        }
        let ids = |eps: &[Episode]| eps.iter().map(|e| e.id).collect::<Vec<_>>();

        let all = lib.episodes(None).expect("all");
        let w = lib.episode_window(None, false, 0, 10).expect("window");
        assert_eq!((w.total, w.offset), (35, 0));
        assert_eq!(ids(&w.items), ids(&all[..10]));
        let w = lib.episode_window(None, false, 30, 10).expect("window");
        assert_eq!(ids(&w.items), ids(&all[30..]), "the last window is short");

        let one = lib.episodes(Some(shows[0])).expect("one");
        let w = lib.episode_window(Some(shows[0]), false, 20, 10).expect("window");
        assert_eq!((w.total, w.offset), (25, 20));
        assert_eq!(ids(&w.items), ids(&one[20..]));

        let w = lib.episode_window(None, false, 1_000, 10).expect("past the end");
        assert_eq!((w.total, w.items.len()), (35, 0));
        let w = lib.episode_window(None, false, u64::MAX, 10).expect("far past the end");
        assert_eq!((w.total, w.items.len()), (35, 0));

        // Offline only: the downloaded ones, in list order, counted alike.
        for e in [&one[3], &one[7], &all[0]] {
            lib.conn()
                .execute(
                    "INSERT OR REPLACE INTO downloads (episode_id, state, file_name, updated_at) VALUES (?1, 'done', 'f', 'x')",
                    [e.id.0],
                )
                .expect("download");
        }
        lib.conn()
            .execute(
                "INSERT INTO downloads (episode_id, state, file_name, updated_at) VALUES (?1, 'paused', 'f', 'x')",
                [one[9].id.0],
            )
            .expect("paused download");
        let w = lib.episode_window(None, true, 0, 10).expect("offline");
        let want: Vec<_> = all
            .iter()
            .filter(|e| [one[3].id, one[7].id, all[0].id].contains(&e.id))
            .map(|e| e.id)
            .collect();
        assert_eq!((w.total, ids(&w.items)), (3, want));
        assert!(w.items.iter().all(|e| e.downloaded));
        let w = lib
            .episode_window(Some(shows[0]), true, 1, 10)
            .expect("offline, one show");
        assert_eq!(
            w.total,
            lib.episode_window(Some(shows[0]), true, 0, 0).expect("count").total
        );
        assert_eq!(w.items.len() as u64, w.total - 1);
    }

    #[test]
    fn a_pending_upgrade_is_seen_without_touching_the_file() {
        let missing = tempfile::tempdir().expect("tempdir");
        assert_eq!(Library::pending_upgrade(missing.path()).expect("peek"), None);
        assert!(!missing.path().join(DB_FILE).exists(), "nothing is created");
        for version in 1..MIGRATIONS.len() {
            let dir = tempfile::tempdir().expect("tempdir");
            library_at_version(dir.path(), version);
            let expected = SchemaUpgrade {
                from: version as i64,
                to: SCHEMA_VERSION,
            };
            assert_eq!(Library::pending_upgrade(dir.path()).expect("peek"), Some(expected));
            assert_eq!(
                Library::pending_upgrade(dir.path()).expect("peek again"),
                Some(expected),
                "still old"
            );
            drop(Library::open(dir.path()).expect("upgrade"));
            assert_eq!(Library::pending_upgrade(dir.path()).expect("peek"), None, "current now");
        }
        let newer = tempfile::tempdir().expect("tempdir");
        library_at_version(newer.path(), MIGRATIONS.len());
        Connection::open(newer.path().join(DB_FILE))
            .and_then(|c| c.pragma_update(None, "user_version", SCHEMA_VERSION + 1))
            .expect("newer");
        assert_eq!(Library::pending_upgrade(newer.path()).expect("peek"), None);
    }

    #[test]
    fn a_current_library_opens_while_another_connection_writes() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(Library::open(dir.path()).expect("create"));
        let writer = Connection::open(dir.path().join(DB_FILE)).expect("writer");
        writer.execute_batch("BEGIN IMMEDIATE").expect("hold the write lock");
        let lib = Library::open(dir.path()).expect("opens without waiting for the writer");
        assert_eq!(lib.schema_version().expect("version"), SCHEMA_VERSION);
        assert!(lib.podcasts().expect("reads").is_empty());
        writer.execute_batch("ROLLBACK").expect("rollback");
    }

    #[test]
    fn many_connections_creating_one_library_at_once_all_open_it() {
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("tempdir");
            let start = std::sync::Arc::new(std::sync::Barrier::new(6));
            let handles: Vec<_> = (0..6)
                .map(|_| {
                    let (dir, start) = (dir.path().to_owned(), std::sync::Arc::clone(&start));
                    std::thread::spawn(move || {
                        start.wait();
                        Library::open(&dir).map(|lib| lib.schema_version().unwrap_or(-1))
                    })
                })
                .collect();
            for h in handles {
                let opened = h.join().expect("thread");
                assert_eq!(opened.expect("every connection opens the library"), SCHEMA_VERSION);
            }
        }
    }

    #[test]
    fn migrates_from_every_earlier_version() {
        for version in 0..MIGRATIONS.len() {
            let dir = tempfile::tempdir().expect("tempdir");
            library_at_version(dir.path(), version);
            let mut told = Vec::new();
            let lib = Library::open_reporting(dir.path(), &mut |u| told.push(u))
                .unwrap_or_else(|e| panic!("open from v{version}: {e}"));
            assert_eq!(
                lib.schema_version().expect("version"),
                SCHEMA_VERSION,
                "from v{version}"
            );
            // An existing library's upgrade is announced once; a file with no schema yet is new.
            let expected: Vec<SchemaUpgrade> = if version >= 1 {
                vec![SchemaUpgrade {
                    from: version as i64,
                    to: SCHEMA_VERSION,
                }]
            } else {
                vec![]
            };
            assert_eq!(told, expected, "from v{version}");
            if version >= 1 {
                let eps = lib.episodes(None).expect("episodes");
                assert_eq!(eps.len(), 1, "from v{version}");
                assert_eq!(eps[0].title, "Kept through upgrades");
                let pos: f64 = lib
                    .conn()
                    .query_row(
                        "SELECT position_secs FROM episode_state WHERE episode_id = 7",
                        [],
                        |r| r.get(0),
                    )
                    .expect("state kept");
                assert_eq!(pos, 93.5);
                // Rows from before the search migration are searchable after it.
                let hits = crate::search::search(&lib, "adoption", 10).expect("search");
                assert_eq!(hits.len(), 1, "from v{version}");
            }
            drop(lib);
            // Opening again is a no-op, and says nothing.
            let mut told_again = 0;
            let again = Library::open_reporting(dir.path(), &mut |_| told_again += 1).expect("reopen");
            assert_eq!(told_again, 0, "from v{version}");
            assert_eq!(again.schema_version().expect("version"), SCHEMA_VERSION);
        }
    }

    #[test]
    fn a_newer_library_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let lib = Library::open(dir.path()).expect("open");
            lib.conn()
                .pragma_update(None, "user_version", SCHEMA_VERSION + 5)
                .expect("bump");
        }
        let path = dir.path().join(DB_FILE);
        let before = std::fs::read(&path).expect("read");
        match Library::open(dir.path()) {
            Err(Error::SchemaTooNew { found, known }) => {
                assert_eq!((found, known), (SCHEMA_VERSION + 5, SCHEMA_VERSION));
            }
            Err(other) => panic!("wrong error: {other}"),
            Ok(_) => panic!("a newer library was opened"),
        }
        assert_eq!(std::fs::read(&path).expect("read"), before, "the file was changed");
        let msg = Error::SchemaTooNew { found: 9, known: 2 }.to_string();
        assert!(
            msg.contains("newer version of Earmark") && msg.contains("Nothing was changed"),
            "{msg}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_library_gives_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(DB_FILE),
            b"this is not a database, it is a shopping list",
        )
        .expect("write");
        let err = Library::open(dir.path()).err().expect("refused");
        assert_eq!(err.code(), "db");
        assert!(err.to_string().contains("not a database"), "{err}");
    }

    #[test]
    fn listening_state_is_saved_and_survives_refresh() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lib = Library::open(dir.path()).expect("open");
        let (id, _) = lib.add_podcast("https://a.example/feed", "", t0()).expect("add");
        let feed = ParsedFeed {
            items: vec![ParsedItem {
                guid: "a".into(),
                title: "A".into(),
                ..ParsedItem::default()
            }],
            ..ParsedFeed::default()
        };
        lib.store_feed(id, &feed, &FetchMeta::default(), t0()).expect("store");
        let ep = lib.episodes(None).expect("eps")[0].id;
        assert_eq!(lib.listening_state(ep).expect("state"), (0.0, false));
        lib.save_position(ep, 754.5, t0()).expect("save");
        lib.set_played(ep, true, t0()).expect("played");
        lib.store_feed(id, &feed, &FetchMeta::default(), t0()).expect("refresh");
        assert_eq!(lib.listening_state(ep).expect("state"), (754.5, true));
        let row = &lib.episodes(None).expect("eps")[0];
        assert_eq!((row.position_secs, row.played), (754.5, true));
        lib.set_played(ep, false, t0()).expect("unplayed");
        assert_eq!(lib.listening_state(ep).expect("state"), (754.5, false));
        assert!(matches!(
            lib.save_position(EpisodeId(999), 1.0, t0()),
            Err(Error::NotFound(_))
        ));
        assert!(matches!(lib.listening_state(EpisodeId(999)), Err(Error::NotFound(_))));
        // Finishing marks it played and sends the next play back to the top, with or without a
        // state row before; an unknown episode is an error.
        lib.save_position(ep, 1800.0, t0()).expect("save");
        lib.finish_episode(ep, t0()).expect("finish");
        assert_eq!(lib.listening_state(ep).expect("state"), (0.0, true));
        lib.conn().execute("DELETE FROM episode_state", []).expect("clear");
        lib.finish_episode(ep, t0()).expect("finish without a state row");
        assert_eq!(lib.listening_state(ep).expect("state"), (0.0, true));
        assert!(matches!(
            lib.finish_episode(EpisodeId(999), t0()),
            Err(Error::NotFound(_))
        ));
    }

    #[test]
    fn wal_mode_foreign_keys_and_big_pages_are_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lib = Library::open(dir.path()).expect("open");
        let mode: String = lib
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
        let fk: i64 = lib
            .conn()
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .expect("fk");
        assert_eq!(fk, 1);
        let page: i64 = lib
            .conn()
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .expect("page size");
        assert_eq!(page, PAGE_SIZE);
        // Migration 0011's merge setting is in the index's own configuration.
        let merge: i64 = lib
            .conn()
            .query_row("SELECT v FROM episode_fts_config WHERE k = 'deletemerge'", [], |r| {
                r.get(0)
            })
            .expect("deletemerge");
        assert_eq!(merge, 50);
    }

    #[test]
    fn store_counts_new_updated_and_vanished_and_keeps_state() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lib = Library::open(dir.path()).expect("open");
        let (id, created) = lib.add_podcast("https://a.example/feed", "", t0()).expect("add");
        assert!(created);
        let item = |guid: &str, title: &str| ParsedItem {
            guid: guid.into(),
            title: title.into(),
            ..ParsedItem::default()
        };
        let mut feed = ParsedFeed {
            title: "Show".into(),
            items: vec![item("a", "A"), item("b", "B")],
            ..ParsedFeed::default()
        };
        let out = lib.store_feed(id, &feed, &FetchMeta::default(), t0()).expect("store");
        assert_eq!((out.new, out.updated, out.gone_from_feed), (2, 0, 0));
        let a = lib
            .episodes(Some(id))
            .expect("eps")
            .into_iter()
            .find(|e| e.guid == "a")
            .expect("a");
        lib.conn()
            .execute(
                "INSERT INTO episode_state (episode_id, position_secs, played, updated_at) VALUES (?1, 12.0, 1, 'x')",
                [a.id.0],
            )
            .expect("state");

        feed.items = vec![item("a", "A renamed"), item("c", "C")];
        let out = lib.store_feed(id, &feed, &FetchMeta::default(), t0()).expect("store");
        assert_eq!((out.new, out.updated, out.gone_from_feed), (1, 1, 1));
        let eps = lib.episodes(Some(id)).expect("eps");
        assert_eq!(eps.len(), 3, "nothing is deleted");
        assert!(!eps.iter().find(|e| e.guid == "b").expect("b").in_feed);
        let played: i64 = lib
            .conn()
            .query_row(
                "SELECT played FROM episode_state WHERE episode_id = ?1",
                [a.id.0],
                |r| r.get(0),
            )
            .expect("state kept");
        assert_eq!(played, 1);

        // The same feed again changes nothing.
        let out = lib.store_feed(id, &feed, &FetchMeta::default(), t0()).expect("store");
        assert_eq!((out.new, out.updated, out.gone_from_feed), (0, 0, 0));
    }
}

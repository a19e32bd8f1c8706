//! Opening a library: the folder and file, the connection's settings (WAL, busy timeout, foreign
//! keys, page size, cache), and the numbered migrations, applied on open and announced first so a
//! shell can say an upgrade is under way.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::{Error, Result};

use super::{Library, DB_FILE, READ_CACHE_KIB};

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

/// The page size of a new library file.
pub(super) const PAGE_SIZE: i64 = 16 * 1024;

/// The schema steps, in order; `PRAGMA user_version` counts how many have been applied.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_podcasts_episodes.sql"),
    include_str!("../../migrations/0002_search.sql"),
    include_str!("../../migrations/0003_queue.sql"),
    include_str!("../../migrations/0004_downloads.sql"),
    include_str!("../../migrations/0005_documents_links.sql"),
    include_str!("../../migrations/0006_bookmarks_transcripts.sql"),
    include_str!("../../migrations/0007_auto_download.sql"),
    include_str!("../../migrations/0008_document_images.sql"),
    include_str!("../../migrations/0009_fts_in_bulk.sql"),
    include_str!("../../migrations/0010_contentless_search.sql"),
    include_str!("../../migrations/0011_search_delete_merge.sql"),
    include_str!("../../migrations/0012_sync.sql"),
    include_str!("../../migrations/0013_share.sql"),
    include_str!("../../migrations/0014_link_evidence.sql"),
    include_str!("../../migrations/0015_listening.sql"),
    include_str!("../../migrations/0016_playlists.sql"),
    include_str!("../../migrations/0017_sound.sql"),
    include_str!("../../migrations/0018_sound_only.sql"),
    include_str!("../../migrations/0019_shared_pages.sql"),
    include_str!("../../migrations/0020_shared_members.sql"),
    include_str!("../../migrations/0021_share_doc_chunks.sql"),
    include_str!("../../migrations/0022_sync_sweep.sql"),
    include_str!("../../migrations/0023_share_dirt.sql"),
    include_str!("../../migrations/0024_event_notice_fact.sql"),
];

/// Every migration step, in order: import compares a library's schema with what they make.
pub(crate) fn migration_steps() -> &'static [&'static str] {
    MIGRATIONS
}

/// How long a writer waits for another process's write to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

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

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

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

    fn prepare(&self, on_upgrade: &mut dyn FnMut(SchemaUpgrade)) -> Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        // Bulk work (a share merge, a refresh) runs a few dozen statements per row; rusqlite's
        // default of 16 cached statements made them prepare again and again.
        self.conn.set_prepared_statement_cache_capacity(64);
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

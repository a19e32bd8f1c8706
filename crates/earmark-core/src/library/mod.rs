//! The library: one SQLite file (WAL) per library folder. The files of this folder split it by job:
//! `open` (the file, its settings, migrations), `podcasts`, `episodes` (lists, details, listening
//! state) and `ingest` (storing a parsed feed and indexing it).
//!
//! Several processes may open the same library at once (the app and the CLI): WAL lets readers
//! run beside a writer, the busy timeout makes a second writer wait instead of failing, and every
//! write transaction starts `IMMEDIATE` so two writers never deadlock on a lock upgrade.

mod episodes;
mod ingest;
mod open;
mod podcasts;

pub use episodes::UnpreparedEpisode;
pub(crate) use episodes::{episode_from_row, EPISODE_COLUMNS, STATE_JOIN};
pub use ingest::{FetchMeta, StoreOutcome};
pub(crate) use open::migration_steps;
pub use open::{SchemaUpgrade, SCHEMA_VERSION};

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;

/// The page cache for reading (negative: KiB), as SQLite's `cache_size` takes it.
const READ_CACHE_KIB: i64 = -32_000;

/// The file name of the database inside a library folder.
pub const DB_FILE: &str = "library.sqlite3";

/// An open library. Not `Sync`: each thread or process opens its own.
pub struct Library {
    conn: Connection,
    dir: PathBuf,
}

/// A text column borrowed from the row, not copied (show notes run to megabytes per feed).
fn text_column<'r>(row: &'r rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<&'r str> {
    row.get_ref(idx)?
        .as_str()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e)))
}

/// Formats a time the way the library stores and prints it.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Library {
    /// The folder this library lives in (downloads and caches go beside the database).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The raw connection, for the search and queue modules and for tests in this crate.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The raw connection, for writes in sibling modules.
    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// What the tests of this folder's files share.
#[cfg(test)]
pub(super) mod test_support {
    use chrono::{DateTime, Utc};

    /// A fixed "now", so stored times are the same in every run.
    pub(super) fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
    }
}

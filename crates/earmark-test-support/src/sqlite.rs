//! Checks on a library's SQLite file after a test has done its worst to it.

use std::path::Path;

/// Panics unless SQLite's own `PRAGMA integrity_check` finds the database at `db` whole: the
/// promise after a kill, a full disk or a hostile input is that nothing is lost or torn.
pub fn assert_intact(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap_or_else(|e| panic!("open {}: {e}", db.display()));
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("integrity check of {}: {e}", db.display()));
    assert_eq!(verdict, "ok", "{} is damaged", db.display());
}

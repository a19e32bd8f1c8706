//! What an imported library may contain besides data: only the tables, indexes, triggers and
//! views Earmark's own migrations make. A library file is code as well as data (a trigger runs on
//! the next write, a view on the next read), and a checksum says nothing about who wrote it, so
//! import compares the file's schema with every schema any step of our migrations ever produced.

use std::collections::HashSet;

use rusqlite::Connection;

use crate::error::Result;
use crate::library::migration_steps;

/// One schema object: type, name, and for triggers and views their SQL.
type Object = (String, String, Option<String>);

/// Every object any migration step leaves in a library. Tables and indexes are compared by name
/// (their stored SQL changes with `ALTER TABLE` and SQLite versions, and they hold data, not
/// code); triggers and views by name and exact SQL.
fn known_objects() -> Result<HashSet<Object>> {
    let conn = Connection::open_in_memory()?;
    let mut known = HashSet::new();
    for step in migration_steps() {
        conn.execute_batch(step)?;
        known.extend(objects(&conn)?);
    }
    Ok(known)
}

fn objects(conn: &Connection) -> Result<Vec<Object>> {
    let mut stmt = conn.prepare("SELECT type, name, sql FROM sqlite_master")?;
    let rows = stmt.query_map([], |r| {
        let kind: String = r.get(0)?;
        let name: String = r.get(1)?;
        let sql: Option<String> = r.get(2)?;
        let sql = if matches!(kind.as_str(), "trigger" | "view") {
            sql
        } else {
            None
        };
        Ok((kind, name, sql))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The objects in `conn` that Earmark's migrations never make, described for the user ("trigger
/// wipe_podcasts"). Empty for every library Earmark wrote.
pub(crate) fn foreign_objects(conn: &Connection) -> Result<Vec<String>> {
    let known = known_objects()?;
    let mut foreign: Vec<String> = objects(conn)?
        .into_iter()
        // SQLite's own bookkeeping (sqlite_sequence, sqlite_stat1, automatic indexes).
        .filter(|(_, name, _)| !name.starts_with("sqlite_"))
        .filter(|o| !known.contains(o))
        .map(|(kind, name, sql)| match sql {
            Some(_) if known.iter().any(|(k, n, _)| *k == kind && *n == name) => {
                format!("{kind} {name} (changed from Earmark's own)")
            }
            _ => format!("{kind} {name}"),
        })
        .collect();
    foreign.sort();
    Ok(foreign)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::Library;

    #[test]
    fn a_library_earmark_made_has_nothing_foreign() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(Library::open(dir.path()).expect("open"));
        let conn = Connection::open(dir.path().join(crate::library::DB_FILE)).expect("db");
        assert_eq!(foreign_objects(&conn).expect("check"), Vec::<String>::new());
    }

    #[test]
    fn planted_and_altered_objects_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(Library::open(dir.path()).expect("open"));
        let conn = Connection::open(dir.path().join(crate::library::DB_FILE)).expect("db");
        conn.execute_batch(
            "CREATE TRIGGER wipe AFTER INSERT ON queue BEGIN DELETE FROM podcasts; END;
             CREATE VIEW peek AS SELECT 1;
             CREATE TABLE extra (x);",
        )
        .expect("plant");
        assert_eq!(
            foreign_objects(&conn).expect("check"),
            vec!["table extra", "trigger wipe", "view peek"]
        );
    }
}

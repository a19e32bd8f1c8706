//! ARCHITECTURE.md names the files that may hold SQL; this fails when a statement appears anywhere
//! else in the workspace's source (the core's other modules, the player, the CLI, the app), or
//! when the list names a file that holds none (so it cannot go stale in either direction).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The core's source folder, and the workspace root two levels up.
fn core_src() -> PathBuf {
    workspace().join("crates/earmark-core/src")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read the source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether a line holds an SQL statement in a string (a keyword that starts a statement, in
/// capitals, after a quote or at the start of a continued literal line).
fn holds_sql(line: &str) -> bool {
    const STARTS: [&str; 9] = [
        "SELECT ",
        "INSERT INTO",
        "INSERT OR ",
        "DELETE FROM",
        "CREATE TABLE",
        "CREATE INDEX",
        "CREATE VIRTUAL TABLE",
        "PRAGMA ",
        "WITH RECURSIVE",
    ];
    let t = line.trim_start();
    let in_string = |at: usize| line[..at].contains('"') || t.starts_with(&line[at..]);
    STARTS
        .iter()
        .any(|k| line.match_indices(k).any(|(at, _)| in_string(at)))
        || (line.contains(" SET ") && line.contains("UPDATE ") && line.contains('"'))
}

/// The files the invariant lists: every `name.rs` in backticks on the "All SQL lives in" item,
/// before its "Kept by".
fn listed() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(workspace().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let start = doc
        .find("All SQL lives in")
        .expect("the SQL invariant in ARCHITECTURE.md");
    let item = &doc[start..];
    let item = &item[..item.find("\n- ").unwrap_or(item.len())];
    // What follows names the check itself (this file), not a place for SQL.
    let item = &item[..item.find("Kept by").unwrap_or(item.len())];
    item.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| s.ends_with(".rs"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn sql_lives_only_in_the_files_architecture_md_lists() {
    let allowed = listed();
    assert!(allowed.len() > 5, "could not read the list: {allowed:?}");
    let mut files = Vec::new();
    for dir in [
        "crates/earmark-core/src",
        "crates/earmark-player/src",
        "crates/earmark-cli/src",
        "src-tauri/src",
    ] {
        rust_files(&workspace().join(dir), &mut files);
    }
    let mut holding = BTreeSet::new();
    let mut strays = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read a source file");
        let Some(line) = text.lines().find(|l| holds_sql(l)) else {
            continue;
        };
        match file.strip_prefix(core_src()) {
            Ok(rel) => {
                let rel = rel.to_string_lossy().into_owned();
                if allowed.contains(&rel) {
                    holding.insert(rel);
                } else {
                    strays.push(format!("{rel}: {}", line.trim()));
                }
            }
            Err(_) => strays.push(format!("{}: {}", file.display(), line.trim())),
        }
    }
    assert!(
        strays.is_empty(),
        "SQL outside the files ARCHITECTURE.md lists (move it there, or list the file):\n{}",
        strays.join("\n")
    );
    let stale: Vec<_> = allowed.difference(&holding).collect();
    assert!(
        stale.is_empty(),
        "ARCHITECTURE.md lists files that hold no SQL: {stale:?}"
    );
}

#[test]
fn the_detector_sees_statements_and_ignores_prose() {
    assert!(holds_sql(
        r#"    conn.execute("DELETE FROM queue WHERE id = ?1", [id])?;"#
    ));
    assert!(holds_sql(r#"        "SELECT id, title FROM episodes"#));
    assert!(holds_sql("         SELECT e.id FROM episodes e"));
    assert!(holds_sql(r#"    let q = "UPDATE episodes SET played = 1";"#));
    assert!(!holds_sql("/// Select the episodes to show."));
    assert!(!holds_sql("// SELECT is not here"));
}

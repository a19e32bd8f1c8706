//! Keeps test helpers written once: a `#[path]` include compiles a second copy of a file into
//! another crate, where it drifts unseen (eight of them did before this crate existed). Shared
//! helpers belong in `earmark-test-support`.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if matches!(name.to_str(), Some("target" | "node_modules" | ".git")) {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_source_file_is_included_by_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for top in ["crates", "src-tauri", "tests"] {
        rust_files(&root.join(top), &mut files);
    }
    assert!(
        files.len() > 50,
        "the walk found only {} files: is the root right?",
        files.len()
    );
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .map(|s| s.lines().any(|l| l.trim_start().starts_with("#[path")))
                .unwrap_or(false)
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "include shared helpers from earmark-test-support instead: {offenders:?}"
    );
}

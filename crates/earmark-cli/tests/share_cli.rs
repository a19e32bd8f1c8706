//! `earmark-cli share` with two libraries and one folder: the JSON of create, sync and status (a
//! contract), and `kill -9` at random moments of a sync leaving the library and the folder usable,
//! with nothing lost.
#![allow(clippy::disallowed_methods)]

use earmark_test_support::cli::sealed;
use earmark_test_support::http;
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use earmark_core::bookmarks::{BookmarkEdit, BookmarkFilter, NewBookmark};
use earmark_core::Library;
use http::{Reply, Server};
use support::{json, keys, set};

fn cli(lib: &Path) -> Command {
    sealed(env!("CARGO_BIN_EXE_earmark-cli"), lib)
}

fn notes(lib: &Path) -> Vec<(String, String)> {
    let lib = Library::open(lib).expect("open");
    let mut v: Vec<_> = lib
        .bookmarks(&BookmarkFilter::default())
        .expect("bookmarks")
        .into_iter()
        .map(|r| (r.uid, r.bookmark.body.note))
        .collect();
    v.sort();
    v
}

#[test]
fn share_json_contract_and_kill_9_during_sync() {
    let feeds = Server::start();
    let base = feeds.base();
    feeds.set("/feed.xml", Reply::one_episode_feed(&base));
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b, folder) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("shared"));
    for lib in [&a, &b] {
        let out = cli(lib)
            .args(["subscribe", &feeds.url("/feed.xml")])
            .output()
            .expect("subscribe");
        assert!(out.status.success());
    }
    {
        let mut lib = Library::open(&a).expect("open");
        let ep = lib.episodes(None).expect("episodes")[0].id;
        for i in 0..300 {
            lib.add_bookmark(
                &NewBookmark {
                    episode_id: ep,
                    start_secs: f64::from(i),
                    end_secs: None,
                    title: format!("Moment {i}"),
                    note: String::new(),
                    tags: vec![],
                },
                earmark_core::chrono::Utc::now(),
            )
            .expect("bookmark");
        }
    }
    let created = json(
        cli(&a),
        &[
            "share",
            "create",
            folder.to_str().expect("utf-8"),
            "--name",
            "Team",
            "--as",
            "Ann",
            "--json",
        ],
    );
    assert_eq!(
        keys(&created),
        set(&["sent", "received", "files_merged", "file_written", "skipped", "waiting"])
    );
    assert_eq!(
        keys(&created["sent"]),
        set(&[
            "subscriptions",
            "bookmarks",
            "decisions",
            "tags",
            "sources",
            "pages",
            "collections"
        ])
    );
    assert_eq!(created["sent"]["bookmarks"], 300);
    let joined = json(
        cli(&b),
        &[
            "share",
            "join",
            folder.to_str().expect("utf-8"),
            "--as",
            "Bea",
            "--json",
        ],
    );
    assert_eq!(joined["received"]["bookmarks"], 300);

    // Edits on A, each followed by a sync killed at a random moment.
    let mut seed = 0x9e37_79b9_u64;
    for round in 0..12 {
        {
            let mut lib = Library::open(&a).expect("open");
            let rows = lib.bookmarks(&BookmarkFilter::default()).expect("rows");
            for r in rows.iter().skip(round * 20).take(20) {
                let edit = BookmarkEdit {
                    note: Some(format!("round {round}")),
                    ..BookmarkEdit::default()
                };
                lib.edit_bookmark(r.bookmark.id, &edit, earmark_core::chrono::Utc::now())
                    .expect("edit");
            }
        }
        let mut child = cli(&a)
            .args(["share", "sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(5 + seed % 80));
        let _ = child.kill();
        let _ = child.wait();
    }
    let after = json(cli(&a), &["share", "sync", "--json"]);
    assert!(after["skipped"].as_array().is_some_and(|s| s.is_empty()), "{after}");
    json(cli(&b), &["share", "sync", "--json"]);
    assert_eq!(notes(&b), notes(&a), "B has every edit A made, killed syncs or not");
    let status = json(cli(&b), &["share", "status", "--json"]);
    assert_eq!(
        keys(&status),
        set(&[
            "shared",
            "name",
            "folder",
            "on_server",
            "person",
            "last_sync",
            "last_error",
            "items",
            "folder_files",
            "folder_bytes"
        ])
    );
    assert_eq!(status["items"]["bookmarks"], 300);
    assert_eq!(status["person"], "Bea");
    assert_eq!(status["on_server"], false);
    // Said to a person: the folder (each teammate's own synced copy), not an address to pass on.
    let out = cli(&b).args(["share", "status"]).output().expect("status");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("Folder: {}", folder.display())), "{text}");
    assert!(!text.contains("Teammates join with"), "{text}");
}

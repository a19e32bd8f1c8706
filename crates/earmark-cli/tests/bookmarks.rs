//! `earmark-cli bookmark`, `bookmarks` and `transcript` as a user runs them: the JSON of
//! `bookmarks --json` is a contract (exactly its keys), bad input exits non-zero with a clear
//! message and changes nothing, exports are written atomically and import back without
//! duplicates, and a transcript is fetched from the fixture server on 127.0.0.1.

use earmark_test_support::cli::sealed;
use earmark_test_support::http;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use http::{Reply, Server};
use serde_json::Value;
use tempfile::TempDir;

fn cli(lib: &Path, a: &[&str]) -> Command {
    let mut c = sealed(env!("CARGO_BIN_EXE_earmark-cli"), lib);
    c.args(a);
    c
}

fn run(lib: &Path, a: &[&str]) -> Output {
    cli(lib, a).output().expect("run earmark-cli")
}

fn ok(lib: &Path, a: &[&str]) -> String {
    let out = run(lib, a);
    assert!(
        out.status.success(),
        "earmark-cli {a:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn ok_json(lib: &Path, a: &[&str]) -> Value {
    let text = ok(lib, a);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Runs a command that must fail; returns its stderr.
fn fails(lib: &Path, a: &[&str]) -> String {
    let out = run(lib, a);
    assert!(!out.status.success(), "earmark-cli {a:?} should have failed");
    String::from_utf8(out.stderr).expect("utf-8")
}

const SRT: &str = "1\n00:00:01,000 --> 00:00:04,000\nWelcome to the show.\n\n2\n00:01:02,500 --> 00:01:05,000\nKinship care, explained.\n";

fn feed(server: &Server) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel><title>Show</title><link>https://example.invalid/</link><description>d</description>
<item><guid>e1</guid><title>First</title><pubDate>01 Jan 2024 10:00:00 +0000</pubDate><itunes:duration>30:00</itunes:duration>
<enclosure url="/e1.mp3" type="audio/mpeg" length="1"/>
<podcast:transcript url="{}" type="application/x-subrip"/>
</item>
<item><guid>e2</guid><title>Second</title><pubDate>02 Jan 2024 10:00:00 +0000</pubDate>
<enclosure url="/e2.mp3" type="audio/mpeg" length="1"/></item>
</channel></rss>"#,
        server.url("/t.srt")
    )
}

/// A library subscribed to the fixture feed; returns the ids of episodes e1 and e2.
fn subscribed(server: &Server, lib: &Path) -> (i64, i64) {
    ok(lib, &["subscribe", &server.url("/feed.xml"), "--json"]);
    let eps = ok_json(lib, &["episodes", "--json"]);
    let id = |guid: &str| {
        eps.as_array()
            .expect("array")
            .iter()
            .find(|e| e["guid"] == guid)
            .and_then(|e| e["id"].as_i64())
            .expect("episode")
    };
    (id("e1"), id("e2"))
}

fn server() -> Server {
    let s = Server::start();
    let body = feed(&s);
    s.set("/feed.xml", Reply::rss(body));
    s.set("/t.srt", Reply::ok(SRT));
    s
}

#[test]
fn bookmarks_json_contract_and_editing() {
    let server = server();
    let dir = TempDir::new().expect("tempdir");
    let lib = dir.path();
    let (e1, e2) = subscribed(&server, lib);
    let e1s = e1.to_string();
    let added = ok_json(
        lib,
        &[
            "bookmark",
            "add",
            &e1s,
            "--start",
            "12:30",
            "--end",
            "13:05",
            "--title",
            "The moment",
            "--note",
            "why it matters",
            "--tag",
            "court",
            "--tag",
            "Family",
            "--json",
        ],
    );
    let point = ok_json(
        lib,
        &[
            "bookmark",
            "add",
            &e2.to_string(),
            "--start",
            "754.2",
            "--title",
            "A point",
            "--json",
        ],
    );

    let list = ok_json(lib, &["bookmarks", "--json"]);
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), 2);
    // Exactly the contract's keys.
    let want: BTreeSet<String> = "id episode_id start_secs end_secs title note tags created updated"
        .split(' ')
        .map(String::from)
        .collect();
    for b in list {
        let keys: BTreeSet<String> = b.as_object().expect("object").keys().cloned().collect();
        assert_eq!(keys, want, "exactly the contract's keys");
        for k in ["created", "updated"] {
            assert!(
                b[k].as_str()
                    .is_some_and(|s| earmark_core::chrono::DateTime::parse_from_rfc3339(s).is_ok()),
                "{k}: {b}"
            );
        }
    }
    let seg = list.iter().find(|b| b["id"] == added["id"]).expect("segment");
    assert_eq!(seg["episode_id"], e1);
    assert_eq!(
        (seg["start_secs"].as_f64(), seg["end_secs"].as_f64()),
        (Some(750.0), Some(785.0))
    );
    assert_eq!(seg["tags"], serde_json::json!(["court", "Family"]));
    assert_eq!(seg["note"], "why it matters");
    let pt = list.iter().find(|b| b["id"] == point["id"]).expect("point");
    assert_eq!(pt["end_secs"], Value::Null, "a point has a null end");
    assert_eq!(pt["start_secs"], 754.2);

    // Filters.
    let by_ep = ok_json(lib, &["bookmarks", "--episode", &e1s, "--json"]);
    assert_eq!(by_ep.as_array().map(Vec::len), Some(1));
    let by_tag = ok_json(lib, &["bookmarks", "--tag", "family", "--json"]);
    assert_eq!(by_tag[0]["id"], added["id"]);
    let by_query = ok_json(lib, &["bookmarks", "--query", "matters", "--json"]);
    assert_eq!(by_query[0]["id"], added["id"]);
    assert_eq!(
        ok_json(lib, &["bookmarks", "--query", "nothing", "--json"]),
        serde_json::json!([])
    );

    // Edit: tags replaced, end dropped, the rest kept.
    let id = added["id"].to_string();
    let edited = ok_json(lib, &["bookmark", "edit", &id, "--no-end", "--tag", "only", "--json"]);
    assert_eq!(edited["end_secs"], Value::Null);
    assert_eq!(edited["tags"], serde_json::json!(["only"]));
    assert_eq!(edited["title"], "The moment");
    let edited = ok_json(
        lib,
        &[
            "bookmark", "edit", &id, "--end", "0:14:00", "--title", "Renamed", "--json",
        ],
    );
    assert_eq!(
        (edited["end_secs"].as_f64(), edited["title"].as_str()),
        (Some(840.0), Some("Renamed"))
    );

    // Bad input: clear errors, non-zero exit, nothing changed.
    let before = ok(lib, &["bookmarks", "--json"]);
    let err = fails(
        lib,
        &[
            "bookmark", "add", &e1s, "--start", "13:05", "--end", "12:30", "--title", "x",
        ],
    );
    assert!(err.contains("must be after the start"), "{err}");
    let err = fails(lib, &["bookmark", "add", &e1s, "--start", "45:00", "--title", "x"]);
    assert!(err.contains("past the end of the episode (0:30:00)"), "{err}");
    let err = fails(lib, &["bookmark", "add", "9999", "--start", "1", "--title", "x"]);
    assert!(err.contains("episode 9999 is not in the library"), "{err}");
    let err = fails(lib, &["bookmark", "add", &e1s, "--start", "1:2x", "--title", "x"]);
    assert!(err.contains("--start") && err.contains("is not a time"), "{err}");
    let err = fails(lib, &["bookmark", "add", &e1s, "--start", "-5", "--title", "x"]);
    assert!(err.contains("negative"), "{err}");
    let err = fails(lib, &["bookmark", "edit", &id, "--start", "20:00"]);
    assert!(err.contains("must be after the start"), "{err}");
    let err = fails(lib, &["bookmark", "edit", "424242", "--title", "x"]);
    assert!(err.contains("bookmark 424242 not found"), "{err}");
    assert_eq!(ok(lib, &["bookmarks", "--json"]), before);

    ok(lib, &["bookmark", "delete", &id]);
    assert_eq!(ok_json(lib, &["bookmarks", "--json"]).as_array().map(Vec::len), Some(1));
    let err = fails(lib, &["bookmark", "delete", &id]);
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn export_to_a_file_and_import_twice() {
    let server = server();
    let dir = TempDir::new().expect("tempdir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let (e1, _) = subscribed(&server, &a);
    subscribed(&server, &b);
    ok(
        &a,
        &[
            "bookmark",
            "add",
            &e1.to_string(),
            "--start",
            "1:00",
            "--end",
            "1:30",
            "--title",
            "Seg, \"quoted\"",
            "--tag",
            "t",
        ],
    );
    ok(
        &a,
        &["bookmark", "add", &e1.to_string(), "--start", "5", "--title", "Point"],
    );

    // stdout and --out agree (apart from the export time in JSON and Markdown).
    let csv_stdout = ok(&a, &["bookmarks", "export", "--format", "csv"]);
    let csv_file = dir.path().join("out.csv");
    ok(
        &a,
        &[
            "bookmarks",
            "export",
            "--format",
            "csv",
            "--out",
            csv_file.to_str().expect("path"),
        ],
    );
    assert_eq!(std::fs::read_to_string(&csv_file).expect("csv"), csv_stdout);
    assert!(csv_stdout.starts_with("uid,podcast,episode,"));
    assert!(csv_stdout.contains("\"Seg, \"\"quoted\"\"\""), "{csv_stdout}");
    let md = ok(&a, &["bookmarks", "export", "--format", "md"]);
    assert!(
        md.contains("## Show: First") && md.contains("### 0:01:00–0:01:30 Seg, \"quoted\""),
        "{md}"
    );

    let json_file = dir.path().join("marks.json");
    std::fs::write(&json_file, "an older file").expect("old");
    ok(
        &a,
        &[
            "bookmarks",
            "export",
            "--format",
            "json",
            "--out",
            json_file.to_str().expect("path"),
        ],
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file left behind");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json_file).expect("json")).expect("parse");
    assert_eq!(doc["version"], 1);

    let path = json_file.to_str().expect("path");
    let r = ok_json(&b, &["bookmarks", "import", path, "--json"]);
    assert_eq!(
        (r["added"].as_u64(), r["updated"].as_u64(), r["skipped"].as_u64()),
        (Some(2), Some(0), Some(0))
    );
    assert_eq!(r["missing_episodes"], serde_json::json!([]));
    let r = ok_json(&b, &["bookmarks", "import", path, "--json"]);
    assert_eq!((r["added"].as_u64(), r["skipped"].as_u64()), (Some(0), Some(2)));
    let strip = |v: Value| -> Vec<(Value, Value, Value, Value)> {
        let mut v: Vec<_> = v
            .as_array()
            .expect("array")
            .iter()
            .map(|b| {
                (
                    b["title"].clone(),
                    b["start_secs"].clone(),
                    b["end_secs"].clone(),
                    b["tags"].clone(),
                )
            })
            .collect();
        v.sort_by_key(|x| x.0.to_string());
        v
    };
    assert_eq!(
        strip(ok_json(&b, &["bookmarks", "--json"])),
        strip(ok_json(&a, &["bookmarks", "--json"]))
    );

    // A library without the podcast reports what it could not import; a damaged file changes nothing.
    let c = dir.path().join("c");
    let text = ok(&c, &["bookmarks", "import", path]);
    assert!(
        text.contains("0 added") && text.contains("not imported: 2 bookmark(s) of \"First\""),
        "{text}"
    );
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, &std::fs::read(&json_file).expect("json")[..40]).expect("write");
    let err = fails(&b, &["bookmarks", "import", broken.to_str().expect("path")]);
    assert!(err.contains("nothing was changed"), "{err}");
    let err = fails(&b, &["bookmarks", "import", "/nonexistent/file.json"]);
    assert!(err.contains("reading /nonexistent/file.json"), "{err}");
}

#[test]
fn transcript_is_fetched_and_printed() {
    let server = server();
    let dir = TempDir::new().expect("tempdir");
    let (e1, e2) = subscribed(&server, dir.path());
    let text = ok(dir.path(), &["transcript", &e1.to_string()]);
    assert_eq!(
        text,
        "[0:00:01] Welcome to the show.\n[0:01:02] Kinship care, explained.\n"
    );
    let cues = ok_json(dir.path(), &["transcript", &e1.to_string(), "--json"]);
    assert_eq!(cues[1]["start_secs"], 62.5);
    assert_eq!(cues[1]["end_secs"], 65.0);
    assert_eq!(cues[1]["speaker"], Value::Null);
    assert_eq!(server.requests_to("/t.srt").len(), 1, "stored, not fetched again");
    // Searchable with the time of the hit.
    let hits = ok_json(dir.path(), &["search", "kinship", "--json"]);
    let hit = hits
        .as_array()
        .expect("array")
        .iter()
        .find(|h| h["kind"] == "transcript")
        .expect("hit");
    assert_eq!((hit["id"].as_i64(), hit["at_secs"].as_f64()), (Some(e1), Some(62.5)));

    // --refresh against a now-damaged file: an error, and the stored transcript stays.
    server.set("/t.srt", Reply::ok("1\n00:00:01,000 --> nonsense\nx\n"));
    let err = fails(dir.path(), &["transcript", &e1.to_string(), "--refresh"]);
    assert!(err.contains("the srt transcript is damaged: line 2"), "{err}");
    assert_eq!(ok(dir.path(), &["transcript", &e1.to_string()]), text);

    let err = fails(dir.path(), &["transcript", &e2.to_string()]);
    assert!(err.contains("has no transcript in its feed"), "{err}");
}

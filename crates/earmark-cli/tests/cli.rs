//! The built `earmark-cli` binary against the fixture HTTP server on 127.0.0.1: the JSON it prints
//! is a contract (the app's bindings and scripts read it), errors go to stderr with a non-zero
//! exit, and two processes can share one library.

use earmark_test_support::cli::sealed;
use earmark_test_support::http;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use http::{Reply, Server};
use serde_json::Value;
use tempfile::TempDir;

const NS: &str = r#"xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:content="http://purl.org/rss/1.0/modules/content/""#;

fn feed(title: &str, items: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" {NS}><channel><title>{title}</title><link>https://example.invalid/{title}</link>
<description>All about {title}</description><itunes:image href="/cover.jpg"/>
{items}
</channel></rss>"#
    )
}

fn item(guid: &str, title: &str, day: u32) -> String {
    format!(
        r#"<item><guid isPermaLink="false">{guid}</guid><title>{title}</title>
<pubDate>{day:02} Jan 2024 10:00:00 +0000</pubDate><itunes:duration>1:00</itunes:duration>
<enclosure url="/media/{guid}.mp3" type="audio/mpeg" length="1234"/><link>/ep/{guid}</link>
<description>Notes about {title} and the family court</description></item>"#
    )
}

/// A command for the binary with a library of its own and no way to reach anything but the
/// fixture server.
fn cli(lib: &Path) -> Command {
    sealed(env!("CARGO_BIN_EXE_earmark-cli"), lib)
}

fn run(mut cmd: Command) -> Output {
    cmd.output().expect("run earmark-cli")
}

fn ok(cmd: Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "earmark-cli failed ({:?}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

fn ok_json(cmd: Command) -> Value {
    let text = ok(cmd);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn args(lib: &Path, a: &[&str]) -> Command {
    let mut c = cli(lib);
    c.args(a);
    c
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn is_rfc3339(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| earmark_core::chrono::DateTime::parse_from_rfc3339(s).is_ok())
}

fn string_or_null(v: &Value) -> bool {
    v.is_string() || v.is_null()
}

/// The id (as an argument) of the episode titled `title` in an `episodes --json` answer.
fn episode_id(episodes: &Value, title: &str) -> String {
    episodes
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["title"] == title)
        .expect("ep")["id"]
        .to_string()
}

fn subscribed(server: &Server, lib: &Path, path: &str) -> Value {
    ok_json(args(lib, &["subscribe", &server.url(path), "--json"]))
}

#[test]
fn podcasts_json_contract() {
    let server = Server::start();
    server.set(
        "/feed.xml",
        Reply::rss(feed("Alpha", &(item("a", "One", 1) + &item("b", "Two", 2)))),
    );
    let dir = TempDir::new().expect("tempdir");
    let sub = subscribed(&server, dir.path(), "/feed.xml");
    assert_eq!(sub["created"], true);
    assert_eq!(sub["new_episodes"], 2);

    let list = ok_json(args(dir.path(), &["podcasts", "--json"]));
    let list = list.as_array().expect("an array");
    assert_eq!(list.len(), 1);
    let p = &list[0];
    let required = [
        "id",
        "title",
        "feed_url",
        "link",
        "image_url",
        "episode_count",
        "last_refresh",
        "last_error",
    ];
    // The documented fields, plus the model's `author`, `gone`, `auto_download`, `subscribed` and
    // (in a shared archive) who subscribed the team, `changed_by`/`changed_at`: nothing else,
    // nothing missing.
    let mut all = set(&required);
    all.extend(set(&[
        "author",
        "gone",
        "auto_download",
        "subscribed",
        "changed_by",
        "changed_at",
    ]));
    assert_eq!(keys(p), all, "{p}");
    assert!(p["id"].is_i64());
    assert_eq!(p["title"], "Alpha");
    assert_eq!(p["auto_download"], serde_json::json!({"mode": "off"}));
    assert_eq!(p["feed_url"], server.url("/feed.xml").as_str());
    assert_eq!(p["link"], "https://example.invalid/Alpha");
    assert_eq!(p["image_url"], server.url("/cover.jpg").as_str());
    assert_eq!(p["episode_count"], 2);
    assert!(is_rfc3339(&p["last_refresh"]), "{p}");
    assert!(p["last_error"].is_null());
    assert_eq!(p["gone"], false);

    // Empty library: an empty array, not an error or prose.
    let empty = TempDir::new().expect("tempdir");
    assert_eq!(
        ok_json(args(empty.path(), &["podcasts", "--json"])),
        Value::Array(vec![])
    );
}

#[test]
fn episodes_json_contract_newest_first() {
    let server = Server::start();
    let items = item("mid", "Middle", 2)
        + &item("new", "Newest", 3)
        + "<item><guid>undated</guid><title>No date</title></item>"
        + &item("old", "Oldest", 1);
    server.set("/feed.xml", Reply::rss(feed("Alpha", &items)));
    let dir = TempDir::new().expect("tempdir");
    let pid = subscribed(&server, dir.path(), "/feed.xml")["podcast"]["id"].clone();

    let eps = ok_json(args(dir.path(), &["episodes", "--json"]));
    let eps = eps.as_array().expect("an array");
    assert_eq!(eps.len(), 4);
    let want = set(&[
        "id",
        "podcast_id",
        "guid",
        "title",
        "published",
        "duration_secs",
        "enclosure_url",
        "enclosure_type",
        "enclosure_length",
        "link",
        "in_feed",
        "position_secs",
        "played",
        "downloaded",
    ]);
    for e in eps {
        assert_eq!(keys(e), want, "{e}");
        assert!(e["id"].is_i64());
        assert_eq!(e["podcast_id"], pid);
        assert!(e["guid"].is_string() && e["title"].is_string());
        assert!(e["published"].is_null() || is_rfc3339(&e["published"]), "{e}");
        assert!(e["duration_secs"].is_number() || e["duration_secs"].is_null());
        assert!(string_or_null(&e["enclosure_url"]) && string_or_null(&e["enclosure_type"]));
        assert!(e["enclosure_length"].is_i64() || e["enclosure_length"].is_null());
        assert!(string_or_null(&e["link"]));
        assert_eq!(e["position_secs"], 0.0, "never played");
        assert_eq!(e["played"], false);
        assert_eq!(e["downloaded"], false);
        assert_eq!(e["in_feed"], true);
    }
    let order: Vec<&str> = eps.iter().filter_map(|e| e["guid"].as_str()).collect();
    assert_eq!(order, ["new", "mid", "old", "undated"]);
    let newest = &eps[0];
    assert_eq!(newest["published"], "2024-01-03T10:00:00Z");
    assert_eq!(newest["duration_secs"], 60.0);
    assert_eq!(newest["enclosure_url"], server.url("/media/new.mp3").as_str());
    assert_eq!(newest["enclosure_type"], "audio/mpeg");
    assert_eq!(newest["enclosure_length"], 1234);
    assert_eq!(newest["link"], server.url("/ep/new").as_str());
    assert!(eps[3]["published"].is_null());

    // --podcast filters; an unknown podcast has no episodes.
    let pid_s = pid.to_string();
    let only = ok_json(args(dir.path(), &["episodes", "--podcast", &pid_s, "--json"]));
    assert_eq!(only.as_array().map(Vec::len), Some(4));
    let none = ok_json(args(dir.path(), &["episodes", "--podcast", "999", "--json"]));
    assert_eq!(none.as_array().map(Vec::len), Some(0));
}

#[test]
fn refresh_json_contract() {
    let server = Server::start();
    server.set(
        "/a.xml",
        Reply::rss(feed("A", &item("a1", "One", 1))).header("ETag", "\"a\""),
    );
    server.set("/b.xml", Reply::rss(feed("B", &item("b1", "One", 1))));
    let dir = TempDir::new().expect("tempdir");
    let a = subscribed(&server, dir.path(), "/a.xml")["podcast"]["id"].clone();
    let b = subscribed(&server, dir.path(), "/b.xml")["podcast"]["id"].clone();

    // A answers 304 to its ETag; B has a new episode.
    server.route("/a.xml", |req| {
        if req.header("if-none-match") == Some("\"a\"") {
            Reply::status(304)
        } else {
            Reply::rss(feed("A", &item("a1", "One", 1)))
        }
    });
    server.set(
        "/b.xml",
        Reply::rss(feed("B", &(item("b2", "Two", 2) + &item("b1", "One", 1)))),
    );
    let reports = ok_json(args(dir.path(), &["refresh", "--json"]));
    let reports = reports.as_array().expect("an array");
    assert_eq!(reports.len(), 2);
    let want = set(&["podcast_id", "title", "status", "new", "updated", "error"]);
    let find = |id: &Value| {
        reports
            .iter()
            .find(|r| r["podcast_id"] == *id)
            .unwrap_or_else(|| panic!("no report for {id}"))
            .clone()
    };
    for r in reports {
        assert_eq!(keys(r), want, "{r}");
    }
    let ra = find(&a);
    assert_eq!(ra["status"], "not_modified");
    assert_eq!((ra["new"].as_u64(), ra["updated"].as_u64()), (Some(0), Some(0)));
    assert!(ra["error"].is_null());
    let rb = find(&b);
    assert_eq!(rb["status"], "updated");
    assert_eq!(rb["new"], 1);
    assert_eq!(rb["updated"], 0);
    assert!(rb["error"].is_null());

    // One feed failing: still JSON on stdout, a message on stderr, a non-zero exit.
    server.set("/b.xml", Reply::status(500));
    let out = run(args(dir.path(), &["refresh", "--json"]));
    assert!(!out.status.success());
    let reports: Value = serde_json::from_slice(&out.stdout).expect("JSON even when a feed fails");
    let rb = reports
        .as_array()
        .and_then(|r| r.iter().find(|r| r["podcast_id"] == b).cloned())
        .expect("report for b");
    assert_eq!(rb["status"], "error");
    assert!(rb["error"].as_str().is_some_and(|e| e.contains("500")), "{rb}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("failed"), "{stderr}");

    // --podcast limits the refresh to one feed.
    let only = ok_json(args(dir.path(), &["refresh", "--podcast", &a.to_string(), "--json"]));
    assert_eq!(only.as_array().map(Vec::len), Some(1));
    assert_eq!(only[0]["podcast_id"], a);
}

#[test]
fn search_json_contract() {
    let server = Server::start();
    server.set(
        "/feed.xml",
        Reply::rss(feed(
            "Legal Stories",
            &(item("a", "Family court explained", 1) + &item("b", "Gardening", 2)),
        )),
    );
    let dir = TempDir::new().expect("tempdir");
    subscribed(&server, dir.path(), "/feed.xml");
    let hits = ok_json(args(dir.path(), &["search", "court", "--json"]));
    let hits = hits.as_array().expect("an array");
    assert!(hits.len() >= 2, "{hits:?}");
    let want = set(&["kind", "id", "title", "snippet", "at_secs", "episode_id"]);
    for h in hits {
        assert_eq!(keys(h), want, "{h}");
        // Only bookmark and transcript hits have a time and an episode.
        assert!(h["at_secs"].is_null() && h["episode_id"].is_null(), "{h}");
        assert!(h["kind"] == "episode" || h["kind"] == "podcast", "{h}");
        assert!(h["id"].is_i64());
        assert!(h["title"].is_string());
        assert!(h["snippet"].as_str().is_some_and(|s| s.contains('[')), "{h}");
    }
    // Both episodes mention it; the one with it in its title ranks first.
    let titles: Vec<&str> = hits.iter().filter_map(|h| h["title"].as_str()).collect();
    assert_eq!(titles, ["Family court explained", "Gardening"]);
    assert!(hits.iter().all(|h| h["kind"] == "episode"));
    let podcasts = ok_json(args(dir.path(), &["search", "legal", "--json"]));
    assert_eq!(podcasts[0]["kind"], "podcast", "{podcasts}");
    assert_eq!(podcasts[0]["title"], "Legal Stories");
    assert!(podcasts[0]["snippet"].as_str().is_some_and(|s| s.contains("[Legal]")));
    // Operators and punctuation are not syntax errors.
    let odd = ok_json(args(dir.path(), &["search", "\"court AND (", "--json"]));
    assert!(odd.is_array());
    let none = ok_json(args(dir.path(), &["search", "zebra", "--json"]));
    assert_eq!(none, Value::Array(vec![]));
}

#[test]
fn errors_go_to_stderr_with_a_non_zero_exit() {
    let server = Server::start();
    server.set("/missing.xml", Reply::status(404));
    server.set("/junk.xml", Reply::rss("<rss><channel><item>"));
    let dir = TempDir::new().expect("tempdir");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["show".into(), "999".into(), "--json".into()], "not found"),
        (
            vec!["subscribe".into(), server.url("/missing.xml"), "--json".into()],
            "404",
        ),
        (
            vec!["subscribe".into(), server.url("/junk.xml"), "--json".into()],
            "malformed",
        ),
        (vec!["subscribe".into(), "ftp://example.invalid/x".into()], "scheme"),
        (
            vec!["opml".into(), "import".into(), "/nonexistent/earmark.opml".into()],
            "reading",
        ),
    ];
    for (a, expect) in cases {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let out = run(args(dir.path(), &refs));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{a:?} succeeded");
        assert!(out.stdout.is_empty(), "{a:?} printed to stdout");
        assert!(
            stderr.contains("earmark-cli: error:") && stderr.to_lowercase().contains(expect),
            "{a:?}: stderr {stderr:?} should mention {expect:?}"
        );
    }
    // Nothing was added by the failures.
    assert_eq!(ok_json(args(dir.path(), &["podcasts", "--json"])), Value::Array(vec![]));
}

#[test]
fn opml_export_import_round_trip() {
    let server = Server::start();
    server.set(
        "/one.xml",
        Reply::rss(feed("One &amp; Only", &(item("a", "A", 1) + &item("b", "B", 2)))),
    );
    server.set("/two.xml?x=1&y=2", Reply::rss(feed("Two", &item("c", "C", 3))));
    let src = TempDir::new().expect("tempdir");
    subscribed(&server, src.path(), "/one.xml");
    subscribed(&server, src.path(), "/two.xml?x=1&y=2");

    let work = TempDir::new().expect("tempdir");
    let file = work.path().join("subs.opml");
    let file_s = file.to_str().expect("utf-8 path");
    ok(args(src.path(), &["opml", "export", file_s]));
    let text = std::fs::read_to_string(&file).expect("exported file");
    assert!(text.contains("<opml version=\"2.0\">"), "{text}");
    let stdout = ok(args(src.path(), &["opml", "export"]));
    assert!(stdout.contains(&server.url("/one.xml")), "{stdout}");

    let dst = TempDir::new().expect("tempdir");
    let reports = ok_json(args(dst.path(), &["opml", "import", file_s, "--json"]));
    let reports = reports.as_array().expect("an array");
    assert_eq!(reports.len(), 2);
    assert!(reports.iter().all(|r| r["status"] == "updated"), "{reports:?}");

    let summary = |lib: &Path| {
        let mut v: Vec<(String, String, i64)> = ok_json(args(lib, &["podcasts", "--json"]))
            .as_array()
            .expect("array")
            .iter()
            .map(|p| {
                (
                    p["feed_url"].as_str().unwrap_or("").to_owned(),
                    p["title"].as_str().unwrap_or("").to_owned(),
                    p["episode_count"].as_i64().unwrap_or(-1),
                )
            })
            .collect();
        v.sort();
        v
    };
    let want = summary(src.path());
    assert_eq!(want.len(), 2);
    assert!(want.iter().any(|p| p.1 == "One & Only"));
    assert_eq!(summary(dst.path()), want);

    // Importing the same file again subscribes to nothing new.
    let again = ok_json(args(dst.path(), &["opml", "import", file_s, "--json"]));
    assert_eq!(again, Value::Array(vec![]));
}

#[test]
fn subscribe_default_uses_the_itunes_lookup() {
    let server = Server::start();
    server.set(
        "/lookup",
        Reply::ok(format!(
            r#"{{"resultCount":1,"results":[{{"feedUrl":"{}"}}]}}"#,
            server.url("/voc.xml")
        ))
        .header("Content-Type", "text/javascript; charset=utf-8"),
    );
    server.set(
        "/voc.xml",
        Reply::rss(feed("Voice of the Child", &item("v1", "Episode one", 1))),
    );
    let dir = TempDir::new().expect("tempdir");
    let mut cmd = args(dir.path(), &["subscribe", "--default", "--json"]);
    cmd.env("EARMARK_ITUNES_BASE", server.base());
    let sub = ok_json(cmd);
    assert_eq!(sub["created"], true);
    assert_eq!(sub["podcast"]["title"], "Voice of the Child");
    assert_eq!(sub["podcast"]["feed_url"], server.url("/voc.xml").as_str());
    let lookups = server.requests_to("/lookup");
    assert_eq!(lookups.len(), 1);
    assert_eq!(lookups[0].target, "/lookup?id=1505737900&entity=podcast");

    // --default and an input together are refused.
    let out = run(args(dir.path(), &["subscribe", "--default", "x.example"]));
    assert!(!out.status.success());
}

#[test]
fn two_processes_share_one_library() {
    let server = Server::start();
    // Big enough that storing a feed takes a while, so the writers overlap.
    let big = |prefix: &str, n: u32| -> String {
        (0..n)
            .map(|i| item(&format!("{prefix}{i}"), &format!("Episode {i}"), 1 + i % 28))
            .collect()
    };
    for name in ["a", "b", "c", "d"] {
        server.set(
            &format!("/{name}.xml"),
            Reply::rss(feed(name, &big(name, 300))).delayed(Duration::from_millis(50)),
        );
    }
    let dir = TempDir::new().expect("tempdir");
    let lib = dir.path().join("shared");
    let lib = lib.as_path();

    let spawn = |a: &[&str]| {
        let mut c = args(lib, a);
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        c.spawn().expect("spawn earmark-cli")
    };
    let check = |child: std::process::Child, what: &str| {
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{what} failed: {stderr}");
        assert!(!stderr.contains("locked"), "{what}: {stderr}");
    };

    // Both create the library and subscribe at the same moment.
    let (ua, ub) = (server.url("/a.xml"), server.url("/b.xml"));
    let p1 = spawn(&["subscribe", &ua]);
    let p2 = spawn(&["subscribe", &ub]);
    check(p1, "subscribe a");
    check(p2, "subscribe b");

    for round in 0..3 {
        for name in ["a", "b", "c", "d"] {
            let n = 300 + 20 * (round + 1);
            server.set(
                &format!("/{name}.xml"),
                Reply::rss(feed(name, &big(name, n))).delayed(Duration::from_millis(50)),
            );
        }
        let (uc, ud) = (server.url("/c.xml"), server.url("/d.xml"));
        let p1 = spawn(&["refresh", "--json"]);
        let p2 = spawn(&["refresh", "--concurrency", "1", "--json"]);
        let p3 = if round == 0 {
            Some((spawn(&["subscribe", &uc]), spawn(&["subscribe", &ud])))
        } else {
            None
        };
        check(p1, "refresh 1");
        check(p2, "refresh 2");
        if let Some((s1, s2)) = p3 {
            check(s1, "subscribe c");
            check(s2, "subscribe d");
        }
    }
    let podcasts = ok_json(args(lib, &["podcasts", "--json"]));
    let podcasts = podcasts.as_array().expect("array");
    assert_eq!(podcasts.len(), 4);
    for p in podcasts {
        assert_eq!(p["episode_count"], 360, "{p}");
        assert!(p["last_error"].is_null(), "{p}");
    }
}

#[test]
fn queue_commands_keep_order_and_json_shape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = dir.path().join("lib");
    let feed = dir.path().join("feed.xml");
    std::fs::write(
        &feed,
        "<rss version=\"2.0\"><channel><title>Q</title>\
         <item><title>A</title><guid>a</guid></item><item><title>B</title><guid>b</guid></item>\
         <item><title>C</title><guid>c</guid></item></channel></rss>",
    )
    .expect("feed");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_earmark-cli"))
            .arg("--library")
            .arg(&lib)
            .args(args)
            .env("EARMARK_ITUNES_BASE", "http://127.0.0.1:9/")
            .output()
            .expect("run");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, _, err) = run(&["subscribe", feed.to_str().expect("path")]);
    assert!(ok, "{err}");
    let eps: serde_json::Value = serde_json::from_str(&run(&["episodes", "--json"]).1).expect("json");
    let id = |t: &str| episode_id(&eps, t);
    let (a, b, c) = (id("A"), id("B"), id("C"));
    assert!(run(&["queue", "add", &a, &b]).0);
    assert!(run(&["queue", "add", "--next", &c]).0);
    assert!(run(&["queue", "move", &a, "1"]).0);
    let (ok, out, _) = run(&["queue", "--json"]);
    assert!(ok);
    let q: serde_json::Value = serde_json::from_str(&out).expect("json");
    let titles: Vec<&str> = q
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["title"].as_str().expect("title"))
        .collect();
    assert_eq!(titles, ["A", "C", "B"]);
    assert!(
        q[0].get("position_secs").is_some() && q[0].get("in_feed").is_some(),
        "queue items are episodes"
    );
    let (ok, _, err) = run(&["queue", "add", "424242"]);
    assert!(!ok && err.contains("not found"), "{err}");
    assert!(run(&["queue", "clear"]).0);
    assert_eq!(run(&["queue", "--json"]).1.trim(), "[]");
}

#[test]
fn export_then_import_into_another_library() {
    let server = Server::start();
    server.set(
        "/feed.xml",
        Reply::rss(feed("Alpha", &(item("a", "One", 1) + &item("b", "Two", 2)))),
    );
    let dir = TempDir::new().expect("tempdir");
    let lib = dir.path().join("lib");
    subscribed(&server, &lib, "/feed.xml");
    ok(args(&lib, &["mark", "1", "played"]));
    let backup = dir.path().join("backup");
    let out = ok(args(&lib, &["export", backup.to_str().expect("utf-8 path")]));
    assert!(out.contains("Exported"), "{out}");

    let other = dir.path().join("other");
    let out = ok(args(&other, &["import", backup.to_str().expect("utf-8 path")]));
    assert!(out.contains("Imported"), "{out}");
    assert_eq!(
        ok_json(args(&lib, &["episodes", "--json"])),
        ok_json(args(&other, &["episodes", "--json"]))
    );

    // Importing over a library that exists is refused and changes nothing.
    let out = run(args(&other, &["import", backup.to_str().expect("utf-8 path")]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
}

#[test]
fn control_characters_never_reach_the_terminal_raw() {
    let server = Server::start();
    // Raw ESC, BEL and CSI bytes in a title, as a hostile feed sends them.
    let evil = "Clear\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m screen";
    server.set("/feed.xml", Reply::rss(feed("Hostile", &item("e1", evil, 1))));
    let dir = TempDir::new().expect("tempdir");
    let human = ok(args(dir.path(), &["subscribe", &server.url("/feed.xml")]));
    let listed = ok(args(dir.path(), &["episodes"]));
    for text in [&human, &listed] {
        assert!(
            !text.contains(['\u{1b}', '\u{7}', '\u{9b}']),
            "raw control characters printed: {text:?}"
        );
    }
    assert!(listed.contains("Clear[2J]0;pwned31m screen"), "{listed}");
    // JSON keeps the title exact, escaped by the serializer.
    let eps = ok_json(args(dir.path(), &["episodes", "--json"]));
    assert_eq!(eps[0]["title"].as_str(), Some(evil));
    let raw = ok(args(dir.path(), &["episodes", "--json"]));
    assert!(!raw.contains('\u{1b}'), "JSON escapes it: {raw:?}");
}

#[test]
fn playlist_commands_order_by_hand_filter_and_keep_their_json_shape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = dir.path().join("lib");
    let feed = dir.path().join("feed.xml");
    std::fs::write(
        &feed,
        format!(
            "<rss version=\"2.0\" {NS}><channel><title>P</title>\
             <item><title>A</title><guid>a</guid><pubDate>01 Jan 2024 10:00:00 +0000</pubDate><itunes:duration>5:00</itunes:duration></item>\
             <item><title>B</title><guid>b</guid><pubDate>02 Jan 2024 10:00:00 +0000</pubDate><itunes:duration>50:00</itunes:duration></item>\
             <item><title>C</title><guid>c</guid><pubDate>03 Jan 2024 10:00:00 +0000</pubDate><itunes:duration>9:00</itunes:duration></item>\
             </channel></rss>"
        ),
    )
    .expect("feed");
    ok(args(&lib, &["subscribe", feed.to_str().expect("path")]));
    let eps = ok_json(args(&lib, &["episodes", "--json"]));
    let id = |t: &str| episode_id(&eps, t);
    let titles = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|e| e["title"].as_str().expect("title").to_owned())
            .collect()
    };
    let (a, b, c) = (id("A"), id("B"), id("C"));
    ok(args(&lib, &["playlist", "new", "Commute"]));
    ok(args(&lib, &["playlist", "add", "commute", &c, &a, &b]));
    ok(args(&lib, &["playlist", "move", "Commute", &b, "1"]));
    assert_eq!(
        titles(&ok_json(args(&lib, &["playlist", "show", "Commute", "--json"]))),
        ["B", "C", "A"]
    );
    ok(args(&lib, &["playlist", "remove", "Commute", &c]));
    // A smart one: unplayed and under ten minutes, oldest first.
    ok(args(
        &lib,
        &[
            "playlist",
            "new",
            "Quick",
            "--unplayed",
            "--shorter-than",
            "10",
            "--oldest-first",
        ],
    ));
    assert_eq!(
        titles(&ok_json(args(&lib, &["playlist", "show", "Quick", "--json"]))),
        ["A", "C"]
    );
    ok(args(&lib, &["mark", &a, "played"]));
    assert_eq!(
        titles(&ok_json(args(&lib, &["playlist", "show", "Quick", "--json"]))),
        ["C"]
    );
    let list = ok_json(args(&lib, &["playlist", "list", "--json"]));
    let all = list.as_array().expect("array");
    assert_eq!(all.len(), 2);
    assert_eq!(keys(&all[0]), set(&["id", "name", "rule", "episode_count"]));
    assert_eq!(all[0]["name"], "Commute");
    assert!(all[0]["rule"].is_null(), "ordered by hand");
    assert_eq!(all[0]["episode_count"], 2);
    assert_eq!(
        keys(&all[1]["rule"]),
        set(&[
            "unplayed",
            "downloaded",
            "podcast",
            "tag",
            "campaign",
            "shorter_than_mins",
            "order",
            "limit"
        ])
    );
    assert_eq!(all[1]["rule"]["order"], "oldest");
    // A smart playlist is not edited by hand, and a name is not taken twice.
    let out = run(args(&lib, &["playlist", "add", "Quick", &b]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("smart playlist"));
    assert!(!run(args(&lib, &["playlist", "new", "quick"])).status.success());
    ok(args(&lib, &["playlist", "filter", "Quick", "--smart", "--limit", "1"]));
    assert_eq!(
        titles(&ok_json(args(&lib, &["playlist", "show", "Quick", "--json"]))),
        ["C"]
    );
    ok(args(&lib, &["playlist", "rename", "Quick", "Newest"]));
    ok(args(&lib, &["playlist", "delete", "Newest"]));
    let out = run(args(&lib, &["playlist", "show", "Newest"]));
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("not found"));
    assert_eq!(
        ok_json(args(&lib, &["episodes", "--json"])).as_array().map(Vec::len),
        Some(3)
    );
}

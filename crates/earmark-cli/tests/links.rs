//! `earmark-cli relink | links | link | unlink | accept | reject | review | doc-links` on a real
//! library: the JSON shapes are a contract, unknown ids are clear errors with a non-zero exit.

use earmark_test_support::cli::sealed;
use std::path::Path;
use std::process::{Command, Output};

use earmark_core::{chrono, feed, Library};
use serde_json::Value;

const FEED: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Voice of the Child</title>
<item><title>Forced Adoption and the Ashcombe Inquiry</title><guid>ep-1</guid>
<link>https://blog.example/podcast/ep-1/</link><pubDate>Mon, 01 Mar 2021 09:00:00 +0000</pubDate>
<enclosure url="https://media.example/ep-1.mp3" type="audio/mpeg" length="1"/>
<description>Jane Okafor on forced adoption and the Ashcombe Inquiry.</description></item>
</channel></rss>"#;

fn cli(lib: &Path) -> Command {
    sealed(env!("CARGO_BIN_EXE_earmark-cli"), lib)
}

fn run(lib: &Path, args: &[&str]) -> Output {
    cli(lib).args(args).output().expect("run earmark-cli")
}

fn ok(lib: &Path, args: &[&str]) -> String {
    let out = run(lib, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn json(lib: &Path, args: &[&str]) -> Value {
    let text = ok(lib, args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn fails(lib: &Path, args: &[&str], expect: &str) {
    let out = run(lib, args);
    assert!(!out.status.success(), "{args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(expect), "{args:?}: {err}");
}

/// A library with one episode (id returned) and three posts: one linking to its audio, one
/// unrelated, one more for a manual link.
fn setup(dir: &Path) -> (i64, [i64; 3]) {
    let mut lib = Library::open(dir).expect("open");
    let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
    let base = url::Url::parse("https://show.example/feed.xml").expect("url");
    let parsed = feed::parse(FEED.as_bytes(), &base).expect("feed");
    let (pid, _) = lib.add_podcast(base.as_str(), "", now).expect("podcast");
    lib.store_feed(pid, &parsed, now).expect("store");
    let ep = lib.episodes(None).expect("eps")[0].id.0;
    let mut doc = |url: &str, title: &str, html: &str| {
        lib.insert_document_for_tests("post", url, title, Some("2021-03-02T09:00:00Z"), html)
            .expect("doc")
            .0
    };
    let a = doc(
        "https://blog.example/a/",
        "New episode",
        r#"<a href="https://media.example/ep-1.mp3">mp3</a>"#,
    );
    let b = doc("https://blog.example/b/", "Gardening", "<p>Roses and tulips.</p>");
    let c = doc("https://blog.example/c/", "Newsletter", "<p>Our newsletter.</p>");
    (ep, [a, b, c])
}

#[test]
fn links_json_contract_and_decisions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = dir.path();
    let (ep, [a, b, c]) = setup(lib);
    let (ep_s, a_s, b_s, c_s) = (ep.to_string(), a.to_string(), b.to_string(), c.to_string());

    let report = json(lib, &["relink", "--json"]);
    assert_eq!(report["episodes"], 1);
    assert_eq!(report["explicit"], 1);
    assert!(ok(lib, &["relink"]).contains("1 episodes linked"));

    let links = json(lib, &["links", &ep_s, "--json"]);
    let arr = links.as_array().expect("array");
    assert_eq!(arr.len(), 1, "{links}");
    let keys: Vec<&str> = arr[0].as_object().expect("object").keys().map(String::as_str).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        ["doc_id", "evidence", "kind", "reasons", "score", "state", "title", "url"]
    );
    assert_eq!(arr[0]["doc_id"], a);
    assert_eq!(arr[0]["kind"], "explicit");
    assert_eq!(arr[0]["state"], "accepted");
    assert_eq!(arr[0]["reasons"][0], "links to this episode's audio");
    assert_eq!(arr[0]["evidence"][0], "links_audio");

    ok(lib, &["link", &ep_s, &c_s, "--note", "from the newsletter"]);
    ok(lib, &["reject", &ep_s, &b_s]);
    ok(lib, &["unlink", &ep_s, &a_s]);
    ok(lib, &["relink"]);
    let links = json(lib, &["links", &ep_s, "--json"]);
    let state = |doc: i64| {
        links
            .as_array()
            .expect("array")
            .iter()
            .find(|l| l["doc_id"] == doc)
            .map(|l| {
                (
                    l["kind"].as_str().unwrap_or("").to_owned(),
                    l["state"].as_str().unwrap_or("").to_owned(),
                )
            })
    };
    assert_eq!(state(a), Some(("explicit".into(), "rejected".into())), "{links}");
    assert_eq!(state(b), Some(("suggested".into(), "rejected".into())), "{links}");
    assert_eq!(state(c), Some(("manual".into(), "accepted".into())), "{links}");
    ok(lib, &["accept", &ep_s, &a_s]);
    let docs = json(lib, &["doc-links", &a_s, "--json"]);
    assert_eq!(docs[0]["episode_id"], ep);
    assert_eq!(docs[0]["state"], "accepted");
    let notes = json(lib, &["doc-links", &c_s, "--json"]);
    assert_eq!(notes[0]["note"], "from the newsletter");
    let review = json(lib, &["review", "--limit", "5", "--json"]);
    assert!(review.as_array().expect("array").is_empty(), "{review}");
    ok(lib, &["unlink", &ep_s, &c_s]);
    assert!(json(lib, &["doc-links", &c_s, "--json"])
        .as_array()
        .expect("array")
        .is_empty());
}

#[test]
fn unknown_ids_are_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = dir.path();
    let (ep, [a, ..]) = setup(lib);
    let (ep_s, a_s) = (ep.to_string(), a.to_string());
    fails(lib, &["links", "999", "--json"], "episode 999 not found");
    fails(lib, &["link", &ep_s, "999"], "document 999 not found");
    fails(lib, &["link", "999", &a_s], "episode 999 not found");
    fails(lib, &["unlink", &ep_s, &a_s], "a link between episode");
    fails(lib, &["accept", &ep_s, "12345"], "document 12345 not found");
    fails(lib, &["reject", "4242", &a_s], "episode 4242 not found");
    fails(lib, &["doc-links", "31337", "--json"], "document 31337 not found");
    fails(lib, &["relink", "--episode", "999"], "episode 999 not found");
    fails(lib, &["link", "x", "y"], "invalid value");
}

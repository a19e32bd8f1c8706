//! Hostile input, as an attacker would send it: feeds and pages from a server on 127.0.0.1 that
//! try to make Earmark read the listener's files, nest HTML until a walk overflows, trickle a body
//! for ever; and tampered library exports. Each case asserts a clear error or a safe result, in
//! bounded time, with the library intact and nothing outside it read or written.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Reply, Server};
use earmark_core::chrono::{DateTime, TimeZone, Utc};
use earmark_core::fetch::{FetchConfig, Fetcher};
use earmark_core::resolve::{self, Resolver};
use earmark_core::Library;
use tempfile::TempDir;
use url::Url;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).single().expect("time")
}

fn fetcher() -> Fetcher {
    Fetcher::new(FetchConfig {
        timeout: Duration::from_secs(5),
        ..FetchConfig::default()
    })
    .expect("fetcher")
}

fn subscribe(lib: &mut Library, feed_url: &str) -> earmark_core::model::Subscription {
    let base = Url::parse(feed_url).expect("base");
    resolve::subscribe(lib, &Resolver::new(fetcher(), base), feed_url, t0()).expect("subscribe")
}

fn integrity_ok(dir: &Path) {
    let conn = rusqlite::Connection::open(dir.join(earmark_core::library::DB_FILE)).expect("db");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok");
}

/// A feed whose only item names local files in every place a URL can go.

fn nested_divs(depth: usize, text: &str) -> String {
    format!("{}{text}{}", "<div>".repeat(depth), "</div>".repeat(depth))
}

#[test]
fn deeply_nested_show_notes_neither_crash_nor_stall() {
    let dir = TempDir::new().expect("tempdir");
    let server = Server::start();
    let notes = nested_divs(20_000, "the bottom of the well");
    server.set(
        "/feed.xml",
        Reply::rss(format!(
            r#"<rss version="2.0"><channel><title>Deep</title><item><guid>d1</guid><title>Deep notes</title>
<description><![CDATA[{notes}]]></description></item></channel></rss>"#
        )),
    );
    let mut lib = Library::open(dir.path()).expect("open");
    subscribe(&mut lib, &server.url("/feed.xml"));
    let id = lib.episodes(None).expect("episodes")[0].id;
    let started = Instant::now();
    let d = lib.episode(id).expect("episode");
    assert!(d.notes_html.contains("the bottom of the well"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    integrity_ok(dir.path());
}

#[test]
fn a_deeply_nested_page_is_stored_without_a_crash() {
    let dir = TempDir::new().expect("tempdir");
    let server = Server::start();
    let page = format!(
        "<!doctype html><html><head><title>Deep page</title></head><body><article><h1>Deep page</h1>\
         <p>{}</p>{}</article></body></html>",
        "Words a reader came for. ".repeat(40),
        nested_divs(100_000, "hidden at the bottom")
    );
    server.set("/deep", Reply::ok(page).header("Content-Type", "text/html"));
    let mut lib = Library::open(dir.path()).expect("open");
    let started = Instant::now();
    let out =
        earmark_core::docs::add_pages(&mut lib, &fetcher(), &[server.url("/deep")], None, t0()).expect("add pages");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(out.len(), 1);
    let doc = out[0]
        .document
        .as_ref()
        .unwrap_or_else(|| panic!("stored: {:?}", out[0].error));
    assert_eq!(doc.title, "Deep page");
    integrity_ok(dir.path());
}


//! Subscribe, refresh and OPML against a real HTTP server on 127.0.0.1 (see `common`): what the
//! library stores, what it sends, and that a failure never damages what is already there.

use earmark_test_support::http;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use earmark_core::chrono::{DateTime, TimeZone, Utc};
use earmark_core::error::{Error, FeedError, FetchError};
use earmark_core::fetch::{FetchConfig, Fetcher};
use earmark_core::model::{Episode, PodcastId, RefreshReport, RefreshStatus, Subscription};
use earmark_core::resolve::{self, Resolver, Target};
use earmark_core::{opml, refresh, Library};
use http::{Body, Reply, Server};
use tempfile::TempDir;
use url::Url;

// ---------------------------------------------------------------------------------------------
// Helpers

const NS: &str = r#"xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:podcast="https://podcastindex.org/namespace/1.0""#;

/// An RSS 2.0 document around some `<item>`s.
fn feed(title: &str, items: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" {NS}><channel><title>{title}</title><link>https://example.invalid/show</link>
<description>All about {title}</description>
{items}
</channel></rss>"#
    )
}

/// A complete item published on 2024-01-`day`.
fn item(guid: &str, title: &str, day: u32) -> String {
    format!(
        r#"<item><guid isPermaLink="false">{guid}</guid><title>{title}</title>
<pubDate>{day:02} Jan 2024 10:00:00 +0000</pubDate>
<enclosure url="/media/{guid}.mp3" type="audio/mpeg" length="1234"/>
<description>Notes for {title}</description></item>"#
    )
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 2, 1, 12, 0, 0).single().expect("valid time")
}

fn later(minutes: i64) -> DateTime<Utc> {
    t0() + earmark_core::chrono::Duration::minutes(minutes)
}

fn open_lib() -> (TempDir, Library) {
    let dir = TempDir::new().expect("tempdir");
    let lib = Library::open(dir.path()).expect("open library");
    (dir, lib)
}

fn fetcher_with(config: FetchConfig) -> Fetcher {
    Fetcher::new(config).expect("fetcher")
}

/// Default limits, except a timeout short enough that a mistake cannot hang the suite.
fn fetcher() -> Fetcher {
    fetcher_with(FetchConfig {
        timeout: Duration::from_secs(5),
        ..FetchConfig::default()
    })
}

fn resolver(server: &Server, fetcher: Fetcher) -> Resolver {
    let base = Url::parse(&server.url("/")).expect("base url");
    Resolver::new(fetcher, base)
}

fn subscribe(lib: &mut Library, server: &Server, path: &str) -> Subscription {
    resolve::subscribe(lib, &resolver(server, fetcher()), &server.url(path), t0())
        .unwrap_or_else(|e| panic!("subscribing to {path}: {e}"))
}

fn refresh_with(
    lib: &mut Library,
    fetcher: &Fetcher,
    ids: Option<&[PodcastId]>,
    concurrency: usize,
    now: DateTime<Utc>,
) -> Vec<RefreshReport> {
    refresh::refresh(lib, fetcher, ids, concurrency, now, &mut |_, _, _| {}).expect("refresh runs")
}

/// Refreshes one podcast with the default fetcher and returns its report.
fn refresh_one(lib: &mut Library, id: PodcastId, now: DateTime<Utc>) -> RefreshReport {
    let mut reports = refresh_with(lib, &fetcher(), Some(&[id]), 4, now);
    assert_eq!(reports.len(), 1, "{reports:?}");
    reports.remove(0)
}

/// Every column of every row a query returns, rendered, so "unchanged" can be checked exactly.
fn rows(dir: &Path, sql: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(dir.join(earmark_core::library::DB_FILE)).expect("open the library file");
    let mut stmt = conn.prepare(sql).expect("prepare");
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}")))
            .collect::<Result<Vec<_>, _>>()
            .map(|v| v.join(" | "))
    })
    .expect("query")
    .collect::<Result<Vec<_>, _>>()
    .expect("rows")
}

fn episode_rows(dir: &Path) -> Vec<String> {
    rows(dir, "SELECT * FROM episodes ORDER BY id")
}

fn by_guid(lib: &Library, guid: &str) -> Episode {
    lib.episodes(None)
        .expect("episodes")
        .into_iter()
        .find(|e| e.guid == guid)
        .unwrap_or_else(|| panic!("no episode with guid {guid}"))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

fn two_item_feed() -> String {
    feed("Two", &(item("a", "Alpha", 2) + &item("b", "Beta", 1)))
}

/// Asserts a refresh failed, left the episodes exactly as they were and recorded why.
fn assert_failed_cleanly(
    dir: &Path,
    lib: &mut Library,
    id: PodcastId,
    before: &[String],
    expect_in_error: &str,
) -> RefreshReport {
    let count = lib.podcast(id).expect("podcast").episode_count;
    let report = refresh_one(lib, id, later(30));
    assert_eq!(report.status, RefreshStatus::Error, "{report:?}");
    let err = report.error.clone().expect("an error message");
    assert!(
        err.to_lowercase().contains(expect_in_error),
        "error {err:?} should mention {expect_in_error:?}"
    );
    assert_eq!(report.new, 0);
    assert_eq!(episode_rows(dir), before, "episodes must be untouched");
    let p = lib.podcast(id).expect("podcast");
    assert_eq!(p.episode_count, count);
    assert_eq!(p.last_error.as_deref(), Some(err.as_str()));
    assert_eq!(
        p.last_refresh.as_deref(),
        Some("2024-02-01T12:00:00Z"),
        "a failed refresh is not a successful check"
    );
    report
}

// ---------------------------------------------------------------------------------------------
// Subscribing

#[test]
fn subscribe_by_feed_url() {
    let server = Server::start();
    server.set("/feed.xml", Reply::rss(two_item_feed()));
    let (_dir, mut lib) = open_lib();

    let sub = subscribe(&mut lib, &server, "/feed.xml");
    assert!(sub.created);
    assert_eq!(sub.new_episodes, 2);
    assert_eq!(sub.podcast.title, "Two");
    assert_eq!(sub.podcast.feed_url, server.url("/feed.xml"));
    assert_eq!(sub.podcast.episode_count, 2);
    assert_eq!(sub.podcast.last_refresh.as_deref(), Some("2024-02-01T12:00:00Z"));
    assert_eq!(sub.podcast.last_error, None);

    let eps = lib.episodes(Some(sub.podcast.id)).expect("episodes");
    let titles: Vec<&str> = eps.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(titles, ["Alpha", "Beta"], "newest first");
    assert_eq!(
        eps[0].enclosure_url.as_deref(),
        Some(server.url("/media/a.mp3").as_str())
    );
    assert_eq!(eps[0].enclosure_length, Some(1234));
    assert_eq!(eps[0].published.as_deref(), Some("2024-01-02T10:00:00Z"));

    // What the client sent.
    let reqs = server.requests_to("/feed.xml");
    assert_eq!(reqs.len(), 1);
    let ua = reqs[0].header("user-agent").unwrap_or("");
    assert!(ua.starts_with("Earmark/"), "user agent {ua:?}");
    assert!(reqs[0]
        .header("accept")
        .is_some_and(|a| a.contains("application/rss+xml")));
    assert_eq!(reqs[0].header("if-none-match"), None);

    // Subscribing again refreshes the same podcast.
    let again = subscribe(&mut lib, &server, "/feed.xml");
    assert!(!again.created);
    assert_eq!(again.podcast.id, sub.podcast.id);
    assert_eq!(again.new_episodes, 0);
    assert_eq!(lib.podcasts().expect("podcasts").len(), 1);
}

#[test]
fn subscribe_via_web_page_discovery() {
    let server = Server::start();
    server.set(
        "/show/",
        Reply::ok(
            r#"<!doctype html><html><head><title>My show</title>
            <link rel="stylesheet" href="/style.css">
            <link rel="alternate" type="application/rss+xml" title="Feed" href="../feeds/show.xml">
            </head><body><h1>Hello</h1></body></html>"#,
        )
        .header("Content-Type", "text/html; charset=utf-8"),
    );
    server.set("/feeds/show.xml", Reply::rss(two_item_feed()));
    let (_dir, mut lib) = open_lib();

    let sub = subscribe(&mut lib, &server, "/show/");
    assert_eq!(sub.podcast.feed_url, server.url("/feeds/show.xml"));
    assert_eq!(sub.podcast.episode_count, 2);
    assert_eq!(server.requests_to("/feeds/show.xml").len(), 1);

    // A page without a feed link is a clear error and adds nothing.
    server.set(
        "/nofeed.html",
        Reply::ok("<html><head><title>x</title></head><body>nothing</body></html>").header("Content-Type", "text/html"),
    );
    let err = resolve::subscribe(
        &mut lib,
        &resolver(&server, fetcher()),
        &server.url("/nofeed.html"),
        t0(),
    )
    .expect_err("no feed on the page");
    assert!(matches!(err, Error::Feed(FeedError::NoFeedFound(_))), "{err:?}");
    assert_eq!(lib.podcasts().expect("podcasts").len(), 1);
}

fn itunes_server() -> Server {
    let server = Server::start();
    let lookup = format!(
        r#"{{"resultCount":1,"results":[{{"wrapperType":"track","kind":"podcast","collectionId":1505737900,"feedUrl":"{}"}}]}}"#,
        server.url("/feed.xml")
    );
    server.set(
        "/lookup",
        Reply::ok(lookup).header("Content-Type", "text/javascript; charset=utf-8"),
    );
    server.set("/feed.xml", Reply::rss(two_item_feed()));
    server
}

#[test]
fn subscribe_by_apple_podcasts_id() {
    let server = itunes_server();
    let (_dir, mut lib) = open_lib();
    let sub = resolve::subscribe(&mut lib, &resolver(&server, fetcher()), "1505737900", t0()).expect("subscribe by id");
    assert_eq!(sub.podcast.feed_url, server.url("/feed.xml"));
    assert_eq!(sub.new_episodes, 2);
    let lookups = server.requests_to("/lookup");
    assert_eq!(lookups.len(), 1);
    assert_eq!(lookups[0].target, "/lookup?id=1505737900&entity=podcast");

    // An id the lookup does not know is NotFound, and adds nothing.
    server.set(
        "/lookup",
        Reply::ok(r#"{"resultCount":0,"results":[]}"#).header("Content-Type", "text/javascript"),
    );
    let err = resolve::subscribe(&mut lib, &resolver(&server, fetcher()), "id42", t0()).expect_err("unknown id");
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert_eq!(lib.podcasts().expect("podcasts").len(), 1);
}

#[test]
fn subscribe_by_apple_podcasts_url() {
    let server = itunes_server();
    let (_dir, mut lib) = open_lib();
    let input = "https://podcasts.apple.com/gb/podcast/voice-of-the-child-podcasts/id1505737900?i=1000";
    // Guard: the Apple URL itself must never be fetched (that would leave 127.0.0.1).
    assert_eq!(resolve::classify(input).expect("classify"), Target::AppleId(1505737900));
    let sub = resolve::subscribe(&mut lib, &resolver(&server, fetcher()), input, t0()).expect("subscribe by apple url");
    assert_eq!(sub.podcast.feed_url, server.url("/feed.xml"));
    assert_eq!(sub.podcast.episode_count, 2);
    assert_eq!(
        server.requests_to("/lookup")[0].target,
        "/lookup?id=1505737900&entity=podcast"
    );
}

// ---------------------------------------------------------------------------------------------
// Conditional GET

#[test]
fn etag_304_touches_nothing() {
    let server = Server::start();
    let body = two_item_feed();
    server.route("/feed.xml", move |req| {
        if req.header("if-none-match") == Some("\"v1\"") {
            Reply::status(304).header("ETag", "\"v1\"")
        } else {
            Reply::rss(body.clone()).header("ETag", "\"v1\"")
        }
    });
    let (dir, mut lib) = open_lib();
    let id = subscribe(&mut lib, &server, "/feed.xml").podcast.id;
    let before = episode_rows(dir.path());

    let report = refresh_one(&mut lib, id, later(60));
    assert_eq!(report.status, RefreshStatus::NotModified, "{report:?}");
    assert_eq!((report.new, report.updated, report.error), (0, 0, None));
    assert_eq!(episode_rows(dir.path()), before);
    let p = lib.podcast(id).expect("podcast");
    assert_eq!(p.last_refresh.as_deref(), Some("2024-02-01T13:00:00Z"));
    assert_eq!(p.episode_count, 2);

    let reqs = server.requests_to("/feed.xml");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].header("if-none-match"), Some("\"v1\""));
    assert_eq!(reqs[1].header("if-modified-since"), None);
    // The validator survives a 304 for the next time.
    let again = refresh_one(&mut lib, id, later(120));
    assert_eq!(again.status, RefreshStatus::NotModified);
    assert_eq!(
        server.requests_to("/feed.xml")[2].header("if-none-match"),
        Some("\"v1\"")
    );
}

#[test]
fn last_modified_304_touches_nothing() {
    let server = Server::start();
    let body = two_item_feed();
    const LM: &str = "Wed, 21 Oct 2015 07:28:00 GMT";
    server.route("/feed.xml", move |req| {
        if req.header("if-modified-since") == Some(LM) {
            Reply::status(304)
        } else {
            Reply::rss(body.clone()).header("Last-Modified", LM)
        }
    });
    let (dir, mut lib) = open_lib();
    let id = subscribe(&mut lib, &server, "/feed.xml").podcast.id;
    let before = episode_rows(dir.path());

    let report = refresh_one(&mut lib, id, later(60));
    assert_eq!(report.status, RefreshStatus::NotModified, "{report:?}");
    assert_eq!(episode_rows(dir.path()), before);
    let reqs = server.requests_to("/feed.xml");
    assert_eq!(reqs[1].header("if-modified-since"), Some(LM));
    assert_eq!(reqs[1].header("if-none-match"), None);
}

#[test]
fn changed_feed_is_stored_after_validators() {
    // A server that ignores validators and sends a new version: it is stored, new validators kept.
    let server = Server::start();
    server.set("/feed.xml", Reply::rss(two_item_feed()).header("ETag", "\"v1\""));
    let (_dir, mut lib) = open_lib();
    let id = subscribe(&mut lib, &server, "/feed.xml").podcast.id;
    let three = feed(
        "Two",
        &(item("c", "Gamma", 3) + &item("a", "Alpha", 2) + &item("b", "Beta", 1)),
    );
    server.set("/feed.xml", Reply::rss(three).header("ETag", "\"v2\""));
    let report = refresh_one(&mut lib, id, later(5));
    assert_eq!(report.status, RefreshStatus::Updated);
    assert_eq!((report.new, report.updated), (1, 0));
    assert_eq!(lib.conditional(id).expect("validators").0.as_deref(), Some("\"v2\""));
}

// ---------------------------------------------------------------------------------------------
// Redirects and statuses

fn moved_permanently(status: u16) {
    let server = Server::start();
    server.set("/old.xml", Reply::rss(two_item_feed()));
    let (_dir, mut lib) = open_lib();
    let id = subscribe(&mut lib, &server, "/old.xml").podcast.id;

    server.set("/old.xml", Reply::redirect(status, "/new.xml"));
    server.set("/new.xml", Reply::rss(two_item_feed()));
    let report = refresh_one(&mut lib, id, later(5));
    assert_eq!(report.status, RefreshStatus::Updated, "{report:?}");
    assert_eq!(lib.podcast(id).expect("podcast").feed_url, server.url("/new.xml"));
    assert_eq!(lib.episodes(Some(id)).expect("episodes").len(), 2);

    // The next refresh goes straight to the new address.
    refresh_one(&mut lib, id, later(10));
    assert_eq!(server.requests_to("/old.xml").len(), 2);
    assert_eq!(server.requests_to("/new.xml").len(), 2);

    // Subscribing through a permanent redirect stores where it led.
    server.set("/moved.xml", Reply::redirect(status, &server.url("/other.xml")));
    server.set("/other.xml", Reply::rss(feed("Other", &item("x", "X", 1))));
    let sub = subscribe(&mut lib, &server, "/moved.xml");
    assert_eq!(sub.podcast.feed_url, server.url("/other.xml"));
}

#[test]
fn redirect_301_updates_feed_url() {
    moved_permanently(301);
}

#[test]
fn redirect_308_updates_feed_url() {
    moved_permanently(308);
}

#[test]
fn redirect_302_keeps_feed_url() {
    let server = Server::start();
    server.set("/old.xml", Reply::rss(two_item_feed()));
    let (_dir, mut lib) = open_lib();
    let id = subscribe(&mut lib, &server, "/old.xml").podcast.id;

    server.set("/old.xml", Reply::redirect(302, "/tmp.xml"));
    server.set("/tmp.xml", Reply::rss(two_item_feed()));
    let report = refresh_one(&mut lib, id, later(5));
    assert_eq!(report.status, RefreshStatus::Updated, "{report:?}");
    assert_eq!(lib.podcast(id).expect("podcast").feed_url, server.url("/old.xml"));
    refresh_one(&mut lib, id, later(10));
    assert_eq!(server.requests_to("/old.xml").len(), 3);

    // A permanent hop followed by a temporary one is not a permanent move either.
    server.set("/old.xml", Reply::redirect(301, "/hop.xml"));
    server.set("/hop.xml", Reply::redirect(302, "/tmp.xml"));
    refresh_one(&mut lib, id, later(15));
    assert_eq!(lib.podcast(id).expect("podcast").feed_url, server.url("/old.xml"));

    // Subscribing through a temporary redirect keeps the address given.
    server.set("/temp-sub.xml", Reply::redirect(302, "/tmp2.xml"));
    server.set("/tmp2.xml", Reply::rss(feed("T", &item("t", "T", 1))));
    let sub = subscribe(&mut lib, &server, "/temp-sub.xml");
    assert_eq!(sub.podcast.feed_url, server.url("/temp-sub.xml"));
}

#[test]
fn gone_410_marks_podcast_and_keeps_episodes() {
    let server = Server::start();
    server.set("/feed.xml", Reply::rss(two_item_feed()));
    let (dir, mut lib) = open_lib();
    let id = subscribe(&mut lib, &server, "/feed.xml").podcast.id;
    let before = episode_rows(dir.path());

    server.set("/feed.xml", Reply::status(410));
    let report = assert_failed_cleanly(dir.path(), &mut lib, id, &before, "410");
    assert!(report.error.is_some());
    let p = lib.podcast(id).expect("podcast");
    assert!(p.gone);
    assert_eq!(p.episode_count, 2);

    // A gone feed is skipped by a refresh of everything.
    let reports = refresh_with(&mut lib, &fetcher(), None, 4, later(60));
    assert!(reports.is_empty(), "{reports:?}");
    assert_eq!(server.requests_to("/feed.xml").len(), 2);
    assert_eq!(episode_rows(dir.path()), before);
}

#[test]
fn other_http_errors_change_nothing() {
    let server = Server::start();
    server.set("/feed.xml", Reply::rss(two_item_feed()));
    let (dir, mut lib) = open_lib();
    let id = subscribe(&mut lib, &server, "/feed.xml").podcast.id;
    let before = episode_rows(dir.path());
    for status in [404, 500] {
        server.set("/feed.xml", Reply::status(status).body("oops"));
        assert_failed_cleanly(dir.path(), &mut lib, id, &before, &status.to_string());
        assert!(!lib.podcast(id).expect("podcast").gone);
    }
    // Recovery clears the error.
    server.set("/feed.xml", Reply::rss(two_item_feed()));
    let report = refresh_one(&mut lib, id, later(90));
    assert_eq!(report.status, RefreshStatus::Updated);
    assert_eq!(lib.podcast(id).expect("podcast").last_error, None);
}

#[test]
fn redirect_loop_is_a_clear_error_and_changes_nothing() {
    let server = Server::start();
    server.set("/feed.xml", Reply::rss(two_item_feed()));
    let (dir, mut lib) = open_lib();
    let id = subscribe(&mut lib, &server, "/feed.xml").podcast.id;
    let before = episode_rows(dir.path());
    let podcasts_before = lib.podcasts().expect("podcasts");

    server.set("/feed.xml", Reply::redirect(302, "/a.xml"));
    server.set("/a.xml", Reply::redirect(301, "/b.xml"));
    server.set("/b.xml", Reply::redirect(307, "/a.xml"));
    assert_failed_cleanly(dir.path(), &mut lib, id, &before, "redirect loop");
    assert_eq!(lib.podcast(id).expect("podcast").feed_url, server.url("/feed.xml"));

    // A self-redirect when subscribing: an error, nothing added.
    server.set("/self.xml", Reply::redirect(301, "/self.xml"));
    let err =
        resolve::subscribe(&mut lib, &resolver(&server, fetcher()), &server.url("/self.xml"), t0()).expect_err("loop");
    assert!(matches!(err, Error::Fetch(FetchError::RedirectLoop(_))), "{err:?}");
    assert!(err.to_string().contains("redirect loop"), "{err}");
    assert_eq!(lib.podcasts().expect("podcasts").len(), podcasts_before.len());
    // The loop was cut short, not followed until some large limit.
    assert!(server.requests_to("/self.xml").len() <= 2);
}

#[test]
fn redirect_chains_are_bounded() {
    let server = Server::start();
    for i in 0..10 {
        server.set(&format!("/r{i}"), Reply::redirect(302, &format!("/r{}", i + 1)));
    }
    server.set("/r10", Reply::rss(two_item_feed()));
    let f = fetcher_with(FetchConfig {
        max_redirects: 3,
        timeout: Duration::from_secs(5),
        ..FetchConfig::default()
    });
    // Three hops are followed…
    let ok = f
        .get(&Url::parse(&server.url("/r7")).expect("url"))
        .expect("three redirects are fine");
    assert_eq!(ok.final_url.as_str(), server.url("/r10"));
    assert_eq!(ok.moved_permanently_to, None);
    // …four are not.
    let err = f
        .get(&Url::parse(&server.url("/r6")).expect("url"))
        .expect_err("four redirects");
    assert!(matches!(err, FetchError::TooManyRedirects(3)), "{err:?}: {err}");
    // A redirect without a Location is an error, not a hang.
    server.set("/nowhere", Reply::status(301));
    let err = f
        .get(&Url::parse(&server.url("/nowhere")).expect("url"))
        .expect_err("no location");
    assert!(matches!(err, FetchError::Status { status: 301, .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Limits

#[test]
fn timeout_is_a_clear_error() {
    let server = Server::start();
    server.set("/feed.xml", Reply::rss(two_item_feed()));
    server.set("/slow.xml", Reply::stall(Duration::from_secs(3)));
    server.set(
        "/trickle.xml",
        Reply::status(200)
            .header("Content-Length", "5000")
            .with_body(Body::StallAfter {
                prefix: b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>".to_vec(),
                wait: Duration::from_secs(3),
            }),
    );
    let f = fetcher_with(FetchConfig {
        timeout: Duration::from_millis(500),
        ..FetchConfig::default()
    });

    for path in ["/slow.xml", "/trickle.xml"] {
        let start = Instant::now();
        let err = f
            .get(&Url::parse(&server.url(path)).expect("url"))
            .expect_err("times out");
        let took = start.elapsed();
        assert!(matches!(err, FetchError::Timeout { .. }), "{path}: {err:?}: {err}");
        assert_eq!(err.code(), "timeout");
        assert!(err.to_string().contains("timed out"), "{err}");
        assert!(took < Duration::from_millis(2500), "{path} took {took:?}");
    }

    // Through a refresh: reported, and the library is untouched.
    let (dir, mut lib) = open_lib();
    let id = subscribe(&mut lib, &server, "/feed.xml").podcast.id;
    let before = episode_rows(dir.path());
    server.set("/feed.xml", Reply::stall(Duration::from_secs(3)));
    let start = Instant::now();
    let reports = refresh_with(&mut lib, &f, Some(&[id]), 2, later(1));
    assert!(start.elapsed() < Duration::from_millis(2500));
    assert_eq!(reports[0].status, RefreshStatus::Error);
    assert!(
        reports[0].error.as_deref().is_some_and(|e| e.contains("timed out")),
        "{reports:?}"
    );
    assert_eq!(episode_rows(dir.path()), before);
}

#[test]
fn oversize_bodies_are_refused() {
    const CAP: u64 = 16 * 1024;
    let server = Server::start();
    // Declared too large: refused from the header alone, without waiting for the body.
    server.set(
        "/declared.xml",
        Reply::status(200)
            .header("Content-Length", "104857600")
            .with_body(Body::StallAfter {
                prefix: vec![b' '; 1024],
                wait: Duration::from_secs(3),
            }),
    );
    // No length, streamed well past the cap.
    server.set(
        "/streamed.xml",
        Reply::status(200).with_body(Body::Chunked {
            chunk: vec![b' '; 4096],
            count: 256,
        }),
    );
    // Small on the wire, huge once decompressed.
    server.set(
        "/bomb.xml",
        Reply::ok(gzip(&vec![b' '; 4 * 1024 * 1024])).header("Content-Encoding", "gzip"),
    );
    // Exactly at the cap is fine; one byte more is not.
    server.set("/exact", Reply::ok(vec![b'x'; CAP as usize]));
    server.set("/exact-plus-one", Reply::ok(vec![b'x'; CAP as usize + 1]));

    let f = fetcher_with(FetchConfig {
        max_bytes: CAP,
        timeout: Duration::from_secs(5),
        ..FetchConfig::default()
    });
    let get = |path: &str| f.get(&Url::parse(&server.url(path)).expect("url"));
    for path in ["/declared.xml", "/streamed.xml", "/bomb.xml", "/exact-plus-one"] {
        let start = Instant::now();
        let err = get(path).expect_err("too large");
        assert!(matches!(err, FetchError::TooLarge { .. }), "{path}: {err:?}");
        assert_eq!(err.code(), "too_large");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{path}: {:?}",
            start.elapsed()
        );
    }
    assert_eq!(get("/exact").expect("at the cap").body.len() as u64, CAP);

    // Through a refresh: an error, the library untouched.
    server.set("/feed.xml", Reply::rss(two_item_feed()));
    let (dir, mut lib) = open_lib();
    let id = subscribe(&mut lib, &server, "/feed.xml").podcast.id;
    let before = episode_rows(dir.path());
    server.set(
        "/feed.xml",
        Reply::status(200).with_body(Body::Chunked {
            chunk: vec![b' '; 4096],
            count: 256,
        }),
    );
    let reports = refresh_with(&mut lib, &f, Some(&[id]), 1, later(1));
    assert_eq!(reports[0].status, RefreshStatus::Error);
    assert!(
        reports[0].error.as_deref().is_some_and(|e| e.contains("larger than")),
        "{reports:?}"
    );
    assert_eq!(episode_rows(dir.path()), before);
}

// ---------------------------------------------------------------------------------------------
// Hostile and broken documents

#[test]
fn malformed_xml_changes_nothing() {
    let server = Server::start();
    server.set("/feed.xml", Reply::rss(two_item_feed()));
    let (dir, mut lib) = open_lib();
    let id = subscribe(&mut lib, &server, "/feed.xml").podcast.id;
    let before = episode_rows(dir.path());

    let good = two_item_feed();
    let cut = good.find("<item>").expect("has items") + 60;
    let truncated = good[..cut].to_owned();
    let bad_docs: Vec<(&str, String)> = vec![
        ("truncated", truncated),
        ("garbage", "this is not XML at all <<<&&&".to_owned()),
        (
            "mismatched tags",
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>x</titel></channel></rss>".to_owned(),
        ),
        ("empty", String::new()),
        (
            "html error page",
            "<html><body><h1>502 Bad Gateway</h1></body></html>".to_owned(),
        ),
    ];
    for (what, doc) in bad_docs {
        server.set("/feed.xml", Reply::rss(doc));
        let report = refresh_one(&mut lib, id, later(30));
        assert_eq!(report.status, RefreshStatus::Error, "{what}: {report:?}");
        assert_eq!(episode_rows(dir.path()), before, "{what}: episodes changed");
        let p = lib.podcast(id).expect("podcast");
        assert!(p.last_error.is_some(), "{what}: no last_error");
        assert_eq!(p.title, "Two", "{what}: channel changed");
        assert!(
            lib.episodes(Some(id)).expect("eps").iter().all(|e| e.in_feed),
            "{what}: episodes marked as gone from the feed"
        );
    }

    // And a malformed feed cannot be subscribed to.
    server.set("/junk.xml", Reply::rss("<rss><channel><item>"));
    let err =
        resolve::subscribe(&mut lib, &resolver(&server, fetcher()), &server.url("/junk.xml"), t0()).expect_err("junk");
    assert_eq!(err.code(), "bad_feed", "{err:?}");
    assert_eq!(lib.podcasts().expect("podcasts").len(), 1);
}

const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><link>https://example.invalid/</link><description>d</description>
<item><guid>1</guid><title>&lol9;</title></item></channel></rss>"#;

/// UTF-16LE with a byte-order mark.
fn utf16le(s: &str) -> Vec<u8> {
    let mut out = vec![0xff, 0xfe];
    for u in s.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

#[test]
fn entity_bomb_is_refused_quickly() {
    let server = Server::start();
    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("plain", BILLION_LAUGHS.as_bytes().to_vec()),
        (
            "utf-16",
            utf16le(&BILLION_LAUGHS.replace("<?xml version=\"1.0\"?>", "<?xml version=\"1.0\" encoding=\"UTF-16\"?>")),
        ),
        (
            "bracket in a comment",
            BILLION_LAUGHS
                .replace("<!DOCTYPE rss [", "<!DOCTYPE rss [ <!-- ] -->")
                .into_bytes(),
        ),
        (
            "lower-case doctype",
            BILLION_LAUGHS.replace("<!DOCTYPE", "<!doctype").into_bytes(),
        ),
        (
            "quoted bracket",
            BILLION_LAUGHS
                .replace("<!DOCTYPE rss [", "<!DOCTYPE rss SYSTEM \"a>b\" [")
                .into_bytes(),
        ),
    ];
    let (dir, mut lib) = open_lib();
    for (what, body) in variants {
        let path = format!("/bomb-{}.xml", what.replace(' ', "-"));
        server.set(&path, Reply::rss(body));
        let start = Instant::now();
        let res = resolve::subscribe(&mut lib, &resolver(&server, fetcher()), &server.url(&path), t0());
        let took = start.elapsed();
        let err = res.err().unwrap_or_else(|| panic!("{what}: the bomb was accepted"));
        assert!(
            matches!(err, Error::Feed(FeedError::EntitiesRefused)),
            "{what}: {err:?}"
        );
        assert!(took < Duration::from_secs(1), "{what}: took {took:?}");
    }
    assert!(lib.podcasts().expect("podcasts").is_empty());
    assert!(episode_rows(dir.path()).is_empty());

    // A subscribed feed that turns into a bomb: refused, nothing changed.
    server.set("/feed.xml", Reply::rss(two_item_feed()));
    let id = subscribe(&mut lib, &server, "/feed.xml").podcast.id;
    let before = episode_rows(dir.path());
    server.set("/feed.xml", Reply::rss(BILLION_LAUGHS));
    let start = Instant::now();
    assert_failed_cleanly(dir.path(), &mut lib, id, &before, "entit");
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn external_entities_are_never_resolved() {
    let secret_dir = TempDir::new().expect("tempdir");
    let secret_path = secret_dir.path().join("secret.txt");
    let marker = "EARMARK-SECRET-MARKER-8d1f0c";
    std::fs::write(&secret_path, marker).expect("write secret");
    let secret_url = Url::from_file_path(&secret_path).expect("file url");

    let xxe = |system: &str| {
        format!(
            r#"<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{system}">]>
<rss version="2.0"><channel><title>Leak &xxe;</title><link>https://example.invalid/</link><description>&xxe;</description>
<item><guid>1</guid><title>&xxe;</title><description>&xxe;</description></item></channel></rss>"#
        )
    };
    let passwd = xxe("file:///etc/passwd");
    let secret = xxe(secret_url.as_str());
    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("passwd", passwd.clone().into_bytes()),
        ("secret", secret.clone().into_bytes()),
        (
            "parameter entity",
            format!(
                r#"<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p SYSTEM "{secret_url}"> %p;]><rss version="2.0"><channel><title>t</title><link>https://example.invalid/</link><description>d</description></channel></rss>"#
            )
            .into_bytes(),
        ),
        (
            "utf-16",
            utf16le(&secret.replace(
                "<?xml version=\"1.0\"?>",
                "<?xml version=\"1.0\" encoding=\"UTF-16\"?>",
            )),
        ),
        (
            "bracket in a comment",
            secret
                .replace("<!DOCTYPE rss [", "<!DOCTYPE rss [<!-- ] -->")
                .into_bytes(),
        ),
    ];

    let server = Server::start();
    server.set("/feed.xml", Reply::rss(two_item_feed()));
    let (dir, mut lib) = open_lib();
    let id = subscribe(&mut lib, &server, "/feed.xml").podcast.id;
    let before = episode_rows(dir.path());

    for (what, body) in variants {
        let path = format!("/xxe-{}.xml", what.replace(' ', "-"));
        server.set(&path, Reply::rss(body.clone()));
        let res = resolve::subscribe(&mut lib, &resolver(&server, fetcher()), &server.url(&path), t0());
        assert!(res.is_err(), "{what}: a feed with an external entity was accepted");
        // And as a refresh of a subscribed feed.
        server.set("/feed.xml", Reply::rss(body));
        assert_failed_cleanly(dir.path(), &mut lib, id, &before, "");
    }
    assert_eq!(lib.podcasts().expect("podcasts").len(), 1);

    // Neither the secret nor /etc/passwd reached the library files.
    let passwd_line = std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|s| s.lines().next().map(str::to_owned))
        .filter(|l| l.len() > 8);
    drop(lib);
    for entry in std::fs::read_dir(dir.path()).expect("library dir") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(marker), "the secret leaked into the library");
        if let Some(line) = &passwd_line {
            assert!(!text.contains(line.as_str()), "/etc/passwd leaked");
        }
    }
}

#[test]
fn non_utf8_feeds_decode() {
    fn latin1(s: &str) -> Vec<u8> {
        s.chars()
            .map(|c| u8::try_from(u32::from(c)).expect("latin-1 text"))
            .collect()
    }
    let server = Server::start();
    let latin = feed(
        "Café Crème",
        &item("l1", "Ça coûte 5 £ — non, 5 ¤", 1).replace(" — ", " - "),
    )
    .replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
    server.set("/latin1.xml", Reply::rss(latin1(&latin)));

    let cp = feed("Bistro € “quotes”", &item("w1", "Prix: 5 € — déjà vu…", 1))
        .replace("encoding=\"UTF-8\"", "encoding='windows-1252'");
    let (cp_bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&cp);
    assert!(!unmappable);
    assert!(cp_bytes.contains(&0x80), "the euro sign is byte 0x80");
    server.set("/cp1252.xml", Reply::rss(cp_bytes.into_owned()));

    let utf16 = feed("Ünïcödé 16", &item("u1", "Straße 東京", 1)).replace("encoding=\"UTF-8\"", "encoding=\"UTF-16\"");
    server.set("/utf16.xml", Reply::rss(utf16le(&utf16)));

    let (_dir, mut lib) = open_lib();
    let sub = subscribe(&mut lib, &server, "/latin1.xml");
    assert_eq!(sub.podcast.title, "Café Crème");
    assert_eq!(by_guid(&lib, "l1").title, "Ça coûte 5 £ - non, 5 ¤");

    let sub = subscribe(&mut lib, &server, "/cp1252.xml");
    assert_eq!(sub.podcast.title, "Bistro € “quotes”");
    assert_eq!(by_guid(&lib, "w1").title, "Prix: 5 € — déjà vu…");

    let sub = subscribe(&mut lib, &server, "/utf16.xml");
    assert_eq!(sub.podcast.title, "Ünïcödé 16");
    assert_eq!(by_guid(&lib, "u1").title, "Straße 東京");

    // Search finds the decoded text (diacritics folded).
    let hits = earmark_core::search::search(&lib, "deja", 10).expect("search");
    assert!(hits.iter().any(|h| h.title == "Prix: 5 € — déjà vu…"), "{hits:?}");
}

#[test]
fn gzip_bodies_are_accepted() {
    let server = Server::start();
    server.set(
        "/feed.xml",
        Reply::rss(gzip(two_item_feed().as_bytes())).header("Content-Encoding", "gzip"),
    );
    let (_dir, mut lib) = open_lib();
    let sub = subscribe(&mut lib, &server, "/feed.xml");
    assert_eq!(sub.podcast.title, "Two");
    assert_eq!(sub.new_episodes, 2);
    let req = &server.requests_to("/feed.xml")[0];
    assert!(
        req.header("accept-encoding").is_some_and(|e| e.contains("gzip")),
        "{req:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Items and their identity

#[test]
fn vanished_items_stay_and_come_back() {
    let server = Server::start();
    let abc = item("c", "Gamma", 3) + &item("b", "Beta", 2) + &item("a", "Alpha", 1);
    server.set("/feed.xml", Reply::rss(feed("Show", &abc)));
    let (_dir, mut lib) = open_lib();
    let id = subscribe(&mut lib, &server, "/feed.xml").podcast.id;
    let b_id = by_guid(&lib, "b").id;

    server.set(
        "/feed.xml",
        Reply::rss(feed("Show", &(item("c", "Gamma", 3) + &item("a", "Alpha", 1)))),
    );
    let r = refresh_one(&mut lib, id, later(1));
    assert_eq!((r.status, r.new, r.updated), (RefreshStatus::Updated, 0, 0));
    let b = by_guid(&lib, "b");
    assert!(!b.in_feed, "{b:?}");
    assert_eq!(b.id, b_id);
    assert_eq!(b.title, "Beta");
    assert!(by_guid(&lib, "a").in_feed && by_guid(&lib, "c").in_feed);
    assert_eq!(lib.podcast(id).expect("podcast").episode_count, 3);

    server.set("/feed.xml", Reply::rss(feed("Show", &abc)));
    let r = refresh_one(&mut lib, id, later(2));
    assert_eq!((r.new, r.updated), (0, 0));
    let b = by_guid(&lib, "b");
    assert!(b.in_feed);
    assert_eq!(b.id, b_id);
    assert_eq!(lib.episodes(Some(id)).expect("eps").len(), 3);

    // An empty feed keeps every episode, all marked.
    server.set("/feed.xml", Reply::rss(feed("Show", "")));
    refresh_one(&mut lib, id, later(3));
    let eps = lib.episodes(Some(id)).expect("eps");
    assert_eq!(eps.len(), 3);
    assert!(eps.iter().all(|e| !e.in_feed));
}

#[test]
fn duplicate_guids_collapse_to_the_first() {
    let server = Server::start();
    let items = item("dup", "First", 2) + &item("other", "Other", 1) + &item("dup", "Second", 3);
    server.set("/feed.xml", Reply::rss(feed("Show", &items)));
    let (_dir, mut lib) = open_lib();
    let sub = subscribe(&mut lib, &server, "/feed.xml");
    assert_eq!(sub.new_episodes, 2);
    let eps = lib.episodes(Some(sub.podcast.id)).expect("eps");
    assert_eq!(eps.len(), 2);
    let dup = by_guid(&lib, "dup");
    assert_eq!(dup.title, "First");
    assert_eq!(dup.published.as_deref(), Some("2024-01-02T10:00:00Z"));
    // Stable on refresh: nothing flips between the two copies.
    let r = refresh_one(&mut lib, sub.podcast.id, later(1));
    assert_eq!((r.new, r.updated), (0, 0));
    assert_eq!(by_guid(&lib, "dup").title, "First");
}

#[test]
fn items_without_guid_get_a_stable_identity() {
    let server = Server::start();
    let items = r#"
<item><title>By enclosure</title><pubDate>03 Jan 2024 10:00:00 +0000</pubDate>
  <link>https://example.invalid/ignored-because-enclosure-wins</link>
  <enclosure url="media/enc.mp3" type="audio/mpeg" length="1"/></item>
<item><title>By link</title><pubDate>02 Jan 2024 10:00:00 +0000</pubDate><link>/episodes/by-link</link></item>
<item><guid>   </guid><title>Blank guid</title><enclosure url="/media/blank.mp3" type="audio/mpeg" length="1"/></item>
<item><title>By hash</title><pubDate>01 Jan 2024 10:00:00 +0000</pubDate><description>nothing else</description></item>
"#;
    server.set("/shows/feed.xml", Reply::rss(feed("NoGuid", items)));
    let (_dir, mut lib) = open_lib();
    let sub = subscribe(&mut lib, &server, "/shows/feed.xml");
    assert_eq!(sub.new_episodes, 4);
    let eps = lib.episodes(Some(sub.podcast.id)).expect("eps");
    let guid_of = |title: &str| {
        eps.iter()
            .find(|e| e.title == title)
            .unwrap_or_else(|| panic!("{title} missing"))
            .clone()
    };
    assert_eq!(guid_of("By enclosure").guid, server.url("/shows/media/enc.mp3"));
    assert_eq!(guid_of("By link").guid, server.url("/episodes/by-link"));
    assert_eq!(guid_of("Blank guid").guid, server.url("/media/blank.mp3"));
    let hashed = guid_of("By hash");
    assert!(hashed.guid.starts_with("earmark:"), "{hashed:?}");

    // A refresh with the items reordered and a new one on top: same identities, same rows.
    let reordered = format!(
        "<item><guid>new</guid><title>Newest</title></item>{}",
        items
            .split("</item>")
            .filter(|s| s.contains("<item>"))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .map(|s| format!("{s}</item>"))
            .collect::<String>()
    );
    server.set("/shows/feed.xml", Reply::rss(feed("NoGuid", &reordered)));
    let r = refresh_one(&mut lib, sub.podcast.id, later(1));
    assert_eq!((r.status, r.new, r.updated), (RefreshStatus::Updated, 1, 0));
    let after = lib.episodes(Some(sub.podcast.id)).expect("eps");
    assert_eq!(after.len(), 5);
    for e in &eps {
        let same = after
            .iter()
            .find(|a| a.guid == e.guid)
            .unwrap_or_else(|| panic!("identity of {} changed", e.title));
        assert_eq!(same.id, e.id);
        assert!(same.in_feed);
    }
}

#[test]
fn relative_urls_resolve_against_the_feed_url() {
    let server = Server::start();
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" {NS}><channel><title>Rel</title><link>./</link><description>d</description>
<itunes:image href="../art/cover.jpg"/>
<item><guid>1</guid><title>One</title><link>/episodes/1</link>
<enclosure url="media/one.mp3" type="audio/mpeg" length="10"/>
<itunes:image href="img/one.png"/></item>
<item><guid>2</guid><title>Two</title><link>https://elsewhere.invalid/two</link>
<enclosure url="//cdn.invalid/two.mp3" type="audio/mpeg" length="10"/></item>
</channel></rss>"#
    );
    server.set("/shows/rel/feed.xml", Reply::rss(doc));
    let (_dir, mut lib) = open_lib();
    let sub = subscribe(&mut lib, &server, "/shows/rel/feed.xml");
    assert_eq!(sub.podcast.link.as_deref(), Some(server.url("/shows/rel/").as_str()));
    assert_eq!(
        sub.podcast.image_url.as_deref(),
        Some(server.url("/shows/art/cover.jpg").as_str())
    );
    let one = by_guid(&lib, "1");
    assert_eq!(
        one.enclosure_url.as_deref(),
        Some(server.url("/shows/rel/media/one.mp3").as_str())
    );
    assert_eq!(one.link.as_deref(), Some(server.url("/episodes/1").as_str()));
    assert_eq!(
        lib.episode(one.id).expect("detail").image_url.as_deref(),
        Some(server.url("/shows/rel/img/one.png").as_str())
    );
    let two = by_guid(&lib, "2");
    assert_eq!(two.enclosure_url.as_deref(), Some("http://cdn.invalid/two.mp3"));
    assert_eq!(two.link.as_deref(), Some("https://elsewhere.invalid/two"));
}

#[test]
fn html_in_titles_becomes_text() {
    let server = Server::start();
    let items = r#"
<item><guid>1</guid><title>Ep 1: &lt;b&gt;Bold&lt;/b&gt; &amp;amp; more</title></item>
<item><guid>2</guid><title><![CDATA[<i>Hello</i>   <span style="x">world</span> &amp; friends]]></title></item>
<item><guid>3</guid><title>  Plain
   title  </title></item>
<item><guid>4</guid><title>Fish &amp; Chips &lt; 5 pounds</title></item>"#;
    server.set("/feed.xml", Reply::rss(feed("My &lt;em&gt;Show&lt;/em&gt;", items)));
    let (_dir, mut lib) = open_lib();
    let sub = subscribe(&mut lib, &server, "/feed.xml");
    assert_eq!(sub.podcast.title, "My Show");
    assert_eq!(by_guid(&lib, "1").title, "Ep 1: Bold & more");
    assert_eq!(by_guid(&lib, "2").title, "Hello world & friends");
    assert_eq!(by_guid(&lib, "3").title, "Plain title");
    assert_eq!(by_guid(&lib, "4").title, "Fish & Chips < 5 pounds");
}

#[test]
fn bad_dates_keep_the_item() {
    let server = Server::start();
    let items = r#"
<item><guid>bad</guid><title>Bad date</title><pubDate>sometime last week</pubDate></item>
<item><guid>none</guid><title>No date</title></item>
<item><guid>good</guid><title>Good date</title><pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate></item>
<item><guid>wrongday</guid><title>Wrong weekday</title><pubDate>Wed, 11 Jun 2003 04:00:00 +0200</pubDate></item>"#;
    server.set("/feed.xml", Reply::rss(feed("Dates", items)));
    let (_dir, mut lib) = open_lib();
    let sub = subscribe(&mut lib, &server, "/feed.xml");
    assert_eq!(sub.new_episodes, 4);
    assert_eq!(by_guid(&lib, "bad").published, None);
    assert_eq!(by_guid(&lib, "none").published, None);
    assert_eq!(by_guid(&lib, "good").published.as_deref(), Some("2003-06-10T04:00:00Z"));
    assert_eq!(
        by_guid(&lib, "wrongday").published.as_deref(),
        Some("2003-06-11T02:00:00Z")
    );
    // Dated newest first, then undated in feed order.
    let order: Vec<String> = lib
        .episodes(Some(sub.podcast.id))
        .expect("eps")
        .into_iter()
        .map(|e| e.guid)
        .collect();
    assert_eq!(order, ["wrongday", "good", "bad", "none"]);
}

#[test]
fn itunes_durations_in_several_forms() {
    let server = Server::start();
    let cases: &[(&str, Option<f64>)] = &[
        ("1:02:03", Some(3723.0)),
        ("62:03", Some(3723.0)),
        ("3723", Some(3723.0)),
        ("  1800.5 ", Some(1800.5)),
        ("01:00:00", Some(3600.0)),
        ("1h 2m 3s", Some(3723.0)),
        ("45 min", Some(2700.0)),
        ("", None),
        ("soon", None),
        ("-20", None),
        ("1:2:3:4", None),
    ];
    let items: String = cases
        .iter()
        .enumerate()
        .map(|(i, (raw, _))| {
            format!("<item><guid>d{i}</guid><title>D{i}</title><itunes:duration>{raw}</itunes:duration></item>")
        })
        .collect();
    server.set("/feed.xml", Reply::rss(feed("Durations", &items)));
    let (_dir, mut lib) = open_lib();
    subscribe(&mut lib, &server, "/feed.xml");
    for (i, (raw, want)) in cases.iter().enumerate() {
        assert_eq!(by_guid(&lib, &format!("d{i}")).duration_secs, *want, "duration {raw:?}");
    }
}

#[test]
fn podcasting20_elements_are_kept() {
    let server = Server::start();
    let item_xml = r#"
<item><guid>p20</guid><title>With extras</title>
<podcast:chapters url="chapters/ep1.json" type="application/json+chapters"/>
<podcast:transcript url="https://example.invalid/ep1.vtt" type="text/vtt" language="en" rel="captions"/>
<podcast:transcript url="ep1.srt" type="application/srt"/>
<podcast:soundbite startTime="73.5" duration="60">The best bit</podcast:soundbite>
<podcast:soundbite startTime="bogus" duration="10">Dropped</podcast:soundbite>
<podcast:person role="Guest" href="https://example.invalid/jo" img="people/jo.jpg">Jo Bloggs</podcast:person>
<podcast:person>Host Person</podcast:person>
<podcast:funding url="https://example.invalid/donate">Support the show</podcast:funding>
</item>
<item><guid>plain</guid><title>Nothing extra</title></item>"#;
    server.set("/pod/feed.xml", Reply::rss(feed("P20", item_xml)));
    // The same elements under another prefix bound to the namespace.
    let other_prefix = feed("P20b", item_xml)
        .replace("podcast:", "p2:")
        .replace("<guid>p20</guid>", "<guid>p20b</guid>")
        .replace("<guid>plain</guid>", "<guid>plainb</guid>");
    let other_prefix = other_prefix.replace(
        "xmlns:podcast=\"https://podcastindex.org/namespace/1.0\"",
        "xmlns:p2=\"https://podcastindex.org/namespace/1.0\"",
    );
    server.set("/pod/other.xml", Reply::rss(other_prefix));
    let (_dir, mut lib) = open_lib();
    subscribe(&mut lib, &server, "/pod/feed.xml");
    subscribe(&mut lib, &server, "/pod/other.xml");

    for guid in ["p20", "p20b"] {
        let d = lib.episode(by_guid(&lib, guid).id).expect("detail");
        let p = &d.podcast20;
        let chapters = p.chapters.as_ref().expect("chapters");
        assert_eq!(chapters.url, server.url("/pod/chapters/ep1.json"), "{guid}");
        assert_eq!(chapters.mime_type.as_deref(), Some("application/json+chapters"));
        assert_eq!(p.transcripts.len(), 2, "{guid}: {p:?}");
        assert_eq!(p.transcripts[0].url, "https://example.invalid/ep1.vtt");
        assert_eq!(p.transcripts[0].language.as_deref(), Some("en"));
        assert_eq!(p.transcripts[0].rel.as_deref(), Some("captions"));
        assert_eq!(p.transcripts[1].url, server.url("/pod/ep1.srt"));
        assert_eq!(p.soundbites.len(), 1, "{guid}: {p:?}");
        assert_eq!(p.soundbites[0].start_secs, 73.5);
        assert_eq!(p.soundbites[0].duration_secs, 60.0);
        assert_eq!(p.soundbites[0].title.as_deref(), Some("The best bit"));
        assert_eq!(p.persons.len(), 2);
        assert_eq!(p.persons[0].name, "Jo Bloggs");
        assert_eq!(p.persons[0].role.as_deref(), Some("guest"));
        assert_eq!(
            p.persons[0].img.as_deref(),
            Some(server.url("/pod/people/jo.jpg").as_str())
        );
        assert_eq!(p.persons[1].name, "Host Person");
        assert_eq!(p.funding.len(), 1);
        assert_eq!(p.funding[0].url, "https://example.invalid/donate");
        assert_eq!(p.funding[0].text.as_deref(), Some("Support the show"));
    }
    let plain = lib.episode(by_guid(&lib, "plain").id).expect("detail");
    assert_eq!(plain.podcast20, Default::default());
}

#[test]
fn show_notes_come_out_sanitised() {
    let server = Server::start();
    let items = r#"
<item><guid>x</guid><title>Notes</title>
<description>short</description>
<content:encoded><![CDATA[<p onclick="steal()">Hello <b>world</b></p><script>alert('boom')</script>
<img src="https://example.invalid/x.png" onerror="alert('img')">
<a href="javascript:alert('js')">bad link</a> <a href="https://example.invalid/ok">good link</a>
<iframe src="https://example.invalid/frame"></iframe><form action="/x"><input name="p"></form>
<style>body{display:none}</style>]]></content:encoded></item>
<item><guid>y</guid><title>Plain notes</title><description>a &lt; b

next</description></item>"#;
    server.set("/feed.xml", Reply::rss(feed("Notes", items)));
    let (_dir, mut lib) = open_lib();
    subscribe(&mut lib, &server, "/feed.xml");
    let d = lib.episode(by_guid(&lib, "x").id).expect("detail");
    let html = d.notes_html.to_lowercase();
    for bad in [
        "<script",
        "alert(",
        "onerror",
        "onclick",
        "javascript:",
        "<iframe",
        "<form",
        "<input",
        "<style",
    ] {
        assert!(!html.contains(bad), "{bad} survived: {}", d.notes_html);
    }
    assert!(html.contains("hello <b>world</b>"), "{}", d.notes_html);
    assert!(
        html.contains(r#"href="https://example.invalid/ok""#),
        "{}",
        d.notes_html
    );
    assert!(html.contains("noopener"), "{}", d.notes_html);
    // Search reads the text, not the script.
    let hits = earmark_core::search::search(&lib, "boom", 10).expect("search");
    assert!(hits.is_empty(), "{hits:?}");
    let hits = earmark_core::search::search(&lib, "hello world", 10).expect("search");
    assert_eq!(hits.len(), 1, "{hits:?}");

    let plain = lib.episode(by_guid(&lib, "y").id).expect("detail");
    assert_eq!(plain.notes_html, "<p>a &lt; b</p><p>next</p>");
}

// ---------------------------------------------------------------------------------------------
// Many feeds

#[test]
fn many_feeds_refresh_concurrently() {
    let server = Server::start();
    let (_dir, mut lib) = open_lib();
    let mut ids = Vec::new();
    for i in 0..20 {
        let path = format!("/f{i}.xml");
        server.set(&path, Reply::rss(feed(&format!("Feed {i}"), &item("a", "A", 1))));
        ids.push(subscribe(&mut lib, &server, &path).podcast.id);
    }
    for i in 0..20 {
        let items = item("b", "B", 2) + &item("a", "A", 1);
        server.set(
            &format!("/f{i}.xml"),
            Reply::rss(feed(&format!("Feed {i}"), &items)).delayed(Duration::from_millis(100)),
        );
    }
    let mut progress = Vec::new();
    let start = Instant::now();
    let reports = refresh::refresh(&mut lib, &fetcher(), None, 4, later(1), &mut |d, t, r| {
        progress.push((d, t, r.podcast_id))
    })
    .expect("refresh");
    let took = start.elapsed();
    assert_eq!(reports.len(), 20);
    let mut reported: Vec<PodcastId> = reports.iter().map(|r| r.podcast_id).collect();
    reported.sort();
    assert_eq!(reported, ids);
    for r in &reports {
        assert_eq!(r.status, RefreshStatus::Updated, "{r:?}");
        assert_eq!((r.new, r.updated), (1, 0), "{r:?}");
    }
    assert_eq!(
        progress.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
        (1..=20).map(|d| (d, 20)).collect::<Vec<_>>()
    );
    let peak = server.peak_in_flight();
    assert!(peak <= 4, "at most 4 fetches at once, saw {peak}");
    assert!(peak >= 2, "fetches ran one at a time");
    // 20 × 100 ms one at a time would be 2 s.
    assert!(took < Duration::from_millis(1900), "took {took:?}");
    assert_eq!(lib.episodes(None).expect("eps").len(), 40);
}

#[test]
fn one_failing_feed_does_not_affect_the_others() {
    let server = Server::start();
    let (dir, mut lib) = open_lib();
    let mut ids = Vec::new();
    for i in 0..3 {
        let path = format!("/f{i}.xml");
        server.set(&path, Reply::rss(feed(&format!("Feed {i}"), &item("a", "A", 1))));
        ids.push(subscribe(&mut lib, &server, &path).podcast.id);
    }
    let rows_of_1 = || {
        rows(
            dir.path(),
            &format!("SELECT * FROM episodes WHERE podcast_id = {} ORDER BY id", ids[1].0),
        )
    };
    let before_1 = rows_of_1();
    for i in [0, 2] {
        server.set(
            &format!("/f{i}.xml"),
            Reply::rss(feed(&format!("Feed {i}"), &(item("b", "B", 2) + &item("a", "A", 1)))),
        );
    }
    server.set("/f1.xml", Reply::status(500).body("boom"));
    let reports = refresh_with(&mut lib, &fetcher(), None, 2, later(1));
    assert_eq!(reports.len(), 3);
    for r in &reports {
        if r.podcast_id == ids[1] {
            assert_eq!(r.status, RefreshStatus::Error, "{r:?}");
            assert!(r.error.as_deref().is_some_and(|e| e.contains("500")), "{r:?}");
        } else {
            assert_eq!(r.status, RefreshStatus::Updated, "{r:?}");
            assert_eq!(r.new, 1);
            assert_eq!(lib.podcast(r.podcast_id).expect("p").last_error, None);
            assert_eq!(lib.podcast(r.podcast_id).expect("p").episode_count, 2);
        }
    }
    assert_eq!(rows_of_1(), before_1);
    assert!(lib.podcast(ids[1]).expect("p").last_error.is_some());
}

// ---------------------------------------------------------------------------------------------
// OPML

#[test]
fn opml_round_trip_into_a_fresh_library() {
    let server = Server::start();
    let (_dir1, mut lib1) = open_lib();
    let titles = ["Fish & Chips", "<Angle> \"Quotes\"", "Plain"];
    for (i, t) in titles.iter().enumerate() {
        let escaped = t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let path = format!("/o{i}.xml?x=1&y=2");
        server.set(
            &path,
            Reply::rss(feed(&escaped, &(item("a", "A", 1) + &item(&format!("b{i}"), "B", 2)))),
        );
        subscribe(&mut lib1, &server, &path);
    }
    let exported = opml::export(&lib1, t0()).expect("export");
    let outlines = opml::parse(exported.as_bytes()).expect("parse own export");
    assert_eq!(outlines.len(), 3);

    let (_dir2, mut lib2) = open_lib();
    let added = opml::import(&mut lib2, &outlines, t0()).expect("import").added;
    assert_eq!(added.len(), 3);
    let mut want: Vec<(String, String)> = lib1
        .podcasts()
        .expect("p")
        .into_iter()
        .map(|p| (p.feed_url, p.title))
        .collect();
    let mut got: Vec<(String, String)> = lib2
        .podcasts()
        .expect("p")
        .into_iter()
        .map(|p| (p.feed_url, p.title))
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    assert!(lib2.episodes(None).expect("eps").is_empty());

    let before = server.requests().len();
    let reports = refresh_with(&mut lib2, &fetcher(), Some(&added), 4, later(1));
    assert_eq!(reports.len(), 3);
    assert!(reports.iter().all(|r| r.status == RefreshStatus::Updated && r.new == 2));
    assert_eq!(server.requests().len(), before + 3);
    assert_eq!(lib2.episodes(None).expect("eps").len(), 6);

    // Importing again adds nothing.
    assert!(opml::import(&mut lib2, &outlines, t0())
        .expect("import")
        .added
        .is_empty());
    assert_eq!(lib2.podcasts().expect("p").len(), 3);
}
